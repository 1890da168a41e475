"""A websocket test client in the spirit of channels' WebsocketCommunicator: every receive
has a timeout, so a missing message fails the test instead of hanging it."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

TIMEOUT = 10.0
_ids = itertools.count(1)


class Client:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.view: dict[str, Any] | None = None
        self.seq = -1
        self.welcome: dict[str, Any] | None = None
        self.backlog: list[dict[str, Any]] = []

    @classmethod
    async def open(cls, url: str) -> Client:
        # Never pause reading: a test may leave replies unread, and a paused reader
        # cannot see the server's close frame, so closing would wait the close timeout.
        return cls(await connect(url, open_timeout=TIMEOUT, max_queue=None))

    async def send(self, msg: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(msg))

    async def recv(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        msg = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        if msg["type"] == "state":
            assert msg["seq"] >= self.seq, "seq went backwards"
            self.seq, self.view = msg["seq"], msg["view"]
        elif msg["type"] == "welcome":
            self.welcome = msg
        return msg

    async def until(self, pred: Callable[[dict[str, Any]], bool], timeout: float = TIMEOUT) -> dict[str, Any]:
        async def loop() -> dict[str, Any]:
            while True:
                msg = await self.recv(timeout)
                if pred(msg):
                    return msg

        return await asyncio.wait_for(loop(), timeout)

    async def view_until(self, pred: Callable[[dict[str, Any]], bool],
                         timeout: float = TIMEOUT) -> dict[str, Any]:
        if self.view is not None and pred(self.view):
            return self.view
        msg = await self.until(lambda m: m["type"] == "state" and pred(m["view"]), timeout)
        return msg["view"]

    async def request(self, msg: dict[str, Any], msg_id: str | None = None) -> dict[str, Any]:
        """Send with an id and return the ack or error that answers it."""
        msg_id = msg_id or f"m{next(_ids)}"
        await self.send({**msg, "id": msg_id})
        return await self.until(lambda m: m["type"] in ("ack", "error", "pong") and m.get("id") == msg_id)

    async def close(self) -> None:
        await self.ws.close()


async def host(url: str, code: str, key: str, view: str) -> Client:
    c = await Client.open(url)
    await c.send({"type": "host", "code": code, "key": key, "view": view})
    welcome = await c.recv()
    assert welcome["type"] == "welcome", welcome
    return c


async def player(url: str, code: str, name: str, msg_id: str | None = None, **extra: Any) -> Client:
    c = await Client.open(url)
    await c.send({"type": "join", "code": code, "name": name, **({"id": msg_id} if msg_id else {}),
                  **extra})
    welcome = await c.recv()
    assert welcome["type"] == "welcome", welcome
    return c
