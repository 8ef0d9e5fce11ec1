"""The client's own rules, against a fake server (httpx.MockTransport): retries that reuse the
idempotency key, typed errors naming the field, timeouts, and waiting on an accepted run."""

import httpx
import pytest

import airlock


def client(handler, **kw) -> airlock.Airlock:
    http = httpx.Client(base_url="http://airlock.test", transport=httpx.MockTransport(handler))
    return airlock.Airlock(base_url="http://airlock.test", api_key="ak_test", http_client=http, **kw)


RESULT = {
    "id": "ex_1",
    "status": "succeeded",
    "language": "python",
    "tenant": "default",
    "policy": None,
    "host": None,
    "image": None,
    "createdAt": "2026-12-04T00:00:00Z",
    "finishedAt": "2026-12-04T00:00:01Z",
    "stages": [],
    "gates": [],
    "approval": None,
    "compile": None,
    "run": None,
    "cases": None,
    "tests": None,
    "testReport": None,
    "scan": None,
    "timeLimit": None,
    "error": None,
    "someFieldFromANewerServer": True,
}


def test_a_retried_run_sends_the_same_idempotency_key():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("idempotency-key"))
        if len(seen) < 3:
            return httpx.Response(503, headers={"retry-after": "0"}, json={"error": {"code": "unavailable", "message": "x"}})
        return httpx.Response(200, json=RESULT)

    result = client(handler).executions.run(language="python", code="print(1)")
    assert result.status.value == "succeeded"
    assert len(seen) == 3 and seen[0] and len(set(seen)) == 1


def test_errors_are_typed_and_name_the_field():
    def handler(request: httpx.Request) -> httpx.Response:
        body = {"error": {"code": "invalid_request", "message": "language: unknown runtime", "field": "language"}}
        return httpx.Response(400, json=body)

    with pytest.raises(airlock.BadRequestError) as caught:
        client(handler).executions.run(language="cobol", code="x")
    assert caught.value.field == "language" and caught.value.code == "invalid_request"


def test_a_400_is_never_retried_and_a_429_is_until_the_retries_run_out():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return httpx.Response(429, headers={"retry-after": "0"}, json={"error": {"code": "rate_limited", "message": "slow"}})

    with pytest.raises(airlock.RateLimitError):
        client(handler, max_retries=2).executions.get("ex_1")
    assert len(calls) == 3


def test_a_post_without_a_key_is_not_retried():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(503, json={"error": {"code": "unavailable", "message": "x"}})

    with pytest.raises(airlock.ServerError):
        client(handler).approvals._send(airlock._http.Call("POST", "/v1/x"), lambda r: None)
    assert len(calls) == 1


def test_timeouts_and_dead_servers_are_their_own_errors():
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    def dead(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(airlock.AirlockTimeoutError):
        client(slow, max_retries=0).executions.get("ex_1")
    with pytest.raises(airlock.APIConnectionError):
        client(dead, max_retries=1).executions.get("ex_1")


def test_an_accepted_run_is_waited_for():
    polls = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(202, json={"id": "ex_1", "status": "queued"})
        polls.append(1)
        return httpx.Response(200, json={**RESULT, "status": "running" if len(polls) < 2 else "succeeded"})

    airlock._client.POLL_SECONDS = 0.01
    assert client(handler).executions.run(language="python", code="x").status.value == "succeeded"
    assert len(polls) == 2


def test_a_key_is_required(monkeypatch):
    monkeypatch.delenv("AIRLOCK_API_KEY", raising=False)
    with pytest.raises(ValueError, match="api_key"):
        airlock.Airlock(base_url="http://airlock.test", api_key="")
