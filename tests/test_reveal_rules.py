"""The reveal moment's rules, in the core: results hidden until the reveal, closing when
everyone has answered (with the connection grace), and groups that stay balanced.

Pure: commands in, events and views out, a fake clock; the driver's side (sockets that drop
and resume) is in ``tests/test_reveal_protocol.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from games.decks import parse_deck
from sessions.autoclose import BEAT_MS, GRACE_MS, everyone_answered, present, should_check
from sessions.clock import FakeClock
from sessions.core import Command, next_due
from sessions.errors import Refused
from sessions.hub import LocalHub
from sessions.live import LiveSession, Sessions
from sessions.store import MemoryStore
from sessions.views import console_view, screen_view

FIXTURES = Path(__file__).parent / "fixtures"


class Run:
    def __init__(self, source: str, players: list[str | None]) -> None:
        self.clock = FakeClock()
        sessions = Sessions(MemoryStore(), LocalHub(), lambda _id: None)
        self.live: LiveSession = sessions.create(parse_deck(source), "揭晓", "246810", "h", self.clock.now_ms())
        self.pids = [self.live.join(f"学员{i}", g, None, self.clock.now_ms())[0] for i, g in enumerate(players)]

    @property
    def st(self) -> Any:
        return self.live.state

    def host(self, name: str, /, **args: Any) -> list[str]:
        return [e.type for e in self.live.execute(Command(name, "host", args), self.clock.now_ms()).events]

    def system(self, name: str, /, **args: Any) -> list[str]:
        return [e.type for e in self.live.execute(Command(name, "system", args), self.clock.now_ms()).events]

    def submit(self, pid: str, answer: Any) -> None:
        self.live.execute(Command("submit", pid, {"activity": self.st.current, "answer": answer}),
                          self.clock.now_ms())

    def screen(self) -> dict[str, Any]:
        return screen_view(self.st, len(self.pids))["activity"]  # type: ignore[no-any-return]

    def console(self) -> dict[str, Any]:
        return console_view(self.st, set(self.pids))["activity"]  # type: ignore[no-any-return]


@pytest.fixture
def mini(mini_source: str) -> Run:
    return Run(mini_source, [None, None, None])


@pytest.fixture
def kinds() -> Run:
    return Run((FIXTURES / "kinds.yaml").read_text(encoding="utf-8"), ["g1", "g1", "g2", "g2", "g3", "g3"])


# -- results hidden until the reveal ------------------------------------------------------------------

def test_vote_results_are_hidden_on_the_screen_until_close_and_always_on_the_console(mini: Run) -> None:
    mini.host("start", activity="card-a")
    mini.submit(mini.pids[0], {"choice": "b"})
    screen = mini.screen()
    assert screen["results"] == "hidden" and screen["submitted"] == 1
    assert "tally" not in screen and "answer_key" not in screen
    assert mini.console()["tally"] == {"a": 0, "b": 1, "c": 0} and mini.console()["results"] == "hidden"
    mini.host("close")
    assert mini.screen()["tally"] == {"a": 0, "b": 1, "c": 0}  # closed: the room may see it now
    mini.host("reveal")
    assert mini.screen()["tally"] == {"a": 0, "b": 1, "c": 0}


def test_the_trainer_chooses_live_results_per_card_or_per_session(mini: Run) -> None:
    mini.host("start", activity="card-a")
    mini.submit(mini.pids[0], {"choice": "a"})
    assert mini.host("results", activity="card-a", show="live") == ["results_set"]
    assert mini.screen()["results"] == "live" and mini.screen()["tally"]["a"] == 1
    assert mini.host("results", activity="card-a", show="live") == []  # the same choice again: nothing
    mini.host("results", show="hidden")  # the session's default does not undo the card's own choice
    assert mini.screen()["results"] == "live"
    mini.host("results", activity="card-a", show="hidden")
    assert "tally" not in mini.screen()
    mini.host("results", show="live")  # the whole session: every card without its own choice
    mini.host("start", activity="card-c")
    assert mini.screen()["results"] == "live" and "tally" in mini.screen()
    for bad in ({"show": "yes"}, {"show": True}, {}):
        with pytest.raises(Refused) as info:
            mini.host("results", **bad)
        assert info.value.code == "bad_message"
    with pytest.raises(Refused) as info:
        mini.host("results", activity="nope", show="live")
    assert info.value.code == "unknown_activity"


def test_a_deck_may_show_one_card_live(mini_source: str) -> None:
    source = mini_source.replace("    title: 第三题\n", "    title: 第三题\n    results: live\n")
    run = Run(source, [None])
    run.host("start", activity="card-c")
    assert run.screen()["results"] == "live" and "tally" in run.screen()
    with pytest.raises(Exception, match="live or hidden"):
        parse_deck(mini_source.replace("    title: 第三题\n", "    title: 第三题\n    results: maybe\n"))


def test_estimate_histogram_group_modes_and_deals_are_hidden_too(kinds: Run) -> None:
    st = kinds
    st.host("start", activity="v-con")  # group consensus
    st.submit("p1", {"choice": "a"})
    st.submit("p2", {"confirm": st.live.state.stages["v-con"].proposals[("v-con", "g1")].seq})
    assert "tally" not in st.screen() and st.console()["tally"]["a"] == 1
    st.host("start", activity="o-maj")  # group majority over an order: no distribution while open
    st.submit("p1", {"order": ["s1", "s2", "s3", "s4"]})
    assert "most_common" not in st.screen() and st.screen()["reveal"] is None
    st.host("start", activity="e-ind")
    st.submit("p1", {"value": 5})
    assert "histogram" not in st.screen() and sum(st.console()["histogram"]["counts"]) == 1
    st.host("close")
    assert sum(st.screen()["histogram"]["counts"]) == 1
    st.host("start", activity="deal-xyz")
    st.submit("p1", {"choice": "a"})
    assert all("tally" not in card for card in st.screen()["cards"])
    assert all("tally" in card for card in st.console()["cards"])


# -- closing when everyone has answered ---------------------------------------------------------------

def test_a_card_closes_after_a_beat_once_every_present_player_has_answered(mini: Run) -> None:
    a, b, c = mini.pids
    mini.host("start", activity="card-a")
    everyone = {a, b, c}
    mini.submit(a, {"choice": "a"})
    mini.submit(b, {"choice": "b"})
    assert not should_check(mini.st, 3)
    assert mini.system("all_answered", present=sorted(everyone)) == []  # c has not answered
    assert should_check(mini.st, 2) and everyone_answered(mini.st, [a, b])
    mini.submit(c, {"choice": "c"})
    assert mini.system("all_answered", present=sorted(everyone)) == ["all_answered"]
    close_at = mini.clock.now_ms() + BEAT_MS
    assert mini.screen()["all_answered"] is True and mini.screen()["close_at"] == close_at
    assert mini.screen()["status"] == "open"  # the beat: 全部作答 on the screen, answers still taken
    assert next_due(mini.st) == close_at
    assert mini.system("all_answered", present=sorted(everyone)) == []  # once is enough
    mini.clock.advance(BEAT_MS / 1000)
    assert mini.system("tick") == ["activity_closed"]
    assert mini.st.stage.status == "closed"
    assert mini.live.store.load_events("246810")[-1].data["reason"] == "all_answered"


def test_nobody_present_or_turned_off_or_paused_never_closes(mini: Run) -> None:
    a, b, c = mini.pids
    mini.host("start", activity="card-a")
    for pid in (a, b, c):
        mini.submit(pid, {"choice": "a"})
    assert mini.system("all_answered", present=[]) == []
    assert mini.host("auto_close", activity="card-a", on=False) == ["auto_close_set"]
    assert mini.system("all_answered", present=[a, b, c]) == [] and not mini.console()["auto_close"]
    mini.host("auto_close", activity="card-a", on=True)
    assert mini.console()["auto_close"]
    mini.host("auto_close", on=False)  # the session's choice: the card's own still stands
    assert mini.system("all_answered", present=[a, b, c]) == ["all_answered"]
    mini.host("auto_close", activity="card-a", on=False)  # the trainer holds the card during the beat
    assert mini.screen()["all_answered"] is False and next_due(mini.st) is None
    with pytest.raises(Refused) as info:
        mini.live.execute(Command("all_answered", "host", {"present": [a]}), mini.clock.now_ms())
    assert info.value.code == "forbidden"  # only the driver says who is present


def test_pausing_the_clock_calls_the_beat_off(mini: Run) -> None:
    mini.host("start", activity="card-b")  # a timed card
    for pid in mini.pids:
        mini.submit(pid, {"choice": "x"})
    assert mini.system("all_answered", present=mini.pids) == ["all_answered"]
    mini.host("pause")
    assert mini.screen()["all_answered"] is False and mini.system("all_answered", present=mini.pids) == []


def test_the_session_or_the_deck_can_turn_it_off(mini_source: str) -> None:
    run = Run(mini_source, [None])
    run.host("auto_close", on=False)
    run.host("start", activity="card-a")
    run.submit(run.pids[0], {"choice": "a"})
    assert run.system("all_answered", present=run.pids) == []
    off = Run(mini_source.replace("    title: 第一题\n", "    title: 第一题\n    auto_close: false\n"), [None])
    off.host("start", activity="card-a")
    off.submit(off.pids[0], {"choice": "a"})
    assert off.system("all_answered", present=off.pids) == []


def test_group_modes_discussions_and_roleplays_wait_for_the_trainer(kinds: Run) -> None:
    kinds.host("start", activity="v-con")
    for g, (p, q) in {"g1": ("p1", "p2"), "g2": ("p3", "p4"), "g3": ("p5", "p6")}.items():
        kinds.submit(p, {"choice": "a"})
        kinds.submit(q, {"confirm": kinds.st.stages["v-con"].proposals[("v-con", g)].seq})
    assert kinds.system("all_answered", present=kinds.pids) == []
    kinds.host("start", activity="v-ind")
    for p in kinds.pids:
        kinds.submit(p, {"choice": "a"})
    assert kinds.system("all_answered", present=kinds.pids) == ["all_answered"]


def test_a_dropped_player_counts_as_connected_for_fifteen_seconds() -> None:
    class St:
        def __init__(self) -> None:
            self.players = {"p1": None, "p2": None, "p3": None}

    since = 1_000_000
    now = since + 60_000
    last_seen = {"p3": now - 5_000}  # dropped 5 s ago
    assert present(St(), {"p1", "p2"}, last_seen, since, now) == {"p1", "p2", "p3"}  # type: ignore[arg-type]
    assert present(St(), {"p1", "p2"}, last_seen, since, now + GRACE_MS) == {"p1", "p2"}  # type: ignore[arg-type]
    # After a restart nobody is online yet; everyone counts until the grace from the restart runs out.
    assert present(St(), set(), {}, since, since + 14_000) == {"p1", "p2", "p3"}  # type: ignore[arg-type]
    assert present(St(), set(), {}, since, since + GRACE_MS) == set()  # type: ignore[arg-type]


# -- groups -------------------------------------------------------------------------------------------

def test_empty_groups_can_be_removed_and_late_joiners_go_where_people_are(kinds: Run) -> None:
    st = kinds.st
    kinds.host("group_add", name="四组")
    assert kinds.host("group_remove", group="g4") == ["group_removed"]
    assert "g4" not in st.groups and [g["id"] for g in screen_view(st, 6)["groups"]] == ["g1", "g2", "g3"]
    with pytest.raises(Refused) as info:
        kinds.host("group_remove", group="g1")
    assert info.value.code == "group_not_empty"
    kinds.host("group_add", name="五组")  # empty, and the session is running: nobody goes there alone
    kinds.host("start", activity="v-ind")
    kinds.host("move", player="p6", group="g1")  # g3 has one member now: the smallest with people
    late = kinds.live.join("迟到的", None, None, kinds.clock.now_ms())[0]
    assert st.players[late].group == "g3"
    assert kinds.host("join_group", group="g2") == ["join_group_set"]
    assert st.players[kinds.live.join("又迟到", None, None, kinds.clock.now_ms())[0]].group == "g2"
    kinds.host("join_group", group=None)


def test_in_the_lobby_joiners_still_fill_every_group(mini_source: str) -> None:
    run = Run(mini_source, [None, None, None, None])
    assert [run.st.players[p].group for p in run.pids] == ["g1", "g2", "g1", "g2"]


# -- the countdown's span ------------------------------------------------------------------------------

def test_the_clock_span_is_what_it_held_and_grows_only_when_time_is_added_beyond_it(kinds: Run) -> None:
    """The projector's bar drains over ``span``: a resume goes on where it stopped, more time refills it."""
    kinds.host("start", activity="v-ind")
    assert kinds.screen()["span"] is None  # an untimed card: no bar
    kinds.host("extend", seconds=60)
    assert kinds.screen()["span"] == 60_000
    kinds.clock.advance(20)
    kinds.host("pause")
    assert kinds.screen()["span"] == 60_000 and kinds.screen()["time_left"] == 40_000
    kinds.clock.advance(300)  # a long pause changes nothing
    kinds.host("resume")
    a = kinds.screen()
    assert a["span"] == 60_000 and a["deadline"] - kinds.clock.now_ms() == 40_000
    kinds.host("extend", seconds=-30)
    assert kinds.screen()["span"] == 60_000
    kinds.host("extend", seconds=80)  # 90 s left: the bar starts full again
    assert kinds.screen()["span"] == 90_000


def test_a_move_preview_gives_both_groups_scores_as_the_move_then_makes_them(kinds: Run) -> None:
    """The console's preview before a move comes from the same rule as the scores themselves."""
    from sessions.regroup import move_preview

    st = kinds.st
    kinds.host("award", target="p1", points=90, reason="先安抚")
    kinds.host("award", target="g2", points=15, reason="组内协作")
    before = st.group_scores()
    preview = move_preview(st, "p1", "g2")
    assert preview["from"] == "g1" and preview["to"] == "g2"
    g1, g2 = preview["groups"]
    assert (g1["id"], g1["before"], g1["size"]) == ("g1", before["g1"], 1)
    assert (g2["id"], g2["before"], g2["size"]) == ("g2", before["g2"], 3)
    assert g1["before"] != g1["after"] and g2["before"] != g2["after"]  # (p1's 90 points leave g1)
    kinds.host("move", player="p1", group="g2")
    after = st.group_scores()
    assert (after["g1"], after["g2"]) == (g1["after"], g2["after"])
    assert move_preview(st, "p1", "g2")["groups"] == [
        {"id": "g2", "name": st.groups["g2"], "size": 3, "before": after["g2"], "after": after["g2"]}]
    for bad in (("p99", "g1"), ("p1", "g99")):
        with pytest.raises(Refused) as info:
            move_preview(st, *bad)
        assert info.value.code in ("unknown_player", "unknown_group")
