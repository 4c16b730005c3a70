#!/usr/bin/env bash
# Latency of an uncached AWS Secrets Manager read through Lanyard, beside a direct SDK read, in one run.
#
# Starts the dev stack (scripts/run.sh: embedded PostgreSQL, moto, Lanyard) with the broker's cache and the AWS
# backend's version check out of the way (every read is a GetSecretValue at moto, an audit row and the HTTP hop),
# then runs bench's AwsReadLatency, which interleaves a direct SDK GetSecretValue and a read through Lanyard of the
# same secret and prints both p50s and their ratio. Everything talks to 127.0.0.1 only; the stack is stopped at the end.
#
# Environment (all optional): BENCH_READS=300, BENCH_WARMUP=50, BENCH_READY_TIMEOUT=180 (seconds), LANYARD_PORT.
set -euo pipefail
cd "$(dirname "$0")/.."
READS=${BENCH_READS:-300}
WARMUP=${BENCH_WARMUP:-50}
READY_TIMEOUT=${BENCH_READY_TIMEOUT:-180}
PORT=${LANYARD_PORT:-8211}
for var in READS WARMUP READY_TIMEOUT PORT; do
  [[ ${!var} =~ ^[0-9]+$ ]] || { echo "bench: $var must be a whole number, got '${!var}'" >&2; exit 2; }
done
. scripts/java-home.sh
. scripts/peers.sh
lanyard_install_moto >/dev/null || { echo "bench: moto could not be installed" >&2; exit 2; }

LOG=$(mktemp)
LANYARD_PORT=$PORT LANYARD_JAVA_OPTS="-Dlanyard.broker.static-ttl=1ms -Dlanyard.aws.aws.version-check-entries=0 ${LANYARD_JAVA_OPTS:-}" \
  scripts/run.sh >"$LOG" 2>&1 &
LANYARD_PID=$!
stop() {
  kill -TERM "$LANYARD_PID" 2>/dev/null || true
  wait "$LANYARD_PID" 2>/dev/null || true
  rm -f "$LOG"
}
trap stop EXIT

for ((i = 0; i < READY_TIMEOUT; i++)); do
  if curl -fs "http://127.0.0.1:$PORT/q/health/ready" >/dev/null 2>&1; then break; fi
  kill -0 "$LANYARD_PID" 2>/dev/null || { echo "bench: Lanyard exited; its log:" >&2; cat "$LOG" >&2; exit 1; }
  sleep 1
done
curl -fs "http://127.0.0.1:$PORT/q/health/ready" >/dev/null || { echo "bench: Lanyard not ready in ${READY_TIMEOUT}s" >&2; exit 1; }
grep -q '"moto_endpoint"' .cache/dev/stack.json || { echo "bench: the dev stack runs without moto" >&2; exit 1; }

"$JAVA_HOME/bin/java" -Djava.util.logging.manager=org.jboss.logmanager.LogManager -cp "target/test-classes:target/classes:$(cat target/dev-classpath.txt)" \
  dev.lanyard.bench.AwsReadLatency .cache/dev/stack.json "$READS" "$WARMUP"
