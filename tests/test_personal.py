"""The trainee's own record through the core: hidden posts, role-play agent and observer, late joiners.

(The play-through of every kind and mode over the wire, with the sum checked for every trainee
via ``POST /me``, is ``tests/test_exports.py::test_personal_record_adds_up_for_every_trainee``.)
"""

from __future__ import annotations

from sessions.export import record
from sessions.personal import personal
from tests.test_kinds import Room


def test_hidden_posts_late_joiners_and_role_play_lines_add_up() -> None:
    r = Room()
    st = r.live.state
    r.host("start", activity="v-ind")
    r.submit("p1", {"choice": "a"})
    r.host("reveal")
    r.clock.advance(5)
    late, _ = r.live.join("迟到者", "g1", None, r.now)  # joins after v-ind: that line is "not present"
    r.host("start", activity="d-grp")
    r.submit("p3", {"post": "可以公开的帖子"})
    r.submit("p4", {"post": "被讲师隐藏的帖子"})
    hidden = next(pid for pid, post in st.stages["d-grp"].cards["d-grp"].posts.items() if post.text.startswith("被"))
    r.host("act", action="hide", post=hidden)
    r.host("reveal")
    r.host("start", activity="rp", group="g1")
    r.host("advance")  # play: p1 is the agent, p2 the customer
    r.submit("p3", {"scores": {"calm": 4}})  # one observer's scores in two messages
    r.submit("p3", {"scores": {"solve": 2}})
    r.host("close")
    r.host("reveal")
    r.host("award", target="p2", points=-10, reason="迟交")
    r.host("end")

    for pid in [*(f"p{i}" for i in range(1, 7)), late]:
        me = personal(r.live, pid)
        assert me["totals"]["activities"] + me["totals"]["awards"] == me["me"]["score"] == st.player_score(pid)
    p3 = {line["stage"]: line for line in personal(r.live, "p3")["answers"]}
    p4 = {line["stage"]: line for line in personal(r.live, "p4")["answers"]}
    assert p3["d-grp"]["answer"] == "可以公开的帖子" and p3["d-grp"]["by_group"]
    assert "被讲师隐藏的帖子" not in str(personal(r.live, "p4")) and p4["d-grp"]["answer"] == "可以公开的帖子"
    assert p3["rp"]["observer_scores"] == ["1: 情绪安抚 4, 解决方案 2"] and p3["rp"]["points"] == 0  # earns nothing
    p1 = {line["stage"]: line for line in personal(r.live, "p1")["answers"]}
    p2 = {line["stage"]: line for line in personal(r.live, "p2")["answers"]}
    assert [x["round"] for x in p1["rp"]["rounds"]] == [1] and p2["rp"]["rounds"] == []
    assert p1["rp"]["points"] == p1["rp"]["parts"][0]["points"] > 0
    assert personal(r.live, "p2")["awards"] == [{"points": -10, "reason": "迟交"}]
    newcomer = {line["stage"]: line for line in personal(r.live, late)["answers"]}
    assert not newcomer["v-ind"]["present"] and newcomer["d-grp"]["present"]
    # One counted row per player and card: p3 sent two role-play score messages, one counts.
    counted = [(s["player_id"], s["activity"]) for s in record(r.live)["submissions"] if s["counted"]]
    assert counted.count(("p3", "rp")) == 1 and len(counted) == len(set(counted))


SPEED_DECK = """
id: speed
title: 抢答与多数
version: 1
groups:
  - {id: g1, name: 一组}
activities:
  - id: fast
    kind: vote
    title: 抢答
    time_limit: 60
    speed_bonus: 50
    card: {situation: 客户来电。}
    options:
      - {id: a, text: 先道歉, rating: best}
      - {id: b, text: 先解释, rating: poor}
    rationale: 先处理心情。
  - id: maj
    kind: vote
    mode: group-majority
    title: 小组多数
    card: {situation: 客户来电。}
    options:
      - {id: a, text: 先道歉, rating: best}
      - {id: b, text: 先解释, rating: poor}
    rationale: 先处理心情。
agenda: [fast, maj]
"""


def test_speed_bonus_and_majority_are_parts_of_the_line() -> None:
    from games.decks import parse_deck
    from sessions.clock import FakeClock
    from sessions.core import Command
    from sessions.hub import LocalHub
    from sessions.live import Sessions
    from sessions.store import MemoryStore

    clock = FakeClock()
    live = Sessions(MemoryStore(), LocalHub(), lambda _id: None).create(parse_deck(SPEED_DECK), "抢答", "111222", "h",
                                                                        clock.now_ms())
    p1, _ = live.join("甲", "g1", None, clock.now_ms())
    p2, _ = live.join("乙", "g1", None, clock.now_ms())

    def run(actor: str, name: str, **args: object) -> None:
        live.execute(Command(name, actor, dict(args)), clock.now_ms())

    run("host", "start", activity="fast")
    clock.advance(15)  # 45 of 60 s left: a bonus of 50 x 45/60 = 37.5 -> 38 (half up)
    run(p1, "submit", activity="fast", answer={"choice": "a"})
    run(p2, "submit", activity="fast", answer={"choice": "b"})
    run("host", "reveal")
    run("host", "start", activity="maj")
    run(p1, "submit", activity="maj", answer={"choice": "a"})
    run("host", "reveal")
    mine = {line["stage"]: line for line in personal(live, p1)["answers"]}
    assert mine["fast"]["points"] == 138
    assert mine["fast"]["parts"] == [{"source": "answer", "points": 100}, {"source": "speed_bonus", "points": 38}]
    theirs = {line["stage"]: line for line in personal(live, p2)["answers"]}
    assert theirs["maj"]["by_group"] and theirs["maj"]["my_answer"] is None and theirs["maj"]["answer"] == "A · 先道歉"
    assert theirs["maj"]["parts"] == [{"source": "majority", "points": 100}]
    for pid in (p1, p2):
        me = personal(live, pid)
        assert me["totals"]["activities"] + me["totals"]["awards"] == me["me"]["score"]


SLIDE_DECK = """
id: with-slide
title: 讲解与投票
version: 1
activities:
  - id: intro
    kind: slide
    title: 三段式法则
    points: [认同感受, 说明事实, 给出方案]
  - id: q
    kind: vote
    title: 先做什么
    card: {situation: 客户来电。}
    options:
      - {id: a, text: 先道歉, rating: best}
      - {id: b, text: 先解释, rating: poor}
    rationale: 先处理心情。
agenda: [intro, q]
"""


def test_a_session_with_a_slide_exports_in_every_format_and_its_record_adds_up() -> None:
    import io

    from openpyxl import load_workbook

    from games.decks import parse_deck
    from sessions.clock import FakeClock
    from sessions.core import Command
    from sessions.export import FORMATS, render
    from sessions.hub import LocalHub
    from sessions.live import Sessions
    from sessions.store import MemoryStore

    clock = FakeClock()
    live = Sessions(MemoryStore(), LocalHub(), lambda _id: None).create(parse_deck(SLIDE_DECK), "讲解", "333444", "h",
                                                                        clock.now_ms())
    p1, _ = live.join("甲", None, None, clock.now_ms())
    for actor, name, args in [("host", "start", {"activity": "intro"}), ("host", "start", {"activity": "q"}),
                              (p1, "submit", {"activity": "q", "answer": {"choice": "a"}}), ("host", "reveal", {}),
                              ("host", "end", {})]:
        live.execute(Command(name, actor, args), clock.now_ms())
        clock.advance(30)
    me = personal(live, p1)
    assert [line["kind"] for line in me["answers"]] == ["slide", "vote"]
    assert me["totals"] == {"activities": 100, "awards": 0, "score": 100}
    for fmt in FORMATS:
        body, _media, _name = render(live, fmt)
        assert body
    book = load_workbook(io.BytesIO(render(live, "xlsx")[0]))
    assert book.sheetnames[:3] == ["概览", "1 三段式法则", "2 先做什么"]
