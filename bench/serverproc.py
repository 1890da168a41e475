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
    log: Path
    admin_token: str = ADMIN

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def admin(self) -> httpx.Client:
        return httpx.Client(base_url=self.http, headers={"Authorization": f"Bearer {self.admin_token}"},
                            timeout=30)

    def stop(self, kill: bool = False) -> None:
        if self.proc.poll() is None:
            (self.proc.kill if kill else self.proc.terminate)()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:  # a graceful stop that hangs is still a stop
                self.proc.kill()
                self.proc.wait(timeout=10)


class ServerFailed(RuntimeError):
    """The server process exited or never answered /healthz; the message holds its log."""


def launch(data: Path, port: int | None = None, env: dict[str, str] | None = None, *,
           admin: str = ADMIN, base_env: dict[str, str] | None = None, wait: float = 30.0,
           module: str = "server.cli") -> Server:
    """A real ``caseroom serve`` process on loopback, once it answers /healthz.

    ``base_env`` (default: this process's environment) plus ``env`` is what the child sees;
    its output goes to ``server-<port>.log`` beside the data directory. ``module`` is what runs
    (``tests.faultserve`` plants faults first, for the fault-injection tests).
    """
    port = port or free_port()
    log = data.parent / f"server-{port}.log"
    child_env = {**(os.environ if base_env is None else base_env), "CASEROOM_ADMIN_TOKEN": admin,
                 "PYTHONUNBUFFERED": "1", **(env or {})}
    data.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen([sys.executable, "-m", module, "serve", "--host", "127.0.0.1", "--port",
                                 str(port), "--data", str(data), "--public-url", f"http://127.0.0.1:{port}",
                                 "--quiet"], cwd=ROOT, env=child_env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(port, data, proc, log, admin)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerFailed(f"the server exited: {log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{server.http}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.stop(kill=True)
    raise ServerFailed(f"the server did not start: {log.read_text(errors='replace')}")


def start(data: Path | None = None, port: int | None = None, extra_env: dict[str, str] | None = None) -> Server:
    """A server for the bench: every bench phone comes from 127.0.0.1, so the per-address join
    limit is lifted, as for a company event behind one NAT address (docs/security.md)."""
    data = data or Path(tempfile.mkdtemp(prefix="caseroom-bench-")) / "data"
    try:
        return launch(data, port, {"CASEROOM_JOIN_BURST": "100000", "CASEROOM_JOIN_RATE": "10000",
                                   **(extra_env or {})})
    except ServerFailed as exc:
        raise SystemExit(str(exc)[-4000:]) from None


def session(server: Server, deck_yaml: bytes, deck_id: str) -> tuple[str, str]:
    with server.admin() as api:
        r = api.post("/api/decks", content=deck_yaml)
        if r.status_code not in (201, 409):
            raise SystemExit(f"deck upload failed: {r.text}")
        s = api.post("/api/sessions", json={"deck": deck_id}).json()
    return s["code"], s["host_key"]
