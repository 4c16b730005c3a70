#!/usr/bin/env bash
# Hot-path benchmark (issue 12's target table): what an audited answer from Lanyard costs beside a direct OpenBao read,
# measured side by side in one run, with two load generators (wrk, a C program, and vegeta, a Go one).
#
# Starts the dev stack (embedded PostgreSQL, OpenBao dev server, Lanyard) with lanyard.audit.mode=group-commit and
# measures, each with wrk and with vegeta, closed loop at the same concurrency:
#   A   direct OpenBao KV v2 read of secret/demo/hello
#   B   the same secret through Lanyard (cache hit, audited)
#   D   an audited cached credential: POST /v1/creds/openbao/database/creds/demo, same caller (the lease is cached)
# then B/2, B at a constant rate of half B's peak (vegeta), and, on a second stack with per-request audit, C
# (vegeta; BENCH_SKIP_PER_REQUEST=1 skips it). For every measured run it reads the CPU that OpenBao, the Lanyard JVM
# and its PostgreSQL accounted for (/proc/<pid>/stat) and samples Lanyard's RSS.
# Figures are printed only when every Lanyard phase wrote one audit row per 2xx response (wrk: see the tolerance
# below) and the audit chain verifies after each stack; otherwise the failed checks are named and the exit status
# is 1 (2: could not run). Targets are reported, never enforced. See bench/README.md. Loopback only.
#
# Environment (all optional):
#   BENCH_DURATION=15        seconds of each measured run
#   BENCH_WARMUP=3           seconds of warm-up before each measured run (not counted; 0 skips it)
#   BENCH_JIT_WARMUP=120     most seconds of JIT warm-up per stack: 5 s rounds of load on each Lanyard target until
#                            the JIT compiler takes under 5 % of the JVM's CPU in a round on every target (the
#                            per-request stack stops at 30 s at most: C is bound by its commits; 0 skips it)
#   BENCH_CONCURRENCY=32     connections (wrk, one thread) and closed-loop workers (vegeta)
#   BENCH_STATS_SETTLE=11    idle seconds before reading pg_stat_database (PostgreSQL flushes a busy backend's
#                            counters up to 10 s late); only B (vegeta) and C count commits
#   BENCH_READY_TIMEOUT=120  seconds to wait for /q/health/ready
#   BENCH_SKIP_PER_REQUEST=1 skip the second stack (C, and with it B/C)
#   BENCH_OUT=DIR            where raw reports, logs and summary.json go (default .cache/bench/<timestamp>)
#   BENCH_APP_DIR=DIR        run an already built quarkus-app directory instead of target/quarkus-app
#   LANYARD_JAVA_OPTS        extra JVM options, passed through to the Lanyard JVM
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

DURATION=${BENCH_DURATION:-15}
WARMUP=${BENCH_WARMUP:-3}
JIT_WARMUP=${BENCH_JIT_WARMUP:-120}
JIT_ROUND=5          # seconds of load per target and round of the JIT warm-up
JIT_SETTLED_PCT=5    # the warm-up ends when the compiler threads take less than this share of the JVM's CPU
CONCURRENCY=${BENCH_CONCURRENCY:-32}
SETTLE=${BENCH_STATS_SETTLE:-11}
READY_TIMEOUT=${BENCH_READY_TIMEOUT:-120}
SKIP_PER_REQUEST=${BENCH_SKIP_PER_REQUEST:-0}
VEGETA_VERSION=v12.12.0
OUT=${BENCH_OUT:-$ROOT/.cache/bench/$(date -u +%Y%m%dT%H%M%SZ)}
QUERIES_RESULT=$ROOT/bench/results/audit-queries-latest.txt

for var in DURATION WARMUP JIT_WARMUP CONCURRENCY SETTLE READY_TIMEOUT; do
  [[ ${!var} =~ ^[0-9]+$ ]] || { echo "bench: $var must be a whole number of seconds/workers, got '${!var}'" >&2; exit 2; }
done
if [ "$DURATION" -lt 1 ] || [ "$CONCURRENCY" -lt 1 ]; then
  echo "bench: BENCH_DURATION and BENCH_CONCURRENCY must be >= 1" >&2
  exit 2
fi
[[ $SKIP_PER_REQUEST =~ ^[01]$ ]] || { echo "bench: BENCH_SKIP_PER_REQUEST must be 0 or 1" >&2; exit 2; }

say() { echo "bench: $*" >&2; }
die() { say "$*"; exit 2; }

# --- tools ----------------------------------------------------------------------------------------------
VEGETA=""
if [ -x "$ROOT/.cache/bin/vegeta" ]; then
  VEGETA=$ROOT/.cache/bin/vegeta
elif command -v vegeta >/dev/null 2>&1; then
  VEGETA=$(command -v vegeta)
elif command -v go >/dev/null 2>&1; then
  say "installing vegeta $VEGETA_VERSION into .cache/bin"
  GOBIN=$ROOT/.cache/bin go install "github.com/tsenart/vegeta/v12@$VEGETA_VERSION" >&2 \
    || die "could not install vegeta (go install github.com/tsenart/vegeta/v12@$VEGETA_VERSION)"
  VEGETA=$ROOT/.cache/bin/vegeta
else
  die "vegeta is needed: install Go, or put vegeta on the PATH"
fi
apt_install() { # package command: installs a Debian package when its command is missing and we may
  command -v "$2" >/dev/null 2>&1 && return 0
  [ "$(id -u)" = 0 ] || die "$2 is needed: apt-get install $1"
  say "installing $1 for $2"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1"; } >&2 || die "could not install $1"
}
apt_install postgresql-client psql
apt_install wrk wrk
WRK=$(command -v wrk)
WRK_VERSION=$("$WRK" -v 2>&1 | head -n 1 | sed 's/ Copyright.*//' || true)
for tool in jq curl python3; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is needed"
done
. scripts/java-home.sh   # jcmd, to read the flags the Lanyard JVM runs with

# The dev stack's OpenBao comes from the project's pinned peers; A needs it.
. scripts/peers.sh
lanyard_install_peers >/dev/null || die "OpenBao could not be installed (. scripts/peers.sh; lanyard_install_peers)"

if [ -z "${BENCH_APP_DIR:-}" ]; then
  # Build now, as scripts/run.sh would, so the readiness timeout does not include a Maven build.
  if [ ! -f target/quarkus-app/quarkus-run.jar ] || [ -n "$(find src pom.xml -newer target/quarkus-app/quarkus-run.jar -print -quit)" ]; then
    say "building Lanyard (./mvnw package -DskipTests)"
    ./mvnw -B -ntp -q package -DskipTests >&2
  fi
else
  [ -f "$BENCH_APP_DIR/quarkus-run.jar" ] || die "BENCH_APP_DIR=$BENCH_APP_DIR has no quarkus-run.jar"
fi

# Starting and stopping the dev stack (and its leftover peers) is shared with the other benchmarks.
. bench/dev-stack.sh
DEV_DIR=$DEV_STACK_DIR
dev_stack_running && die "a dev stack is already running from $DEV_DIR; stop it (scripts/run.sh) first"

mkdir -p "$OUT"
WORK=$(mktemp -d)
chmod 700 "$WORK"
CLK_TCK=$(getconf CLK_TCK)

# --- process bookkeeping ----------------------------------------------------------------------------------
POSTGRES_PID=""   # the dev stack's postmaster
OPENBAO_PID=""
SAMPLER_PID=""
ATTACK_PID=""

stop_lanyard() {
  dev_stack_stop
  POSTGRES_PID=""
  OPENBAO_PID=""
}

cleanup() {
  local status=$?
  if [ -n "$SAMPLER_PID" ]; then kill "$SAMPLER_PID" 2>/dev/null || true; fi
  if [ -n "$ATTACK_PID" ]; then kill "$ATTACK_PID" 2>/dev/null || true; fi
  stop_lanyard
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# jvm_info MODE: the Lanyard JVM's command line (configuration values that could be secret replaced) and the flags
# in effect (jcmd VM.flags: the collector and heap bounds the JVM chose or was given), into $OUT/jvm-MODE.json.
jvm_info() {
  local mode=$1 flags
  flags=$("$JAVA_HOME/bin/jcmd" "$LANYARD_PID" VM.flags 2>/dev/null | sed -n '2,$p' | tr '\n' ' ' || true)
  python3 - "$LANYARD_PID" "$flags" >"$OUT/jvm-$mode.json" <<'PY'
import json, re, sys
pid, flags = sys.argv[1], sys.argv[2].split()
args = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")[:-1]
args = [a.decode(errors="replace") for a in args]
jar = args.index("-jar") if "-jar" in args else len(args)
secret = re.compile(r"password|secret|token|key|credential", re.I)
def redact(arg):
    # Lanyard takes secrets by reference ("file:…"); anything else under a secret-looking name is not printed.
    match = re.match(r"-D([^=]+)=(.*)", arg, re.S)
    if match and secret.search(match.group(1)) and not match.group(2).startswith("file:"):
        return f"-D{match.group(1)}=<redacted>"
    return arg
environ = dict(e.split(b"=", 1) for e in open(f"/proc/{pid}/environ", "rb").read().split(b"\0") if b"=" in e)
tool_options = {k: environ[k.encode()].decode(errors="replace")
                for k in ("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS") if k.encode() in environ}
print(json.dumps({
    "pid": int(pid),
    "command_line": [redact(a) for a in args],
    "jvm_options": [a for a in args[1:jar] if not a.startswith("-D")],
    "system_properties": len([a for a in args[1:jar] if a.startswith("-D")]),
    "environment_options": tool_options,
    "flags_in_effect": flags,
}))
PY
}

# start_lanyard MODE: starts the dev stack with that audit mode and reads .cache/dev/stack.json. LANYARD_PID (from
# bench/dev-stack.sh) is the Lanyard JVM itself, whose CPU and RSS are measured, not the launcher.
start_lanyard() {
  local mode=$1 entry
  say "lanyard.audit.mode=$mode"
  export LANYARD_AUDIT_MODE=$mode
  [ -z "${BENCH_APP_DIR:-}" ] || export LANYARD_APP_JAR="$BENCH_APP_DIR/quarkus-run.jar"
  dev_stack_start "$OUT/lanyard-$mode.log" || return 1
  for entry in "${DEV_STACK_PEERS[@]}"; do
    [ "${entry#*:}" = "bao server" ] && OPENBAO_PID=${entry%%:*}
  done
  [ -f "$DEV_DIR/stack.json" ] || { say "Lanyard is ready but $DEV_DIR/stack.json is missing"; return 1; }
  cp "$DEV_DIR/stack.json" "$OUT/stack-$mode.json"
  LANYARD=$(jq -r '.lanyard_url' "$DEV_DIR/stack.json")
  DEMO_TOKEN=$(cat "$(jq -r '.demo_token_file' "$DEV_DIR/stack.json")")
  PGDATABASE=$(jq -r '.postgres_database // empty' "$DEV_DIR/stack.json")
  OPENBAO=$(jq -r '.openbao_address // empty' "$DEV_DIR/stack.json")
  if [ -z "$PGPORT" ] || [ -z "$PGDATABASE" ]; then say "stack.json names no embedded PostgreSQL"; return 1; fi
  if [ -z "$OPENBAO" ] || [ -z "$OPENBAO_PID" ]; then
    say "stack.json names no OpenBao dev server (is .cache/venv/bin/bao installed?)"
    return 1
  fi
  OPENBAO_TOKEN=$(cat "$(jq -r '.openbao_token_file' "$DEV_DIR/stack.json")")
  POSTGRES_PID=$(head -n 1 "$DEV_DIR/postgres/postmaster.pid" 2>/dev/null || true)
  if [ -z "$POSTGRES_PID" ] || ! dev_stack_alive_as "$POSTGRES_PID" postgres; then
    say "no PostgreSQL postmaster in $DEV_DIR/postgres/postmaster.pid"
    return 1
  fi
  jvm_info "$mode"
  return 0
}

psql_q() {
  psql -X -q -A -t -F ' ' -h 127.0.0.1 -p "$PGPORT" -U postgres -d "$PGDATABASE" -v ON_ERROR_STOP=1 -c "$1"
}

# Prints "audit_rows commits" in one statement.
db_snapshot() {
  psql_q "select (select count(*) from audit_event), (select xact_commit from pg_stat_database where datname = current_database())"
}

# cpu_snapshot: CPU seconds each measured process has accounted for so far, as JSON. For each root (the Lanyard
# JVM, the PostgreSQL postmaster, OpenBao), every live process of its tree counts utime+stime+cutime+cstime: the
# postmaster's cutime/cstime hold the backends that have exited (reaped), each live backend its own utime+stime.
# Also each Lanyard JVM thread's utime+stime, by thread id and name.
cpu_snapshot() {
  python3 - lanyard "$LANYARD_PID" postgres "$POSTGRES_PID" openbao "$OPENBAO_PID" <<'PY'
import json, os, sys
ticks = os.sysconf("SC_CLK_TCK")
processes = {}
for entry in os.listdir("/proc"):
    if not entry.isdigit():
        continue
    try:
        with open(f"/proc/{entry}/stat") as stat:
            fields = stat.read()
    except OSError:
        continue  # exited while we looked
    rest = fields[fields.rindex(")") + 2:].split()  # after "pid (comm) ": state, ppid, ...
    processes[int(entry)] = (int(rest[1]), sum(int(f) for f in rest[11:15]))  # ppid; utime stime cutime cstime
children = {}
for pid, (ppid, _) in processes.items():
    children.setdefault(ppid, []).append(pid)
def tree(root):
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        if pid in processes:
            total += processes[pid][1]
            todo.extend(children.get(pid, []))
    return total / ticks
names, roots = sys.argv[1::2], sys.argv[2::2]
snapshot = {name: tree(int(root)) for name, root in zip(names, roots)}
# The Lanyard JVM's threads by id, with their names: its JIT compiler and GC threads are told apart by name.
threads = {}
for tid in os.listdir(f"/proc/{roots[0]}/task"):
    try:
        with open(f"/proc/{roots[0]}/task/{tid}/stat") as stat:
            fields = stat.read()
    except OSError:
        continue
    rest = fields[fields.rindex(")") + 2:].split()
    threads[tid] = [fields[fields.index("(") + 1:fields.rindex(")")], (int(rest[11]) + int(rest[12])) / ticks]
snapshot["lanyard_threads"] = threads
print(json.dumps(snapshot))
PY
}

# jq: the CPU the Lanyard JVM's JIT compiler threads and GC threads (G1's, ZGC's, Shenandoah's, and the VM thread,
# which runs the serial collector) took between two snapshots, over the threads alive at both.
# shellcheck disable=SC2016 # jq's own variables, expanded by jq
THREAD_SPLIT='def thread_split($before; $after):
  [$after.lanyard_threads | to_entries[] | select($before.lanyard_threads[.key] != null)
   | {name: .value[0], s: (.value[1] - $before.lanyard_threads[.key][1])}]
  | {jit: (map(select(.name | test("^C[12] CompilerThre"))) | map(.s) | add // 0),
     gc: (map(select(.name | test("^(GC Thread|G1 |VM Thread|Z[A-Z]|Shenandoah)"))) | map(.s) | add // 0)};'

# REAPED_TICKS: the CPU of this shell's waited-for children (its cutime + cstime), read without forking, so the
# difference around one load-generator run is that generator's own CPU.
REAPED_TICKS=0
read_reaped_ticks() {
  local line fields
  read -r line <"/proc/$$/stat"
  read -r -a fields <<<"${line##*) }"
  REAPED_TICKS=$((fields[13] + fields[14]))
}

# --- targets and load generators ------------------------------------------------------------------------------
declare -A TARGET_URL TARGET_METHOD
# target KIND METHOD URL HEADER: a vegeta targets file and a wrk header file for KIND (both hold a token: owner-only).
target() {
  local kind=$1 method=$2 url=$3 header=$4
  TARGET_URL[$kind]=$url
  TARGET_METHOD[$kind]=$method
  ( umask 077
    printf '%s %s\n%s\n\n' "$method" "$url" "$header" >"$WORK/$kind.targets"
    printf '%s\n' "$header" >"$WORK/$kind.header" )
}

GEN_SECONDS=0
# generate NAME KIND GENERATOR RATE DURATION: one load-generator run; RATE 0 is the closed loop (CONCURRENCY
# connections or workers), any other rate is vegeta's open loop. Leaves the generator's CPU in GEN_SECONDS.
generate() {
  local name=$1 kind=$2 gen=$3 rate=$4 duration=$5 before
  read_reaped_ticks
  before=$REAPED_TICKS
  if [ "$gen" = wrk ]; then
    BENCH_WRK_METHOD=${TARGET_METHOD[$kind]} BENCH_WRK_HEADER_FILE=$WORK/$kind.header \
      "$WRK" -t1 -c"$CONCURRENCY" -d"${duration}s" --timeout 30s --latency -s "$ROOT/bench/wrk-request.lua" \
      "${TARGET_URL[$kind]}" >"$OUT/$name.wrk.txt" 2>&1 &
  else
    local args=(-rate=0 -workers="$CONCURRENCY" -max-workers="$CONCURRENCY")
    [ "$rate" = 0 ] || args=(-rate="$rate/1s")
    # -max-body=0: response bodies (the secret, the credential) are neither kept nor written to the results file.
    "$VEGETA" attack -format=http -targets="$WORK/$kind.targets" -duration="${duration}s" -timeout=30s \
      -keepalive=true -max-body=0 "${args[@]}" >"$WORK/$name.bin" &
  fi
  ATTACK_PID=$!
  wait "$ATTACK_PID" || die "$gen failed in run $name (see $OUT/$name.*)"
  ATTACK_PID=""
  read_reaped_ticks
  GEN_SECONDS=$(awk -v t=$((REAPED_TICKS - before)) -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }')
  if [ "$gen" = wrk ]; then
    grep '^WRK_SUMMARY ' "$OUT/$name.wrk.txt" | cut -d' ' -f2- >"$OUT/$name.wrk.json" \
      || die "wrk printed no summary in run $name (see $OUT/$name.wrk.txt)"
  else
    "$VEGETA" report -type=json "$WORK/$name.bin" >"$OUT/$name.vegeta.json"
    rm -f "$WORK/$name.bin"
  fi
}

# The generators' reports in one shape: requests, ok (2xx; wrk: 2xx/3xx), non_2xx, transport_errors, rps (ok per
# second), p50_ms, p99_ms, duration_s, rate_achieved (vegeta: requests sent per second).
normalized() { # NAME GENERATOR
  if [ "$2" = wrk ]; then
    jq '{requests, ok: (.requests - .errors.status), non_2xx: .errors.status,
         transport_errors: (.errors.connect + .errors.read + .errors.write + .errors.timeout),
         duration_s: (.duration_us / 1e6), rps: ((.requests - .errors.status) / (.duration_us / 1e6)),
         p50_ms: (.latency_us.p50 / 1e3), p99_ms: (.latency_us.p99 / 1e3), rate_achieved: null}' "$OUT/$1.wrk.json"
  else
    jq '([.status_codes // {} | to_entries[] | select(.key | startswith("2")) | .value] | add // 0) as $ok
        | {requests, ok: $ok, non_2xx: ([.status_codes // {} | to_entries[] | select(.key != "0" and (.key | startswith("2") | not)) | .value] | add // 0),
           transport_errors: (.status_codes["0"] // 0), duration_s: ((.duration + .wait) / 1e9), rps: .throughput,
           p50_ms: (.latencies["50th"] / 1e6), p99_ms: (.latencies["99th"] / 1e6), rate_achieved: .rate}' "$OUT/$1.vegeta.json"
  fi
}

FAILURES=()
fail_check() { FAILURES+=("$1"); say "CHECK FAILED: $1"; }

# expect_ok KIND: the target answers 200 before it is measured (for D this is the one issue that reaches OpenBao).
expect_ok() {
  local kind=$1 code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -X "${TARGET_METHOD[$kind]}" \
    -H @"$WORK/$kind.header" "${TARGET_URL[$kind]}" || true)
  [ "$code" = 200 ] || { fail_check "$kind: ${TARGET_METHOD[$kind]} ${TARGET_URL[$kind]} answered HTTP $code before the benchmark (expected 200)"; return 1; }
}

start_rss_sampler() { # NAME: VmRSS (KiB) of the Lanyard JVM every second into $OUT/NAME.rss.kib
  ( while [ -r "/proc/$LANYARD_PID/status" ]; do
      awk '/^VmRSS:/ { print $2 }' "/proc/$LANYARD_PID/status" 2>/dev/null || true
      sleep 1
    done ) >"$OUT/$1.rss.kib" &
  SAMPLER_PID=$!
}

stop_rss_sampler() {
  kill "$SAMPLER_PID" 2>/dev/null || true
  wait "$SAMPLER_PID" 2>/dev/null || true
  SAMPLER_PID=""
}

# measure NAME KIND GENERATOR RATE COUNT_COMMITS: warm-up, then the measured run with CPU, audit rows (and, if
# COUNT_COMMITS, commits) read right around it, checked, and written to $OUT/NAME.phase.json.
measure() {
  local name=$1 kind=$2 gen=$3 rate=$4 with_commits=$5 lanyard=1
  [ "$kind" = A ] && lanyard=0
  if [ "$WARMUP" -gt 0 ]; then
    generate "$name-warmup" "$kind" "$gen" "$rate" "$WARMUP"
    # wrk stops with up to CONCURRENCY requests in flight, which Lanyard still answers and audits: let them land
    # before the first reading, so they count in neither the warm-up nor the measured run.
    [ "$gen" = wrk ] && sleep 1
  fi
  [ "$with_commits" = 1 ] && sleep "$SETTLE"   # let the warm-up's commits reach pg_stat_database
  local db_before="0 0" hwm_since=null cpu_before cpu_after db_after
  if [ "$lanyard" = 1 ]; then
    # Writing 5 to clear_refs resets VmHWM to the current RSS, so VmHWM afterwards is this run's peak.
    if { echo 5 >"/proc/$LANYARD_PID/clear_refs"; } 2>/dev/null; then hwm_since='"run"'; else hwm_since='"start"'; fi
    start_rss_sampler "$name"
    db_before=$(db_snapshot)
  fi
  cpu_before=$(cpu_snapshot)
  generate "$name" "$kind" "$gen" "$rate" "$DURATION"
  [ "$gen" = wrk ] && sleep 1   # wrk's uncounted last requests are answered and audited within the reading
  cpu_after=$(cpu_snapshot)
  local rss_max=null hwm=null rows=null commits=null
  if [ "$lanyard" = 1 ]; then
    hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$LANYARD_PID/status")
    stop_rss_sampler
    rss_max=$(sort -n "$OUT/$name.rss.kib" | tail -n 1)
    [ "$with_commits" = 1 ] && sleep "$SETTLE"   # no audit rows are written while idle; commits catch up
    db_after=$(db_snapshot)
    rows=$((${db_after% *} - ${db_before% *}))
    [ "$with_commits" = 1 ] && commits=$((${db_after#* } - ${db_before#* }))
  fi
  normalized "$name" "$gen" | jq --arg name "$name" --arg kind "$kind" --arg gen "$gen" --argjson rate "$rate" \
    --argjson before "$cpu_before" --argjson after "$cpu_after" --argjson generator "$GEN_SECONDS" \
    --argjson rows "$rows" --argjson commits "$commits" --argjson rss "${rss_max:-null}" --argjson hwm "${hwm:-null}" \
    --argjson hwm_since "$hwm_since" --argjson connections "$CONCURRENCY" \
    "$THREAD_SPLIT"'{name: $name, kind: $kind, generator: $gen, connections: $connections,
      rate_asked: (if $rate == 0 then null else $rate end)} + .
     + {audit_rows: $rows, commits: $commits,
        cpu_s: ({lanyard: ($after.lanyard - $before.lanyard), postgres: ($after.postgres - $before.postgres),
                 openbao: ($after.openbao - $before.openbao), generator: $generator}
                | map_values(. * 100 | round / 100)),
        lanyard_threads_cpu_s: (thread_split($before; $after) | map_values(. * 100 | round / 100)),
        rss_max_kib: $rss, vmhwm_kib: $hwm, vmhwm_since: $hwm_since}' >"$OUT/$name.phase.json"
  check_phase "$name"
}

check_phase() { # NAME: the checks that must hold before any figure of the run is printed
  local name=$1 file=$OUT/$1.phase.json gen requests ok bad rows
  read -r gen requests ok bad rows < <(jq -r '[.generator, .requests, .ok, (.non_2xx + .transport_errors), (.audit_rows // "none")] | @tsv' "$file")
  if [ "$ok" -eq 0 ]; then
    fail_check "phase $name: no 2xx responses ($requests requests; see $OUT/$name.*)"
    return
  fi
  [ "$bad" -eq 0 ] || fail_check "phase $name: $bad of $requests requests got no 2xx answer (non-2xx or transport errors; see $OUT/$name.*)"
  [ "$rows" = none ] && return
  if [ "$gen" = wrk ]; then
    # wrk does not count the requests in flight when it stops (at most one per connection); Lanyard answers and
    # audits them, so the audit rows may exceed the counted 2xx responses by up to CONCURRENCY, never fall short.
    if [ "$rows" -lt "$ok" ] || [ "$((rows - ok))" -gt "$CONCURRENCY" ]; then
      fail_check "phase $name: $rows audit rows for $ok counted 2xx responses (wrk: expected 0 to $CONCURRENCY more rows than responses)"
    fi
  elif [ "$rows" -ne "$ok" ]; then
    fail_check "phase $name: $rows audit rows written but $ok 2xx responses ($requests requests)"
  fi
}

CHAINS=()
verify_chain() {
  local label=$1 code
  code=$(curl -s -o "$OUT/verify-$label.json" -w '%{http_code}' --max-time 600 -X POST \
    -H "Authorization: Bearer $DEMO_TOKEN" "$LANYARD/v1/audit/verify" || true)
  if [ "$code" != 200 ]; then
    fail_check "audit chain after $label: POST /v1/audit/verify answered HTTP $code ($(head -c 300 "$OUT/verify-$label.json" 2>/dev/null))"
  elif ! jq -e '.valid == true' "$OUT/verify-$label.json" >/dev/null 2>&1; then
    fail_check "audit chain after $label does not verify: $(head -c 300 "$OUT/verify-$label.json")"
  else
    CHAINS+=("$label")
  fi
}

# jit_warmup MODE MAX_SECONDS KIND...: rounds of load on each Lanyard target until, in one round, the JVM's JIT
# compiler threads take under JIT_SETTLED_PCT of its CPU on every target, or MAX_SECONDS of load have passed. On
# this 2-core machine C2 was still taking half of the JVM's CPU after 10 s of load; measured before it settles,
# Lanyard's CPU per request and its req/s say more about the compiler than about the hot path. Writes
# $OUT/jit-MODE.json (seconds of load, the last round's share per target, whether it settled).
jit_warmup() {
  local mode=$1 max=$2 kind before after share settled=0 spent=0 shares
  shift 2
  if [ "$max" -gt 0 ]; then
    say "JIT warm-up on $*: ${JIT_ROUND}s rounds until the compiler takes under ${JIT_SETTLED_PCT}% of the JVM's CPU (at most ${max}s, not counted)"
  fi
  while [ "$spent" -lt "$max" ]; do
    settled=1
    shares={}
    for kind in "$@"; do
      before=$(cpu_snapshot)
      generate "jit-warmup-$kind" "$kind" wrk 0 "$JIT_ROUND"
      after=$(cpu_snapshot)
      spent=$((spent + JIT_ROUND))
      share=$(jq -n --argjson before "$before" --argjson after "$after" "$THREAD_SPLIT"'
        thread_split($before; $after).jit as $jit | ($after.lanyard - $before.lanyard) as $all
        | if $all > 0 then $jit / $all * 100 | floor else 0 end')
      shares=$(jq -c --arg kind "$kind" --argjson share "$share" '. + {($kind): $share}' <<<"$shares")
      [ "$share" -lt "$JIT_SETTLED_PCT" ] || settled=0
    done
    say "JIT warm-up: ${spent}s of load, compiler share of the JVM's CPU in the last round: $shares"
    [ "$settled" = 1 ] && break
  done
  sleep 1   # wrk's stragglers land before the first phase's readings
  jq -n --argjson seconds "$spent" --argjson max "$max" --argjson shares "${shares:-null}" --argjson settled "$settled" \
    --argjson pct "$JIT_SETTLED_PCT" \
    '{load_seconds: $seconds, max_seconds: $max, settled_below_pct: $pct,
      settled: ($settled == 1 and $max > 0), last_round_jit_pct: $shares}' >"$OUT/jit-$mode.json"
}

stack_targets() {
  target A GET "$OPENBAO/v1/secret/data/demo/hello" "X-Vault-Token: $OPENBAO_TOKEN"
  target B GET "$LANYARD/v1/secrets/openbao/secret/demo/hello" "Authorization: Bearer $DEMO_TOKEN"
  target D POST "$LANYARD/v1/creds/openbao/database/creds/demo" "Authorization: Bearer $DEMO_TOKEN"
}

# --- run 1: group commit (A, B, D with each generator; B at half peak) -------------------------------------
STARTED=$(date -u +'%Y-%m-%d %H:%M:%S UTC')
START_SECONDS=$SECONDS
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
HALF_RATE=null
if ! start_lanyard group-commit; then
  FAILURES+=("the dev stack did not start (group-commit)")
  stop_lanyard
else
  stack_targets
  # D's first request issues the credential at OpenBao; every later one, same caller, is served from the cache.
  if expect_ok A && expect_ok B && expect_ok D; then
    jit_warmup group-commit "$JIT_WARMUP" B D
    for gen in wrk vegeta; do
      say "phase A ($gen): direct OpenBao read, closed loop, $CONCURRENCY connections, ${WARMUP}s warm-up + ${DURATION}s"
      measure "A-$gen" A "$gen" 0 0
      say "phase B ($gen): Lanyard cache hit, group-commit audit, ${WARMUP}s warm-up + ${DURATION}s"
      measure "B-$gen" B "$gen" 0 "$([ "$gen" = vegeta ] && echo 1 || echo 0)"
      say "phase D ($gen): Lanyard cached credential (POST /v1/creds), ${WARMUP}s warm-up + ${DURATION}s"
      measure "D-$gen" D "$gen" 0 0
    done
    HALF_RATE=$(jq -s '[.[].rps] | max / 2 | floor | if . < 1 then 1 else . end' "$OUT/B-wrk.phase.json" "$OUT/B-vegeta.phase.json")
    say "phase B/2 (vegeta): B at a constant $HALF_RATE/s, half of B's higher peak, ${WARMUP}s warm-up + ${DURATION}s"
    measure B-half B vegeta "$HALF_RATE" 0
  fi
  verify_chain group-commit
  say "stopping the dev stack"
  stop_lanyard
fi

# --- run 2: per-request (C) ---------------------------------------------------------------------------------
if [ "$SKIP_PER_REQUEST" = 1 ]; then
  say "phase C skipped (BENCH_SKIP_PER_REQUEST=1)"
elif ! start_lanyard per-request; then
  FAILURES+=("the dev stack did not start (per-request)")
  stop_lanyard
else
  stack_targets
  if expect_ok B; then
    jit_warmup per-request "$((JIT_WARMUP < 30 ? JIT_WARMUP : 30))" B
    say "phase C (vegeta): Lanyard cache hit, per-request audit, ${WARMUP}s warm-up + ${DURATION}s"
    measure C B vegeta 0 1
  fi
  verify_chain per-request
  say "stopping the dev stack"
  stop_lanyard
fi

# --- verdict ------------------------------------------------------------------------------------------------
PHASES=(A-wrk B-wrk D-wrk A-vegeta B-vegeta D-vegeta B-half)
[ "$SKIP_PER_REQUEST" = 1 ] || PHASES+=(C)
if [ "${#FAILURES[@]}" -eq 0 ]; then
  for name in "${PHASES[@]}"; do
    [ -f "$OUT/$name.phase.json" ] || FAILURES+=("phase $name did not run")
  done
fi
jq -n --arg started "$STARTED" --argjson seconds $((SECONDS - START_SECONDS)) --argjson cpus "$(nproc)" \
  --arg load_start "$LOAD_START" --arg load_end "$(cut -d' ' -f1-3 /proc/loadavg)" \
  --arg wrk "$WRK_VERSION" --arg vegeta "vegeta $VEGETA_VERSION" \
  --argjson duration "$DURATION" --argjson warmup "$WARMUP" --argjson jit_warmup "$JIT_WARMUP" \
  --argjson concurrency "$CONCURRENCY" \
  --argjson half_rate "$HALF_RATE" --argjson skip_c "$SKIP_PER_REQUEST" --arg out "$OUT" \
  --args '{started: $started, wall_seconds: $seconds, cpus: $cpus, load_average_start: $load_start,
           load_average_end: $load_end, generators: {wrk: $wrk, vegeta: $vegeta},
           settings: {duration_s: $duration, warmup_s: $warmup, jit_warmup_max_s: $jit_warmup, concurrency: $concurrency, per_request_skipped: ($skip_c == 1)},
           half_rate_asked: $half_rate, out: $out,
           checks: {passed: ($ARGS.positional | length == 0), failures: $ARGS.positional}}' \
  "${FAILURES[@]}" >"$OUT/run.json"
jq -n '$ARGS.positional' --args "${CHAINS[@]}" >"$OUT/chains.json"
if [ "${#FAILURES[@]}" -gt 0 ]; then
  jq '{run: .}' "$OUT/run.json" >"$OUT/summary.json"
  {
    echo "Hot-path benchmark FAILED its checks; no figures are reported."
    printf '  - %s\n' "${FAILURES[@]}"
    echo "Logs and raw reports: $OUT"
  } >&2
  exit 1
fi

# --- figures --------------------------------------------------------------------------------------------------
python3 bench/audit-throughput-report.py "$OUT" "$QUERIES_RESULT"
