"""The Starlette application: routes, static files and the start-up that restores sessions."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server import cohorts_api, courses_api, followup_api, http_api, pages
from server.config import Config
from server.services import Services
from server.socket import Socket
from server.supervisor import EXIT_GAVE_UP
from server.ws import websocket_endpoint
from sessions.clock import Clock
from sessions.hub import Hub
from sessions.store import Store

log = logging.getLogger("caseroom")


class SecurityHeaders:
    """Adds the baseline security headers to every HTTP response (pages set their own CSP)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                names = {k.lower() for k, _ in headers}
                for key, value in pages.SECURITY_HEADERS.items():
                    if key.encode() not in names and key != "cache-control":
                        headers.append((key.encode(), value.encode()))
            await send(message)

        await self.app(scope, receive, send_with_headers)


class WebSocketFastPath:
    """``/ws`` goes straight to the websocket endpoint; everything else to the Starlette app.

    Starlette runs every websocket frame a phone is sent through each middleware layer's
    ``send`` wrapper and its routing closures, and keeps a dozen coroutine frames per
    connection alive while it waits for the next message. The websocket endpoint needs none
    of it (no HTTP headers, no exception pages: ``server/ws.py`` answers every fault itself),
    so its connections skip the stack. With thousands of phones that is a large share of the
    CPU of an answer burst and of the memory per phone (bench/README.md).
    """

    def __init__(self, app: Starlette, path: str = "/ws") -> None:
        self.app = app
        self.path = path

    @property
    def state(self) -> Any:
        return self.app.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and scope["path"] == self.path:
            scope["app"] = self.app  # what Starlette would set: the endpoint reads app.state
            await websocket_endpoint(Socket(scope, receive, send))
            return
        await self.app(scope, receive, send)


def create_app(config: Config | None = None, *, clock: Clock | None = None,
               store: Store | None = None, hub: Hub | None = None) -> WebSocketFastPath:
    config = config or Config.from_env()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        svc = Services.build(config, clock=clock, store=store, hub=hub)
        app.state.services = svc
        check = getattr(svc.store, "check", lambda: "ok")()
        if check != "ok":
            log.error("the database reports damage: %s; opening what is readable", check)
        restored = await svc.start()
        log.info("caseroom ready: %d live session(s) restored", restored)
        try:
            yield
        finally:
            # Graceful shutdown: uvicorn has stopped accepting and asked sockets to close
            # (1012, "restart: reconnect"); finish every command already queued, then stop.
            await svc.stop()
            for room in svc.rooms.rooms.values():
                await room.close_all(1012)
                room.close()
            svc.store.close()
            log.info("caseroom stopped: %d command(s) in %d commit(s)", svc.committer.commands,
                     svc.committer.batches)
            if svc.supervisor.gave_up:  # a task kept dying: exit non-zero so systemd starts a fresh process
                logging.shutdown()
                os._exit(EXIT_GAVE_UP)

    async def favicon(request: object) -> Response:
        return Response(status_code=204)

    routes = [
        Route("/healthz", http_api.healthz),
        Route("/api/decks", http_api.list_decks, methods=["GET"]),
        Route("/api/decks", http_api.upload_deck, methods=["POST"]),
        Route("/api/sessions", http_api.create_session, methods=["POST"]),
        Route("/api/sessions", http_api.list_sessions, methods=["GET"]),
        Route("/api/sessions/{code}", http_api.session_public, methods=["GET"]),
        Route("/api/sessions/{code}", http_api.delete_session, methods=["DELETE"]),
        Route("/api/sessions/{code}/export", http_api.export_session, methods=["GET"]),
        Route("/api/sessions/{code}/review", http_api.review_session, methods=["GET"]),
        Route("/api/sessions/{code}/replay", http_api.replay_session, methods=["GET"]),
        Route("/api/sessions/{code}/regroup", http_api.regroup_preview, methods=["GET"]),
        Route("/api/sessions/{code}/me", http_api.personal_record, methods=["POST"]),
        Route("/api/sessions/{code}/followup", followup_api.trainee_page, methods=["POST"]),
        Route("/api/sessions/{code}/followup/items", followup_api.trainee_mark, methods=["POST"]),
        Route("/api/sessions/{code}/followup", followup_api.trainer_summary, methods=["GET"]),
        Route("/api/sessions/{code}/followup", followup_api.set_date, methods=["PUT"]),
        Route("/api/cohorts", cohorts_api.compare_json, methods=["GET"]),
        Route("/api/cohorts.xlsx", cohorts_api.compare_xlsx, methods=["GET"]),
        Route("/api/sessions/{code}/roster", courses_api.session_roster, methods=["GET"]),
        Route("/api/courses", courses_api.create_course, methods=["POST"]),
        Route("/api/courses", courses_api.list_courses, methods=["GET"]),
        Route("/api/courses/{course}/roster", courses_api.put_roster, methods=["PUT"]),
        Route("/api/courses/{course}/roster", courses_api.get_roster, methods=["GET"]),
        Route("/api/courses/{course}/export", courses_api.course_export, methods=["GET"]),
        Route("/api/courses/{course}/codes", courses_api.post_codes, methods=["POST"]),
        Route("/api/courses/{course}/followup", courses_api.set_followup, methods=["PUT"]),
        Route("/api/courses/{course}", courses_api.delete_course, methods=["DELETE"]),
        Route("/api/courses/{course}/people/{person}", courses_api.delete_person, methods=["DELETE"]),
        WebSocketRoute("/ws", websocket_endpoint),  # (reached only through WebSocketFastPath)
        Route("/", pages.phone),
        Route("/j/{code}", pages.phone),
        Route("/host/{code}", pages.host),
        Route("/console/{code}", pages.console),
        Route("/trainer", pages.trainer),
        Route("/f/{code}", pages.followup),
        Route("/favicon.ico", favicon),
        Route("/media/{name}", http_api.media_file, methods=["GET"]),
        Route("/static/{path:path}", pages.ASSETS.static, methods=["GET"]),
    ]
    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        codes = {404: "not_found", 405: "method_not_allowed"}
        return http_api.error(exc.status_code, codes.get(exc.status_code, "bad_request"), str(exc.detail))

    app = Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(SecurityHeaders)],
                    exception_handlers={HTTPException: http_error})
    return WebSocketFastPath(app)
