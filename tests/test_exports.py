"""Exports of a session recorded through the real server, checked against its own log."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import zipfile
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from tests.conftest import ADMIN, ROOT, RunningServer, start_server
from tests.test_kinds_protocol import EXPECTED_GROUPS, EXPECTED_SCORES, play_every_kind

FORMULA = '=HYPERLINK("http://x")'
SHEETS = ["participants", "groups", "activities", "submissions", "scores", "rubric_scores", "awards", "action_plans"]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Any:
    srv = start_server(tmp_path_factory.mktemp("exports") / "data")
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


def test_xlsx_has_every_table_and_matches_the_log(recorded: Any) -> None:
    srv, code, key, _ = recorded
    rec = get(srv, code, key, "json").json()
    r = get(srv, code, key, "xlsx")
    assert r.status_code == 200 and 'filename="caseroom-' in r.headers["content-disposition"]
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == SHEETS
    for name in SHEETS:
        assert book[name].freeze_panes == "A2"

    def rows(name: str) -> list[dict[str, Any]]:
        values = list(book[name].iter_rows(values_only=True))
        return [dict(zip(values[0], row, strict=True)) for row in values[1:]]

    assert {r["id"]: r["score"] for r in rows("participants")} == EXPECTED_SCORES
    assert {r["player_id"]: r["total"] for r in rows("scores")} == EXPECTED_SCORES
    assert {r["id"]: r["score"] for r in rows("groups")} == EXPECTED_GROUPS
    subs = rows("submissions")
    assert [(s["seq"], s["client_id"], s["counted"]) for s in subs] == [
        (s["seq"], s["client_id"], s["counted"]) for s in rec["submissions"]]
    assert any(s["answer"] == "A · 甲" for s in subs)
    rubric = rows("rubric_scores")[0]
    assert (rubric["calm"], rubric["solve"], rubric["points"]) == (4, 4, 80)
    assert len(rows("awards")) == 2
    plans = book["action_plans"]
    cell = next(c for row in plans.iter_rows() for c in row if c.value == FORMULA)
    assert cell.data_type == "s"  # text, never a formula
    assert any(r["what"] == "<b>整理台账</b> 📒" for r in rows("action_plans"))


def test_csv_zip_opens_with_the_csv_module(recorded: Any) -> None:
    srv, code, key, _ = recorded
    archive = zipfile.ZipFile(io.BytesIO(get(srv, code, key, "csv").content))
    assert sorted(archive.namelist()) == sorted(f"caseroom-{code}-{n}.csv" for n in SHEETS)
    raw = archive.read(f"caseroom-{code}-participants.csv")
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM, so Excel reads the Chinese as UTF-8
    people = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert {p["id"]: int(p["score"]) for p in people} == EXPECTED_SCORES
    plans = list(csv.DictReader(io.StringIO(archive.read(f"caseroom-{code}-action_plans.csv").decode("utf-8-sig"))))
    assert "'" + FORMULA in [p["what"] for p in plans]


def test_html_report_escapes_everything(recorded: Any) -> None:
    srv, code, key, _ = recorded
    html = get(srv, code, key, "html").text
    assert "&lt;b&gt;整理台账&lt;/b&gt; 📒" in html and "<b>整理台账" not in html
    assert "<script" not in html and html.count("<svg") >= 5
    assert html.count('class="page"') >= 2 + 6  # activities, awards/plans, one page per trainee
    assert "学员6" in html and "全部活动类型" in html


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
    assert load_workbook(out).sheetnames == SHEETS
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
