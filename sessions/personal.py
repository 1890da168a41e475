"""One trainee's own record (``POST /api/sessions/{code}/me``): every line of their score.

The record must add up: the points of its lines plus the trainer's awards to the
trainee are the trainee's score. So the lines are not built from what the
trainee sent (that leaves out everything earned through the group: a consensus
they neither proposed nor confirmed, a deal card, a majority vote, a role-play
round played as the agent) but from the score ledger itself: one line per
played agenda entry, carrying that stage's credit to the trainee, split into
its sources (own answer, the group's answer, speed bonus, role-play rounds as
agent). The answer shown is the one that earned the points: the trainee's own,
or the group's in a group mode (with the trainee's own vote beside it in a
majority). Hidden discussion posts are left out. Nobody else's answers or
points appear.
"""

from __future__ import annotations

from typing import Any

from games.base import CONSENSUS, GROUP, INDIVIDUAL, MAJORITY
from sessions.live import LiveSession
from sessions.phases import REVEALED
from sessions.state import Player, SessionState, Stage
from sessions.tables import answer_text

# Where points come from; the phone names each one (client/i18n: record.source.*).
OWN, GROUP_ANSWER, MAJORITY_ANSWER, CONSENSUS_ANSWER, SPEED, AGENT = (
    "answer", "group", "majority", "consensus", "speed_bonus", "roleplay_agent")


def personal(live: LiveSession, pid: str, rec: dict[str, Any] | None = None) -> dict[str, Any]:
    """The trainee's record: session, standing, one line per played activity, awards and plan.

    ``rec``: the session's record when the caller has it already (the report builds a page per
    trainee from one record). A removed (kicked) trainee keeps their record too.
    """
    from sessions.export import record

    rec = rec or record(live)
    st = live.state
    p = st.players[pid] if pid in st.players else st.removed[pid][0]
    mine = [s for s in rec["submissions"] if s["player_id"] == pid]
    lines = [_line(live, st, stage, p, mine) for aid in st.agenda if (stage := st.stages.get(aid)) is not None]
    awards = [{"points": a["points"], "reason": a["reason"]} for a in rec["awards"] if a["target"] == pid]
    rank = next((r["rank"] for r in rec["scores"]["leaderboard"] if r["id"] == pid), None)
    score = st.player_score(pid)
    return {
        "session": {k: rec["session"][k] for k in ("code", "title", "deck_title", "started_at", "ended_at",
                                                    "disclaimer")},
        "me": {"id": pid, "name": p.name, "group": st.groups.get(p.group or "", ""), "score": score,
               "rank": rank, "of": len(st.players)},
        "answers": lines,
        "awards": awards,
        "totals": {"activities": sum(line["points"] or 0 for line in lines),
                   "awards": sum(a["points"] for a in awards), "score": score},
        "action_plan": [{"what": x["what"], "by": x["by"], "module": x["module"],
                         "module_title": dict(st.deck.modules).get(x["module"] or "", "")}
                        for x in rec["action_plans"] if x["player_id"] == pid],
    }


def _line(live: LiveSession, st: SessionState, stage: Stage, player: Player,
          mine: list[dict[str, Any]]) -> dict[str, Any]:
    pid, group = player.id, player.group
    card = st.card_for(stage, group) or next(iter(stage.cards))
    act = st.activity(card)
    revealed = stage.status == REVEALED
    joined = player.joined_at
    present = joined <= (stage.closed_at if stage.closed_at is not None else joined)
    own = next((s for s in reversed(mine) if s["activity"] == card and s["counted"]), None)
    line: dict[str, Any] = {
        "activity": card, "stage": stage.id, "title": act.title, "kind": act.kind, "mode": stage.mode,
        "status": stage.status, "present": present, "by_group": False, "answer": "", "my_answer": None,
        "points": stage.credits.get(pid, 0) if revealed else None, "parts": [],
    }
    if own is not None:
        line["answer"] = answer_text(live, card, own["answer"], own.get("confirmed"))
    if act.kind == "discuss":
        key = group if stage.mode == GROUP and group else pid
        posts = [post.text for post in stage.cards[card].posts.values() if post.author == key and not post.hidden]
        line.update(answer=" / ".join(posts), by_group=key != pid)
    elif act.kind == "roleplay":
        line.update(_roleplay(live, st, stage, card, pid, own))
    elif stage.mode in (CONSENSUS, MAJORITY) and group:
        group_answer = _group_answer(st, stage, card, group)
        if stage.mode == MAJORITY and own is not None:
            line["my_answer"] = line["answer"]
        line.update(answer=answer_text(live, card, group_answer) if group_answer else "", by_group=True)
    if line["points"] is not None and act.kind != "roleplay":
        line["parts"] = _parts(st, stage, card, player, line["points"])
    return line


def _group_answer(st: SessionState, stage: Stage, card: str, group: str) -> dict[str, Any] | None:
    """The answer the group was scored on: its confirmed proposal, or its members' majority."""
    if stage.mode == CONSENSUS:
        proposal = stage.proposals.get((card, group))
        return proposal.answer if proposal is not None and proposal.confirmed_by else None
    act = st.activity(card)
    answers = [a for key, a in act.impl.answers(stage.cards[card]).items()
               if key in st.players and st.players[key].group == group]
    return act.impl.combine(answers) if answers else None


def _parts(st: SessionState, stage: Stage, card: str, player: Player, points: int) -> list[dict[str, Any]]:
    """The stage's credit split by source; the parts always add up to ``points``."""
    source = {CONSENSUS: CONSENSUS_ANSWER, MAJORITY: MAJORITY_ANSWER, GROUP: GROUP_ANSWER}.get(stage.mode, OWN)
    act = st.activity(card)
    bonus = 0
    if act.kind == "vote" and getattr(act.config, "speed_bonus", 0) and points:
        group = player.group
        if stage.mode == INDIVIDUAL:
            chosen = act.impl.answers(stage.cards[card]).get(player.id)
        else:
            chosen = _group_answer(st, stage, card, group or "")
        opt = act.config.option(chosen["choice"]) if chosen else None
        if opt is not None:
            bonus = max(0, points - opt.points)
    parts = [{"source": source, "points": points - bonus}]
    if bonus:
        parts.append({"source": SPEED, "points": bonus})
    return parts


def _roleplay(live: LiveSession, st: SessionState, stage: Stage, card: str, pid: str,
              own: dict[str, Any] | None) -> dict[str, Any]:
    """A role-play line: the rounds the trainee played as the agent (their points), and, apart
    from them, the scores they gave as an observer (which earn nothing)."""
    act = st.activity(card)
    kstate = stage.cards[card]
    rounds = []
    for res in act.impl.results(act.config, kstate):
        if res["agent"] == pid:
            rounds.append({"round": res["round"] + 1, "role": "agent", "group": res["group"],
                           "group_name": st.groups.get(res["group"], ""), "points": res["points"],
                           "total": res["total"], "max": res["max"]})
    scored: list[str] = []
    for (round_no, _group), marks in sorted(kstate.marks.items()):
        if pid in marks:
            scored.append(f"{round_no + 1}: " + answer_text(live, card, {"scores": marks[pid]}))
    out: dict[str, Any] = {"rounds": rounds, "observer_scores": scored, "answer": ""}
    if stage.status == REVEALED:
        out["parts"] = [{"source": AGENT, "round": r["round"], "points": r["points"]} for r in rounds]
        credit = stage.credits.get(pid, 0)
        if sum(r["points"] for r in rounds) != credit:  # never expected: keep the sum true regardless
            out["parts"].append({"source": OWN, "points": credit - sum(r["points"] for r in rounds)})
    return out
