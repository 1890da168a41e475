"""Shared fixtures: the test deck, a fake clock, and a real caseroom server on a free port."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.serverproc import Server, launch

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).parent.parent
ADMIN = "test-admin-token-0123456789"


@pytest.fixture
def mini_source() -> str:
    return (FIXTURES / "mini.yaml").read_text(encoding="utf-8")


RunningServer = Server  # the bench and the tests start servers the same way (bench/serverproc.py)


def start_server(data: Path, port: int | None = None, env: dict[str, str] | None = None,
                 module: str = "server.cli") -> RunningServer:
    """A real ``caseroom serve`` process; ``env`` adds settings (the default mode uses neither
    CASEROOM_DATABASE_URL nor any other service)."""
    base = {k: v for k, v in os.environ.items() if k != "CASEROOM_DATABASE_URL"}
    return launch(data, port, env, admin=ADMIN, base_env=base, wait=60, module=module)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    srv = start_server(tmp_path / "data")
    yield srv
    srv.stop()
