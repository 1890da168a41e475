"""Deleting a session leaves nothing of it readable on disk, while the server keeps running.

A real server records two sessions; one is deleted through the HTTP API (the trainer page's
call), and every file of the data directory (the SQLite database, its WAL and shared-memory
file, anything else) is then searched byte for byte for the deleted session's names and
texts (its trainees' follow-up of their plans too). Before the fix the WAL kept them (a title
27 times, names 44 times) until a shutdown.
The CLI (`caseroom sessions delete CODE`) asks for the code again, like the trainer page.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import ROOT, RunningServer, start_server
from tests.test_kinds import KINDS_DECK
from tests.wsclient import host, player

TITLE = "城东片区删除核验班"
NAMES = ("甄删一号", "甄删二号")
POST = "老人办理合约机要家属在场确认"
PLAN = "每天下班前回访投诉客户甲乙丙"
REASON = "删除核验的加分理由"
FOLLOW = "删除核验的跟进说明"
SECRETS = (TITLE, *NAMES, POST, PLAN, REASON, FOLLOW)


def record_session(server: RunningServer, title: str, names: tuple[str, ...],
                   texts: tuple[str, str, str, str]) -> str:
    """One session with joins, a discussion post, a plan, an award and the plan's follow-up (after
    the end, through the link on the personal record); returns its code."""
    post, plan, reason, follow = texts
    tokens: list[str] = []
    with server.admin() as api:
        r = api.post("/api/decks", content=KINDS_DECK.encode())
        assert r.status_code in (201, 409), r.text
        s = api.post("/api/sessions", json={"deck": "kinds", "title": title}).json()
    code, key = s["code"], s["host_key"]

    async def scenario() -> None:
        console = await host(server.ws, code, key, "console")
        phones = [await player(server.ws, code, name, group="g1") for name in names]
        tokens.extend((p.welcome or {})["token"] for p in phones)

        async def cmd(name: str, **args: Any) -> None:
            reply = await console.request({"type": "command", "name": name, "args": args})
            assert reply["type"] == "ack", (name, reply)

        async def submit(i: int, stage: str, answer: Any) -> None:
            await phones[i].view_until(lambda v: bool(v["activity"] and v["activity"].get("stage") == stage
                                                      and v["activity"]["status"] == "open"))
            reply = await phones[i].request({"type": "submit", "activity": stage, "answer": answer})
            assert reply["type"] == "ack", reply

        await cmd("start", activity="d-grp")
        await submit(0, "d-grp", {"post": post})
        await cmd("reveal")
        await cmd("start", activity="plan")
        await submit(len(phones) - 1, "plan", {"items": [{"what": plan, "by": "下周"}]})
        await cmd("award", target="p1", points=10, reason=reason)
        await cmd("end")
        for c in [console, *phones]:
            await c.close()

    asyncio.run(scenario())
    base = f"{server.http}/api/sessions/{code}"
    link = httpx.post(f"{base}/me", json={"token": tokens[-1]}, timeout=30).json()["follow_up"]["url"]
    r = httpx.put(f"{base}/followup", json={"open_now": True}, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    assert r.status_code == 200, r.text
    r = httpx.post(f"{base}/followup/items", timeout=30,
                   json={"token": link.split("#t=", 1)[1], "item": 0, "status": "doing", "comment": follow})
    assert r.status_code == 200, r.text
    return code


def files_holding(data: Path, needles: tuple[str, ...]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(data.rglob("*")):
        if path.is_file():
            blob = path.read_bytes()
            hits = [n for n in needles if n.encode() in blob]
            if hits:
                found[str(path.relative_to(data))] = hits
    return found


def test_a_deleted_session_leaves_nothing_readable_while_the_server_runs(tmp_path: Path) -> None:
    data = tmp_path / "data"
    srv = start_server(data)
    try:
        gone = record_session(srv, TITLE, NAMES, (POST, PLAN, REASON, FOLLOW))
        kept = record_session(srv, "留存班级", ("留存学员",), ("留存的帖子", "留存的计划", "留存的理由", "留存的跟进"))
        assert set(files_holding(data, SECRETS)), "the recorded session should be on disk before the deletion"
        admin = {"Authorization": f"Bearer {srv.admin_token}"}
        r = httpx.request("DELETE", f"{srv.http}/api/sessions/{gone}", headers=admin, json={"confirm": gone})
        assert r.json() == {"deleted": gone}
        assert files_holding(data, SECRETS) == {}
        # The server runs on, and the other session is whole.
        host_export = httpx.get(f"{srv.http}/api/sessions/{kept}/export?format=json", headers=admin, timeout=30)
        assert host_export.status_code == 200 and host_export.json()["session"]["title"] == "留存班级"
        assert files_holding(data, ("留存学员", "留存的计划", "留存的跟进"))
        assert httpx.get(f"{srv.http}/api/sessions/{gone}/export?format=json", headers=admin).status_code == 404
    finally:
        srv.stop()


def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "server.cli", *args], cwd=ROOT, input=stdin,
                          capture_output=True, text=True, timeout=60)


def test_cli_deletes_a_session_after_the_code_is_typed_again(tmp_path: Path) -> None:
    data = tmp_path / "data"
    srv = start_server(data)
    try:
        code = record_session(srv, TITLE, NAMES, (POST, PLAN, REASON, FOLLOW))
    finally:
        srv.stop()
    wrong = cli("sessions", "--data", str(data), "delete", code, stdin="123\n")
    assert wrong.returncode == 2 and "does not match" in wrong.stderr
    assert code in cli("sessions", "--data", str(data)).stdout
    assert cli("sessions", "delete", "999999", "--data", str(data)).returncode == 1
    done = cli("sessions", "--data", str(data), "delete", code, stdin=f"{code}\n")
    assert done.returncode == 0 and f"deleted session {code}" in done.stdout, done.stderr
    assert code not in cli("sessions", "--data", str(data)).stdout
    assert files_holding(data, SECRETS) == {}
