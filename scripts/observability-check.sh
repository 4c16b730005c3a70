#!/usr/bin/env bash
# Checks the alert rules: promtool check rules (syntax, templates) and promtool test rules (every alert fires on its
# synthetic "firing" series and stays silent on its "silent" ones). Run by scripts/test.sh before the Maven build;
# ObservabilityIT checks, against a running Lanyard, that the rules and the dashboard name only exported metrics.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/observability-tools.sh
lanyard_install_prometheus
"$LANYARD_PROMTOOL" check rules deploy/observability/alerts.yaml
(cd deploy/observability && "$LANYARD_PROMTOOL" test rules alerts.test.yaml)
