"""Typed errors: each names the API's code, its message and, for bad input, the field."""

from __future__ import annotations

from typing import Any


class AirlockError(Exception):
    """Anything the client or the API refused."""


class APIConnectionError(AirlockError):
    """The API did not answer: refused, reset, or unreachable (after the retries)."""


class AirlockTimeoutError(AirlockError):
    """The call, or the wait for an execution to finish, ran out of time."""


class APIStatusError(AirlockError):
    """The API answered with an error status."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        error = body.get("error", body) if isinstance(body, dict) else {}
        self.status = status
        self.code: str = str(error.get("code", "unknown"))
        self.message: str = str(error.get("message", ""))
        self.field: str | None = error.get("field")
        self.issues: list[dict[str, str]] = list(error.get("issues", []))
        self.body = body
        self.headers = headers or {}
        super().__init__(f"{status} {self.code}: {self.message}")


class BadRequestError(APIStatusError):
    """400/422: the request names a field the API refused, with the reason."""


class AuthenticationError(APIStatusError):
    """401: no key, or an unknown or revoked one."""


class PermissionDeniedError(APIStatusError):
    """403: the key's scope or policies do not allow it."""


class NotFoundError(APIStatusError):
    """404: not there, or another tenant's."""


class ConflictError(APIStatusError):
    """409: the moment is wrong (a sandbox that ended, a decision already made, a reused key)."""


class RateLimitError(APIStatusError):
    """429: over the key's rate or the tenant's quota, after the retries."""


class ServerError(APIStatusError):
    """5xx, after the retries."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: BadRequestError,
    429: RateLimitError,
}


def error_for(status: int, body: Any, headers: dict[str, str] | None = None) -> APIStatusError:
    cls = _BY_STATUS.get(status, ServerError if status >= 500 else APIStatusError)
    return cls(status, body if isinstance(body, dict) else {}, headers)
