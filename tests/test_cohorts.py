"""Cohorts: one deck played by two classes through the real server, compared in JSON and XLSX.

Class A (three trainees) and class B (three trainees) play the same deck, answering
differently. Figures worked out by hand:

  card      recommended    class A              class B              overall
  v1        a (best)       a a a   -> 3/3 1.0   a b c  -> 1/3 0.333  4/6 0.667
  v2        y (best)       y y x   -> 2/3 0.667 x x x  -> 0/3 0.0    2/6 0.333  <- weakest
  est       5 (±1)         5 6     -> 2/2 1.0   10     -> 0/1 0.0    2/3 0.667
  rp calm                  4                    2                    3.0
  rp solve                 2                    5                    3.5
"""

from __future__ import annotations

import asyncio
import io
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from tests.conftest import ADMIN, RunningServer, start_server
from tests.wsclient import Client, host, player

COHORT_DECK = """
id: cohort
title: 投诉处理对比
version: 1
groups:
  - {id: g1, name: 一组}
rubrics:
  - id: r
    title: 评分表
    criteria:
      - {id: calm, title: 情绪安抚, anchors: {1: 激化, 5: 平复}}
      - {id: solve, title: 解决方案, anchors: {1: 无, 5: 清晰}}
activities:
  - id: v1
    kind: vote
    title: 第一题
    card: {situation: 客户来电。}
    options:
      - {id: a, text: 先道歉, rating: best}
      - {id: b, text: 先解释, rating: acceptable}
      - {id: c, text: 挂电话, rating: poor}
    rationale: 先处理心情。
  - id: v2
    kind: vote
    title: 第二题
    card: {situation: 客户要求退款。}
    options:
      - {id: x, text: 直接拒绝, rating: poor}
      - {id: y, text: 核对详单, rating: best}
    rationale: 先核对。
  - id: est
    kind: estimate
    title: 申诉期限（月）
    unit: 个月
    answer: 5
    tolerance: 1
    zero_at: 5
    min: 0
    max: 24
  - id: rp
    kind: roleplay
    title: 角色扮演
    rubric: r
    scenario: {situation: 客户发现多扣费。}
    roles:
      customer: {title: 客户, brief: 你很生气。}
      agent: {title: 营业员, brief: 查明原因。}
      observer: {title: 观察员, brief: 打分。}
    steps: {prep: 0, play: 60, scoring: 60}
    points: 100
  - id: plan
    kind: plan
    title: 行动计划
    prompt: 回到岗位后，我会……
    max_items: 3
    max_length: 60
agenda: [v1, v2, est, rp, plan]
"""

CLASS_A = {"v1": ["a", "a", "a"], "v2": ["y", "y", "x"], "est": [5, 6, None], "rp": {"calm": 4, "solve": 2},
           "plan": [[{"what": "先复述客户诉求", "by": "下周"}, {"what": "整理收费台账"}],
                    [{"what": "每天回访一位客户"}], None]}
CLASS_B = {"v1": ["a", "b", "c"], "v2": ["x", "x", "x"], "est": [10, None, None], "rp": {"calm": 2, "solve": 5},
           "plan": [[{"what": "学习电信条例"}], None, None]}


def play_class(server: RunningServer, title: str, answers: dict[str, Any],
               tokens: dict[str, str] | None = None) -> tuple[str, str]:
    """Upload the deck (once), play one session of it with three trainees, end it; (code, host key)."""
    with server.admin() as api:
        r = api.post("/api/decks", content=COHORT_DECK.encode())
        assert r.status_code in (201, 409), r.text
        s = api.post("/api/sessions", json={"deck": "cohort", "title": title}).json()
    code, key = s["code"], s["host_key"]

    async def scenario() -> None:
        console = await host(server.ws, code, key, "console")
        phones: list[Client] = []
        for i in range(3):
            phones.append(await player(server.ws, code, f"{title}学员{i + 1}", group="g1"))
            if tokens is not None:
                tokens[f"p{i + 1}"] = (phones[-1].welcome or {})["token"]

        async def cmd(name: str, **args: Any) -> None:
            reply = await console.request({"type": "command", "name": name, "args": args})
            assert reply["type"] == "ack", (name, reply)

        async def submit(i: int, answer: Any) -> None:
            v = await phones[i].view_until(lambda v: v["activity"] is not None and v["activity"]["status"] == "open")
            reply = await phones[i].request({"type": "submit", "activity": v["activity"]["id"], "answer": answer})
            assert reply["type"] == "ack", (i, answer, reply)

        async def on(activity: str) -> None:
            for p in phones:
                await p.view_until(lambda v: v["activity"] is not None and v["activity"].get("stage") == activity)

        for card, field in (("v1", "choice"), ("v2", "choice"), ("est", "value")):
            await cmd("next")
            await on(card)
            for i, value in enumerate(answers[card]):
                if value is not None:
                    await submit(i, {field: value})
            await cmd("reveal")
        await cmd("start", activity="rp", group="g1")
        await on("rp")
        await cmd("advance")
        await submit(2, {"scores": answers["rp"]})  # the third trainee observes
        await cmd("close")
        await cmd("reveal")
        await cmd("next")
        await on("plan")
        for i, items in enumerate(answers["plan"]):
            if items is not None:
                await submit(i, {"items": items})
        await cmd("end")
        await console.view_until(lambda v: v["session"]["phase"] == "ended")
        for c in [console, *phones]:
            await c.close()

    asyncio.run(scenario())
    return code, key


@pytest.fixture(scope="module")
def two_classes(tmp_path_factory: pytest.TempPathFactory) -> Any:
    srv = start_server(tmp_path_factory.mktemp("cohorts") / "data")
    a = play_class(srv, "一班", CLASS_A)
    b = play_class(srv, "二班", CLASS_B)
    yield srv, a, b
    srv.stop()


def cohorts(srv: RunningServer, path: str = "/api/cohorts", token: str | None = ADMIN, **params: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(f"{srv.http}{path}", params={"deck": "cohort", **params}, headers=headers, timeout=60)


def by_id(cards: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in cards}


def test_two_classes_compared_card_by_card(two_classes: Any) -> None:
    srv, (code_a, _), (code_b, _) = two_classes
    r = cohorts(srv)
    assert r.status_code == 200, r.text
    data = r.json()
    assert [c["sessions"] for c in data["classes"]] == [[code_a], [code_b]]
    assert [c["label"].split(" · ")[0] for c in data["classes"]] == ["一班", "二班"]
    assert [c["trainees"] for c in data["classes"]] == [3, 3]
    cards = by_id(data["cards"])
    assert list(cards) == ["v1", "v2", "est"]  # role-play and plan carry no "recommended" share
    assert [c["share"] for c in cards["v1"]["by_class"]] == [1.0, 0.333]
    assert [c["share"] for c in cards["v2"]["by_class"]] == [0.667, 0.0]
    assert [c["answered"] for c in cards["est"]["by_class"]] == [2, 1]
    assert [c["share"] for c in cards["est"]["by_class"]] == [1.0, 0.0]
    assert cards["v1"]["overall"] == {"answered": 6, "agreed": 4, "share": 0.667,
                                      "mean_points": cards["v1"]["overall"]["mean_points"]}
    assert cards["v1"]["by_class"][0]["mean_points"] == 100.0  # every one chose the best option
    assert data["weakest"][0]["id"] == "v2"
    assert data["weakest"][0]["overall"]["share"] == 0.333
    rubric = {r["criterion"]: r for r in data["rubric"]}
    assert rubric["calm"]["by_class"] == [4.0, 2.0] and rubric["calm"]["overall"] == 3.0
    assert rubric["solve"]["by_class"] == [2.0, 5.0] and rubric["solve"]["overall"] == 3.5
    assert rubric["calm"]["criterion_title"] == "情绪安抚"
    assert {s["code"] for s in data["sessions"]} == {code_a, code_b}
    assert "学员" not in r.text  # counts only: no trainee's name in a comparison
    assert cohorts(srv).json() == data  # a second time from the cached figures of the ended sessions


def test_the_trainers_own_grouping_pools_the_sessions(two_classes: Any) -> None:
    srv, (code_a, _), (code_b, _) = two_classes
    data = cohorts(srv, groups=f"{code_a},{code_b}").json()
    assert len(data["classes"]) == 1 and data["classes"][0]["trainees"] == 6
    cards = by_id(data["cards"])
    assert cards["v1"]["by_class"][0]["share"] == 0.667  # 4 of 6 trainees, not the mean of 1.0 and 0.333
    assert cards["est"]["by_class"][0] == cards["est"]["overall"]
    swapped = cohorts(srv, groups=f"{code_b}|{code_a}").json()
    assert [c["share"] for c in by_id(swapped["cards"])["v1"]["by_class"]] == [0.333, 1.0]
    for bad in (f"{code_a},{code_a}", "999999", "abc", "|", f"{code_a}|{code_a}"):
        r = cohorts(srv, groups=bad)
        assert r.status_code == 400 and r.json()["error"]["code"] == "bad_groups", bad


def test_the_workbook_holds_the_same_figures(two_classes: Any) -> None:
    srv, _, _ = two_classes
    r = cohorts(srv, "/api/cohorts.xlsx")
    assert r.status_code == 200 and "cohorts-cohort.xlsx" in r.headers["content-disposition"]
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["各题按班级", "最薄弱的题", "角色扮演评分项按班级", "行动计划完成情况"]
    rows = list(book["各题按班级"].iter_rows(values_only=True))
    assert rows[0][0] == "投诉处理对比"
    head = rows[1]
    assert head[2].startswith("一班") and head[3].startswith("二班")
    body = {row[0]: row for row in rows[2:]}
    assert body["第一题"][2:4] == (1.0, 0.333) and body["第二题"][2:4] == (0.667, 0.0)
    assert body["第一题"][6:8] == (0.667, 6)
    assert book["各题按班级"].cell(row=3, column=3).number_format == "0.0%"
    weakest = list(book["最薄弱的题"].iter_rows(values_only=True))
    assert weakest[1][0] == "第二题" and weakest[1][2] == 0.333
    rubric = {row[1]: row for row in book["角色扮演评分项按班级"].iter_rows(values_only=True)}
    assert rubric["情绪安抚"][2:5] == (4.0, 2.0, 3.0) and rubric["解决方案"][2:5] == (2.0, 5.0, 3.5)


def test_cohorts_need_the_admin_token(two_classes: Any) -> None:
    srv, (_code_a, key_a), _ = two_classes
    for path in ("/api/cohorts", "/api/cohorts.xlsx"):
        assert cohorts(srv, path, token=None).status_code == 401
        assert cohorts(srv, path, token=key_a).status_code == 403  # a host key opens its session only
        assert cohorts(srv, path, token="nonsense").status_code == 403
    r = httpx.get(f"{srv.http}/api/cohorts", params={"deck": "no-such"}, timeout=30,
                  headers={"Authorization": f"Bearer {ADMIN}"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_deck"
    r = httpx.get(f"{srv.http}/api/cohorts", timeout=30, headers={"Authorization": f"Bearer {ADMIN}"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "unknown_deck"


def test_a_live_session_is_compared_as_it_stands_and_one_never_started_is_left_out(two_classes: Any) -> None:
    """(Runs last in this module: it adds two sessions to the deck.)"""
    srv, (code_a, _), (code_b, _) = two_classes
    with srv.admin() as api:
        idle = api.post("/api/sessions", json={"deck": "cohort", "title": "未开课"}).json()["code"]
        s = api.post("/api/sessions", json={"deck": "cohort", "title": "三班"}).json()
    code, key = s["code"], s["host_key"]

    async def scenario() -> None:
        console = await host(srv.ws, code, key, "console")
        phone = await player(srv.ws, code, "三班学员", group="g1")
        reply = await console.request({"type": "command", "name": "next", "args": {}})
        assert reply["type"] == "ack", reply
        await phone.view_until(lambda v: v["activity"] is not None and v["activity"]["status"] == "open")
        reply = await phone.request({"type": "submit", "activity": "v1", "answer": {"choice": "c"}})
        assert reply["type"] == "ack", reply
        data = cohorts(srv).json()  # while the session is live
        assert [c["sessions"] for c in data["classes"]] == [[code_a], [code_b], [code]]
        v1 = by_id(data["cards"])["v1"]
        assert v1["by_class"][2] == {"answered": 1, "agreed": 0, "share": 0.0, "mean_points": None}
        assert v1["overall"]["answered"] == 7 and by_id(data["cards"])["v2"]["by_class"][2] is None
        assert idle in {s["code"] for s in data["sessions"]}  # listed for the trainer's own grouping
        await phone.close()
        await console.close()

    asyncio.run(scenario())
