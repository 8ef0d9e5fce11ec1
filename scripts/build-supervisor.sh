#!/usr/bin/env bash
# Builds the in-container supervisor (images/supervisor, Go, no dependencies) as a static binary:
# dist/supervisor/airlock-supervisor. Every sandbox container runs it, mounted read-only from the host.
# Where there is no Go toolchain (the service image copies a binary built in its own stage), a binary
# already in place is kept.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/dist/supervisor/airlock-supervisor"
if ! command -v go >/dev/null 2>&1; then
  [ -x "$out" ] && exit 0
  echo "airlock error: building the supervisor needs Go (https://go.dev/dl), and none is on PATH" >&2
  exit 1
fi
mkdir -p "$(dirname "$out")"
cd "$root/images/supervisor"
GOCACHE="${GOCACHE:-$root/.airlock/go-cache}" GOFLAGS=-mod=mod CGO_ENABLED=0 \
  go build -trimpath -buildvcs=false -ldflags "-s -w" -o "$out.tmp" .
mv -f "$out.tmp" "$out"
