"""Follow-up of action plans through the real server: the link on the personal record, the date,
the trainee's marks, refusals that change nothing, the trainer's completion, exports, a restart
and deletion (a real SQLite file)."""

from __future__ import annotations

import csv
import io
import sqlite3
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from openpyxl import load_workbook

from sessions.errors import Refused
from sessions.followstore import FollowUpEntry
from sessions.followup import DEFAULT_DAYS, check, opens_at, plan_items, record_section, summary, trainee_view
from tests.conftest import ADMIN, RunningServer, start_server
from tests.test_cohorts import CLASS_A, cohorts, play_class
from tests.test_kinds import Room

DAY_MS = 86_400_000


def me(srv: RunningServer, code: str, token: str) -> dict[str, Any]:
    r = httpx.post(f"{srv.http}/api/sessions/{code}/me", json={"token": token}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def link_token(record: dict[str, Any]) -> str:
    """The follow-up token from the link the personal record carries (in the fragment)."""
    parts = urlsplit(record["follow_up"]["url"])
    assert parts.fragment.startswith("t=") and not parts.query
    return parts.fragment[2:]


def page(srv: RunningServer, code: str, token: str) -> httpx.Response:
    return httpx.post(f"{srv.http}/api/sessions/{code}/followup", json={"token": token}, timeout=30)


def mark(srv: RunningServer, code: str, token: Any, item: Any, status: Any, comment: Any = "") -> httpx.Response:
    return httpx.post(f"{srv.http}/api/sessions/{code}/followup/items", timeout=30,
                      json={"token": token, "item": item, "status": status, "comment": comment})


def trainer(srv: RunningServer, code: str, key: str, method: str = "GET", body: Any = None) -> httpx.Response:
    return httpx.request(method, f"{srv.http}/api/sessions/{code}/followup", json=body, timeout=30,
                         headers={"Authorization": f"Bearer {key}"})


def test_follow_up_rules_through_the_core() -> None:
    """Items in the record's order, the date (never while live), the checks, the views, the counts."""
    r = Room()
    st = r.live.state
    r.host("start", activity="plan")
    r.submit("p1", {"items": [{"what": "复述诉求", "by": "下周"}, {"what": "整理台账"}]})
    r.submit("p3", {"items": [{"what": "学习条例"}]})
    assert opens_at(st, None) is None and opens_at(st, r.now) is None  # live: the plans may still change
    r.submit("p1", {"items": [{"what": "复述诉求", "by": "下周"}, {"what": "整理台账"}, {"what": "回访"}]})
    with pytest.raises(Refused) as info:
        check(plan_items(st)["p1"], opens_at(st, r.now), r.now, 0, "done", "")
    assert info.value.code == "followup_not_open"
    r.host("end")
    end = st.ended_at
    assert end is not None
    items = plan_items(st)
    assert [i["what"] for i in items["p1"]] == ["复述诉求", "整理台账", "回访"] and items["p1"][0]["by"] == "下周"
    assert set(items) == {"p1", "p3"}
    assert opens_at(st, None) == end + DEFAULT_DAYS * DAY_MS
    assert opens_at(st, end - 1000) == end and opens_at(st, end + 5) == end + 5  # never before the end
    opens = opens_at(st, None)
    assert opens is not None
    for args, code in [((0, "done", ""), "followup_not_open")]:
        with pytest.raises(Refused) as info:
            check(items["p1"], opens, opens - 1, *args)
        assert info.value.code == code
    for item, status, comment, code in [(3, "done", "", "bad_item"), (-1, "done", "", "bad_item"),
                                        (True, "done", "", "bad_item"), (0, "DONE", "", "bad_status"),
                                        (0, None, "", "bad_status"), (0, "done", ["x"], "bad_comment"),
                                        (0, "done", "长" * 201, "comment_too_long")]:
        with pytest.raises(Refused) as info:
            check(items["p1"], opens, opens, item, status, comment)
        assert info.value.code == code, (item, status, comment)
    assert check(items["p1"], opens, opens, 2, "dropped", None) == (2, "dropped", "")
    assert check(items["p1"], opens, opens, 0, "done", " 一  二\n三\u202e\x00 ") == (0, "done", "一 二 三")
    marks = [FollowUpEntry("p1", 0, "done", "好", opens), FollowUpEntry("p1", 2, "dropped", "", opens),
             FollowUpEntry("p3", 0, "doing", "", opens)]
    view = trainee_view(st, "p1", marks, opens, opens)
    assert view["open"] and [(i["index"], i["status"]) for i in view["items"]] == [(0, "done"), (1, None),
                                                                                  (2, "dropped")]
    assert "学习条例" not in str(view)  # another trainee's plan is not in my view
    total = summary(st, marks, opens, opens)["total"]
    assert (total["items"], total["done"], total["doing"], total["dropped"], total["unmarked"]) == (4, 1, 1, 1, 1)
    assert total["completion"] == 0.25 and total["answered"] == 0.75
    rows = record_section(st, marks, opens)["items"]
    assert [(row["player_id"], row["item"], row["status"]) for row in rows] == [
        ("p1", 0, "done"), ("p1", 1, None), ("p1", 2, "dropped"), ("p3", 0, "doing")]


@pytest.fixture
def played(tmp_path: Path) -> Any:
    data = tmp_path / "data"
    srv = start_server(data)
    tokens: dict[str, str] = {}
    code, key = play_class(srv, "一班", CLASS_A, tokens)
    yield srv, data, code, key, tokens
    srv.stop()


def test_a_trainee_follows_up_their_plan_from_the_link_on_their_record(played: Any) -> None:
    srv, data, code, key, tokens = played
    rec1 = me(srv, code, tokens["p1"])
    follow = rec1["follow_up"]
    assert urlsplit(follow["url"]).path == f"/f/{code}"
    assert follow["qr"].startswith("data:image/svg+xml")
    assert me(srv, code, tokens["p3"])["follow_up"] is None  # wrote no plan: no link
    t1, t2 = link_token(rec1), link_token(me(srv, code, tokens["p2"]))
    assert t1 != tokens["p1"]  # not the resume token: the paper link opens the follow-up alone
    assert httpx.get(f"{srv.http}/f/{code}", timeout=30).status_code == 200

    # Before the date: the page says when it opens (30 days after the end); a mark is refused.
    view = page(srv, code, t1).json()
    summary = trainer(srv, code, key).json()
    assert view["open"] is False and view["opens_at"] == summary["ended_at"] + 30 * DAY_MS
    assert [i["what"] for i in view["items"]] == ["先复述客户诉求", "整理收费台账"]
    assert view["items"][0]["by"] == "下周" and view["items"][0]["status"] is None
    r = mark(srv, code, t1, 0, "done")
    assert r.status_code == 409 and r.json()["error"]["code"] == "followup_not_open"

    assert cohorts(srv).json()["classes"][0]["follow_up"]["items"] == 3  # (the figures are cached from here)

    # The trainer opens it early (the host key suffices); the trainee marks their items.
    opened = trainer(srv, code, key, "PUT", {"open_now": True}).json()
    assert opened["open"] is True and opened["chosen"] is True
    r = mark(srv, code, t1, 0, "done", "  每次都先复述了，\n客户情绪好多了  ")
    assert r.status_code == 200, r.text
    assert r.json()["items"][0] | {"at": None} == {**view["items"][0], "status": "done",
                                                    "comment": "每次都先复述了， 客户情绪好多了", "at": None}
    assert mark(srv, code, t1, 1, "doing", "台账做了一半").status_code == 200
    assert mark(srv, code, t1, 1, "dropped", "部门统一做了").status_code == 200  # changed mind: latest stands
    assert mark(srv, code, t2, 0, "doing", "<b>先试</b>一周").status_code == 200

    # Refusals: each with its code, none changes anything.
    before = page(srv, code, t1).json()
    forged = t1[:-4] + ("0000" if not t1.endswith("0000") else "1111")
    for token, item, status, comment, code_, status_code in [
        (forged, 0, "doing", "", "unknown_followup", 404),
        (tokens["p1"], 0, "doing", "", "unknown_followup", 404),  # the resume token opens no follow-up
        (t1, 0, "finished", "", "bad_status", 400),
        (t1, 0, "doing", "长" * 201, "comment_too_long", 400),
        (t1, 2, "doing", "", "bad_item", 400),
        (t1, "0", "doing", "", "bad_item", 400),
        (t1, 0, "doing", 5, "bad_comment", 400),
    ]:
        r = mark(srv, code, token, item, status, comment)
        assert (r.status_code, r.json()["error"]["code"]) == (status_code, code_), (token, item, status)
    assert page(srv, code, forged).status_code == 404
    r = httpx.post(f"{srv.http}/api/sessions/{code}/followup", content=b"{", timeout=30)
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_json"
    assert page(srv, code, t1).json() == before
    assert mark(srv, code, t1, 0, "doing", "长" * 200).status_code == 200  # 200 characters fit
    assert mark(srv, code, t1, 0, "done", "每次都先复述了").status_code == 200

    # The trainer's view: completion per person and for the class.
    summary = trainer(srv, code, key).json()
    people = {p["name"]: p for p in summary["people"]}
    first = people["一班学员1"]
    assert (first["done"], first["dropped"], first["completion"]) == (1, 1, 0.5)
    assert (people["一班学员2"]["doing"], people["一班学员2"]["completion"]) == (1, 0.0)
    assert summary["total"] == {"items": 3, "done": 1, "doing": 1, "dropped": 1, "unmarked": 0,
                                     "completion": 0.333, "answered": 1.0}
    per_class = cohorts(srv).json()["classes"][0]["follow_up"]  # the department's view per class, marks fresh
    assert (per_class["done"], per_class["doing"], per_class["dropped"], per_class["completion"]) == (1, 1, 1, 0.333)
    assert trainer(srv, code, "wrong").status_code == 403

    # The exports carry it: JSON follow_up, a CSV table, an XLSX sheet; earlier keys unchanged.
    rec = httpx.get(f"{srv.http}/api/sessions/{code}/export?format=json", timeout=30,
                    headers={"Authorization": f"Bearer {key}"}).json()
    assert {"session", "participants", "submissions", "scores", "action_plans", "events"} <= set(rec)
    rows = {(r["name"], r["item"]): r for r in rec["follow_up"]["items"]}
    assert rows[("一班学员1", 0)]["status"] == "done" and rows[("一班学员1", 0)]["comment"] == "每次都先复述了"
    assert rows[("一班学员1", 1)]["status"] == "dropped" and rows[("一班学员2", 0)]["status"] == "doing"
    assert rec["follow_up"]["total"]["done"] == 1 and rec["follow_up"]["opens_at"].endswith("Z")
    zipped = httpx.get(f"{srv.http}/api/sessions/{code}/export?format=csv", timeout=30,
                       headers={"Authorization": f"Bearer {key}"}).content
    with zipfile.ZipFile(io.BytesIO(zipped)) as z:
        name = next(n for n in z.namelist() if n.endswith("follow_up.csv"))
        table = list(csv.reader(io.StringIO(z.read(name).decode("utf-8-sig"))))
    assert table[0][:2] == ["姓名", "小组"]
    assert table[2][:6] == ["一班学员1", "一组", "整理收费台账", "", "放弃", "部门统一做了"]
    book = load_workbook(io.BytesIO(httpx.get(f"{srv.http}/api/sessions/{code}/export?format=xlsx", timeout=30,
                                              headers={"Authorization": f"Bearer {key}"}).content))
    assert "行动计划跟进" in book.sheetnames
    report = httpx.get(f"{srv.http}/api/sessions/{code}/export?format=html", timeout=30,
                       headers={"Authorization": f"Bearer {key}"}).text
    follow_html = report[report.index("行动计划跟进"):]
    assert "<td>一班学员1</td><td>整理收费台账</td>" in follow_html
    assert "<td>放弃</td><td>部门统一做了</td>" in follow_html
    assert "完成 1 · 进行中 1 · 放弃 1 · 未填写 unmarked 0 · 完成率 completion 33 %" in follow_html
    assert "&lt;b&gt;先试&lt;/b&gt;一周" in follow_html and "<b>先试" not in report  # the trainee's text is text

    # Nothing personal in the server's log: no name, comment or token.
    logged = srv.log.read_text(errors="replace")
    assert "caseroom ready" in logged  # (the log it is)
    for secret in ("每次都先复述了", "部门统一做了", "一班学员1", t1, t2, t1.split(".", 1)[1]):
        assert secret not in logged, secret

    # A restart keeps every mark (the SQLite file); deletion removes them with the session.
    srv.stop()
    srv2 = start_server(data, port=srv.port)
    try:
        assert [i["status"] for i in page(srv2, code, t1).json()["items"]] == ["done", "dropped"]
        db = data / "caseroom.db"
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT COUNT(*) FROM followup_entries WHERE session_code = ?",
                                (code,)).fetchone() == (3,)
        r = httpx.request("DELETE", f"{srv2.http}/api/sessions/{code}", json={"confirm": code}, timeout=30,
                          headers={"Authorization": f"Bearer {ADMIN}"})
        assert r.status_code == 200
        with sqlite3.connect(db) as conn:
            for table_name in ("followup_entries", "followup_dates"):
                assert conn.execute(f"SELECT COUNT(*) FROM {table_name} WHERE session_code = ?",
                                    (code,)).fetchone() == (0,)
        assert page(srv2, code, t1).status_code == 404
    finally:
        srv2.stop()


def test_a_trainees_changes_are_rate_limited_and_a_limited_change_changes_nothing(played: Any) -> None:
    srv, _data, code, key, tokens = played
    t1 = link_token(me(srv, code, tokens["p1"]))
    trainer(srv, code, key, "PUT", {"open_now": True})
    answers = [mark(srv, code, t1, 0, "doing", f"第 {n} 次") for n in range(40)]
    codes = [r.status_code for r in answers]
    assert codes[:30] == [200] * 30 and 429 in codes[30:]
    assert next(r for r in answers if r.status_code == 429).json()["error"]["code"] == "rate_limited"
    last_saved = max(i for i, c in enumerate(codes) if c == 200)
    assert page(srv, code, t1).json()["items"][0]["comment"] == f"第 {last_saved} 次"  # 429s changed nothing
    t2 = link_token(me(srv, code, tokens["p2"]))
    assert mark(srv, code, t2, 0, "done").status_code == 200  # another trainee's bucket is their own


def test_the_trainer_sets_and_resets_the_date(played: Any) -> None:
    srv, _data, code, key, tokens = played
    t1 = link_token(me(srv, code, tokens["p1"]))
    ended = trainer(srv, code, key).json()["ended_at"]
    later = ended + 7 * DAY_MS
    r = trainer(srv, code, key, "PUT", {"opens_at": later})
    assert r.status_code == 200 and r.json()["opens_at"] == later and r.json()["open"] is False
    assert page(srv, code, t1).json()["opens_at"] == later
    assert me(srv, code, tokens["p1"])["follow_up"]["opens_at"] == later
    for bad in ({"opens_at": "tomorrow"}, {"opens_at": True}, {"opens_at": -1}, {"open_now": False}, {}, [],
                {"opens_at": later, "x": 1}):
        r = trainer(srv, code, key, "PUT", bad)
        assert r.status_code == 400 and r.json()["error"]["code"] == "bad_date", bad
    assert trainer(srv, code, key).json()["opens_at"] == later
    assert trainer(srv, code, key, "PUT", {"opens_at": None}).json()["opens_at"] == ended + 30 * DAY_MS
    r = httpx.put(f"{srv.http}/api/sessions/{code}/followup", json={"open_now": True}, timeout=30)
    assert r.status_code == 401


def test_one_date_for_every_day_of_a_course(server: RunningServer) -> None:
    """``PUT /api/courses/{course}/followup``: the date of each of the course's sessions, and of
    no other; a bad body, an unknown course or a host key changes nothing."""
    from tests.test_course_days import api, new_day

    with api(server) as c:
        course = c.post("/api/courses", json={"title": "跟进日期"}).json()["id"]
    (code1, key1), (code2, key2) = new_day(server, course, 1, ["d1-vote"]), new_day(server, course, 2, ["d2-vote"])
    with api(server) as c:
        other = c.post("/api/sessions", json={"deck": "course2"}).json()
    later = 1_893_456_000_000  # 2030-01-01
    with api(server) as c:
        r = c.put(f"/api/courses/{course}/followup", json={"opens_at": later})
        assert r.status_code == 200, r.text
        assert r.json()["chosen_at"] == later and {s["code"] for s in r.json()["sessions"]} == {code1, code2}
        for bad in ({"opens_at": "下周"}, {"opens_at": True}, {}, {"open_now": False}):
            r = c.put(f"/api/courses/{course}/followup", json=bad)
            assert r.status_code == 400 and r.json()["error"]["code"] == "bad_date", bad
        assert c.put("/api/courses/cnosuchcourse/followup", json={"opens_at": later}).status_code == 404
    # A day added afterwards takes the course's date; a session outside the course does not.
    code3, key3 = new_day(server, course, 3, ["d1-vote"])
    for code, key in ((code1, key1), (code2, key2), (code3, key3)):
        got = trainer(server, code, key).json()
        assert got["chosen"] is True and got["chosen_at"] == later, got
    assert trainer(server, other["code"], other["host_key"]).json()["chosen"] is False
    # Once the days differ (one day set on its own), a new day keeps its own default.
    assert trainer(server, code3, key3, "PUT", {"opens_at": later + DAY_MS}).status_code == 200
    code4, key4 = new_day(server, course, 4, ["d1-vote"])
    assert trainer(server, code4, key4).json()["chosen"] is False
    r = httpx.put(f"{server.http}/api/courses/{course}/followup", json={"opens_at": None}, timeout=30,
                  headers={"Authorization": f"Bearer {key1}"})
    assert r.status_code in (401, 403)  # a session's host key is not the trainer's admin token
    assert trainer(server, code1, key1).json()["chosen_at"] == later
    with api(server) as c:
        assert c.put(f"/api/courses/{course}/followup", json={"opens_at": None}).status_code == 200
    assert trainer(server, code1, key1).json()["chosen"] is False
    assert trainer(server, code2, key2).json()["chosen"] is False
