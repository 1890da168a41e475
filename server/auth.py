"""Secrets: the admin token, host keys and players' resume tokens.

Every secret comes from ``secrets`` (a cryptographic source), is compared in
constant time, and is never logged. Host keys are stored only as SHA-256
hashes. A player's resume token is ``<player id>.<HMAC of session code and
player id>`` under a server secret kept in the store, so a restarted server
(or, later, another process) can check it without a token table, and a resent
join can be answered with the very same token.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from sessions.store import Store

TOKEN_FILE = "admin_token"
FOLLOWUP = "followup:"  # the MAC purpose of follow-up links


def new_secret(nbytes: int = 24) -> str:
    return secrets.token_urlsafe(nbytes)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def private_data_dir(data_dir: Path) -> Path:
    """Make the data directory the owner's alone: the directory 0700, every file in it 0600.

    The database holds the key that signs resume tokens: whoever reads it can act as any trainee.
    Called by every command that uses the directory (serve, db upgrade, export), whatever made the
    directory or its files before (an older caseroom, a umask of 022, an administrator's mkdir).
    """
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(data_dir, 0o700)
    for entry in data_dir.iterdir():
        if entry.is_file() and not entry.is_symlink():
            os.chmod(entry, 0o600)
    return data_dir


def admin_token(data_dir: Path, configured: str | None) -> str:
    """The configured token, or the one generated once and kept (owner-only) in the data dir."""
    private_data_dir(data_dir)
    if configured:
        return configured
    path = data_dir / TOKEN_FILE
    if path.exists():
        token = path.read_text().strip()
        if token:
            return token
    token = new_secret(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(token + "\n")
    return token


def new_join_code(taken: object) -> str:
    """A 6-digit code from a cryptographic source, not used by any session in the store."""
    assert callable(taken)
    for _ in range(1000):
        code = f"{secrets.randbelow(900_000) + 100_000}"
        if not taken(code):
            return code
    raise RuntimeError("no free join code")


class PlayerTokens:
    def __init__(self, store: Store) -> None:
        # Every process sharing a database must sign with the same key: first writer wins.
        self._key = store.setting_default("token_secret", new_secret(32)).encode()

    def _mac(self, code: str, pid: str, seat: int = 0, purpose: str = "") -> str:
        message = f"{purpose}{code}:{pid}" if not seat else f"{purpose}{code}:{pid}:{seat}"
        return hmac.new(self._key, message.encode(), hashlib.sha256).hexdigest()[:32]

    def issue(self, code: str, pid: str, seat: int = 0) -> str:
        """The resume token; ``seat`` counts how often a rostered trainee moved to another phone
        (``seat_moved``): a new seat is a new token, and the old phone's stops working."""
        return f"{pid}.{self._mac(code, pid)}" if not seat else f"{pid}~{seat}.{self._mac(code, pid, seat)}"

    def check(self, code: str, token: object, seats: Mapping[str, int] | None = None) -> str | None:
        """The player id a token belongs to, or None for a forged or foreign token; with ``seats``
        (the session's), also None for the token of a seat that has moved since."""
        if not isinstance(token, str) or len(token) > 100 or "." not in token:
            return None
        who, mac = token.split(".", 1)
        pid, _, seat_text = who.partition("~")
        seat = int(seat_text) if seat_text.isascii() and seat_text.isdigit() and len(seat_text) < 6 else 0
        if seat_text and not seat:
            return None
        if not same(mac, self._mac(code, pid, seat)):
            return None
        if seats is not None and seats.get(pid, 0) != seat:
            return None
        return pid

    # A follow-up link is printed on paper and held in a QR code, weeks after the session: it
    # opens the trainee's follow-up page and nothing else (not their seat in a live session),
    # so it is a MAC under the same key for another purpose, never the resume token itself.
    def issue_followup(self, code: str, pid: str) -> str:
        return f"{pid}.{self._mac(code, pid, purpose=FOLLOWUP)}"

    def check_followup(self, code: str, token: object) -> str | None:
        """The player id a follow-up token belongs to, or None."""
        if not isinstance(token, str) or len(token) > 100 or "." not in token:
            return None
        pid, mac = token.split(".", 1)
        return pid if same(mac, self._mac(code, pid, purpose=FOLLOWUP)) else None
