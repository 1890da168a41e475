"""Deck lint: what a valid deck can still get wrong in front of a class.

``games.decks.parse_deck`` says whether a deck *can* be played; this module says
whether it *should* be played as it is. Every finding is a warning (``caseroom
deck check`` prints them with their lines and still exits 0), because each is a
judgement a trainer may overrule:

- **the longest option is the answer**: when the recommended option of a vote
  card is strictly the longest in more than half of the vote cards, trainees
  learn to pick by length instead of by reading (a fair test sits near one in
  the number of options);
- **no time to read**: a timed card whose text shown before answering needs
  more than 60 % of its time limit at 400 characters a minute (a trainee reads
  the case, then has to think); a role-play's prep step must leave room to read
  the scenario and the longest brief;
- **a letter that is not on the screen**: phones and the projector label
  options A, B, C… by position, so a rationale or feedback that names "e" or
  "d" where only A-C exist (or in lower case) points at nothing;
- **the same card twice**: two cards whose shown text mostly coincides (one
  copied from the other), which trainees see as a repeat.

Figures are computed from the raw YAML (so each warning has a line) and
returned by :func:`figures` too, so tests hold the built-in deck to them.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

from games.yamlsource import Path, load, path_str

READING_CHARS_PER_MINUTE = 400
READING_SHARE = 0.6  # of a card's time limit
LONGEST_BEST_SHARE = 0.5  # of the vote cards
SIMILAR_SHARE = 0.6  # of the shorter card's character trigrams found in the other
SIMILAR_MIN_CHARS = 40  # shorter texts (a title-only card) are not compared
ADJACENT_SHARE = 0.35  # two cards back to back on the agenda that share this much feel like a repeat
APOLOGY_WORDS = ("致歉", "道歉", "认错", "承认", "抱歉", "对不起")
TIMED_KINDS = ("vote", "order", "estimate")
LETTERS = "ABCDEF"
# An option letter standing alone: not part of a word such as SP, APP, WiFi or 5G.
LETTER_RE = re.compile(r"(?<![A-Za-z0-9])([A-Fa-f])(?![A-Za-z0-9])")


@dataclass(frozen=True)
class DeckWarning:
    path: str
    line: int | None
    message: str


CJK_RE = re.compile(r"[\u3400-\u9fff]")


def _chars(*texts: Any) -> int:
    """Characters a reader reads: whitespace does not count. A text without any Chinese
    (an English deck) counts two characters a word, i.e. 200 words a minute."""
    out = 0
    for t in texts:
        if isinstance(t, str):
            out += len(re.sub(r"\s", "", t)) if CJK_RE.search(t) else 2 * len(t.split())
    return out


def _card_texts(card: Any) -> list[str]:
    if not isinstance(card, dict):
        return []
    facts = card.get("facts") if isinstance(card.get("facts"), list) else []
    return [t for t in (card.get("situation"), card.get("customer_says"), *facts) if isinstance(t, str)]


def shown_texts(act: dict[str, Any]) -> list[str]:
    """What a trainee reads before answering: the case and the choices (the title is read at a glance)."""
    out = _card_texts(act.get("card"))
    kind = act.get("kind")
    if kind == "vote":
        out += [o.get("text", "") for o in act.get("options", []) if isinstance(o, dict)]
    elif kind == "order":
        out += [s.get("text", "") for s in act.get("steps", []) if isinstance(s, dict)]
    elif kind in ("discuss", "plan"):
        out.append(act.get("prompt", ""))
    elif kind == "roleplay":
        out += _card_texts(act.get("scenario"))
    return [t for t in out if isinstance(t, str)]


def reading_seconds(chars: int) -> float:
    return chars * 60 / READING_CHARS_PER_MINUTE


def _longest_brief(act: dict[str, Any]) -> int:
    """The longest private brief one player reads in prep (base roles and per-round variants)."""
    briefs: list[Any] = []
    roles = act.get("roles")
    if isinstance(roles, dict):
        briefs += [r.get("brief") for r in roles.values() if isinstance(r, dict)]
    for v in act.get("variants") or []:
        if isinstance(v, dict):
            briefs += list(v.values())
    return max((_chars(b) for b in briefs), default=0)


def _option_letters(act: dict[str, Any]) -> list[tuple[Path, str]]:
    """Every (path, text) of a vote card where an option may be named."""
    out: list[tuple[Path, str]] = []
    if isinstance(act.get("rationale"), str):
        out.append((("rationale",), act["rationale"]))
    for i, o in enumerate(act.get("options", [])):
        if isinstance(o, dict) and isinstance(o.get("feedback"), str):
            out.append((("options", i, "feedback"), o["feedback"]))
    return out


def _inside_latin_words(text: str, start: int, end: int) -> bool:
    """True when the nearest non-space characters on both sides are Latin letters (English prose)."""
    before = text[:start].rstrip()[-1:]
    after = text[end:].lstrip()[:1]
    return before.isascii() and before.isalpha() and after.isascii() and after.isalpha()


def _trigrams(text: str) -> set[str]:
    t = re.sub(r"[\s，。；：、“”‘’？！（）,.;:!?()\"']", "", text)
    return {t[i:i + 3] for i in range(len(t) - 2)}


def _longest_best(options: list[Any]) -> bool:
    best = [o for o in options if isinstance(o, dict) and o.get("rating") == "best"]
    if len(best) != 1:
        return False
    n = len(best[0].get("text", ""))
    return all(len(o.get("text", "")) < n for o in options if isinstance(o, dict) and o is not best[0])


def _has(text: str, words: tuple[str, ...]) -> bool:
    return any(w in text for w in words)


def figures(text: str | bytes) -> dict[str, Any]:
    """The deck's figures behind the warnings (and the review's counts), from the raw YAML."""
    data, _lines = load(text)
    acts = [a for a in data.get("activities", []) if isinstance(a, dict)]
    deals = {c: a.get("time_limit") for a in acts if a.get("kind") == "deal" for c in a.get("cards", [])}
    votes = [a for a in acts if a.get("kind") == "vote"]
    best_texts = [o["text"] for a in votes for o in a["options"] if o.get("rating") == "best"]
    other_texts = [o["text"] for a in votes for o in a["options"] if o.get("rating") != "best"]
    slow: list[tuple[str, int, float, int]] = []
    for a in acts:
        limit = deals.get(a.get("id")) or a.get("time_limit")
        chars = _chars(*shown_texts(a))
        if a.get("kind") == "roleplay":
            steps = a.get("steps") if isinstance(a.get("steps"), dict) else {}
            limit = steps.get("prep", 120)
            chars += _longest_brief(a)
        elif a.get("kind") not in TIMED_KINDS:
            continue
        if isinstance(limit, int) and limit > 0 and reading_seconds(chars) > READING_SHARE * limit:
            slow.append((a["id"], chars, reading_seconds(chars), limit))
    return {
        "vote_cards": len(votes),
        "longest_best": [a["id"] for a in votes if _longest_best(a.get("options", []))],
        # how many options are strictly longer than the best one, card by card (0 = it is the longest)
        "best_length_rank": [sum(len(o.get("text", "")) > len(b["text"]) for o in a["options"] if o is not b)
                             for a in votes for b in a["options"] if b.get("rating") == "best"],
        "semicolon_best": sum("；" in t for t in best_texts),
        "semicolon_other": sum("；" in t for t in other_texts),
        "apology_best": sum(_has(t, APOLOGY_WORDS) for t in best_texts),
        "apology_other": sum(_has(t, APOLOGY_WORDS) for t in other_texts),
        "best_options": len(best_texts),
        "other_options": len(other_texts),
        "slow_cards": slow,
    }


def lint_deck(text: str | bytes) -> list[DeckWarning]:
    """Warnings for a deck that parses (call after ``parse_deck``); empty when all is well."""
    data, lines = load(text)
    out: list[DeckWarning] = []

    def warn(path: Path, message: str) -> None:
        out.append(DeckWarning(path_str(path), lines.get(path), message))

    acts = [(i, a) for i, a in enumerate(data.get("activities", [])) if isinstance(a, dict)]
    index = {a.get("id"): i for i, a in acts}
    fig = figures(text)

    if fig["vote_cards"] and len(fig["longest_best"]) > LONGEST_BEST_SHARE * fig["vote_cards"]:
        warn(("activities",), f"the recommended option is strictly the longest in {len(fig['longest_best'])} "
                              f"of {fig['vote_cards']} vote cards: trainees can pick by length without "
                              "reading; make the best option shorter or a distractor longer in some of them")

    for act_id, chars, seconds, limit in fig["slow_cards"]:
        i = index[act_id]
        what = "the scenario and the longest brief" if data["activities"][i].get("kind") == "roleplay" \
            else "its text"
        warn(("activities", i, "id"), f"'{act_id}': reading {what} ({chars} characters) takes about "
                                      f"{seconds:.0f} s at {READING_CHARS_PER_MINUTE} characters a minute, more "
                                      f"than {READING_SHARE:.0%} of its {limit} s; cut the text or give more time")

    for i, a in acts:
        if a.get("kind") != "vote":
            continue
        n = len(a.get("options", []))
        for sub, txt in _option_letters(a):
            for m in LETTER_RE.finditer(txt):
                if _inside_latin_words(txt, m.start(), m.end()):
                    continue  # "a" and "A" in English prose are words, not options
                letter = m.group(1)
                if letter.upper() not in LETTERS[:n]:
                    warn(("activities", i, *sub), f"'{a['id']}' names option {letter}, but the card shows "
                                                  f"only {LETTERS[0]}-{LETTERS[n - 1]}")
                elif letter.islower():
                    warn(("activities", i, *sub), f"'{a['id']}' names option '{letter}' in lower case; "
                                                  f"screens label it {letter.upper()}")

    grams = [(i, a["id"], _trigrams("".join(shown_texts(a)))) for i, a in acts
             if a.get("kind") != "deal" and isinstance(a.get("id"), str)]
    for x in range(len(grams)):
        for y in range(x + 1, len(grams)):
            (i, id_a, ga), (_j, id_b, gb) = grams[x], grams[y]
            small = min(len(ga), len(gb))
            if small < SIMILAR_MIN_CHARS:
                continue
            share = len(ga & gb) / small
            if share > SIMILAR_SHARE:
                warn(("activities", i, "id"), f"'{id_a}' and '{id_b}' share {share:.0%} of their text; "
                                              "one reads as a copy of the other")
    by_id = {a_id: g for _i, a_id, g in grams}
    agenda = data.get("agenda") if isinstance(data.get("agenda"), list) else [a.get("id") for _i, a in acts]
    for k, (x_id, y_id) in enumerate(itertools.pairwise(agenda)):
        ga, gb = by_id.get(x_id, set()), by_id.get(y_id, set())
        small = min(len(ga), len(gb))
        if small >= SIMILAR_MIN_CHARS and SIMILAR_SHARE >= len(ga & gb) / small > ADJACENT_SHARE:
            warn(("agenda", k + 1), f"'{x_id}' and '{y_id}' come back to back and share "
                                    f"{len(ga & gb) / small:.0%} of their text; put something between them")
    return out
