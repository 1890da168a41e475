"""The websocket endpoint: parse, authenticate, feed the core, acknowledge, push views.

One connection speaks for one party: a player (after ``join`` or ``resume``),
or a screen or console (after ``host``). The first message must be one of
those three; anything else before it gets ``not_joined``. Every refusal is an
``error`` frame with a code and changes nothing; the connection stays open.
Only a connection that never identifies itself within the handshake timeout,
or a bug of ours (1011), is closed.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from server.protocol import CommandMsg, Host, IdRefused, Join, Ping, Resume, Submit, dumps, parse
from server.rooms import Conn, Room
from server.services import Services
from sessions.core import Command, existing_join
from sessions.errors import Refused

log = logging.getLogger("caseroom.ws")

CLOSE_HANDSHAKE_TIMEOUT = 4408
CLOSE_INTERNAL = 1011


class Connection:
    """The receive side of one websocket; ``conn`` is set once it has identified itself."""

    def __init__(self, svc: Services, ws: WebSocket) -> None:
        self.svc = svc
        self.ws = ws
        self.conn: Conn | None = None
        self.room: Room | None = None

    async def run(self) -> None:
        await self.ws.accept()
        try:
            await asyncio.wait_for(self._until_identified(), self.svc.config.handshake_timeout)
        except TimeoutError:
            await self.ws.close(CLOSE_HANDSHAKE_TIMEOUT)
            return
        except WebSocketDisconnect:
            return
        try:
            while True:
                text = await self._receive()
                if text is None:
                    assert self.conn is not None
                    self.conn.send(_error(None, Refused("bad_message", "send text frames of JSON")))
                    continue
                await self._handle(text)
        except WebSocketDisconnect:
            pass
        except Exception:
            log.exception("websocket handler failed")
            await self.ws.close(CLOSE_INTERNAL)
        finally:
            if self.room is not None and self.conn is not None:
                self.room.remove(self.conn)

    async def _until_identified(self) -> None:
        while self.conn is None:
            text = await self._receive()
            msg_id = None
            try:
                if text is None:
                    raise Refused("bad_message", "send text frames of JSON")
                msg_id, msg = parse(text)
                if isinstance(msg, (Join, Resume, Host)):
                    await self._identify(msg_id, msg)
                elif isinstance(msg, Ping):
                    await self.ws.send_text(dumps(self._pong(msg)))
                else:
                    raise Refused("not_joined", "send join, resume or host first")
            except IdRefused as exc:
                await self.ws.send_text(dumps(_error(exc.msg_id, exc)))
            except Refused as exc:
                await self.ws.send_text(dumps(_error(msg_id, exc)))

    async def _receive(self) -> str | None:
        """The next text frame; None for a binary one (refused, the connection stays)."""
        message = await self.ws.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        return message.get("text")

    # -- identification -------------------------------------------------------------------
    async def _identify(self, msg_id: str | None, msg: Join | Resume | Host) -> None:
        live = self.svc.sessions.get(msg.code)
        now = self.svc.clock.now_ms()
        session = {"code": live.code, "title": live.state.title}
        if isinstance(msg, Host):
            if not self.svc.is_host(live, msg.key):
                raise Refused("bad_key", "that host key does not open this session")
            welcome = {"type": "welcome", "role": msg.view, "session": session,
                       "join_url": self.svc.join_url(live.code),
                       "qr": self.svc.qr_data_uri(live.code), "server_time": now}
            self._attach(live.code, msg.view, None, welcome, msg_id)
            return
        if isinstance(msg, Join):
            again = existing_join(live.state, msg_id, msg.name)
            if again is not None:
                pid = again
            else:
                out = await self.svc.committer.run(
                    live, Command("join", "join", {"name": msg.name, "group": msg.group}, msg_id))
                pid = out.events[-1].data["player_id"]
        else:
            pid = self.svc.tokens.check(live.code, msg.token)
            if pid is None or pid not in live.state.players:
                raise Refused("bad_token", "that token does not belong to this session; join again")
        player = live.state.players[pid]
        welcome = {"type": "welcome", "role": "player", "player_id": pid,
                   "token": self.svc.tokens.issue(live.code, pid), "group": player.group,
                   "name": player.name, "session": session, "server_time": now}
        self._attach(live.code, "player", pid, welcome, msg_id)

    def _attach(self, code: str, role: str, pid: str | None, welcome: dict[str, Any],
                msg_id: str | None) -> None:
        self.room = self.svc.rooms.room(code)
        self.conn = Conn(self.ws, self.room, role, pid)
        self.conn.send(welcome)
        if msg_id is not None:
            self.conn.send({"type": "ack", "id": msg_id})
        self.room.add(self.conn)

    # -- after identification ------------------------------------------------------------
    async def _handle(self, text: str) -> None:
        assert self.conn is not None and self.room is not None
        msg_id: str | None = None
        try:
            msg_id, msg = parse(text)
            if isinstance(msg, Ping):
                self.conn.send(self._pong(msg))
                return
            cmd = self._command(msg, msg_id)
            await self.svc.committer.run(self.room.live, cmd)
            if msg_id is not None:
                self.conn.send({"type": "ack", "id": msg_id})
        except IdRefused as exc:
            self.conn.send(_error(exc.msg_id, exc))
        except Refused as exc:
            self.conn.send(_error(msg_id, exc))

    def _command(self, msg: object, msg_id: str | None) -> Command:
        assert self.conn is not None
        role = self.conn.role
        if isinstance(msg, (Join, Resume, Host)):
            raise Refused("already_joined", "this connection has already identified itself")
        if isinstance(msg, Submit):
            if role != "player":
                raise Refused("forbidden", "only players submit answers")
            assert self.conn.player_id is not None
            return Command("submit", self.conn.player_id,
                           {"activity": msg.activity, "answer": msg.answer}, msg_id)
        if isinstance(msg, CommandMsg):
            if role != "console":
                raise Refused("forbidden", "only the trainer's console sends commands")
            if msg.name in ("join", "submit", "tick"):
                raise Refused("unknown_command", f"unknown command '{msg.name}'")
            return Command(msg.name, "host", msg.args, msg_id)
        raise Refused("bad_message", "unexpected message")

    def _pong(self, msg: Ping) -> dict[str, Any]:
        return {"type": "pong", "t": msg.t, "server_time": self.svc.clock.now_ms()}


def _error(msg_id: str | None, exc: Refused) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "error", "code": exc.code, "message": exc.message}
    if msg_id is not None:
        out["id"] = msg_id
    return out


async def websocket_endpoint(ws: WebSocket) -> None:
    svc: Services = ws.app.state.services
    await Connection(svc, ws).run()
