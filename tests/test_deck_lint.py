"""The deck lint, and the built-in course held to the figures of issue 15 (recomputed from the file).

The figures are the review's: how often the recommended option is strictly the longest, how
"；" and apology words spread over recommended and other options, which timed cards need
more than 60 % of their time to read at 400 characters a minute, and the consistency rules
(option letters A-D in rationales, rubric anchors 1-5, one variant per role-play round).
"""

from __future__ import annotations

import re

import yaml

from games.decks import BUILTIN_DIR
from games.lint import READING_SHARE, figures, lint_deck, reading_seconds, shown_texts
from tests.test_deck_tools import run_cli

DECK = BUILTIN_DIR / "complaint-handling" / "deck.yaml"
TEXT = DECK.read_text(encoding="utf-8")


def test_builtin_course_answers_are_not_guessable() -> None:
    fig = figures(TEXT)
    votes = fig["vote_cards"]
    assert votes >= 41
    # the best option is strictly the longest in at most about a third of the cards
    assert len(fig["longest_best"]) <= votes / 3, fig["longest_best"]
    # nor is "the second longest" or "the shortest": the best option's length rank is spread out
    ranks = fig["best_length_rank"]
    assert max(ranks.count(r) for r in set(ranks)) <= 0.4 * votes, sorted(ranks)
    # "；" and apology words are about as common in recommended options as in the others
    for key in ("semicolon", "apology"):
        best = fig[f"{key}_best"] / fig["best_options"]
        other = fig[f"{key}_other"] / fig["other_options"]
        assert other > 0.1 and best > 0.1, (key, best, other)
        assert abs(best - other) <= 0.1, (key, best, other)


def test_builtin_course_is_readable_in_time_and_consistent() -> None:
    assert figures(TEXT)["slow_cards"] == []
    data = yaml.safe_load(TEXT)
    acts = {a["id"]: a for a in data["activities"]}
    for a in acts.values():
        if a["kind"] in ("vote", "order", "estimate") and "time_limit" in a:
            chars = sum(len(re.sub(r"\s", "", t)) for t in shown_texts(a))
            assert reading_seconds(chars) <= READING_SHARE * a["time_limit"], a["id"]
        if a["kind"] == "vote":
            letters = "ABCDEF"[:len(a["options"])]
            for text in [a.get("rationale", "")] + [o.get("feedback", "") for o in a["options"]]:
                for m in re.finditer(r"(?<![A-Za-z0-9])([A-Fa-f])(?![A-Za-z0-9])", text):
                    assert m.group(1) in letters, (a["id"], m.group(1))
        if a["kind"] == "roleplay" and a.get("rounds", 1) > 1:
            assert len(a.get("variants", [])) >= a["rounds"], a["id"]
            secrets = [v["customer"] for v in a["variants"]]
            assert len(set(secrets)) == len(secrets), a["id"]
            observer = a["roles"]["observer"]["brief"]
            # the observer brief says what to watch for, not the secret it is watching for
            assert not any(q in observer for q in ("网课", "情况说明", "回复过1")), a["id"]
    for rubric in data["rubrics"]:
        for crit in rubric["criteria"]:
            assert sorted(crit["anchors"]) == [1, 2, 3, 4, 5], crit["id"]
    # the two cards of 王先生 agree on what he was given before
    wang = [acts["m10-serial-complainer-wang"], acts["m10-rp-wang"]]
    assert all("两次由不同人员“特批”话费补偿，各100元" in str(a) for a in wang)
    # the same full waiver is rated the same everywhere
    for card, option in (("m4-case-early-termination", "c"), ("m4-case-roaming-bill", "c")):
        assert next(o for o in acts[card]["options"] if o["id"] == option)["rating"] == "poor"
    assert "几天" in acts["m10-review-action-plan"]["prompt"]


def test_builtin_decks_pass_their_own_lint() -> None:
    for path in sorted(BUILTIN_DIR.glob("*.yaml")) + sorted(BUILTIN_DIR.glob("*/deck.yaml")):
        assert lint_deck(path.read_text(encoding="utf-8")) == [], path
    out = run_cli("deck", "check", str(DECK))
    assert out.returncode == 0 and "warning" not in out.stdout + out.stderr


GUESSABLE = """\
id: lint-me
title: 待检查
activities:
  - id: one
    kind: vote
    title: 一
    time_limit: 10
    card: {situation: 客户来电投诉宽带断网四天，要求赔偿直播损失两千元，并说今天不给答复就去申诉。}
    options:
      - {id: a, text: 致歉并依规免收障碍期间月租；损失请他提供材料后答复, rating: best}
      - {id: b, text: 不赔, rating: poor}
    rationale: c 才对。
  - id: two
    kind: vote
    title: 二
    card: {situation: 客户来电投诉宽带断网四天，要求赔偿直播损失两千元，并说今天不给答复就去申诉。}
    options:
      - {id: a, text: 致歉并依规免收障碍期间月租；损失请他提供材料后答复, rating: best}
      - {id: b, text: 不赔, rating: poor}
    rationale: a 对，B 错。
"""


def test_lint_warns_with_lines_and_check_still_exits_0(tmp_path) -> None:  # type: ignore[no-untyped-def]
    found = {(w.line, w.message.split(":")[0][:40]) for w in lint_deck(GUESSABLE)}
    text = "\n".join(f"{w.line}: {w.message}" for w in lint_deck(GUESSABLE))
    assert "3: the recommended option is strictly the longest in 2 of 2 vote cards" in text
    assert "4: 'one': reading its text (" in text and "more than 60% of its 10 s" in text
    assert "12: 'one' names option c, but the card shows only A-B" in text
    assert "20: 'two' names option 'a' in lower case; screens label it A" in text
    assert "'one' and 'two' share 100% of their text" in text
    assert len(found) == 5
    deck = tmp_path / "lint-me.yaml"
    deck.write_text(GUESSABLE, encoding="utf-8")
    out = run_cli("deck", "check", str(deck))
    assert out.returncode == 0, out.stderr
    assert f"{deck}:12: warning: activities[0].rationale: 'one' names option c" in out.stdout
    assert ": ok: 'lint-me'" in out.stdout
