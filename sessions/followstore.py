"""Where follow-up lives: the trainees' status of each plan item, and the date follow-up opens.

Follow-up is not part of a session's event log: it happens weeks after the session ended,
when the log is closed (an ended session takes no events), and one row per plan item
holding its latest status is all the department reads. So it has two small tables of its
own (migration 0004), written through these mixins of ``SqlStore`` and ``MemoryStore``,
and deleted with the session (``delete_session`` calls ``_delete_followup``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Column, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field, Session, SQLModel, select


@dataclass(frozen=True)
class FollowUpEntry:
    player_id: str
    item: int  # the index of the item in the trainee's action plan (sessions.followup.plan_items)
    status: str  # done | doing | dropped
    comment: str
    at: int  # epoch ms


class FollowUpRow(SQLModel, table=True):
    __tablename__ = "followup_entries"
    session_code: str = Field(primary_key=True, max_length=16)
    player_id: str = Field(primary_key=True, max_length=40)
    item: int = Field(primary_key=True)
    status: str = Field(max_length=8)
    comment: str = Field(max_length=200)
    at: int = Field(sa_column=Column(BigInteger, nullable=False))


class FollowUpDateRow(SQLModel, table=True):
    __tablename__ = "followup_dates"
    session_code: str = Field(primary_key=True, max_length=16)
    opens_at: int = Field(sa_column=Column(BigInteger, nullable=False))


class SqlFollowUps:
    """Follow-up methods of ``SqlStore`` (which provides ``engine``, ``_lock`` and ``is_postgresql``)."""

    engine: Any
    _lock: Any
    is_postgresql: bool

    def followup_entries(self, code: str) -> list[FollowUpEntry]:
        with Session(self.engine) as db:
            rows = db.exec(select(FollowUpRow).where(FollowUpRow.session_code == code)
                           .order_by(FollowUpRow.player_id, FollowUpRow.item)).all()  # type: ignore[arg-type]
            return [FollowUpEntry(r.player_id, r.item, r.status, r.comment, r.at) for r in rows]

    def put_followup(self, code: str, entry: FollowUpEntry) -> None:
        """Insert or replace the status of one plan item, in one statement."""
        values = {"session_code": code, "player_id": entry.player_id, "item": entry.item,
                  "status": entry.status, "comment": entry.comment, "at": entry.at}
        if self.is_postgresql:  # (its text cannot hold U+0000; sessions.followup cleans it out anyway)
            values["comment"] = entry.comment.replace("\x00", "\ufffd")
        ins = (pg_insert if self.is_postgresql else sqlite_insert)(FollowUpRow.__table__).values(**values)  # type: ignore[attr-defined]
        stmt = ins.on_conflict_do_update(index_elements=["session_code", "player_id", "item"],
                                         set_={k: ins.excluded[k] for k in ("status", "comment", "at")})
        with self._lock, Session(self.engine) as db:
            db.execute(stmt)
            db.commit()

    def followup_date(self, code: str) -> int | None:
        with Session(self.engine) as db:
            row = db.get(FollowUpDateRow, code)
            return row.opens_at if row else None

    def set_followup_date(self, code: str, opens_at: int | None) -> None:
        """The trainer's date (epoch ms); None returns to the default (30 days after the end)."""
        with self._lock, Session(self.engine) as db:
            db.execute(delete(FollowUpDateRow).where(FollowUpDateRow.session_code == code))  # type: ignore[arg-type]
            if opens_at is not None:
                db.add(FollowUpDateRow(session_code=code, opens_at=opens_at))
            db.commit()

    def _delete_followup(self, db: Session, code: str) -> None:
        db.execute(delete(FollowUpRow).where(FollowUpRow.session_code == code))  # type: ignore[arg-type]
        db.execute(delete(FollowUpDateRow).where(FollowUpDateRow.session_code == code))  # type: ignore[arg-type]


class MemoryFollowUps:
    """The in-memory twin's follow-up methods."""

    followups: dict[str, dict[tuple[str, int], FollowUpEntry]]
    followup_dates: dict[str, int]

    def followup_entries(self, code: str) -> list[FollowUpEntry]:
        return sorted(self.followups.get(code, {}).values(), key=lambda e: (e.player_id, e.item))

    def put_followup(self, code: str, entry: FollowUpEntry) -> None:
        self.followups.setdefault(code, {})[(entry.player_id, entry.item)] = entry

    def followup_date(self, code: str) -> int | None:
        return self.followup_dates.get(code)

    def set_followup_date(self, code: str, opens_at: int | None) -> None:
        if opens_at is None:
            self.followup_dates.pop(code, None)
        else:
            self.followup_dates[code] = opens_at
