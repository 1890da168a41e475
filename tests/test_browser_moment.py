"""The projector's countdown in a real browser: the bar drains, ticks in the last five seconds,
plays the time's-up cue at zero, and plays nothing once the trainer has muted the room.

Sounds are checked through what ``client/lib/sound.js`` records (``window.__caseroomSounds``):
the cue asked for, and whether the AudioContext was running and unmuted to play it. This module
launches its own Chromium with ``--autoplay-policy=no-user-gesture-required`` so the context runs
headless.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests import test_browser as tb
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, SHOTS, WAIT_MS, Pages
from tests.test_browser_reveal import CHECK_JS, Driver

caseroom_url = tb.caseroom_url

pytestmark = pytest.mark.browser

SOUNDS = "() => (window.__caseroomSounds || []).map((s) => [s.cue, s.played])"


@pytest.fixture(scope="module")
def browser(caseroom_url: str) -> Iterator[Any]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM),
                              args=[*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"])
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def pages(browser: Any) -> Iterator[Pages]:
    p = Pages(browser)
    try:
        yield p
    finally:
        p.close()


def _short_clock(d: Driver, aid: str, seconds: int) -> dict[str, Any]:
    """Start ``aid`` and leave ``seconds`` on its clock (the deck's limit is longer)."""
    a = d.cmd("start", activity=aid)["activity"]
    if a["deadline"] is None:
        return d.cmd("extend", seconds=seconds)["activity"]  # type: ignore[no-any-return]
    left = (a["span"] or 0) // 1000
    return d.cmd("extend", seconds=seconds - left)["activity"]  # type: ignore[no-any-return]


def _fraction(host: Any) -> float:
    return float(host.get_by_test_id("host-timebar").get_attribute("data-fraction") or "nan")


def test_the_countdown_bar_drains_ticks_and_sounds_times_up_unless_muted(caseroom_url: str, pages: Pages) -> None:
    from playwright.sync_api import expect

    d = Driver(caseroom_url, "complaint-handling", 2)
    host = pages.open("host", d.made["host_url"], width=1920, height=1080)
    expect(host.get_by_test_id("host-code")).to_have_text(d.made["code"])
    host.mouse.click(960, 1000)  # the first gesture unlocks the audio
    d.cmd("auto_close", on=False)
    votes = [item["id"] for item in d.view()["agenda"] if item["kind"] == "vote"]
    assert len(votes) >= 2, votes

    a = _short_clock(d, votes[0], 8)
    assert a["span"] and a["deadline"], a
    bar = host.get_by_test_id("host-timebar")
    expect(bar).to_be_visible()
    first = _fraction(host)
    host.wait_for_timeout(1200)
    second = _fraction(host)
    assert 0 < second < first <= 1, (first, second)  # it drains
    assert host.evaluate(CHECK_JS) == []  # the bar keeps the fit rules (no clipping, type floor)
    expect(bar).to_have_attribute("data-tick", "5", timeout=6000)  # the last five seconds tick
    expect(bar).to_have_class(re.compile(r"\bis-urgent\b.*\bis-tick\b"))
    expect(host.get_by_test_id("host-activity")).to_have_attribute("data-status", "closed", timeout=6000)
    played = host.evaluate(SOUNDS)
    up = host.evaluate("() => window.__caseroomSounds.filter((s) => s.cue === 'timeUp').map((s) => s.at)")
    assert len(up) == 1 and abs(up[0] - a["deadline"]) < 600, (up, a["deadline"])  # at zero
    ticks = [p for cue, p in played if cue == "tick"]
    assert len(ticks) == 5 and all(ticks), played  # 5, 4, 3, 2, 1, all heard
    assert [p for cue, p in played if cue == "timeUp"] == [True], played  # once, at zero (not again at close)

    host.get_by_test_id("host-mute").click()
    expect(host.get_by_test_id("host-mute")).to_have_attribute("aria-pressed", "true")
    host.reload()  # remembered on this projector
    expect(host.get_by_test_id("host-mute")).to_have_attribute("aria-pressed", "true")
    host.mouse.click(960, 1000)
    _short_clock(d, votes[1], 7)
    expect(host.get_by_test_id("host-timebar")).to_have_attribute("data-tick", "1", timeout=10_000)
    expect(host.get_by_test_id("host-activity")).to_have_attribute("data-status", "closed", timeout=6000)
    played = host.evaluate(SOUNDS)
    assert {"tick", "timeUp"} <= {cue for cue, _ in played}, played  # asked for...
    assert not any(p for _, p in played), played  # ...and nothing played
    d.close()
    assert not pages.errors, pages.errors


LONG_NAMES = ["欧阳慕容上官司马诸葛东方", "Alexandra Montgomery-Ray", "西门吹雪与花满楼的好朋友",
              "Bartholomew Featherstone"]


def test_the_podium_and_the_leaderboard_keep_long_names_whole_at_both_projector_sizes(
        caseroom_url: str, pages: Pages) -> None:
    """The longest names a trainee may pick (12 Chinese or 24 Latin characters) wrap, never end in …."""
    from playwright.sync_api import expect

    d = Driver(caseroom_url, "complaint-handling", 0)
    code = d.made["code"]
    d.phones = [d._open({"type": "join", "code": code, "name": name}) for name in LONG_NAMES]
    ids = {p["name"]: p["id"] for p in d.view()["players"]}
    assert set(ids) == set(LONG_NAMES), ids  # (kept whole by the server too)
    for i, name in enumerate(LONG_NAMES):
        d.cmd("award", target=ids[name], points=100 - i * 10, reason="表现突出")
    hosts = {1080: pages.open("host1080", d.made["host_url"], width=1920, height=1080),
             720: pages.open("host720", d.made["host_url"], width=1280, height=720)}
    d.cmd("end")
    for height, host in hosts.items():
        expect(host.get_by_test_id("host-podium")).to_be_visible()
        host.wait_for_timeout(4000)  # the podium builds up 3 -> 2 -> 1
        for place, name in enumerate(LONG_NAMES[:3], start=1):
            expect(host.get_by_test_id(f"podium-{place}").locator(".h-pod-name")).to_have_text(name)
        names = host.locator("[data-testid=board-player] .h-player-name")
        assert sorted(names.all_inner_texts()) == sorted(LONG_NAMES), height
        problems = host.evaluate(CHECK_JS)
        host.screenshot(path=str(SHOTS / f"moment-long-names-podium-host-{height}.png"))
        assert not problems, (height, problems)
    d.close()
    assert not pages.errors, pages.errors
