"""Lecture slides in a real browser: a bundle with an image and a video, played on the projector at
1920×1080 while a phone (390×844) and the console follow; the trainer page's planned times.

The video is seeked on the projector and must be served in ranges (206) by caseroom itself; the
trainer's notes must be on the console and nowhere else. Screenshots: /tmp/caseroom-shots/slides-*.png.
"""

from __future__ import annotations

import re
import urllib.request
from typing import Any

import pytest

from tests import test_browser as tb
from tests.bundles import files, zip_bytes
from tests.test_browser import ADMIN, Pages, _http, _join, _shot

caseroom_url = tb.caseroom_url
browser = tb.browser
pages = tb.pages

pytestmark = pytest.mark.browser
NOTES = "讲师提示"


def _upload(base: str) -> None:
    req = urllib.request.Request(f"{base}/api/decks", data=zip_bytes(files()), method="POST",
                                 headers={"Authorization": f"Bearer {ADMIN}", "Content-Type": "application/zip"})
    with urllib.request.urlopen(req, timeout=10) as res:
        assert res.status == 201


def _until(page: Any, script: str, timeout: float = 10.0) -> Any:
    """Poll a script until it is truthy (wait_for_function evaluates strings, which our CSP forbids)."""
    import time

    end = time.monotonic() + timeout
    while True:
        value = page.evaluate(script)
        if value or time.monotonic() > end:
            assert value, f"still false after {timeout} s: {script}"
            return value
        page.wait_for_timeout(100)


def _text(page: Any) -> str:
    return page.evaluate("document.body.innerText")


def test_a_slide_with_an_image_and_a_video_on_the_projector_phone_and_console(caseroom_url: str,
                                                                              pages: Pages) -> None:
    from playwright.sync_api import expect

    _upload(caseroom_url)
    status, made = _http("POST", f"{caseroom_url}/api/sessions", {"deck": "slides", "preset": "two", "day": 1},
                         ADMIN)
    assert status == 201 and made["agenda"] == ["s-three", "s-video"], made
    host = pages.open("host", made["host_url"], width=1920, height=1080)
    media_statuses: list[int] = []
    host.on("response", lambda r: media_statuses.append(r.status) if "/media/" in r.url else None)
    console = pages.open("console", made["console_url"], width=1280, height=900)
    phone = pages.open("phone", made["join_url"], width=390, height=844, mobile=True)
    _join(phone, "小王")
    expect(host.get_by_test_id("host-joined")).to_have_text("1")

    console.get_by_test_id("cmd-next").click()  # the day starts where it begins: the first slide
    expect(host.get_by_test_id("host-activity")).to_have_attribute("data-kind", "slide")
    image = host.get_by_test_id("host-slide-image")
    expect(image).to_be_visible()
    _until(host, "document.querySelector('[data-testid=host-slide-image]').naturalWidth > 0")
    expect(phone.get_by_test_id("slide-look")).to_be_visible()
    expect(console.get_by_test_id("slide-notes")).to_contain_text("先问学员遇到过的难缠客户")
    # A slide takes no answers: the console offers no close or reveal for it (next goes on).
    expect(console.get_by_test_id("cmd-close")).to_be_hidden()
    expect(console.get_by_test_id("cmd-reveal")).to_be_hidden()
    expect(console.get_by_test_id("cmd-next")).to_be_visible()
    for _ in range(2):
        console.get_by_test_id("slide-next-point").click()
        console.wait_for_timeout(200)
    expect(host.get_by_test_id("host-slide-points").locator("li")).to_have_count(2)
    expect(host.get_by_test_id("host-slide-points")).to_contain_text("说明事实")
    expect(phone.get_by_test_id("slide-points").locator("li")).to_have_count(2)
    expect(console.get_by_test_id("console-schedule")).to_be_visible()
    size = host.evaluate("parseFloat(getComputedStyle(document.querySelector('.h-slide-point')).fontSize)")
    assert size >= 32, f"slide points at {size}px are too small for a projector"
    assert host.evaluate("document.documentElement.scrollHeight") <= 1080, "the slide does not fit the screen"
    _shot(host, "slides-host-image-1920")
    _shot(phone, "slides-phone-image-390")
    _shot(console, "slides-console-image")
    for page in (host, phone):
        assert NOTES not in _text(page), "the trainer's notes reached a screen or a phone"

    console.get_by_test_id("cmd-next").click()  # the video slide
    video = host.get_by_test_id("host-slide-video")
    expect(video).to_be_visible()
    _until(host, "document.querySelector('[data-testid=host-slide-video]').readyState >= 1")
    duration = host.evaluate("document.querySelector('[data-testid=host-slide-video]').duration")
    assert 5 < duration < 7, duration
    seeked = host.evaluate("""() => new Promise((done) => {
        const v = document.querySelector('[data-testid=host-slide-video]');
        v.addEventListener('seeked', () => done(v.currentTime), { once: true });
        v.currentTime = 4;
    })""")
    assert abs(seeked - 4) < 0.6, seeked
    host.evaluate("document.querySelector('[data-testid=host-slide-video]').muted = true")
    host.evaluate("document.querySelector('[data-testid=host-slide-video]').play()")
    _until(host, "document.querySelector('[data-testid=host-slide-video]').currentTime > 4.2")
    assert 206 in media_statuses, f"the video was not served in ranges: {media_statuses}"
    expect(host.get_by_test_id("h-slide-quote")).to_contain_text("电信业务经营者")
    expect(host.get_by_test_id("h-slide-compare")).to_contain_text("申诉")
    expect(console.get_by_test_id("slide-notes")).to_contain_text("视频播放两遍")
    expect(phone.get_by_test_id("slide-look")).to_be_visible()
    _shot(host, "slides-host-video-1920")
    _shot(phone, "slides-phone-video-390")
    for page in (host, phone):
        assert NOTES not in _text(page)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert not pages.errors, pages.errors


def test_the_trainer_page_shows_planned_times_and_presets(caseroom_url: str, pages: Pages) -> None:
    from playwright.sync_api import expect

    _upload(caseroom_url)
    page = pages.open("trainer", f"{caseroom_url}/trainer#token={ADMIN}", width=1280, height=900)
    page.get_by_test_id("deck-select").select_option("slides")
    planned = page.get_by_test_id("scope-planned")
    expect(planned).to_have_attribute("data-seconds", "405")  # 130 + 70 + 75 + 130: the whole agenda
    page.get_by_test_id("scope-pick").check()
    page.get_by_test_id("scope-item-m2").check()
    expect(planned).to_have_attribute("data-seconds", "205")
    expect(page.get_by_test_id("scope-item-m1").locator("xpath=..")).to_contain_text(re.compile("约 3 分钟"))
    page.get_by_test_id("scope-preset").check()
    expect(page.get_by_test_id("preset-total-two")).to_have_text("约 7 分钟")
    page.get_by_test_id("preset-pick-two").check()
    page.get_by_test_id("preset-day-two-2").check()
    expect(planned).to_have_attribute("data-seconds", "205")
    _shot(page, "slides-trainer-presets")
    page.get_by_test_id("create-session").click()
    expect(page.get_by_test_id("created-code")).to_be_visible()
    code = page.get_by_test_id("created-code").inner_text()
    status, listing = _http("GET", f"{caseroom_url}/api/sessions", None, ADMIN)
    assert status == 200 and any(s["code"] == code for s in listing["sessions"])
    assert not pages.errors, pages.errors
