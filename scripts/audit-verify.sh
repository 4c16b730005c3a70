#!/usr/bin/env bash
# Verifies an audit export offline: scripts/audit-verify.sh EXPORT.jsonl PUBLIC_KEY_FILE CHECKPOINTS.jsonl
# Prints "valid up to N, signed at T" or "broken at seq N: reason"; exits 0 valid, 1 invalid, 2 usage/IO error.
# Needs no database and no running Lanyard: a JDK >= 21 and the built classes (built here if missing).
# The verifier itself only uses Jackson and BouncyCastle from the class path below.
set -euo pipefail
# Relative paths are the caller's: make them absolute before changing to the project directory.
args=()
for arg in "$@"; do
  case "$arg" in
    /*) args+=("$arg") ;;
    *) args+=("$PWD/$arg") ;;
  esac
done
cd "$(dirname "$0")/.."
. scripts/java-home.sh
if [ ! -d target/quarkus-app/lib ] || [ ! -f target/classes/dev/lanyard/audit/OfflineVerifier.class ]; then
  ./mvnw -B -ntp -q package -DskipTests >&2
fi
exec java -cp "target/classes:target/quarkus-app/lib/main/*" dev.lanyard.audit.OfflineVerifier "${args[@]+"${args[@]}"}"
