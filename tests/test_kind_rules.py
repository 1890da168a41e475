"""The arithmetic and validation of single kinds, without a session around them."""

from __future__ import annotations

import pytest

from games.decks import parse_deck
from games.estimate import EstimateConfig, estimate_points
from games.order import kendall_distance, order_points
from sessions.errors import DeckInvalid


def test_kendall_distance_and_partial_credit() -> None:
    correct = ("a", "b", "c", "d")
    assert kendall_distance(["a", "b", "c", "d"], correct) == 0
    assert kendall_distance(["b", "a", "c", "d"], correct) == 1
    assert kendall_distance(["d", "c", "b", "a"], correct) == 6
    assert order_points(("a", "b", "d", "c"), correct, 100) == 83
    assert order_points(("d", "c", "b", "a"), correct, 100) == 0
    assert order_points(("c", "a", "b", "d"), correct, 60) == 40  # d=2 of 6


def test_estimate_closeness() -> None:
    cfg = EstimateConfig(None, "元", 100.0, 10.0, 50.0, 0.0, 500.0, 100, "", (), None)
    assert [estimate_points(v, cfg) for v in (100, 90, 111, 120, 130, 150, 400)] == [100, 100, 98, 75, 50, 0, 0]


def test_one_rounding_rule_half_up() -> None:
    """The audit's case: answer 5, tolerance 0, zero at 4 away; 6.5 is worth 62.5 points, which is 63
    (Python's round gave 62, half to even). Group means and the other kinds round the same way."""
    from games.rounding import half_up

    cfg = EstimateConfig(None, "月", 5.0, 0.0, 4.0, 0.0, 24.0, 100, "", (), None)
    assert estimate_points(6.5, cfg) == 63 and estimate_points(7.5, cfg) == 38
    assert [half_up(x) for x in (0.5, 1.5, 2.5, 62.5, -2.5, 87.5)] == [1, 2, 3, 63, -2, 88]
    assert half_up(0.1 + 0.2, 1) == 0.3 and half_up(2 / 3, 3) == 0.667 and half_up(0.125, 2) == 0.13


def test_non_finite_estimate_bounds_never_raise() -> None:
    """F3's runtime half: a deck stored before validation refused .inf/.nan still scores and draws
    (zero_at .inf used to raise in round(nan) at reveal, min -.inf in int(nan) in the histogram)."""
    from games.estimate import ESTIMATE, EstimateState

    inf, nan = float("inf"), float("nan")
    for zero_at, tolerance in ((inf, 10.0), (nan, 10.0), (50.0, nan), (inf, inf)):
        cfg = EstimateConfig(None, "元", 100.0, tolerance, zero_at, 0.0, 500.0, 100, "", (), None)
        assert all(isinstance(estimate_points(v, cfg), int) for v in (100, 130, 400, -5))
    for lo, hi in ((-inf, 500.0), (0.0, inf), (nan, 500.0), (-inf, inf)):
        cfg = EstimateConfig(None, "元", 100.0, 10.0, 50.0, lo, hi, 100, "", (), None)
        state = EstimateState({"p1": (100.0, 0), "p2": (3.0, 0)})
        assert len(ESTIMATE.public(cfg, state, True)["histogram"]["counts"]) > 0
        assert ESTIMATE.review(cfg, state) is not None


def deck_problems(body: str) -> str:
    head = "id: t\ntitle: t\n"
    with pytest.raises(DeckInvalid) as info:
        parse_deck(head + body)
    return "\n".join(str(p) for p in info.value.problems)


def test_new_kinds_are_validated_with_lines() -> None:
    text = deck_problems("""\
rubrics:
  - id: r
    title: R
    criteria:
      - {id: c1, title: C, anchors: {7: x}}
activities:
  - id: rp
    kind: roleplay
    title: RP
    rubric: nope
    scenario: {situation: s}
    roles: {customer: {title: C, brief: b}}
  - id: o
    kind: order
    title: O
    steps: [{id: a, text: A}, {id: b, text: B}]
  - id: e
    kind: estimate
    title: E
    answer: 50
    max: 10
  - id: v
    kind: vote
    mode: group-everything
    title: V
    card: {situation: s}
    options: [{id: a, text: A, rating: best}, {id: b, text: B, rating: poor}]
  - id: d
    kind: deal
    title: D
    cards: [rp, ghost]
""")
    assert "line 7: rubrics[0].criteria[0].anchors.7: anchors map a score 1-5" in text
    assert "line 12: activities[0].rubric: names the rubric 'nope'" in text
    assert "line 14: activities[0].roles: missing required key 'agent'" in text
    assert "line 18: activities[1].steps: should hold 3 to 8 items, not 2" in text
    assert "line 22: activities[2].answer: the reference 50 is outside min..max" in text
    assert "line 26: activities[3].mode: should be one of individual, group-consensus, group-majority" in text
    assert "'rp' is a roleplay; a deal hands out vote, order, estimate or discuss cards" in text
    assert "names the card 'ghost', which the deck does not define" in text
