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

Time: every deadline is an absolute server time inside an event. The core
says when it next needs to be woken (``next_due``); the driver arms one timer
and sends the ``tick`` command then; ``tick`` decides what is due (a step's
deadline, an automatic advance, the end of a break). A paused clock keeps the
time left instead of a deadline. Nothing ever sleeps.

Actors: a player id (``p…``), ``"host"`` (the console; the screen only
watches) or ``"system"`` (the driver's timer).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from games.base import CONSENSUS, GROUP, INDIVIDUAL, MAJORITY
from sessions.autoclose import BEAT_MS, everyone_answered
from sessions.errors import NotFound, Refused
from sessions.events import Draft
from sessions.names import clean_name, clean_text, unique_name
from sessions.phases import OPEN, REVEALED, activity_move, check_accepts, clock_move, session_move
from sessions.state import SessionState, Stage, in_answer_step, step_name

MAX_REASON = 200
MAX_AWARD = 10_000
MAX_GROUPS = 50
HOST_COMMANDS = frozenset({"start", "next", "advance", "close", "reveal", "pause", "resume", "extend",
                           "lock", "unlock", "award", "end", "group_add", "group_rename", "move",
                           "leaderboard", "break", "break_end", "auto_advance", "act", "kick", "ban",
                           "cluster", "ban_address", "results", "auto_close", "group_remove", "join_group"})
DEFAULT_MAX_PLAYERS = 10_000
SYSTEM_COMMANDS = frozenset({"tick", "clustered", "all_answered", "presence"})


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
    if cmd.name in SYSTEM_COMMANDS and cmd.actor != "system":
        raise Refused("forbidden", "only the server's clock sends ticks")
    check_accepts(st.phase, cmd.name)
    return handler(st, cmd, now)


def next_due(st: SessionState) -> int | None:
    """When the driver must send ``tick`` next (epoch ms), or None."""
    if st.phase == "ended":
        return None
    times = [st.break_until]
    stage = st.stage
    if stage is not None:
        times.append(stage.deadline if stage.status == OPEN else None)
        times.append(stage.close_at if stage.status == OPEN else None)
        if stage.status == REVEALED and any(a not in st.stages for a in st.agenda):
            times.append(stage.advance_at)  # auto-advance only while something is left to start
    due = [t for t in times if t is not None]
    return min(due) if due else None


# -- joining and groups ------------------------------------------------------------------------------

def _join(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    raw = cmd.args.get("name")
    if not isinstance(raw, str):
        raise Refused("bad_name", "a name is required")
    asked = clean_name(raw)
    if not asked:
        raise Refused("bad_name", "that name is empty once cleaned; please type a name")
    person = cmd.args.get("person")
    if person is not None:
        again = st.persons.get(person["id"]) if isinstance(person, dict) else None
        if again is not None and again in st.removed:
            raise Refused("removed", "the trainer has removed you from this session")
        if again is not None:  # the same trainee on another phone: the seat moves there
            return [Draft("seat_moved", {"player_id": again})]
    if st.locked:
        raise Refused("locked", "the trainer has locked joining")
    address = cmd.args.get("address")
    if address is not None and address in st.banned:
        raise Refused("banned", "the trainer has removed this device from the session")
    cap = cmd.args.get("max_players", DEFAULT_MAX_PLAYERS)
    if len(st.players) >= cap:
        raise Refused("session_full", f"this session is full ({cap} players)")
    drafts: list[Draft] = []
    if person is not None and person.get("group"):
        group, drafts = _roster_group(st, person["group"])
    else:
        group = _pick_group(st, cmd.args.get("group"))
    pid = f"p{len(st.players) + len(st.removed) + 1}"
    name = unique_name(asked, st.names)
    data = {"player_id": pid, "name": name, "group": group, "asked_name": asked}
    if person is not None:
        data["person"] = person["id"]
    if address is not None:
        data["address"] = address
    via = cmd.args.get("via", "")
    if st.course is not None and via and _node(via):
        data["via"] = via  # the process the phone joined on holds it (attendance in a cluster)
    return [*drafts, Draft("player_joined", data)]


def _roster_group(st: SessionState, wanted: str) -> tuple[str | None, list[Draft]]:
    """The session group named like the roster's 组 (made on the first member's join), or balance
    when the session has no room for another group."""
    for gid, gname in st.groups.items():
        if gname.casefold() == wanted.casefold():
            return gid, []
    if len(st.groups) >= MAX_GROUPS:
        return _pick_group(st, None), []
    n = len(st.groups) + 1
    while f"g{n}" in st.groups:
        n += 1
    return f"g{n}", [Draft("group_added", {"group": f"g{n}", "name": wanted})]


def _presence(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    """The driver saw a player's first connection open or their last one close on its process
    (``via``; course sessions: attendance is folded from these, ``sessions/attendance.py``)."""
    pid, online, via = cmd.args.get("player"), cmd.args.get("online"), cmd.args.get("via", "")
    if st.course is None or pid not in st.players or not isinstance(online, bool) or not _node(via):
        return []
    held = st.online_via.get(pid)
    if (via in held if held is not None else pid in st.online) == online:
        return []
    data: dict[str, Any] = {"player_id": pid, "online": online}
    if via:
        data["via"] = via  # (a cluster's process; the laptop mode's events stay as they were)
    return [Draft("presence", data)]


def _node(via: Any) -> bool:
    """A process id as the driver sends it with presence ("" in the laptop mode)."""
    return isinstance(via, str) and len(via) <= 64


def existing_join(st: SessionState, client_id: str | None, raw_name: Any) -> str | None:
    """The player a resent ``join`` (same client id, same name) already created, if any."""
    if client_id is None or not isinstance(raw_name, str):
        return None
    return st.join_ids.get((client_id, clean_name(raw_name)))


def _find_group(st: SessionState, wanted: Any) -> str:
    if isinstance(wanted, str):
        for gid, gname in st.groups.items():
            if wanted in (gid, gname):
                return gid
    raise NotFound("unknown_group", f"there is no group '{str(wanted)[:40]}' in this session")


def _pick_group(st: SessionState, wanted: Any) -> str | None:
    if not st.groups:
        return None
    if wanted not in (None, ""):
        return _find_group(st, wanted)
    if st.join_group in st.groups:  # the trainer chose where newcomers go
        return st.join_group
    # Balance: the smallest group, first in order on a tie. Once the session runs, a late
    # joiner goes to the smallest group that already has people, never alone into an empty one.
    candidates = list(st.groups)
    if st.phase != "lobby":
        candidates = [g for g in candidates if st.group_sizes.get(g, 0)] or candidates
    return min(candidates, key=lambda g: st.group_sizes.get(g, 0))


def _group_name(st: SessionState, raw: Any) -> str:
    name = clean_name(raw) if isinstance(raw, str) else ""
    if not name:
        raise Refused("bad_name", "a group needs a name")
    if any(name.casefold() == n.casefold() for n in st.groups.values()):
        raise Refused("duplicate_group", "another group already has that name")
    return name


def _group_add(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    if len(st.groups) >= MAX_GROUPS:
        raise Refused("too_many_groups", f"at most {MAX_GROUPS} groups")
    name = _group_name(st, cmd.args.get("name"))
    n = len(st.groups) + 1
    while f"g{n}" in st.groups:
        n += 1
    return [Draft("group_added", {"group": f"g{n}", "name": name})]


def _group_rename(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    gid = _find_group(st, cmd.args.get("group"))
    return [Draft("group_renamed", {"group": gid, "name": _group_name(st, cmd.args.get("name"))})]


def _group_remove(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    """Remove a group nobody is in (the deck's 第三组/第四组 of a small class)."""
    gid = _find_group(st, cmd.args.get("group"))
    if st.group_sizes.get(gid, 0):
        raise Refused("group_not_empty", "move its members to other groups first")
    stage = st.stage
    if stage is not None and stage.status == OPEN and stage.deal is not None and gid in stage.deal:
        raise Refused("group_in_play", "that group holds a card being played; remove it afterwards")
    if st.group_points.get(gid):
        raise Refused("group_has_points", "that group has earned points of its own; it stays in the record")
    return [Draft("group_removed", {"group": gid})]


def _join_group(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    """Where trainees who join without choosing go: one group, or null for the smallest."""
    wanted = cmd.args.get("group")
    gid = None if wanted is None else _find_group(st, wanted)
    return [] if gid == st.join_group else [Draft("join_group_set", {"group": gid})]


def _move(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    pid = cmd.args.get("player")
    if not isinstance(pid, str) or pid not in st.players:
        raise NotFound("unknown_player", "there is no such player in this session")
    gid = _find_group(st, cmd.args.get("group"))
    if st.players[pid].group == gid:
        return []
    return [Draft("player_moved", {"player_id": pid, "group": gid})]


def _remove(st: SessionState, cmd: Command, why: str) -> list[Draft]:
    pid = cmd.args.get("player")
    if not isinstance(pid, str) or pid not in st.players:
        raise NotFound("unknown_player", "there is no such player in this session")
    return [Draft("player_removed", {"player_id": pid, "why": why})]


def _kick(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    return _remove(st, cmd, "kicked")


def _ban(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    return _remove(st, cmd, "banned")


ADDRESS_KEY_LEN = 16  # the hashed address the log keeps (server/ws.py ``_address_key``)


def _ban_address(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    """Refuse further joins from one (hashed) address, e.g. one flooding joins; its players stay."""
    address = cmd.args.get("address")
    if not isinstance(address, str) or len(address) != ADDRESS_KEY_LEN or \
            any(c not in "0123456789abcdef" for c in address):
        raise Refused("bad_address", "args.address is the 16-hex-digit address key the console shows")
    if address in st.banned:
        return []
    return [Draft("address_banned", {"address": address})]


# -- answering ---------------------------------------------------------------------------------------

def _submit(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    if cmd.actor not in st.players:
        raise Refused("forbidden", "only players submit answers")
    stage = st.stage
    player = st.players[cmd.actor]
    card = st.card_for(stage, player.group) if stage is not None else None
    if stage is None or card is None or cmd.args.get("activity") not in (stage.id, card):
        raise Refused("not_current", "that activity is not the one being played")
    if stage.status != OPEN or (stage.deadline is not None and now >= stage.deadline):
        raise Refused("closed", "answers for this activity are closed")
    step = step_name(st, stage)  # (once: an answer burst decides thousands of these)
    if not in_answer_step(st, stage, step):
        raise Refused("bad_phase", f"nothing is answered during {step}")
    if stage.mode != INDIVIDUAL and player.group is None:
        raise Refused("no_group", "this activity is played by groups; ask the trainer to put you in one")
    act = st.activity(card)
    who = st.who(stage, cmd.actor)
    answer = cmd.args.get("answer")
    base = {"activity": stage.id, "card": card, "as": who.key}
    if stage.mode == CONSENSUS and isinstance(answer, dict) and set(answer) == {"confirm"}:
        return [_confirm(st, stage, card, who.key, cmd.actor, answer["confirm"], base)]
    normal = act.impl.check_answer(act.config, stage.cards[card], who, answer, step)
    if stage.mode == CONSENSUS:
        return [Draft("answer_submitted", {**base, "answer": normal, "proposal": True})]
    return [Draft("answer_submitted", {**base, "answer": normal})]


def _confirm(st: SessionState, stage: Stage, card: str, group: str, pid: str, ref: Any,
             base: dict[str, Any]) -> Draft:
    proposal = stage.proposals.get((card, group))
    if proposal is None or ref != proposal.seq:
        raise Refused("no_proposal", "there is no such proposal to confirm; look at the latest one")
    if proposal.confirmed_by is not None:
        raise Refused("already_confirmed", "this proposal is already the group's answer")
    if proposal.by == pid and st.group_sizes.get(group, 0) > 1:
        raise Refused("own_proposal", "another member of the group must confirm your proposal")
    return Draft("answer_confirmed", {**base, "proposal": proposal.seq})


# -- running the agenda ------------------------------------------------------------------------------

def _start(st: SessionState, cmd: Command, now: int, activity: Any = None) -> list[Draft]:
    activity = cmd.args.get("activity") if activity is None else activity
    if not isinstance(activity, str) or activity not in st.deck.activities:
        raise NotFound("unknown_activity", "the deck has no such activity")
    entry = st.deck.activities[activity]
    if activity in st.stages and not (entry.impl.replayable if not entry.is_deal else False):
        raise Refused("already_played", "that activity has already been played in this session")
    session_move(st.phase, "start")
    focus = cmd.args.get("group")
    if focus is not None:
        focus = _find_group(st, focus)
    drafts = _close_current(st, "start")
    deal = None
    mode = entry.mode
    if entry.is_deal:
        groups = [g for g in st.groups if st.group_sizes.get(g, 0)] or list(st.groups)
        if not groups:
            raise Refused("no_groups", "dealing cards needs groups; add groups first")
        deal = {g: entry.cards[i % len(entry.cards)] for i, g in enumerate(groups)}
        first = st.activity(entry.cards[0])
        limit = entry.time_limit or first.impl.steps(first.config)[0].seconds
    else:
        if mode != INDIVIDUAL and not st.groups:
            mode = INDIVIDUAL  # a session without groups plays group cards one by one
        limit = entry.impl.steps(entry.config)[0].seconds
    deadline = now + limit * 1000 if limit else None
    drafts.append(Draft("activity_started", {"activity": activity, "deadline": deadline, "deal": deal,
                                             "mode": mode, "focus_group": focus}))
    return drafts


def _next(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    agenda = st.agenda
    start = agenda.index(st.current) + 1 if st.current in agenda else 0
    for activity in agenda[start:] + agenda[:start]:
        if activity not in st.stages:
            return _start(st, cmd, now, activity)
    raise Refused("agenda_done", "every activity of the agenda has been played")


def _steps_of(st: SessionState, stage: Stage) -> tuple[Any, ...]:
    act = st.activity(next(iter(stage.cards)))
    return act.impl.steps(act.config)


def _rounds_of(st: SessionState, stage: Stage) -> int:
    act = st.activity(next(iter(stage.cards)))
    return act.impl.rounds(act.config)


def _advance_drafts(st: SessionState, stage: Stage, now: int, reason: str) -> list[Draft]:
    """Move an open stage to its next step (or round); past the last, close it."""
    steps = _steps_of(st, stage)
    step, round_no = stage.step + 1, stage.round
    if step >= len(steps):
        step, round_no = 0, round_no + 1
    if round_no >= _rounds_of(st, stage):
        drafts = [Draft("activity_closed", {"activity": stage.id, "reason": reason})]
        if reason in ("expire", "all_answered") and st.auto_advance is not None:
            drafts.append(Draft("activity_revealed", {"activity": stage.id,
                                                      "advance_at": now + st.auto_advance * 1000}))
        return drafts
    seconds = steps[step].seconds
    return [Draft("step_started", {"activity": stage.id, "step": step, "round": round_no,
                                   "name": steps[step].name,
                                   "deadline": now + seconds * 1000 if seconds else None})]


def _open_stage(st: SessionState) -> Stage:
    stage = st.stage
    if stage is None:
        raise Refused("no_activity", "no activity is being played")
    if stage.status != OPEN:
        raise Refused("bad_phase", f"the activity is {stage.status}")
    return stage


def _advance(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    return _advance_drafts(st, _open_stage(st), now, "advance")


def _close_current(st: SessionState, reason: str) -> list[Draft]:
    stage = st.stage
    if stage is not None and stage.status == OPEN:
        return [Draft("activity_closed", {"activity": stage.id, "reason": reason})]
    return []


def _close(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    stage = st.stage
    if stage is None:
        raise Refused("no_activity", "no activity is being played")
    activity_move(stage.status, "close")
    return _close_current(st, "close")


def _tick(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    """Whatever is due at ``now``: a step's deadline, an automatic advance, a break's end."""
    drafts: list[Draft] = []
    if st.break_until is not None and now >= st.break_until:
        drafts.append(Draft("break_ended"))
    stage = st.stage
    if stage is not None and stage.status == OPEN and stage.close_at is not None and now >= stage.close_at:
        drafts += _advance_drafts(st, stage, now, "all_answered")
    elif stage is not None and stage.status == OPEN and stage.deadline is not None and now >= stage.deadline:
        drafts += _advance_drafts(st, stage, now, "expire")
    elif stage is not None and stage.status == REVEALED and stage.advance_at is not None \
            and now >= stage.advance_at and st.phase != "ended":
        with contextlib.suppress(Refused):  # the agenda is done: stay on the reveal
            drafts += _next(st, cmd, now)
    return drafts


def _all_answered(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    """The driver says who is present; if every one of them has answered, close after a beat."""
    present = cmd.args.get("present")
    if not isinstance(present, (list, set, frozenset, tuple)) or not everyone_answered(st, present):
        return []
    assert st.stage is not None
    return [Draft("all_answered", {"activity": st.stage.id, "close_at": now + BEAT_MS})]


def _results(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    """Live results or hidden until the reveal, for one card or (no activity) the session."""
    show = cmd.args.get("show")
    if show not in ("live", "hidden"):
        raise Refused("bad_message", "'show' should be \"live\" or \"hidden\"")
    activity = _activity_arg(st, cmd.args.get("activity"))
    if st.results.get(activity or "") == show:
        return []
    return [Draft("results_set", {"activity": activity, "show": show})]


def _auto_close(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    """Close by itself when everyone has answered: on or off, for one card or the session."""
    on = cmd.args.get("on")
    if not isinstance(on, bool):
        raise Refused("bad_message", "'on' should be true or false")
    activity = _activity_arg(st, cmd.args.get("activity"))
    if st.auto_close.get(activity or "") == on:
        return []
    return [Draft("auto_close_set", {"activity": activity, "on": on})]


def _activity_arg(st: SessionState, activity: Any) -> str | None:
    if activity is None:
        return None
    if not isinstance(activity, str) or activity not in st.deck.activities:
        raise NotFound("unknown_activity", "the deck has no such activity")
    return activity


def _clock(stage: Stage) -> str:
    return "paused" if stage.paused_left is not None else "running"


def _pause(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    stage = _open_stage(st)
    if stage.deadline is None and stage.paused_left is None:
        raise Refused("no_timer", "this step has no clock")
    clock_move(_clock(stage), "pause")
    assert stage.deadline is not None
    return [Draft("timer_paused", {"activity": stage.id, "left": max(0, stage.deadline - now)})]


def _resume(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    stage = _open_stage(st)
    clock_move(_clock(stage), "resume")
    assert stage.paused_left is not None
    return [Draft("timer_set", {"activity": stage.id, "deadline": now + stage.paused_left})]


def _extend(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    """Add (or take) time; never ends a step by itself: at least a second stays on the clock."""
    stage = _open_stage(st)
    seconds = cmd.args.get("seconds")
    if not isinstance(seconds, int) or isinstance(seconds, bool) or not -3600 <= seconds <= 3600 \
            or seconds == 0:
        raise Refused("bad_seconds", "extend by a whole number of seconds, -3600 to 3600, not 0")
    if stage.paused_left is not None:
        clock_move("paused", "extend")
        return [Draft("timer_paused", {"activity": stage.id,
                                       "left": max(1000, stage.paused_left + seconds * 1000)})]
    if stage.deadline is None and seconds < 0:
        raise Refused("no_timer", "this step has no clock to take time from")
    clock_move("running", "extend")
    base = stage.deadline if stage.deadline is not None else now  # an untimed step gets a clock
    return [Draft("timer_set", {"activity": stage.id, "deadline": max(now + 1000, base + seconds * 1000)})]


def _reveal(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    stage = st.stage
    if stage is None:
        raise Refused("no_activity", "no activity is being played")
    if stage.status == REVEALED:
        raise Refused("bad_phase", "this activity is already revealed")
    return [*_close_current(st, "reveal"), Draft("activity_revealed", {"activity": stage.id})]


def _act(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    """A trainer action on the current activity's kind (moderate a post, score a role-play)."""
    stage = st.stage
    if stage is None:
        raise Refused("no_activity", "no activity is being played")
    action = cmd.args.get("action")
    card = cmd.args.get("card")
    if card is None or card == "":
        card = next(iter(stage.cards))
    if not isinstance(action, str) or not isinstance(card, str) or card not in stage.cards:
        raise Refused("bad_message", "act needs an 'action' and, for a deal, a 'card' being played")
    act = st.activity(card)
    step = step_name(st, stage) if stage.status == OPEN else stage.status
    if action == "clustered":
        raise Refused("unknown_action", "clusters come from the cluster command")
    data = act.impl.check_action(act.config, stage.cards[card], action, cmd.args, step)
    return [Draft("action_taken", {"activity": stage.id, "card": card, "data": data})]


# -- grouping a discussion board ----------------------------------------------------------------
# ``cluster`` is decided in two halves so the grouping itself (seconds of CPU at worst) runs in the
# driver's thread, never here: ``cluster_request`` checks the command and hands the driver the posts;
# the driver groups them (games/grouping.py) and sends ``clustered`` as the system, whose event
# records the clusters. Posts written in between are placed by the kind when the event applies.

def _cluster_target(st: SessionState, args: dict[str, Any]) -> tuple[Stage, str]:
    stage = st.stage
    if stage is None:
        raise Refused("no_activity", "no activity is being played")
    activity = args.get("activity")
    if not isinstance(activity, str) or activity not in (stage.id, *stage.cards):
        raise Refused("not_current", "that activity is not the one being played")
    card = activity if activity in stage.cards else args.get("card") or next(iter(stage.cards))
    if card not in stage.cards:
        raise Refused("bad_message", "for a deal, 'card' names a card being played")
    if st.activity(card).kind not in ("discuss", "plan"):
        raise Refused("not_discussion", "only a discussion board or the action plans can be grouped")
    return stage, card


def cluster_request(st: SessionState, cmd: Command, now: int) -> tuple[str, str, list[tuple[str, str]]]:
    """Check a ``cluster`` command; the activity, card and ``(post id, text)`` list the driver groups."""
    decide(st, cmd, now)
    stage, card = _cluster_target(st, cmd.args)
    act = st.activity(card)
    return stage.id, card, act.impl.cluster_input(stage.cards[card])


def _cluster(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    _cluster_target(st, cmd.args)
    return []  # the driver groups the posts and records the result with ``clustered``


def _clustered(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    stage, card = _cluster_target(st, cmd.args)
    act = st.activity(card)
    data = act.impl.check_action(act.config, stage.cards[card], "clustered", cmd.args, "")
    return [Draft("action_taken", {"activity": stage.id, "card": card, "data": data})]


# -- the room ----------------------------------------------------------------------------------------

def _lock(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    return [] if st.locked else [Draft("joining_locked")]


def _unlock(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    return [Draft("joining_unlocked")] if st.locked else []


def _award(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    target, points, reason = (cmd.args.get(k) for k in ("target", "points", "reason"))
    if not isinstance(target, str) or (target not in st.players and target not in st.groups):
        raise NotFound("unknown_target", "award to a player id or a group id of this session")
    if not isinstance(points, int) or isinstance(points, bool) or points == 0 or abs(points) > MAX_AWARD:
        raise Refused("bad_points", f"points must be a whole number from -{MAX_AWARD} to {MAX_AWARD}, not 0")
    if not isinstance(reason, str) or not clean_text(reason):
        raise Refused("bad_reason", "every award needs a reason")
    return [Draft("points_awarded", {"target": target, "points": points,
                                     "reason": clean_text(reason)[:MAX_REASON]})]


def _leaderboard(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    show = cmd.args.get("show")
    if not isinstance(show, bool):
        raise Refused("bad_message", "'show' should be true or false")
    return [] if show == st.show_leaderboard else [Draft("leaderboard_shown", {"show": show})]


def _auto_advance(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    seconds = cmd.args.get("seconds")
    if seconds is not None and (not isinstance(seconds, int) or isinstance(seconds, bool)
                                or not 3 <= seconds <= 600):
        raise Refused("bad_seconds", "auto-advance after 3 to 600 seconds, or null to turn it off")
    return [] if seconds == st.auto_advance else [Draft("auto_advance_set", {"seconds": seconds})]


def _break(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    minutes = cmd.args.get("minutes")
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 120:
        raise Refused("bad_minutes", "a break lasts 1 to 120 whole minutes")
    message = cmd.args.get("message") or ""
    if not isinstance(message, str):
        raise Refused("bad_message", "'message' should be text")
    return [Draft("break_started", {"until": now + minutes * 60_000, "message": clean_text(message)[:200]})]


def _break_end(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    if st.break_until is None:
        raise Refused("no_break", "there is no break to end")
    return [Draft("break_ended")]


def _end(st: SessionState, cmd: Command, now: int) -> list[Draft]:
    session_move(st.phase, "end")
    return [*_close_current(st, "end"), Draft("session_ended")]


_HANDLERS = {
    "join": _join,
    "submit": _submit,
    "start": _start,
    "next": _next,
    "advance": _advance,
    "close": _close,
    "tick": _tick,
    "reveal": _reveal,
    "pause": _pause,
    "resume": _resume,
    "extend": _extend,
    "act": _act,
    "cluster": _cluster,
    "clustered": _clustered,
    "lock": _lock,
    "unlock": _unlock,
    "award": _award,
    "leaderboard": _leaderboard,
    "auto_advance": _auto_advance,
    "break": _break,
    "break_end": _break_end,
    "group_add": _group_add,
    "group_rename": _group_rename,
    "group_remove": _group_remove,
    "join_group": _join_group,
    "results": _results,
    "auto_close": _auto_close,
    "all_answered": _all_answered,
    "presence": _presence,
    "move": _move,
    "kick": _kick,
    "ban": _ban,
    "ban_address": _ban_address,
    "end": _end,
}

__all__ = ["CONSENSUS", "GROUP", "MAJORITY", "Command", "cluster_request", "decide", "existing_join", "next_due"]
