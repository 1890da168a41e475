"""The client's files, read once, compressed once, and served with caching a phone can rely on.

A room of phones loads the same few files at the same moment over one Wi-Fi, so every byte
counts twice: each text file is gzipped once when the server starts (level 9), and sent
compressed to every browser that accepts it. The whole client has one *version*, a hash of
every file: pages point at ``/static/v/<version>/…``, which may be cached for a year
(``immutable``: a phone that reloads asks for nothing), and the ES modules' relative imports
stay inside that prefix by themselves, with no build step. A new client is a new version.
``/static/<path>`` keeps working, revalidated by its ETag.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
SKIP_SUFFIXES = (".py", ".pyc")
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".html": "text/html; charset=utf-8", ".json": "application/json", ".svg": "image/svg+xml"}
COMPRESS_ABOVE = 512  # bytes; smaller files gain less than gzip's header costs


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    media_type: str
    etag: str


def _asset(body: bytes, suffix: str) -> Asset:
    media_type = TYPES.get(suffix) or mimetypes.guess_type(f"x{suffix}")[0] or "application/octet-stream"
    text = media_type.startswith(("text/", "application/json", "image/svg"))
    gzipped = gzip.compress(body, 9, mtime=0) if text and len(body) > COMPRESS_ABOVE else None
    return Asset(body, gzipped, media_type, f'"{hashlib.sha256(body).hexdigest()[:20]}"')


class ClientAssets:
    """Every file under ``root`` (but Python files), in memory, with its version prefix."""

    def __init__(self, root: Path) -> None:
        self.files: dict[str, Asset] = {}
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix not in SKIP_SUFFIXES and "__pycache__" not in path.parts:
                self.files[path.relative_to(root).as_posix()] = _asset(path.read_bytes(), path.suffix)
        digest = hashlib.sha256()
        for name, asset in self.files.items():
            digest.update(f"{name}\0{asset.etag}\0".encode())
        self.version = digest.hexdigest()[:12]
        self.prefix = f"/static/v/{self.version}/"
        self.pages: dict[str, Asset] = {}

    def page(self, name: str) -> Asset:
        """An HTML page whose ``/static/`` links point at this version (built once per page)."""
        page = self.pages.get(name)
        if page is None:
            html = self.files[name].body.decode("utf-8")
            html = html.replace('"/static/', f'"{self.prefix}')
            page = self.pages[name] = _asset(html.encode("utf-8"), ".html")
        return page

    def respond(self, request: Request, asset: Asset, cache: str, headers: dict[str, str] | None = None) -> Response:
        """The asset, gzipped where the browser takes it; 304 when its ETag is the browser's."""
        out = {"etag": asset.etag, "cache-control": cache, "vary": "accept-encoding", **(headers or {})}
        if asset.etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=out)
        body = asset.body
        if asset.gzipped is not None and "gzip" in request.headers.get("accept-encoding", ""):
            body = asset.gzipped
            out["content-encoding"] = "gzip"
        if request.method == "HEAD":
            out["content-length"] = str(len(body))
            return Response(status_code=200, headers=out, media_type=asset.media_type)
        return Response(body, headers=out, media_type=asset.media_type)

    async def static(self, request: Request) -> Response:
        """``/static/v/<version>/<path>`` (a year, immutable) and ``/static/<path>`` (revalidated)."""
        path = request.path_params["path"]
        cache = REVALIDATE
        if path.startswith("v/"):
            parts = path.split("/", 2)
            if len(parts) == 3:
                version, path = parts[1], parts[2]
                # An older page asking after an upgrade gets today's file, but not for a year.
                cache = IMMUTABLE if version == self.version else REVALIDATE
        asset = self.files.get(path)
        if asset is None:
            return Response('{"error": {"code": "not_found", "message": "no such file"}}', status_code=404,
                            media_type="application/json")
        return self.respond(request, asset, cache)
