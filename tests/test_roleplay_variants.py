"""Role-play variants: each round deals its own customer secret, so rotation never spoils a round.

With rotation, the round-2 agent is the round-1 customer. Without variants that agent has
read the very secret it now plays against; with ``variants`` (one per round) round r deals
variant r, and every phone shows only its own role's brief of the current round.
"""

from __future__ import annotations

from typing import Any

import pytest

from games.decks import parse_deck
from sessions.clock import FakeClock
from sessions.core import Command
from sessions.errors import DeckInvalid
from sessions.hub import LocalHub
from sessions.live import LiveSession, Sessions
from sessions.store import MemoryStore
from sessions.views import console_view, player_view, screen_view

SECRETS = ("秘密一：儿子要上网课", "秘密二：怕房东以为欠费", "秘密三：想要书面说明")
LOOKS = ("看一：是否问出真实需求", "看二：是否核实事实", "看三：是否给出书面材料")


def deck(variants: str, rounds: int = 3) -> str:
    return f"""\
id: rp-variants
title: 变体
groups: [{{id: g1, name: 一组}}]
rubrics:
  - id: r
    title: R
    criteria: [{{id: calm, title: 安抚}}]
activities:
  - id: rp
    kind: roleplay
    title: 角色扮演
    rubric: r
    scenario: {{situation: 客户对方案反复。}}
    roles:
      customer: {{title: 客户, brief: 基础：你不满意方案。}}
      agent: {{title: 营业员, brief: 你的任务：听清原因。}}
      observer: {{title: 观察员, brief: 基础观察。}}
    steps: {{prep: 0, play: 60, scoring: 60}}
    rounds: {rounds}
{variants}
"""


VARIANTS = "    variants:\n" + "".join(
    f"      - {{customer: {s}, observer: {o}}}\n" for s, o in zip(SECRETS, LOOKS, strict=True))


class Room:
    def __init__(self, text: str, members: int) -> None:
        self.clock = FakeClock()
        sessions = Sessions(MemoryStore(), LocalHub(), lambda _id: None)
        self.live: LiveSession = sessions.create(parse_deck(text), "变体", "654321", "h", self.clock.now_ms())
        self.pids = [self.live.join(f"学员{i}", "g1", None, self.clock.now_ms())[0] for i in range(members)]

    def host(self, command: str, /, **args: Any) -> None:
        self.live.execute(Command(command, "host", args), self.clock.now_ms())

    def me(self, pid: str) -> dict[str, Any]:
        return player_view(self.live.state, pid)["activity"]  # type: ignore[no-any-return]


def test_each_round_deals_its_own_secret_and_no_agent_knows_the_one_it_plays_against() -> None:
    room = Room(deck(VARIANTS), members=3)
    st = room.live.state
    room.host("start", activity="rp", group="g1")
    seen: dict[str, set[str]] = {p: set() for p in room.pids}  # every secret each phone has shown
    for r in range(3):
        views = {p: room.me(p) for p in room.pids}
        assert {v["round"] for v in views.values()} == {r}
        customer = next(p for p, v in views.items() if v["my_role"] == "customer")
        agent = next(p for p, v in views.items() if v["my_role"] == "agent")
        observer = next(p for p, v in views.items() if v["my_role"] == "observer")
        assert views[customer]["brief"] == SECRETS[r]
        assert views[observer]["brief"] == LOOKS[r]
        assert views[agent]["brief"] == "你的任务：听清原因。"  # no variant for the agent: the base brief
        # the agent has never been shown this round's secret, in this round or any before
        assert SECRETS[r] not in seen[agent]
        for p, v in views.items():
            assert all(s not in str(v) for s in SECRETS if s != v["brief"]), p  # only its own brief
            seen[p].add(v["brief"])
        assert not any(s in str(screen_view(st, 3)) for s in SECRETS)
        console = console_view(st, set())["activity"]
        assert console["briefs"]["customer"] == SECRETS[r]
        assert [v["customer"] for v in console["variants"]] == list(SECRETS)
        for _ in range(3):
            room.host("advance")
    # rotation really happened: the round-2 agent was the round-1 customer, and knows only that secret
    assert room.pids[1] in (p for p in room.pids if SECRETS[0] in seen[p])
    assert seen[room.pids[1]] & set(SECRETS) == {SECRETS[0]}


def test_without_variants_the_base_briefs_are_dealt_every_round() -> None:
    room = Room(deck("", rounds=2), members=2)
    room.host("start", activity="rp", group="g1")
    assert room.me(room.pids[1])["brief"] == "基础：你不满意方案。"
    for _ in range(3):
        room.host("advance")
    assert room.me(room.pids[0])["my_role"] == "customer"
    assert room.me(room.pids[0])["brief"] == "基础：你不满意方案。"


@pytest.mark.parametrize(("variants", "message"), [
    ("    variants:\n      - {customer: 一}\n      - {customer: 二}\n", "should hold 3 to 8 items, not 2"),
    ("    variants: {customer: 一}\n", "should be a list"),
    ("    variants:\n" + "      - {customer: 一}\n" * 2 + "      - {observer: 三}\n",
     "missing required key 'customer'"),
    ("    variants:\n" + "      - {customer: 一}\n" * 2 + "      - {customer: 三, judge: x}\n", "unknown key 'judge'"),
])
def test_variants_are_validated_with_lines(variants: str, message: str) -> None:
    with pytest.raises(DeckInvalid) as info:
        parse_deck(deck(variants))
    found = [p for p in info.value.problems if message in p.message]
    assert found and found[0].line is not None and found[0].line >= 20, info.value.problems
