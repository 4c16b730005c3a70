#!/usr/bin/env bash
# The pipeline's smoke test after a deploy: reaches Lanyard's Service through a kubectl port-forward and
# authenticates as a real ServiceAccount (a short-lived projected token with audience lanyard), then runs
# scripts/smoke-test.sh.
#
#   scripts/smoke-test-cluster.sh <lanyard-namespace> <caller-namespace> <caller-serviceaccount> <backend/path>
set -euo pipefail
cd "$(dirname "$0")/.."
namespace=${1:?}; caller_namespace=${2:?}; caller=${3:?}; secret=${4:?}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
token=$(mktemp)
kubectl -n "$namespace" port-forward svc/lanyard "$port:8200" >/dev/null &
forward=$!
trap 'kill "$forward" 2>/dev/null || true; rm -f "$token"' EXIT
kubectl -n "$caller_namespace" create token "$caller" --audience lanyard --duration 10m > "$token"
for _ in $(seq 1 30); do curl -s -o /dev/null "http://127.0.0.1:$port/q/health/live" && break; sleep 1; done
bash scripts/smoke-test.sh "http://127.0.0.1:$port" "$token" "$secret"
