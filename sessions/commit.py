"""Group commit: many commands, one transaction, then every ack.

Commands from every connection of the process queue here. One writer task
takes whatever has queued, decides and applies each command in arrival order
(so each decision sees the ones before it), writes all their events in ONE
transaction on a worker thread, and only then publishes the new views and
resolves each command's future (the driver acks on that). While a commit is
on the disk, the next commands queue up: a burst of a thousand answers costs
a handful of fsyncs, and the event loop never waits on the disk.

If a commit fails, nothing in it was acknowledged: the sessions it touched
are rebuilt from the store (the truth) and every waiting command gets the
error.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sessions.core import Command
from sessions.errors import Refused
from sessions.events import Event
from sessions.live import LiveSession, Outcome
from sessions.store import Store

log = logging.getLogger("caseroom.commit")

MAX_BATCH = 2000


class Committer:
    def __init__(self, store: Store, now: Callable[[], int]) -> None:
        self.store = store
        self.now = now
        self._queue: list[tuple[LiveSession, Command, asyncio.Future[Outcome]]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.batches = 0
        self.commands = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="caseroom-committer")

    async def run(self, live: LiveSession, cmd: Command) -> Outcome:
        """Decide, store and publish one command; returns once its events are committed."""
        if self._closing:
            raise Refused("shutting_down", "the server is restarting; send it again in a moment")
        fut: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._queue.append((live, cmd, fut))
        self._wake.set()
        return await fut

    async def close(self) -> None:
        """Finish every queued command, then stop (graceful shutdown)."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                await self._commit(batch)
            if self._closing:
                return

    async def _commit(self, batch: list[tuple[LiveSession, Command, asyncio.Future[Outcome]]]) -> None:
        done: list[tuple[LiveSession, Outcome, asyncio.Future[Outcome]]] = []
        writes: dict[str, list[Event]] = {}
        ended: dict[str, int] = {}
        touched: dict[str, LiveSession] = {}
        for live, cmd, fut in batch:
            try:
                out = live.decide_events(cmd, self.now())
            except Refused as exc:
                fut.set_exception(exc)
                continue
            except Exception as exc:  # a bug of ours: this command fails, the batch goes on
                log.exception("deciding %s in %s failed", cmd.name, live.code)
                fut.set_exception(exc)
                continue
            if out.events:
                live.apply_events(out.events)
                writes.setdefault(live.code, []).extend(out.events)
                touched[live.code] = live
                if (at := live.ended_at(out.events)) is not None:
                    ended[live.code] = at
            done.append((live, out, fut))
        if writes:
            try:
                await asyncio.to_thread(self.store.append_batch, writes, ended)
            except Exception as exc:
                log.exception("commit of %d event(s) failed; rebuilding from the store", sum(map(len, writes.values())))
                for live in touched.values():
                    live.reload()
                for _live, _out, fut in done:
                    if not fut.done():
                        fut.set_exception(exc)
                return
            self.batches += 1
        self.commands += len(done)
        for code, live in touched.items():
            live.announce(writes[code])
        for _live, out, fut in done:
            if not fut.done():
                fut.set_result(out)
