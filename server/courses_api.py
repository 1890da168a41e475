"""The HTTP routes of courses and rosters (docs/courses.md); I/O only, the rules are in sessions/.

Every route but the phone's name list is the trainer's (admin token). A roster upload is the
file itself as the body (CSV or XLSX; ``?filename=`` or the content type says which), checked
whole before anything is stored: ``422`` lists the problems by row. Names and 工号 never go
into the server's log.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from server.followup_api import chosen_date
from server.http_api import ORJSONResponse, _body, _json_body, _require_admin, _svc, _valid_code, error
from sessions.errors import Refused
from sessions.roster import MAX_ROSTER_BYTES, RosterInvalid, RosterPerson, merge, parse_roster, with_codes
from sessions.store import CourseRecord, Store

MAX_TITLE = 200
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _course_json(svc: Any, course: CourseRecord) -> dict[str, Any]:
    roster = svc.store.load_roster(course.id)
    return {"id": course.id, "title": course.title, "created_at": course.created_at,
            "follow_up_on": course.follow_up_on, "people": len(roster),
            "groups": sorted({p.group for p in roster if p.group}),
            "sessions": [{"code": r.code, "day": r.course_day, "title": r.title, "created_at": r.created_at,
                          "ended_at": r.ended_at} for r in svc.store.course_sessions(course.id)]}


def _course(request: Request) -> CourseRecord | Response:
    """The course a trainer's route names (admin token), or the 401/403/404 that refuses it."""
    if (denied := _require_admin(request)) is not None:
        return denied
    course_id = request.path_params["course"]
    course = _svc(request).store.get_course(course_id) if _valid_id(course_id) else None
    if course is None:
        return error(404, "unknown_course", "there is no course with that id")
    return course


def _valid_id(course_id: str) -> bool:
    return course_id.isascii() and course_id.isalnum() and len(course_id) <= 32


def create_course_record(store: Store, title: str, now: int) -> CourseRecord:
    """A new course (the CLI uses this too)."""
    title = title.strip()
    if not title or len(title) > MAX_TITLE:
        raise Refused("bad_title", f"a course needs a title of at most {MAX_TITLE} characters")
    course = CourseRecord("c" + secrets.token_hex(6), title, now)
    store.create_course(course)
    return course


def load_roster(store: Store, course_id: str, data: bytes, filename: str) -> list[RosterPerson]:
    """Parse and store a course's roster (replacing the old one; 工号 keep their person ids)."""
    people = merge(store.load_roster(course_id), parse_roster(data, filename))
    store.replace_roster(course_id, people)
    return people


async def create_course(request: Request) -> Response:
    if (denied := _require_admin(request)) is not None:
        return denied
    data = await _json_body(request)
    if isinstance(data, Response):
        return data
    if not isinstance(data, dict) or not isinstance(data.get("title"), str):
        return error(400, "bad_request", 'send {"title": "<course title>"}')
    svc = _svc(request)
    try:
        course = create_course_record(svc.store, data["title"], svc.clock.now_ms())
    except Refused as exc:
        return error(400, exc.code, exc.message)
    return ORJSONResponse(_course_json(svc, course), status_code=201)


async def list_courses(request: Request) -> Response:
    if (denied := _require_admin(request)) is not None:
        return denied
    svc = _svc(request)
    return ORJSONResponse({"courses": [_course_json(svc, c) for c in svc.store.list_courses()]})


async def put_roster(request: Request) -> Response:
    course = _course(request)
    if isinstance(course, Response):
        return course
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind.startswith("multipart/"):
        return error(415, "send_the_file", "send the CSV or XLSX file itself as the body (not a form)")
    body = await _body(request, MAX_ROSTER_BYTES)
    if isinstance(body, Response):
        return body
    filename = request.query_params.get("filename") or ("roster.xlsx" if kind == XLSX_TYPE else "roster.csv")
    svc = _svc(request)
    try:
        people = await run_in_threadpool(load_roster, svc.store, course.id, body, filename[:200])
        svc.rosters.pop(course.id, None)
    except RosterInvalid as exc:
        return error(422, "invalid_roster", f"the roster has {len(exc.problems)} problem(s)",
                     problems=[p.as_dict() for p in exc.problems[:200]])
    return ORJSONResponse({"course": course.id, "people": len(people),
                           "groups": sorted({p.group for p in people if p.group})})


def issue_codes(store: Store, course_id: str) -> bytes:
    """Give every person of the roster a fresh printed code (replacing the check by 工号) and
    return the sheet to print, as CSV: the codes exist only in it; the store keeps their hashes."""
    from sessions.spreadsheets import to_csv
    from sessions.tables import Table

    people, codes = with_codes(store.load_roster(course_id))
    store.replace_roster(course_id, people)
    return to_csv(Table("codes", "codes", ["姓名", "工号", "部门/营业厅", "组", "确认码"],
                        [[p.name, p.staff_no, p.unit, p.group, codes[p.person_id]] for p in people]))


async def post_codes(request: Request) -> Response:
    """Printed per-person codes instead of the last 4 of the 工号: the sheet, once (CSV)."""
    course = _course(request)
    if isinstance(course, Response):
        return course
    svc = _svc(request)
    if not svc.store.load_roster(course.id):
        return error(409, "no_roster", "load the course's roster first")
    body = await run_in_threadpool(issue_codes, svc.store, course.id)
    svc.rosters.pop(course.id, None)
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="caseroom-codes-{course.id}.csv"'})


async def get_roster(request: Request) -> Response:
    """The trainer's view of the roster: names, 工号, units, groups (never the printed codes)."""
    course = _course(request)
    if isinstance(course, Response):
        return course
    people = _svc(request).store.load_roster(course.id)
    return ORJSONResponse({"course": course.id, "people": [
        {"id": p.person_id, "name": p.name, "staff_no": p.staff_no, "unit": p.unit, "group": p.group}
        for p in people]})


async def course_export(request: Request) -> Response:
    """The course record per person across its days: ``format=json`` or ``xlsx``."""
    course = _course(request)
    if isinstance(course, Response):
        return course
    fmt = request.query_params.get("format", "json")
    if fmt not in ("json", "xlsx"):
        return error(400, "bad_format", "supported formats: json, xlsx")
    svc = _svc(request)
    body, media = await run_in_threadpool(render_course, svc, course, fmt)
    return Response(body, media_type=media,
                    headers={"content-disposition": f'attachment; filename="caseroom-course-{course.id}.{fmt}"'})


def render_course(svc: Any, course: CourseRecord, fmt: str) -> tuple[bytes, str]:
    import orjson

    from sessions.course_export import course_workbook
    from sessions.people import course_record

    days = [live for rec in svc.store.course_sessions(course.id) if (live := svc.sessions.load(rec.code))]
    data = course_record(course, svc.store.load_roster(course.id), days, svc.clock.now_ms())
    if fmt == "json":
        return orjson.dumps(data, option=orjson.OPT_INDENT_2), "application/json"
    return course_workbook(data, svc.config.zone()), XLSX_TYPE


async def delete_course(request: Request) -> Response:
    """A course, its roster and all its sessions; the course id typed again as confirmation."""
    course = _course(request)
    if isinstance(course, Response):
        return course
    data = await _json_body(request)
    if isinstance(data, Response):
        return data
    if not isinstance(data, dict) or data.get("confirm") != course.id:
        return error(400, "confirm_required", 'send {"confirm": "<the course id>"} to delete it')
    deleted = await _svc(request).delete_course(course.id)
    return ORJSONResponse({"deleted": course.id, "sessions": deleted})


async def delete_person(request: Request) -> Response:
    """One person of a course: their roster row, and their name, answers and plans in its sessions."""
    course = _course(request)
    if isinstance(course, Response):
        return course
    person = request.path_params["person"]
    data = await _json_body(request)
    if isinstance(data, Response):
        return data
    if not isinstance(data, dict) or data.get("confirm") != person:
        return error(400, "confirm_required", 'send {"confirm": "<the person id>"} to delete them')
    try:
        found = await _svc(request).delete_person(course.id, person)
    except Refused as exc:
        return error(409, exc.code, exc.message)
    if not found:
        return error(404, "unknown_person", "there is no such person in this course")
    return ORJSONResponse({"deleted": person})


async def session_roster(request: Request) -> Response:
    """The phone's name list for a rostered session: names and units only, for anyone with the
    code (that is who may join); an unknown code costs like a wrong join code."""
    svc = _svc(request)
    code = request.path_params["code"]
    address = request.client.host if request.client else "unknown"
    now = time.monotonic()
    if not svc.limits.may_look_up(address, code, now):
        return error(429, "rate_limited", "too many wrong codes; wait a few minutes")
    live = svc.sessions.live.get(code) if _valid_code(code) else None
    if live is None:
        if not svc.limits.wrong_codes.take(address, now):
            return error(429, "rate_limited", "too many wrong codes; wait a few minutes")
        return error(404, "unknown_session", "there is no live session with that code")
    people = svc.roster_of(live) or []
    check = "code" if any(p.check_hash for p in people) else "staff_no_last4"
    return ORJSONResponse({"code": code, "roster": bool(people), "check": check,
                           "people": [p.public() for p in people]})


async def set_followup(request: Request) -> Response:
    """One follow-up date for every day of a course: each of its sessions (as they are now) opens
    its trainees' follow-up then, as ``PUT /api/sessions/{code}/followup`` would set it for one."""
    course = _course(request)
    if isinstance(course, Response):
        return course
    svc = _svc(request)
    chosen = await chosen_date(request, svc)
    if isinstance(chosen, Response):
        return chosen
    sessions = svc.store.course_sessions(course.id)
    for record in sessions:
        svc.store.set_followup_date(record.code, chosen)
    return ORJSONResponse({"course": course.id, "chosen_at": chosen,
                           "sessions": [{"code": r.code, "day": r.course_day} for r in sessions]})
