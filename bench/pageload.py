"""N phones load the phone page at once, as a class does when the trainer shows the QR code.

    .venv/bin/python -m bench.pageload --phones 200

Starts a caseroom server (``bench/serverproc.py``), then N clients, each from its own loopback
address (127.0.x.y, as phones on a room's Wi-Fi have their own), fetch the join page and every
file it loads before the join screen works (its stylesheets and scripts, and the modules those
import), with ``Accept-Encoding: gzip`` as browsers send, all at the same moment. Reports the
time until the last phone has everything, the p50/p99 per phone, the bytes per phone on the
wire, and the server's CPU. Loopback only; bounded in count (≤ 2,000) and time (60 s).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import time
from urllib.parse import urljoin

import httpx

from bench import serverproc
from bench.load import percentile, proc_stats

LINKS = re.compile(r'(?:src|href)="(/static/[^"]+)"')
IMPORTS = re.compile(r"""^\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]""", re.M)


async def page_files(base: str) -> list[str]:
    """The page and what a browser fetches for it at first: links, then static imports, transitively."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as web:
        html = (await web.get("/")).text
        todo = LINKS.findall(html)
        # The catalogue of the language in use, which lib/i18n.js imports when it starts.
        prefix = re.match(r"^/static/(?:v/[0-9a-f]+/)?", todo[0])
        todo.append(f"{prefix[0] if prefix else '/static/'}i18n/zh-CN.js")
        seen: list[str] = ["/"]
        while todo:
            url = todo.pop()
            if url in seen:
                continue
            seen.append(url)
            if url.endswith(".js"):
                src = (await web.get(url)).text
                for a, b in IMPORTS.findall(src):
                    todo.append(urljoin(url, a or b))
    return seen


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, path: str) -> int:
    """One GET on a kept-alive connection, as a browser sends it; returns the bytes received."""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept-Encoding: gzip, deflate\r\n"
                 "User-Agent: caseroom-bench\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    if status != 200 or length is None:
        raise RuntimeError(f"GET {path}: {head[:200]!r}")
    await reader.readexactly(int(length[1]))
    return len(head) + int(length[1])


async def one_phone(host: str, port: int, files: list[str], address: str, start: asyncio.Event) -> tuple[float, int]:
    """The page first, then its files over six connections (a browser's most per host)."""
    await start.wait()
    began = time.perf_counter()
    conns = [await asyncio.open_connection(host, port, local_addr=(address, 0))]
    wire = await _get(*conns[0], f"{host}:{port}", files[0])
    conns += await asyncio.gather(*(asyncio.open_connection(host, port, local_addr=(address, 0)) for _ in range(5)))
    queue = list(files[1:])

    async def worker(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> int:
        got = 0
        while queue:
            got += await _get(reader, writer, f"{host}:{port}", queue.pop())
        return got

    wire += sum(await asyncio.gather(*(worker(r, w) for r, w in conns)))
    took = time.perf_counter() - began
    for _r, w in conns:
        w.close()
    return took, wire


async def run(n: int) -> dict[str, object]:
    server = serverproc.start()
    try:
        files = await page_files(server.http)
        start = asyncio.Event()
        addresses = [f"127.0.{1 + i // 250}.{1 + i % 250}" for i in range(n)]
        tasks = [asyncio.create_task(one_phone("127.0.0.1", server.port, files, a, start)) for a in addresses]
        await asyncio.sleep(0.2)
        cpu0 = proc_stats(server.proc.pid)["cpu_s"]
        began = time.perf_counter()
        start.set()
        done = await asyncio.wait_for(asyncio.gather(*tasks), 60)
        wall = time.perf_counter() - began
        cpu = proc_stats(server.proc.pid)["cpu_s"] - cpu0
    finally:
        server.stop()
    times = sorted(t for t, _ in done)
    return {"phones": n, "files": len(files), "all_loaded_s": round(wall, 3),
            "p50_s": round(percentile(times, 50), 3), "p99_s": round(percentile(times, 99), 3),
            "bytes_per_phone": round(sum(b for _, b in done) / n), "server_cpu_s": round(cpu, 3),
            "load_average_1m": os.getloadavg()[0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--phones", type=int, default=200)
    args = ap.parse_args()
    res = asyncio.run(run(max(1, min(args.phones, 2000))))
    for key, value in res.items():
        print(f"{key:>18}: {value}")


if __name__ == "__main__":
    main()
