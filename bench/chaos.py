"""Chaos run: many phones vote while connections are cut and the server is killed.

    python -m bench.chaos [--phones 1000] [--cut 0.3] [--json out.json]

Scenario (a): every phone votes twice while a share of them lose their TCP
connection at random moments and reconnect. Scenario (b): the server is
SIGKILLed in the middle of the vote and restarted on the same data; every
phone resumes. Prints acked, lost, duplicated, resumed and the worst resume
time for each; exits non-zero if anything acknowledged was lost or stored
twice. Loopback only; bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from bench import serverproc
from bench.phones import Phone

DECK = (Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "faults.yaml").read_bytes()


async def console_start(server: serverproc.Server, code: str, key: str, activity: str) -> None:
    from websockets.asyncio.client import connect

    async with connect(server.ws) as ws:
        await ws.send(json.dumps({"type": "host", "code": code, "key": key, "view": "console"}))
        await ws.recv()
        await ws.send(json.dumps({"type": "command", "name": "start", "args": {"activity": activity}, "id": "go"}))
        while True:
            msg = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if msg.get("id") == "go":
                if msg["type"] != "ack":
                    raise SystemExit(f"start refused: {msg}")
                return


def audit(server: serverproc.Server, code: str, key: str, phones: list[Phone], activity: str) -> dict[str, Any]:
    record = httpx.get(f"{server.http}/api/sessions/{code}/export", headers={"Authorization": f"Bearer {key}"},
                       timeout=60).json()
    stored = Counter((s["player_id"], s["client_id"]) for s in record["submissions"] if s["activity"] == activity)
    acked = [(p.player_id, m) for p in phones for m in p.acked]
    resumes = [t for p in phones for t in p.resume_times]
    return {
        "phones": len(phones),
        "acked": len(acked),
        "lost": sum(1 for a in acked if stored[a] == 0),
        "duplicated": sum(1 for n in stored.values() if n > 1),
        "resumed": sum(1 for p in phones if p.resume_times),
        "worst_resume_s": round(max(resumes), 3) if resumes else None,
        "unacked": sum(len(p.unacked) for p in phones),
    }


async def connect_all(phones: list[Phone]) -> None:
    for i in range(0, len(phones), 100):
        await asyncio.gather(*(p.connect(timeout=30) for p in phones[i:i + 100]))


async def scenario_cuts(n: int, share: float, rng: random.Random) -> dict[str, Any]:
    server = serverproc.start()
    try:
        code, key = serverproc.session(server, DECK, "faults")
        phones = [Phone(server.ws, code, f"a{i:04d}") for i in range(n)]
        await connect_all(phones)
        await console_start(server, code, key, "open")
        until = time.monotonic() + 60
        keepers = [asyncio.create_task(p.keep_connected(until)) for p in phones]

        async def vote(p: Phone) -> None:
            for _ in range(2):
                await asyncio.sleep(rng.uniform(0, 1.0))
                await p.submit("open", {"choice": rng.choice("abc")})

        async def chaos() -> None:
            for p in rng.sample(phones, int(n * share)):
                await asyncio.sleep(rng.uniform(0, 2.0 / n))
                p.cut()

        await asyncio.gather(chaos(), *(vote(p) for p in phones))
        return await settle_and_audit(server, code, key, phones, keepers)
    finally:
        server.stop()


async def settle_and_audit(server: serverproc.Server, code: str, key: str, phones: list[Phone],
                           keepers: list[asyncio.Task[None]]) -> dict[str, Any]:
    """Wait for every ack (bounded), stop reconnecting, audit the record, close the phones."""
    await asyncio.gather(*(p.wait_acked(45) for p in phones), return_exceptions=True)
    for t in keepers:
        t.cancel()
    await asyncio.gather(*keepers, return_exceptions=True)
    result = audit(server, code, key, phones, "open")
    await asyncio.gather(*(p.close() for p in phones), return_exceptions=True)
    return result


async def scenario_kill(n: int, rng: random.Random) -> dict[str, Any]:
    server = serverproc.start()
    try:
        code, key = serverproc.session(server, DECK, "faults")
        phones = [Phone(server.ws, code, f"b{i:04d}") for i in range(n)]
        await connect_all(phones)
        await console_start(server, code, key, "open")

        async def vote(p: Phone) -> None:
            await asyncio.sleep(rng.uniform(0, 1.0))
            await p.submit("open", {"choice": rng.choice("abc")})

        voting = asyncio.gather(*(vote(p) for p in phones))
        await asyncio.sleep(0.5)
        server.stop(kill=True)  # mid-vote
        await voting
        server = serverproc.start(server.data, server.port)
        until = time.monotonic() + 60
        keepers = [asyncio.create_task(p.keep_connected(until)) for p in phones]
        return await settle_and_audit(server, code, key, phones, keepers)
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phones", type=int, default=1000)
    parser.add_argument("--cut", type=float, default=0.3, help="share of phones whose connection is cut")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", help="write the figures here as JSON")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    report = {"cuts": asyncio.run(scenario_cuts(args.phones, args.cut, rng)),
              "kill": asyncio.run(scenario_kill(args.phones, rng))}
    for name, r in report.items():
        print(f"{name:5} phones={r['phones']} acked={r['acked']} lost={r['lost']} duplicated={r['duplicated']} "
              f"resumed={r['resumed']} worst_resume={r['worst_resume_s']}s unacked={r['unacked']}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    bad = any(r["lost"] or r["duplicated"] or r["unacked"] for r in report.values())
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
