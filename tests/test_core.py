"""The core without I/O: commands in, events and views out, time from a fake clock."""

from __future__ import annotations

from typing import Any

import pytest

from games.decks import parse_deck
from sessions.clock import FakeClock
from sessions.core import Command
from sessions.errors import Refused
from sessions.hub import LocalHub
from sessions.live import LiveSession, Sessions
from sessions.store import MemoryStore
from sessions.views import console_view, player_view, screen_view


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def live(mini_source: str, clock: FakeClock) -> LiveSession:
    sessions = Sessions(MemoryStore(), LocalHub(), lambda _id: None)
    return sessions.create(parse_deck(mini_source), "测试", "123456", "hash", clock.now_ms())


def host(live: LiveSession, name: str, clock: FakeClock, **args: object) -> list[str]:
    return [e.type for e in live.execute(Command(name, "host", dict(args)), clock.now_ms()).events]


def submit(live: LiveSession, pid: str, choice: str, clock: FakeClock, activity: str = "card-a",
           cid: str | None = None) -> None:
    live.execute(Command("submit", pid, {"activity": activity, "answer": {"choice": choice}}, cid),
                 clock.now_ms())


def refused(code: str, fn: object, *args: object, **kwargs: object) -> None:
    with pytest.raises(Refused) as info:
        fn(*args, **kwargs)  # type: ignore[operator]
    assert info.value.code == code


def test_join_balances_groups_and_makes_names_unique(live: LiveSession, clock: FakeClock) -> None:
    ids = [live.join("张伟", None, None, clock.now_ms())[0] for _ in range(3)]
    st = live.state
    assert [st.players[i].name for i in ids] == ["张伟", "张伟 (2)", "张伟 (3)"]
    assert [st.players[i].group for i in ids] == ["g1", "g2", "g1"]
    pid, _ = live.join("李雷", "第二组", None, clock.now_ms())
    assert st.players[pid].group == "g2"
    refused("unknown_group", live.join, "韩梅梅", "第九组", None, clock.now_ms())
    refused("bad_name", live.join, "\u200b\u0301 ", None, None, clock.now_ms())
    assert len(st.players) == 4


def test_resent_join_returns_same_player(live: LiveSession, clock: FakeClock) -> None:
    first, again = live.join("李雷", None, "j-1", clock.now_ms())
    second, again2 = live.join("李雷", None, "j-1", clock.now_ms())
    assert (first, again, again2) == (second, False, True)
    assert len(live.state.players) == 1


def test_a_join_decided_again_after_its_first_try_was_committed_is_a_duplicate(live: LiveSession,
                                                                               clock: FakeClock) -> None:
    """Two tries of one join (same client id, same name) queued before either was committed: the
    second is decided after the first is applied, and makes no second player."""
    cmd = Command("join", "join", {"name": "李雷"}, "j-1")
    first = live.decide_events(cmd, clock.now_ms())
    live.apply_events(first.events)
    again = live.decide_events(cmd, clock.now_ms())
    assert again.duplicate and again.events == []
    other = live.decide_events(Command("join", "join", {"name": "韩梅梅"}, "j-1"), clock.now_ms())
    assert not other.duplicate and other.events[-1].data["name"] == "韩梅梅"  # (another name: another player)
    assert len(live.state.players) == 1


def test_one_join_twice_in_one_commit_batch_is_one_player(live: LiveSession, clock: FakeClock) -> None:
    """The same join queued twice before the committer ran (a phone's resend, or a relay's retry
    after a lost answer): one player; the second try's outcome says it was a duplicate."""
    import asyncio

    from sessions.commit import Committer

    async def both() -> list[Any]:
        committer = Committer(live.store, clock.now_ms)
        tries = [committer.submit(live, Command("join", "join", {"name": "李雷"}, "j-2")) for _ in range(2)]
        committer.start()
        out = await asyncio.wait_for(asyncio.gather(*tries), 10)
        await committer.close()
        return out

    first, second = asyncio.run(both())
    assert not first.duplicate and second.duplicate and second.events == []
    assert [p.name for p in live.state.players.values()] == ["李雷"]
    assert [e.type for e in live.store.load_events(live.code)].count("player_joined") == 1


def test_a_small_batch_under_load_waits_only_until_enough_have_queued(live: LiveSession, clock: FakeClock,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Under load a small batch waits for company, but only until LINGER_ENOUGH commands have
    queued (then it goes at once, as one commit) or the server closes; a quiet room's command
    never waits. The wait is made 30 s here, so any of them waiting it out fails the test."""
    import asyncio
    import time

    from sessions import commit

    monkeypatch.setattr(commit, "LINGER_S", 30.0)
    monkeypatch.setattr(commit, "LINGER_BUSY", 30.0)  # (every command after the first is "under load")

    def join(name: str) -> Command:
        return Command("join", "join", {"name": name}, f"j-{name}")

    async def play() -> tuple[float, bool, int, bool]:
        committer = commit.Committer(live.store, clock.now_ms)
        committer.start()
        began = time.monotonic()
        await asyncio.wait_for(committer.submit(live, join("quiet")), 5)  # nothing before it: no wait
        quiet = time.monotonic() - began
        batches = committer.batches
        first = committer.submit(live, join("first"))
        await asyncio.sleep(0.2)
        lingered = not first.done()
        rest = [committer.submit(live, join(f"n{i}")) for i in range(commit.LINGER_ENOUGH - 1)]
        await asyncio.wait_for(asyncio.gather(first, *rest), 5)
        together = committer.batches - batches
        last = committer.submit(live, join("last"))  # lingers, until the server closes
        await asyncio.sleep(0.05)
        await asyncio.wait_for(committer.close(), 5)
        return quiet, lingered, together, last.done() and not last.exception()

    quiet, lingered, together, closed = asyncio.run(play())
    assert quiet < 1 and lingered and together == 1 and closed
    assert len(live.state.players) == commit.LINGER_ENOUGH + 2


def test_submit_then_answers_each_command_once_stored_in_order_and_survives_a_faulty_answer(
        live: LiveSession, clock: FakeClock) -> None:
    """``Committer.submit_then``: no future; each command's outcome goes to its function once its
    batch is stored (the events are in the store when it is called), refusals as errors, in
    arrival order, and a function that raises neither stops the committer nor the others."""
    import asyncio

    from sessions.commit import Committer

    heard: list[tuple[str, str | None, int]] = []

    def answer(name: str) -> Any:
        def got(outcome: Any, exc: BaseException | None) -> None:
            stored = sum(e.type == "player_joined" for e in live.store.load_events(live.code))
            heard.append((name, getattr(exc, "code", None), stored))
            if name == "faulty":
                raise RuntimeError("a bug in an answer's function")
        return got

    async def play() -> None:
        committer = Committer(live.store, clock.now_ms)
        for name in ("甲", "faulty", "乙"):
            committer.submit_then(live, Command("join", "join", {"name": name}, f"j-{name}"), answer(name))
        committer.submit_then(live, Command("nonsense", "host", {}, "x"), answer("nonsense"))
        committer.start()
        after = committer.submit(live, Command("join", "join", {"name": "丙"}, "j-丙"))
        await asyncio.wait_for(after, 5)
        await committer.close()

    asyncio.run(play())
    assert heard == [("甲", None, 4), ("faulty", None, 4), ("乙", None, 4), ("nonsense", "unknown_command", 4)]
    assert [p.name for p in live.state.players.values()] == ["甲", "faulty", "乙", "丙"]


def test_vote_round_last_answer_counts_and_reveal_scores(live: LiveSession, clock: FakeClock) -> None:
    a, _ = live.join("甲", None, None, clock.now_ms())
    b, _ = live.join("乙", None, None, clock.now_ms())
    refused("not_started", submit, live, a, "b", clock)
    assert host(live, "start", clock, activity="card-a") == ["activity_started"]
    submit(live, a, "a", clock)
    submit(live, a, "b", clock)  # changed mind: the last answer counts
    submit(live, b, "c", clock)
    screen = screen_view(live.state, 2)
    assert "tally" not in screen["activity"] and screen["activity"]["results"] == "hidden"
    assert console_view(live.state, set())["activity"]["tally"] == {"a": 0, "b": 1, "c": 1}
    assert screen["activity"]["submitted"] == 2
    assert screen["activity"]["reveal"] is None
    assert "answer_key" not in screen["activity"]
    assert console_view(live.state, set())["activity"]["answer_key"]["recommended"] == "b"
    assert host(live, "reveal", clock) == ["activity_closed", "activity_revealed"]
    assert live.state.player_score(a) == 100 and live.state.player_score(b) == 50
    assert live.state.group_score("g1") == 100 and live.state.group_score("g2") == 50
    view = player_view(live.state, a)
    assert view["activity"]["result"]["rating"] == "best" and view["me"]["rank"] == 1
    refused("closed", submit, live, a, "a", clock)


def test_only_the_console_commands(live: LiveSession, clock: FakeClock) -> None:
    a, _ = live.join("甲", None, None, clock.now_ms())
    seq = live.state.seq
    refused("forbidden", live.execute, Command("start", a, {"activity": "card-a"}), clock.now_ms())
    refused("forbidden", live.execute, Command("tick", "host"), clock.now_ms())
    assert live.state.seq == seq and live.state.current is None


def test_deadline_is_enforced_with_the_clock(live: LiveSession, clock: FakeClock) -> None:
    a, _ = live.join("甲", None, None, clock.now_ms())
    host(live, "start", clock, activity="card-b")
    deadline = live.state.stage.deadline  # type: ignore[union-attr]
    assert deadline == clock.now_ms() + 5000
    clock.advance(1)
    submit(live, a, "x", clock, activity="card-b")
    clock.advance(4)
    refused("closed", submit, live, a, "y", clock, "card-b")
    # An early tick does nothing; at the deadline the activity closes.
    assert live.next_due() == deadline
    clock.advance(-0.5)
    assert live.execute(Command("tick", "system"), clock.now_ms()).events == []
    clock.advance(0.5)
    out = live.execute(Command("tick", "system"), clock.now_ms())
    assert [e.data["reason"] for e in out.events] == ["expire"]
    host(live, "reveal", clock)
    # best answer with 4 of 5 seconds left: 100 + 4/5 of the 50-point speed bonus
    assert live.state.player_score(a) == 140


def test_client_ids_dedupe_per_actor(live: LiveSession, clock: FakeClock) -> None:
    a, _ = live.join("甲", None, None, clock.now_ms())
    b, _ = live.join("乙", None, None, clock.now_ms())
    host(live, "start", clock, activity="card-a")
    submit(live, a, "a", clock, cid="same")
    seq = live.state.seq
    out = live.execute(Command("submit", a, {"activity": "card-a", "answer": {"choice": "b"}}, "same"),
                       clock.now_ms())
    assert out.duplicate and live.state.seq == seq
    assert live.state.stages["card-a"].cards["card-a"].answers[a][0] == "a"
    submit(live, b, "b", clock, cid="same")  # another player's id space
    assert live.state.seq == seq + 1


def test_bad_answers_change_nothing(live: LiveSession, clock: FakeClock) -> None:
    a, _ = live.join("甲", None, None, clock.now_ms())
    host(live, "start", clock, activity="card-a")
    seq = live.state.seq
    for answer in [None, "b", {"choice": "z"}, {"choice": 1}, {"choice": "b", "x": 1}, [1]]:
        refused("bad_answer", live.execute,
                Command("submit", a, {"activity": "card-a", "answer": answer}), clock.now_ms())
    refused("not_current", submit, live, a, "b", clock, "card-c")
    assert live.state.seq == seq


def test_next_walks_the_agenda_and_awards_need_reasons(live: LiveSession, clock: FakeClock) -> None:
    a, _ = live.join("甲", None, None, clock.now_ms())
    assert host(live, "next", clock) == ["activity_started"]
    assert host(live, "next", clock) == ["activity_closed", "activity_started"]
    assert live.state.current == "card-b"
    refused("already_played", host, live, "start", clock, activity="card-a")
    refused("bad_reason", host, live, "award", clock, target=a, points=10, reason=" ")
    refused("unknown_target", host, live, "award", clock, target="p99", points=10, reason="x")
    refused("bad_points", host, live, "award", clock, target=a, points=0, reason="x")
    host(live, "award", clock, target=a, points=20, reason="精彩的故事分享")
    host(live, "award", clock, target="g2", points=5, reason="小组讨论")
    assert live.state.player_score(a) == 20 and live.state.group_score("g1") == 20
    assert live.state.group_score("g2") == 5
    host(live, "next", clock)
    refused("agenda_done", host, live, "next", clock)
    host(live, "lock", clock)
    refused("locked", live.join, "迟到者", None, None, clock.now_ms())
    assert host(live, "lock", clock) == []  # already locked: no event
    host(live, "unlock", clock)
    host(live, "end", clock)
    refused("session_ended", live.join, "迟到者", None, None, clock.now_ms())
    assert live.store.get_session("123456").ended_at == clock.now_ms()  # type: ignore[union-attr]


def test_state_is_a_fold_of_the_log(live: LiveSession, clock: FakeClock) -> None:
    """Rebuilding from the stored events gives the same views: what a restart relies on."""
    a, _ = live.join("甲", None, None, clock.now_ms())
    b, _ = live.join("乙", None, None, clock.now_ms())
    host(live, "start", clock, activity="card-a")
    submit(live, a, "b", clock)
    submit(live, b, "a", clock)
    host(live, "reveal", clock)
    host(live, "award", clock, target=b, points=7, reason="积极")
    host(live, "next", clock)
    rebuilt = Sessions(live.store, LocalHub(), lambda _id: None)
    assert rebuilt.restore_all() == 1
    again = rebuilt.get("123456")
    assert screen_view(again.state, 0) == screen_view(live.state, 0)
    assert player_view(again.state, b) == player_view(live.state, b)
    assert again.state.seen == live.state.seen


def test_a_session_whose_deck_no_longer_validates_does_not_stop_the_others(live: LiveSession,
                                                                           clock: FakeClock) -> None:
    """A restart restores every other session when one stored deck copy is refused by a newer rule."""
    from dataclasses import replace

    store = live.store
    bad = replace(store.get_session("123456"), code="654321",  # type: ignore[type-var]
                  deck_source="id: x\ntitle: t\nactivities:\n  - {id: e, kind: estimate, title: t, answer: .inf}\n")
    store.create_session(bad, [])
    rebuilt = Sessions(store, LocalHub(), lambda _id: None)
    assert rebuilt.restore_all() == 1
    assert "123456" in rebuilt.live and "654321" not in rebuilt.live


def test_the_lobby_board_and_group_scores_take_the_shortcut_only_when_it_gives_the_same(
        live: LiveSession, clock: FakeClock) -> None:
    """While nobody has scored, the board is the first joiners and each group's score its own
    points, without a scan of the hall; the same as the general rule, also when the wall clock
    stepped back between two joins (then the board sorts by time as before)."""
    from games.rounding import half_up
    from sessions.views import LEADERBOARD_SIZE, leaderboard

    def general(size: int | None) -> list[tuple[str, int, int | None]]:
        rows = sorted(live.state.players.values(), key=lambda p: (1, p.joined_at))
        return [(p.id, 0, 1) for p in (rows if size is None else rows[:size])]

    def board(size: int | None) -> list[tuple[str, int, int | None]]:
        return [(r["id"], r["score"], r["rank"]) for r in leaderboard(live.state, size)]

    for i in range(LEADERBOARD_SIZE + 3):
        live.join(f"学员{i}", None, None, clock.now_ms())
        clock.advance(1)
    st = live.state
    assert st.joined_in_order
    assert board(LEADERBOARD_SIZE) == general(LEADERBOARD_SIZE) and board(None) == general(None)
    clock.advance(-60)  # the wall clock stepped back: the next joiner is "earlier" than the others
    late = live.join("回拨", None, None, clock.now_ms())[0]
    assert not st.joined_in_order
    assert board(LEADERBOARD_SIZE)[0][0] == late and board(None) == general(None)
    assert st.group_scores() == {gid: 0 for gid in st.groups}
    host(live, "award", clock, target="g1", points=7, reason="组内协作")
    assert st.group_scores()["g1"] == 7 and st.group_scores()["g2"] == 0
    pid = next(iter(st.players))
    host(live, "award", clock, target=pid, points=10, reason="复述")
    assert board(3)[0] == (pid, 10, 1) and all(r[2] == 2 for r in board(None)[1:])
    members = [p for p in st.players.values() if p.group == st.players[pid].group]
    assert st.group_scores()[st.players[pid].group] == half_up(10 / len(members)) + (
        7 if st.players[pid].group == "g1" else 0)


def test_attendance_in_a_cluster_a_player_is_present_while_any_process_holds_them(
        mini_source: str, clock: FakeClock) -> None:
    """Presence per process (``via``): moving from one process to another is not a leave; the last
    process letting go is; and the laptop mode (no ``via``) records exactly as before."""
    from sessions.attendance import attendance

    sessions = Sessions(MemoryStore(), LocalHub(), lambda _id: None)
    live = sessions.create(parse_deck(mini_source), "课程", "223344", "hash", clock.now_ms(), course=("c1", 1))

    def presence(pid: str, online: bool, via: str = "") -> list[str]:
        args: dict[str, object] = {"player": pid, "online": online}
        if via:
            args["via"] = via
        return [e.type for e in live.execute(Command("presence", "system", args), clock.now_ms()).events]

    out = live.execute(Command("join", "join", {"name": "甲", "via": "node-a"}, "j1"), clock.now_ms())
    a = out.events[-1].data["player_id"]
    assert out.events[-1].data["via"] == "node-a"
    out = live.execute(Command("join", "join", {"name": "乙"}, "j2"), clock.now_ms())
    b = out.events[-1].data["player_id"]
    assert "via" not in out.events[-1].data
    assert presence(a, True, "node-a") == []  # the join already counts its process
    clock.advance(60)
    assert presence(a, True, "node-b") == ["presence"]  # reconnected to another process...
    clock.advance(1)
    assert presence(a, False, "node-a") == ["presence"]  # ...and the first let go: still present
    assert a in live.state.online
    assert presence(a, False, "node-a") == []
    clock.advance(120)
    assert presence(a, False, "node-b") == ["presence"]
    assert presence(b, False) == ["presence"]
    rows = {r["player_id"]: r for r in attendance(live.state, clock.now_ms())}
    assert len(rows[a]["spans"]) == 1 and rows[a]["present_ms"] == 181_000 and rows[a]["left_at"] is not None
    assert len(rows[b]["spans"]) == 1 and rows[b]["left_at"] is not None
    assert [e.type for e in live.execute(Command("presence", "system", {"player": a, "online": True, "via": 7}),
                                         clock.now_ms()).events] == []  # a bad process id changes nothing
