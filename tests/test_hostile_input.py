"""The review's protocol findings F6, F7, F8, F10, F12, F13 and the late role-play scorer,
each through a real server (one per module), real websocket clients and real HTTP.

Every case here answered with a 500, a traceback, a dropped socket or a leak on the old main.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import FIXTURES, RunningServer, start_server
from tests.wsclient import Client, host, player

KINDS = (FIXTURES / "kinds.yaml").read_bytes()
ONE_ADDRESS = {"CASEROOM_JOIN_BURST": "10000", "CASEROOM_JOIN_RATE": "1000"}


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    server = start_server(tmp_path_factory.mktemp("hostile") / "data", env=ONE_ADDRESS)
    with server.admin() as api:
        assert api.post("/api/decks", content=KINDS).status_code == 201
    yield server
    server.stop()
    assert "Traceback" not in server.log.read_text(errors="replace")


def new_session(srv: RunningServer) -> tuple[str, str]:
    with srv.admin() as api:
        s = api.post("/api/sessions", json={"deck": "kinds"}).json()
    return s["code"], s["host_key"]


async def command(console: Client, name: str, **args: Any) -> dict[str, Any]:
    return await console.request({"type": "command", "name": name, "args": args})


async def ok(console: Client, name: str, **args: Any) -> None:
    reply = await command(console, name, **args)
    assert reply["type"] == "ack", (name, reply)


async def still_open(c: Client) -> None:
    reply = await c.request({"type": "ping", "t": 1})
    assert reply["type"] == "pong"


def run(coro: Any) -> None:
    asyncio.run(coro)


# -- F6 ------------------------------------------------------------------------------------------

def test_head_on_guarded_routes_answers_like_get(srv: RunningServer) -> None:
    code, key = new_session(srv)
    paths = ["/api/decks", "/api/sessions", f"/api/sessions/{code}/export", f"/api/sessions/{code}/review",
             f"/api/sessions/{code}/replay?seq=1", f"/api/sessions/{code}/followup", "/api/cohorts?deck=kinds",
             "/api/cohorts.xlsx?deck=kinds"]
    with httpx.Client(base_url=srv.http, timeout=30) as http:
        for path in paths:
            for headers in ({}, {"Authorization": "Bearer wrong-token"}):
                head, get = http.head(path, headers=headers), http.get(path, headers=headers)
                assert head.status_code == get.status_code and head.status_code in (401, 403), (path, head)
            token = srv.admin_token if path.endswith(("decks", "sessions")) or "cohorts" in path else key
            head = http.head(path, headers={"Authorization": f"Bearer {token}"})
            assert head.status_code == 200, (path, head.status_code)


# -- F7 ------------------------------------------------------------------------------------------

def nested(depth: int, leaf: Any, as_dict: bool) -> str:
    return ('{"a":' * depth + '"x"' + "}" * depth) if as_dict else ("[" * depth + '"x"' + "]" * depth)


@pytest.mark.parametrize("as_dict", [False, True])
def test_a_type_nested_1000_deep_gets_bad_message_before_and_after_identification(
        srv: RunningServer, as_dict: bool) -> None:
    code, _key = new_session(srv)
    frame = '{"type": ' + nested(1000, "x", as_dict) + ', "id": "deep"}'

    async def scenario() -> None:
        anonymous = await Client.open(srv.ws)
        await anonymous.ws.send(frame)
        reply = await anonymous.until(lambda m: m.get("id") == "deep")
        assert (reply["type"], reply["code"]) == ("error", "bad_message")
        await still_open(anonymous)
        p = await player(srv.ws, code, "深")
        await p.ws.send(frame)
        reply = await p.until(lambda m: m.get("id") == "deep")
        assert (reply["type"], reply["code"]) == ("error", "bad_message")
        await still_open(p)
        await anonymous.close()
        await p.close()

    run(scenario())


def test_plan_item_module_list_or_object_and_act_card_object_are_refused(srv: RunningServer) -> None:
    code, key = new_session(srv)

    async def scenario() -> None:
        console = await host(srv.ws, code, key, "console")
        p = await player(srv.ws, code, "计划")
        await ok(console, "start", activity="plan")
        await p.view_until(lambda v: v["activity"] is not None and v["activity"]["status"] == "open")
        for module in ([], {}, ["m1"], {"m1": 1}):
            reply = await p.request({"type": "submit", "activity": "plan",
                                     "answer": {"items": [{"what": "复述诉求", "module": module}]}})
            assert (reply["type"], reply["code"]) == ("error", "bad_answer"), (module, reply)
        await still_open(p)
        reply = await p.request({"type": "submit", "activity": "plan",
                                 "answer": {"items": [{"what": "复述诉求", "module": "m1"}]}})
        assert reply["type"] == "ack"
        for card in ({}, {"plan": 1}, [], ["plan"], 5):
            reply = await command(console, "act", action="hide", card=card)
            assert (reply["type"], reply["code"]) == ("error", "bad_message"), (card, reply)
        await still_open(console)
        await console.close()
        await p.close()

    run(scenario())


# -- F8 ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["\u3164", "\uffa0", "\u2800", "\u3164\u3164\u3164", "\u2800 \u2800",
                                  "\u115f\u1160", "\u3164\u200b\u2800\ufe0f", "\uffa0\u3000\u180e"])
def test_names_of_invisible_characters_are_refused(srv: RunningServer, name: str) -> None:
    code, _key = new_session(srv)

    async def scenario() -> None:
        c = await Client.open(srv.ws)
        reply = await c.request({"type": "join", "code": code, "name": name})
        assert (reply["type"], reply.get("code")) == ("error", "bad_name"), reply
        await c.close()

    run(scenario())


def test_a_name_with_a_hangul_filler_inside_keeps_its_letters(srv: RunningServer) -> None:
    code, _key = new_session(srv)

    async def scenario() -> None:
        p = await player(srv.ws, code, "张\u3164伟")
        assert p.welcome is not None and p.welcome["name"] == "张 伟"
        await p.close()

    run(scenario())


# -- F13 -----------------------------------------------------------------------------------------

def test_replay_seq_takes_only_plain_digits(srv: RunningServer) -> None:
    code, key = new_session(srv)
    auth = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=srv.http, timeout=30, headers=auth) as http:
        for seq in ("²", "١", "٣", "1²", "9" * 5000, "-1", "1.5", "", " 1", "0x1", "1e3"):
            r = http.get(f"/api/sessions/{code}/replay", params={"seq": seq})
            assert r.status_code == 400 and r.json()["error"]["code"] == "bad_seq", (seq, r.status_code)
        for seq in ("0", "1", "99999"):
            assert http.get(f"/api/sessions/{code}/replay", params={"seq": seq}).status_code == 200


# -- F12 -----------------------------------------------------------------------------------------

def test_an_order_card_closed_without_reveal_keeps_its_answer_off_the_screen(srv: RunningServer) -> None:
    code, key = new_session(srv)

    async def scenario() -> None:
        console = await host(srv.ws, code, key, "console")
        screen = await host(srv.ws, code, key, "screen")
        phones = [await player(srv.ws, code, f"排{i}", group="g1") for i in range(3)]
        await ok(console, "start", activity="o-maj")
        for p in phones:
            await p.view_until(lambda v: v["activity"] is not None and v["activity"]["status"] == "open")
            reply = await p.request({"type": "submit", "activity": "o-maj",
                                     "answer": {"order": ["s1", "s2", "s3", "s4"]}})
            assert reply["type"] == "ack", reply
        await ok(console, "close")
        await ok(console, "start", activity="plan")
        view = await screen.view_until(lambda v: v["activity"] is not None and v["activity"]["id"] == "plan")
        row = next(r for r in view["activity"]["review"] if r["id"] == "o-maj")
        assert row["status"] == "closed"
        for hidden in ("recommended", "average_points", "agreement", "class_choice_count", "rationale"):
            assert hidden not in row, hidden
        assert [s["id"] for s in row["steps"]] != ["s1", "s2", "s3", "s4"]
        for c in [console, screen, *phones]:
            await c.close()

    run(scenario())


# -- F10 -----------------------------------------------------------------------------------------

def test_the_export_carries_no_join_credential(srv: RunningServer) -> None:
    code, key = new_session(srv)

    async def scenario() -> None:
        console = await host(srv.ws, code, key, "console")
        p = await player(srv.ws, code, "受害者", msg_id="join-secret-0123", group="g1")
        await ok(console, "start", activity="v-ind")
        await p.view_until(lambda v: v["activity"] is not None and v["activity"]["status"] == "open")
        assert (await p.request({"type": "submit", "activity": "v-ind", "answer": {"choice": "a"}},
                                "answer-1"))["type"] == "ack"
        record = httpx.get(f"{srv.http}/api/sessions/{code}/export",
                           headers={"Authorization": f"Bearer {key}"}, timeout=30).json()
        text = str(record)
        assert "join-secret-0123" not in text
        joined = [e for e in record["events"] if e["type"] == "player_joined"]
        assert joined and all(e["client_id"] is None and "address" not in e["data"] for e in joined)
        assert [s["client_id"] for s in record["submissions"]] == ["answer-1"]  # the contract keeps these
        await console.close()
        await p.close()

    run(scenario())


# -- late role-play scorers ----------------------------------------------------------------------

def test_a_trainee_who_joins_after_a_roleplay_started_cannot_score_it(srv: RunningServer) -> None:
    code, key = new_session(srv)

    async def scenario() -> None:
        console = await host(srv.ws, code, key, "console")
        cast = [await player(srv.ws, code, f"角色{i}", group="g1") for i in range(3)]
        await ok(console, "start", activity="rp", group="g1")
        late = await player(srv.ws, code, "后来者", group="g1")
        await ok(console, "advance")
        view = await late.view_until(lambda v: v["activity"] is not None and v["activity"]["status"] == "open"
                                     and v["activity"]["step"] != "prep")
        assert view["activity"]["observing"] is None  # no scoring form on the late phone
        reply = await late.request({"type": "submit", "activity": "rp",
                                    "answer": {"scores": {"calm": 1, "solve": 1}}})
        assert (reply["type"], reply["code"]) == ("error", "joined_late"), reply
        observer = None
        for p in cast:
            v = await p.view_until(lambda v: v["activity"] is not None and v["activity"]["step"] != "prep")
            if v["activity"]["my_role"] == "observer":
                observer = p
        assert observer is not None
        reply = await observer.request({"type": "submit", "activity": "rp",
                                        "answer": {"scores": {"calm": 4, "solve": 3}}})
        assert reply["type"] == "ack", reply
        for c in [console, late, *cast]:
            await c.close()

    run(scenario())
