"""Timed agendas: a session playing a preset's day, and the console's schedule line (planned vs actual)."""

from __future__ import annotations

import pytest

from sessions.clock import FakeClock
from sessions.core import Command
from sessions.errors import Refused
from sessions.hub import LocalHub
from sessions.live import Sessions, choose_agenda
from sessions.schedule import at
from sessions.store import MemoryStore
from sessions.views import console_view, screen_view
from tests.test_slide import deck_of


def test_a_session_can_be_day_two_of_a_preset() -> None:
    deck = deck_of()
    assert choose_agenda(deck, preset="two", day=2) == ["v1", "s-end"]
    assert choose_agenda(deck, preset="short") == ["s-three", "v1"]  # day 1 by default
    for bad in ({"preset": "nope"}, {"preset": "two", "day": 3}, {"preset": "two", "day": 0},
                {"preset": "two", "day": "2"}, {"preset": "two", "agenda": ["v1"]}, {"day": 2}):
        with pytest.raises(Refused) as exc:
            choose_agenda(deck, **bad)
        assert exc.value.code == "bad_agenda", bad


def test_the_schedule_counts_planned_against_actual_without_breaks() -> None:
    clock = FakeClock()
    sessions = Sessions(MemoryStore(), LocalHub(), lambda _id: None)
    live = sessions.create(deck_of(), "第二天", "123456", "h", clock.now_ms(), ["v1", "s-end"], ("two", 2))

    def host(name: str, **args: object) -> None:
        live.execute(Command(name, "host", dict(args)), clock.now_ms())

    sched = console_view(live.state, set())["schedule"]
    assert sched["planned_total"] == 205 and sched["preset"] == {"id": "two", "day": 2}
    assert sched["current"] is None and sched["left_after"] == 205
    assert "schedule" not in screen_view(live.state, 0)
    host("next")  # the day starts where it begins: v1 (planned 30 s + 45 s debrief)
    assert live.state.current == "v1"
    clock.advance(60)
    now = at(console_view(live.state, set())["schedule"], clock.now_ms())
    assert now == {"delta": 0, "left": 15 + 130, "ends_at": clock.now_ms() + 145_000}  # within its plan
    host("break", minutes=10)  # a break during the debrief does not count against the plan
    clock.advance(600)
    host("break_end")
    clock.advance(40)  # 100 s of teaching: 25 s over
    assert at(console_view(live.state, set())["schedule"], clock.now_ms())["delta"] == -25
    host("next")  # the slide
    sched = console_view(live.state, set())["schedule"]
    assert sched["done"] == [{"id": "v1", "planned": 75, "actual": 100}]
    assert sched["delta_done"] == -25 and sched["left_after"] == 0 and sched["current"]["id"] == "s-end"
    clock.advance(30)
    assert at(sched, clock.now_ms()) == {"delta": -25, "left": 100, "ends_at": clock.now_ms() + 100_000}
    host("break", minutes=5)  # a break running now is not spent on the slide either
    clock.advance(120)
    assert at(console_view(live.state, set())["schedule"], clock.now_ms())["left"] == 100
