"""Deck tooling: `caseroom deck check`, the JSON Schema, spreadsheet import, agenda choice."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from games.deckimport import import_deck, write_template
from games.decks import BUILTIN_DIR, COMMON_ACTIVITY_KEYS, DEAL_KEYS, parse_deck
from games.kinds import all_kinds
from games.schema import KIND_PROPERTIES, deck_schema
from sessions.errors import DeckInvalid
from tests.conftest import FIXTURES, ROOT, RunningServer

NOT_DECKS = {"posts-labelled.yaml"}  # the labelled discussion board of the grouping bench
DECKS = (sorted(BUILTIN_DIR.glob("*.yaml")) + sorted(BUILTIN_DIR.glob("*/deck.yaml"))
         + sorted(p for p in FIXTURES.glob("*.yaml") if p.name not in NOT_DECKS))


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "server.cli", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)


BROKEN = """\
id: broken
title: 坏课件
rubrics:
  - id: r
    title: R
    criteria: [{id: c, title: C}]
activities:
  - id: a
    kind: quiz
    title: 未知类型
  - id: b
    kind: vote
    title: 缺选项
    card: {situation: s}
  - id: b
    kind: order
    title: 重复
    steps: [{id: x, text: X}, {id: y, text: Y}, {id: z, text: Z}]
  - id: rp
    kind: roleplay
    title: 角色扮演
    rubric: missing
    scenario: {situation: s}
    roles: {customer: {title: 客户, brief: b}, agent: {title: 坐席, brief: b}}
agenda: [b, nowhere]
"""


def test_deck_check_prints_every_problem_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text(BROKEN, encoding="utf-8")
    out = run_cli("deck", "check", str(bad))
    assert out.returncode == 1
    lines = out.stderr.splitlines()
    expected = [
        f"{bad}:9: activities[0].kind: unknown kind 'quiz'",
        f"{bad}:11: activities[1]: missing required list 'options'",
        f"{bad}:15: activities[2]: duplicate activity id 'b' (first used at line 11)",
        f"{bad}:22: activities[3].rubric: names the rubric 'missing', which the deck does not define",
        f"{bad}:25: agenda[1]: names the activity 'nowhere', which the deck does not define",
    ]
    for line in expected:
        assert any(x.startswith(line) for x in lines), (line, lines)
    good = run_cli("deck", "check", *map(str, DECKS))
    assert good.returncode == 0, good.stderr
    assert good.stdout.count(": ok: ") == len(DECKS)


def _as_json(path: Path) -> object:
    return json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8"))))


@pytest.mark.parametrize("path", DECKS, ids=lambda p: p.name)
def test_every_shipped_deck_is_valid_under_the_schema(path: Path) -> None:
    jsonschema.validate(_as_json(path), deck_schema())


def test_the_schema_knows_exactly_the_keys_the_validator_knows() -> None:
    for name, kind in all_kinds().items():
        expected = COMMON_ACTIVITY_KEYS | kind.allowed_keys()
        assert set(KIND_PROPERTIES[name]) | set(COMMON_ACTIVITY_KEYS) == expected, name
    assert set(KIND_PROPERTIES["deal"]) | {"id", "kind", "module", "title", "mode", "debrief", "results"} == DEAL_KEYS
    committed = json.loads((ROOT / "docs" / "deck.schema.json").read_text(encoding="utf-8"))
    assert committed == deck_schema(), "regenerate: caseroom deck schema > docs/deck.schema.json"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"id": "x", "title": "t", "activities": [{"id": "a", "kind": "vote", "title": "t",
                                                                      "card": {"situation": "s"}, "options": [],
                                                                      "colour": 1}]}, deck_schema())


def test_the_xlsx_template_round_trips_into_a_valid_deck(tmp_path: Path) -> None:
    path = tmp_path / "template.xlsx"
    write_template(path)
    deck = parse_deck(import_deck(path.read_bytes(), path.name))
    assert deck.id == "my-course" and {a.kind for a in deck.activities.values()} == {"vote", "order", "estimate",
                                                                                     "discuss"}
    vote = deck.activities["m3-refund"].config
    assert vote.recommended == "a" and [o.rating for o in vote.options] == ["best", "poor", "acceptable"]
    assert deck.activities["m5-three-step"].config.steps[0][1] == "表示理解客户感受"
    committed = ROOT / "docs" / "deck-template.xlsx"
    assert parse_deck(import_deck(committed.read_bytes(), committed.name)).id == "my-course"
    assert [g for g, _name in parse_deck(import_deck(path.read_bytes(), path.name)).groups] == ["g1", "g2", "g3"]
    # The CSV template's discussion is in group mode: without groups it would play as individual, so it is refused.
    out = run_cli("deck", "import", str(ROOT / "docs" / "deck-template.csv"), "--id", "from-csv")
    assert out.returncode == 1 and "needs groups" in out.stderr
    out = run_cli("deck", "import", str(ROOT / "docs" / "deck-template.csv"), "--id", "from-csv",
                  "--groups", "第一组,第二组", "-o", str(tmp_path / "d.yaml"))
    assert out.returncode == 0, out.stderr
    assert run_cli("deck", "check", str(tmp_path / "d.yaml")).returncode == 0


def test_import_reads_chinese_headers_and_kinds_and_sets_group_modes(tmp_path: Path) -> None:
    """The audit's department wrote 编号, 题型, 标题…: all 26 columns were refused before."""
    sheet = ("编号,模块,题型,方式,标题,情境,选项A,选项B,选项C,最佳,可接受,反馈A,解析,步骤\n"
             "hv-01,m1,单选,个人,上门时客户不在家,约好的时间客户不在。,电话联系并改约,直接离开,留言后离开,A,C,有礼有节,先联系,\n"
             "hv-02,m1,单选,小组多数,小组投票,情境,甲,乙,,B,,,理由,\n"
             "hv-03,m1,排序,,上门步骤,,,,,,,,理由,\"敲门\n自我介绍\n说明来意\"\n")
    text = import_deck(sheet.encode("utf-8-sig"), "hv.csv", groups=["第一组", "第二组", "第三组"])
    deck = parse_deck(text)
    vote = deck.activities["hv-01"]
    assert vote.title == "上门时客户不在家" and vote.mode == "individual"
    assert [o.rating for o in vote.config.options] == ["best", "poor", "acceptable"]
    assert deck.activities["hv-02"].mode == "group-majority" and len(deck.groups) == 3
    assert deck.activities["hv-03"].kind == "order"
    with pytest.raises(DeckInvalid) as info:
        import_deck(sheet.encode("utf-8-sig"), "hv.csv")
    assert "row 3: mode '小组多数' needs groups" in "\n".join(str(p) for p in info.value.problems)
    # Both forms in one header, as the template has them.
    both = "标题 title,kind（题型）,情境,A,B,best 最佳,解析 rationale\n双语,vote,情境,甲,乙,A,理由\n"
    assert parse_deck(import_deck(both.encode(), "both.csv")).activities["card-2"].title == "双语"
    bad = "标题,题目类型\n一,二\n"
    with pytest.raises(DeckInvalid) as info:
        import_deck(bad.encode(), "bad.csv")
    assert "unknown column '题目类型'" in str(info.value.problems[0])


@pytest.mark.parametrize(("acceptable", "ratings", "error"), [
    ("C，D", None, "'acceptable' names D, but there is no option D"),
    ("B;C", ["best", "acceptable", "acceptable"], None),
    ("BC", ["best", "acceptable", "acceptable"], None),
    ("B、C", ["best", "acceptable", "acceptable"], None),
    ("B C", ["best", "acceptable", "acceptable"], None),
    ("乙", None, "'acceptable' is '乙': write option letters A-F"),
    ("G", None, "'acceptable' is 'G'"),
])
def test_import_validates_acceptable_letters(acceptable: str, ratings: list[str] | None, error: str | None) -> None:
    sheet = f"id,title,situation,rationale,A,B,C,best,acceptable\nq,题,情境,理由,甲,乙,丙,A,\"{acceptable}\"\n"
    if error is None:
        deck = parse_deck(import_deck(sheet.encode(), "a.csv"))
        assert [o.rating for o in deck.activities["q"].config.options] == ratings
    else:
        with pytest.raises(DeckInvalid) as info:
            import_deck(sheet.encode(), "a.csv")
        assert error in "\n".join(str(p) for p in info.value.problems)


def test_import_reports_bad_rows_by_row_number() -> None:
    sheet = ("id,kind,title,A,B,best,steps,answer\n"
             "ok,vote,好题,甲,乙,A,,\n"
             "nobest,vote,没有最佳,甲,乙,,,\n"
             "bad,quiz,未知,,,,,\n"
             "short,order,两步,,,,\"一\\n二\",\n"
             "num,estimate,数字,,,,,很多\n").replace("\\n", "\n")
    with pytest.raises(DeckInvalid) as info:
        import_deck(sheet.encode("utf-8-sig"), "cases.csv")
    text = "\n".join(str(p) for p in info.value.problems)
    assert "row 4: kind 'quiz' is not one of" in text
    assert "row 6: 'answer' should be a number" in text
    with pytest.raises(DeckInvalid) as info:
        import_deck(sheet.encode().split(b"bad,quiz")[0], "cases.csv")
    text = "\n".join(str(p) for p in info.value.problems)
    assert "line 3: row 3 options: exactly one option should be rated 'best'" in text


def test_a_session_can_play_a_chosen_part_of_the_agenda(server: RunningServer) -> None:
    with server.admin() as api:
        deck = next(d for d in api.get("/api/decks").json()["decks"] if d["id"] == "complaint-handling")
        wanted = [a["id"] for a in deck["activities"] if a["id"].startswith(("m3", "m10"))]
        r = api.post("/api/sessions", json={"deck": "complaint-handling", "modules": ["m3", "m10"]})
        assert r.status_code == 201 and r.json()["agenda"] == wanted
        picked = wanted[:2][::-1]
        assert api.post("/api/sessions", json={"deck": "complaint-handling", "agenda": picked}).json()["agenda"] \
            == picked
        for bad in ({"modules": ["m99"]}, {"agenda": ["nope"]}, {"agenda": []}, {"agenda": picked, "modules": ["m3"]}):
            r = api.post("/api/sessions", json={"deck": "complaint-handling", **bad})
            assert r.status_code == 400 and r.json()["error"]["code"] == "bad_agenda", bad
