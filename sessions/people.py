"""One person across the days of a course: the roster row joined to every session they played.

A rostered trainee's ``player_joined`` carries their course-scoped ``person`` id; player ids
are per session (p3 on day 1, p7 on day 2). ``people`` walks a course's sessions once and
yields, per roster person, what each day holds for them: attendance, the lines of their
personal record (``sessions/personal.py``: answers and the points they earned), their score
and rank, and their action plan. Someone on the roster who never joined a day has that day
with ``present: false`` and nothing else. Cohort views and plan follow-up build on this.

It reads only what it is given (the sessions, already loaded); nothing here writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sessions.attendance import attendance
from sessions.export import iso, record
from sessions.i18n import language
from sessions.live import LiveSession
from sessions.personal import personal
from sessions.roster import RosterPerson
from sessions.store import CourseRecord


@dataclass
class PersonDay:
    code: str
    day: int | None
    title: str
    player_id: str | None  # None: not in that session
    attendance: dict[str, Any] | None = None
    record: dict[str, Any] | None = None  # sessions.personal's record of that day

    @property
    def present(self) -> bool:
        return self.player_id is not None


@dataclass
class PersonRecord:
    person: RosterPerson
    days: list[PersonDay] = field(default_factory=list)

    @property
    def score(self) -> int:
        return sum(d.record["me"]["score"] for d in self.days if d.record is not None)

    @property
    def plans(self) -> list[dict[str, Any]]:
        return [{**item, "session": d.code, "day": d.day} for d in self.days if d.record is not None
                for item in d.record["action_plan"]]


def people(roster: list[RosterPerson], days: list[LiveSession], now: int) -> Iterator[PersonRecord]:
    """Per roster person, in roster order, their day in each of ``days`` (oldest first)."""
    loaded = []
    for live in days:
        st = live.state
        loaded.append((live, record(live), {a["player_id"]: a for a in attendance(st, now)}))
    for person in roster:
        out = PersonRecord(person)
        for live, rec, present in loaded:
            st = live.state
            pid = st.persons.get(person.person_id)
            day = PersonDay(st.code, st.course[1] if st.course else None, st.title, pid)
            if pid is not None:
                day.attendance = present.get(pid)
                day.record = personal(live, pid, rec)
            out.days.append(day)
        yield out


def course_record(course: CourseRecord, roster: list[RosterPerson], days: list[LiveSession],
                  now: int) -> dict[str, Any]:
    """The course's record as JSON: its sessions, then each person with every day."""
    persons = []
    for rec in people(roster, days, now):
        p = rec.person
        persons.append({
            "person": p.person_id, "name": p.name, "staff_no": p.staff_no, "unit": p.unit, "group": p.group,
            "score": rec.score, "days_present": sum(d.present for d in rec.days),
            "days": [_day(d) for d in rec.days],
            "action_plans": rec.plans,
        })
    return {
        "format": "caseroom-course/1",
        "locale": language(days[0].state) if days else "zh-CN",
        "course": {"id": course.id, "title": course.title, "created_at": iso(course.created_at),
                   "follow_up_on": course.follow_up_on},
        "sessions": [{"code": live.code, "day": live.state.course[1] if live.state.course else None,
                      "title": live.state.title, "started_at": iso(live.state.started_at),
                      "ended_at": iso(live.state.ended_at),
                      "joined": len(live.state.players)} for live in days],
        "people": persons,
    }


def _day(d: PersonDay) -> dict[str, Any]:
    out: dict[str, Any] = {"session": d.code, "day": d.day, "title": d.title, "present": d.present,
                           "player_id": d.player_id}
    if d.attendance is not None:
        a = d.attendance
        out["attendance"] = {"joined_at": iso(a["joined_at"]), "left_at": iso(a["left_at"]),
                             "present_s": None if a["present_ms"] is None else round(a["present_ms"] / 1000)}
    if d.record is not None:
        out.update(score=d.record["me"]["score"], rank=d.record["me"]["rank"], group=d.record["me"]["group"],
                   answers=[{"activity": x["activity"], "title": x["title"], "kind": x["kind"],
                             "answer": x["answer"], "points": x["points"]} for x in d.record["answers"]],
                   action_plan=d.record["action_plan"])
    return out
