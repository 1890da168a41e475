"""Deleting a course, and erasing one person from it: nothing of them stays readable on disk.

A real server on a real SQLite file; the data directory's bytes are searched afterwards
(``tests/test_deletion.py`` does the same for one session).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import ADMIN, FIXTURES, RunningServer, start_server
from tests.test_deletion import cli, files_holding
from tests.wsclient import Client, host

DECK = (FIXTURES / "course.yaml").read_bytes()
ROSTER = "姓名,工号,组\n抹除甲某,ZX90001,甲组\n留存乙某,ZX90002,甲组\n留存丙某,ZX90003,乙组\n"
GONE = ("抹除甲某", "ZX90001", "抹除甲某的行动计划")
KEPT = ("留存乙某", "留存乙某的行动计划")
ADMIN_H = {"Authorization": f"Bearer {ADMIN}"}


def course_with_a_day(srv: RunningServer) -> tuple[str, str, str, dict[str, str]]:
    with httpx.Client(base_url=srv.http, headers=ADMIN_H, timeout=30) as c:
        assert c.post("/api/decks", content=DECK).status_code in (201, 409)
        course = c.post("/api/courses", json={"title": "删除测试班"}).json()["id"]
        assert c.put(f"/api/courses/{course}/roster", content=ROSTER.encode()).status_code == 200
        people = {p["name"]: p["id"] for p in c.get(f"/api/courses/{course}/roster").json()["people"]}
        s = c.post("/api/sessions", json={"deck": "course2", "course": course, "day": 1}).json()
    code, key = s["code"], s["host_key"]

    async def play() -> None:
        console = await host(srv.ws, code, key, "console")

        async def cmd(name: str, **args: Any) -> None:
            assert (await console.request({"type": "command", "name": name, "args": args}))["type"] == "ack"

        phones = []
        for name, staff in (("抹除甲某", "0001"), ("留存乙某", "0002")):
            p = await Client.open(srv.ws)
            assert (await p.request({"type": "join", "code": code, "person": people[name], "check": staff}))[
                "type"] == "ack"
            phones.append((name, p))
        await cmd("auto_close", on=False)
        await cmd("start", activity="d1-vote")
        for _name, p in phones:
            assert (await p.request({"type": "submit", "activity": "d1-vote", "answer": {"choice": "b"}}))[
                "type"] == "ack"
        await cmd("start", activity="plan")
        for name, p in phones:
            answer = {"items": [{"what": f"{name}的行动计划", "by": "下周"}]}
            assert (await p.request({"type": "submit", "activity": "plan", "answer": answer}))["type"] == "ack"
        for _name, p in phones:
            await p.close()
        await console.close()

    asyncio.run(play())
    return course, code, key, people


async def end(srv: RunningServer, code: str, key: str) -> None:
    console = await host(srv.ws, code, key, "console")
    assert (await console.request({"type": "command", "name": "end", "args": {}}))["type"] == "ack"
    await console.close()


def test_erasing_a_person_and_then_the_course(tmp_path: Path) -> None:
    data = tmp_path / "data"
    srv = start_server(data)
    try:
        course, code, key, people = course_with_a_day(srv)
        assert files_holding(data, GONE), "the person should be on disk before the erasure"
        gone = people["抹除甲某"]
        url = f"{srv.http}/api/courses/{course}/people/{gone}"
        assert httpx.request("DELETE", url, headers=ADMIN_H, json={"confirm": "x"}).status_code == 400
        live = httpx.request("DELETE", url, headers=ADMIN_H, json={"confirm": gone})
        assert live.status_code == 409 and live.json()["error"]["code"] == "course_live"
        asyncio.run(end(srv, code, key))
        assert httpx.request("DELETE", url, headers=ADMIN_H, json={"confirm": gone}).json() == {"deleted": gone}
        assert files_holding(data, GONE) == {}
        assert files_holding(data, KEPT)  # the others stay
        # The class's record still adds up: two votes, the other person's plan, a nameless participant.
        rec = httpx.get(f"{srv.http}/api/sessions/{code}/export", headers={"Authorization": f"Bearer {key}"},
                        timeout=30).json()
        assert sorted(p["name"] for p in rec["participants"]) == ["—", "留存乙某"]
        assert len([s for s in rec["submissions"] if s["activity"] == "d1-vote"]) == 2
        assert [p["what"] for p in rec["action_plans"] if p["name"] == "留存乙某"] == ["留存乙某的行动计划"]
        course_rec = httpx.get(f"{srv.http}/api/courses/{course}/export", headers=ADMIN_H, timeout=30).json()
        assert [p["name"] for p in course_rec["people"]] == ["留存乙某", "留存丙某"]
        # Then the whole course: its roster and its session go.
        r = httpx.request("DELETE", f"{srv.http}/api/courses/{course}", headers=ADMIN_H, json={"confirm": course})
        assert r.json() == {"deleted": course, "sessions": 1}
        assert files_holding(data, ("留存乙某", "留存丙某", "ZX90002", "删除测试班")) == {}
        assert httpx.get(f"{srv.http}/api/sessions/{code}/export", headers=ADMIN_H).status_code == 404
        assert httpx.get(f"{srv.http}/api/courses", headers=ADMIN_H).json() == {"courses": []}
    finally:
        srv.stop()


def test_cli_deletes_a_course_after_its_id_is_typed_again(tmp_path: Path) -> None:
    data = tmp_path / "data"
    srv = start_server(data)
    try:
        course, code, key, _people = course_with_a_day(srv)
        asyncio.run(end(srv, code, key))
    finally:
        srv.stop()
    wrong = cli("course", "delete", course, "--data", str(data), stdin="nope\n")
    assert wrong.returncode == 2 and "does not match" in wrong.stderr
    assert course in cli("course", "list", "--data", str(data)).stdout
    done = cli("course", "delete", course, "--data", str(data), stdin=f"{course}\n")
    assert done.returncode == 0 and "1 session(s)" in done.stdout, done.stderr
    assert files_holding(data, (*GONE, *KEPT)) == {}
