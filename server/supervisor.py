"""Tasks the server cannot live without: restarted when they stop, reported by ``/healthz``.

The committer, and with Redis the hub's reader and writer and the cluster's
tasks, each run as one asyncio task. Their own code catches every fault of a
single session; should one of them stop all the same, this is never a silent
zombie: the supervisor logs why, ``/healthz`` answers 503 while it is down,
and it is started again after a short pause (doubling, at most
``MAX_BACKOFF``). A task that stops ``MAX_RESTARTS`` times within ``WINDOW``
seconds is not restarted again: the server shuts down gracefully and exits
non-zero, so systemd (``Restart=on-failure``) starts a fresh process.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("caseroom.supervisor")

FIRST_BACKOFF = 0.5  # seconds before the first restart
MAX_BACKOFF = 5.0
MAX_RESTARTS = 5
WINDOW = 60.0
EXIT_GAVE_UP = 70  # EX_SOFTWARE: what the process exits with after giving up


class Supervisor:
    def __init__(self, on_give_up: Callable[[str], None]) -> None:
        self.on_give_up = on_give_up
        self.down: dict[str, str] = {}  # task name -> why it is not running
        self.restarts = 0
        self.gave_up = False
        self._starts: dict[str, Callable[[], asyncio.Task[Any]]] = {}
        self._tasks: dict[str, asyncio.Task[Any]] = {}
        self._deaths: dict[str, list[float]] = {}
        self._stopping = False

    @property
    def healthy(self) -> bool:
        return not self.down and not self.gave_up

    def keep(self, name: str, start: Callable[[], asyncio.Task[Any]]) -> None:
        """Run ``start()`` (which creates the task) now, and again whenever its task stops."""
        self._starts[name] = start
        self._launch(name)

    def stop(self) -> None:
        """Graceful shutdown: tasks that stop from now on are meant to."""
        self._stopping = True

    def _launch(self, name: str) -> None:
        try:
            task = self._starts[name]()
        except Exception as exc:
            log.exception("starting %s failed", name)
            self._died(name, f"could not start: {exc!r}")
            return
        self._tasks[name] = task
        self.down.pop(name, None)
        task.add_done_callback(lambda t, name=name: self._ended(name, t))

    def _ended(self, name: str, task: asyncio.Task[Any]) -> None:
        if self._stopping or self._tasks.get(name) is not task:
            return
        if task.cancelled():
            why = "cancelled"
            log.error("%s was cancelled; restarting it", name)
        elif (exc := task.exception()) is not None:
            why = f"died: {exc!r}"
            log.error("%s died; restarting it", name, exc_info=exc)
        else:
            why = "returned"
            log.error("%s stopped; restarting it", name)
        self._died(name, why)

    def _died(self, name: str, why: str) -> None:
        self.down[name] = why
        now = time.monotonic()
        deaths = [t for t in self._deaths.get(name, []) if now - t < WINDOW] + [now]
        self._deaths[name] = deaths
        if len(deaths) > MAX_RESTARTS:
            self.gave_up = True
            log.critical("%s stopped %d times within %.0f s; giving up: the process exits for a restart",
                         name, len(deaths), WINDOW)
            self.on_give_up(name)
            return
        delay = min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** (len(deaths) - 1))
        asyncio.get_running_loop().call_later(delay, self._restart, name)

    def _restart(self, name: str) -> None:
        if self._stopping:
            return
        self.restarts += 1
        log.warning("restarting %s (%d restart(s) so far)", name, self.restarts)
        self._launch(name)
