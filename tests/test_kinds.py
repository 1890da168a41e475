"""Every kind, played through the core with a fake clock, scored against values worked out by hand.

Six players in three groups (p1 p2 | p3 p4 | p5 p6). Expected points per activity:

  activity  mode        p1   p2   p3   p4   p5   p6   group points
  v-ind     individual  100   50    0  100  100    0
  v-con     consensus   100  100   50   50    0    0   (g3 never confirmed)
  o-maj     majority    100  100   83   83    0    0   (g1 tie -> first answer; g2 d=1: 100*(1-1/6))
  e-ind     individual  100   75    0    0    0  100   (5 exact, 7 -> 75, 10 -> 0, 4.5 within 1)
  d-grp     group         0    0    0    0    0    0   g2 +30 award for its post
  rp        roleplay     80    0    0    0    0    0   g1 +80 (means 4.0 + 4.0 of 10 -> 80)
  deal-xyz  consensus   100  100   50   50  100  100
  award                   0    0    0    0    0   20
  total                 580  425  183  283  200  220

Groups: mean of member scores (half up) + own points:
  g1 = (580+425)/2 = 502.5 -> 503 + 80 = 583;  g2 = (183+283)/2 = 233 + 30 = 263;  g3 = (200+220)/2 = 210.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from games.decks import parse_deck
from sessions.clock import FakeClock
from sessions.core import Command
from sessions.errors import Refused
from sessions.hub import LocalHub
from sessions.live import LiveSession, Sessions
from sessions.store import MemoryStore
from sessions.views import console_view, leaderboard, player_view, screen_view

KINDS_DECK = (Path(__file__).parent / "fixtures" / "kinds.yaml").read_text(encoding="utf-8")


class Room:
    def __init__(self) -> None:
        self.clock = FakeClock()
        sessions = Sessions(MemoryStore(), LocalHub(), lambda _id: None)
        self.live: LiveSession = sessions.create(parse_deck(KINDS_DECK), "全类型", "654321", "h",
                                                 self.clock.now_ms())
        for i, group in enumerate(["g1", "g1", "g2", "g2", "g3", "g3"], 1):
            assert self.live.join(f"学员{i}", group, None, self.now)[0] == f"p{i}"

    @property
    def now(self) -> int:
        return self.clock.now_ms()

    def host(self, command: str, /, **args: Any) -> list[str]:
        return [e.type for e in self.live.execute(Command(command, "host", args), self.now).events]

    def submit(self, pid: str, answer: Any, activity: str | None = None) -> list[str]:
        activity = activity or self.live.state.current
        out = self.live.execute(Command("submit", pid, {"activity": activity, "answer": answer}), self.now)
        return [e.type for e in out.events]

    def refused(self, code: str, pid: str, answer: Any, activity: str | None = None) -> None:
        seq = self.live.state.seq
        with pytest.raises(Refused) as info:
            self.submit(pid, answer, activity)
        assert info.value.code == code
        assert self.live.state.seq == seq  # a refusal changes nothing

    def proposal(self, pid: str) -> int:
        return player_view(self.live.state, pid)["activity"]["proposal"]["seq"]  # type: ignore[no-any-return]

    def scores(self) -> list[int]:
        return [self.live.state.player_score(f"p{i}") for i in range(1, 7)]


def test_every_kind_in_individual_and_group_modes() -> None:
    r = Room()
    st = r.live.state

    # v-ind: individual vote
    r.host("next")
    for pid, choice in [("p1", "a"), ("p2", "b"), ("p3", "c"), ("p4", "a"), ("p5", "a")]:
        r.submit(pid, {"choice": choice})
    r.host("reveal")
    assert r.scores() == [100, 50, 0, 100, 100, 0]

    # v-con: group consensus; a proposal counts only once another member confirms it
    r.host("next")
    r.submit("p1", {"choice": "c"})
    r.refused("own_proposal", "p1", {"confirm": r.proposal("p1")})
    r.submit("p2", {"confirm": r.proposal("p2")})
    r.submit("p2", {"choice": "a"})
    r.refused("no_proposal", "p1", {"confirm": 1})
    r.submit("p1", {"confirm": r.proposal("p1")})
    r.refused("already_confirmed", "p2", {"confirm": r.proposal("p2")})
    r.submit("p3", {"choice": "b"})
    r.submit("p4", {"confirm": r.proposal("p4")})
    r.submit("p5", {"choice": "a"})  # never confirmed
    screen = console_view(st, set())
    assert screen["activity"]["tally"] == {"a": 1, "b": 1, "c": 0}
    assert [g["confirmed"] for g in screen["activity"]["groups"]] == [True, True, False]
    r.host("reveal")
    assert r.scores() == [200, 150, 50, 150, 100, 0]

    # o-maj: group majority over an order
    r.host("next")
    r.submit("p1", {"order": ["s1", "s2", "s3", "s4"]})
    r.submit("p2", {"order": ["s2", "s1", "s3", "s4"]})
    r.submit("p3", {"order": ["s1", "s2", "s4", "s3"]})
    r.submit("p4", {"order": ["s1", "s2", "s4", "s3"]})
    r.submit("p5", {"order": ["s4", "s3", "s2", "s1"]})
    r.refused("bad_answer", "p6", {"order": ["s1", "s2", "s3"]})
    r.refused("bad_answer", "p6", {"order": ["s1", "s1", "s2", "s3"]})
    assert screen_view(st, 6)["activity"]["reveal"] is None
    r.host("reveal")
    revealed = screen_view(st, 6)["activity"]["reveal"]
    assert revealed["correct"] == ["s1", "s2", "s3", "s4"]
    assert revealed["most_common"] == ["s1", "s2", "s4", "s3"] and revealed["most_common_count"] == 2
    assert r.scores() == [300, 250, 133, 233, 100, 0]

    # e-ind: estimate, closeness
    r.host("next")
    for pid, value in [("p1", 5), ("p2", 7), ("p3", 10), ("p6", 4.5)]:
        r.submit(pid, {"value": value})
    r.refused("bad_answer", "p4", {"value": 99})
    r.refused("bad_answer", "p4", {"value": "5"})
    assert "histogram" not in screen_view(st, 6)["activity"]  # hidden until the reveal
    hist = console_view(st, set())["activity"]["histogram"]
    assert sum(hist["counts"]) == 4 and "answer_key" not in screen_view(st, 6)["activity"]
    r.host("reveal")
    assert r.scores() == [400, 325, 133, 233, 100, 100]

    # d-grp: posts by groups, upvotes by people, moderation, an award for a post
    r.host("next")
    r.submit("p1", {"post": "客户要求十倍赔偿"})
    r.submit("p3", {"post": "停机没收到短信"})
    r.submit("p3", {"post": "第二条"})
    r.refused("too_many_posts", "p4", {"post": "第三条"})
    r.refused("too_long", "p5", {"post": "长" * 51})
    posts = {p["text"]: p["id"] for p in screen_view(st, 6)["activity"]["posts"]}
    r.submit("p4", {"upvote": posts["客户要求十倍赔偿"]})
    r.refused("already_voted", "p4", {"upvote": posts["客户要求十倍赔偿"]})
    r.refused("own_post", "p1", {"upvote": posts["客户要求十倍赔偿"]})
    r.host("act", action="highlight", post=posts["停机没收到短信"])
    r.host("act", action="hide", post=posts["第二条"])
    board = screen_view(st, 6)["activity"]["posts"]
    assert [(p["text"], p["votes"], p["highlighted"]) for p in board] == [
        ("停机没收到短信", 0, True), ("客户要求十倍赔偿", 1, False)]
    assert any(p["text"] == "第二条" and p["hidden"] for p in player_view(st, "p4")["activity"]["posts"])
    assert all(p["text"] != "第二条" for p in player_view(st, "p1")["activity"]["posts"])
    r.host("award", target="g2", points=30, reason="讨论：停机没收到短信")
    r.host("reveal")
    assert r.scores() == [400, 325, 133, 233, 100, 100]

    # rp: a role-play of group g1, observed by the room
    r.host("start", activity="rp", group="g1")
    assert player_view(st, "p1")["activity"]["my_role"] == "agent"
    customer = player_view(st, "p2")["activity"]
    assert customer["my_role"] == "customer" and customer["brief"] == "秘密：你其实想要十倍赔偿。"
    assert player_view(st, "p3")["activity"]["my_role"] == "observer"
    assert "秘密" not in str(screen_view(st, 6)) and "秘密" not in str(player_view(st, "p3"))
    assert "秘密" in str(console_view(st, set()))
    r.refused("bad_phase", "p3", {"scores": {"calm": 4}})  # prep: nothing to score yet
    assert r.host("advance") == ["step_started"]
    assert screen_view(st, 6)["activity"]["step"] == "play"
    r.submit("p3", {"scores": {"calm": 4, "solve": 3}})
    r.refused("already_scored", "p3", {"scores": {"calm": 5}})
    r.refused("not_observer", "p2", {"scores": {"calm": 1}})
    r.refused("bad_answer", "p4", {"scores": {"calm": 6}})
    r.refused("bad_answer", "p4", {"scores": {"charm": 3}})
    r.submit("p4", {"scores": {"calm": 5, "solve": 5}})
    r.host("act", action="score", group="g1", scores={"calm": 3, "solve": 4})
    live = screen_view(st, 6)["activity"]["live"][0]
    assert live["means"] == {"calm": 4.0, "solve": 4.0} and live["points"] == 80 and live["scorers"] == 3
    r.host("advance")
    assert r.host("advance") == ["activity_closed"]
    r.host("reveal")
    assert r.scores() == [480, 325, 133, 233, 100, 100]

    # deal-xyz: one card per group, group consensus
    r.host("next")
    assert [player_view(st, p)["activity"]["id"] for p in ("p1", "p3", "p5")] == ["v-x", "v-y", "v-z"]
    r.refused("not_current", "p1", {"choice": "a"}, "v-y")
    r.submit("p2", {"choice": "a"}, "v-x")
    r.submit("p1", {"confirm": r.proposal("p1")}, "v-x")
    r.submit("p3", {"choice": "b"}, "v-y")
    r.submit("p4", {"confirm": r.proposal("p4")}, "v-y")
    r.submit("p6", {"choice": "a"}, "deal-xyz")
    r.submit("p5", {"confirm": r.proposal("p5")}, "deal-xyz")
    deal = screen_view(st, 6)["activity"]
    assert [(c["group"], c["id"], c["confirmed"]) for c in deal["cards"]] == [
        ("g1", "v-x", True), ("g2", "v-y", True), ("g3", "v-z", True)]
    r.host("reveal")
    assert r.scores() == [580, 425, 183, 283, 200, 200]

    # plan: action plans, then the review
    r.host("next")
    r.submit("p1", {"items": [{"what": "每次先复述客户诉求", "by": "下周", "module": "m1"},
                              {"what": "建立升级台账"}]})
    r.refused("too_many_items", "p2", {"items": [{"what": "x"}] * 4})
    r.refused("too_long", "p2", {"items": [{"what": "长" * 61}]})
    r.refused("bad_answer", "p2", {"items": [{"what": "x", "module": "m9"}]})
    plan_view = screen_view(st, 6)["activity"]
    assert plan_view["items"] == 2 and plan_view["highlights"][0]["what"] == "每次先复述客户诉求"
    assert "学员1" not in str(plan_view["highlights"])
    review = {row["id"]: row for row in plan_view["review"]}
    assert review["v-ind"]["class_choice"] == "a" and review["v-ind"]["recommended"] == "a"
    assert review["rp"]["results"][0]["points"] == 80
    r.host("award", target="p6", points=20, reason="故事分享")
    r.host("end")

    assert r.scores() == [580, 425, 183, 283, 200, 220]
    assert st.group_scores() == {"g1": 583, "g2": 263, "g3": 210}
    assert [row["id"] for row in leaderboard(st)] == ["p1", "p2", "p4", "p6", "p5", "p3"]
    podium = screen_view(st, 6)["podium"]
    assert [g["id"] for g in podium["groups"]] == ["g1", "g2", "g3"]


def test_timers_pause_extend_and_auto_advance() -> None:
    r = Room()
    st = r.live.state
    r.host("start", activity="rp", group="g2")
    r.host("advance")  # into play: 60 s
    start = r.now
    assert st.stage.deadline == start + 60_000  # type: ignore[union-attr]
    r.clock.advance(10)
    r.host("pause")
    assert st.stage.paused_left == 50_000 and r.live.next_due() is None  # type: ignore[union-attr]
    r.clock.advance(300)  # a long pause costs no time
    r.host("extend", seconds=30)
    r.host("resume")
    assert st.stage.deadline == r.now + 80_000  # type: ignore[union-attr]
    r.clock.advance(80)
    assert r.live.execute(Command("tick", "system"), r.now).events[0].data["name"] == "scoring"
    r.clock.advance(60)
    assert [e.type for e in r.live.execute(Command("tick", "system"), r.now).events] == ["activity_closed"]

    # auto-advance: a timed card that expires is revealed, and the next one starts by itself
    r.host("auto_advance", seconds=10)
    r.host("start", activity="e-ind")
    r.host("extend", seconds=20)
    r.clock.advance(20)
    types = [e.type for e in r.live.execute(Command("tick", "system"), r.now).events]
    assert types == ["activity_closed", "activity_revealed"]
    r.clock.advance(10)
    types = [e.type for e in r.live.execute(Command("tick", "system"), r.now).events]
    assert types == ["activity_started"] and st.current == "d-grp"

    # a break: the screen shows it; it ends on time by itself
    r.host("break", minutes=5, message="茶歇")
    assert screen_view(st, 0)["session"]["break"]["message"] == "茶歇"
    r.clock.advance(300)
    r.live.execute(Command("tick", "system"), r.now)
    assert st.break_until is None

    # the leaderboard can be hidden (survey mode)
    r.host("leaderboard", show=False)
    assert screen_view(st, 0)["leaderboard"] is None and console_view(st, set())["leaderboard"]


def test_groups_are_managed_from_the_console() -> None:
    r = Room()
    st = r.live.state
    r.host("group_add", name="四组")
    assert st.groups["g4"] == "四组"
    with pytest.raises(Refused):
        r.host("group_add", name="四组")
    r.host("group_rename", group="g4", name="第四组")
    r.host("move", player="p6", group="第四组")
    assert st.players["p6"].group == "g4" and st.group_sizes == {"g1": 2, "g2": 2, "g3": 1, "g4": 1}
    pid, _ = r.live.join("迟到者", None, None, r.now)  # late joiners land in the smallest group
    assert st.players[pid].group == "g3"
    with pytest.raises(Refused):
        r.live.execute(Command("move", "p1", {"player": "p2", "group": "g1"}), r.now)
