"""Deck loading: the built-in deck is valid, and a bad deck gets every problem with its line."""

from __future__ import annotations

import pytest

from games.bundle import builtin_decks
from games.decks import parse_deck
from sessions.errors import DeckInvalid

LEGAL_REFERENCE_SOURCES = ("《中华人民共和国", "《电信", "《最高人民法院", "《侵害消费者权益行为处罚办法》")


def test_builtin_complaint_handling_deck() -> None:
    deck = builtin_decks()["complaint-handling"]
    assert deck.locale == "zh-CN" and deck.disclaimer
    votes = [a for a in deck.activities.values() if a.kind == "vote"]
    assert len(votes) >= 6
    by_module = {m: sum(1 for a in votes if a.module == m) for m in ("m2", "m3", "m10")}
    assert all(n >= 2 for n in by_module.values()), by_module
    for act in votes:
        assert act.config.rationale, act.id
        assert act.config.recommended, act.id
        for ref in act.config.legal_basis:
            assert ref.source.startswith(LEGAL_REFERENCE_SOURCES), ref.source


def problems(text: str) -> list[tuple[int | None, str]]:
    with pytest.raises(DeckInvalid) as info:
        parse_deck(text)
    return [(p.line, p.message) for p in info.value.problems]


BAD = """\
id: Bad Id
title: x
activities:
  - id: one
    kind: vote
    title: 一
    card: {situation: s}
    options:
      - {id: a, text: A, rating: best}
  - id: one
    kind: quiz
    title: 二
  - id: three
    kind: vote
    title: 三
    colour: red
    card: {situation: s}
    options:
      - {id: a, text: A, rating: good}
      - {id: a, text: B, rating: poor}
agenda: [one, nowhere]
"""


def test_every_problem_is_reported_with_its_line() -> None:
    found = problems(BAD)
    text = "\n".join(f"{line}: {msg}" for line, msg in found)
    assert "1: should be an id" in text
    assert "8: should hold 2 to 6 items, not 1" in text
    assert "10: duplicate activity id 'one'" in text
    assert "11: unknown kind 'quiz'" in text
    assert "16: unknown key 'colour'" in text
    assert "19: should be one of best, acceptable, poor, not 'good'" in text
    assert "20: duplicate option id 'a'" in text
    assert "exactly one option should be rated 'best'" in text
    assert "21: names the activity 'nowhere'" in text


def test_yaml_is_loaded_safely() -> None:
    found = problems("id: x\ntitle: !!python/object/apply:os.system ['echo hi']\nactivities: []\n")
    assert "not valid YAML" in found[0][1]
    assert problems("id: x\nid: y\n")[0] == (2, "the key 'id' appears twice")
    assert "larger than" in problems("x" * 1_000_001)[0][1]
    assert problems("")[0][1] == "the file is empty"
