"""axe-core on every page in both languages: no violation of impact critical or serious.

axe.min.js is vendored under tests/vendor/ (tests only, never served) and injected with
page.evaluate, since the pages' CSP allows no outside script.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests import test_browser as tb
from tests.test_browser import ADMIN, Pages, _join, _new_session

caseroom_url = tb.caseroom_url
browser = tb.browser
pages = tb.pages

pytestmark = pytest.mark.browser

SHOTS_14 = Path("/work/shots/issue-14")
AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")

RUN_AXE = """async (src) => {
  if (!window.axe) (0, eval)(src);
  const r = await window.axe.run(document, {resultTypes: ['violations']});
  return r.violations.filter((v) => v.impact === 'critical' || v.impact === 'serious')
    .map((v) => `${v.id} (${v.impact}): ` + v.nodes.slice(0, 4).map((n) => n.target.join(' ')).join(' | '));
}"""


def _axe(page: Any, name: str) -> list[str]:
    page.wait_for_timeout(700)  # transitions and fades have landed (contrast is read from the pixels' styles)
    return [f"{name}: {v}" for v in page.evaluate(RUN_AXE, AXE)]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_axe_finds_nothing_critical_or_serious_on_any_page(caseroom_url: str, pages: Pages, lang: str) -> None:
    from playwright.sync_api import expect

    q = "?lang=en" if lang == "en" else "?lang=zh-CN"
    problems: list[str] = []
    trainer = pages.open("trainer", f"{caseroom_url}/trainer{q}#token={ADMIN}", width=1280, height=900)
    expect(trainer.locator("#workspace")).to_be_visible()
    problems += _axe(trainer, "trainer")

    made = _new_session(caseroom_url)
    host = pages.open("host", made["host_url"].replace("#", f"{q}#", 1), width=1920, height=1080)
    console = pages.open("console", made["console_url"].replace("#", f"{q}#", 1), width=1280, height=900)
    expect(host.get_by_test_id("host-code")).to_have_text(made["code"])
    phone = pages.open("phone", f"{made['join_url']}{q}", width=390, height=844, mobile=True)
    expect(phone.get_by_test_id("join-session")).to_be_visible()
    problems += _axe(phone, "phone join")
    _join(phone, "李雷" if lang == "zh-CN" else "Li Lei")
    problems += _axe(host, "host lobby")
    problems += _axe(console, "console lobby")
    problems += _axe(phone, "phone lobby")

    console.get_by_test_id("start-m2-data-overage-billing").click()
    expect(host.get_by_test_id("host-activity")).to_have_attribute("data-status", "open")
    expect(phone.get_by_test_id("activity")).to_have_attribute("data-status", "open")
    problems += _axe(host, "host vote")
    problems += _axe(console, "console vote")
    problems += _axe(phone, "phone vote")
    first = phone.locator("[data-testid^='option-']").first
    first.click()
    expect(phone.get_by_test_id("answer-status")).to_have_attribute("data-state", "ok")
    expect(host.get_by_test_id("host-activity")).to_have_attribute("data-status", "closed", timeout=5000)
    console.get_by_test_id("cmd-reveal").click()
    expect(host.get_by_test_id("host-activity")).to_have_attribute("data-status", "revealed")
    expect(phone.get_by_test_id("result")).to_be_visible()
    host.wait_for_timeout(1800)  # the reveal's beat
    problems += _axe(host, "host reveal")
    problems += _axe(console, "console reveal")
    problems += _axe(phone, "phone reveal")
    assert not pages.errors, pages.errors
    assert not problems, "\n".join(problems)


TARGETS_JS = """() => [...document.querySelectorAll('button, a[href], input, select, textarea, summary, [role=button]')]
  .filter((el) => el.getClientRects().length && getComputedStyle(el).visibility === 'visible'
    && !(el.type === 'hidden') && !(el.type === 'range'))
  .map((el) => ({el: (el.dataset.testid || el.className || el.tagName), h: el.getBoundingClientRect().height}))
  .filter((t) => t.h < 44)"""


def test_phone_vote_tiles_have_colour_and_shape_above_the_fold_and_the_case_folds(
        caseroom_url: str, pages: Pages) -> None:
    from playwright.sync_api import expect

    made = _new_session(caseroom_url)
    console = pages.open("console", made["console_url"], width=1280, height=900)
    phone = pages.open("phone", made["join_url"], width=390, height=844, mobile=True)
    expect(phone.get_by_test_id("join-session")).to_be_visible()
    assert phone.evaluate(TARGETS_JS) == [], "join: touch targets under 44 px"
    _join(phone, "李雷")
    assert phone.evaluate(TARGETS_JS) == [], "lobby: touch targets under 44 px"
    console.get_by_test_id("start-m2-data-overage-billing").click()
    expect(phone.get_by_test_id("activity")).to_have_attribute("data-status", "open")
    toggle = phone.get_by_test_id("case-toggle")
    expect(toggle).to_have_attribute("aria-expanded", "false")  # folded by default on a phone
    expect(phone.get_by_test_id("case-body")).to_be_hidden()
    tiles = phone.locator("[data-testid^='option-']")
    assert tiles.count() >= 2
    shapes = set()
    for i in range(tiles.count()):
        box = tiles.nth(i).bounding_box()
        assert box is not None and box["height"] >= 44, (i, box)
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["y"] >= 0 and box["y"] + box["height"] <= 844, \
            (i, box)
        shape = tiles.nth(i).locator(".opt-shape")
        expect(shape).to_be_visible()
        shapes.add(shape.evaluate("(el) => getComputedStyle(el).clipPath + getComputedStyle(el).borderRadius"
                                  " + getComputedStyle(el).width"))
        colour = tiles.nth(i).locator(".opt-letter").evaluate("(el) => getComputedStyle(el).backgroundColor")
        shapes.add(colour)
    assert len(shapes) >= 2 * tiles.count(), shapes  # each tile its own shape and its own colour
    assert phone.evaluate(TARGETS_JS) == [], "vote: touch targets under 44 px"
    SHOTS_14.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(SHOTS_14 / "after_phone_vote_case_folded__phone390.png"))
    box = toggle.bounding_box()
    assert box is not None and box["height"] >= 44, box
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(phone.get_by_test_id("card-situation")).to_be_visible()
    phone.get_by_test_id(f"option-{tiles.first.get_attribute('data-option')}").click()
    expect(phone.get_by_test_id("answer-status")).to_have_attribute("data-state", "ok")
    expect(toggle).to_have_attribute("aria-expanded", "true")  # kept open across the re-render
    toggle.click()
    expect(phone.get_by_test_id("case-body")).to_be_hidden()
    assert not pages.errors, pages.errors
