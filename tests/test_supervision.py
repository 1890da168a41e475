"""No single fault stops a class: faults planted in a real server, other sessions keep committing.

A real ``caseroom serve`` (through ``tests/faultserve.py``, which wraps real code with faults
armed by markers sent over the real protocol) on a free port, real websocket clients, a real
SQLite file. Each test raises inside one session's work (a view render, a kind's apply, the
store, the committer task itself) while another session's phones keep answering, and checks
that every answer of the other session is acked and stored, that the fault is logged with the
session code and the seq, and that ``/healthz`` tells the truth.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.conftest import FIXTURES, RunningServer, start_server
from tests.wsclient import Client
from tests.wsclient import host as _host
from tests.wsclient import player as _player

OPEN: list[Client] = []  # every client a scenario opened, closed at its end


async def host(url: str, code: str, key: str, view: str) -> Client:
    OPEN.append(c := await _host(url, code, key, view))
    return c


async def player(url: str, code: str, name: str) -> Client:
    OPEN.append(c := await _player(url, code, name))
    return c


async def opened(url: str) -> Client:
    OPEN.append(c := await Client.open(url))
    return c


def run(scenario: Any) -> None:
    async def main() -> None:
        try:
            await scenario()
        finally:
            while OPEN:
                with contextlib.suppress(Exception):
                    await OPEN.pop().close()

    asyncio.run(main())

ONE_ADDRESS = {"CASEROOM_JOIN_BURST": "10000", "CASEROOM_JOIN_RATE": "1000"}
DECK = """\
id: boom
title: 故障注入
activities:
  - id: q
    kind: vote
    title: 投票
    card: {situation: 选一个。}
    options:
      - {id: a, text: 甲, rating: best}
      - {id: b, text: 乙, rating: poor}
      - {id: boom, text: 炸, rating: poor}
    rationale: 甲。
""".encode()


@pytest.fixture
def faulty(tmp_path: Path) -> Iterator[RunningServer]:
    srv = start_server(tmp_path / "data", env=ONE_ADDRESS, module="tests.faultserve")
    yield srv
    srv.stop()


def new_session(srv: RunningServer, deck: bytes = DECK, deck_id: str = "boom") -> tuple[str, str]:
    with srv.admin() as api:
        assert api.post("/api/decks", content=deck).status_code in (201, 409)
        s = api.post("/api/sessions", json={"deck": deck_id}).json()
    return s["code"], s["host_key"]


def export(srv: RunningServer, code: str, key: str) -> dict[str, Any]:
    return httpx.get(f"{srv.http}/api/sessions/{code}/export", headers={"Authorization": f"Bearer {key}"},
                     timeout=30).json()  # type: ignore[no-any-return]


async def started(srv: RunningServer, deck_id: str = "boom", activity: str = "q") -> tuple[str, str, Client]:
    code, key = new_session(srv)
    console = await host(srv.ws, code, key, "console")
    reply = await console.request({"type": "command", "name": "start", "args": {"activity": activity}})
    assert reply["type"] == "ack", reply
    return code, key, console


class Class:
    """A live class in another session: phones that answer over and over, every answer awaited."""

    def __init__(self, srv: RunningServer, code: str, phones: list[Client]) -> None:
        self.srv, self.code, self.phones = srv, code, phones
        self.acked: list[tuple[str, str]] = []  # (player id, message id)
        self.failed: list[Any] = []

    @classmethod
    async def open(cls, srv: RunningServer, code: str, n: int = 6) -> Class:
        phones = [await player(srv.ws, code, f"学员{i}") for i in range(n)]
        return cls(srv, code, phones)

    async def answer(self, rounds: int) -> None:
        async def one(p: Client, i: int) -> None:
            msg_id = uuid.uuid4().hex
            reply = await p.request({"type": "submit", "activity": "q", "answer": {"choice": "ab"[i % 2]}},
                                    msg_id)
            if reply["type"] == "ack":
                assert p.welcome is not None
                self.acked.append((p.welcome["player_id"], msg_id))
            else:
                self.failed.append(reply)

        for i in range(rounds):
            await asyncio.gather(*(one(p, i) for p in self.phones))

    def check_stored(self, key: str) -> None:
        assert not self.failed, self.failed
        record = export(self.srv, self.code, key)
        stored = {(s["player_id"], s["client_id"]) for s in record["submissions"]}
        assert set(self.acked) <= stored
        assert len(self.acked) > 0

    async def close(self) -> None:
        for p in self.phones:
            await p.close()


async def closed_with(c: Client, timeout: float = 10) -> int | None:
    """Read until the server closes the connection; its close code."""
    with contextlib.suppress(ConnectionClosed):
        while True:
            await c.recv(timeout)
    return c.ws.close_code


def healthz(srv: RunningServer) -> int:
    return httpx.get(f"{srv.http}/healthz", timeout=5).status_code


def test_a_view_that_fails_to_render_closes_only_its_connection(faulty: RunningServer) -> None:
    async def scenario() -> None:
        code_a, key_a, _ca = await started(faulty)
        code_b, _key_b, console_b = await started(faulty)
        klass = await Class.open(faulty, code_a)
        neighbour = await player(faulty.ws, code_b, "同组")
        victim = await opened(faulty.ws)
        await victim.send({"type": "join", "code": code_b, "name": "boom-view", "id": "j1"})
        answering = asyncio.create_task(klass.answer(5))
        assert await closed_with(victim) == 1011
        await answering
        # The other phone of that same session still gets views and acks.
        reply = await neighbour.request({"type": "submit", "activity": "q", "answer": {"choice": "a"}})
        assert reply["type"] == "ack"
        reply = await console_b.request({"type": "command", "name": "lock"})
        assert reply["type"] == "ack"
        klass.check_stored(key_a)
        assert healthz(faulty) == 200
        await klass.close()

    run(scenario)
    log = faulty.log.read_text(errors="replace")
    assert "rendering the player view of" in log and "planted fault: player view" in log


def test_a_kind_apply_that_raises_fails_that_command_and_rebuilds_that_session(faulty: RunningServer) -> None:
    async def scenario() -> None:
        code_a, key_a, _ca = await started(faulty)
        code_b, key_b, console_b = await started(faulty)
        klass = await Class.open(faulty, code_a)
        troll = await player(faulty.ws, code_b, "捣乱")
        honest = await player(faulty.ws, code_b, "老实")
        first = await troll.request({"type": "submit", "activity": "q", "answer": {"choice": "a"}})
        assert first["type"] == "ack"

        async def boom() -> list[dict[str, Any]]:
            out = []
            for _ in range(5):
                out.append(await troll.request({"type": "submit", "activity": "q", "answer": {"choice": "boom"}}))
            return out

        booms, _ = await asyncio.gather(boom(), klass.answer(5))
        assert {r["type"] for r in booms} == {"error"}, booms
        assert {r["code"] for r in booms} == {"internal_error"}
        # Same socket, same session: the troll's socket stays, the session works and its tally
        # was rebuilt from the store (the half-applied "boom" answers left nothing behind).
        reply = await honest.request({"type": "submit", "activity": "q", "answer": {"choice": "b"}})
        assert reply["type"] == "ack"
        view = await console_b.view_until(lambda v: v["activity"] is not None and v["activity"]["submitted"] == 2)
        assert view["activity"]["tally"] == {"a": 1, "b": 1, "boom": 0}
        record = export(faulty, code_b, key_b)
        assert sorted(s["answer"]["choice"] for s in record["submissions"]) == ["a", "b"]
        klass.check_stored(key_a)
        assert healthz(faulty) == 200
        await klass.close()

    run(scenario)
    log = faulty.log.read_text(errors="replace")
    assert "applying answer_submitted at seq" in log and "rebuilding it from the store" in log


def test_a_store_fault_fails_only_that_session_commands(faulty: RunningServer) -> None:
    async def scenario() -> None:
        code_a, key_a, _ca = await started(faulty)
        code_b, key_b, console_b = await started(faulty)
        klass = await Class.open(faulty, code_a)

        async def poisoned_joins() -> list[int | None]:
            codes = []
            for _ in range(5):
                c = await opened(faulty.ws)
                await c.send({"type": "join", "code": code_b, "name": "boom-store", "id": uuid.uuid4().hex})
                codes.append(await closed_with(c))
            return codes

        codes, _ = await asyncio.gather(poisoned_joins(), klass.answer(8))
        assert set(codes) == {1011}  # a store fault: the phone reconnects and sends it again
        # The poisoned session itself still commits what the store takes.
        later = await player(faulty.ws, code_b, "后来的")
        assert later.welcome is not None
        reply = await console_b.request({"type": "command", "name": "lock"})
        assert reply["type"] == "ack"
        names = [p["name"] for p in export(faulty, code_b, key_b)["participants"]]
        assert names == ["后来的"]
        klass.check_stored(key_a)
        assert healthz(faulty) == 200
        await klass.close()

    run(scenario)
    assert "planted fault: store" in faulty.log.read_text(errors="replace")


def test_a_dead_committer_is_reported_and_restarted(faulty: RunningServer) -> None:
    async def scenario() -> None:
        code_a, key_a, _ca = await started(faulty)
        klass = await Class.open(faulty, code_a)
        c = await opened(faulty.ws)
        await c.send({"type": "join", "code": code_a, "name": "boom-die", "id": "die"})
        seen_503 = False
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not seen_503:
            seen_503 = await asyncio.to_thread(healthz, faulty) == 503
        assert seen_503, "healthz never said the committer was down"
        reply = await c.until(lambda m: m.get("id") == "die")
        assert reply["type"] == "error" and reply["code"] == "internal_error"
        deadline = time.monotonic() + 10
        while await asyncio.to_thread(healthz, faulty) != 200:
            assert time.monotonic() < deadline, "the committer was not restarted"
            await asyncio.sleep(0.05)
        await klass.answer(3)
        klass.check_stored(key_a)
        await klass.close()

    run(scenario)
    log = faulty.log.read_text(errors="replace")
    assert "committer died; restarting it" in log and "restarting committer" in log


def test_a_committer_that_keeps_dying_makes_the_process_exit_non_zero(tmp_path: Path) -> None:
    srv = start_server(tmp_path / "data", env={**ONE_ADDRESS, "CASEROOM_TEST_DIE_ALWAYS": "1"},
                       module="tests.faultserve")
    try:
        code, _key = new_session(srv)

        async def die() -> None:
            c = await opened(srv.ws)
            await c.send({"type": "join", "code": code, "name": "boom-die", "id": "die"})
            with contextlib.suppress(Exception):
                await c.until(lambda m: m.get("id") == "die", timeout=5)

        run(die)
        rc = srv.proc.wait(timeout=60)  # five restarts, 0.5 + 1 + 2 + 4 + 5 s apart
        assert rc == 70
        log = srv.log.read_text(errors="replace")
        assert "giving up" in log
    finally:
        srv.stop(kill=True)


KINDS_DECK = (FIXTURES / "kinds.yaml").read_bytes()


def test_kick_during_a_burst_of_commits_keeps_the_server_committing(faulty: RunningServer) -> None:
    """The review's t_kick_race (F1): 8 consoles pipeline awards while another kicks the players
    one by one; the kicked phones' lingering connections ask for views while commits are on the
    disk. Afterwards a fresh session still commits within 5 s."""
    code, key = new_session(faulty, KINDS_DECK, "kinds")

    async def scenario() -> None:
        kicker = await host(faulty.ws, code, key, "console")
        players = [await player(faulty.ws, code, f"troll{i}") for i in range(20)]
        consoles = [await host(faulty.ws, code, key, "console") for _ in range(8)]

        async def read(c: Client) -> None:
            with contextlib.suppress(Exception):
                while True:
                    await c.recv(30)

        readers = [asyncio.create_task(read(c)) for c in players + consoles]
        stop = time.monotonic() + 4

        async def award(c: Client) -> None:
            while time.monotonic() < stop:
                await c.send({"type": "command", "id": uuid.uuid4().hex, "name": "award",
                              "args": {"target": "g1", "points": 1, "reason": "x"}})
                await asyncio.sleep(0.04)

        async def kick() -> list[str]:
            out = []
            for p in players:
                if time.monotonic() >= stop:
                    break
                assert p.welcome is not None
                r = await kicker.request({"type": "command", "name": "kick",
                                          "args": {"player": p.welcome["player_id"]}})
                out.append(r["type"])
                await asyncio.sleep(0.1)
            return out

        results = await asyncio.gather(kick(), *(award(c) for c in consoles))
        assert set(results[0]) == {"ack"}
        fresh_code, fresh_key = new_session(faulty, KINDS_DECK, "kinds")
        fresh = await host(faulty.ws, fresh_code, fresh_key, "console")
        reply = await asyncio.wait_for(fresh.request({"type": "command", "name": "lock"}), 5)
        assert reply["type"] == "ack"
        newbie = await player(faulty.ws, code, "newbie")
        assert newbie.welcome is not None
        for r in readers:
            r.cancel()

    run(scenario)
    assert healthz(faulty) == 200
    assert "Traceback" not in faulty.log.read_text(errors="replace")


def test_in_one_batch_an_apply_fault_fails_only_that_session(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Deterministic: one batch holding commands of two sessions, one of which raises in the
    vote kind's apply. The other session's commands are stored and resolved; the faulty
    session's commands of the batch (also those before the fault) fail and its state is rebuilt
    from the store (a real SQLite file)."""
    import tests.faultserve
    from games.decks import parse_deck
    from sessions.commit import Committer
    from sessions.core import Command
    from sessions.errors import Refused
    from sessions.hub import LocalHub
    from sessions.live import Sessions
    from sessions.store import open_store

    tests.faultserve.plant(monkeypatch.setattr)
    store = open_store(f"sqlite:///{tmp_path}/batch.db")
    deck = parse_deck(DECK, "boom")
    sessions = Sessions(store, LocalHub(), {"boom": deck}.get)
    good, bad = (sessions.create(deck, t, c, "h", 1) for t, c in (("good", "111111"), ("bad", "222222")))
    for live in (good, bad):
        for cmd in (Command("join", "join", {"name": "甲"}, "j1"), Command("join", "join", {"name": "乙"}, "j2"),
                    Command("start", "host", {"activity": "q"}, "s")):
            live.execute(cmd, 2)

    async def batch() -> list[Any]:
        committer = Committer(store, lambda: 3)
        committer.start()
        futures = [committer.run(live, Command("submit", pid, {"activity": "q", "answer": {"choice": choice}},
                                               f"{live.code}-{pid}-{choice}"))
                   for live, pid, choice in ((good, "p1", "a"), (bad, "p1", "a"), (good, "p2", "b"),
                                             (bad, "p2", "boom"), (bad, "p1", "b"), (good, "p1", "b"))]
        out = await asyncio.wait_for(asyncio.gather(*futures, return_exceptions=True), 10)
        await committer.close()
        return out

    results = asyncio.run(batch())
    kinds = [type(r).__name__ for r in results]
    assert kinds == ["Outcome", "Refused", "Outcome", "Refused", "Refused", "Outcome"], results
    assert all(r.code == "internal_error" for r in results if isinstance(r, Refused))
    stored = [(e.actor, e.data["answer"]["choice"]) for e in store.load_events("111111")
              if e.type == "answer_submitted"]
    assert stored == [("p1", "a"), ("p2", "b"), ("p1", "b")]
    assert not [e for e in store.load_events("222222") if e.type == "answer_submitted"]
    assert bad.state.stage is not None and sum(bad.state.stage.cards["q"].tally.values()) == 0
    assert bad.committed_seq == bad.state.seq == store.load_events("222222")[-1].seq
