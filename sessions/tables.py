"""The session record as tables: what CSV and XLSX exports hold, one table per concern.

Every table is built from ``export.record`` (the fold of the log), so the JSON,
CSV, XLSX and HTML exports always agree. ``answer_text`` turns a stored answer
into words a training department can read ("B · 免费提供详单…").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sessions.live import LiveSession


@dataclass(frozen=True)
class Table:
    name: str
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


def tables(live: LiveSession, rec: dict[str, Any]) -> list[Table]:
    st = live.state
    names = {p["id"]: p["name"] for p in rec["participants"]}
    group_names = {g["id"]: g["name"] for g in rec["groups"]}
    ranks = {row["id"]: row["rank"] for row in rec["scores"]["leaderboard"]}
    played = [a for a in rec["activities"] if a["status"] != "not_played"]

    participants = Table("participants", ["id", "name", "group", "group_name", "joined_at", "score", "rank"], [
        [p["id"], p["name"], p["group"], group_names.get(p["group"] or "", ""), p["joined_at"],
         rec["scores"]["players"].get(p["id"], 0), ranks.get(p["id"])] for p in rec["participants"]])
    groups = Table("groups", ["id", "name", "size", "score", "group_points"], [
        [g["id"], g["name"], g["size"], rec["scores"]["groups"].get(g["id"], 0),
         rec["scores"]["group_points"].get(g["id"], 0)] for g in rec["groups"]])
    activities = Table("activities", ["id", "kind", "title", "module", "mode", "status", "opened_at", "closed_at",
                                      "recommended", "rationale"], [
        [a["id"], a["kind"], a["title"], a["module"], a["mode"], a["status"], a["opened_at"], a["closed_at"],
         _recommended(live, a), a.get("rationale", "")] for a in rec["activities"]])
    submissions = Table("submissions", ["seq", "at", "player_id", "name", "group", "activity", "answer",
                                        "answer_json", "as", "mode", "client_id", "counted"], [
        [s["seq"], s["at"], s["player_id"], names.get(s["player_id"], ""),
         st.players[s["player_id"]].group if s["player_id"] in st.players else None, s["activity"],
         answer_text(live, s["activity"], s["answer"], s.get("confirmed")), _json(s["answer"]), s["as"], s["mode"],
         s["client_id"],
         s["counted"]] for s in rec["submissions"]])
    award_totals: dict[str, int] = {}
    for a in rec["awards"]:
        award_totals[a["target"]] = award_totals.get(a["target"], 0) + a["points"]
    score_rows = []
    for p in rec["participants"]:
        per = [rec["scores"]["activities"].get(a["id"], {}).get(p["id"], 0) for a in played]
        score_rows.append([p["id"], p["name"], group_names.get(p["group"] or "", ""), *per,
                           award_totals.get(p["id"], 0), rec["scores"]["players"].get(p["id"], 0)])
    scores = Table("scores", ["player_id", "name", "group", *[a["id"] for a in played], "awards", "total"],
                   score_rows)
    criteria = sorted({c for r in rec["rubric_scores"] for c in r["means"]})
    rubric = Table("rubric_scores", ["activity", "round", "group", "agent", "agent_name", *criteria, "total", "max",
                                     "scorers", "points"], [
        [r["activity"], r["round"] + 1, group_names.get(r["group"], r["group"]), r["agent"], r["agent_name"],
         *[r["means"].get(c) for c in criteria], r["total"], r["max"], r["scorers"], r["points"]]
        for r in rec["rubric_scores"]])
    awards = Table("awards", ["seq", "at", "target", "target_name", "points", "reason"], [
        [a["seq"], a["at"], a["target"], names.get(a["target"]) or group_names.get(a["target"], ""), a["points"],
         a["reason"]] for a in rec["awards"]])
    modules = dict((m, t) for m, t in st.deck.modules)
    plans = Table("action_plans", ["player_id", "name", "group", "activity", "what", "by", "module"], [
        [p["player_id"], p["name"], group_names.get(st.players[p["player_id"]].group or "", "")
         if p["player_id"] in st.players else "", p["activity"], p["what"], p["by"],
         modules.get(p["module"] or "", p["module"] or "")] for p in rec["action_plans"]])
    return [participants, groups, activities, submissions, scores, rubric, awards, plans]


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
