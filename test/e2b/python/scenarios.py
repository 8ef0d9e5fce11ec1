"""The stock `e2b` PyPI SDK, unchanged, pointed at Airlock by E2B_API_URL, E2B_SANDBOX_URL and
E2B_API_KEY alone. test/e2b/e2b-sdks.test.ts runs each scenario by name
(`python scenarios.py <name>`), with the shared sandbox's id in SANDBOX_ID."""

import asyncio
import json
import os
import sys

from e2b import (
    AsyncSandbox,
    SandboxQuery,
    CommandExitException,
    FileType,
    InvalidArgumentException,
    NotFoundException,
    Sandbox,
    SandboxException,
)

RUN = os.environ.get("RUN_ID", "run")


def sandbox() -> Sandbox:
    return Sandbox.connect(os.environ["SANDBOX_ID"])


def raises(exc_type, fn, match=None):
    try:
        fn()
    except exc_type as err:
        if match is not None:
            assert match in str(err), f"{match!r} not in {err!r}"
        return err
    raise AssertionError(f"expected {exc_type.__name__}")


def create():
    sbx = Sandbox.create("python", metadata={"run": RUN, "suite": "py"}, envs={"GREETING": "hello-env"})
    return {"sandboxId": sbx.sandbox_id}


def run_streams_output():
    sbx = sandbox()
    live = []
    result = sbx.commands.run('echo "$GREETING"; echo oops >&2; pwd', on_stdout=live.append)
    assert result.exit_code == 0, result
    assert result.stdout == "hello-env\n/workspace\n", result.stdout
    assert result.stderr == "oops\n", result.stderr
    assert "".join(live) == result.stdout, live


def non_zero_exit():
    sbx = sandbox()
    err = raises(CommandExitException, lambda: sbx.commands.run("echo partial; exit 3"))
    assert err.exit_code == 3 and err.stdout == "partial\n" and err.error == "exit status 3", err


def blocked_command():
    # Run under a key whose policy blocks secrets: the policy is the key's, never the SDK's choice.
    sbx = Sandbox.create()
    err = raises(CommandExitException, lambda: sbx.commands.run("echo AKIAIOSFODNN7EXAMPLE > leaked.txt"))
    assert err.exit_code == 126, err
    assert err.error.startswith("blocked by Airlock: ") and "secret" in err.error.lower(), err.error
    assert sbx.files.exists("leaked.txt") is False
    return {"sandboxId": sbx.sandbox_id}


def background_command():
    sbx = sandbox()
    handle = sbx.commands.run("sleep 0.3; echo done-late", background=True)
    assert handle.pid > 0
    assert handle.wait().stdout == "done-late\n"


def background_control():
    sbx = sandbox()
    handle = sbx.commands.run("for i in 1 2 3 4 5 6 7 8 9; do echo tick $i; sleep 1; done", background=True)
    listed = sbx.commands.list()
    assert [(p.pid, p.cmd, p.cwd) for p in listed] == [(handle.pid, "/bin/bash", "/home/user")], listed
    seen = []
    again = sbx.commands.connect(handle.pid)
    for stdout, _stderr, _pty in again:
        if stdout:
            seen.append(stdout)
        if "tick 2" in "".join(seen):
            break
    assert sbx.commands.kill(handle.pid) is True
    err = raises(CommandExitException, handle.wait)
    assert err.exit_code == -1 and err.error == "signal: killed", err
    assert "tick 9" not in "".join(seen)
    assert sbx.commands.kill(handle.pid) is False
    assert sbx.commands.list() == []
    assert sbx.commands.run("echo after").stdout == "after\n"


def files_roundtrip():
    sbx = sandbox()
    sbx.files.write("/home/user/p/x.txt", "py text")
    sbx.files.write("bytes.bin", b"\x00\x01\xff")
    written = sbx.files.write_files([{"path": "m1.txt", "data": "one"}, {"path": "m2/two.txt", "data": b"two"}])
    assert [w.path for w in written] == ["/home/user/m1.txt", "/home/user/m2/two.txt"], written
    assert sbx.files.read("p/x.txt") == "py text"
    assert bytes(sbx.files.read("bytes.bin", format="bytes")) == b"\x00\x01\xff"
    assert b"".join(sbx.files.read("/home/user/m2/two.txt", format="stream")) == b"two"
    info = sbx.files.get_info("m2")
    assert info.type == FileType.DIR and info.path == "/home/user/m2", info
    assert sbx.files.exists("m1.txt") and not sbx.files.exists("nope")
    assert sbx.files.make_dir("q") is True and sbx.files.make_dir("q") is False
    assert sbx.files.rename("m1.txt", "q/m1.txt").path == "/home/user/q/m1.txt"
    assert [e.name for e in sbx.files.list("q")] == ["m1.txt"]
    sbx.files.remove("q")
    assert not sbx.files.exists("q")
    raises(NotFoundException, lambda: sbx.files.read("no/such.txt"))
    raises(InvalidArgumentException, lambda: sbx.files.read("/etc/passwd"), "outside the workspace")


def control_plane():
    sbx = sandbox()
    info = Sandbox.get_info(sbx.sandbox_id)
    assert info.metadata == {"run": RUN, "suite": "py"}, info.metadata
    assert info.template_id == "python" and info.state.value == "running", info
    assert sbx.is_running()
    mine = Sandbox.list(query=SandboxQuery(metadata={"run": RUN, "suite": "py"})).next_items()
    assert [s.sandbox_id for s in mine] == [sbx.sandbox_id], mine
    sbx.set_timeout(600)
    err = raises(SandboxException, lambda: sbx.pause())
    assert "cannot be paused" in str(err), err


def async_client():
    async def main():
        sbx = await AsyncSandbox.connect(os.environ["SANDBOX_ID"])
        result = await sbx.commands.run("echo from-async")
        assert result.stdout == "from-async\n", result
        await sbx.files.write("async.txt", "async text")
        assert await sbx.files.read("async.txt") == "async text"
        assert await sbx.is_running()

    asyncio.run(main())


def kill():
    doomed = Sandbox.create(metadata={"run": RUN, "doomed": "yes"})
    doomed.kill()
    assert doomed.is_running() is False
    raises(NotFoundException, lambda: Sandbox.get_info(doomed.sandbox_id))
    assert Sandbox.kill(doomed.sandbox_id) is False


def other_tenant():
    other = os.environ["OTHER_TENANT_KEY"]
    sandbox_id = os.environ["SANDBOX_ID"]
    raises(NotFoundException, lambda: Sandbox.connect(sandbox_id, api_key=other))
    raises(NotFoundException, lambda: Sandbox.get_info(sandbox_id, api_key=other))
    assert Sandbox.kill(sandbox_id, api_key=other) is False
    assert Sandbox.list(api_key=other, query=SandboxQuery(metadata={"run": RUN})).next_items() == []


SCENARIOS = {
    "create": create,
    "run streams output in the workspace with the create-time env": run_streams_output,
    "a non-zero exit raises CommandExitException": non_zero_exit,
    "a command the gates block fails with the gate reason": blocked_command,
    "a background command returns at its start": background_command,
    "background commands: list, connect, kill": background_control,
    "files: write, read, list, info, make_dir, rename, remove": files_roundtrip,
    "control plane: get_info, list by metadata, set_timeout, pause refused": control_plane,
    "the async client": async_client,
    "kill ends a sandbox": kill,
    "another tenant's key finds no sandbox": other_tenant,
}

if __name__ == "__main__":
    name = sys.argv[1]
    if name not in SCENARIOS:
        print(f"no scenario {name!r}; have: {' | '.join(SCENARIOS)}", file=sys.stderr)
        sys.exit(2)
    print(json.dumps(SCENARIOS[name]() or {}))
