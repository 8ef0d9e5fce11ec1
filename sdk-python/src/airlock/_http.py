"""One HTTP call, sync or async: the key, timeouts, typed errors, and retries that reuse the call's
idempotency key, so a retried run or step is the same run or step, never a second one."""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from ._errors import APIConnectionError, AirlockTimeoutError, error_for

DEFAULT_BASE_URL = "http://127.0.0.1:8080"
DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_RETRIES = 2
RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_RETRY_AFTER = 30.0


def new_idempotency_key() -> str:
    return f"py-{uuid.uuid4().hex}"


@dataclass
class Call:
    """What to send. A call that is not idempotent by nature retries only with its key."""

    method: str
    path: str
    params: dict[str, Any] | None = None
    json: Any = None
    content: bytes | None = None
    idempotency_key: str | None = None
    idempotent: bool = False
    timeout: float | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def request_headers(self) -> dict[str, str]:
        headers = dict(self.headers)
        if self.idempotency_key:
            headers["Idempotency-Key"] = self.idempotency_key
        return headers

    @property
    def retryable(self) -> bool:
        return self.idempotent or self.method in ("GET", "HEAD", "DELETE") or self.idempotency_key is not None


@dataclass
class Config:
    base_url: str
    api_key: str
    timeout: float
    max_retries: int

    @classmethod
    def resolve(
        cls, base_url: str | None, api_key: str | None, timeout: float | None, max_retries: int | None
    ) -> "Config":
        key = api_key or os.environ.get("AIRLOCK_API_KEY")
        if not key:
            raise ValueError("api_key is required (or set AIRLOCK_API_KEY)")
        url = (base_url or os.environ.get("AIRLOCK_URL") or DEFAULT_BASE_URL).rstrip("/")
        return cls(
            url,
            key,
            DEFAULT_TIMEOUT if timeout is None else timeout,
            DEFAULT_MAX_RETRIES if max_retries is None else max_retries,
        )

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}", "User-Agent": "airlock-sdk-python/0.1.0"}


def _delay(attempt: int, response: httpx.Response | None) -> float:
    after = response.headers.get("retry-after") if response is not None else None
    if after is not None:
        try:
            return min(MAX_RETRY_AFTER, max(0.0, float(after)))
        except ValueError:
            pass
    return min(8.0, 0.25 * 2**attempt) * (0.5 + random.random() / 2)


def raise_for_status(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    try:
        body = response.json()
    except ValueError:
        body = {"error": {"code": "unknown", "message": response.text[:500]}}
    raise error_for(response.status_code, body, dict(response.headers))


def _request(http: httpx.Client | httpx.AsyncClient, call: Call, config: Config) -> httpx.Request:
    return http.build_request(
        call.method,
        call.path,
        params=call.params,
        json=call.json,
        content=call.content,
        headers=call.request_headers(),
        timeout=call.timeout if call.timeout is not None else config.timeout,
    )


def _after_error(call: Call, attempt: int, config: Config, err: httpx.TransportError) -> float:
    """The wait before trying again, or the typed error once the retries are spent."""
    if attempt >= config.max_retries or not call.retryable:
        if isinstance(err, httpx.TimeoutException):
            raise AirlockTimeoutError(f"{call.method} {call.path}: {err}") from err
        raise APIConnectionError(f"{call.method} {call.path}: {err}") from err
    return _delay(attempt, None)


def _after_response(call: Call, attempt: int, config: Config, response: httpx.Response) -> float | None:
    """The wait before trying again, or None when this answer is the one to keep."""
    if response.status_code in RETRY_STATUSES and attempt < config.max_retries and call.retryable:
        return _delay(attempt, response)
    return None


class SyncTransport:
    def __init__(self, config: Config, client: httpx.Client | None = None) -> None:
        self.config = config
        self.http = client or httpx.Client(base_url=config.base_url, headers=config.headers(), timeout=config.timeout)

    def send(self, call: Call, stream: bool = False) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = self.http.send(_request(self.http, call, self.config), stream=stream)
            except httpx.TransportError as err:
                time.sleep(_after_error(call, attempt, self.config, err))
                attempt += 1
                continue
            wait = _after_response(call, attempt, self.config, response)
            if wait is None:
                if response.status_code >= 400 and stream:
                    response.read()
                raise_for_status(response)
                return response
            response.close()
            time.sleep(wait)
            attempt += 1

    def close(self) -> None:
        self.http.close()


class AsyncTransport:
    def __init__(self, config: Config, client: httpx.AsyncClient | None = None) -> None:
        self.config = config
        self.http = client or httpx.AsyncClient(
            base_url=config.base_url, headers=config.headers(), timeout=config.timeout
        )

    async def send(self, call: Call, stream: bool = False) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = await self.http.send(_request(self.http, call, self.config), stream=stream)
            except httpx.TransportError as err:
                await asyncio.sleep(_after_error(call, attempt, self.config, err))
                attempt += 1
                continue
            wait = _after_response(call, attempt, self.config, response)
            if wait is None:
                if response.status_code >= 400 and stream:
                    await response.aread()
                raise_for_status(response)
                return response
            await response.aclose()
            await asyncio.sleep(wait)
            attempt += 1

    async def close(self) -> None:
        await self.http.aclose()
