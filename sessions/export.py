"""The session record as data: one fold of the log for every export format.

``record(live)`` builds the JSON export of the contract. It reads the events,
not the live views, so an ended session exports exactly like a live one and
every acknowledged submission appears, with ``counted`` marking the one that
was scored (the last one a player gave before the activity closed).
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any

from sessions.attendance import attendance
from sessions.events import Event
from sessions.live import LiveSession
from sessions.schedule import schedule
from sessions.views import groups_view, leaderboard, review


def iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def submissions(live: LiveSession, events: list[Event]) -> list[dict[str, Any]]:
    """Every acknowledged submission; ``counted`` marks at most one per player and card.

    The counted row is the answer that stands for the player in the record (the
    one the scores used, or would use if the activity is never revealed):
    vote, order, estimate (individual and group-majority), role-play scores and
    plans: the player's last submission. discuss: the player's last post (posts
    earn no points by themselves; upvotes are never counted). group-consensus:
    the group's last confirmed proposal and its confirmation (two players, one
    row each). A role-play observer's earlier score messages (other criteria,
    other rounds) are scored too, but only the last one is ``counted``, so that
    counting ``counted`` rows counts answering players.
    """
    st = live.state
    out: list[dict[str, Any]] = []
    last: dict[tuple[str, str], int] = {}
    by_seq: dict[int, int] = {}
    confirmed: dict[tuple[str, str], int] = {}
    for ev in events:
        if ev.type not in ("answer_submitted", "answer_confirmed"):
            continue
        d = ev.data
        stage = st.stages.get(d["activity"])
        mode = stage.mode if stage else "individual"
        card = d.get("card", d["activity"])
        answer = d["answer"] if ev.type == "answer_submitted" else {"confirm": d["proposal"]}
        row = {"seq": ev.seq, "player_id": ev.actor, "activity": card, "stage": d["activity"], "answer": answer,
               "client_id": ev.client_id, "at": iso(ev.at), "as": d.get("as", ev.actor), "mode": mode,
               "counted": False}
        if ev.type == "answer_confirmed" and d["proposal"] in by_seq:
            row["confirmed"] = out[by_seq[d["proposal"]]]["answer"]
        by_seq[ev.seq] = len(out)
        out.append(row)
        if ev.type == "answer_confirmed":
            confirmed[(card, d["as"])] = ev.seq
        elif not d.get("proposal") and "upvote" not in answer:
            last[(ev.actor, card)] = len(out) - 1
    for index in last.values():
        out[index]["counted"] = True
    for seq in confirmed.values():
        out[by_seq[seq]]["counted"] = True
        proposal = out[by_seq[seq]]["answer"]["confirm"]
        if proposal in by_seq:
            out[by_seq[proposal]]["counted"] = True
    return out


def record(live: LiveSession) -> dict[str, Any]:
    st = live.state
    events = live.store.load_events(live.code)
    spent = {d["id"]: d["actual"] for d in schedule(st)["done"]}  # seconds each held the floor
    activities = []
    for aid in st.agenda:
        act = st.deck.activities[aid]
        stage = st.stages.get(aid)
        entry: dict[str, Any] = {
            **act.summary(), "module": act.module, "mode": stage.mode if stage else act.mode,
            "status": stage.status if stage else "not_played",
            "opened_at": iso(stage.opened_at) if stage else None,
            "closed_at": iso(stage.closed_at) if stage else None,
            "planned": st.deck.planned(aid), "spent": spent.get(aid),
        }
        if act.is_deal:
            entry["cards"] = [{**st.activity(c).summary(), **st.activity(c).impl.outline(st.activity(c).config)}
                              for c in act.cards]
            entry["deal"] = stage.deal if stage else None
        else:
            entry.update(act.impl.outline(act.config))
        if stage is not None:
            entry["credits"] = dict(stage.credits)
            entry["group_credits"] = dict(stage.group_credits)
        activities.append(entry)

    rubric_scores = []
    action_plans = []
    for stage in st.stages.values():
        for card, kstate in stage.cards.items():
            act = st.activity(card)
            if act.kind == "roleplay":
                for res in act.impl.review(act.config, kstate)["results"]:
                    rubric_scores.append({"activity": card, **res})
            if act.kind == "plan":
                for pid, answer in act.impl.answers(kstate).items():
                    for item in answer["items"]:
                        action_plans.append({"activity": card, "player_id": pid,
                                             "name": st.name_of(pid),
                                             **item})

    return {
        "format": "caseroom-record/1",
        "session": {
            "code": st.code, "title": st.title, "deck": st.deck.id, "deck_title": st.deck.title,
            "deck_version": st.deck.version, "created_at": iso(st.created_at),
            "started_at": iso(st.started_at), "ended_at": iso(st.ended_at), "phase": st.phase,
            "disclaimer": st.deck.disclaimer,
        },
        "groups": [{"id": g["id"], "name": g["name"], "size": g["size"]} for g in groups_view(st)],
        "participants": [{"id": p.id, "name": p.name, "group": p.group, "joined_at": iso(p.joined_at),
                          "removed": None, "person": p.person} for p in st.players.values()]
                        + [{"id": p.id, "name": p.name, "group": p.group, "joined_at": iso(p.joined_at),
                            "removed": why, "person": p.person} for p, why in st.removed.values()],
        "course": {"id": st.course[0], "day": st.course[1]} if st.course is not None else None,
        "attendance": [{"player_id": a["player_id"], "person": a["person"], "name": a["name"],
                        "joined_at": iso(a["joined_at"]), "left_at": iso(a["left_at"]),
                        "present_s": None if a["present_ms"] is None else round(a["present_ms"] / 1000),
                        "spans": [[iso(x), iso(y)] for x, y in a["spans"]]}
                       for a in attendance(st, events[-1].at if events else st.created_at)],
        "activities": activities,
        "submissions": submissions(live, events),
        "scores": {
            "players": {pid: st.player_score(pid) for pid in [*st.players, *st.removed]},
            "groups": st.group_scores(),
            "group_points": dict(st.group_points),
            "activities": {sid: dict(stage.credits) for sid, stage in st.stages.items()},
            "leaderboard": leaderboard(st, None),
        },
        "rubric_scores": rubric_scores,
        "awards": [{"seq": a.seq, "at": iso(a.at), "target": a.target, "points": a.points, "reason": a.reason}
                   for a in st.awards],
        "action_plans": action_plans,
        "follow_up": follow_up(live),
        "review": review(st),
        "events": [_event(e) for e in events],
    }


def follow_up(live: LiveSession) -> dict[str, Any]:
    """The trainees' follow-up of their plans (``sessions.followup``), with ISO times."""
    from sessions.followup import opens_at, record_section

    st = live.state
    section = record_section(st, live.store.followup_entries(st.code),
                             opens_at(st, live.store.followup_date(st.code)))
    section["opens_at"] = iso(section["opens_at"])
    for row in section["items"]:
        row["at"] = iso(row["at"])
    return section


FORMATS = {
    "json": ("application/json", "json"),
    "csv": ("application/zip", "zip"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "html": ("text/html; charset=utf-8", "html"),
}
CSV_ONE = ("text/csv; charset=utf-8", "csv")


def render(live: LiveSession, fmt: str, tz: tzinfo | None = None,
           table: str | None = None) -> tuple[bytes, str, str]:
    """The record in one of the export formats: (body, media type, file name).

    ``tz``: the time zone of the local times in CSV, XLSX and HTML (default the server's).
    ``table``: with ``csv``, that one table as a ``.csv`` file instead of the zip of all of
    them (KeyError if there is no such table).
    """
    import orjson

    from sessions.i18n import zone
    from sessions.report import html_report
    from sessions.spreadsheets import to_csv, to_csv_zip
    from sessions.tables import tables
    from sessions.timeline import timeline
    from sessions.workbook import build

    tz = tz or zone()
    media, ext = FORMATS[fmt]
    rec = record(live)
    name = f"caseroom-{live.code}.{ext}"
    if fmt == "json":
        return orjson.dumps(rec, option=orjson.OPT_INDENT_2), media, name
    if fmt == "csv":
        data = tables(live, rec, tz)
        if table is not None:
            chosen = next((t for t in data if t.name == table), None)
            if chosen is None:
                raise KeyError(table)
            return to_csv(chosen), CSV_ONE[0], f"caseroom-{live.code}-{table}.csv"
        return to_csv_zip(data, f"caseroom-{live.code}"), media, name
    if fmt == "xlsx":
        return build(live, rec, tables(live, rec, tz), tz), media, name
    events = live.store.load_events(live.code)
    return html_report(live, rec, timeline(live, events), tz).encode(), media, name


def personal(live: LiveSession, pid: str) -> dict[str, Any]:
    """One trainee's own record (see ``sessions.personal``)."""
    from sessions.personal import personal as build

    return build(live, pid)


# What an event of the log must not carry out of the server: a join's client id is the credential
# a resent join is recognised by (``existing_join``: the same player and resume token, even while
# joining is locked), and the address hash tells which trainees share a network.
PRIVATE_JOIN_DATA = ("address",)


def _event(e: Event) -> dict[str, Any]:
    if e.type == "player_joined":
        data = {k: v for k, v in e.data.items() if k not in PRIVATE_JOIN_DATA}
        return {"seq": e.seq, "at": iso(e.at), "type": e.type, "actor": e.actor, "client_id": None, "data": data}
    return {"seq": e.seq, "at": iso(e.at), "type": e.type, "actor": e.actor, "client_id": e.client_id,
            "data": e.data}
