"""Courses and their rosters; a session may be one day of a course.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

A course ("2026年12月 城东片区 第7期") groups the sessions of its days; its roster is the class
list the trainer loaded, one row per person with a course-scoped ``person_id`` that every
session of the course carries in its ``player_joined`` events, so one trainee is the same
person on day 1 and day 2. ``follow_up_on`` is the date the action plans come back (17b).
Both session columns are nullable: a session without a course works as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    tables = set(sa.inspect(op.get_bind()).get_table_names())
    if "courses" not in tables:
        op.create_table(
            "courses",
            sa.Column("id", sa.String(32), nullable=False),
            sa.Column("title", sa.String(200), nullable=False),
            sa.Column("created_at", sa.BigInteger(), nullable=False),
            sa.Column("follow_up_on", sa.String(10), nullable=True),
            sa.PrimaryKeyConstraint("id"),
        )
    if "roster_people" not in tables:
        op.create_table(
            "roster_people",
            sa.Column("course_id", sa.String(32), nullable=False),
            sa.Column("person_id", sa.String(16), nullable=False),
            sa.Column("position", sa.Integer(), nullable=False),
            sa.Column("name", sa.String(100), nullable=False),
            sa.Column("staff_no", sa.String(40), nullable=False),
            sa.Column("unit", sa.String(100), nullable=False),
            sa.Column("group", sa.String(60), nullable=False),
            sa.Column("check_hash", sa.String(64), nullable=True),
            sa.PrimaryKeyConstraint("course_id", "person_id"),
        )
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("sessions")}
    with op.batch_alter_table("sessions") as batch:
        if "course_id" not in columns:
            batch.add_column(sa.Column("course_id", sa.String(32), nullable=True))
        if "course_day" not in columns:
            batch.add_column(sa.Column("course_day", sa.Integer(), nullable=True))
    op.create_index("ix_sessions_course_id", "sessions", ["course_id"])


def downgrade() -> None:
    op.drop_index("ix_sessions_course_id", "sessions")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("course_day")
        batch.drop_column("course_id")
    op.drop_table("roster_people")
    op.drop_table("courses")
