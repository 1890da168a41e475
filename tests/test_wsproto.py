"""server/wsproto.py: uvicorn's websockets protocol with a lean inbox and flag, and frames in one write.

The protocol runs as uvicorn runs it (its own ``Config``, ``ServerState``, handshake parser
and frame codec) over a transport that records its writes, so the number of writes is seen
exactly; a ``websockets`` client protocol reads the bytes back. Every other test of the
suite runs these connections through a real ``caseroom serve``.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from uvicorn.config import Config
from uvicorn.server import ServerState
from websockets.client import ClientProtocol
from websockets.frames import Opcode
from websockets.uri import parse_uri

from server.socket import EXTENSION, Socket
from server.wsproto import CaseroomWSProtocol, Flag, Inbox


def run(test: Callable[[], Coroutine[Any, Any, None]]) -> Callable[[], None]:
    """An async test run on its own event loop (the suite has no async plugin)."""
    @functools.wraps(test)
    def sync() -> None:
        asyncio.run(asyncio.wait_for(test(), 10))
    return sync


class Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closing = False
        self.reading = True

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}.get(name, default)


async def _connected(app: Any) -> tuple[CaseroomWSProtocol, Transport, ClientProtocol]:
    config = Config(app=app, ws=CaseroomWSProtocol, lifespan="off", log_level="warning")
    config.load()
    proto = CaseroomWSProtocol(config, ServerState(), {})
    transport = Transport()
    proto.connection_made(transport)
    client = ClientProtocol(parse_uri("ws://127.0.0.1:8000/ws"))
    client.send_request(client.connect())
    proto.data_received(b"".join(client.data_to_send()))
    for _ in range(50):  # the app runs as a task: let it accept
        await asyncio.sleep(0)
    client.receive_data(transport.writes.pop(0))  # the handshake's response; what the app sent stays
    assert client.handshake_exc is None
    list(client.events_received())  # the handshake response
    return proto, transport, client


def _texts(client: ClientProtocol, data: bytes) -> list[str]:
    client.receive_data(data)
    return [bytes(frame.data).decode() for frame in client.events_received()
            if getattr(frame, "opcode", None) == Opcode.TEXT]


@run
async def test_frames_sent_together_go_out_in_one_write_and_in_order() -> None:
    got: list[Any] = []
    done = asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        ws = Socket(scope, receive, send)
        await ws.accept()
        got.append(scope["extensions"].get(EXTENSION))
        await ws.send_texts(["welcome", "ack", "view ünïcode"])
        message = await ws.receive()  # what the client sends next
        await ws.send_texts([f"echo {message.get('text')}"])
        await done.wait()

    proto, transport, client = await _connected(app)
    assert got and got[0] is not None  # the app was offered the batch send
    assert len(transport.writes) == 1
    assert _texts(client, transport.writes[0]) == ["welcome", "ack", "view ünïcode"]
    # The handshake's objects are let go; the lean inbox and flag replaced uvicorn's.
    assert proto.request is None and proto.response is None
    assert isinstance(proto.queue, Inbox) and isinstance(proto.writable, Flag)

    client.send_text(b"hello")
    proto.data_received(b"".join(client.data_to_send()))
    for _ in range(20):
        await asyncio.sleep(0)
    assert len(transport.writes) == 2
    assert _texts(client, transport.writes[1]) == ["echo hello"]
    assert transport.reading  # reading resumed once the app took the message
    done.set()


@run
async def test_a_full_transport_holds_the_batch_until_it_drains() -> None:
    sent = asyncio.Event()
    release = asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        ws = Socket(scope, receive, send)
        await ws.accept()
        await release.wait()
        await ws.send_texts(["a", "b"])
        sent.set()
        await asyncio.sleep(3600)

    proto, transport, client = await _connected(app)
    proto.pause_writing()
    release.set()
    for _ in range(20):
        await asyncio.sleep(0)
    assert not sent.is_set() and transport.writes == []  # waits for the transport
    proto.resume_writing()
    await asyncio.wait_for(sent.wait(), 1)
    assert _texts(client, b"".join(transport.writes)) == ["a", "b"]
    proto.connection_lost(None)


@run
async def test_a_closed_connection_refuses_the_batch() -> None:
    outcome: list[BaseException] = []
    release = asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        ws = Socket(scope, receive, send)
        await ws.accept()
        await release.wait()
        try:
            await ws.send_texts(["late"])
        except BaseException as exc:  # what the sender sees
            outcome.append(exc)

    proto, transport, _client = await _connected(app)
    proto.connection_lost(None)
    release.set()
    for _ in range(20):
        await asyncio.sleep(0)
    assert outcome and transport.writes == []


@run
async def test_inbox_hands_items_over_in_order_and_survives_a_cancelled_get() -> None:
    inbox = Inbox()
    assert inbox.empty()
    getter = asyncio.ensure_future(inbox.get())
    await asyncio.sleep(0)
    getter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await getter
    waiting = asyncio.ensure_future(inbox.get())
    await asyncio.sleep(0)
    inbox.put_nowait(1)
    inbox.put_nowait(2)
    assert await asyncio.wait_for(waiting, 1) == 1
    assert inbox.qsize() == 1 and await inbox.get() == 2 and inbox.empty()


@run
async def test_flag_wakes_every_waiter_and_waits_again_once_cleared() -> None:
    flag = Flag()
    await asyncio.wait_for(flag.wait(), 1)  # set: no wait
    flag.clear()
    waiters = [asyncio.ensure_future(flag.wait()) for _ in range(3)]
    await asyncio.sleep(0)
    assert not any(w.done() for w in waiters)
    flag.set()
    await asyncio.wait_for(asyncio.gather(*waiters), 1)
    assert flag.is_set()


@run
async def test_a_peer_that_just_spoke_is_not_pinged_and_a_quiet_one_is() -> None:
    done = asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        ws = Socket(scope, receive, send)
        await ws.accept()
        await ws.receive()
        await done.wait()

    proto, transport, client = await _connected(app)
    assert proto.ping_interval
    client.send_text(b"an answer")
    proto.data_received(b"".join(client.data_to_send()))
    for _ in range(5):
        await asyncio.sleep(0)
    writes = len(transport.writes)
    proto.send_keepalive_ping()  # (its timer fired) just after the peer spoke: no ping, a later look
    assert len(transport.writes) == writes and proto.pending_ping_payload is None
    assert proto.ping_timer is not None and proto.ping_timer.when() - proto.loop.time() > proto.ping_interval - 1
    proto.ping_timer.cancel()
    proto.heard -= proto.ping_interval  # quiet for the whole interval: pinged
    proto.send_keepalive_ping()
    assert len(transport.writes) == writes + 1 and proto.pending_ping_payload is not None
    client.receive_data(transport.writes[-1])
    assert [getattr(f, "opcode", None) for f in client.events_received()] == [Opcode.PING]
    done.set()
    proto.connection_lost(None)


@run
async def test_reading_pauses_only_once_the_app_falls_behind() -> None:
    """A phone's one message at a time never pauses the socket (uvicorn paused and resumed it for
    every message: an epoll change each time); a client READ_AHEAD messages ahead of the app is
    held back, and read again once the app has taken them, every message in order."""
    from server.wsproto import READ_AHEAD

    taken: list[str] = []
    take = asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        ws = Socket(scope, receive, send)
        await ws.accept()
        while True:
            await take.wait()
            message = await ws.receive()
            taken.append(message["text"])

    proto, transport, client = await _connected(app)
    pauses: list[bool] = []
    pause, resume = transport.pause_reading, transport.resume_reading
    transport.pause_reading = lambda: (pauses.append(False), pause())[1]  # type: ignore[method-assign]
    transport.resume_reading = lambda: (pauses.append(True), resume())[1]  # type: ignore[method-assign]

    take.set()
    for i in range(3):  # one at a time, each taken before the next comes
        client.send_text(f"m{i}".encode())
        proto.data_received(b"".join(client.data_to_send()))
        for _ in range(10):
            await asyncio.sleep(0)
    assert taken == ["m0", "m1", "m2"] and pauses == [] and transport.reading

    take.clear()
    for i in range(READ_AHEAD - 1):  # the app is busy: these wait, and reading goes on
        client.send_text(f"n{i}".encode())
        proto.data_received(b"".join(client.data_to_send()))
        assert transport.reading
    client.send_text(b"last")
    proto.data_received(b"".join(client.data_to_send()))
    assert not transport.reading and pauses == [False]  # READ_AHEAD behind: held back

    take.set()
    for _ in range(40):
        await asyncio.sleep(0)
    assert taken[3:] == [f"n{i}" for i in range(READ_AHEAD - 1)] + ["last"]
    assert transport.reading and pauses == [False, True]  # read again once the app caught up
    proto.connection_lost(None)


@run
async def test_a_text_frame_goes_to_the_on_text_handler_while_the_inbox_is_empty() -> None:
    """``caseroom.on_text``: a frame the handler takes is never queued; one it declines, and any
    frame while the inbox holds another, goes to the inbox in order; a handler that raises closes
    the connection (1011) and the app's ``receive`` hears of it."""
    handled: list[str] = []
    received: list[dict[str, Any]] = []
    ready = asyncio.Event()

    def handler(text: str) -> bool:
        if text == "boom":
            raise RuntimeError("a bug of the app")
        if text.startswith("take"):
            handled.append(text)
            return True
        return False

    async def app(scope: Any, receive: Any, send: Any) -> None:
        ws = Socket(scope, receive, send)
        await ws.accept()
        assert ws.on_text(handler)
        ready.set()
        while True:
            message = await ws.receive()
            received.append(message)
            if message["type"] == "websocket.disconnect":
                return

    proto, transport, client = await _connected(app)
    await ready.wait()

    def send(*texts: str) -> None:
        for text in texts:
            client.send_text(text.encode())
        proto.data_received(b"".join(client.data_to_send()))

    send("take 1")
    assert handled == ["take 1"] and proto.queue.empty()
    send("keep 1", "take 2")  # (one read: the second finds the first still in the inbox)
    assert handled == ["take 1"] and proto.queue.qsize() == 2
    for _ in range(10):
        await asyncio.sleep(0)
    assert [m.get("text") for m in received] == ["keep 1", "take 2"]
    send("take 3")
    assert handled == ["take 1", "take 3"]

    send("boom")
    for _ in range(10):
        await asyncio.sleep(0)
    assert received[-1] == {"type": "websocket.disconnect", "code": 1011, "reason": ""}
    closes = [frame for frame in _frames(client, b"".join(transport.writes)) if frame.opcode == Opcode.CLOSE]
    assert [int.from_bytes(bytes(frame.data)[:2], "big") for frame in closes] == [1011]
    assert proto.on_text is None and proto.close_sent  # (closing: nothing more is handed over)
    proto.connection_lost(None)


def _frames(client: ClientProtocol, data: bytes) -> list[Any]:
    client.receive_data(data)
    return [event for event in client.events_received() if hasattr(event, "opcode")]


@run
async def test_frames_written_directly_are_the_frames_websockets_would_write() -> None:
    """``write_texts`` builds a text frame's header itself; for every length class of RFC 6455
    (7-bit, 16-bit and 64-bit lengths, and their edges) the bytes are those of ``send_text``, and
    a connection that is closing takes nothing."""
    from websockets.frames import Frame

    async def app(scope: Any, receive: Any, send: Any) -> None:
        ws = Socket(scope, receive, send)
        await ws.accept()
        await asyncio.Event().wait()

    proto, transport, client = await _connected(app)
    transport.writes.clear()
    texts = ["", "确", "x" * 125, "y" * 126, "z" * 65535, "w" * 65536, "v" * 70000]
    assert proto.write_texts(texts)
    assert transport.writes == [b"".join(Frame(Opcode.TEXT, t.encode()).serialize(mask=False, extensions=[])
                                         for t in texts)]
    assert _texts(client, transport.writes[0]) == texts
    proto.conn.send_close(1000)  # (closing: the library refuses text frames, and so does write_texts)
    transport.writes.clear()
    assert not proto.write_texts(["late"]) and transport.writes == []
    proto.connection_lost(None)


@run
async def test_a_read_of_one_whole_text_frame_is_read_here_and_any_other_by_the_library() -> None:
    """``_take_frame``: one read that is exactly one masked text frame (7-bit or 16-bit length)
    goes to the handler without the library's parser; two frames in one read, a frame split over
    two reads, and a declined one reach the handler (or the inbox) through the library, each
    once and in order; bad UTF-8 is still closed with 1007 and an unmasked frame with 1002."""
    calls: list[str] = []
    received: list[str] = []
    ready = asyncio.Event()

    def handler(text: str) -> bool:
        calls.append(text)
        return not text.startswith("no")

    async def app(scope: Any, receive: Any, send: Any) -> None:
        ws = Socket(scope, receive, send)
        await ws.accept()
        ws.on_text(handler)
        ready.set()
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            received.append(message["text"])

    proto, transport, client = await _connected(app)
    await ready.wait()
    parsed = 0
    feed = proto.conn.receive_data

    def counting(data: bytes) -> None:
        nonlocal parsed
        parsed += 1
        feed(data)

    proto.conn.receive_data = counting  # type: ignore[method-assign]

    def frame(text: str) -> bytes:
        client.send_text(text.encode())
        return b"".join(client.data_to_send())

    proto.data_received(frame("短"))
    proto.data_received(frame("长" * 100))  # (300 bytes: a 16-bit length)
    assert calls == ["短", "长" * 100] and parsed == 0
    proto.data_received(frame("a") + frame("b"))
    whole = frame("split")
    proto.data_received(whole[:3])
    proto.data_received(whole[3:])
    assert calls[2:] == ["a", "b", "split"] and parsed == 3
    proto.data_received(frame("no thanks"))  # declined: to the inbox, the handler asked once
    for _ in range(10):
        await asyncio.sleep(0)
    assert calls[5:] == ["no thanks"] and received == ["no thanks"] and parsed == 4

    bad = bytearray(frame("xx"))  # the same frame with invalid UTF-8 in it (masked like the rest)
    mask = bad[2:6]
    bad[6:8] = bytes(b ^ m for b, m in zip(b"\xff\xfe", mask, strict=False))
    proto.data_received(bytes(bad))
    closes = [f for f in _frames(client, b"".join(transport.writes)) if f.opcode == Opcode.CLOSE]
    assert [int.from_bytes(bytes(f.data)[:2], "big") for f in closes] == [1007] and calls[6:] == []
    proto.connection_lost(None)

    unmasked: list[str] = []
    proto, transport, client = await _connected(app)
    proto.on_text = lambda text: unmasked.append(text) is None
    transport.writes.clear()
    proto.data_received(b"\x81\x02hi")  # (a client's frames must be masked)
    closes = [f for f in _frames(client, b"".join(transport.writes)) if f.opcode == Opcode.CLOSE]
    assert [int.from_bytes(bytes(f.data)[:2], "big") for f in closes] == [1002] and unmasked == []
    proto.connection_lost(None)
