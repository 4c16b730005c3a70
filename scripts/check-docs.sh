#!/usr/bin/env bash
# shellcheck disable=SC2317 # cleanup is called by the EXIT trap
# Holds every Markdown file to what it tells a reader: every relative link and anchor resolves, and every command
# block runs (or is skipped with its reason) against a dev stack, a throw-away PostgreSQL, moto and a real
# kube-apiserver, started here and stopped again. docs/tests.md ("The documents are tested too") says how a block is
# marked; scripts/doc-tests.py runs them.
#
#   scripts/check-docs.sh            # everything: needs the packaged jar and the peers scripts/test.sh installs
#   scripts/check-docs.sh --static   # links, security claims, marks, configuration keys, vocabularies: no peers, seconds
#   scripts/check-docs.sh --only ENV # the static checks and one environment: dev-stack, scratch, moto or kube
#
# Exits non-zero if anything failed; the summary lists every block run, skipped (with the reason) or failed, by
# FILE:LINE.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
mode=${1:-all}
only=${2:-}
runs() { [ "$mode" != --only ] || [ "$only" = "$1" ]; }
started=$(date +%s)
status=0
say() { echo "check-docs: $*"; }

python3 scripts/check-links.py --self-test >/dev/null || status=1
python3 scripts/check-links.py || status=1
# SECURITY.md: every claim names the test that checks it, and every test it names exists.
python3 scripts/check-security-claims.py --self-test >/dev/null || status=1
python3 scripts/check-security-claims.py || status=1

. scripts/java-home.sh
WORK=$(mktemp -d /tmp/lanyard-check-docs.XXXXXX)
export DOC_TEST_WORK=$WORK
SCRATCH=""
scratch_stop() {
  [ -n "$SCRATCH" ] || return 0
  if [ -f "$SCRATCH/data/postmaster.pid" ]; then
    scratch_as "$PG_BIN/pg_ctl" -D "$SCRATCH/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$SCRATCH"
  SCRATCH=""
}
# The server refuses to run as root: as root, it runs as Debian's postgres user.
scratch_as() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  [ "$(type -t dev_stack_stop)" = function ] && dev_stack_stop
  scratch_stop
  rm -rf "$WORK"
}
trap cleanup EXIT

# Every configuration key SmallRye accepts, from the compiled @ConfigMapping interfaces.
if [ ! -f target/dev-classpath.txt ] || [ ! -d target/test-classes/dev/lanyard/devstack ]; then
  ./mvnw -B -ntp -q test-compile >&2 || { say "FAIL: the classes do not build"; exit 1; }
fi
java -cp "target/test-classes:target/classes:$(cat target/dev-classpath.txt)" dev.lanyard.devstack.ConfigKeys target/classes \
  > "$WORK/config-keys.txt" || { say "FAIL: could not list the configuration keys"; exit 1; }
python3 scripts/doc-tests.py check --config-keys "$WORK/config-keys.txt" || status=1
if [ "$mode" = --static ]; then
  say "static checks finished in $(( $(date +%s) - started ))s"
  exit "$status"
fi

# --- the tools the documents use: curl, jq, psql, openssl, python3, the AWS CLI, promtool, kubectl ---------------
# Installed from Debian (or the runner's Ubuntu) when missing: as root, or through sudo where it needs no password.
missing=()
command -v jq >/dev/null || missing+=(jq)
command -v psql >/dev/null || missing+=(postgresql-client)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  as_root=()
  if [ "$(id -u)" -ne 0 ]; then
    sudo -n true 2>/dev/null || { say "FAIL: install these packages first (as root): ${missing[*]}"; exit 1; }
    as_root=(sudo -n)
  fi
  say "apt-get install ${missing[*]}"
  if ! { "${as_root[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq \
           --no-install-recommends "${missing[@]}" >/dev/null; }; then
    say "FAIL: apt-get install ${missing[*]}"; exit 1
  fi
fi
. scripts/peers.sh
lanyard_install_peers >/dev/null || { say "FAIL: OpenBao could not be installed"; exit 1; }
lanyard_install_moto >/dev/null || { say "FAIL: moto could not be installed"; exit 1; }
. scripts/vault-clients.sh
lanyard_install_hvac >/dev/null || { say "FAIL: hvac could not be installed"; exit 1; }
AWS_CLI_VERSION=1.45.11
if ! command -v aws >/dev/null; then
  [ -x "$LANYARD_CACHE/venv-awscli/bin/aws" ] || { python3 -m venv "$LANYARD_CACHE/venv-awscli" \
    && "$LANYARD_CACHE/venv-awscli/bin/pip" install --quiet --disable-pip-version-check "awscli==$AWS_CLI_VERSION"; } \
    || { say "FAIL: the AWS CLI could not be installed"; exit 1; }
  PATH="$PATH:$LANYARD_CACHE/venv-awscli/bin"
fi
. scripts/observability-tools.sh
lanyard_install_prometheus || { say "FAIL: promtool could not be installed"; exit 1; }
. scripts/kube-test-server.sh
kube_test_server_binaries || { say "FAIL: build the Kubernetes binaries first (scripts/kube-peers.sh)"; exit 1; }
export DOC_TEST_KUBE_BIN=$KUBE_BIN DOC_TEST_BAO=$LANYARD_VENV/bin/bao
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# A role that may set another role's password: CREATEROLE is enough up to PostgreSQL 15; from 16 on it also needs
# ADMIN OPTION on that role. docs/rotation.md says so per version; this holds it to the server at hand.
# pg_claim MAJOR PSQL-AS-SUPERUSER...: the superuser's psql command line (host, port, user), run with its password set.
pg_claim() {
  local major=$1; shift
  local pass; pass=$(openssl rand -hex 16)
  "$@" -q -v ON_ERROR_STOP=1 -d postgres -c "create role doc_claim_user login" \
    -c "create role doc_claim_admin login createrole password '$pass'" >/dev/null || return 1
  local as_admin=("$@"); as_admin[${#as_admin[@]}-1]=doc_claim_admin
  local changed=yes
  PGPASSWORD=$pass PGPASSFILE=/dev/null "${as_admin[@]}" -q -d postgres -c "alter role doc_claim_user password 'x'" >/dev/null 2>&1 || changed=no
  if [ "$major" -le 15 ] && [ "$changed" != yes ]; then say "FAIL: on PostgreSQL $major, CREATEROLE did not let a role set another's password"; return 1; fi
  if [ "$major" -ge 16 ]; then
    [ "$changed" = no ] || { say "FAIL: on PostgreSQL $major, CREATEROLE alone let a role set another's password"; return 1; }
    "$@" -q -v ON_ERROR_STOP=1 -d postgres -c "grant doc_claim_user to doc_claim_admin with admin option, inherit false, set false" >/dev/null || return 1
    PGPASSWORD=$pass PGPASSFILE=/dev/null "${as_admin[@]}" -q -d postgres -c "alter role doc_claim_user password 'x'" >/dev/null \
      || { say "FAIL: on PostgreSQL $major, ADMIN OPTION did not let the role set the password"; return 1; }
  fi
  say "PostgreSQL $major: the admin login's privileges in docs/rotation.md hold"
}

# --- the dev stack -----------------------------------------------------------------------------------------------
ROOT=$PWD # read by bench/dev-stack.sh
export ROOT
. bench/dev-stack.sh
# The dev stack starts with every `config start` block; its rotation retries come faster than the defaults, so the
# failed run docs/rotation.md shows ends in seconds.
LANYARD_JAVA_OPTS="$(python3 scripts/doc-tests.py start-options) -Dlanyard.rotation.backoff-base=200ms -Dlanyard.rotation.backoff-max=1s"
export LANYARD_JAVA_OPTS
t0=$(date +%s)
if ! runs dev-stack; then
  :
elif dev_stack_start "$WORK/dev-stack.log"; then
  say "dev stack ready in $(( $(date +%s) - t0 ))s at $LANYARD"
  export DOC_TEST_LANYARD=$LANYARD
  # The blocks get to the database only the way they say they do: not through dev-stack.sh's superuser pgpass.
  env -u PGPASSFILE python3 scripts/doc-tests.py run dev-stack || status=1
  curl -s "$LANYARD/q/metrics" > "$WORK/scrape.txt"
  python3 scripts/doc-tests.py promql --scrape "$WORK/scrape.txt" --promtool "$LANYARD_PROMTOOL" || status=1
  curl -s "$LANYARD/q/openapi?format=json" > "$WORK/openapi.json"
  python3 scripts/doc-tests.py openapi --openapi "$WORK/openapi.json" || status=1
  major=$(PGPASSWORD=$(cat .cache/dev/postgres-superuser-password) psql -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres -Atc 'show server_version_num')
  PGPASSWORD=$(cat .cache/dev/postgres-superuser-password) PGPASSFILE=/dev/null \
    pg_claim "$(( major / 10000 ))" psql -h 127.0.0.1 -p "$PGPORT" -U postgres || status=1
  dev_stack_stop
else
  say "FAIL: the dev stack did not start (log above)"; status=1
fi
unset LANYARD_JAVA_OPTS

# --- a throw-away PostgreSQL from Debian, standing in for db.internal:5432 -----------------------------------------
PG_BIN=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | head -n 1)
runs scratch && SCRATCH=$(mktemp -d /tmp/lanyard-check-docs-pg.XXXXXX)
if ! runs scratch; then
  :
else
[ "$(id -u)" -eq 0 ] && chown postgres "$SCRATCH"
chmod 711 "$SCRATCH"
scratch_password=$(openssl rand -hex 16)
(umask 077; echo "$scratch_password" > "$WORK/scratch-superuser") && cp "$WORK/scratch-superuser" "$SCRATCH/pw" \
  && { [ "$(id -u)" -ne 0 ] || chown postgres "$SCRATCH/pw"; }
scratch_port=$(free_port)
if [ -n "$PG_BIN" ] && scratch_as "$PG_BIN/initdb" -D "$SCRATCH/data" -U postgres --pwfile="$SCRATCH/pw" \
       --auth=scram-sha-256 >"$WORK/scratch-initdb.log" 2>&1 \
   && scratch_as "$PG_BIN/pg_ctl" -D "$SCRATCH/data" -w -l "$SCRATCH/postgres.log" \
       -o "-c listen_addresses=127.0.0.1 -c port=$scratch_port -c unix_socket_directories=$SCRATCH/data" start >/dev/null; then
  rm -f "$SCRATCH/pw"
  (umask 077; printf '127.0.0.1:%s:*:postgres:%s\n' "$scratch_port" "$scratch_password" > "$WORK/scratch.pgpass")
  mkdir -p "$WORK/scratch-files"
  major=$(PGPASSFILE=$WORK/scratch.pgpass psql -h 127.0.0.1 -p "$scratch_port" -U postgres -d postgres -Atc 'show server_version_num')
  say "scratch PostgreSQL $(( major / 10000 )) on 127.0.0.1:$scratch_port"
  DOC_TEST_SCRATCH_PGPORT=$scratch_port DOC_TEST_SCRATCH_DIR=$WORK/scratch-files DOC_TEST_SCRATCH_HTTP_PORT=$(free_port) \
    PGPASSFILE=$WORK/scratch.pgpass python3 scripts/doc-tests.py run scratch || status=1
  PGPASSFILE=$WORK/scratch.pgpass pg_claim "$(( major / 10000 ))" psql -h 127.0.0.1 -p "$scratch_port" -U postgres || status=1
else
  say "FAIL: the scratch PostgreSQL did not start ($PG_BIN):"; cat "$WORK/scratch-initdb.log" "$SCRATCH/postgres.log" 2>/dev/null | tail -20
  status=1
fi
fi
scratch_stop

# --- moto, and a kube-apiserver per file -------------------------------------------------------------------------
if runs moto; then DOC_TEST_MOTO_PORT=$(free_port) python3 scripts/doc-tests.py run moto || status=1; fi
if runs kube; then python3 scripts/doc-tests.py run kube || status=1; fi

if [ "$mode" = --only ]; then
  say "$only: finished in $(( $(date +%s) - started ))s (no summary: the other environments did not run)"
  exit "$status"
fi
python3 scripts/doc-tests.py summary || status=1
say "finished in $(( $(date +%s) - started ))s"
exit "$status"
