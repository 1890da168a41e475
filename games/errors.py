"""The errors a kind or a deck raises on purpose.

    CaseroomError
     ├── Refused          the client's fault: a command that may not happen now.
     │                    Carries a snake_case ``code`` that goes on the wire in an
     │                    ``error`` frame; the state is untouched.
     └── DeckInvalid      a deck file that does not validate; carries every problem found

They live here, in the kinds' package, because games/ is the ground floor:
sessions/ uses games/ and never the other way round. ``sessions/errors.py``
hands them on and adds the core's own (``NotFound``).
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
