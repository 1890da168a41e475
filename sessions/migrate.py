"""Schema migrations: Alembic, configured in code (no alembic.ini, no dependence on the cwd).

The revisions live in the ``migrations`` package shipped with caseroom. ``upgrade`` brings
a database (SQLite or PostgreSQL) to the newest revision; every store runs it when it opens,
and ``caseroom db upgrade`` runs it on its own (before starting several processes, say).

A database made by caseroom before migrations existed (tables from ``create_all``, no
``alembic_version``) is adopted: the initial revision creates only what is missing, so the
existing tables and their rows stay as they are and the database is then marked as being at
that revision. On PostgreSQL an advisory lock makes processes that start together take turns.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, pool
from sqlalchemy.engine import Connection, Engine

import migrations

log = logging.getLogger("caseroom.migrate")

MIGRATIONS_DIR = Path(migrations.__file__).resolve().parent
# The tables of the schema before migrations: their presence without alembic_version means "adopt".
LEGACY_TABLES = frozenset({"sessions", "events", "decks", "settings"})
# pg_advisory_xact_lock key: ASCII "caseroom" as a signed 64-bit number.
PG_LOCK_KEY = 0x63617365726F6F6D


def sqlalchemy_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 (SQLAlchemy would otherwise pick psycopg2)."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration for caseroom's migrations, without any ini file."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    cfg.set_main_option("path_separator", "os")
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", sqlalchemy_url(url).replace("%", "%%"))
    return cfg


@cache
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    """The newest revision."""
    heads = _script().get_heads()
    assert len(heads) == 1, f"the migrations have {len(heads)} heads: {heads}"
    return heads[0]


def current(conn: Connection) -> tuple[str, ...]:
    """The revisions the database is marked at (empty: never migrated)."""
    return tuple(MigrationContext.configure(conn).get_current_heads())


def pending(target: Engine | str) -> list[str]:
    """Revisions not yet applied to the database, oldest first."""
    engine, own = _engine(target)
    try:
        with engine.connect() as conn:
            at = current(conn)
    finally:
        if own:
            engine.dispose()
    script = _script()
    done: set[str] = set()
    for rev in at:
        done.update(r.revision for r in script.iterate_revisions(rev, "base"))
    return [r.revision for r in reversed(list(script.walk_revisions())) if r.revision not in done]


def upgrade(target: Engine | str) -> str:
    """Bring the database to the newest revision (adopting a pre-migration one); returns it."""
    engine, own = _engine(target)
    _quiet_alembic()
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_LOCK_KEY})")
            at = current(conn)
            newest = head()
            if at == (newest,):
                return newest
            if not at:
                legacy = LEGACY_TABLES & set(inspect(conn).get_table_names())
                if legacy:
                    log.info("adopting a database made before migrations (tables %s)", ", ".join(sorted(legacy)))
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            log.info("database schema upgraded from %s to %s", ", ".join(at) or "nothing", newest)
            return newest
    finally:
        if own:
            engine.dispose()


def _engine(target: Engine | str) -> tuple[Engine, bool]:
    if isinstance(target, Engine):
        return target, False
    return create_engine(sqlalchemy_url(target), poolclass=pool.NullPool), True


def _quiet_alembic() -> None:
    """Alembic logs its context at INFO on every run; the server says what matters itself."""
    logger = logging.getLogger("alembic")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.WARNING)
