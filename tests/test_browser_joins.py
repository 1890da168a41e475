"""The console's refused-joins notice in a real browser: why joins are refused, raise, ban.

Chromium (Debian's, through Playwright) shows the console of a real server at projector and laptop
sizes while phones from other loopback addresses are refused (locked, then a flood over the join
limit); the trainer raises the limit and bans the flooding address with one click each.
Screenshots go to /tmp/caseroom-shots/.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from bench.serverproc import launch
from tests.conftest import ADMIN, RunningServer
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, SHOTS, WAIT_MS, _unavailable
from tests.test_join_limits import from_address, join, new_session

pytestmark = pytest.mark.browser


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    """conftest's server, but given a minute to start: Chromium starts beside it on a busy machine."""
    base = {k: v for k, v in os.environ.items() if k != "CASEROOM_DATABASE_URL"}
    srv = launch(tmp_path / "data", admin=ADMIN, base_env=base, wait=60)
    yield srv
    srv.stop()


@pytest.fixture
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing; browser tests need it")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright Python package is not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def off_thread(coro_fn: Any) -> Any:
    """Run a websocket scenario in a thread of its own: Playwright's sync API holds this thread's loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(coro_fn())).result(timeout=60)


def refused_join(server: RunningServer, code: str, source: str) -> str:
    async def go() -> str:
        ws = await from_address(server.ws, source)
        reply = await join(ws, code, "迟到")
        await ws.close()
        return str(reply.get("code"))
    return off_thread(go)


def flood(server: RunningServer, code: str, source: str) -> int:
    """300 join attempts with an empty name in about a second: past the burst, rate refusals."""
    async def go() -> int:
        sockets = [await from_address(server.ws, source) for _ in range(10)]

        async def one(ws: Any) -> list[str]:
            for _ in range(30):
                await ws.send(json.dumps({"type": "join", "code": code, "name": "\u200b"}))
            return [json.loads(await asyncio.wait_for(ws.recv(), 30))["code"] for _ in range(30)]

        codes = [c for got in await asyncio.gather(*(one(ws) for ws in sockets)) for c in got]
        for ws in sockets:
            await ws.close()
        return codes.count("rate_limited")
    return off_thread(go)


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080), (390, 844)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_console_shows_refused_joins_and_raises_or_bans(server: RunningServer, browser: Any,
                                                         size: tuple[int, int]) -> None:
    code, key = new_session(server)
    ctx = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="zh-CN")
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        page.goto(f"{server.http}/console/{code}#key={key}")
        page.wait_for_selector("[data-testid=console-code]", state="visible", timeout=WAIT_MS)
        assert page.locator("[data-testid=console-joins]").is_hidden()
        page.click("[data-testid=cmd-lock]")
        page.wait_for_selector("[data-testid=cmd-lock].is-on", timeout=WAIT_MS)
        assert refused_join(server, code, "127.0.5.5") == "locked"
        notice = page.locator("[data-testid=console-joins]")
        notice.wait_for(state="visible", timeout=WAIT_MS)
        page.wait_for_selector("[data-testid=joins-reasons]:has-text('1 次因已锁定加入')", timeout=WAIT_MS)
        assert page.locator("[data-testid=joins-raise]").count() == 0  # nothing to raise for a lock
        page.click("[data-testid=cmd-lock]")
        page.wait_for_selector("[data-testid=cmd-lock]:not(.is-on)", timeout=WAIT_MS)

        limited = flood(server, code, "127.0.7.7")
        assert limited > 0
        page.wait_for_selector("[data-testid=joins-raise]", state="visible", timeout=WAIT_MS)
        # The count catches up within a frame or two (consoles get at most one state per 100 ms).
        page.wait_for_selector(f"[data-testid=joins-reasons]:has-text('{limited} 次超过加入速率限制')",
                               timeout=WAIT_MS)
        box = notice.bounding_box()
        assert box is not None and box["width"] <= size[0]  # fits the page, no sideways scrolling
        page.screenshot(path=str(Path(SHOTS) / f"console-joins-{size[0]}x{size[1]}.png"))

        page.click("[data-testid=joins-raise]")
        page.wait_for_selector("[data-testid=joins-raised]", timeout=WAIT_MS)
        assert "一次 2000 个，之后每秒 500 个" in notice.inner_text()
        flooder = page.locator("[data-testid=joins-address]").first  # the most refusals first
        assert refused_join(server, code, "127.0.7.7") == "None"  # a trainee joins from there (limit raised)
        page.wait_for_selector("[data-testid=joins-address]:has-text('已加入 1 人')", timeout=WAIT_MS)
        flooder.locator("[data-testid=joins-ban]").click()
        # Trainees already joined from it (a whole room may share one network): a warning on the
        # console asks for a second press; no browser dialog (the console may be on the projector).
        flooder.locator("[data-testid=joins-ban-warning]").wait_for(timeout=WAIT_MS)
        assert "名学员从此地址加入" in flooder.inner_text()
        assert refused_join(server, code, "127.0.7.7") != "banned"  # not banned by the first press
        flooder.locator("[data-testid=joins-ban-confirm]").click()
        flooder.locator("[data-testid=joins-banned]").wait_for(timeout=WAIT_MS)
        assert refused_join(server, code, "127.0.7.7") == "banned"
        page.wait_for_selector("[data-testid=joins-reasons]:has-text('1 次来自已封禁的地址')", timeout=WAIT_MS)
        page.click("#lang")
        page.wait_for_selector("[data-testid=joins-total]:has-text('joins refused')", timeout=WAIT_MS)
        assert "1 from banned addresses" in notice.inner_text()
        page.screenshot(path=str(Path(SHOTS) / f"console-joins-{size[0]}x{size[1]}-en.png"))
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, overflow
        assert not errors, errors
        assert not dialogs, dialogs
    finally:
        ctx.close()
