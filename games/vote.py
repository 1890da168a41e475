"""``vote``: a case card with 2-6 handling options, one of them recommended.

Each option carries a rating (best / acceptable / poor) and the points it
earns; the deck's ``scoring`` maps ratings to default points and an option may
override them. A player's last answer before the activity closes is the one
that counts. An optional ``speed_bonus`` adds up to that many points to a
``best`` answer, in proportion to the time left when it was given (only for
cards with a time limit, since "fast" needs a deadline to be fair).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from games.base import CONSENSUS, INDIVIDUAL, MAJORITY, ActivityKind, DeckContext, Timing, Who
from games.cards import Card, LegalRef, parse_card, parse_legal_basis
from games.checker import Checker
from games.errors import Refused
from games.rounding import half_up
from games.yamlsource import Path

RATINGS = ("best", "acceptable", "poor")


@dataclass(frozen=True)
class Option:
    id: str
    text: str
    rating: str
    points: int
    feedback: str


@dataclass(frozen=True)
class VoteConfig:
    card: Card
    options: tuple[Option, ...]
    recommended: str
    rationale: str
    legal_basis: tuple[LegalRef, ...]
    time_limit: int | None
    speed_bonus: int

    def option(self, option_id: str) -> Option | None:
        for opt in self.options:
            if opt.id == option_id:
                return opt
        return None


@dataclass
class VoteState:
    answers: dict[str, tuple[str, int]]  # player id -> (option id, at ms)
    tally: dict[str, int]


class Vote(ActivityKind):
    name = "vote"
    modes = (INDIVIDUAL, CONSENSUS, MAJORITY)
    results_fields = ("tally",)
    closes_when_all_answered = True

    def allowed_keys(self) -> set[str]:
        return {"card", "options", "rationale", "legal_basis", "time_limit", "speed_bonus"}

    def parse(self, raw: dict[str, Any], path: Path, ck: Checker, ctx: DeckContext) -> VoteConfig:
        scoring = ctx.scoring
        card = parse_card(raw.get("card"), (*path, "card"), ck) if "card" in raw else None
        if card is None:
            ck.problem(path, "a vote needs a 'card' with at least a 'situation'")
            card = Card("", "", ())
        options: list[Option] = []
        raw_options = ck.seq(raw, "options", path, lo=2, hi=6)
        for i, item in enumerate(raw_options):
            p = (*path, "options", i)
            m = ck.mapping(item, p, {"id", "text", "rating", "points", "feedback"}, {"id", "text", "rating"})
            rating = m.get("rating", "poor")
            if rating not in RATINGS:
                ck.problem((*p, "rating"), f"should be one of {', '.join(RATINGS)}, not '{rating}'")
                rating = "poor"
            points = ck.integer(m, "points", p, lo=-1000, hi=1000, default=scoring.get(rating, 0))
            options.append(Option(
                id=ck.ident(m, "id", p) or f"o{i + 1}",
                text=ck.text(m, "text", p, max_len=200),
                rating=rating,
                points=points if points is not None else 0,
                feedback=ck.text(m, "feedback", p, max_len=1000, required=False),
            ))
        ck.unique([(o.id, (*path, "options", i)) for i, o in enumerate(options)], "option")
        best = [o.id for o in options if o.rating == "best"]
        if raw_options and len(best) != 1:
            ck.problem((*path, "options"), f"exactly one option should be rated 'best' "
                                           f"(the recommended handling); found {len(best)}")
        return VoteConfig(
            card=card,
            options=tuple(options),
            recommended=best[0] if best else "",
            rationale=ck.text(raw, "rationale", path, max_len=3000),
            legal_basis=parse_legal_basis(raw, path, ck),
            time_limit=ck.integer(raw, "time_limit", path, lo=5, hi=3600),
            speed_bonus=ck.integer(raw, "speed_bonus", path, lo=0, hi=1000, default=0) or 0,
        )

    def new_state(self, config: VoteConfig, scope: Any = None) -> VoteState:
        return VoteState(answers={}, tally={o.id: 0 for o in config.options})

    def check_answer(self, config: VoteConfig, state: VoteState, who: Who, answer: Any,
                     step: str) -> dict[str, Any]:
        if not isinstance(answer, dict) or set(answer) != {"choice"}:
            raise Refused("bad_answer", 'a vote answer is {"choice": "<option id>"}')
        choice = answer["choice"]
        if not isinstance(choice, str) or config.option(choice) is None:
            raise Refused("bad_answer", "no such option on this card")
        return {"choice": choice}

    def apply_answer(self, config: VoteConfig, state: VoteState, who: Who,
                     answer: dict[str, Any], at: int) -> None:
        previous = state.answers.get(who.key)
        if previous is not None:
            state.tally[previous[0]] -= 1
        state.answers[who.key] = (answer["choice"], at)
        state.tally[answer["choice"]] += 1

    def combine(self, answers: list[dict[str, Any]]) -> dict[str, Any] | None:
        """The most chosen option; a tie goes to the option chosen first."""
        if not answers:
            return None
        counts = Counter(a["choice"] for a in answers)
        top = max(counts.values())
        return next({"choice": a["choice"]} for a in answers if counts[a["choice"]] == top)

    def answers(self, state: VoteState) -> dict[str, dict[str, Any]]:
        return {key: {"choice": choice} for key, (choice, _at) in state.answers.items()}

    def scores(self, config: VoteConfig, state: VoteState, timing: Timing) -> dict[str, int]:
        out: dict[str, int] = {}
        span = (timing.deadline - timing.opened_at) if timing.deadline else 0
        for pid, (choice, at) in state.answers.items():
            opt = config.option(choice)
            points = opt.points if opt else 0
            if opt and opt.rating == "best" and config.speed_bonus and span > 0 and timing.deadline:
                left = max(0, min(span, timing.deadline - at))
                points += half_up(config.speed_bonus * left / span)
            out[pid] = points
        return out

    def submitted(self, state: VoteState) -> int:
        return len(state.answers)

    def _reveal(self, config: VoteConfig) -> dict[str, Any]:
        return {
            "recommended": config.recommended,
            "rationale": config.rationale,
            "legal_basis": [ref.as_dict() for ref in config.legal_basis],
            "options": [{"id": o.id, "rating": o.rating, "points": o.points, "feedback": o.feedback}
                        for o in config.options],
        }

    def public(self, config: VoteConfig, state: VoteState, revealed: bool) -> dict[str, Any]:
        return {
            "card": config.card.as_dict(),
            "options": [{"id": o.id, "text": o.text} for o in config.options],
            "tally": dict(state.tally),
            "reveal": self._reveal(config) if revealed else None,
        }

    def private(self, config: VoteConfig, state: VoteState) -> dict[str, Any]:
        return {"answer_key": self._reveal(config)}

    def player(self, config: VoteConfig, state: VoteState, who: Who, revealed: bool) -> dict[str, Any]:
        mine = state.answers.get(who.key)
        view: dict[str, Any] = {
            "card": config.card.as_dict(),
            "options": [{"id": o.id, "text": o.text} for o in config.options],
            "my_answer": {"choice": mine[0]} if mine else None,
            "result": None,
        }
        if revealed:
            opt = config.option(mine[0]) if mine else None
            view["result"] = {
                "recommended": config.recommended,
                "rating": opt.rating if opt else None,
                "feedback": opt.feedback if opt else "",
                "rationale": config.rationale,
                "legal_basis": [ref.as_dict() for ref in config.legal_basis],
            }
        return view

    def outline(self, config: VoteConfig) -> dict[str, Any]:
        return {
            "card": config.card.as_dict(),
            "options": [{"id": o.id, "text": o.text, "rating": o.rating, "points": o.points}
                        for o in config.options],
            "recommended": config.recommended,
            "rationale": config.rationale,
        }

    def review(self, config: VoteConfig, state: VoteState) -> dict[str, Any]:
        total = sum(state.tally.values())
        top = max(state.tally, key=lambda o: state.tally[o]) if total else None
        return {"distribution": dict(state.tally), "answered": total, "class_choice": top,
                "options": [{"id": o.id, "text": o.text} for o in config.options],
                "recommended": config.recommended,
                "agreement": half_up(state.tally.get(config.recommended, 0) / total, 3) if total else None}


VOTE = Vote()
