"""The figures a training manager asks for first, shared by the workbook's overview and page 1 of the report.

Per played card: how many answered, the share that chose the recommended handling
(the kind's own ``agreement``: the best option of a vote, the exact order, an estimate
within tolerance), and the average points of those who earned any; the class average
(mean score of the trainees in the room); and the three weakest cards (lowest share
choosing the recommended handling). Computed from the trainer's side: an activity
that was never revealed still counts here (the record is the trainer's).
"""

from __future__ import annotations

from typing import Any

from games.rounding import half_up
from sessions.live import LiveSession


def headline(live: LiveSession) -> dict[str, Any]:
    st = live.state
    cards: list[dict[str, Any]] = []
    for aid, stage, card, kstate, act in st.played_cards():
        review = act.impl.review(act.config, kstate)
        players = [p for p in st.players if stage.deal is None
                   or stage.deal.get(st.players[p].group or "") == card]
        earned = [stage.credits[p] for p in players if p in stage.credits]
        cards.append({
            "stage": aid, "id": card, "title": act.title, "kind": act.kind, "mode": stage.mode,
            "status": stage.status, "answered": review.get("answered"),
            "agreement": review.get("agreement"),
            "average_points": half_up(sum(earned) / len(earned), 1) if earned else None,
            "earned": len(earned), "points_sum": sum(earned),  # (what pools classes: sessions.cohorts)
        })
    scores = [st.player_score(p) for p in st.players]
    rated = [c for c in cards if c["agreement"] is not None]
    weakest = sorted(rated, key=lambda c: (c["agreement"], c["title"]))[:3]
    duration = (st.ended_at - st.started_at) if st.started_at and st.ended_at else None
    return {
        "cards": cards,
        "class_average": half_up(sum(scores) / len(scores), 1) if scores else None,
        "weakest": weakest,
        "trainees": len(st.players),
        "groups": [{"id": g, "name": n, "size": st.group_sizes.get(g, 0)} for g, n in st.groups.items()
                   if st.group_sizes.get(g, 0)],
        "duration_ms": duration,
    }
