"""The interface every activity kind implements.

A kind is pure and synchronous: it validates its part of a deck, checks an
answer against its own state, folds answers into that state, scores, and
renders its part of each audience's view. The session core
(``sessions/core.py``) owns everything generic around it: which activity is
current, its status, steps and deadlines, who may answer, group modes
(consensus and majority are built from a kind's ``combine``), sequence
numbers, awards and the leaderboard. Adding a kind is one new module,
listed in ``games/kinds.py`` (the registry); nothing dispatches on kind names.
This module imports no kind, so every kind can import it.

Answers are keyed by an *answerer*: a player id, or a group id when a group
answers as one. ``scores`` returns points per answerer; the core credits a
group answer to every member of the group.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from games.checker import Checker
from games.errors import Refused
from games.media import MediaRef
from games.yamlsource import Path

INDIVIDUAL, GROUP, CONSENSUS, MAJORITY = "individual", "group", "group-consensus", "group-majority"
MODES = (INDIVIDUAL, GROUP, CONSENSUS, MAJORITY)
# individual: each player answers for themself.
# group: any member acts for the group at once (discussion posts).
# group-consensus: any member proposes the group's answer, another member confirms it.
# group-majority: every member answers; the group's answer is the kind's ``combine`` of them.


@dataclass(frozen=True)
class Step:
    """One timed phase inside an open activity (vote: answer; roleplay: prep, play, scoring)."""

    name: str
    seconds: int | None


@dataclass(frozen=True)
class Criterion:
    id: str
    title: str
    anchors: dict[int, str]


@dataclass(frozen=True)
class Rubric:
    id: str
    title: str
    criteria: tuple[Criterion, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title,
                "criteria": [{"id": c.id, "title": c.title,
                              "anchors": {str(k): v for k, v in sorted(c.anchors.items())}}
                             for c in self.criteria]}


@dataclass(frozen=True)
class DeckContext:
    """What a kind may look up in the rest of the deck while it validates."""

    scoring: dict[str, int]
    modules: dict[str, str]
    rubrics: dict[str, Rubric]
    # The bundle's media files by relative path, and the files it holds that were refused (why).
    media: Mapping[str, MediaRef] = field(default_factory=dict)
    media_problems: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Timing:
    """When the current run of an activity opened and when its answer step must close (epoch ms)."""

    opened_at: int
    deadline: int | None


@dataclass(frozen=True)
class Who:
    """Who is acting: the person, and the answerer their answer counts for."""

    pid: str
    key: str  # the answerer: pid, or the group id in a group mode
    group: str | None


@dataclass(frozen=True)
class Scope:
    """The room as it was when the activity started, for kinds that deal roles."""

    members: dict[str, tuple[str, ...]]  # group id -> player ids in join order
    players: tuple[str, ...]
    focus_group: str | None = None
    names: dict[str, str] = field(default_factory=dict)


class ActivityKind(ABC):
    name: str
    modes: tuple[str, ...] = (INDIVIDUAL,)
    replayable = False
    # True when one answer changes no other player's view (only the answerer's and their
    # group's): the driver then re-renders just those phones, not the whole room.
    private_answers = True
    # Keys of ``public`` that show how the room is answering (a tally, a histogram). The screen
    # withholds them while the activity is open unless the trainer chose live results, so the
    # room does not herd to the leading answer; the console always has them.
    results_fields: tuple[str, ...] = ()
    # True for kinds where every player gives one answer (vote, order, estimate): played one by
    # one, such a card closes by itself once every connected player has answered.
    closes_when_all_answered = False

    @abstractmethod
    def allowed_keys(self) -> set[str]:
        """Keys this kind accepts in a deck activity, beyond the common ones."""

    @abstractmethod
    def parse(self, raw: dict[str, Any], path: Path, ck: Checker, ctx: DeckContext) -> Any:
        """Validate the kind-specific keys of one deck activity; return a frozen config."""

    def steps(self, config: Any) -> tuple[Step, ...]:
        """The timed steps of an open activity; answers are taken in ``answer_steps``."""
        return (Step("answer", getattr(config, "time_limit", None)),)

    def answer_steps(self, config: Any) -> tuple[str, ...]:
        return ("answer",)

    def planned_seconds(self, config: Any) -> int:
        """Planned seconds of the timed part (an agenda's plan adds the reveal/debrief allowance)."""
        return sum(s.seconds or 0 for s in self.steps(config)) * self.rounds(config)

    @abstractmethod
    def new_state(self, config: Any, scope: Scope) -> Any:
        """A fresh state for one run of the activity."""

    @abstractmethod
    def check_answer(self, config: Any, state: Any, who: Who, answer: Any, step: str) -> dict[str, Any]:
        """Validate an answer against the rules and the state; return its normal form or raise."""

    @abstractmethod
    def apply_answer(self, config: Any, state: Any, who: Who, answer: dict[str, Any], at: int) -> None:
        """Fold one stored answer into the state."""

    def check_action(self, config: Any, state: Any, action: str, args: dict[str, Any],
                     step: str) -> dict[str, Any]:
        """Validate a trainer action on this activity (moderate a post, score a role-play)."""
        raise Refused("unknown_action", f"'{action}' is not an action of a {self.name}")

    def apply_action(self, config: Any, state: Any, data: dict[str, Any], at: int) -> None:
        """Fold a stored trainer action into the state."""
        return None

    def on_step(self, config: Any, state: Any, step: str, round_no: int) -> None:
        """Called when the activity enters a step (role-plays re-deal roles each round)."""
        return None

    def rounds(self, config: Any) -> int:
        return 1

    def combine(self, answers: list[dict[str, Any]]) -> dict[str, Any] | None:
        """A group's answer from its members' answers (group-majority mode)."""
        return None

    def answers(self, state: Any) -> dict[str, dict[str, Any]]:
        """The counted answer of each answerer (for group-majority and exports)."""
        return {}

    @abstractmethod
    def scores(self, config: Any, state: Any, timing: Timing) -> dict[str, int]:
        """Points per answerer for this run, credited when the activity is revealed."""

    def group_bonus(self, config: Any, state: Any) -> dict[str, int]:
        """Points credited to groups themselves (a role-play's score goes to the group too)."""
        return {}

    @abstractmethod
    def submitted(self, state: Any) -> int:
        """How many answerers have an answer in."""

    @abstractmethod
    def public(self, config: Any, state: Any, revealed: bool) -> dict[str, Any]:
        """Kind fields of the screen view: never a secret, never an answer key before ``revealed``."""

    def private(self, config: Any, state: Any) -> dict[str, Any]:
        """Kind fields only the console sees (answer keys, role briefs)."""
        return {}

    @abstractmethod
    def player(self, config: Any, state: Any, who: Who, revealed: bool) -> dict[str, Any]:
        """Kind fields of one player's view."""

    @abstractmethod
    def outline(self, config: Any) -> dict[str, Any]:
        """What a review or an export needs about the card (title, options, recommendation)."""

    def review(self, config: Any, state: Any) -> dict[str, Any]:
        """How the room did, for the review screen and exports."""
        return {}

