"""The reveal moment in a real browser: hidden results, closing when everyone has answered,
the lock as the room and a refused phone see it.

Screenshots go to /tmp/caseroom-shots/reveal-*.png (not part of the repository).
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from tests import test_browser as tb
from tests.test_browser import ADMIN, Pages, _http, _new_session, _shot

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


# -- the projector's type scale and fit -------------------------------------------------------------

SHOTS_14 = Path("/work/shots/issue-14")

# Every visible text on the projector: inside the viewport, not clipped by a box that hides its
# overflow, not cut with an ellipsis, and at least 24 px at 1080p (the same share of the height
# at any size). Returns the offenders.
CHECK_JS = """() => {
  const floor = 24 * innerHeight / 1080 - 0.5;
  const bad = [];
  const doc = document.scrollingElement;
  if (doc.scrollHeight > innerHeight + 1 || doc.scrollWidth > innerWidth + 1)
    bad.push(`page scrolls: ${doc.scrollWidth}x${doc.scrollHeight}`);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.textContent.trim()) continue;
    const el = n.parentElement;
    if (!el || seen.has(el) || el.closest('.visually-hidden, script, style, [hidden]')) continue;
    seen.add(el);
    const cs = getComputedStyle(el);
    if (cs.visibility !== 'visible' || el.getClientRects().length === 0) continue;
    const range = document.createRange();
    range.selectNodeContents(n);
    const r = range.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const label = `${el.className || el.tagName} "${n.textContent.trim().slice(0, 24)}"`;
    if (parseFloat(cs.fontSize) < floor) bad.push(`small ${cs.fontSize} < ${floor.toFixed(1)}: ${label}`);
    if (r.left < -1 || r.top < -1 || r.right > innerWidth + 1 || r.bottom > innerHeight + 1)
      bad.push(`off screen ${Math.round(r.top)}..${Math.round(r.bottom)}: ${label}`);
    for (let p = el; p && p !== document.body; p = p.parentElement) {
      const ps = getComputedStyle(p);
      if (ps.overflow === 'visible' && ps.overflowX === 'visible' && ps.overflowY === 'visible') continue;
      const pr = p.getBoundingClientRect();
      if (r.top < pr.top - 1 || r.bottom > pr.bottom + 1 || r.left < pr.left - 1 || r.right > pr.right + 1) {
        bad.push(`clipped by ${p.className || p.tagName}: ${label}`);
        break;
      }
      if (p.scrollWidth > p.clientWidth + 1 && ps.textOverflow === 'ellipsis') {
        bad.push(`ellipsis in ${p.className || p.tagName}: ${label}`);
        break;
      }
    }
  }
  return bad;
}"""


class Driver:
    """A session driven through the public protocol (console and phones as plain sockets)."""

    def __init__(self, base: str, deck: str, players: int) -> None:
        from websockets.sync.client import connect

        status, made = _http("POST", f"{base}/api/sessions", {"deck": deck}, ADMIN)
        assert status == 201, made
        self.made = made
        self.url = base.replace("http", "ws") + "/ws"
        self._connect = connect
        self.n = 0
        self.console = self._open({"type": "host", "code": made["code"], "key": made["host_key"], "view": "console"})
        self.phones = [self._open({"type": "join", "code": made["code"], "name": f"学员{i:02d}"})
                       for i in range(players)]

    def _open(self, hello: dict[str, Any]) -> Any:
        ws = self._connect(self.url, max_size=None).__enter__()  # closed in close()
        ws.view, ws.welcome = None, None
        self.request(ws, hello)
        return ws

    def request(self, ws: Any, msg: dict[str, Any]) -> dict[str, Any]:
        self.n += 1
        mid = f"d{self.n}"
        ws.send(json.dumps({**msg, "id": mid}))
        while True:
            got = json.loads(ws.recv(timeout=10))
            if got["type"] == "state":
                ws.view = got["view"]
            elif got["type"] == "welcome":
                ws.welcome = got
            if got.get("id") == mid:
                return got  # type: ignore[no-any-return]

    def cmd(self, name: str, **args: Any) -> dict[str, Any]:
        reply = self.request(self.console, {"type": "command", "name": name, "args": args})
        assert reply["type"] == "ack", (name, args, reply)
        return self.view()

    def view(self) -> dict[str, Any]:
        time.sleep(0.3)
        self.request(self.console, {"type": "ping", "t": 0})
        try:
            while True:
                got = json.loads(self.console.recv(timeout=0.2))
                if got["type"] == "state":
                    self.console.view = got["view"]
        except TimeoutError:
            pass
        return self.console.view  # type: ignore[no-any-return]

    def submit(self, i: int, activity: str, answer: dict[str, Any]) -> dict[str, Any]:
        return self.request(self.phones[i], {"type": "submit", "activity": activity, "answer": answer})

    def answer_all(self, a: dict[str, Any], how_many: int) -> None:
        """A plausible answer of each kind from the first phones (refusals are fine: roles, groups)."""
        for i in range(how_many):
            kind, aid = a["kind"], a["id"]
            if kind == "vote":
                self.submit(i, aid, {"choice": a["options"][i % len(a["options"])]["id"]})
            elif kind == "order":
                ids = [s["id"] for s in a["answer_key"]["correct"]] if isinstance(a["answer_key"]["correct"][0], dict) \
                    else list(a["answer_key"]["correct"])
                self.submit(i, aid, {"order": ids if i % 2 else ids[::-1]})
            elif kind == "estimate":
                self.submit(i, aid, {"value": a["min"] + (a["max"] - a["min"]) * (i + 1) / (how_many + 2)})
            elif kind == "discuss":
                post = f"第{i + 1}条发言：先安抚情绪，再核对详单，最后约定回访，避免客户升级投诉。"
                self.submit(i, aid, {"post": post})
            elif kind == "plan":
                what = f"回到营业厅后，每周复盘一次投诉案例（第{i + 1}条）"
                self.submit(i, aid, {"items": [{"what": what, "by": "一个月内"}]})

    def close(self) -> None:
        for ws in (self.console, *self.phones):
            ws.close()


# A column that pages takes no page more than it needs: no page but the last could also hold the
# first block of the page after it (by the pager's own measure, ``fill`` of the column's height).
PAGES_JS = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('.h-fit')) {
    const p = el._pager;
    if (!p || p.count < 2) continue;
    const show = (i, extra) => {
      p.pages.forEach((items, j) => items.forEach((x) => x.classList.toggle('is-off-page', j !== i && x !== extra)));
      for (const w of p.wrappers || []) {
        w.classList.toggle('is-off-page', !p.pages[i].some((x) => w.contains(x)) && !(extra && w.contains(extra)));
      }
    };
    for (let i = 0; i + 1 < p.count; i += 1) {
      const next = p.pages[i + 1][0];
      show(i, next);
      const top = el.getBoundingClientRect().top;
      const fits = el.scrollHeight <= el.clientHeight + 1
        && next.getBoundingClientRect().bottom - top <= el.clientHeight * p.fill;
      if (fits)
        bad.push(`${el.className}: page ${i + 1} of ${p.count} also holds the next page's first block`);
    }
    show(p.page, null);
  }
  return bad;
}"""

# A block split along its children shows only on the pages that hold some of them: no empty frame.
EMPTY_JS = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('.h-fit')) {
    const p = el._pager;
    if (!p || p.count < 2) continue;
    for (const w of el.querySelectorAll('*')) {
      if (!w.children.length || w.closest('.is-off-page') || !w.getClientRects().length) continue;
      if ([...w.children].every((c) => c.classList.contains('is-off-page')))
        bad.push(`${el.className}: an empty ${w.className || w.tagName} on page ${p.page + 1} of ${p.count}`);
    }
  }
  return bad;
}"""


def _check_screens(hosts: dict[int, Any], name: str, settle: int = 1800) -> list[str]:
    problems = []
    for height, page in hosts.items():
        page.wait_for_timeout(settle)  # the reveal's animations have landed
        pages = page.locator("[data-testid=host-pager]")
        turns = max([int(pages.nth(i).get_attribute("data-pages") or 1) for i in range(pages.count())] or [1])
        problems += [f"{name} @{height}: {p}" for p in page.evaluate(PAGES_JS)]
        for turn in range(turns):
            problems += [f"{name} @{height} p{turn + 1}: {p}" for p in page.evaluate(CHECK_JS)]
            problems += [f"{name} @{height} p{turn + 1}: {p}" for p in page.evaluate(EMPTY_JS)]
            page.screenshot(path=str(SHOTS_14 / f"after_{name}_p{turn + 1}__host{height}.png"))
            if turn + 1 < turns:
                page.keyboard.press("ArrowRight")
                page.wait_for_timeout(300)
    return problems


def test_every_kind_in_every_status_fits_the_projector_at_1080p_and_720p(caseroom_url: str, pages: Pages) -> None:
    """No text clipped or scrolled off, none under the floor, at 1920x1080 and 1280x720 (defects 1-3)."""
    from playwright.sync_api import expect

    SHOTS_14.mkdir(parents=True, exist_ok=True)
    d = Driver(caseroom_url, "complaint-handling", 12)
    hosts = {1080: pages.open("host1080", d.made["host_url"], width=1920, height=1080),
             720: pages.open("host720", d.made["host_url"], width=1280, height=720)}
    for page in hosts.values():
        expect(page.get_by_test_id("host-code")).to_have_text(d.made["code"])
    problems = _check_screens(hosts, "lobby")
    d.cmd("auto_close", on=False)
    agenda = d.view()["agenda"]
    firsts: dict[str, str] = {}
    for item in agenda:  # the first activity of each kind, and of each group mode
        firsts.setdefault(f"{item['kind']}:{item['mode']}", item["id"])
    for label, aid in firsts.items():
        v = d.cmd("start", activity=aid)
        a = v["activity"]
        tag = label.replace(":", "-")
        if a["kind"] == "roleplay":
            problems += _check_screens(hosts, f"{tag}-prep")
            v = d.cmd("advance")
            a = v["activity"]
            criteria = [c["id"] for c in (a.get("rubric") or {}).get("criteria", [])]
            for gi, cast in enumerate(a.get("casts") or []):
                d.cmd("act", action="score", group=cast["group"],
                      scores={c: 3 + (gi + j) % 3 for j, c in enumerate(criteria)})
            problems += _check_screens(hosts, f"{tag}-play")
        else:
            d.answer_all(a, 6)
            problems += _check_screens(hosts, f"{tag}-open")
            d.cmd("close")
            problems += _check_screens(hosts, f"{tag}-closed")
            if a["kind"] == "deal":  # closed before the reveal: a group that never answered is not "answering"
                for height, page in hosts.items():
                    states = page.eval_on_selector_all("[data-testid^='host-deal-']",
                                                       "els => els.map(e => e.dataset.state)")
                    if not states or "open" in states:
                        problems.append(f"{tag}-closed @{height}: deal cards {states}")
        d.cmd("reveal")
        problems += _check_screens(hosts, f"{tag}-revealed")
    d.cmd("break", minutes=10, message="茶歇十分钟，回来继续角色扮演")
    problems += _check_screens(hosts, "break")
    d.cmd("break_end")
    d.cmd("end")
    problems += _check_screens(hosts, "ended", settle=4000)  # the podium builds up 3 -> 2 -> 1
    d.close()
    assert not pages.errors, pages.errors
    assert not problems, "\n".join(problems[:60])


def test_hidden_results_then_the_card_closes_when_everyone_has_answered(caseroom_url: str, pages: Pages) -> None:
    """The projector hides counts while people vote, closes by itself after the last phone, and the
    estimate slider starts on no value (defects 4 and 17, the Kahoot/Menti expectations 1 and 4)."""
    from playwright.sync_api import expect

    made = _new_session(caseroom_url)
    host = pages.open("host", made["host_url"], width=1920, height=1080)
    console = pages.open("console", made["console_url"], width=1280, height=900)
    expect(host.get_by_test_id("host-code")).to_have_text(made["code"])
    phones = []
    for i, name in enumerate(["李明", "韩梅梅"]):
        phone = pages.open(f"phone-{i}", made["join_url"], width=390, height=844, mobile=True)
        tb._join(phone, name)
        phones.append(phone)
    console.get_by_test_id("start-m2-data-overage-billing").click()
    # The note is in the card's header line, so it is on every page of a card that pages.
    expect(host.get_by_test_id("host-results-hidden")).to_be_visible()
    expect(host.get_by_test_id("host-results-hidden")).to_have_text(re.compile(r"\S"))
    options = phones[0].locator("[data-testid^='option-']")
    first = options.first.get_attribute("data-option")
    phones[0].get_by_test_id(f"option-{first}").click()
    expect(host.get_by_test_id("host-answered-n")).to_have_text("1")
    expect(host.get_by_test_id(f"host-count-{first}")).to_be_hidden()  # no counts while people vote
    _shot(host, "reveal-vote-hidden-host-1080")
    phones[1].get_by_test_id(f"option-{first}").click()
    # Everyone has answered: 全部作答, then the card closes by itself and the counts appear.
    expect(host.get_by_test_id("host-activity")).to_have_attribute("data-status", "closed", timeout=4000)
    expect(host.get_by_test_id(f"host-count-{first}")).to_have_text("2")
    _shot(host, "reveal-vote-closed-host-1080")
    console.get_by_test_id("start-m3-deposit-double-return").click()
    expect(phones[0].get_by_test_id("estimate-range")).to_have_attribute("data-touched", "false")
    expect(phones[0].get_by_test_id("estimate-input")).to_have_value("")
    _shot(phones[0], "reveal-estimate-untouched-phone-390")
    assert not pages.errors, pages.errors


def test_console_on_a_phone_keeps_its_controls_and_can_go_presenter_safe(caseroom_url: str, pages: Pages) -> None:
    from playwright.sync_api import expect

    made = _new_session(caseroom_url)
    host = pages.open("host", made["host_url"], width=1280, height=720)
    console = pages.open("console", made["console_url"], width=390, height=844, mobile=True)
    expect(host.get_by_test_id("host-code")).to_have_text(made["code"])
    console.get_by_test_id("start-m2-data-overage-billing").click()
    expect(console.get_by_test_id("key-options")).to_be_visible()
    console.get_by_test_id("toggle-presenter-safe").check()
    expect(console.get_by_test_id("key-options")).to_be_hidden()  # the answer key stays off a mirror
    expect(console.get_by_test_id("presenter-safe-note")).to_be_visible()
    console.get_by_test_id("toggle-results").check()
    expect(host.get_by_test_id("host-results-live")).to_be_visible()
    console.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    console.wait_for_timeout(300)
    for testid in ("cmd-next", "cmd-reveal", "console-timer"):
        box = console.get_by_test_id(testid).bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 844, (testid, box)
    console.screenshot(path=str(SHOTS_14 / "after_console_scrolled_safe__phone390.png"))
    console.reload()
    expect(console.get_by_test_id("toggle-presenter-safe")).to_be_checked()  # remembered on this device
    assert not pages.errors, pages.errors
