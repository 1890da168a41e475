"""The three pages, the trainer's start page and the trainee's follow-up page, served from client/ with strict headers.

Pages are static files: the code or key they need comes from the URL path or
fragment, read by the page's own script. The Content-Security-Policy forbids
inline script and any origin but our own, so even a name that slipped past
every other check could not run.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from server.assets import REVALIDATE, ClientAssets

CLIENT_DIR = Path(__file__).resolve().parent.parent / "client"
ASSETS = ClientAssets(CLIENT_DIR)  # read once: the client is part of the release (server/assets.py)

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


def _page(request: Request, name: str) -> Response:
    """A page, its links pointing at this release's long-cached files; the page itself is
    revalidated (its ETag), so a new release reaches every phone on its next load."""
    return ASSETS.respond(request, ASSETS.page(name), REVALIDATE, SECURITY_HEADERS)


async def phone(request: Request) -> Response:
    return _page(request, "phone.html")


async def host(request: Request) -> Response:
    return _page(request, "host.html")


async def console(request: Request) -> Response:
    return _page(request, "console.html")


async def trainer(request: Request) -> Response:
    return _page(request, "trainer.html")


async def followup(request: Request) -> Response:
    return _page(request, "followup.html")
