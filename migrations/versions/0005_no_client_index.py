"""Drop ``ix_events_client``: nothing reads events by client id, and each commit paid for it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

The core keeps the client ids it has seen in memory (``SessionState``), rebuilt from the
log when a session is loaded, so no query ever looked events up by ``client_id``. The index
was one B-tree more in every append: on SQLite one more page in the WAL per commit, about
15 % of a small commit's CPU (bench/README.md). The column stays.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "ix_events_client" in {ix["name"] for ix in sa.inspect(op.get_bind()).get_indexes("events")}:
        op.drop_index("ix_events_client", table_name="events")


def downgrade() -> None:
    op.create_index("ix_events_client", "events", ["session_code", "client_id"])
