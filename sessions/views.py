"""What each audience sees: pure functions from state to a JSON-able view.

Views, not events, go to clients: each carries the whole current picture for
its audience, so a client that reconnects or reads slowly just takes the
newest one. The screen view is what a projector may show to the room: it
never holds an answer key before the reveal. The console adds the answer key
and the roster; a player's view holds only that player's own answers.
"""

from __future__ import annotations

from typing import Any

from sessions.phases import REVEALED
from sessions.state import SessionState

LOBBY_NAMES = 80  # the screen lists the newest names; a hall of thousands shows a count
LEADERBOARD_SIZE = 10


def _agenda(st: SessionState) -> list[dict[str, Any]]:
    out = []
    for aid in st.deck.agenda:
        act = st.deck.activities[aid]
        run = st.runs.get(aid)
        out.append({**act.summary(), "module": act.module, "status": run.status if run else None})
    return out


def _groups(st: SessionState) -> list[dict[str, Any]]:
    return [{"id": gid, "name": name, "size": st.group_sizes.get(gid, 0),
             "score": st.group_score(gid)} for gid, name in st.groups.items()]


def leaderboard(st: SessionState, size: int | None = LEADERBOARD_SIZE) -> list[dict[str, Any]]:
    ranked = sorted(st.players.values(), key=lambda p: (-st.player_score(p.id), p.joined_at))
    rows = ranked if size is None else ranked[:size]
    return [{"id": p.id, "name": p.name, "group": p.group, "score": st.player_score(p.id)}
            for p in rows]


def ranks(st: SessionState) -> dict[str, int]:
    """Competition ranks (ties share a rank), computed once per event, not once per phone."""
    if st.rank_cache[0] != st.seq:
        table: dict[str, int] = {}
        ranked = sorted(st.players, key=lambda q: -st.player_score(q))
        previous, rank = None, 0
        for i, q in enumerate(ranked, 1):
            score = st.player_score(q)
            if score != previous:
                rank, previous = i, score
            table[q] = rank
        st.rank_cache = (st.seq, table)
    return st.rank_cache[1]


def _activity_public(st: SessionState) -> dict[str, Any] | None:
    run = st.run
    if run is None:
        return None
    act = st.deck.activities[run.activity]
    revealed = run.status == REVEALED
    return {
        "id": act.id,
        "kind": act.kind,
        "title": act.title,
        "module": act.module,
        "status": run.status,
        "deadline": run.deadline,
        "opened_at": run.opened_at,
        "submitted": act.impl.submitted(run.kind_state),
        **act.impl.public(act.config, run.kind_state, revealed),
    }


def _session(st: SessionState) -> dict[str, Any]:
    return {"code": st.code, "title": st.title, "phase": st.phase, "locked": st.locked,
            "deck": {"id": st.deck.id, "title": st.deck.title, "disclaimer": st.deck.disclaimer},
            "modules": [{"id": m, "title": t} for m, t in st.deck.modules]}


def screen_view(st: SessionState, connected: int) -> dict[str, Any]:
    newest = list(st.players.values())[-LOBBY_NAMES:]
    return {
        "session": _session(st),
        "counts": {"joined": len(st.players), "connected": connected},
        "agenda": _agenda(st),
        "activity": _activity_public(st),
        "groups": _groups(st),
        "lobby": [{"name": p.name, "group": p.group} for p in newest],
        "leaderboard": leaderboard(st),
    }


def console_view(st: SessionState, online: set[str]) -> dict[str, Any]:
    view = screen_view(st, len(online))
    activity = view["activity"]
    if activity is not None:
        act = st.deck.activities[activity["id"]]
        activity.update(act.impl.private(act.config))
    view["players"] = [
        {"id": p.id, "name": p.name, "group": p.group, "score": st.player_score(p.id),
         "online": p.id in online}
        for p in st.players.values()
    ]
    view["awards"] = [{"seq": a.seq, "at": a.at, "target": a.target, "points": a.points,
                       "reason": a.reason} for a in st.awards[-50:]]
    return view


def player_view(st: SessionState, pid: str) -> dict[str, Any]:
    p = st.players[pid]
    run = st.run
    activity: dict[str, Any] | None = None
    if run is not None:
        act = st.deck.activities[run.activity]
        revealed = run.status == REVEALED
        activity = {
            "id": act.id,
            "kind": act.kind,
            "title": act.title,
            "status": run.status,
            "deadline": run.deadline,
            **act.impl.player(act.config, run.kind_state, pid, revealed,
                              run.scores.get(pid) if revealed else None),
        }
    rank = None
    if (run is not None and run.status == REVEALED) or st.phase == "ended":
        rank = ranks(st).get(pid)
    group = {"id": p.group, "name": st.groups.get(p.group, ""), "score": st.group_score(p.group)} \
        if p.group else None
    return {
        "session": {"code": st.code, "title": st.title, "phase": st.phase},
        "me": {"id": p.id, "name": p.name, "group": p.group, "score": st.player_score(pid),
               "rank": rank},
        "group": group,
        "activity": activity,
    }
