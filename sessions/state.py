"""Session state: a fold of the event log.

``apply`` mutates one ``SessionState`` in place. That is a deliberate trade:
a session with thousands of players folds thousands of answers, and copying
frozen state per event would cost more than the whole rest of the path.
The discipline that keeps this safe: only ``apply`` writes to state, the
deciding code (``core.decide``) only reads it, and every event is stored
before it is applied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from games.base import Timing
from games.decks import Deck
from sessions.events import Event
from sessions.phases import ACTIVITY_TABLE, CLOSED, ENDED, LOBBY, OPEN, REVEALED, RUNNING


@dataclass
class Player:
    id: str
    name: str
    group: str | None
    joined_at: int


@dataclass
class Run:
    """One play of an activity: its status, timing, answers and (after reveal) scores."""

    activity: str
    status: str
    opened_at: int
    deadline: int | None
    kind_state: Any
    closed_at: int | None = None
    scores: dict[str, int] = field(default_factory=dict)

    @property
    def timing(self) -> Timing:
        return Timing(self.opened_at, self.deadline)


@dataclass
class Award:
    seq: int
    at: int
    target: str
    points: int
    reason: str


@dataclass
class SessionState:
    code: str
    title: str
    deck: Deck
    created_at: int
    phase: str = LOBBY
    locked: bool = False
    seq: int = 0
    players: dict[str, Player] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)  # casefolded, for uniqueness
    groups: dict[str, str] = field(default_factory=dict)  # id -> name, in order
    group_sizes: dict[str, int] = field(default_factory=dict)
    runs: dict[str, Run] = field(default_factory=dict)
    current: str | None = None
    awards: list[Award] = field(default_factory=list)
    points: dict[str, int] = field(default_factory=dict)  # player or group id -> total
    seen: dict[tuple[str, str], int] = field(default_factory=dict)  # (actor, client id) -> seq
    join_ids: dict[tuple[str, str], str] = field(default_factory=dict)  # (client id, name) -> pid
    started_at: int | None = None
    ended_at: int | None = None
    # Derived, rebuilt when seq moves: rank of each player (1 = first).
    rank_cache: tuple[int, dict[str, int]] = (-1, {})

    @property
    def run(self) -> Run | None:
        return self.runs.get(self.current) if self.current else None

    def player_score(self, pid: str) -> int:
        return self.points.get(pid, 0)

    def group_score(self, gid: str) -> int:
        return self.points.get(gid, 0)


def new_state(code: str, title: str, deck: Deck, created_at: int) -> SessionState:
    st = SessionState(code=code, title=title, deck=deck, created_at=created_at)
    for gid, name in deck.groups:
        st.groups[gid] = name
        st.group_sizes[gid] = 0
    return st


def _credit(st: SessionState, pid: str, points: int) -> None:
    st.points[pid] = st.points.get(pid, 0) + points
    group = st.players[pid].group if pid in st.players else None
    if group:
        st.points[group] = st.points.get(group, 0) + points


def _player_joined(st: SessionState, ev: Event) -> None:
    d = ev.data
    st.players[d["player_id"]] = Player(d["player_id"], d["name"], d.get("group"), ev.at)
    st.names.add(d["name"].casefold())
    if d.get("group"):
        st.group_sizes[d["group"]] = st.group_sizes.get(d["group"], 0) + 1
    if ev.client_id:
        st.join_ids[(ev.client_id, d.get("asked_name", d["name"]))] = d["player_id"]


def _activity_started(st: SessionState, ev: Event) -> None:
    act = st.deck.activities[ev.data["activity"]]
    st.runs[act.id] = Run(act.id, OPEN, ev.at, ev.data.get("deadline"), act.impl.new_state(act.config))
    st.current = act.id
    if st.phase == LOBBY:
        st.phase = RUNNING
        st.started_at = ev.at


def _answer_submitted(st: SessionState, ev: Event) -> None:
    run = st.runs[ev.data["activity"]]
    act = st.deck.activities[run.activity]
    act.impl.apply_answer(act.config, run.kind_state, ev.actor, ev.data["answer"], ev.at)


def _activity_closed(st: SessionState, ev: Event) -> None:
    run = st.runs[ev.data["activity"]]
    run.status = ACTIVITY_TABLE[(run.status, "close")]
    run.closed_at = ev.at


def _activity_revealed(st: SessionState, ev: Event) -> None:
    run = st.runs[ev.data["activity"]]
    run.status = REVEALED
    act = st.deck.activities[run.activity]
    run.scores = act.impl.scores(act.config, run.kind_state, run.timing)
    for pid, pts in run.scores.items():
        if pid in st.players:
            _credit(st, pid, pts)


def _locked(st: SessionState, ev: Event) -> None:
    st.locked = True


def _unlocked(st: SessionState, ev: Event) -> None:
    st.locked = False


def _points_awarded(st: SessionState, ev: Event) -> None:
    d = ev.data
    st.awards.append(Award(ev.seq, ev.at, d["target"], d["points"], d["reason"]))
    if d["target"] in st.players:
        _credit(st, d["target"], d["points"])
    else:
        st.points[d["target"]] = st.points.get(d["target"], 0) + d["points"]


def _session_ended(st: SessionState, ev: Event) -> None:
    st.phase = ENDED
    st.ended_at = ev.at


def _session_created(st: SessionState, ev: Event) -> None:
    pass


APPLY: dict[str, Callable[[SessionState, Event], None]] = {
    "session_created": _session_created,
    "player_joined": _player_joined,
    "activity_started": _activity_started,
    "answer_submitted": _answer_submitted,
    "activity_closed": _activity_closed,
    "activity_revealed": _activity_revealed,
    "joining_locked": _locked,
    "joining_unlocked": _unlocked,
    "points_awarded": _points_awarded,
    "session_ended": _session_ended,
}


def apply(st: SessionState, ev: Event) -> SessionState:
    """Fold one event into the state. Events arrive in seq order, each exactly once."""
    if ev.seq != st.seq + 1:
        raise ValueError(f"event {ev.seq} applied to a session at {st.seq}")
    APPLY[ev.type](st, ev)
    st.seq = ev.seq
    if ev.client_id is not None:
        st.seen[(ev.actor, ev.client_id)] = ev.seq
    return st


__all__ = ["CLOSED", "OPEN", "REVEALED", "Player", "Run", "SessionState", "apply", "new_state"]
