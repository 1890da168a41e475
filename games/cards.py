"""Parts shared by every kind of case card: the case itself and its legal basis."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from games.checker import Checker
from games.yamlsource import Path


@dataclass(frozen=True)
class Card:
    situation: str
    customer_says: str
    facts: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"situation": self.situation, "customer_says": self.customer_says,
                "facts": list(self.facts)}


@dataclass(frozen=True)
class LegalRef:
    source: str
    article: str
    quote: str

    def as_dict(self) -> dict[str, str]:
        return {"source": self.source, "article": self.article, "quote": self.quote}


def parse_card(raw: Any, path: Path, ck: Checker) -> Card:
    m = ck.mapping(raw, path, {"situation", "customer_says", "facts"}, {"situation"})
    facts = ck.seq(m, "facts", path, hi=12)
    clean: list[str] = []
    for i, fact in enumerate(facts):
        if not isinstance(fact, str) or not fact.strip():
            ck.problem((*path, "facts", i), "should be a line of text")
        elif len(fact) > 300:
            ck.problem((*path, "facts", i), "is longer than 300 characters")
        else:
            clean.append(fact.strip())
    return Card(
        situation=ck.text(m, "situation", path, max_len=1200),
        customer_says=ck.text(m, "customer_says", path, max_len=600, required=False),
        facts=tuple(clean),
    )


def parse_legal_basis(raw: dict[str, Any], path: Path, ck: Checker) -> tuple[LegalRef, ...]:
    refs: list[LegalRef] = []
    for i, item in enumerate(ck.seq(raw, "legal_basis", path, hi=10)):
        p = (*path, "legal_basis", i)
        m = ck.mapping(item, p, {"source", "article", "quote"}, {"source"})
        refs.append(LegalRef(
            source=ck.text(m, "source", p, max_len=200),
            article=ck.text(m, "article", p, max_len=80, required=False),
            quote=ck.text(m, "quote", p, max_len=2000, required=False),
        ))
    return tuple(refs)
