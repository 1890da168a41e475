"""The phone's websocket link (client/lib/socket.js) in a real browser against the real server.

After a reconnect the link must resend what was not acknowledged, in the order it was made,
before anything newer goes out: a later answer replaces an earlier one on the server, so an
older answer resent after a newer one would win. Here the page's own welcome callback sends
a newer answer at the worst moment (straight after the second welcome); the record must
count that newer answer.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests import test_browser as tb
from tests.test_browser import ADMIN, Pages, _http
from tests.test_browser_xss import _run
from tests.wsclient import host

caseroom_url = tb.caseroom_url
browser = tb.browser
pages = tb.pages

pytestmark = pytest.mark.browser

VOTE = "m1-5g-package-no-signal"

LINK_SCRIPT = """async ({code, activity}) => {
  const { Link } = await import('/static/lib/socket.js');
  const log = [];
  let welcomes = 0;
  let token = null;
  const link = new Link({
    hello: () => (token ? { type: 'resume', code, token } : { type: 'join', code, name: '顺序' }),
    onWelcome: (m) => {
      welcomes += 1;
      token = m.token;
      log.push('welcome ' + welcomes);
      // Straight after the reconnect: a newer answer, made after the one still queued.
      if (welcomes === 2) link.send({ type: 'submit', activity, answer: { choice: 'c' } })
        .then(() => log.push('ack c'));
    },
    onState: () => {},
    onHelloError: (e) => log.push('hello error ' + e.code),
  });
  window.__link = { link, log, welcomes: () => welcomes };
  link.start();
  const until = async (pred) => {
    for (let i = 0; i < 200 && !pred(); i++) await new Promise((r) => setTimeout(r, 25));
    if (!pred()) throw new Error('timed out: ' + log.join(', '));
  };
  await until(() => welcomes === 1);
  // Drop the connection, then answer while it is down: the answer waits in the queue.
  link.ws.close();
  const first = link.send({ type: 'submit', activity, answer: { choice: 'a' } })
    .then(() => log.push('ack a'));
  await until(() => welcomes === 2);
  await first;
  await until(() => log.includes('ack c'));
  return log;
}"""


def test_resends_go_out_before_anything_newer(caseroom_url: str, pages: Pages) -> None:
    status, made = _http("POST", f"{caseroom_url}/api/sessions", {"deck": "complaint-handling"}, ADMIN)
    assert status == 201, made
    code, key = made["code"], made["host_key"]
    ws_url = caseroom_url.replace("http://", "ws://") + "/ws"

    async def start_vote() -> None:
        console = await host(ws_url, code, key, "console")
        reply = await console.request({"type": "command", "name": "start", "args": {"activity": VOTE}})
        assert reply["type"] == "ack", reply
        await console.close()

    _run(start_vote)
    page = pages.open("phone", f"{caseroom_url}/j/{code}", width=390, height=844, mobile=True)
    log: list[str] = page.evaluate(LINK_SCRIPT, {"code": code, "activity": VOTE})
    assert log[0] == "welcome 1" and "welcome 2" in log, log

    status, record = _http("GET", f"{caseroom_url}/api/sessions/{code}/export?format=json", token=key)
    assert status == 200, record
    mine: list[dict[str, Any]] = [s for s in record["submissions"] if s["activity"] == VOTE]
    assert [s["answer"]["choice"] for s in mine] == ["a", "c"], mine  # stored in the order made
    assert [s["answer"]["choice"] for s in mine if s["counted"]] == ["c"]
    assert not pages.errors, pages.errors
