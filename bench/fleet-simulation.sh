#!/usr/bin/env bash
# Fleet simulation: what a fleet of clients reading 60 s secrets through Lanyard costs the backend, per second.
#
# For each mode, starts the dev stack (embedded PostgreSQL, OpenBao dev server, Lanyard with
# lanyard.broker.static-ttl=$FLEET_TTL) afresh, seeds FLEET_SCOPES KV v2 secrets under secret/demo/fleet/ in
# OpenBao, and runs bench/FleetSimulation.java: FLEET_CLIENTS clients, client i reading secret i mod FLEET_SCOPES,
# at most FLEET_CONCURRENCY requests in flight, each coming back for its secret at the answer's
#   refresh-after  refresh_after (what Lanyard asks of its clients), or
#   expiry         expires_at (a client that keeps a value until it expires).
# Backend reads per second are counted at OpenBao, from its audit log, and cross-checked against Lanyard's
# lanyard_backend_call_seconds_count. bench/plot_fleet.py draws both modes into one PNG. See bench/README.md.
# Everything talks to 127.0.0.1 only.
#
# Environment (all optional):
#   FLEET_CLIENTS=10000      simulated clients
#   FLEET_SCOPES=500         distinct secrets they read (Lanyard caches each once for all its readers)
#   FLEET_DURATION=300       seconds each mode runs
#   FLEET_TTL=60s            Lanyard's static-ttl: what expires_at is, and refresh_after a share of
#   FLEET_CONCURRENCY=64     requests in flight at most, over the whole fleet
#   FLEET_START=burst        burst: every client's first request is due in the first second (a rollout);
#                            spread: first requests spread evenly over FLEET_TTL
#   FLEET_MODES="refresh-after expiry"
#   FLEET_OUT=DIR            per-second CSVs, summary, plot and logs (default .cache/bench/fleet-<timestamp>)
#   FLEET_READY_TIMEOUT=120  seconds to wait for /q/health/ready
#   LANYARD_JAVA_OPTS        extra JVM options for Lanyard, for example -Dlanyard.broker.refresh-jitter=0.3
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

CLIENTS=${FLEET_CLIENTS:-10000}
SCOPES=${FLEET_SCOPES:-500}
DURATION=${FLEET_DURATION:-300}
TTL=${FLEET_TTL:-60s}
CONCURRENCY=${FLEET_CONCURRENCY:-64}
START=${FLEET_START:-burst}
MODES=${FLEET_MODES:-refresh-after expiry}
READY_TIMEOUT=${FLEET_READY_TIMEOUT:-120}
OUT=${FLEET_OUT:-$ROOT/.cache/bench/fleet-$(date -u +%Y%m%dT%H%M%SZ)}
MATPLOTLIB_VERSION=3.11.2   # the dashboard snapshot's pin, in the same venv

say() { echo "bench: $*" >&2; }
die() { say "$*"; exit 2; }

for var in CLIENTS SCOPES DURATION CONCURRENCY READY_TIMEOUT; do
  [[ ${!var} =~ ^[1-9][0-9]*$ ]] || die "FLEET_$var must be a whole number >= 1, got '${!var}'"
done
[[ $TTL =~ ^[1-9][0-9]*s$ ]] || die "FLEET_TTL must be whole seconds such as 60s, got '$TTL'"
[[ $START =~ ^(burst|spread)$ ]] || die "FLEET_START must be burst or spread, got '$START'"
for mode in $MODES; do
  [[ $mode =~ ^(refresh-after|expiry)$ ]] || die "FLEET_MODES takes refresh-after and expiry, got '$mode'"
done
for tool in jq curl python3; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is needed"
done

. scripts/java-home.sh
. scripts/peers.sh
lanyard_install_peers >/dev/null || die "OpenBao could not be installed (. scripts/peers.sh; lanyard_install_peers)"
if [ ! -x .cache/venv-dashboard/bin/python ] \
   || ! .cache/venv-dashboard/bin/python -c "import matplotlib, sys; sys.exit(matplotlib.__version__ != '$MATPLOTLIB_VERSION')" 2>/dev/null; then
  say "installing matplotlib $MATPLOTLIB_VERSION into .cache/venv-dashboard"
  [ -x .cache/venv-dashboard/bin/pip ] || python3 -m venv .cache/venv-dashboard
  .cache/venv-dashboard/bin/pip install -q --disable-pip-version-check "matplotlib==$MATPLOTLIB_VERSION" >&2 \
    || die "could not install matplotlib==$MATPLOTLIB_VERSION"
fi
# Build now, as scripts/run.sh would, so the readiness timeout does not include a Maven build.
if [ ! -f target/quarkus-app/quarkus-run.jar ] || [ -n "$(find src pom.xml -newer target/quarkus-app/quarkus-run.jar -print -quit)" ]; then
  say "building Lanyard (./mvnw package -DskipTests)"
  ./mvnw -B -ntp -q package -DskipTests >&2
fi

. bench/dev-stack.sh
dev_stack_running && die "a dev stack is already running from $DEV_STACK_DIR; stop it (scripts/run.sh) first"
trap dev_stack_stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$OUT"
rm -f "$OUT/summary.csv"
EXTRA_OPTS=${LANYARD_JAVA_OPTS:-}
export LANYARD_JAVA_OPTS="-Dlanyard.broker.static-ttl=$TTL $EXTRA_OPTS"
for mode in $MODES; do
  dev_stack_start "$OUT/lanyard-$mode.log" || exit 1
  # The configured lifetime is in force: a read answers ttl = TTL (less the second it may have rounded down).
  ttl=$(curl -sf --max-time 10 -H "Authorization: Bearer $(cat "$DEMO_TOKEN_FILE")" \
    "$LANYARD/v1/secrets/openbao/secret/demo/hello" | jq '.ttl') || die "the demo secret could not be read through Lanyard"
  if [ "$ttl" -lt $((${TTL%s} - 1)) ] || [ "$ttl" -gt "${TTL%s}" ]; then
    die "Lanyard answered ttl $ttl, not the $TTL asked for"
  fi
  FLEET_OPENBAO=$OPENBAO FLEET_OPENBAO_TOKEN_FILE=$OPENBAO_TOKEN_FILE FLEET_SCOPES=$SCOPES \
    "$JAVA_HOME/bin/java" bench/FleetSimulation.java seed >&2
  say "running the fleet: $mode"
  FLEET_LANYARD=$LANYARD FLEET_TOKEN_FILE=$DEMO_TOKEN_FILE FLEET_CLIENTS=$CLIENTS FLEET_SCOPES=$SCOPES \
    FLEET_DURATION=$DURATION FLEET_TTL=$TTL FLEET_CONCURRENCY=$CONCURRENCY FLEET_START=$START \
    FLEET_CSV=$OUT/fleet-$mode.csv FLEET_BACKEND_AUDIT=$OPENBAO_AUDIT FLEET_SUMMARY=$OUT/summary.csv \
    "$JAVA_HOME/bin/java" bench/FleetSimulation.java run "$mode" | tee "$OUT/fleet-$mode.txt"
  dev_stack_stop
done

.cache/venv-dashboard/bin/python bench/plot_fleet.py "$OUT/summary.csv" "$OUT/fleet-simulation.png" "$EXTRA_OPTS"
echo "per-second CSVs, summary.csv and fleet-simulation.png: $OUT"
