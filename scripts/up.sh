#!/usr/bin/env bash
# Brings the whole service up on one machine: dockerd, the Temporal dev server (SQLite, so executions
# survive restarts), the runtime images, the workers and the API on 127.0.0.1:8080.
# Returns once /readyz answers 200 (Temporal answers, workers poll); `npm stop` stops what it started.
# AIRLOCK_HOSTS=N (default 1) adds N-1 host workers, each on a Docker engine of its own beside the
# system one (scripts/engine.sh), with the runtime images copied into it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TEMPORAL_PORT="${AIRLOCK_TEMPORAL_PORT:-7233}"
TEMPORAL_UI_PORT="${AIRLOCK_TEMPORAL_UI_PORT:-8233}"
export TEMPORAL_ADDRESS="${TEMPORAL_ADDRESS:-127.0.0.1:$TEMPORAL_PORT}"
export AIRLOCK_API_PORT="${AIRLOCK_API_PORT:-8080}"
API_URL="http://127.0.0.1:$AIRLOCK_API_PORT"
HOSTS="${AIRLOCK_HOSTS:-1}"
[[ "$HOSTS" =~ ^[1-9][0-9]?$ ]] || die "AIRLOCK_HOSTS must be a number from 1 to 99, got '$HOSTS'"

ensure_system_packages
ensure_node_modules
build_project
ensure_dockerd
ensure_images
ensure_temporal_cli
if [ "$HOSTS" -gt 1 ]; then
  mapfile -t images < <(airlock_images)
  for i in $(seq 2 "$HOSTS"); do
    ensure_engine "host-$i"
    sync_engine_images "host-$i" "${images[@]}"
  done
fi

if ! pid_alive "$RUN_DIR/temporal.pid"; then
  say "starting the Temporal dev server on $TEMPORAL_ADDRESS (UI :$TEMPORAL_UI_PORT, data $DATA_DIR/temporal.db)"
  # Write-ahead log: a commit is one append rather than the rollback journal's fsyncs, which more
  # than halves the server's write latency under load. Commits survive a crash of the server; a
  # crash of the machine may lose the last few. Fairness (test/support/temporal-cli.ts
  # DEV_SERVER_DYNAMIC_CONFIG): one tenant's backlog does not hold another's tasks behind it.
  setsid nohup "$TEMPORAL_CLI" server start-dev \
    --ip 127.0.0.1 --port "$TEMPORAL_PORT" --ui-port "$TEMPORAL_UI_PORT" \
    --db-filename "$DATA_DIR/temporal.db" --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal \
    --log-level warn \
    --dynamic-config-value matching.enableFairness=true \
    --dynamic-config-value matching.numTaskqueueReadPartitions=1 \
    --dynamic-config-value matching.numTaskqueueWritePartitions=1 \
    >>"$LOG_DIR/temporal.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/temporal.pid"
fi

start_node() {
  local name="$1"
  shift
  pid_alive "$RUN_DIR/$name.pid" && return 0
  say "starting $name (log: $LOG_DIR/$name.log)"
  setsid nohup node "$@" >>"$LOG_DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/$name.pid"
}
# Host worker I on its own engine. Engines on one machine share its name, so the id is set here.
# Its metrics port is the first worker's plus I, which steps over the API's (9465 by default).
start_host_worker() {
  local i="$1" name="host-$1"
  pid_alive "$RUN_DIR/$name.pid" && return 0
  say "starting host worker $i on dockerd $name (log: $LOG_DIR/$name.log)"
  DOCKER_HOST="$(engine_host "$name")" AIRLOCK_HOST_ID="$(hostname)-$i" \
    AIRLOCK_WORKER_METRICS_PORT="$((${AIRLOCK_WORKER_METRICS_PORT:-9464} + i))" \
    setsid nohup node dist/workers/main.js host >>"$LOG_DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/$name.pid"
}
cd "$ROOT"
node dist/cli/main.js keys bootstrap --out "$STATE_DIR/api-key"
start_node workers dist/workers/main.js all
for i in $(seq 2 "$HOSTS"); do start_host_worker "$i"; done
start_node api dist/api/server.js
PROCESSES=(workers api)
for i in $(seq 2 "$HOSTS"); do PROCESSES+=("host-$i"); done

say "waiting for $API_URL/readyz"
for _ in $(seq 1 120); do
  if curl -fsS "$API_URL/readyz" >/dev/null 2>&1; then
    say "Airlock is up at $API_URL"
    say "API key: $STATE_DIR/api-key   logs: $LOG_DIR   stop: npm stop"
    exit 0
  fi
  for name in "${PROCESSES[@]}"; do
    pid_alive "$RUN_DIR/$name.pid" || die "$name exited; see $LOG_DIR/$name.log"
  done
  sleep 0.5
done
curl -sS "$API_URL/readyz" >&2 || true
die "the API did not become healthy within 60 s; see $LOG_DIR"
