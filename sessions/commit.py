"""Group commit: many commands, one transaction, then every ack.

Commands from every connection of the process queue here. One writer task
takes whatever has queued, decides and applies each command in arrival order
(so each decision sees the ones before it), writes all their events in ONE
transaction on a worker thread, and only then publishes the new views and
resolves each command's future (the driver acks on that). While a commit is
on the disk, the next commands queue up: a burst of a thousand answers costs
a handful of fsyncs, and the event loop never waits on the disk.

If a commit fails, nothing in it was acknowledged: the batch is stored again
one session at a time, and a session that still fails is rebuilt from the
store (the truth) while its commands get the error. No fault of one session
ends the writer or another session's work: a bug while deciding fails that
command (``internal_error``), one while applying rebuilds that session and
fails its commands of the batch, one while announcing is logged (the events
are stored, so the commands are acked). Every such fault is logged with the
session code and the event seq. If the task dies all the same, the
supervisor (``server/supervisor.py``) starts it again; ``start`` then fails
the commands of the batch it was in.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TypeAlias

from sessions.core import Command
from sessions.errors import Refused
from sessions.events import Event
from sessions.live import LiveSession, Outcome
from sessions.store import Store

log = logging.getLogger("caseroom.commit")

MAX_BATCH = 2000
# Under load (the last commit LINGER_BUSY ago or less), a batch of fewer than LINGER_ENOUGH
# commands waits up to LINGER_S for company, and goes as soon as it has that many. Each commit
# costs about 0.25 ms whatever it holds (a transaction, a round of views; bench/README.md): at
# 2,000 answers a second this makes 430 commits of a burst where a plain 1 ms wait made 600, for
# about 0.4 ms more median latency and the same p99 (a 3 ms wait made 290, but added 1-2 ms to p99).
LINGER_S = 0.002
LINGER_ENOUGH = 8
LINGER_BUSY = 0.005
INLINE_MAX = 64  # events a batch may hold to be written on the event loop (where the store allows)
# The loop's writes are checkpointed (on a worker thread) once the writer has been quiet for
# CHECKPOINT_QUIET_S, or after CHECKPOINT_MAX events at the latest (the WAL is then ~60 MB).
# A checkpoint running beside the writer made each commit about a third dearer (bench/README.md),
# so a burst is not interrupted by one unless it goes on and on.
CHECKPOINT_QUIET_S = 0.5
CHECKPOINT_MAX = 16_000


class Reply:
    """A command's outcome handed to a function the moment its batch is stored: what the
    committer uses of a future (``done``, ``set_result``, ``set_exception``), for a caller
    that does not wait. An answer's ack is written from here: a future would have scheduled
    its done-callback as one more handle on the loop, with a copy of the context, for each
    answer of a burst. ``answer(outcome, None)`` once stored, ``answer(None, error)`` if not;
    a fault of ``answer`` is logged, never raised into the committer."""

    __slots__ = ("_answer", "_done")

    def __init__(self, answer: Callable[[Outcome | None, BaseException | None], None]) -> None:
        self._answer = answer
        self._done = False

    def done(self) -> bool:
        return self._done

    def set_result(self, outcome: Outcome) -> None:
        self._settle(outcome, None)

    def set_exception(self, exc: BaseException) -> None:
        self._settle(None, exc)

    def _settle(self, outcome: Outcome | None, exc: BaseException | None) -> None:
        if self._done:
            raise asyncio.InvalidStateError("this command was answered already")
        self._done = True
        try:
            self._answer(outcome, exc)
        except Exception:
            log.exception("answering a command failed")


Pending: TypeAlias = "asyncio.Future[Outcome] | Reply"  # a queued command's answer to come


class Committer:
    def __init__(self, store: Store, now: Callable[[], int]) -> None:
        self.store = store
        self.now = now
        self._queue: list[tuple[LiveSession, Command, Pending]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._inflight: list[tuple[LiveSession, Command, Pending]] = []
        self._closing = False
        self.batches = 0
        self.commands = 0
        self._unchecked = 0  # events written on the loop since the last checkpoint
        self._checkpointing: asyncio.Task[None] | None = None
        self._last_write = 0.0  # loop time of the last write on the loop
        self._quiet_timer: asyncio.TimerHandle | None = None
        self._lingering: asyncio.Future[None] | None = None  # set while a small batch waits for company
        # The writer's loop, once started (``asyncio.get_running_loop`` makes a system call each
        # time, and ``submit`` runs for every answer).
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> asyncio.Task[None]:
        """Start (or, after it died, restart) the writer task; the supervisor keeps it running."""
        self._fail_inflight()
        self._loop = asyncio.get_running_loop()
        self._task = self._loop.create_task(self._run(), name="caseroom-committer")
        return self._task

    def _fail_inflight(self) -> None:
        """A writer that died mid-batch left commands unanswered and states maybe half-applied:
        those commands fail (never acked) and their sessions are rebuilt from the store."""
        batch, self._inflight = self._inflight, []
        lives = {live.code: live for live, _cmd, fut in batch if not fut.done()}
        for _live, _cmd, fut in batch:
            if not fut.done():
                fut.set_exception(Refused(INTERNAL, INTERNAL_MESSAGE))
        for live in lives.values():
            _reload(live)
        if self._queue:
            self._wake.set()

    async def run(self, live: LiveSession, cmd: Command) -> Outcome:
        """Decide, store and publish one command; returns once its events are committed."""
        return await self.submit(live, cmd)

    def submit(self, live: LiveSession, cmd: Command) -> asyncio.Future[Outcome]:
        """Queue one command; the future resolves once its events are committed (or it was refused).

        For a caller that need not wait: an answer's ack can be written from the future's
        done-callback, so the connection's reader is not woken a second time for it (a task's
        wake-up through its coroutines costs several times a callback's)."""
        fut: asyncio.Future[Outcome] = (self._loop or asyncio.get_running_loop()).create_future()
        self._enqueue(live, cmd, fut)
        return fut

    def submit_then(self, live: LiveSession, cmd: Command,
                    answer: Callable[[Outcome | None, BaseException | None], None]) -> None:
        """Queue one command whose outcome goes to ``answer`` the moment it is stored or refused
        (``Reply``), without a future: an answer's ack is written from there."""
        self._enqueue(live, cmd, Reply(answer))

    def _enqueue(self, live: LiveSession, cmd: Command, pending: Pending) -> None:
        if self._closing:
            raise Refused("shutting_down", "the server is restarting; send it again in a moment")
        self._queue.append((live, cmd, pending))
        self._wake.set()
        if self._lingering is not None and len(self._queue) >= LINGER_ENOUGH:
            self._stop_lingering()

    async def close(self) -> None:
        """Finish every queued command, then stop (graceful shutdown)."""
        self._closing = True
        self._wake.set()
        self._stop_lingering()
        if self._task is not None and not self._task.done():
            await asyncio.wait([self._task])
        for _live, _cmd, fut in self._queue:  # (only if the task was gone: nothing else takes them)
            if not fut.done():
                fut.set_exception(Refused("shutting_down", "the server is restarting; send it again in a moment"))
        self._queue.clear()

    @property
    def running(self) -> bool:
        """The writer task is alive (``/healthz`` answers 503 while it is not)."""
        return self._task is not None and not self._task.done()

    async def _run(self) -> None:
        last = 0.0
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            self._wake.clear()
            if len(self._queue) < LINGER_ENOUGH and loop.time() - last < LINGER_BUSY and not self._closing:
                # A burst: answers come every fraction of a millisecond. Each commit costs a
                # transaction and a round of views whatever it holds, so a small batch waits a
                # few milliseconds for the answers on their way; a quiet room never waits.
                await self._linger(loop)
            while self._queue:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                self._inflight = batch
                try:
                    await self._commit(batch)
                except Exception:  # a bug of ours outside every guard below: the task lives on
                    log.exception("a commit batch of %d command(s) failed", len(batch))
                    self._fail_inflight()
                self._inflight = []
            last = loop.time()
            if self._closing:
                return

    async def _linger(self, loop: asyncio.AbstractEventLoop) -> None:
        """Wait LINGER_S, or less: until LINGER_ENOUGH commands have queued, or closing."""
        self._lingering = waiting = loop.create_future()
        timer = loop.call_later(LINGER_S, self._stop_lingering)
        try:
            await waiting
        finally:
            timer.cancel()
            self._lingering = None

    def _stop_lingering(self) -> None:
        if self._lingering is not None and not self._lingering.done():
            self._lingering.set_result(None)

    async def _commit(self, batch: list[tuple[LiveSession, Command, Pending]]) -> None:
        done: dict[str, list[Pending]] = {}  # per session: its commands decided so far
        writes: dict[str, list[Event]] = {}
        ended: dict[str, int] = {}
        touched: dict[str, LiveSession] = {}
        broken: set[str] = set()  # sessions whose apply raised in this batch: rebuilt, their commands fail
        # Every answer, in arrival order (refusals too, given with the acks once the batch is stored):
        # a client that sends several commands without waiting hears about each in the order it sent them.
        answers: dict[Pending, Outcome | Refused] = {}
        for live, cmd, fut in batch:
            if live.code in broken:
                fut.set_exception(Refused(INTERNAL, INTERNAL_MESSAGE))
                continue
            try:
                out = live.decide_events(cmd, self.now())
            except Refused as exc:
                answers[fut] = exc
                continue
            except Exception as exc:  # a bug of ours: this command fails, the batch goes on
                log.exception("session %s: deciding %s at seq %d failed", live.code, cmd.name, live.state.seq)
                fut.set_exception(_internal(exc))
                continue
            if out.events:
                try:
                    live.apply_events(out.events)
                except Exception as exc:
                    # A kind's apply raised half-way: this session's state is unknown, so it is
                    # rebuilt from the store, and none of its commands in this batch is stored.
                    log.exception("session %s: applying %s at seq %d failed; rebuilding it from the store",
                                  live.code, out.events[0].type, out.events[0].seq)
                    broken.add(live.code)
                    fut.set_exception(_internal(exc))
                    for other in done.pop(live.code, []):
                        other.set_exception(_internal(exc))
                    writes.pop(live.code, None)
                    ended.pop(live.code, None)
                    touched.pop(live.code, None)
                    _reload(live)
                    continue
                writes.setdefault(live.code, []).extend(out.events)
                touched[live.code] = live
                if (at := live.ended_at(out.events)) is not None:
                    ended[live.code] = at
            done.setdefault(live.code, []).append(fut)
            answers[fut] = out
        if writes:
            try:
                await self._store(writes, ended)
            except Exception:
                log.exception("commit of %d event(s) of %d session(s) failed; storing them one session at a time",
                              sum(map(len, writes.values())), len(writes))
                await self._store_apart(writes, ended, touched, done)
            self.batches += 1
        for code, live in touched.items():
            try:
                live.announce(writes[code])
            except Exception:  # the events are stored: their commands are acked all the same
                log.exception("session %s: announcing seq %d failed", code, live.state.seq)
        for fut, answer in answers.items():
            if fut.done():  # (failed above: its session broke or could not be stored)
                continue
            if isinstance(answer, Refused):
                fut.set_exception(answer)
            else:
                self.commands += 1
                fut.set_result(answer)

    async def _store(self, writes: dict[str, list[Event]], ended: dict[str, int]) -> None:
        """Write a batch: a small one on the loop where the store allows it (a thread's hop
        costs more than the write), any other on a worker thread, so the loop never waits on
        the disk; the loop's writes are checkpointed on a worker thread now and then."""
        count = sum(map(len, writes.values()))
        if count > INLINE_MAX or not getattr(self.store, "inline_writes", False):
            await asyncio.to_thread(self.store.append_batch, writes, ended)
            return
        self.store.append_batch(writes, ended)
        self._unchecked += count
        loop = asyncio.get_running_loop()
        self._last_write = loop.time()
        if self._unchecked >= CHECKPOINT_MAX:
            self._start_checkpoint()
        elif self._quiet_timer is None:
            self._quiet_timer = loop.call_later(CHECKPOINT_QUIET_S, self._when_quiet)

    def _when_quiet(self) -> None:
        """The timer after a write: checkpoint if nothing was written since, else wait on."""
        self._quiet_timer = None
        if not self._unchecked:
            return
        loop = asyncio.get_running_loop()
        left = self._last_write + CHECKPOINT_QUIET_S - loop.time()
        if left > 0.01:
            self._quiet_timer = loop.call_later(left, self._when_quiet)
        else:
            self._start_checkpoint()

    def _start_checkpoint(self) -> None:
        if self._checkpointing is not None and not self._checkpointing.done():
            return  # (the one running takes these too; the next quiet moment or cap starts another)
        self._unchecked = 0
        self._checkpointing = asyncio.get_running_loop().create_task(self._checkpoint())

    async def _checkpoint(self) -> None:
        try:
            await asyncio.to_thread(self.store.checkpoint)
        except Exception:  # the next one copies what this one did not; the WAL stays valid
            log.warning("a WAL checkpoint failed", exc_info=True)

    async def _store_apart(self, writes: dict[str, list[Event]], ended: dict[str, int],
                           touched: dict[str, LiveSession],
                           done: dict[str, list[Pending]]) -> None:
        """After a failed batch: each session in its own transaction, so one session's fault (or a
        poisoned event) fails only that session's commands; a session that fails again is rebuilt
        from the store (the truth) and its commands get the error, never an ack."""
        for code in list(writes):
            try:
                await asyncio.to_thread(self.store.append_batch, {code: writes[code]},
                                        {code: ended[code]} if code in ended else {})
            except Exception as exc:
                log.exception("session %s: storing events %d-%d failed; rebuilding it from the store",
                              code, writes[code][0].seq, writes[code][-1].seq)
                live = touched.pop(code)
                del writes[code]
                _reload(live)
                for fut in done.pop(code, []):
                    if not fut.done():
                        fut.set_exception(exc)


INTERNAL = "internal_error"
INTERNAL_MESSAGE = "the server could not do that (its log says why); nothing was stored"


def _internal(exc: Exception) -> Refused:
    """What the client hears about a bug of ours in deciding or applying: an error frame, not a
    dropped socket (a resend after a reconnect would only hit the same bug again)."""
    err = Refused(INTERNAL, INTERNAL_MESSAGE)
    err.__cause__ = exc
    return err


def _reload(live: LiveSession) -> None:
    try:
        live.reload()
    except Exception:
        log.exception("session %s: rebuilding from the store failed", live.code)
