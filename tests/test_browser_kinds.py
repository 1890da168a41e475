"""Every activity kind in a real browser: the screen, the console and four phones on the kinds deck.

The role-play test checks the one thing a projector must never do: show a role's brief. Only the
customer's phone may hold the customer's hidden motive. The second test plays a consensus vote,
an estimate, an order, a discussion, a deal and the action plan from the phones, with a break,
a paused clock and the end of the session. Screenshots go to /tmp/caseroom-shots/kinds-*.png.
"""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests import test_browser as tb
from tests.test_browser import ADMIN, WAIT_MS, Pages, _http, _shot

# The server process, the browser and the page helper of test_browser.py, shared as fixtures.
caseroom_url = tb.caseroom_url
browser = tb.browser
pages = tb.pages

pytestmark = pytest.mark.browser

DECK = Path(__file__).parent / "fixtures" / "kinds.yaml"
SECRET = "秘密：你其实想要十倍赔偿。"
AGENT_BRIEF = "你的任务：查明原因。"
OBSERVER_BRIEF = "关注情绪安抚。"
NAMES = ["张一", "王二", "李三", "赵四"]


def _kinds_session(base: str) -> dict[str, Any]:
    req = urllib.request.Request(f"{base}/api/decks", data=DECK.read_bytes(), method="POST",
                                 headers={"Authorization": f"Bearer {ADMIN}"})
    with urllib.request.urlopen(req, timeout=5) as res:
        assert res.status == 201
    status, made = _http("POST", f"{base}/api/sessions", {"deck": "kinds"}, ADMIN)
    assert status == 201, made
    return made


def _join_g1(page: Any, name: str) -> None:
    from playwright.sync_api import expect

    expect(page.get_by_test_id("join")).to_be_visible()
    expect(page.get_by_test_id("join-group")).to_be_visible()  # the lookup found the session's groups
    page.get_by_test_id("join-group").select_option("g1")
    page.get_by_test_id("join-name").fill(name)
    page.get_by_test_id("join-submit").click()
    expect(page.get_by_test_id("lobby")).to_be_visible()
    expect(page.get_by_test_id("me-group")).to_have_text("一组")


def _room(pages: Pages, made: dict[str, Any], *, english: int | None = None) -> tuple[Any, Any, list[Any]]:
    from playwright.sync_api import expect

    host = pages.open("host", made["host_url"], width=1280, height=720)
    console = pages.open("console", made["console_url"], width=1280, height=900)
    try:
        expect(host.get_by_test_id("host-code")).to_have_text(made["code"])
    except AssertionError as exc:
        raise AssertionError(f"{exc}\npage errors: {pages.errors}") from None
    phones = []
    for i, name in enumerate(NAMES):
        url = f"{made['join_url']}?lang=en" if i == english else made["join_url"]
        phone = pages.open(f"phone-{i + 1}", url, width=360, height=740, mobile=True)
        _join_g1(phone, name)  # one after the other: join order decides the role-play's cast
        phones.append(phone)
    expect(host.get_by_test_id("host-joined")).to_have_text("4")
    expect(console.get_by_test_id("player-row")).to_have_count(4)
    return host, console, phones


def _shot_k(page: Any, name: str, *, full: bool = False) -> None:
    _shot(page, f"kinds-{name}", full=full)
    if "phone" in name:  # nothing on a phone may be wider than the narrowest one
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, name


def _text(page: Any) -> str:
    return str(page.locator("body").inner_text()) + str(page.content())


def _start(console: Any, activity: str) -> None:
    from playwright.sync_api import expect

    console.get_by_test_id(f"start-{activity}").click()
    expect(console.get_by_test_id(f"agenda-{activity}")).to_have_attribute("data-status", "open")


def _reveal(console: Any, host: Any) -> None:
    from playwright.sync_api import expect

    console.get_by_test_id("cmd-reveal").click()
    expect(host.get_by_test_id("host-activity")).to_have_attribute("data-status", "revealed")


def test_roleplay_briefs_stay_on_their_phone(caseroom_url: str, pages: Pages) -> None:
    from playwright.sync_api import expect

    made = _kinds_session(caseroom_url)
    host, console, phones = _room(pages, made)

    # The trainer picks group 一组 for the role-play and starts it from the agenda.
    console.get_by_test_id("group-for-rp").select_option("g1")
    console.get_by_test_id("start-rp").click()
    expect(host.get_by_test_id("host-activity")).to_have_attribute("data-kind", "roleplay")
    expect(host.get_by_test_id("host-activity")).to_have_attribute("data-step", "prep")
    roles: dict[str, list[Any]] = {"customer": [], "agent": [], "observer": []}
    for phone in phones:
        role = phone.get_by_test_id("my-role")
        expect(role).to_be_visible()
        roles[role.get_attribute("data-role") or ""].append(phone)
    assert [len(roles[r]) for r in ("customer", "agent", "observer")] == [1, 1, 2], roles
    customer, agent = roles["customer"][0], roles["agent"][0]
    observers = roles["observer"]

    # Only the customer's phone holds the hidden motive; the agent and observers see their own brief.
    expect(customer.get_by_test_id("my-brief")).to_have_text(SECRET)
    expect(customer.get_by_test_id("role-title")).to_have_text("客户")
    expect(agent.get_by_test_id("my-brief")).to_have_text(AGENT_BRIEF)
    expect(agent.get_by_test_id("role-title")).to_have_text("营业员")
    for observer in observers:
        expect(observer.get_by_test_id("my-brief")).to_have_text(OBSERVER_BRIEF)
        expect(observer.get_by_test_id("observing")).to_contain_text("张一")  # the first to join is the agent
        expect(observer.get_by_test_id("rubric")).to_be_visible()
        expect(observer.get_by_test_id("score-later")).to_be_visible()
        expect(observer.get_by_test_id("score-calm-4")).to_be_disabled()
    expect(host.get_by_test_id("host-casts")).to_contain_text("张一")
    expect(host.get_by_test_id("host-casts")).to_contain_text("王二")
    for page in [agent, *observers, host]:
        assert SECRET not in _text(page)
        assert "十倍赔偿" not in _text(page)
    # The trainer sees every brief.
    expect(console.get_by_test_id("brief-customer")).to_contain_text(SECRET)
    expect(console.get_by_test_id("brief-agent")).to_contain_text(AGENT_BRIEF)
    _shot_k(host, "roleplay-host-prep")
    _shot_k(customer, "roleplay-phone-customer", full=True)
    _shot_k(agent, "roleplay-phone-agent", full=True)
    _shot_k(observers[0], "roleplay-phone-observer-prep", full=True)
    _shot_k(console, "roleplay-console-prep", full=True)

    # Play: the observers score on the rubric; the screen shows the live aggregate.
    console.get_by_test_id("cmd-advance").click()
    expect(host.get_by_test_id("host-activity")).to_have_attribute("data-step", "play")
    expect(host.get_by_test_id("host-countdown")).to_have_text(re.compile(r"^\d+:\d\d$"))
    for observer, (calm, solve) in zip(observers, [(4, 3), (5, 5)], strict=True):
        expect(observer.get_by_test_id("activity")).to_have_attribute("data-step", "play")
        observer.get_by_test_id(f"score-calm-{calm}").click()
        observer.get_by_test_id(f"score-solve-{solve}").click()
        expect(observer.get_by_test_id(f"score-calm-{calm}")).to_have_attribute("aria-pressed", "true")
        observer.get_by_test_id("rubric-submit").click()
        expect(observer.get_by_test_id("rubric-done")).to_be_visible()
        expect(observer.get_by_test_id(f"score-solve-{solve}")).to_be_disabled()
    expect(host.get_by_test_id("host-live-g1-calm")).to_have_text("4.5")
    expect(host.get_by_test_id("host-live-g1-solve")).to_have_text("4")
    expect(host.get_by_test_id("host-live-total-g1")).to_have_text("8.5 / 10")
    expect(host.get_by_test_id("host-answered-n")).to_have_text("2")
    expect(customer.get_by_test_id("rubric")).to_have_count(0)  # players do not score themselves
    _shot_k(observers[1], "roleplay-phone-observer-scored", full=True)
    _shot_k(host, "roleplay-host-play")

    # The trainer scores too, as one more scorer.
    console.get_by_test_id("trainer-score-g1-calm-3").click()
    console.get_by_test_id("trainer-score-g1-solve-4").click()
    console.get_by_test_id("trainer-score-submit-g1").click()
    expect(host.get_by_test_id("host-live-g1-calm")).to_have_text("4")
    expect(host.get_by_test_id("host-live-total-g1")).to_have_text("8 / 10")
    _shot_k(console, "roleplay-console-play", full=True)

    # The clock: pause shows on the screen and the phones, resume and +30 s bring it back.
    console.get_by_test_id("cmd-pause").click()
    expect(host.get_by_test_id("host-paused")).to_be_visible()
    expect(agent.get_by_test_id("paused")).to_be_visible()
    expect(console.get_by_test_id("cmd-resume")).to_be_enabled()
    _shot_k(host, "roleplay-host-paused")
    _shot_k(agent, "roleplay-phone-paused")
    console.get_by_test_id("cmd-resume").click()
    expect(host.get_by_test_id("host-paused")).to_have_count(0)
    m, sec = host.get_by_test_id("host-countdown").inner_text().split(":")
    console.get_by_test_id("cmd-extend-30").click()
    host.wait_for_function(
        """(before) => {
          const el = document.querySelector('[data-testid=host-countdown]');
          const [m, s] = el ? el.textContent.split(':').map(Number) : [0, 0];
          return m * 60 + s > before + 20;
        }""", arg=int(m) * 60 + int(sec), timeout=WAIT_MS)

    console.get_by_test_id("cmd-reveal").click()
    expect(host.get_by_test_id("host-activity")).to_have_attribute("data-status", "revealed")
    expect(host.get_by_test_id("host-live")).to_contain_text("8 / 10")
    expect(agent.get_by_test_id("result")).to_be_visible()
    expect(agent.get_by_test_id("result-points")).to_have_text(re.compile(r"^\+80"))
    expect(agent.get_by_test_id("rp-results")).to_contain_text("张一")
    for page in [agent, *observers, host]:
        assert SECRET not in _text(page)
    _shot_k(host, "roleplay-host-reveal")
    _shot_k(agent, "roleplay-phone-reveal", full=True)

    assert not pages.dialogs, pages.dialogs
    assert not pages.errors, pages.errors


def test_every_kind_from_the_phones(caseroom_url: str, pages: Pages) -> None:
    from playwright.sync_api import expect

    made = _kinds_session(caseroom_url)
    host, console, phones = _room(pages, made, english=3)
    a, b, c, d = phones  # d reads English

    # -- group consensus: one proposes, another confirms -----------------------------------------------
    _start(console, "v-con")
    expect(a.get_by_test_id("activity-mode")).to_have_text("小组共识")
    a.get_by_test_id("option-a").click()
    expect(a.get_by_test_id("proposal")).to_have_attribute("data-state", "mine")
    expect(b.get_by_test_id("proposal")).to_have_attribute("data-state", "other")
    expect(b.get_by_test_id("proposal")).to_contain_text("张一 提议")
    expect(b.get_by_test_id("proposal-answer")).to_have_text("A. 甲")
    expect(d.get_by_test_id("proposal")).to_contain_text("proposes")
    expect(host.get_by_test_id("host-consensus-g1")).to_have_attribute("data-state", "proposed")
    _shot_k(b, "consensus-phone-proposal", full=True)
    _shot_k(d, "consensus-phone-proposal-en", full=True)
    _shot_k(host, "consensus-host-proposed")
    b.get_by_test_id("confirm-proposal").click()
    for phone in phones:
        expect(phone.get_by_test_id("proposal")).to_have_attribute("data-state", "confirmed")
    expect(host.get_by_test_id("host-consensus-g1")).to_have_attribute("data-state", "confirmed")
    expect(host.get_by_test_id("host-answered-n")).to_have_text("1")
    expect(console.get_by_test_id("console-consensus-g1")).to_have_attribute("data-state", "confirmed")
    _shot_k(host, "consensus-host-confirmed")
    _shot_k(c, "consensus-phone-confirmed", full=True)
    _shot_k(console, "consensus-console", full=True)
    _reveal(console, host)
    expect(c.get_by_test_id("result-points")).to_have_text(re.compile(r"^\+100"))

    # -- estimate ----------------------------------------------------------------------------------------
    _start(console, "e-ind")
    a.get_by_test_id("estimate-input").fill("5")
    a.get_by_test_id("estimate-submit").click()
    expect(a.get_by_test_id("answer-status")).to_have_attribute("data-state", "ok")
    expect(a.get_by_test_id("answer-status")).to_contain_text("5 个月")
    d.get_by_test_id("estimate-input").fill("12")
    d.get_by_test_id("estimate-submit").click()
    expect(d.get_by_test_id("answer-status")).to_contain_text("Received")
    c.get_by_test_id("estimate-input").fill("99")
    c.get_by_test_id("estimate-submit").click()
    expect(c.get_by_test_id("toast-error")).to_contain_text("0 到 24")
    expect(host.get_by_test_id("host-answered-n")).to_have_text("2")
    expect(host.get_by_test_id("host-bin-2")).not_to_contain_text("1")  # results hidden until the reveal
    expect(host.get_by_test_id("host-reference")).to_have_count(0)
    expect(console.get_by_test_id("key-answer")).to_have_text("5 个月")
    _shot_k(a, "estimate-phone-open", full=True)
    _shot_k(host, "estimate-host-open")
    _shot_k(console, "estimate-console", full=True)
    _reveal(console, host)
    expect(host.get_by_test_id("host-bin-2")).to_contain_text("1")
    expect(host.get_by_test_id("host-bin-5")).to_contain_text("1")
    expect(host.get_by_test_id("host-reference")).to_contain_text("5 个月")
    expect(host.get_by_test_id("host-median")).to_contain_text("8.5")
    expect(a.get_by_test_id("result")).to_have_attribute("data-rating", "best")
    expect(a.get_by_test_id("result-points")).to_have_text(re.compile(r"^\+100"))
    _shot_k(host, "estimate-host-reveal")
    _shot_k(a, "estimate-phone-reveal", full=True)

    # -- order (group majority): arrange with the arrows, send -----------------------------------------
    _start(console, "o-maj")
    expect(a.get_by_test_id("mode-note")).to_be_visible()
    rows = a.locator("[data-testid^='order-row-']")
    expect(rows).to_have_count(4)
    right = ["s1", "s2", "s3", "s4"]
    for target, want in enumerate(right):  # bubble each step up to its place with the arrows
        pos = [rows.nth(i).get_attribute("data-step") for i in range(4)].index(want)
        for _ in range(pos - target):
            a.get_by_test_id(f"order-up-{want}").click()
    expect(rows.nth(0)).to_have_attribute("data-step", "s1")
    expect(rows.nth(3)).to_have_attribute("data-step", "s4")
    expect(a.get_by_test_id("order-row-s1")).to_contain_text("倾听")
    _shot_k(a, "order-phone-arranged", full=True)
    a.get_by_test_id("order-submit").click()
    expect(a.get_by_test_id("answer-status")).to_have_attribute("data-state", "ok")
    expect(host.get_by_test_id("host-answered-n")).to_have_text("1")
    _shot_k(host, "order-host-open")
    _shot_k(console, "order-console", full=True)
    _reveal(console, host)
    expect(host.get_by_test_id("host-order-compare")).to_be_visible()
    expect(host.get_by_test_id("host-order-common")).to_contain_text("✓")
    expect(a.get_by_test_id("result")).to_have_attribute("data-rating", "best")
    _shot_k(host, "order-host-reveal")
    _shot_k(a, "order-phone-reveal", full=True)

    # -- discussion (group mode): post, upvote, highlight, award the author ----------------------------
    _start(console, "d-grp")
    text = "停机前没收到任何短信提醒"
    a.get_by_test_id("discuss-input").fill(text)
    expect(a.get_by_test_id("discuss-counter")).to_have_text(f"{len(text)}/50")
    a.get_by_test_id("discuss-submit").click()
    expect(a.get_by_test_id("discuss-input")).to_have_value("")
    post = host.locator("[data-testid^='host-post-']")
    expect(post).to_have_count(1)
    post_id = (post.get_attribute("data-testid") or "").removeprefix("host-post-")
    expect(post).to_contain_text(text)
    # A teammate upvotes the group's post (the author cannot upvote their own).
    b.get_by_test_id(f"upvote-{post_id}").click()
    expect(b.get_by_test_id(f"upvote-{post_id}")).to_have_attribute("aria-pressed", "true")
    expect(host.get_by_test_id(f"host-votes-{post_id}")).to_have_text("▲ 1")
    a.get_by_test_id(f"upvote-{post_id}").click()
    expect(a.get_by_test_id("toast-error")).to_contain_text("自己的发言")
    c.get_by_test_id("discuss-input").fill("客户说我们“乱扣费”，其实是套餐到期")
    c.get_by_test_id("discuss-submit").click()
    expect(post).to_have_count(2)
    console.get_by_test_id(f"post-highlight-{post_id}").click()
    expect(host.get_by_test_id(f"host-post-{post_id}")).to_have_attribute("data-highlighted", "true")
    console.get_by_test_id(f"post-award-{post_id}-10").click()
    expect(console.get_by_test_id("awards")).to_contain_text("讨论：停机前")
    _shot_k(host, "discuss-host")
    _shot_k(b, "discuss-phone", full=True)
    _shot_k(console, "discuss-console", full=True)
    _reveal(console, host)
    _shot_k(host, "discuss-host-reveal")

    # -- a deal: the group's own card, proposed and confirmed ------------------------------------------
    _start(console, "deal-xyz")
    expect(a.get_by_test_id("deal-chip")).to_be_visible()
    expect(a.get_by_test_id("activity-title")).to_have_text("案例 X")
    expect(host.get_by_test_id("host-deal-g1")).to_have_attribute("data-state", "open")
    c.get_by_test_id("option-a").click()
    expect(a.get_by_test_id("proposal")).to_have_attribute("data-state", "other")
    a.get_by_test_id("confirm-proposal").click()
    expect(host.get_by_test_id("host-deal-g1")).to_have_attribute("data-state", "confirmed")
    expect(console.get_by_test_id("deal-card-g1")).to_contain_text("最佳处理")
    _shot_k(host, "deal-host-open")
    _shot_k(console, "deal-console", full=True)
    _shot_k(a, "deal-phone", full=True)
    _reveal(console, host)
    expect(host.get_by_test_id("host-deal-g1")).to_have_attribute("data-state", "right")
    _shot_k(host, "deal-host-reveal")

    # -- a break, with the leaderboard hidden ----------------------------------------------------------
    console.get_by_test_id("cmd-leaderboard").click()
    expect(console.get_by_test_id("leaderboard-state")).to_contain_text("已隐藏")
    expect(host.get_by_test_id("leaderboard")).to_have_count(0)
    console.get_by_test_id("break-minutes").fill("5")
    console.get_by_test_id("break-message").fill("10:30 回来，顺便喝口水")
    console.get_by_test_id("break-start").click()
    expect(host.get_by_test_id("host-break")).to_be_visible()
    expect(host.get_by_test_id("host-break-message")).to_have_text("10:30 回来，顺便喝口水")
    expect(host.get_by_test_id("host-break-countdown")).to_have_text(re.compile(r"^[45]:\d\d$"))
    expect(b.get_by_test_id("break")).to_be_visible()
    expect(b.get_by_test_id("break-message")).to_have_text("10:30 回来，顺便喝口水")
    _shot_k(host, "break-host")
    _shot_k(b, "break-phone", full=True)
    _shot_k(console, "break-console", full=True)
    console.get_by_test_id("break-end").click()
    expect(host.get_by_test_id("host-break")).to_have_count(0)
    expect(b.get_by_test_id("break")).to_have_count(0)
    console.get_by_test_id("cmd-leaderboard").click()
    expect(console.get_by_test_id("leaderboard-state")).to_contain_text("显示中")

    # -- the action plan, beside the session review ----------------------------------------------------
    _start(console, "plan")
    a.get_by_test_id("plan-what").fill("每次先复述客户诉求，再给方案")
    a.get_by_test_id("plan-by").fill("下周五")
    a.get_by_test_id("plan-module").select_option("m1")
    a.get_by_test_id("plan-add").click()
    expect(a.get_by_test_id("plan-item")).to_have_count(2)
    a.locator("[data-testid='plan-what']").nth(1).fill("投诉当天回访")
    expect(a.get_by_test_id("plan-status")).to_have_attribute("data-state", "warn")
    a.get_by_test_id("plan-save").click()
    expect(a.get_by_test_id("plan-status")).to_have_attribute("data-state", "ok")
    expect(host.get_by_test_id("host-plan-items")).to_have_text("2")
    expect(host.get_by_test_id("host-note")).to_contain_text("每次先复述客户诉求")
    expect(host.get_by_test_id("host-review")).to_contain_text("小组共识投票")
    expect(host.get_by_test_id("host-review-rp")).to_have_count(0)  # not played in this session
    _shot_k(host, "plan-host")
    _shot_k(a, "plan-phone", full=True)
    _shot_k(console, "plan-console", full=True)

    # -- session settings and groups from the console ---------------------------------------------------
    console.get_by_test_id("auto-10").click()
    expect(console.get_by_test_id("auto-10")).to_have_attribute("aria-pressed", "true")
    console.get_by_test_id("auto-off").click()
    expect(console.get_by_test_id("auto-off")).to_have_attribute("aria-pressed", "true")
    console.get_by_test_id("group-add-name").fill("四组")
    console.get_by_test_id("group-add").click()
    expect(console.get_by_test_id("group-g4")).to_contain_text("四组")
    console.get_by_test_id("group-rename-select").select_option("g4")
    console.get_by_test_id("group-rename-name").fill("第四组")
    console.get_by_test_id("group-rename").click()
    expect(console.get_by_test_id("group-g4")).to_contain_text("第四组")
    console.get_by_test_id("move-p4").select_option("g4")
    expect(console.get_by_test_id("move-preview-g4")).to_be_visible()  # the scores a move changes, first
    console.get_by_test_id("move-confirm").click()
    expect(d.get_by_test_id("me-group")).to_have_text("第四组")

    # -- the end: podium on the screen, score, rank and group on every phone -------------------------
    console.get_by_test_id("cmd-end").click()
    console.get_by_test_id("cmd-end").click()  # (the second press ends it)
    expect(host.get_by_test_id("host-final")).to_be_visible()
    expect(host.get_by_test_id("host-podium")).to_be_visible()
    for phone in phones:
        expect(phone.get_by_test_id("ended")).to_be_visible()
        expect(phone.get_by_test_id("my-score")).to_be_visible()
        expect(phone.get_by_test_id("my-rank")).to_be_visible()
        expect(phone.get_by_test_id("my-group")).to_be_visible()
    expect(d.get_by_test_id("ended")).to_contain_text("The session has ended")
    _shot_k(host, "final-host")
    _shot_k(a, "final-phone", full=True)
    _shot_k(d, "final-phone-en", full=True)

    assert not pages.dialogs, pages.dialogs
    assert not pages.errors, pages.errors
