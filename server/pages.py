"""The three pages and the trainer's start page, served from client/ with strict headers.

Pages are static files: the code or key they need comes from the URL path or
fragment, read by the page's own script. The Content-Security-Policy forbids
inline script and any origin but our own, so even a name that slipped past
every other check could not run.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response

CLIENT_DIR = Path(__file__).resolve().parent.parent / "client"

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'self'")

SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
    "cache-control": "no-cache",
}


def _page(name: str) -> Response:
    return FileResponse(CLIENT_DIR / name, media_type="text/html; charset=utf-8",
                        headers=SECURITY_HEADERS)


async def phone(request: Request) -> Response:
    return _page("phone.html")


async def host(request: Request) -> Response:
    return _page("host.html")


async def console(request: Request) -> Response:
    return _page("console.html")


async def trainer(request: Request) -> Response:
    return _page("trainer.html")
