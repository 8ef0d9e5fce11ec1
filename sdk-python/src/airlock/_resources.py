"""The API's calls, written once: each method builds its call and says how to read the answer.
The sync and async clients differ only in how they send (``_send``) and in the few methods that
wait or stream, which each client defines for itself."""

from __future__ import annotations

from typing import Any, Callable, TypeVar
from urllib.parse import quote

import httpx

from . import models
from ._http import Call, new_idempotency_key

M = TypeVar("M")
Parse = Callable[[httpx.Response], Any]
Send = Callable[[Call, Parse], Any]

#: Statuses after which an execution never changes.
WAITING_STATUSES = frozenset({"queued", "running", "awaiting_approval"})


def model(cls: type[M], key: str | None = None) -> Callable[[httpx.Response], M]:
    def parse(response: httpx.Response) -> M:
        data = response.json()
        return cls.model_validate(data[key] if key else data)  # type: ignore[attr-defined]

    return parse


def raw_json(response: httpx.Response) -> Any:
    return response.json()


def raw_bytes(response: httpx.Response) -> bytes:
    return response.content


def raw_text(response: httpx.Response) -> str:
    return response.text


def nothing(_response: httpx.Response) -> None:
    return None


def path(*parts: str) -> str:
    return "/v1/" + "/".join(quote(p, safe="") for p in parts)


def drop_none(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


def is_finished(result: models.ExecutionResult) -> bool:
    return result.status.value not in WAITING_STATUSES


class ExecutionCalls:
    def __init__(self, send: Send) -> None:
        self._send = send

    @staticmethod
    def submit_call(
        *,
        language: str,
        code: str | None,
        files: list[dict[str, Any]] | None,
        idempotency_key: str | None,
        wait: bool,
        **fields: Any,
    ) -> Call:
        body = drop_none(language=language, code=code, files=files, **fields)
        return Call(
            "POST",
            "/v1/executions",
            params={"wait": "true" if wait else "false"},
            json=body,
            idempotency_key=idempotency_key or new_idempotency_key(),
        )

    def get(self, execution_id: str) -> Any:
        return self._send(Call("GET", path("executions", execution_id)), model(models.ExecutionResult))

    def list(self, *, page_size: int = 20, page_token: str | None = None, **filters: Any) -> Any:
        params = drop_none(pageSize=page_size, pageToken=page_token, **filters)
        return self._send(Call("GET", "/v1/executions", params=params), model(models.ExecutionList))

    def cancel(self, execution_id: str) -> Any:
        return self._send(Call("POST", path("executions", execution_id, "cancel"), idempotent=True), raw_json)

    def output(self, execution_id: str, stage: str, stream: str = "stdout") -> Any:
        return self._send(Call("GET", path("executions", execution_id, "outputs", stage, stream)), raw_text)

    def artifact(self, execution_id: str, sha256: str) -> Any:
        return self._send(Call("GET", path("executions", execution_id, "artifacts", sha256)), raw_bytes)

    def sarif(self, execution_id: str) -> Any:
        return self._send(Call("GET", path("executions", execution_id, "sarif")), raw_json)

    def junit(self, execution_id: str) -> Any:
        return self._send(Call("GET", path("executions", execution_id, "junit")), raw_text)


class ApprovalCalls:
    """Decisions on executions waiting for a reviewer; the key must have the `approve` scope."""

    def __init__(self, send: Send) -> None:
        self._send = send

    def _decide(self, decision: str, execution_id: str, comment: str | None) -> Any:
        call = Call("POST", path("executions", execution_id, decision), json=drop_none(comment=comment), idempotent=True)
        return self._send(call, model(models.Approval, "approval"))

    def approve(self, execution_id: str, *, comment: str | None = None) -> Any:
        return self._decide("approve", execution_id, comment)

    def reject(self, execution_id: str, *, comment: str | None = None) -> Any:
        return self._decide("reject", execution_id, comment)


class AuditCalls:
    """What an auditor exports: the workflow history `airlock audit` replays, and the public keys."""

    def __init__(self, send: Send) -> None:
        self._send = send

    def history(self, execution_id: str) -> Any:
        return self._send(Call("GET", path("executions", execution_id, "history")), raw_json)

    def keys(self) -> Any:
        return self._send(Call("GET", "/v1/audit/keys"), lambda r: r.json()["keys"])

    def sarif(self, execution_id: str) -> Any:
        return self._send(Call("GET", path("executions", execution_id, "sarif")), raw_json)

    def junit(self, execution_id: str) -> Any:
        return self._send(Call("GET", path("executions", execution_id, "junit")), raw_text)


class SandboxCalls:
    def __init__(self, send: Send) -> None:
        self._send = send

    @staticmethod
    def create_call(*, language: str, idempotency_key: str | None, **fields: Any) -> Call:
        return Call(
            "POST",
            "/v1/sandboxes",
            json=drop_none(language=language, **fields),
            idempotency_key=idempotency_key or new_idempotency_key(),
        )

    def get_info(self, sandbox_id: str) -> Any:
        return self._send(Call("GET", path("sandboxes", sandbox_id)), model(models.SandboxInfo))

    def list(self, *, status: str | None = None, page_size: int = 20, page_token: str | None = None) -> Any:
        params = drop_none(status=status, pageSize=page_size, pageToken=page_token)
        return self._send(Call("GET", "/v1/sandboxes", params=params), model(models.SandboxList))


class SandboxStepCalls:
    """One sandbox's steps and files; every call is a step in its history."""

    def __init__(self, send: Send, sandbox_id: str) -> None:
        self._send = send
        self.sandbox_id = sandbox_id

    def exec_call(
        self, *, code: str | None, command: str | list[str] | None, idempotency_key: str | None, wait: bool, **fields: Any
    ) -> Call:
        return Call(
            "POST",
            path("sandboxes", self.sandbox_id, "exec"),
            params={"wait": "true" if wait else "false"},
            json=drop_none(code=code, command=command, **fields),
            idempotency_key=idempotency_key or new_idempotency_key(),
        )

    def run(self, code: str, **options: Any) -> Any:
        """Runs code in the sandbox's language; the step's result (`result.process.stdout`)."""
        return self.exec(code=code, **options)

    def exec(
        self,
        *,
        code: str | None = None,
        command: str | list[str] | None = None,
        stdin: str | None = None,
        env: dict[str, str] | None = None,
        timeout_seconds: float | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        call = self.exec_call(
            code=code,
            command=command,
            stdin=stdin,
            env=env,
            timeoutSeconds=timeout_seconds,
            idempotency_key=idempotency_key,
            wait=True,
        )
        # The HTTP wait is the step's own, plus a margin for the queue.
        call.timeout = None if timeout_seconds is None else timeout_seconds + 60
        return self._send(call, model(models.StepResult))

    def close(self) -> Any:
        return self._send(Call("DELETE", path("sandboxes", self.sandbox_id)), model(models.SandboxInfo))

    def set_timeout(self, idle_timeout_seconds: int) -> Any:
        call = Call(
            "POST",
            path("sandboxes", self.sandbox_id, "timeout"),
            json={"idleTimeoutSeconds": idle_timeout_seconds},
            idempotent=True,
        )
        return self._send(call, model(models.SandboxInfo))

    def cancel(self, step_id: str) -> Any:
        """Cancels a running step (its process is killed) or a waiting one; its result says
        ``cancelled``. Raises NotFoundError when the step is neither running nor waiting."""
        call = Call("POST", path("sandboxes", self.sandbox_id, "steps", step_id, "cancel"))
        return self._send(call, lambda r: r.json()["cancelled"])

    def step_artifact(self, step_id: str, sha256: str) -> Any:
        return self._send(Call("GET", path("sandboxes", self.sandbox_id, "steps", step_id, "artifacts", sha256)), raw_bytes)


class FileCalls:
    """A sandbox's workspace; paths are relative to it. Each call is a step whose id is its
    idempotency key, so a retried write or move is answered by the first, never done twice."""

    def __init__(self, send: Send, sandbox_id: str) -> None:
        self._send = send
        self._files = path("sandboxes", sandbox_id, "files")

    def write(self, file_path: str, data: str | bytes) -> Any:
        content = data.encode() if isinstance(data, str) else data
        call = Call("PUT", self._files, params={"path": file_path}, content=content, idempotency_key=new_idempotency_key())
        return self._send(call, raw_json)

    def read(self, file_path: str) -> Any:
        return self._send(Call("GET", self._files, params={"path": file_path}), raw_bytes)

    def read_text(self, file_path: str) -> Any:
        return self._send(Call("GET", self._files, params={"path": file_path}), lambda r: r.content.decode())

    def list(self, directory: str = ".") -> Any:
        call = Call("GET", f"{self._files}/list", params={"path": directory})
        return self._send(call, lambda r: [models.FileEntry.model_validate(e) for e in r.json()["entries"]])

    def remove(self, file_path: str, *, recursive: bool = False) -> Any:
        params = {"path": file_path, "recursive": "true" if recursive else "false"}
        return self._send(Call("DELETE", self._files, params=params, idempotency_key=new_idempotency_key()), nothing)

    def make_dir(self, directory: str) -> Any:
        call = Call("POST", f"{self._files}/directories", params={"path": directory}, idempotency_key=new_idempotency_key())
        return self._send(call, nothing)

    def move(self, source: str, destination: str) -> Any:
        call = Call(
            "POST",
            f"{self._files}/move",
            json={"path": source, "destination": destination},
            idempotency_key=new_idempotency_key(),
        )
        return self._send(call, nothing)
