"""The phase tables: every legal move of a session and of an activity, as data.

Like h11's ``_state.py``: the rules are a table, not code paths. A move that is
not in the table raises ``Refused`` and changes nothing. ``docs/protocol.md``
draws its diagrams from these tables (``python -m sessions.phases`` prints them).

Session phases::

    lobby --start--> running --end--> ended
    lobby --end----> ended

Activity statuses (one activity is current at a time)::

    open --close|expire--> closed --reveal--> revealed

Inside ``open`` an activity walks its kind's steps (vote: answer; roleplay:
prep -> play -> scoring, per round); ``advance`` or a step's deadline moves to
the next step, and past the last step the activity closes (``expire``). The
clock of a step is itself a small machine::

    running --pause--> paused --resume--> running      (extend works in both)

``reveal`` on an open activity is a close followed by a reveal; ``start`` of
another activity closes the current one first. Those are compositions the core
makes from the table, not extra edges.
"""

from __future__ import annotations

from sessions.errors import Refused

LOBBY, RUNNING, ENDED = "lobby", "running", "ended"
OPEN, CLOSED, REVEALED = "open", "closed", "revealed"

SESSION_PHASES = (LOBBY, RUNNING, ENDED)
ACTIVITY_STATUSES = (OPEN, CLOSED, REVEALED)

# (phase, move) -> next phase
SESSION_TABLE: dict[tuple[str, str], str] = {
    (LOBBY, "start"): RUNNING,
    (RUNNING, "start"): RUNNING,
    (LOBBY, "end"): ENDED,
    (RUNNING, "end"): ENDED,
}

# (status, move) -> next status
ACTIVITY_TABLE: dict[tuple[str, str], str] = {
    (OPEN, "close"): CLOSED,
    (OPEN, "expire"): CLOSED,
    (CLOSED, "reveal"): REVEALED,
}

# (clock, move) -> next clock state
CLOCK_TABLE: dict[tuple[str, str], str] = {
    ("running", "pause"): "paused",
    ("paused", "resume"): "running",
    ("running", "extend"): "running",
    ("paused", "extend"): "paused",
}

_ANYTIME = {"join", "start", "next", "lock", "unlock", "award", "end", "group_add", "group_rename", "move",
            "leaderboard", "break", "break_end", "auto_advance", "tick", "kick", "ban", "ban_address", "results",
            "auto_close", "group_remove", "join_group", "presence"}

# Which messages each session phase accepts at all (the rest are refused with
# ``session_ended`` or ``not_started``). Moves inside a phase are then checked
# against the tables above.
SESSION_ACCEPTS: dict[str, frozenset[str]] = {
    LOBBY: frozenset(_ANYTIME),
    RUNNING: frozenset(_ANYTIME | {"submit", "advance", "close", "reveal", "pause", "resume", "extend",
                                   "act", "cluster", "clustered", "all_answered"}),
    ENDED: frozenset(),
}


def session_move(phase: str, move: str) -> str:
    try:
        return SESSION_TABLE[(phase, move)]
    except KeyError:
        raise Refused("bad_phase", f"cannot {move} a session that is {phase}") from None


def activity_move(status: str, move: str) -> str:
    try:
        return ACTIVITY_TABLE[(status, move)]
    except KeyError:
        raise Refused("bad_phase", f"cannot {move} an activity that is {status}") from None


def check_accepts(phase: str, message: str) -> None:
    if message not in SESSION_ACCEPTS[phase]:
        code = "session_ended" if phase == ENDED else "not_started"
        raise Refused(code, f"'{message}' is not possible while the session is {phase}")


def clock_move(clock: str, move: str) -> str:
    try:
        return CLOCK_TABLE[(clock, move)]
    except KeyError:
        raise Refused("bad_phase", f"cannot {move} a clock that is {clock}") from None


def mermaid() -> str:
    """The two tables as Mermaid state diagrams, for the docs."""
    lines = ["stateDiagram-v2"]
    lines += [f"    {a} --> {b}: {m}" for (a, m), b in SESSION_TABLE.items() if a != b]
    lines += ["", "stateDiagram-v2"]
    lines += [f"    {a} --> {b}: {m}" for (a, m), b in ACTIVITY_TABLE.items()]
    lines += ["", "stateDiagram-v2"]
    lines += [f"    {a} --> {b}: {m}" for (a, m), b in CLOCK_TABLE.items()]
    return "\n".join(lines)


if __name__ == "__main__":
    print(mermaid())
