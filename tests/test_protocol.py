"""The contract end to end: a real server process on a free port, real websocket clients."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import ADMIN, RunningServer, start_server
from tests.wsclient import Client, host, player


def setup_session(srv: RunningServer, mini_source: str) -> dict[str, Any]:
    with srv.admin() as api:
        r = api.post("/api/decks", content=mini_source.encode())
        assert r.status_code == 201, r.text
        r = api.post("/api/sessions", json={"deck": "mini", "title": "第一期"})
        assert r.status_code == 201, r.text
        body = r.json()
    assert len(body["code"]) == 6 and body["code"].isdigit()
    assert body["join_url"].endswith(f"/j/{body['code']}")
    assert f"#key={body['host_key']}" in body["host_url"] and "?" not in body["host_url"]
    return body


def export(srv: RunningServer, code: str, key: str) -> dict[str, Any]:
    r = httpx.get(f"{srv.http}/api/sessions/{code}/export?format=json",
                  headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_thirty_players_vote_and_the_screen_tally_matches(server: RunningServer, mini_source: str) -> None:
    s = setup_session(server, mini_source)
    code, key = s["code"], s["host_key"]

    async def scenario() -> None:
        screen = await host(server.ws, code, key, "screen")
        console = await host(server.ws, code, key, "console")
        assert screen.welcome and screen.welcome["qr"].startswith("data:image/svg+xml")
        phones = await asyncio.gather(*(player(server.ws, code, f"学员{i}", f"join-{i}")
                                        for i in range(30)))
        assert len({p.welcome["player_id"] for p in phones}) == 30  # type: ignore[index]
        await screen.view_until(lambda v: v["counts"] == {"joined": 30, "connected": 30})
        assert (await console.request({"type": "command", "name": "start",
                                       "args": {"activity": "card-a"}}))["type"] == "ack"
        choices = ["a", "b", "c"]
        answers = await asyncio.gather(*(
            p.request({"type": "submit", "activity": "card-a", "answer": {"choice": choices[i % 3]}},
                      f"vote-{i}") for i, p in enumerate(phones)))
        assert all(a["type"] == "ack" for a in answers), answers
        view = await screen.view_until(lambda v: v["activity"] and v["activity"]["submitted"] == 30)
        assert view["activity"]["reveal"] is None and "answer_key" not in view["activity"]
        view = await console.view_until(lambda v: v["activity"] and v["activity"]["submitted"] == 30)
        assert view["activity"]["tally"] == {"a": 10, "b": 10, "c": 10}  # (the screen's waits for the close)
        assert (await console.request({"type": "command", "name": "reveal"}))["type"] == "ack"
        view = await screen.view_until(lambda v: v["activity"]["status"] == "revealed")
        assert view["activity"]["reveal"]["recommended"] == "b"
        assert [row["score"] for row in view["leaderboard"]][:3] == [100, 100, 100]
        for i, p in enumerate(phones[:3]):
            pv = await p.view_until(lambda v: v["activity"]["status"] == "revealed")
            assert pv["me"]["score"] == {"a": 0, "b": 100, "c": 50}[choices[i % 3]]
        for c in [screen, console, *phones]:
            await c.close()

    asyncio.run(scenario())
    record = export(server, code, key)
    subs = record["submissions"]
    assert len(subs) == 30 and all(sub["counted"] for sub in subs)
    assert {sub["client_id"] for sub in subs} == {f"vote-{i}" for i in range(30)}
    assert {p["name"] for p in record["participants"]} == {f"学员{i}" for i in range(30)}
    assert record["session"]["code"] == code and record["session"]["deck"] == "mini"
    assert record["session"]["started_at"] and record["events"][0]["type"] == "session_created"


def test_a_player_drops_and_resumes_with_the_same_id_and_answer(server: RunningServer,
                                                                mini_source: str) -> None:
    s = setup_session(server, mini_source)
    code, key = s["code"], s["host_key"]

    async def scenario() -> None:
        screen = await host(server.ws, code, key, "screen")
        console = await host(server.ws, code, key, "console")
        phone = await player(server.ws, code, "李雷", group="g2")
        welcome = phone.welcome or {}
        assert welcome["group"] == "g2" and welcome["token"]
        await console.request({"type": "command", "name": "start", "args": {"activity": "card-a"}})
        await phone.request({"type": "submit", "activity": "card-a", "answer": {"choice": "c"}})
        await phone.close()
        await screen.view_until(lambda v: v["counts"]["connected"] == 0)
        again = await Client.open(server.ws)
        await again.send({"type": "resume", "code": code, "token": welcome["token"]})
        w2 = await again.recv()
        assert (w2["type"], w2["player_id"], w2["group"]) == ("welcome", welcome["player_id"], "g2")
        view = await again.view_until(lambda v: v["activity"] is not None)
        assert view["activity"]["my_answer"] == {"choice": "c"}
        await screen.view_until(lambda v: v["counts"] == {"joined": 1, "connected": 1})
        forged = await Client.open(server.ws)
        err = await forged.request({"type": "resume", "code": code,
                                    "token": welcome["player_id"] + ".0000"})
        assert err["code"] == "bad_token"
        for c in (screen, console, again, forged):
            await c.close()

    asyncio.run(scenario())


def test_a_resent_id_has_no_second_effect(server: RunningServer, mini_source: str) -> None:
    s = setup_session(server, mini_source)
    code, key = s["code"], s["host_key"]

    async def scenario() -> None:
        console = await host(server.ws, code, key, "console")
        phone = await player(server.ws, code, "韩梅梅", "join-once")
        token = (phone.welcome or {})["token"]
        await console.request({"type": "command", "name": "start", "args": {"activity": "card-a"}})
        first = await phone.request({"type": "submit", "activity": "card-a", "answer": {"choice": "a"}},
                                    "answer-1")
        again = await phone.request({"type": "submit", "activity": "card-a", "answer": {"choice": "b"}},
                                    "answer-1")
        assert first == again == {"type": "ack", "id": "answer-1"}
        await phone.close()
        # The same id after a reconnect: still no second effect.
        phone = await Client.open(server.ws)
        await phone.send({"type": "resume", "code": code, "token": token})
        await phone.recv()
        assert (await phone.request({"type": "submit", "activity": "card-a",
                                     "answer": {"choice": "c"}}, "answer-1"))["type"] == "ack"
        view = await phone.view_until(lambda v: v["activity"] is not None)
        assert view["activity"]["my_answer"] == {"choice": "a"}
        # A resent join with the same id and name is the same player, with the same token.
        rejoin = await player(server.ws, code, "韩梅梅", "join-once")
        assert (rejoin.welcome or {})["token"] == token
        cv = await console.view_until(lambda v: bool(v["activity"]) and v["activity"]["submitted"] == 1)
        assert cv["counts"]["joined"] == 1
        for c in (console, phone, rejoin):
            await c.close()

    asyncio.run(scenario())
    subs = export(server, code, key)["submissions"]
    assert [(x["client_id"], x["answer"]) for x in subs] == [("answer-1", {"choice": "a"})]


def test_players_cannot_command_and_wrong_keys_are_refused(server: RunningServer,
                                                          mini_source: str) -> None:
    s = setup_session(server, mini_source)
    code, key = s["code"], s["host_key"]

    async def scenario() -> None:
        screen = await host(server.ws, code, key, "screen")
        phone = await player(server.ws, code, "王五")
        for name in ("start", "next", "reveal", "award", "lock", "end"):
            err = await phone.request({"type": "command", "name": name,
                                       "args": {"activity": "card-a", "target": "p1", "points": 5,
                                                "reason": "x"}})
            assert err["code"] == "forbidden", err
        err = await screen.request({"type": "command", "name": "next"})
        assert err["code"] == "forbidden"  # a screen only watches
        intruder = await Client.open(server.ws)
        err = await intruder.request({"type": "host", "code": code, "key": "guess", "view": "console"})
        assert err["code"] == "bad_key"
        err = await intruder.request({"type": "command", "name": "next"})
        assert err["code"] == "not_joined"
        # The connection still works once it presents the right key.
        await intruder.send({"type": "host", "code": code, "key": key, "view": "console"})
        assert (await intruder.recv())["role"] == "console"
        view = await intruder.view_until(lambda v: True)
        assert view["activity"] is None and view["session"]["phase"] == "lobby"
        for c in (screen, phone, intruder):
            await c.close()

    asyncio.run(scenario())


def test_bad_input_gets_error_codes_and_the_server_keeps_serving(server: RunningServer,
                                                                 mini_source: str) -> None:
    s = setup_session(server, mini_source)
    code, key = s["code"], s["host_key"]

    async def scenario() -> None:
        c = await Client.open(server.ws)
        cases: list[tuple[str, str]] = [
            ("not json", "bad_json"),
            ("[1, 2]", "bad_message"),
            ('{"type": "fly"}', "unknown_type"),
            ('{"type": "join", "code": "000000", "name": "x"}', "unknown_session"),
            ('{"type": "join", "code": "' + code + '"}', "bad_message"),
            ('{"type": "join", "code": "' + code + '", "name": "\\u0000\\u200b"}', "bad_name"),
            ('{"type": "host", "code": "' + code + '", "key": "k", "view": "wall"}', "bad_message"),
            ('{"type": "submit", "activity": "card-a", "answer": {}}', "not_joined"),
            ('{"type": "ping", "id": "' + "x" * 65 + '"}', "bad_id"),
        ]
        for frame, expected in cases:
            await c.ws.send(frame)
            msg = await c.until(lambda m: m["type"] == "error")
            assert msg["code"] == expected, (frame, msg)
        p = await player(server.ws, code, "赵六")
        console = await host(server.ws, code, key, "console")
        for cmd, expected in [({"name": "start", "args": {"activity": "nope"}}, "unknown_activity"),
                              ({"name": "fly"}, "unknown_command"),
                              ({"name": "expire", "args": {"activity": "card-a"}}, "unknown_command"),
                              ({"name": "start", "args": "x"}, "bad_message"),
                              ({"name": "reveal"}, "not_started")]:
            err = await console.request({"type": "command", **cmd})
            assert err["code"] == expected, (cmd, err)
        err = await p.request({"type": "submit", "activity": "card-a", "answer": {"choice": "a"}})
        assert err["code"] == "not_started"
        err = await p.request({"type": "join", "code": code, "name": "again"})
        assert err["code"] == "already_joined"
        await p.send({"type": "ping", "t": 5})
        pong = await p.until(lambda m: m["type"] == "pong")
        assert pong["t"] == 5 and pong["server_time"] > 0
        for x in (c, p, console):
            await x.close()

    asyncio.run(scenario())
    assert httpx.get(f"{server.http}/healthz").json() == {"ok": True}


def test_http_api_auth_and_validation(server: RunningServer) -> None:
    base = server.http
    assert httpx.get(f"{base}/api/decks").status_code == 401
    r = httpx.get(f"{base}/api/decks", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    with server.admin() as api:
        decks = api.get("/api/decks").json()["decks"]
        builtin = next(d for d in decks if d["id"] == "complaint-handling")
        assert builtin["locale"] == "zh-CN" and builtin["activities"][0]["kind"] == "vote"
        r = api.post("/api/decks", content=b"id: broken\ntitle: t\nactivities:\n  - id: a\n    kind: x\n")
        assert r.status_code == 422
        problem = r.json()["error"]["problems"][0]
        assert problem["line"] == 5 and "unknown kind" in problem["message"]
        assert api.post("/api/sessions", json={"deck": "nope"}).status_code == 404
        assert api.post("/api/sessions", content=b"{").status_code == 400
        assert api.get("/api/decks").json()["decks"] == decks  # refusals changed nothing
    r = httpx.get(f"{base}/api/sessions/123456/export?format=json",
                  headers={"Authorization": "Bearer x"})
    assert r.status_code == 403
    page = httpx.get(f"{base}/host/123456")
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_deadline_closes_on_the_server(server: RunningServer, mini_source: str) -> None:
    s = setup_session(server, mini_source)
    code, key = s["code"], s["host_key"]

    async def scenario() -> None:
        console = await host(server.ws, code, key, "console")
        phone = await player(server.ws, code, "计时")
        await console.request({"type": "command", "name": "start", "args": {"activity": "card-b"}})
        view = await phone.view_until(lambda v: v["activity"] is not None)
        assert view["activity"]["deadline"] is not None
        await phone.request({"type": "submit", "activity": "card-b", "answer": {"choice": "x"}})
        await phone.view_until(lambda v: v["activity"]["status"] == "closed", timeout=12)
        err = await phone.request({"type": "submit", "activity": "card-b", "answer": {"choice": "y"}})
        assert err["code"] == "closed"
        await console.close()
        await phone.close()

    asyncio.run(scenario())


def test_a_killed_server_restarts_with_every_acked_answer(tmp_path: Path, mini_source: str) -> None:
    srv = start_server(tmp_path / "data")
    try:
        s = setup_session(srv, mini_source)
        code, key = s["code"], s["host_key"]
        tokens: list[str] = []

        async def before() -> None:
            console = await host(srv.ws, code, key, "console")
            await console.request({"type": "command", "name": "start", "args": {"activity": "card-a"}})
            for i in range(5):
                p = await player(srv.ws, code, f"学员{i}")
                tokens.append((p.welcome or {})["token"])
                ack = await p.request({"type": "submit", "activity": "card-a",
                                       "answer": {"choice": "b"}}, f"k-{i}")
                assert ack["type"] == "ack"
                await p.close()
            await console.close()

        asyncio.run(before())
        srv.stop(kill=True)  # SIGKILL: no chance to flush anything
        srv = start_server(tmp_path / "data", srv.port)

        async def after() -> None:
            p = await Client.open(srv.ws)
            await p.send({"type": "resume", "code": code, "token": tokens[3]})
            assert (await p.recv())["player_id"] == "p4"
            view = await p.view_until(lambda v: v["activity"] is not None)
            assert view["activity"]["my_answer"] == {"choice": "b"}
            console = await host(srv.ws, code, key, "console")
            cv = await console.view_until(lambda v: v["activity"] is not None)
            assert cv["activity"]["submitted"] == 5 and cv["counts"]["joined"] == 5
            await p.close()
            await console.close()

        asyncio.run(after())
        assert len(export(srv, code, key)["submissions"]) == 5
        assert httpx.get(f"{srv.http}/api/sessions/{code}/export",
                         headers={"Authorization": f"Bearer {ADMIN}"}).status_code == 200
    finally:
        srv.stop()
