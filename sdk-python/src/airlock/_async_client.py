"""The asynchronous client: ``AsyncAirlock(base_url=..., api_key=...)``, the same calls, awaited."""

from __future__ import annotations

import asyncio
import time
from typing import Any, AsyncIterator

import httpx
from httpx_sse import aconnect_sse

from . import models
from ._errors import AirlockTimeoutError, APIConnectionError
from ._events import Event, event_from, RECONNECT_LIMIT
from ._http import AsyncTransport, Call, Config, raise_for_status
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

POLL_SECONDS = 0.5


class AsyncAirlock:
    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self._transport = AsyncTransport(Config.resolve(base_url, api_key, timeout, max_retries), http_client)
        self.executions = AsyncExecutions(self._send, self)
        self.sandboxes = AsyncSandboxes(self._send, self)
        self.approvals = ApprovalCalls(self._send)
        self.audit = AuditCalls(self._send)

    async def _send(self, call: Call, parse: Parse) -> Any:
        response = await self._transport.send(call)
        try:
            return parse(response)
        finally:
            await response.aclose()

    async def events(self, url_path: str, last_event_id: int = 0) -> AsyncIterator[Event]:
        drops = 0
        while True:
            try:
                async with aconnect_sse(
                    self._transport.http,
                    "GET",
                    url_path,
                    headers={"Last-Event-ID": str(last_event_id)},
                    timeout=httpx.Timeout(self._transport.config.timeout, read=None),
                ) as source:
                    if source.response.status_code >= 400:
                        await source.response.aread()
                        raise_for_status(source.response)
                    async for sse in source.aiter_sse():
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
                await asyncio.sleep(min(5.0, 0.25 * 2**drops))

    async def close(self) -> None:
        await self._transport.close()

    async def __aenter__(self) -> "AsyncAirlock":
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()


class AsyncExecutions(ExecutionCalls):
    def __init__(self, send: Any, client: AsyncAirlock) -> None:
        super().__init__(send)
        self._client = client

    async def run(
        self,
        *,
        language: str,
        code: str | None = None,
        files: list[dict[str, Any]] | None = None,
        timeout: float = 300.0,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> models.ExecutionResult:
        call = self.submit_call(language=language, code=code, files=files, idempotency_key=idempotency_key, wait=True, **fields)
        deadline = time.monotonic() + timeout
        response = await self._client._transport.send(call)
        body = response.json()
        if response.status_code == 200:
            return models.ExecutionResult.model_validate(body)
        return await self.wait(body["id"], timeout=max(0.0, deadline - time.monotonic()))

    async def wait(self, execution_id: str, *, timeout: float = 300.0) -> models.ExecutionResult:
        deadline = time.monotonic() + timeout
        while True:
            result = await self.get(execution_id)
            if is_finished(result):
                return result
            if time.monotonic() >= deadline:
                raise AirlockTimeoutError(f"execution {execution_id} is still {result.status.value} after {timeout} s")
            await asyncio.sleep(POLL_SECONDS)

    def events(self, execution_id: str, *, last_event_id: int = 0) -> AsyncIterator[Event]:
        return self._client.events(path("executions", execution_id, "events"), last_event_id)


class AsyncSandboxes(SandboxCalls):
    def __init__(self, send: Any, client: AsyncAirlock) -> None:
        super().__init__(send)
        self._client = client

    async def create(self, *, language: str, idempotency_key: str | None = None, **fields: Any) -> "AsyncSandbox":
        info = await self._send(self.create_call(language=language, idempotency_key=idempotency_key, **fields), model(models.SandboxInfo))
        return AsyncSandbox(self._client, info)

    async def connect(self, sandbox_id: str) -> "AsyncSandbox":
        return AsyncSandbox(self._client, await self.get_info(sandbox_id))


class AsyncSandbox(SandboxStepCalls):
    def __init__(self, client: AsyncAirlock, info: models.SandboxInfo) -> None:
        super().__init__(client._send, info.id)
        self._client = client
        self.info = info
        self.id = info.id
        self.files = FileCalls(client._send, info.id)

    async def start(self, *, code: str | None = None, command: str | list[str] | None = None, **fields: Any) -> str:
        call = self.exec_call(code=code, command=command, idempotency_key=fields.pop("idempotency_key", None), wait=False, **fields)
        return await self._send(call, lambda r: r.json()["stepId"])

    def events(self, step_id: str, *, last_event_id: int = 0) -> AsyncIterator[Event]:
        return self._client.events(path("sandboxes", self.id, "steps", step_id, "events"), last_event_id)

    async def __aenter__(self) -> "AsyncSandbox":
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()
