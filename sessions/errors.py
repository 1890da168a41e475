"""One error hierarchy for the core.

    CaseroomError
     ├── Refused          the client's fault: a command that may not happen now.
     │    │               Carries a snake_case ``code`` that goes on the wire in an
     │    │               ``error`` frame; the state is untouched.
     │    └── NotFound    the thing named does not exist (unknown session, activity, player)
     └── DeckInvalid      a deck file that does not validate; carries every problem found

Anything else raised inside the core is *our* fault: the driver logs it and
closes the socket with 1011, it never reaches a client as a message.
"""

from __future__ import annotations

from dataclasses import dataclass


class CaseroomError(Exception):
    """Base class of every error the core raises on purpose."""


class Refused(CaseroomError):
    """A command refused by the rules; nothing changed."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class NotFound(Refused):
    """The session, activity, player or group named does not exist."""


@dataclass(frozen=True)
class DeckProblem:
    """One problem in a deck file: where it is and what is wrong, in plain words."""

    path: str
    line: int | None
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"path": self.path, "line": self.line, "message": self.message}

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.path}: {self.message}" if self.path else f"{where}{self.message}"


class DeckInvalid(CaseroomError):
    """A deck that failed validation; ``problems`` lists all of them, not just the first."""

    def __init__(self, problems: list[DeckProblem], source: str = "") -> None:
        self.problems = problems
        self.source = source
        super().__init__("; ".join(str(p) for p in problems[:5]))
