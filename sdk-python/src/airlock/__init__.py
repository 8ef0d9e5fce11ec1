"""Airlock's Python SDK: durable, gated, audited execution of AI-written code.

    import airlock
    client = airlock.Airlock(base_url="http://127.0.0.1:8080", api_key="ak_...")
    result = client.executions.run(language="python", code="print(6 * 7)")
    print(result.status, result.run.stdout)
"""

from . import models
from ._async_client import AsyncAirlock, AsyncSandbox
from ._client import Airlock, Sandbox
from ._errors import (
    AirlockError,
    AirlockTimeoutError,
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from ._events import Event

__all__ = [
    "Airlock",
    "AsyncAirlock",
    "Sandbox",
    "AsyncSandbox",
    "Event",
    "models",
    "AirlockError",
    "AirlockTimeoutError",
    "APIConnectionError",
    "APIStatusError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
]
__version__ = "0.1.0"
