"""The session record as tables: what CSV and XLSX exports hold, one table per concern.

Every table is built from ``export.record`` (the fold of the log), so the JSON,
CSV, XLSX and HTML exports always agree. ``answer_text`` turns a stored answer
into words a training department can read ("B · 免费提供详单…").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from sessions.i18n import FOLLOW_UP_STATUS, KINDS, MODES, STATUS, language, local, words, zone
from sessions.live import LiveSession

# The CSV tables, by id (``format=csv&table=…``, ``caseroom export --format csv --table …``).
TABLE_NAMES = ("trainees", "groups", "action_plans", "awards", "activities", "submissions", "rubric_scores",
               "events", "follow_up", "attendance")  # (attendance: only a course's sessions record it)


@dataclass(frozen=True)
class Table:
    name: str  # the id: a CSV file's name and ``table=`` of a CSV download
    title: str  # the sheet's name, in the session's language
    header: list[str]
    rows: list[list[Any]]


def answer_text(live: LiveSession, card: str, answer: dict[str, Any],
                confirmed: dict[str, Any] | None = None) -> str:
    """A readable rendering of one stored answer of any kind (a confirmation shows what it confirmed)."""
    deck = live.state.deck
    act = deck.activities.get(card)
    cfg = act.config if act else None
    if "confirm" in answer:
        return "✓ " + answer_text(live, card, confirmed) if confirmed else f"✓ #{answer['confirm']}"
    if "choice" in answer and cfg is not None:
        opt = cfg.option(answer["choice"])
        return f"{answer['choice'].upper()} · {opt.text}" if opt else str(answer["choice"])
    if "order" in answer and cfg is not None:
        text = dict(cfg.steps)
        return " → ".join(text.get(s, s) for s in answer["order"])
    if "value" in answer:
        unit = getattr(cfg, "unit", "")
        return f"{answer['value']:g} {unit}".strip()
    if "post" in answer:
        return str(answer["post"])
    if "upvote" in answer:
        return f"点赞 upvote {answer['upvote']}"
    if "scores" in answer:
        titles = {c.id: c.title for c in cfg.rubric.criteria} if cfg is not None and hasattr(cfg, "rubric") else {}
        return ", ".join(f"{titles.get(k, k)} {v}" for k, v in answer["scores"].items())
    if "items" in answer:
        return " / ".join(i["what"] for i in answer["items"])
    return str(answer)


def tables(live: LiveSession, rec: dict[str, Any], tz: tzinfo | None = None) -> list[Table]:
    """The record's data tables, headed in the session's language, times as local datetimes.

    A points cell is blank (``None``), not 0, where the trainee earned nothing from an
    activity because they did not take part in it: not played, not revealed, joined after
    it, never answered, or a kind that scores nobody (discussion, plan).
    """
    st = live.state
    tz = tz or zone()
    w = words(language(st))
    kinds, modes, status = KINDS[language(st)], MODES[language(st)], STATUS[language(st)]
    names = {p["id"]: p["name"] for p in rec["participants"]}
    group_names = {g["id"]: g["name"] for g in rec["groups"]}
    ranks = {row["id"]: row["rank"] for row in rec["scores"]["leaderboard"]}
    award_totals: dict[str, int] = {}
    for a in rec["awards"]:
        award_totals[a["target"]] = award_totals.get(a["target"], 0) + a["points"]
    joined = {p.id: p.joined_at for p in st.players.values()} | {p.id: p.joined_at for p, _ in st.removed.values()}
    credits = rec["scores"]["activities"]

    trainees = Table("trainees", w["trainees"], [
        w["id"], w["name"], w["group"], w["joined"],
        *[a["title"] for a in rec["activities"]], w["award_points"], w["score"], w["rank"]], [
        [p["id"], p["name"], group_names.get(p["group"] or "", ""), local(joined.get(p["id"]), tz),
         *[credits.get(a["id"], {}).get(p["id"]) for a in rec["activities"]],
         award_totals.get(p["id"]), rec["scores"]["players"].get(p["id"], 0), ranks.get(p["id"])]
        for p in rec["participants"]])
    groups = Table("groups", w["groups"], [w["id"], w["name"], w["size"], w["score"], w["group_points"]], [
        [g["id"], g["name"], g["size"], rec["scores"]["groups"].get(g["id"], 0),
         rec["scores"]["group_points"].get(g["id"], 0)] for g in rec["groups"]])
    activities = Table("activities", w["activities"], [
        w["id"], w["kind"], w["title"], w["module"], w["mode"], w["status"], w["opened"], w["closed"],
        w["recommended"], w["rationale"]], [
        [a["id"], kinds.get(a["kind"], a["kind"]), a["title"], a["module"], modes.get(a["mode"], a["mode"]),
         status.get(a["status"], a["status"]), local(st.stages[a["id"]].opened_at, tz) if a["id"] in st.stages
         else None, local(st.stages[a["id"]].closed_at, tz) if a["id"] in st.stages else None,
         _recommended(live, a), a.get("rationale", "")] for a in rec["activities"]])

    titles = _titles(rec)
    submissions = Table("submissions", w["submissions"], [
        w["seq"], w["time"], w["id"], w["name"], w["group"], w["activity"], w["answer"], w["answer_json"],
        w["as"], w["mode"], w["client_id"], w["counted"]], [
        [s["seq"], local_iso(s["at"], tz), s["player_id"], names.get(s["player_id"], ""),
         group_names.get(st.players[s["player_id"]].group or "", "") if s["player_id"] in st.players else "",
         titles.get(s["activity"], s["activity"]),
         answer_text(live, s["activity"], s["answer"], s.get("confirmed")), _json(s["answer"]),
         names.get(s["as"]) or group_names.get(s["as"], s["as"]), modes.get(s["mode"], s["mode"]),
         s["client_id"], s["counted"]] for s in rec["submissions"]])
    criteria_titles: list[str] = []  # in rubric order, not alphabetical ids
    found: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for r in rec["rubric_scores"]:
        act = st.deck.activities.get(r["activity"])
        crits = list(act.config.rubric.criteria) if act is not None and hasattr(act.config, "rubric") else []
        criteria_titles += [c.title for c in crits if c.title not in criteria_titles]
        found.append((r, {c.title: r["means"].get(c.id) for c in crits}))
    rubric = Table("rubric_scores", w["rubric"], [
        w["activity"], w["round"], w["group"], w["agent"], *criteria_titles, w["total"], w["max"], w["scorers"],
        w["points"]], [
        [titles.get(r["activity"], r["activity"]), r["round"] + 1, group_names.get(r["group"], r["group"]),
         r["agent_name"], *[by_title.get(t) for t in criteria_titles], r["total"], r["max"], r["scorers"],
         r["points"]] for r, by_title in found])
    awards = Table("awards", w["awards"], [w["seq"], w["time"], w["target"], w["points"], w["reason"]], [
        [a["seq"], local(_at(st, a["seq"]), tz), names.get(a["target"]) or group_names.get(a["target"], ""),
         a["points"], a["reason"]] for a in rec["awards"]])
    modules = dict((m, t) for m, t in st.deck.modules)
    plans = Table("action_plans", w["plans"], [w["name"], w["group"], w["what"], w["by"], w["module"]], [
        [p["name"], group_names.get(st.players[p["player_id"]].group or "", "")
         if p["player_id"] in st.players else "", p["what"], p["by"],
         modules.get(p["module"] or "", p["module"] or "")] for p in rec["action_plans"]])
    # From the record's events (not the store's), so whatever the record leaves out stays out here too.
    event_rows = [[e["seq"], local_iso(e["at"], tz), e["type"], names.get(e["actor"]) or e["actor"],
                   _json(e["data"])] for e in rec["events"]]
    events = Table("events", w["events"], [w["seq"], w["time"], w["type"], w["actor"], w["data"]], event_rows)
    fstatus = FOLLOW_UP_STATUS[language(st)]
    follow = Table("follow_up", w["follow_up"], [w["name"], w["group"], w["what"], w["by"], w["status"],
                                                 w["comment"], w["time"]], [
        [r["name"], group_names.get(st.players[r["player_id"]].group or "", "")
         if r["player_id"] in st.players else "", r["what"], r["by"], fstatus.get(r["status"] or "", ""),
         r["comment"], local_iso(r["at"], tz)] for r in rec["follow_up"]["items"]])
    out = [trainees, groups, plans, awards, activities, submissions, rubric, events, follow]
    if rec.get("course") is not None:
        out.append(Table("attendance", w["attendance"], [w["id"], w["name"], w["joined"], w["left"],
                                                         w["present_min"]], [
            [a["player_id"], a["name"], local_iso(a["joined_at"], tz), local_iso(a["left_at"], tz),
             None if a["present_s"] is None else round(a["present_s"] / 60, 1)] for a in rec["attendance"]]))
    return out


def local_iso(at: str | None, tz: tzinfo) -> datetime | None:
    """A record's ISO time (UTC, ``…Z``) as local wall time, or None."""
    if not at:
        return None
    return datetime.fromisoformat(at.replace("Z", "+00:00")).astimezone(tz).replace(tzinfo=None)


def _at(st: Any, seq: int) -> int | None:
    return next((a.at for a in st.awards if a.seq == seq), None)


def _titles(rec: dict[str, Any]) -> dict[str, str]:
    titles = {a["id"]: a["title"] for a in rec["activities"]}
    for a in rec["activities"]:
        for c in a.get("cards", []):
            titles[c["id"]] = c["title"]
    return titles


def _recommended(live: LiveSession, a: dict[str, Any]) -> str:
    rec = a.get("recommended")
    if rec is None:
        return ""
    if a["kind"] == "vote":
        return answer_text(live, a["id"], {"choice": rec})
    if a["kind"] == "order":
        return answer_text(live, a["id"], {"order": rec})
    if a["kind"] == "estimate":
        return answer_text(live, a["id"], {"value": rec})
    return str(rec)


def _json(value: Any) -> str:
    import orjson

    return orjson.dumps(value).decode()
