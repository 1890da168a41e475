"""Follow-up of action plans: weeks after the course, each trainee marks each of their plan items.

The action plan a trainee wrote at the end of a session (a ``plan`` activity) is their list
of items. From a date the trainer sets (default: ``DEFAULT_DAYS`` after the session ended;
the trainer may open it early) the trainee opens their follow-up page, with no account, by
an unguessable link printed on their personal record, and marks each item ``done``,
``doing`` or ``dropped`` with a comment of at most ``MAX_COMMENT`` characters. The latest
mark per item is kept (``sessions.followstore``); the trainer and the department see
completion per session (a class) and per person, in the trainer page and in the exports.

Everything here is pure: the state, the stored entries and "now" come in, data goes out;
``check`` raises ``Refused`` (with the code the route answers) and changes nothing.
"""

from __future__ import annotations

from typing import Any

from games.rounding import half_up
from games.text import clean_text
from sessions.errors import Refused
from sessions.followstore import FollowUpEntry
from sessions.state import SessionState

STATUSES = ("done", "doing", "dropped")
MAX_COMMENT = 200
MAX_BODY_CHARS = 20_000  # (more than a 16 KiB request body holds: cleaning never cuts what it measures)
DEFAULT_DAYS = 30
DAY_MS = 86_400_000


def plan_items(st: SessionState) -> dict[str, list[dict[str, Any]]]:
    """Each trainee's plan items, in the order of the record's ``action_plans`` (stage, card, item).

    An item's index in its trainee's list is what a follow-up entry refers to. Only plans a
    trainee wrote themselves count (a group-mode plan belongs to no one person).
    """
    out: dict[str, list[dict[str, Any]]] = {}
    modules = dict(st.deck.modules)
    for stage in st.stages.values():
        for card, kstate in stage.cards.items():
            act = st.activity(card)
            if act.kind != "plan":
                continue
            for pid, answer in act.impl.answers(kstate).items():
                if pid not in st.players and pid not in st.removed:
                    continue
                for item in answer["items"]:
                    out.setdefault(pid, []).append({
                        "activity": card, "what": item["what"], "by": item.get("by", ""),
                        "module": item.get("module"), "module_title": modules.get(item.get("module") or "", "")})
    return out


def opens_at(st: SessionState, chosen: int | None) -> int | None:
    """When follow-up opens: the trainer's date, else ``DEFAULT_DAYS`` after the end; never while
    the session is live (None), since a trainee may still rewrite their plan, and a mark names an
    item by its place in the plan. A date chosen before the end opens follow-up at the end."""
    if st.ended_at is None:
        return None
    return max(chosen, st.ended_at) if chosen is not None else st.ended_at + DEFAULT_DAYS * DAY_MS


def is_open(opens: int | None, now: int) -> bool:
    return opens is not None and now >= opens


def check(items: list[dict[str, Any]], opens: int | None, now: int, item: object, status: object,
          comment: object) -> tuple[int, str, str]:
    """The (item, status, comment) of a trainee's change, or ``Refused`` with the reason."""
    if not is_open(opens, now):
        raise Refused("followup_not_open", "follow-up is not open yet")
    if not isinstance(item, int) or isinstance(item, bool) or not 0 <= item < len(items):
        raise Refused("bad_item", f"item should be the number of one of your {len(items)} plan item(s)")
    if status not in STATUSES:
        raise Refused("bad_status", f"status should be one of {', '.join(STATUSES)}")
    if comment is None:
        comment = ""
    if not isinstance(comment, str):
        raise Refused("bad_comment", "comment should be text")
    # One line, cleaned like every free text (control and formatting characters, glitch marks).
    comment = " ".join(clean_text(" ".join(comment.split()), max_chars=MAX_BODY_CHARS).split())
    if len(comment) > MAX_COMMENT:
        raise Refused("comment_too_long", f"a comment holds at most {MAX_COMMENT} characters")
    return item, str(status), comment


def trainee_view(st: SessionState, pid: str, entries: list[FollowUpEntry], opens: int | None,
                 now: int) -> dict[str, Any]:
    """What the trainee's follow-up page shows: their items with their latest marks, and the date."""
    items = plan_items(st).get(pid, [])
    mine = {e.item: e for e in entries if e.player_id == pid}
    return {
        "session": {"code": st.code, "title": st.title, "deck_title": st.deck.title,
                    "ended_at": st.ended_at, "locale": st.deck.locale},
        "me": {"name": st.name_of(pid)},
        "opens_at": opens, "open": is_open(opens, now),
        "items": [{"index": i, **item, **_mark(mine.get(i))} for i, item in enumerate(items)],
    }


def _mark(entry: FollowUpEntry | None) -> dict[str, Any]:
    if entry is None:
        return {"status": None, "comment": "", "at": None}
    return {"status": entry.status, "comment": entry.comment, "at": entry.at}


def counts(marks: list[str | None]) -> dict[str, Any]:
    """How many items, of each status, unmarked; the shares done (completion) and marked (answered)."""
    n = len(marks)
    out: dict[str, Any] = {"items": n, **{s: marks.count(s) for s in STATUSES},
                           "unmarked": marks.count(None)}
    out["completion"] = half_up(out["done"] / n, 3) if n else None  # share of items done
    out["answered"] = half_up((n - out["unmarked"]) / n, 3) if n else None  # share marked at all
    return out


def summary(st: SessionState, entries: list[FollowUpEntry], opens: int | None, now: int) -> dict[str, Any]:
    """Completion for the trainer and the department: the session's totals and each trainee's."""
    items = plan_items(st)
    marks = {(e.player_id, e.item): e.status for e in entries}
    people = []
    every: list[str | None] = []
    for pid, mine in items.items():
        theirs = [marks.get((pid, i)) for i in range(len(mine))]
        every += theirs
        group = st.players[pid].group if pid in st.players else st.removed[pid][0].group
        people.append({"player_id": pid, "name": st.name_of(pid), "group": st.groups.get(group or "", ""),
                       **counts(theirs)})
    return {"opens_at": opens, "open": is_open(opens, now), "total": counts(every), "people": people}


def record_section(st: SessionState, entries: list[FollowUpEntry], opens: int | None) -> dict[str, Any]:
    """The export's ``follow_up``: the date, one row per plan item (marked or not), the totals."""
    items = plan_items(st)
    marks = {(e.player_id, e.item): e for e in entries}
    rows = []
    for pid, mine in items.items():
        for i, item in enumerate(mine):
            mark = _mark(marks.get((pid, i)))
            rows.append({"player_id": pid, "name": st.name_of(pid), "item": i, "activity": item["activity"],
                         "what": item["what"], "by": item["by"], "status": mark["status"],
                         "comment": mark["comment"], "at": mark["at"]})
    return {"opens_at": opens, "items": rows,
            "total": counts([r["status"] for r in rows])}
