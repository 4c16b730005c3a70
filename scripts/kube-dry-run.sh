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
KUBE_VERSION=1.34.4
KUBE_BIN="${LANYARD_KUBE_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/lanyard/kube/$KUBE_VERSION/k8s/$KUBE_VERSION-linux-amd64}"
for binary in kube-apiserver etcd kubectl; do
  [ -x "$KUBE_BIN/$binary" ] || { echo "kube-dry-run: no $binary in $KUBE_BIN" >&2; exit 3; }
done
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
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

ETCD_PORT=$(free_port); ETCD_PEER_PORT=$(free_port); API_PORT=$(free_port)
"$KUBE_BIN/etcd" --data-dir "$WORK/etcd" --listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "default=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync >"$WORK/etcd.log" 2>&1 &
pids+=($!)
openssl genrsa -out "$WORK/sa.key" 2048 2>/dev/null
openssl rsa -in "$WORK/sa.key" -pubout -out "$WORK/sa.pub" 2>/dev/null
TOKEN=$(openssl rand -hex 24)
echo "$TOKEN,admin,admin,system:masters" > "$WORK/tokens.csv"
"$KUBE_BIN/kube-apiserver" --etcd-servers "http://127.0.0.1:$ETCD_PORT" --bind-address 127.0.0.1 \
  --advertise-address 127.0.0.1 --secure-port "$API_PORT" --cert-dir "$WORK/certs" \
  --token-auth-file "$WORK/tokens.csv" --authorization-mode RBAC \
  --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$WORK/sa.pub" \
  --service-account-signing-key-file "$WORK/sa.key" --service-cluster-ip-range 10.96.0.0/24 \
  --disable-admission-plugins ServiceAccount --enable-priority-and-fairness=false >"$WORK/apiserver.log" 2>&1 &
pids+=($!)
cat > "$WORK/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: test, cluster: {server: "https://127.0.0.1:$API_PORT", insecure-skip-tls-verify: true}}]
users: [{name: admin, user: {token: "$TOKEN"}}]
contexts: [{name: test, context: {cluster: test, user: admin}}]
current-context: test
EOF
kubectl() { "$KUBE_BIN/kubectl" --kubeconfig "$WORK/kubeconfig" "$@"; }
started=$(date +%s)
until kubectl get --raw /readyz >/dev/null 2>&1; do
  if [ $(( $(date +%s) - started )) -gt 60 ]; then tail -20 "$WORK/apiserver.log" >&2; exit 1; fi
  sleep 0.5
done
echo "kube-dry-run: kube-apiserver $KUBE_VERSION ready in $(( $(date +%s) - started ))s on 127.0.0.1:$API_PORT"

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
