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

from games.base import ActivityKind, kind_of
from games.checker import Checker
from games.yamlsource import load
from sessions.errors import DeckInvalid, DeckProblem

BUILTIN_DIR = FsPath(__file__).parent / "decks"
DEFAULT_SCORING = {"best": 100, "acceptable": 50, "poor": 0}
DECK_KEYS = {"id", "title", "locale", "version", "description", "disclaimer", "scoring", "groups",
             "modules", "activities", "agenda"}
COMMON_ACTIVITY_KEYS = {"id", "kind", "module", "title"}
LOCALES = {"zh-CN", "en"}


@dataclass(frozen=True)
class Activity:
    id: str
    kind: str
    title: str
    module: str | None
    config: Any

    @property
    def impl(self) -> ActivityKind:
        impl = kind_of(self.kind)
        assert impl is not None  # validated at load
        return impl

    def summary(self) -> dict[str, str]:
        return {"id": self.id, "kind": self.kind, "title": self.title}


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
    activities: dict[str, Activity]
    agenda: tuple[str, ...]
    source: str  # the YAML text, kept so a session can be rebuilt from its own copy

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "locale": self.locale,
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

    activities: dict[str, Activity] = {}
    order: list[str] = []
    raw_acts = ck.seq(m, "activities", (), lo=1, hi=500)
    ck.unique([(a.get("id"), ("activities", i)) for i, a in enumerate(raw_acts)
               if isinstance(a, dict) and isinstance(a.get("id"), str)], "activity")
    for i, raw in enumerate(raw_acts):
        p = ("activities", i)
        if not isinstance(raw, dict):
            ck.problem(p, "an activity should be a mapping with id, kind and title")
            continue
        kind_name = raw.get("kind")
        impl = kind_of(kind_name) if isinstance(kind_name, str) else None
        if impl is None:
            from games.base import KINDS

            ck.problem((*p, "kind"), f"unknown kind '{kind_name}' (known kinds: "
                                     f"{', '.join(sorted(KINDS))})")
            continue
        am = ck.mapping(raw, p, COMMON_ACTIVITY_KEYS | impl.allowed_keys(), {"id", "kind", "title"})
        act_id = ck.ident(am, "id", p)
        module = am.get("module")
        if module is not None and module not in module_ids:
            ck.problem((*p, "module"), f"names the module '{module}', which the deck does not define")
        config = impl.parse(am, p, ck, scoring)
        if act_id and act_id not in activities:
            activities[act_id] = Activity(act_id, impl.name, ck.text(am, "title", p, max_len=120),
                                          module if isinstance(module, str) else None, config)
            order.append(act_id)

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
        groups=tuple(groups), modules=tuple(modules), activities=activities,
        agenda=tuple(agenda),
        source=text.decode("utf-8") if isinstance(text, bytes) else text,
    )


def builtin_decks() -> dict[str, Deck]:
    """Every deck shipped in games/decks/, validated; a broken built-in deck is our bug."""
    out: dict[str, Deck] = {}
    for path in sorted(BUILTIN_DIR.glob("*.yaml")):
        deck = parse_deck(path.read_text(encoding="utf-8"), str(path))
        if deck.id in out:
            raise DeckInvalid([DeckProblem("id", None, f"two built-in decks use the id '{deck.id}'")])
        out[deck.id] = deck
    return out
