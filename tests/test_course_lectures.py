"""The built-in course's lectures and presets (issue 13.4), recomputed from the deck file.

Planned time of an activity = its timed steps (a card's time_limit; a role-play's
(prep + play + scoring) x rounds; a slide's duration) + the reveal/debrief allowance the deck
states per kind (``timing``) or per activity (``debrief``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from games.bundle import builtin_decks
from games.decks import BUILTIN_DIR

FOLDER = BUILTIN_DIR / "complaint-handling"
DATA = yaml.safe_load((FOLDER / "deck.yaml").read_text(encoding="utf-8"))
ACTS = {a["id"]: a for a in DATA["activities"]}
SLIDES = [a for a in DATA["activities"] if a["kind"] == "slide"]


def planned(a: dict[str, Any]) -> int:
    if a["kind"] == "slide":
        base = a["duration"]
    elif a["kind"] == "roleplay":
        st = {"prep": 120, "play": 300, "scoring": 120, **a.get("steps", {})}
        base = (st["prep"] + st["play"] + st["scoring"]) * a.get("rounds", 1)
    else:
        base = a.get("time_limit") or 0
    return int(base + a.get("debrief", DATA.get("timing", {}).get(a["kind"], 0)))


def test_every_module_has_lectures_with_trainer_notes() -> None:
    assert "complaint-handling" in builtin_decks()  # the deck with its slides validates
    assert len(SLIDES) >= 30
    assert {m["id"] for m in DATA["modules"]} <= {s["module"] for s in SLIDES}
    for s in SLIDES:
        assert "讲师提示" in s["notes"] and len(s["notes"]) <= 2000, s["id"]
        assert s.get("points") or s.get("compare"), s["id"]
    titles = " ".join(s["title"] for s in SLIDES)
    for topic in ("四种方法", "三段式", "目的引导", "同一阵线", "打断", "时间期望值", "分级", "投诉、申诉、诉讼",
                  "变色龙", "手榴弹", "万事通", "投诉为生", "只有赔偿目的", "四两拨千斤", "分类模式", "短信",
                  "拥塞", "谁能免"):
        assert topic in titles, topic


def test_every_discussion_and_the_plan_have_reference_points_next_to_them() -> None:
    agenda = DATA["agenda"]
    for i, act_id in enumerate(agenda):
        if ACTS[act_id]["kind"] in ("discuss", "plan"):
            near = [ACTS[x] for x in agenda[max(0, i - 2):i + 3] if x != act_id]
            assert any(a["kind"] == "slide" and "讲师提示" in a["notes"] for a in near), act_id


def test_media_is_in_the_bundle_and_small() -> None:
    media = {s.get(k) for s in SLIDES for k in ("image", "video", "audio")} - {None}
    assert any(m.endswith(".png") for m in media) and any(m.endswith((".ogg", ".mp3", ".mp4", ".webm"))
                                                          for m in media)
    for m in media:
        size = (FOLDER / m).stat().st_size
        assert size < (200_000 if m.endswith(".png") else 500_000), (m, size)
    assert Path(FOLDER / "media" / "three-step.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_presets_plan_half_a_day_a_day_and_two_days_ending_with_the_action_plan() -> None:
    wanted = {"half-day": 3.5, "one-day": 6.0, "two-days": 12.0}
    assert set(DATA["agendas"]) == set(wanted)
    for name, hours in wanted.items():
        days = DATA["agendas"][name]["days"]
        ids = [x for day in days for x in day]
        assert len(ids) == len(set(ids)) and set(ids) <= set(ACTS), name
        total = sum(planned(ACTS[x]) for x in ids) / 3600
        assert abs(total - hours) <= 0.1 * hours, (name, total)
        assert ids[-2:] == ["m10-plan-guide-slide", "m10-review-action-plan"], name
        assert "m10-review-slide" in ids[-3:], name
    assert len(DATA["agendas"]["two-days"]["days"]) == 2
    # the deck's own planner (what the trainer page shows) agrees with this recomputation
    deck = builtin_decks()["complaint-handling"]
    for preset in deck.presets:
        assert [deck.planned_total(day) for day in preset.days] == [
            sum(planned(ACTS[x]) for x in day) for day in DATA["agendas"][preset.id]["days"]]
