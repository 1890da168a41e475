"""One contract for every store: the memory twin, SQLite and PostgreSQL.

The PostgreSQL cases need a server (tests/pg.py): each test gets a schema of its own,
dropped afterwards. Without a server they skip with the reason; under CI=true they fail.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from sessions.events import Event
from sessions.followstore import FollowUpEntry
from sessions.roster import RosterPerson
from sessions.store import CourseRecord, MemoryStore, SessionRecord, SqlStore, Store, open_store
from tests.pg import fresh_schema

EPOCH_MS = 1_730_000_000_000  # epoch milliseconds: more than 32 bits


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
    elif request.param == "sqlite":
        s = SqlStore(f"sqlite:///{tmp_path}/t.db")
        yield s
        s.close()
    else:
        with fresh_schema() as url:
            s = open_store(url)
            yield s
            s.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def sql_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    if request.param == "sqlite":
        s = SqlStore(f"sqlite:///{tmp_path}/t.db")
        yield s
        s.close()
    else:
        with fresh_schema() as url:
            s = SqlStore(url)
            yield s
            s.close()


def rec(code: str, at: int = 1) -> SessionRecord:
    return SessionRecord(code, "标题", "deck", "id: deck", "hash", at)


def test_events_round_trip_in_order(store: Store) -> None:
    store.create_session(rec("111111"), [Event(1, 10, "session_created")])
    store.append("111111", [Event(2, 11, "player_joined", "p1", "c-1", {"name": "张三", "n": [1, 2]}),
                            Event(3, 12, "joining_locked", "host")])
    events = store.load_events("111111")
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[1] == Event(2, 11, "player_joined", "p1", "c-1", {"name": "张三", "n": [1, 2]})
    assert store.load_events("999999") == []


def test_live_and_ended_sessions(store: Store) -> None:
    store.create_session(rec("111111", 1), [])
    store.create_session(rec("222222", 2), [])
    assert store.code_taken("111111") and not store.code_taken("333333")
    store.mark_ended("111111", 99)
    assert store.live_codes() == ["222222"]
    assert [r.code for r in store.list_sessions()] == ["222222", "111111"]
    assert store.get_session("111111").ended_at == 99  # type: ignore[union-attr]


def test_session_key_is_the_hash_and_end_without_the_deck(store: Store) -> None:
    """What authorising a record route reads (server/services.py host_key_opens): two columns."""
    store.create_session(rec("111111"), [Event(1, 10, "session_created")])
    assert store.session_key("111111") == ("hash", None)
    store.mark_ended("111111", EPOCH_MS)
    assert store.session_key("111111") == ("hash", EPOCH_MS)
    assert store.session_key("999999") is None


def test_decks_and_settings(store: Store) -> None:
    store.save_deck("d", "v1", 1)
    store.save_deck("d", "v2", 2)
    assert store.load_decks() == [("d", "v2")]
    assert store.get_setting("k") is None
    store.put_setting("k", "v")
    assert store.get_setting("k") == "v"
    store.put_setting("k", "w")
    assert store.get_setting("k") == "w"


def test_epoch_millisecond_times_round_trip(store: Store) -> None:
    store.create_session(SessionRecord("111111", "t", "deck", "id: deck", "hash", EPOCH_MS),
                         [Event(1, EPOCH_MS, "session_created")])
    store.append_batch({"111111": [Event(2, EPOCH_MS + 1, "session_ended", "host")]}, {"111111": EPOCH_MS + 1})
    store.save_deck("d", "v1", EPOCH_MS)
    got = store.get_session("111111")
    assert got is not None and (got.created_at, got.ended_at) == (EPOCH_MS, EPOCH_MS + 1)
    assert [e.at for e in store.load_events("111111")] == [EPOCH_MS, EPOCH_MS + 1]


def test_append_batch_writes_several_sessions_and_ends_some(store: Store) -> None:
    store.create_session(rec("111111", 1), [Event(1, 1, "session_created")])
    store.create_session(rec("222222", 2), [Event(1, 2, "session_created")])
    store.append_batch({"111111": [Event(2, 3, "player_joined", "p1", "j-1", {"name": "甲"}),
                                   Event(3, 4, "player_joined", "p2", "j-2", {"name": "乙"})],
                        "222222": [Event(2, 5, "session_ended", "host")]},
                       {"222222": 5})
    assert [e.seq for e in store.load_events("111111")] == [1, 2, 3]
    assert [e.type for e in store.load_events("222222")] == ["session_created", "session_ended"]
    assert store.live_codes() == ["111111"]
    assert store.get_session("222222").ended_at == 5  # type: ignore[union-attr]
    store.append_batch({}, {"111111": 6})  # only an end
    assert store.live_codes() == []


def test_count_events_by_type(store: Store) -> None:
    store.create_session(rec("111111"), [Event(1, 1, "session_created")])
    store.create_session(rec("222222"), [Event(1, 1, "session_created")])
    store.append("111111", [Event(i, i, "player_joined", f"p{i}") for i in range(2, 7)])
    store.append("222222", [Event(2, 2, "player_joined", "p1")])
    assert store.count_events("111111", "player_joined") == 5
    assert store.count_events("111111", "session_created") == 1
    assert store.count_events("111111", "nothing") == 0
    assert store.count_events("999999", "player_joined") == 0


def test_delete_session_removes_it_and_only_it(store: Store) -> None:
    store.create_session(rec("111111", 1), [Event(1, 1, "session_created")])
    store.create_session(rec("222222", 2), [Event(1, 2, "session_created")])
    store.append("111111", [Event(2, 3, "player_joined", "p1")])
    assert store.delete_session("111111") is True
    assert store.delete_session("111111") is False
    assert store.get_session("111111") is None and not store.code_taken("111111")
    assert store.load_events("111111") == [] and store.count_events("111111", "player_joined") == 0
    assert [r.code for r in store.list_sessions()] == ["222222"]
    assert len(store.load_events("222222")) == 1


def test_load_events_orders_by_seq_over_many_appends(store: Store) -> None:
    store.create_session(rec("111111"), [Event(1, 1, "session_created")])
    for start in range(2, 302, 25):
        store.append("111111", [Event(s, s, "player_joined", f"p{s}", f"c-{s}", {"i": s})
                                for s in range(start, min(start + 25, 302))])
    events = store.load_events("111111")
    assert [e.seq for e in events] == list(range(1, 302))
    assert events[-1].data == {"i": 301} and events[-1].client_id == "c-301"


def test_writers_on_threads_and_readers_meanwhile(store: Store) -> None:
    """The committer writes on a worker thread while the event loop reads (and writes a little)."""
    codes = [f"{i}00000" for i in range(1, 5)]
    for code in codes:
        store.create_session(rec(code), [Event(1, 1, "session_created")])
    errors: list[BaseException] = []

    def writer(code: str) -> None:
        try:
            for seq in range(2, 42, 4):
                store.append_batch({code: [Event(s, s, "answer", "p1", f"{code}-{s}") for s in range(seq, seq + 4)]},
                                   {})
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(c,)) for c in codes]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):  # reads meanwhile see whole prefixes of the logs
        for code in codes:
            seqs = [e.seq for e in store.load_events(code)]
            assert seqs == list(range(1, len(seqs) + 1))
        store.put_setting("k", "v")
        assert len(store.list_sessions()) == 4
    for t in threads:
        t.join()
    assert not errors, errors
    for code in codes:
        assert [e.seq for e in store.load_events(code)] == list(range(1, 42))
        assert store.count_events(code, "answer") == 40


def test_a_nul_in_a_client_string_does_not_fail_the_batch(store: Store) -> None:
    """U+0000 is a valid JSON string character; PostgreSQL text cannot hold it (it keeps U+FFFD)."""
    store.create_session(SessionRecord("111111", "标\x00题", "deck", "id: deck", "hash", 1), [Event(1, 1, "s")])
    store.append_batch({"111111": [Event(2, 2, "answer_submitted", "p1", "id\x00x", {"t": "a\x00b"}),
                                   Event(3, 3, "answer_submitted", "p2", "ok-2")]}, {})
    events = store.load_events("111111")
    assert [e.client_id for e in events] in ([None, "id\x00x", "ok-2"], [None, "id\ufffdx", "ok-2"])
    assert events[1].data == {"t": "a\x00b"}  # JSON keeps it exactly
    assert store.get_session("111111").title in ("标\x00题", "标\ufffd题")  # type: ignore[union-attr]


# -- the SQL stores only --------------------------------------------------------------------

def test_a_gap_in_the_log_is_cut_and_kept_aside(sql_store: SqlStore) -> None:
    sql_store.create_session(rec("111111"), [Event(1, 1, "session_created")])
    sql_store.append("111111", [Event(2, 2, "player_joined", "p1"), Event(4, 4, "player_joined", "p3")])
    assert [e.seq for e in sql_store.load_events("111111")] == [1, 2]
    sql_store.append("111111", [Event(3, 5, "joining_locked", "host")])  # the log goes on after the cut
    assert [e.seq for e in sql_store.load_events("111111")] == [1, 2, 3]
    with sql_store.engine.connect() as conn:
        aside = conn.execute(text("SELECT session_code, seq FROM events WHERE session_code <> '111111'")).all()
    assert len(aside) == 1 and aside[0][0].startswith("111111!") and aside[0][1] == 4


def test_an_unreadable_event_cuts_the_log_there(sql_store: SqlStore) -> None:
    sql_store.create_session(rec("111111"), [Event(1, 1, "session_created")])
    sql_store.append("111111", [Event(2, 2, "player_joined", "p1"), Event(3, 3, "player_joined", "p2")])
    with sql_store.engine.begin() as conn:
        conn.execute(text("UPDATE events SET data = '{broken' WHERE seq = 2"))
    assert [e.seq for e in sql_store.load_events("111111")] == [1]
    assert sql_store.count_events("111111", "player_joined") == 0


def test_a_duplicate_seq_is_refused_and_changes_nothing(sql_store: SqlStore) -> None:
    sql_store.create_session(rec("111111"), [Event(1, 1, "session_created")])
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        sql_store.append_batch({"111111": [Event(2, 2, "a"), Event(1, 3, "b")]}, {"111111": 3})
    assert [e.type for e in sql_store.load_events("111111")] == ["session_created"]
    assert sql_store.live_codes() == ["111111"]
    sql_store.append("111111", [Event(2, 4, "c")])  # the store is still usable
    assert len(sql_store.load_events("111111")) == 2


def test_the_store_checks_itself(sql_store: SqlStore) -> None:
    assert sql_store.check() == "ok"


def test_sqlite_is_in_wal_mode(tmp_path: Path) -> None:
    s = SqlStore(f"sqlite:///{tmp_path}/w.db")
    with s.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    s.close()


def test_postgresql_urls_use_psycopg_3() -> None:
    with fresh_schema() as url:
        s = open_store(url)
        assert isinstance(s, SqlStore) and s.is_postgresql
        assert s.engine.dialect.driver == "psycopg"
        s.close()


def test_setting_default_keeps_the_first_value(store: Store) -> None:
    """Processes starting together must agree on one token key: the first writer wins."""
    assert store.setting_default("token_secret", "first") == "first"
    assert store.setting_default("token_secret", "second") == "first"
    assert store.get_setting("token_secret") == "first"


def test_follow_up_marks_and_dates_are_kept_replaced_and_deleted_with_their_session(store: Store) -> None:
    store.create_session(rec("111111", 1), [Event(1, 1, "session_created")])
    store.create_session(rec("222222", 2), [Event(1, 2, "session_created")])
    assert store.followup_entries("111111") == [] and store.followup_date("111111") is None
    store.put_followup("111111", FollowUpEntry("p2", 0, "doing", "进行中\x00", EPOCH_MS))
    store.put_followup("111111", FollowUpEntry("p1", 1, "doing", "", EPOCH_MS))
    store.put_followup("111111", FollowUpEntry("p1", 1, "done", "做完了", EPOCH_MS + 1))  # the latest stands
    store.put_followup("222222", FollowUpEntry("p1", 0, "dropped", "", EPOCH_MS))
    marks = store.followup_entries("111111")
    assert marks[0] == FollowUpEntry("p1", 1, "done", "做完了", EPOCH_MS + 1)
    assert [(e.player_id, e.status) for e in marks] == [("p1", "done"), ("p2", "doing")]
    store.set_followup_date("111111", EPOCH_MS + 5)
    store.set_followup_date("111111", EPOCH_MS + 9)
    assert store.followup_date("111111") == EPOCH_MS + 9
    store.set_followup_date("222222", EPOCH_MS)
    store.set_followup_date("222222", None)
    assert store.followup_date("222222") is None
    assert store.delete_session("111111") is True
    assert store.followup_entries("111111") == [] and store.followup_date("111111") is None
    assert [e.status for e in store.followup_entries("222222")] == ["dropped"]


def test_courses_rosters_and_course_sessions(store: Store) -> None:
    """The course tables through every store: a roster in its order, replaced whole; a course's
    sessions oldest first; erasing event data, one person, then the whole course."""
    store.create_course(CourseRecord("c1", "第7期", 5))
    store.create_course(CourseRecord("c2", "第8期", 6, "2027-01-05"))
    assert [c.id for c in store.list_courses()] == ["c2", "c1"]
    assert store.get_course("c2") == CourseRecord("c2", "第8期", 6, "2027-01-05")
    store.set_follow_up("c1", "2027-01-04")
    assert store.get_course("c1") == CourseRecord("c1", "第7期", 5, "2027-01-04")
    people = [RosterPerson("u2", "李娜", "GD2", "城西", "二组"),
              RosterPerson("u1", "张伟", "GD1", "城东", "", "ab" * 32)]
    store.replace_roster("c1", people)
    assert store.load_roster("c1") == people and store.load_roster("c2") == []
    store.replace_roster("c1", people[:1])
    assert store.load_roster("c1") == people[:1]
    for code, at, day in (("200002", 20, 2), ("200001", 10, 1)):
        store.create_session(SessionRecord(code, "t", "mini", "id: mini", "h", at, course_id="c1", course_day=day),
                             [Event(1, at, "session_created", "host", None, {"code": code})])
    store.create_session(rec("300000"), [Event(1, 1, "session_created", "host", None, {})])
    assert [(r.code, r.course_day) for r in store.course_sessions("c1")] == [("200001", 1), ("200002", 2)]
    assert store.get_session("200002").course_id == "c1"  # type: ignore[union-attr]
    store.mark_ended("200002", 30)
    assert store.get_session("200002").course_day == 2  # type: ignore[union-attr]
    store.rewrite_events("200001", {1: {"code": "erased"}})
    assert store.load_events("200001")[0].data == {"code": "erased"}
    assert store.delete_person("c1", "u2") and not store.delete_person("c1", "u2")
    assert store.load_roster("c1") == []
    assert store.delete_course("c1") and not store.delete_course("c1")
    assert store.course_sessions("c1") == [] and store.get_session("200001") is None
    assert store.get_session("300000") is not None and store.get_course("c2") is not None
