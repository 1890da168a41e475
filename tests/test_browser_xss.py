"""Hostile text in a real browser: names, posts, plan items, a group name and an award reason made of
markup, script, template syntax, direction overrides, combining-mark "zalgo" and emoji.

Trainees join (one on a phone page, the rest over websockets) with those names and write them as
discussion posts and action plans; the trainer adds a group and an award with them. The projector,
the console, the review (with its replay) and the phone must show every one as literal text: no
dialog, no script error, and no element made from a payload. Screenshots: /tmp/caseroom-shots/xss-*.png.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests import test_browser as tb
from tests.test_browser import ADMIN, Pages, _http, _join, _shot
from tests.wsclient import Client, player

# The server process, the browser and the page helper of test_browser.py, shared as fixtures.
caseroom_url = tb.caseroom_url
browser = tb.browser
pages = tb.pages

pytestmark = pytest.mark.browser

ZALGO = "".join("Z" + "\u0336\u0321\u031b\u0358" for _ in range(40))  # 200 characters
PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
    "{{7*7}} ${7*7}",
    '<a href="javascript:alert(1)">x</a>',
    "</title><script>alert(1)</script>",
    ZALGO,
    "\u202eexe.txt 投诉\u202c",
    "😀🎉👍 满意",
    "<iframe src=javascript:alert(1)>",
    "' onmouseover='alert(1)' x='",
    '=HYPERLINK("http://x")',
]
# Plain ASCII markup that no cleaning changes: it must appear on screen character for character.
LITERAL = [p for p in PAYLOADS if p.isascii()]
GROUP = "<svg onload=alert(1)>"
REASON = "<script>alert(1)</script> 加分"

DECK = """
id: xss
title: 安全测试 <b>课件</b>
version: 1
groups:
  - {id: g1, name: 一组}
activities:
  - id: d
    kind: discuss
    title: 讨论 <i>标题</i>
    prompt: 说说你的看法
    max_posts: 5
    max_length: 300
  - id: p
    kind: plan
    title: 行动计划
    max_items: 5
    max_length: 300
agenda: [d, p]
"""

# Elements and attributes that only a payload could have made.
FORBIDDEN = ("img[src='x'], img[onerror], svg[onload], [onload], [onerror], [onmouseover], iframe, "
             "a[href^='javascript'], a[href*='javascript:'], body script, head script:not([src])")


def _run(fn: Any, *args: Any) -> Any:
    """Run a websocket coroutine in its own thread and loop (Playwright's sync API holds this one)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(fn(*args))).result(timeout=60)


async def _join_all(ws: str, code: str, names: list[str]) -> list[str]:
    tokens = []
    for name in names:
        c = await player(ws, code, name)
        tokens.append((c.welcome or {})["token"])
        await c.close()
    return tokens


async def _answer_all(ws: str, code: str, tokens: list[str], activity: str, answers: list[Any]) -> None:
    for token, answer in zip(tokens, answers, strict=True):
        c = await Client.open(ws)
        await c.send({"type": "resume", "code": code, "token": token})
        welcome = await c.recv()
        assert welcome["type"] == "welcome", welcome
        await c.view_until(lambda v: bool(v["activity"] and v["activity"]["id"] == activity
                                          and v["activity"]["status"] == "open"))
        reply = await c.request({"type": "submit", "activity": activity, "answer": answer})
        assert reply["type"] == "ack", (answer, reply)
        await c.close()


def _clean(page: Any, label: str) -> None:
    """No element made from a payload, and no script but the page's own module."""
    bad = page.evaluate(f"""() => Array.from(document.querySelectorAll({json.dumps(FORBIDDEN)}))
        .map((el) => el.outerHTML.slice(0, 80))""")
    assert bad == [], (label, bad)
    scripts = page.evaluate("() => Array.from(document.scripts).map((s) => [s.type, s.src])")
    assert scripts and all(t == "module" and "/static/" in src for t, src in scripts), (label, scripts)
    assert page.evaluate("() => document.querySelectorAll('svg').length") == \
        page.evaluate("() => document.querySelectorAll('svg.rv-chart-svg, svg.rv-strip').length"), label
    assert page.evaluate("() => typeof window.alert") == "function"


def _text(locator: Any) -> str:
    return str(locator.evaluate("(el) => el.textContent"))


def test_hostile_text_stays_text_everywhere(caseroom_url: str, pages: Pages) -> None:
    from playwright.sync_api import expect

    req = urllib.request.Request(f"{caseroom_url}/api/decks", data=DECK.encode(), method="POST",
                                 headers={"Authorization": f"Bearer {ADMIN}"})
    with urllib.request.urlopen(req, timeout=5) as res:
        assert res.status == 201
    status, made = _http("POST", f"{caseroom_url}/api/sessions", {"deck": "xss", "title": "<b>标题</b>"}, ADMIN)
    assert status == 201, made
    code, key = made["code"], made["host_key"]
    ws = caseroom_url.replace("http://", "ws://") + "/ws"
    host = pages.open("host", made["host_url"], width=1280, height=720)
    console = pages.open("console", made["console_url"], width=1280, height=900)
    expect(host.get_by_test_id("host-code")).to_have_text(code)
    expect(host.get_by_test_id("host-title")).to_have_text("<b>标题</b>")

    # The trainer adds a group with a hostile name before anyone joins: joiners are spread over both.
    console.get_by_test_id("group-add-name").fill(GROUP)
    console.get_by_test_id("group-add").click()
    expect(console.get_by_test_id("group-g2")).to_contain_text(GROUP)

    # -- joining: one phone page, the rest over websockets --------------------------------------------
    phone = pages.open("phone", made["join_url"], width=360, height=740, mobile=True)
    _join(phone, PAYLOADS[0])
    tokens = _run(_join_all, ws, code, PAYLOADS[1:])
    expect(host.get_by_test_id("host-joined")).to_have_text(str(len(PAYLOADS)))
    expect(console.get_by_test_id("player-row")).to_have_count(len(PAYLOADS))
    _, record = _http("GET", f"{caseroom_url}/api/sessions/{code}/export?format=json", token=key)
    names = [p["name"] for p in record["participants"]]
    assert len(names) == len(PAYLOADS) and "<img src=x onerror=alert" in names
    expect(phone.get_by_test_id("me-name")).to_have_text(PAYLOADS[0][:24])
    chips = [str(t) for t in host.get_by_test_id("lobby-name").all_text_contents()]
    assert chips and all(chip in names for chip in chips), chips
    assert "<img src=x onerror=alert" in chips or "<script>alert(1)</script" in chips, chips
    console_text = _text(console.get_by_test_id("players"))
    for name in names:
        assert name in console_text, name
    _shot(host, "xss-host-lobby")
    _shot(console, "xss-console-players", full=True)
    _clean(host, "host lobby")
    _clean(console, "console players")

    # -- the discussion: every payload as a post ----------------------------------------------------------
    console.get_by_test_id("start-d").click()
    phone.get_by_test_id("discuss-input").fill(PAYLOADS[0])
    phone.get_by_test_id("discuss-submit").click()
    expect(phone.get_by_test_id("posts").locator("li")).to_have_count(1)
    _run(_answer_all, ws, code, tokens, "d", [{"post": p} for p in PAYLOADS[1:]])
    expect(console.locator("[data-testid^='mod-post-']")).to_have_count(len(PAYLOADS))
    console.locator("[data-testid^='post-highlight-']").first.click()
    expect(console.locator(".mod-post.is-highlighted")).to_have_count(1)
    mod_text = _text(console.get_by_test_id("moderation"))
    for text in LITERAL:
        assert text in mod_text, text
    console.get_by_test_id("cmd-reveal").click()
    expect(host.get_by_test_id("host-activity")).to_have_attribute("data-status", "revealed")
    expect(host.locator("[data-testid^='host-post-']")).to_have_count(len(PAYLOADS))
    _, review = _http("GET", f"{caseroom_url}/api/sessions/{code}/review", token=key)
    posts = [p["text"] for p in review["review"][0]["posts"]]
    host_posts = _text(host.get_by_test_id("host-posts"))
    for text in LITERAL:
        assert text in host_posts, text
    for text in posts:
        assert text in host_posts, text
    assert "49" not in host_posts  # {{7*7}} was not evaluated by anything
    expect(phone.get_by_test_id("posts")).to_contain_text(PAYLOADS[1])
    _shot(host, "xss-host-discuss")
    _shot(console, "xss-console-discuss", full=True)
    _shot(phone, "xss-phone-discuss", full=True)
    for page, label in ((host, "host discuss"), (console, "console discuss"), (phone, "phone discuss")):
        _clean(page, label)

    # -- action plans with the payloads, and an award with one as its reason -------------------------------
    console.get_by_test_id("start-p").click()
    phone.get_by_test_id("plan-what").fill(PAYLOADS[5])
    phone.get_by_test_id("plan-by").fill(PAYLOADS[0][:30])
    phone.get_by_test_id("plan-save").click()
    expect(phone.get_by_test_id("plan-status")).to_have_attribute("data-state", "ok")
    plans = [{"items": [{"what": p, "by": p[:30]}]} for p in PAYLOADS[1:]]
    _run(_answer_all, ws, code, tokens, "p", plans)
    expect(host.get_by_test_id("host-plan-items")).to_have_text(str(len(PAYLOADS)))
    expect(host.get_by_test_id("host-note")).to_have_count(8)
    console.get_by_test_id("award-target").select_option("p2")
    console.get_by_test_id("award-points").fill("7")
    console.get_by_test_id("award-reason").fill(REASON)
    console.get_by_test_id("award-submit").click()
    expect(console.get_by_test_id("awards")).to_contain_text(REASON)
    _shot(host, "xss-host-plan")
    _shot(console, "xss-console-plan", full=True)
    for page, label in ((host, "host plan"), (console, "console plan")):
        _clean(page, label)

    console.get_by_test_id("cmd-end").click()
    console.get_by_test_id("cmd-end").click()  # (the second press ends it)
    expect(host.get_by_test_id("host-final")).to_be_visible()
    expect(phone.get_by_test_id("my-record")).to_have_attribute("data-state", "ok")
    expect(phone.get_by_test_id("record-plan")).to_contain_text(PAYLOADS[5])
    expect(phone.get_by_test_id("record-name")).to_have_text(PAYLOADS[0][:24])
    assert PAYLOADS[1] not in _text(phone.get_by_test_id("my-record"))  # another trainee's post and plan
    _shot(host, "xss-host-final")
    _shot(phone, "xss-phone-record", full=True)
    _clean(host, "host final")
    _clean(phone, "phone record")

    # -- the review and its replay ----------------------------------------------------------------------
    _, review = _http("GET", f"{caseroom_url}/api/sessions/{code}/review", token=key)
    rv = pages.open("review", f"{made['host_url']}&review", width=1280, height=720)
    expect(rv.get_by_test_id("review-title")).to_have_text("<b>标题</b>")
    expect(rv.get_by_test_id("review-card-d")).to_be_visible()
    shown = _text(rv.get_by_test_id("review-posts"))
    top = [p["text"] for p in review["review"][0]["posts"]]  # the review keeps the top ten posts
    assert len(top) == 10 and sum(text in LITERAL for text in top) >= 5, top
    for text in top:
        assert text in shown, text
    _shot(rv, "xss-review-discuss")
    _clean(rv, "review discuss")
    rv.get_by_test_id("review-tab-plans").click()
    notes = _text(rv.get_by_test_id("review-plans"))
    assert review["highlights"] and all(n["what"] in notes for n in review["highlights"])
    _shot(rv, "xss-review-plans")
    _clean(rv, "review plans")
    rv.get_by_test_id("review-tab-scores").click()
    chart = _text(rv.get_by_test_id("review-chart"))
    assert GROUP in chart  # a group's name as SVG text, not as an <svg>
    final = _text(rv.get_by_test_id("review-final"))
    for name in [p["name"] for p in review["leaderboard"][:8]]:
        assert name in final, name
    _shot(rv, "xss-review-scores")
    _clean(rv, "review scores")

    rv.get_by_test_id("review-tab-replay").click()
    events = review["timeline"]["events"]
    for wanted in ("<img src=x onerror=alert", "<script>alert(1)</script"):
        i = next(n for n, e in enumerate(events) if e["type"] == "player_joined" and e["who"] == wanted)
        rv.get_by_test_id("replay-slider").fill(str(i))
        expect(rv.get_by_test_id("replay-screen")).to_have_attribute("data-seq", str(events[i]["seq"]))
        expect(rv.get_by_test_id("replay-event")).to_contain_text(wanted)
        assert wanted in _text(rv.get_by_test_id("replay-screen"))
        _clean(rv, f"replay join {wanted}")
    award = next(n for n, e in enumerate(events) if e["type"] == "points_awarded")
    rv.get_by_test_id("replay-slider").fill(str(award))
    expect(rv.get_by_test_id("replay-event")).to_contain_text(REASON)
    _shot(rv, "xss-review-replay")
    _clean(rv, "replay award")

    assert not pages.dialogs, pages.dialogs
    assert not pages.errors, pages.errors
