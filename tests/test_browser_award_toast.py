"""The phone toasts an award made to its player or its group, once, and not after a reload."""

from __future__ import annotations

import pytest

from tests import test_browser as tb
from tests.test_browser import Pages, _join, _new_session

caseroom_url = tb.caseroom_url
browser = tb.browser
pages = tb.pages

pytestmark = pytest.mark.browser


def _award(console: object, label: str, points: str, reason: str) -> None:
    console.get_by_test_id("award-target").select_option(label=label)  # type: ignore[attr-defined]
    console.get_by_test_id("award-points").fill(points)  # type: ignore[attr-defined]
    console.get_by_test_id("award-reason").fill(reason)  # type: ignore[attr-defined]
    console.get_by_test_id("award-submit").click()  # type: ignore[attr-defined]


def test_the_phone_toasts_an_award_to_me_or_my_group(caseroom_url: str, pages: Pages) -> None:
    from playwright.sync_api import expect

    made = _new_session(caseroom_url)
    console = pages.open("console", made["console_url"], width=1280, height=900)
    li = pages.open("li", made["join_url"], width=390, height=844, mobile=True)
    han = pages.open("han", made["join_url"], width=390, height=844, mobile=True)
    _join(li, "李雷")
    _join(han, "韩梅梅")
    expect(console.get_by_test_id("player-row")).to_have_count(2)
    _award(console, "李雷", "5", "故事分享精彩")
    expect(li.get_by_test_id("toast-award")).to_have_text("讲师加分 +5：故事分享精彩")
    expect(li.get_by_test_id("me-score")).to_have_text("5")
    han.wait_for_timeout(800)
    expect(han.get_by_test_id("toast-award")).to_have_count(0)  # not mine, not my group's

    group = (li.get_by_test_id("lobby-group").inner_text() or "").strip()
    group_name = next(n for n in [o.strip() for o in console.locator("#award-target optgroup").first
                                  .locator("option").all_inner_texts()] if n and n in group)
    _award(console, group_name, "3", "小组讨论积极")
    expect(li.get_by_test_id("toast-award").filter(has_text="小组讨论积极")).to_have_text(
        f"{group_name} +3：小组讨论积极")

    li.reload()  # the newest award is in the first view again: no second toast
    expect(li.get_by_test_id("me-name")).to_have_text("李雷")
    li.wait_for_timeout(800)
    expect(li.get_by_test_id("toast-award")).to_have_count(0)
    assert not pages.errors, pages.errors
