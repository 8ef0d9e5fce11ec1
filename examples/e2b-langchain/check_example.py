"""Drives the tool as an agent would, with no model: test/e2b/example.test.ts runs it against a
real Airlock and checks what it prints."""

import json

from airlock_code_tool import _shared_sandbox, run_python

first = run_python.invoke({"code": "open('notes.txt', 'w').write('kept')\nprint(sum(range(10)))"})
second = run_python.invoke({"code": "print(open('notes.txt').read())"})
failed = run_python.invoke({"code": "raise SystemExit(3)"})
print(json.dumps({
    "name": run_python.name,
    "schema": run_python.args,
    "first": first,
    "second": second,
    "failed": failed,
    "sandboxId": _shared_sandbox().sandbox_id,
}))
