#!/usr/bin/env bash
# Runs every Lanyard test against real peers. Installs what it needs first (JDK >= 21 is picked from the
# machine; OpenBao, moto, hvac and the live checks' Python clients into .cache/venv; kube-apiserver, etcd,
# kube-controller-manager and kubectl built once into the per-user cache by kube-peers.sh; promtool from Debian's
# prometheus package into the same cache by observability-tools.sh; PostgreSQL comes with
# the Maven build). Extra arguments go to the service's Maven build; the rotation Lambdas (rotation-lambdas/, a
# build of their own) run after it, then the documents' commands (scripts/check-docs.sh), then the deploy checks
# (scripts/check-deploy.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/java-home.sh
# Every relative link and anchor in the Markdown files: a second, before anything slow.
python3 scripts/check-links.py
. scripts/peers.sh
lanyard_install_peers
lanyard_install_live_checks
lanyard_install_moto
export LANYARD_BAO="$LANYARD_VENV/bin/bao" LANYARD_VENV
. scripts/kube-peers.sh
lanyard_install_kube
# The Vault clients the Vault-compatible API is tested with: hvac into the venv, the ESO check (Go) into the per-user
# cache, psql; the bao CLI and agent come with OpenBao's wheel.
. scripts/vault-clients.sh
lanyard_install_vault_clients
# The alert rules: syntax and their promtool unit tests (Prometheus from the per-user cache, seconds once cached).
bash scripts/observability-check.sh
start=$(date +%s)
./mvnw -B -ntp verify "$@"
echo "Lanyard test suite finished in $(( $(date +%s) - start ))s"
lambdas_start=$(date +%s)
./mvnw -B -ntp -f rotation-lambdas/pom.xml verify
echo "Rotation Lambdas suite finished in $(( $(date +%s) - lambdas_start ))s"
# The documents: every command a reader would paste runs against a dev stack and the test peers, or is skipped with
# its reason (scripts/check-docs.sh, docs/tests.md).
# LANYARD_DOC_CHECKS=none leaves them out (a targeted run of one test class, say).
if [ "${LANYARD_DOC_CHECKS:-all}" != none ]; then
  docs_start=$(date +%s)
  bash scripts/check-docs.sh
  echo "Document checks finished in $(( $(date +%s) - docs_start ))s"
fi
# The deploy artefacts (image, manifests, Terraform, workflows, scripts): scripts/check-deploy.sh. The delivery
# workflow runs the same checks in jobs of their own and sets LANYARD_DEPLOY_CHECKS=none here.
[ "${LANYARD_DEPLOY_CHECKS:-all}" = none ] || bash scripts/check-deploy.sh
