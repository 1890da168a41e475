"""Erasing one person from a course's logs: what a trainee's "delete my data" request changes.

The log is append-only everywhere else; this is its one deliberate exception, like deleting a
whole session. Rather than removing events (every later seq, score and tally would then fold
differently, and the class's record would no longer add up), the person's events stay and
lose what makes them personal:

- their ``player_joined``: the name becomes "—" and the roster link (``person``) goes;
- their plan items and discussion posts: the text becomes "—" (votes, orders and estimates
  stay: without a name they are the class's anonymous answers, and the class's tallies and
  group scores stay true).

``erase_person`` is pure: it returns the new data per seq, and the caller stores it.
"""

from __future__ import annotations

from typing import Any

from sessions.events import Event

ERASED = "—"


def erase_person(events: list[Event], person_id: str) -> dict[int, dict[str, Any]]:
    """seq -> the event's new data, for every event of the session that holds the person's data."""
    changes: dict[int, dict[str, Any]] = {}
    pid = None
    for ev in events:
        if ev.type == "player_joined" and ev.data.get("person") == person_id:
            pid = ev.data["player_id"]
            data = {k: v for k, v in ev.data.items() if k != "person"}
            data.update(name=ERASED, asked_name=ERASED)
            changes[ev.seq] = data
        elif pid is not None and ev.actor == pid and ev.type == "answer_submitted":
            answer = ev.data.get("answer")
            if isinstance(answer, dict) and "items" in answer:
                items = [{**item, "what": ERASED, "by": ""} for item in answer["items"]]
                changes[ev.seq] = {**ev.data, "answer": {**answer, "items": items}}
            elif isinstance(answer, dict) and "post" in answer:
                changes[ev.seq] = {**ev.data, "answer": {**answer, "post": ERASED}}
    return changes
