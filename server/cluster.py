"""Several server processes, one session: ownership by lease, relayed commands, replicas.

With ``CASEROOM_REDIS_URL`` set, every process may hold phones of any session.
Exactly one process *owns* a session at a time, through a lease in Redis
(``caseroom:lease:<code>``, a few seconds, renewed while alive): only the owner
decides and commits commands and arms the session's timers. Every other process
that holds connections of the session keeps a *replica*: it rebuilt the session
from the shared log (PostgreSQL) and applies the owner's committed events as
they arrive over the hub, so it renders its own phones' views locally.

A command that reaches a non-owner is relayed to the owner over Redis and
answered once the owner has committed it: an ack still means "stored". Relayed
commands and their answers travel in batches, one Redis message per peer for
whatever queued while the previous one was being sent, so a burst of a thousand
answers costs a few messages rather than two thousand. If the
owner dies, its lease runs out; a process that watches the session takes the
lease, rebuilds the session from the log, re-arms its timers and carries on. A
relayed command that got no answer is sent again with the same client id, so
it can never have a second effect. Phones on surviving processes stay connected.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Callable
from typing import Any

import orjson

from sessions.commit import Committer
from sessions.core import Command
from sessions.errors import NotFound, Refused
from sessions.events import Event
from sessions.hub import Keep, spawn
from sessions.live import LiveSession, Outcome, Sessions
from sessions.redis_hub import RedisHub

log = logging.getLogger("caseroom.cluster")

LEASE_MS = 4000
RENEW_EVERY = 1.0
RELAY_TIMEOUT = 5.0  # longer than a lease, so a dead owner has been replaced when we look again
RELAY_ATTEMPTS = 8
CATCH_UP_TIMEOUT = 2.0  # a relayed command's earlier events are late on the hub: then read the log

# Renew only a lease we still hold; take a free one. Both atomic in Redis.
RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


def lease_key(code: str) -> str:
    return f"caseroom:lease:{code}"


class Cluster:
    def __init__(self, hub: RedisHub, sessions: Sessions, committer: Committer,
                 on_owned: Callable[[str], None]) -> None:
        self.hub = hub
        self.redis: Any = hub.redis
        self.node = hub.node
        self.sessions = sessions
        self.committer = committer
        self.on_owned = on_owned  # the driver re-arms the session's timers
        self.owned: set[str] = set()
        self._rpc: Any = None
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._answering: set[asyncio.Task[None]] = set()
        self._owners: dict[str, str] = {}  # code -> the owner last read from its lease
        self._waiters: dict[str, list[tuple[int, asyncio.Future[None]]]] = {}  # code -> (seq, relayed command)
        self._requests: dict[str, list[dict[str, Any]]] = {}  # owner -> relayed commands to send
        self._replies: dict[str, list[dict[str, Any]]] = {}  # relaying node -> answers to send
        self._outbox_ready = asyncio.Event()
        self.rpc_messages = 0
        self.relayed = 0
        self.takeovers = 0

    async def start(self, keep: Keep | None = None) -> None:
        hub_remote = self._on_remote
        self.hub.on_remote = hub_remote
        self._rpc = self.redis.pubsub()
        await self._rpc.subscribe(f"caseroom:rpc:{self.node}")
        spawn(self._tasks, keep, "cluster-rpc", self._serve_rpc)
        spawn(self._tasks, keep, "cluster-rpc-writer", self._send_rpc)
        spawn(self._tasks, keep, "cluster-leases", self._keep_leases)

    async def close(self) -> None:
        for task in self._tasks.values():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for code in list(self.owned):
            with contextlib.suppress(Exception):
                await self.redis.eval(RELEASE, 1, lease_key(code), self.node)
        with contextlib.suppress(Exception):
            await self._rpc.aclose()

    # -- sessions ---------------------------------------------------------------------------------
    async def session(self, code: str) -> LiveSession:
        """The live session (owned or a replica), loaded from the shared log on first use."""
        live = self.sessions.live.get(code)
        if live is None:
            # An unknown or ended code costs one small read, never a rebuild; a rebuild runs on a
            # worker thread (deck parse and log replay), never on the event loop.
            key = self.sessions.store.session_key(code) if code.isascii() and code.isdigit() and len(code) <= 16 \
                else None
            if key is None or key[1] is not None:
                raise NotFound("unknown_session", "there is no live session with that code")
            loaded = await asyncio.to_thread(self.sessions.load, code)
            live = self.sessions.live.get(code)  # (another request may have taken it up meanwhile)
            if live is not None:
                return live
            if loaded is None or loaded.state.phase == "ended":
                raise NotFound("unknown_session", "there is no live session with that code")
            live = self.sessions.live[code] = loaded
            await self.hub.watch(code)
            await self.try_own(code)
        return live

    async def created(self, code: str) -> None:
        await self.hub.watch(code)
        await self.try_own(code)

    async def try_own(self, code: str) -> bool:
        if code in self.owned:
            return True
        if not await self.redis.set(lease_key(code), self.node, nx=True, px=LEASE_MS):
            return False
        # The log is the truth: whatever a dead owner committed is in it, even if its
        # last events never reached us over the hub.
        live = self.sessions.live.get(code)
        if live is not None:
            self._rebuild(live)
        self.owned.add(code)
        self.takeovers += 1
        log.info("node %s owns session %s", self.node, code)
        self.on_owned(code)
        return True

    def is_owner(self, code: str) -> bool:
        return code in self.owned

    # -- commands ---------------------------------------------------------------------------------
    async def run(self, live: LiveSession, cmd: Command) -> Outcome:
        """Run a command where it may run: here if we own the session, else at its owner."""
        for _attempt in range(RELAY_ATTEMPTS):
            if live.code in self.owned:
                return await self.committer.run(live, cmd)
            owner = await self._owner(live.code)
            if owner is None:
                await self.try_own(live.code)
                continue
            reply = await self._relay(owner, live.code, cmd)
            if reply is None:  # the owner did not answer: it may be dying; look again
                self._owners.pop(live.code, None)
                continue
            if "error" in reply:
                if reply["error"]["code"] == "not_owner":
                    self._owners.pop(live.code, None)
                    await asyncio.sleep(0.1)
                    continue
                raise Refused(reply["error"]["code"], reply["error"]["message"])
            self.relayed += 1
            events = [Event(**e) for e in reply["events"]]
            if reply.get("duplicate") and isinstance(reply.get("seq"), int):
                # Done before (a resend): what it did is in the owner's state up to ``seq``; the
                # caller reads it here (a join's player), so this replica gets there first.
                await self._reach(live, reply["seq"], lambda: self._rebuild(live))
            else:
                await self._caught_up(live, events)
            return Outcome(events, duplicate=reply.get("duplicate", False))
        raise Refused("unavailable", "the session is moving to another server; send it again")

    async def _owner(self, code: str) -> str | None:
        """The session's owner, as last seen: one Redis read per owner change, not per command."""
        owner = self._owners.get(code)
        if owner is None:
            raw = await self.redis.get(lease_key(code))
            if raw is None:
                return None
            owner = self._owners[code] = raw.decode()
        return owner

    async def _relay(self, owner: str, code: str, cmd: Command) -> dict[str, Any] | None:
        req = f"{self.node}:{next(self._ids)}"
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[req] = fut
        self._post(owner, {"req": req, "code": code, "cmd": {"name": cmd.name, "actor": cmd.actor,
                                                              "args": cmd.args, "client_id": cmd.client_id}})
        try:
            return await asyncio.wait_for(fut, RELAY_TIMEOUT)
        except TimeoutError:
            return None
        finally:
            self._pending.pop(req, None)

    def _post(self, node: str, item: dict[str, Any], reply: bool = False) -> None:
        """Queue a request (or a reply) for ``node``; the writer sends each node's queue as one message."""
        (self._replies if reply else self._requests).setdefault(node, []).append(item)
        self._outbox_ready.set()

    async def _send_rpc(self) -> None:
        """Send what queued while the previous send was out: a burst of answers costs a few messages."""
        while True:
            await self._outbox_ready.wait()
            self._outbox_ready.clear()
            requests, self._requests = self._requests, {}
            replies, self._replies = self._replies, {}
            messages = [(node, {"kind": "requests", "reply_to": self.node, "items": items})
                        for node, items in requests.items()]
            messages += [(node, {"kind": "replies", "items": items}) for node, items in replies.items()]
            try:
                async with self.redis.pipeline(transaction=False) as pipe:
                    for node, body in messages:
                        pipe.publish(f"caseroom:rpc:{node}", orjson.dumps(body))
                    await pipe.execute()
                self.rpc_messages += len(messages)
            except Exception:  # requests are sent again by their relays; replies are answered again
                log.exception("sending %d cluster message(s) failed", len(messages))

    async def _serve_rpc(self) -> None:
        while True:
            try:
                msg = await self._rpc.get_message(ignore_subscribe_messages=True, timeout=1.0)
            except Exception:
                log.exception("cluster rpc read failed")
                await asyncio.sleep(0.5)
                continue
            if msg is None or msg.get("type") != "message":
                continue
            try:
                body = orjson.loads(msg["data"])
                if body["kind"] == "replies":
                    for item in body["items"]:
                        fut = self._pending.get(item["req"])
                        if fut is not None and not fut.done():
                            fut.set_result(item)
                elif body["kind"] == "requests":
                    for item in body["items"]:
                        task = asyncio.create_task(self._answer(item, body["reply_to"]))
                        self._answering.add(task)
                        task.add_done_callback(self._answering.discard)
            except Exception:  # a malformed message from a peer must not stop the reader
                log.exception("bad cluster message")

    async def _answer(self, item: dict[str, Any], reply_to: str) -> None:
        code = item["code"]
        reply: dict[str, Any] = {"req": item["req"]}
        try:
            if code not in self.owned:
                raise Refused("not_owner", "this node does not own the session")
            live = await self.session(code)
            c = item["cmd"]
            out = await self.committer.run(live, Command(c["name"], c["actor"], c["args"], c["client_id"]))
            reply.update(events=[e.as_dict() for e in out.events], duplicate=out.duplicate, seq=live.committed_seq)
        except Refused as exc:
            reply["error"] = {"code": exc.code, "message": exc.message}
        except Exception as exc:  # ours: the relaying node will retry
            log.exception("relayed command failed")
            reply["error"] = {"code": "not_owner", "message": str(exc)}
        self._post(reply_to, reply, reply=True)

    async def _caught_up(self, live: LiveSession, events: list[Event]) -> None:
        """Return once this replica holds the events a relayed command made.

        The owner's reply and its hub message travel on two channels, so the reply may come
        first, and the caller reads the state those events made (the player a join created, the
        view after an answer). Events that follow on from the replica's state are applied here
        (the hub's copy is then already had); after a gap, the earlier events are on their way
        over the hub, so wait for them, and only if they never come rebuild from the shared log."""
        if not events or live.state.seq >= events[-1].seq:
            return
        if events[0].seq <= live.state.seq + 1:
            self._on_remote(live.code, events)
            return
        await self._reach(live, events[-1].seq, lambda: self._on_remote(live.code, events))

    async def _reach(self, live: LiveSession, seq: int, otherwise: Callable[[], None]) -> None:
        """Wait until this replica's state reaches ``seq`` over the hub; ``otherwise`` (a rebuild
        from the shared log) if it has not within ``CATCH_UP_TIMEOUT``."""
        if live.state.seq >= seq:
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiter = (seq, fut)
        self._waiters.setdefault(live.code, []).append(waiter)
        try:
            await asyncio.wait_for(fut, CATCH_UP_TIMEOUT)
        except TimeoutError:
            log.info("session %s: events up to %d never came over the hub; rebuilding the replica from the log",
                     live.code, seq)
            otherwise()
        finally:
            waiting = self._waiters.get(live.code, [])
            if waiter in waiting:
                waiting.remove(waiter)
            if not waiting:
                self._waiters.pop(live.code, None)

    # -- replicas and leases ----------------------------------------------------------------------
    def _on_remote(self, code: str, events: list[Event]) -> None:
        live = self.sessions.live.get(code)
        if live is None or code in self.owned or not events:
            return
        events = [e for e in events if e.seq > live.state.seq]  # (a relayed reply may have brought some)
        if not events:
            return  # already have them
        if events[0].seq != live.state.seq + 1:
            log.info("session %s: gap before event %d; rebuilding the replica from the log", code, events[0].seq)
            live.reload()
            live.announce(events, remote=True)
        else:
            try:
                live.apply_events(events)
            except Exception:  # a replica half-applied: rebuild it from the shared log (the truth)
                log.exception("session %s: applying remote events %d-%d failed; rebuilding the replica",
                              code, events[0].seq, events[-1].seq)
                live.reload()
            live.announce(events, remote=True)
        self._wake(code, live.state.seq)

    def _rebuild(self, live: LiveSession) -> None:
        """The replica from the shared log (the truth); relayed commands waiting for it go on."""
        live.reload()
        self._wake(live.code, live.state.seq)

    def _wake(self, code: str, seq: int) -> None:
        """Wake the relayed commands waiting for this replica to reach their events."""
        for upto, fut in self._waiters.get(code, ()):
            if upto <= seq and not fut.done():
                fut.set_result(None)

    async def _keep_leases(self) -> None:
        while True:
            await asyncio.sleep(RENEW_EVERY)
            for code in list(self.sessions.live):
                try:
                    if code in self.owned:
                        if not await self.redis.eval(RENEW, 1, lease_key(code), self.node, LEASE_MS):
                            log.warning("node %s lost the lease of %s", self.node, code)
                            self.owned.discard(code)
                            self._rebuild(self.sessions.live[code])
                    elif await self.redis.get(lease_key(code)) is None:
                        await self.try_own(code)  # the owner is gone: take over
                except Exception:
                    log.exception("lease upkeep for %s failed", code)


