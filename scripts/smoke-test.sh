#!/usr/bin/env bash
# Smoke test of a running Lanyard: what a deploy must not break. The pipeline runs it after each deploy
# (through a port-forward to the new pods); scripts/check-container.sh runs it against the image it built.
#
#   scripts/smoke-test.sh <base-url> <token-file> <backend/path of a secret the token may read>
#
# Checks: ready, live and started are UP; an authenticated read answers 200 with data; the same read without
# a token answers 401 problem+json; /q/metrics serves the request timer the rollout analysis queries.
set -euo pipefail
base=${1:?base URL}; token_file=${2:?token file}; secret=${3:?backend/path}
fail() { echo "smoke-test: FAIL: $*" >&2; exit 1; }
body=$(mktemp); trap 'rm -f "$body"' EXIT

for probe in live ready started; do
  status=$(curl -sS -o "$body" -w '%{http_code}' "$base/q/health/$probe") || fail "$base is unreachable"
  [ "$status" = 200 ] || fail "/q/health/$probe answered $status: $(head -c 300 "$body")"
done

status=$(curl -sS -o "$body" -w '%{http_code}' -H @<(printf 'Authorization: Bearer %s\n' "$(cat "$token_file")") \
  "$base/v1/secrets/$secret")
[ "$status" = 200 ] || fail "reading $secret answered $status: $(head -c 300 "$body")"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d.get("data") else 1)' "$body" \
  || fail "reading $secret returned no data"

status=$(curl -sS -o "$body" -w '%{http_code} %{content_type}' "$base/v1/secrets/$secret")
[ "$status" = "401 application/problem+json" ] || fail "a read without a token answered $status"

curl -fsS "$base/q/metrics" -o "$body" || fail "/q/metrics is unreachable"
grep -q '^http_server_requests_seconds_count{.*uri="/v1/secrets/{backend}/{path}"' "$body" \
  || fail "/q/metrics has no http_server_requests_seconds_count for /v1/secrets"
echo "smoke-test: passed against $base"
