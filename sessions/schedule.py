"""The day's schedule: planned against actual time, from the log and the deck.

Each activity plans its timed steps plus a reveal/debrief allowance (``Deck.planned``). An
activity *holds the floor* from its start until the next one starts (or the session ends):
its reveal and debrief are part of it, breaks taken meanwhile are not. So:

- ``done``: every started activity but the current one, with planned and actual seconds;
  ``delta_done`` is their planned minus actual (positive: ahead of plan).
- ``current``: the activity being played, its planned seconds and when it started; it puts
  the session behind only once it overruns its plan.
- ``left_after``: planned seconds of the agenda's activities not started yet.

``at(schedule, now)`` gives the live figures (what the console shows each second, with its
own clock): ``delta`` (ahead > 0, behind < 0), ``left`` and ``ends_at``. The console applies the
same three lines; ``schedule`` itself is in the console view, recomputed with each event.
"""

from __future__ import annotations

from typing import Any

from sessions.state import SessionState


def _break_ms(st: SessionState, start: int, end: int) -> int:
    return sum(max(0, min(end, b_end) - max(start, b_start)) for b_start, b_end in st.breaks)


def schedule(st: SessionState) -> dict[str, Any]:
    deck = st.deck
    order = list(st.stages)  # in the order they started
    done: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for i, aid in enumerate(order):
        stage = st.stages[aid]
        planned = deck.planned(aid)
        following = st.stages[order[i + 1]].opened_at if i + 1 < len(order) else st.ended_at
        if following is None:
            running = st.breaks[-1][0] if st.break_until is not None and st.breaks else None
            ended = st.breaks[:-1] if running is not None else st.breaks
            current = {"id": aid, "planned": planned, "opened_at": stage.opened_at,
                       "breaks": sum(max(0, e - max(s, stage.opened_at)) for s, e in ended) // 1000,
                       "break_since": max(running, stage.opened_at) if running is not None else None}
            continue
        actual = (following - stage.opened_at - _break_ms(st, stage.opened_at, following)) // 1000
        done.append({"id": aid, "planned": planned, "actual": max(0, actual)})
    left = [a for a in st.agenda if a not in st.stages]
    return {
        "planned_total": deck.planned_total(st.agenda),
        "preset": {"id": st.preset[0], "day": st.preset[1]} if st.preset else None,
        "done": done,
        "done_planned": sum(d["planned"] for d in done),
        "done_actual": sum(d["actual"] for d in done),
        "delta_done": sum(d["planned"] - d["actual"] for d in done),
        "current": current,
        "left_after": deck.planned_total(left),
        "left_count": len(left),
    }


def at(sched: dict[str, Any], now: int) -> dict[str, int]:
    """The live figures at ``now`` (epoch ms): ahead (+) or behind (−) in seconds, seconds left, the end."""
    delta, left = sched["delta_done"], sched["left_after"]
    cur = sched["current"]
    if cur is not None:
        on_break = now - cur["break_since"] if cur["break_since"] is not None else 0
        spent = max(0, (now - cur["opened_at"] - on_break) // 1000 - cur["breaks"])
        delta += min(0, cur["planned"] - spent)
        left += max(0, cur["planned"] - spent)
    return {"delta": delta, "left": left, "ends_at": now + left * 1000}
