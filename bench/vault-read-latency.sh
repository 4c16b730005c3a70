#!/usr/bin/env bash
# Latency of a cached KV v2 read through the Vault-compatible API, beside the same read through the native route, in
# one run.
#
# Starts the dev stack (scripts/run.sh: embedded PostgreSQL, an OpenBao dev server, Lanyard with the Vault-compatible
# API on), then runs bench's VaultReadLatency, which reads secret/demo/hello alternately as
# GET /v1/secrets/openbao/secret/demo/hello and GET /vault/v1/secret/data/demo/hello, sequentially, and prints both
# p50s and their ratio. Both are answered from the broker's cache (static-ttl 10m here, so no read in the run reaches
# OpenBao) and each writes its audit row. Everything talks to 127.0.0.1 only; the stack is stopped at the end.
#
# Environment (all optional): BENCH_READS=2000, BENCH_WARMUP=500, BENCH_READY_TIMEOUT=180 (seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
READS=${BENCH_READS:-2000}
WARMUP=${BENCH_WARMUP:-500}
READY_TIMEOUT=${BENCH_READY_TIMEOUT:-180}
for var in READS WARMUP READY_TIMEOUT; do
  [[ ${!var} =~ ^[0-9]+$ ]] || { echo "bench: $var must be a whole number, got '${!var}'" >&2; exit 2; }
done
. scripts/java-home.sh
ROOT=$PWD
. bench/dev-stack.sh
LOG=$(mktemp)
trap 'dev_stack_stop; rm -f "$LOG"' EXIT
LANYARD_JAVA_OPTS="-Dlanyard.broker.static-ttl=10m ${LANYARD_JAVA_OPTS:-}" dev_stack_start "$LOG"
"$JAVA_HOME/bin/java" -Djava.util.logging.manager=org.jboss.logmanager.LogManager \
  -cp "target/test-classes:target/classes:$(cat target/dev-classpath.txt)" \
  dev.lanyard.bench.VaultReadLatency .cache/dev/stack.json "$READS" "$WARMUP"
