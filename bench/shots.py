"""Screenshots for an issue's closing note: the same class played on any checkout, before and after.

    python -m bench.shots --out /work/shots/issue-14                 # this checkout
    git archive 46edc4f | tar -x -C /tmp/before
    python -m bench.shots --repo /tmp/before --out /work/shots/issue-14/before

One server (``python -m server.cli serve`` run in ``--repo``, so an older checkout serves its own
client and rules), the console and three trainees as protocol sockets, one trainee's phone and
the projector in Chromium. Files are named ``<page>-<kind>-<status>-<size>.png``. The walk uses
only what every version since the protocol froze understands (start, close, reveal, advance, act,
award, end, group_add); a step a version cannot show is skipped with a note, never faked.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

from bench.serverproc import free_port

ADMIN = "shots-admin-" + os.urandom(6).hex()
CHROMIUM = "/usr/bin/chromium"
PROJECTORS = ((1920, 1080), (1280, 720))


class Room:
    """The console and the trainees as sockets; ``cmd`` waits for the command's ack."""

    def __init__(self, base: str, made: dict[str, Any], names: list[str]) -> None:
        self.url = base.replace("http", "ws") + "/ws"
        self.n = 0
        self.view: dict[str, Any] = {}
        self.console = self._open({"type": "host", "code": made["code"], "key": made["host_key"], "view": "console"})
        self.phones = [self._open({"type": "join", "code": made["code"], "name": n}) for n in names]

    def _open(self, hello: dict[str, Any]) -> ClientConnection:
        ws = connect(self.url, max_size=None).__enter__()  # closed in close()
        self.request(ws, hello)
        return ws

    def request(self, ws: ClientConnection, msg: dict[str, Any]) -> dict[str, Any]:
        self.n += 1
        mid = f"s{self.n}"
        ws.send(json.dumps({**msg, "id": mid}))
        while True:
            got = json.loads(ws.recv(timeout=10))
            if got["type"] == "state" and ws is self.console:
                self.view = got["view"]
            if got.get("id") == mid:
                return got  # type: ignore[no-any-return]

    def cmd(self, command: str, /, **args: Any) -> dict[str, Any]:
        reply = self.request(self.console, {"type": "command", "name": command, "args": args})
        if reply["type"] != "ack":
            print(f"  (refused: {command} {args}: {reply.get('code')})")
        time.sleep(0.4)
        self.request(self.console, {"type": "ping", "t": 0})
        return self.view

    def close(self) -> None:
        for ws in (self.console, *self.phones):
            ws.close()


def serve(repo: Path, data: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "CASEROOM_ADMIN_TOKEN": ADMIN, "PYTHONUNBUFFERED": "1"}
    env.pop("CASEROOM_DATABASE_URL", None)
    log = (data.parent / "server.log").open("ab")
    proc = subprocess.Popen([sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--data", str(data), "--public-url", f"http://127.0.0.1:{port}", "--quiet"],
                            cwd=repo, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"the server in {repo} did not start; see {data.parent / 'server.log'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repo", type=Path, default=Path(__file__).resolve().parent.parent)
    ap.add_argument("--out", type=Path, required=True)
    opts = ap.parse_args()
    opts.out.mkdir(parents=True, exist_ok=True)
    data = Path(tempfile.mkdtemp(prefix="caseroom-shots-")) / "data"
    data.parent.mkdir(parents=True, exist_ok=True)
    proc, base = serve(opts.repo.resolve(), data)
    try:
        walk(base, opts.out)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def walk(base: str, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    made = httpx.post(f"{base}/api/sessions", json={"deck": "complaint-handling"},
                      headers={"Authorization": f"Bearer {ADMIN}"}, timeout=10).json()
    room = Room(base, made, ["李明", "韩梅梅", "欧阳慕容上官司马诸葛东方"])
    taken: list[str] = []

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])

        def page(url: str, w: int, h: int, mobile: bool = False) -> Any:
            ctx = browser.new_context(viewport={"width": w, "height": h}, device_scale_factor=1,
                                      is_mobile=mobile, has_touch=mobile, locale="zh-CN")
            pg = ctx.new_page()
            pg.goto(url)
            return pg

        def shot(pg: Any, name: str, settle: int = 1500) -> None:
            pg.wait_for_timeout(settle)
            size = pg.viewport_size
            path = out / f"{name}-{size['width']}x{size['height']}.png"
            pg.screenshot(path=str(path))
            taken.append(path.name)

        room.cmd("group_add", name="第五组")
        players = room.view.get("players", [])
        room.cmd("award", target=players[0]["id"], points=60, reason="主动安抚客户情绪")
        hosts = [page(made["host_url"], w, h) for w, h in PROJECTORS]
        phone = page(made["join_url"], 390, 844, mobile=True)
        phone.get_by_test_id("join-name").fill("Alexandra Montgomery-Ray")
        phone.get_by_test_id("join-submit").click()
        phone.get_by_test_id("lobby").wait_for()

        # The console's groups: an empty group, and a trainee being moved.
        console = page(made["console_url"], 1280, 720)
        mover = console.get_by_test_id(f"move-{players[0]['id']}")
        mover.wait_for(timeout=10_000)
        if mover.count():
            mover.select_option("g2" if players[0]["group"] != "g2" else "g3")
            console.wait_for_timeout(1200)
        console.evaluate("""() => {  // the groups panel just under the sticky controls
          const el = document.querySelector('[data-testid=console-groups]');
          const bar = document.querySelector('.controls');
          window.scrollBy(0, el.getBoundingClientRect().top - (bar ? bar.getBoundingClientRect().bottom : 0) - 8);
        }""")
        shot(console, "console-groups-lobby", 800)
        console.evaluate("""() => {  // the move (its preview, where there is one) under the controls
          const el = document.querySelector('[data-testid=move-preview]')
            || document.querySelector('[data-testid=console-players]');
          const bar = document.querySelector('.controls');
          window.scrollBy(0, el.getBoundingClientRect().top - (bar ? bar.getBoundingClientRect().bottom : 0) - 8);
        }""")
        shot(console, "console-groups-moving", 500)

        # A vote, open (the clock running) and revealed.
        agenda = room.view["agenda"]
        vote = next(a["id"] for a in agenda if a["kind"] == "vote")
        a = room.cmd("start", activity=vote)["activity"]
        for i, ws in enumerate(room.phones[:2]):
            room.request(ws, {"type": "submit", "activity": vote, "answer": {"choice": a["options"][i]["id"]}})
        for host in hosts:
            shot(host, "host-vote-open")
        shot(phone, "phone-vote-open", 600)
        room.cmd("close")
        room.cmd("reveal")
        for host in hosts:
            shot(host, "host-vote-revealed", 2500)
        shot(phone, "phone-vote-revealed", 600)

        # A role-play for group g1, scored by the trainer, revealed.
        rp = next((a["id"] for a in agenda if a["kind"] == "roleplay"), None)
        if rp:
            a = room.cmd("start", activity=rp, group="g1")["activity"]
            room.cmd("advance")
            a = room.view["activity"]
            criteria = [c["id"] for c in (a.get("rubric") or {}).get("criteria", [])]
            for cast in a.get("casts") or []:
                room.cmd("act", action="score", group=cast["group"], scores={c: 4 for c in criteria})
            room.cmd("reveal")
            for host in hosts:
                shot(host, "host-roleplay-revealed", 2500)

        # The end: the podium built 3 -> 2 -> 1.
        for i, p_ in enumerate(room.view.get("players", [])):
            room.cmd("award", target=p_["id"], points=40 - i * 10, reason="课堂表现")
        room.cmd("end")
        for host in hosts:
            shot(host, "host-podium-ended", 4500)
        browser.close()
    room.close()
    print("\n".join(taken))


if __name__ == "__main__":
    main()
