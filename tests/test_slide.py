"""The slide kind through the core, deck timing and presets, and bundle validation (file and line)."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from typing import Any

import orjson
import pytest

from games.bundle import MAX_FILES, read_folder, read_path, read_zip
from games.decks import parse_deck, parse_stored
from games.media import MAX_BYTES
from sessions.clock import FakeClock
from sessions.core import Command
from sessions.errors import DeckInvalid, Refused
from sessions.hub import LocalHub
from sessions.live import LiveSession, Sessions
from sessions.store import MemoryStore
from sessions.views import console_view, player_view, screen_view
from tests.bundles import SLIDE_DECK, files, png, write_folder, zip_bytes

NOTES = "讲师提示：先问学员遇到过的难缠客户。"


def deck_of(content: dict[str, bytes] | None = None):
    return read_zip(zip_bytes(content or files())).deck("test bundle")


def problems(content: dict[str, bytes]) -> list[tuple[int | None, str, str]]:
    with pytest.raises(DeckInvalid) as exc:
        deck_of(content)
    return [(p.line, p.path, p.message) for p in exc.value.problems]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


class Room:
    def __init__(self) -> None:
        self.clock = FakeClock()
        sessions = Sessions(MemoryStore(), LocalHub(), lambda _id: None)
        self.live: LiveSession = sessions.create(deck_of(), "讲授", "654321", "h", self.clock.now_ms())
        assert self.live.join("学员一", None, None, self.clock.now_ms())[0] == "p1"

    def host(self, command: str, /, **args: Any) -> list[str]:
        return [e.type for e in self.live.execute(Command(command, "host", args), self.clock.now_ms()).events]

    def views(self) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        st = self.live.state
        return screen_view(st, 1), console_view(st, {"p1"}), player_view(st, "p1")


def test_points_are_revealed_one_at_a_time_and_notes_reach_the_console_only() -> None:
    room = Room()
    room.host("start", activity="s-three")
    screen, console, phone = room.views()
    assert screen["activity"]["kind"] == "slide" and screen["activity"]["bullets"] == []
    assert screen["activity"]["bullets_total"] == 3
    assert console["activity"]["notes"].strip() == NOTES
    assert console["activity"]["all_bullets"] == ["认同感受", "说明事实", "给出方案"]
    assert room.host("act", action="point") == ["action_taken"]
    room.host("act", action="point")
    screen, console, phone = room.views()
    assert screen["activity"]["bullets"] == ["认同感受", "说明事实"]
    assert phone["activity"]["bullets"] == ["认同感受", "说明事实"]
    assert phone["activity"]["title"] == "三段式法则" and phone["activity"]["look_at_screen"] is True
    room.host("act", action="back")
    assert room.views()[0]["activity"]["bullets"] == ["认同感受"]
    room.host("act", action="all")
    assert len(room.views()[2]["activity"]["bullets"]) == 3
    with pytest.raises(Refused) as exc:
        room.host("act", action="point")
    assert exc.value.code == "no_more_points"
    with pytest.raises(Refused):
        room.host("act", action="explode")
    for view in room.views()[0], room.views()[2]:
        text = orjson.dumps(view).decode()
        assert "讲师提示" not in text and "notes" not in text, "notes leaked to a screen or a phone"


def test_the_screen_carries_media_urls_and_a_slide_takes_no_answer() -> None:
    room = Room()
    room.host("start", activity="s-video")
    screen, _console, phone = room.views()
    media = screen["activity"]["media"]
    assert len(media) == 1 and media[0]["type"] == "video/webm"
    assert media[0]["url"].startswith("/media/") and media[0]["url"].endswith(".webm")
    assert screen["activity"]["video"] == media[0]
    assert screen["activity"]["quote"]["source"].startswith("《中华人民共和国电信条例》")
    assert [c["title"] for c in screen["activity"]["compare"]] == ["投诉", "申诉"]
    assert screen["activity"]["deadline"] is None  # duration plans, it never cuts a lecture short
    with pytest.raises(Refused):
        room.live.execute(Command("submit", "p1", {"activity": "s-video", "answer": {"choice": "a"}}),
                          room.clock.now_ms())
    assert phone["activity"]["look_at_screen"] is True


def test_a_slide_is_recorded_with_its_open_and_close_times() -> None:
    room = Room()
    room.host("start", activity="s-three")
    room.clock.advance(95)
    room.host("next")  # the next agenda entry closes the slide
    stage = room.live.state.stages["s-three"]
    assert stage.closed_at is not None and stage.closed_at - stage.opened_at == 95_000
    from sessions.export import record
    rec = record(room.live)
    entry = next(a for a in rec["activities"] if a["id"] == "s-three")
    assert entry["opened_at"] and entry["closed_at"] and entry["points"] == ["认同感受", "说明事实", "给出方案"]
    assert entry["spent"] == 95 and entry["planned"] == 130


def test_a_session_rebuilt_from_its_stored_deck_keeps_the_media() -> None:
    deck = deck_of()
    again = parse_stored(deck.source, "stored")
    assert again.media == deck.media and again.source == deck.source
    # A manifest line inside an uploaded YAML file is only a comment: it names no media.
    forged = SLIDE_DECK + deck.source.splitlines()[-1] + "\n"
    with pytest.raises(DeckInvalid) as exc:
        parse_deck(forged)
    assert any("bundle does not hold" in p.message for p in exc.value.problems)


def test_planned_seconds_and_presets() -> None:
    deck = deck_of()
    assert deck.planned("s-three") == 120 + 10  # duration + the deck's slide allowance
    assert deck.planned("v1") == 30 + 45  # time limit + its own debrief
    assert deck.planned("s-end") == 120 + 10  # a slide without duration plans two minutes
    summary = deck.summary()
    assert [a["planned"] for a in summary["activities"]] == [130, 70, 75, 130]
    two = next(p for p in summary["presets"] if p["id"] == "two")
    assert two["days"] == [["s-three", "s-video"], ["v1", "s-end"]] and two["planned"] == [200, 205]


def test_timing_and_agendas_problems_have_lines() -> None:
    bad = SLIDE_DECK.replace("timing: {vote: 60, slide: 10}", "timing: {vote: -5, dance: 3}").replace(
        "days: [[v1, s-end]]", "").replace("[v1, s-end]]", "[v1, nope, v1]]").replace("debrief: 45", "debrief: x")
    found = problems({**files(), "deck.yaml": bad.encode()})
    messages = {(line, msg.split(" (")[0]) for line, _path, msg in found}
    timing_line = line_of(bad, "timing:")
    assert (timing_line, "should be between 0 and 3600, not -5") in messages
    assert (timing_line, "unknown key 'dance'") in messages
    assert (line_of(bad, "two:"), "names the activity 'nope', which the deck does not define") in messages
    assert (line_of(bad, "two:"), "lists the activity 'v1' twice in one day") in messages
    assert (line_of(bad, "debrief:"), "should be a whole number") in messages


def test_slide_limits_name_their_lines() -> None:
    bad = SLIDE_DECK.replace("    notes: 讲师提示：视频播放两遍。", "    notes: " + "长" * 2001).replace(
        "points: [认同感受, 说明事实, 给出方案]", "points: [" + ", ".join(f"点{i}" for i in range(13)) + "]")
    found = problems({**files(), "deck.yaml": bad.encode()})
    assert (line_of(bad, "长长长"), "activities[1].notes", "is 2001 characters long; at most 2000 allowed") in found
    assert any(line == line_of(bad, "点0") and "should hold 0 to 12 items, not 13" in msg for line, _p, msg in found)


@pytest.mark.parametrize("change, needle, expect", [
    ("media/three-step.png", "media/missing.png", "which the bundle does not hold"),
    ("media/three-step.png", "../outside.png", "leaves the bundle"),
    ("media/three-step.png", "/etc/passwd.png", "leaves the bundle"),
    ("media/three-step.png", "media/clip.webm", "is video/webm, not an image"),
    ("media/three-step.png", "media/evil.svg", "not an allowed media type"),
])
def test_bad_media_references_are_refused_at_the_slide_line(change: str, needle: str, expect: str) -> None:
    text = SLIDE_DECK.replace(change, needle)
    content = {**files(), "deck.yaml": text.encode()}
    content["media/evil.svg"] = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"
    found = problems(content)
    image_line = line_of(text, f"image: {needle}")
    assert any(line == image_line and expect in msg for line, _p, msg in found), found


def test_oversized_and_disguised_files_are_refused_naming_the_file_and_the_line() -> None:
    big = png() + b"\x00" * MAX_BYTES["image"]
    found = problems({**files(), "media/three-step.png": big})
    assert any(line == line_of(SLIDE_DECK, "image: media/three-step.png") and "at most 5,000,000" in msg
               for line, _p, msg in found), found
    fake = {**files(), "media/three-step.png": b"<html><script>alert(1)</script></html>"}
    found = problems(fake)
    assert any("does not hold what its name says" in msg and "three-step.png" in msg for _l, _p, msg in found)


def test_files_no_slide_names_are_ignored_and_never_stored() -> None:
    bundle = read_zip(zip_bytes({**files(), "extra/page.html": b"<html></html>", "README.md": b"# notes",
                                 "media/unused.png": png(rgb=(1, 2, 3))}))
    deck = bundle.deck("bundle")
    assert set(deck.media) == {"media/three-step.png", "media/clip.webm"}
    assert {ref.sha256 for ref in deck.media.values()} == set(bundle.stored_files(deck))


def test_zip_paths_links_counts_and_bombs_are_refused() -> None:
    def zip_with(name: str, data: bytes, *, link: bool = False) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for k, v in files().items():
                zf.writestr(k, v)
            info = zipfile.ZipInfo(name)
            if link:
                info.external_attr = (0o120777 << 16)
            zf.writestr(info, data)
        return buf.getvalue()

    for name in ("../evil.png", "/abs.png", "media/../../evil.png"):
        assert read_zip(zip_with(name, png())).problems, name
    assert "symbolic link" in read_zip(zip_with("media/link.png", b"/etc/passwd", link=True)).problems[0].message
    many = zip_bytes({**files(), **{f"media/{i}.png": png() for i in range(MAX_FILES)}})
    assert "at most" in read_zip(many).problems[0].message
    # A bomb: 120 MB of zeros, about 120 KB zipped; refused by its declared size, nothing inflated.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("deck.yaml", SLIDE_DECK)
        with zf.open("media/bomb.png", "w", force_zip64=True) as fh:
            for _ in range(120):
                fh.write(b"\x00" * 1_000_000)
    assert "inflate" in read_zip(buf.getvalue()).problems[0].message
    # A header that lies (declares a small size for a large file): caught by the bounded read.
    honest = zip_bytes({**files(), "media/liar.png": png() + b"\x00" * 6_000_000})
    liar = honest.replace((6_000_000 + len(png())).to_bytes(4, "little"), (1000).to_bytes(4, "little"))
    assert read_zip(liar).problems, "a lying header was believed"
    assert read_zip(b"PK\x03\x04 not really").problems
    assert "no deck.yaml" in read_zip(zip_bytes({"media/x.png": png()})).problems[0].message


def test_folders_and_lone_yaml_files(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "course", files())
    deck = read_folder(folder).deck("folder")
    assert set(deck.media) == {"media/three-step.png", "media/clip.webm"}
    assert read_path(folder / "deck.yaml").deck("yaml").media == deck.media  # deck.yaml: its folder's media
    assert read_path(folder).deck("again").source == deck.source
    zipped = tmp_path / "course.zip"
    zipped.write_bytes(zip_bytes({f"course/{k}": v for k, v in files().items()}))  # a zipped folder
    assert read_path(zipped).deck("zip").media == deck.media
    os.symlink("/etc/passwd", folder / "media" / "link.png")
    assert any("symbolic link" in p.message for p in read_folder(folder).problems)


def test_deck_check_names_the_file_and_the_line_for_folders_zips_and_yaml(tmp_path: Path) -> None:
    from tests.test_deck_tools import run_cli

    good = write_folder(tmp_path / "good", files())
    zipped = tmp_path / "good.zip"
    zipped.write_bytes(zip_bytes(files()))
    out = run_cli("deck", "check", str(good), str(zipped), str(good / "deck.yaml"))
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("ok: 'slides'") == 3 and "2 media files" in out.stdout
    text = SLIDE_DECK.replace("media/three-step.png", "media/diagram.svg").replace(
        "    notes: 讲师提示：视频播放两遍。", "    notes: " + "长" * 2001)
    bad = write_folder(tmp_path / "bad", {**files(), "deck.yaml": text.encode(),
                                          "media/diagram.svg": b"<svg/>", "media/clip.webm": b"not a webm"})
    out = run_cli("deck", "check", str(bad))
    assert out.returncode == 1
    err = out.stderr
    assert f"{bad}/deck.yaml:{line_of(text, 'image: media/diagram.svg')}: activities[0].image: " in err, err
    assert f"{bad}/deck.yaml:{line_of(text, 'notes: 长')}: activities[1].notes: is 2001 characters" in err, err
    assert "'media/diagram.svg' is not an allowed media type" in err
    assert f"{bad}/deck.yaml:{line_of(text, 'video: media/clip.webm')}: activities[1].video: 'media/clip.webm' " \
           "does not hold what its name says" in err, err
