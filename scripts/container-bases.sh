# shellcheck shell=bash
# Sourced by the container check: sets podman up for this machine and makes the two base images the Dockerfile
# takes as build arguments, because no image registry is reachable here. Both are made once per user and kept
# (the root filesystem as a tarball in the tools cache, the images in podman's own storage).
#
#   localhost/lanyard-base/bookworm:<stamp>   Debian bookworm, debootstrap's minbase variant (like bookworm-slim)
#   localhost/lanyard-base/temurin-jdk:<ver>  the same plus this machine's Temurin JDK at /opt/java/openjdk
#
# Exports CONTAINERS_CONF, LANYARD_RUNC, LANYARD_RUNTIME_IMAGE and LANYARD_JDK_IMAGE; `lanyard_podman` runs podman
# with the runtime set.
# shellcheck source=scripts/deploy-tools.sh
. scripts/deploy-tools.sh
DEBIAN_SUITE=bookworm
DEBIAN_MIRROR="${LANYARD_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

lanyard_podman() { podman --runtime "$LANYARD_RUNC" "$@"; }

lanyard_container_env() {
  local conf="$LANYARD_TOOLS/podman/containers.conf"
  if [ ! -f "$conf" ]; then
    mkdir -p "${conf%/*}"
    # The sandbox this runs in refuses the default ulimits podman would set on every container.
    printf '[containers]\ndefault_ulimits = []\n' > "$conf"
  fi
  export CONTAINERS_CONF="$conf"
  # Debian's runc, by full path: podman would otherwise pick crun or another runc from PATH.
  LANYARD_RUNC=$(readlink -f "$(command -v runc)")
  export LANYARD_RUNC
}

lanyard_bookworm_rootfs() {
  local tar="$LANYARD_TOOLS/debian-$DEBIAN_SUITE-minbase/rootfs.tar" dir
  if [ ! -f "$tar" ]; then
    lanyard_tools_log "debootstrap $DEBIAN_SUITE (minbase) for the local base image"
    dir=$(mktemp -d)
    debootstrap --variant=minbase "$DEBIAN_SUITE" "$dir/root" "$DEBIAN_MIRROR" >"$dir/debootstrap.log" 2>&1 \
      || { tail -20 "$dir/debootstrap.log" >&2; rm -rf "$dir"; return 1; }
    # Package caches and lists are of no use in a base image.
    rm -rf "$dir"/root/var/cache/apt/archives/*.deb "$dir"/root/var/lib/apt/lists/*
    mkdir -p "${tar%/*}"
    tar -C "$dir/root" --numeric-owner -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
    rm -rf "$dir"
  fi
  echo "$tar"
}

lanyard_container_bases() {
  lanyard_container_env
  local rootfs stamp jdk jdk_version
  rootfs=$(lanyard_bookworm_rootfs) || return 1
  stamp=$(stat -c %Y "$rootfs")
  LANYARD_RUNTIME_IMAGE="localhost/lanyard-base/$DEBIAN_SUITE:$stamp"
  if ! podman image exists "$LANYARD_RUNTIME_IMAGE"; then
    lanyard_tools_log "podman import $LANYARD_RUNTIME_IMAGE"
    podman import --quiet --change 'CMD ["/bin/bash"]' "$rootfs" "$LANYARD_RUNTIME_IMAGE" >/dev/null
  fi
  jdk="$JAVA_HOME"
  jdk_version=$(sed -n 's/^JAVA_RUNTIME_VERSION="\(.*\)"/\1/p' "$jdk/release")
  LANYARD_JDK_IMAGE="localhost/lanyard-base/temurin-jdk:${jdk_version//+/_}-$stamp"
  if ! podman image exists "$LANYARD_JDK_IMAGE"; then
    lanyard_tools_log "podman import $LANYARD_JDK_IMAGE (bookworm + $jdk)"
    local dir
    dir=$(mktemp -d)
    cp "$rootfs" "$dir/jdk.tar"
    mkdir -p "$dir/opt/java"
    # Dereferenced: a distribution's JDK may link its trust store (lib/security/cacerts) into /etc.
    cp -rL "$jdk" "$dir/opt/java/openjdk"
    tar -C "$dir" --numeric-owner --owner=0 --group=0 -rf "$dir/jdk.tar" ./opt/java
    podman import --quiet --change 'ENV JAVA_HOME=/opt/java/openjdk' "$dir/jdk.tar" "$LANYARD_JDK_IMAGE" >/dev/null
    rm -rf "$dir"
  fi
  export LANYARD_RUNTIME_IMAGE LANYARD_JDK_IMAGE
}
