"""The interface every activity kind implements, and the registry of kinds.

A kind is pure and synchronous: it validates its part of a deck, checks an
answer, folds answers into its own state, scores, and renders its part of each
audience's view. The session core (``sessions/core.py``) owns everything
generic around it: which activity is current, its status and deadline, who
may submit, sequence numbers, awards and the leaderboard. Adding a kind is one
new module registered in ``KINDS`` below, never an if/elif over kind names.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from games.checker import Checker
from games.yamlsource import Path


@dataclass(frozen=True)
class Timing:
    """When the current run of an activity opened and when it must close (epoch ms)."""

    opened_at: int
    deadline: int | None


class ActivityKind(ABC):
    name: str

    @abstractmethod
    def parse(self, raw: dict[str, Any], path: Path, ck: Checker, scoring: dict[str, int]) -> Any:
        """Validate the kind-specific keys of one deck activity; return a frozen config."""

    @abstractmethod
    def allowed_keys(self) -> set[str]:
        """Keys this kind accepts in a deck activity, beyond the common ones."""

    def time_limit(self, config: Any) -> int | None:
        """Seconds the activity stays open once started, or None for no limit."""
        return getattr(config, "time_limit", None)

    @abstractmethod
    def new_state(self, config: Any) -> Any:
        """A fresh, empty state for one run of the activity."""

    @abstractmethod
    def check_answer(self, config: Any, answer: Any) -> dict[str, Any]:
        """Validate a submitted answer; return its normal form or raise Refused."""

    @abstractmethod
    def apply_answer(self, config: Any, state: Any, player_id: str, answer: dict[str, Any],
                     at: int) -> None:
        """Fold one stored answer into the state (the last answer of a player counts)."""

    @abstractmethod
    def scores(self, config: Any, state: Any, timing: Timing) -> dict[str, int]:
        """Points per player id for this run, credited when the activity is revealed."""

    @abstractmethod
    def submitted(self, state: Any) -> int:
        """How many players have a counted answer."""

    @abstractmethod
    def public(self, config: Any, state: Any, revealed: bool) -> dict[str, Any]:
        """Kind fields of the screen view: never a secret before ``revealed``."""

    @abstractmethod
    def private(self, config: Any) -> dict[str, Any]:
        """Kind fields only the console sees before the reveal (the recommended answer)."""

    @abstractmethod
    def player(self, config: Any, state: Any, player_id: str, revealed: bool,
               points: int | None) -> dict[str, Any]:
        """Kind fields of one player's view."""

    @abstractmethod
    def outline(self, config: Any) -> dict[str, Any]:
        """What an export or review needs about the card (title, options, recommendation)."""


KINDS: dict[str, ActivityKind] = {}


def register(kind: ActivityKind) -> ActivityKind:
    KINDS[kind.name] = kind
    return kind


def kind_of(name: str) -> ActivityKind | None:
    # Import for the side effect of registration, kept lazy so that a kind
    # module can import this one.
    from games import vote  # noqa: F401

    return KINDS.get(name)
