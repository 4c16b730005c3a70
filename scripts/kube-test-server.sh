# shellcheck shell=bash
# Sourced: a real etcd and kube-apiserver on loopback ports, in a folder of the caller's, for checks that need an API
# server but no cluster (scripts/kube-dry-run.sh, the kube blocks of scripts/doc-tests.py). Uses the binaries that
# scripts/kube-peers.sh builds into ${XDG_CACHE_HOME:-$HOME/.cache}/lanyard/kube/<version>/ (LANYARD_KUBE_BIN
# overrides the folder).
#
#   kube_test_server_binaries     0 when etcd, kube-apiserver and kubectl are there, else 3 with a message
#   kube_test_server_start WORK   starts both in WORK (fresh); writes WORK/kubeconfig (system:masters by token);
#                                 sets KUBE_TEST_SERVER_PIDS and KUBE_TEST_API_PORT; returns once /readyz answers
#   kube_test_server_stop         stops what kube_test_server_start started
KUBE_VERSION=1.34.4
KUBE_BIN="${LANYARD_KUBE_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/lanyard/kube/$KUBE_VERSION/k8s/$KUBE_VERSION-linux-amd64}"
KUBE_TEST_SERVER_PIDS=()

kube_test_server_binaries() {
  local binary
  for binary in kube-apiserver etcd kubectl; do
    [ -x "$KUBE_BIN/$binary" ] || { echo "kube-test-server: no $binary in $KUBE_BIN" >&2; return 3; }
  done
}

kube_test_server_free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

kube_test_server_start() {
  local work=$1 etcd_port etcd_peer_port token started
  kube_test_server_binaries || return $?
  mkdir -p "$work"
  etcd_port=$(kube_test_server_free_port); etcd_peer_port=$(kube_test_server_free_port)
  KUBE_TEST_API_PORT=$(kube_test_server_free_port)
  "$KUBE_BIN/etcd" --data-dir "$work/etcd" --listen-client-urls "http://127.0.0.1:$etcd_port" \
    --advertise-client-urls "http://127.0.0.1:$etcd_port" --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" \
    --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster "default=http://127.0.0.1:$etcd_peer_port" --unsafe-no-fsync >"$work/etcd.log" 2>&1 &
  KUBE_TEST_SERVER_PIDS+=($!)
  openssl genrsa -out "$work/sa.key" 2048 2>/dev/null
  openssl rsa -in "$work/sa.key" -pubout -out "$work/sa.pub" 2>/dev/null
  token=$(openssl rand -hex 24)
  (umask 077; echo "$token,admin,admin,system:masters" > "$work/tokens.csv")
  "$KUBE_BIN/kube-apiserver" --etcd-servers "http://127.0.0.1:$etcd_port" --bind-address 127.0.0.1 \
    --advertise-address 127.0.0.1 --secure-port "$KUBE_TEST_API_PORT" --cert-dir "$work/certs" \
    --token-auth-file "$work/tokens.csv" --authorization-mode RBAC \
    --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$work/sa.pub" \
    --service-account-signing-key-file "$work/sa.key" --service-cluster-ip-range 10.96.0.0/24 \
    --disable-admission-plugins ServiceAccount --enable-priority-and-fairness=false >"$work/apiserver.log" 2>&1 &
  KUBE_TEST_SERVER_PIDS+=($!)
  (umask 077; cat > "$work/kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters: [{name: test, cluster: {server: "https://127.0.0.1:$KUBE_TEST_API_PORT", insecure-skip-tls-verify: true}}]
users: [{name: admin, user: {token: "$token"}}]
contexts: [{name: test, context: {cluster: test, user: admin}}]
current-context: test
KUBECONFIG
)
  started=$(date +%s)
  until "$KUBE_BIN/kubectl" --kubeconfig "$work/kubeconfig" get --raw /readyz >/dev/null 2>&1; do
    if [ $(( $(date +%s) - started )) -gt 60 ]; then
      echo "kube-test-server: kube-apiserver not ready within 60 s; last lines of its log:" >&2
      tail -20 "$work/apiserver.log" >&2
      return 1
    fi
    sleep 0.5
  done
  echo "kube-test-server: kube-apiserver $KUBE_VERSION ready in $(( $(date +%s) - started ))s on 127.0.0.1:$KUBE_TEST_API_PORT"
}

# The API server first: one whose etcd is gone first waits about a minute before it exits.
kube_test_server_stop() {
  local i pid
  for ((i = ${#KUBE_TEST_SERVER_PIDS[@]} - 1; i >= 0; i--)); do
    pid=${KUBE_TEST_SERVER_PIDS[i]}
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  KUBE_TEST_SERVER_PIDS=()
}
