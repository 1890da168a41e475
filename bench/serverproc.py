"""Start and stop a caseroom server process for the bench and chaos tools (loopback only)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
ADMIN = "bench-admin-token-" + os.urandom(6).hex()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    port: int
    data: Path
    proc: subprocess.Popen[bytes]

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.http, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=30)

    def stop(self, kill: bool = False) -> None:
        if self.proc.poll() is None:
            (self.proc.kill if kill else self.proc.terminate)()
            self.proc.wait(timeout=20)


def start(data: Path | None = None, port: int | None = None, extra_env: dict[str, str] | None = None) -> Server:
    data = data or Path(tempfile.mkdtemp(prefix="caseroom-bench-")) / "data"
    port = port or free_port()
    # Every bench phone comes from 127.0.0.1: lift the per-address join limit, as a company
    # event behind one NAT address would (docs/security.md).
    env = {**os.environ, "CASEROOM_ADMIN_TOKEN": ADMIN, "CASEROOM_JOIN_BURST": "100000",
           "CASEROOM_JOIN_RATE": "10000", **(extra_env or {})}
    log = open(data.parent / f"server-{port}.log", "ab")  # noqa: SIM115 - the child owns it
    proc = subprocess.Popen([sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1", "--port",
                             str(port), "--data", str(data), "--public-url", f"http://127.0.0.1:{port}", "--quiet"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    server = Server(port, data, proc)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited; see {data.parent}/server-{port}.log")
        try:
            if httpx.get(f"{server.http}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.stop(kill=True)
    raise SystemExit("the server did not start")


def session(server: Server, deck_yaml: bytes, deck_id: str) -> tuple[str, str]:
    with server.api() as api:
        r = api.post("/api/decks", content=deck_yaml)
        if r.status_code not in (201, 409):
            raise SystemExit(f"deck upload failed: {r.text}")
        s = api.post("/api/sessions", json={"deck": deck_id}).json()
    return s["code"], s["host_key"]
