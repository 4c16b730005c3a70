#!/usr/bin/env bash
# Runs Lanyard on the embedded defaults: embedded PostgreSQL, an OpenBao dev server (installed into
# .cache/venv when Python is available, else the built-in encrypted local store), a demo token and policy.
# Prints the curl that fetches a credential. Ctrl-C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/java-home.sh
. scripts/peers.sh
if lanyard_install_peers >/dev/null 2>&1; then
  export LANYARD_BAO="$LANYARD_VENV/bin/bao"
else
  echo "OpenBao could not be installed; using the built-in local store." >&2
fi
if [ ! -f target/quarkus-app/quarkus-run.jar ] || [ -n "$(find src pom.xml -newer target/quarkus-app/quarkus-run.jar -print -quit)" ]; then
  ./mvnw -B -ntp -q package -DskipTests
fi
export LANYARD_DEV_STACK=true
exec "$JAVA_HOME/bin/java" ${LANYARD_JAVA_OPTS:-} -jar target/quarkus-app/quarkus-run.jar "$@"
