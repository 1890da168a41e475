"""Schema migrations: a fresh database gets exactly the models' schema; a database made by
the old ``create_all`` (no alembic_version) is adopted with its rows; both on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, pool, text
from sqlmodel import SQLModel

from server.cli import main as cli
from sessions import migrate
from sessions.events import Event
from sessions.store import SessionRecord, SqlStore
from tests.pg import fresh_schema

# What caseroom's SQLModel.metadata.create_all made before migrations (SQLite's dump of it).
LEGACY_DDL = [
    """CREATE TABLE sessions (code VARCHAR(16) NOT NULL, title VARCHAR(200) NOT NULL,
       deck_id VARCHAR(64) NOT NULL, deck_source TEXT NOT NULL, host_key_hash VARCHAR(128) NOT NULL,
       created_at INTEGER NOT NULL, ended_at INTEGER, PRIMARY KEY (code))""",
    "CREATE INDEX ix_sessions_ended_at ON sessions (ended_at)",
    """CREATE TABLE events (session_code VARCHAR(16) NOT NULL, seq INTEGER NOT NULL, at INTEGER NOT NULL,
       type VARCHAR(40) NOT NULL, actor VARCHAR(40) NOT NULL, client_id VARCHAR(64), data TEXT NOT NULL,
       PRIMARY KEY (session_code, seq))""",
    "CREATE INDEX ix_events_client ON events (session_code, client_id)",
    """CREATE TABLE decks (id VARCHAR(64) NOT NULL, source TEXT NOT NULL, uploaded_at INTEGER NOT NULL,
       PRIMARY KEY (id))""",
    'CREATE TABLE settings ("key" VARCHAR(64) NOT NULL, value TEXT NOT NULL, PRIMARY KEY ("key"))',
]
LEGACY_ROWS = [
    "INSERT INTO sessions VALUES ('123456', '第一期', 'mini', 'id: mini', 'hash', 1700000000, NULL)",
    "INSERT INTO events VALUES ('123456', 1, 1700000000, 'session_created', 'system', NULL, '{}')",
    """INSERT INTO events VALUES ('123456', 2, 1700000001, 'player_joined', 'p1', 'join-1',
       '{"player_id": "p1", "name": "张三"}')""",
    "INSERT INTO decks VALUES ('mini', 'id: mini', 1700000000)",
    "INSERT INTO settings VALUES ('token_secret', 's3cret')",
]


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/m.db"
    else:
        with fresh_schema() as url:
            yield url


def schema_diff(url: str) -> list[object]:
    engine = create_engine(migrate.sqlalchemy_url(url), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(ctx, SQLModel.metadata))
    finally:
        engine.dispose()


def make_legacy(url: str, *, with_client_index: bool = True) -> None:
    engine = create_engine(migrate.sqlalchemy_url(url), poolclass=pool.NullPool)
    with engine.begin() as conn:
        for stmt in LEGACY_DDL:
            if with_client_index or "ix_events_client" not in stmt:
                conn.execute(text(stmt))
        for stmt in LEGACY_ROWS:
            conn.execute(text(stmt))
    engine.dispose()


def test_a_fresh_database_upgraded_to_head_has_the_models_schema(db_url: str) -> None:
    assert migrate.pending(db_url) == ["0001", "0002", "0003", "0004", "0005"]
    assert migrate.upgrade(db_url) == migrate.head()
    assert migrate.pending(db_url) == []
    assert schema_diff(db_url) == []
    engine = create_engine(migrate.sqlalchemy_url(db_url), poolclass=pool.NullPool)
    insp = inspect(engine)
    assert set(insp.get_table_names()) == {"sessions", "events", "decks", "settings", "media", "courses",
                                           "roster_people", "followup_entries", "followup_dates",
                                           "alembic_version"}
    assert insp.get_pk_constraint("followup_entries")["constrained_columns"] == ["session_code", "player_id", "item"]
    assert insp.get_pk_constraint("events")["constrained_columns"] == ["session_code", "seq"]
    assert insp.get_indexes("events") == []  # (0005 dropped the client index: nothing reads by it)
    assert {ix["name"]: ix["column_names"] for ix in insp.get_indexes("sessions")} == {
        "ix_sessions_ended_at": ["ended_at"], "ix_sessions_course_id": ["course_id"]}
    engine.dispose()
    assert migrate.upgrade(db_url) == migrate.head()  # again: nothing to do


def test_a_store_opens_on_an_empty_database_at_head(db_url: str) -> None:
    store = SqlStore(db_url)
    with store.engine.connect() as conn:
        assert migrate.current(conn) == (migrate.head(),)
    assert store.check() == "ok"
    store.close()


@pytest.mark.parametrize("with_client_index", [True, False])
def test_an_old_create_all_database_is_adopted_with_its_rows(db_url: str, with_client_index: bool) -> None:
    make_legacy(db_url, with_client_index=with_client_index)
    store = SqlStore(db_url)
    with store.engine.connect() as conn:
        assert migrate.current(conn) == (migrate.head(),)
        indexes = {ix["name"] for ix in inspect(conn).get_indexes("events")}
    assert "ix_events_client" not in indexes  # 0001 adds it where missing, 0005 drops it
    if store.is_postgresql:  # its 32-bit INTEGER times were widened (SQLite stores both alike)
        assert schema_diff(db_url) == []
    rec = store.get_session("123456")
    assert rec is not None and rec.title == "第一期" and rec.created_at == 1700000000
    events = store.load_events("123456")
    assert [e.type for e in events] == ["session_created", "player_joined"]
    assert events[1].data == {"player_id": "p1", "name": "张三"} and events[1].client_id == "join-1"
    assert store.load_decks() == [("mini", "id: mini")]
    assert store.get_setting("token_secret") == "s3cret"
    store.append("123456", [Event(3, 1_730_000_000_000, "joining_locked", "host")])  # and it goes on
    store.create_session(SessionRecord("654321", "新", "mini", "id: mini", "h", 1_730_000_000_000), [])
    store.close()
    reopened = SqlStore(db_url)
    assert len(reopened.load_events("123456")) == 3
    assert [r.code for r in reopened.list_sessions()] == ["654321", "123456"]
    reopened.close()


def test_an_old_sqlite_file_made_by_sqlite3_itself_is_adopted(tmp_path: Path) -> None:
    """The file as an existing user has it: written by another connection, in WAL mode."""
    path = tmp_path / "caseroom.db"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        for stmt in LEGACY_DDL + LEGACY_ROWS:
            db.execute(stmt)
    store = SqlStore(f"sqlite:///{path}")
    assert store.count_events("123456", "player_joined") == 1
    assert store.check() == "ok"
    store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [(migrate.head(),)]


def test_caseroom_db_upgrade(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("CASEROOM_DATABASE_URL", raising=False)
    data = tmp_path / "data"
    assert cli(["db", "upgrade", "--data", str(data)]) == 0
    assert migrate.head() in capsys.readouterr().out
    assert migrate.pending(f"sqlite:///{data / 'caseroom.db'}") == []


def test_caseroom_db_upgrade_on_postgresql(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with fresh_schema() as url:
        monkeypatch.setenv("CASEROOM_DATABASE_URL", url)
        assert migrate.pending(url) == ["0001", "0002", "0003", "0004", "0005"]
        assert cli(["db", "upgrade", "--data", str(tmp_path / "unused")]) == 0
        assert migrate.pending(url) == []
        assert not (tmp_path / "unused").exists()
