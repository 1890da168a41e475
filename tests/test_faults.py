"""Fault tests: cut connections, a killed server, a phone that stops reading, a damaged database.

Real server processes on loopback, real websocket phones (bench/phones.py, which
resend unacknowledged messages with their original ids, as the phone page does),
every wait bounded.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from bench.phones import Phone
from tests.conftest import FIXTURES, RunningServer, start_server
from tests.wsclient import host

FAULTS_DECK = (FIXTURES / "faults.yaml").read_bytes()
# Every test phone comes from 127.0.0.1: lift the per-address join limit, as an event behind one NAT would.
ONE_ADDRESS = {"CASEROOM_JOIN_BURST": "10000", "CASEROOM_JOIN_RATE": "1000"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    srv = start_server(tmp_path / "data", env=ONE_ADDRESS)
    yield srv
    srv.stop()


def new_session(srv: RunningServer) -> tuple[str, str]:
    with srv.admin() as api:
        assert api.post("/api/decks", content=FAULTS_DECK).status_code in (201, 409)
        s = api.post("/api/sessions", json={"deck": "faults"}).json()
    return s["code"], s["host_key"]


def export(srv: RunningServer, code: str, key: str) -> dict[str, Any]:
    return httpx.get(f"{srv.http}/api/sessions/{code}/export", headers={"Authorization": f"Bearer {key}"},
                     timeout=30).json()  # type: ignore[no-any-return]


async def start(srv: RunningServer, code: str, key: str, activity: str) -> None:
    console = await host(srv.ws, code, key, "console")
    # These tests vote twice and count on the card staying open: no closing when everyone has
    # answered, and live results, so the screen's tally can be checked while the card is open.
    for name, args in (("auto_close", {"on": False}), ("results", {"show": "live"})):
        assert (await console.request({"type": "command", "name": name, "args": args}))["type"] == "ack"
    reply = await console.request({"type": "command", "name": "start", "args": {"activity": activity}})
    assert reply["type"] == "ack", reply
    await console.close()


def check_record(record: dict[str, Any], phones: list[Phone], activity: str) -> None:
    """Every acked answer is in the export exactly once, and the tally is the last acked answers."""
    subs = [s for s in record["submissions"] if s["activity"] == activity]
    ids = Counter((s["player_id"], s["client_id"]) for s in subs)
    assert max(ids.values()) == 1, "an answer was stored twice"
    for phone in phones:
        for msg_id in phone.acked:
            assert ids[(phone.player_id, msg_id)] == 1, (phone.name, msg_id)


def test_cut_connections_lose_nothing(server: RunningServer) -> None:
    """(a) 200 phones vote twice while 30% of them lose their connection at random moments."""
    code, key = new_session(server)
    rng = random.Random(7)

    async def scenario() -> None:
        phones = [Phone(server.ws, code, f"p{i:03d}") for i in range(200)]
        for chunk in range(0, 200, 50):
            await asyncio.gather(*(p.connect() for p in phones[chunk:chunk + 50]))
        await start(server, code, key, "open")
        for p in phones:
            await p.wait_view(lambda v: v["activity"] is not None)
        until = time.monotonic() + 25
        keepers = [asyncio.create_task(p.keep_connected(until)) for p in phones]
        victims = rng.sample(phones, 60)

        async def chaos() -> None:
            for p in victims:
                await asyncio.sleep(rng.uniform(0, 0.01))
                p.cut()

        last: dict[str, str] = {}  # phone name -> the answer it made last

        async def vote(p: Phone) -> None:
            for _ in range(2):
                await asyncio.sleep(rng.uniform(0, 0.5))
                last[p.name] = rng.choice("abc")
                await p.submit("open", {"choice": last[p.name]})

        await asyncio.gather(chaos(), *(vote(p) for p in phones))
        await asyncio.gather(*(p.wait_acked(20) for p in phones))
        assert sum(p.reconnects for p in victims) >= 60
        screen = await host(server.ws, code, key, "screen")
        view = await screen.view_until(lambda v: v["activity"]["submitted"] == 200)
        # The tally is each phone's last answer (resends go out in order, before anything newer),
        # and the record agrees on which answer counted.
        made = Counter(last.values())
        assert view["activity"]["tally"] == {c: made.get(c, 0) for c in "abc"}
        record = export(server, code, key)
        counted = Counter(s["answer"]["choice"] for s in record["submissions"]
                          if s["activity"] == "open" and s["counted"])
        assert counted == made
        await screen.close()
        for task in keepers:
            task.cancel()
        await asyncio.gather(*keepers, return_exceptions=True)
        await asyncio.gather(*(p.close() for p in phones))
        check_record(export(server, code, key), phones, "open")

    asyncio.run(scenario())


def test_a_killed_server_keeps_every_acked_answer_and_the_deadline(tmp_path: Path) -> None:
    """(b) SIGKILL mid-vote, restart on the same data: answers, identities and the deadline hold."""
    srv = start_server(tmp_path / "data", env=ONE_ADDRESS)
    code, key = new_session(srv)

    async def scenario() -> None:
        nonlocal srv
        phones = [Phone(srv.ws, code, f"k{i:02d}") for i in range(40)]
        await asyncio.gather(*(p.connect() for p in phones))
        await start(srv, code, key, "timed")
        views = [await p.wait_view(lambda v: v["activity"] is not None) for p in phones]
        deadline = views[0]["activity"]["deadline"]
        ids = {p.name: p.player_id for p in phones}
        for p in phones[:20]:
            await p.submit("timed", {"choice": "a"})
        await asyncio.gather(*(p.wait_acked(10) for p in phones[:20]))
        for p in phones[20:]:
            await p.submit("timed", {"choice": "b"})  # in flight when the server dies
        srv.stop(kill=True)
        srv = start_server(tmp_path / "data", srv.port, env=ONE_ADDRESS)
        until = time.monotonic() + 20
        keepers = [asyncio.create_task(p.keep_connected(until)) for p in phones]
        await asyncio.gather(*(p.wait_acked(15) for p in phones))
        # Every phone back, not only those that had answers to resend: a phone with nothing
        # unacked may still be reconnecting (from one address, resumes are rate-limited), and a
        # keeper cancelled then leaves it offline, its late answer below never sent.
        await asyncio.gather(*(p.wait_connected(15) for p in phones))
        for task in keepers:
            task.cancel()
        await asyncio.gather(*keepers, return_exceptions=True)
        assert {p.name: p.player_id for p in phones} == ids
        view = await phones[0].wait_view(lambda v: v["activity"] is not None)
        assert view["activity"]["deadline"] == deadline
        screen = await host(srv.ws, code, key, "screen")
        v = await screen.view_until(lambda v: v["activity"]["submitted"] == 40)
        assert v["activity"]["tally"] == {"a": 20, "b": 20}
        # The deadline still holds after the restart: the card closes on time, then refuses answers.
        wait = max(0.0, deadline / 1000 - time.time()) + 5
        await screen.view_until(lambda v: v["activity"]["status"] == "closed", timeout=wait)
        late = await phones[0].submit("timed", {"choice": "b"})
        await phones[0].wait_acked(5)
        assert any(e.get("id") == late and e["code"] == "closed" for e in phones[0].errors)
        await screen.close()
        await asyncio.gather(*(p.close() for p in phones))
        check_record(export(srv, code, key), phones, "timed")

    try:
        asyncio.run(scenario())
    finally:
        srv.stop()


def test_a_phone_that_stops_reading_delays_nobody(server: RunningServer) -> None:
    """(c) A client that stops reading for 30 s while 100 others vote: their acks are not held up."""
    code, key = new_session(server)

    async def scenario() -> None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", server.port))
        stuck = await connect(server.ws, sock=sock, max_queue=1, compression=None)
        await stuck.send(json.dumps({"type": "host", "code": code, "key": key, "view": "screen"}))
        await stuck.recv()  # welcome; from now on it reads nothing
        phones = [Phone(server.ws, code, f"r{i:03d}") for i in range(100)]
        await asyncio.gather(*(p.connect() for p in phones))
        await start(server, code, key, "open")
        began = time.monotonic()
        for round_no in range(30):  # 30 s of voting, 100 phones each second
            await asyncio.gather(*(p.submit("open", {"choice": "abc"[(i + round_no) % 3]})
                                   for i, p in enumerate(phones)))
            await asyncio.gather(*(p.wait_acked(5) for p in phones))
            await asyncio.sleep(max(0.0, began + round_no + 1 - time.monotonic()))
        worst = max(t for p in phones for t in p.ack_times.values())
        assert worst < 5, f"an ack took {worst:.2f} s"  # bounded by wait_acked anyway; recorded for the note
        # The stuck screen gets only the newest view once it reads again (or was dropped as stuck).
        received = 0
        try:
            while True:
                await asyncio.wait_for(stuck.recv(), 1)
                received += 1
        except Exception:  # closed for being stuck, or simply no more frames
            pass
        assert received < 30 * 100, "updates were queued for the stuck client instead of coalesced"
        await asyncio.gather(*(p.close() for p in phones))

    asyncio.run(scenario())


def test_a_damaged_last_write_is_detected_and_the_session_opens(tmp_path: Path) -> None:
    """(d) A truncated WAL tail and a corrupted last event: the session opens with what came before."""
    srv = start_server(tmp_path / "data")
    code, key = new_session(srv)

    async def play(n: int) -> list[Phone]:
        phones = [Phone(srv.ws, code, f"d{n}-{i}") for i in range(5)]
        await asyncio.gather(*(p.connect() for p in phones))
        return phones

    async def scenario() -> None:
        phones = await play(0)
        await start(srv, code, key, "open")
        for p in phones:
            await p.submit("open", {"choice": "a"})
            await p.wait_acked(5)
        await asyncio.gather(*(p.close() for p in phones))

    asyncio.run(scenario())
    srv.stop(kill=True)
    db = srv.data / "caseroom.db"
    wal = Path(str(db) + "-wal")
    # 1. cut the last bytes off the write-ahead log: SQLite's frame checksums drop the torn commit.
    if wal.exists() and wal.stat().st_size > 100:
        with wal.open("r+b") as fh:
            fh.truncate(wal.stat().st_size - 50)
    con = sqlite3.connect(db)
    last = con.execute("select max(seq) from events where session_code=?", (code,)).fetchone()[0]
    # 2. garble the newest event that survived, as a bad sector would.
    con.execute("update events set data='{\"activity\": ' where session_code=? and seq=?", (code, last))
    con.commit()
    con.close()
    srv = start_server(tmp_path / "data", srv.port)
    try:
        record = export(srv, code, key)
        assert record["events"][-1]["seq"] == last - 1
        assert [e["seq"] for e in record["events"]] == list(range(1, last))
        assert "is unreadable" in srv.log.read_text()

        async def after() -> None:
            console = await host(srv.ws, code, key, "console")
            view = await console.view_until(lambda v: True)
            assert view["activity"]["id"] == "open"
            phone = Phone(srv.ws, code, "late")
            await phone.connect()
            await phone.submit("open", {"choice": "b"})
            await phone.wait_acked(5)  # new events follow the damaged tail, which was set aside
            await phone.close()
            await console.close()

        asyncio.run(after())
    finally:
        srv.stop()


def test_sigterm_drains_tells_phones_to_reconnect_and_restart_restores(tmp_path: Path) -> None:
    """Graceful shutdown: SIGTERM closes sockets with 1012 (restart: come back), and the next
    start says how many live sessions it restored."""
    srv = start_server(tmp_path / "data", env=ONE_ADDRESS)
    code, key = new_session(srv)

    async def before() -> int | None:
        phone = Phone(srv.ws, code, "优雅")
        await phone.connect()
        await start(srv, code, key, "open")
        await phone.submit("open", {"choice": "a"})
        await phone.wait_acked(5)
        assert phone.ws is not None
        srv.proc.terminate()
        assert phone._reader is not None
        await asyncio.wait_for(phone._reader, 30)  # the reader ends when the server closes the socket
        return phone.ws.close_code

    assert asyncio.run(before()) == 1012
    srv.proc.wait(timeout=30)  # uvicorn re-raises SIGTERM once it has shut down cleanly
    assert "caseroom stopped" in srv.log.read_text()  # the lifespan drained the committer first
    again = start_server(tmp_path / "data", srv.port, env=ONE_ADDRESS)
    try:
        deadline = time.monotonic() + 10
        while "restored 1 live session(s)" not in again.log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "restored 1 live session(s)" in again.log.read_text()
        assert len(export(again, code, key)["submissions"]) == 1
    finally:
        again.stop()
