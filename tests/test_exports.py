"""Exports of a session recorded through the real server, checked against its own log."""

from __future__ import annotations

import asyncio
import csv
import io
import subprocess
import sys
import zipfile
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import load_workbook

from tests.conftest import ADMIN, ROOT, RunningServer, start_server
from tests.test_kinds_protocol import EXPECTED_GROUPS, EXPECTED_SCORES, play_every_kind
from tests.wsclient import host, player

FORMULA = '=HYPERLINK("http://x")'
TABLES = ["trainees", "groups", "action_plans", "awards", "activities", "submissions", "rubric_scores", "events",
          "follow_up"]
DATA_SHEETS = ["学员", "小组", "行动计划", "加分记录", "活动", "作答明细", "角色扮演评分", "事件", "行动计划跟进"]
CARD_SHEETS = ["1 个人投票", "2 小组共识投票", "3 排序：投诉处理流程", "4 收费争议申诉期限（月）", "5 分组讨论",
               "6 角色扮演：乱扣费", "7 案例 X", "8 案例 Y", "9 案例 Z", "10 行动计划"]
ZONE = "Asia/Shanghai"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Any:
    srv = start_server(tmp_path_factory.mktemp("exports") / "data", env={"CASEROOM_TIMEZONE": ZONE})
    tokens: dict[str, str] = {}
    code, key = play_every_kind(srv, tokens)
    yield srv, code, key, tokens
    srv.stop()


def get(srv: RunningServer, code: str, key: str, fmt: str) -> httpx.Response:
    return httpx.get(f"{srv.http}/api/sessions/{code}/export?format={fmt}",
                     headers={"Authorization": f"Bearer {key}"}, timeout=30)


def test_json_holds_every_acked_submission_and_the_scores(recorded: Any) -> None:
    srv, code, key, _ = recorded
    rec = get(srv, code, key, "json").json()
    answers = [e for e in rec["events"] if e["type"] in ("answer_submitted", "answer_confirmed")]
    assert [s["seq"] for s in rec["submissions"]] == [e["seq"] for e in answers]
    assert rec["scores"]["players"] == EXPECTED_SCORES and rec["scores"]["groups"] == EXPECTED_GROUPS
    counted = {(s["player_id"], s["activity"]) for s in rec["submissions"]
               if s["counted"] and s["mode"] == "individual"}
    assert ("p2", "v-ind") in counted and ("p6", "v-ind") not in counted
    rp = rec["rubric_scores"][0]
    assert (rp["group"], rp["agent"], rp["means"], rp["points"]) == ("g1", "p1", {"calm": 4.0, "solve": 4.0}, 80)
    assert {a["reason"] for a in rec["awards"]} == {"讨论：停机没收到短信", "故事分享"}
    assert [p["what"] for p in rec["action_plans"]] == ["每次先复述客户诉求", FORMULA, "<b>整理台账</b> 📒"]


def sheet_rows(book: Any, name: str) -> list[dict[str, Any]]:
    values = list(book[name].iter_rows(values_only=True))
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


def trimmed(sheet: Any) -> list[tuple[Any, ...]]:
    """A sheet's rows without the trailing blank cells openpyxl pads them with."""
    out = []
    for row in sheet.iter_rows(values_only=True):
        cells = list(row)
        while cells and cells[-1] is None:
            cells.pop()
        out.append(tuple(cells))
    return out


def local(iso: str) -> datetime:
    """An export's ISO UTC time as the naive Asia/Shanghai wall-clock time a workbook holds."""
    when = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(ZoneInfo(ZONE)).replace(tzinfo=None)
    return when.replace(microsecond=when.microsecond // 1000 * 1000)


def test_xlsx_opens_on_an_overview_then_one_sheet_per_card_then_the_data(recorded: Any) -> None:
    srv, code, key, _ = recorded
    rec = get(srv, code, key, "json").json()
    r = get(srv, code, key, "xlsx")
    assert r.status_code == 200 and 'filename="caseroom-' in r.headers["content-disposition"]
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["概览", *CARD_SHEETS, *DATA_SHEETS]
    # The overview: what a manager reads first, in Chinese, with real local dates.
    ov = {row[0]: row[1] for row in book["概览"].iter_rows(values_only=True) if row and row[0]}
    assert book["概览"]["A1"].value == "全部活动类型"
    assert ov["课堂码"] == code and ov["课程包"].startswith("全部活动类型 (kinds")
    assert isinstance(ov["开始时间"], datetime) and ov["开始时间"] == local(rec["session"]["started_at"])
    assert book["概览"]["B5"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert ov["结束时间"] == local(rec["session"]["ended_at"]) and ov["时区"] == ZONE
    assert ov["时长"] == ov["结束时间"] - ov["开始时间"] or abs(
        (ov["时长"] - (ov["结束时间"] - ov["开始时间"])).total_seconds()) < 0.01
    assert ov["学员人数"] == 6 and ov["小组数"] == 3
    assert ov["全班平均分"] == round(sum(EXPECTED_SCORES.values()) / 6, 1)
    rows = trimmed(book["概览"])
    head = rows.index(("活动", "题型", "作答数", "选择推荐处理", "平均得分"))
    figures = {row[0]: row for row in rows[head + 1:] if len(row) > 1}
    assert figures["个人投票"][1:4] == ("单选", 5, 0.6)  # p1, p4, p5 chose a (best) of 5
    weakest = rows.index(("名次", "活动", "选择推荐处理"))
    assert [row[0] for row in rows[weakest + 1:weakest + 4]] == [1, 2, 3]
    assert all(rows[weakest + i][2] <= rows[weakest + i + 1][2] for i in (1, 2))
    # A card sheet: every option with count and share, the recommended one marked, each group, each trainee.
    vote = trimmed(book["1 个人投票"])
    assert vote[0][0] == "个人投票" and "单选" in vote[1][0]
    options = vote[vote.index(("选项", "答案", "人数", "占比", "推荐")) + 1:][:3]
    assert [(o[0], o[2], o[3], o[4:]) for o in options] == [("A", 3, 0.6, ("✓",)), ("B", 1, 0.2, ()), ("C", 1, 0.2, ())]
    groups = vote[vote.index(("各小组的选择",)) + 2:][:3]
    assert groups == [("一组", "A · 甲", "✓"), ("二组", "C · 丙"), ("三组", "A · 甲", "✓")]  # ties: first chosen
    trainees = vote[vote.index(("姓名", "小组", "答案", "得分")) + 1:]
    assert ("学员6", "三组") in trainees  # p6 did not answer: answer and points blank, not 0
    assert book["1 个人投票"].freeze_panes == "A3"
    order = trimmed(book["3 排序：投诉处理流程"])
    assert any(row[-1] == "✓" for row in order if row and len(row) == 4)
    est = trimmed(book["4 收费争议申诉期限（月）"])
    assert est[3][0] == "推荐答案"
    disc = trimmed(book["5 分组讨论"])
    assert ("停机没收到短信",) in [row[:1] for row in disc]
    rp = trimmed(book["6 角色扮演：乱扣费"])
    assert ("轮次", "小组", "客服代表", "情绪安抚", "解决方案", "合计", "满分", "评分人数", "得分") in rp
    # Data sheets: Chinese headers, real dates, blanks for what was not played or not taken part.
    people = sheet_rows(book, "学员")
    assert {p["编号"]: p["总分"] for p in people} == EXPECTED_SCORES
    joined = {p["id"]: p["joined_at"] for p in rec["participants"]}
    assert all(p["加入时间"] == local(joined[p["编号"]]) for p in people)
    p6 = next(p for p in people if p["编号"] == "p6")
    assert p6["个人投票"] is None and p6["分组讨论"] is None and p6["讲师加分"] == 20
    assert {g["编号"]: g["总分"] for g in sheet_rows(book, "小组")} == EXPECTED_GROUPS
    subs = sheet_rows(book, "作答明细")
    assert [(s["序号"], s["消息编号"], s["计入"]) for s in subs] == [
        (s["seq"], s["client_id"], s["counted"]) for s in rec["submissions"]]
    assert any(s["答案"] == "A · 甲" for s in subs) and isinstance(subs[0]["时间"], datetime)
    rubric = sheet_rows(book, "角色扮演评分")[0]
    assert (rubric["轮次"], rubric["情绪安抚"], rubric["解决方案"], rubric["得分"]) == (1, 4, 4, 80)
    assert len(sheet_rows(book, "加分记录")) == 2
    assert len(sheet_rows(book, "事件")) == len(rec["events"])
    for name in DATA_SHEETS:
        sheet = book[name]
        assert sheet.freeze_panes == "A2" and sheet.print_title_rows == "$1:$1"
    for name in book.sheetnames:  # printable: landscape A4, one page wide
        sheet = book[name]
        assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToWidth == 1
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
    plans = book["行动计划"]
    cell = next(c for row in plans.iter_rows() for c in row if c.value == FORMULA)
    assert cell.data_type == "s"  # text, never a formula
    assert any(r["行动"] == "<b>整理台账</b> 📒" for r in sheet_rows(book, "行动计划"))


ENGLISH_DECK = """
id: english-mini
title: Handling complaints
version: 1
groups:
  - {id: g1, name: Team one}
activities:
  - id: e-vote
    kind: vote
    title: An angry customer
    card: {situation: The bill doubled.}
    options:
      - {id: a, text: Check the itemised bill, rating: best}
      - {id: b, text: Refuse, rating: poor}
  - id: e-vote-2
    kind: vote
    title: Not played
    card: {situation: Never started.}
    options:
      - {id: a, text: Agree, rating: best}
      - {id: b, text: Disagree, rating: poor}
agenda: [e-vote, e-vote-2]
"""


def test_xlsx_of_an_english_deck_speaks_english(tmp_path: Any) -> None:
    srv = start_server(tmp_path / "data", env={"CASEROOM_TIMEZONE": "America/New_York"})
    try:
        with srv.admin() as api:
            assert api.post("/api/decks", content=ENGLISH_DECK.encode()).status_code == 201
            s = api.post("/api/sessions", json={"deck": "english-mini"}).json()
        code, key = s["code"], s["host_key"]

        async def play() -> None:
            console = await host(srv.ws, code, key, "console")
            phone = await player(srv.ws, code, "Alice", group="g1")
            assert (await console.request({"type": "command", "name": "start", "args": {"activity": "e-vote"}}))[
                "type"] == "ack"
            await phone.view_until(lambda v: bool(v["activity"] and v["activity"]["status"] == "open"))
            assert (await phone.request({"type": "submit", "activity": "e-vote", "answer": {"choice": "a"}}))[
                "type"] == "ack"
            assert (await console.request({"type": "command", "name": "reveal", "args": {}}))["type"] == "ack"
            assert (await console.request({"type": "command", "name": "end", "args": {}}))["type"] == "ack"
            await console.close()
            await phone.close()

        asyncio.run(play())
        rec = get(srv, code, key, "json").json()
        book = load_workbook(io.BytesIO(get(srv, code, key, "xlsx").content))
        assert book.sheetnames == ["Overview", "1 An angry customer", "Trainees", "Groups",
                                   "Action plans", "Awards", "Activities", "Submissions", "Role-play scores",
                                   "Events", "Follow-up"]
        ov = {row[0]: row[1] for row in book["Overview"].iter_rows(values_only=True) if row and row[0]}
        assert ov["Code"] == code and ov["Time zone"] == "America/New_York"
        started = datetime.fromisoformat(rec["session"]["started_at"].replace("Z", "+00:00"))
        assert ov["Started"] == started.astimezone(ZoneInfo("America/New_York")).replace(
            tzinfo=None, microsecond=started.microsecond // 1000 * 1000)
        people = sheet_rows(book, "Trainees")
        assert people[0]["Name"] == "Alice" and people[0]["An angry customer"] == 100
        assert people[0]["Not played"] is None  # not played: blank, not 0
        acts = sheet_rows(book, "Activities")
        assert [a["Status"] for a in acts] == ["revealed", "not played"]
    finally:
        srv.stop()


def test_csv_zip_opens_with_the_csv_module(recorded: Any) -> None:
    srv, code, key, _ = recorded
    archive = zipfile.ZipFile(io.BytesIO(get(srv, code, key, "csv").content))
    assert sorted(archive.namelist()) == sorted(f"caseroom-{code}-{n}.csv" for n in TABLES)
    raw = archive.read(f"caseroom-{code}-trainees.csv")
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM, so Excel reads the Chinese as UTF-8
    people = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert {p["编号"]: int(p["总分"]) for p in people} == EXPECTED_SCORES
    assert next(p for p in people if p["编号"] == "p6")["个人投票"] == ""  # not answered: blank, not 0
    plans = list(csv.DictReader(io.StringIO(archive.read(f"caseroom-{code}-action_plans.csv").decode("utf-8-sig"))))
    assert "'" + FORMULA in [p["行动"] for p in plans]


def test_each_csv_table_downloads_on_its_own(recorded: Any) -> None:
    srv, code, key, _ = recorded
    rec = get(srv, code, key, "json").json()
    r = httpx.get(f"{srv.http}/api/sessions/{code}/export?format=csv&table=trainees",
                  headers={"Authorization": f"Bearer {key}"}, timeout=30)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert f'filename="caseroom-{code}-trainees.csv"' in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")
    people = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert {p["编号"]: int(p["总分"]) for p in people} == EXPECTED_SCORES
    joined = {p["id"]: p["joined_at"] for p in rec["participants"]}
    assert people[0]["加入时间"] == local(joined[people[0]["编号"]]).strftime("%Y-%m-%d %H:%M:%S")  # local time
    events = httpx.get(f"{srv.http}/api/sessions/{code}/export?format=csv&table=events",
                       headers={"Authorization": f"Bearer {key}"}, timeout=30)
    assert len(list(csv.reader(io.StringIO(events.content.decode("utf-8-sig"))))) == len(rec["events"]) + 1
    for bad in ("format=csv&table=nope", "format=xlsx&table=trainees"):
        r = httpx.get(f"{srv.http}/api/sessions/{code}/export?{bad}", headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == 400 and r.json()["error"]["code"] == "bad_table"


def test_html_report_escapes_everything(recorded: Any) -> None:
    srv, code, key, _ = recorded
    html = get(srv, code, key, "html").text
    assert "&lt;b&gt;整理台账&lt;/b&gt; 📒" in html and "<b>整理台账" not in html
    assert "<script" not in html and html.count("<svg") >= 5
    assert html.count('class="page"') >= 2 + 6  # activities, awards/plans, one page per trainee
    assert "学员6" in html and "全部活动类型" in html
    rec = get(srv, code, key, "json").json()
    page1 = html[:html.index('<section class="page">')]
    start = local(rec["session"]["started_at"])
    assert f"<b>{start:%Y-%m-%d}</b> · 开始 {start:%H:%M}" in page1 and "Asia/Shanghai" in page1  # local, not ISO UTC
    assert rec["session"]["started_at"] not in html
    assert "选择推荐处理的比例" in page1 and "最薄弱的三题" in page1 and "全班平均分" in page1
    assert "个人投票</td><td class='num'>5</td><td class='num'>60%</td>" in page1
    assert "第 1 轮 Round 1" in html  # role-play rounds labelled
    assert f'text-anchor="middle">{start:%H:%M:%S}</text>' in html  # the chart's x axis: local clock times
    assert "活动合计 activities 200 + 加减分 awards 20</th><th class='num'>220" in html  # p6's page adds up


def test_export_errors(recorded: Any) -> None:
    srv, code, key, _ = recorded
    assert get(srv, code, key, "pdf").json()["error"]["code"] == "bad_format"
    assert get(srv, code, "wrong", "json").status_code == 403
    assert get(srv, "999999", key, "json").status_code == 403
    assert httpx.get(f"{srv.http}/api/sessions/{code}/export").status_code == 401


def test_personal_record_shows_only_mine(recorded: Any) -> None:
    srv, code, _key, tokens = recorded
    r = httpx.post(f"{srv.http}/api/sessions/{code}/me", json={"token": tokens["p3"]})
    me = r.json()
    assert me["me"]["name"] == "学员3" and me["me"]["score"] == EXPECTED_SCORES["p3"]
    assert [x["what"] for x in me["action_plan"]] == [FORMULA, "<b>整理台账</b> 📒"]
    assert "学员1" not in str(me)
    assert httpx.post(f"{srv.http}/api/sessions/{code}/me", json={"token": "p3.nope"}).status_code == 403
    assert httpx.post(f"{srv.http}/api/sessions/{code}/me", content=b"[").status_code == 400


def test_personal_record_adds_up_for_every_trainee(recorded: Any) -> None:
    """Items + awards = score for every trainee, points earned through the group included
    (a consensus the trainee neither proposed nor confirmed, a deal card, a majority, a role-play
    round as the agent). Before the fix the lines came from the trainee's own submissions only."""
    srv, code, _key, tokens = recorded
    records = {pid: httpx.post(f"{srv.http}/api/sessions/{code}/me", json={"token": tok}).json()
               for pid, tok in tokens.items()}
    for pid, me in records.items():
        lines, awards = me["answers"], me["awards"]
        assert [a["stage"] for a in lines] == ["v-ind", "v-con", "o-maj", "e-ind", "d-grp", "rp", "deal-xyz", "plan"]
        assert sum(a["points"] or 0 for a in lines) + sum(a["points"] for a in awards) == me["me"]["score"], pid
        assert me["me"]["score"] == EXPECTED_SCORES[pid]
        for line in lines:
            assert sum(part["points"] for part in line["parts"]) == (line["points"] or 0), (pid, line)
        assert me["totals"] == {"activities": sum(a["points"] or 0 for a in lines),
                                "awards": sum(a["points"] for a in awards), "score": EXPECTED_SCORES[pid]}

    def line(pid: str, stage: str) -> dict[str, Any]:
        return next(a for a in records[pid]["answers"] if a["stage"] == stage)

    # p6 sent nothing in the majority order but earns its group's points and sees the group's answer.
    p6 = line("p6", "o-maj")
    assert p6["by_group"] and p6["answer"] and p6["my_answer"] is None
    assert p6["points"] == line("p5", "o-maj")["points"]
    # p4 confirmed g2's consensus vote; p3 proposed it: the same group answer and points for both.
    assert line("p3", "v-con")["answer"] == line("p4", "v-con")["answer"] and line("p3", "v-con")["by_group"]
    assert line("p3", "v-con")["parts"][0]["source"] == "consensus"
    # p1 played the agent in the role-play: the round's points, apart from any scores given.
    rp = line("p1", "rp")
    assert rp["rounds"] == [{"round": 1, "role": "agent", "group": "g1", "group_name": rp["rounds"][0]["group_name"],
                             "points": 80, "total": 8.0, "max": 10}]
    assert rp["parts"] == [{"source": "roleplay_agent", "round": 1, "points": 80}]
    assert line("p3", "rp")["points"] == 0 and line("p3", "rp")["observer_scores"]
    # The discussion line shows the post; the deal line the group's card answer.
    assert line("p3", "d-grp")["answer"] == "停机没收到短信" and line("p4", "d-grp")["by_group"]
    assert line("p5", "deal-xyz")["by_group"] and line("p5", "deal-xyz")["activity"] == "v-z"


def test_counted_is_one_submission_per_player_and_activity(recorded: Any) -> None:
    """One ``counted`` row per (player, card) that answered; group discussion posts count."""
    srv, code, key, _ = recorded
    rec = get(srv, code, key, "json").json()
    counted = [(s["player_id"], s["activity"]) for s in rec["submissions"] if s["counted"]]
    assert len(counted) == len(set(counted))
    answered = {(s["player_id"], s["activity"]) for s in rec["submissions"]
                if "upvote" not in s["answer"] and s["mode"] != "group-consensus"}
    assert answered <= set(counted)
    assert ("p3", "d-grp") in counted and ("p1", "d-grp") not in counted  # p1 only upvoted
    assert {p for p, a in counted if a == "rp"} == {"p3", "p4"}


def test_cli_lists_and_exports_sessions(recorded: Any, tmp_path: Any) -> None:
    srv, code, _key, _ = recorded
    env_data = ["--data", str(srv.data)]
    listing = subprocess.run([sys.executable, "-m", "server.cli", "sessions", *env_data], cwd=ROOT,
                             capture_output=True, text=True, timeout=60)
    assert code in listing.stdout and "ended" in listing.stdout and "6 joined" in listing.stdout
    out = tmp_path / "r.xlsx"
    done = subprocess.run([sys.executable, "-m", "server.cli", "export", code, "--format", "xlsx", "-o", str(out),
                           *env_data], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert load_workbook(out).sheetnames[0] == "概览"
    one = subprocess.run([sys.executable, "-m", "server.cli", "export", code, "--format", "csv", "--table", "awards",
                          "-o", str(tmp_path / "a.csv"), *env_data], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert one.returncode == 0, one.stderr
    assert (tmp_path / "a.csv").read_bytes().decode("utf-8-sig").startswith("序号,时间,对象,得分,理由")
    every = subprocess.run([sys.executable, "-m", "server.cli", "export", code, "--format", "csv",
                            "-o", str(tmp_path / "all.csv"), *env_data], cwd=ROOT, capture_output=True, text=True,
                           timeout=60)
    assert every.returncode == 0 and "zip" in every.stderr
    assert not (tmp_path / "all.csv").exists() and zipfile.is_zipfile(tmp_path / "all.zip")
    zoned = subprocess.run([sys.executable, "-m", "server.cli", "export", code, "--timezone", "Mars/Olympus",
                            *env_data], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert zoned.returncode == 2 and "unknown time zone" in zoned.stderr
    bad = subprocess.run([sys.executable, "-m", "server.cli", "export", code, "--format", "doc", *env_data],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2


def test_review_of_an_ended_session_survives_a_restart_and_then_it_can_be_deleted(recorded: Any) -> None:
    srv, code, key, _ = recorded
    auth = {"Authorization": f"Bearer {key}"}
    before = httpx.get(f"{srv.http}/api/sessions/{code}/review", headers=auth).json()
    srv.stop()
    again = start_server(srv.data, srv.port)
    try:
        after = httpx.get(f"{again.http}/api/sessions/{code}/review", headers=auth).json()
        assert after == before
        assert after["session"]["phase"] == "ended"
        vote = next(r for r in after["review"] if r["id"] == "v-ind")
        assert vote["class_choice"] == "a" and vote["recommended"] == "a" and vote["by_group"]["g1"] == {"choice": "a"}
        assert after["timeline"]["scores"][-1]["groups"] == EXPECTED_GROUPS
        mid = after["timeline"]["events"][len(after["timeline"]["events"]) // 2]["seq"]
        replay = httpx.get(f"{again.http}/api/sessions/{code}/replay?seq={mid}", headers=auth).json()
        assert replay["seq"] == mid and replay["view"]["session"]["phase"] == "running"
        admin = {"Authorization": f"Bearer {ADMIN}"}
        r = httpx.request("DELETE", f"{again.http}/api/sessions/{code}", headers=admin, json={"confirm": "no"})
        assert r.status_code == 400 and r.json()["error"]["code"] == "confirm_required"
        r = httpx.request("DELETE", f"{again.http}/api/sessions/{code}", headers=auth, json={"confirm": code})
        assert r.status_code == 403  # a host key cannot delete; only the admin
        r = httpx.request("DELETE", f"{again.http}/api/sessions/{code}", headers=admin, json={"confirm": code})
        assert r.json() == {"deleted": code}
        assert get(again, code, key, "json").status_code == 403
        listed = httpx.get(f"{again.http}/api/sessions", headers=admin).json()["sessions"]
        assert code not in [s["code"] for s in listed]
    finally:
        again.stop()
