"""Issue 17: a two-day course with a roster, played through real server processes.

Day 1 on one server; the server stops; day 2 on a new server process over the same SQLite
file. Rostered phones (real websocket clients) join by picking their name and typing the
last four digits of their 工号; the course record then shows each person across both days,
and the day a person missed.
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import httpx
from openpyxl import load_workbook

from tests.conftest import ADMIN, FIXTURES, RunningServer, start_server
from tests.wsclient import Client, host, player

DECK = (FIXTURES / "course.yaml").read_bytes()
ONE_ADDRESS = {"CASEROOM_JOIN_BURST": "10000", "CASEROOM_JOIN_RATE": "1000"}
ROSTER = ("姓名,工号,营业厅,组\n"
          "张伟,GD10001,城东营业厅,一组\n李娜,GD10002,城东营业厅,一组\n王芳,GD10003,城东营业厅,一组\n"
          "刘洋,GD20004,城西营业厅,二组\n陈静,GD20005,城西营业厅,二组\n赵磊,GD20006,城西营业厅,二组\n")
ADMIN_H = {"Authorization": f"Bearer {ADMIN}"}


def api(srv: RunningServer) -> httpx.Client:
    return httpx.Client(base_url=srv.http, headers=ADMIN_H, timeout=30)


def new_day(srv: RunningServer, course: str, day: int, agenda: list[str]) -> tuple[str, str]:
    with api(srv) as c:
        assert c.post("/api/decks", content=DECK).status_code in (201, 409)
        r = c.post("/api/sessions", json={"deck": "course2", "course": course, "day": day, "agenda": agenda})
        assert r.status_code == 201, r.text
        return r.json()["code"], r.json()["host_key"]


async def rostered(srv: RunningServer, code: str, person: str, check: str) -> Client:
    c = await Client.open(srv.ws)
    reply = await c.request({"type": "join", "code": code, "person": person, "check": check})
    assert reply["type"] == "ack", reply
    assert c.welcome is not None and c.welcome["person"] == person
    return c


async def command(console: Client, name: str, **args: Any) -> None:
    reply = await console.request({"type": "command", "name": name, "args": args})
    assert reply["type"] == "ack", reply


async def play_day(srv: RunningServer, code: str, key: str, phones: list[Client], vote: str,
                   choice: str, plan: str) -> None:
    console = await host(srv.ws, code, key, "console")
    await command(console, "auto_close", on=False)
    await command(console, "start", activity=vote)
    for p in phones:
        assert (await p.request({"type": "submit", "activity": vote, "answer": {"choice": choice}}))["type"] == "ack"
    await command(console, "reveal")
    await command(console, "start", activity="plan")
    for n, p in enumerate(phones):
        items = [{"what": f"{plan}{n}", "by": "下周"}]
        assert (await p.request({"type": "submit", "activity": "plan", "answer": {"items": items}}))["type"] == "ack"
    await command(console, "end")
    await console.close()


def test_a_two_day_course_keeps_each_person_across_days_and_a_restart(tmp_path: Path) -> None:
    srv = start_server(tmp_path / "data", env=ONE_ADDRESS)
    logs = [srv.log]
    with api(srv) as c:
        course = c.post("/api/courses", json={"title": "2026年12月 城东片区 第7期"}).json()["id"]
        r = c.put(f"/api/courses/{course}/roster", content=ROSTER.encode(), params={"filename": "班级.csv"})
        assert r.status_code == 200, r.text
        assert r.json() == {"course": course, "people": 6, "groups": ["一组", "二组"]}
        staff = {p["name"]: p for p in c.get(f"/api/courses/{course}/roster").json()["people"]}
    code1, key1 = new_day(srv, course, 1, ["d1-vote", "plan"])
    public = httpx.get(f"{srv.http}/api/sessions/{code1}/roster").json()
    assert public["roster"] is True and [p["name"] for p in public["people"]] == list(staff)
    assert "staff_no" not in public["people"][0]  # the phone's list never shows the 工号
    ids = {p["name"]: p["id"] for p in public["people"]}
    last4 = {name: p["staff_no"][-4:] for name, p in staff.items()}

    async def day1() -> None:
        phones = [await rostered(srv, code1, ids[name], last4[name]) for name in staff]
        groups = {p.welcome["name"]: p.welcome["group"] for p in phones if p.welcome}
        assert groups["张伟"] == groups["王芳"] != groups["刘洋"] == groups["赵磊"]  # the roster's 组
        # A free name is refused in a rostered session; a wrong check gets its own code.
        free = await Client.open(srv.ws)
        assert (await free.request({"type": "join", "code": code1, "name": "路人"}))["code"] == "roster_required"
        wrong = await free.request({"type": "join", "code": code1, "person": ids["赵磊"], "check": "0000"})
        assert wrong["code"] == "bad_check"
        # The same person on another phone: the seat moves, the old phone is told and let go.
        old_token = phones[0].welcome["token"]
        again = await rostered(srv, code1, ids["张伟"], last4["张伟"])
        assert again.welcome["player_id"] == phones[0].welcome["player_id"]
        told = await phones[0].until(lambda m: m["type"] == "error")
        assert told["code"] == "seat_moved"
        stale = await Client.open(srv.ws)
        assert (await stale.request({"type": "resume", "code": code1, "token": old_token}))["code"] == "seat_moved"
        phones[0] = again
        await play_day(srv, code1, key1, phones, "d1-vote", "b", "第一天计划")
        # Wrong checks are rate-limited like wrong codes: then even the right one waits.
        codes = []
        for _ in range(11):
            reply = await free.request({"type": "join", "code": code1, "person": ids["陈静"], "check": "9999"})
            codes.append(reply["code"])
        assert codes[:9] == ["bad_check"] * 9 and codes[-1] == "rate_limited", codes
        ok = await free.request({"type": "join", "code": code1, "person": ids["陈静"], "check": last4["陈静"]})
        assert ok["code"] == "rate_limited"
        for p in [*phones, free, stale]:
            await p.close()

    # A session without a course still joins by free name, unchanged.
    async def free_session() -> None:
        with api(srv) as c:
            s = c.post("/api/sessions", json={"deck": "course2"}).json()
        assert httpx.get(f"{srv.http}/api/sessions/{s['code']}").json()["roster"] is False
        p = await player(srv.ws, s["code"], "自由名字")
        assert p.welcome and p.welcome["name"] == "自由名字" and "person" not in p.welcome
        await p.close()

    try:
        asyncio.run(day1())
        asyncio.run(free_session())
        srv.stop()
        srv = start_server(tmp_path / "data", srv.port, env=ONE_ADDRESS)  # day 2: a new process
        logs.append(srv.log)
        code2, key2 = new_day(srv, course, 2, ["d2-vote", "plan"])

        tokens: dict[str, str] = {}

        async def day2() -> None:
            present = [name for name in staff if name != "陈静"]  # 陈静 is absent on day 2
            phones = [await rostered(srv, code2, ids[name], last4[name]) for name in present]
            tokens.update({p.welcome["name"]: p.welcome["token"] for p in phones if p.welcome})
            # 赵磊's Wi-Fi drops and comes back: two spans of presence, a gap between them.
            await phones[-1].close()
            console = await host(srv.ws, code2, key2, "console")
            await console.view_until(lambda v: not next(p for p in v["players"] if p["name"] == "赵磊")["online"]
                                     and next(p for p in v["players"] if p["name"] == "赵磊")["spans"][0][1])
            await console.close()
            await asyncio.sleep(0.3)
            phones[-1] = await Client.open(srv.ws)
            back = await phones[-1].request({"type": "resume", "code": code2, "token": tokens["赵磊"]})
            assert back["type"] == "ack", back
            await play_day(srv, code2, key2, phones, "d2-vote", "x", "第二天计划")
            for p in phones:
                await p.close()

        asyncio.run(day2())
        with api(srv) as c:
            rec = c.get(f"/api/courses/{course}/export", params={"format": "json"}).json()
            book = c.get(f"/api/courses/{course}/export", params={"format": "xlsx"})
            listed = c.get("/api/courses").json()["courses"]
            day2_export = httpx.get(f"{srv.http}/api/sessions/{code2}/export",
                                    headers={"Authorization": f"Bearer {key2}"}).json()
            mine = httpx.post(f"{srv.http}/api/sessions/{code2}/me", json={"token": tokens["李娜"]}).json()
    finally:
        srv.stop()

    assert [s["day"] for s in rec["sessions"]] == [1, 2]
    assert [(s["code"], s["day"]) for s in listed[0]["sessions"]] == [(code1, 1), (code2, 2)]
    people = {p["name"]: p for p in rec["people"]}
    for name in staff:
        p = people[name]
        assert p["staff_no"] == staff[name]["staff_no"]
        d1, d2 = p["days"]
        assert d1["present"] and d1["answers"][0]["activity"] == "d1-vote" and d1["answers"][0]["points"] > 0
        assert d1["action_plan"] and d1["action_plan"][0]["what"].startswith("第一天计划")
        assert d1["attendance"]["joined_at"] and d1["attendance"]["present_s"] is not None
        if name == "陈静":
            assert not d2["present"] and "answers" not in d2 and p["days_present"] == 1
            assert p["score"] == d1["score"]
        else:
            assert d2["present"] and d2["answers"][0]["activity"] == "d2-vote" and d2["answers"][0]["points"] > 0
            assert d2["action_plan"][0]["what"].startswith("第二天计划")
            assert p["score"] == d1["score"] + d2["score"] and p["days_present"] == 2
            assert [x["day"] for x in p["action_plans"]] == [1, 2]
            assert d2["attendance"]["left_at"] is not None  # the day ended
    # The session export names each participant's person and carries attendance; old keys stay.
    assert {"participants", "submissions", "scores", "action_plans", "events", "attendance"} <= set(day2_export)
    persons = {p["name"]: p["person"] for p in day2_export["participants"]}
    assert persons["张伟"] == ids["张伟"] and "陈静" not in persons
    assert all(a["joined_at"] and a["present_s"] is not None for a in day2_export["attendance"])
    away = next(a for a in day2_export["attendance"] if a["name"] == "赵磊")
    assert len(away["spans"]) == 2 and away["spans"][0][1] < away["spans"][1][0], away
    assert [len(a["spans"]) for a in day2_export["attendance"] if a["name"] != "赵磊"] == [1, 1, 1, 1]
    # The trainee's own record page lists both days of the course.
    assert [(d["day"], d["present"], d["current"]) for d in mine["course"]["days"]] == [(1, True, False),
                                                                                       (2, True, True)]
    assert mine["course"]["score"] == people["李娜"]["score"]
    assert mine["course"]["days"][0]["action_plan"][0]["what"].startswith("第一天计划")
    # Nothing personal went into either server's log: no name, no 工号, no check.
    text = "".join(path.read_text(errors="replace") for path in logs)
    assert "GD10001" in ROSTER and not [x for x in [*staff, *(p["staff_no"] for p in staff.values())] if x in text]
    assert book.status_code == 200
    sheets = load_workbook(io.BytesIO(book.content)).sheetnames
    assert sheets == ["学员", "出勤", "行动计划"]


def test_printed_codes_replace_the_staff_number_check(server: RunningServer) -> None:
    import csv

    with api(server) as c:
        course = c.post("/api/courses", json={"title": "打印确认码"}).json()["id"]
        assert c.post(f"/api/courses/{course}/codes").status_code == 409  # no roster yet
        assert c.put(f"/api/courses/{course}/roster", content=ROSTER.encode()).status_code == 200
        sheet = c.post(f"/api/courses/{course}/codes")
        assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(sheet.content.decode("utf-8-sig"))))
        codes = {r[0]: r[4] for r in rows[1:]}
        assert len(codes) == 6 and all(len(x) == 6 and x.isdigit() for x in codes.values())
        roster = c.get(f"/api/courses/{course}/roster").text
        assert not [x for x in codes.values() if x in roster]  # only hashes are kept
    code, _key = new_day(server, course, 1, ["d1-vote"])
    public = httpx.get(f"{server.http}/api/sessions/{code}/roster").json()
    assert public["check"] == "code"
    ids = {p["name"]: p["id"] for p in public["people"]}

    async def go() -> None:
        c = await Client.open(server.ws)
        staff = await c.request({"type": "join", "code": code, "person": ids["张伟"], "check": "0001"})
        assert staff["code"] == "bad_check"
        ok = await c.request({"type": "join", "code": code, "person": ids["张伟"], "check": codes["张伟"]})
        assert ok["type"] == "ack" and c.welcome and c.welcome["name"] == "张伟"
        await c.close()

    asyncio.run(go())
