"""``GET /api/cohorts?deck=<id>`` (admin): the classes that played a deck, compared; ``.xlsx`` as a workbook.

The sessions of the deck (live and ended) are grouped into classes: by course when a session
belongs to one, else each session is a class of its own. ``groups=`` overrides that with the
trainer's own grouping: classes separated by ``|``, the codes of a class by ``,``
(``groups=123456,234567|345678``). Sessions that never started are left out. Each ended session
is rebuilt and reduced to counts (``sessions.cohorts``) off the event loop (``server/records.py``);
a live one is read on the loop, where it changes.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server.http_api import ORJSONResponse, _require_admin, _svc, _valid_code, error
from sessions.cohorts import compare, figures, follow_up, workbook
from sessions.i18n import local_text
from sessions.store import SessionRecord

MAX_SESSIONS = 60  # a deck's sessions compared at once (an ended one is rebuilt once: ~0.5 s, course deck)
MAX_GROUPS_PARAM = 2_000
CACHED_FIGURES = 1_000  # ended sessions' figures kept (counts only, a few KB each)


async def _gather(request: Request) -> tuple[dict[str, Any], list[tuple[str, list[dict[str, Any]]]],
                                             list[dict[str, Any]]] | Response:
    if (denied := _require_admin(request)) is not None:
        return denied
    svc = _svc(request)
    deck_id = request.query_params.get("deck", "")
    deck = svc.deck_catalogue().get(deck_id)
    if deck is None:
        return error(404 if deck_id else 400, "unknown_deck", "send deck=<the id of a deck>")
    records = [r for r in svc.store.list_sessions() if r.deck_id == deck_id][:MAX_SESSIONS]
    tz = svc.config.zone()

    def label(rec: SessionRecord) -> str:
        return f"{rec.title} · {local_text(rec.created_at, tz, '%Y-%m-%d')}"

    raw = request.query_params.get("groups")
    by_code = {r.code: r for r in records}
    if raw is not None:
        if len(raw) > MAX_GROUPS_PARAM:
            return error(400, "bad_groups", "groups= is too long")
        wanted = [[c.strip() for c in part.split(",") if c.strip()] for part in raw.split("|")]
        wanted = [g for g in wanted if g]
        seen = [c for g in wanted for c in g]
        if not wanted or len(seen) != len(set(seen)) or any(not _valid_code(c) or c not in by_code for c in seen):
            return error(400, "bad_groups", "groups= lists codes of this deck's sessions: 1,2|3 (each once)")
        plan = [(label(by_code[g[0]]) + (f" +{len(g) - 1}" if len(g) > 1 else ""), g) for g in wanted]
    else:
        courses: dict[str, list[str]] = {}
        for r in sorted(records, key=lambda r: r.created_at):
            courses.setdefault(f"course:{r.course_id}" if r.course_id else r.code, []).append(r.code)
        titles = {c.id: c.title for c in svc.store.list_courses()}

        def class_label(codes: list[str]) -> str:
            """A course is named by its title (all its days pooled); a lone session by its own."""
            course = by_code[codes[0]].course_id
            return titles.get(course, label(by_code[codes[0]])) if course else label(by_code[codes[0]])

        plan = [(class_label(codes), codes) for codes in courses.values()]

    cache = svc.cohort_figures  # a rebuild costs ~0.5 s; an ended session's figures never change

    async def one(code: str) -> dict[str, Any] | None:
        key = (code, by_code[code].created_at)  # (a deleted session's code may be given again)
        cached = cache.get(key)
        if cached is not None:  # an ended session: only its follow-up marks can have changed
            cache.move_to_end(key)
            return {**cached, "follow_up": follow_up(cached["plans"], svc.store.followup_entries(code))}
        live = await svc.records.open(code)
        if live is None:
            return None
        if live.state.phase != "ended":  # a live session changes on this loop: read it here, not in a thread
            return figures(live)
        fig = await asyncio.to_thread(figures, live)
        cache[key] = fig
        while len(cache) > CACHED_FIGURES:
            cache.popitem(last=False)
        return fig

    classes = []
    for name, codes in plan:
        figs = [f for f in [await one(c) for c in codes] if f is not None and f["started_at"] is not None]
        if figs:
            classes.append((name, figs))
    listing = [{"code": r.code, "title": r.title, "created_at": r.created_at, "ended_at": r.ended_at}
               for r in records]
    return {"id": deck.id, "title": deck.title}, classes, listing


async def compare_json(request: Request) -> Response:
    found = await _gather(request)
    if isinstance(found, Response):
        return found
    deck, classes, listing = found
    return ORJSONResponse({"deck": deck, "sessions": listing, **compare(classes)})


async def compare_xlsx(request: Request) -> Response:
    found = await _gather(request)
    if isinstance(found, Response):
        return found
    deck, classes, _listing = found
    lang = classes[0][1][0]["language"] if classes else "zh-CN"
    body = await asyncio.to_thread(workbook, compare(classes), deck["title"], lang)
    name = f"caseroom-cohorts-{deck['id']}.xlsx"
    return Response(body, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"content-disposition": f'attachment; filename="{name}"'})
