"""The HTTP API of the contract: decks, sessions, exports, health.

Errors are ``{"error": {"code", "message"}}`` with a 4xx status, and a refused
request changes nothing.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from games.bundle import MAX_BUNDLE_BYTES
from server import authz
from server.services import Services
from sessions.errors import DeckInvalid, NotFound, Refused
from sessions.export import FORMATS, personal, render
from sessions.live import LiveSession
from sessions.regroup import move_preview
from sessions.tables import TABLE_NAMES
from sessions.timeline import state_at, timeline
from sessions.views import groups_view, leaderboard, review, screen_view

MAX_JSON_BODY = 16_384
MAX_DECK_BODY = 1_000_000
ZIP_TYPES = {"application/zip", "application/x-zip-compressed"}
MEDIA_CACHE = "public, max-age=31536000, immutable"  # a media URL is its content's hash
MAX_SEQ_DIGITS = 12  # replay?seq=: plain ASCII digits, at most this many


class ORJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def error(status: int, code: str, message: str, **extra: Any) -> Response:
    body: dict[str, Any] = {"code": code, "message": message, **extra}
    return ORJSONResponse({"error": body}, status_code=status)


def _svc(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _role(request: Request, live: LiveSession | None = None) -> str:
    """Who the bearer token makes the caller: admin, the host of ``live``, or nobody in particular."""
    token = _bearer(request)
    if token is None:
        return authz.ANONYMOUS
    svc = _svc(request)
    if svc.is_admin(token):
        return authz.ADMIN
    if live is not None and svc.is_host(live, token):
        return authz.HOST
    return "stranger"  # a token that opens nothing here


def _guard(request: Request, route: str, live: LiveSession | None = None) -> Response | None:
    """The one place HTTP access is decided: the caller's role against ``authz.HTTP_MATRIX``."""
    refusal = authz.http_refusal(route, _role(request, live))
    return error(*refusal) if refusal else None


def _require_admin(request: Request) -> Response | None:
    return _guard(request, _route(request))


async def _body(request: Request, limit: int) -> bytes | Response:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return error(413, "too_large", f"the body is larger than {limit} bytes")
    parts: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        parts.append(chunk)
        size += len(chunk)
        if size > limit:
            return error(413, "too_large", f"the body is larger than {limit} bytes")
    return b"".join(parts)


async def _json_body(request: Request) -> Any:
    """The request's JSON (None when empty), or the 4xx response that refuses it."""
    body = await _body(request, MAX_JSON_BODY)
    if isinstance(body, Response):
        return body
    try:
        return orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        return error(400, "bad_json", "the body is not valid JSON")


async def healthz(request: Request) -> Response:
    """200 while every task the server cannot live without runs; 503 (and which is down) otherwise."""
    sup = _svc(request).supervisor
    if sup.healthy:
        return ORJSONResponse({"ok": True})
    return ORJSONResponse({"ok": False, "down": sorted(sup.down) or ["gave_up"]}, status_code=503)


async def list_decks(request: Request) -> Response:
    if (denied := _require_admin(request)) is not None:
        return denied
    decks = _svc(request).deck_catalogue()
    return ORJSONResponse({"decks": [deck.summary() for deck in decks.values()]})


async def upload_deck(request: Request) -> Response:
    if (denied := _require_admin(request)) is not None:
        return denied
    zipped = request.headers.get("content-type", "").split(";")[0].strip().lower() in ZIP_TYPES
    body = await _body(request, MAX_BUNDLE_BYTES if zipped else MAX_DECK_BODY)
    if isinstance(body, Response):
        return body
    try:
        deck = await _svc(request).add_deck(body, zipped=zipped)  # parsed in a thread
    except DeckInvalid as exc:
        return error(422, "invalid_deck", f"the deck has {len(exc.problems)} problem(s)",
                     problems=[p.as_dict() for p in exc.problems])
    except Refused as exc:
        return error(409, exc.code, exc.message)
    return ORJSONResponse({**deck.summary(), "version": deck.version}, status_code=201)


async def create_session(request: Request) -> Response:
    if (denied := _require_admin(request)) is not None:
        return denied
    data = await _json_body(request)
    if isinstance(data, Response):
        return data
    if not isinstance(data, dict) or not isinstance(data.get("deck"), str):
        return error(400, "bad_request", 'send {"deck": "<deck id>", "title"?: "<title>"}')
    title = data.get("title")
    if title is not None and (not isinstance(title, str) or len(title.strip()) > 200):
        return error(400, "bad_title", "title should be text of at most 200 characters")
    svc = _svc(request)
    try:
        live, host_key = svc.create_session(data["deck"], title.strip() if title else None,
                                            data.get("agenda"), data.get("modules"), data.get("preset"),
                                            data.get("day"), data.get("course"))
    except Refused as exc:
        return error(404 if exc.code in ("unknown_deck", "unknown_course") else 400, exc.code, exc.message)
    await svc.created(live.code)
    return ORJSONResponse({"code": live.code, "host_key": host_key, "title": live.state.title,
                           "deck": live.state.deck.id, "agenda": list(live.state.agenda),
                           **svc.links(live.code, host_key)},
                          status_code=201)


async def list_sessions(request: Request) -> Response:
    if (denied := _require_admin(request)) is not None:
        return denied
    svc = _svc(request)
    out = []
    for rec in svc.store.list_sessions():
        live = svc.sessions.live.get(rec.code)
        joined = len(live.state.players) if live else svc.store.count_events(rec.code, "player_joined")
        out.append({"code": rec.code, "title": rec.title, "deck": rec.deck_id,
                    "created_at": rec.created_at, "ended_at": rec.ended_at, "joined": joined,
                    "live": live is not None and live.state.phase != "ended"})
    return ORJSONResponse({"sessions": out})


def _valid_code(code: str) -> bool:
    return code.isascii() and code.isdigit() and len(code) <= 16


def _route(request: Request) -> str:
    """The matrix key of a request; HEAD is GET without the body (Starlette answers HEAD on GET routes)."""
    method = "GET" if request.method == "HEAD" else request.method
    return f"{method} {request.scope['route'].path}"


def _wrong_credential(request: Request) -> Response | None:
    """A wrong host key or resume token costs like a wrong join code (docs/security.md): 429 once the
    address's bucket is empty."""
    svc = _svc(request)
    address = request.client.host if request.client else "unknown"
    if not svc.limits.wrong_codes.take(address, time.monotonic()):
        return error(429, "rate_limited", "too many wrong codes or keys; wait a few minutes")
    return None


async def _host_session(request: Request) -> LiveSession | Response:
    """The session a host key (or the admin token) opens, live or ended, or the refusal.

    The credential is checked before anything is loaded: the host key against the stored hash (one
    small read, or memory for a live session), so an unknown code and an ended one cost the same
    and answer the same, and only an authorised caller makes the server rebuild an ended session
    (off the event loop, once, cached: ``server/records.py``).
    """
    svc = _svc(request)
    code = request.path_params["code"]
    route = _route(request)
    token = _bearer(request)
    if token is None:
        return error(*authz.http_refusal(route, authz.ANONYMOUS) or (401, "unauthorized", ""))
    if svc.is_admin(token):
        role = authz.ADMIN
    else:
        role = authz.HOST if svc.host_key_opens(code if _valid_code(code) else None, token) else "stranger"
        if role != authz.HOST and (limited := _wrong_credential(request)) is not None:
            return limited
    if (refusal := authz.http_refusal(route, role)) is not None:
        return error(*refusal)
    live = await svc.records.open(code) if _valid_code(code) else None
    if live is None:  # the admin asked for a code that does not exist (or it was deleted meanwhile)
        return error(404, "unknown_session", "there is no session with that code")
    return live


async def export_session(request: Request) -> Response:
    live = await _host_session(request)
    if isinstance(live, Response):
        return live
    fmt = request.query_params.get("format", "json")
    if fmt not in FORMATS:
        return error(400, "bad_format", f"supported formats: {', '.join(FORMATS)}")
    table = request.query_params.get("table")
    if table is not None and (fmt != "csv" or table not in TABLE_NAMES):
        return error(400, "bad_table", f"table= goes with format=csv and is one of: {', '.join(TABLE_NAMES)}")
    body, media, name = render(live, fmt, _svc(request).config.zone(), table)
    return Response(body, media_type=media, headers={"content-disposition": f'attachment; filename="{name}"'})


async def review_session(request: Request) -> Response:
    """The review screen's data: per card against the recommended handling, scores over time, the timeline."""
    live = await _host_session(request)
    if isinstance(live, Response):
        return live
    st = live.state
    events = live.store.load_events(live.code)
    rows = review(st)
    plans = [r for r in rows if r["kind"] == "plan"]
    return ORJSONResponse({
        "session": {"code": st.code, "title": st.title, "phase": st.phase, "deck": st.deck.title,
                    "started_at": st.started_at, "ended_at": st.ended_at, "disclaimer": st.deck.disclaimer},
        "counts": {"joined": len(st.players)},
        "review": [r for r in rows if r["kind"] != "plan"],
        "highlights": [h for r in plans for h in r.get("highlights", [])],
        "groups": groups_view(st),
        "leaderboard": leaderboard(st),
        "timeline": timeline(live, events),
    })


async def replay_session(request: Request) -> Response:
    """The screen as it was right after event ``seq``: what scrubbing the replay shows."""
    live = await _host_session(request)
    if isinstance(live, Response):
        return live
    raw = request.query_params.get("seq", "")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > MAX_SEQ_DIGITS:  # (not "²", not 5,000 digits)
        return error(400, "bad_seq", "seq should be an event number")
    events = live.store.load_events(live.code)
    st = state_at(live, events, int(raw))
    # Who was connected then is not in the log; the replay shows everyone who had joined.
    return ORJSONResponse({"seq": st.seq, "view": screen_view(st, len(st.players))})


MAX_ID = 40  # regroup?player=&group=: ids are short ASCII


async def regroup_preview(request: Request) -> Response:
    """The group scores before and after moving ``player`` to ``group``: the console asks before a move."""
    live = await _host_session(request)
    if isinstance(live, Response):
        return live
    player, group = request.query_params.get("player", ""), request.query_params.get("group", "")
    if not (0 < len(player) <= MAX_ID and 0 < len(group) <= MAX_ID):
        return error(400, "bad_query", "player= and group= name a player and a group by id")
    try:
        return ORJSONResponse(move_preview(live.state, player, group))
    except NotFound as exc:
        return error(404, exc.code, exc.message)


async def personal_record(request: Request) -> Response:
    """A trainee's own summary, for the phone's printable page; the resume token is the key.

    The token's MAC is checked before the session is loaded; a forged token costs like a wrong code.
    """
    svc = _svc(request)
    data = await _json_body(request)
    if isinstance(data, Response):
        return data
    code = request.path_params["code"]
    token = data.get("token") if isinstance(data, dict) else None
    if token is None:
        return error(*authz.http_refusal("POST /api/sessions/{code}/me", authz.ANONYMOUS) or (401, "", ""))
    pid = svc.tokens.check(code, token) if _valid_code(code) else None
    live = await svc.records.open(code) if pid is not None else None
    if live is not None and pid is not None and svc.tokens.check(code, token, live.state.seats) is None:
        pid = None  # the token of a seat that moved to another phone
    if live is None or pid is None or pid not in live.state.players:
        if (limited := _wrong_credential(request)) is not None:
            return limited
        return error(*(authz.http_refusal("POST /api/sessions/{code}/me", "stranger")
                       or (403, "forbidden", "that token opens no record here")))
    from server.followup_api import follow_up_link  # (that module builds on this one)

    out = {**personal(live, pid), "follow_up": follow_up_link(svc, live, pid)}
    person = live.state.players[pid].person
    if person is not None and live.state.course is not None:  # a rostered trainee: every day of the course
        out["course"] = await run_in_threadpool(_course_days, svc, live, person)
    return ORJSONResponse(out)


def _course_days(svc: Services, live: LiveSession, person: str) -> dict[str, Any] | None:
    """The trainee's days of the course (``sessions/people.py``): score, plan or absence per day."""
    from sessions.people import people

    assert live.state.course is not None
    course = svc.store.get_course(live.state.course[0])
    me = next((p for p in svc.store.load_roster(course.id) if p.person_id == person), None) if course else None
    if course is None or me is None:
        return None
    days = [live if rec.code == live.code else svc.sessions.load(rec.code)
            for rec in svc.store.course_sessions(course.id)]
    rec = next(people([me], [d for d in days if d is not None], svc.clock.now_ms()))
    return {"title": course.title, "score": rec.score, "days": [
        {"day": d.day, "title": d.title, "current": d.code == live.code, "present": d.present,
         "score": d.record["me"]["score"] if d.record else None,
         "action_plan": d.record["action_plan"] if d.record else []} for d in rec.days]}


async def delete_session(request: Request) -> Response:
    """Delete a session and its whole record: admin only, and the code typed again as confirmation."""
    if (denied := _require_admin(request)) is not None:
        return denied
    svc = _svc(request)
    code = request.path_params["code"]
    data = await _json_body(request)
    if isinstance(data, Response):
        return data
    if not isinstance(data, dict) or data.get("confirm") != code:
        return error(400, "confirm_required", 'send {"confirm": "<the session code>"} to delete it')
    if not await svc.delete_session(code):
        return error(404, "unknown_session", "there is no session with that code")
    return ORJSONResponse({"deleted": code})


async def session_public(request: Request) -> Response:
    """What a phone needs before joining: the title, whether joining is open, the groups."""
    svc = _svc(request)
    code = request.path_params["code"]
    address = request.client.host if request.client else "unknown"
    if not svc.limits.may_look_up(address, code, time.monotonic()):  # the join's rule (server/limits.py)
        return error(429, "rate_limited", "too many wrong codes; wait a few minutes")
    live = svc.sessions.live.get(code)
    if live is None:
        # A wrong code here costs the same as a wrong join code: no second oracle for scanners.
        if not svc.limits.wrong_codes.take(address, time.monotonic()):
            return error(429, "rate_limited", "too many wrong codes; wait a few minutes")
        return error(404, "unknown_session", "there is no live session with that code")
    st = live.state
    return ORJSONResponse({"code": st.code, "title": st.title, "phase": st.phase, "locked": st.locked,
                           "groups": [{"id": g, "name": n} for g, n in st.groups.items()],
                           "roster": svc.roster_of(live) is not None})


async def media_file(request: Request) -> Response:
    """A deck's image or clip, by hash: ETag, long-lived cache, and ``Range`` (206) for seeking video."""
    item = await run_in_threadpool(_svc(request).media, request.path_params["name"])  # a store read
    if item is None:
        return error(404, "not_found", "there is no such media file")
    mime, data = item
    etag = f'"{request.path_params["name"].split(".")[0]}"'
    headers = {"etag": etag, "cache-control": MEDIA_CACHE, "accept-ranges": "bytes",
               "content-security-policy": "default-src 'none'; sandbox"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    wanted = request.headers.get("range")
    if wanted and request.headers.get("if-range", etag) == etag:
        span = byte_range(wanted, len(data))
        if span is None:
            return Response(status_code=416, headers={**headers, "content-range": f"bytes */{len(data)}"})
        first, last = span
        return Response(data[first:last + 1], status_code=206, media_type=mime,
                        headers={**headers, "content-range": f"bytes {first}-{last}/{len(data)}"})
    return Response(data, media_type=mime, headers=headers)


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The one span of a ``Range: bytes=…`` header (first, last, inclusive), or None if unsatisfiable.

    Several spans are answered with the first one's envelope (from the first start to the last
    end): a player asks for one span at a time, and no multipart body is built for anyone.
    """
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or not spec.strip() or size == 0:
        return None
    spans = []
    for part in spec.split(",")[:16]:
        start, dash, end = part.strip().partition("-")
        if not dash:
            return None
        if not start:  # the last N bytes
            if not end.isdigit() or int(end) == 0:
                return None
            spans.append((max(0, size - int(end)), size - 1))
        elif start.isdigit() and (end.isdigit() or not end):
            first, last = int(start), min(int(end) if end else size - 1, size - 1)
            if first > last or first >= size:
                continue
            spans.append((first, last))
        else:
            return None
    if not spans:
        return None
    return min(s[0] for s in spans), max(s[1] for s in spans)
