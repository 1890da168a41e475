"""One contract for every store: the memory twin and SQLite (PostgreSQL joins later)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sessions.events import Event
from sessions.store import MemoryStore, SessionRecord, SqlStore, Store


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    s: Store = MemoryStore() if request.param == "memory" else SqlStore(f"sqlite:///{tmp_path}/t.db")
    yield s
    s.close()


def rec(code: str, at: int = 1) -> SessionRecord:
    return SessionRecord(code, "标题", "deck", "id: deck", "hash", at)


def test_events_round_trip_in_order(store: Store) -> None:
    store.create_session(rec("111111"), [Event(1, 10, "session_created")])
    store.append("111111", [Event(2, 11, "player_joined", "p1", "c-1", {"name": "张三", "n": [1, 2]}),
                            Event(3, 12, "joining_locked", "host")])
    events = store.load_events("111111")
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[1] == Event(2, 11, "player_joined", "p1", "c-1", {"name": "张三", "n": [1, 2]})
    assert store.load_events("999999") == []


def test_live_and_ended_sessions(store: Store) -> None:
    store.create_session(rec("111111", 1), [])
    store.create_session(rec("222222", 2), [])
    assert store.code_taken("111111") and not store.code_taken("333333")
    store.mark_ended("111111", 99)
    assert store.live_codes() == ["222222"]
    assert [r.code for r in store.list_sessions()] == ["222222", "111111"]
    assert store.get_session("111111").ended_at == 99  # type: ignore[union-attr]


def test_decks_and_settings(store: Store) -> None:
    store.save_deck("d", "v1", 1)
    store.save_deck("d", "v2", 2)
    assert store.load_decks() == [("d", "v2")]
    assert store.get_setting("k") is None
    store.put_setting("k", "v")
    assert store.get_setting("k") == "v"


def test_sqlite_is_in_wal_mode(tmp_path: Path) -> None:
    s = SqlStore(f"sqlite:///{tmp_path}/w.db")
    with s.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    s.close()
