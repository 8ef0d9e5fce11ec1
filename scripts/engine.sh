#!/usr/bin/env bash
# A further Docker engine on this machine, for a second host worker beside the system engine's.
#
#   bash scripts/engine.sh start NAME [IMAGE ...]   start it (if it is not answering) and copy IMAGEs
#                                                   into it (all runtime images when none are named)
#   bash scripts/engine.sh stop NAME                stop it (TERM, then KILL)
#   bash scripts/engine.sh env NAME                 print its DOCKER_HOST and pidfile
#
# `start` ends by printing the `env` lines, so a caller can point a worker at the engine:
#   DOCKER_HOST=unix:///run/airlock/engines/NAME/docker.sock
#   AIRLOCK_ENGINE_PIDFILE=/run/airlock/engines/NAME/dockerd.pid
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

print_env() {
  printf 'DOCKER_HOST=%s\nAIRLOCK_ENGINE_PIDFILE=%s\n' "$(engine_host "$1")" "$(engine_pidfile "$1")"
}

command="${1:-}"
name="${2:-}"
[ -n "$command" ] && [ -n "$name" ] || die "usage: engine.sh start|stop|env NAME [IMAGE ...]"
shift 2
case "$command" in
  start)
    ensure_engine "$name"
    if [ $# -eq 0 ]; then mapfile -t images < <(airlock_images); else images=("$@"); fi
    [ ${#images[@]} -eq 0 ] || sync_engine_images "$name" "${images[@]}"
    print_env "$name"
    ;;
  stop) stop_engine "$name" ;;
  env) print_env "$name" ;;
  *) die "unknown command '$command' (start, stop or env)" ;;
esac
