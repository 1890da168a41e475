"""The initial schema: sessions, their event log, uploaded decks and settings.

Revision ID: 0001
Revises:
Create Date: 2026-11-01

It creates only what is missing, so that a database made by caseroom before migrations
(``create_all``, no ``alembic_version``) is adopted with its rows as they are, and gains any
index it lacked. Times are epoch milliseconds: BIGINT. SQLite stores INTEGER and BIGINT
alike, so an adopted SQLite file keeps its column types; on PostgreSQL, whose INTEGER is
32 bits, adopted time columns are widened to BIGINT.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _tables() -> dict[str, list[sa.SchemaItem]]:
    return {
        "sessions": [
            sa.Column("code", sa.String(16), nullable=False),
            sa.Column("title", sa.String(200), nullable=False),
            sa.Column("deck_id", sa.String(64), nullable=False),
            sa.Column("deck_source", sa.Text(), nullable=False),
            sa.Column("host_key_hash", sa.String(128), nullable=False),
            sa.Column("created_at", sa.BigInteger(), nullable=False),
            sa.Column("ended_at", sa.BigInteger(), nullable=True),
            sa.PrimaryKeyConstraint("code"),
        ],
        "events": [
            sa.Column("session_code", sa.String(16), nullable=False),
            sa.Column("seq", sa.Integer(), nullable=False),
            sa.Column("at", sa.BigInteger(), nullable=False),
            sa.Column("type", sa.String(40), nullable=False),
            sa.Column("actor", sa.String(40), nullable=False),
            sa.Column("client_id", sa.String(64), nullable=True),
            sa.Column("data", sa.Text(), nullable=False),
            sa.PrimaryKeyConstraint("session_code", "seq"),
        ],
        "decks": [
            sa.Column("id", sa.String(64), nullable=False),
            sa.Column("source", sa.Text(), nullable=False),
            sa.Column("uploaded_at", sa.BigInteger(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        ],
        "settings": [
            sa.Column("key", sa.String(64), nullable=False),
            sa.Column("value", sa.Text(), nullable=False),
            sa.PrimaryKeyConstraint("key"),
        ],
    }


TIMES = [("sessions", "created_at"), ("sessions", "ended_at"), ("events", "at"), ("decks", "uploaded_at")]

INDEXES = [
    ("ix_sessions_ended_at", "sessions", ["ended_at"]),
    ("ix_events_client", "events", ["session_code", "client_id"]),
]


def upgrade() -> None:
    have = set(sa.inspect(op.get_bind()).get_table_names())
    for name, items in _tables().items():
        if name not in have:
            op.create_table(name, *items)
    insp = sa.inspect(op.get_bind())  # afresh: it caches what it read
    if op.get_bind().dialect.name == "postgresql":
        for table, column in TIMES:
            if table in have:
                kind = next(c["type"] for c in insp.get_columns(table) if c["name"] == column)
                if not isinstance(kind, sa.BigInteger):
                    op.alter_column(table, column, type_=sa.BigInteger(), existing_type=kind)
    for name, table, columns in INDEXES:
        if name not in {ix["name"] for ix in insp.get_indexes(table)}:
            op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    for name in reversed(list(_tables())):
        op.drop_table(name)
