#!/usr/bin/env bash
# Verifies an audit export or archived segment offline:
#   scripts/audit-verify.sh [--whole-log] EXPORT.jsonl PUBLIC_KEY_FILE CHECKPOINTS.jsonl
# Prints "valid up to N, signed at T" (and what the export does not cover) or "broken at seq N: reason"; exits 0
# valid, 1 invalid, 2 usage/IO error. Needs no database and no running Lanyard: a JDK >= 21, the verifier jar (the
# audit chain package alone, built here if missing) and the Jackson and BouncyCastle jars beside it.
set -euo pipefail
# Relative paths are the caller's: make them absolute before changing to the project directory.
args=()
for arg in "$@"; do
  case "$arg" in
    /*|--*) args+=("$arg") ;;
    *) args+=("$PWD/$arg") ;;
  esac
done
cd "$(dirname "$0")/.."
. scripts/java-home.sh
verifier=$(ls target/lanyard-*-audit-verifier.jar 2>/dev/null | head -n1 || true)
if [ -z "$verifier" ] || [ ! -d target/quarkus-app/lib/main ]; then
  ./mvnw -B -ntp -q package -DskipTests >&2
  verifier=$(ls target/lanyard-*-audit-verifier.jar | head -n1)
fi
libs=target/quarkus-app/lib/main
classpath="$verifier"
for jar in "$libs"/com.fasterxml.jackson.core.jackson-*.jar "$libs"/org.bouncycastle.bcprov-*.jar; do
  classpath="$classpath:$jar"
done
exec java -cp "$classpath" dev.lanyard.audit.chain.OfflineVerifier "${args[@]+"${args[@]}"}"
