#!/usr/bin/env bash
# shellcheck disable=SC2317 # the check functions are called through `step`, which shellcheck cannot follow
# Checks every deploy artefact: renders and validates the Kubernetes manifests, holds each workload to the
# hardening list, dry-runs them on a real kube-apiserver when one is built, lints the Terraform, the workflows,
# every shell script and the Dockerfile, makes the CycloneDX SBOMs, and builds and runs the image.
#
#   scripts/check-deploy.sh            # everything (the image part needs root, podman and the packaged app)
#   scripts/check-deploy.sh --static   # everything but the image (the pipeline's lint job; it builds the image elsewhere)
#
# Every step runs even when an earlier one failed; the summary lists each step's result and time, and the exit
# status is non-zero if any failed. What cannot run here (terraform validate/plan needs provider downloads,
# vulnerability scans need their databases) runs in .github/workflows only, and the summary says so.
set -uo pipefail
cd "$(dirname "$0")/.."
mode=${1:-all}
started=$(date +%s)
. scripts/java-home.sh
. scripts/deploy-tools.sh
lanyard_deploy_tools || { echo "check-deploy: FAIL: the tools could not be installed" >&2; exit 1; }
echo "check-deploy: tools ready in $(( $(date +%s) - started ))s (cache: $LANYARD_TOOLS)"

WORK=$(mktemp -d /tmp/lanyard-check-deploy.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
PY="$LANYARD_TOOLS_PYTHON"
results=(); failed=0
step() {
  local name=$1 t0 rc
  shift
  t0=$(date +%s)
  echo "check-deploy: --- $name"
  "$@"; rc=$?
  if [ "$rc" -eq 0 ]; then results+=("ok      $name ($(( $(date +%s) - t0 ))s)")
  elif [ "$rc" -eq 3 ]; then results+=("skipped $name: $(cat "$WORK/skip-reason" 2>/dev/null)")
  else results+=("FAILED  $name ($(( $(date +%s) - t0 ))s)"); failed=1; fi
}
skip() { echo "$*" > "$WORK/skip-reason"; echo "check-deploy: skipped: $*"; return 3; }

OVERLAYS=(staging production production-blue-green)
render() {
  mkdir -p "$WORK/render"
  kustomize build deploy/k8s/base > "$WORK/render/base.yaml" || return 1
  local overlay
  for overlay in "${OVERLAYS[@]}"; do
    kustomize build "deploy/k8s/overlays/$overlay" > "$WORK/render/$overlay.yaml" || return 1
    echo "rendered $overlay: $(grep -c '^kind:' "$WORK/render/$overlay.yaml") objects"
  done
}

# The CRDs of the checkout under test: every CustomResourceDefinition in k8s-external-secrets/.
lanyard_crd_files() {
  grep -l -r --include='*.yaml' '^kind: CustomResourceDefinition' k8s-external-secrets 2>/dev/null | sort
}

validate() {
  local converter crds=() crd absolute=()
  converter=$(lanyard_go_module_dir "github.com/yannh/kubeconform@$KUBECONFORM_VERSION")/scripts/openapi2jsonschema.py
  mapfile -t crds < <(lanyard_crd_files)
  [ ${#crds[@]} -gt 0 ] || { echo "no CRD found in k8s-external-secrets/"; return 1; }
  for crd in "${crds[@]}"; do absolute+=("$PWD/$crd"); done
  mkdir -p "$WORK/crd-schemas"
  (cd "$WORK/crd-schemas" && FILENAME_FORMAT='{kind}_{version}' "$PY" "$converter" "${absolute[@]}" >/dev/null) || return 1
  local samples=()
  [ -d k8s-external-secrets/samples ] && mapfile -t samples < <(find k8s-external-secrets/samples -name '*.yaml' | sort)
  kubeconform -strict -summary -kubernetes-version "$KUBERNETES_SCHEMA_VERSION" \
    -schema-location "$LANYARD_K8S_SCHEMAS/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
    -schema-location "$LANYARD_CRD_SCHEMAS/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json" \
    -schema-location "$WORK/crd-schemas/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json" \
    "$WORK"/render/*.yaml deploy/argocd/*.yaml "${samples[@]}"
}

hardening() {
  local overlay status=0
  local production
  for overlay in "${OVERLAYS[@]}"; do
    production=(); [[ $overlay == production* ]] && production=(--production)
    "$PY" scripts/check-manifests.py "${production[@]}" "$WORK/render/$overlay.yaml" \
      && echo "$overlay: every workload passes the hardening list" || status=1
  done
  # The checker itself must fail on each broken rule.
  "$PY" scripts/test_check_manifests.py "$WORK/render/production.yaml" deploy/k8s/tests/insecure-workload.yaml || status=1
  return "$status"
}

# Argo Rollouts' own validation (the controller's), which refuses specs the CRD schema lets through; it must
# also refuse the broken fixture.
rollouts_validate() {
  local overlay out rc
  # One overlay at a time: a workloadRef is resolved within its own render. (The base has no Rollout.)
  for overlay in "${OVERLAYS[@]}"; do rollout-validate "$WORK/render/$overlay.yaml" || return 1; done
  out=$(rollout-validate deploy/k8s/tests/invalid-rollout.yaml); rc=$?
  if [ "$rc" -ne 1 ] || ! grep -q 'dynamicStableScale' <<<"$out" || ! grep -q 'setWeight' <<<"$out"; then
    echo "rollout-validate did not refuse deploy/k8s/tests/invalid-rollout.yaml for both of its problems:"; echo "$out"
    return 1
  fi
  echo "deploy/k8s/tests/invalid-rollout.yaml refused, as it must be"
}

dry_run() {
  local crds=() rollouts prometheus
  mapfile -t crds < <(lanyard_crd_files)
  rollouts=$(lanyard_go_module_dir "github.com/argoproj/argo-rollouts@$ARGO_ROLLOUTS_VERSION") || return 1
  prometheus=$(lanyard_go_module_dir "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION") || return 1
  crds+=("$rollouts/manifests/crds/rollout-crd.yaml" "$rollouts/manifests/crds/analysis-template-crd.yaml"
         "$prometheus/example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml")
  # The same staging objects with one container allowed to escalate: the API server's Pod Security admission
  # must object, or the dry run proves nothing.
  sed 's/allowPrivilegeEscalation: false/allowPrivilegeEscalation: true/' "$WORK/render/staging.yaml" > "$WORK/escalating.yaml"
  LANYARD_TOOLS_PYTHON="$PY" bash scripts/kube-dry-run.sh "${crds[@]}" -- "$WORK"/render/*.yaml --refused "$WORK/escalating.yaml"
  local rc=$?
  [ "$rc" -eq 3 ] && skip "no kube-apiserver/etcd built yet (scripts/kube-peers.sh builds them)"
  return "$rc"
}

yaml_lint() { yamllint -s -c deploy/yamllint.yaml deploy .github; }

terraform_lint() {
  tofu fmt -check -recursive -diff deploy/terraform || return 1
  echo "tofu fmt: formatted"
  tflint --chdir=deploy/terraform --recursive --config="$PWD/deploy/terraform/.tflint.hcl" || return 1
  echo "tflint: no findings (bundled terraform ruleset, preset all; the AWS ruleset and validate/plan run in the pipeline)"
}

workflows_lint() { actionlint -no-color .github/workflows/*.yml && echo "actionlint: no findings"; }

# Every shell script in the checkout: tracked *.sh files and files whose first line names a shell.
shell_lint() {
  local scripts=() file
  while IFS= read -r file; do
    case "$file" in *.sh) scripts+=("$file"); continue ;; esac
    head -c 64 "$file" 2>/dev/null | head -n1 | grep -qE '^#!.*\b(ba)?sh\b' && scripts+=("$file")
  done < <(git ls-files --cached --others --exclude-standard | grep -v -E '\.(java|py|ya?ml|md|json|tf|properties|xml)$')
  echo "shellcheck: ${#scripts[@]} scripts"
  # Sourced files have no shebang; they are bash. Style notes (info) are left to each author.
  shellcheck --shell=bash --severity=warning --external-sources "${scripts[@]}"
}

dockerfile_lint() { hadolint --failure-threshold style deploy/container/Dockerfile && echo "hadolint: no findings"; }

# CycloneDX SBOMs: the service, and rotation-lambdas/ when it exists. The vulnerability scan of them needs a
# database this machine cannot reach; the pipeline runs it.
sbom() {
  local project status=0
  for project in . rotation-lambdas; do
    [ -f "$project/pom.xml" ] || continue
    ./mvnw -B -ntp -q -f "$project/pom.xml" org.cyclonedx:cyclonedx-maven-plugin:2.9.3:makeAggregateBom \
      -DoutputFormat=json -DoutputName=bom -DincludeTestScope=false || { status=1; continue; }
    "$PY" - "$project/target/bom.json" <<'PY' || status=1
import json, sys
bom = json.load(open(sys.argv[1]))
components = bom.get("components", [])
assert bom.get("bomFormat") == "CycloneDX", "not a CycloneDX document"
assert components, "no components"
assert all(c.get("purl") for c in components), "a component has no package URL"
print(f"SBOM {sys.argv[1]}: CycloneDX {bom['specVersion']}, {len(components)} components, "
      f"for {bom['metadata']['component']['group']}:{bom['metadata']['component']['name']}")
PY
  done
  return "$status"
}

# The pipeline's unit phase runs what it says (.github/workflows/delivery.yml, job unit-tests): unit tests only, no
# *IT, which need the peers that job does not install. Each of the job's commands runs with JUnit's dry run (tests
# selected and listed, none executed, no report files) and must list unit tests and no IT. The same command made to
# select an IT must be caught, or this check could not fail.
unit_phase() {
  local commands=() command listed its status=0
  mapfile -t commands < <("$PY" - .github/workflows/delivery.yml <<'PY'
import sys, yaml
steps = yaml.safe_load(open(sys.argv[1]))["jobs"]["unit-tests"]["steps"]
for step in steps:
    if "run" in step:
        print(" ".join(step["run"].split()))
PY
  )
  [ ${#commands[@]} -gt 0 ] || { echo "the unit-tests job runs no command"; return 1; }
  dry_run_tests() {
    bash -c "$1 -Djunit.platform.execution.dryRun.enabled=true -DdisableXmlReport=true -Dsurefire.useFile=false" 2>&1 \
      | sed -n 's/.*Tests run: .* -- in \([A-Za-z0-9_.$]*\)$/\1/p' | sort -u
  }
  for command in "${commands[@]}"; do
    case "$command" in
      "./mvnw "*) ;;
      *) echo "the unit-tests job runs something that is not the Maven build: $command"; status=1; continue ;;
    esac
    listed=$(dry_run_tests "$command")
    its=$(grep -E 'IT$' <<<"$listed")
    if [ -z "$listed" ]; then echo "'$command' selects no test at all"; status=1
    elif [ -n "$its" ]; then echo "'$command' selects integration tests:"; echo "$its"; status=1
    else echo "'$command' selects $(wc -l <<<"$listed") unit test classes and no IT"; fi
  done
  # The control: the first command told to select one IT beside one unit test; the listing must show it.
  listed=$(dry_run_tests "${commands[0]} -Dtest=GoDurationTest,KubeApiServerResourceIT -Dsurefire.failIfNoSpecifiedTests=false")
  if ! grep -qx 'dev.lanyard.k8s.KubeApiServerResourceIT' <<<"$listed"; then
    echo "the control run's listing did not show the IT it selected, so this check cannot see ITs:"; echo "$listed"; status=1
  fi
  return "$status"
}

# The image scan must find each kind of secret and PostgreSQL file it looks for, in files and nested jars.
scan_self_test() { "$PY" scripts/test_scan_image.py; }

container() {
  [ "$(id -u)" -eq 0 ] || { skip "the image check needs root (podman here)"; return; }
  LANYARD_METRICS_SCRAPE="$WORK/metrics.txt" bash scripts/check-container.sh
}

metric_names() {
  [ -s "$WORK/metrics.txt" ] || { skip "no scrape of a running image (the image check did not get that far)"; return; }
  "$PY" scripts/check-metric-names.py "$WORK/metrics.txt" "$WORK"/render/*.yaml
}

step "kustomize build (base and overlays)" render
step "kubeconform -strict (Kubernetes $KUBERNETES_SCHEMA_VERSION, Lanyard, Argo CD, Argo Rollouts, Prometheus Operator schemas)" validate
step "hardening list (and its mutation test)" hardening
step "Argo Rollouts' own validation of the Rollouts and AnalysisTemplates" rollouts_validate
step "server-side dry run on a real kube-apiserver" dry_run
step "yamllint" yaml_lint
step "tofu fmt -check, tflint" terraform_lint
step "actionlint" workflows_lint
step "shellcheck (every script)" shell_lint
step "hadolint" dockerfile_lint
step "CycloneDX SBOM" sbom
step "the pipeline's unit phase selects unit tests only (JUnit dry run)" unit_phase
step "image scan finds what it looks for (self-test)" scan_self_test
if [ "$mode" != --static ]; then
  step "image: build, run read-only against PostgreSQL, scan" container
  step "rollout analysis queries name exported metrics" metric_names
fi

echo "check-deploy: ==== summary ($(( $(date +%s) - started ))s)"
printf 'check-deploy:   %s\n' "${results[@]}"
echo "check-deploy:   not run here (no provider or vulnerability database downloads): tofu validate/plan/apply, tflint's AWS ruleset, dependency and image vulnerability scans, image push and signing — .github/workflows runs them"
exit "$failed"
