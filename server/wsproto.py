"""uvicorn's sans-I/O websockets protocol, lighter per connection and able to send frames in one write.

A phone's connection lives for the whole class, and a room holds thousands; uvicorn's
protocol (``WebSocketsSansIOProtocol``) keeps, per connection and for its whole life:

- an ``asyncio.Queue`` for received messages: three ``deque``s and an ``Event`` with a fourth,
  760 bytes each even when empty, for a queue that holds one message at a time (reading
  pauses as soon as one is queued);
- an ``asyncio.Event`` for "the transport may be written" (a fifth ``deque``);
- the handshake's request and response objects with their header maps, never read again
  after the handshake.

The ceiling server of ``bench/`` (plain ``websockets``) has none of that; those objects were
most of caseroom's memory per phone above it. This subclass swaps the queue and the event for
two small slotted objects with the same methods, and lets go of the handshake objects once the
connection is accepted. It stops reading a socket only once the app is ``READ_AHEAD``
messages behind (uvicorn stopped after every message), and pings only a peer that has been
quiet. Everything else (parsing, closing, write back-pressure) is uvicorn's.

It also offers ``send_texts``: several text frames handed to the transport in one write. A
join answers with a ``welcome``, an ``ack`` and the first view; an answer with an ``ack`` and
sometimes a view; one write instead of two or three is a syscall and a wake-up of the phone
saved each time. The ASGI app finds it in ``scope["extensions"]["caseroom.send_texts"]``;
without it (another server, a test harness) ``server/socket.py`` sends frame by frame.
``write_texts`` (``caseroom.write_texts``) does the same synchronously when the transport
can take the frames now, so an ack needs no sender task (a task per answer was a share of a
burst's CPU); when it cannot, it writes nothing and the caller falls back to a task.

An upgrade that ``server/httpproto.py`` hands over is answered and scoped by
``server/wsaccept.py`` (``handshake``, ``send`` of ``websocket.accept``): the same 101 and the
same scope as uvicorn's, built once from the header list httptools read.

Used by ``caseroom serve`` (``ws=CaseroomWSProtocol``); uvicorn's own tests of the protocol
are what it relies on, and ``tests/test_wsproto.py`` checks the parts replaced here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.utils import ClientDisconnected, get_client_addr, get_path_with_query_string
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState
from websockets.frames import apply_mask
from websockets.http11 import Request
from websockets.protocol import OPEN, Protocol

from server.socket import EXTENSION, TEXT_EXTENSION, WRITE_EXTENSION
from server.wsaccept import accepted_headers, fill, switching, websocket_scope


class Inbox:
    """What uvicorn uses of an ``asyncio.Queue``: ``put_nowait``, ``get``, ``empty``; one waiter."""

    __slots__ = ("_items", "_loop", "_waiter")

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._items: list[Any] = []
        self._waiter: asyncio.Future[None] | None = None
        # (The connection's loop, given: ``asyncio.get_running_loop`` checks the process id with
        # a system call each time, once for every message a phone sends.)
        self._loop = loop

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items)

    async def get(self) -> Any:
        while not self._items:
            waiter = (self._loop or asyncio.get_running_loop()).create_future()
            self._waiter = waiter
            try:
                await waiter
            finally:
                self._waiter = None
        return self._items.pop(0)


class Flag:
    """What uvicorn uses of an ``asyncio.Event``: ``set``, ``clear``, ``is_set``, ``wait``.

    Its waiters' list exists only while somebody waits (a transport that is full)."""

    __slots__ = ("_value", "_waiters")

    def __init__(self, value: bool = True) -> None:
        self._value = value
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._value

    def set(self) -> None:
        self._value = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._value = False

    async def wait(self) -> None:
        while not self._value:
            waiter = asyncio.get_running_loop().create_future()
            if self._waiters is None:
                self._waiters = []
            self._waiters.append(waiter)
            await waiter


READ_AHEAD = 4  # messages the inbox may hold before the socket stops being read


def _text_header(size: int) -> bytes:
    """The header of an unmasked final text frame of ``size`` bytes (RFC 6455, 5.2)."""
    if size < 126:
        return bytes((0x81, size))
    if size < 65536:
        return b"\x81\x7e" + size.to_bytes(2, "big")
    return b"\x81\x7f" + size.to_bytes(8, "big")


class CaseroomWSProtocol(WebSocketsSansIOProtocol):
    """``WebSocketsSansIOProtocol`` with a lean inbox and flag, frames sent in one write, and
    reading paused only once the app falls ``READ_AHEAD`` messages behind."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = Inbox(self.loop)  # type: ignore[assignment]
        self.writable = Flag()  # type: ignore[assignment]
        self.heard = 0.0  # loop time the peer last sent anything
        self.on_text: Callable[[str], bool] | None = None  # the app's handler of a frame as it arrives

    def data_received(self, data: bytes) -> None:
        self.heard = self.loop.time()
        if self.on_text is not None:
            taken = self._take_frame(data)
            if taken:
                return
            if taken is False:  # (declined by the app's handler: the library reads it, for the inbox)
                handler, self.on_text = self.on_text, None
                try:
                    super().data_received(data)
                finally:
                    if self.on_text is None and not self.close_sent:
                        self.on_text = handler
                return
        super().data_received(data)

    def _take_frame(self, data: bytes) -> bool | None:
        """A read that is exactly one whole masked text frame, the way a phone sends an answer,
        unmasked and handed to the ``on_text`` handler here: its result (True: taken). None: the
        read is anything else, or the connection is in any state but plainly open (a fragmented
        message under way, bytes of an earlier frame waiting, an extension, a frame over the size
        limit, a message in the inbox); the ``websockets`` parser then reads it, as every read.

        The parser would read the same: FIN set, no RSV bits, opcode 1, the client's mask, the
        7-bit or 16-bit length; and it keeps no state for such a frame but the bytes it buffers,
        which here it never sees. Its frame objects, its generators and uvicorn's dispatch of
        the event were a fifth of an answer's Python on the server (``bench/README.md``)."""
        size = len(data)
        if size < 6 or data[0] != 0x81 or data[1] < 0x80:
            return None
        length = data[1] & 0x7F
        start = 6
        if length == 126:
            if size < 8:
                return None
            length, start = int.from_bytes(data[2:4], "big"), 8
        elif length == 127:
            return None
        conn = self.conn
        limit = conn.max_message_size
        if (size != start + length or conn.state is not OPEN or conn.current_size is not None or conn.extensions
                or conn.reader.buffer or (limit is not None and length > limit) or conn.max_fragment_size is not None
                or self.close_sent or not self.queue.empty()):
            return None
        try:
            text = apply_mask(data[start:], data[start - 4:start]).decode()
        except UnicodeDecodeError:
            return None  # (the library's path closes with 1007)
        assert self.on_text is not None
        try:
            return self.on_text(text)
        except Exception:
            self.logger.exception("the app's text handler failed; closing the connection")
            self._close_for_fault()
            return True

    def take_over(self, transport: asyncio.Transport, server: tuple[str, int | None] | None,
                  client: tuple[str, int] | None, tls: bool) -> None:
        """``connection_made`` for a connection the HTTP protocol hands over (``server/httpproto.py``),
        with the addresses it already asked the socket for."""
        self.connections.add(self)
        self.transport = transport
        self.server, self.client = server, client
        self.scheme = "wss" if tls else "ws"

    def handshake(self, request: Request, raw_headers: list[tuple[bytes, bytes]] | None = None) -> None:
        """The upgrade request, as the HTTP protocol parsed it: answered as if ``websockets`` had
        parsed it (its parser goes straight on to frames). With ``raw_headers``, the header list
        httptools read, the answer and the scope are built from it (``server/wsaccept.py``)."""
        self.heard = self.loop.time()
        conn = self.conn
        conn.parser = Protocol.parse(conn)  # (``ServerProtocol.parse`` less its request part)
        next(conn.parser)
        if raw_headers is None or not self._connect(request, raw_headers):
            self.handle_connect(request)
        else:
            self._extend_scope()

    def _connect(self, request: Request, raw_headers: list[tuple[bytes, bytes]]) -> bool:
        """uvicorn's ``handle_connect`` for a request ``accept`` takes: False (nothing done) for
        one it refuses, which ``handle_connect`` then answers as before."""
        response = switching(self.conn, request)
        if response is None:
            return False
        self.response = response
        self.handshake_initiated = True
        self.scope = websocket_scope(  # type: ignore[assignment]
            request, raw_headers, asgi_version=self.asgi_version, scheme=self.scheme, server=self.server,
            client=self.client, root_path=self.root_path, state=self.app_state.copy())
        self.queue.put_nowait({"type": "websocket.connect"})
        task = self.loop.create_task(self.run_asgi())
        task.add_done_callback(self.on_task_complete)
        self.tasks.add(task)
        return True

    def set_on_text(self, handler: Callable[[str], bool] | None) -> None:
        """``caseroom.on_text``: the app's handler of a text frame as it arrives (None: no more).

        While the inbox is empty, a whole text frame is handed to ``handler`` at once, from this
        protocol's ``data_received``; True means the app has dealt with it, False (which must
        leave everything as it was) that it goes to the inbox, for the app's ``receive``, as any
        frame does. An answer is then parsed, checked and queued for the committer without
        waking the app's reader task, whose wake-up through its chain of coroutines (uvicorn's
        ``receive``, the endpoint's loop) and back was a share of each answer of a burst. The
        handler decides when it may (``server/ws.py``: only while its reader waits for the next
        frame, so the order of the frames is kept); an exception from it closes the connection
        (1011), as one from the app's task would."""
        self.on_text = handler

    def send_receive_event_to_app(self) -> None:
        """Queue a message for the app; stop reading the socket only once ``READ_AHEAD`` wait.

        uvicorn pauses reading after every message and resumes once the app has taken it. With
        uvloop each pause and resume changes the socket's epoll registration (libuv hands those
        changes to the kernel in batches, through io_uring), and a phone, which sends one message
        and waits for its answer, never needed the pause. A client that sends faster than the app
        reads is still held back, a few messages later (``websockets``' own server holds up to
        16 before it stops reading).

        A text frame the app's ``on_text`` handler takes as it arrives is not queued at all."""
        handler = self.on_text
        if (handler is not None and self.curr_msg_data_type == "text" and not self.close_sent
                and self.queue.empty()):
            frames = self.frames
            try:
                text = (frames[0] if len(frames) == 1 else b"".join(frames)).decode()
            except UnicodeDecodeError:
                pass  # (uvicorn's own path below closes with 1007)
            else:
                try:
                    taken = handler(text)
                except Exception:
                    self.logger.exception("the app's text handler failed; closing the connection")
                    self.frames = []
                    self._close_for_fault()
                    return
                if taken:
                    self.frames = []
                    return
        paused = self.read_paused
        self.read_paused = True  # (so uvicorn's method does not pause; it reads no other use of it)
        try:
            super().send_receive_event_to_app()
        finally:
            self.read_paused = paused
        if not paused and self.queue.qsize() >= READ_AHEAD and not self.transport.is_closing():
            self.read_paused = True
            self.transport.pause_reading()

    def _close_for_fault(self) -> None:
        """Close with 1011 as the app's ``websocket.close`` would, and tell the app's reader."""
        self.on_text = None
        if self.close_sent or self.transport.is_closing():
            return
        self.queue.put_nowait({"type": "websocket.disconnect", "code": 1011, "reason": ""})
        self.conn.send_close(1011)
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        self.close_timer = self.loop.call_later(self.close_timeout, self.transport.close)

    def send_keepalive_ping(self) -> None:
        """Ping only a peer that has been quiet for the whole interval: one that just sent a frame
        is alive, its frame says so. In an answer burst every phone has just answered, and the
        pings (a frame out, a pong in, two timers each) were a few per cent of its CPU."""
        quiet = self.loop.time() - self.heard
        # (The slack: a pong is heard too, and the next ping is due an interval less its round trip
        # after it; that one goes out.)
        if self.ping_interval and quiet < self.ping_interval - self.last_ping_rtt - 0.05 and self.pong_timer is None:
            self.ping_timer = self.loop.call_later(self.ping_interval - quiet, self.send_keepalive_ping)
            return
        super().send_keepalive_ping()

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        self.request = None  # (only read in the call above)
        self._extend_scope()

    def _extend_scope(self) -> None:
        scope = getattr(self, "scope", None)
        if scope is not None and self.response.status_code == 101:
            scope["extensions"][EXTENSION] = self.send_texts
            scope["extensions"][WRITE_EXTENSION] = self.write_texts
            scope["extensions"][TEXT_EXTENSION] = self.set_on_text

    async def send(self, message: Any) -> None:
        if message["type"] == "websocket.accept":
            await self._accept(message)
            return
        await super().send(message)

    async def _accept(self, message: Any) -> None:
        """uvicorn's ``send`` of ``websocket.accept``, with the 101's fields added as they are
        (``server/wsaccept.py``); any other moment for it takes uvicorn's own path."""
        await self.writable.wait()
        if self.disconnected:
            raise ClientDisconnected()
        if self.handshake_complete or self.initial_response is not None or self.response is None:
            await super().send(message)
        else:
            if self.logger.isEnabledFor(logging.INFO):
                self.logger.info('%s - "WebSocket %s" [accepted]', get_client_addr(self.scope),
                                 get_path_with_query_string(self.scope))
            headers = self.response.headers
            if "Date" in headers:  # (a request uvicorn parsed itself: the library put its own date in)
                del headers["Date"]
            fill(headers, accepted_headers(self.default_headers, message))
            if not self.transport.is_closing():
                self.handshake_complete = True
                self.conn.send_response(self.response)
                self.transport.write(b"".join(self.conn.data_to_send()))
                self.start_keepalive()
        if self.handshake_complete:
            self.response = None  # (only read while accepting)

    def write_texts(self, texts: list[str]) -> bool:
        """Write ``texts`` as text frames at once, if the connection takes them now (open, and
        the transport not full): True. False: nothing was written; ``send_texts`` waits."""
        if (not self.writable.is_set() or self.disconnected or not self.handshake_complete
                or self.close_sent or self.initial_response is not None or self.transport.is_closing()):
            return False
        conn = self.conn
        if conn.state is OPEN and not conn.extensions and not conn.expect_continuation_frame and not conn.writes:
            # What ``send_text`` would write for each (a server's frames are not masked), less its
            # Frame object, its checks of what is known here, and its list of writes.
            parts: list[bytes] = []
            for text in texts:
                data = text.encode()
                parts.append(_text_header(len(data)))
                parts.append(data)
            self.transport.write(b"".join(parts))
            return True
        try:
            for text in texts:
                conn.send_text(text.encode())
        except InvalidState:
            return False
        self.transport.write(b"".join(conn.data_to_send()))
        return True

    async def send_texts(self, texts: list[str]) -> None:
        """Send ``texts`` as text frames, in order, with one write to the transport once it
        takes writes (back-pressure); a connection that is not open gets uvicorn's own errors."""
        await self.writable.wait()
        if not self.write_texts(texts):
            for text in texts:
                await self.send({"type": "websocket.send", "text": text})
