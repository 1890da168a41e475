"""Who may do what: the authorisation matrix, in one place.

Every websocket message and every HTTP route is checked here against the
caller's role before anything else happens; ``docs/security.md`` prints the
same tables, and ``tests/test_authz.py`` walks every cell through a real
server. The core checks again (only ``host`` may send commands, only an
observer may score a role-play): defence in depth, not the first line.

Roles: ``anonymous`` (a socket that has not identified itself, or an HTTP
request without a valid token), ``player`` (after join/resume; a role-play
*observer* is a player whose role in the current role-play is observer),
``screen`` and ``console`` (after ``host`` with the session's host key or the
admin token), ``host`` (HTTP with a session's host key) and ``admin`` (HTTP
with the admin token).
"""

from __future__ import annotations

from sessions.errors import Refused

ANONYMOUS, PLAYER, SCREEN, CONSOLE, HOST, ADMIN = "anonymous", "player", "screen", "console", "host", "admin"
SOCKET_ROLES = (ANONYMOUS, PLAYER, SCREEN, CONSOLE)

# websocket message type -> roles that may send it
WS_MATRIX: dict[str, frozenset[str]] = {
    "join": frozenset({ANONYMOUS}),
    "resume": frozenset({ANONYMOUS}),
    "host": frozenset({ANONYMOUS}),
    "ping": frozenset({ANONYMOUS, PLAYER, SCREEN, CONSOLE}),
    "submit": frozenset({PLAYER}),
    "command": frozenset({CONSOLE}),
}

# HTTP route -> roles that may call it ("anyone" routes are not listed: pages, /healthz, static files)
HTTP_MATRIX: dict[str, frozenset[str]] = {
    "GET /api/decks": frozenset({ADMIN}),
    "POST /api/decks": frozenset({ADMIN}),
    "POST /api/sessions": frozenset({ADMIN}),
    "GET /api/sessions": frozenset({ADMIN}),
    "GET /api/sessions/{code}": frozenset({ANONYMOUS, PLAYER, HOST, ADMIN}),
    "DELETE /api/sessions/{code}": frozenset({ADMIN}),
    "GET /api/sessions/{code}/export": frozenset({HOST, ADMIN}),
    "GET /api/sessions/{code}/review": frozenset({HOST, ADMIN}),
    "GET /api/sessions/{code}/replay": frozenset({HOST, ADMIN}),
    "GET /api/sessions/{code}/regroup": frozenset({HOST, ADMIN}),
    "POST /api/sessions/{code}/me": frozenset({PLAYER}),
    # Follow-up: the trainee by their follow-up link's token (a player, weeks later); the trainer.
    "POST /api/sessions/{code}/followup": frozenset({PLAYER}),
    "POST /api/sessions/{code}/followup/items": frozenset({PLAYER}),
    "GET /api/sessions/{code}/followup": frozenset({HOST, ADMIN}),
    "PUT /api/sessions/{code}/followup": frozenset({HOST, ADMIN}),
    "GET /api/cohorts": frozenset({ADMIN}),
    "GET /api/cohorts.xlsx": frozenset({ADMIN}),
    "GET /api/sessions/{code}/roster": frozenset({ANONYMOUS, PLAYER, HOST, ADMIN}),
    "POST /api/courses": frozenset({ADMIN}),
    "GET /api/courses": frozenset({ADMIN}),
    "PUT /api/courses/{course}/roster": frozenset({ADMIN}),
    "GET /api/courses/{course}/roster": frozenset({ADMIN}),
    "GET /api/courses/{course}/export": frozenset({ADMIN}),
    "POST /api/courses/{course}/codes": frozenset({ADMIN}),
    "PUT /api/courses/{course}/followup": frozenset({ADMIN}),
    "DELETE /api/courses/{course}": frozenset({ADMIN}),
    "DELETE /api/courses/{course}/people/{person}": frozenset({ADMIN}),
}


def check_message(role: str, msg_type: str) -> None:
    """Raise the documented refusal when ``role`` may not send ``msg_type``."""
    allowed = WS_MATRIX.get(msg_type)
    if allowed is None or role in allowed:
        return
    if role == ANONYMOUS:
        raise Refused("not_joined", "send join, resume or host first")
    if msg_type in ("join", "resume", "host"):
        raise Refused("already_joined", "this connection has already identified itself")
    if msg_type == "command":
        raise Refused("forbidden", "only the trainer's console sends commands")
    raise Refused("forbidden", "only players submit answers")


def http_refusal(route: str, role: str) -> tuple[int, str, str] | None:
    """(status, code, message) when ``role`` may not call ``route``; None when it may."""
    allowed = HTTP_MATRIX[route]
    if role in allowed:
        return None
    if role == ANONYMOUS:
        return 401, "unauthorized", "send Authorization: Bearer <token>"
    return 403, "forbidden", "that token does not allow this"
