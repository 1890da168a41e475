"""Security, tested as an attacker would: the authorisation matrix cell by cell, a code scanner,
a join flood, foreign origins, message floods, oversized frames, kick and ban."""

from __future__ import annotations

import asyncio
import json
import random
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from server import authz
from tests.conftest import ADMIN, FIXTURES, RunningServer, start_server
from tests.wsclient import Client, host, player

MINI = (FIXTURES / "mini.yaml").read_bytes()


def new_session(srv: RunningServer) -> tuple[str, str]:
    with srv.admin() as api:
        assert api.post("/api/decks", content=MINI).status_code in (201, 409)
        s = api.post("/api/sessions", json={"deck": "mini"}).json()
    return s["code"], s["host_key"]


def event_count(srv: RunningServer, code: str) -> int:
    r = httpx.get(f"{srv.http}/api/sessions/{code}/export", headers={"Authorization": f"Bearer {ADMIN}"})
    return len(r.json()["events"])


async def from_address(url: str, source: str, **kw: Any) -> Any:
    """A websocket from another loopback address (127.0.0.0/8 is all this machine)."""
    sock = socket.socket()
    sock.bind((source, 0))
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    sock.connect(("127.0.0.1", port))
    return await connect(url, sock=sock, **kw)


# -- the matrix ----------------------------------------------------------------------------------

def sample(kind: str, code: str, key: str, token: str) -> dict[str, Any]:
    return {
        "join": {"type": "join", "code": code, "name": "路人"},
        "resume": {"type": "resume", "code": code, "token": token},
        "host": {"type": "host", "code": code, "key": key, "view": "screen"},
        "ping": {"type": "ping", "t": 1},
        "submit": {"type": "submit", "activity": "card-a", "answer": {"choice": "b"}},
        "command": {"type": "command", "name": "lock"},
    }[kind]


def test_every_cell_of_the_websocket_matrix(server: RunningServer) -> None:
    code, key = new_session(server)

    async def scenario() -> None:
        console = await host(server.ws, code, key, "console")
        await console.request({"type": "command", "name": "start", "args": {"activity": "card-a"}})
        base = await player(server.ws, code, "学员")
        token = (base.welcome or {})["token"]
        for kind in authz.WS_MATRIX:
            for role in authz.SOCKET_ROLES:
                c = await Client.open(server.ws)
                if role == "player":
                    await c.send({"type": "resume", "code": code, "token": token})
                    await c.recv()
                elif role in ("screen", "console"):
                    await c.send({"type": "host", "code": code, "key": key, "view": role})
                    await c.recv()
                before = event_count(server, code)
                reply = await c.request(sample(kind, code, key, token))
                if role in authz.WS_MATRIX[kind]:
                    assert reply.get("code") not in ("forbidden", "not_joined", "already_joined"), (kind, role, reply)
                else:
                    expected = ("not_joined" if role == "anonymous" else
                                "already_joined" if kind in ("join", "resume", "host") else "forbidden")
                    assert reply.get("code") == expected, (kind, role, reply)
                    assert event_count(server, code) == before, (kind, role)  # a refusal changed nothing
                await c.close()
        await console.close()
        await base.close()

    asyncio.run(scenario())


def test_every_cell_of_the_http_matrix(server: RunningServer) -> None:
    code, key = new_session(server)

    async def token() -> str:
        p = await player(server.ws, code, "学员")
        await p.close()
        return (p.welcome or {})["token"]

    player_token = asyncio.run(token())
    bearer = {"anonymous": None, "player": player_token, "host": key, "admin": ADMIN}
    bodies: dict[str, Any] = {"POST /api/decks": MINI.replace(b"id: mini", b"id: mini-2"),
                              "POST /api/sessions": {"deck": "mini"},
                              "DELETE /api/sessions/{code}": {"confirm": "000000"}}
    # The follow-up link's cells last: their wrong tokens spend the address's wrong-code bucket,
    # which the host-key cells must find unspent to answer 403 rather than 429.
    last = "POST /api/sessions/{code}/followup"
    for route, allowed in sorted(authz.HTTP_MATRIX.items(), key=lambda cell: cell[0].startswith(last)):
        method, path = route.split(" ", 1)
        url = server.http + path.replace("{code}", code)
        in_body = route == "POST /api/sessions/{code}/me" or route.startswith("POST /api/sessions/{code}/followup")
        for role, tok in bearer.items():
            headers = {"Authorization": f"Bearer {tok}"} if tok and not in_body else {}
            body = bodies.get(route)
            if in_body:  # a trainee's own pages: the token goes in the body
                body = {"token": tok} if tok else {}
            kwargs: dict[str, Any] = {"content": body} if isinstance(body, bytes) else {"json": body}
            before = event_count(server, code)
            r = httpx.request(method, url, headers=headers, timeout=30, **({} if body is None else kwargs))
            if role in allowed:
                assert r.status_code not in (401, 403), (route, role, r.text)
            elif route.startswith(last) and tok:
                # A follow-up link that opens nothing is "not found" (the brief of issue 17): 404,
                # whatever token it holds (this player's resume token is not a follow-up token either);
                # it costs like a wrong code, and this walk has spent the address's bucket by now.
                assert (r.status_code, r.json()["error"]["code"]) in ((404, "unknown_followup"),
                                                                      (429, "rate_limited")), (route, role)
                assert event_count(server, code) == before
            else:
                assert r.status_code in (401, 403), (route, role, r.status_code)
                assert r.json()["error"]["code"] in ("unauthorized", "forbidden")
                assert event_count(server, code) == before


# -- join abuse ------------------------------------------------------------------------------------

def test_a_code_scanner_is_slowed_then_refused(server: RunningServer) -> None:
    code, _ = new_session(server)
    rng = random.Random(3)

    async def scan() -> tuple[int, int, float]:
        c = await Client.open(server.ws)
        answered = refused = 0
        started = time.monotonic()
        for _ in range(40):
            guess = f"{rng.randrange(100000, 999999)}"
            if guess == code:
                continue
            reply = await c.request({"type": "join", "code": guess, "name": "scanner"}, None)
            if reply["code"] == "unknown_session":
                answered += 1
            else:
                assert reply["code"] == "rate_limited"
                refused += 1
        await c.close()
        return answered, refused, time.monotonic() - started

    answered, refused, took = asyncio.run(scan())
    assert answered <= 11 and refused >= 29, (answered, refused)
    assert took >= 4  # guesses past the fifth each waited a second
    # The HTTP lookup is no second oracle: it shares the same bucket.
    assert httpx.get(f"{server.http}/api/sessions/123456").json()["error"]["code"] == "rate_limited"
    # A classroom elsewhere still joins.
    async def student() -> None:
        ws = await from_address(server.ws, "127.0.0.9")
        await ws.send(json.dumps({"type": "join", "code": code, "name": "真学员"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "welcome"
        await ws.close()

    asyncio.run(student())


def test_a_flood_of_500_bots_does_not_bury_the_class(server: RunningServer) -> None:
    code, key = new_session(server)

    async def scenario() -> None:
        screen = await host(server.ws, code, key, "screen")

        async def bot(i: int) -> bool:
            try:
                ws = await from_address(server.ws, "127.0.0.66", open_timeout=20)
                await ws.send(json.dumps({"type": "join", "code": code, "name": f"bot{i}"}))
                reply = json.loads(await asyncio.wait_for(ws.recv(), 20))
                await ws.close()
                return reply["type"] == "welcome"
            except (OSError, ConnectionClosed, TimeoutError):
                return False

        async def trainee(i: int) -> float:
            await asyncio.sleep(0.01 * i)
            started = time.monotonic()
            ws = await from_address(server.ws, f"127.0.1.{i + 1}", open_timeout=20)
            await ws.send(json.dumps({"type": "join", "code": code, "name": f"学员{i}"}))
            reply = json.loads(await asyncio.wait_for(ws.recv(), 20))
            assert reply["type"] == "welcome", reply
            await ws.close()
            return time.monotonic() - started

        started = time.monotonic()
        results = await asyncio.gather(*(bot(i) for i in range(500)), *(trainee(i) for i in range(20)))
        bots_in = sum(1 for r in results[:500] if r is True)
        # Valid-code joins from one address: a burst of 200, then 50 a second (a company event behind
        # one NAT must get in); the console shows a flood and bans its address (tests/test_join_limits.py).
        assert bots_in <= 200 + 50 * (time.monotonic() - started) + 10, bots_in
        waits = results[500:]
        assert max(waits) < 10  # every real trainee got in (timing is in the closing note, not asserted tightly)
        view = await screen.view_until(lambda v: v["counts"]["joined"] == bots_in + 20, timeout=20)
        assert sum(1 for p in view["lobby"] if p["name"].startswith("学员")) == 20
        await screen.close()

    asyncio.run(scenario())


def test_kick_ban_and_the_player_cap(tmp_path: Path) -> None:
    srv = start_server(tmp_path / "data", env={"CASEROOM_MAX_PLAYERS": "3"})
    code, key = new_session(srv)

    async def scenario() -> None:
        console = await host(srv.ws, code, key, "console")
        a = await from_address(srv.ws, "127.0.0.21")
        await a.send(json.dumps({"type": "join", "code": code, "name": "捣乱者"}))
        welcome = json.loads(await a.recv())
        b = await player(srv.ws, code, "学员乙")
        reply = await console.request({"type": "command", "name": "ban", "args": {"player": welcome["player_id"]}})
        assert reply["type"] == "ack"
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(a.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
        again = await from_address(srv.ws, "127.0.0.21")
        await again.send(json.dumps({"type": "join", "code": code, "name": "换个名字"}))
        assert json.loads(await again.recv())["code"] == "banned"
        await again.send(json.dumps({"type": "resume", "code": code, "token": welcome["token"]}))
        assert json.loads(await again.recv())["code"] == "removed"
        view = await console.view_until(lambda v: v["counts"]["joined"] == 1)
        assert [p["name"] for p in view["players"]] == ["学员乙"]
        await again.close()
        c = await player(srv.ws, code, "学员丙")
        d = await player(srv.ws, code, "学员丁")
        e = await Client.open(srv.ws)
        assert (await e.request({"type": "join", "code": code, "name": "学员戊"}))["code"] == "session_full"
        await console.request({"type": "command", "name": "kick", "args": {"player": (c.welcome or {})["player_id"]}})
        for x in (console, b, c, d, e):
            await x.close()

    try:
        asyncio.run(scenario())
    finally:
        srv.stop()


# -- websocket limits ------------------------------------------------------------------------------

def test_foreign_origins_floods_and_huge_frames_are_refused(server: RunningServer) -> None:
    code, key = new_session(server)

    async def scenario() -> None:
        with pytest.raises(InvalidStatus) as info:
            await connect(server.ws, origin="http://evil.example")  # type: ignore[arg-type]
        assert info.value.response.status_code == 403
        same = await connect(server.ws, origin=f"http://127.0.0.1:{server.port}")  # type: ignore[arg-type]
        await same.close()

        flood = await Client.open(server.ws)
        await flood.send({"type": "host", "code": code, "key": key, "view": "screen"})
        codes = []
        with pytest.raises(ConnectionClosed) as closed:
            for _ in range(500):
                await flood.ws.send(json.dumps({"type": "ping"}))
            while True:
                msg = await flood.recv(20)
                if msg["type"] == "error":
                    codes.append(msg["code"])
        assert "rate_limited" in codes and closed.value.rcvd is not None and closed.value.rcvd.code == 4429

        big = await Client.open(server.ws)
        with pytest.raises(ConnectionClosed) as closed:
            await big.ws.send(json.dumps({"type": "join", "code": code, "name": "x" * 70_000}))
            await big.recv(20)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009  # message too big

    asyncio.run(scenario())
    assert httpx.get(f"{server.http}/healthz").json() == {"ok": True}


def test_a_socket_that_never_identifies_is_closed_and_one_that_does_stays(tmp_path: Path) -> None:
    """The handshake timeout (4408): a silent socket is closed once it passes; a phone that joined
    in time is not closed by it, and neither are the pings it sends before identifying."""
    srv = start_server(tmp_path / "data", env={"CASEROOM_HANDSHAKE_TIMEOUT": "1.5"})
    try:
        code, _key = new_session(srv)

        async def scenario() -> None:
            silent = await Client.open(srv.ws)
            pinging = await Client.open(srv.ws)
            joined = await player(srv.ws, code, "准时")
            began = time.monotonic()
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    await silent.recv(5)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4408
            assert 1.0 < time.monotonic() - began < 4.5
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    assert (await pinging.request({"type": "ping", "t": 1}))["type"] == "pong"
                    await asyncio.sleep(0.2)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4408
            await asyncio.sleep(0.5)  # past the timeout: the joined phone still talks
            assert (await joined.request({"type": "ping", "t": 2}))["type"] == "pong"
            await joined.close()

        asyncio.run(scenario())
    finally:
        srv.stop()


def test_secrets_are_owner_only_and_never_logged(server: RunningServer) -> None:
    code, key = new_session(server)
    assert (server.data.stat().st_mode & 0o077) == 0
    for name in ("admin_token", "caseroom.db"):
        path = server.data / name
        if path.exists():
            assert (path.stat().st_mode & 0o077) == 0, name
    httpx.get(f"{server.http}/api/sessions/{code}/export", headers={"Authorization": f"Bearer {key}"})
    log = server.log.read_text()
    assert key not in log  # (the admin token is printed once at start, for the trainer: the contract asks it)
    assert log.count(ADMIN) == 2  # the trainer-page line and the admin-token line, nothing else


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    srv = start_server(tmp_path / "data")
    yield srv
    srv.stop()
