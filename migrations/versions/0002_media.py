"""Media files of deck bundles, by the SHA-256 of their bytes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

A deck's images and clips live in the store, not in a process's data folder, so they
survive restarts and every process of a cluster serves them. A file is its hash: two decks
holding the same picture store it once, and a row is never rewritten.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "media" in set(sa.inspect(op.get_bind()).get_table_names()):
        return
    op.create_table(
        "media",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("stored_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )


def downgrade() -> None:
    op.drop_table("media")
