"""``order``: put 3-8 steps in the right order (三段式法则, the complaint-handling flow...).

Partial credit by how close the order is: points x (1 - d / d_max), where d is
the Kendall tau distance (the number of step pairs in the wrong relative
order) and d_max = n(n-1)/2. Phones show the steps in a fixed shuffle derived
from the activity id, so every phone sees the same starting order and no
phone sees the answer.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from typing import Any

from games.base import CONSENSUS, INDIVIDUAL, MAJORITY, ActivityKind, DeckContext, Timing, Who
from games.cards import Card, LegalRef, parse_card, parse_legal_basis
from games.checker import Checker
from games.errors import Refused
from games.rounding import half_up
from games.yamlsource import Path


@dataclass(frozen=True)
class OrderConfig:
    card: Card | None
    steps: tuple[tuple[str, str], ...]  # (id, text) in the correct order
    shuffled: tuple[str, ...]
    points: int
    rationale: str
    legal_basis: tuple[LegalRef, ...]
    time_limit: int | None


@dataclass
class OrderState:
    answers: dict[str, tuple[tuple[str, ...], int]]


def kendall_distance(order: tuple[str, ...] | list[str], correct: tuple[str, ...]) -> int:
    pos = {s: i for i, s in enumerate(order)}
    ranks = [pos[s] for s in correct]
    return sum(1 for i in range(len(ranks)) for j in range(i + 1, len(ranks)) if ranks[i] > ranks[j])


def order_points(order: tuple[str, ...], correct: tuple[str, ...], points: int) -> int:
    worst = len(correct) * (len(correct) - 1) // 2
    return half_up(points * (1 - kendall_distance(order, correct) / worst))


def _shuffle(ids: list[str], seed: str) -> tuple[str, ...]:
    """A stable shuffle that is never the correct order (for 3+ steps)."""
    keyed = sorted(ids, key=lambda s: hashlib.sha256(f"{seed}:{s}".encode()).hexdigest())
    if keyed == ids:
        keyed = keyed[1:] + keyed[:1]
    return tuple(keyed)


class Order(ActivityKind):
    name = "order"
    modes = (INDIVIDUAL, CONSENSUS, MAJORITY)
    closes_when_all_answered = True

    def allowed_keys(self) -> set[str]:
        return {"card", "steps", "points", "rationale", "legal_basis", "time_limit", "mode"}

    def parse(self, raw: dict[str, Any], path: Path, ck: Checker, ctx: DeckContext) -> OrderConfig:
        steps: list[tuple[str, str]] = []
        for i, item in enumerate(ck.seq(raw, "steps", path, lo=3, hi=8)):
            p = (*path, "steps", i)
            m = ck.mapping(item, p, {"id", "text"}, {"id", "text"})
            steps.append((ck.ident(m, "id", p) or f"s{i + 1}", ck.text(m, "text", p, max_len=200)))
        ck.unique([(s[0], (*path, "steps", i)) for i, s in enumerate(steps)], "step")
        ids = [s[0] for s in steps]
        return OrderConfig(
            card=parse_card(raw["card"], (*path, "card"), ck) if "card" in raw else None,
            steps=tuple(steps),
            shuffled=_shuffle(ids, str(raw.get("id", ""))),
            points=ck.integer(raw, "points", path, lo=0, hi=1000, default=100) or 0,
            rationale=ck.text(raw, "rationale", path, max_len=3000),
            legal_basis=parse_legal_basis(raw, path, ck),
            time_limit=ck.integer(raw, "time_limit", path, lo=5, hi=3600),
        )

    def new_state(self, config: OrderConfig, scope: Any = None) -> OrderState:
        return OrderState(answers={})

    def check_answer(self, config: OrderConfig, state: OrderState, who: Who, answer: Any,
                     step: str) -> dict[str, Any]:
        if not isinstance(answer, dict) or set(answer) != {"order"} or not isinstance(answer["order"], list):
            raise Refused("bad_answer", 'an order answer is {"order": ["<step id>", ...]}')
        order = answer["order"]
        if sorted(map(str, order)) != sorted(s for s, _ in config.steps) or len(order) != len(config.steps):
            raise Refused("bad_answer", "the order must list every step of the card exactly once")
        return {"order": [str(s) for s in order]}

    def apply_answer(self, config: OrderConfig, state: OrderState, who: Who, answer: dict[str, Any],
                     at: int) -> None:
        state.answers[who.key] = (tuple(answer["order"]), at)

    def combine(self, answers: list[dict[str, Any]]) -> dict[str, Any] | None:
        if not answers:
            return None
        counts = Counter(tuple(a["order"]) for a in answers)
        top = max(counts.values())
        return next({"order": list(a["order"])} for a in answers if counts[tuple(a["order"])] == top)

    def answers(self, state: OrderState) -> dict[str, dict[str, Any]]:
        return {k: {"order": list(o)} for k, (o, _at) in state.answers.items()}

    def scores(self, config: OrderConfig, state: OrderState, timing: Timing) -> dict[str, int]:
        correct = tuple(s for s, _ in config.steps)
        return {k: order_points(o, correct, config.points) for k, (o, _at) in state.answers.items()}

    def submitted(self, state: OrderState) -> int:
        return len(state.answers)

    def _common(self, state: OrderState) -> tuple[list[str] | None, int]:
        if not state.answers:
            return None, 0
        counts = Counter(o for o, _at in state.answers.values())
        order, n = counts.most_common(1)[0]
        return list(order), n

    def _steps(self, config: OrderConfig) -> list[dict[str, str]]:
        text = dict(config.steps)
        return [{"id": s, "text": text[s]} for s in config.shuffled]

    def public(self, config: OrderConfig, state: OrderState, revealed: bool) -> dict[str, Any]:
        common, n = self._common(state)
        view: dict[str, Any] = {
            "card": config.card.as_dict() if config.card else None,
            "steps": self._steps(config),
            "reveal": None,
        }
        if revealed:
            correct = [s for s, _ in config.steps]
            view["reveal"] = {"correct": correct, "most_common": common, "most_common_count": n,
                              "rationale": config.rationale,
                              "legal_basis": [r.as_dict() for r in config.legal_basis],
                              "average_points": self._average(config, state)}
        return view

    def _average(self, config: OrderConfig, state: OrderState) -> float | None:
        scores = self.scores(config, state, Timing(0, None))
        return half_up(sum(scores.values()) / len(scores), 1) if scores else None

    def private(self, config: OrderConfig, state: OrderState) -> dict[str, Any]:
        common, n = self._common(state)
        return {"answer_key": {"correct": [s for s, _ in config.steps], "rationale": config.rationale},
                "most_common": common, "most_common_count": n}

    def player(self, config: OrderConfig, state: OrderState, who: Who, revealed: bool) -> dict[str, Any]:
        mine = state.answers.get(who.key)
        view: dict[str, Any] = {"card": config.card.as_dict() if config.card else None,
                                "steps": self._steps(config),
                                "my_answer": {"order": list(mine[0])} if mine else None, "result": None}
        if revealed:
            correct = tuple(s for s, _ in config.steps)
            view["result"] = {"correct": list(correct), "rationale": config.rationale,
                              "legal_basis": [r.as_dict() for r in config.legal_basis],
                              "distance": kendall_distance(mine[0], correct) if mine else None}
        return view

    def outline(self, config: OrderConfig) -> dict[str, Any]:
        return {"card": config.card.as_dict() if config.card else None,
                "steps": [{"id": s, "text": t} for s, t in config.steps],
                "recommended": [s for s, _ in config.steps], "rationale": config.rationale}

    def review(self, config: OrderConfig, state: OrderState) -> dict[str, Any]:
        common, n = self._common(state)
        correct = [s for s, _ in config.steps]
        return {"answered": len(state.answers), "class_choice": common, "class_choice_count": n,
                "steps": self._steps(config),  # the phones' shuffle: the correct order is "recommended"
                "recommended": correct, "agreement": half_up(
                    sum(1 for o, _ in state.answers.values() if list(o) == correct) / len(state.answers), 3)
                if state.answers else None, "average_points": self._average(config, state)}


ORDER = Order()
