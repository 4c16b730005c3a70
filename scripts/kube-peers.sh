#!/usr/bin/env bash
# Builds the real Kubernetes control plane the tests start: kube-apiserver, kube-controller-manager and kubectl
# v1.34.4, and etcd 3.6.16, from the Go module proxy (no registry ships current binaries, and the test kits'
# own downloads cannot reach their hosts). They go into a per-user cache outside the checkout, keyed by version,
# in the layout fabric8 kube-api-test expects:
#   $LANYARD_KUBE_DIR/k8s/1.34.4-linux-amd64/{kube-apiserver,etcd,kubectl,kube-controller-manager}
# About 7 minutes cold on 2 cores; present binaries are skipped, and Go's build and module caches are left in
# place so a rebuild on a warm machine takes seconds. Source it (then call lanyard_install_kube) or run it.
LANYARD_KUBE_VERSION=1.34.4
LANYARD_ETCD_VERSION=3.6.16
LANYARD_KUBE_DIR="${LANYARD_KUBE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lanyard/kube/$LANYARD_KUBE_VERSION}"
export LANYARD_KUBE_DIR

lanyard_kube_log() { echo "kube-peers: $*" >&2; }

# The folder holding the four binaries.
lanyard_kube_bin() { echo "$LANYARD_KUBE_DIR/k8s/$LANYARD_KUBE_VERSION-$(go env GOOS)-$(go env GOARCH)"; }

# True when the binary exists and reports the expected version.
lanyard_kube_has() {
  local binary=$1 expected=$2
  shift 2
  [ -x "$binary" ] && "$binary" "$@" 2>/dev/null | grep -qF "$expected"
}

# Builds one Go main package of the module in the current folder into $2, atomically.
lanyard_kube_go_build() {
  local package=$1 out=$2 ldflags=${3:-} started
  started=$(date +%s)
  lanyard_kube_log "building $(basename "$out") ..."
  GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 nice -n 10 go build -ldflags "-s -w $ldflags" -o "$out.partial" "$package" \
    || { lanyard_kube_log "building $(basename "$out") failed"; return 1; }
  mv -f "$out.partial" "$out" || return 1
  lanyard_kube_log "built $(basename "$out") in $(( $(date +%s) - started ))s"
}

# kube-apiserver, kube-controller-manager and kubectl from k8s.io/kubernetes. That module replaces its
# staging modules with relative paths, which `go install` refuses; a wrapper module pins each of them to the
# matching v0.x tag instead.
lanyard_kube_build_kubernetes() {
  local bin=$1 version=$LANYARD_KUBE_VERSION staging src module_dir ldflags minor
  staging="0.${version#1.}"
  minor=$(echo "$version" | cut -d. -f2)
  src="$LANYARD_KUBE_DIR/src/kubernetes"
  mkdir -p "$src"
  (
    cd "$src" || exit 1
    lanyard_kube_log "fetching k8s.io/kubernetes v$version from the Go module proxy"
    go mod download "k8s.io/kubernetes@v$version" || exit 1
    module_dir="$(go env GOMODCACHE)/k8s.io/kubernetes@v$version"
    {
      echo "module local/lanyard-kube"
      echo "go $(awk '/^go /{print $2; exit}' "$module_dir/go.mod")"
      echo "require k8s.io/kubernetes v$version"
      echo "replace ("
      sed -n '/^replace (/,/^)/p' "$module_dir/go.mod" | grep '=>' | awk -v s="$staging" '{print "\t"$1" => "$1" v"s}'
      echo ")"
    } > go.mod.next || exit 1
    # go.mod.in keeps the module as generated, before `go mod tidy` rewrote go.mod: tidy again only when it changes.
    printf '//go:build tools\n\npackage tools\n\nimport (\n\t_ "k8s.io/kubernetes/cmd/kube-apiserver"\n\t_ "k8s.io/kubernetes/cmd/kube-controller-manager"\n\t_ "k8s.io/kubernetes/cmd/kubectl"\n)\n' > tools.go
    if ! cmp -s go.mod.next go.mod.in || [ ! -f go.sum ]; then
      cp go.mod.next go.mod && GOFLAGS="-mod=mod -buildvcs=false" go mod tidy && mv go.mod.next go.mod.in || exit 1
    fi
    rm -f go.mod.next
    ldflags="-X k8s.io/component-base/version.gitVersion=v$version -X k8s.io/component-base/version.gitMajor=1"
    ldflags="$ldflags -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
    lanyard_kube_has "$bin/kube-apiserver" "v$version" --version \
      || lanyard_kube_go_build k8s.io/kubernetes/cmd/kube-apiserver "$bin/kube-apiserver" "$ldflags" || exit 1
    lanyard_kube_has "$bin/kube-controller-manager" "v$version" --version \
      || lanyard_kube_go_build k8s.io/kubernetes/cmd/kube-controller-manager "$bin/kube-controller-manager" "$ldflags" || exit 1
    lanyard_kube_has "$bin/kubectl" "v$version" version --client \
      || lanyard_kube_go_build k8s.io/kubernetes/cmd/kubectl "$bin/kubectl" "$ldflags" || exit 1
  )
}

# etcd's server module replaces its sibling modules with ../ paths; the wrapper pins them to the same tag.
lanyard_kube_build_etcd() {
  local bin=$1 version=$LANYARD_ETCD_VERSION src module_dir
  src="$LANYARD_KUBE_DIR/src/etcd"
  mkdir -p "$src"
  (
    cd "$src" || exit 1
    lanyard_kube_log "fetching go.etcd.io/etcd/server/v3 v$version from the Go module proxy"
    go mod download "go.etcd.io/etcd/server/v3@v$version" || exit 1
    module_dir="$(go env GOMODCACHE)/go.etcd.io/etcd/server/v3@v$version"
    {
      echo "module local/lanyard-etcd"
      echo "go $(awk '/^go /{print $2; exit}' "$module_dir/go.mod")"
      echo "require go.etcd.io/etcd/server/v3 v$version"
      echo "replace ("
      for m in api/v3 client/pkg/v3 client/v3 pkg/v3; do printf '\tgo.etcd.io/etcd/%s => go.etcd.io/etcd/%s v%s\n' "$m" "$m" "$version"; done
      echo ")"
    } > go.mod.next || exit 1
    printf '//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' > tools.go
    if ! cmp -s go.mod.next go.mod.in || [ ! -f go.sum ]; then
      cp go.mod.next go.mod && GOFLAGS="-mod=mod -buildvcs=false" go mod tidy && mv go.mod.next go.mod.in || exit 1
    fi
    rm -f go.mod.next
    lanyard_kube_go_build go.etcd.io/etcd/server/v3 "$bin/etcd" || exit 1
  )
}

lanyard_install_kube() {
  local bin started
  if ! command -v go >/dev/null 2>&1; then
    lanyard_kube_log "Go is needed to build kube-apiserver and etcd (looked on PATH)"
    return 1
  fi
  started=$(date +%s)
  bin=$(lanyard_kube_bin)
  mkdir -p "$bin"
  (
    # Two checkouts building at once would race on the same files.
    flock 9
    if lanyard_kube_has "$bin/kube-apiserver" "v$LANYARD_KUBE_VERSION" --version \
        && lanyard_kube_has "$bin/kube-controller-manager" "v$LANYARD_KUBE_VERSION" --version \
        && lanyard_kube_has "$bin/kubectl" "v$LANYARD_KUBE_VERSION" version --client; then
      lanyard_kube_log "Kubernetes v$LANYARD_KUBE_VERSION binaries present"
    else
      lanyard_kube_build_kubernetes "$bin" || exit 1
    fi
    if lanyard_kube_has "$bin/etcd" "$LANYARD_ETCD_VERSION" --version; then
      lanyard_kube_log "etcd $LANYARD_ETCD_VERSION present"
    else
      lanyard_kube_build_etcd "$bin" || exit 1
    fi
  ) 9>"$LANYARD_KUBE_DIR/.lock" || return 1
  lanyard_kube_log "ready in $(( $(date +%s) - started ))s: LANYARD_KUBE_DIR=$LANYARD_KUBE_DIR"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  lanyard_install_kube
fi
