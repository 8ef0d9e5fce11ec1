"""The synchronous client: ``Airlock(base_url=..., api_key=...)``."""

from __future__ import annotations

import time
from typing import Any, Iterator

import httpx
from httpx_sse import connect_sse

from . import models
from ._errors import AirlockTimeoutError, APIConnectionError
from ._http import Call, Config, SyncTransport, raise_for_status
from ._resources import (
    ApprovalCalls,
    AuditCalls,
    ExecutionCalls,
    FileCalls,
    Parse,
    SandboxCalls,
    SandboxStepCalls,
    is_finished,
    model,
    path,
)
from ._events import Event, event_from, RECONNECT_LIMIT

POLL_SECONDS = 0.5


class Airlock:
    """Executions, sandboxes, approvals and audit exports over the REST API."""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        self._transport = SyncTransport(Config.resolve(base_url, api_key, timeout, max_retries), http_client)
        self.executions = Executions(self._send, self)
        self.sandboxes = Sandboxes(self._send, self)
        self.approvals = ApprovalCalls(self._send)
        self.audit = AuditCalls(self._send)

    def _send(self, call: Call, parse: Parse) -> Any:
        response = self._transport.send(call)
        try:
            return parse(response)
        finally:
            response.close()

    def events(self, url_path: str, last_event_id: int = 0) -> Iterator[Event]:
        """A live stream, resumed from the last event seen when the connection drops."""
        drops = 0
        while True:
            try:
                with connect_sse(
                    self._transport.http,
                    "GET",
                    url_path,
                    headers={"Last-Event-ID": str(last_event_id)},
                    timeout=httpx.Timeout(self._transport.config.timeout, read=None),
                ) as source:
                    if source.response.status_code >= 400:
                        source.response.read()
                        raise_for_status(source.response)
                    for sse in source.iter_sse():
                        event = event_from(sse)
                        if event is None:
                            continue
                        last_event_id = event.id
                        yield event
                        if event.type == "end":
                            return
            except (httpx.TransportError, APIConnectionError):
                drops += 1
                if drops > RECONNECT_LIMIT:
                    raise
                time.sleep(min(5.0, 0.25 * 2**drops))

    def runtimes(self) -> list[models.RuntimeSummary]:
        return self._send(Call("GET", "/v1/runtimes"), lambda r: [models.RuntimeSummary.model_validate(x) for x in r.json()["runtimes"]])

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> "Airlock":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class Executions(ExecutionCalls):
    def __init__(self, send: Any, client: Airlock) -> None:
        super().__init__(send)
        self._client = client

    def run(
        self,
        *,
        language: str,
        code: str | None = None,
        files: list[dict[str, Any]] | None = None,
        timeout: float = 300.0,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> models.ExecutionResult:
        """Runs code through the pipeline and waits for its result (``result.status``, ``result.run.stdout``).

        Other request fields (``version``, ``stdin``, ``tests``, ``policy``, ``limits``, ``template``)
        go as keyword arguments in the API's names."""
        call = self.submit_call(language=language, code=code, files=files, idempotency_key=idempotency_key, wait=True, **fields)
        deadline = time.monotonic() + timeout
        response = self._client._transport.send(call)
        body = response.json()
        if response.status_code == 200:
            return models.ExecutionResult.model_validate(body)
        return self.wait(body["id"], timeout=max(0.0, deadline - time.monotonic()))

    def submit(self, *, language: str, code: str | None = None, idempotency_key: str | None = None, **fields: Any) -> str:
        """Starts an execution and returns its id at once."""
        call = self.submit_call(language=language, code=code, files=fields.pop("files", None), idempotency_key=idempotency_key, wait=False, **fields)
        return self._send(call, lambda r: r.json()["id"])

    def wait(self, execution_id: str, *, timeout: float = 300.0) -> models.ExecutionResult:
        deadline = time.monotonic() + timeout
        while True:
            result = self.get(execution_id)
            if is_finished(result):
                return result
            if time.monotonic() >= deadline:
                raise AirlockTimeoutError(f"execution {execution_id} is still {result.status.value} after {timeout} s")
            time.sleep(POLL_SECONDS)

    def events(self, execution_id: str, *, last_event_id: int = 0) -> Iterator[Event]:
        return self._client.events(path("executions", execution_id, "events"), last_event_id)


class Sandboxes(SandboxCalls):
    def __init__(self, send: Any, client: Airlock) -> None:
        super().__init__(send)
        self._client = client

    def create(self, *, language: str, idempotency_key: str | None = None, **fields: Any) -> "Sandbox":
        """A sandbox, ready (or failed, with ``sandbox.info.end`` saying why). Other fields (``version``,
        ``template``, ``files``, ``env``, ``idleTimeoutSeconds``, ``metadata``) in the API's names."""
        info = self._send(self.create_call(language=language, idempotency_key=idempotency_key, **fields), model(models.SandboxInfo))
        return Sandbox(self._client, info)

    def connect(self, sandbox_id: str) -> "Sandbox":
        return Sandbox(self._client, self.get_info(sandbox_id))


class Sandbox(SandboxStepCalls):
    """One sandbox: ``run(code)``, ``exec(command=...)``, ``files``, ``events``, ``close()``."""

    def __init__(self, client: Airlock, info: models.SandboxInfo) -> None:
        super().__init__(client._send, info.id)
        self._client = client
        self.info = info
        self.id = info.id
        self.files = FileCalls(client._send, info.id)

    def start(self, *, code: str | None = None, command: str | list[str] | None = None, **fields: Any) -> str:
        """Queues a step and returns its id; follow it with ``events(step_id)``."""
        call = self.exec_call(code=code, command=command, idempotency_key=fields.pop("idempotency_key", None), wait=False, **fields)
        return self._send(call, lambda r: r.json()["stepId"])

    def events(self, step_id: str, *, last_event_id: int = 0) -> Iterator[Event]:
        return self._client.events(path("sandboxes", self.id, "steps", step_id, "events"), last_event_id)

    def refresh(self) -> models.SandboxInfo:
        self.info = self.get_info()
        return self.info

    def get_info(self) -> models.SandboxInfo:
        return self._send(Call("GET", path("sandboxes", self.id)), model(models.SandboxInfo))

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
