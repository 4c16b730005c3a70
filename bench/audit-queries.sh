#!/usr/bin/env bash
# Auditor queries at 10 million audit rows: loads synthetic rows into the dev stack's PostgreSQL, then times
# each query shape of GET /v1/audit/events through Lanyard and prints the plan PostgreSQL chose for it.
# The synthetic rows are not a valid chain (hashes are random): this measures queries, not verification.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS="${ROWS:-10000000}"
PORT="${PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}"
command -v psql >/dev/null || { apt-get update -qq && apt-get install -y -qq postgresql-client >/dev/null; }

QUARKUS_HTTP_PORT="$PORT" scripts/run.sh > .cache/bench-queries-lanyard.log 2>&1 &
LANYARD_PID=$!
trap 'kill $LANYARD_PID 2>/dev/null; wait $LANYARD_PID 2>/dev/null || true' EXIT
for _ in $(seq 240); do
  curl -sf "http://127.0.0.1:$PORT/q/health/ready" >/dev/null 2>&1 && break
  sleep 0.5
done
PG_PORT=$(python3 -c 'import json; print(json.load(open(".cache/dev/stack.json"))["postgres_port"])')
TOKEN=$(cat .cache/dev/demo-token)
PSQL=(psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d lanyard -v ON_ERROR_STOP=1 -Atq)

echo "Loading $ROWS synthetic audit rows ..."
start=$(date +%s)
"${PSQL[@]}" <<SQL
insert into audit_event (seq, hash, occurred_at, request_id, subject, operation, backend, path, version, lease_hmac, outcome, status)
select 1000000000 + g,
       sha256(g::text::bytea),
       now() - interval '30 days' + (g * interval '30 days' / $ROWS),
       'bench-' || g,
       'token:svc-' || (g % 1000),
       (array['read','issue','renew','revoke'])[1 + g % 4],
       (array['openbao','local'])[1 + g % 2],
       'secret/team-' || (g % 100) || '/app-' || (g % 10000),
       (g % 5)::text,
       case when g % 4 = 1 then encode(sha256(('lease' || (g / 4))::bytea), 'hex') end,
       (array['success','success','success','denied','not_found'])[1 + g % 5],
       200
from generate_series(1, $ROWS) g;
analyze audit_event;
SQL
echo "loaded in $(( $(date +%s) - start ))s; table size: $("${PSQL[@]}" -c "select pg_size_pretty(pg_total_relation_size('audit_event'))")"

SAMPLE_LEASE=$("${PSQL[@]}" -c "select lease_hmac from audit_event where lease_hmac is not null and seq > 1005000000 limit 1")
FROM=$(date -u -d '10 days ago' +%Y-%m-%dT%H:%M:%SZ)
TO=$(date -u -d '9 days ago' +%Y-%m-%dT%H:%M:%SZ)
queries=(
  "subject=token:svc-42&limit=100"
  "subject=token:svc-42&outcome=denied&limit=100"
  "path=openbao/secret/team-7/**&limit=100"
  "from=$FROM&to=$TO&limit=100"
  "request_id=bench-7777777"
  "operation=revoke&limit=1000"
)
printf '\n%-55s %10s %10s\n' "query" "first(ms)" "median(ms)"
for q in "${queries[@]}"; do
  times=()
  for _ in 1 2 3 4 5; do
    t=$(curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/v1/audit/events?$q")
    times+=("$(python3 -c "print(round($t*1000,1))")")
  done
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
  printf '%-55s %10s %10s\n' "${q:0:55}" "${times[0]}" "$median"
done
echo
echo "Plans (PostgreSQL EXPLAIN) for the same shapes:"
"${PSQL[@]}" -c "explain (costs off) select * from audit_event where seq is not null and subject = 'token:svc-42' order by seq limit 100"
"${PSQL[@]}" -c "explain (costs off) select * from audit_event where seq is not null and occurred_at >= '$FROM' and occurred_at < '$TO' order by seq limit 100"
"${PSQL[@]}" -c "explain (costs off) select * from audit_event where seq is not null and lease_hmac = '$SAMPLE_LEASE' order by seq limit 100"
