"""The session record in a real browser: the trainer's page, the review screen with its replay,
a trainee's own printable record, exports and deletion.

The first test makes a session from the trainer page (a chosen part of the kinds deck), plays a vote,
an estimate and an action plan from two phones, ends it, then reviews, replays, exports and deletes it.
The second plays every kind over websockets, restarts the server and checks that the ended session's
review, replay and personal record are rebuilt from the record alone.
Screenshots go to /tmp/caseroom-shots/record-*.png.
"""

from __future__ import annotations

import json
import re
import urllib.request
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests import test_browser as tb
from tests.test_browser import ADMIN, WAIT_MS, Pages, _http, _join, _shot

# The server process, the browser and the page helper of test_browser.py, shared as fixtures.
caseroom_url = tb.caseroom_url
browser = tb.browser
pages = tb.pages

pytestmark = pytest.mark.browser

DECK = Path(__file__).parent / "fixtures" / "kinds.yaml"
TITLE = "投诉处理复盘课"
PLAN_A = "每周复盘一次投诉录音"
PLAN_B = "先致歉再解释原因"


def _shot_r(page: Any, name: str, *, full: bool = False) -> None:
    _shot(page, f"record-{name}", full=full)
    if "phone" in name:  # nothing on a phone may be wider than the narrowest one
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, name


def _upload_kinds(base: str) -> None:
    req = urllib.request.Request(f"{base}/api/decks", data=DECK.read_bytes(), method="POST",
                                 headers={"Authorization": f"Bearer {ADMIN}"})
    with urllib.request.urlopen(req, timeout=5) as res:
        assert res.status == 201


def _events(base: str, code: str, key: str) -> list[dict[str, Any]]:
    status, review = _http("GET", f"{base}/api/sessions/{code}/review", token=key)
    assert status == 200, review
    return review["timeline"]["events"]  # type: ignore[no-any-return]


def _scrub(page: Any, index: int, seq: int) -> None:
    """Move the replay slider to event `index` and wait for the screen of event `seq`."""
    from playwright.sync_api import expect

    page.get_by_test_id("replay-slider").fill(str(index))
    expect(page.get_by_test_id("replay-label")).to_have_attribute("data-seq", str(seq))
    expect(page.get_by_test_id("replay-screen")).to_have_attribute("data-seq", str(seq))


def test_trainer_page_review_replay_my_record_export_and_delete(caseroom_url: str, pages: Pages,
                                                                 tmp_path: Path) -> None:
    from playwright.sync_api import expect

    _upload_kinds(caseroom_url)
    trainer = pages.open("trainer", f"{caseroom_url}/trainer#token={ADMIN}", width=1280, height=900)
    expect(trainer.get_by_test_id("sessions-panel")).to_be_visible()
    assert "token=" not in trainer.url  # the admin token never stays in the address bar

    # -- a new session from part of the deck ---------------------------------------------------------
    trainer.get_by_test_id("deck-select").select_option("kinds")
    trainer.get_by_test_id("session-title-input").fill(TITLE)
    trainer.get_by_test_id("scope-pick").check()
    for activity in ("v-ind", "e-ind", "plan"):
        trainer.get_by_test_id(f"scope-item-{activity}").check()
    _shot_r(trainer, "trainer-create")
    trainer.get_by_test_id("create-session").click()
    code = trainer.get_by_test_id("created-code").inner_text().strip()
    assert code.isdigit()
    row = trainer.get_by_test_id(f"session-{code}")
    expect(row).to_have_attribute("data-state", "live")
    expect(row).to_contain_text(TITLE)
    console_url = trainer.get_by_test_id("link-console").get_attribute("href") or ""
    join_url = trainer.get_by_test_id("link-join").get_attribute("href") or ""
    key = console_url.split("#key=", 1)[1]
    status, made = _http("GET", f"{caseroom_url}/api/sessions/{code}/review", token=key)
    assert status == 200 and made["review"] == []  # nothing played yet

    # -- play: a vote, an estimate and an action plan on two phones -----------------------------------
    console = pages.open("console", console_url, width=1280, height=900)
    expect(console.get_by_test_id("agenda-v-ind")).to_be_visible()
    expect(console.locator("[data-testid^='agenda-']")).to_have_count(3)  # only the chosen activities
    wang = pages.open("phone-wang", join_url, width=360, height=740, mobile=True)
    chen = pages.open("phone-chen", join_url, width=360, height=740, mobile=True)
    _join(wang, "王芳")
    _join(chen, "陈刚")
    expect(wang.get_by_test_id("open-record")).to_be_visible()
    _shot_r(wang, "phone-lobby", full=True)
    expect(console.get_by_test_id("player-row")).to_have_count(2)

    console.get_by_test_id("start-v-ind").click()
    for phone, choice in ((wang, "a"), (chen, "c")):
        phone.get_by_test_id(f"option-{choice}").click()
        expect(phone.get_by_test_id("answer-status")).to_have_attribute("data-state", "ok")
    console.get_by_test_id("cmd-reveal").click()
    expect(console.get_by_test_id("agenda-v-ind")).to_have_attribute("data-status", "revealed")

    console.get_by_test_id("start-e-ind").click()
    for phone, value in ((wang, "5"), (chen, "9")):
        phone.get_by_test_id("estimate-input").fill(value)
        phone.get_by_test_id("estimate-submit").click()
        expect(phone.get_by_test_id("answer-status")).to_have_attribute("data-state", "ok")
    console.get_by_test_id("cmd-reveal").click()
    expect(console.get_by_test_id("agenda-e-ind")).to_have_attribute("data-status", "revealed")

    console.get_by_test_id("start-plan").click()
    for phone, what in ((wang, PLAN_A), (chen, PLAN_B)):
        phone.get_by_test_id("plan-what").fill(what)
        phone.get_by_test_id("plan-save").click()
        expect(phone.get_by_test_id("plan-status")).to_have_attribute("data-state", "ok")

    # "My record" during the session: my own answers so far, then back to the activity.
    wang.get_by_test_id("open-record").click()
    record = wang.get_by_test_id("my-record")
    expect(record).to_have_attribute("data-state", "ok")
    expect(record).to_contain_text("个人投票")
    expect(wang.get_by_test_id("record-name")).to_have_text("王芳")
    _shot_r(wang, "phone-record-live", full=True)
    wang.get_by_test_id("record-close").click()
    expect(wang.get_by_test_id("plan-items")).to_be_visible()

    # Ending takes a second press (no dialog on a console that may be mirrored); alone, one press
    # ends nothing and the button turns back after 5 s.
    end = console.get_by_test_id("cmd-end")
    end.click()
    expect(end).to_have_text("再按一次结束：结束后学员不能再作答")
    expect(end).to_have_text("结束课程", timeout=8000)
    expect(console.get_by_test_id("console-message")).to_be_hidden()  # (the ended banner)
    expect(wang.get_by_test_id("plan-items")).to_be_visible()  # the class goes on
    end.click()
    end.click()  # (the second press ends it)
    expect(console.get_by_test_id("console-message")).to_be_visible()

    # -- the end: each phone shows its own record, printable, and nobody else's -----------------------------
    cases = ((wang, "王芳", "陈刚", PLAN_A, PLAN_B), (chen, "陈刚", "王芳", PLAN_B, PLAN_A))
    for phone, me, other, mine, theirs in cases:
        expect(phone.get_by_test_id("ended")).to_be_visible()
        rec = phone.get_by_test_id("my-record")
        expect(rec).to_have_attribute("data-state", "ok")
        expect(phone.get_by_test_id("record-name")).to_have_text(me)
        expect(phone.get_by_test_id("record-plan")).to_contain_text(mine)
        expect(phone.get_by_test_id("record-answers")).to_contain_text("个人投票")
        expect(phone.get_by_test_id("record-answers")).to_contain_text("收费争议申诉期限")
        expect(phone.get_by_test_id("open-record")).to_be_hidden()
        text = str(rec.inner_text())
        assert other not in text and theirs not in text, text
    expect(wang.get_by_test_id("record-answers")).to_contain_text("甲")
    expect(chen.get_by_test_id("record-answers")).to_contain_text("丙")
    wang.evaluate("() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }")
    wang.get_by_test_id("record-print").click()
    assert wang.evaluate("window.__printed") == 1
    _shot_r(wang, "phone-ended", full=True)
    wang.emulate_media(media="print")
    expect(wang.get_by_test_id("record-print")).to_be_hidden()  # the print hides buttons and bars
    expect(wang.get_by_test_id("me")).to_be_hidden()
    _shot_r(wang, "phone-print", full=True)
    wang.emulate_media(media="screen")
    wang.set_viewport_size({"width": 390, "height": 844})
    wang.get_by_test_id("lang-toggle").click()
    expect(wang.get_by_test_id("my-record")).to_contain_text("My training record")
    _shot(wang, "record-phone-en", full=True)

    # -- the trainer page lists it as ended; exports download with the file's own name -------------------
    trainer.get_by_test_id("sessions-panel").get_by_role("button", name="刷新").click()
    expect(row).to_have_attribute("data-state", "ended")
    expect(trainer.get_by_test_id(f"joined-{code}")).to_have_text("2")
    expect(trainer.get_by_test_id(f"console-{code}")).to_have_count(0)
    with trainer.expect_download() as got:
        trainer.get_by_test_id(f"export-csv-{code}").click()
    assert got.value.suggested_filename == f"caseroom-{code}.zip"
    path = tmp_path / got.value.suggested_filename
    got.value.save_as(path)
    with zipfile.ZipFile(path) as archive:
        assert f"caseroom-{code}-action_plans.csv" in archive.namelist()
        assert PLAN_A in archive.read(f"caseroom-{code}-action_plans.csv").decode("utf-8-sig")
    with trainer.expect_download() as got:
        trainer.get_by_test_id(f"export-json-{code}").click()
    got.value.save_as(tmp_path / "record.json")
    assert json.loads((tmp_path / "record.json").read_text())["session"]["code"] == code
    _shot_r(trainer, "trainer-list", full=True)

    # The console exports too, in every format.
    with console.expect_download() as got:
        console.get_by_test_id("export-xlsx").click()
    assert got.value.suggested_filename.endswith(".xlsx")

    # -- the review screen, opened from the trainer page ---------------------------------------------
    review_url = trainer.get_by_test_id(f"review-{code}").get_attribute("href") or ""
    assert review_url.endswith("&review")
    assert (console.get_by_test_id("open-review").get_attribute("href") or "").endswith("&review")
    review = pages.open("review", review_url, width=1280, height=720)
    expect(review.get_by_test_id("review-title")).to_have_text(TITLE)
    expect(review).to_have_url(re.compile(r"^[^#]*#review$"))  # the key is taken out of the address
    expect(review.get_by_test_id("review-state")).to_have_text("已结束")
    card = review.get_by_test_id("review-card-v-ind")
    expect(card).to_be_visible()
    expect(review.get_by_test_id("review-option-a")).to_have_attribute("data-recommended", "true")
    expect(review.get_by_test_id("review-recommended")).to_contain_text("甲")
    expect(review.get_by_test_id("review-rationale")).to_contain_text("甲最好。")
    expect(review.get_by_test_id("review-count-a")).to_have_text("1")
    expect(review.get_by_test_id("review-count-c")).to_have_text("1")
    expect(review.get_by_test_id("review-agreement")).to_contain_text("50%")
    _shot_r(review, "review-vote")
    review.get_by_test_id("review-next").click()
    expect(review.get_by_test_id("review-card-e-ind")).to_be_visible()
    expect(review.get_by_test_id("review-estimate-ref")).to_have_text("5 个月")
    expect(review.get_by_test_id("review-histogram")).to_be_visible()
    _shot_r(review, "review-estimate")
    review.keyboard.press("ArrowLeft")
    expect(review.get_by_test_id("review-card-v-ind")).to_be_visible()

    review.get_by_test_id("review-tab-plans").click()
    notes = review.get_by_test_id("review-note")
    expect(notes).to_have_count(2)
    expect(review.get_by_test_id("review-plans")).to_contain_text(PLAN_A)
    expect(review.get_by_test_id("review-plans")).to_contain_text(PLAN_B)
    plans_text = str(review.get_by_test_id("review-plans").inner_text())
    assert "王芳" not in plans_text and "陈刚" not in plans_text  # highlights are anonymous
    _shot_r(review, "review-plans")

    review.get_by_test_id("review-tab-scores").click()
    expect(review.locator("[data-testid=review-chart] svg polyline").first).to_be_visible()
    assert review.locator("[data-testid=review-chart] polyline").count() >= 1
    expect(review.get_by_test_id("review-final")).to_contain_text("王芳")
    _shot_r(review, "review-scores")

    # -- replay: scrubbing the timeline shows the screen as it was ---------------------------------------
    events = _events(caseroom_url, code, key)
    review.get_by_test_id("review-tab-replay").click()
    screen = review.get_by_test_id("replay-screen")
    expect(screen).to_have_attribute("data-seq", str(events[-1]["seq"]))
    expect(screen).to_have_attribute("data-phase", "ended")
    expect(review.get_by_test_id("replay-event")).to_have_text("课程结束")
    expect(screen.get_by_test_id("host-final")).to_be_visible()
    _shot_r(review, "review-replay-end")
    joined = next(i for i, e in enumerate(events) if e["type"] == "player_joined")
    _scrub(review, joined, events[joined]["seq"])
    expect(review.get_by_test_id("replay-event")).to_contain_text(f"{events[joined]['who']} 加入课堂")
    expect(screen.get_by_test_id("host-lobby")).to_be_visible()
    expect(screen.get_by_test_id("host-joined")).to_have_text("1")
    _shot_r(review, "review-replay-lobby")
    answered = max(i for i, e in enumerate(events) if e["type"] == "answer_submitted" and e.get("activity") == "v-ind")
    _scrub(review, answered, events[answered]["seq"])
    expect(screen).to_have_attribute("data-activity", "v-ind")
    expect(screen.get_by_test_id("host-activity")).to_have_attribute("data-status", "open")
    expect(screen.get_by_test_id("host-answered-n")).to_have_text("2")
    # The projector kept the results for the reveal (issue 14): the replay shows what the room saw.
    expect(screen.get_by_test_id("host-results-hidden")).to_be_visible()
    expect(screen.get_by_test_id("host-options")).to_have_class(re.compile(r"\bis-results-hidden\b"))
    expect(screen.get_by_test_id("host-explain")).to_have_count(0)  # not revealed at that moment
    _shot_r(review, "review-replay-vote")
    review.get_by_test_id("replay-next").click()
    expect(review.get_by_test_id("replay-label")).to_have_attribute("data-seq", str(events[answered + 1]["seq"]))
    expect(screen).to_have_attribute("data-seq", str(events[answered + 1]["seq"]))

    # -- delete, after typing the code again ----------------------------------------------------------
    trainer.get_by_test_id(f"delete-{code}").click()
    confirm = trainer.get_by_test_id(f"delete-confirm-{code}")
    expect(confirm).to_be_disabled()
    trainer.get_by_test_id(f"delete-input-{code}").fill("000000")
    expect(confirm).to_be_disabled()
    trainer.get_by_test_id(f"delete-input-{code}").fill(code)
    expect(confirm).to_be_enabled()
    _shot_r(trainer, "trainer-delete")
    confirm.click()
    expect(trainer.get_by_test_id(f"session-{code}")).to_have_count(0)
    expect(trainer.get_by_test_id("toast-ok").last).to_contain_text(code)
    status, listed = _http("GET", f"{caseroom_url}/api/sessions", token=ADMIN)
    assert code not in [s["code"] for s in listed["sessions"]]
    assert _http("GET", f"{caseroom_url}/api/sessions/{code}/review", token=ADMIN)[0] == 404

    assert not pages.dialogs, pages.dialogs
    assert not pages.errors, pages.errors


# -- after a restart -------------------------------------------------------------------------------------
@pytest.fixture
def restarted(tmp_path: Path) -> Iterator[tuple[Any, str, str, dict[str, str]]]:
    """A session of every kind, recorded and ended, then the server restarted: only the record is left."""
    from tests.conftest import start_server
    from tests.test_kinds_protocol import play_every_kind

    first = start_server(tmp_path / "data")
    tokens: dict[str, str] = {}
    try:
        # Its own thread: the websocket clients run an asyncio loop, Playwright's sync API holds this one.
        with ThreadPoolExecutor(1) as pool:
            code, key = pool.submit(play_every_kind, first, tokens).result(timeout=120)
    finally:
        first.stop()
    again = start_server(first.data, first.port)
    try:
        yield again, code, key, tokens
    finally:
        again.stop()


def _open_with_token(browser: Any, pages: Pages, label: str, url: str, code: str, token: str) -> Any:
    """A phone whose local storage already holds its resume token (as after the session on that phone)."""
    ctx = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=1, is_mobile=True,
                              has_touch=True, locale="zh-CN")
    ctx.set_default_timeout(WAIT_MS)
    pages.contexts.append(ctx)
    ctx.add_init_script(f"localStorage.setItem({json.dumps('caseroom.token.' + code)}, {json.dumps(token)});")
    page = ctx.new_page()
    page.on("pageerror", lambda exc: pages.errors.append(f"{label}: {exc}"))
    page.on("console", lambda msg: pages.errors.append(f"{label}: console.{msg.type}: {msg.text}")
            if msg.type == "error" else None)
    page.on("dialog", lambda d: (pages.dialogs.append(f"{label}: {d.message}"), d.dismiss()))
    page.goto(url)
    return page


def test_an_ended_session_is_rebuilt_after_a_restart(browser: Any, pages: Pages,
                                                     restarted: tuple[Any, str, str, dict[str, str]]) -> None:
    from playwright.sync_api import expect

    srv, code, key, tokens = restarted
    review = pages.open("review", f"{srv.http}/host/{code}#key={key}&review", width=1280, height=720)
    expect(review.get_by_test_id("review-title")).to_have_text("全部活动类型")
    expect(review.get_by_test_id("review-state")).to_have_text("已结束")
    expect(review.get_by_test_id("review-joined")).to_contain_text("6")
    expect(review.locator("[data-testid^='review-pick-']")).to_have_count(9)
    expect(review.get_by_test_id("review-option-a")).to_have_attribute("data-recommended", "true")
    expect(review.get_by_test_id("review-group-g2")).to_contain_text("丙")
    _shot_r(review, "restart-vote")

    # The order shows its steps' texts (from the screen as it was), the class against the correct order.
    review.get_by_test_id("review-pick-o-maj").click()
    expect(review.get_by_test_id("review-order-correct")).to_contain_text("倾听")
    expect(review.get_by_test_id("review-order-class")).to_contain_text("跟进")
    expect(review.get_by_test_id("review-group-g3")).to_contain_text("跟进 → 方案 → 确认 → 倾听")
    _shot_r(review, "restart-order")
    review.get_by_test_id("review-pick-e-ind").click()
    expect(review.get_by_test_id("review-reference")).to_contain_text("5 个月")
    _shot_r(review, "restart-estimate")
    review.get_by_test_id("review-pick-d-grp").click()
    expect(review.get_by_test_id("review-posts")).to_contain_text("停机没收到短信")
    expect(review.get_by_test_id("review-posts")).to_contain_text("二组")
    _shot_r(review, "restart-discuss")
    review.get_by_test_id("review-pick-rp").click()
    rubric = review.get_by_test_id("review-rubric")
    expect(rubric).to_contain_text("情绪安抚")
    expect(rubric).to_contain_text("学员1")
    expect(rubric).to_contain_text("8 / 10")
    _shot_r(review, "restart-roleplay")
    review.get_by_test_id("review-pick-v-y").click()
    expect(review.get_by_test_id("review-card-v-y")).to_contain_text("发给：二组")
    _shot_r(review, "restart-deal-card")

    review.get_by_test_id("review-tab-scores").click()
    for group in ("g1", "g2", "g3"):
        expect(review.get_by_test_id(f"review-line-{group}")).to_be_visible()
    expect(review.get_by_test_id("review-final")).to_contain_text("583")
    _shot_r(review, "restart-scores")
    review.get_by_test_id("review-tab-plans").click()
    expect(review.get_by_test_id("review-plans")).to_contain_text("每次先复述客户诉求")
    review.get_by_test_id("review-tab-replay").click()
    events = _events(srv.http, code, key)
    rp = next(i for i, e in enumerate(events) if e["type"] == "step_started")
    _scrub(review, rp, events[rp]["seq"])
    screen = review.get_by_test_id("replay-screen")
    expect(screen.get_by_test_id("host-activity")).to_have_attribute("data-kind", "roleplay")
    expect(screen.get_by_test_id("host-activity")).to_have_attribute("data-step", "play")
    expect(screen.get_by_test_id("host-countdown")).to_have_text("1:00")  # the clock as it stood then
    _shot_r(review, "restart-replay-roleplay")
    assert "秘密" not in str(review.content())  # no role brief on the projector, now or then

    # The console cannot reconnect to an ended session after a restart, and points to the review.
    console = pages.open("console", f"{srv.http}/console/{code}#key={key}", width=1280, height=720)
    expect(console.get_by_test_id("console-review-link")).to_be_visible()

    # A trainee's phone still opens its own record with the token it kept.
    phone = _open_with_token(browser, pages, "phone-p3", f"{srv.http}/j/{code}", code, tokens["p3"])
    expect(phone.get_by_test_id("ended")).to_be_visible()
    expect(phone.get_by_test_id("my-record")).to_have_attribute("data-state", "ok")
    expect(phone.get_by_test_id("record-name")).to_have_text("学员3")
    expect(phone.get_by_test_id("record-plan")).to_contain_text("<b>整理台账</b>")
    assert phone.locator("[data-testid=record-plan] b").count() == 0  # the markup is text
    record_text = str(phone.get_by_test_id("my-record").inner_text())
    assert "学员1" not in record_text and "每次先复述客户诉求" not in record_text
    _shot_r(phone, "restart-phone", full=True)

    assert not pages.dialogs, pages.dialogs
    assert not pages.errors, pages.errors

