"""The course record as an XLSX workbook: people × days, attendance, action plans.

Built from ``sessions.people.course_record`` (the JSON export), written with the session
workbook's writer (``sessions/workbook.py``: string cells are never formulas, sheets print on
A4), in the language of the course's sessions.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from sessions.i18n import words
from sessions.tables import Table
from sessions.workbook import _table_sheet, _write


def _local(at: str | None, tz: tzinfo) -> datetime | None:
    if not at:
        return None
    return datetime.fromisoformat(at.replace("Z", "+00:00")).astimezone(tz).replace(tzinfo=None)


def course_tables(data: dict[str, Any], tz: tzinfo) -> list[Table]:
    w = words(data.get("locale", "zh-CN"))
    days = data["sessions"]
    day_heads = [f"{w['day']} {s['day'] or i + 1} {w['score']}" for i, s in enumerate(days)]
    people = Table("people", w["people"],
                   [w["person"], w["name"], w["staff_no"], w["unit"], w["group"], w["days_present"], *day_heads,
                    w["total"]],
                   [[p["person"], p["name"], p["staff_no"], p["unit"], p["group"], p["days_present"],
                     *[d.get("score") if d["present"] else None for d in p["days"]], p["score"]]
                    for p in data["people"]])
    attendance = Table("attendance", w["attendance"],
                       [w["name"], w["staff_no"], w["day"], w["code"], w["joined"], w["left"], w["present_min"]],
                       [[p["name"], p["staff_no"], d["day"], d["session"],
                         _local((d.get("attendance") or {}).get("joined_at"), tz),
                         _local((d.get("attendance") or {}).get("left_at"), tz),
                         None if not d["present"] or d["attendance"]["present_s"] is None
                         else round(d["attendance"]["present_s"] / 60, 1)]
                        for p in data["people"] for d in p["days"]])
    plans = Table("action_plans", w["plans"], [w["name"], w["staff_no"], w["day"], w["what"], w["by"], w["module"]],
                  [[p["name"], p["staff_no"], x["day"], x["what"], x["by"], x.get("module_title") or x.get("module")]
                   for p in data["people"] for x in p["action_plans"]])
    return [people, attendance, plans]


def course_workbook(data: dict[str, Any], tz: tzinfo) -> bytes:
    return _write([_table_sheet(t) for t in course_tables(data, tz)])
