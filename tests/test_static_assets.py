"""The client's files as a room of phones loads them: compressed, long-cached, and few.

A real server process over HTTP, and a real browser at 390×844 counting the bytes on the wire
(Chrome's own ``encodedDataLength``): the phone page's first load, up to a usable join screen,
stays under 60 KB; a reload costs almost nothing (the files are ``immutable`` under the
release's version prefix, the page is revalidated by its ETag); the activities' modules come
after the join, and a card opened then is drawn.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import test_browser as tb
from tests.conftest import RunningServer
from tests.test_browser import Pages, _join, _new_session
from tests.wsclient import host

CLIENT = Path(__file__).resolve().parent.parent / "client"
FIRST_LOAD_LIMIT = 60_000


def test_pages_point_at_the_release_and_files_are_gzipped_and_cached(server: RunningServer) -> None:
    with httpx.Client(base_url=server.http, timeout=30) as web:
        page = web.get("/", headers={"accept-encoding": "gzip"})
        assert page.status_code == 200 and page.headers["content-encoding"] == "gzip"
        assert page.headers["cache-control"] == "no-cache" and page.headers["etag"]
        assert "default-src 'self'" in page.headers["content-security-policy"]
        links = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
        assert links and all(re.match(r"^/static/v/[0-9a-f]{12}/", link) for link in links), links
        again = web.get("/", headers={"if-none-match": page.headers["etag"]})
        assert again.status_code == 304 and again.content == b""

        script = next(link for link in links if link.endswith("phone.js"))
        raw = web.get(script, headers={"accept-encoding": "gzip"})  # httpx inflates it
        assert raw.status_code == 200 and raw.headers["content-encoding"] == "gzip"
        assert raw.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert raw.headers["content-type"].startswith("text/javascript")
        assert raw.content == (CLIENT / "phone.js").read_bytes()
        assert raw.headers["x-content-type-options"] == "nosniff"
        wire = web.get(script, headers={"accept-encoding": "gzip"})
        assert int(wire.headers["content-length"]) < len(raw.content) / 2  # gzip -9 of JS
        plain = web.get(script, headers={"accept-encoding": "identity"})
        assert "content-encoding" not in plain.headers and plain.content == raw.content
        assert web.get(script, headers={"if-none-match": raw.headers["etag"]}).status_code == 304
        head = web.head(script)
        assert head.status_code == 200 and head.content == b""

        # An older page's version after an upgrade: today's file, but not cached for a year.
        stale = web.get("/static/v/000000000000/phone.js")
        assert stale.status_code == 200 and stale.headers["cache-control"] == "no-cache"
        bare = web.get("/static/lib/socket.js")
        assert bare.status_code == 200 and bare.headers["cache-control"] == "no-cache"
        for bad in ("/static/nope.js", "/static/../server/app.py", "/static/%2e%2e/server/app.py",
                    "/static/__init__.py", "/static/v/x"):
            r = web.get(bad)
            assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", bad


def test_gzip_bodies_are_the_files(server: RunningServer) -> None:
    """What goes on the wire inflates to the file itself (read without httpx's decoding)."""
    with httpx.Client(base_url=server.http, timeout=30) as web:
        with web.stream("GET", "/static/i18n/zh-CN.js", headers={"accept-encoding": "gzip"}) as r:
            body = b"".join(r.iter_raw())
        assert gzip.decompress(body) == (CLIENT / "i18n" / "zh-CN.js").read_bytes()


caseroom_url = tb.caseroom_url
browser = tb.browser
pages = tb.pages


@pytest.mark.browser
def test_the_phone_page_first_load_is_under_60_kb_and_a_reload_is_nearly_free(caseroom_url: str,
                                                                              pages: Pages) -> None:
    from playwright.sync_api import expect

    made = _new_session(caseroom_url)
    ctx = pages.browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                    locale="zh-CN")
    pages.contexts.append(ctx)
    page = ctx.new_page()
    page.on("pageerror", lambda exc: pages.errors.append(f"phone: {exc}"))
    cdp = ctx.new_cdp_session(page)
    cdp.send("Network.enable")
    wire: dict[str, int] = {}
    urls: dict[str, str] = {}
    cdp.on("Network.responseReceived", lambda e: urls.__setitem__(e["requestId"], e["response"]["url"]))
    cdp.on("Network.loadingFinished", lambda e: wire.__setitem__(e["requestId"], e["encodedDataLength"]))
    page.goto(made["join_url"], wait_until="networkidle")
    expect(page.get_by_test_id("join-session")).to_be_visible()
    first = sum(wire.values())
    loaded = sorted(urls.values())
    print(f"phone first load: {first} bytes on the wire in {len(wire)} responses")
    assert first < FIRST_LOAD_LIMIT, (first, loaded)
    assert not any("/kinds/vote.js" in u or "/i18n/en.js" in u for u in loaded), loaded

    # Joined: the activities' modules come in the background; a card opened then is drawn.
    _join(page, "轻装")
    page.wait_for_function("() => performance.getEntriesByType('resource')"
                           ".some(e => e.name.endsWith('/kinds/vote.js'))")
    _start_first_vote(caseroom_url, made)
    expect(page.get_by_test_id("options")).to_be_visible()

    wire.clear()
    page.reload(wait_until="networkidle")
    expect(page.get_by_test_id("options")).to_be_visible()
    again = sum(wire.values())
    print(f"phone reload: {again} bytes on the wire in {len(wire)} responses")
    assert again < 8_000, again
    assert pages.errors == []


def _start_first_vote(base: str, made: dict[str, Any]) -> None:
    """The console starts the deck's first vote (over a websocket, on a thread of its own: the
    browser's driver holds this thread's event loop)."""
    import asyncio
    import threading

    from tests.test_reveal_protocol import _cmd

    ws = base.replace("http://", "ws://") + "/ws"

    async def go() -> None:
        console = await host(ws, made["code"], made["host_key"], "console")
        view = await console.view_until(lambda v: bool(v["agenda"]))
        first = next(a["id"] for a in view["agenda"] if a["kind"] == "vote")
        await _cmd(console, "start", activity=first)
        await console.close()

    failed: list[BaseException] = []
    thread = threading.Thread(target=lambda: _catch(failed, lambda: asyncio.run(go())))
    thread.start()
    thread.join(60)
    assert not thread.is_alive() and not failed, failed


def _catch(failed: list[BaseException], fn: Any) -> None:
    try:
        fn()
    except BaseException as exc:  # handed back to the test's thread
        failed.append(exc)
