# shellcheck shell=bash disable=SC2034  # the variables it sets are read by the script that sources it
# Sourced by the benchmarks: starts the dev stack (scripts/run.sh: embedded PostgreSQL, an OpenBao dev server,
# Lanyard) on a free loopback port, reads where everything runs from .cache/dev/stack.json, and stops it again,
# peers included. The caller sets ROOT (the checkout) and may set READY_TIMEOUT (seconds, default 120); Lanyard's
# configuration goes in through the environment scripts/run.sh passes on (LANYARD_JAVA_OPTS, LANYARD_APP_JAR).
#
#   dev_stack_start LOG   starts it, logging to LOG; sets LANYARD (URL), LANYARD_PID (the Lanyard JVM),
#                         DEMO_TOKEN_FILE, OPENBAO (URL), OPENBAO_TOKEN_FILE, OPENBAO_AUDIT (its audit log), PGPORT
#                         and PGPASSFILE (psql -h 127.0.0.1 -U postgres reaches its PostgreSQL)
#   dev_stack_stop        stops what dev_stack_start started; safe to call twice, and from an EXIT trap

DEV_STACK_DIR=$ROOT/.cache/dev
DEV_STACK_LAUNCHER=""
DEV_STACK_PEERS=()   # "pid:expected-command-substring" of the dev stack's PostgreSQL and OpenBao
LANYARD_PID=""

dev_stack_say() { echo "bench: $*" >&2; }

dev_stack_alive_as() { # pid substring: is pid alive and still that program?
  [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q -- "$2"
}

# The dev stack lives in .cache/dev and wipes its PostgreSQL directory on start: never beside another one.
dev_stack_running() {
  local pid
  pid=$(head -n 1 "$DEV_STACK_DIR/postgres/postmaster.pid" 2>/dev/null || true)
  [ -n "$pid" ] && dev_stack_alive_as "$pid" postgres
}

dev_stack_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

dev_stack_start() {
  local log=$1 port deadline code child pid
  if dev_stack_running; then
    dev_stack_say "a dev stack is already running from $DEV_STACK_DIR; stop it (scripts/run.sh) first"
    return 1
  fi
  port=$(dev_stack_free_port)
  rm -f "$DEV_STACK_DIR/stack.json"
  dev_stack_say "starting the dev stack on port $port (log: $log)"
  ( LANYARD_PORT=$port exec "$ROOT/scripts/run.sh" ) >"$log" 2>&1 </dev/null &
  DEV_STACK_LAUNCHER=$!
  deadline=$((SECONDS + ${READY_TIMEOUT:-120}))
  while :; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/q/health/ready" || true)
    [ "$code" = 200 ] && break
    if ! kill -0 "$DEV_STACK_LAUNCHER" 2>/dev/null; then
      dev_stack_say "Lanyard exited before it was ready; last lines of $log:"
      tail -n 20 "$log" >&2
      DEV_STACK_LAUNCHER=""
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      dev_stack_say "Lanyard was not ready within ${READY_TIMEOUT:-120} s; last lines of $log:"
      tail -n 20 "$log" >&2
      return 1
    fi
    sleep 1
  done
  # run.sh execs the launcher, which runs the packaged jar and the peers as its children.
  for child in $(ps -o pid= --ppid "$DEV_STACK_LAUNCHER"); do
    dev_stack_alive_as "$child" quarkus-run.jar && LANYARD_PID=$child
    dev_stack_alive_as "$child" "bao server" && DEV_STACK_PEERS+=("$child:bao server")
  done
  pid=$(head -n 1 "$DEV_STACK_DIR/postgres/postmaster.pid" 2>/dev/null || true)
  [ -n "$pid" ] && DEV_STACK_PEERS+=("$pid:postgres")
  [ -n "$LANYARD_PID" ] || { dev_stack_say "no Lanyard JVM under the launcher (pid $DEV_STACK_LAUNCHER)"; return 1; }
  [ -f "$DEV_STACK_DIR/stack.json" ] || { dev_stack_say "Lanyard is ready but $DEV_STACK_DIR/stack.json is missing"; return 1; }
  LANYARD=$(jq -r '.lanyard_url' "$DEV_STACK_DIR/stack.json")
  DEMO_TOKEN_FILE=$(jq -r '.demo_token_file' "$DEV_STACK_DIR/stack.json")
  OPENBAO=$(jq -r '.openbao_address // empty' "$DEV_STACK_DIR/stack.json")
  OPENBAO_TOKEN_FILE=$(jq -r '.openbao_token_file // empty' "$DEV_STACK_DIR/stack.json")
  [ -n "$OPENBAO" ] || { dev_stack_say "stack.json names no OpenBao dev server (is .cache/venv/bin/bao installed?)"; return 1; }
  # psql as the throwaway database's superuser: its password goes in an owner-only file, never on a command line.
  PGPORT=$(jq -r '.postgres_port // empty' "$DEV_STACK_DIR/stack.json")
  [ -n "$PGPORT" ] || { dev_stack_say "stack.json names no embedded PostgreSQL"; return 1; }
  PGPASSFILE=$DEV_STACK_DIR/bench.pgpass
  ( umask 077; printf '127.0.0.1:%s:*:postgres:%s\n' "$PGPORT" \
      "$(cat "$(jq -r '.postgres_superuser_password_file' "$DEV_STACK_DIR/stack.json")")" >"$PGPASSFILE" )
  export PGPASSFILE
  # The dev server writes every request it handles to this file (OpenBaoDevServer.auditLog).
  OPENBAO_AUDIT=$DEV_STACK_DIR/openbao/openbao-${OPENBAO##*:}-audit.log
  [ -f "$OPENBAO_AUDIT" ] || { dev_stack_say "OpenBao's audit log $OPENBAO_AUDIT is missing"; return 1; }
}

dev_stack_stop() {
  [ -n "$DEV_STACK_LAUNCHER" ] || return 0
  local i entry pid what
  # SIGTERM to the launcher: its shutdown hook stops Lanyard (which signs its final checkpoint), then the peers.
  if kill -0 "$DEV_STACK_LAUNCHER" 2>/dev/null; then
    kill -TERM "$DEV_STACK_LAUNCHER" 2>/dev/null || true
    for ((i = 0; i < 60; i++)); do
      kill -0 "$DEV_STACK_LAUNCHER" 2>/dev/null || break
      sleep 1
    done
    if kill -0 "$DEV_STACK_LAUNCHER" 2>/dev/null; then
      dev_stack_say "the launcher (pid $DEV_STACK_LAUNCHER) did not stop in 60 s; killing it and Lanyard"
      kill -KILL ${LANYARD_PID:+"$LANYARD_PID"} "$DEV_STACK_LAUNCHER" 2>/dev/null || true
    fi
  fi
  wait "$DEV_STACK_LAUNCHER" 2>/dev/null || true
  rm -f "$DEV_STACK_DIR/bench.pgpass"
  DEV_STACK_LAUNCHER=""
  LANYARD_PID=""
  # The shutdown hook stops PostgreSQL and OpenBao; whatever survived (a killed JVM) is stopped here.
  for entry in "${DEV_STACK_PEERS[@]}"; do
    pid=${entry%%:*} what=${entry#*:}
    if dev_stack_alive_as "$pid" "$what"; then
      dev_stack_say "stopping leftover $what (pid $pid)"
      if [ "$what" = postgres ]; then kill -INT "$pid" 2>/dev/null || true; else kill -TERM "$pid" 2>/dev/null || true; fi
      for ((i = 0; i < 10; i++)); do dev_stack_alive_as "$pid" "$what" || break; sleep 1; done
      if dev_stack_alive_as "$pid" "$what"; then kill -KILL "$pid" 2>/dev/null || true; fi
    fi
  done
  DEV_STACK_PEERS=()
}
