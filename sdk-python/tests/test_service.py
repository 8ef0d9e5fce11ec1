"""The SDK against a running Airlock (AIRLOCK_URL, AIRLOCK_API_KEY; test/sdk-python runs it with a
real cluster and engine). AIRLOCK_APPROVER_KEY, when set, is another key of the tenant with the
approve scope."""

import os

import pytest

import airlock

pytestmark = pytest.mark.skipif(not os.environ.get("AIRLOCK_URL"), reason="needs a running Airlock (AIRLOCK_URL)")


@pytest.fixture
def client():
    with airlock.Airlock() as c:
        yield c


def test_run_get_list_and_reports(client):
    result = client.executions.run(language="python", code="print(6 * 7)")
    assert result.status.value == "succeeded"
    assert result.run.stdout == "42\n"
    assert client.executions.get(result.id).id == result.id
    page = client.executions.list(page_size=5)
    assert any(e.id == result.id for e in page.executions) or page.next_page_token is not None
    assert client.executions.sarif(result.id)["version"] == "2.1.0"
    assert "<testsuites" in client.executions.junit(result.id)
    history = client.audit.history(result.id)
    assert history["events"][0]["eventType"] in ("EVENT_TYPE_WORKFLOW_EXECUTION_STARTED", "WorkflowExecutionStarted")
    assert client.audit.keys()


def test_bad_input_names_the_field(client):
    with pytest.raises(airlock.BadRequestError) as caught:
        client.executions.run(language="cobol", code="x")
    assert caught.value.field == "language"


def test_events_stream_to_the_end(client):
    execution_id = client.executions.submit(language="python", code="print('streamed')")
    events = list(client.executions.events(execution_id))
    assert events[-1].type == "end"
    assert "streamed\n" in "".join(e.text for e in events if e.type == "stdout")
    # Resumed after the last id: only what came later.
    assert [e.id for e in client.executions.events(execution_id, last_event_id=events[-2].id)] == [events[-1].id]


def test_cancel_a_running_execution(client):
    execution_id = client.executions.submit(language="python", code="import time; time.sleep(60)")
    client.executions.cancel(execution_id)
    assert client.executions.wait(execution_id, timeout=60).status.value == "cancelled"


def test_sandbox_steps_files_and_close(client):
    with client.sandboxes.create(language="python", metadata={"sdk": "python"}) as sbx:
        assert sbx.info.status.value == "ready"
        assert sbx.info.metadata == {"sdk": "python"}
        sbx.files.write("data/in.txt", "hello")
        assert sbx.files.read_text("data/in.txt") == "hello"
        assert [e.name for e in sbx.files.list("data")] == ["in.txt"]
        sbx.files.move("data/in.txt", "data/moved.txt")
        sbx.files.make_dir("out")
        step = sbx.run("print(open('data/moved.txt').read().upper())")
        assert step.status.value == "succeeded" and step.process.stdout == "HELLO\n"
        command = sbx.exec(command="ls data")
        assert command.process.stdout == "moved.txt\n"
        step_id = sbx.start(code="print('live')")
        assert "live\n" in "".join(e.text for e in sbx.events(step_id))
        # Queued behind a long step, then cancelled with it: neither runs to its end.
        long_id = sbx.start(command="sleep 60")
        waiting_id = sbx.start(command="touch never.txt")
        assert sbx.cancel(waiting_id) is True
        assert sbx.cancel(long_id) is True
        ends = [e for e in sbx.events(long_id) if e.type == "end"]
        assert ends[0].data["result"]["error"]["type"] == "StepCancelled"
        with pytest.raises(airlock.NotFoundError):
            sbx.cancel(long_id)
        assert "never.txt" not in [e.name for e in sbx.files.list(".")]
        sbx.files.remove("data", recursive=True)
        assert "data" not in [e.name for e in sbx.files.list(".")]
        assert "out" in [e.name for e in sbx.files.list(".")]
        with pytest.raises(airlock.NotFoundError):
            sbx.files.read("data/moved.txt")
        assert sbx.set_timeout(120).idle_timeout_seconds == 120
    info = client.sandboxes.get_info(sbx.id)
    assert info.status.value == "closed"
    with pytest.raises(airlock.ConflictError):
        sbx.run("print(1)")


@pytest.mark.skipif(not os.environ.get("AIRLOCK_APPROVER_KEY"), reason="needs an approver key")
def test_approval(client):
    # eval makes the static analysis warn, and `strict` asks a reviewer when a gate warns.
    execution_id = client.executions.submit(language="python", code='print(eval("6*7"))', policy="strict")
    with airlock.Airlock(api_key=os.environ["AIRLOCK_APPROVER_KEY"]) as reviewer:
        for _ in range(100):
            if client.executions.get(execution_id).status.value == "awaiting_approval":
                break
            __import__("time").sleep(0.2)
        approval = reviewer.approvals.approve(execution_id, comment="looks fine")
        assert approval.decision.value == "approved" and approval.comment == "looks fine"
    assert client.executions.wait(execution_id).run.stdout == "42\n"


async def test_the_async_client():
    async with airlock.AsyncAirlock() as client:
        result = await client.executions.run(language="python", code="print('async')")
        assert result.run.stdout == "async\n"
        sbx = await client.sandboxes.create(language="python")
        try:
            await sbx.files.write("a.txt", b"bytes")
            assert await sbx.files.read("a.txt") == b"bytes"
            step = await sbx.run("print(open('a.txt').read())")
            assert step.process.stdout == "bytes\n"
            step_id = await sbx.start(code="print('async-live')")
            assert "async-live\n" in "".join([e.text async for e in sbx.events(step_id)])
        finally:
            await sbx.close()
