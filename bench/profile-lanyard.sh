#!/usr/bin/env bash
# Profiles Lanyard under phase B's load (audited cache hit, group-commit audit) with JDK Flight Recorder, after the
# JIT has settled, and prints where the Lanyard JVM's CPU samples went: by layer (the nearest frame that is not the
# JDK's) and by top frame. LANYARD_APP_JAR profiles another build (for a before/after pair); WARMUP (60 s) and
# DURATION (20 s) set the phases. The recording is kept under .cache/bench/profile-*.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/java-home.sh
WARMUP="${WARMUP:-60}"; DURATION="${DURATION:-20}"; CONNECTIONS="${CONNECTIONS:-32}"
command -v wrk >/dev/null || { echo "profile: wrk is needed (apt-get install wrk)" >&2; exit 2; }
ROOT=$PWD
OUT="$ROOT/.cache/bench/profile-$(date -u +%Y%m%dT%H%M%SZ)"; mkdir -p "$OUT"
. bench/dev-stack.sh
dev_stack_running && { echo "profile: a dev stack is already running; stop it first" >&2; exit 2; }
trap dev_stack_stop EXIT
dev_stack_start "$OUT/lanyard.log" || exit 1
JVM=$LANYARD_PID
URL="$LANYARD/v1/secrets/openbao/secret/demo/hello"
AUTH="Authorization: Bearer $(cat "$DEMO_TOKEN_FILE")"
echo "warming up for ${WARMUP}s (the JIT compiles the hot path; not recorded)" >&2
wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" -H "$AUTH" "$URL" >/dev/null
"$JAVA_HOME/bin/jcmd" "$JVM" JFR.start name=hot settings=profile filename="$OUT/lanyard.jfr" >/dev/null
wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" -H "$AUTH" "$URL" | grep -E 'Requests/sec|Non-2xx' || true
"$JAVA_HOME/bin/jcmd" "$JVM" JFR.stop name=hot >/dev/null
"$JAVA_HOME/bin/jfr" print --stack-depth 96 --events jdk.ExecutionSample "$OUT/lanyard.jfr" > "$OUT/samples.txt"
python3 - "$OUT/samples.txt" <<'PY'
import collections, re, sys
LAYERS = [("lanyard", "dev.lanyard."), ("REST layer (resteasy)", "org.jboss.resteasy"),
          ("context propagation", "io.smallrye.context"), ("CDI (arc)", "io.quarkus.arc"),
          ("metrics (micrometer)", "io.micrometer"), ("metrics (quarkus)", "io.quarkus.micrometer"),
          ("vert.x web router", "io.vertx.ext.web"), ("pg client", "io.vertx.pgclient"), ("sql client", "io.vertx.sqlclient"),
          ("jackson", "com.fasterxml.jackson"), ("opentelemetry", "io.opentelemetry"), ("mutiny", "io.smallrye.mutiny"),
          ("vert.x core", "io.vertx.core"), ("netty (I/O)", "io.netty"), ("quarkus http", "io.quarkus.vertx.http"),
          ("quarkus other", "io.quarkus"), ("logging", "org.jboss.log"), ("bouncycastle", "org.bouncycastle")]
samples = open(sys.argv[1]).read().split("jdk.ExecutionSample")[1:]
layers, lanyard, top = collections.Counter(), collections.Counter(), collections.Counter()
for sample in samples:
    frames = re.findall(r"^\s+([\w.$<>/]+)\(", sample, re.M)
    if not frames:
        continue
    top[frames[0]] += 1
    layer = None
    for frame in frames:
        layer = next((name for name, prefix in LAYERS if frame.startswith(prefix)), None)
        if layer:
            if layer == "lanyard":
                lanyard[frame.rsplit(".", 1)[0].replace("dev.lanyard.", "")] += 1
            break
    layers[layer or "JDK only"] += 1
total = sum(layers.values())
print(f"\n{total} CPU samples in Lanyard's JVM")
print("\nby layer (the nearest frame that is not the JDK's):")
for name, n in layers.most_common():
    print(f"  {100 * n / total:5.1f}%  {name}")
print("\nLanyard's own classes among them:")
for name, n in lanyard.most_common(12):
    print(f"  {100 * n / total:5.1f}%  {name}")
print("\ntop frames:")
for name, n in top.most_common(12):
    print(f"  {100 * n / total:5.1f}%  {name}")
PY
echo "recording: $OUT/lanyard.jfr"
