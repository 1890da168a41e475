"""Scripted phones that play the public contract, for fault tests, chaos runs and the bench.

A ``Phone`` joins (or resumes with its token), sends answers with its own ids,
and keeps every unacknowledged message to resend with the SAME id after a
reconnect, exactly as the real phone page does. ``cut()`` aborts its TCP
connection without a close frame, as a phone losing Wi-Fi does. Only
loopback addresses are ever used.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

_ids = itertools.count(1)


def assert_loopback(url: str) -> None:
    host = url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[0].strip("[]")
    if not (host.startswith("127.") or host in ("localhost", "::1")):
        raise SystemExit(f"refusing to target {host}: load and fault tools only ever use loopback")


class Phone:
    def __init__(self, url: str, code: str, name: str, group: str | None = None) -> None:
        assert_loopback(url)
        self.url, self.code, self.name, self.group = url, code, name, group
        self.ws: ClientConnection | None = None
        self.token: str | None = None
        self.player_id: str | None = None
        self.view: dict[str, Any] | None = None
        self.seq = -1
        self.unacked: dict[str, dict[str, Any]] = {}
        self.acked: dict[str, dict[str, Any]] = {}
        self.errors: list[dict[str, Any]] = []
        self.ack_times: dict[str, float] = {}
        self.sent_at: dict[str, float] = {}
        self.reconnects = 0
        self.ready = False  # connected, identified and every older message resent
        self.resume_times: list[float] = []
        self.bytes_in = 0
        self._reader: asyncio.Task[None] | None = None
        self._state_event = asyncio.Event()
        self._ack_event = asyncio.Event()

    async def connect(self, timeout: float = 10.0) -> None:
        """Join the first time, resume after; then resend everything not yet acknowledged."""
        started = time.monotonic()
        self.ready = False
        self.ws = await connect(self.url, open_timeout=timeout, max_queue=64, compression=None)
        if self.token is None:
            first = {"type": "join", "code": self.code, "name": self.name, "id": f"join-{self.name}"}
            if self.group:
                first["group"] = self.group
        else:
            first = {"type": "resume", "code": self.code, "token": self.token}
        await self.ws.send(json.dumps(first))
        while True:
            msg = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            if msg["type"] == "welcome":
                if self.player_id is not None and msg["player_id"] != self.player_id:
                    raise AssertionError(f"{self.name} came back as {msg['player_id']}, was {self.player_id}")
                self.player_id, self.token = msg["player_id"], msg["token"]
                break
            if msg["type"] == "error":
                raise RuntimeError(f"{self.name}: {msg}")
        if self.reconnects:
            self.resume_times.append(time.monotonic() - started)
        self._reader = asyncio.create_task(self._read(self.ws))
        # Resend in the order the messages were made, including any made meanwhile, before
        # new ones may go out directly: a newer answer must reach the server after an older one.
        resent: set[str] = set()
        while todo := [(i, m) for i, m in self.unacked.items() if i not in resent]:
            for msg_id, msg in todo:
                resent.add(msg_id)
                await self._write(msg_id, msg)
        self.ready = True

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                self.bytes_in += len(raw)
                msg = json.loads(raw)
                if msg["type"] == "state":
                    if msg["seq"] < self.seq:
                        raise AssertionError("seq went backwards")
                    self.seq, self.view = msg["seq"], msg["view"]
                    self._state_event.set()
                elif msg["type"] == "ack":
                    sent = self.unacked.pop(msg["id"], None)
                    if sent is not None:
                        self.acked[msg["id"]] = sent
                        self.ack_times[msg["id"]] = time.monotonic() - self.sent_at.get(msg["id"], time.monotonic())
                    self._ack_event.set()
                elif msg["type"] == "error":
                    self.errors.append(msg)
                    if "id" in msg:
                        self.unacked.pop(msg["id"], None)
                    self._ack_event.set()
        except ConnectionClosed:
            pass

    async def _send(self, msg_id: str, msg: dict[str, Any]) -> None:
        """Send now if the connection is up and caught up; else ``connect`` sends it in turn."""
        self.sent_at.setdefault(msg_id, time.monotonic())
        if self.ready:
            await self._write(msg_id, msg)

    async def _write(self, msg_id: str, msg: dict[str, Any]) -> None:
        assert self.ws is not None
        self.sent_at.setdefault(msg_id, time.monotonic())
        with contextlib.suppress(ConnectionClosed):  # kept in unacked; resent after the reconnect
            await self.ws.send(json.dumps({**msg, "id": msg_id}))

    async def submit(self, activity: str, answer: dict[str, Any], msg_id: str | None = None) -> str:
        msg_id = msg_id or f"{self.name}-{next(_ids)}"
        msg = {"type": "submit", "activity": activity, "answer": answer}
        self.unacked[msg_id] = msg
        await self._send(msg_id, msg)
        return msg_id

    def cut(self) -> None:
        """Drop the TCP connection abruptly: no close frame, like a phone leaving the Wi-Fi."""
        if self.ws is not None and self.ws.transport is not None:
            self.ws.transport.abort()

    async def keep_connected(self, until: float, backoff: float = 0.05) -> None:
        """Reconnect (with backoff, capped) whenever the connection drops, until ``until`` (monotonic)."""
        delay = backoff
        while time.monotonic() < until:
            if self._reader is not None:
                await asyncio.wait({self._reader}, timeout=max(0.01, until - time.monotonic()))
                if not self._reader.done():
                    return
            try:
                self.reconnects += 1
                await self.connect()
                delay = backoff
            except (OSError, ConnectionClosed, TimeoutError, RuntimeError):
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    @property
    def connected(self) -> bool:
        """Identified on a live connection, with every older message resent."""
        return self.ready and self._reader is not None and not self._reader.done()

    async def wait_connected(self, timeout: float = 10.0) -> None:
        """Until ``connected`` (a ``keep_connected`` task is bringing it back)."""
        deadline = time.monotonic() + timeout
        while not self.connected:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name}: not connected again within {timeout} s")
            await asyncio.sleep(0.02)

    async def wait_view(self, pred: Any, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            if self.view is not None and pred(self.view):
                return self.view
            self._state_event.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{self.name}: view never matched")
            try:
                await asyncio.wait_for(self._state_event.wait(), left)
            except TimeoutError:
                continue

    async def wait_acked(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while self.unacked:
            self._ack_event.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{self.name}: {len(self.unacked)} message(s) never acknowledged")
            try:
                await asyncio.wait_for(self._ack_event.wait(), min(left, 0.5))
            except TimeoutError:
                continue

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)
