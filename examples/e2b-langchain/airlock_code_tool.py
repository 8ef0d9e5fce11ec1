"""A LangChain code tool that runs what the model writes in an Airlock sandbox, through the stock
E2B SDK. Nothing here is Airlock-specific: point E2B_API_URL and E2B_SANDBOX_URL at Airlock and set
E2B_API_KEY to an Airlock key (docs/e2b.md), and every call the model makes is gated, limited and
recorded as an Airlock sandbox step.

    agent = create_agent(model, tools=[run_python])   # any LangChain agent
"""

from __future__ import annotations

import atexit
import threading

from e2b import CommandExitException, Sandbox
from langchain_core.tools import tool

_lock = threading.Lock()
_sandbox: Sandbox | None = None


def _shared_sandbox() -> Sandbox:
    """One sandbox for the agent's whole session: files it writes stay for the next call."""
    global _sandbox
    with _lock:
        if _sandbox is None or not _sandbox.is_running():
            _sandbox = Sandbox.create("python", metadata={"tool": "langchain-run-python"})
            atexit.register(_sandbox.kill)
        return _sandbox


@tool
def run_python(code: str) -> str:
    """Run a Python 3 program and return what it printed. Files it writes in the working directory
    are there for the next call. There is no network."""
    sbx = _shared_sandbox()
    sbx.files.write("/home/user/main.py", code)
    try:
        result = sbx.commands.run("python3 main.py", timeout=60)
    except CommandExitException as failed:
        # The model sees why it failed, a gate's refusal included, and can try again.
        return f"exit code {failed.exit_code}: {failed.error}\n{failed.stdout}{failed.stderr}"
    return result.stdout + result.stderr
