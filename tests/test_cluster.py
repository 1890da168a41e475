"""Three server processes, one session, Redis and PostgreSQL (loopback only).

Phones are spread over the three processes; the screen on one sees every answer
given on the others; the console on a third drives a vote and a role-play. Then
the process that owns the session is SIGKILLed mid-vote: another takes the lease,
rebuilds the session from the log and carries on, and no acknowledged answer is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench.phones import Phone
from tests.conftest import ADMIN, FIXTURES, RunningServer, start_server
from tests.pg import fresh_schema
from tests.test_hub import REDIS_URL, need_redis
from tests.wsclient import Client, host


def lease_owner(code: str) -> str | None:
    import redis

    value = redis.Redis.from_url(REDIS_URL).get(f"caseroom:lease:{code}")
    return value.decode() if value else None


def test_three_processes_share_a_session_and_survive_the_owner(tmp_path: Path) -> None:
    need_redis()
    with fresh_schema() as url:
        env = {"CASEROOM_DATABASE_URL": url, "CASEROOM_REDIS_URL": REDIS_URL,
               "CASEROOM_JOIN_BURST": "10000", "CASEROOM_JOIN_RATE": "1000"}
        servers: list[RunningServer] = []
        for i in range(3):
            servers.append(start_server(tmp_path / f"data{i}", env=env))
        try:
            run_scenario(servers)
        finally:
            for srv in servers:
                srv.stop(kill=True)


def run_scenario(servers: list[RunningServer]) -> None:
    s1, s2, s3 = servers
    with s2.admin() as api:
        assert api.post("/api/decks", content=(FIXTURES / "kinds.yaml").read_bytes()).status_code == 201
    with s1.admin() as api:  # a deck uploaded to one process is offered by every other
        assert "kinds" in {d["id"] for d in api.get("/api/decks").json()["decks"]}
        session = api.post("/api/sessions", json={"deck": "kinds"}).json()
    code, key = session["code"], session["host_key"]
    owner_port = s1.port

    async def scenario() -> None:
        phones: list[Phone] = []
        hosts: list[Client] = []
        try:
            await body(phones, hosts)
        finally:  # (a failed run leaves no open socket for a later test to trip over)
            for p in phones:
                p.cut()
            for c in hosts:
                await c.close()

    async def body(phones: list[Phone], hosts: list[Client]) -> None:
        screen = await host(s3.ws, code, key, "screen")  # a replica's screen
        console = await host(s2.ws, code, key, "console")  # commands relayed to the owner
        hosts += [screen, console]
        for i in range(30):
            srv = servers[i % 3]
            phones.append(Phone(srv.ws, code, f"学员{i:02d}", group=("g1", "g2", "g3")[i % 3]))
        await asyncio.gather(*(p.connect() for p in phones))
        assert len({p.player_id for p in phones}) == 30

        async def cmd(name: str, **args: object) -> None:
            reply = await console.request({"type": "command", "name": name, "args": args})
            assert reply["type"] == "ack", (name, reply)

        # A vote: every answer from every process reaches the screen on s3.
        await cmd("start", activity="v-ind")
        for p in phones:
            await p.wait_view(lambda v: v["activity"] is not None and v["activity"]["id"] == "v-ind")
        await asyncio.gather(*(p.submit("v-ind", {"choice": "abc"[i % 3]}) for i, p in enumerate(phones)))
        await asyncio.gather(*(p.wait_acked(15) for p in phones))
        view = await screen.view_until(lambda v: bool(v["activity"]) and v["activity"]["submitted"] == 30, timeout=15)
        assert "tally" not in view["activity"]  # hidden until the reveal
        view = await console.view_until(lambda v: bool(v["activity"]) and v["activity"]["submitted"] == 30)
        assert view["activity"]["tally"] == {"a": 10, "b": 10, "c": 10}
        assert view["activity"]["status"] == "open"  # a cluster never closes a card for "everyone answered"
        await cmd("reveal")

        # A role-play of group g1, scored by observers connected to other processes.
        await cmd("start", activity="rp", group="g1")
        await cmd("advance")
        observers = [p for p in phones if p.group != "g1"][:4]
        for p in observers:
            await p.wait_view(lambda v: v["activity"] is not None and v["activity"].get("step") == "play")
        await asyncio.gather(*(p.submit("rp", {"scores": {"calm": 4, "solve": 5}}) for p in observers))
        await asyncio.gather(*(p.wait_acked(15) for p in observers))
        live = await screen.view_until(lambda v: bool(v["activity"]) and bool(v["activity"].get("live"))
                                       and v["activity"]["live"][0]["scorers"] == 4, timeout=15)
        assert live["activity"]["live"][0]["means"] == {"calm": 4.0, "solve": 5.0}
        await cmd("close")
        await cmd("reveal")

        # The owner dies in the middle of a vote.
        assert lease_owner(code) is not None and f":{owner_port}:" in lease_owner(code)  # type: ignore[operator]
        await cmd("start", activity="e-ind")
        for p in phones:
            await p.wait_view(lambda v: v["activity"] is not None and v["activity"]["id"] == "e-ind")
        first, second = phones[:15], phones[15:]
        await asyncio.gather(*(p.submit("e-ind", {"value": 5}) for p in first))
        await asyncio.gather(*(p.wait_acked(15) for p in first))
        s1.stop(kill=True)
        killed_at = time.monotonic()
        for p in phones:
            if p.url == s1.ws:  # their load balancer sends them to a surviving process
                p.url = s2.ws
        until = time.monotonic() + 40
        keepers = [asyncio.create_task(p.keep_connected(until)) for p in phones]
        await asyncio.gather(*(p.submit("e-ind", {"value": 7}) for p in second))
        await asyncio.gather(*(p.wait_acked(30) for p in phones))
        took_over = time.monotonic() - killed_at
        new_owner = lease_owner(code)
        assert new_owner is not None and f":{owner_port}:" not in new_owner
        view = await console.view_until(lambda v: bool(v["activity"]) and v["activity"]["submitted"] == 30,
                                        timeout=20)
        assert sum(view["activity"]["histogram"]["counts"]) == 30
        assert took_over < 30
        print(f"failover: every phone acked again {took_over:.1f} s after the owner was killed")
        for t in keepers:
            t.cancel()
        await asyncio.gather(*keepers, return_exceptions=True)
        await cmd("reveal")
        for p in phones:
            await p.close()
        await screen.close()
        await console.close()

        record = httpx.get(f"{s3.http}/api/sessions/{code}/export", headers={"Authorization": f"Bearer {ADMIN}"},
                           timeout=30).json()
        stored = Counter((s["player_id"], s["client_id"]) for s in record["submissions"])
        assert max(stored.values()) == 1
        for p in phones:
            for msg_id in p.acked:
                assert stored[(p.player_id, msg_id)] == 1, (p.name, msg_id)
        assert [e["seq"] for e in record["events"]] == list(range(1, len(record["events"]) + 1))

    asyncio.run(scenario())


@contextlib.contextmanager
def owner_and_replica(tmp_path: Path, owner_module: str = "server.cli", replica_module: str = "server.cli",
                      replica_env: dict[str, str] | None = None
                      ) -> Iterator[tuple[RunningServer, RunningServer, str, str]]:
    """Two processes sharing a fresh schema and Redis, and a session of the kinds deck created on
    the first, which owns it: (owner, replica, code, host key). Both are killed at the end."""
    need_redis()
    with fresh_schema() as url:
        env = {"CASEROOM_DATABASE_URL": url, "CASEROOM_REDIS_URL": REDIS_URL,
               "CASEROOM_JOIN_BURST": "10000", "CASEROOM_JOIN_RATE": "1000"}
        owner = start_server(tmp_path / "data1", env=env, module=owner_module)
        replica: RunningServer | None = None
        try:
            replica = start_server(tmp_path / "data2", env={**env, **(replica_env or {})}, module=replica_module)
            with owner.admin() as api:
                assert api.post("/api/decks", content=(FIXTURES / "kinds.yaml").read_bytes()).status_code == 201
                session = api.post("/api/sessions", json={"deck": "kinds"}).json()
            yield owner, replica, session["code"], session["host_key"]
        finally:
            owner.stop(kill=True)
            if replica is not None:
                replica.stop(kill=True)


def test_a_replica_answers_from_the_state_its_relayed_commands_made(tmp_path: Path) -> None:
    """The owner's reply to a relayed command can come before its events do over the hub: a
    phone joining on that replica still gets its welcome (it used to be closed with 1011: the
    player was not in the replica's state yet), and answers there are acked and counted (the
    replica's hub here runs 400 ms late)."""
    with owner_and_replica(tmp_path, replica_module="tests.faultserve",
                           replica_env={"CASEROOM_TEST_HUB_LAG_MS": "400"}) as (owner, replica, code, key):

        async def scenario() -> None:
            console = await host(owner.ws, code, key, "console")
            screen = await host(replica.ws, code, key, "screen")  # the replica has taken the session up
            phones = [Phone(replica.ws, code, f"学员{i}") for i in range(6)]
            try:
                local = Phone(owner.ws, code, "本地")
                phones.append(local)
                await local.connect()  # its event reaches the replica 400 ms from now ...
                await asyncio.gather(*(p.connect() for p in phones[:-1]))  # ... and these come after it
                assert len({p.player_id for p in phones}) == 7
                reply = await console.request({"type": "command", "name": "start", "args": {"activity": "v-ind"}})
                assert reply["type"] == "ack", reply
                for p in phones:
                    await p.wait_view(lambda v: v["activity"] is not None and v["activity"]["id"] == "v-ind")
                await asyncio.gather(*(p.submit("v-ind", {"choice": "a"}) for p in phones[:-1]))
                await asyncio.gather(*(p.wait_acked(10) for p in phones))
                for p in phones[:-1]:  # (an answer's own view may wait for the next change: the ack said it)
                    await p.wait_view(lambda v: v["activity"]["my_answer"] == {"choice": "a"}, timeout=5)
                view = await console.view_until(lambda v: bool(v["activity"]) and v["activity"]["submitted"] == 6)
                assert view["activity"]["tally"] == {"a": 6, "b": 0, "c": 0}  # (本地 did not answer)
            finally:
                for p in phones:
                    await p.close()
                await console.close()
                await screen.close()

        asyncio.run(scenario())
        log = replica.log.read_text(errors="replace")
        assert "Traceback" not in log, log[-3000:]
        assert "rebuilding the replica" not in log, log[-3000:]  # it waited for the hub instead


def test_a_relayed_join_whose_answer_was_lost_is_one_player(tmp_path: Path) -> None:
    """The owner commits a join relayed from another process, but its answer is lost (planted:
    ``boom-relay``); the relay sends it again after its timeout. The second try is recognised as
    the same join: the phone gets the one player it made, and the session has no second one."""
    with owner_and_replica(tmp_path, owner_module="tests.faultserve") as (owner, replica, code, key):

        async def scenario() -> None:
            console = await host(owner.ws, code, key, "console")
            phone = Phone(replica.ws, code, "boom-relay 李雷")
            try:
                began = time.monotonic()
                await phone.connect(timeout=20)
                assert time.monotonic() - began > 4  # (it waited for the relay's timeout, then sent again)
                await console.view_until(lambda v: v["counts"]["joined"] >= 1)
                await asyncio.sleep(0.5)  # (a second player, if any, would be committed by now)
                with owner.admin() as api:
                    record = api.get(f"/api/sessions/{code}/export").json()
                joined = [e for e in record["events"] if e["type"] == "player_joined"]
                assert [(e["data"]["player_id"], e["data"]["name"]) for e in joined] == [
                    (phone.player_id, "boom-relay 李雷")]
            finally:
                await phone.close()
                await console.close()

        asyncio.run(scenario())
        log = replica.log.read_text(errors="replace")
        assert "Traceback" not in log, log[-3000:]


def test_redis_is_required_only_when_configured() -> None:
    """The default mode imports no Redis client at all."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", "import server.app, sys; print('redis' in sys.modules)"],
                         capture_output=True, text=True, timeout=60, cwd=Path(__file__).parent.parent)
    assert out.stdout.strip() == "False", out.stderr
    pytest.importorskip("redis")


def test_attendance_in_a_cluster_counts_a_phone_wherever_it_is_connected(tmp_path: Path) -> None:
    """A course session on two processes: a trainee whose phone moves from one process to the
    other stays present (one span), and leaves when the last process lets go of them."""
    from tests.wsclient import player

    need_redis()
    with fresh_schema() as url:
        env = {"CASEROOM_DATABASE_URL": url, "CASEROOM_REDIS_URL": REDIS_URL,
               "CASEROOM_JOIN_BURST": "10000", "CASEROOM_JOIN_RATE": "1000"}
        s1 = start_server(tmp_path / "data1", env=env)
        s2 = start_server(tmp_path / "data2", env=env)
        try:
            with s1.admin() as api:
                assert api.post("/api/decks", content=(FIXTURES / "course.yaml").read_bytes()).status_code in (201, 409)
                course = api.post("/api/courses", json={"title": "集群出勤"}).json()["id"]
                made = api.post("/api/sessions", json={"deck": "course2", "course": course, "day": 1})
                assert made.status_code == 201, made.text
            code = made.json()["code"]

            def attendance(srv: RunningServer) -> dict[str, dict[str, object]]:
                with srv.admin() as api:
                    rows = api.get(f"/api/sessions/{code}/export", params={"format": "json"}).json()["attendance"]
                return {str(r["name"]): r for r in rows}

            def until(srv: RunningServer, ok: object) -> dict[str, dict[str, object]]:
                deadline = time.monotonic() + 10
                while True:
                    rows = attendance(srv)
                    if ok(rows) or time.monotonic() > deadline:  # type: ignore[operator]
                        return rows
                    time.sleep(0.2)

            async def scenario() -> None:
                first = await player(s1.ws, code, "甲")  # on one process
                other = await player(s2.ws, code, "乙")  # on the other
                assert first.welcome is not None
                token = first.welcome["token"]
                moved = await Client.open(s2.ws)  # the same phone, reconnected to the other process
                assert (await moved.request({"type": "resume", "code": code, "token": token}))["type"] == "ack"
                await asyncio.sleep(0.5)
                await first.close()  # its old connection drops: not a leave
                await asyncio.sleep(1.5)
                rows = attendance(s1)
                assert rows["甲"]["left_at"] is None and len(rows["甲"]["spans"]) == 1  # type: ignore[arg-type]
                assert rows["乙"]["left_at"] is None
                await moved.close()
                await other.close()
                rows = until(s2, lambda r: r["甲"]["left_at"] is not None and r["乙"]["left_at"] is not None)
                assert rows["甲"]["left_at"] is not None and len(rows["甲"]["spans"]) == 1, rows  # type: ignore[arg-type]
                assert rows["乙"]["left_at"] is not None and len(rows["乙"]["spans"]) == 1, rows  # type: ignore[arg-type]
                assert rows["甲"]["present_s"] >= 2  # type: ignore[operator]

            asyncio.run(scenario())
        finally:
            s1.stop(kill=True)
            s2.stop(kill=True)
