#!/usr/bin/env bash
# Renders deploy/observability/lanyard-dashboard.png from a real load run: the dev stack (scripts/run.sh: the packaged
# jar on embedded PostgreSQL and an OpenBao dev server), a Prometheus (Debian package, per-user cache) scraping its
# /q/metrics every 5 s, a few minutes of mixed load (KV reads, credential issues and renewals, refused and unknown
# requests, a burst against a stopped backend path), then every dashboard query drawn from Prometheus by
# deploy/observability/render_dashboard.py (matplotlib, pinned, in .cache/venv-dashboard). Loopback only; stops
# everything it started. LANYARD_SNAPSHOT_SECONDS (default 180) sets the load's length.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/observability-tools.sh
lanyard_install_prometheus
if [ ! -x .cache/venv-dashboard/bin/python ]; then
  python3 -m venv .cache/venv-dashboard
  .cache/venv-dashboard/bin/pip install -q matplotlib==3.11.2
fi
seconds=${LANYARD_SNAPSHOT_SECONDS:-180}
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

LANYARD_PORT=18200 bash scripts/run.sh > "$work/lanyard.log" 2>&1 &
pids+=($!)
base=http://127.0.0.1:18200
for _ in $(seq 1 180); do
  curl -sf "$base/q/health/ready" >/dev/null 2>&1 && break
  sleep 1
done
curl -sf "$base/q/health/ready" >/dev/null || { tail -50 "$work/lanyard.log"; exit 1; }
token=$(cat .cache/dev/demo-token)

cat > "$work/prometheus.yml" <<YAML
global: {scrape_interval: 5s}
scrape_configs:
  - job_name: lanyard
    metrics_path: /q/metrics
    static_configs: [{targets: ['127.0.0.1:18200']}]
YAML
"$LANYARD_PROMETHEUS" --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address=127.0.0.1:19090 > "$work/prometheus.log" 2>&1 &
pids+=($!)
start=$(date +%s)
end=$((start + seconds))

load() {  # one client: mostly cached KV reads, some issues and renewals, some refusals
  local i=0
  while [ "$(date +%s)" -lt "$end" ]; do
    i=$((i + 1))
    curl -s -o /dev/null -H "Authorization: Bearer $token" "$base/v1/secrets/openbao/secret/demo/hello"
    if [ $((i % 5)) -eq 0 ]; then
      lease=$(curl -s -X POST -H "Authorization: Bearer $token" "$base/v1/creds/openbao/database/creds/demo" \
        | sed -n 's/.*"lease_id":"\([^"]*\)".*/\1/p')
      [ -n "$lease" ] && curl -s -o /dev/null -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
        -d "{\"lease_id\":\"$lease\"}" "$base/v1/leases/renew"
    fi
    [ $((i % 7)) -eq 0 ] && curl -s -o /dev/null -H "Authorization: Bearer $token" "$base/v1/secrets/openbao/secret/demo/missing-$i"
    [ $((i % 11)) -eq 0 ] && curl -s -o /dev/null -H "Authorization: Bearer lyd_wrong" "$base/v1/secrets/openbao/secret/demo/hello"
  done
}
for _ in 1 2 3 4; do load & pids+=($!); done
wait "${pids[@]:2}" 2>/dev/null || true
sleep 10  # the last scrapes
.cache/venv-dashboard/bin/python deploy/observability/render_dashboard.py http://127.0.0.1:19090 \
  deploy/observability/lanyard-dashboard.json deploy/observability/lanyard-dashboard.png "$start" "$(date +%s)"
echo "wrote deploy/observability/lanyard-dashboard.png ($seconds s of load)"
