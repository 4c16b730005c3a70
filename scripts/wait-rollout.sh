#!/usr/bin/env bash
# Waits until Argo Rollouts has fully promoted the given image digest, or fails when the rollout aborts or
# degrades (its analysis failed: Argo Rollouts has already gone back to the stable version).
#
#   scripts/wait-rollout.sh <namespace> <rollout> <sha256:digest> [timeout-seconds]
#
# Uses only kubectl (the Rollout's status), so the pipeline needs no Argo CLI.
set -euo pipefail
namespace=${1:?namespace}; rollout=${2:?rollout}; digest=${3:?image digest}; timeout=${4:-1800}
deadline=$(( $(date +%s) + timeout ))
field() { kubectl -n "$namespace" get rollout "$rollout" -o "jsonpath=$1"; }
while :; do
  phase=$(field '{.status.phase}')
  aborted=$(field '{.status.abort}')
  # The Deployment's template carries the image; the Rollout runs it (workloadRef).
  image=$(kubectl -n "$namespace" get deployment "$rollout" -o 'jsonpath={.spec.template.spec.containers[0].image}')
  stable=$(field '{.status.stableRS}'); current=$(field '{.status.currentPodHash}')
  echo "wait-rollout: phase=${phase:-?} stable=${stable:-?} current=${current:-?} aborted=${aborted:-false}"
  if [ "$aborted" = true ] || [ "$phase" = Degraded ]; then
    echo "wait-rollout: the rollout was aborted: $(field '{.status.message}')" >&2; exit 1
  fi
  if [ "${image##*@}" = "$digest" ] && [ "$phase" = Healthy ] && [ -n "$current" ] && [ "$stable" = "$current" ]; then
    echo "wait-rollout: $digest is fully promoted"; exit 0
  fi
  [ "$(date +%s)" -lt "$deadline" ] || { echo "wait-rollout: timed out after ${timeout}s" >&2; exit 1; }
  sleep 10
done
