"""Decks: a course as data. Parse, validate (every problem, with its line), look up.

A deck file is YAML: metadata, scoring, default groups, course modules, the
activities (each of a registered kind) and an agenda. ``docs/decks.md``
documents the format. Ids are the stable handle of everything: session
records name activities by id, so editing a card's text keeps old records
resolvable.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any

from games.base import (
    CONSENSUS,
    GROUP,
    INDIVIDUAL,
    MAJORITY,
    ActivityKind,
    Criterion,
    DeckContext,
    Rubric,
)
from games.checker import Checker
from games.errors import DeckInvalid, DeckProblem
from games.kinds import all_kinds, kind_of
from games.yamlsource import load

BUILTIN_DIR = FsPath(__file__).parent / "decks"
DEFAULT_SCORING = {"best": 100, "acceptable": 50, "poor": 0}
DECK_KEYS = {"id", "title", "locale", "version", "description", "disclaimer", "scoring", "groups",
             "modules", "rubrics", "activities", "agenda"}
COMMON_ACTIVITY_KEYS = {"id", "kind", "module", "title", "mode"}
DEAL = "deal"  # an agenda entry that deals one card of a set to each group
DEAL_KEYS = {"id", "kind", "module", "title", "mode", "cards", "time_limit"}
LOCALES = {"zh-CN", "en"}


@dataclass(frozen=True)
class Activity:
    id: str
    kind: str
    title: str
    module: str | None
    config: Any
    mode: str = INDIVIDUAL
    cards: tuple[str, ...] = ()  # for a deal: the cards dealt, one per group
    time_limit: int | None = None  # for a deal: overrides the cards' own limits

    @property
    def impl(self) -> ActivityKind:
        impl = kind_of(self.kind)
        assert impl is not None  # validated at load
        return impl

    @property
    def is_deal(self) -> bool:
        return self.kind == DEAL

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "title": self.title, "module": self.module}


@dataclass(frozen=True)
class Deck:
    id: str
    title: str
    locale: str
    version: int
    description: str
    disclaimer: str
    groups: tuple[tuple[str, str], ...]  # (id, name)
    modules: tuple[tuple[str, str], ...]  # (id, title)
    rubrics: dict[str, Rubric]
    activities: dict[str, Activity]
    agenda: tuple[str, ...]
    source: str  # the YAML text, kept so a session can be rebuilt from its own copy

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "locale": self.locale,
            "modules": [{"id": m, "title": t} for m, t in self.modules],
            "activities": [self.activities[a].summary() for a in self.agenda],
        }


def parse_deck(text: str | bytes, source_name: str = "<deck>") -> Deck:
    """Parse and validate a deck; raise DeckInvalid listing every problem."""
    data, lines = load(text)
    ck = Checker(lines)
    m = ck.mapping(data, (), DECK_KEYS, {"id", "title", "activities"})
    deck_id = ck.ident(m, "id", ())
    title = ck.text(m, "title", (), max_len=200)
    locale = m.get("locale", "zh-CN")
    if locale not in LOCALES:
        ck.problem(("locale",), f"should be one of {', '.join(sorted(LOCALES))}")
    version = ck.integer(m, "version", (), lo=1, hi=1_000_000, default=1) or 1

    scoring = dict(DEFAULT_SCORING)
    if "scoring" in m:
        sm = ck.mapping(m["scoring"], ("scoring",), set(DEFAULT_SCORING), set())
        for rating in DEFAULT_SCORING:
            value = ck.integer(sm, rating, ("scoring",), lo=-1000, hi=1000)
            if value is not None:
                scoring[rating] = value

    groups: list[tuple[str, str]] = []
    for i, g in enumerate(ck.seq(m, "groups", (), hi=50)):
        p = ("groups", i)
        gm = ck.mapping(g, p, {"id", "name"}, {"id", "name"})
        groups.append((ck.ident(gm, "id", p), ck.text(gm, "name", p, max_len=40)))
    ck.unique([(g[0], ("groups", i)) for i, g in enumerate(groups)], "group")

    modules: list[tuple[str, str]] = []
    for i, mod in enumerate(ck.seq(m, "modules", (), hi=100)):
        p = ("modules", i)
        mm = ck.mapping(mod, p, {"id", "title"}, {"id", "title"})
        modules.append((ck.ident(mm, "id", p), ck.text(mm, "title", p, max_len=200)))
    ck.unique([(mod[0], ("modules", i)) for i, mod in enumerate(modules)], "module")
    module_ids = {mod[0] for mod in modules}

    rubrics = _parse_rubrics(m, ck)
    ctx = DeckContext(scoring=scoring, modules=dict(modules), rubrics=rubrics)

    activities: dict[str, Activity] = {}
    order: list[str] = []
    raw_acts = ck.seq(m, "activities", (), lo=1, hi=500)
    ck.unique([(a.get("id"), ("activities", i)) for i, a in enumerate(raw_acts)
               if isinstance(a, dict) and isinstance(a.get("id"), str)], "activity")
    deals: list[tuple[str, tuple[str | int, ...], list[Any]]] = []
    for i, raw in enumerate(raw_acts):
        p: tuple[str | int, ...] = ("activities", i)
        if not isinstance(raw, dict):
            ck.problem(p, "an activity should be a mapping with id, kind and title")
            continue
        kind_name = raw.get("kind")
        impl = kind_of(kind_name) if isinstance(kind_name, str) else None
        if impl is None and kind_name != DEAL:
            known = ", ".join(sorted([*all_kinds(), DEAL]))
            ck.problem((*p, "kind"), f"unknown kind '{kind_name}' (known kinds: {known})")
            continue
        allowed = DEAL_KEYS if impl is None else COMMON_ACTIVITY_KEYS | impl.allowed_keys()
        am = ck.mapping(raw, p, allowed, {"id", "kind", "title"} | ({"cards"} if impl is None else set()))
        act_id = ck.ident(am, "id", p)
        module = am.get("module")
        if module is not None and module not in module_ids:
            ck.problem((*p, "module"), f"names the module '{module}', which the deck does not define")
        modes = impl.modes if impl is not None else (CONSENSUS, MAJORITY, GROUP)
        mode = am.get("mode", INDIVIDUAL if impl is not None else modes[0])
        if mode not in modes:
            ck.problem((*p, "mode"), f"should be one of {', '.join(modes)} for a {kind_name}, not '{mode}'")
            mode = modes[0]
        act_title = ck.text(am, "title", p, max_len=120)
        mod = module if isinstance(module, str) else None
        if impl is None:
            cards = ck.seq(am, "cards", p, lo=1, hi=20)
            deals.append((act_id, p, cards))
            act = Activity(act_id, DEAL, act_title, mod, None, mode,
                           tuple(c for c in cards if isinstance(c, str)),
                           ck.integer(am, "time_limit", p, lo=5, hi=7200))
        else:
            act = Activity(act_id, impl.name, act_title, mod, impl.parse(am, p, ck, ctx), mode)
        if act_id and act_id not in activities:
            activities[act_id] = act
            order.append(act_id)

    for deal_id, p, cards in deals:
        for j, card in enumerate(cards):
            target = activities.get(card) if isinstance(card, str) else None
            if target is None:
                ck.problem((*p, "cards", j), f"names the card '{card}', which the deck does not define")
            elif target.is_deal or target.kind == "roleplay" or target.kind == "plan":
                ck.problem((*p, "cards", j), f"'{card}' is a {target.kind}; a deal hands out vote, order, "
                                             "estimate or discuss cards")
            elif activities[deal_id].mode not in target.impl.modes:
                ck.problem((*p, "cards", j), f"'{card}' is a {target.kind}, which cannot be played in "
                                             f"{activities[deal_id].mode} mode")

    if "agenda" in m:
        agenda: list[str] = []
        for i, item in enumerate(ck.seq(m, "agenda", (), lo=1, hi=500)):
            if item not in activities:
                ck.problem(("agenda", i), f"names the activity '{item}', which the deck does not define")
            elif item in agenda:
                ck.problem(("agenda", i), f"lists the activity '{item}' twice")
            else:
                agenda.append(item)
    else:
        agenda = order

    if ck.problems:
        raise DeckInvalid(ck.problems, source_name)
    return Deck(
        id=deck_id, title=title, locale=str(locale), version=version,
        description=ck.text(m, "description", (), max_len=2000, required=False),
        disclaimer=ck.text(m, "disclaimer", (), max_len=2000, required=False),
        groups=tuple(groups), modules=tuple(modules), rubrics=rubrics, activities=activities,
        agenda=tuple(agenda),
        source=text.decode("utf-8") if isinstance(text, bytes) else text,
    )


def _parse_rubrics(m: dict[str, Any], ck: Checker) -> dict[str, Rubric]:
    rubrics: dict[str, Rubric] = {}
    for i, raw in enumerate(ck.seq(m, "rubrics", (), hi=20)):
        p: tuple[str | int, ...] = ("rubrics", i)
        rm = ck.mapping(raw, p, {"id", "title", "criteria"}, {"id", "title", "criteria"})
        criteria: list[Criterion] = []
        for j, craw in enumerate(ck.seq(rm, "criteria", p, lo=1, hi=12)):
            cp = (*p, "criteria", j)
            cm = ck.mapping(craw, cp, {"id", "title", "anchors"}, {"id", "title"})
            anchors: dict[int, str] = {}
            if "anchors" in cm:
                am = cm["anchors"]
                if not isinstance(am, dict):
                    ck.problem((*cp, "anchors"), "should map scores 1-5 to short descriptions")
                else:
                    for k, v in am.items():
                        if str(k) not in {"1", "2", "3", "4", "5"} or not isinstance(v, str):
                            ck.problem((*cp, "anchors", k), "anchors map a score 1-5 to a short text")
                        else:
                            anchors[int(k)] = v.strip()[:200]
            criteria.append(Criterion(ck.ident(cm, "id", cp), ck.text(cm, "title", cp, max_len=40), anchors))
        ck.unique([(c.id, (*p, "criteria", j)) for j, c in enumerate(criteria)], "criterion")
        rid = ck.ident(rm, "id", p)
        if rid in rubrics:
            ck.problem(p, f"duplicate rubric id '{rid}'")
        rubrics[rid] = Rubric(rid, ck.text(rm, "title", p, max_len=100), tuple(criteria))
    return rubrics


def builtin_decks() -> dict[str, Deck]:
    """Every deck shipped in games/decks/, validated; a broken built-in deck is our bug."""
    out: dict[str, Deck] = {}
    # A deck is one YAML file, or a folder holding deck.yaml (and the media it names).
    for path in sorted([*BUILTIN_DIR.glob("*.yaml"), *BUILTIN_DIR.glob("*/deck.yaml")]):
        deck = parse_deck(path.read_text(encoding="utf-8"), str(path))
        if deck.id in out:
            raise DeckInvalid([DeckProblem("id", None, f"two built-in decks use the id '{deck.id}'")])
        out[deck.id] = deck
    return out
