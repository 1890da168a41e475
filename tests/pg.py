"""PostgreSQL for the tests: is it there, and a fresh schema of its own for each test.

``CASEROOM_TEST_PG_URL`` names the server (default: the local one, trust auth, database
``test``). Without it the PostgreSQL tests skip with the reason, except under ``CI=true``,
where they fail: CI must never pass by skipping them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from urllib.parse import quote

import pytest

PG_URL = os.environ.get("CASEROOM_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _connect(url: str = PG_URL):  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(url, connect_timeout=3, autocommit=True)


@cache
def unreachable() -> str | None:
    """Why PostgreSQL cannot be used (None when it can)."""
    try:
        with _connect() as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        return f"PostgreSQL is not reachable at {PG_URL} ({type(exc).__name__}: {' '.join(str(exc).split())})"
    return None


def require_pg() -> None:
    """Skip the calling test without PostgreSQL, or fail it under CI=true."""
    reason = unreachable()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true, so the PostgreSQL tests must run", pytrace=False)
    pytest.skip(f"{reason}; set CASEROOM_TEST_PG_URL or start PostgreSQL")


def with_search_path(url: str, schema: str) -> str:
    """The URL with libpq ``options`` that put ``schema`` first on the search path."""
    return f"{url}{'&' if '?' in url else '?'}options={quote(f'-csearch_path={schema}')}"


@contextmanager
def fresh_schema() -> Iterator[str]:
    """A new, empty schema; yields a URL whose connections work in it; drops it after."""
    require_pg()
    schema = f"caseroom_test_{uuid.uuid4().hex[:12]}"
    with _connect() as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield with_search_path(PG_URL, schema)
    finally:
        with _connect() as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
