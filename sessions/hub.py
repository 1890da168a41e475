"""Fan-out: tells whoever holds a session's connections that its state moved.

The message is only "session X is at seq N"; each connection then renders
the newest view for its audience when it is ready to send (latest wins), so a
burst of a thousand answers costs a slow phone one send, not a thousand.
This in-process hub is the single-process default; a Redis hub with the same
interface relays the same notice between processes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

Listener = Callable[[str, int], None]


class Hub(Protocol):
    def subscribe(self, code: str, listener: Listener) -> None: ...
    def unsubscribe(self, code: str, listener: Listener) -> None: ...
    def publish(self, code: str, seq: int) -> None: ...


class LocalHub:
    def __init__(self) -> None:
        self._listeners: dict[str, list[Listener]] = {}

    def subscribe(self, code: str, listener: Listener) -> None:
        self._listeners.setdefault(code, []).append(listener)

    def unsubscribe(self, code: str, listener: Listener) -> None:
        listeners = self._listeners.get(code)
        if listeners and listener in listeners:
            listeners.remove(listener)
            if not listeners:
                del self._listeners[code]

    def publish(self, code: str, seq: int) -> None:
        for listener in tuple(self._listeners.get(code, ())):
            listener(code, seq)
