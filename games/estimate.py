"""``estimate``: a number with a unit, scored by closeness to a reference value.

Full points within ``tolerance`` of the reference, falling linearly to zero at
``zero_at`` away from it (赔多少, 申诉时效 in months, 双倍返还 amounts). The host
shows a histogram of the answers over [min, max] in ``bins`` bins.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Any

from games.base import CONSENSUS, INDIVIDUAL, MAJORITY, ActivityKind, DeckContext, Timing, Who
from games.cards import Card, LegalRef, parse_card, parse_legal_basis
from games.checker import Checker
from games.errors import Refused
from games.rounding import half_up
from games.yamlsource import Path

BINS = 10


@dataclass(frozen=True)
class EstimateConfig:
    card: Card | None
    unit: str
    answer: float
    tolerance: float
    zero_at: float
    min: float
    max: float
    points: int
    rationale: str
    legal_basis: tuple[LegalRef, ...]
    time_limit: int | None


@dataclass
class EstimateState:
    answers: dict[str, tuple[float, int]]


def estimate_points(value: float, cfg: EstimateConfig) -> int:
    d = abs(value - cfg.answer)
    if d <= cfg.tolerance:
        return cfg.points
    if d >= cfg.zero_at:
        return 0
    share = (cfg.zero_at - d) / (cfg.zero_at - cfg.tolerance)
    # A non-finite bound (a deck from before validation refused .inf/.nan) scores nothing, never raises.
    return half_up(cfg.points * share) if math.isfinite(share) else 0


class Estimate(ActivityKind):
    name = "estimate"
    modes = (INDIVIDUAL, CONSENSUS, MAJORITY)
    results_fields = ("histogram",)
    closes_when_all_answered = True

    def allowed_keys(self) -> set[str]:
        return {"card", "unit", "answer", "tolerance", "zero_at", "min", "max", "points", "rationale",
                "legal_basis", "time_limit", "mode"}

    def parse(self, raw: dict[str, Any], path: Path, ck: Checker, ctx: DeckContext) -> EstimateConfig:
        answer = ck.number(raw, "answer", path) or 0.0
        tolerance = ck.number(raw, "tolerance", path, required=False) or 0.0
        if tolerance < 0:
            ck.problem((*path, "tolerance"), "should not be negative")
        zero_at = ck.number(raw, "zero_at", path, required=False)
        if zero_at is None:
            zero_at = max(tolerance * 4, abs(answer) or 1.0)
        elif zero_at <= tolerance:
            ck.problem((*path, "zero_at"), "should be larger than the tolerance")
        lo = ck.number(raw, "min", path, required=False)
        hi = ck.number(raw, "max", path, required=False)
        lo = lo if lo is not None else min(0.0, answer - zero_at)
        hi = hi if hi is not None else answer + zero_at
        if not lo <= answer <= hi:
            ck.problem((*path, "answer"), f"the reference {answer:g} is outside min..max ({lo:g}..{hi:g})")
        return EstimateConfig(
            card=parse_card(raw["card"], (*path, "card"), ck) if "card" in raw else None,
            unit=ck.text(raw, "unit", path, max_len=20, required=False),
            answer=answer, tolerance=tolerance, zero_at=zero_at, min=lo, max=hi,
            points=ck.integer(raw, "points", path, lo=0, hi=1000, default=100) or 0,
            rationale=ck.text(raw, "rationale", path, max_len=3000),
            legal_basis=parse_legal_basis(raw, path, ck),
            time_limit=ck.integer(raw, "time_limit", path, lo=5, hi=3600),
        )

    def new_state(self, config: EstimateConfig, scope: Any = None) -> EstimateState:
        return EstimateState(answers={})

    def check_answer(self, config: EstimateConfig, state: EstimateState, who: Who, answer: Any,
                     step: str) -> dict[str, Any]:
        value = answer.get("value") if isinstance(answer, dict) and set(answer) == {"value"} else None
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            raise Refused("bad_answer", 'an estimate answer is {"value": <number>}')
        if not config.min <= value <= config.max:
            raise Refused("bad_answer", f"the value should be between {config.min:g} and {config.max:g}")
        return {"value": value}

    def apply_answer(self, config: EstimateConfig, state: EstimateState, who: Who,
                     answer: dict[str, Any], at: int) -> None:
        state.answers[who.key] = (float(answer["value"]), at)

    def combine(self, answers: list[dict[str, Any]]) -> dict[str, Any] | None:
        return {"value": statistics.median(a["value"] for a in answers)} if answers else None

    def answers(self, state: EstimateState) -> dict[str, dict[str, Any]]:
        return {k: {"value": v} for k, (v, _at) in state.answers.items()}

    def scores(self, config: EstimateConfig, state: EstimateState, timing: Timing) -> dict[str, int]:
        return {k: estimate_points(v, config) for k, (v, _at) in state.answers.items()}

    def submitted(self, state: EstimateState) -> int:
        return len(state.answers)

    def _histogram(self, config: EstimateConfig, state: EstimateState) -> dict[str, Any]:
        width = (config.max - config.min) / BINS or 1.0
        counts = [0] * BINS
        for v, _at in state.answers.values():
            pos = (v - config.min) / width
            if math.isfinite(pos):  # (a non-finite min or max places nothing, and raises nothing)
                counts[max(0, min(BINS - 1, int(pos)))] += 1
        return {"min": config.min, "max": config.max, "counts": counts}

    def _stats(self, state: EstimateState) -> dict[str, float | None]:
        values = [v for v, _at in state.answers.values()]
        return {"median": statistics.median(values) if values else None,
                "mean": half_up(statistics.fmean(values), 3) if values else None}

    def public(self, config: EstimateConfig, state: EstimateState, revealed: bool) -> dict[str, Any]:
        return {
            "card": config.card.as_dict() if config.card else None,
            "unit": config.unit, "min": config.min, "max": config.max,
            "histogram": self._histogram(config, state),
            "reveal": {"answer": config.answer, "tolerance": config.tolerance,
                       "rationale": config.rationale, **self._stats(state),
                       "legal_basis": [r.as_dict() for r in config.legal_basis]} if revealed else None,
        }

    def private(self, config: EstimateConfig, state: EstimateState) -> dict[str, Any]:
        return {"answer_key": {"answer": config.answer, "tolerance": config.tolerance,
                               "rationale": config.rationale}, **self._stats(state)}

    def player(self, config: EstimateConfig, state: EstimateState, who: Who,
               revealed: bool) -> dict[str, Any]:
        mine = state.answers.get(who.key)
        return {
            "card": config.card.as_dict() if config.card else None,
            "unit": config.unit, "min": config.min, "max": config.max,
            "my_answer": {"value": mine[0]} if mine else None,
            "result": {"answer": config.answer, "tolerance": config.tolerance,
                       "rationale": config.rationale,
                       "legal_basis": [r.as_dict() for r in config.legal_basis]} if revealed else None,
        }

    def outline(self, config: EstimateConfig) -> dict[str, Any]:
        return {"card": config.card.as_dict() if config.card else None, "unit": config.unit,
                "recommended": config.answer, "tolerance": config.tolerance, "rationale": config.rationale}

    def review(self, config: EstimateConfig, state: EstimateState) -> dict[str, Any]:
        within = sum(1 for v, _ in state.answers.values() if abs(v - config.answer) <= config.tolerance)
        return {"answered": len(state.answers), "recommended": config.answer, "unit": config.unit,
                **self._stats(state), "histogram": self._histogram(config, state),
                "agreement": half_up(within / len(state.answers), 3) if state.answers else None}


ESTIMATE = Estimate()
