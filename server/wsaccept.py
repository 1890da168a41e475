"""Accepting a websocket upgrade that httptools has parsed: the 101 answer and the ASGI scope.

A class starts with every phone joining at once, and each join's upgrade went through three
layers that each rebuilt what the one before had built (``bench/README.md``, tenth pass):

- ``websockets``' ``ServerProtocol.accept`` formats a ``Date`` header (``email.utils``, about a
  fortieth of a join's CPU) that uvicorn deletes before the answer goes out, to put its own
  cached one in; and fills a ``Headers`` through ``MutableMapping.update``'s ABC checks;
- uvicorn's ``handle_connect`` encodes every request header back to bytes for the scope, the
  bytes httptools had read in the first place (``server/httpproto.py`` decoded them);
- uvicorn's ``send`` of ``websocket.accept`` decodes its default headers again, for every phone.

Here the same answer and the same scope are built once from what is already at hand: the
request's header list as httptools gave it (names in lower case, as ASGI wants them), and
uvicorn's default headers (its ``date`` and ``server``, refreshed every second) as they are.
Whatever ``process_request`` refuses (a bad key, a foreign version, a missing upgrade) takes
the library's own ``accept``, so it is refused exactly as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

from websockets.datastructures import Headers
from websockets.http11 import Request, Response
from websockets.server import ServerProtocol


def fill(headers: Headers, pairs: Iterable[tuple[str, str]]) -> Headers:
    """Append header fields to ``headers`` as its ``__setitem__`` would, without checking each one
    again: its two fields are filled directly (``__setitem__``, a Python call per header that
    validates what was just validated, was a twentieth of a join). The request's headers
    (``server/httpproto.py``) and the 101's are filled here; the tests compare both with what
    the library builds, so a ``websockets`` that stores them otherwise fails there. Names are
    stored as given: ``Headers`` looks them up in lower case."""
    items, by_name = headers._list, headers._dict
    for name, value in pairs:
        items.append((name, value))
        key = name.lower()
        if (values := by_name.get(key)) is None:
            by_name[key] = [value]
        else:
            values.append(value)
    return headers


def switching(conn: ServerProtocol, request: Request) -> Response | None:
    """The 101 answer ``conn.accept(request)`` would give, less its ``Date`` (uvicorn puts its own
    in); None if ``accept`` would refuse the request, which the caller then hands to it."""
    try:
        accept_key, extensions, protocol = conn.process_request(request)
    except Exception:
        return None
    conn.accept_called = True
    pairs = [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", accept_key)]
    if extensions is not None:
        pairs.append(("Sec-WebSocket-Extensions", extensions))
    if protocol is not None:
        pairs.append(("Sec-WebSocket-Protocol", protocol))
    return Response(101, "Switching Protocols", fill(Headers(), pairs))


def websocket_scope(request: Request, raw_headers: list[tuple[bytes, bytes]], *, asgi_version: str,
                    scheme: str, server: Any, client: Any, root_path: str, state: dict[str, Any]) -> dict[str, Any]:
    """The ASGI scope uvicorn's ``handle_connect`` builds, from the header list httptools read."""
    raw_path, _, query = request.path.partition("?")
    subprotocols = [token.strip() for header in request.headers.get_all("Sec-WebSocket-Protocol")
                    for token in header.split(",")]
    return {
        "type": "websocket",
        "asgi": {"version": asgi_version, "spec_version": "2.4"},
        "http_version": "1.1",
        "scheme": scheme,
        "server": server,
        "client": client,
        "root_path": root_path,
        "path": root_path + (unquote(raw_path) if "%" in raw_path else raw_path),
        "raw_path": root_path.encode("ascii") + raw_path.encode("ascii"),
        "query_string": query.encode("ascii"),
        "headers": raw_headers,
        "subprotocols": subprotocols,
        "state": state,
        "extensions": {"websocket.http.response": {}},
    }


_decoded: tuple[object, list[tuple[str, str]]] = (None, [])  # uvicorn's default headers, decoded


def accepted_headers(default_headers: list[tuple[bytes, bytes]], message: dict[str, Any]) -> list[tuple[str, str]]:
    """The fields uvicorn adds to the 101 when the app accepts: its default headers (``date``,
    ``server``), the app's own, and the subprotocol the app chose. uvicorn makes a new list of
    its default headers every second; the one in use is decoded once, not for every phone."""
    global _decoded
    if _decoded[0] is not default_headers:
        _decoded = (default_headers, [(name.decode("latin-1").lower(), value.decode("latin-1"))
                                      for name, value in default_headers])
    pairs = list(_decoded[1])
    pairs.extend((name.decode("latin-1").lower(), value.decode("latin-1"))
                 for name, value in message.get("headers", ()))
    if protocol := message.get("subprotocol"):
        pairs.append(("Sec-WebSocket-Protocol", protocol))
    return pairs
