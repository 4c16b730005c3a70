# Sourced by scripts/test.sh and scripts/observability-check.sh: installs Prometheus' promtool and server, once per
# version, into the per-user cache outside the checkout (${XDG_CACHE_HOME:-$HOME/.cache}/lanyard/prometheus/<version>/),
# from the Debian package (no root needed: apt-get download and dpkg-deb -x). Sets LANYARD_PROMTOOL and
# LANYARD_PROMETHEUS.
LANYARD_PROMETHEUS_VERSION=2.42.0+ds-5+deb12u1

lanyard_install_prometheus() {
  local dir="${XDG_CACHE_HOME:-$HOME/.cache}/lanyard/prometheus/${LANYARD_PROMETHEUS_VERSION%%+*}"
  if [ ! -x "$dir/bin/promtool" ] || [ ! -x "$dir/bin/prometheus" ]; then
    local download
    download=$(mktemp -d)
    (cd "$download" && apt-get download -q "prometheus=$LANYARD_PROMETHEUS_VERSION" >/dev/null 2>&1) || {
      echo "cannot download the Debian prometheus package $LANYARD_PROMETHEUS_VERSION (apt-get update first?)" >&2
      rm -rf "$download"
      return 1
    }
    dpkg-deb -x "$download"/prometheus_*.deb "$download/root"
    mkdir -p "$dir/bin"
    cp "$download/root/usr/bin/promtool" "$download/root/usr/bin/prometheus" "$dir/bin/"
    rm -rf "$download"
  fi
  export LANYARD_PROMTOOL="$dir/bin/promtool" LANYARD_PROMETHEUS="$dir/bin/prometheus"
}
