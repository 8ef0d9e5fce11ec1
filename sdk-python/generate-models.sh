#!/usr/bin/env bash
# src/airlock/models.py from docs/openapi.json, with the pinned generator. `--check` fails when the
# committed models differ from what the document gives (CI runs it).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${AIRLOCK_SDK_PYTHON:-python3}"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
"$python" -m datamodel_code_generator --input "$here/../docs/openapi.json" --input-file-type openapi \
  --output "$out" --output-model-type pydantic_v2.BaseModel --snake-case-field --target-python-version 3.10 \
  --use-standard-collections --use-union-operator --openapi-scopes schemas --disable-timestamp \
  --extra-fields ignore --formatters builtin --use-double-quotes 2>/dev/null
sed -i '1s|.*|# Generated from docs/openapi.json by sdk-python/generate-models.sh: do not edit.|; 2d' "$out"
if [ "${1:-}" = "--check" ]; then
  cmp -s "$out" "$here/src/airlock/models.py" || { echo "sdk-python/src/airlock/models.py is stale: run sdk-python/generate-models.sh" >&2; exit 1; }
  echo "sdk-python models match docs/openapi.json"
else
  cp "$out" "$here/src/airlock/models.py"
fi
