"""The load generator: N phones join one session and answer a vote in a burst.

    python -m bench --phones 2000 [--window 1.0] [--workers 2] [--ceiling] [--profile out.svg]

One invocation starts a caseroom server (``bench.serverproc.start``), creates a
session on ``tests/fixtures/faults.yaml``, connects a screen and a console in
this process, and spreads the phones over ``--workers`` generator processes
(each with its own event loop, uvloop when installed, and its own raised
open-files limit) so the generator is not what saturates. Then:

1. every worker connects its phones and joins them (``join`` -> ``welcome``);
2. once the screen counts every phone connected, the console starts the vote
   card ``open`` and every phone waits until its own view shows it open;
3. each phone sends one ``submit`` at a random moment of the ``--window``
   seconds and times it until its ``ack``;
4. the screen is watched until ``view.activity.submitted`` reaches N.

Server CPU seconds come from ``/proc/<pid>/task/*/schedstat``, resident memory and its
peak from ``/proc/<pid>/status``. With ``--ceiling`` the same script then runs
against ``bench/ceiling.py`` (a bare websockets server that only acks, in its
own process) and every figure is shown next to it with the ratio; with
``--ceiling-store`` that server acks each answer only once caseroom's committer
has stored it in SQLite (the durable ceiling: the price of storing, without the
rules and the views). The table is printed and the figures go to ``bench/results/<stamp>-<N>.json``.

Loopback only; every wait is bounded.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import gc
import math
import multiprocessing as mp
import os
import platform
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
DECK_FILE = ROOT / "tests" / "fixtures" / "faults.yaml"
DECK_ID = "faults"
ACTIVITY = "open"
CHOICES = ("a", "b", "c")
CLK_TCK = os.sysconf("SC_CLK_TCK")


from server.cli import open_files_limit  # noqa: E402

# -- small helpers ----------------------------------------------------------------------------------

raise_open_files = open_files_limit  # the server's own, for the generator processes too


def proc_stats(pid: int | list[int]) -> dict[str, float]:
    """CPU seconds (user+system, all threads), resident and peak resident memory (KiB) of a process,
    or the sums over several (``--servers``)."""
    out = {"cpu_s": 0.0, "rss_kb": 0.0, "hwm_kb": 0.0}
    for one in pid if isinstance(pid, list) else [pid]:
        out["cpu_s"] += cpu_seconds(one)
        with open(f"/proc/{one}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    out["rss_kb"] += float(line.split()[1])
                elif line.startswith("VmHWM:"):
                    out["hwm_kb"] += float(line.split()[1])
    return out


def cpu_seconds(pid: int) -> float:
    """A process's CPU time to the nanosecond: the sum of its threads' time on a CPU
    (``/proc/<pid>/task/*/schedstat``), else user+system from ``/proc/<pid>/stat``.

    ``stat`` counts in clock ticks (10 ms): on a 0.2-0.4 s burst that is up to a twentieth of
    each figure, and a ratio of two such differences moves by more than the changes it is meant
    to show. The sum covers the threads alive at each reading; the servers' threads (the loop,
    the store's workers) live as long as the process."""
    try:
        total = 0
        for tid in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(FileNotFoundError), open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        if total:
            return total / 1e9
    except (OSError, ValueError, IndexError):
        pass
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime: fields 14 and 15


def machine_busy_s() -> float:
    """CPU seconds every core of the machine has spent busy since boot (from /proc/stat)."""
    with open("/proc/stat") as f:
        cols = [int(x) for x in f.readline().split()[1:]]
    idle = cols[3] + (cols[4] if len(cols) > 4 else 0)  # idle + iowait
    return (sum(cols[:8]) - idle) / CLK_TCK


def wait_for_quiet(max_wait: float, busy_cores: float = 0.3) -> float:
    """Wait (at most ``max_wait`` s) until other processes use under ``busy_cores`` cores; returns the last reading."""
    deadline = time.monotonic() + max_wait
    while True:
        b0, t0 = machine_busy_s(), time.monotonic()
        time.sleep(1.0)
        busy = (machine_busy_s() - b0) / (time.monotonic() - t0)
        if busy < busy_cores or time.monotonic() >= deadline:
            return round(busy, 2)


def load_average() -> float:
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def _run_loop(coro: Any) -> Any:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


def phone_address(name: str) -> str:
    """Phone ``ph00042``'s own loopback address (127.1.0.43): phones on a room's Wi-Fi each have
    one, and the server's per-address limits and bookkeeping should see them so."""
    i = int(name[2:])
    return f"127.{1 + i // 62500}.{i // 250 % 250}.{1 + i % 250}"


def _ws_connect(url: str, **kw: Any) -> Any:
    from websockets.asyncio.client import connect

    from bench.phones import assert_loopback

    assert_loopback(url)
    return connect(url, compression=None, ping_interval=None, close_timeout=2, proxy=None, **kw)


# -- the phones, in a worker process ------------------------------------------------------------------

@dataclass
class WorkerJob:
    url: str
    code: str
    names: list[str]
    seed: int
    contract: bool  # True against caseroom (views expected); False against the ceiling (acks only)
    concurrency: int = 64  # handshakes in flight per worker


class BenchPhone:
    __slots__ = (
        "ack_at",
        "bytes_in",
        "dropped",
        "errors",
        "failed",
        "join_start",
        "last_seq",
        "name",
        "open_at",
        "reader",
        "send_lag",
        "sent_at",
        "vote_id",
        "welcome_at",
        "ws",
    )

    def __init__(self, name: str) -> None:
        self.name = name
        self.ws: Any = None
        self.reader: asyncio.Task[None] | None = None
        self.bytes_in = 0
        self.join_start = self.welcome_at = 0.0
        self.open_at: float | None = None
        self.vote_id = f"v-{name}"
        self.sent_at: float | None = None
        self.send_lag = 0.0
        self.ack_at: float | None = None
        self.failed = False
        self.dropped = False
        self.last_seq = -1
        self.errors: list[dict[str, Any]] = []


class Crowd:
    """All the phones of one worker process."""

    def __init__(self, job: WorkerJob) -> None:
        self.job = job
        self.phones = [BenchPhone(n) for n in job.names]
        self.rng = random.Random(job.seed)
        self.joined = 0
        self.join_failures: list[str] = []
        self.open_count = 0
        self.open_done = asyncio.Event()
        self.answered = 0
        self.acks_done = asyncio.Event()
        self.seq_backwards = 0
        self.finishing = False
        self.loop_lag = 0.0
        self.drop_codes: dict[str, int] = {}

    # joining
    async def join_all(self, t0: float) -> dict[str, Any]:
        await asyncio.sleep(max(0.0, t0 - time.monotonic()))
        sem = asyncio.Semaphore(self.job.concurrency)
        await asyncio.gather(*(self._join(p, sem) for p in self.phones))
        ok = [p for p in self.phones if p.ws is not None]
        return {"joined": len(ok), "failures": self.join_failures[:20], "failed": len(self.join_failures),
                "last_welcome": max((p.welcome_at for p in ok), default=None),
                "join_latencies": [p.welcome_at - p.join_start for p in ok]}

    async def _join(self, p: BenchPhone, sem: asyncio.Semaphore) -> None:
        async with sem:
            p.join_start = time.monotonic()
            ws = None
            try:
                ws = await _ws_connect(self.job.url, open_timeout=60, max_queue=None,
                                       local_addr=(phone_address(p.name), 0))
                await ws.send(orjson.dumps({"type": "join", "code": self.job.code, "name": p.name,
                                            "id": f"j-{p.name}"}).decode())
                while True:
                    raw = await asyncio.wait_for(ws.recv(decode=False), 60)
                    p.bytes_in += len(raw)
                    msg = orjson.loads(raw)
                    if msg.get("type") == "welcome":
                        break
                    if msg.get("type") == "error":
                        raise RuntimeError(f"{msg.get('code')}: {msg.get('message')}")
            except Exception as exc:  # counted as a failed join, the rest go on
                self.join_failures.append(f"{p.name}: {type(exc).__name__}: {exc}"[:200])
                if ws is not None:
                    with contextlib.suppress(Exception):
                        await ws.close()
                return
            p.welcome_at = time.monotonic()
            p.ws = ws
            self.joined += 1
            p.reader = asyncio.create_task(self._read(p))

    async def _read(self, p: BenchPhone) -> None:
        from websockets.exceptions import ConnectionClosed

        ws = p.ws
        try:
            while True:
                raw = await ws.recv(decode=False)
                p.bytes_in += len(raw)
                msg = orjson.loads(raw)
                kind = msg.get("type")
                if kind == "state":
                    seq = msg.get("seq", -1)
                    if seq < p.last_seq:
                        self.seq_backwards += 1
                    p.last_seq = seq
                    act = (msg.get("view") or {}).get("activity")
                    if p.open_at is None and act and act.get("id") == ACTIVITY and act.get("status") == "open":
                        p.open_at = time.monotonic()
                        self.open_count += 1
                        if self.open_count >= self.joined:
                            self.open_done.set()
                elif kind == "ack":
                    if msg.get("id") == p.vote_id and p.ack_at is None and p.sent_at is not None:
                        p.ack_at = time.monotonic()
                        self._answered()
                elif kind == "error":
                    p.errors.append(msg)
                    if msg.get("id") == p.vote_id and p.ack_at is None and not p.failed:
                        p.failed = True
                        self._answered()
        except ConnectionClosed as exc:
            if not self.finishing:
                p.dropped = True
                code = exc.rcvd.code if exc.rcvd is not None else None
                reason = exc.rcvd.reason if exc.rcvd is not None else ""
                self.drop_codes[f"{code} {reason}".strip()] = self.drop_codes.get(f"{code} {reason}".strip(), 0) + 1

    def _answered(self) -> None:
        self.answered += 1
        if self.answered >= self.joined:
            self.acks_done.set()

    # the vote
    async def wait_open(self, timeout: float) -> dict[str, Any]:
        if self.job.contract and self.open_count < self.joined:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.open_done.wait(), timeout)
        seen = [p.open_at for p in self.phones if p.open_at is not None]
        return {"open": len(seen), "last_open": max(seen, default=None)}

    async def vote(self, t1: float, window: float, timeout: float) -> dict[str, Any]:
        ru0 = resource.getrusage(resource.RUSAGE_SELF)
        pauses: list[float] = []
        gc_started = [0.0]

        def on_gc(phase: str, info: dict[str, Any]) -> None:
            if phase == "start":
                gc_started[0] = time.perf_counter()
            else:
                pauses.append(time.perf_counter() - gc_started[0])

        # The generator's own heap (thousands of connections) would cost full collections of
        # 100+ ms in the middle of the burst, and those would be charged to the server's latency.
        gc.collect()
        gc.freeze()
        gc.disable()
        gc.callbacks.append(on_gc)
        monitor = asyncio.create_task(self._loop_lag())
        live = [p for p in self.phones if p.ws is not None]
        plan = sorted(((t1 + self.rng.uniform(0, window), p) for p in live), key=lambda x: x[0])
        sender = asyncio.create_task(self._send_all(plan))
        if live:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.acks_done.wait(), window + timeout)
        await sender
        monitor.cancel()
        gc.enable()
        gc.unfreeze()
        gc.callbacks.remove(on_gc)
        ru1 = resource.getrusage(resource.RUSAGE_SELF)
        acked = [p for p in live if p.ack_at is not None and p.sent_at is not None]
        wall = max(1e-6, max((p.ack_at or 0.0 for p in acked), default=t1 + window) - t1)
        return {
            "sent": sum(1 for p in live if p.sent_at is not None),
            "acked": len(acked),
            "refused": sum(1 for p in live if p.failed),
            "latencies": [p.ack_at - p.sent_at for p in acked],  # type: ignore[operator]
            "last_ack": max((p.ack_at for p in acked), default=None),  # type: ignore[type-var]
            "send_lag": sorted(p.send_lag for p in live if p.sent_at is not None),
            "cpu_s": (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime),
            "wall_s": wall,
            "gc_pause_max": max(pauses, default=0.0),
            "gc_count": len(pauses),
            "loop_lag_max": self.loop_lag,
        }

    async def _loop_lag(self) -> None:
        """The longest time this process's event loop did not get to run a 5 ms timer."""
        while True:
            t = time.monotonic()
            await asyncio.sleep(0.005)
            self.loop_lag = max(self.loop_lag, time.monotonic() - t - 0.005)

    async def _send_all(self, plan: list[tuple[float, BenchPhone]]) -> None:
        """One coroutine walks the schedule: cheaper than a sleeping task per phone."""
        for at, p in plan:
            delay = at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            p.sent_at = time.monotonic()
            p.send_lag = p.sent_at - at
            msg = {"type": "submit", "activity": ACTIVITY, "answer": {"choice": self.rng.choice(CHOICES)},
                   "id": p.vote_id}
            try:
                await p.ws.send(orjson.dumps(msg).decode())
            except Exception:
                p.dropped = True

    async def finish(self) -> dict[str, Any]:
        self.finishing = True
        live = [p for p in self.phones if p.ws is not None]
        received = [p.bytes_in for p in live]
        errors = [e for p in live for e in p.errors]

        async def close(p: BenchPhone) -> None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(p.ws.close(), 5)
            if p.reader is not None:
                p.reader.cancel()
                with contextlib.suppress(BaseException):
                    await p.reader

        sem = asyncio.Semaphore(256)

        async def bounded(p: BenchPhone) -> None:
            async with sem:
                await close(p)

        await asyncio.gather(*(bounded(p) for p in live))
        return {"bytes_in": received, "error_frames": len(errors),
                "error_codes": sorted({str(e.get("code")) for e in errors}),
                "dropped": sum(1 for p in live if p.dropped), "seq_backwards": self.seq_backwards,
                "drop_codes": self.drop_codes,
                "unacked": sum(1 for p in live if p.sent_at is not None and p.ack_at is None and not p.failed)}


async def _worker(conn: Connection, job: WorkerJob) -> None:
    crowd = Crowd(job)
    loop = asyncio.get_running_loop()
    pool = concurrent.futures.ThreadPoolExecutor(1)
    conn.send(("ready", os.getpid()))
    try:
        while True:
            cmd, *args = await loop.run_in_executor(pool, conn.recv)
            if cmd == "join":
                conn.send(("joined", await crowd.join_all(*args)))
            elif cmd == "open":
                conn.send(("open", await crowd.wait_open(*args)))
            elif cmd == "vote":
                conn.send(("voted", await crowd.vote(*args)))
            elif cmd == "finish":
                conn.send(("done", await crowd.finish()))
                return
    finally:
        pool.shutdown(wait=False)


def worker_main(conn: Connection, job: WorkerJob) -> None:
    """Entry point of a generator process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when we stop
    raise_open_files()
    try:
        _run_loop(_worker(conn, job))
    except (EOFError, BrokenPipeError):
        pass
    finally:
        conn.close()


class Workers:
    """The generator processes and their pipes."""

    def __init__(self, n: int, jobs: list[WorkerJob]) -> None:
        ctx = mp.get_context("spawn")
        self.conns: list[Connection] = []
        self.procs: list[Any] = []
        self.pool = concurrent.futures.ThreadPoolExecutor(max(1, n))
        for job in jobs:
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=worker_main, args=(child, job), daemon=True)
            proc.start()
            child.close()
            self.conns.append(parent)
            self.procs.append(proc)

    def broadcast(self, *msg: Any) -> None:
        for c in self.conns:
            c.send(msg)

    async def gather(self, expect: str, timeout: float) -> list[Any]:
        loop = asyncio.get_running_loop()

        def recv(c: Connection) -> Any:
            if not c.poll(timeout):
                raise TimeoutError(f"a generator process did not report '{expect}' within {timeout:.0f} s")
            kind, payload = c.recv()
            if kind != expect:
                raise RuntimeError(f"a generator process said {kind!r}, expected {expect!r}")
            return payload

        return list(await asyncio.gather(*(loop.run_in_executor(self.pool, recv, c) for c in self.conns)))

    def stop(self) -> None:
        for c in self.conns:
            c.close()
        for p in self.procs:
            p.join(timeout=10)
            if p.is_alive():
                p.kill()
                p.join(timeout=5)
        self.pool.shutdown(wait=False)


# -- the screen and the console, in this process ------------------------------------------------------

class Hosts:
    def __init__(self, url: str, code: str, key: str) -> None:
        self.url, self.code, self.key = url, code, key
        self.screen: Any = None
        self.console: Any = None
        self.tasks: list[asyncio.Task[None]] = []
        self.screen_states: list[tuple[float, int, int, int]] = []  # (t, joined, connected, submitted)
        self.changed = asyncio.Event()
        self.acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.screen_bytes = 0
        self.console_bytes = 0
        self.console_states = 0

    async def connect(self) -> None:
        self.screen = await self._host("screen")
        self.console = await self._host("console")
        self.tasks = [asyncio.create_task(self._read_screen()), asyncio.create_task(self._read_console())]

    async def _host(self, view: str) -> Any:
        ws = await _ws_connect(self.url, open_timeout=30, max_size=None, max_queue=None)
        await ws.send(orjson.dumps({"type": "host", "code": self.code, "key": self.key, "view": view}).decode())
        while True:
            msg = orjson.loads(await asyncio.wait_for(ws.recv(decode=False), 30))
            if msg.get("type") == "welcome":
                return ws
            if msg.get("type") == "error":
                raise SystemExit(f"the {view} was refused: {msg}")

    async def _read_screen(self) -> None:
        from websockets.exceptions import ConnectionClosed

        with contextlib.suppress(ConnectionClosed):
            while True:
                raw = await self.screen.recv(decode=False)
                self.screen_bytes += len(raw)
                msg = orjson.loads(raw)
                if msg.get("type") != "state":
                    continue
                view = msg["view"]
                act = view.get("activity") or {}
                submitted = act.get("submitted", 0) if act.get("id") == ACTIVITY else 0
                counts = view.get("counts") or {}
                self.screen_states.append((time.monotonic(), counts.get("joined", 0), counts.get("connected", 0),
                                           submitted))
                self.changed.set()

    async def _read_console(self) -> None:
        from websockets.exceptions import ConnectionClosed

        with contextlib.suppress(ConnectionClosed):
            while True:
                raw = await self.console.recv(decode=False)
                self.console_bytes += len(raw)
                msg = orjson.loads(raw)
                if msg.get("type") in ("ack", "error") and msg.get("id") in self.acks:
                    fut = self.acks.pop(msg["id"])
                    if not fut.done():
                        fut.set_result(msg)
                elif msg.get("type") == "state":
                    self.console_states += 1

    async def command(self, name: str, args: dict[str, Any], msg_id: str, timeout: float = 30) -> dict[str, Any]:
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.acks[msg_id] = fut
        await self.console.send(orjson.dumps({"type": "command", "name": name, "args": args, "id": msg_id}).decode())
        return await asyncio.wait_for(fut, timeout)

    async def wait_screen(self, pred: Callable[[tuple[float, int, int, int]], bool],
                          timeout: float) -> float | None:
        """Monotonic time of the first screen state matching ``pred`` (None on timeout)."""
        deadline = time.monotonic() + timeout
        checked = 0
        while True:
            for s in self.screen_states[checked:]:
                if pred(s):
                    return s[0]
            checked = len(self.screen_states)
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), left)

    async def close(self) -> None:
        for ws in (self.screen, self.console):
            if ws is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(ws.close(), 5)
        for t in self.tasks:
            t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


# -- one run against one target ------------------------------------------------------------------------

@dataclass
class BenchConfig:
    phones: int = 300
    window: float = 1.0
    workers: int = 2
    servers: int = 1
    ceiling: bool = False
    seed: int = 1
    profile: str | None = None  # the caseroom server's profile: py-spy (svg, txt=raw, json=speedscope) or perf (.perf)
    profile_ceiling: bool = False  # profile the ceiling server too, into <stem>-ceiling<suffix>
    profile_rate: int = 100
    profile_gil: bool = False  # only the thread holding the GIL (the event loop, mostly)
    profile_phase: str = "burst"  # "burst": from just before the answers to the complete screen; "joins"; or "all"
    ceiling_loop: str = "uvloop"
    ceiling_store: bool = False  # the durable ceiling: each answer stored through caseroom's committer first
    ack_timeout: float = 60.0
    wait_quiet: float = 0.0  # seconds to wait for a quiet machine before each target
    quiet: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class Target:
    """A server process to load: caseroom, or the ceiling."""

    kind = ""
    pid: int | list[int] = 0
    url = ""
    urls: list[str] = []  # noqa: RUF012 - set per instance; phones are spread over these
    code = "ceiling"
    key = "ceiling"

    def stop(self) -> None: ...

    def facts(self) -> dict[str, Any]:
        """What the stopped server said about itself (caseroom: commands per commit)."""
        return {}


class CaseroomTarget(Target):
    kind = "caseroom"

    def __init__(self, cfg: BenchConfig) -> None:
        from bench import serverproc

        n = cfg.phones
        # Each phone has its own loopback address (``phone_address``); the limits are lifted all
        # the same, so that a run measures the server, not its defences.
        env = {"CASEROOM_JOIN_BURST": str(2 * n + 100), "CASEROOM_JOIN_RATE": str(max(1000, 10 * n)),
               "CASEROOM_MAX_PLAYERS": str(max(10_000, n + 10)), "PYTHONUNBUFFERED": "1"}
        self.schema: str | None = None
        if cfg.servers > 1:  # several processes: the shared log in PostgreSQL, coordination in Redis
            import uuid
            from urllib.parse import quote

            import psycopg

            base = os.environ.get("CASEROOM_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
            self.schema = f"caseroom_bench_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(base, autocommit=True) as conn:
                conn.execute(f'CREATE SCHEMA "{self.schema}"')
            self.pg_base = base
            env["CASEROOM_DATABASE_URL"] = f"{base}?options={quote(f'-csearch_path={self.schema}')}"
            env["CASEROOM_REDIS_URL"] = os.environ.get("CASEROOM_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
        self.servers = [serverproc.start(extra_env=env) for _ in range(cfg.servers)]
        self.server = self.servers[0]
        self.pid = [s.proc.pid for s in self.servers] if cfg.servers > 1 else self.server.proc.pid
        self.url = self.server.ws
        self.urls = [s.ws for s in self.servers]
        self.code, self.key = serverproc.session(self.server, DECK_FILE.read_bytes(), DECK_ID)

    def stop(self) -> None:
        for server in self.servers:
            server.stop()
        if self.schema is not None:
            import psycopg

            with psycopg.connect(self.pg_base, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')


    def facts(self) -> dict[str, Any]:
        return {"commands_per_commit": commands_per_commit(
            [server.log.read_text(errors="replace") for server in self.servers])}


class CeilingTarget(Target):
    kind = "ceiling"

    def __init__(self, cfg: BenchConfig) -> None:
        from bench import serverproc

        port = serverproc.free_port()
        self.data: tempfile.TemporaryDirectory[str] | None = None
        store: list[str] = []
        if cfg.ceiling_store:
            self.data = tempfile.TemporaryDirectory(prefix="caseroom-ceiling-")
            store = ["--store", str(Path(self.data.name) / "ceiling.db")]
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.ceiling", "--port", str(port), "--loop",
                                      cfg.ceiling_loop, *store], cwd=ROOT, stdout=subprocess.PIPE)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode()
        if not line.startswith("ready"):
            self.stop()
            raise SystemExit("the ceiling server did not start")
        self.pid = self.proc.pid
        self.url = f"ws://127.0.0.1:{port}/ws"
        self.urls = [self.url]
        self.said = ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.proc.stdout is not None:
            self.said = self.proc.stdout.read().decode(errors="replace")
            self.proc.stdout.close()
        if self.data is not None:
            self.data.cleanup()

    def facts(self) -> dict[str, Any]:
        """The durable ceiling's commands per commit (the bare one makes none)."""
        per_commit = commands_per_commit([self.said])
        return {} if per_commit is None else {"commands_per_commit": per_commit}


def commands_per_commit(logs: list[str]) -> float | None:
    """Commands per commit over the servers, from what each said when it stopped (caseroom's
    ``caseroom stopped: N command(s) in M commit(s)``, the durable ceiling's ``stored: ...``)."""
    commands = commits = 0
    for text in logs:
        found = re.search(r"(\d+) command\(s\) in (\d+) commit", text)
        if found:
            commands, commits = commands + int(found[1]), commits + int(found[2])
    return round(commands / commits, 1) if commits else None


def _say(cfg: BenchConfig, text: str) -> None:
    if not cfg.quiet:
        print(text, file=sys.stderr, flush=True)


def profile_path(cfg: BenchConfig, kind: str) -> str:
    """Where ``--profile`` writes one target's profile: the file given for caseroom's, and beside it
    ``<stem>-ceiling<suffix>`` for the ceiling's (``--profile-ceiling``)."""
    out = Path(cfg.profile or "")
    return str(out if kind == "caseroom" else out.with_name(f"{out.stem}-{kind}{out.suffix}"))


def _start_profiler(cfg: BenchConfig, pid: int, kind: str = "caseroom") -> subprocess.Popen[bytes] | None:
    """py-spy (Python frames), or with a ``.perf`` file Linux ``perf record`` (native frames: the
    kernel's, the interpreter's, libuv's, SQLite's; no Python names), or with a ``.syscalls``
    file ``perf trace -s`` (each system call's count and time), attached to the server."""
    if not cfg.profile or (kind != "caseroom" and not cfg.profile_ceiling):
        return None
    out = Path(profile_path(cfg, kind))
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix in (".perf", ".syscalls"):
        exe = shutil.which("perf")
        if exe is None:
            raise SystemExit(f"a {out.suffix} profile needs Linux perf (apt-get install linux-perf)")
        cmd = ([exe, "record", "-e", "cpu-clock", "-F", str(cfg.profile_rate), "-g", "-p", str(pid), "-o", str(out)]
               if out.suffix == ".perf" else [exe, "trace", "-s", "-p", str(pid), "-o", str(out)])
    else:
        exe = str(Path(sys.executable).parent / "py-spy")
        if not Path(exe).exists():
            raise SystemExit("--profile needs py-spy: pip install py-spy")
        fmt = {".svg": "flamegraph", ".json": "speedscope", ".txt": "raw"}.get(out.suffix, "flamegraph")
        cmd = [exe, "record", "--pid", str(pid), "--rate", str(cfg.profile_rate), "--format", fmt, "--output",
               str(out), "--nonblocking", *(["--gil"] if cfg.profile_gil else [])]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(1.0)  # let it attach
    return proc


def _stop_profiler(proc: subprocess.Popen[bytes] | None) -> str:
    if proc is None:
        return ""
    proc.send_signal(signal.SIGINT)
    try:
        _out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        _out, err = proc.communicate()
    return err.decode(errors="replace")[-500:]


async def run_target(cfg: BenchConfig, kind: str) -> dict[str, Any]:
    n, w = cfg.phones, max(1, min(cfg.workers, cfg.phones))
    busy_before = wait_for_quiet(cfg.wait_quiet) if cfg.wait_quiet > 0 else None
    target: Target = CaseroomTarget(cfg) if kind == "caseroom" else CeilingTarget(cfg)
    contract = kind == "caseroom"
    workers: Workers | None = None
    hosts = Hosts(target.url, target.code, target.key)
    profiler = None
    res: dict[str, Any] = {"target": kind, "phones": n, "workers": w, "window_s": cfg.window,
                           "load_average_1m": load_average(), "machine_busy_cores_before": busy_before}
    try:
        names = [f"ph{i:05d}" for i in range(n)]
        urls = target.urls or [target.url]  # with --servers K, worker i loads server i mod K
        jobs = [WorkerJob(urls[i % len(urls)], target.code, names[i::w], cfg.seed * 1000 + i, contract)
                for i in range(w)]
        workers = Workers(w, jobs)
        await workers.gather("ready", 60)
        await hosts.connect()
        await asyncio.sleep(0.3)
        idle = proc_stats(target.pid)
        if cfg.profile_phase in ("all", "joins"):
            profiler = _start_profiler(cfg, target.pid if isinstance(target.pid, int) else target.pid[0], kind)

        # 1. join
        _say(cfg, f"[{kind}] {n} phones joining over {w} worker process(es)")
        t0 = time.monotonic() + 0.2
        workers.broadcast("join", t0)
        joined_parts = await workers.gather("joined", 300)
        joined = sum(j["joined"] for j in joined_parts)
        last_welcome = max((j["last_welcome"] for j in joined_parts if j["last_welcome"]), default=t0)
        join_lat = sorted(x for j in joined_parts for x in j["join_latencies"])
        res["joined"] = joined
        res["join_failed"] = sum(j["failed"] for j in joined_parts)
        res["join_failures"] = [f for j in joined_parts for f in j["failures"]][:10]
        res["join_s"] = last_welcome - t0
        res["join_rate"] = joined / max(1e-6, last_welcome - t0)
        res["join_p50_ms"] = _ms(percentile(join_lat, 50))
        res["join_p99_ms"] = _ms(percentile(join_lat, 99))
        if contract:
            seen = await hosts.wait_screen(lambda s: s[2] >= joined, 60)
            res["screen_connected_after_join_ms"] = _ms(seen - last_welcome) if seen else None
        await asyncio.sleep(0.5)
        after_join = proc_stats(target.pid)
        res["cpu_join_s"] = after_join["cpu_s"] - idle["cpu_s"]
        res["rss_idle_mb"] = idle["rss_kb"] / 1024
        res["rss_joined_mb"] = after_join["rss_kb"] / 1024
        res["kb_per_phone"] = (after_join["rss_kb"] - idle["rss_kb"]) / max(1, joined)
        if profiler is not None and cfg.profile_phase == "joins":
            res["profile"] = profile_path(cfg, kind)
            res["profiler_log"] = _stop_profiler(profiler)
            profiler = None

        # 2. start the vote; every phone sees it
        _say(cfg, f"[{kind}] console starts the vote")
        before_start = proc_stats(target.pid)
        started = time.monotonic()
        reply = await hosts.command("start", {"activity": ACTIVITY}, "go")
        if reply.get("type") != "ack":
            raise SystemExit(f"the console's start was refused: {reply}")
        workers.broadcast("open", 60)
        opened = await workers.gather("open", 120)
        res["saw_open"] = sum(o["open"] for o in opened)
        if contract:
            last_open = max((o["last_open"] for o in opened if o["last_open"]), default=None)
            res["start_to_all_open_ms"] = _ms(last_open - started) if last_open else None
            res["cpu_start_s"] = proc_stats(target.pid)["cpu_s"] - before_start["cpu_s"]

        # 3. the burst
        await asyncio.sleep(0.3)
        if cfg.profile_phase == "burst":
            profiler = _start_profiler(cfg, target.pid if isinstance(target.pid, int) else target.pid[0], kind)
        _say(cfg, f"[{kind}] burst: {joined} answers within {cfg.window:g} s")
        before_vote = proc_stats(target.pid)
        busy0, own0 = machine_busy_s(), _own_cpu()
        t1 = time.monotonic() + 0.3
        workers.broadcast("vote", t1, cfg.window, cfg.ack_timeout)
        voted = await workers.gather("voted", cfg.window + cfg.ack_timeout + 60)
        lat = sorted(x for v in voted for x in v["latencies"])
        last_ack = max((v["last_ack"] for v in voted if v["last_ack"]), default=None)
        res["sent"] = sum(v["sent"] for v in voted)
        res["acked"] = sum(v["acked"] for v in voted)
        res["refused"] = sum(v["refused"] for v in voted)
        for q in (50, 95, 99):
            res[f"ack_p{q}_ms"] = _ms(percentile(lat, q))
        res["ack_max_ms"] = _ms(lat[-1]) if lat else None
        res["ack_mean_ms"] = _ms(sum(lat) / len(lat)) if lat else None
        res["burst_s"] = (last_ack - t1) if last_ack else None
        lag = sorted(x for v in voted for x in v["send_lag"])
        res["gen_send_lag_p99_ms"] = _ms(percentile(lag, 99))
        res["gen_send_lag_max_ms"] = _ms(lag[-1]) if lag else None
        res["gen_cpu_share"] = [round(v["cpu_s"] / v["wall_s"], 2) for v in voted]
        res["gen_gc_pause_max_ms"] = _ms(max(v["gc_pause_max"] for v in voted))
        res["gen_loop_lag_max_ms"] = _ms(max(v["loop_lag_max"] for v in voted))

        # 4. the screen's tally
        if contract:
            complete = await hosts.wait_screen(lambda s: s[3] >= res["acked"] and res["acked"] > 0, 20)
            res["screen_complete_after_last_ack_ms"] = _ms(complete - last_ack) if complete and last_ack else None
            res["screen_final_submitted"] = hosts.screen_states[-1][3] if hosts.screen_states else 0
        await asyncio.sleep(0.3)
        after_vote = proc_stats(target.pid)
        res["cpu_vote_s"] = after_vote["cpu_s"] - before_vote["cpu_s"]
        gen_cpu = sum(v["cpu_s"] for v in voted) + (_own_cpu() - own0)
        res["other_cpu_during_burst_s"] = round(machine_busy_s() - busy0 - res["cpu_vote_s"] - gen_cpu, 2)
        res["stats_note"] = "cpu_vote_s: from just before the burst to 0.3 s after the screen is complete"
        await asyncio.sleep(0.5)  # trailing views

        # 5. done: bytes and errors
        _say(cfg, f"[{kind}] closing")
        if profiler is not None:
            res["profile"] = profile_path(cfg, kind)
            res["profiler_log"] = _stop_profiler(profiler)
            profiler = None
        final = proc_stats(target.pid)
        workers.broadcast("finish")
        done = await workers.gather("done", 120)
        received = [b for d in done for b in d["bytes_in"]]
        res["bytes_per_phone"] = sum(received) / max(1, len(received))
        res["bytes_per_phone_max"] = max(received, default=0)
        res["screen_bytes"] = hosts.screen_bytes
        res["console_bytes"] = hosts.console_bytes
        res["error_frames"] = sum(d["error_frames"] for d in done)
        res["error_codes"] = sorted({c for d in done for c in d["error_codes"]})
        res["dropped"] = sum(d["dropped"] for d in done)
        res["drop_codes"] = {k: sum(d["drop_codes"].get(k, 0) for d in done) for d in done for k in d["drop_codes"]}
        res["unacked"] = sum(d["unacked"] for d in done)
        res["seq_backwards"] = sum(d["seq_backwards"] for d in done)
        res["cpu_total_s"] = final["cpu_s"] - idle["cpu_s"]
        res["rss_peak_mb"] = final["hwm_kb"] / 1024
        res["errors"] = (res["join_failed"] + res["error_frames"] + res["dropped"] + res["unacked"]
                         + res["seq_backwards"] + (n - joined))
    finally:
        _stop_profiler(profiler)
        await hosts.close()
        if workers is not None:
            workers.stop()
        target.stop()
    res.update(target.facts())
    return res


def _own_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


# -- the report ------------------------------------------------------------------------------------------

ROWS: list[tuple[str, str, str]] = [
    # key, label, how the ratio reads ("" = no ratio)
    ("joined", "phones joined", ""),
    ("join_rate", "join rate (phones/s)", "x"),
    ("join_p99_ms", "join p99 (ms)", "x"),
    ("acked", "answers acked", ""),
    ("ack_p50_ms", "submit->ack p50 (ms)", "x"),
    ("ack_p95_ms", "submit->ack p95 (ms)", "x"),
    ("ack_p99_ms", "submit->ack p99 (ms)", "x"),
    ("ack_max_ms", "submit->ack max (ms)", "x"),
    ("screen_complete_after_last_ack_ms", "screen complete after last ack (ms)", ""),
    ("start_to_all_open_ms", "start -> every phone sees the card (ms)", ""),
    ("cpu_join_s", "server CPU, joins (s)", "x"),
    ("cpu_vote_s", "server CPU, burst (s)", "x"),
    ("cpu_total_s", "server CPU, whole run (s)", "x"),
    ("rss_peak_mb", "server peak RSS (MB)", "x"),
    ("kb_per_phone", "server memory per phone (KB)", "x"),
    ("bytes_per_phone", "bytes received per phone", "x"),
    ("errors", "errors", ""),
    ("commands_per_commit", "commands per commit (whole run)", ""),
    ("gen_send_lag_p99_ms", "generator send lag p99 (ms)", ""),
    ("gen_cpu_share", "generator CPU share per worker", ""),
    ("gen_loop_lag_max_ms", "generator loop lag max (ms)", ""),
    ("gen_gc_pause_max_ms", "generator GC pause max (ms)", ""),
    ("other_cpu_during_burst_s", "other processes' CPU during burst (s)", ""),
    ("load_average_1m", "machine load average before the run", ""),
]


def ratios(case: dict[str, Any], ceil: dict[str, Any]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for key, _label, how in ROWS:
        a, b = case.get(key), ceil.get(key)
        if how and isinstance(a, (int, float)) and isinstance(b, (int, float)) and b:
            out[key] = round(a / b, 2)
    return out


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.1f}" if abs(v) >= 10 else f"{v:.2f}"
    if isinstance(v, list):
        return " ".join(_fmt(x) for x in v)
    return str(v)


def table(report: dict[str, Any]) -> str:
    case, ceil = report["caseroom"], report.get("ceiling")
    rat = report.get("ratio") or {}
    name = "durable" if report["config"].get("ceiling_store") else "ceiling"
    head = f"{'':42} {'caseroom':>14}" + (f" {name:>14} {'ratio':>8}" if ceil else "")
    lines = [f"caseroom bench: {case['phones']} phones, {case['window_s']:g} s window, {case['workers']} worker(s), "
             f"{report['env']['cpus']} cores", head, "-" * len(head)]
    for key, label, _how in ROWS:
        row = f"{label:42} {_fmt(case.get(key)):>14}"
        if ceil:
            row += f" {_fmt(ceil.get(key)):>14} {_fmt(rat.get(key)):>8}"
        lines.append(row)
    spread = report.get("spread")
    if spread:
        rounds = len(report.get("rounds", ()))
        lines.append(f"medians of {rounds} rounds; the ratios' range over the rounds: "
                     + ", ".join(f"{label} {_fmt(spread[key][0])}-{_fmt(spread[key][1])}"
                                 for key, label in ROUND_KEYS if key in spread))
    if case.get("error_codes"):
        lines.append(f"error codes: {', '.join(case['error_codes'])}")
    if case.get("drop_codes"):
        lines.append(f"connections closed by the server (close code: count): {case['drop_codes']}")
    if case.get("join_failures"):
        lines.append(f"join failures (first): {case['join_failures'][:3]}")
    return "\n".join(lines)


# Issue 18's targets: the ratios to the ceiling measured in the same run (they travel between
# machines; the absolute figures do not), and the absolute ones that are the product's promise.
CPU_BURST_AT_MOST = 1.5
P99_AT_MOST = 2.0
CPU_JOIN_AT_MOST = 1.3
JOIN_RATE_AT_LEAST = 0.9
MEMORY_AT_MOST = 1.3


def targets(report: dict[str, Any]) -> dict[str, Any]:
    """The targets, checked against one run or, with ``--rounds``, against the medians
    (information only; nothing fails on them)."""
    case, rat = report["caseroom"], report.get("ratio") or {}
    n = case["phones"]
    out: dict[str, Any] = {
        "all_acked": case.get("acked") == n and not case.get("errors"),
        "screen_within_500ms": (case.get("screen_complete_after_last_ack_ms") is not None
                                and case["screen_complete_after_last_ack_ms"] <= 500),
    }
    if case.get("ack_p99_ms") is not None:
        out["p99_under_1s"] = case["ack_p99_ms"] < 1000
    # (name, ratio, limit, whether the ratio must reach the limit rather than stay under it)
    checks = (("burst_cpu_within", "cpu_vote_s", CPU_BURST_AT_MOST, False),
              ("p99_within", "ack_p99_ms", P99_AT_MOST, False),
              ("join_cpu_within", "cpu_join_s", CPU_JOIN_AT_MOST, False),
              ("join_rate_at_least", "join_rate", JOIN_RATE_AT_LEAST, True),
              ("memory_within", "kb_per_phone", MEMORY_AT_MOST, False))
    durable = report["config"].get("ceiling_store")  # (the ratios are to the bare ceiling, not the durable one)
    for name, key, limit, at_least in () if durable else checks:
        if rat.get(key) is not None:
            out[f"{name}_{limit:g}x"] = rat[key] >= limit if at_least else rat[key] <= limit
    return out


def run_bench(cfg: BenchConfig, ceiling_first: bool = False) -> dict[str, Any]:
    """Run the bench (and the ceiling when asked, before caseroom if ``ceiling_first``);
    returns the report (not written anywhere)."""
    raise_open_files()
    report: dict[str, Any] = {
        "config": asdict(cfg),
        "env": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                "open_files": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
                "started": time.strftime("%Y-%m-%dT%H:%M:%S")},
    }
    kinds = ["caseroom", "ceiling"] if cfg.ceiling else ["caseroom"]
    for i, kind in enumerate(reversed(kinds) if ceiling_first else kinds):
        if i:
            time.sleep(1.0)  # let the sockets of the first run drain
        report[kind] = _run_loop(run_target(cfg, kind))
    if cfg.ceiling:
        report["ratio"] = ratios(report["caseroom"], report["ceiling"])
    report["targets"] = targets(report)
    return report


def run_rounds(cfg: BenchConfig, rounds: int, say: Callable[[str], None] = lambda _line: None) -> dict[str, Any]:
    """``rounds`` runs of the bench, the ceiling first in every other one; the report of the medians.

    On a shared virtual machine one run's burst CPU moves by a fifth from run to run, the
    ceiling's as much as caseroom's (bench/README.md, seventh pass): a ratio from one run
    cannot tell a change of a few per cent from noise, the median of several can. Each
    round is in ``rounds``; ``caseroom``, ``ceiling`` and ``ratio`` hold the medians (each
    figure's own median, so a ratio is the median of the rounds' ratios, not a ratio of
    medians) and ``spread`` the lowest and highest ratio of each figure.
    """
    runs: list[dict[str, Any]] = []
    for i in range(rounds):
        runs.append(run_bench(cfg, ceiling_first=bool(i % 2)))
        say(round_line(i + 1, runs[-1]))
    report: dict[str, Any] = {"config": runs[0]["config"], "env": runs[0]["env"], "rounds": runs}
    for kind in ("caseroom", "ceiling"):
        if kind in runs[0]:
            report[kind] = _medians([r[kind] for r in runs])
    if cfg.ceiling:
        report["ratio"] = _medians([r["ratio"] for r in runs])
        keys = {k for r in runs for k in r["ratio"]}
        report["spread"] = {k: [min(v), max(v)] for k in sorted(keys)
                            if (v := [r["ratio"][k] for r in runs if r["ratio"].get(k) is not None])}
    report["targets"] = targets(report)
    report["targets_met_in_rounds"] = {k: sum(1 for r in runs if r["targets"].get(k)) for k in report["targets"]}
    return report


def _medians(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Each number's median over the rounds (other fields as in the first round)."""
    out = dict(parts[0])
    for key, first in parts[0].items():
        values = [p[key] for p in parts if isinstance(p.get(key), (int, float)) and not isinstance(p.get(key), bool)]
        if isinstance(first, (int, float)) and not isinstance(first, bool) and values:
            values.sort()
            mid = len(values) // 2
            low, high = values[mid - 1 if len(values) % 2 == 0 else mid], values[mid]
            out[key] = high if low == high else round((low + high) / 2, 3)  # (a count stays a count)
    return out


ROUND_KEYS = (("cpu_vote_s", "burst CPU"), ("ack_p99_ms", "p99"), ("cpu_join_s", "join CPU"),
              ("join_rate", "join rate"), ("kb_per_phone", "memory"))


def round_line(i: int, report: dict[str, Any]) -> str:
    """One round in a line: the ratios the targets are about."""
    rat = report.get("ratio") or {}
    parts = [f"{label} {_fmt(rat.get(key))}x" for key, label in ROUND_KEYS]
    return f"round {i}: " + ", ".join(parts) + f" (load {_fmt(report['caseroom'].get('load_average_1m'))})"


def write_report(report: dict[str, Any], out: str | None = None) -> Path:
    path = Path(out) if out else RESULTS / f"{time.strftime('%Y%m%d-%H%M%S')}-{report['caseroom']['phones']}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
    return path
