"""The session as a timeline: what happened when, and the scores as they stood.

Built by replaying the log into a fresh state, so it is exact for live and
ended sessions alike. ``timeline`` feeds the review screen's replay and the
report's "scores over time" chart; ``state_at`` rebuilds the room as it was
at any event, which is what scrubbing the replay shows.
"""

from __future__ import annotations

from typing import Any

from sessions.events import Event
from sessions.live import LiveSession
from sessions.state import SessionState, apply, new_state

SCORING = ("activity_revealed", "points_awarded")


def _fresh(live: LiveSession) -> SessionState:
    rec = live.record
    return new_state(rec.code, rec.title, live.state.deck, rec.created_at)


def state_at(live: LiveSession, events: list[Event], seq: int) -> SessionState:
    st = _fresh(live)
    for ev in events:
        if ev.seq > seq:
            break
        apply(st, ev)
    return st


def _label(st: SessionState, ev: Event) -> dict[str, Any]:
    d = ev.data
    entry: dict[str, Any] = {"seq": ev.seq, "at": ev.at, "type": ev.type}
    if ev.type == "player_joined":
        entry["who"] = d["name"]
    elif ev.type in ("answer_submitted", "answer_confirmed"):
        entry["who"] = st.name_of(ev.actor) or ev.actor
        entry["activity"] = d.get("card", d.get("activity"))
    elif "activity" in d:
        act = st.deck.activities.get(d["activity"])
        entry["activity"] = d["activity"]
        entry["title"] = act.title if act else d["activity"]
    if ev.type == "points_awarded":
        target = d["target"]
        entry.update(points=d["points"], reason=d["reason"],
                     who=st.players[target].name if target in st.players else st.groups.get(target, target))
    return entry


def timeline(live: LiveSession, events: list[Event]) -> dict[str, Any]:
    """Every event as a short labelled entry, and a score snapshot after each scoring event."""
    st = _fresh(live)
    entries: list[dict[str, Any]] = []
    scores: list[dict[str, Any]] = []
    for ev in events:
        apply(st, ev)
        entries.append(_label(st, ev))
        if ev.type in SCORING:
            scores.append({"seq": ev.seq, "at": ev.at, "groups": dict(st.group_scores()),
                           "players": dict(st.points)})
    return {"events": entries, "scores": scores}
