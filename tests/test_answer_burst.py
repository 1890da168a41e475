"""What an answer costs the server: the view its ack made redundant comes with the next change.

A real server process and real websocket clients. After a phone's own answer the server
acks it (the answer is stored) and holds back the phone's new view, which would only say the
same, until something the phone sees changes or at most ``OWED_AT_MOST`` seconds; a player on
a second device gets it at once (that device has no ack to go by). The writes of such small
batches go straight into SQLite on the event loop; its checkpoints copy them into the
database file (see ``tests/test_store.py`` for the store's side).
"""

from __future__ import annotations

import asyncio
import time

import pytest

from server.rooms import OWED_AT_MOST
from sessions.commit import CHECKPOINT_QUIET_S
from tests.conftest import RunningServer
from tests.test_protocol import setup_session
from tests.test_reveal_protocol import _cmd
from tests.wsclient import Client, host, player


async def _quiet(client: Client, seconds: float) -> list[dict]:  # type: ignore[type-arg]
    """Every frame the client gets within ``seconds`` (none expected)."""
    got = []
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        try:
            got.append(await client.recv(timeout=left))
        except TimeoutError:
            break
    return got


def _answered(choice: str):  # type: ignore[no-untyped-def]
    return lambda v: bool(v["activity"]) and v["activity"].get("my_answer") == {"choice": choice}


def test_the_answering_phone_gets_its_view_with_the_next_change(server: RunningServer, mini_source: str) -> None:
    s = setup_session(server, mini_source)
    code, key = s["code"], s["host_key"]

    async def scenario() -> None:
        console = await host(server.ws, code, key, "console")
        phone = await player(server.ws, code, "甲")
        other = await player(server.ws, code, "乙")
        await _cmd(console, "auto_close", on=False)
        await _cmd(console, "start", activity="card-a")
        await phone.view_until(lambda v: bool(v["activity"]) and v["activity"]["status"] == "open")
        reply = await phone.request({"type": "submit", "activity": "card-a", "answer": {"choice": "b"}})
        assert reply["type"] == "ack"
        assert not _answered("b")(phone.view), "the view came with the ack"
        held = await _quiet(phone, 1.0)
        assert [m for m in held if m["type"] == "state"] == [], "the view after the ack was not held back"
        await console.view_until(lambda v: bool(v["activity"]) and v["activity"]["submitted"] == 1)
        await _cmd(console, "close")  # the next change: the held view comes with it, whole
        view = await phone.view_until(lambda v: v["activity"]["status"] == "closed", timeout=2)
        assert view["activity"]["my_answer"] == {"choice": "b"}

        # Nothing else changes: the held view comes by itself, at most OWED_AT_MOST later.
        await _cmd(console, "start", activity="card-c")
        await phone.view_until(lambda v: bool(v["activity"]) and v["activity"]["id"] == "card-c")
        choice = "q"
        reply = await phone.request({"type": "submit", "activity": "card-c", "answer": {"choice": choice}})
        acked = time.monotonic()
        assert reply["type"] == "ack"
        await phone.view_until(_answered(choice), timeout=OWED_AT_MOST + 2)
        waited = time.monotonic() - acked
        assert 0.5 < waited < OWED_AT_MOST + 1, waited

        # The same player on a second device: both see the answer at once.
        second = await Client.open(server.ws)
        await second.send({"type": "resume", "code": code, "token": other.welcome["token"]})  # type: ignore[index]
        assert (await second.recv())["type"] == "welcome"
        await second.view_until(lambda v: bool(v["activity"]) and v["activity"]["id"] == "card-c")
        reply = await other.request({"type": "submit", "activity": "card-c", "answer": {"choice": choice}})
        assert reply["type"] == "ack"
        await second.view_until(_answered(choice), timeout=1.0)
        await other.view_until(_answered(choice), timeout=1.0)
        for c in (console, phone, other, second):
            await c.close()

    asyncio.run(scenario())


@pytest.mark.parametrize("phones", [40])
def test_a_burst_is_acked_and_every_view_ends_up_whole(server: RunningServer, mini_source: str,
                                                      phones: int) -> None:
    """Every answer of a burst is acked and stored; when the card closes by itself every phone's
    view carries its own answer and the screen's count is complete."""
    s = setup_session(server, mini_source)
    code, key = s["code"], s["host_key"]

    async def scenario() -> None:
        screen = await host(server.ws, code, key, "screen")
        console = await host(server.ws, code, key, "console")
        clients = [await player(server.ws, code, f"学员{i}") for i in range(phones)]
        await _cmd(console, "start", activity="card-a")
        for c in clients:
            await c.view_until(lambda v: bool(v["activity"]) and v["activity"]["status"] == "open")
        replies = await asyncio.gather(*(c.request({"type": "submit", "activity": "card-a",
                                                    "answer": {"choice": "abc"[i % 3]}})
                                         for i, c in enumerate(clients)))
        assert all(r["type"] == "ack" for r in replies)
        await screen.view_until(lambda v: bool(v["activity"]) and v["activity"]["submitted"] == phones)
        for i, c in enumerate(clients):  # auto-close: 全部作答, then closed
            view = await c.view_until(lambda v: v["activity"]["status"] == "closed", timeout=5)
            assert view["activity"]["my_answer"] == {"choice": "abc"[i % 3]}
        for c in (screen, console, *clients):
            await c.close()

    asyncio.run(scenario())
    with server.admin() as api:
        record = api.get(f"/api/sessions/{code}/export?format=json",
                         headers={"Authorization": f"Bearer {s['host_key']}"}).json()
    counted = [x for x in record["submissions"] if x["activity"] == "card-a" and x["counted"]]
    assert len(counted) == phones


def test_the_writes_reach_the_database_file_once_the_room_is_quiet(server: RunningServer, mini_source: str) -> None:
    """Small batches go to SQLite's WAL on the event loop; the checkpoint that copies them into
    the database file waits for a quiet moment (``CHECKPOINT_QUIET_S``), not for a count."""
    s = setup_session(server, mini_source)
    db = server.data / "caseroom.db"
    name = "检查点Zq7"

    async def scenario() -> None:
        phone = await player(server.ws, s["code"], name)
        assert name.encode() not in db.read_bytes(), "in the database file before any checkpoint"
        deadline = time.monotonic() + CHECKPOINT_QUIET_S + 5
        while name.encode() not in db.read_bytes():
            assert time.monotonic() < deadline, "the quiet checkpoint never came"
            await asyncio.sleep(0.1)
        await phone.close()

    asyncio.run(scenario())


def test_answers_sent_without_waiting_are_acked_in_order_and_the_last_counts(server: RunningServer,
                                                                             mini_source: str) -> None:
    """A client that pipelines its answers (no wait for each ack): every one is answered, in the
    order sent, a refused one among them gets its error in its place, and the last answer counts."""
    s = setup_session(server, mini_source)
    code, key = s["code"], s["host_key"]

    async def scenario() -> None:
        console = await host(server.ws, code, key, "console")
        phone = await player(server.ws, code, "流水线")
        await _cmd(console, "auto_close", on=False)
        await _cmd(console, "start", activity="card-a")
        await phone.view_until(lambda v: bool(v["activity"]) and v["activity"]["status"] == "open")
        choices = ["a", "b", "c", "zz", "b", "a", "c", "b", "a", "c", "b", "a", "c", "b", "c", "a", "b", "c", "a", "b"]
        for i, choice in enumerate(choices):
            await phone.send({"type": "submit", "id": f"p{i}", "activity": "card-a", "answer": {"choice": choice}})
        replies = []
        while len(replies) < len(choices):
            msg = await phone.recv()
            if msg["type"] in ("ack", "error"):
                replies.append(msg)
        assert [m["id"] for m in replies] == [f"p{i}" for i in range(len(choices))]
        assert [m["type"] for m in replies] == ["error" if c == "zz" else "ack" for c in choices]
        await _cmd(console, "close")
        view = await phone.view_until(lambda v: v["activity"]["status"] == "closed")
        assert view["activity"]["my_answer"] == {"choice": choices[-1]}
        await phone.close()
        await console.close()

    asyncio.run(scenario())


def test_a_ping_behind_a_command_is_answered_after_it(server: RunningServer, mini_source: str) -> None:
    """Pings and answers are handled as their frames arrive (``Connection._handle_now``), but
    never ahead of an earlier message the reader is still busy with: a console's command is
    acked before the pong of the ping sent right behind it, whatever the moment it comes."""
    s = setup_session(server, mini_source)

    async def scenario() -> None:
        console = await host(server.ws, s["code"], s["host_key"], "console")
        order: list[str] = []
        for i in range(40):
            await console.send({"type": "command", "id": f"c{i}", "name": "auto_close", "args": {"on": i % 2 == 0}})
            await asyncio.sleep((i % 8) * 0.0002)  # (behind it in the same read, or while it is committed)
            await console.send({"type": "ping", "id": f"p{i}", "t": i})
            while len(order) < 2 * (i + 1):
                msg = await console.recv()
                if msg["type"] in ("ack", "pong", "error"):
                    order.append(msg["id"])
        assert order == [x for i in range(40) for x in (f"c{i}", f"p{i}")]
        await console.close()

    asyncio.run(scenario())
