#!/usr/bin/env bash
# Auditor queries at 10 million audit rows: appends chained events to the dev stack's audit log, then times
# each query shape of GET /v1/audit/events through Lanyard and prints the plan PostgreSQL chose for it.
# The rows continue the live chain (bench/AuditLoad.java), so Lanyard keeps serving and auditing on top of them.
# The timings also go to bench/results/audit-queries-latest.txt (tab-separated), where bench/audit-throughput.sh
# reads the path-glob median for its table of targets.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/java-home.sh
ROWS="${ROWS:-10000000}"
PORT="${PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}"
command -v psql >/dev/null || { apt-get update -qq && apt-get install -y -qq postgresql-client >/dev/null; }

mkdir -p .cache
LANYARD_PORT="$PORT" scripts/run.sh > .cache/bench-queries-lanyard.log 2>&1 &
LANYARD_PID=$!
trap 'kill $LANYARD_PID 2>/dev/null; wait $LANYARD_PID 2>/dev/null || true' EXIT
for _ in $(seq "${READY_POLLS:-1200}"); do
  curl -sf "http://127.0.0.1:$PORT/q/health/ready" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -sf "http://127.0.0.1:$PORT/q/health/ready" >/dev/null || { echo "Lanyard did not become ready" >&2; exit 1; }
stack() { python3 -c "import json,sys; print(json.load(open('.cache/dev/stack.json'))[sys.argv[1]])" "$1"; }
PG_PORT=$(stack postgres_port)
PG_PASSWORD_FILE=$(stack postgres_superuser_password_file)
TOKEN=$(cat .cache/dev/demo-token)
export PGPASSWORD; PGPASSWORD=$(cat "$PG_PASSWORD_FILE")
PSQL=(psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d lanyard -v ON_ERROR_STOP=1 -Atq)

# A correctly chained continuation of the live log (bench/AuditLoad.java acts as one more replica), so Lanyard keeps
# chaining onto it and every query below is itself audited, as in production.
echo "Loading $ROWS chained audit events ..."
start=$(date +%s)
"$JAVA_HOME/bin/java" -cp "target/classes:$(cat target/dev-classpath.txt)" bench/AuditLoad.java \
  "jdbc:postgresql://127.0.0.1:$PG_PORT/lanyard" postgres "$PG_PASSWORD_FILE" "$ROWS" .cache/dev/audit-signing.key
echo "loaded in $(( $(date +%s) - start ))s; audit_event $("${PSQL[@]}" -c "select pg_size_pretty(pg_total_relation_size('audit_event'))"), audit_path_prefix $("${PSQL[@]}" -c "select pg_size_pretty(pg_total_relation_size('audit_path_prefix'))")"

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
RESULT=bench/results/audit-queries-latest.txt
{
  printf 'measured\t%s\n' "$(date -u +'%Y-%m-%d %H:%M UTC')"
  printf 'rows_loaded\t%s\n' "$ROWS"
  printf 'audit_event_rows\t%s\n' "$("${PSQL[@]}" -c "select count(*) from audit_event")"
  printf 'cpus\t%s\n' "$(nproc)"
} >.cache/audit-queries.partial
printf '\n%-55s %10s %10s\n' "query" "first(ms)" "median(ms)"
for q in "${queries[@]}"; do
  times=()
  for _ in 1 2 3 4 5; do
    read -r code t < <(curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H "Authorization: Bearer $TOKEN" \
      "http://127.0.0.1:$PORT/v1/audit/events?$q")
    [ "$code" = 200 ] || { echo "$q answered $code" >&2; exit 1; }
    times+=("$(python3 -c "print(round($t*1000,1))")")
  done
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
  printf '%-55s %10s %10s\n' "${q:0:55}" "${times[0]}" "$median"
  printf 'query\t%s\t%s\t%s\n' "$q" "${times[0]}" "$median" >>.cache/audit-queries.partial
done
mkdir -p bench/results && mv .cache/audit-queries.partial "$RESULT"
echo "timings written to $RESULT"
echo
echo "Plans (PostgreSQL EXPLAIN) for the same shapes:"
"${PSQL[@]}" -c "explain (costs off) select * from audit_event where seq is not null and subject = 'token:svc-42' order by seq limit 100"
"${PSQL[@]}" -c "explain (costs off) select * from audit_event where seq is not null and occurred_at >= '$FROM' and occurred_at < '$TO' order by seq limit 100"
"${PSQL[@]}" -c "explain (costs off) select * from audit_event where seq is not null and lease_hmac = '$SAMPLE_LEASE' order by seq limit 100"
"${PSQL[@]}" -c "explain (costs off) select * from audit_event where seq is not null and seq > 0 and backend = 'openbao' and seq in (select seq from audit_path_prefix where prefix = 'openbao/secret/team-7/') order by seq limit 100"
