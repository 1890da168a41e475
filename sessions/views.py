"""What each audience sees: pure functions from state to a JSON-able view.

Views, not events, go to clients: each carries the whole current picture for
its audience, so a client that reconnects or reads slowly just takes the
newest one. The screen view is what a projector may show to the room: never
an answer key before the reveal, never a role brief. The console adds answer
keys, briefs and the roster; a player's view holds only that player's own
answers and role.
"""

from __future__ import annotations

import heapq
from itertools import islice
from typing import Any

from games.base import CONSENSUS
from sessions.autoclose import auto_close_on
from sessions.phases import ENDED, OPEN, REVEALED
from sessions.schedule import schedule
from sessions.state import Player, SessionState, Stage, results_shown

LOBBY_NAMES = 80  # the screen lists the newest names; a hall of thousands shows a count
LEADERBOARD_SIZE = 10


def ranks(st: SessionState) -> dict[str, int]:
    """Competition ranks (ties share a rank), computed once per event, not once per phone."""
    if st.rank_cache[0] != st.standing_seq:
        points = st.points
        if not st.anyone_scored():  # (the lobby, the first card): all first
            table = dict.fromkeys(st.players, 1)
        else:
            table = {}
            ranked = sorted(st.players, key=lambda q: -points.get(q, 0))
            previous, rank = None, 0
            for i, q in enumerate(ranked, 1):
                score = points.get(q, 0)
                if score != previous:
                    rank, previous = i, score
                table[q] = rank
        st.rank_cache = (st.standing_seq, table)
    return st.rank_cache[1]


def _agenda(st: SessionState) -> list[dict[str, Any]]:
    out = []
    for aid in st.agenda:
        act = st.deck.activities[aid]
        stage = st.stages.get(aid)
        out.append({**act.summary(), "module": act.module, "mode": act.mode,
                    "status": stage.status if stage else None, "planned": st.deck.planned(aid)})
    return out


def groups_view(st: SessionState) -> list[dict[str, Any]]:
    scores = st.group_scores()
    return [{"id": gid, "name": name, "size": st.group_sizes.get(gid, 0), "score": scores.get(gid, 0)}
            for gid, name in st.groups.items()]


def leaderboard(st: SessionState, size: int | None = LEADERBOARD_SIZE) -> list[dict[str, Any]]:
    """The top ``size`` players (all for None); the projector's is kept until a score changes
    (every screen and console view of an answer burst would otherwise sort the hall again)."""
    if st.board_cache[0] != st.standing_seq:
        st.board_cache = (st.standing_seq, {})
    kept = st.board_cache[1].get(size) if size is not None else None
    if kept is not None:
        return kept
    if st.joined_in_order and not st.anyone_scored():
        # Nobody has scored: all rank first, so the order is the joining order, which the dict
        # keeps. (The lobby: a join would otherwise scan the hall for every screen view.)
        table: dict[str, int] = {}
        rows = list(islice(st.players.values(), size))
    else:
        table = ranks(st)

        def order(p: Player) -> tuple[int, int]:
            return table.get(p.id, 0), p.joined_at

        # nsmallest is sorted(...)[:size] (ties keep their order) without sorting the whole hall.
        rows = sorted(st.players.values(), key=order) if size is None else heapq.nsmallest(
            size, st.players.values(), key=order)
    board = [{"id": p.id, "name": p.name, "group": p.group, "score": st.player_score(p.id),
              "rank": table.get(p.id, 1)} for p in rows]
    if size is not None:
        st.board_cache[1][size] = board
    return board


def _timer(st: SessionState, stage: Stage, room: bool = True) -> dict[str, Any]:
    """The card's step and clock. ``room``: also the 全部作答 beat, which only the projector and the
    console show; left out of phones' views, the beat re-renders no phone (``server/rooms.py``)."""
    act = st.activity(next(iter(stage.cards)))
    impl = act.impl  # (a registry look-up each time: once per view, not three times)
    steps = impl.steps(act.config)
    return {"step": steps[stage.step].name if stage.status == OPEN else None,  # = step_name(st, stage)
            "step_names": [s.name for s in steps], "round": stage.round, "rounds": impl.rounds(act.config),
            "deadline": stage.deadline, "paused": stage.paused_left is not None,
            "time_left": stage.paused_left, "span": stage.span, "advance_at": stage.advance_at,
            **({"all_answered": stage.close_at is not None and stage.status == OPEN,
                "close_at": stage.close_at if stage.status == OPEN else None} if room else {})}


def _card_public(st: SessionState, stage: Stage, card: str, withhold: bool) -> dict[str, Any]:
    """One card as the room may see it; ``withhold`` drops how the room is answering."""
    act = st.activity(card)
    kstate = stage.cards[card]
    view = {"id": act.id, "kind": act.kind, "title": act.title, "module": act.module,
            "submitted": act.impl.submitted(kstate),
            **act.impl.public(act.config, kstate, stage.status == REVEALED)}
    if withhold:
        for key in act.impl.results_fields:
            view.pop(key, None)
    return view


def _groups_status(st: SessionState, stage: Stage, card: str) -> list[dict[str, Any]] | None:
    if stage.mode != CONSENSUS:
        return None
    out = []
    for gid, name in st.groups.items():
        if stage.deal is not None and stage.deal.get(gid) != card:
            continue
        proposal = stage.proposals.get((card, gid))
        out.append({"group": gid, "name": name, "proposed": proposal is not None,
                    "confirmed": bool(proposal and proposal.confirmed_by)})
    return out


def _activity_public(st: SessionState, console: bool = False) -> dict[str, Any] | None:
    """The current activity for the screen (or, with ``console``, the base of the console's).

    Results hidden until the reveal: while the activity is open, the screen gets no tally
    or histogram unless the trainer chose live results for it (``results``: "live").
    """
    stage = st.stage
    if stage is None:
        return None
    entry = st.deck.activities[stage.id]
    results = results_shown(st, stage.id)
    withhold = not console and stage.status == OPEN and results != "live"
    base = {"id": stage.id, "kind": entry.kind, "title": entry.title, "module": entry.module,
            "status": stage.status, "mode": stage.mode, "opened_at": stage.opened_at, **_timer(st, stage),
            "results": results}
    if stage.deal is None:
        card = next(iter(stage.cards))
        view = _card_public(st, stage, card, withhold)
        view.update(base)
        view["groups"] = _groups_status(st, stage, card)
        if entry.kind == "plan":  # the closing step shows the whole session's review beside the plans
            view["review"] = [r for r in review(st) if r["kind"] not in ("plan", "slide")]
        return view
    cards = []
    for gid, card in stage.deal.items():
        proposal = stage.proposals.get((card, gid))
        cards.append({"group": gid, "group_name": st.groups.get(gid, ""), **_card_public(st, stage, card, withhold),
                      "proposed": proposal is not None,
                      "confirmed": bool(proposal and proposal.confirmed_by)})
    return {**base, "submitted": sum(1 for c in cards if c["submitted"]), "cards": cards}


def _session(st: SessionState) -> dict[str, Any]:
    return {"code": st.code, "title": st.title, "phase": st.phase, "locked": st.locked,
            "show_leaderboard": st.show_leaderboard, "auto_advance": st.auto_advance,
            "results": st.results.get("", "hidden"), "auto_close": st.auto_close.get("", True),
            "join_group": st.join_group,
            "break": {"until": st.break_until, "message": st.break_message} if st.break_until else None,
            "deck": {"id": st.deck.id, "title": st.deck.title, "disclaimer": st.deck.disclaimer},
            "modules": [{"id": m, "title": t} for m, t in st.deck.modules]}


def podium(st: SessionState) -> dict[str, Any]:
    groups = sorted(groups_view(st), key=lambda g: -g["score"])
    return {"players": leaderboard(st, 3), "groups": groups[:3]}


def _award_row(st: SessionState, award: Any) -> dict[str, Any]:
    name = st.groups.get(award.target) or st.name_of(award.target)
    return {"seq": award.seq, "at": award.at, "target": award.target, "name": name,
            "points": award.points, "reason": award.reason}


def last_award(st: SessionState, targets: set[str] | None = None) -> dict[str, Any] | None:
    """The newest award (to one of ``targets``, if given): the screen and phones toast it once."""
    for award in reversed(st.awards):
        if targets is None or award.target in targets:
            return _award_row(st, award)
    return None


def screen_view(st: SessionState, connected: int, *, console: bool = False) -> dict[str, Any]:
    newest = list(islice(reversed(st.players.values()), LOBBY_NAMES))[::-1]  # without copying the hall
    show = st.show_leaderboard
    return {
        "session": _session(st),
        "counts": {"joined": len(st.players), "connected": connected},
        "agenda": _agenda(st),
        "activity": _activity_public(st, console),
        "groups": [{**g, "score": g["score"] if show else None} for g in groups_view(st)],
        "lobby": [{"name": p.name, "group": p.group} for p in newest],
        "leaderboard": leaderboard(st) if show else None,
        "podium": podium(st) if st.phase == ENDED and show else None,
        "last_award": last_award(st),
    }


def console_view(st: SessionState, online: set[str]) -> dict[str, Any]:
    view = screen_view(st, len(online), console=True)
    if view["leaderboard"] is None:  # the screen's (when shown) is the same table
        view["leaderboard"] = leaderboard(st)
    view["groups"] = groups_view(st)
    view["podium"] = podium(st) if st.phase == ENDED else None
    stage = st.stage
    activity = view["activity"]
    if stage is not None and activity is not None:
        if stage.deal is None:
            card = next(iter(stage.cards))
            act = st.activity(card)
            activity.update(act.impl.private(act.config, stage.cards[card]))
        else:
            for item in activity["cards"]:
                act = st.activity(item["id"])
                item.update(act.impl.private(act.config, stage.cards[item["id"]]))
        activity["auto_close"] = auto_close_on(st) or stage.close_at is not None
    view["players"] = [
        {"id": p.id, "name": p.name, "group": p.group, "score": st.player_score(p.id), "online": p.id in online}
        for p in st.players.values()
    ]
    if st.course is not None:  # a day of a course: the roster's people, their attendance, moved seats
        view["course"] = {"id": st.course[0], "day": st.course[1]}
        for row in view["players"]:
            p = st.players[row["id"]]
            row.update(person=p.person, seat_moves=st.seats.get(p.id, 0),
                       joined_at=p.joined_at, spans=[[a, None if b == -1 else b] for a, b in st.spans.get(p.id, [])])
    view["schedule"] = schedule(st)
    view["awards"] = [{"seq": a.seq, "at": a.at, "target": a.target, "points": a.points, "reason": a.reason}
                      for a in st.awards[-50:]]
    return view


def player_view(st: SessionState, pid: str) -> dict[str, Any]:
    p = st.players[pid]
    stage = st.stage
    activity: dict[str, Any] | None = None
    card = st.card_for(stage, p.group) if stage is not None else None
    if stage is not None and card is not None:
        act = st.activity(card)
        revealed = stage.status == REVEALED
        who = st.who(stage, pid)
        activity = {
            "id": act.id, "stage": stage.id, "kind": act.kind, "title": act.title,
            "status": stage.status, "mode": stage.mode, **_timer(st, stage, room=False),
            **act.impl.player(act.config, stage.cards[card], who, revealed),
            "points": stage.credits.get(pid, 0) if revealed else None,
        }
        if stage.mode == CONSENSUS and p.group:
            proposal = stage.proposals.get((card, p.group))
            activity["proposal"] = {
                "seq": proposal.seq, "by": proposal.by, "by_name": st.name_of(proposal.by),
                "answer": proposal.answer, "confirmed": proposal.confirmed_by is not None,
                "mine": proposal.by == pid} if proposal else None
    elif stage is not None:
        activity = {"id": stage.id, "stage": stage.id, "kind": "wait", "title": st.deck.activities[stage.id].title,
                    "status": stage.status, "deadline": stage.deadline}
    rank = ranks(st).get(pid) if (stage is not None and stage.status == REVEALED) or st.phase == ENDED else None
    group = {"id": p.group, "name": st.groups.get(p.group, ""), "score": st.group_score(p.group),
             "size": st.group_sizes.get(p.group, 0)} if p.group else None
    return {
        "session": {"code": st.code, "title": st.title, "phase": st.phase,
                    "break": {"until": st.break_until, "message": st.break_message} if st.break_until else None,
                    "show_scores": st.show_leaderboard},
        "me": {"id": p.id, "name": p.name, "group": p.group, "score": st.player_score(pid),
               "rank": rank if st.show_leaderboard else None},
        "group": group,
        "activity": activity,
        "last_award": last_award(st, {pid, p.group} if p.group else {pid}),
    }


# What tells the answer (or how close the room came to it): kept out of the review of a card
# that was closed without a reveal. Order steps come in the phones' shuffle, never the key's order.
HIDDEN_UNTIL_REVEAL = ("recommended", "rationale", "agreement", "class_choice_count", "average_points")


def review(st: SessionState) -> list[dict[str, Any]]:
    """Per played activity: how the room did against the recommended handling.

    An activity that was never revealed keeps its answer key to itself here too:
    this list is shown on the projector.
    """
    out = []
    for aid, stage, card, kstate, act in st.played_cards():
        out.append({"stage": aid, "id": card, "kind": act.kind, "title": act.title, "module": act.module,
                    "status": stage.status, "mode": stage.mode,
                    "groups": [g for g, c in (stage.deal or {}).items() if c == card],
                    "rationale": act.impl.outline(act.config).get("rationale", ""),
                    "by_group": _by_group(st, stage, card),
                    **act.impl.review(act.config, kstate)})
        if stage.status != REVEALED:
            for key in HIDDEN_UNTIL_REVEAL:
                out[-1].pop(key, None)
    return out


def _by_group(st: SessionState, stage: Stage, card: str) -> dict[str, Any]:
    """Each group's answer: its own in a group mode, else what most of its members chose."""
    act = st.activity(card)
    answers: dict[str, list[dict[str, Any]]] = {}
    for key, answer in act.impl.answers(stage.cards[card]).items():
        group = key if key in st.groups else (st.players[key].group if key in st.players else None)
        if group:
            answers.setdefault(group, []).append(answer)
    return {gid: act.impl.combine(items) for gid, items in answers.items()}
