"""One websocket as the endpoint uses it: the ASGI ``receive`` and ``send``, and nothing more.

Starlette's ``WebSocket`` is a general request object (lazy header maps, URL and query
parsing, state machines for both directions); with thousands of phones each kept for a whole
class, its objects were a visible share of the memory per phone, and its checks a share of
every frame sent. The endpoint needs six things, so it gets exactly those.

``send_texts`` hands several frames to the server in one write when the server offers it
(``server/wsproto.py``, the ``caseroom.send_texts`` extension), and sends them one by one
otherwise. ``on_text`` asks the server to hand text frames over as they arrive
(``caseroom.on_text``), where it can.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.types import Receive, Scope, Send

EXTENSION = "caseroom.send_texts"  # offered by server/wsproto.py
WRITE_EXTENSION = "caseroom.write_texts"  # (the same, synchronous: False when it cannot write now)
TEXT_EXTENSION = "caseroom.on_text"  # (a handler of text frames as they arrive, server/wsproto.py)


class Socket:
    __slots__ = ("_batch", "_on_text", "_receive", "_send", "_write", "closed", "scope")

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.scope = scope
        self._receive = receive
        self._send = send
        extensions = scope.get("extensions") or {}
        self._batch: Callable[[list[str]], Awaitable[None]] | None = extensions.get(EXTENSION)
        self._write: Callable[[list[str]], bool] | None = extensions.get(WRITE_EXTENSION)
        self._on_text: Callable[[Callable[[str], bool] | None], None] | None = extensions.get(TEXT_EXTENSION)
        self.closed = False  # a close frame was sent: nothing more goes out

    def header(self, name: bytes) -> str | None:
        """A request header (``name`` in lower case), or None."""
        for key, value in self.scope["headers"]:
            if key == name:
                return bytes(value).decode("latin-1")
        return None

    @property
    def client_host(self) -> str | None:
        client = self.scope.get("client")
        return client[0] if client else None

    @property
    def app(self) -> Any:
        return self.scope["app"]

    async def accept(self) -> None:
        message = await self._receive()
        if message["type"] != "websocket.connect":
            raise ConnectionError(f"expected websocket.connect, got {message['type']}")
        await self._send({"type": "websocket.accept"})

    async def receive(self) -> dict[str, Any]:
        return dict(await self._receive())

    async def send_text(self, text: str) -> None:
        if self.closed:
            raise ConnectionError("the websocket is closed")
        await self._send({"type": "websocket.send", "text": text})

    async def send_texts(self, texts: list[str]) -> None:
        """Send text frames in order: in one write where the server can, else one by one."""
        if self.closed:
            raise ConnectionError("the websocket is closed")
        if self._batch is not None:
            await self._batch(texts)
            return
        for text in texts:
            await self._send({"type": "websocket.send", "text": text})

    def write_now(self, texts: list[str]) -> bool:
        """Write text frames at once if the server can (open, not backed up); False: nothing
        was written, use ``send_texts``."""
        return not self.closed and self._write is not None and self._write(texts)

    def on_text(self, handler: Callable[[str], bool] | None) -> bool:
        """Have the server hand each text frame to ``handler`` as it arrives, while none waits for
        ``receive`` (True means handled; False, which changes nothing, sends it to ``receive``);
        None stops it. False: this server cannot (every frame comes through ``receive``)."""
        if self._on_text is None:
            return False
        self._on_text(handler)
        return True

    async def close(self, code: int = 1000) -> None:
        if self.closed:
            return
        self.closed = True
        await self._send({"type": "websocket.close", "code": code, "reason": ""})
