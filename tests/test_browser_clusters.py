"""The clustered board in a real browser: the trainer groups a seeded discussion by theme from the
console, and the 1920×1080 projector shows themes (label, count, posts) instead of a wall of cards.
Screenshots go to /work/shots/issue-19/ (and /tmp/caseroom-shots/)."""

from __future__ import annotations

import asyncio
import shutil
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests import test_browser as tb
from tests.test_browser import ADMIN, SHOTS, Pages, _http, _shot
from tests.test_discuss_clusters import BOARD_DECK, LABELLED
from tests.wsclient import player

caseroom_url = tb.caseroom_url
browser = tb.browser
pages = tb.pages

pytestmark = pytest.mark.browser
OUT = Path("/work/shots/issue-19")


def _board_session(base: str) -> dict[str, Any]:
    req = urllib.request.Request(f"{base}/api/decks", data=BOARD_DECK, method="POST",
                                 headers={"Authorization": f"Bearer {ADMIN}"})
    try:
        with urllib.request.urlopen(req, timeout=5) as res:
            assert res.status == 201
    except urllib.error.HTTPError as exc:  # already uploaded by another test of this module
        assert exc.code == 409, exc
    status, made = _http("POST", f"{base}/api/sessions", {"deck": "board"}, ADMIN)
    assert status == 201, made
    return made


def _post_all(base: str, code: str, players: int = 20) -> None:
    """``players`` phones (websocket clients) post 3 labelled posts each."""
    texts = [p["text"] for p in LABELLED["posts"]]
    ws = base.replace("http://", "ws://") + "/ws"

    async def run() -> None:
        phones = [await player(ws, code, f"学员{i}") for i in range(players)]

        async def post(n: int) -> None:
            for k in range(3):
                reply = await phones[n].request({"type": "submit", "activity": "d-board",
                                                 "answer": {"post": texts[(n * 3 + k) * 7 % len(texts)]}})
                assert reply["type"] == "ack", reply

        await asyncio.gather(*(post(n) for n in range(players)))
        for p in phones:
            await p.close()

    with ThreadPoolExecutor(1) as pool:  # playwright's sync API holds this thread's event loop
        pool.submit(asyncio.run, run()).result(timeout=120)


def _save(page: Any, name: str) -> None:
    _shot(page, name)
    OUT.mkdir(parents=True, exist_ok=True)
    shutil.copy(SHOTS / f"{name}.png", OUT / f"{name}.png")


def test_the_projector_shows_the_board_by_theme(caseroom_url: str, pages: Pages) -> None:
    from playwright.sync_api import expect

    made = _board_session(caseroom_url)
    host = pages.open("host", made["host_url"], width=1920, height=1080)
    console = pages.open("console", made["console_url"], width=1280, height=900)
    expect(host.get_by_test_id("host-code")).to_have_text(made["code"])
    console.get_by_test_id("start-d-board").click()
    expect(host.get_by_test_id("host-activity")).to_have_attribute("data-kind", "discuss")
    _post_all(caseroom_url, made["code"])
    expect(host.locator(".h-post")).to_have_count(60)  # the wall: the newest 60 of 60 posts
    _save(host, "board-wall-1920")

    console.get_by_test_id("post-cluster").click()
    clusters = host.locator(".h-cluster")
    expect(clusters.first).to_be_visible()
    expect(host.locator(".h-post")).to_have_count(0)
    n = clusters.count()
    assert 5 <= n <= 30, n
    labels = host.locator(".h-cluster-label").all_inner_texts()
    assert any("信号" in lab for lab in labels), labels
    counts = [int("".join(ch for ch in c if ch.isdigit())) for c in host.locator(".h-cluster-count").all_inner_texts()]
    assert sum(counts) == 60, counts  # every post in exactly one theme
    # The themes fit the projector: nothing scrolls sideways, the first theme is on screen.
    assert host.evaluate("document.documentElement.scrollWidth") <= 1920
    box = clusters.first.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 1080 and box["width"] >= 300, box
    _save(host, "board-clustered-1920")

    # The console lists the same themes; merging two shows on the projector at once.
    expect(console.locator(".mod-cluster")).to_have_count(n)
    first, second = (el.get_attribute("data-testid").removeprefix("mod-cluster-")
                     for el in console.locator(".mod-cluster").all()[:2])
    console.get_by_test_id(f"cluster-merge-{second}").select_option(first)
    expect(clusters).to_have_count(n - 1)
    # A highlight inside a theme leads that theme, starred.
    post = console.locator(f"[data-testid=mod-cluster-{first}] .mod-post").last.get_attribute("data-testid")
    pid = post.removeprefix("mod-post-")
    console.get_by_test_id(f"post-highlight-{pid}").click()
    lead = host.locator(f"[data-testid=host-cluster-{first}] .h-cluster-post").first
    expect(lead).to_have_attribute("data-testid", f"host-post-{pid}")
    expect(lead.locator(".h-cluster-star")).to_be_visible()
    _save(console, "board-clustered-console")
    _save(host, "board-clustered-merged-1920")
    assert not pages.errors, pages.errors


PLANS = ["先安抚客户情绪再解释", "解释账单时逐项说明费用", "安抚情绪，先道歉", "账单费用逐项解释给客户听",
         "投诉记录当天归档", "每周复盘投诉记录", "学会安抚客户情绪", "主动告知流量提醒设置",
         "帮客户设置流量提醒", "复盘投诉记录找原因", "逐项解释账单费用", "耐心倾听，安抚情绪"]


def test_the_plan_review_shows_the_highlights_by_theme(caseroom_url: str, pages: Pages) -> None:
    from playwright.sync_api import expect

    made = _board_session(caseroom_url)
    host = pages.open("host", made["host_url"], width=1920, height=1080)
    console = pages.open("console", made["console_url"], width=1280, height=900)
    expect(host.get_by_test_id("host-code")).to_have_text(made["code"])
    console.get_by_test_id("start-plan").click()
    expect(host.get_by_test_id("host-activity")).to_have_attribute("data-kind", "plan")
    ws = caseroom_url.replace("http://", "ws://") + "/ws"

    async def write() -> None:
        for n in range(0, len(PLANS), 2):
            phone = await player(ws, made["code"], f"学员{n}")
            items = [{"what": w} for w in PLANS[n:n + 2]]
            reply = await phone.request({"type": "submit", "activity": "plan", "answer": {"items": items}})
            assert reply["type"] == "ack", reply
            await phone.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, write()).result(timeout=120)
    expect(host.get_by_test_id("host-plan-items")).to_have_text(str(len(PLANS)))
    console.get_by_test_id("plan-cluster").click()
    groups = host.get_by_test_id("host-note-group")
    expect(groups.first).to_be_visible()
    labels = host.locator(".h-note-group-label").all_inner_texts()
    assert any("情绪" in lab or "安抚" in lab for lab in labels), labels
    assert any("账单" in lab or "逐项" in lab for lab in labels), labels
    assert host.locator(".h-note").count() == 0  # the ungrouped notes gave way to the themes
    _save(host, "plan-highlights-by-theme-1920")
    assert not pages.errors, pages.errors
