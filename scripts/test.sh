#!/usr/bin/env bash
# The full test suite, as CI runs it on a fresh clone: installs what is missing (npm packages,
# docker.io, debootstrap, the Temporal CLI), starts dockerd, builds every image from scratch (never
# the machine's kept ones: a recipe that no longer builds must fail here), then runs static checks,
# unit tests and integration tests against a real Temporal dev server and Docker engine.
# Extra arguments go to jest, e.g. `npm test -- --selectProjects unit`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_system_packages
ensure_node_modules
ensure_e2b_python
ensure_sdk_python
ensure_dockerd
ensure_temporal_cli
build_project
build_images_from_scratch

cd "$ROOT"
say "type-checking, linting and checking formatting"
npx tsc -p tsconfig.json --noEmit
# The SDK is its own package, and the examples are written against it.
npx tsc -p sdk --noEmit
npx tsc -p sdk/test --noEmit
npx tsc -p examples --noEmit
npx eslint .
npx prettier --check . --log-level warn
say "checking docs/openapi.json against the document the code builds"
node dist/api/openapi-file.js --check
node scripts/validate-openapi.mjs
AIRLOCK_SDK_PYTHON="$SDK_VENV/bin/python" sdk-python/generate-models.sh --check
say "checking and testing the in-container supervisor (Go)"
(
  cd images/supervisor
  export GOCACHE="${GOCACHE:-$ROOT/.airlock/go-cache}" GOFLAGS=-mod=mod
  unformatted="$(gofmt -l .)"
  [ -z "$unformatted" ] || die "gofmt would change: $unformatted"
  go vet ./... && go test ./...
) || die "the supervisor's checks failed"

say "running tests (Temporal CLI: $TEMPORAL_CLI)"
npx jest --runInBand "$@"
