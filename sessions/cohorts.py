"""Cohorts: one deck played by several classes, compared card by card (what a department reports upward).

A *class* is a list of sessions: the sessions of one course (when sessions carry a course),
else one session, or whatever grouping the trainer picks. ``figures(live)`` reduces one
session to plain counts (no names, no answers): per scored card the number who answered,
how many of them chose the recommended handling (the kind's own ``agreement``, as in
``sessions.headline``: the best option of a vote, the exact order, an estimate within
tolerance) and the points earned; per role-play card each round's mean per rubric
criterion; the follow-up marks of the plans. ``compare(classes)`` pools those counts per
class (a class of two sessions is their trainees together, not the mean of two shares),
finds the weakest cards over every class, and averages the rubric by criterion. It is pure
over plain data, so it does not care where the grouping came from. ``workbook`` writes the
comparison as an XLSX file in the sessions' language with the export's own writer.
"""

from __future__ import annotations

from typing import Any

from games.rounding import half_up
from sessions.followstore import FollowUpEntry
from sessions.followup import STATUSES, counts, plan_items
from sessions.headline import headline
from sessions.i18n import KINDS, language, words
from sessions.live import LiveSession
from sessions.workbook import SHARE, Sheet, _write

WEAKEST = 3  # the weakest cards listed


def figures(live: LiveSession) -> dict[str, Any]:
    """One session as plain counts: what ``compare`` pools."""
    st = live.state
    cards = [{"id": c["id"], "title": c["title"], "kind": c["kind"], "answered": c["answered"] or 0,
              "agreed": round(c["agreement"] * (c["answered"] or 0)), "earned": c["earned"],
              "points_sum": c["points_sum"]}
             for c in headline(live)["cards"] if c["agreement"] is not None]
    rubric: list[dict[str, Any]] = []
    for _aid, _stage, card, kstate, act in st.played_cards():
        if act.kind != "roleplay":
            continue
        for crit in act.config.rubric.criteria:
            means = [r["means"].get(crit.id) for r in act.impl.results(act.config, kstate)]
            rubric.append({"activity": card, "title": act.title, "criterion": crit.id,
                           "criterion_title": crit.title, "means": [m for m in means if m is not None]})
    plans = {pid: len(items) for pid, items in plan_items(st).items()}
    return {"code": st.code, "title": st.title, "created_at": st.created_at, "started_at": st.started_at,
            "language": language(st), "trainees": len(st.players), "cards": cards, "rubric": rubric,
            "plans": plans, "follow_up": follow_up(plans, live.store.followup_entries(st.code))}


def follow_up(plans: dict[str, int], entries: list[FollowUpEntry]) -> dict[str, int]:
    """A session's follow-up marks as counts, from each trainee's number of plan items: what an
    ended session's cached figures refresh (the marks come weeks later; the rest never changes)."""
    marks = {(e.player_id, e.item): e.status for e in entries}
    total = counts([marks.get((pid, i)) for pid, n in plans.items() for i in range(n)])
    return {k: total[k] for k in ("items", *STATUSES, "unmarked")}


def _share(agreed: int, answered: int) -> float | None:
    return half_up(agreed / answered, 3) if answered else None


def _cell(parts: list[dict[str, Any]]) -> dict[str, Any] | None:
    """A card's pooled figures over some sessions' rows of it (None when none of them played it)."""
    if not parts:
        return None
    answered = sum(p["answered"] for p in parts)
    agreed = sum(p["agreed"] for p in parts)
    earned = sum(p["earned"] for p in parts)
    points = sum(p["points_sum"] for p in parts)
    return {"answered": answered, "agreed": agreed, "share": _share(agreed, answered),
            "mean_points": half_up(points / earned, 1) if earned else None}


def compare(classes: list[tuple[str, list[dict[str, Any]]]]) -> dict[str, Any]:
    """The comparison of classes, each ``(label, [figures of its sessions])``.

    ``cards``: every scored card any class played, in first-played order, with each class's
    pooled cell (or None) and the overall cell; ``weakest``: the ``WEAKEST`` cards with the
    lowest overall share choosing the recommended handling (then the lowest mean points);
    ``rubric``: per role-play criterion, each class's mean of its rounds' means;
    ``classes``: each class's sessions, trainees and follow-up marks.
    """
    order: dict[str, dict[str, Any]] = {}
    for _label, sessions in classes:
        for fig in sessions:
            for c in fig["cards"]:
                order.setdefault(c["id"], {"id": c["id"], "title": c["title"], "kind": c["kind"]})
    cards = []
    for cid, head in order.items():
        per = [[c for fig in sessions for c in fig["cards"] if c["id"] == cid] for _label, sessions in classes]
        cards.append({**head, "by_class": [_cell(p) for p in per], "overall": _cell([c for p in per for c in p])})
    rated = [c for c in cards if c["overall"] and c["overall"]["share"] is not None]
    weakest = sorted(rated, key=lambda c: (c["overall"]["share"], c["overall"]["mean_points"] or 0, c["title"]))

    crits: dict[tuple[str, str], dict[str, Any]] = {}
    for _label, sessions in classes:
        for fig in sessions:
            for r in fig["rubric"]:
                crits.setdefault((r["activity"], r["criterion"]), {k: r[k] for k in (
                    "activity", "title", "criterion", "criterion_title")})
    rubric = []
    for key, head in crits.items():
        per = [[m for fig in sessions for r in fig["rubric"] if (r["activity"], r["criterion"]) == key
                for m in r["means"]] for _label, sessions in classes]
        every = [m for p in per for m in p]
        rubric.append({**head, "by_class": [half_up(sum(p) / len(p), 2) if p else None for p in per],
                       "overall": half_up(sum(every) / len(every), 2) if every else None,
                       "rounds": [len(p) for p in per]})

    out_classes = []
    for label, sessions in classes:
        follow = {k: sum(f["follow_up"][k] for f in sessions) for k in ("items", *STATUSES, "unmarked")}
        follow["completion"] = _share(follow["done"], follow["items"])
        out_classes.append({"label": label, "sessions": [f["code"] for f in sessions],
                            "trainees": sum(f["trainees"] for f in sessions), "follow_up": follow})
    return {"classes": out_classes, "cards": cards, "weakest": weakest[:WEAKEST], "rubric": rubric}


def workbook(comparison: dict[str, Any], deck_title: str, lang: str) -> bytes:
    """The comparison as XLSX: cards × classes, the weakest cards, rubric × classes, follow-up."""
    w, kinds = words(lang), KINDS.get(lang, KINDS["en"])
    labels = [c["label"] for c in comparison["classes"]]

    cards = Sheet(w["cohort_cards"])
    cards.print_rows = "1:2"
    cards.freeze = "C3"
    cards.add([deck_title], "title")
    cards.add([w["activity"], w["kind"], *[f"{label} · {w['share_recommended']}" for label in labels],
               *[f"{label} · {w['mean_points']}" for label in labels],
               f"{w['overall']} · {w['share_recommended']}", f"{w['overall']} · {w['answered']}"], "head")
    n = len(labels)
    for c in comparison["cards"]:
        row = cards.add([c["title"], kinds.get(c["kind"], c["kind"]),
                         *[cell["share"] if cell else None for cell in c["by_class"]],
                         *[cell["mean_points"] if cell else None for cell in c["by_class"]],
                         c["overall"]["share"], c["overall"]["answered"]])
        for col in [*range(2, 2 + n), 2 + 2 * n]:
            cards.formats[(row, col)] = SHARE

    weak = Sheet(w["cohort_weakest"])
    weak.add([w["activity"], w["kind"], w["share_recommended"], w["mean_points"], w["answered"]], "head")
    for c in comparison["weakest"]:
        row = weak.add([c["title"], kinds.get(c["kind"], c["kind"]), c["overall"]["share"],
                        c["overall"]["mean_points"], c["overall"]["answered"]])
        weak.formats[(row, 2)] = SHARE

    rubric = Sheet(w["cohort_rubric"])
    rubric.add([w["activity"], w["criterion"], *labels, w["overall"]], "head")
    for r in comparison["rubric"]:
        rubric.add([r["title"], r["criterion_title"], *r["by_class"], r["overall"]])

    follow = Sheet(w["cohort_followup"])
    follow.add([w["class"], w["sessions"], w["trainee_count"], w["items"], w["done"], w["doing"], w["dropped"],
                w["unmarked"], w["completion"]], "head")
    for c in comparison["classes"]:
        f = c["follow_up"]
        row = follow.add([c["label"], ", ".join(c["sessions"]), c["trainees"], f["items"], f["done"], f["doing"],
                          f["dropped"], f["unmarked"], f["completion"]])
        follow.formats[(row, 8)] = SHARE
    return _write([cards, weak, rubric, follow])
