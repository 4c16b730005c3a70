#!/usr/bin/env bash
# Profiles Lanyard under phase B's load (cache hit, group-commit audit) with JDK Flight Recorder and prints
# where its CPU samples went, aggregated by top frame and by Lanyard/library package.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/java-home.sh
DURATION="${DURATION:-20s}"; WORKERS="${WORKERS:-32}"
VEGETA="${VEGETA:-.cache/bin/vegeta}"
[ -x "$VEGETA" ] || GOBIN="$PWD/.cache/bin" go install github.com/tsenart/vegeta/v12@v12.12.0
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
OUT=".cache/bench/profile-$(date -u +%Y%m%dT%H%M%SZ)"; mkdir -p "$OUT"
LANYARD_JAVA_OPTS="-XX:StartFlightRecording=filename=$OUT/lanyard.jfr,settings=profile,dumponexit=true" \
  LANYARD_PORT="$PORT" scripts/run.sh > "$OUT/lanyard.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 240); do curl -sf "http://127.0.0.1:$PORT/q/health/ready" >/dev/null 2>&1 && break; sleep 0.5; done
TARGET="GET http://127.0.0.1:$PORT/v1/secrets/openbao/secret/demo/hello
Authorization: Bearer $(cat .cache/dev/demo-token)"
echo "$TARGET" | "$VEGETA" attack -rate=0 -max-workers="$WORKERS" -workers="$WORKERS" -duration="$DURATION" \
  | "$VEGETA" report -type=text | head -8
kill -TERM $PID; wait $PID || true
trap - EXIT
"$JAVA_HOME/bin/jfr" print --events jdk.ExecutionSample "$OUT/lanyard.jfr" > "$OUT/samples.txt"
python3 - "$OUT/samples.txt" <<'PY'
import re, sys, collections
text = open(sys.argv[1]).read()
samples = text.split("jdk.ExecutionSample")
top, pkg = collections.Counter(), collections.Counter()
for s in samples[1:]:
    frames = re.findall(r'^\s+([\w.$<>]+)\(', s, re.M)
    if not frames: continue
    top[frames[0]] += 1
    owner = next((f for f in frames if f.startswith("dev.lanyard")), None)
    first = frames[0]
    area = ("lanyard: " + ".".join(owner.split(".")[:3])) if owner else ".".join(first.split(".")[:3])
    pkg[area] += 1
total = sum(top.values())
print(f"\n{total} CPU samples in Lanyard's JVM")
print("\nby area (first Lanyard frame on the stack, else the top frame's package):")
for k, v in pkg.most_common(15): print(f"  {100*v/total:5.1f}%  {k}")
print("\ntop frames:")
for k, v in top.most_common(15): print(f"  {100*v/total:5.1f}%  {k}")
PY
echo "recording: $OUT/lanyard.jfr"
