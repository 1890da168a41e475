"""Authorise before any work (F2, F9): the credential is checked before a session is loaded.

Real servers on free ports, a real SQLite file kept across a restart (so the ended session
must be rebuilt from the store), real websocket clients and real HTTP.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path

import httpx

from tests.conftest import RunningServer, start_server
from tests.wsclient import Client, host, player

ONE_ADDRESS = {"CASEROOM_JOIN_BURST": "10000", "CASEROOM_JOIN_RATE": "1000"}
UNKNOWN = ["100001", "100002", "100003", "100004", "100005", "100006"]


def ended_session_before_restart(tmp_path: Path) -> tuple[RunningServer, str, str]:
    """A 30-trainee class on the built-in course deck, played and ended; then the server restarts."""
    srv = start_server(tmp_path / "data", env=ONE_ADDRESS)
    with srv.admin() as api:
        s = api.post("/api/sessions", json={"deck": "complaint-handling"}).json()
    code, key = s["code"], s["host_key"]

    async def play() -> None:
        console = await host(srv.ws, code, key, "console")
        phones = [await player(srv.ws, code, f"学员{i}") for i in range(30)]
        for name, args in (("start", {"activity": "m1-5g-package-no-signal"}), ("reveal", {}), ("end", {})):
            reply = await console.request({"type": "command", "name": name, "args": args})
            assert reply["type"] == "ack", reply
        for c in [console, *phones]:
            await c.close()

    asyncio.run(play())
    srv.stop()
    return start_server(tmp_path / "data", env=ONE_ADDRESS), code, key


def timed(fn: object) -> float:
    t = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - t


def test_tokenless_requests_on_an_ended_session_do_not_slow_a_live_class(tmp_path: Path) -> None:
    srv, ended, key = ended_session_before_restart(tmp_path)
    try:
        with srv.admin() as api:
            s = api.post("/api/sessions", json={"deck": "complaint-handling"}).json()
        acks: list[float] = []
        statuses: list[int] = []

        async def scenario() -> None:
            console = await host(srv.ws, s["code"], s["host_key"], "console")
            stop = time.monotonic() + 6
            async with httpx.AsyncClient(base_url=srv.http, timeout=30) as http:
                async def prober(i: int) -> None:
                    while time.monotonic() < stop:
                        if i % 2:
                            r = await http.get(f"/api/sessions/{ended}/review")
                        else:
                            r = await http.post(f"/api/sessions/{ended}/me", json={"token": None})
                        statuses.append(r.status_code)

                async def trainer() -> None:
                    n = 0
                    while time.monotonic() < stop:
                        t = time.perf_counter()
                        reply = await console.request({"type": "command", "name": "lock" if n % 2 == 0 else "unlock"})
                        assert reply["type"] == "ack", reply
                        acks.append(time.perf_counter() - t)
                        n += 1
                        await asyncio.sleep(0.05)

                await asyncio.gather(trainer(), *(prober(i) for i in range(6)))
            await console.close()

        asyncio.run(scenario())
        assert set(statuses) == {401}
        assert len(statuses) > 60
        # On main each tokenless request rebuilt the ended session on the event loop (~0.3 s):
        # the console's acks had a median of seconds.
        assert statistics.median(acks) < 0.3, f"median ack {statistics.median(acks):.3f} s"
        # A host with the key still gets the record (rebuilt once, off the event loop, then cached).
        first = httpx.get(f"{srv.http}/api/sessions/{ended}/review",
                          headers={"Authorization": f"Bearer {key}"}, timeout=30)
        assert first.status_code == 200 and first.json()["counts"]["joined"] == 30
    finally:
        srv.stop()


def test_unknown_and_ended_codes_cost_and_answer_alike(tmp_path: Path) -> None:
    srv, ended, _key = ended_session_before_restart(tmp_path)
    try:
        with httpx.Client(base_url=srv.http, timeout=30) as http:
            http.get("/healthz")
            for path in ("review", "export", "replay?seq=1"):
                ended_times, unknown_times = [], []
                for code in UNKNOWN:
                    r_ended = http.get(f"/api/sessions/{ended}/{path}")
                    r_unknown = http.get(f"/api/sessions/{code}/{path}")
                    assert (r_ended.status_code, r_ended.json()) == (r_unknown.status_code, r_unknown.json())
                    assert r_ended.status_code == 401
                    ended_times.append(r_ended.elapsed.total_seconds())
                    unknown_times.append(r_unknown.elapsed.total_seconds())
                # On main the ended code took ~0.3 s (a rebuild) and an unknown one ~3 ms.
                assert abs(statistics.median(ended_times) - statistics.median(unknown_times)) < 0.05, (
                    path, ended_times, unknown_times)
            # A wrong key: the same 403 for both, and no rebuild either (within the wrong-key burst).
            wrong = {"Authorization": "Bearer not-the-key"}
            a = http.get(f"/api/sessions/{ended}/review", headers=wrong)
            b = http.get(f"/api/sessions/{UNKNOWN[0]}/review", headers=wrong)
            assert (a.status_code, a.json()) == (b.status_code, b.json()) == (403, a.json())
            assert a.elapsed.total_seconds() < 0.1 and b.elapsed.total_seconds() < 0.1
            me_a = http.post(f"/api/sessions/{ended}/me", json={"token": "p1.0123456789abcdef0123456789abcdef"})
            me_b = http.post(f"/api/sessions/{UNKNOWN[0]}/me", json={"token": "p1.0123456789abcdef0123456789abcdef"})
            assert (me_a.status_code, me_a.json()) == (me_b.status_code, me_b.json()) == (403, me_a.json())
    finally:
        srv.stop()


def new_session(srv: RunningServer) -> tuple[str, str]:
    with srv.admin() as api:
        s = api.post("/api/sessions", json={"deck": "complaint-handling"}).json()
    return s["code"], s["host_key"]


async def ws_host_attempt(srv: RunningServer, code: str, key: str) -> str:
    c = await Client.open(srv.ws)
    try:
        reply = await c.request({"type": "host", "code": code, "key": key, "view": "console"})
        return str(reply.get("code", reply["type"]))
    finally:
        await c.close()


def test_wrong_host_keys_are_limited_like_wrong_codes_on_ws_then_http(tmp_path: Path) -> None:
    srv = start_server(tmp_path / "data")
    try:
        code, key = new_session(srv)

        async def guesses() -> list[str]:
            return [await ws_host_attempt(srv, code, f"guess-{i}") for i in range(12)]

        answers = asyncio.run(guesses())
        assert answers[:10] == ["bad_key"] * 10, answers
        assert answers[10:] == ["rate_limited"] * 2, answers
        # The same bucket covers HTTP: this address has used its wrong guesses.
        r = httpx.get(f"{srv.http}/api/sessions/{code}/review", headers={"Authorization": "Bearer guess"})
        assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"
        # The right key still opens the session.
        ok = httpx.get(f"{srv.http}/api/sessions/{code}/review", headers={"Authorization": f"Bearer {key}"})
        assert ok.status_code == 200
    finally:
        srv.stop()


def test_wrong_host_keys_are_limited_on_http_then_ws(tmp_path: Path) -> None:
    srv = start_server(tmp_path / "data")
    try:
        code, _key = new_session(srv)
        statuses = []
        with httpx.Client(base_url=srv.http, timeout=30) as http:
            for i in range(12):
                path = ("review", "export", "replay?seq=1")[i % 3]
                statuses.append(http.get(f"/api/sessions/{code}/{path}",
                                         headers={"Authorization": f"Bearer guess-{i}"}).status_code)
        assert statuses == [403] * 10 + [429] * 2, statuses
        assert asyncio.run(ws_host_attempt(srv, code, "guess")) == "rate_limited"
    finally:
        srv.stop()
