#!/usr/bin/env bash
# shellcheck disable=SC2317 # cleanup is called by the EXIT trap
# Applies rendered manifests to a real kube-apiserver with server-side dry run: the API server validates every
# object against its own OpenAPI schemas, the installed CRDs (Lanyard's, Argo Rollouts', the Prometheus
# Operator's) and its admission chain, including the Pod Security "restricted" level the namespace enforces,
# whose warnings for a pod template count as failures here.
#
#   scripts/kube-dry-run.sh <crd-file-or-dir>... -- <rendered.yaml>... [--refused <broken.yaml>...]
#
# Files after --refused must be refused or draw warnings: they show the check can fail.
#
# Uses the kube-apiserver, etcd and kubectl that scripts/kube-peers.sh builds into
# ${XDG_CACHE_HOME:-$HOME/.cache}/lanyard/kube/<version>/ (LANYARD_KUBE_BIN overrides the folder). Exits 3,
# having started nothing, when they are not there.
set -euo pipefail
. "$(dirname "$0")/kube-test-server.sh"
kube_test_server_binaries || exit 3
crds=(); manifests=(); refused=(); section=crds
for arg in "$@"; do
  case "$arg" in
    --) section=manifests ;;
    --refused) section=refused ;;
    *) case "$section" in crds) crds+=("$arg") ;; manifests) manifests+=("$arg") ;; *) refused+=("$arg") ;; esac ;;
  esac
done
[ ${#manifests[@]} -gt 0 ] || { echo "usage: kube-dry-run.sh <crds>... -- <manifests>..." >&2; exit 2; }

WORK=$(mktemp -d /tmp/lanyard-kube-dry-run.XXXXXX)
cleanup() {
  kube_test_server_stop
  rm -rf "$WORK"
}
trap cleanup EXIT
kube_test_server_start "$WORK/server"
kubectl() { "$KUBE_BIN/kubectl" --kubeconfig "$WORK/server/kubeconfig" "$@"; }
started=$(date +%s)

# CRDs for real (a dry run cannot validate a custom resource whose CRD does not exist), then the namespaces the
# manifests use, also for real, since a dry-run Namespace does not make its objects' namespace exist.
for crd in "${crds[@]}"; do kubectl apply --server-side -f "$crd" >/dev/null; done
# Right after the apply a CRD may have no status yet, which `kubectl wait` reports as an error: ask again.
until kubectl wait --for condition=Established --timeout 10s crd --all >/dev/null 2>&1; do
  if [ $(( $(date +%s) - started )) -gt 120 ]; then echo "kube-dry-run: the CRDs were not established" >&2; exit 1; fi
  sleep 0.5
done
# Namespaces for real first: a dry-run Namespace does not make its objects' namespace exist.
create_namespaces() {
  "${LANYARD_TOOLS_PYTHON:-python3}" - "$1" > "$WORK/namespaces.yaml" <<'PY'
import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d and d.get("kind") == "Namespace":
        print("---"); print(yaml.safe_dump(d))
PY
  if [ -s "$WORK/namespaces.yaml" ]; then kubectl apply --server-side -f "$WORK/namespaces.yaml" >/dev/null; fi
}
# 0: accepted without warnings; 1: refused or warned (the messages are in $WORK/err).
dry_run() {
  create_namespaces "$1"
  kubectl apply --server-side --dry-run=server --field-manager=lanyard-check -f "$1" >"$WORK/out" 2>"$WORK/err" \
    && ! grep -q 'Warning' "$WORK/err"
}
status=0
for manifest in "${manifests[@]}"; do
  if dry_run "$manifest"; then
    echo "kube-dry-run: $manifest: $(wc -l < "$WORK/out") objects accepted (server-side dry run)"
  else
    echo "kube-dry-run: FAIL: $manifest was refused or drew warnings:" >&2; cat "$WORK/err" >&2; status=1
  fi
done
for manifest in "${refused[@]}"; do
  if dry_run "$manifest"; then
    echo "kube-dry-run: FAIL: $manifest should have been refused, and was accepted" >&2; status=1
  else
    echo "kube-dry-run: $manifest refused, as it must be: $(grep -m1 -E 'Warning|Error|invalid' "$WORK/err")"
  fi
done
exit "$status"
