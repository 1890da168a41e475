"""Follow-up and cohorts in a real browser.

Two classes play the cohort deck over websockets. A trainee of the first class opens their
personal record on a 390×844 phone, finds the follow-up link and QR code there, opens the
link (closed until the date: it says when it opens), the trainer opens follow-up early from
the trainer page, and the trainee marks an item done with a comment, which a reload shows
saved. The trainer then sees the completion and compares the two classes in the cohort
section (bars per card, the weakest card, the rubric) and downloads the workbook.
Screenshots go to /tmp/caseroom-shots/followup-*.png.
"""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from tests import test_browser as tb
from tests.test_browser import ADMIN, Pages, _shot
from tests.test_browser_a11y import _axe
from tests.test_cohorts import CLASS_A, CLASS_B, play_class

caseroom_url = tb.caseroom_url
browser = tb.browser
pages = tb.pages

pytestmark = pytest.mark.browser

COMMENT = "<b>每次</b>都先复述了"


class _Server:
    """What ``play_class`` needs of a server: its addresses and an admin client."""

    def __init__(self, base: str) -> None:
        self.http = base
        self.ws = base.replace("http://", "ws://") + "/ws"

    def admin(self) -> httpx.Client:
        return httpx.Client(base_url=self.http, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=30)


def _targets_at_least_44px(page: Any, selector: str) -> None:
    sizes = page.eval_on_selector_all(selector, "els => els.map(e => [e.getBoundingClientRect().width, "
                                                "e.getBoundingClientRect().height])")
    assert sizes and all(w >= 44 and h >= 44 for w, h in sizes), (selector, sizes)


def test_a_trainee_marks_their_plan_and_the_trainer_compares_two_classes(caseroom_url: str, pages: Pages) -> None:
    from playwright.sync_api import expect

    srv = _Server(caseroom_url)
    tokens: dict[str, str] = {}
    with ThreadPoolExecutor(1) as pool:  # (playwright's loop runs in this thread: asyncio in another)
        code, _key = pool.submit(play_class, srv, "一班", CLASS_A, tokens).result()
        other, _ = pool.submit(play_class, srv, "二班", CLASS_B).result()

    # -- the personal record on the phone carries the follow-up link and its QR code -------------------
    phone = pages.open("phone", "about:blank", width=390, height=844, mobile=True)
    phone.context.add_init_script(f"localStorage.setItem('caseroom.token.{code}', '{tokens['p1']}')")
    phone.goto(f"{caseroom_url}/j/{code}")
    block = phone.get_by_test_id("record-followup")
    expect(block).to_be_visible()
    expect(phone.get_by_test_id("record-followup-when")).to_contain_text("开放")
    assert block.locator("img.record-qr").get_attribute("src").startswith("data:image/svg+xml")
    href = phone.get_by_test_id("record-followup-link").get_attribute("href")
    assert href.startswith(f"{caseroom_url}/f/{code}#t=")
    assert tokens["p1"] not in href  # the link is not the resume token
    _shot(phone, "followup-record-phone", full=True)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    problems = _axe(phone, "phone record")

    # -- before the date the page says when it opens, and nothing can be marked ---------------------------
    phone.goto(href)
    expect(phone.get_by_test_id("followup-closed")).to_be_visible()
    assert "#t=" not in phone.url  # the token leaves the address bar (kept for this tab only)
    expect(phone.get_by_test_id("status-0-done")).to_be_disabled()

    # -- the trainer opens it early from the trainer page ----------------------------------------------------
    trainer = pages.open("trainer", f"{caseroom_url}/trainer#token={ADMIN}", width=1280, height=720)
    trainer.get_by_test_id(f"followup-{code}").click()
    expect(trainer.get_by_test_id(f"followup-state-{code}")).to_contain_text("将于")
    trainer.get_by_test_id(f"followup-open-{code}").click()
    expect(trainer.get_by_test_id(f"followup-state-{code}")).to_contain_text("已开放")

    # -- the trainee marks an item done with a comment; a reload shows it saved ---------------------------------
    phone.reload()
    expect(phone.get_by_test_id("followup-items")).to_be_visible()
    expect(phone.get_by_test_id("item-0")).to_contain_text("先复述客户诉求")
    expect(phone.get_by_test_id("item-1")).to_contain_text("整理收费台账")
    _targets_at_least_44px(phone, "[data-testid^='status-'], .followup-comment, #lang")
    phone.get_by_test_id("status-0-done").click()
    expect(phone.get_by_test_id("item-0")).to_have_attribute("data-status", "done")
    phone.get_by_test_id("comment-0").fill(COMMENT)
    phone.get_by_test_id("comment-0").press("Enter")
    expect(phone.get_by_test_id("saved-0")).to_contain_text("已保存")
    phone.get_by_test_id("status-1-doing").click()
    expect(phone.get_by_test_id("item-1")).to_have_attribute("data-status", "doing")
    _shot(phone, "followup-marked-phone", full=True)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.reload()
    expect(phone.get_by_test_id("item-0")).to_have_attribute("data-status", "done")
    expect(phone.get_by_test_id("comment-0")).to_have_value(COMMENT)  # text, never markup
    expect(phone.get_by_test_id("status-0-done")).to_have_attribute("aria-pressed", "true")
    expect(phone.get_by_test_id("status-0-doing")).to_have_attribute("aria-pressed", "false")
    assert phone.locator("[data-testid='followup'] b").count() == 0
    problems += _axe(phone, "follow-up zh-CN")
    phone.locator("#lang").click()
    expect(phone.get_by_test_id("status-0-done")).to_have_text("Done")
    expect(phone.get_by_test_id("saved-0")).to_contain_text("Saved")
    problems += _axe(phone, "follow-up en")

    # -- the trainer sees the completion, then compares the two classes ------------------------------------------
    trainer.get_by_test_id(f"followup-{code}").click()  # close
    trainer.get_by_test_id(f"followup-{code}").click()  # and open again: fresh figures
    expect(trainer.get_by_test_id(f"followup-total-{code}")).to_contain_text("完成 1")
    expect(trainer.get_by_test_id(f"followup-people-{code}")).to_contain_text("一班学员1")
    panel = trainer.get_by_test_id("cohort-panel")
    expect(panel).to_be_visible()
    trainer.get_by_test_id("cohort-deck").select_option("cohort")
    trainer.get_by_test_id("cohort-load").click()
    expect(trainer.get_by_test_id("cohort-cards")).to_be_visible()
    expect(trainer.get_by_test_id("cohort-v1-0")).to_have_text("100%")
    expect(trainer.get_by_test_id("cohort-v1-1")).to_have_text("33.3%")
    expect(trainer.get_by_test_id("cohort-v2-1")).to_have_text("0%")
    width = trainer.eval_on_selector("[data-testid='cohort-v1-1'] .cohort-bar-fill", "e => e.style.width")
    assert width == "33.3%"
    expect(trainer.get_by_test_id("cohort-weakest").locator("li").first).to_contain_text("第二题")
    expect(trainer.get_by_test_id("cohort-rubric")).to_contain_text("情绪安抚")
    expect(trainer.get_by_test_id("cohort-followup")).to_contain_text("完成 1")
    _shot(trainer, "followup-cohorts-trainer", full=True)
    problems += _axe(trainer, "trainer cohorts and follow-up")
    assert not problems, problems
    with trainer.expect_download() as info:
        trainer.get_by_test_id("cohort-xlsx").click()
    book = load_workbook(io.BytesIO(info.value.path().read_bytes()))
    assert book.sheetnames[0] == "各题按班级"

    # -- the trainer's own grouping: both sessions as one class leaves nothing to compare -----------------------
    trainer.locator("details.cohort-picker summary").click()
    trainer.get_by_test_id(f"cohort-class-{other}").fill("1")
    trainer.get_by_test_id(f"cohort-class-{code}").fill("1")
    trainer.get_by_test_id("cohort-apply").click()
    expect(trainer.get_by_test_id("cohort-too-few")).to_be_visible()
    assert not pages.errors, pages.errors
