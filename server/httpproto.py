"""uvicorn's httptools HTTP protocol, handing a websocket upgrade over without parsing it twice.

A phone's join starts with an HTTP upgrade request. uvicorn parses it with httptools (C), then,
to switch to the websocket protocol, writes the request back out as bytes and feeds them to the
websocket protocol, whose ``websockets`` parser reads them again, line by line in Python
(``Request.parse``: a generator step, two regular expressions and a decode per header), and
both protocols ask the socket for its two addresses (four system calls). With thousands of
phones joining at the start of a class that second reading was a visible share of a join's CPU
(``bench/README.md``, fifth pass).

``CaseroomHttpProtocol`` gives the websocket protocol (``server/wsproto.py``) what httptools has
already read: the method, the path, the header list and the addresses. The request is checked
against the same rules the ``websockets`` parser applies (header names are tokens, values have
no control characters, at most ``MAX_NUM_HEADERS`` headers and ``MAX_LINE_LENGTH`` bytes a
line, an ASCII path, no body); any request that breaks one of them takes uvicorn's own path, so
it is refused exactly as before. After the hand-over the HTTP protocol lets go of its parser:
the parser holds the protocol (its callbacks) and the protocol the parser, a cycle that each
join otherwise left for the garbage collector.

Used by ``caseroom serve`` when httptools is installed (``http=CaseroomHttpProtocol``); with
another websocket protocol than ``CaseroomWSProtocol`` it behaves as uvicorn's.
"""

from __future__ import annotations

import re

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from websockets.datastructures import Headers
from websockets.http11 import MAX_LINE_LENGTH, MAX_NUM_HEADERS, Request

from server.wsaccept import fill
from server.wsproto import CaseroomWSProtocol

# The rules of ``websockets.http11.parse_headers`` (RFC 9110 tokens; field values without controls).
_TOKEN = re.compile(rb"[-!#$%&\'*+.^_`|~0-9a-zA-Z]+")
_VALUE = re.compile(rb"[\x09\x20-\x7e\x80-\xff]*")


def handshake_request(method: str, url: bytes, headers: list[tuple[bytes, bytes]]) -> Request | None:
    """The ``websockets`` request for what httptools parsed, or None if the ``websockets`` parser
    would refuse it or read it differently (then uvicorn's own path runs and refuses it as before)."""
    if len(headers) > MAX_NUM_HEADERS or len(method) + len(url) + 12 > MAX_LINE_LENGTH or not url.isascii():
        return None
    pairs: list[tuple[str, str]] = []
    for name, value in headers:
        if (len(name) + len(value) + 4 > MAX_LINE_LENGTH or not _TOKEN.fullmatch(name) or not _VALUE.fullmatch(value)
                or name == b"transfer-encoding" or (name == b"content-length" and value != b"0")):
            return None
        pairs.append((name.decode("ascii"), value.decode("iso-8859-1")))  # (httptools gives names in lower case)
    return Request(url.decode("ascii"), fill(Headers(), pairs), method, "HTTP/1.1")


class CaseroomHttpProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` whose websocket upgrade hands the parsed request over as it is."""

    def handle_websocket_upgrade(self) -> None:
        ws_class = self.ws_protocol_class
        request = None
        if ws_class is not None and issubclass(ws_class, CaseroomWSProtocol):
            request = handshake_request(self.scope["method"], self.url, self.scope["headers"])
        if request is None:
            super().handle_websocket_upgrade()
            return
        self.connections.discard(self)
        protocol = ws_class(config=self.config, server_state=self.server_state, app_state=self.app_state)
        protocol.take_over(self.transport, self.server, self.client, self.scheme == "https")
        self.transport.set_protocol(protocol)
        self.parser = None  # type: ignore[assignment]  # (the cycle with its callbacks; nothing reads it now)
        protocol.handshake(request, self.scope["headers"])
