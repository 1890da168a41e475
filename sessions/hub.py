"""Fan-out: tells whoever holds a session's connections that its state moved.

The notice is "session X is at seq N"; each connection then renders the
newest view for its audience when it is ready to send (latest wins), so a
burst of a thousand answers costs a slow phone one send, not a thousand.

One interface, two implementations that pass one contract test
(``tests/test_hub.py``):

- ``LocalHub``: the single-process default, a dict of listeners.
- ``RedisHub`` (``sessions/redis_hub.py``): the same, and ``publish`` also
  sends the committed events over Redis to the other processes that hold
  connections of the session; there they are applied to a replica of the
  session and ``deliver``\\ed to local listeners. Serialised once per
  process, rendered per audience locally.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from sessions.events import Event

log = logging.getLogger("caseroom.hub")

Listener = Callable[[str, int], None]
RemoteHandler = Callable[[str, list[Event]], None]
Keep = Callable[[str, Callable[[], "asyncio.Task[Any]"]], None]  # the supervisor's ``keep``


def spawn(tasks: dict[str, asyncio.Task[Any]], keep: Keep | None, name: str,
          run: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Start a long-lived task, under the supervisor when there is one (it restarts it if it stops)."""
    def start() -> asyncio.Task[Any]:
        tasks[name] = asyncio.create_task(run(), name=name)
        return tasks[name]

    if keep is None:
        start()
    else:
        keep(name, start)


class Hub(Protocol):
    def subscribe(self, code: str, listener: Listener) -> None: ...
    def unsubscribe(self, code: str, listener: Listener) -> None: ...
    def publish(self, code: str, seq: int, events: list[Event]) -> None:
        """Committed events of a session this process owns: tell local listeners and other processes."""
        ...
    def deliver(self, code: str, seq: int) -> None:
        """Tell local listeners only (events that came from another process)."""
        ...


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

    def publish(self, code: str, seq: int, events: list[Event]) -> None:
        self.deliver(code, seq)

    def deliver(self, code: str, seq: int) -> None:
        for listener in tuple(self._listeners.get(code, ())):
            try:
                listener(code, seq)
            except Exception:  # one room's fault never stops the others, nor the committer
                log.exception("session %s: a listener failed at seq %d", code, seq)
