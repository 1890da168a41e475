"""One contract for every hub: the in-process hub and the Redis hub behave alike for local
listeners, and the Redis hub carries committed events to other processes, in order."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from sessions.events import Event
from sessions.hub import LocalHub

REDIS_URL = os.environ.get("CASEROOM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_available() -> bool:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
        return True
    except Exception:
        return False


def need_redis() -> None:
    if not redis_available():
        reason = f"Redis is not reachable at {REDIS_URL}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI=true: Redis is required)")
        pytest.skip(reason)


def events(n: int, start: int = 1) -> list[Event]:
    return [Event(i, 1000 + i, "answer_submitted", "p1", f"c{i}", {"x": i, "名": "值"})
            for i in range(start, start + n)]


async def make(kind: str) -> Any:
    if kind == "local":
        return LocalHub()
    need_redis()
    from sessions.redis_hub import RedisHub

    hub = RedisHub(REDIS_URL, uuid.uuid4().hex[:8])
    await hub.start()
    return hub


@pytest.fixture(params=["local", "redis"])
def hub_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def run(coro_fn: Callable[[], Any]) -> None:
    asyncio.run(coro_fn())


def test_local_listeners_hear_publish_and_deliver(hub_kind: str) -> None:
    async def scenario() -> None:
        hub = await make(hub_kind)
        heard: list[tuple[str, int]] = []

        def listener(code: str, seq: int) -> None:
            heard.append((code, seq))

        hub.subscribe("111111", listener)
        hub.subscribe("222222", lambda c, s: heard.append(("other", s)))
        hub.publish("111111", 3, events(3))
        hub.deliver("111111", 4)
        hub.unsubscribe("111111", listener)
        hub.publish("111111", 5, events(1, 5))
        hub.unsubscribe("111111", listener)  # twice: harmless
        assert heard == [("111111", 3), ("111111", 4)]
        if hub_kind == "redis":
            await hub.close()

    run(scenario)


def test_redis_hub_carries_events_to_other_processes_in_order() -> None:
    need_redis()

    async def scenario() -> None:
        owner, replica, bystander = await make("redis"), await make("redis"), await make("redis")
        got: list[tuple[str, list[Event]]] = []
        replica.on_remote = lambda code, evs: got.append((code, evs))
        bystander.on_remote = lambda code, evs: pytest.fail("not watching this session")
        owner.on_remote = lambda code, evs: pytest.fail("a node never hears itself")
        code = uuid.uuid4().hex[:6]
        await replica.watch(code)
        await owner.watch(code)
        await asyncio.sleep(0.1)
        sent = [events(2, 1), events(3, 3), events(1, 6)]
        for batch in sent:
            owner.publish(code, batch[-1].seq, batch)
        await owner.flush()
        for _ in range(100):
            if len(got) == 3:
                break
            await asyncio.sleep(0.02)
        assert [evs for _c, evs in got] == sent
        for hub in (owner, replica, bystander):
            await hub.close()

    run(scenario)


