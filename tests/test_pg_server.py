"""End to end on PostgreSQL: a real ``caseroom serve`` with CASEROOM_DATABASE_URL, a short vote
over websockets, the process killed and started again: the session and every acked answer are there."""

from __future__ import annotations

import asyncio
from pathlib import Path

import psycopg

from tests.conftest import RunningServer, start_server
from tests.pg import fresh_schema
from tests.test_protocol import export, setup_session
from tests.wsclient import Client, host, player


def test_a_vote_on_postgresql_survives_a_killed_server(tmp_path: Path, mini_source: str) -> None:
    with fresh_schema() as url:
        env = {"CASEROOM_DATABASE_URL": url}
        data = tmp_path / "data"
        srv: RunningServer = start_server(data, env=env)
        try:
            s = setup_session(srv, mini_source)
            code, key = s["code"], s["host_key"]
            tokens: list[str] = []

            async def vote() -> None:
                console = await host(srv.ws, code, key, "console")
                phones = await asyncio.gather(*(player(srv.ws, code, f"学员{i}", f"join-{i}") for i in range(3)))
                tokens.extend((p.welcome or {})["token"] for p in phones)
                assert (await console.request({"type": "command", "name": "start",
                                               "args": {"activity": "card-a"}}))["type"] == "ack"
                acks = await asyncio.gather(*(
                    p.request({"type": "submit", "activity": "card-a", "answer": {"choice": c}}, f"vote-{i}")
                    for i, (p, c) in enumerate(zip(phones, "abb", strict=True))))
                assert all(a["type"] == "ack" for a in acks), acks
                for c in (console, *phones):
                    await c.close()

            asyncio.run(vote())
        finally:
            srv.stop(kill=True)  # no graceful shutdown: only what was acked as stored counts

        assert not (data / "caseroom.db").exists()  # the record is in PostgreSQL, not a SQLite file
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT count(*) FROM events WHERE session_code = %s AND type = 'answer_submitted'",
                               (code,)).fetchone()
            sessions = conn.execute("SELECT code FROM sessions").fetchall()
        assert sessions == [(code,)] and row == (3,)

        srv = start_server(data, env=env)
        try:
            record = export(srv, code, key)
            subs = record["submissions"]
            assert {(x["client_id"], x["answer"]["choice"]) for x in subs} == {
                ("vote-0", "a"), ("vote-1", "b"), ("vote-2", "b")}
            assert {p["name"] for p in record["participants"]} == {"学员0", "学员1", "学员2"}
            assert record["session"]["code"] == code and record["session"]["ended_at"] is None

            async def after() -> None:
                screen = await host(srv.ws, code, key, "console")
                view = await screen.view_until(lambda v: bool(v["activity"]) and v["activity"]["submitted"] == 3)
                assert view["activity"]["tally"] == {"a": 1, "b": 2, "c": 0}
                phone = await Client.open(srv.ws)
                await phone.send({"type": "resume", "code": code, "token": tokens[0]})
                assert (await phone.recv())["type"] == "welcome"
                pv = await phone.view_until(lambda v: v["activity"] is not None)
                assert pv["activity"]["my_answer"] == {"choice": "a"}
                for c in (screen, phone):
                    await c.close()

            asyncio.run(after())
        finally:
            srv.stop()
