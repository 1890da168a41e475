"""F11: the data directory is the owner's alone (0700, files 0600), whoever created it and how.

The database holds the key that signs resume tokens, so a world-readable caseroom.db lets any local
user act as any trainee. The review found it 0644 after the documented `caseroom db upgrade`, a
pre-existing 0755 directory left as it was by `serve` with CASEROOM_ADMIN_TOKEN set, and exports
written 0644. Every step here is a real `caseroom` process started under umask 022.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT, start_server


@pytest.fixture
def loose_umask() -> Iterator[None]:
    old = os.umask(0o022)  # children inherit it: what a shell or an admin's script usually has
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def modes(data: Path) -> dict[str, int]:
    return {".": mode(data), **{p.name: mode(p) for p in sorted(data.iterdir()) if p.is_file()}}


def caseroom(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CASEROOM_DATABASE_URL"}
    out = subprocess.run([sys.executable, "-m", "server.cli", *args], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out


def owner_only(data: Path) -> None:
    found = modes(data)
    assert "caseroom.db" in found, found
    assert found == {name: (0o700 if name == "." else 0o600) for name in found}, {k: oct(v) for k, v in found.items()}


def test_db_upgrade_then_serve_with_a_configured_token_keep_the_data_dir_private(tmp_path: Path,
                                                                                 loose_umask: None) -> None:
    data = tmp_path / "data"
    caseroom("db", "upgrade", "--data", str(data))
    owner_only(data)
    os.chmod(data, 0o755)  # as an older caseroom or an administrator's mkdir left it
    os.chmod(data / "caseroom.db", 0o644)
    server = start_server(data)  # CASEROOM_ADMIN_TOKEN is set: no token file is generated
    try:
        with server.admin() as api:
            assert api.post("/api/decks", content=(FIXTURES / "mini.yaml").read_bytes()).status_code == 201
            code = api.post("/api/sessions", json={"deck": "mini"}).json()["code"]
        owner_only(data)  # also the -wal and -shm files SQLite made meanwhile
    finally:
        server.stop()
    owner_only(data)

    out = tmp_path / "record.json"
    out.write_text("old")
    os.chmod(out, 0o644)  # an older export of the same name
    caseroom("export", code, "--data", str(data), "-o", str(out))
    assert mode(out) == 0o600 and out.read_text().startswith("{")
    fresh = tmp_path / "record.html"
    caseroom("export", code, "--format", "html", "--data", str(data), "-o", str(fresh))
    assert mode(fresh) == 0o600
    owner_only(data)


def test_a_pre_existing_open_data_dir_is_closed_by_serve(tmp_path: Path, loose_umask: None) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    server = start_server(data)
    try:
        owner_only(data)
    finally:
        server.stop()
