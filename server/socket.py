"""One websocket as the endpoint uses it: the ASGI ``receive`` and ``send``, and nothing more.

Starlette's ``WebSocket`` is a general request object (lazy header maps, URL and query
parsing, state machines for both directions); with thousands of phones each kept for a whole
class, its objects were a visible share of the memory per phone, and its checks a share of
every frame sent. The endpoint needs six things, so it gets exactly those.
"""

from __future__ import annotations

from typing import Any

from starlette.types import Receive, Scope, Send


class Socket:
    __slots__ = ("_receive", "_send", "closed", "scope")

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.scope = scope
        self._receive = receive
        self._send = send
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

    async def close(self, code: int = 1000) -> None:
        if self.closed:
            return
        self.closed = True
        await self._send({"type": "websocket.close", "code": code, "reason": ""})
