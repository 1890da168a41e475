"""Decks: a course as data. Parse, validate (every problem, with its line), look up.

A deck file is YAML: metadata, scoring, default groups, course modules, the
activities (each of a registered kind) and an agenda. ``docs/decks.md``
documents the format. Ids are the stable handle of everything: session
records name activities by id, so editing a card's text keeps old records
resolvable.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
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
from games.media import EXTENSIONS, MediaRef
from games.yamlsource import Path, load

BUILTIN_DIR = FsPath(__file__).parent / "decks"
DEFAULT_SCORING = {"best": 100, "acceptable": 50, "poor": 0}
DECK_KEYS = {"id", "title", "locale", "version", "description", "disclaimer", "scoring", "groups",
             "modules", "rubrics", "activities", "agenda", "timing", "agendas"}
COMMON_ACTIVITY_KEYS = {"id", "kind", "module", "title", "mode", "debrief", "results", "auto_close"}
DEAL = "deal"  # an agenda entry that deals one card of a set to each group
DEAL_KEYS = {"id", "kind", "module", "title", "mode", "cards", "time_limit", "debrief", "results"}
LOCALES = {"zh-CN", "en"}
RESULTS = ("live", "hidden")
# Planned reveal/debrief allowance per kind (seconds), beyond the timed steps: what a trainer
# spends showing the result and talking it through. A deck's ``timing:`` overrides these.
DEFAULT_TIMING = {"vote": 90, "order": 90, "estimate": 90, "discuss": 180, "roleplay": 240, "plan": 300,
                  "deal": 120, "slide": 0}
MAX_ALLOWANCE = 3600
MAX_DAYS = 10
# The stored form of a deck ends with this comment line, holding its media manifest (JSON): a
# comment, so the YAML and its line numbers are untouched, and always last, so a copy of the
# line inside an uploaded file is only ever read as a comment.
MANIFEST_MARK = "#caseroom-media "
NL = "\n"


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
    debrief: int | None = None  # planned reveal/debrief seconds; None: the deck's allowance for the kind
    results: str | None = None  # "live" or "hidden" (the screen's distribution while open); None: the session's
    auto_close: bool | None = None  # close once every connected player has answered; None: the session's

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
class Preset:
    """A planned course: one list of activities per day (a session plays one day)."""

    id: str
    title: str
    days: tuple[tuple[str, ...], ...]


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
    source: str  # the stored form (YAML + media manifest), kept so a session is rebuilt from its own copy
    timing: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_TIMING))
    presets: tuple[Preset, ...] = ()
    media: dict[str, MediaRef] = field(default_factory=dict)  # relative path -> file, those the deck names

    def planned(self, activity_id: str) -> int:
        """Planned seconds of one activity: its timed steps plus its reveal/debrief allowance."""
        act = self.activities[activity_id]
        allowance = act.debrief if act.debrief is not None else self.timing.get(act.kind, 0)
        if act.is_deal:
            first = self.activities[act.cards[0]]
            steps = act.time_limit or first.impl.planned_seconds(first.config)
            return steps + allowance
        return act.impl.planned_seconds(act.config) + allowance

    def planned_total(self, activities: tuple[str, ...] | list[str]) -> int:
        return sum(self.planned(a) for a in activities)

    def preset(self, preset_id: str) -> Preset | None:
        return next((p for p in self.presets if p.id == preset_id), None)

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "locale": self.locale,
            "modules": [{"id": m, "title": t} for m, t in self.modules],
            "activities": [{**self.activities[a].summary(), "planned": self.planned(a)} for a in self.agenda],
            "presets": [{"id": p.id, "title": p.title, "days": [list(d) for d in p.days],
                         "planned": [self.planned_total(d) for d in p.days]} for p in self.presets],
        }


def parse_deck(text: str | bytes, source_name: str = "<deck>", *, media: Mapping[str, MediaRef] | None = None,
               media_problems: Mapping[str, str] | None = None) -> Deck:
    """Parse and validate a deck; raise DeckInvalid listing every problem, never anything else.

    ``media`` are the files of the deck's bundle by relative path (none for a lone YAML
    file), ``media_problems`` the bundle's files that were refused, with why: a slide
    naming one gets the reason at its own line.

    Deck files are untrusted. The loader bounds size, nesting and alias expansion; the checks below
    test every value's type before using it. Should one still trip over a value nobody foresaw, the
    caller gets a DeckInvalid naming the deck as unreadable, not a traceback: a bad file must never
    end a server task or a CLI run (the property tests in tests/test_deck_hostile.py hunt for that).
    """
    try:
        return _parse_deck(text, source_name, media=media, media_problems=media_problems)
    except DeckInvalid:
        raise
    except Exception as exc:  # see the docstring: the message names the slip
        raise DeckInvalid([DeckProblem("", None, f"{UNREADABLE} ({exc.__class__.__name__}: {exc})"[:300])],
                          source_name) from exc


UNREADABLE = "the deck could not be checked (a value of an unexpected type)"


def _parse_deck(text: str | bytes, source_name: str, *, media: Mapping[str, MediaRef] | None = None,
                media_problems: Mapping[str, str] | None = None) -> Deck:
    media = dict(media or {})
    data, lines = load(text)
    ck = Checker(lines)
    m = ck.mapping(data, (), DECK_KEYS, {"id", "title", "activities"})
    deck_id = ck.ident(m, "id", ())
    title = ck.text(m, "title", (), max_len=200)
    locale = m.get("locale", "zh-CN")
    if not isinstance(locale, str) or locale not in LOCALES:
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
    ctx = DeckContext(scoring=scoring, modules=dict(modules), rubrics=rubrics, media=media,
                      media_problems=dict(media_problems or {}))
    timing = _parse_timing(m, ck)

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
        if module is not None and not isinstance(module, str):
            ck.problem((*p, "module"), "should be a module id")
        elif module is not None and module not in module_ids:
            ck.problem((*p, "module"), f"names the module '{module}', which the deck does not define")
        modes = impl.modes if impl is not None else (CONSENSUS, MAJORITY, GROUP)
        mode = am.get("mode", INDIVIDUAL if impl is not None else modes[0])
        if mode not in modes:
            ck.problem((*p, "mode"), f"should be one of {', '.join(modes)} for a {kind_name}, not '{mode}'")
            mode = modes[0]
        act_title = ck.text(am, "title", p, max_len=120)
        results = am.get("results")
        if results is not None and results not in RESULTS:
            ck.problem((*p, "results"), f"should be live or hidden, not '{results}'")
            results = None
        auto_close = am.get("auto_close")
        if auto_close is not None and not isinstance(auto_close, bool):
            ck.problem((*p, "auto_close"), "should be true or false")
            auto_close = None
        mod = module if isinstance(module, str) else None
        debrief = ck.integer(am, "debrief", p, lo=0, hi=MAX_ALLOWANCE)
        if impl is None:
            cards = ck.seq(am, "cards", p, lo=1, hi=20)
            deals.append((act_id, p, cards))
            act = Activity(act_id, DEAL, act_title, mod, None, mode,
                           tuple(c for c in cards if isinstance(c, str)),
                           ck.integer(am, "time_limit", p, lo=5, hi=7200), debrief, results=results)
        else:
            act = Activity(act_id, impl.name, act_title, mod, impl.parse(am, p, ck, ctx), mode, debrief=debrief,
                           results=results, auto_close=auto_close)
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
            if not isinstance(item, str):
                ck.problem(("agenda", i), "should be an activity id (write `- my-card`, not `- card: my-card`)")
            elif item not in activities:
                ck.problem(("agenda", i), f"names the activity '{item}', which the deck does not define")
            elif item in agenda:
                ck.problem(("agenda", i), f"lists the activity '{item}' twice")
            else:
                agenda.append(item)
    else:
        agenda = order
    presets = _parse_presets(m, ck, activities)
    named = {ref.path: ref for ref in _named_media(activities)}

    if ck.problems:
        raise DeckInvalid(ck.problems, source_name)
    return Deck(
        id=deck_id, title=title, locale=str(locale), version=version,
        description=ck.text(m, "description", (), max_len=2000, required=False),
        disclaimer=ck.text(m, "disclaimer", (), max_len=2000, required=False),
        groups=tuple(groups), modules=tuple(modules), rubrics=rubrics, activities=activities,
        agenda=tuple(agenda),
        source=stored_form(text.decode("utf-8") if isinstance(text, bytes) else text, named),
        timing=timing, presets=presets, media=named,
    )


def _parse_timing(m: dict[str, Any], ck: Checker) -> dict[str, int]:
    timing = dict(DEFAULT_TIMING)
    if "timing" in m:
        kinds = set(DEFAULT_TIMING) | set(all_kinds())
        tm = ck.mapping(m["timing"], ("timing",), kinds, set())
        for kind in tm:
            value = ck.integer(tm, kind, ("timing",), lo=0, hi=MAX_ALLOWANCE)
            if value is not None and kind in kinds:
                timing[kind] = value
    return timing


def _parse_presets(m: dict[str, Any], ck: Checker, activities: dict[str, Activity]) -> tuple[Preset, ...]:
    raw = m.get("agendas")
    if raw is None:
        return ()
    if not isinstance(raw, dict) or len(raw) > 20:
        ck.problem(("agendas",), "should map preset ids (like one-day) to {title, days}, at most 20 of them")
        return ()
    out: list[Preset] = []
    for pid, body in raw.items():
        p: Path = ("agendas", pid)
        pm = ck.mapping(body, p, {"title", "days"}, {"title", "days"})
        ck.ident({"id": pid}, "id", p)
        days: list[tuple[str, ...]] = []
        for d, day in enumerate(ck.seq(pm, "days", p, lo=1, hi=MAX_DAYS)):
            dp: Path = (*p, "days", d)
            if not isinstance(day, list) or not day:
                ck.problem(dp, "a day is a list of activity ids")
                continue
            ids: list[str] = []
            for i, item in enumerate(day[:500]):
                if not isinstance(item, str) or item not in activities:
                    ck.problem((*dp, i), f"names the activity '{str(item)[:64]}', which the deck does not define")
                elif item in ids:
                    ck.problem((*dp, i), f"lists the activity '{item}' twice in one day")
                else:
                    ids.append(item)
            days.append(tuple(ids))
        out.append(Preset(str(pid), ck.text(pm, "title", p, max_len=100), tuple(days)))
    return tuple(out)


def _named_media(activities: dict[str, Activity]) -> list[MediaRef]:
    return [ref for act in activities.values() for ref in getattr(act.config, "media", ()) or ()]


def stored_form(yaml_text: str, media: Mapping[str, MediaRef]) -> str:
    """The deck as the store keeps it: its YAML, then one comment line with its media manifest."""
    manifest = json.dumps({path: ref.as_dict() for path, ref in sorted(media.items())}, ensure_ascii=False,
                          separators=(",", ":"))
    return f"{yaml_text.rstrip(NL)}{NL}{MANIFEST_MARK}{manifest}{NL}"


def split_stored(source: str) -> tuple[str, dict[str, MediaRef]]:
    """The YAML and the media manifest of a stored deck (older stored decks have no manifest)."""
    body, _, last = source.rstrip("\n").rpartition("\n")
    if not last.startswith(MANIFEST_MARK):
        return source, {}
    media: dict[str, MediaRef] = {}
    try:
        raw = json.loads(last[len(MANIFEST_MARK):])
        for path, ref in raw.items():
            if ref["type"] in EXTENSIONS:
                media[path] = MediaRef(path, str(ref["sha256"]), ref["type"], int(ref["size"]))
    except (ValueError, KeyError, TypeError, AttributeError):
        media = {}
    return body + "\n", media


def parse_stored(source: str, source_name: str) -> Deck:
    """A deck from its stored form (a session's own copy, or an uploaded deck in the store)."""
    text, media = split_stored(source)
    return parse_deck(text, source_name, media=media)


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
