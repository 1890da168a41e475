"""The follow-up routes: the trainee's page (a follow-up token is the key) and the trainer's view.

``POST /api/sessions/{code}/followup`` ({"token"}) → the trainee's items and marks;
``POST /api/sessions/{code}/followup/items`` ({"token", "item", "status", "comment"}) saves one
mark and answers the same view; ``GET /api/sessions/{code}/followup`` (host key or admin) →
completion per person; ``PUT /api/sessions/{code}/followup`` (host key or admin,
``{"opens_at": <epoch ms> | null}`` or ``{"open_now": true}``) sets the date, and
``PUT /api/courses/{course}/followup`` (admin, the same body) sets it for every day of a course
(``server/courses_api.py``). A token that opens
nothing answers 404 and costs like a wrong code (no token at all: 401); a refused change changes nothing. Nothing
here logs a name, a comment or a token.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server import authz
from server.http_api import (
    ORJSONResponse,
    _host_session,
    _json_body,
    _route,
    _svc,
    _valid_code,
    _wrong_credential,
    error,
)
from server.services import Services
from sessions.errors import Refused
from sessions.followstore import FollowUpEntry
from sessions.followup import check, is_open, opens_at, plan_items, summary, trainee_view
from sessions.live import LiveSession

MAX_DATE_MS = 4_102_444_800_000  # 2100-01-01: a date beyond is a typo


def follow_up_link(svc: Services, live: LiveSession, pid: str) -> dict[str, Any] | None:
    """What the personal record carries: the trainee's follow-up link, its QR code and the date
    (None when they wrote no plan of their own). The token rides in the fragment, which browsers
    never send, so it appears in no access log."""
    st = live.state
    if not plan_items(st).get(pid):
        return None
    url = f"{svc.base}/f/{st.code}#t={svc.tokens.issue_followup(st.code, pid)}"
    opens = opens_at(st, svc.store.followup_date(st.code))
    return {"url": url, "qr": svc.qr_for(url), "opens_at": opens, "open": is_open(opens, svc.clock.now_ms())}


async def _trainee(request: Request) -> tuple[LiveSession, str, dict[str, Any]] | Response:
    """The session and trainee a follow-up token opens (and the body), or the 4xx that refuses it."""
    svc = _svc(request)
    data = await _json_body(request)
    if isinstance(data, Response):
        return data
    if not isinstance(data, dict) or not isinstance(data.get("token"), str):  # no credential at all
        status, code, _message = authz.http_refusal(_route(request), authz.ANONYMOUS) or (401, "unauthorized", "")
        return error(status, code, 'send {"token": "<the token of your follow-up link>", …}')
    code = request.path_params["code"]
    pid = svc.tokens.check_followup(code, data["token"]) if _valid_code(code) else None
    live = await svc.records.open(code) if pid is not None else None
    if live is None or pid is None or pid not in live.state.players:  # (as /me: a removed trainee has none)
        if (limited := _wrong_credential(request)) is not None:
            return limited
        return error(404, "unknown_followup", "that link opens no follow-up here")
    return live, pid, data


def _view(svc: Services, live: LiveSession, pid: str) -> dict[str, Any]:
    st = live.state
    opens = opens_at(st, svc.store.followup_date(st.code))
    return trainee_view(st, pid, svc.store.followup_entries(st.code), opens, svc.clock.now_ms())


async def trainee_page(request: Request) -> Response:
    found = await _trainee(request)
    if isinstance(found, Response):
        return found
    live, pid, _data = found
    return ORJSONResponse(_view(_svc(request), live, pid))


async def trainee_mark(request: Request) -> Response:
    svc = _svc(request)
    found = await _trainee(request)
    if isinstance(found, Response):
        return found
    live, pid, data = found
    st = live.state
    if not svc.limits.followup.take(f"{st.code} {pid}", time.monotonic()):
        return error(429, "rate_limited", "too many changes at once; wait a moment")
    now = svc.clock.now_ms()
    items = plan_items(st).get(pid, [])
    try:
        item, status, comment = check(items, opens_at(st, svc.store.followup_date(st.code)), now,
                                      data.get("item"), data.get("status"), data.get("comment"))
    except Refused as exc:
        return error(409 if exc.code == "followup_not_open" else 400, exc.code, exc.message)
    svc.store.put_followup(st.code, FollowUpEntry(pid, item, status, comment, now))
    return ORJSONResponse(_view(svc, live, pid))


async def trainer_summary(request: Request) -> Response:
    live = await _host_session(request)
    if isinstance(live, Response):
        return live
    svc = _svc(request)
    st = live.state
    chosen = svc.store.followup_date(st.code)
    opens = opens_at(st, chosen)
    return ORJSONResponse({"code": st.code, "title": st.title, "ended_at": st.ended_at,
                           "chosen": chosen is not None, "chosen_at": chosen,
                           **summary(st, svc.store.followup_entries(st.code), opens, svc.clock.now_ms())})


async def set_date(request: Request) -> Response:
    live = await _host_session(request)
    if isinstance(live, Response):
        return live
    svc = _svc(request)
    chosen = await chosen_date(request, svc)
    if isinstance(chosen, Response):
        return chosen
    svc.store.set_followup_date(live.code, chosen)
    return await trainer_summary(request)


async def chosen_date(request: Request, svc: Services) -> int | Response | None:
    """The date a follow-up body chooses (None: back to the default), or the 400 that refuses it."""
    data = await _json_body(request)
    if isinstance(data, Response):
        return data
    if isinstance(data, dict) and data.get("open_now") is True and set(data) == {"open_now"}:
        return svc.clock.now_ms()
    if isinstance(data, dict) and set(data) == {"opens_at"} and data["opens_at"] is None:
        return None
    if (isinstance(data, dict) and set(data) == {"opens_at"} and isinstance(data["opens_at"], int)
            and not isinstance(data["opens_at"], bool) and 0 < data["opens_at"] < MAX_DATE_MS):
        return int(data["opens_at"])
    return error(400, "bad_date", 'send {"opens_at": <epoch milliseconds> | null} or {"open_now": true}')
