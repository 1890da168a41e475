"""Media files of a deck bundle: which types are allowed, how they are recognised, their limits.

A slide names its image, video or audio by a path relative to the bundle (the
deck's folder or zip). A file is accepted only when its extension *and* its
first bytes agree on one of a few passive formats: PNG, JPEG, WebP, MP4, WebM,
MP3, OGG. SVG and HTML are never media here: a browser would run their script
from our own origin. Every accepted file is known by the SHA-256 of its bytes,
so its URL (``/media/<sha256>.<ext>``) never changes meaning and can be cached
forever, and two decks holding the same file store it once.
"""

from __future__ import annotations

import hashlib
import posixpath
from dataclasses import dataclass
from typing import Any

MEDIA_PREFIX = "/media/"

# extension -> (MIME type, family)
TYPES: dict[str, tuple[str, str]] = {
    ".png": ("image/png", "image"),
    ".jpg": ("image/jpeg", "image"),
    ".jpeg": ("image/jpeg", "image"),
    ".webp": ("image/webp", "image"),
    ".mp4": ("video/mp4", "video"),
    ".webm": ("video/webm", "video"),
    ".mp3": ("audio/mpeg", "audio"),
    ".ogg": ("audio/ogg", "audio"),
}
# The canonical extension of each MIME type, for URLs.
EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp", "video/mp4": ".mp4",
              "video/webm": ".webm", "audio/mpeg": ".mp3", "audio/ogg": ".ogg"}
MAX_BYTES = {"image": 5_000_000, "audio": 20_000_000, "video": 50_000_000}
MAX_PATH = 200  # characters of a relative path inside a bundle


@dataclass(frozen=True)
class MediaRef:
    """One media file of a bundle: where the deck names it, and what it is."""

    path: str  # relative, normalised ("media/three-step.png")
    sha256: str
    type: str  # MIME type
    size: int

    @property
    def family(self) -> str:
        return self.type.split("/", 1)[0]

    @property
    def url(self) -> str:
        return f"{MEDIA_PREFIX}{self.sha256}{EXTENSIONS[self.type]}"

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "sha256": self.sha256, "type": self.type, "size": self.size}


def sniff(data: bytes) -> str | None:
    """The MIME type the first bytes announce, among the allowed ones (None: none of them)."""
    head = data[:16]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        return "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    return None


def clean_path(raw: str) -> str | None:
    """A bundle-relative path in normal form, or None when it is absolute or leaves the bundle."""
    if not raw or len(raw) > MAX_PATH or "\\" in raw or "\x00" in raw or raw.startswith("/") \
            or (len(raw) > 1 and raw[1] == ":"):
        return None
    norm = posixpath.normpath(raw)
    if norm in (".", "") or norm.startswith("../") or norm == ".." or norm.startswith("/"):
        return None
    return norm


def expected_type(path: str) -> tuple[str, str] | None:
    """(MIME type, family) an extension promises, or None when the extension is not allowed."""
    return TYPES.get(posixpath.splitext(path)[1].lower())


def check_file(path: str, data: bytes) -> tuple[MediaRef | None, str | None]:
    """A media file's reference, or why it is refused (type, magic bytes, size)."""
    want = expected_type(path)
    if want is None:
        allowed = ", ".join(sorted({e.lstrip(".").upper() for e in TYPES}))
        return None, f"'{path}' is not an allowed media type (allowed: {allowed}; never SVG or HTML)"
    mime, family = want
    if len(data) > MAX_BYTES[family]:
        return None, f"'{path}' is {len(data):,} bytes; a {family} file may have at most {MAX_BYTES[family]:,}"
    if len(data) == 0:
        return None, f"'{path}' is empty"
    found = sniff(data)
    if found != mime:
        return None, f"'{path}' does not hold what its name says: its first bytes are not {mime}"
    return MediaRef(path, hashlib.sha256(data).hexdigest(), mime, len(data)), None
