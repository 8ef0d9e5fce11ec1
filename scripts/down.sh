#!/usr/bin/env bash
# Stops what scripts/up.sh started. dockerd is left running only if this project did not start it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

stop_pidfile "$RUN_DIR/api.pid" api
stop_pidfile "$RUN_DIR/workers.pid" workers
# Extra hosts (AIRLOCK_HOSTS): their workers, then the engines up.sh started for them.
for pidfile in "$RUN_DIR"/host-*.pid; do
  [ -e "$pidfile" ] && stop_pidfile "$pidfile" "$(basename "$pidfile" .pid) worker"
done
for dir in "$ENGINES_RUN_ROOT"/host-*; do
  [ -e "$dir" ] && stop_engine "$(basename "$dir")"
done
stop_pidfile "$RUN_DIR/temporal.pid" "Temporal dev server"
if [ "${1:-}" = "--all" ]; then stop_pidfile "$RUN_DIR/dockerd.pid" dockerd; fi
say "stopped (dockerd keeps running; 'npm stop -- --all' stops it too)"
