"""Events: the only truth about a session.

An event is a frozen record with the session's sequence number, the server time
it happened at, its type, who caused it (``actor``: a player id, ``"host"`` or
``"system"``), the client's message id when there was one, and a JSON-able
``data`` dict. State, views, reviews and exports are all folds of the list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Event:
    seq: int
    at: int  # epoch milliseconds, server clock
    type: str
    actor: str = "system"
    client_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "type": self.type,
            "actor": self.actor,
            "client_id": self.client_id,
            "data": self.data,
        }


@dataclass(frozen=True, slots=True)
class Draft:
    """An event decided by the core but not yet numbered; the runtime assigns seq."""

    type: str
    data: dict[str, Any] = field(default_factory=dict)
