#!/usr/bin/env bash
# Brings the whole service up on one machine: dockerd, the Temporal dev server (SQLite, so executions
# survive restarts), the runtime images, the workers and the API on 127.0.0.1:8080.
# Returns once /healthz answers 200; `npm stop` stops what it started.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TEMPORAL_PORT="${AIRLOCK_TEMPORAL_PORT:-7233}"
TEMPORAL_UI_PORT="${AIRLOCK_TEMPORAL_UI_PORT:-8233}"
export TEMPORAL_ADDRESS="${TEMPORAL_ADDRESS:-127.0.0.1:$TEMPORAL_PORT}"
export AIRLOCK_API_PORT="${AIRLOCK_API_PORT:-8080}"
API_URL="http://127.0.0.1:$AIRLOCK_API_PORT"

ensure_system_packages
ensure_node_modules
build_project
ensure_dockerd
ensure_images
ensure_temporal_cli

if ! pid_alive "$RUN_DIR/temporal.pid"; then
  say "starting the Temporal dev server on $TEMPORAL_ADDRESS (UI :$TEMPORAL_UI_PORT, data $DATA_DIR/temporal.db)"
  setsid nohup "$TEMPORAL_CLI" server start-dev \
    --ip 127.0.0.1 --port "$TEMPORAL_PORT" --ui-port "$TEMPORAL_UI_PORT" \
    --db-filename "$DATA_DIR/temporal.db" --log-level warn \
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
cd "$ROOT"
node dist/cli/main.js keys bootstrap --out "$STATE_DIR/api-key"
start_node workers dist/workers/main.js all
start_node api dist/api/server.js

say "waiting for $API_URL/healthz"
for _ in $(seq 1 120); do
  if curl -fsS "$API_URL/healthz" >/dev/null 2>&1; then
    say "Airlock is up at $API_URL"
    say "API key: $STATE_DIR/api-key   logs: $LOG_DIR   stop: npm stop"
    exit 0
  fi
  for name in workers api; do
    pid_alive "$RUN_DIR/$name.pid" || die "$name exited; see $LOG_DIR/$name.log"
  done
  sleep 0.5
done
curl -sS "$API_URL/healthz" >&2 || true
die "the API did not become healthy within 60 s; see $LOG_DIR"
