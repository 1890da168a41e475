"""Follow-up of action plans: each trainee's status of each plan item, and when follow-up opens.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

``followup_entries`` holds one row per (session, player, plan item): the latest status
(done | doing | dropped), a comment of at most 200 characters and when it was set. It is
keyed by the session code and deleted with the session (``Store.delete_session``).
``followup_dates`` holds the date the trainer set for a session's follow-up; without a
row, follow-up opens 30 days after the session ended.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "followup_entries" not in existing:
        op.create_table(
            "followup_entries",
            sa.Column("session_code", sa.String(16), nullable=False),
            sa.Column("player_id", sa.String(40), nullable=False),
            sa.Column("item", sa.Integer(), nullable=False),
            sa.Column("status", sa.String(8), nullable=False),
            sa.Column("comment", sa.String(200), nullable=False),
            sa.Column("at", sa.BigInteger(), nullable=False),
            sa.PrimaryKeyConstraint("session_code", "player_id", "item"),
        )
    if "followup_dates" not in existing:
        op.create_table(
            "followup_dates",
            sa.Column("session_code", sa.String(16), nullable=False),
            sa.Column("opens_at", sa.BigInteger(), nullable=False),
            sa.PrimaryKeyConstraint("session_code"),
        )


def downgrade() -> None:
    op.drop_table("followup_dates")
    op.drop_table("followup_entries")
