"""The reveal moment in a real browser: hidden results, closing when everyone has answered,
the lock as the room and a refused phone see it.

Screenshots go to /tmp/caseroom-shots/reveal-*.png (not part of the repository).
"""

from __future__ import annotations

import pytest

from tests import test_browser as tb
from tests.test_browser import Pages, _new_session, _shot

caseroom_url = tb.caseroom_url
browser = tb.browser
pages = tb.pages

pytestmark = pytest.mark.browser


def test_a_phone_refused_by_the_lock_says_why_and_no_connection_banner(caseroom_url: str, pages: Pages) -> None:
    from playwright.sync_api import expect

    made = _new_session(caseroom_url)
    host = pages.open("host", made["host_url"], width=1920, height=1080)
    console = pages.open("console", made["console_url"], width=1280, height=900)
    expect(host.get_by_test_id("host-code")).to_have_text(made["code"])
    phone = pages.open("phone", made["join_url"], width=390, height=844, mobile=True)
    expect(phone.get_by_test_id("join-session")).to_be_visible()  # looked up while still open
    console.get_by_test_id("cmd-lock").click()
    expect(host.get_by_test_id("host-locked")).to_have_text("加入已锁定")
    phone.get_by_test_id("join-name").fill("迟到的学员")
    phone.get_by_test_id("join-submit").click()
    expect(phone.get_by_test_id("join-error")).to_contain_text("锁定")
    phone.wait_for_timeout(500)
    expect(phone.get_by_test_id("conn")).to_be_hidden()  # not "连接已断开": the link is fine
    _shot(phone, "reveal-join-locked-phone-390")
    _shot(host, "reveal-locked-host-1080")
    assert not pages.errors, pages.errors
