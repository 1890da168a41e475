"""Results hidden until the reveal, and closing when everyone has answered, over real sockets.

A real server process, real websocket clients: the screen never carries a tally while a card
is open (unless the trainer chose live results), the console always does, and a card closes
by itself within 2 s of the last answer, also when a phone dropped and came back meanwhile.
"""

from __future__ import annotations

import asyncio
import time

from tests.conftest import RunningServer
from tests.test_protocol import setup_session
from tests.wsclient import Client, host, player


async def _cmd(console: Client, name: str, **args: object) -> None:
    reply = await console.request({"type": "command", "name": name, "args": args})
    assert reply["type"] == "ack", (name, reply)


def _open(v: dict) -> bool:  # type: ignore[type-arg]
    return bool(v["activity"]) and v["activity"]["status"] == "open"


def test_the_screen_gets_no_tally_until_the_card_closes(server: RunningServer, mini_source: str) -> None:
    s = setup_session(server, mini_source)
    code, key = s["code"], s["host_key"]

    async def scenario() -> None:
        screen = await host(server.ws, code, key, "screen")
        console = await host(server.ws, code, key, "console")
        phones = [await player(server.ws, code, f"学员{i}") for i in range(3)]
        await _cmd(console, "auto_close", on=False)  # this test closes by hand
        await _cmd(console, "start", activity="card-a")
        for i, p in enumerate(phones[:2]):
            assert (await p.request({"type": "submit", "activity": "card-a",
                                     "answer": {"choice": "ab"[i]}}))["type"] == "ack"
        view = await screen.view_until(lambda v: _open(v) and v["activity"]["submitted"] == 2)
        assert "tally" not in view["activity"] and view["activity"]["results"] == "hidden"
        cv = await console.view_until(lambda v: _open(v) and v["activity"]["submitted"] == 2)
        assert cv["activity"]["tally"] == {"a": 1, "b": 1, "c": 0}
        await _cmd(console, "results", activity="card-a", show="live")
        view = await screen.view_until(lambda v: bool(v["activity"]) and v["activity"]["results"] == "live")
        assert view["activity"]["tally"] == {"a": 1, "b": 1, "c": 0}
        await _cmd(console, "results", activity="card-a", show="hidden")
        view = await screen.view_until(lambda v: bool(v["activity"]) and v["activity"]["results"] == "hidden")
        assert "tally" not in view["activity"]
        await _cmd(console, "reveal")
        view = await screen.view_until(lambda v: bool(v["activity"]) and v["activity"]["status"] == "revealed")
        assert view["activity"]["tally"] == {"a": 1, "b": 1, "c": 0}
        reply = await console.request({"type": "command", "name": "results", "args": {"show": "loud"}})
        assert reply["type"] == "error" and reply["code"] == "bad_message"
        for c in (screen, console, *phones):
            await c.close()

    asyncio.run(scenario())


def test_a_card_closes_within_two_seconds_of_the_last_answer(server: RunningServer, mini_source: str) -> None:
    s = setup_session(server, mini_source)
    code, key = s["code"], s["host_key"]

    async def scenario() -> None:
        screen = await host(server.ws, code, key, "screen")
        console = await host(server.ws, code, key, "console")
        phones = [await player(server.ws, code, f"学员{i}") for i in range(4)]
        await _cmd(console, "start", activity="card-a")
        for p in phones[:3]:
            assert (await p.request({"type": "submit", "activity": "card-a",
                                     "answer": {"choice": "b"}}))["type"] == "ack"
        await asyncio.sleep(2.5)
        view = await screen.view_until(lambda v: _open(v) and v["activity"]["submitted"] == 3)
        assert view["activity"]["status"] == "open" and not view["activity"]["all_answered"]  # one is missing
        assert (await phones[3].request({"type": "submit", "activity": "card-a",
                                         "answer": {"choice": "a"}}))["type"] == "ack"
        last = time.monotonic()
        beat = await screen.view_until(
            lambda v: bool(v["activity"]) and (v["activity"]["all_answered"] or v["activity"]["status"] != "open"))
        assert beat["activity"]["status"] == "open" and beat["activity"]["all_answered"]  # 全部作答 first
        await screen.view_until(lambda v: bool(v["activity"]) and v["activity"]["status"] == "closed", timeout=3)
        took = time.monotonic() - last
        assert took < 2.0, took
        print(f"closed {took:.2f} s after the last answer")
        for c in (screen, console, *phones):
            await c.close()

    asyncio.run(scenario())


def test_a_phone_that_drops_and_resumes_within_fifteen_seconds_still_counts(
        server: RunningServer, mini_source: str) -> None:
    s = setup_session(server, mini_source)
    code, key = s["code"], s["host_key"]

    async def scenario() -> None:
        screen = await host(server.ws, code, key, "screen")
        console = await host(server.ws, code, key, "console")
        phones = [await player(server.ws, code, f"学员{i}") for i in range(3)]
        token = phones[2].welcome["token"]  # type: ignore[index]
        await _cmd(console, "start", activity="card-a")
        await screen.view_until(_open)
        await asyncio.sleep(15.2)  # past the grace a fresh server gives everyone at start-up
        await phones[2].close()  # Wi-Fi gone before answering
        await screen.view_until(lambda v: v["counts"]["connected"] == 2)
        for p in phones[:2]:
            assert (await p.request({"type": "submit", "activity": "card-a",
                                     "answer": {"choice": "b"}}))["type"] == "ack"
        await asyncio.sleep(3)  # every phone still online has answered; the dropped one counts
        view = await screen.view_until(lambda v: _open(v) and v["activity"]["submitted"] == 2)
        assert view["activity"]["status"] == "open" and not view["activity"]["all_answered"]
        back = await Client.open(server.ws)
        await back.send({"type": "resume", "code": code, "token": token})
        assert (await back.recv())["type"] == "welcome"
        assert (await back.request({"type": "submit", "activity": "card-a",
                                    "answer": {"choice": "c"}}))["type"] == "ack"
        last = time.monotonic()
        await screen.view_until(lambda v: bool(v["activity"]) and v["activity"]["status"] == "closed", timeout=3)
        assert time.monotonic() - last < 2.0
        view = await console.view_until(lambda v: bool(v["activity"]) and v["activity"]["status"] == "closed")
        assert view["activity"]["tally"] == {"a": 0, "b": 2, "c": 1}
        for c in (screen, console, *phones[:2], back):
            await c.close()

    asyncio.run(scenario())


def test_a_phone_gone_for_good_stops_holding_the_card_after_its_grace(
        server: RunningServer, mini_source: str) -> None:
    s = setup_session(server, mini_source)
    code, key = s["code"], s["host_key"]

    async def scenario() -> None:
        screen = await host(server.ws, code, key, "screen")
        console = await host(server.ws, code, key, "console")
        phones = [await player(server.ws, code, f"学员{i}") for i in range(2)]
        await _cmd(console, "start", activity="card-a")
        await phones[1].close()  # never comes back
        dropped = time.monotonic()
        assert (await phones[0].request({"type": "submit", "activity": "card-a",
                                         "answer": {"choice": "b"}}))["type"] == "ack"
        await screen.view_until(lambda v: bool(v["activity"]) and v["activity"]["status"] == "closed", timeout=20)
        waited = time.monotonic() - dropped
        assert 14.0 < waited < 18.0, waited  # held for the grace, then closed by itself
        for c in (screen, console, phones[0]):
            await c.close()

    asyncio.run(scenario())
