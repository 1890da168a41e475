"""docs/deploy/nginx.conf, rendered with real ports, in front of two caseroom processes (PostgreSQL +
Redis): phones join and vote through nginx with no stickiness, and rate limits see their addresses."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from bench.phones import Phone
from bench.serverproc import free_port
from tests.conftest import ADMIN, ROOT, RunningServer, start_server
from tests.pg import fresh_schema
from tests.test_hub import REDIS_URL, need_redis
from tests.wsclient import host

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def need_nginx() -> None:
    if not Path(NGINX).exists():
        reason = "nginx is not installed (apt-get install nginx-light)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + "; CI=true, so the deployment test must run")
        pytest.skip(reason)


def test_a_session_through_nginx_over_two_processes(tmp_path: Path) -> None:
    need_nginx()
    need_redis()
    with fresh_schema() as url:
        env = {"CASEROOM_DATABASE_URL": url, "CASEROOM_REDIS_URL": REDIS_URL,
               "CASEROOM_TRUSTED_PROXIES": "127.0.0.1"}
        servers: list[RunningServer] = [start_server(tmp_path / f"d{i}", env=env) for i in range(2)]
        port = free_port()
        prefix = tmp_path / "nginx"
        (prefix / "tmp").mkdir(parents=True)
        conf = (ROOT / "docs" / "deploy" / "nginx.conf").read_text()
        conf = (conf.replace("{{prefix}}", str(prefix)).replace("{{listen}}", f"127.0.0.1:{port}")
                .replace("{{upstreams}}", "\n        ".join(f"server 127.0.0.1:{s.port};" for s in servers)))
        (prefix / "nginx.conf").write_text(conf)
        proc = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 10
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "nginx did not come up"
                time.sleep(0.1)
            with servers[0].admin() as api:
                api.post("/api/decks", content=(ROOT / "tests" / "fixtures" / "mini.yaml").read_bytes())
            admin = {"Authorization": f"Bearer {ADMIN}"}
            s = httpx.post(f"{base}/api/sessions", json={"deck": "mini"}, headers=admin).json()
            code, key = s["code"], s["host_key"]
            ws = f"ws://127.0.0.1:{port}/ws"

            async def scenario() -> None:
                console = await host(ws, code, key, "console")
                phones = [Phone(ws, code, f"学员{i}") for i in range(12)]
                await asyncio.gather(*(p.connect() for p in phones))
                await console.request({"type": "command", "name": "start", "args": {"activity": "card-a"}})
                for p in phones:
                    await p.wait_view(lambda v: v["activity"] is not None)
                await asyncio.gather(*(p.submit("card-a", {"choice": "b"}) for p in phones))
                await asyncio.gather(*(p.wait_acked(15) for p in phones))
                view = await console.view_until(lambda v: bool(v["activity"]) and v["activity"]["submitted"] == 12)
                assert view["activity"]["tally"]["b"] == 12
                for p in phones:
                    await p.close()
                await console.close()

            asyncio.run(scenario())
            # Round robin over two processes with no stickiness: phones and the console landed on
            # either, and every answer reached the console wherever the owner was.
            page = httpx.get(f"{base}/j/{code}")
            assert page.status_code == 200 and "script-src 'self'" in page.headers["content-security-policy"]
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            for srv in servers:
                srv.stop()
