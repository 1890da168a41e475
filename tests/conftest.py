"""Shared fixtures: the test deck, a fake clock, and a real caseroom server on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).parent.parent
ADMIN = "test-admin-token-0123456789"


@pytest.fixture
def mini_source() -> str:
    return (FIXTURES / "mini.yaml").read_text(encoding="utf-8")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RunningServer:
    port: int
    data: Path
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def admin(self) -> httpx.Client:
        return httpx.Client(base_url=self.http, headers={"Authorization": f"Bearer {ADMIN}"},
                            timeout=10)

    def stop(self, kill: bool = False) -> None:
        if self.proc.poll() is None:
            if kill:
                self.proc.kill()
            else:
                self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:  # a graceful stop that hangs is still a stop
                self.proc.kill()
                self.proc.wait(timeout=10)


def start_server(data: Path, port: int | None = None, env: dict[str, str] | None = None) -> RunningServer:
    """A real ``caseroom serve`` process; ``env`` adds settings (the default mode uses neither
    CASEROOM_DATABASE_URL nor any other service)."""
    port = port or free_port()
    log = data.parent / f"server-{port}.log"
    extra = env or {}
    env = {**os.environ, "CASEROOM_ADMIN_TOKEN": ADMIN, "PYTHONUNBUFFERED": "1"}
    env.pop("CASEROOM_DATABASE_URL", None)
    env.update(extra)
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
             "--data", str(data), "--public-url", f"http://127.0.0.1:{port}", "--quiet"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    server = RunningServer(port, data, proc, log)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()}")
        try:
            if httpx.get(f"{server.http}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.stop(kill=True)
    raise RuntimeError(f"server did not start: {log.read_text()}")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    srv = start_server(tmp_path / "data")
    yield srv
    srv.stop()
