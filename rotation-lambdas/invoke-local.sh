#!/usr/bin/env bash
# Invokes a rotation function on this machine, from its built deployment package, with event files, the way
# Lambda would: the package is unpacked (classes at the root, jars in lib/), one JVM is one execution environment,
# and the handler reads its configuration from the environment only.
#
#   rotation-lambdas/invoke-local.sh <function> <event.json>...
#     function: postgres-single-user | postgres-alternating-users | generic-random
#
# Sample events are in rotation-lambdas/events/ (put the secret's ARN and the pending version's token in them).
# The environment is what the function gets in Lambda: AWS_REGION, credentials (AWS_ACCESS_KEY_ID and
# AWS_SECRET_ACCESS_KEY, or AWS_PROFILE), SECRETS_MANAGER_ENDPOINT (optional), EXCLUDE_CHARACTERS, PASSWORD_LENGTH,
# and the other variables in rotation-lambdas/README.md. Log lines (JSON) go to standard output, timings to
# standard error. The package is built first when it is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 2 ] || { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
function=$1; shift
case "$function" in
  postgres-single-user) handler=dev.lanyard.rotation.postgres.singleuser.PostgresSingleUserHandler ;;
  postgres-alternating-users) handler=dev.lanyard.rotation.postgres.alternating.PostgresAlternatingUsersHandler ;;
  generic-random) handler=dev.lanyard.rotation.random.GenericRandomHandler ;;
  *) echo "unknown function '$function' (postgres-single-user, postgres-alternating-users, generic-random)" >&2; exit 2 ;;
esac
events=()
for event in "$@"; do
  [ -f "$event" ] || { echo "no such event file: $event" >&2; exit 2; }
  events+=("$(cd "$(dirname "$event")" && pwd)/$(basename "$event")")
done

. "$here/../scripts/java-home.sh"
zip=$here/$function/target/$function.zip
if [ ! -f "$zip" ]; then
  echo "building $zip" >&2
  "$here/../mvnw" -B -ntp -q -f "$here/pom.xml" -pl "$function" -am package -DskipTests >&2
fi
task=$here/$function/target/local-task
rm -rf "$task" && mkdir -p "$task"
(cd "$task" && jar xf "$zip")
cd "$task"
exec java -cp "$task:$task/lib/*" dev.lanyard.rotation.protocol.LocalInvoke "$handler" "${events[@]}"
