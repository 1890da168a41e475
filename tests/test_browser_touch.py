"""Every touch target on every phone screen at least 44 px, at 390x844 and 360x640: order,
estimate, discussion, the role-play observer's scoring rubric and the action plan, open and
revealed (the vote's screens are checked in test_browser_a11y.py).

The room is driven through the protocol (the console and the role-play's agent and customer as
plain sockets); the two phones under test are real browser pages, observers in the role-play.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests import test_browser as tb
from tests.test_browser import Pages
from tests.test_browser_kinds import _join_g1, _kinds_session
from tests.test_browser_reveal import Driver

caseroom_url = tb.caseroom_url
browser = tb.browser
pages = tb.pages

pytestmark = pytest.mark.browser

# Controls a finger has to hit: at least 44 px high, and 44 px wide unless it is a text field.
# Returns the ones that are not (their test id or class, and their size).
TARGETS_JS = """() => [...document.querySelectorAll(
    'button, a[href], input, select, textarea, summary, [role=button], label.choice, [tabindex="0"]')]
  .filter((el) => el.getClientRects().length && getComputedStyle(el).visibility === 'visible'
    && el.type !== 'hidden' && !el.closest('[hidden]'))
  .map((el) => {
    const r = el.getBoundingClientRect();
    const field = ['text', 'number', 'search', 'textarea', 'range'].includes(el.type) || el.tagName === 'TEXTAREA';
    return {el: el.dataset.testid || el.className || el.tagName, h: Math.round(r.height), w: Math.round(r.width),
            small: r.height < 44 || (!field && r.width < 44)};
  })
  .filter((t) => t.small)
  .map((t) => `${t.el} ${t.w}x${t.h}`)"""

SIZES = ((390, 844), (360, 640))
LONG_NAMES = ("Alexandra Montgomery-Ray", "欧阳慕容上官司马诸葛东方")


def _check(phones: dict[tuple[int, int], Any], name: str) -> list[str]:
    problems = []
    for (w, h), page in phones.items():
        page.wait_for_timeout(400)
        assert page.evaluate("document.documentElement.scrollWidth") <= w, (name, w)  # nothing wider than the phone
        problems += [f"{name} @{w}x{h}: {p}" for p in page.evaluate(TARGETS_JS)]
    return problems


def test_every_phone_screen_has_touch_targets_of_44px(caseroom_url: str, pages: Pages) -> None:
    from playwright.sync_api import expect

    _kinds_session(caseroom_url)  # uploads the kinds deck (and makes a session this test leaves alone)
    d = Driver(caseroom_url, "kinds", 0)
    code = d.made["code"]
    # The agent and the customer join group 一组 first: the browser phones are its observers.
    d.phones = [d._open({"type": "join", "code": code, "name": name, "group": "g1"}) for name in ("张一", "王二")]
    phones = {}
    for (w, h), name in zip(SIZES, LONG_NAMES, strict=True):
        page = pages.open(f"phone-{w}", d.made["join_url"], width=w, height=h, mobile=True)
        _join_g1(page, name)
        me = page.get_by_test_id("me-name")
        expect(me).to_have_text(name)  # the longest names a trainee may pick, kept whole in the header
        assert me.evaluate("(el) => el.scrollWidth <= el.clientWidth"
                           " && getComputedStyle(el).textOverflow !== 'ellipsis'")
        phones[(w, h)] = page
    problems = _check(phones, "lobby")
    d.cmd("auto_close", on=False)
    for aid in ("o-maj", "e-ind", "d-grp", "plan"):
        a = d.cmd("start", activity=aid)["activity"]
        for page in phones.values():
            expect(page.get_by_test_id("activity")).to_have_attribute("data-status", "open")
        problems += _check(phones, f"{aid} open")
        d.answer_all(a, 2)
        d.cmd("close")
        d.cmd("reveal")
        for page in phones.values():
            expect(page.get_by_test_id("activity")).to_have_attribute("data-status", "revealed")
        problems += _check(phones, f"{aid} revealed")
    d.cmd("start", activity="rp", group="g1")
    d.cmd("advance")  # prep -> play: observers score on the rubric
    for page in phones.values():
        expect(page.get_by_test_id("my-role")).to_have_attribute("data-role", "observer")
        expect(page.get_by_test_id("rubric")).to_be_visible()
        expect(page.get_by_test_id("score-calm-4")).to_be_enabled()
    problems += _check(phones, "roleplay observer play")
    d.cmd("reveal")
    for page in phones.values():
        expect(page.get_by_test_id("activity")).to_have_attribute("data-status", "revealed")
    problems += _check(phones, "roleplay revealed")
    d.close()
    assert not pages.errors, pages.errors
    assert not problems, "\n".join(problems)
