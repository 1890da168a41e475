"""server/wsaccept.py: an upgrade httptools parsed is answered and scoped as uvicorn's own path does.

Two protocols of one uvicorn ``ServerState`` take the same request, one with the header list
httptools read (the fast path) and one without, which also sends its 101 through uvicorn's own ``send``: the
app must see the same scope and the client must get the same bytes, byte for byte.
"""

from __future__ import annotations

import asyncio
import email.utils
from typing import Any

import pytest
from uvicorn.config import Config
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState

from server import wsaccept
from server.httpproto import handshake_request
from server.wsproto import CaseroomWSProtocol
from tests.test_wsproto import Transport, run

KEY = b"dGhlIHNhbXBsZSBub25jZQ=="


class UvicornPath(CaseroomWSProtocol):
    """The same protocol with uvicorn's own ``send`` of ``websocket.accept``."""

    async def send(self, message: Any) -> None:
        await WebSocketsSansIOProtocol.send(self, message)
        if self.handshake_complete:
            self.response = None


def _headers(*extra: tuple[bytes, bytes]) -> list[tuple[bytes, bytes]]:
    return [(b"host", b"127.0.0.1:8000"), (b"upgrade", b"websocket"), (b"connection", b"Upgrade"),
            (b"sec-websocket-key", KEY), (b"sec-websocket-version", b"13"), *extra]


async def _upgrade(url: bytes, headers: list[tuple[bytes, bytes]], accept: dict[str, Any], state: ServerState,
                   fast: bool) -> tuple[dict[str, Any], bytes, CaseroomWSProtocol]:
    """One protocol's answer to the request: the scope its app saw and what it wrote."""
    seen: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope)
        await receive()
        await send(accept)
        await asyncio.sleep(3600)

    config = Config(app=app, ws=CaseroomWSProtocol, lifespan="off", log_level="warning")
    config.load()
    proto = (CaseroomWSProtocol if fast else UvicornPath)(config, state, {"app": "state"})
    transport = Transport()
    proto.take_over(transport, ("127.0.0.1", 8000), ("127.0.0.2", 50001), False)
    request = handshake_request("GET", url, headers)
    assert request is not None
    proto.handshake(request, headers if fast else None)
    for _ in range(50):
        await asyncio.sleep(0)
    assert len(seen) == 1
    return seen[0], b"".join(transport.writes), proto


def _comparable(scope: dict[str, Any]) -> dict[str, Any]:
    """The scope less its extensions' bound methods (one per protocol), which are compared by name."""
    out = dict(scope)
    out["extensions"] = {name: getattr(value, "__name__", value) for name, value in scope["extensions"].items()}
    return out


@pytest.mark.parametrize("url, extra, accept", [
    (b"/ws?lang=zh", (), {"type": "websocket.accept"}),
    (b"/ws%20x?a=%41", ((b"sec-websocket-protocol", b"caseroom.v1, other"), (b"cookie", b"a=1"), (b"cookie", b"b=2")),
     {"type": "websocket.accept", "subprotocol": "caseroom.v1", "headers": [(b"X-Room", b"A1")]}),
])
def test_the_fast_path_answers_and_scopes_as_uvicorn_does(url: bytes, extra: Any, accept: Any) -> None:
    asyncio.run(asyncio.wait_for(_same_answer(url, extra, accept), 10))


async def _same_answer(url: bytes, extra: Any, accept: Any) -> None:
    state = ServerState()
    state.default_headers = [(b"date", email.utils.formatdate(usegmt=True).encode()), (b"server", b"uvicorn")]
    headers = _headers(*extra)
    fast_scope, fast_bytes, fast = await _upgrade(url, headers, accept, state, fast=True)
    slow_scope, slow_bytes, slow = await _upgrade(url, headers, accept, state, fast=False)
    assert fast_scope["headers"] is headers  # the fast path took the list httptools read, as it is
    assert _comparable(fast_scope) == _comparable(slow_scope)
    assert fast_bytes == slow_bytes and fast_bytes.startswith(b"HTTP/1.1 101 ")
    assert fast_bytes.count(b"\r\ndate: ") == 1 and b"Date:" not in fast_bytes  # uvicorn's date only
    assert fast.handshake_complete and fast.response is None and slow.response is None
    for proto in (fast, slow):
        proto.connection_lost(None)


@run
async def test_a_request_accept_refuses_gets_the_librarys_answer() -> None:
    state = ServerState()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("a refused upgrade never reaches the app")

    config = Config(app=app, ws=CaseroomWSProtocol, lifespan="off", log_level="warning")
    config.load()
    for headers, why in (([*_headers()[:3], (b"sec-websocket-version", b"13")], b"Sec-WebSocket-Key"),
                         ([*_headers()[:4], (b"sec-websocket-version", b"8")], b"Sec-WebSocket-Version")):
        proto = CaseroomWSProtocol(config, state, {})
        transport = Transport()
        proto.take_over(transport, ("127.0.0.1", 8000), ("127.0.0.2", 50001), False)
        request = handshake_request("GET", b"/ws", headers)
        assert request is not None
        proto.handshake(request, headers)
        assert transport.writes and transport.writes[0].startswith(b"HTTP/1.1 400 ")
        assert b"invalid " + why + b" header" in transport.writes[0] or b"missing " + why in transport.writes[0]
        assert transport.closing


def test_uvicorns_default_headers_are_decoded_once_a_second_not_once_a_phone() -> None:
    first = [(b"date", b"Thu, 03 Dec 2026 15:00:00 GMT"), (b"server", b"uvicorn")]
    assert wsaccept.accepted_headers(first, {"type": "websocket.accept"}) == [
        ("date", "Thu, 03 Dec 2026 15:00:00 GMT"), ("server", "uvicorn")]
    cached = wsaccept._decoded[1]
    pairs = wsaccept.accepted_headers(first, {"headers": [(b"X-A", b"1")], "subprotocol": "p"})
    assert wsaccept._decoded[1] is cached and pairs[2:] == [("x-a", "1"), ("Sec-WebSocket-Protocol", "p")]
    assert cached == [("date", "Thu, 03 Dec 2026 15:00:00 GMT"), ("server", "uvicorn")]  # not changed by the call
    second = [(b"date", b"Thu, 03 Dec 2026 15:00:01 GMT"), (b"server", b"uvicorn")]  # uvicorn's next second
    assert wsaccept.accepted_headers(second, {})[0] == ("date", "Thu, 03 Dec 2026 15:00:01 GMT")
