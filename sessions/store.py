"""Where the log lives: the store interface, its SQLModel implementation and a memory twin.

The store is the only place events are durable. ``append`` returns only once
the events are committed, and the runtime acknowledges a command only after
``append`` returned: that is the whole "no acknowledged answer is lost" rule.

SQLite (the default) runs in WAL mode with ``synchronous=NORMAL``: a commit is
in the WAL before ``append`` returns, so a killed process loses nothing it
acknowledged (only a power cut could lose the last commits; ``--sync full``
trades speed for that too). PostgreSQL (psycopg 3) works through the same models
by URL: ``CASEROOM_DATABASE_URL=postgresql://user@host/db``.

The schema is Alembic's (``migrations/``): opening a store brings its database
to the newest revision, and adopts a database made by older versions (see
``sessions.migrate``).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from typing import Any, Protocol

import orjson
from sqlalchemy import BigInteger, Column, LargeBinary, Text, delete, event, func, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, create_engine, select

from sessions import migrate
from sessions.events import Event
from sessions.followstore import FollowUpEntry, MemoryFollowUps, SqlFollowUps
from sessions.roster import RosterPerson

log = logging.getLogger("caseroom.store")


@dataclass(frozen=True)
class SessionRecord:
    code: str
    title: str
    deck_id: str
    deck_source: str
    host_key_hash: str
    created_at: int
    ended_at: int | None = None
    course_id: str | None = None  # the course this session is one day of (None: a session on its own)
    course_day: int | None = None


@dataclass(frozen=True)
class CourseRecord:
    id: str
    title: str
    created_at: int
    follow_up_on: str | None = None  # ISO date the action plans come back (issue 17b)


class Store(Protocol):
    def create_session(self, record: SessionRecord, events: list[Event]) -> None: ...
    def append(self, code: str, events: list[Event]) -> None: ...
    def append_batch(self, writes: dict[str, list[Event]], ended: dict[str, int]) -> None: ...
    inline_writes: bool  # a small batch may be written on the event loop (no fsync per commit)
    def checkpoint(self) -> None: ...
    def mark_ended(self, code: str, at: int) -> None: ...
    def get_session(self, code: str) -> SessionRecord | None: ...
    def session_key(self, code: str) -> tuple[str, int | None] | None:
        """(host key hash, ended_at) of a session: one small read, what authorising needs."""
        ...
    def list_sessions(self) -> list[SessionRecord]: ...
    def live_codes(self) -> list[str]: ...
    def code_taken(self, code: str) -> bool: ...
    def load_events(self, code: str) -> list[Event]: ...
    def save_deck(self, deck_id: str, source: str, at: int) -> None: ...
    def load_decks(self) -> list[tuple[str, str]]: ...
    def save_media(self, files: dict[str, tuple[str, bytes]], at: int) -> None:
        """Store media files by SHA-256 (sha -> (MIME type, bytes)); a file already there is kept."""
        ...
    def load_media(self, sha256: str) -> tuple[str, bytes] | None: ...
    def get_setting(self, key: str) -> str | None: ...
    def put_setting(self, key: str, value: str) -> None: ...
    def setting_default(self, key: str, value: str) -> str:
        """The stored value, storing ``value`` first if there is none (first writer wins)."""
        ...
    def count_events(self, code: str, type_: str) -> int: ...
    def followup_entries(self, code: str) -> list[FollowUpEntry]: ...
    def put_followup(self, code: str, entry: FollowUpEntry) -> None: ...
    def followup_date(self, code: str) -> int | None: ...
    def set_followup_date(self, code: str, opens_at: int | None) -> None: ...
    def delete_session(self, code: str) -> bool: ...
    # -- courses and rosters (docs/courses.md) --
    def create_course(self, course: CourseRecord) -> None: ...
    def get_course(self, course_id: str) -> CourseRecord | None: ...
    def list_courses(self) -> list[CourseRecord]: ...
    def set_follow_up(self, course_id: str, on: str | None) -> None: ...
    def replace_roster(self, course_id: str, people: list[RosterPerson]) -> None:
        """The course's roster becomes ``people`` (in their order), in one transaction."""
        ...
    def load_roster(self, course_id: str) -> list[RosterPerson]: ...
    def course_sessions(self, course_id: str) -> list[SessionRecord]:
        """The sessions of a course, oldest first."""
        ...
    def rewrite_events(self, code: str, changes: dict[int, dict[str, Any]]) -> None:
        """Replace the data of some events (seq -> new data): only erasing a person does this."""
        ...
    def delete_person(self, course_id: str, person_id: str) -> bool: ...
    def delete_course(self, course_id: str) -> bool:
        """The course, its roster and every one of its sessions (their whole logs)."""
        ...
    def close(self) -> None: ...


class SessionRow(SQLModel, table=True):
    __tablename__ = "sessions"
    code: str = Field(primary_key=True, max_length=16)
    title: str = Field(max_length=200)
    deck_id: str = Field(max_length=64)
    deck_source: str = Field(sa_column=Column(Text, nullable=False))
    host_key_hash: str = Field(max_length=128)
    # Epoch milliseconds: BIGINT, as PostgreSQL's INTEGER is 32 bits (SQLite stores both alike).
    created_at: int = Field(sa_column=Column(BigInteger, nullable=False))
    ended_at: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True, index=True))
    course_id: str | None = Field(default=None, max_length=32, nullable=True, index=True)
    course_day: int | None = Field(default=None, nullable=True)


class CourseRow(SQLModel, table=True):
    __tablename__ = "courses"
    id: str = Field(primary_key=True, max_length=32)
    title: str = Field(max_length=200)
    created_at: int = Field(sa_column=Column(BigInteger, nullable=False))
    follow_up_on: str | None = Field(default=None, max_length=10, nullable=True)


class RosterRow(SQLModel, table=True):
    """One person of a course's roster; ``person_id`` is what the course's sessions know them by."""

    __tablename__ = "roster_people"
    course_id: str = Field(primary_key=True, max_length=32)
    person_id: str = Field(primary_key=True, max_length=16)
    position: int
    name: str = Field(max_length=100)
    staff_no: str = Field(max_length=40)
    unit: str = Field(max_length=100)
    group: str = Field(max_length=60)
    check_hash: str | None = Field(default=None, max_length=64, nullable=True)


class EventRow(SQLModel, table=True):
    __tablename__ = "events"
    session_code: str = Field(primary_key=True, max_length=16)
    seq: int = Field(primary_key=True)
    at: int = Field(sa_column=Column(BigInteger, nullable=False))
    type: str = Field(max_length=40)
    actor: str = Field(max_length=40)
    client_id: str | None = Field(default=None, max_length=64)
    data: str = Field(sa_column=Column(Text, nullable=False))


class DeckRow(SQLModel, table=True):
    __tablename__ = "decks"
    id: str = Field(primary_key=True, max_length=64)
    source: str = Field(sa_column=Column(Text, nullable=False))
    uploaded_at: int = Field(sa_column=Column(BigInteger, nullable=False))


class MediaRow(SQLModel, table=True):
    """A media file of a deck bundle, known by the SHA-256 of its bytes (never rewritten)."""

    __tablename__ = "media"
    sha256: str = Field(primary_key=True, max_length=64)
    type: str = Field(max_length=40)
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    stored_at: int = Field(sa_column=Column(BigInteger, nullable=False))


class SettingRow(SQLModel, table=True):
    __tablename__ = "settings"
    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(sa_column=Column(Text, nullable=False))


_SESSIONS = SessionRow.__table__  # type: ignore[attr-defined]


def _event_row(code: str, ev: Event) -> tuple[Any, ...]:
    """An event as the driver's parameters, in ``_INSERT_EVENT``'s column order."""
    return code, ev.seq, ev.at, ev.type, ev.actor, ev.client_id, orjson.dumps(ev.data).decode()


_EVENT_COLUMNS = "session_code, seq, at, type, actor, client_id, data"


def _no_nul(value: Any) -> Any:
    """PostgreSQL text cannot hold U+0000 (SQLite can): it becomes U+FFFD there, so that one odd
    string a client sent (a message id, a title) cannot fail a whole batch of other people's events.
    (Event data is JSON, where it is escaped, and needs nothing.)"""
    return value.replace("\x00", "\ufffd") if isinstance(value, str) and "\x00" in value else value


def _record(row: SessionRow) -> SessionRecord:
    return SessionRecord(row.code, row.title, row.deck_id, row.deck_source, row.host_key_hash,
                         row.created_at, row.ended_at, row.course_id, row.course_day)


def _course(row: CourseRow) -> CourseRecord:
    return CourseRecord(row.id, row.title, row.created_at, row.follow_up_on)


def _person(row: RosterRow) -> RosterPerson:
    return RosterPerson(row.person_id, row.name, row.staff_no, row.unit, row.group, row.check_hash)


class SqlStore(SqlFollowUps):
    """The store over SQLModel: SQLite by default, PostgreSQL by URL.

    Safe to share between threads (the committer's worker thread writes while the event
    loop reads): every call takes its own connection from the engine's pool, and writes
    are serialised by one lock, which also keeps each session's events in ``seq`` order.
    """

    def __init__(self, url: str, *, sync: str = "normal") -> None:
        url = migrate.sqlalchemy_url(url)
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.is_postgresql = url.startswith("postgresql")
        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False}
        elif self.is_postgresql:
            # A few connections suffice: one writer at a time (the lock) plus the readers of
            # the event loop and of exports. pre_ping replaces connections a database restart cut.
            kwargs.update(pool_size=5, max_overflow=10, pool_timeout=30, pool_pre_ping=True,
                          pool_recycle=3600)
        self.engine: Engine = create_engine(url, **kwargs)
        marks = ", ".join(["?" if self.engine.dialect.paramstyle == "qmark" else "%s"] * 7)
        self._insert_event = f"INSERT INTO events ({_EVENT_COLUMNS}) VALUES ({marks})"
        if self.is_sqlite:
            sync_mode = {"normal": "NORMAL", "full": "FULL"}[sync]

            @event.listens_for(self.engine, "connect")
            def _pragmas(dbapi_conn: Any, _record: Any) -> None:
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute(f"PRAGMA synchronous={sync_mode}")
                cur.execute("PRAGMA busy_timeout=5000")
                cur.execute("PRAGMA foreign_keys=ON")
                # A deleted session's rows are overwritten with zeros, not just unlinked (see
                # delete_session): "deleted" must mean unreadable, also with a hex editor.
                cur.execute("PRAGMA secure_delete=ON")
                cur.close()

        try:
            migrate.upgrade(self.engine)
        except Exception:
            self.engine.dispose()
            raise
        # One writer at a time: SQLite allows one anyway, and it keeps seq order.
        self._lock = threading.Lock()
        # SQLite in WAL mode with synchronous=NORMAL writes a commit into the WAL without an
        # fsync: a small batch costs tens of microseconds, less than handing it to a thread and
        # back, so the committer may write it on the event loop (``inline_writes``). Only a
        # checkpoint syncs the disk: the writer's own are off, and ``checkpoint`` runs them on
        # another connection, on a worker thread. (FULL syncs every commit: always a thread.)
        self.inline_writes = self.is_sqlite and sync == "normal"
        self._writer: Any = None  # the SQLite writer's own DB-API connection, opened on first use

    def create_session(self, record: SessionRecord, events: list[Event]) -> None:
        with self._lock, Session(self.engine) as db:
            db.add(SessionRow(code=record.code, title=self._text(record.title), deck_id=record.deck_id,
                              deck_source=self._text(record.deck_source), host_key_hash=record.host_key_hash,
                              created_at=record.created_at, course_id=record.course_id,
                              course_day=record.course_day))
            db.flush()
            if events:
                db.connection().exec_driver_sql(self._insert_event, self._rows(record.code, events))
            db.commit()

    def _text(self, value: str) -> str:
        return _no_nul(value) if self.is_postgresql else value  # type: ignore[no-any-return]

    def _rows(self, code: str, events: list[Event]) -> list[tuple[Any, ...]]:
        rows = [_event_row(code, e) for e in events]
        if self.is_postgresql:
            rows = [(c, q, a, _no_nul(t), _no_nul(w), _no_nul(i), d) for c, q, a, t, w, i, d in rows]
        return rows

    def append(self, code: str, events: list[Event]) -> None:
        if events:
            self.append_batch({code: events}, {})

    def append_batch(self, writes: dict[str, list[Event]], ended: dict[str, int]) -> None:
        """Events of several sessions (and sessions that ended) in one transaction: one fsync.

        One DB-API ``executemany`` of plain tuples: the ORM's bulk insert cost several times
        as much per row, and even SQLAlchemy Core's compiled insert twice as much, on the
        worker thread that holds the GIL while the event loop waits (a burst of thousands of
        answers is one such batch). The statement is fixed text, so nothing is compiled.
        """
        rows = [row for code, events in writes.items() for row in self._rows(code, events)]
        if self.is_sqlite:
            with self._lock:
                self._write_sqlite(rows, ended)
            return
        with self._lock, self.engine.begin() as conn:
            if rows:
                conn.exec_driver_sql(self._insert_event, rows)
            for code, at in ended.items():
                conn.execute(_SESSIONS.update().where(_SESSIONS.c.code == code).values(ended_at=at))

    def _write_sqlite(self, rows: list[tuple[Any, ...]], ended: dict[str, int]) -> None:
        """One transaction on the writer's own connection, straight through the sqlite3 module
        (SQLAlchemy's engine and transaction objects cost more than the insert of a few rows)."""
        if self._writer is None:
            self._writer = self.engine.raw_connection()  # (the connect hook set its pragmas)
            if self.inline_writes:
                self._writer.driver_connection.execute("PRAGMA wal_autocheckpoint=0")
        con = self._writer.driver_connection
        try:
            if rows:
                con.executemany(self._insert_event, rows)
            for code, at in ended.items():
                con.execute("UPDATE sessions SET ended_at = ? WHERE code = ?", (at, code))
            con.commit()
        except BaseException:
            con.rollback()
            raise

    def checkpoint(self) -> None:
        """Copy the WAL into the database file (SQLite; a no-op elsewhere), off the writer's
        connection: it may sync the disk, so the committer runs it on a worker thread."""
        if self.is_sqlite:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    def mark_ended(self, code: str, at: int) -> None:
        with self._lock, Session(self.engine) as db:
            row = db.get(SessionRow, code)
            if row is not None:
                row.ended_at = at
                db.add(row)
                db.commit()

    def get_session(self, code: str) -> SessionRecord | None:
        with Session(self.engine) as db:
            row = db.get(SessionRow, code)
            return _record(row) if row else None

    def session_key(self, code: str) -> tuple[str, int | None] | None:
        with Session(self.engine) as db:
            row = db.exec(select(SessionRow.host_key_hash, SessionRow.ended_at)  # type: ignore[call-overload]
                          .where(SessionRow.code == code)).first()
            return (row[0], row[1]) if row else None

    def list_sessions(self) -> list[SessionRecord]:
        with Session(self.engine) as db:
            rows = db.exec(select(SessionRow).order_by(SessionRow.created_at.desc())).all()  # type: ignore[attr-defined]
            return [_record(r) for r in rows]

    def live_codes(self) -> list[str]:
        with Session(self.engine) as db:
            rows = db.exec(select(SessionRow.code).where(SessionRow.ended_at == None)).all()  # noqa: E711
            return list(rows)

    def code_taken(self, code: str) -> bool:
        with Session(self.engine) as db:
            return db.get(SessionRow, code) is not None

    def load_events(self, code: str) -> list[Event]:
        """The log in order, up to the first gap or unreadable row (a damaged tail is cut, loudly)."""
        with Session(self.engine) as db:
            rows = db.exec(select(EventRow).where(EventRow.session_code == code)
                           .order_by(EventRow.seq)).all()  # type: ignore[arg-type]
        out: list[Event] = []
        for r in rows:
            try:
                data = orjson.loads(r.data)
                if r.seq != len(out) + 1 or not isinstance(data, dict):
                    raise ValueError(f"expected event {len(out) + 1}, found {r.seq}")
            except (ValueError, orjson.JSONDecodeError) as exc:
                log.error("session %s: event %s is unreadable (%s); opening with the %d events before it",
                          code, r.seq, exc, len(out))
                self._quarantine(code, len(out))
                break
            out.append(Event(r.seq, r.at, r.type, r.actor, r.client_id, data))
        return out

    def _quarantine(self, code: str, good: int) -> None:
        """Set a damaged tail aside under another key (never deleted), so new events can follow."""
        aside = f"{code}!{int(time.time()) % 1_000_000}"
        with self._lock, Session(self.engine) as db:
            db.execute(update(EventRow).where(EventRow.session_code == code, EventRow.seq > good)  # type: ignore[arg-type]
                       .values(session_code=aside))
            db.commit()
        log.error("session %s: events after %d kept aside as session %s", code, good, aside)

    def check(self) -> str:
        """Is the store sound ("ok")? SQLite's own integrity check; on PostgreSQL, the server
        answers and the schema is at the newest revision."""
        if not self.is_sqlite:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            behind = migrate.pending(self.engine)
            return "ok" if not behind else f"schema not upgraded (missing revisions {', '.join(behind)})"
        with self.engine.connect() as conn:
            rows = conn.exec_driver_sql("PRAGMA quick_check").fetchall()
        return "; ".join(str(r[0]) for r in rows[:5])

    def _upsert(self, table: Any, values: dict[str, Any], key: str) -> None:
        """Insert or replace one row in one statement (no race between processes sharing a database)."""
        ins = (pg_insert if self.is_postgresql else sqlite_insert)(table).values(**values)
        stmt = ins.on_conflict_do_update(index_elements=[key],
                                         set_={k: ins.excluded[k] for k in values if k != key})
        with self._lock, Session(self.engine) as db:
            db.execute(stmt)
            db.commit()

    def save_deck(self, deck_id: str, source: str, at: int) -> None:
        if self.is_sqlite or self.is_postgresql:
            self._upsert(DeckRow.__table__, {"id": deck_id, "source": self._text(source), "uploaded_at": at}, "id")
            return
        with self._lock, Session(self.engine) as db:
            row = db.get(DeckRow, deck_id)
            if row is None:
                row = DeckRow(id=deck_id, source=source, uploaded_at=at)
            else:
                row.source, row.uploaded_at = source, at
            db.add(row)
            db.commit()

    def load_decks(self) -> list[tuple[str, str]]:
        with Session(self.engine) as db:
            return [(r.id, r.source) for r in db.exec(select(DeckRow)).all()]

    def save_media(self, files: dict[str, tuple[str, bytes]], at: int) -> None:
        if not files:
            return
        rows = [{"sha256": sha, "type": mime, "size": len(data), "data": data, "stored_at": at}
                for sha, (mime, data) in files.items()]
        ins = (pg_insert if self.is_postgresql else sqlite_insert)(MediaRow.__table__)
        with self._lock, Session(self.engine) as db:
            for row in rows:  # one at a time: a clip can be tens of MB
                db.execute(ins.values(**row).on_conflict_do_nothing(index_elements=["sha256"]))
            db.commit()

    def load_media(self, sha256: str) -> tuple[str, bytes] | None:
        with Session(self.engine) as db:
            row = db.get(MediaRow, sha256)
            return (row.type, bytes(row.data)) if row else None

    def get_setting(self, key: str) -> str | None:
        with Session(self.engine) as db:
            row = db.get(SettingRow, key)
            return row.value if row else None

    def put_setting(self, key: str, value: str) -> None:
        if self.is_sqlite or self.is_postgresql:
            self._upsert(SettingRow.__table__, {"key": key, "value": self._text(value)}, "key")
            return
        with self._lock, Session(self.engine) as db:
            row = db.get(SettingRow, key) or SettingRow(key=key, value=value)
            row.value = value
            db.add(row)
            db.commit()

    def setting_default(self, key: str, value: str) -> str:
        if self.is_sqlite or self.is_postgresql:
            ins = (pg_insert if self.is_postgresql else sqlite_insert)(SettingRow.__table__).values(
                key=key, value=value)
            with self._lock, Session(self.engine) as db:
                db.execute(ins.on_conflict_do_nothing(index_elements=["key"]))
                db.commit()
        elif self.get_setting(key) is None:
            self.put_setting(key, value)
        stored = self.get_setting(key)
        assert stored is not None
        return stored

    def count_events(self, code: str, type_: str) -> int:
        with Session(self.engine) as db:
            query = select(func.count()).select_from(EventRow).where(EventRow.session_code == code,
                                                                     EventRow.type == type_)
            return int(db.exec(query).one())

    def delete_session(self, code: str) -> bool:
        """The only deletion there is: a trainer's explicit, confirmed removal of one session.

        Afterwards nothing of it is readable on disk while the server keeps running. Its rows
        (events and the trainees' follow-up of their plans)
        go, and so does any damaged tail once set aside under ``code!…`` (``_quarantine``).
        In SQLite, ``secure_delete`` (set on every connection) zeroes the freed content in
        the database file, but the WAL still holds the pages as they were before the delete
        until a checkpoint copies the zeroed pages back; so the delete is followed by a
        ``wal_checkpoint(TRUNCATE)``, which also empties the WAL file. PostgreSQL keeps dead
        rows until its own vacuum; that is its operator's concern (docs/security.md).
        """
        with self._lock:
            with Session(self.engine) as db:
                row = db.get(SessionRow, code)
                if row is None:
                    return False
                db.execute(delete(EventRow).where(  # type: ignore[arg-type]
                    (EventRow.session_code == code) | EventRow.session_code.startswith(code + "!")))  # type: ignore[attr-defined]
                self._delete_followup(db, code)  # the trainees' follow-up of their plans goes too
                db.delete(row)
                db.commit()
            if self.is_sqlite:
                self._checkpoint()
            return True

    # -- courses and rosters -----------------------------------------------------------------
    def create_course(self, course: CourseRecord) -> None:
        with self._lock, Session(self.engine) as db:
            db.add(CourseRow(id=course.id, title=self._text(course.title), created_at=course.created_at,
                             follow_up_on=course.follow_up_on))
            db.commit()

    def get_course(self, course_id: str) -> CourseRecord | None:
        with Session(self.engine) as db:
            row = db.get(CourseRow, course_id)
            return _course(row) if row else None

    def list_courses(self) -> list[CourseRecord]:
        with Session(self.engine) as db:
            rows = db.exec(select(CourseRow).order_by(CourseRow.created_at.desc())).all()  # type: ignore[attr-defined]
            return [_course(r) for r in rows]

    def set_follow_up(self, course_id: str, on: str | None) -> None:
        with self._lock, Session(self.engine) as db:
            db.execute(update(CourseRow).where(CourseRow.id == course_id).values(follow_up_on=on))  # type: ignore[arg-type]
            db.commit()

    def replace_roster(self, course_id: str, people: list[RosterPerson]) -> None:
        with self._lock, Session(self.engine) as db:
            db.execute(delete(RosterRow).where(RosterRow.course_id == course_id))  # type: ignore[arg-type]
            for n, p in enumerate(people):
                db.add(RosterRow(course_id=course_id, person_id=p.person_id, position=n,
                                 name=self._text(p.name), staff_no=self._text(p.staff_no),
                                 unit=self._text(p.unit), group=self._text(p.group), check_hash=p.check_hash))
            db.commit()

    def load_roster(self, course_id: str) -> list[RosterPerson]:
        with Session(self.engine) as db:
            rows = db.exec(select(RosterRow).where(RosterRow.course_id == course_id)
                           .order_by(RosterRow.position)).all()  # type: ignore[arg-type]
            return [_person(r) for r in rows]

    def course_sessions(self, course_id: str) -> list[SessionRecord]:
        with Session(self.engine) as db:
            rows = db.exec(select(SessionRow).where(SessionRow.course_id == course_id)
                           .order_by(SessionRow.created_at)).all()  # type: ignore[arg-type]
            return [_record(r) for r in rows]

    def rewrite_events(self, code: str, changes: dict[int, dict[str, Any]]) -> None:
        if not changes:
            return
        with self._lock:
            with Session(self.engine) as db:
                for seq, data in changes.items():
                    db.execute(update(EventRow).where(EventRow.session_code == code, EventRow.seq == seq)  # type: ignore[arg-type]
                               .values(data=orjson.dumps(data).decode()))
                db.commit()
            if self.is_sqlite:
                self._checkpoint()

    def delete_person(self, course_id: str, person_id: str) -> bool:
        with self._lock:
            with Session(self.engine) as db:
                row = db.get(RosterRow, (course_id, person_id))
                if row is None:
                    return False
                db.delete(row)
                db.commit()
            if self.is_sqlite:
                self._checkpoint()
            return True

    def delete_course(self, course_id: str) -> bool:
        if self.get_course(course_id) is None:
            return False
        for rec in self.course_sessions(course_id):
            self.delete_session(rec.code)
        with self._lock:
            with Session(self.engine) as db:
                db.execute(delete(RosterRow).where(RosterRow.course_id == course_id))  # type: ignore[arg-type]
                db.execute(delete(CourseRow).where(CourseRow.id == course_id))  # type: ignore[arg-type]
                db.commit()
            if self.is_sqlite:
                self._checkpoint()
        return True

    def _checkpoint(self) -> None:
        """Copy the WAL into the database file and truncate it (with the write lock held)."""
        for _attempt in range(20):
            with self.engine.connect() as conn:
                busy, _log, _done = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
            if not busy:
                return
            time.sleep(0.05)  # a reader's snapshot pins the WAL: wait for it to finish
        log.warning("WAL checkpoint after a deletion stayed busy; the next one will complete it")

    def close(self) -> None:
        with self._lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
        self.engine.dispose()


class MemoryStore(MemoryFollowUps):
    """The in-memory twin, for core tests; it passes the same contract tests."""

    def __init__(self) -> None:
        self.sessions: dict[str, SessionRecord] = {}
        self.events: dict[str, list[Event]] = {}
        self.decks: dict[str, str] = {}
        self.settings: dict[str, str] = {}
        self.media: dict[str, tuple[str, bytes]] = {}
        self.followups: dict[str, dict[tuple[str, int], FollowUpEntry]] = {}
        self.followup_dates: dict[str, int] = {}
        self.courses: dict[str, CourseRecord] = {}
        self.rosters: dict[str, list[RosterPerson]] = {}

    def create_session(self, record: SessionRecord, events: list[Event]) -> None:
        if record.code in self.sessions:
            raise ValueError(f"session {record.code} exists")
        self.sessions[record.code] = record
        self.events[record.code] = list(events)

    def append(self, code: str, events: list[Event]) -> None:
        log = self.events[code]
        for ev in events:
            if log and ev.seq != log[-1].seq + 1:
                raise ValueError("events out of order")
            log.append(ev)

    inline_writes = True  # nothing to wait for

    def checkpoint(self) -> None:
        pass

    def append_batch(self, writes: dict[str, list[Event]], ended: dict[str, int]) -> None:
        for code, events in writes.items():
            self.append(code, events)
        for code, at in ended.items():
            self.mark_ended(code, at)

    def mark_ended(self, code: str, at: int) -> None:
        self.sessions[code] = replace(self.sessions[code], ended_at=at)

    def get_session(self, code: str) -> SessionRecord | None:
        return self.sessions.get(code)

    def session_key(self, code: str) -> tuple[str, int | None] | None:
        rec = self.sessions.get(code)
        return (rec.host_key_hash, rec.ended_at) if rec else None

    def list_sessions(self) -> list[SessionRecord]:
        return sorted(self.sessions.values(), key=lambda r: -r.created_at)

    def live_codes(self) -> list[str]:
        return [c for c, r in self.sessions.items() if r.ended_at is None]

    def code_taken(self, code: str) -> bool:
        return code in self.sessions

    def load_events(self, code: str) -> list[Event]:
        return list(self.events.get(code, []))

    def save_deck(self, deck_id: str, source: str, at: int) -> None:
        self.decks[deck_id] = source

    def load_decks(self) -> list[tuple[str, str]]:
        return list(self.decks.items())

    def save_media(self, files: dict[str, tuple[str, bytes]], at: int) -> None:
        for sha, item in files.items():
            self.media.setdefault(sha, item)

    def load_media(self, sha256: str) -> tuple[str, bytes] | None:
        return self.media.get(sha256)

    def get_setting(self, key: str) -> str | None:
        return self.settings.get(key)

    def put_setting(self, key: str, value: str) -> None:
        self.settings[key] = value

    def setting_default(self, key: str, value: str) -> str:
        return self.settings.setdefault(key, value)

    def count_events(self, code: str, type_: str) -> int:
        return sum(1 for e in self.events.get(code, []) if e.type == type_)

    def delete_session(self, code: str) -> bool:
        self.events.pop(code, None)
        self.followups.pop(code, None)
        self.followup_dates.pop(code, None)
        return self.sessions.pop(code, None) is not None

    def create_course(self, course: CourseRecord) -> None:
        if course.id in self.courses:
            raise ValueError(f"course {course.id} exists")
        self.courses[course.id] = course

    def get_course(self, course_id: str) -> CourseRecord | None:
        return self.courses.get(course_id)

    def list_courses(self) -> list[CourseRecord]:
        return sorted(self.courses.values(), key=lambda c: -c.created_at)

    def set_follow_up(self, course_id: str, on: str | None) -> None:
        if course_id in self.courses:
            self.courses[course_id] = replace(self.courses[course_id], follow_up_on=on)

    def replace_roster(self, course_id: str, people: list[RosterPerson]) -> None:
        self.rosters[course_id] = list(people)

    def load_roster(self, course_id: str) -> list[RosterPerson]:
        return list(self.rosters.get(course_id, []))

    def course_sessions(self, course_id: str) -> list[SessionRecord]:
        return sorted((r for r in self.sessions.values() if r.course_id == course_id), key=lambda r: r.created_at)

    def rewrite_events(self, code: str, changes: dict[int, dict[str, Any]]) -> None:
        self.events[code] = [Event(e.seq, e.at, e.type, e.actor, e.client_id, changes.get(e.seq, e.data))
                             for e in self.events.get(code, [])]

    def delete_person(self, course_id: str, person_id: str) -> bool:
        people = self.rosters.get(course_id, [])
        kept = [p for p in people if p.person_id != person_id]
        self.rosters[course_id] = kept
        return len(kept) != len(people)

    def delete_course(self, course_id: str) -> bool:
        for rec in self.course_sessions(course_id):
            self.delete_session(rec.code)
        self.rosters.pop(course_id, None)
        return self.courses.pop(course_id, None) is not None

    def close(self) -> None:
        pass


def open_store(url: str) -> Store:
    """``memory://``, ``sqlite:///path`` or ``postgresql://…`` (psycopg 3)."""
    if url == "memory://":
        return MemoryStore()
    return SqlStore(migrate.sqlalchemy_url(url))
