"""The websocket endpoint: check, parse, authorise, feed the core, acknowledge, push views.

One connection speaks for one party: a player (after ``join`` or ``resume``),
or a screen or console (after ``host``). Before anything is read, the
``Origin`` must be this server's own (or configured); frames over 64 KiB are
refused by uvicorn (1009). Each message is then rate-limited, parsed against
its schema (``server/protocol.py``) and checked against the authorisation
matrix (``server/authz.py``). Every refusal is an ``error`` frame with a code
and changes nothing; the connection stays open. Closed are only: a foreign
origin (4403 before the handshake completes), a connection that never
identifies itself (4408), one that keeps flooding after being told (4429),
one that stopped reading (4008, ``server/rooms.py``), a removed player
(4403) and a bug of ours (1011).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from functools import partial
from typing import Any

from starlette.websockets import WebSocketDisconnect

from games.grouping import group, label
from server import authz, limits
from server.protocol import CommandMsg, Host, IdRefused, Join, Message, Ping, Resume, Submit, dumps, parse
from server.refusals import CODE_REASON
from server.rooms import Conn, Room
from server.services import Services
from server.socket import Socket
from sessions.core import Command, cluster_request, existing_join
from sessions.errors import NotFound, Refused
from sessions.roster import RosterPerson, check_matches

log = logging.getLogger("caseroom.ws")

CLOSE_FOREIGN_ORIGIN = 4403
CLOSE_REMOVED = 4403
CLOSE_HANDSHAKE_TIMEOUT = 4408
CLOSE_FLOOD = 4429
CLOSE_INTERNAL = 1011
FLOOD_STRIKES = 3  # refused-for-rate messages in a row before the connection is closed
# Answers of one connection queued for the committer at once: a phone has one out at a time; a
# client that sends more without waiting is read on only as they land, so a flood of connections
# cannot pile commands up faster than they are stored.
MAX_IN_FLIGHT = 4
RAISE_JOIN_LIMIT = "raise_join_limit"  # a console command the server answers itself


def origin_allowed(ws: Socket, allowed: tuple[str, ...]) -> bool:
    """Same origin as the Host header, or one configured; no Origin header (not a browser) passes."""
    origin = ws.header(b"origin")
    if origin is None:
        return True
    host = ws.header(b"host") or ""
    return origin in allowed or origin in (f"http://{host}", f"https://{host}")


class Connection:
    """The receive side of one websocket; ``conn`` is set once it has identified itself."""

    __slots__ = ("address", "bucket", "conn", "idle", "in_flight", "landed", "room", "strikes", "svc", "ws")

    def __init__(self, svc: Services, ws: Socket) -> None:
        self.svc = svc
        self.ws = ws
        self.conn: Conn | None = None
        self.room: Room | None = None
        self.address = ws.client_host or "unknown"
        self.bucket = limits.Bucket(svc.limits.messages, time.monotonic())
        self.strikes = 0
        self.in_flight = 0  # answers of this connection the committer has not answered yet
        self.idle = False  # the reader waits for the next frame (``_handle_now`` may take it)
        self.landed: asyncio.Future[None] | None = None  # the reader waits for one of its answers to land

    @property
    def role(self) -> str:
        return self.conn.role if self.conn is not None else authz.ANONYMOUS

    async def run(self) -> None:
        if not origin_allowed(self.ws, self.svc.config.allowed_origins):
            log.info("refused a websocket from origin %s", self.ws.header(b"origin"))
            await self.ws.close(CLOSE_FOREIGN_ORIGIN)
            return
        await self.ws.accept()
        try:
            # (asyncio.timeout, not wait_for: on Python 3.11 wait_for runs the coroutine as a task
            # of its own, one more task per join, a visible share of a join's CPU.)
            async with asyncio.timeout(self.svc.config.handshake_timeout):
                await self._until_identified()
        except TimeoutError:
            await self.ws.close(CLOSE_HANDSHAKE_TIMEOUT)
            return
        except (WebSocketDisconnect, _Closed):
            return
        except Exception:  # a bug of ours (or a store fault) before identification: this socket only
            log.exception("websocket handler failed before identification")
            with contextlib.suppress(Exception):
                await self.ws.close(CLOSE_INTERNAL)
            return
        fast = self.svc.cluster is None and self.ws.on_text(self._handle_now)
        try:
            while True:
                self.idle = fast
                text = await self._receive()
                self.idle = False
                await self._handle(text)
        except (WebSocketDisconnect, _Closed):
            pass
        except Exception:
            log.exception("websocket handler failed%s", f" (session {self.room.live.code})" if self.room else "")
            with contextlib.suppress(Exception):
                await self.ws.close(CLOSE_INTERNAL)
        finally:
            self.idle = False
            if fast:
                self.ws.on_text(None)
            if self.room is not None and self.conn is not None:
                self.room.remove(self.conn)

    async def _receive(self) -> str | None:
        """The next text frame; None for a binary one (refused, the connection stays)."""
        message = await self.ws.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        return message.get("text")

    async def _reply(self, message: dict[str, Any]) -> None:
        if self.conn is not None:
            self.conn.send(message)
        else:
            await self.ws.send_text(dumps(message))

    async def _accept_message(self, text: str | None) -> tuple[str | None, Message]:
        """Rate limit, parse and authorise one frame; raises IdRefused/Refused."""
        if not self.bucket.take(time.monotonic()):
            self.strikes += 1
            if self.strikes > FLOOD_STRIKES:
                await self._reply(_error(None, Refused("rate_limited", "too many messages; closing")))
                await asyncio.sleep(0.2)  # let the queued answers and this error go out first
                await self.ws.close(CLOSE_FLOOD)
                raise _Closed
            raise Refused("rate_limited", "too many messages; slow down")
        self.strikes = 0
        if text is None:
            raise Refused("bad_message", "send text frames of JSON")
        return self._admit(text)

    def _admit(self, text: str) -> tuple[str | None, Message]:
        """Parse and authorise one frame (the rate limit passed); raises IdRefused/Refused."""
        try:
            msg_id, msg = parse(text)
        except RecursionError:  # (defence in depth: nothing we parse should recurse on the input)
            raise Refused("bad_message", "the message is nested too deeply") from None
        try:
            authz.check_message(self.role, _TYPES[type(msg)])
        except Refused as exc:
            raise IdRefused(msg_id, exc.code, exc.message) from None
        return msg_id, msg

    async def _until_identified(self) -> None:
        while self.conn is None:
            text = await self._receive()
            msg_id: str | None = None
            try:
                msg_id, msg = await self._accept_message(text)
                if isinstance(msg, Ping):
                    await self._reply(self._pong(msg, msg_id))
                else:
                    assert isinstance(msg, (Join, Resume, Host))
                    await self._identify(msg_id, msg)
            except IdRefused as exc:
                await self._reply(_error(exc.msg_id, exc))
            except Refused as exc:
                await self._reply(_error(msg_id, exc))

    # -- identification -------------------------------------------------------------------
    async def _identify(self, msg_id: str | None, msg: Join | Resume | Host) -> None:
        now_s = time.monotonic()
        limit = self.svc.limits
        if not limit.may_look_up(self.address, msg.code, now_s):
            # Wrong codes spent and this code never opened from here: not even looked up.
            raise Refused("rate_limited", "too many wrong codes; wait a few minutes")
        if isinstance(msg, Host) and self.svc.cluster is not None and not (
                self.svc.is_admin(msg.key) or self.svc.host_key_opens(msg.code, msg.key)) and (
                self.svc.store.session_key(msg.code) is not None):
            # (With Redis a session is taken up from the shared log on first use: not for a wrong key.)
            await self._wrong_key(now_s)
        try:
            live = await self.svc.live(msg.code)
        except NotFound:
            if not limit.wrong_codes.take(self.address, now_s):
                raise Refused("rate_limited", "too many wrong codes; wait a few minutes") from None
            if limit.wrong_codes.used(self.address, now_s) > limits.SLOW_AFTER:
                await asyncio.sleep(limits.SLOW_DELAY)  # a scanner slows down; a typo costs nothing
            raise
        if not limit.take_join(self.address, live.code, now_s):
            if isinstance(msg, Join):
                self._refused("rate", live.code)
            raise Refused("rate_limited", "many phones are joining from this network; try again in a moment")
        now = self.svc.clock.now_ms()
        session = {"code": live.code, "title": live.state.title}
        if isinstance(msg, Host):
            if not self.svc.is_host(live, msg.key):
                await self._wrong_key(now_s)
            welcome = {"type": "welcome", "role": msg.view, "session": session,
                       "join_url": self.svc.join_url(live.code),
                       "qr": self.svc.qr_data_uri(live.code), "server_time": now}
            self._attach(live.code, msg.view, None, welcome, msg_id)
            limit.opened(self.address, live.code)
            return
        if isinstance(msg, Join):
            args = {"name": msg.name, "group": msg.group, "address": self._address_key(live.code),
                    "max_players": self.svc.config.max_players}
            if self.svc.cluster is not None:
                args["via"] = self.svc.cluster.node  # this process holds the phone (attendance)
            people = self.svc.roster_of(live)
            if people is not None:
                person = await self._rostered(live.code, people, msg, now_s)
                args.update(name=person.name, group=None, person={"id": person.person_id, "group": person.group})
            elif msg.person is not None:
                raise Refused("no_roster", "this session has no class list; type your name")
            again = existing_join(live.state, msg_id, args["name"])
            if again is not None and again in live.state.players:
                pid = again
            else:
                try:
                    out = await self.svc.run(live, Command("join", "join", args, msg_id))
                except Refused as exc:
                    if exc.code in CODE_REASON:  # locked, full, banned: the trainer may want to know
                        self._refused(CODE_REASON[exc.code], live.code)
                    raise
                if out.duplicate:  # this join was committed already (sent twice, or relayed again)
                    pid = existing_join(live.state, msg_id, args["name"])
                    if pid is None or pid not in live.state.players:
                        raise Refused("unavailable", "the session is moving to another server; send it again")
                else:
                    pid = out.events[-1].data["player_id"]
                    if out.events[-1].type == "seat_moved":  # the old phone of this trainee lets go
                        self.svc.rooms.room(live.code).seat_moved(pid)
        else:
            pid = self.svc.tokens.check(live.code, msg.token, live.state.seats)
            if pid is not None and pid in live.state.removed:
                raise Refused("removed", "the trainer has removed you from this session")
            if pid is None and self.svc.tokens.check(live.code, msg.token) is not None:
                raise Refused("seat_moved", "your name was confirmed on another phone; join again to move back")
            if pid is None or pid not in live.state.players:
                raise Refused("bad_token", "that token does not belong to this session; join again")
        player = live.state.players[pid]
        welcome = {"type": "welcome", "role": "player", "player_id": pid,
                   "token": self.svc.tokens.issue(live.code, pid, live.state.seats.get(pid, 0)),
                   "group": player.group, "name": player.name, "session": session, "server_time": now}
        if player.person is not None:
            welcome["person"] = player.person
        self._attach(live.code, "player", pid, welcome, msg_id)
        limit.opened(self.address, live.code)

    async def _rostered(self, code: str, people: list[RosterPerson], msg: Join, now_s: float) -> RosterPerson:
        """The roster person a join names, once its check matches. A wrong check costs like a wrong
        code, from the person's own bucket (many phones cannot share the guessing of one person's
        four digits) and from the address's (one phone cannot try the whole class)."""
        if msg.person is None:
            raise Refused("roster_required", "pick your name from the class list")
        person = next((p for p in people if p.person_id == msg.person), None)
        if person is None:
            raise NotFound("unknown_person", "that name is not on this session's class list")
        limit = self.svc.limits
        key, here = f"{code}:{person.person_id}", f"{code}:{self.address}"
        if not limit.wrong_checks.has(key, now_s) or not limit.wrong_check_addresses.has(here, now_s):
            raise Refused("rate_limited", "too many wrong checks; wait a few minutes")
        if check_matches(person, msg.check):
            return person
        limit.wrong_checks.take(key, now_s)
        limit.wrong_check_addresses.take(here, now_s)
        if limit.wrong_checks.used(key, now_s) > limits.SLOW_AFTER:
            await asyncio.sleep(limits.SLOW_DELAY)  # a guesser slows down; a typo costs nothing
        raise Refused("bad_check", "that check does not match the name you picked")

    def _refused(self, reason: str, code: str) -> None:
        rate = self.svc.limits.join_rate(code)
        self.svc.rooms.room(code).refused(reason, self._address_key(code),
                                          (rate.burst, rate.per_second, code in self.svc.limits.raised))

    async def _wrong_key(self, now_s: float) -> None:
        """A wrong host key costs like a wrong code: the same bucket, the same slow-down, then refused."""
        limit = self.svc.limits
        if not limit.wrong_codes.take(self.address, now_s):
            raise Refused("rate_limited", "too many wrong codes or keys; wait a few minutes")
        if limit.wrong_codes.used(self.address, now_s) > limits.SLOW_AFTER:
            await asyncio.sleep(limits.SLOW_DELAY)
        raise Refused("bad_key", "that host key does not open this session")

    def _address_key(self, code: str) -> str:
        """The network address as the log keeps it: hashed with the session, never in clear."""
        return hashlib.sha256(f"{code}:{self.address}".encode()).hexdigest()[:16]

    def _attach(self, code: str, role: str, pid: str | None, welcome: dict[str, Any],
                msg_id: str | None) -> None:
        self.room = self.svc.rooms.room(code)
        self.conn = Conn(self.ws, self.room, role, pid)
        # Not sent yet: the room's ``add`` sends them with the first view, in one write.
        self.conn.queue(welcome, *([{"type": "ack", "id": msg_id}] if msg_id is not None else []))
        self.room.add(self.conn)

    # -- after identification ------------------------------------------------------------
    async def _handle(self, text: str | None) -> None:
        assert self.conn is not None and self.room is not None
        msg_id: str | None = None
        try:
            msg_id, msg = await self._accept_message(text)
            if isinstance(msg, Ping):
                self.conn.send(self._pong(msg, msg_id))
                return
            if isinstance(msg, CommandMsg) and msg.name == RAISE_JOIN_LIMIT:
                self._raise_join_limit(msg_id)
                return
            cmd = self._command(msg, msg_id)
            if cmd.name == "submit" and self.svc.cluster is None:
                # An answer (the bursts): acked from the commit's callback while this reader goes
                # on to the next frame. The committer keeps arrival order, so a connection's acks
                # and errors still go out in the order its messages came.
                self.svc.committer.submit_then(self.room.live, cmd, partial(self._answered, msg_id))
                self.in_flight += 1
                if self.in_flight >= MAX_IN_FLIGHT:  # (a client that pipelines: read on once one lands)
                    self.landed = asyncio.get_running_loop().create_future()
                    try:
                        await self.landed
                    finally:
                        self.landed = None
                return
            if cmd.name == "cluster":
                cmd = await self._clustered(cmd)
            await self.svc.run(self.room.live, cmd)
            if msg_id is not None:
                self.conn.send({"type": "ack", "id": msg_id})
            # (A removed player's connections are closed by the room when the removal is published.)
        except IdRefused as exc:
            self.conn.send(_error(exc.msg_id, exc))
        except Refused as exc:
            self.conn.send(_error(msg_id, exc))

    def _handle_now(self, text: str) -> bool:
        """An answer or a ping, handled as its frame arrives (``caseroom.on_text``,
        ``server/wsproto.py``): the reader task is not woken for it. True: done, exactly as
        ``_handle`` would have done it. False, with nothing changed: ``_handle`` takes the frame
        in its turn; that is any frame while the reader is busy with an earlier one (their order
        is kept), one the rate limit would refuse (the strikes and the flood close are the
        reader's), one that would reach the in-flight cap (the reader then waits), and every
        message other than a well-formed ``submit`` or ``ping`` this connection may send."""
        conn = self.conn
        if not self.idle or conn is None or self.in_flight + 1 >= MAX_IN_FLIGHT:
            return False
        now = time.monotonic()
        if not self.bucket.has(now):
            return False
        try:
            msg_id, msg = self._admit(text)
        except Refused:
            return False  # (the reader refuses it again, after the rate limit, as it always has)
        if isinstance(msg, Ping):
            self.bucket.take(now)
            self.strikes = 0
            conn.send(self._pong(msg, msg_id))
            return True
        if not isinstance(msg, Submit):
            return False
        self.bucket.take(now)
        self.strikes = 0
        assert self.room is not None
        try:
            self.svc.committer.submit_then(self.room.live, self._command(msg, msg_id), partial(self._answered, msg_id))
        except Refused as exc:
            conn.send(_error(msg_id, exc))
            return True
        self.in_flight += 1
        return True

    def _answered(self, msg_id: str | None, _outcome: Any, exc: BaseException | None) -> None:
        """An answer's outcome, as ``_handle`` would have sent it had it waited: the ack once it is
        stored, the error if refused; any other fault (a bug of ours, a store that failed) closes
        this connection as an exception in ``run`` would (1011), and its client sends it again.
        Called by the committer the moment the answer's batch is stored (``Reply``)."""
        assert self.conn is not None
        self.in_flight -= 1
        if self.landed is not None and not self.landed.done():
            self.landed.set_result(None)
        if self.conn.closed:
            return
        if exc is None:
            if msg_id is not None:
                self.conn.send({"type": "ack", "id": msg_id})
        elif isinstance(exc, Refused):
            self.conn.send(_error(msg_id, exc))
        else:
            log.error("an answer failed%s", f" (session {self.room.live.code})" if self.room else "",
                      exc_info=exc)
            self.conn.close_soon(CLOSE_INTERNAL)

    def _raise_join_limit(self, msg_id: str | None) -> None:
        """The console's one click: this session's join limit, tenfold, in this process's memory.

        A setting of the server, not of the session (nothing is stored, like the refusals it answers),
        so it is handled here and not by the core. Idempotent: a second click changes nothing.
        """
        assert self.conn is not None and self.room is not None
        code = self.room.live.code
        rate = self.svc.limits.raise_joins(code)
        log.info("session %s: join limit raised to a burst of %g, then %g a second", code, rate.burst,
                 rate.per_second)
        self.room.limit_changed((rate.burst, rate.per_second, True))
        if msg_id is not None:
            self.conn.send({"type": "ack", "id": msg_id})

    def _command(self, msg: Message, msg_id: str | None) -> Command:
        assert self.conn is not None
        if isinstance(msg, Submit):
            assert self.conn.player_id is not None
            return Command("submit", self.conn.player_id, {"activity": msg.activity, "answer": msg.answer}, msg_id)
        assert isinstance(msg, CommandMsg)
        if msg.name in ("join", "submit", "tick", "clustered"):
            raise Refused("unknown_command", f"unknown command '{msg.name}'")
        return Command(msg.name, "host", msg.args, msg_id)

    async def _clustered(self, cmd: Command) -> Command:
        """Group a discussion board in a thread (the loop and the committer go on meanwhile) and
        return the ``clustered`` command that records the result; one grouping per session at a time."""
        assert self.room is not None
        live = self.room.live
        activity, card, posts = cluster_request(live.state, cmd, self.svc.clock.now_ms())
        if live.code in _GROUPING:
            raise Refused("busy", "this board is being grouped already")
        _GROUPING.add(live.code)
        try:
            groups, rest = await asyncio.to_thread(group, posts)
        finally:
            _GROUPING.discard(live.code)
        clusters = [{"keys": g.keys, "posts": g.posts} for g in groups]
        if rest:
            clusters.append({"keys": [], "posts": rest})
        log.info("grouped %d posts of %s/%s into %d clusters (%s)", len(posts), live.code, activity,
                 len(groups), ", ".join(label(g.keys) for g in groups[:5]))
        return Command("clustered", "system", {"activity": activity, "card": card, "clusters": clusters},
                       cmd.client_id)

    def _pong(self, msg: Ping, msg_id: str | None) -> dict[str, Any]:
        pong: dict[str, Any] = {"type": "pong", "t": msg.t, "server_time": self.svc.clock.now_ms()}
        if msg_id is not None:
            pong["id"] = msg_id  # a ping changes nothing, so its answer is the pong itself
        return pong


_GROUPING: set[str] = set()  # sessions whose board is being grouped right now

_TYPES = {Join: "join", Resume: "resume", Host: "host", Ping: "ping", Submit: "submit", CommandMsg: "command"}


class _Closed(Exception):
    """The connection was closed by us for a violation."""


def _error(msg_id: str | None, exc: Refused) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "error", "code": exc.code, "message": exc.message}
    if msg_id is not None:
        out["id"] = msg_id
    return out


async def websocket_endpoint(ws: Socket) -> None:
    svc: Services = ws.app.state.services
    await Connection(svc, ws).run()
