"""server/httpproto.py: a websocket upgrade handed over from httptools without a second parse.

The in-process tests run uvicorn's own ``Config`` and ``ServerState`` with the HTTP protocol
over a transport that records its writes and the protocol it is switched to; a ``websockets``
client protocol writes the handshake and reads the replies. The last tests go through a real
``caseroom serve`` (every other websocket test of the suite does too).
"""

from __future__ import annotations

import asyncio
import gc
import socket
import weakref
from typing import Any

import pytest
from uvicorn.config import Config
from uvicorn.server import ServerState
from websockets import http11
from websockets.client import ClientProtocol
from websockets.datastructures import Headers
from websockets.http11 import MAX_NUM_HEADERS, Request
from websockets.streams import StreamReader
from websockets.uri import parse_uri

from server.httpproto import CaseroomHttpProtocol, handshake_request
from server.socket import Socket
from server.wsproto import CaseroomWSProtocol
from tests.conftest import RunningServer
from tests.test_wsproto import Transport, _texts, run


class SwitchingTransport(Transport):
    """The recording transport, which also knows the protocol it is switched to."""

    def __init__(self) -> None:
        super().__init__()
        self.protocol: Any = None

    def set_protocol(self, protocol: Any) -> None:
        self.protocol = protocol

    def get_protocol(self) -> Any:
        return self.protocol


def _parsed_by_websockets(raw: bytes) -> Request:
    """What the ``websockets`` parser makes of a request (uvicorn's path before this module)."""
    reader = StreamReader()
    reader.feed_data(raw)
    parser = Request.parse(reader.read_line)
    try:
        next(parser)
    except StopIteration as done:
        return done.value
    raise AssertionError("the request was not complete")


def test_the_request_is_what_the_websockets_parser_reads() -> None:
    headers = [(b"host", b"127.0.0.1:8000"), (b"upgrade", b"websocket"), (b"connection", b"Upgrade"),
               (b"sec-websocket-key", b"dGhlIHNhbXBsZSBub25jZQ=="), (b"sec-websocket-version", b"13"),
               (b"user-agent", b"Mozilla/5.0 (iPhone) \xe9t\xe9"), (b"cookie", b"a=1"), (b"cookie", b"b=2"),
               (b"content-length", b"0")]
    raw = b"GET /ws?x=1 HTTP/1.1\r\n" + b"".join(n + b": " + v + b"\r\n" for n, v in headers) + b"\r\n"
    ours = handshake_request("GET", b"/ws?x=1", headers)
    theirs = _parsed_by_websockets(raw)
    assert ours is not None
    assert (ours.method, ours.path, ours.protocol) == (theirs.method, theirs.path, theirs.protocol)
    assert list(ours.headers.raw_items()) == list(theirs.headers.raw_items())
    assert ours.headers == theirs.headers and len(ours.headers) == len(theirs.headers)
    assert ours.headers.get_all("cookie") == ["a=1", "b=2"]
    assert ours.headers["User-Agent"] == theirs.headers["user-agent"]
    assert str(ours.headers) == str(theirs.headers)


@pytest.mark.parametrize("headers, url", [
    ([(b"x-%d" % i, b"1") for i in range(MAX_NUM_HEADERS + 1)], b"/ws"),  # too many headers
    ([(b"x-long", b"a" * 9000)], b"/ws"),  # a line too long
    ([(b"bad name", b"1")], b"/ws"),  # not a token
    ([(b"x-ctl", b"a\x01b")], b"/ws"),  # a control character
    ([(b"transfer-encoding", b"chunked")], b"/ws"),  # a body
    ([(b"content-length", b"5")], b"/ws"),
    ([], "/wś".encode()),  # a path that is not ASCII
    ([], b"/" + b"a" * 8200),  # a request line too long
])
def test_a_request_the_websockets_parser_would_refuse_takes_uvicorns_path(
        headers: list[tuple[bytes, bytes]], url: bytes) -> None:
    assert handshake_request("GET", url, headers) is None


def _http_protocol(app: Any) -> tuple[CaseroomHttpProtocol, SwitchingTransport]:
    """The HTTP protocol as uvicorn makes it for a new connection, over a recording transport."""
    config = Config(app=app, http=CaseroomHttpProtocol, ws=CaseroomWSProtocol, lifespan="off",
                    log_level="warning")
    config.load()
    http = CaseroomHttpProtocol(config, ServerState(), {})
    transport = SwitchingTransport()
    http.connection_made(transport)
    return http, transport


async def _http_connected(app: Any) -> tuple[CaseroomHttpProtocol, SwitchingTransport, ClientProtocol]:
    http, transport = _http_protocol(app)
    client = ClientProtocol(parse_uri("ws://127.0.0.1:8000/ws?lang=zh"))
    client.send_request(client.connect())
    http.data_received(b"".join(client.data_to_send()))
    for _ in range(50):  # the app runs as a task: let it accept
        await asyncio.sleep(0)
    return http, transport, client


@run
async def test_the_upgrade_is_handed_over_without_a_second_parse() -> None:
    seen: list[Any] = []
    done = asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        ws = Socket(scope, receive, send)
        await ws.accept()
        seen.append((scope["path"], scope["query_string"], ws.header(b"host"), scope["client"], scope["server"]))
        message = await ws.receive()
        await ws.send_texts([f"echo {message.get('text')}"])
        await done.wait()

    parsed: list[Any] = []
    original = http11.parse_headers

    def counting(*args: Any, **kwargs: Any) -> Any:
        parsed.append(1)
        return (yield from original(*args, **kwargs))

    http11.parse_headers = counting  # (what ``Request.parse`` reads the headers with)
    try:
        http, transport, client = await _http_connected(app)
        assert parsed == []  # websockets never read the request
        assert _parsed_by_websockets(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").path == "/" and parsed == [1]
    finally:
        http11.parse_headers = original
    ws = transport.protocol
    assert isinstance(ws, CaseroomWSProtocol)
    assert http.parser is None  # let go: no cycle left behind
    client.receive_data(transport.writes.pop(0))
    assert client.handshake_exc is None
    list(client.events_received())
    assert seen == [("/ws", b"lang=zh", "127.0.0.1:8000", ("127.0.0.1", 50000), ("127.0.0.1", 8000))]
    assert ws in ws.connections and http not in http.connections
    client.send_text(b"hello")
    ws.data_received(b"".join(client.data_to_send()))
    for _ in range(20):
        await asyncio.sleep(0)
    assert _texts(client, b"".join(transport.writes)) == ["echo hello"]
    done.set()
    ws.connection_lost(None)


@run
async def test_the_http_protocol_is_freed_at_once_after_the_upgrade() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await Socket(scope, receive, send).accept()
        await asyncio.sleep(3600)

    http, transport, _client = await _http_connected(app)
    gone = weakref.ref(http)
    gc.disable()
    try:
        del http
        assert gone() is None  # freed by its reference count, not left for the collector
    finally:
        gc.enable()
    transport.protocol.connection_lost(None)


@run
async def test_a_bad_handshake_is_refused_as_before() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await Socket(scope, receive, send).accept()

    http, transport = _http_protocol(app)
    http.data_received(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       b"Sec-WebSocket-Version: 13\r\n\r\n")  # no key
    assert transport.writes and transport.writes[0].startswith(b"HTTP/1.1 400 ")
    assert transport.closing


def _raw_upgrade(port: int, extra: bytes = b"") -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                     + extra + b"\r\n")
        reply = b""
        while b"\r\n\r\n" not in reply:
            chunk = sock.recv(4096)
            if not chunk:
                break
            reply += chunk
        return reply


def test_a_served_upgrade_is_answered_and_too_many_headers_are_refused(server: RunningServer) -> None:
    ok = _raw_upgrade(server.port)
    assert ok.startswith(b"HTTP/1.1 101 ")
    assert b"s3pplmbitxaq9kygzzhzrbk+xoo=" in ok.lower()  # the key's accept value (RFC 6455's example)
    many = b"".join(b"X-H%d: 1\r\n" % i for i in range(MAX_NUM_HEADERS + 5))
    refused = _raw_upgrade(server.port, many)
    assert refused.startswith(b"HTTP/1.1 431 ")  # the websockets parser's own answer, as before


def test_headers_keep_repeated_values_in_order() -> None:
    request = handshake_request("GET", b"/ws", [(b"x-a", b"1"), (b"x-b", b"2"), (b"x-a", b"3")])
    assert request is not None and isinstance(request.headers, Headers)
    assert request.headers.get_all("x-a") == ["1", "3"]
