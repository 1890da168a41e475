"""Theory of operation.

A session is an append-only log of events. Everything else is derived:

    command ──decide(state, command, now)──▶ drafts ──(runtime numbers & stores)──▶ events
    events  ──apply(state, event)──────────▶ state ──views.*(state)──▶ what each audience sees

``decide`` is pure and synchronous: it reads the state, checks who is asking
against the phase tables (``sessions/phases.py``) and the activity kind's rules
(``games/``), and either returns the events the command causes or raises
``Refused`` with a code. It never writes state, never reads a clock (``now`` is
an argument) and never does I/O. The runtime (``sessions/live.py``) stores the
events, applies them, and only then acknowledges. Because the state is a fold
of stored events, a restarted server rebuilds every live session by replaying
its log, and an export is just another fold.

Actors: a player id (``p…``), ``"host"`` (screen or console; only the console
may send commands) or ``"system"`` (deadline expiry, from the driver's timer).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sessions.errors import NotFound, Refused
from sessions.events import Draft
from sessions.names import clean_name, unique_name
from sessions.phases import OPEN, REVEALED, activity_move, check_accepts, session_move
from sessions.state import SessionState

MAX_REASON = 200
MAX_AWARD = 10_000
HOST_COMMANDS = frozenset({"start", "next", "close", "reveal", "lock", "unlock", "award", "end"})


@dataclass(frozen=True)
class Command:
    name: str
    actor: str
    args: dict[str, Any] = field(default_factory=dict)
    client_id: str | None = None


def decide(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    """Turn a command into the events it causes, or raise Refused; never mutates ``st``."""
    handler = _HANDLERS.get(cmd.name)
    if handler is None:
        raise Refused("unknown_command", f"unknown command '{cmd.name}'")
    if cmd.name in HOST_COMMANDS and cmd.actor != "host":
        raise Refused("forbidden", "only the trainer's console may do that")
    if cmd.name == "expire" and cmd.actor != "system":
        raise Refused("forbidden", "only the server's clock expires activities")
    check_accepts(st.phase, cmd.name)
    return handler(st, cmd, now)


def _join(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    raw = cmd.args.get("name")
    if not isinstance(raw, str):
        raise Refused("bad_name", "a name is required")
    asked = clean_name(raw)
    if not asked:
        raise Refused("bad_name", "that name is empty once cleaned; please type a name")
    if st.locked:
        raise Refused("locked", "the trainer has locked joining")
    group = _pick_group(st, cmd.args.get("group"))
    pid = f"p{len(st.players) + 1}"
    name = unique_name(asked, st.names)
    return [Draft("player_joined", {"player_id": pid, "name": name, "group": group,
                                    "asked_name": asked})]


def existing_join(st: SessionState, client_id: str | None, raw_name: Any) -> str | None:
    """The player a resent ``join`` (same client id, same name) already created, if any."""
    if client_id is None or not isinstance(raw_name, str):
        return None
    return st.join_ids.get((client_id, clean_name(raw_name)))


def _pick_group(st: SessionState, wanted: Any) -> str | None:
    if not st.groups:
        return None
    if wanted not in (None, ""):
        if not isinstance(wanted, str):
            raise Refused("unknown_group", "group should be a group id or name")
        for gid, gname in st.groups.items():
            if wanted in (gid, gname):
                return gid
        raise Refused("unknown_group", f"there is no group '{wanted[:40]}' in this session")
    # Balance: the smallest group, first in deck order on a tie.
    return min(st.groups, key=lambda g: st.group_sizes.get(g, 0))


def _submit(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    if cmd.actor not in st.players:
        raise Refused("forbidden", "only players submit answers")
    activity = cmd.args.get("activity")
    run = st.run
    if run is None or activity != run.activity:
        raise Refused("not_current", "that activity is not the one being played")
    if run.status != OPEN or (run.deadline is not None and now >= run.deadline):
        raise Refused("closed", "answers for this activity are closed")
    act = st.deck.activities[run.activity]
    answer = act.impl.check_answer(act.config, cmd.args.get("answer"))
    return [Draft("answer_submitted", {"activity": run.activity, "answer": answer})]


def _start(st: SessionState, cmd: Command, now: int, activity: Any = None) -> list[Draft]:
    activity = cmd.args.get("activity") if activity is None else activity
    if not isinstance(activity, str) or activity not in st.deck.activities:
        raise NotFound("unknown_activity", "the deck has no such activity")
    if activity in st.runs:
        raise Refused("already_played", "that activity has already been played in this session")
    session_move(st.phase, "start")
    drafts = _close_current(st, "start")
    act = st.deck.activities[activity]
    limit = act.impl.time_limit(act.config)
    deadline = now + limit * 1000 if limit else None
    drafts.append(Draft("activity_started", {"activity": activity, "deadline": deadline}))
    return drafts


def _next(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    agenda = st.deck.agenda
    start = agenda.index(st.current) + 1 if st.current in agenda else 0
    for activity in agenda[start:] + agenda[:start]:
        if activity not in st.runs:
            return _start(st, cmd, now, activity)
    raise Refused("agenda_done", "every activity of the agenda has been played")


def _close_current(st: SessionState, reason: str) -> list[Draft]:
    run = st.run
    if run is not None and run.status == OPEN:
        return [Draft("activity_closed", {"activity": run.activity, "reason": reason})]
    return []


def _close(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    run = st.run
    if run is None:
        raise Refused("no_activity", "no activity is being played")
    activity_move(run.status, "close")
    return _close_current(st, "close")


def _expire(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    run = st.run
    if (run is None or run.activity != cmd.args.get("activity") or run.status != OPEN
            or run.deadline is None or now < run.deadline):
        return []  # a stale timer: the activity moved on already
    activity_move(run.status, "expire")
    return [Draft("activity_closed", {"activity": run.activity, "reason": "expire"})]


def _reveal(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    run = st.run
    if run is None:
        raise Refused("no_activity", "no activity is being played")
    if run.status == REVEALED:
        raise Refused("bad_phase", "this activity is already revealed")
    drafts = _close_current(st, "reveal")
    return [*drafts, Draft("activity_revealed", {"activity": run.activity})]


def _lock(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    return [] if st.locked else [Draft("joining_locked")]


def _unlock(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    return [Draft("joining_unlocked")] if st.locked else []


def _award(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    target, points, reason = (cmd.args.get(k) for k in ("target", "points", "reason"))
    if not isinstance(target, str) or (target not in st.players and target not in st.groups):
        raise NotFound("unknown_target", "award to a player id or a group id of this session")
    if not isinstance(points, int) or isinstance(points, bool) or points == 0 \
            or abs(points) > MAX_AWARD:
        raise Refused("bad_points", f"points must be a whole number from -{MAX_AWARD} to {MAX_AWARD}, "
                                    "not zero")
    if not isinstance(reason, str) or not reason.strip():
        raise Refused("bad_reason", "every award needs a reason")
    reason = " ".join(reason.split())[:MAX_REASON]
    return [Draft("points_awarded", {"target": target, "points": points, "reason": reason})]


def _end(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    session_move(st.phase, "end")
    return [*_close_current(st, "end"), Draft("session_ended")]


_HANDLERS = {
    "join": _join,
    "submit": _submit,
    "start": _start,
    "next": _next,
    "close": _close,
    "expire": _expire,
    "reveal": _reveal,
    "lock": _lock,
    "unlock": _unlock,
    "award": _award,
    "end": _end,
}
