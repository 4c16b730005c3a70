#!/usr/bin/env bash
# Builds Lanyard's image (deploy/container/Dockerfile) with podman and proves it the way production runs it:
# read-only root filesystem, non-root numeric UID, no capabilities, only /tmp writable (a tmpfs), configuration
# and keys mounted, against a real PostgreSQL (Debian's, started here on a free loopback port with the owner and
# app roles of docs/configuration.md): first the migration step (`migrate`, the owner's credentials only), then
# the service (the app role's only). It waits for /q/health/ready, writes a secret into the built-in local
# backend through the write API (PUT /v1/secrets/...) and reads it back with an API token, checks the UID of the
# running process and the image's labels, stops it with SIGTERM within the Deployment's grace period (a clean exit,
# the audit chain's head signed by the final checkpoint), and scans every file of the image (jar entries included)
# for secret material, PostgreSQL binaries and dev-stack classes.
#
# Needs root (podman, Debian packages) and the packaged application (target/quarkus-app; built if missing).
# Prints the image size and the time from `podman run` to ready. With LANYARD_METRICS_SCRAPE set, saves the
# running image's /q/metrics there (scripts/check-deploy.sh checks the rollout analysis against it).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/java-home.sh
. scripts/container-bases.sh
lanyard_debian_tools "${DEBIAN_LINT_TOOLS[@]}" "${DEBIAN_CONTAINER_TOOLS[@]}"
lanyard_container_bases

IMAGE=localhost/lanyard:check
WORK=$(mktemp -d /tmp/lanyard-check-container.XXXXXX)
CONTAINER=""
PG_DATA="$WORK/pg"
cleanup() {
  [ -n "$CONTAINER" ] && podman rm -f "$CONTAINER" >/dev/null 2>&1
  [ -f "$PG_DATA/postmaster.pid" ] && as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate stop >/dev/null 2>&1
  rm -rf "$WORK" .cache/check-container
}
trap cleanup EXIT
log() { echo "check-container: $*"; }
fail() { echo "check-container: FAIL: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
random_b64() { openssl rand -base64 32; }

# ---- the application ------------------------------------------------------------------------------------
# Packaged again when the sources are newer than the jar (as scripts/run.sh does): the image must hold this code.
if [ ! -f target/quarkus-app/quarkus-run.jar ] \
    || [ -n "$(find src pom.xml -newer target/quarkus-app/quarkus-run.jar -print -quit)" ]; then
  log "packaging the application (./mvnw package -DskipTests)"
  ./mvnw -B -ntp -q package -DskipTests
fi

# A canary inside the build context, where a careless .dockerignore would let it into a layer.
mkdir -p .cache/check-container
CANARY="lanyard-canary-$(openssl rand -hex 16)"
echo "$CANARY" > .cache/check-container/canary.key

# ---- build ----------------------------------------------------------------------------------------------
REVISION=$(git rev-parse HEAD 2>/dev/null || echo unknown)
VERSION=$(sed -n 's:^  <version>\(.*\)</version>:\1:p' pom.xml | head -n1)
previous=$(podman image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
started=$(date +%s)
lanyard_podman build --quiet -f deploy/container/Dockerfile \
  --build-arg JDK_IMAGE="$LANYARD_JDK_IMAGE" --build-arg RUNTIME_IMAGE="$LANYARD_RUNTIME_IMAGE" \
  --build-arg VERSION="$VERSION" --build-arg REVISION="$REVISION" --build-arg SOURCE="https://example.invalid/lanyard" \
  -t "$IMAGE" . >/dev/null
SIZE=$(podman image inspect --format '{{.Size}}' "$IMAGE")
# The image this check built last time is of no further use; without this, every run would leave one behind.
current=$(podman image inspect --format '{{.Id}}' "$IMAGE")
if [ -n "$previous" ] && [ "$previous" != "$current" ]; then podman rmi "$previous" >/dev/null 2>&1 || true; fi
log "built $IMAGE in $(( $(date +%s) - started ))s: $(( SIZE / 1000000 )) MB"

labels=$(podman image inspect --format '{{json .Labels}}' "$IMAGE")
for label in source revision version; do
  python3 -c 'import json,sys; l=json.loads(sys.argv[1]); v=l.get("org.opencontainers.image."+sys.argv[2]); sys.exit(0 if v and v!="unknown" else 1)' \
    "$labels" "$label" || fail "label org.opencontainers.image.$label is missing"
done
[ "$(podman image inspect --format '{{.Config.User}}' "$IMAGE")" = "10001:10001" ] || fail "the image's USER is not 10001:10001"

# ---- PostgreSQL (Debian's server), owner and app roles ----------------------------------------------------
PG_BIN=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n1)
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
PG_PORT=$(free_port)
OWNER_PASSWORD=$(openssl rand -hex 16)
APP_PASSWORD=$(openssl rand -hex 16)
mkdir -p "$PG_DATA"
[ "$(id -u)" -eq 0 ] && chown postgres "$WORK" "$PG_DATA"
openssl rand -hex 16 > "$WORK/pg-superuser"
[ "$(id -u)" -eq 0 ] && chown postgres "$WORK/pg-superuser"
as_postgres "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --pwfile="$WORK/pg-superuser" --auth=scram-sha-256 >/dev/null
as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$WORK/pg.log" -w \
  -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=$WORK" start >/dev/null
psql_super() { PGPASSWORD=$(cat "$WORK/pg-superuser") "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres "$@"; }
psql_super -d postgres <<SQL
create role lanyard_owner login password '$OWNER_PASSWORD';
create role lanyard_app login password '$APP_PASSWORD';
create database lanyard owner lanyard_owner;
SQL
psql_super -d lanyard <<SQL
revoke create on schema public from public;
alter schema public owner to lanyard_owner;
SQL
log "PostgreSQL on 127.0.0.1:$PG_PORT"

# ---- configuration and keys, as the Kubernetes manifests mount them -----------------------------------------
SECRETS="$WORK/secrets"; CONFIG="$WORK/config"; STORE="$WORK/store"
mkdir -p "$SECRETS" "$CONFIG" "$STORE"
random_b64 > "$SECRETS/lease-hmac.key"
random_b64 > "$SECRETS/checkpoint-signing.key"
random_b64 > "$SECRETS/local-store.key"
TOKEN=$(python3 -c 'import secrets; print(f"lyt_{secrets.token_hex(8)}_{secrets.token_urlsafe(32)}")')
echo "$TOKEN" > "$SECRETS/check.token"
# The shared file and the environment file, as deploy/k8s mounts them (the environment one through
# quarkus.config.locations). The backend and policy are only in the second, so the fetch below proves both load.
cp deploy/k8s/base/config/application.properties "$CONFIG/application.properties"
cat > "$CONFIG/environment.properties" <<EOF
quarkus.datasource.reactive.url=postgresql://127.0.0.1:$PG_PORT/lanyard
lanyard.owner.jdbc-url=jdbc:postgresql://127.0.0.1:$PG_PORT/lanyard
lanyard.auth.kubernetes.enabled=false
lanyard.auth.bootstrap-tokens."check"=file:/etc/lanyard/secrets/check.token
lanyard.local."local".store-dir=/var/lib/lanyard/store
lanyard.local."local".key=file:/etc/lanyard/secrets/local-store.key
lanyard.policy."check".subjects=token:check
lanyard.policy."check".rules[0].paths=local/team/**
lanyard.policy."check".rules[0].capabilities=read,write
EOF
# The schema owner's password reaches only the migration step, as in deploy/k8s (the Job lanyard-migrate).
OWNER="$WORK/owner"; mkdir -p "$OWNER"
echo "$OWNER_PASSWORD" > "$OWNER/password"
# Readable by the image's user, as Kubernetes' defaultMode and fsGroup make them.
chown -R 10001:10001 "$STORE"
chmod 0755 "$WORK" "$CONFIG"; chmod 0444 "$CONFIG"/*
chown -R 10001:10001 "$SECRETS" "$OWNER"; chmod 0500 "$SECRETS" "$OWNER"; chmod 0400 "$SECRETS"/* "$OWNER"/*
# Hardened the same way for both steps: read-only root, only /tmp writable, no capabilities, host network for
# the loopback PostgreSQL.
run_hardened() {
  lanyard_podman run --network host --read-only --read-only-tmpfs=false \
    --tmpfs /tmp:rw,noexec,nosuid,size=64m --cap-drop ALL --security-opt no-new-privileges "$@"
}

# ---- migrate: the separate owner step ---------------------------------------------------------------------
# It reads the same configuration files as the service (lanyard.owner.jdbc-url is in environment.properties).
run_hardened --rm -v "$CONFIG:/opt/lanyard/config:ro" -v "$OWNER:/etc/lanyard/owner:ro" \
  -e QUARKUS_CONFIG_LOCATIONS=/opt/lanyard/config/environment.properties -e LANYARD_OWNER_USERNAME=lanyard_owner \
  -e LANYARD_OWNER_PASSWORD=file:/etc/lanyard/owner/password "$IMAGE" migrate > "$WORK/migrate.log" 2>&1 \
  || { cat "$WORK/migrate.log" >&2; fail "the migration step failed"; }
log "$(grep -m1 'schema migrated' "$WORK/migrate.log")"

# ---- run it read-only, non-root, no capabilities -----------------------------------------------------------
HTTP_PORT=$(free_port)
started_ms=$(date +%s%3N)
CONTAINER=$(run_hardened --detach \
  -v "$CONFIG:/opt/lanyard/config:ro" -v "$SECRETS:/etc/lanyard/secrets:ro" -v "$STORE:/var/lib/lanyard/store" \
  -e QUARKUS_HTTP_HOST=127.0.0.1 -e QUARKUS_HTTP_PORT="$HTTP_PORT" \
  -e QUARKUS_CONFIG_LOCATIONS=/opt/lanyard/config/environment.properties \
  -e QUARKUS_DATASOURCE_PASSWORD="$APP_PASSWORD" \
  "$IMAGE")
# Up to three minutes: the same budget as the Deployment's startup probe plus a margin for a loaded machine.
ready=""; deadline=$(( $(date +%s) + 180 ))
while [ "$(date +%s)" -lt "$deadline" ]; do
  if curl -fsS -o /dev/null "http://127.0.0.1:$HTTP_PORT/q/health/ready" 2>/dev/null; then ready=yes; break; fi
  [ "$(podman inspect --format '{{.State.Running}}' "$CONTAINER")" = true ] || break
  sleep 0.2
done
if [ -z "$ready" ]; then podman logs "$CONTAINER" 2>&1 | tail -40 >&2; fail "Lanyard did not become ready"; fi
log "ready $(( $(date +%s%3N) - started_ms )) ms after podman run ($(podman logs "$CONTAINER" 2>&1 | grep -o 'started in [0-9.]*s' | head -n1) by Quarkus' count)"

# Written through the image into the store volume (the only writable path besides /tmp), then read back. The
# token travels in a header file, the value in the body on standard input: neither is in a process listing.
SECRET_VALUE="value-$(openssl rand -hex 12)"
auth() { printf 'Authorization: Bearer %s\n' "$TOKEN"; }
written=$(printf %s "$SECRET_VALUE" | python3 -c 'import json,sys; print(json.dumps({"data": {"password": sys.stdin.read()}}))' \
  | curl -fsS -X PUT -H @<(auth) -H 'Content-Type: application/json' --data-binary @- \
      "http://127.0.0.1:$HTTP_PORT/v1/secrets/local/team/db") || fail "writing a secret through the image failed"
version=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["version"])' "$written") \
  || fail "the write answered no version: $written"
body=$(curl -fsS -H @<(auth) "http://127.0.0.1:$HTTP_PORT/v1/secrets/local/team/db") \
  || fail "fetching the secret through the image failed"
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if d["data"]["password"]==sys.argv[2] and d["version"]==sys.argv[3] else 1)' \
  "$body" "$SECRET_VALUE" "$version" || fail "the secret fetched through the image is not the one written"
[ -n "$(find "$STORE" -type f -print -quit)" ] || fail "the write left nothing in the store volume"
status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/v1/secrets/local/team/db")
[ "$status" = 401 ] || fail "a request without a token got $status, not 401"
log "wrote local/team/db (version $version) and read it back with the API token; without it: 401"
bash scripts/smoke-test.sh "http://127.0.0.1:$HTTP_PORT" "$SECRETS/check.token" local/team/db
# The metric names the rollout analysis may use are the ones this image serves.
if [ -n "${LANYARD_METRICS_SCRAPE:-}" ]; then
  curl -fsS "http://127.0.0.1:$HTTP_PORT/q/metrics" -o "$LANYARD_METRICS_SCRAPE"
fi

pid=$(podman inspect --format '{{.State.Pid}}' "$CONTAINER")
uids=$(awk '/^Uid:/{print $2, $3, $4, $5}' "/proc/$pid/status")
[ "$uids" = "10001 10001 10001 10001" ] || fail "the process runs with UIDs $uids, not 10001"
caps=$(awk '/^CapEff:/{print $2}' "/proc/$pid/status")
[ "$caps" = 0000000000000000 ] || fail "the process has effective capabilities $caps"
if lanyard_podman exec "$CONTAINER" /bin/sh -c 'echo x > /opt/lanyard/probe' 2>/dev/null; then
  fail "the root filesystem is writable"
fi
log "process UID 10001, no capabilities, root filesystem read-only"
# ---- SIGTERM, as Kubernetes stops a pod (after the preStop drain) ------------------------------------------
# The budget deploy/k8s gives it: quarkus.shutdown.timeout (config/application.properties) for in-flight
# requests, then the audit queue's commit and a final signed checkpoint, within terminationGracePeriodSeconds.
GRACE=$(sed -n 's/^ *terminationGracePeriodSeconds: *\([0-9]*\).*/\1/p' deploy/k8s/base/deployment.yaml)
stop_started=$(date +%s%3N)
podman stop --time "$GRACE" "$CONTAINER" >/dev/null
stop_ms=$(( $(date +%s%3N) - stop_started ))
exit_code=$(podman inspect --format '{{.State.ExitCode}}' "$CONTAINER")
# 143 = 128 + SIGTERM (the JVM's exit status after its shutdown hooks ran); 137 would mean podman had to kill it.
case "$exit_code" in 0|143) ;; *) podman logs "$CONTAINER" 2>&1 | tail -20 >&2; fail "SIGTERM ended Lanyard with status $exit_code" ;; esac
signed=$(psql_super -d lanyard -At -c 'select (select max(seq) from audit_checkpoint) = (select max(seq) from audit_event)')
[ "$signed" = t ] || fail "after SIGTERM the audit chain's head is not signed by a final checkpoint"
log "SIGTERM: stopped in $stop_ms ms (grace ${GRACE}s), status $exit_code, the audit head signed by the final checkpoint"
podman logs "$CONTAINER" > "$WORK/lanyard.log" 2>&1
for value in "$SECRET_VALUE" "$TOKEN" "$APP_PASSWORD" "$OWNER_PASSWORD"; do
  ! grep -qF "$value" "$WORK/lanyard.log" || fail "a secret value appears in the container's log"
done
podman rm -f "$CONTAINER" >/dev/null; CONTAINER=""

# ---- the image's files: no secrets, no PostgreSQL -----------------------------------------------------------
CONTAINER=$(podman create "$IMAGE")
podman export "$CONTAINER" | python3 scripts/scan-image.py --canary "$CANARY" --canary "$TOKEN" \
  --canary "$(cat "$SECRETS/local-store.key")" --canary "$(cat "$SECRETS/lease-hmac.key")" - \
  || fail "the image holds secret material or PostgreSQL binaries (listed above)"
log "passed: image $(( SIZE / 1000000 )) MB"
