"""The three pages in a real browser: a projector screen, the trainer's console and two phones.

Drives Debian's Chromium through Playwright (never downloads a browser) against a real
server process. Screenshots of the key moments go to /tmp/caseroom-shots/ for a human to
look at; they are not part of the repository.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
ADMIN = "browser-test-admin-token"
SHOTS = Path("/tmp/caseroom-shots")
WAIT_MS = 10_000
EVIL = "<img src=x onerror=alert(1)>"


def _unavailable(reason: str) -> None:
    """Skip when the environment lacks the browser, except in CI, where that is a failure."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true, so this is a failure, not a skip)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _http(method: str, url: str, body: dict[str, Any] | None = None,
          token: str | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=5) as res:
            return res.status, json.loads(res.read() or b"null")
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read() or b"null")


@pytest.fixture(scope="module")
def caseroom_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real server process for this module (named apart from conftest's per-test ``server``)."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium); browser tests need it")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("the playwright Python package is not installed")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    data = tmp_path_factory.mktemp("browser-data")
    log_path = data / "server.log"
    env = {**os.environ, "CASEROOM_ADMIN_TOKEN": ADMIN}
    env.pop("CASEROOM_DATABASE_URL", None)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
             "--data", str(data), "--public-url", base],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the server exited early:\n{log_path.read_text(errors='replace')}")
            try:
                if _http("GET", f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not become healthy:\n{log_path.read_text(errors='replace')}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(caseroom_url: str) -> Iterator[Any]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


class Pages:
    """Opens pages in separate contexts and remembers every script error they raise."""

    def __init__(self, browser: Any) -> None:
        self.browser = browser
        self.contexts: list[Any] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []

    def open(self, label: str, url: str, *, width: int, height: int, mobile: bool = False) -> Any:
        ctx = self.browser.new_context(viewport={"width": width, "height": height},
                                       device_scale_factor=1, is_mobile=mobile, has_touch=mobile,
                                       locale="zh-CN")
        ctx.set_default_timeout(WAIT_MS)
        self.contexts.append(ctx)
        page = ctx.new_page()
        page.on("pageerror", lambda exc: self.errors.append(f"{label}: {exc}"))
        page.on("console", lambda msg: self.errors.append(f"{label}: console.{msg.type}: {msg.text}")
                if msg.type == "error" else None)

        def on_dialog(dialog: Any) -> None:
            self.dialogs.append(f"{label}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.goto(url)
        return page

    def close(self) -> None:
        for ctx in self.contexts:
            ctx.close()


@pytest.fixture
def pages(browser: Any) -> Iterator[Pages]:
    p = Pages(browser)
    try:
        yield p
    finally:
        p.close()


def _new_session(base: str) -> dict[str, Any]:
    status, made = _http("POST", f"{base}/api/sessions", {"deck": "complaint-handling"}, ADMIN)
    assert status == 201, made
    return made


def _shot(page: Any, name: str, *, full: bool = False) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(600)  # let the bars finish their transition
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full)


def _shape(page: Any, testid: str, visible: bool = True) -> str:
    """How the option's shape is drawn (its clip-path and corners): equal strings, equal shapes."""
    shape = page.get_by_test_id(testid).locator(".opt-shape")
    assert shape.is_visible() or not visible, testid
    return shape.evaluate("(el) => { const cs = getComputedStyle(el);"  # type: ignore[no-any-return]
                          " return [cs.clipPath, cs.borderRadius].join(' | '); }")


def _join(page: Any, name: str) -> None:
    from playwright.sync_api import expect

    expect(page.get_by_test_id("join")).to_be_visible()
    expect(page.get_by_test_id("join-session")).to_be_visible()  # the lookup found the session
    page.get_by_test_id("join-name").fill(name)
    page.get_by_test_id("join-submit").click()
    expect(page.get_by_test_id("lobby")).to_be_visible()


def test_vote_round_trip(caseroom_url: str, pages: Pages) -> None:
    from playwright.sync_api import expect

    made = _new_session(caseroom_url)
    code = made["code"]
    host = pages.open("host", made["host_url"], width=1280, height=720)
    console = pages.open("console", made["console_url"], width=1280, height=860)
    # The key travels in the fragment and is then taken out of the address bar.
    expect(host.get_by_test_id("host-code")).to_have_text(code)
    # The pages take the key out once their modules have loaded (the catalogue loads first): wait for it.
    expect(host).not_to_have_url(re.compile("key="))
    expect(console).not_to_have_url(re.compile("key="))
    expect(host.get_by_test_id("host-qr")).to_have_attribute("src", re.compile(r"^data:image/svg\+xml"))
    expect(host.get_by_test_id("host-join-url")).to_have_text(made["join_url"])

    li = pages.open("phone-li", made["join_url"], width=360, height=740, mobile=True)
    han = pages.open("phone-han", f"{made['join_url']}?lang=en", width=390, height=844, mobile=True)
    expect(li.get_by_test_id("join-code")).to_have_value(code)
    expect(li.get_by_test_id("join-group")).to_be_visible()  # the deck has groups
    _shot(li, "phone-join", full=True)
    _join(li, "李雷")
    _join(han, "韩梅梅")
    expect(li.get_by_test_id("me-name")).to_have_text("李雷")
    expect(li.get_by_test_id("lobby-group")).to_contain_text("第")
    expect(han.get_by_test_id("lobby")).to_contain_text("You are in")

    expect(host.get_by_test_id("host-joined")).to_have_text("2")
    expect(host.get_by_test_id("lobby-name")).to_have_count(2)
    expect(host.get_by_test_id("host-lobby")).to_contain_text("李雷")
    expect(host.get_by_test_id("host-lobby")).to_contain_text("韩梅梅")
    expect(console.get_by_test_id("player-row")).to_have_count(2)
    _shot(host, "host-lobby")
    _shot(li, "phone-lobby", full=True)

    # The console starts the first card of the agenda.
    first = console.locator("[data-testid^='start-']").first
    first_id = (first.get_attribute("data-testid") or "").removeprefix("start-")
    first.click()
    expect(console.get_by_test_id("current-status")).to_have_text("作答中")
    expect(host.get_by_test_id("host-activity")).to_have_attribute("data-status", "open")
    expect(host.get_by_test_id("host-countdown")).to_have_text(re.compile(r"^\d+:\d\d$"))
    expect(host.get_by_test_id("host-answered-n")).to_have_text("0")
    expect(console.get_by_test_id(f"agenda-{first_id}")).to_have_attribute("data-status", "open")
    # Nothing of the answer key is on the screen before the reveal.
    expect(host.get_by_test_id("host-explain")).to_have_count(0)
    expect(host.locator("[data-rating]")).to_have_count(0)
    expect(console.get_by_test_id("key-options")).to_contain_text("最佳处理")

    # Each phone taps a different option.
    for phone in (li, han):
        expect(phone.get_by_test_id("activity")).to_have_attribute("data-status", "open")
        expect(phone.get_by_test_id("card-situation")).not_to_be_empty()
    options = li.locator("[data-testid^='option-']")
    expect(options.first).to_be_visible()
    ids = [(options.nth(i).get_attribute("data-option") or "") for i in range(options.count())]
    assert len(ids) >= 2, ids
    li.get_by_test_id(f"option-{ids[0]}").click()
    han.get_by_test_id(f"option-{ids[1]}").click()
    for phone, choice in ((li, ids[0]), (han, ids[1])):
        expect(phone.get_by_test_id("answer-status")).to_have_attribute("data-state", "ok")
        expect(phone.get_by_test_id(f"option-{choice}")).to_have_attribute("aria-pressed", "true")
    expect(li.get_by_test_id("answer-status")).to_contain_text("已收到")
    expect(han.get_by_test_id("answer-status")).to_contain_text("received")

    expect(host.get_by_test_id("host-answered-n")).to_have_text("2")
    expect(host.get_by_test_id(f"host-count-{ids[0]}")).to_have_text("1")
    expect(host.get_by_test_id(f"host-count-{ids[1]}")).to_have_text("1")
    expect(console.get_by_test_id("current-submitted")).to_contain_text("已作答 2")
    # The projector's options carry the phones' shapes (A ▲, B ◆ ...): one definition, same look.
    phone_shapes = [_shape(li, f"option-{i}") for i in ids]
    assert len(set(phone_shapes)) == len(ids), phone_shapes
    assert [_shape(host, f"host-option-{i}") for i in ids] == phone_shapes
    _shot(host, "host-vote")
    _shot(console, "console-vote", full=True)
    _shot(li, "phone-vote", full=True)

    # Reveal: phones get their result, the screen the recommended option and the leaderboard.
    console.get_by_test_id("cmd-reveal").click()
    expect(host.get_by_test_id("host-activity")).to_have_attribute("data-status", "revealed")
    recommended = host.locator(".h-opt.is-recommended")
    expect(recommended).to_have_count(1)
    rec_id = recommended.get_attribute("data-option")
    assert rec_id in ids
    expect(recommended).to_have_attribute("data-rating", "best")
    expect(host.get_by_test_id(f"host-rating-{rec_id}")).to_contain_text("最佳处理")
    expect(host.get_by_test_id("host-rationale")).not_to_be_empty()
    expect(host.get_by_test_id("legal-basis")).to_contain_text("电信条例")
    board = host.get_by_test_id("leaderboard")
    expect(board).to_be_visible()
    expect(board).to_contain_text("李雷")
    expect(board).to_contain_text("韩梅梅")
    # At the reveal too (the options may be on the other page of a paged column).
    assert [_shape(host, f"host-option-{i}", visible=False) for i in ids] == phone_shapes

    for phone, choice in ((li, ids[0]), (han, ids[1])):
        expect(phone.get_by_test_id("result")).to_be_visible()
        expect(phone.get_by_test_id("result-points")).to_have_text(re.compile(r"[+-]?\d+"))
        expect(phone.get_by_test_id("recommended")).to_be_visible()
        expect(phone.get_by_test_id("rationale")).not_to_be_empty()
        expect(phone.get_by_test_id("my-rank")).to_be_visible()
        rating = "best" if choice == rec_id else None
        if rating:
            expect(phone.get_by_test_id("result")).to_have_attribute("data-rating", "best")
    li_rating = li.get_by_test_id("result").get_attribute("data-rating")
    expect(li.get_by_test_id("result-rating")).to_have_text(
        {"best": "最佳处理", "acceptable": "可以接受", "poor": "不当处理"}[li_rating or "poor"])
    li_points = int(li.get_by_test_id("result-points").inner_text().split()[0])
    expect(li.get_by_test_id("me-score")).to_have_text(str(li_points))
    expect(console.get_by_test_id("current-status")).to_have_text("已揭晓")
    _shot(host, "host-reveal")
    _shot(console, "console-reveal", full=True)
    # Nothing is wider than the narrowest phone.
    assert li.evaluate("document.documentElement.scrollWidth") <= 360
    _shot(li, "phone-reveal", full=True)
    _shot(han, "phone-reveal-en", full=True)

    # A reload resumes the same identity (token kept per code): no second player appears.
    li.reload()
    expect(li.get_by_test_id("me-name")).to_have_text("李雷")
    expect(li.get_by_test_id("result")).to_be_visible()
    expect(host.get_by_test_id("footer-counts")).to_contain_text("2")

    # An award from the console lands on the player's score.
    console.get_by_test_id("award-target").select_option(label="韩梅梅")
    console.get_by_test_id("award-points").fill("5")
    console.get_by_test_id("award-reason").fill("故事分享精彩")
    console.get_by_test_id("award-submit").click()
    expect(console.get_by_test_id("awards")).to_contain_text("故事分享精彩")
    han_points = int(han.get_by_test_id("result-points").inner_text().split()[0])
    expect(han.get_by_test_id("me-score")).to_have_text(str(han_points + 5))

    assert not pages.dialogs, pages.dialogs
    assert not pages.errors, pages.errors


def test_names_are_text_not_markup(caseroom_url: str, pages: Pages) -> None:
    from playwright.sync_api import expect

    made = _new_session(caseroom_url)
    host = pages.open("host", made["host_url"], width=1280, height=720)
    console = pages.open("console", made["console_url"], width=1280, height=800)
    expect(host.get_by_test_id("host-code")).to_have_text(made["code"])
    images_before = host.locator("#screen img").count()  # the QR code (the footer's is apart)
    phone = pages.open("phone", made["join_url"], width=360, height=740, mobile=True)
    _join(phone, EVIL)
    # Names are cut to 24 characters by the server; what is left is still shown as plain text.
    shown = EVIL[:24]
    expect(phone.get_by_test_id("me-name")).to_have_text(shown)
    name = host.get_by_test_id("lobby-name")
    expect(name).to_have_count(1)
    expect(name).to_have_text(shown)
    assert name.locator("*").count() == 0
    assert host.locator("#screen img").count() == images_before == 1
    assert host.locator("img[src='x']").count() == 0
    row = console.get_by_test_id("player-row")
    expect(row).to_have_count(1)
    expect(row.locator(".player-name")).to_have_text(shown)
    assert console.locator("img").count() == 0
    _shot(host, "host-xss")
    assert not pages.dialogs, pages.dialogs
    assert not pages.errors, pages.errors


def test_leaving_on_a_phone_takes_a_second_press_and_no_dialog(caseroom_url: str, pages: Pages) -> None:
    """"不是你？重新加入" forgets this phone's seat: the first press arms it (its label says so), a
    second within 5 s leaves; one not followed up lapses; no browser dialog at any point."""
    from playwright.sync_api import expect

    made = _new_session(caseroom_url)
    phone = pages.open("phone", made["join_url"], width=390, height=844, mobile=True)
    _join(phone, "换人")
    leave = phone.get_by_test_id("leave")
    expect(leave).to_have_text("不是你？重新加入")
    leave.click()
    expect(leave).to_have_text("再点一次离开（需重新输入名字加入）")
    _shot(phone, "phone-leave-armed-390x844")
    box = leave.bounding_box()
    assert box is not None and box["height"] >= 44  # a touch target, armed or not
    expect(leave).to_have_text("不是你？重新加入", timeout=8000)  # not pressed again: it lapses
    expect(phone.get_by_test_id("lobby")).to_be_visible()
    leave.click()
    leave.click()
    expect(phone.get_by_test_id("join")).to_be_visible()
    assert phone.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('caseroom.token.'))") == []
    assert not pages.dialogs, pages.dialogs
    assert not pages.errors, pages.errors
