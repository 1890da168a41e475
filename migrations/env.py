"""Alembic's environment for caseroom: the models' metadata, and the connection handed in by
``sessions.migrate`` (or, for Alembic's own command line, ``sqlalchemy.url``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import sessions.store  # noqa: F401  (defines the tables on SQLModel.metadata)
from sessions.migrate import sqlalchemy_url

config = context.config
target_metadata = SQLModel.metadata


def run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=sqlalchemy_url(config.get_main_option("sqlalchemy.url") or ""),
                      target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif (given := config.attributes.get("connection")) is not None:
    run(given)
else:
    engine = create_engine(sqlalchemy_url(config.get_main_option("sqlalchemy.url") or ""),
                           poolclass=pool.NullPool)
    try:
        with engine.begin() as conn:
            run(conn)
    finally:
        engine.dispose()
