"""Joins refused in one session, counted for the trainer's console.

A refused join changes no session state (nothing is stored), so these counts
are runtime facts of this process's room, not part of any view: the console's
``state`` frames carry them beside the view as ``joins_refused`` (see
docs/protocol.md). Only the last ``WINDOW`` seconds count, so the console
shows what is happening now; memory is bounded by ``MAX_KEPT``.
"""

from __future__ import annotations

from collections import Counter, deque
from typing import Any

REASONS = ("rate", "lock", "full", "ban")
CODE_REASON = {"rate_limited": "rate", "locked": "lock", "session_full": "full", "banned": "ban"}
WINDOW = 60.0  # seconds
MAX_KEPT = 10_000
TOP_ADDRESSES = 3


class JoinRefusals:
    def __init__(self) -> None:
        self._recent: deque[tuple[float, str, str]] = deque(maxlen=MAX_KEPT)  # (time, reason, address key)
        self.version = 0  # bumps on every refusal, for the console view cache

    def record(self, reason: str, address: str, now: float) -> None:
        self._recent.append((now, reason, address))
        self.version += 1

    def summary(self, now: float, rate: tuple[float, float], raised: bool) -> dict[str, Any] | None:
        """What the console shows, or None when no join was refused in the last WINDOW seconds."""
        while self._recent and self._recent[0][0] < now - WINDOW:
            self._recent.popleft()
        if not self._recent:
            return None
        reasons = Counter(reason for _t, reason, _a in self._recent)
        by_address = Counter(address for _t, _r, address in self._recent)
        return {
            "window_s": int(WINDOW),
            "total": len(self._recent),
            "by_reason": {r: reasons.get(r, 0) for r in REASONS},
            "addresses": [{"address": a, "refused": n} for a, n in by_address.most_common(TOP_ADDRESSES)],
            "limit": {"burst": rate[0], "per_second": rate[1], "raised": raised},
        }
