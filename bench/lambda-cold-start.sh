#!/usr/bin/env bash
# Cold start of the rotation Lambdas: each handler's first invocation in a fresh JVM, from its built deployment
# package, against moto (as Secrets Manager) and an embedded PostgreSQL started for the run, beside the same
# step's second invocation in that JVM and a bare JVM start measured in the same run. Figures are printed only
# when every invocation exited 0 and the secrets and database show the steps happened. No target is enforced.
# See bench/README.md ("Rotation Lambdas: cold start").
#
# Environment (optional):
#   BENCH_RUNS=5    fresh JVMs per handler and step (the median is reported)
#   BENCH_OUT=DIR   where moto's log and the unpacked packages go (default .cache/bench/lambdas-<timestamp>)
#   LANYARD_MOTO    moto_server to use (default: installed into .cache/venv by scripts/peers.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=${BENCH_RUNS:-5}
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "bench: BENCH_RUNS must be a positive whole number, got '$RUNS'" >&2; exit 2; }
OUT=${BENCH_OUT:-$ROOT/.cache/bench/lambdas-$(date -u +%Y%m%dT%H%M%SZ)}

. scripts/java-home.sh
. scripts/peers.sh
lanyard_install_moto >&2

echo "bench: building the deployment packages" >&2
./mvnw -B -ntp -q -f rotation-lambdas/pom.xml package dependency:build-classpath -DskipTests \
  -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime >&2
L=$ROOT/rotation-lambdas
CLASSPATH_FILE=$L/rotation-testing/target/classpath.txt
BENCH_CP="$L/rotation-testing/target/classes:$(cat "$CLASSPATH_FILE")"

mkdir -p "$OUT"
echo "bench: $RUNS fresh JVMs per handler and step; java $(java -version 2>&1 | head -n1)" >&2
java -Dbench.work="$OUT" -cp "$BENCH_CP" dev.lanyard.rotation.testing.ColdStartBench "$RUNS" \
  "$L/postgres-single-user/target/postgres-single-user.zip=dev.lanyard.rotation.postgres.singleuser.PostgresSingleUserHandler=single" \
  "$L/postgres-alternating-users/target/postgres-alternating-users.zip=dev.lanyard.rotation.postgres.alternating.PostgresAlternatingUsersHandler=alternating" \
  "$L/generic-random/target/generic-random.zip=dev.lanyard.rotation.random.GenericRandomHandler=random"
echo
echo "Package sizes:"
for zip in "$L"/postgres-single-user/target/postgres-single-user.zip "$L"/postgres-alternating-users/target/postgres-alternating-users.zip "$L"/generic-random/target/generic-random.zip; do
  printf '  %-32s %8.2f MiB\n' "$(basename "$zip")" "$(echo "$(stat -c %s "$zip") / 1048576" | bc -l)"
done
