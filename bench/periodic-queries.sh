#!/usr/bin/env bash
# The queries every replica runs on a timer, at 10,000 rotation schedules and 10 million lease rows: loads the dev
# stack's database with them (plus each schedule's run history), then measures what the periodic work costs while
# Lanyard is otherwise idle (CPU seconds of the Lanyard JVM and of PostgreSQL per minute), and prints
# EXPLAIN (ANALYZE, BUFFERS) of each periodic query in the shape the running build issues it. Last, it runs the
# schema owner's retention job (`java -jar quarkus-run.jar retention`) on the loaded tables and times it.
#
#   bench/periodic-queries.sh                                  # this checkout's build
#   LANYARD_APP_JAR=/elsewhere/quarkus-run.jar bench/periodic-queries.sh   # another build, e.g. the one before
#
# The shapes follow the schema the build migrated to: before V12 the worker read every schedule each poll (and
# the retention job did not exist); from V12 it reads only the schedules PostgreSQL announced as changed. The output
# also goes to bench/results/periodic-queries-<schema version>.txt. Knobs: SCHEDULES (10000), LEASES (10000000),
# RUNS_PER_SCHEDULE (50), IDLE (60 s of idle measured), SETTLE (30 s after loading before measuring),
# RETENTION_TIMEOUT (how long the retention job may run before it is cut off; none by default: a job cut off keeps
# the batches it committed, which the row counts after it show).
#
# It writes into the dev stack's throwaway database as its superuser: never point it at a real one. Loading takes
# a few minutes on two cores; the database grows by about 3 GB.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SCHEDULES=${SCHEDULES:-10000}
LEASES=${LEASES:-10000000}
RUNS_PER_SCHEDULE=${RUNS_PER_SCHEDULE:-50}
IDLE=${IDLE:-60}
SETTLE=${SETTLE:-30}
RETENTION_TIMEOUT=${RETENTION_TIMEOUT:-0}
export READY_TIMEOUT=${READY_TIMEOUT:-300}
. scripts/java-home.sh
for tool in psql jq bc; do
  command -v "$tool" >/dev/null || { echo "periodic-queries: $tool is needed" >&2; exit 2; }
done
. bench/dev-stack.sh
dev_stack_running && { echo "periodic-queries: a dev stack is already running; stop it first" >&2; exit 2; }
trap dev_stack_stop EXIT
mkdir -p "$ROOT/.cache/bench" "$ROOT/bench/results"
dev_stack_start "$ROOT/.cache/bench/periodic-queries-lanyard.log" || exit 1
JAR=${LANYARD_APP_JAR:-target/quarkus-app/quarkus-run.jar}
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
HZ=$(getconf CLK_TCK)
VERSION=$(sql "select max(version::int) from flyway_schema_history where success")
RESULT=$ROOT/bench/results/periodic-queries-v$VERSION.txt
exec > >(tee "$RESULT") 2>&1
echo "periodic-queries: $(date -u +'%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "build: $JAR (schema version $VERSION), PostgreSQL $(sql 'show server_version')"

# --- load ----------------------------------------------------------------------------------------------------------
echo
echo "loading $SCHEDULES schedules with $RUNS_PER_SCHEDULE finished runs each (4 steps a run), and $LEASES lease rows"
start=$SECONDS
# Schedules: half rate(30 days), half five-field cron; none due for days, so the engine starts no run while measured.
sql "insert into rotation_schedule (id, backend, path, strategy, parameters, expression, window_seconds, jitter_seconds,
       paused, next_run_at, window_ends_at, last_run_id, last_outcome, last_finished_at, last_success_at, created_by,
       created_at, updated_at)
     select 'bench-' || s, 'local', 'bench/secret-' || s, 'random', '{}'::jsonb,
            case when s % 2 = 0 then 'rate(30 days)' else (s % 60) || ' ' || (s % 24) || ' * * ' || (s % 7) end,
            3600, 0, false, now() + (s % 30 + 1) * interval '1 day', now() + (s % 30 + 1) * interval '1 day' + interval '1 hour',
            'bench-' || s || '-' || $RUNS_PER_SCHEDULE, 'succeeded', now() - interval '1 day', now() - interval '1 day',
            'bench', now() - interval '5 years', now() - interval '1 day'
     from generate_series(1, $SCHEDULES) s"
# Runs, one every 30 days back from yesterday; the newest is each schedule's last run.
sql "insert into rotation_run (id, schedule_id, backend, path, strategy, parameters, token, triggered_by, state, step,
       attempt, tested_at, not_before, step_since, created_at, finished_at)
     select 'bench-' || s || '-' || r, 'bench-' || s, 'local', 'bench/secret-' || s, 'random', '{}'::jsonb,
            'bench-token-' || s || '-' || r, 'schedule', 'succeeded', 'done', 0, t + interval '1 minute', t,
            t + interval '1 minute', t, t + interval '2 minutes'
     from generate_series(1, $SCHEDULES) s, generate_series(1, $RUNS_PER_SCHEDULE) r,
          lateral (select now() - interval '1 day' - ($RUNS_PER_SCHEDULE - r) * interval '30 days' as t) ts"
sql "insert into rotation_step (run_id, step, attempt, replica, started_at, ended_at, outcome)
     select r.id, st.step, 0, 'bench', r.created_at + st.n * interval '10 seconds',
            r.created_at + (st.n + 1) * interval '10 seconds', 'success'
     from rotation_run r, (values (0, 'create'), (1, 'set'), (2, 'test'), (3, 'finish')) st(n, step)
     where r.id like 'bench-%'"
# Five runs stuck for an operator, so the stuck count has something to count.
sql "insert into rotation_run (id, schedule_id, backend, path, strategy, parameters, token, triggered_by, state, step,
       attempt, not_before, step_since, created_at)
     select 'bench-stuck-' || s, 'bench-' || s, 'local', 'bench/secret-' || s, 'random', '{}'::jsonb,
            'bench-stuck-token-' || s, 'schedule', 'stuck', 'set', 0, now() - interval '2 hours', now() - interval '1 hour',
            now() - interval '2 hours'
     from generate_series(1, 5) s"
echo "  rotation tables loaded in $((SECONDS - start)) s"
# Leases: all but 11,000 expired, over the last 90 days (1 h each), one in ten revoked early; then 10,000 live ones
# (20 identities at the default cap of 100, 30 near it with 85, the rest spread thin) and 1,000 revoked but unexpired.
dead=$((LEASES - 11000))
chunk=1000000
for ((from = 1; from <= dead; from += chunk)); do
  to=$((from + chunk - 1)); [ "$to" -gt "$dead" ] && to=$dead
  sql "insert into lease (fingerprint, owner, backend, path, issued_at, expires_at, revoked_at)
       select 'bench-' || i, 'token:bench-' || (i % 2000), 'openbao', 'database/creds/app', t, t + interval '1 hour',
              case when i % 10 = 0 then t + interval '10 minutes' end
       from generate_series($from, $to) i,
            lateral (select now() - interval '90 days' + (i::float8 / $dead) * (interval '90 days' - interval '2 hours') as t) ts"
done
sql "insert into lease (fingerprint, owner, backend, path, issued_at, expires_at, revoked_at)
     select 'bench-live-' || i,
            case when i <= 2000 then 'token:bench-cap-' || (i % 20)
                 when i <= 4550 then 'token:bench-near-' || (i % 30)
                 else 'token:bench-' || (i % 2000) end,
            'openbao', 'database/creds/app', now() - interval '10 minutes', now() + interval '6 hours',
            case when i > 10000 then now() - interval '5 minutes' end
     from generate_series(1, 11000) i"
sql "vacuum analyze lease" >/dev/null
sql "vacuum analyze rotation_schedule" >/dev/null
sql "vacuum analyze rotation_run" >/dev/null
sql "vacuum analyze rotation_step" >/dev/null
echo "  loaded in $((SECONDS - start)) s:"
for table in rotation_schedule rotation_run rotation_step lease; do
  printf '    %-18s %10s rows %10s\n' "$table" "$(sql "select count(*) from $table")" \
    "$(sql "select pg_size_pretty(pg_total_relation_size('$table'))")"
done

# --- the periodic work, idle ---------------------------------------------------------------------------------------
echo
echo "settling for ${SETTLE}s, then measuring ${IDLE}s with no request: only the timers run"
sleep "$SETTLE"
lanyard0=$(ticks "$LANYARD_PID") postgres0=$(postgres_ticks)
sleep "$IDLE"
lanyard1=$(ticks "$LANYARD_PID") postgres1=$(postgres_ticks)
printf '  CPU per minute idle: Lanyard JVM %s s, PostgreSQL %s s\n' \
  "$(echo "scale=2; ($lanyard1 - $lanyard0) / $HZ * 60 / $IDLE" | bc)" \
  "$(echo "scale=2; ($postgres1 - $postgres0) / $HZ * 60 / $IDLE" | bc)"

# --- the plans -------------------------------------------------------------------------------------------------------
NOW=$(sql "select now()")
NEAR=80 CAP=100
explain() { # title, statement: writes roll back
  echo
  echo "=== $1"
  echo "$2" | sed 's/^/    /'
  psql -X -q -h 127.0.0.1 -p "$PGPORT" -U postgres -d lanyard -v ON_ERROR_STOP=1 -P pager=off \
    -c "begin" -c "explain (analyze, buffers, timing) $2" -c "rollback"
}
echo
echo "Plans at '$NOW' (bound parameters written in as literals: PostgreSQL plans each execution with its values)."
explain "rotation worker, every poll (1 s): mark runs stuck (RotationStore.markStuck)" \
  "update rotation_run set state = 'stuck', claimed_by = null, claim_expires_at = null
where state = 'running' and step_since < timestamptz '$NOW' - interval '30 minutes' returning *"
explain "rotation worker, every poll: start a due schedule (RotationStore.startDue)" \
  "select * from rotation_schedule s where not paused and next_run_at <= timestamptz '$NOW' and not exists
(select 1 from rotation_run r where r.backend = s.backend and r.path = s.path and r.state in ('running', 'stuck'))
order by next_run_at limit 1 for update skip locked"
explain "rotation worker, every poll: claim a run (RotationStore.claim)" \
  "update rotation_run set claimed_by = 'bench', claim_expires_at = timestamptz '$NOW' + interval '90 seconds'
where id = (select id from rotation_run where state = 'running' and not_before <= timestamptz '$NOW'
and (claimed_by is null or claim_expires_at < timestamptz '$NOW') order by not_before limit 1 for update skip locked)
returning *"
explain "rotation worker, every poll: count stuck runs (RotationStore.countStuck)" \
  "select count(*) as n from rotation_run where state = 'stuck'"
if [ "$VERSION" -lt 12 ]; then
  explain "rotation worker, every poll: every schedule for the per-schedule gauges (RotationStore.schedules)" \
    "select * from rotation_schedule order by backend, path"
else
  explain "rotation worker, a poll after PostgreSQL announced changed schedules (RotationStore.schedules(ids)); none: no query" \
    "select * from rotation_schedule where id = any(array['bench-4242', 'bench-4243'])"
fi
for threshold in "$NEAR" "$CAP"; do
  explain "lease gauges, every 30 s: identities holding >= $threshold live leases (DatabaseLeaseStore.ownersHoldingAtLeast)" \
    "select l1_0.owner from lease l1_0 where l1_0.revoked_at is null and l1_0.expires_at > timestamptz '$NOW'
group by l1_0.owner having count(*) >= $threshold"
done
explain "per issue, for comparison: the cap check's count of one identity's live leases (DatabaseLeaseStore.reserve)" \
  "select count(*) from lease l1_0 where l1_0.owner = 'token:bench-cap-7' and l1_0.revoked_at is null
and l1_0.expires_at > timestamptz '$NOW'"

# --- retention -------------------------------------------------------------------------------------------------------
if [ "$VERSION" -ge 12 ]; then
  echo
  echo "=== the schema owner's retention job on these tables (defaults: leases dead 7 days, runs finished 90 days)"
  start=$SECONDS
  timeout "$RETENTION_TIMEOUT" "$JAVA_HOME/bin/java" -Dlanyard.owner.jdbc-url="jdbc:postgresql://127.0.0.1:$PGPORT/lanyard" \
    -Dlanyard.owner.username=lanyard_owner -Dlanyard.owner.password="file:$DEV_STACK_DIR/owner-password" \
    -jar "$JAR" retention || echo "  the job was cut off after ${RETENTION_TIMEOUT} s (RETENTION_TIMEOUT), or failed"
  echo "  took $((SECONDS - start)) s; left:"
  for table in rotation_run rotation_step lease; do
    printf '    %-18s %10s rows\n' "$table" "$(sql "select count(*) from $table")"
  done
  sql "vacuum analyze lease" >/dev/null
  explain "lease gauges after retention: identities holding >= $CAP live leases" \
    "select l1_0.owner from lease l1_0 where l1_0.revoked_at is null and l1_0.expires_at > timestamptz '$NOW'
group by l1_0.owner having count(*) >= $CAP"
fi
echo
echo "written to $RESULT"
