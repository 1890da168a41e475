"""Attendance: who was in the room of a course session, when, and for how long.

Folded from the log, like everything else: a rostered trainee's ``player_joined`` opens their
first span, and in a course session the driver records ``presence`` events when a player's
first connection opens or their last one closes (``sessions/core.py``). A span still open
when the session ended closes then; while the session runs, it runs to ``now``. A server that
was killed closes nobody's span: the time it was down counts as present for whoever was
connected then (they were in the room), which errs on the trainee's side.

Sessions without a course record no presence (a company event with thousands of phones does
not double its log for it): their attendance is the join time alone.
"""

from __future__ import annotations

from typing import Any

from sessions.state import SessionState

OPEN = -1


def attendance(st: SessionState, now: int) -> list[dict[str, Any]]:
    """Per player of the session: joined_at, left_at (None while connected), present_ms, spans."""
    until = st.ended_at if st.ended_at is not None else now
    out = []
    for p in [*st.players.values(), *(player for player, _why in st.removed.values())]:
        spans = st.spans.get(p.id)
        if spans is None:  # a session without a course: only the join is known
            out.append({"player_id": p.id, "person": p.person, "name": p.name, "joined_at": p.joined_at,
                        "left_at": None, "present_ms": None, "spans": []})
            continue
        closed = [[a, b if b != OPEN else max(a, until)] for a, b in spans]
        still = bool(spans) and spans[-1][1] == OPEN and st.ended_at is None
        out.append({"player_id": p.id, "person": p.person, "name": p.name, "joined_at": p.joined_at,
                    "left_at": None if still else (closed[-1][1] if closed else None),
                    "present_ms": sum(b - a for a, b in closed), "spans": closed})
    return out
