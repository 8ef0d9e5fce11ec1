"""Live events (``GET .../events``): stage changes, output as it comes, and the end with the result."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from httpx_sse import ServerSentEvent

#: Connections a stream may lose in a row before the error reaches the caller.
RECONNECT_LIMIT = 5


@dataclass(frozen=True)
class Event:
    id: int
    type: str
    data: dict[str, Any]

    @property
    def text(self) -> str:
        """The output of a ``stdout`` or ``stderr`` event; empty for the others."""
        return str(self.data.get("text", "")) if self.type in ("stdout", "stderr") else ""


def event_from(sse: ServerSentEvent) -> Event | None:
    if not sse.id or not sse.event or sse.event == "message":
        return None
    return Event(id=int(sse.id), type=sse.event, data=json.loads(sse.data) if sse.data else {})
