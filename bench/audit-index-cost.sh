#!/usr/bin/env bash
# What each part of the audit table's layout costs an audited request: the dev stack under phase B's load (audited
# cache hits, wrk, 32 connections), measured as is, then again after taking away, cumulatively, the subtree filing
# (V8's audit_path_prefix trigger), the four single-filter indexes (operation, outcome, backend, request id), and the
# remaining filter indexes, down to the seq index the chain itself needs. Prints req/s and the CPU milliseconds per
# request of the Lanyard JVM and of PostgreSQL (from /proc/<pid>/stat) for each step.
#
# The steps change the dev stack's throwaway database as its superuser: never point this at a real one. Each step
# runs after the previous on a log that keeps growing, and the machine's noise is a few percent: read the
# differences between steps, and repeat before trusting a small one. WARMUP (60 s) lets the JIT settle first;
# DURATION (15 s) is each measured step.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WARMUP=${WARMUP:-60}
DURATION=${DURATION:-15}
. scripts/java-home.sh
for tool in wrk psql jq bc; do
  command -v "$tool" >/dev/null || { echo "audit-index-cost: $tool is needed" >&2; exit 2; }
done
. bench/dev-stack.sh
dev_stack_running && { echo "audit-index-cost: a dev stack is already running; stop it first" >&2; exit 2; }
trap dev_stack_stop EXIT
mkdir -p "$ROOT/.cache/bench"
dev_stack_start "$ROOT/.cache/bench/audit-index-cost-lanyard.log" || exit 1
POSTMASTER=$(head -n 1 "$DEV_STACK_DIR/postgres/postmaster.pid")
sql() { psql -X -q -A -t -h 127.0.0.1 -p "$PGPORT" -U postgres -d lanyard -v ON_ERROR_STOP=1 -c "$1"; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# The postmaster with the backends that exited (reaped into its cutime/cstime), plus every live backend.
postgres_ticks() {
  local total child
  total=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$POSTMASTER/stat")
  for child in $(ps -o pid= --ppid "$POSTMASTER"); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$child/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
URL="$LANYARD/v1/secrets/openbao/secret/demo/hello"
AUTH="Authorization: Bearer $(cat "$DEMO_TOKEN_FILE")"
HZ=$(getconf CLK_TCK)
echo "warming up for ${WARMUP}s" >&2
wrk -t1 -c32 -d"${WARMUP}s" -H "$AUTH" "$URL" >/dev/null

step() {
  local name=$1 lanyard0 postgres0 lanyard1 postgres1 report requests
  wrk -t1 -c32 -d5s -H "$AUTH" "$URL" >/dev/null
  lanyard0=$(ticks "$LANYARD_PID") postgres0=$(postgres_ticks)
  report=$(wrk -t1 -c32 -d"${DURATION}s" -H "$AUTH" "$URL")
  lanyard1=$(ticks "$LANYARD_PID") postgres1=$(postgres_ticks)
  requests=$(awk '/requests in/ {print $1}' <<<"$report")
  printf '%-44s %9s %12s %12s\n' "$name" "$(awk '/Requests\/sec/ {print $2}' <<<"$report")" \
    "$(echo "scale=3; ($lanyard1 - $lanyard0) * 1000 / $HZ / $requests" | bc)" \
    "$(echo "scale=3; ($postgres1 - $postgres0) * 1000 / $HZ / $requests" | bc)"
}

printf '%-44s %9s %12s %12s\n' "audit layout" "req/s" "Lanyard ms" "Postgres ms"
step "as shipped"
sql "alter table audit_event disable trigger audit_event_files_path_prefixes"
step "without the subtree filing (V8)"
sql "drop index audit_event_operation_seq; drop index audit_event_outcome_seq; drop index audit_event_backend_seq; drop index audit_event_request"
step "and without 4 single-filter indexes"
sql "drop index audit_event_subject_seq; drop index audit_event_path_seq; drop index audit_event_lease_seq; drop index audit_event_chained_time"
step "and without the other 4 (seq index only)"
