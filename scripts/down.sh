#!/usr/bin/env bash
# Stops what scripts/up.sh started. dockerd is left running only if this project did not start it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

stop_pidfile "$RUN_DIR/api.pid" api
stop_pidfile "$RUN_DIR/workers.pid" workers
stop_pidfile "$RUN_DIR/temporal.pid" "Temporal dev server"
if [ "${1:-}" = "--all" ]; then stop_pidfile "$RUN_DIR/dockerd.pid" dockerd; fi
say "stopped (dockerd keeps running; 'npm stop -- --all' stops it too)"
