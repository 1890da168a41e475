"""Session state: a fold of the event log.

``apply`` mutates one ``SessionState`` in place. That is a deliberate trade:
a session with thousands of players folds thousands of answers, and copying
frozen state per event would cost more than the whole rest of the path.
The discipline that keeps this safe: only ``apply`` writes to state, the
deciding code (``core.decide``) only reads it, and every event is stored
before it is applied.

A *stage* is one played agenda entry: a single activity, or a deal (one card
of a set per group). It carries the generic life of an activity: status,
step, round, deadline (absolute, pausable) and, per card, the kind's state.

Scores are a ledger: ``points`` per player and ``group_points`` per group
(group awards, role-play team points). A group's score is the rounded mean of
its members' scores plus its own points, so groups of different sizes compare
fairly and a group answer credited to every member counts once for the group.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from games.base import CONSENSUS, GROUP, INDIVIDUAL, MAJORITY, Scope, Timing, Who
from games.decks import Activity, Deck
from games.rounding import half_up
from sessions.events import Event
from sessions.phases import ACTIVITY_TABLE, CLOSED, ENDED, LOBBY, OPEN, REVEALED, RUNNING


@dataclass
class Player:
    id: str
    name: str
    group: str | None
    joined_at: int
    person: str | None = None  # the course roster's person id (docs/courses.md); None without a roster


@dataclass
class Proposal:
    seq: int
    by: str
    answer: dict[str, Any]
    confirmed_by: str | None = None


@dataclass
class Stage:
    """One played agenda entry and everything generic about it."""

    id: str
    status: str
    opened_at: int
    mode: str
    cards: dict[str, Any]  # card (activity) id -> the kind's state
    deal: dict[str, str] | None  # group id -> card id, for a deal
    step: int = 0
    round: int = 0
    step_started_at: int = 0
    deadline: int | None = None
    paused_left: int | None = None  # ms left on the clock while paused
    span: int | None = None  # ms the clock drains over (the projector's ring): the most it has held this step
    answer_window: tuple[int, int | None] = (0, None)  # (opened, deadline) of the answer step
    proposals: dict[tuple[str, str], Proposal] = field(default_factory=dict)  # (card, group)
    credits: dict[str, int] = field(default_factory=dict)  # player -> points from this stage
    group_credits: dict[str, int] = field(default_factory=dict)
    closed_at: int | None = None
    advance_at: int | None = None  # auto-advance: when the next agenda entry starts
    close_at: int | None = None  # everyone has answered: the card closes then (after a short beat)

    @property
    def timing(self) -> Timing:
        return Timing(*self.answer_window)


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
    agenda: tuple[str, ...] = ()  # this session's agenda: the deck's, or the trainer's choice from it
    phase: str = LOBBY
    locked: bool = False
    seq: int = 0
    players: dict[str, Player] = field(default_factory=dict)
    removed: dict[str, tuple[Player, str]] = field(default_factory=dict)  # kicked or banned: (player, why)
    addresses: dict[str, str] = field(default_factory=dict)  # player -> hashed network address
    banned: set[str] = field(default_factory=set)  # hashed addresses that may not join again
    names: set[str] = field(default_factory=set)  # casefolded, for uniqueness
    groups: dict[str, str] = field(default_factory=dict)  # id -> name, in order
    group_sizes: dict[str, int] = field(default_factory=dict)
    stages: dict[str, Stage] = field(default_factory=dict)
    current: str | None = None
    awards: list[Award] = field(default_factory=list)
    points: dict[str, int] = field(default_factory=dict)  # player -> total
    group_points: dict[str, int] = field(default_factory=dict)  # group -> its own points
    seen: dict[tuple[str, str], int] = field(default_factory=dict)  # (actor, client id) -> seq
    join_ids: dict[tuple[str, str], str] = field(default_factory=dict)  # (client id, name) -> pid
    show_leaderboard: bool = True
    join_group: str | None = None  # the trainer's choice of group for newcomers; None = balance
    auto_advance: int | None = None  # seconds after an automatic reveal; None = off
    # The trainer's choices, per activity id, "" for the whole session (the deck's per card in between):
    results: dict[str, str] = field(default_factory=dict)  # "live" | "hidden" (default hidden)
    auto_close: dict[str, bool] = field(default_factory=dict)  # close when everyone has answered
    break_until: int | None = None
    break_message: str = ""
    started_at: int | None = None
    ended_at: int | None = None
    breaks: list[list[int]] = field(default_factory=list)  # [start, end] of each break (end: planned till ended)
    preset: tuple[str, int] | None = None  # (preset id, day 1..n) when the session plays a preset's day
    course: tuple[str, int | None] | None = None  # (course id, day) when the session is a day of a course
    persons: dict[str, str] = field(default_factory=dict)  # roster person id -> player id
    seats: dict[str, int] = field(default_factory=dict)  # player -> times their seat moved to another phone
    online: set[str] = field(default_factory=set)  # players connected, as presence events recorded it
    # player -> the server processes holding a connection of theirs ("" for the one process of the
    # laptop mode): with several processes a player is present while any of them holds them.
    online_via: dict[str, set[str]] = field(default_factory=dict)
    spans: dict[str, list[list[int]]] = field(default_factory=dict)  # player -> [[from, to (-1: open)]...]
    # The seq of the last event that may have changed a score, a rank or who is in which group:
    # answers do not (points come at the reveal), so a burst of them re-ranks nobody.
    standing_seq: int = 0
    # Whether ``players`` (insertion order) is also in order of ``joined_at``: true unless the
    # wall clock stepped back between two joins. Then, while nobody has scored, the board is
    # simply the first players in the dict (``views.leaderboard``), no scan of the hall per join.
    joined_in_order: bool = True
    last_joined_at: int = 0
    # Derived, rebuilt when standing_seq moves: rank of each player (1 = first), group scores,
    # the leaderboard the projector shows.
    rank_cache: tuple[int, dict[str, int]] = (-1, {})
    group_cache: tuple[int, dict[str, int]] = (-1, {})
    board_cache: tuple[int, dict[int, list[dict[str, Any]]]] = (-1, {})

    @property
    def stage(self) -> Stage | None:
        return self.stages.get(self.current) if self.current else None

    def name_of(self, pid: str) -> str:
        """A player's name, also for one who was removed (their answers stay in the record)."""
        if pid in self.players:
            return self.players[pid].name
        return self.removed[pid][0].name if pid in self.removed else ""

    def player_score(self, pid: str) -> int:
        return self.points.get(pid, 0)

    def anyone_scored(self) -> bool:
        """Has any player points yet? (Before: all rank first, every group mean is 0.)"""
        return any(self.points.values())

    def group_scores(self) -> dict[str, int]:
        if self.group_cache[0] != self.standing_seq:
            self.group_cache = (self.standing_seq, self.group_scores_if({}))
        return self.group_cache[1]

    def group_scores_if(self, moves: Mapping[str, str]) -> dict[str, int]:
        """Each group's score (its members' mean plus its own points), with the players in
        ``moves`` (player id -> group id) counted in their new group: what a move would show."""
        if not moves and not self.anyone_scored():  # no member's points to average
            return {gid: self.group_points.get(gid, 0) for gid in self.groups}
        sums: dict[str, int] = {}
        sizes = dict(self.group_sizes)
        for p in self.players.values():
            group = moves.get(p.id, p.group)
            if group != p.group:
                if p.group:
                    sizes[p.group] -= 1
                sizes[group] = sizes.get(group, 0) + 1
            if group:
                sums[group] = sums.get(group, 0) + self.points.get(p.id, 0)
        table = {}
        for gid in self.groups:
            size = sizes.get(gid, 0)
            mean = half_up(sums.get(gid, 0) / size) if size else 0
            table[gid] = mean + self.group_points.get(gid, 0)
        return table

    def group_score(self, gid: str | None) -> int:
        return self.group_scores().get(gid, 0) if gid else 0

    def members(self, gid: str) -> list[str]:
        return [p.id for p in self.players.values() if p.group == gid]

    def card_for(self, stage: Stage, group: str | None) -> str | None:
        """The card a player of ``group`` plays in ``stage`` (None: the deal skipped that group)."""
        if stage.deal is None:
            return next(iter(stage.cards))
        return stage.deal.get(group or "")

    def who(self, stage: Stage, pid: str) -> Who:
        group = self.players[pid].group
        key = group if stage.mode in (GROUP, CONSENSUS) and group else pid
        return Who(pid, key, group)

    def activity(self, card: str) -> Activity:
        return self.deck.activities[card]

    def played_cards(self) -> Iterator[tuple[str, Stage, str, Any, Activity]]:
        """(agenda entry, its stage, card id, the kind's state, the card) for every card played so
        far, in agenda order (a deal gives one per dealt card): what reviews and exports walk."""
        for aid in self.agenda:
            stage = self.stages.get(aid)
            if stage is None:
                continue
            for card, kstate in stage.cards.items():
                yield aid, stage, card, kstate, self.activity(card)


def new_state(code: str, title: str, deck: Deck, created_at: int) -> SessionState:
    st = SessionState(code=code, title=title, deck=deck, created_at=created_at, agenda=deck.agenda)
    for gid, name in deck.groups:
        st.groups[gid] = name
        st.group_sizes[gid] = 0
    return st


# -- the fold ---------------------------------------------------------------------------------------

def _player_joined(st: SessionState, ev: Event) -> None:
    d = ev.data
    st.players[d["player_id"]] = Player(d["player_id"], d["name"], d.get("group"), ev.at, d.get("person"))
    if ev.at < st.last_joined_at:
        st.joined_in_order = False
    st.last_joined_at = max(st.last_joined_at, ev.at)
    st.names.add(d["name"].casefold())
    if d.get("person"):
        st.persons[d["person"]] = d["player_id"]
    if st.course is not None:
        st.online.add(d["player_id"])
        st.online_via[d["player_id"]] = {d.get("via", "")}
        st.spans[d["player_id"]] = [[ev.at, -1]]
    if d.get("group"):
        st.group_sizes[d["group"]] = st.group_sizes.get(d["group"], 0) + 1
    if ev.client_id:
        st.join_ids[(ev.client_id, d.get("asked_name", d["name"]))] = d["player_id"]
    if d.get("address"):
        st.addresses[d["player_id"]] = d["address"]


def _player_removed(st: SessionState, ev: Event) -> None:
    """Kick or ban: the player leaves the room (lobby, counts, groups, leaderboard) but not the record."""
    p = st.players.pop(ev.data["player_id"])
    st.removed[p.id] = (p, ev.data["why"])
    if p.group:
        st.group_sizes[p.group] -= 1
    if ev.data["why"] == "banned" and p.id in st.addresses:
        st.banned.add(st.addresses[p.id])


def _seat_moved(st: SessionState, ev: Event) -> None:
    """A rostered trainee confirmed their name on another phone: the old phone's token stops working."""
    pid = ev.data["player_id"]
    st.seats[pid] = st.seats.get(pid, 0) + 1


def _presence(st: SessionState, ev: Event) -> None:
    """A player's first connection on a process opened or their last one there closed (course
    sessions only): attendance. Present while any process holds them."""
    pid = ev.data["player_id"]
    spans = st.spans.setdefault(pid, [])
    via = st.online_via.setdefault(pid, set())
    was = pid in st.online
    if ev.data["online"]:
        via.add(ev.data.get("via", ""))
        if not was:
            st.online.add(pid)
            spans.append([ev.at, -1])
    else:
        via.discard(ev.data.get("via", ""))
        if was and not via:  # (in a cluster: the last process that held them let go)
            st.online.discard(pid)
            if spans and spans[-1][1] == -1:
                spans[-1][1] = ev.at


def _address_banned(st: SessionState, ev: Event) -> None:
    st.banned.add(ev.data["address"])


def _group_added(st: SessionState, ev: Event) -> None:
    st.groups[ev.data["group"]] = ev.data["name"]
    st.group_sizes.setdefault(ev.data["group"], 0)


def _group_renamed(st: SessionState, ev: Event) -> None:
    st.groups[ev.data["group"]] = ev.data["name"]


def _player_moved(st: SessionState, ev: Event) -> None:
    p = st.players[ev.data["player_id"]]
    if p.group:
        st.group_sizes[p.group] -= 1
    p.group = ev.data["group"]
    st.group_sizes[p.group] = st.group_sizes.get(p.group, 0) + 1


def scope_of(st: SessionState, focus: str | None) -> Scope:
    members = {gid: tuple(st.members(gid)) for gid in st.groups}
    return Scope(members=members, players=tuple(st.players), focus_group=focus,
                 names={p.id: p.name for p in st.players.values()})


def _activity_started(st: SessionState, ev: Event) -> None:
    d = ev.data
    entry = st.deck.activities[d["activity"]]
    deal = d.get("deal")
    card_ids = list(dict.fromkeys(deal.values())) if deal is not None else [entry.id]
    scope = scope_of(st, d.get("focus_group"))
    cards = {}
    for cid in card_ids:
        act = st.activity(cid)
        cards[cid] = act.impl.new_state(act.config, scope)
    stage = Stage(id=entry.id, status=OPEN, opened_at=ev.at, mode=d.get("mode", entry.mode),
                  cards=cards, deal=deal, step_started_at=ev.at, deadline=d.get("deadline"))
    stage.span = _span(None, ev.at, d.get("deadline"))
    stage.answer_window = (ev.at, d.get("deadline"))
    st.stages[entry.id] = stage
    st.current = entry.id
    if st.break_until is not None and st.breaks:
        st.breaks[-1][1] = min(st.breaks[-1][1], ev.at)
    st.break_until = None
    if st.phase == LOBBY:
        st.phase = RUNNING
        st.started_at = ev.at


def _step_started(st: SessionState, ev: Event) -> None:
    d = ev.data
    stage = st.stages[d["activity"]]
    stage.step, stage.round = d["step"], d["round"]
    stage.step_started_at, stage.deadline, stage.paused_left = ev.at, d.get("deadline"), None
    stage.span = _span(None, ev.at, d.get("deadline"))
    for cid, kstate in stage.cards.items():
        act = st.activity(cid)
        steps = act.impl.steps(act.config)
        act.impl.on_step(act.config, kstate, steps[stage.step].name, stage.round)
        if steps[stage.step].name in act.impl.answer_steps(act.config):
            stage.answer_window = (ev.at, d.get("deadline"))


def _span(span: int | None, at: int, deadline: int | None, left: int | None = None) -> int | None:
    """The clock's full span: what it held when set, grown when time is added beyond it.

    A resume keeps the span (the ring goes on from where it stopped); an extension past the
    span makes the new time left the full ring.
    """
    if left is None:
        if deadline is None:
            return span
        left = deadline - at
    return max(span or 0, left)


def _timer_paused(st: SessionState, ev: Event) -> None:
    stage = st.stages[ev.data["activity"]]
    stage.paused_left, stage.deadline = ev.data["left"], None
    stage.span = _span(stage.span, ev.at, None, ev.data["left"])
    stage.close_at = None  # the trainer holds the card: an all-answered close waits for the next answer


def _all_answered(st: SessionState, ev: Event) -> None:
    st.stages[ev.data["activity"]].close_at = ev.data["close_at"]


def _chosen(st: SessionState, choices: dict[str, Any], field: str, activity: str, default: Any) -> Any:
    """A per-card switch: the console's choice for the card, else the deck's, else the console's
    for the session (key ""), else ``default``."""
    if activity in choices:
        return choices[activity]
    entry = st.deck.activities.get(activity)
    if entry is not None and getattr(entry, field) is not None:
        return getattr(entry, field)
    return choices.get("", default)


def results_shown(st: SessionState, activity: str) -> str:
    """"live" or "hidden": the console's choice for the card, else the deck's, else the session's."""
    return str(_chosen(st, st.results, "results", activity, "hidden"))


def _results_set(st: SessionState, ev: Event) -> None:
    st.results[ev.data.get("activity") or ""] = ev.data["show"]


def auto_close_wanted(st: SessionState, activity: str) -> bool:
    """Close when everyone has answered? The console's choice for the card, the deck's, the session's."""
    return bool(_chosen(st, st.auto_close, "auto_close", activity, True))


def _auto_close_set(st: SessionState, ev: Event) -> None:
    st.auto_close[ev.data.get("activity") or ""] = bool(ev.data["on"])
    stage = st.stage
    if stage is not None and not auto_close_wanted(st, stage.id):
        stage.close_at = None  # turned off during the beat: the card stays open


def _group_removed(st: SessionState, ev: Event) -> None:
    gid = ev.data["group"]
    st.groups.pop(gid, None)
    st.group_sizes.pop(gid, None)
    if st.join_group == gid:
        st.join_group = None


def _join_group_set(st: SessionState, ev: Event) -> None:
    st.join_group = ev.data.get("group")


def step_name(st: SessionState, stage: Stage) -> str:
    act = st.activity(next(iter(stage.cards)))
    return act.impl.steps(act.config)[stage.step].name


def in_answer_step(st: SessionState, stage: Stage, step: str | None = None) -> bool:
    """Whether the stage's current step takes answers (``step``: its name, if the caller has it)."""
    act = st.activity(next(iter(stage.cards)))
    return (step or step_name(st, stage)) in act.impl.answer_steps(act.config)


def _timer_set(st: SessionState, ev: Event) -> None:
    stage = st.stages[ev.data["activity"]]
    stage.deadline, stage.paused_left = ev.data["deadline"], None
    stage.span = _span(stage.span, ev.at, ev.data["deadline"])
    if in_answer_step(st, stage):
        stage.answer_window = (stage.answer_window[0], ev.data["deadline"])


def _answer_submitted(st: SessionState, ev: Event) -> None:
    d = ev.data
    stage = st.stages[d["activity"]]
    card = d["card"]
    act = st.activity(card)
    who = Who(ev.actor, d["as"], st.players[ev.actor].group if ev.actor in st.players else None)
    if d.get("proposal"):
        stage.proposals[(card, d["as"])] = Proposal(ev.seq, ev.actor, d["answer"])
        return
    act.impl.apply_answer(act.config, stage.cards[card], who, d["answer"], ev.at)


def _answer_confirmed(st: SessionState, ev: Event) -> None:
    d = ev.data
    stage = st.stages[d["activity"]]
    proposal = stage.proposals[(d["card"], d["as"])]
    proposal.confirmed_by = ev.actor
    act = st.activity(d["card"])
    who = Who(proposal.by, d["as"], d["as"])
    act.impl.apply_answer(act.config, stage.cards[d["card"]], who, proposal.answer, ev.at)


def _action_taken(st: SessionState, ev: Event) -> None:
    d = ev.data
    stage = st.stages[d["activity"]]
    act = st.activity(d["card"])
    act.impl.apply_action(act.config, stage.cards[d["card"]], d["data"], ev.at)


def _activity_closed(st: SessionState, ev: Event) -> None:
    stage = st.stages[ev.data["activity"]]
    stage.status = ACTIVITY_TABLE[(stage.status, "close")]
    stage.closed_at, stage.deadline, stage.paused_left = ev.at, None, None


def stage_credits(st: SessionState, stage: Stage) -> tuple[dict[str, int], dict[str, int]]:
    """Points per player and per group that a stage earns, from its cards' states and mode."""
    players: dict[str, int] = {}
    groups: dict[str, int] = {}

    def add(table: dict[str, int], key: str, pts: int) -> None:
        table[key] = table.get(key, 0) + pts

    for cid, kstate in stage.cards.items():
        act = st.activity(cid)
        impl = act.impl
        if stage.mode == MAJORITY:
            by_group: dict[str, list[dict[str, Any]]] = {}
            for pid, answer in impl.answers(kstate).items():
                group = st.players[pid].group if pid in st.players else None
                if group:
                    by_group.setdefault(group, []).append(answer)
            combined = impl.new_state(act.config, scope_of(st, None))
            for gid, answers in by_group.items():
                answer = impl.combine(answers)
                if answer is not None:
                    impl.apply_answer(act.config, combined, Who("", gid, gid), answer, stage.opened_at)
            scores = impl.scores(act.config, combined, stage.timing)
        else:
            scores = impl.scores(act.config, kstate, stage.timing)
        for key, pts in scores.items():
            if key in st.players:
                add(players, key, pts)
            elif key in st.groups:  # a group's answer earns every member the points
                for pid in st.members(key):
                    add(players, pid, pts)
        for gid, pts in impl.group_bonus(act.config, kstate).items():
            if gid in st.groups:
                add(groups, gid, pts)
    return players, groups


def _activity_revealed(st: SessionState, ev: Event) -> None:
    stage = st.stages[ev.data["activity"]]
    stage.status = REVEALED
    stage.advance_at = ev.data.get("advance_at")
    stage.credits, stage.group_credits = stage_credits(st, stage)
    for pid, pts in stage.credits.items():
        st.points[pid] = st.points.get(pid, 0) + pts
    for gid, pts in stage.group_credits.items():
        st.group_points[gid] = st.group_points.get(gid, 0) + pts


def _locked(st: SessionState, ev: Event) -> None:
    st.locked = True


def _unlocked(st: SessionState, ev: Event) -> None:
    st.locked = False


def _points_awarded(st: SessionState, ev: Event) -> None:
    d = ev.data
    st.awards.append(Award(ev.seq, ev.at, d["target"], d["points"], d["reason"]))
    table = st.points if d["target"] in st.players else st.group_points
    table[d["target"]] = table.get(d["target"], 0) + d["points"]


def _leaderboard_shown(st: SessionState, ev: Event) -> None:
    st.show_leaderboard = bool(ev.data["show"])


def _auto_advance_set(st: SessionState, ev: Event) -> None:
    st.auto_advance = ev.data.get("seconds")


def _break_started(st: SessionState, ev: Event) -> None:
    if st.break_until is not None and st.breaks:
        st.breaks[-1][1] = min(st.breaks[-1][1], ev.at)
    st.break_until, st.break_message = ev.data["until"], ev.data.get("message", "")
    st.breaks.append([ev.at, ev.data["until"]])


def _break_ended(st: SessionState, ev: Event) -> None:
    if st.breaks:
        st.breaks[-1][1] = min(st.breaks[-1][1], ev.at)
    st.break_until, st.break_message = None, ""


def _session_ended(st: SessionState, ev: Event) -> None:
    st.phase = ENDED
    st.ended_at = ev.at
    st.break_until = None


def _session_created(st: SessionState, ev: Event) -> None:
    if ev.data.get("agenda"):
        st.agenda = tuple(ev.data["agenda"])
    if ev.data.get("preset"):
        st.preset = (ev.data["preset"], int(ev.data.get("day", 1)))
    if ev.data.get("course"):
        st.course = (ev.data["course"], ev.data.get("course_day"))


def _nothing(st: SessionState, ev: Event) -> None:
    pass


APPLY: dict[str, Callable[[SessionState, Event], None]] = {
    "session_created": _session_created,
    "player_joined": _player_joined,
    "group_added": _group_added,
    "group_renamed": _group_renamed,
    "group_removed": _group_removed,
    "join_group_set": _join_group_set,
    "results_set": _results_set,
    "auto_close_set": _auto_close_set,
    "all_answered": _all_answered,
    "player_moved": _player_moved,
    "player_removed": _player_removed,
    "seat_moved": _seat_moved,
    "presence": _presence,
    "address_banned": _address_banned,
    "activity_started": _activity_started,
    "step_started": _step_started,
    "timer_paused": _timer_paused,
    "timer_set": _timer_set,
    "answer_submitted": _answer_submitted,
    "answer_confirmed": _answer_confirmed,
    "action_taken": _action_taken,
    "activity_closed": _activity_closed,
    "activity_revealed": _activity_revealed,
    "joining_locked": _locked,
    "joining_unlocked": _unlocked,
    "points_awarded": _points_awarded,
    "leaderboard_shown": _leaderboard_shown,
    "auto_advance_set": _auto_advance_set,
    "break_started": _break_started,
    "break_ended": _break_ended,
    "session_ended": _session_ended,
}


# Events that change no score, rank, name or group (see ``SessionState.standing_seq``).
STANDING_NEUTRAL = frozenset({"answer_submitted", "answer_confirmed", "presence", "all_answered"})


def apply(st: SessionState, ev: Event) -> SessionState:
    """Fold one event into the state. Events arrive in seq order, each exactly once."""
    if ev.seq != st.seq + 1:
        raise ValueError(f"event {ev.seq} applied to a session at {st.seq}")
    APPLY[ev.type](st, ev)
    st.seq = ev.seq
    if ev.type not in STANDING_NEUTRAL:
        st.standing_seq = ev.seq
    if ev.client_id is not None:
        st.seen[(ev.actor, ev.client_id)] = ev.seq
    return st


__all__ = ["CLOSED", "INDIVIDUAL", "OPEN", "REVEALED", "Player", "SessionState", "Stage", "apply",
           "new_state"]
