"""The hub over Redis pub/sub: committed events travel to every process that watches the session.

Each process has a node id. ``publish`` notifies local listeners at once and
queues one message per commit batch on ``caseroom:events:<code>`` (the events,
serialised once). A reader task receives the channels this process watches
and hands events from other nodes to ``on_remote`` (the cluster applies them
to its replica, then ``deliver``\\s locally). Redis is imported lazily: the
default single-process mode never needs it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import orjson

from sessions.events import Event
from sessions.hub import Keep, LocalHub, RemoteHandler, spawn

log = logging.getLogger("caseroom.redis_hub")
PREFIX = "caseroom:events:"


def encode(node: str, code: str, events: list[Event]) -> bytes:
    return orjson.dumps({"node": node, "code": code, "events": [e.as_dict() for e in events]})


def decode(raw: bytes) -> tuple[str, str, list[Event]]:
    msg = orjson.loads(raw)
    events = [Event(e["seq"], e["at"], e["type"], e["actor"], e["client_id"], e["data"]) for e in msg["events"]]
    return msg["node"], msg["code"], events


class RedisHub(LocalHub):
    def __init__(self, url: str, node: str) -> None:
        super().__init__()
        import redis.asyncio as aioredis

        self.url = url
        self.node = node
        self.redis: Any = aioredis.from_url(url)
        self.pubsub: Any = self.redis.pubsub()
        self.on_remote: RemoteHandler | None = None
        self._outbox: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
        self._watched: set[str] = set()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self.sent = 0
        self.received = 0

    async def start(self, keep: Keep | None = None) -> None:
        """Subscribe, then run the writer and the reader (under ``keep``, the supervisor, if given)."""
        await self.pubsub.subscribe("caseroom:hello")  # a channel, so the reader can start listening
        spawn(self._tasks, keep, "redis-hub-writer", self._writer)
        spawn(self._tasks, keep, "redis-hub-reader", self._reader)

    async def watch(self, code: str) -> None:
        if code not in self._watched:
            self._watched.add(code)
            await self.pubsub.subscribe(PREFIX + code)

    async def unwatch(self, code: str) -> None:
        if code in self._watched:
            self._watched.discard(code)
            await self.pubsub.unsubscribe(PREFIX + code)

    def publish(self, code: str, seq: int, events: list[Event]) -> None:
        self.deliver(code, seq)
        try:
            payload = encode(self.node, code, events)
        except Exception:  # the events are stored; replicas catch up from the log on the next gap
            log.exception("session %s: encoding events up to seq %d failed", code, seq)
            return
        self._outbox.put_nowait((PREFIX + code, payload))

    async def flush(self) -> None:
        """Wait until every queued message went to Redis (tests, shutdown)."""
        while not self._outbox.empty():
            await asyncio.sleep(0.005)

    async def _writer(self) -> None:
        while True:
            channel, payload = await self._outbox.get()
            try:
                await self.redis.publish(channel, payload)
                self.sent += 1
            except Exception:
                log.exception("publishing to %s failed", channel)

    async def _reader(self) -> None:
        while True:
            try:
                msg = await self.pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            except Exception:
                log.exception("reading from redis failed")
                await asyncio.sleep(0.5)
                continue
            if msg is None or msg.get("type") != "message":
                continue
            try:
                node, code, events = decode(msg["data"])
            except Exception:  # a malformed message must not stop the reader
                log.exception("undecodable message on %s", msg.get("channel"))
                continue
            if node == self.node or self.on_remote is None:
                continue
            self.received += 1
            try:
                self.on_remote(code, events)
            except Exception:
                log.exception("session %s: applying remote events up to seq %s failed", code,
                              events[-1].seq if events else "-")

    async def close(self) -> None:
        await self.flush()
        for task in self._tasks.values():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            await self.pubsub.aclose()
            await self.redis.aclose()
