"""The session record as data: one fold of the log for every export format.

``record(live)`` builds the JSON export of the contract. It reads the events,
not the live views, so an ended session exports exactly like a live one and
every acknowledged submission appears, with ``counted`` marking the one that
was scored (the last one a player gave before the activity closed).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sessions.live import LiveSession
from sessions.views import leaderboard


def iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def record(live: LiveSession) -> dict[str, Any]:
    st = live.state
    events = live.store.load_events(live.code)
    submissions: list[dict[str, Any]] = []
    last: dict[tuple[str, str], int] = {}
    for ev in events:
        if ev.type == "answer_submitted":
            last[(ev.actor, ev.data["activity"])] = len(submissions)
            submissions.append({"seq": ev.seq, "player_id": ev.actor, "activity": ev.data["activity"],
                                "answer": ev.data["answer"], "client_id": ev.client_id,
                                "at": iso(ev.at), "counted": False})
    for index in last.values():
        submissions[index]["counted"] = True

    activities = []
    for aid in st.deck.agenda:
        act = st.deck.activities[aid]
        run = st.runs.get(aid)
        activities.append({
            **act.summary(), "module": act.module,
            "status": run.status if run else "not_played",
            "opened_at": iso(run.opened_at) if run else None,
            "closed_at": iso(run.closed_at) if run else None,
            **act.impl.outline(act.config),
        })

    return {
        "format": "caseroom-record/1",
        "session": {
            "code": st.code, "title": st.title, "deck": st.deck.id, "deck_title": st.deck.title,
            "deck_version": st.deck.version, "created_at": iso(st.created_at),
            "started_at": iso(st.started_at), "ended_at": iso(st.ended_at), "phase": st.phase,
            "disclaimer": st.deck.disclaimer,
        },
        "groups": [{"id": gid, "name": name} for gid, name in st.groups.items()],
        "participants": [{"id": p.id, "name": p.name, "group": p.group, "joined_at": iso(p.joined_at)}
                         for p in st.players.values()],
        "activities": activities,
        "submissions": submissions,
        "scores": {
            "players": {pid: st.player_score(pid) for pid in st.players},
            "groups": {gid: st.group_score(gid) for gid in st.groups},
            "activities": {aid: dict(run.scores) for aid, run in st.runs.items()},
            "leaderboard": leaderboard(st, None),
        },
        "awards": [{"seq": a.seq, "at": iso(a.at), "target": a.target, "points": a.points,
                    "reason": a.reason} for a in st.awards],
        "action_plans": [],
        "events": [{"seq": e.seq, "at": iso(e.at), "type": e.type, "actor": e.actor,
                    "client_id": e.client_id, "data": e.data} for e in events],
    }
