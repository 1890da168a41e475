"""The ``caseroom`` command: ``caseroom serve`` starts the server."""

from __future__ import annotations

import argparse
import logging
import os
import re
import resource
import sys
from pathlib import Path
from typing import Any

from server.config import Config

WS_MAX_FRAME = 65_536


def open_files_limit() -> int:
    """Lift the soft open-files limit to the hard one (each phone is a file descriptor); the limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 1_048_576
    if soft < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
            soft = want
        except (ValueError, OSError):
            pass
    return soft


def raise_open_files() -> str:
    soft = open_files_limit()
    return f"open-files limit {soft}" + ("" if soft >= 10_000 else
                                         " (low: raise it with `ulimit -n` for big events)")


# Young collections every 20,000 net allocations instead of 700, and a full collection
# considered only every 4 x 100 of those. A hall of 5,000 phones is about a million
# live objects (sockets, protocol state, tasks): a full collection of them takes 0.1
# to 0.4 s, and with the default thresholds they came every few seconds while phones
# joined and in the middle of an answer burst. Full collections still run, when the
# heap has grown by a quarter since the last one (CPython's own rule). The middle
# generation is collected every 4 young collections, not 20: each object a phone keeps
# passes through it once whatever the threshold, so its total cost is the same, but one
# collection holds at most 80,000 objects instead of 400,000: with 10,000 phones its
# longest pause fell from 290-309 ms (in the middle of an answer burst) to 107-161 ms
# (bench/README.md, fifth pass).
GC_THRESHOLDS = (20_000, 4, 100)


def tune_gc() -> None:
    """Freeze what start-up allocated (modules, decks: never garbage) and space out collections."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def fast_paths() -> tuple[str, str]:
    """uvloop and httptools when installed (``uvicorn[standard]`` brings both), else the defaults."""
    import importlib.util

    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return loop, http


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from server.wsproto import CaseroomWSProtocol

    # uvicorn's sans-I/O `websockets` implementation: the frames are the `websockets`
    # library's, but a connection needs no reader task and no keepalive task (pings are
    # timers), which with thousands of phones saves about a fifth of the memory and of the
    # CPU per message against the older `websockets` implementation (see bench/README.md).
    loop, http = fast_paths()
    http_protocol: Any = http
    if http == "httptools":
        # (httptools' protocol, with a websocket upgrade handed over without a second parse)
        from server.httpproto import CaseroomHttpProtocol

        http_protocol = CaseroomHttpProtocol

    from server.app import create_app
    from server.auth import admin_token
    from server.netaddr import base_url

    cfg = Config.from_env(host=args.host, port=args.port, data_dir=Path(args.data),
                          public_url=args.public_url, timezone=args.timezone)
    try:
        zone = cfg.zone()
    except ValueError as exc:
        print(f"caseroom: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    token = admin_token(cfg.data_dir, cfg.admin_token)
    base = base_url(cfg.host, cfg.port, cfg.public_url)
    print(f"caseroom: phones join at   {base}/", flush=True)
    print(f"caseroom: trainer page     {base}/trainer#token={token}", flush=True)
    print(f"caseroom: admin token      {token}", flush=True)
    from sessions.i18n import zone_name

    print(f"caseroom: exports show local times in {zone_name(zone)}", flush=True)
    print(f"caseroom: data in {cfg.data_dir.resolve()}; {raise_open_files()}; {loop} event loop, "
          f"{http} HTTP parser", flush=True)
    tune_gc()
    uvicorn.run(
        create_app(cfg),
        host=cfg.host,
        port=cfg.port,
        loop=loop,
        http=http_protocol,
        ws=CaseroomWSProtocol,  # uvicorn's websockets-sansio, leaner per phone (server/wsproto.py)
        ws_max_size=WS_MAX_FRAME,
        ws_per_message_deflate=False,
        # A phone that vanished (no close frame) is found within ~20 s and counted offline. Every
        # 10 s, not 5: with thousands of phones the pings were a tenth of an answer burst's CPU
        # (bench/README.md), and the bundled client talks every 10 s anyway (docs/protocol.md).
        ws_ping_interval=10,
        ws_ping_timeout=10,
        log_level="warning" if args.quiet else "info",
        timeout_graceful_shutdown=5,
        # Behind nginx: trust X-Forwarded-For from these addresses only, so rate limits see phones,
        # not the proxy (docs/deploy.md). Off by default: a laptop has no proxy in front.
        proxy_headers=bool(args.trusted_proxies),
        forwarded_allow_ips=args.trusted_proxies or None,
    )
    return 0


def deck_check(args: argparse.Namespace) -> int:
    """Validate decks (a YAML file, a bundle folder or a zip); print every problem as
    FILE:LINE: where: what, naming the media file for a problem of a file. Exit 1 if any.

    A deck that is valid is also linted (``games/lint.py``): its warnings are printed the same
    way, prefixed "warning:", and do not change the exit status.
    """
    from games.bundle import DECK_FILE, read_path
    from games.lint import lint_deck
    from sessions.errors import DeckInvalid

    bad = 0
    for name in args.files:
        path = Path(name)
        bundled = path.is_dir() or path.suffix.lower() == ".zip" or path.name == DECK_FILE
        yaml_name = (f"{name.rstrip('/')}/{DECK_FILE}" if path.is_dir() or path.suffix.lower() == ".zip"
                     else name)
        try:
            deck = read_path(path).deck(name)
        except OSError as exc:
            print(f"{name}: cannot read: {exc.strerror}", file=sys.stderr)
            bad += 1
            continue
        except DeckInvalid as exc:
            bad += 1
            for p in exc.problems:
                is_file = bundled and p.line is None and p.path and not p.path.startswith(("activities", "agenda"))
                where = f"{name}: {p.path}" if is_file else (f"{yaml_name}:{p.line}" if p.line else yaml_name)
                what = p.message if is_file else f"{p.path + ': ' if p.path else ''}{p.message}"
                print(f"{where}: {what}", file=sys.stderr)
            continue
        for w in lint_deck(deck.source):
            where = f"{yaml_name}:{w.line}" if w.line else yaml_name
            print(f"{where}: warning: {w.path + ': ' if w.path else ''}{w.message}")
        kinds = sorted({a.kind for a in deck.activities.values()})
        media = f", {len(deck.media)} media files" if deck.media else ""
        print(f"{name}: ok: '{deck.id}', {len(deck.activities)} activities ({', '.join(kinds)}), "
              f"{len(deck.agenda)} on the agenda{media}")
    return 1 if bad else 0


def deck_import(args: argparse.Namespace) -> int:
    from games.deckimport import import_deck
    from sessions.errors import DeckInvalid

    path = Path(args.file)
    try:
        groups = [g.strip() for g in re.split(r"[,，、]+", args.groups) if g.strip()] if args.groups else None
        text = import_deck(path.read_bytes(), path.name, deck_id=args.id, title=args.title, groups=groups)
    except OSError as exc:
        print(f"{args.file}: cannot read: {exc.strerror}", file=sys.stderr)
        return 1
    except DeckInvalid as exc:
        for p in exc.problems:
            print(f"{args.file}: {p.path + ': ' if p.path else ''}{p.message}", file=sys.stderr)
        return 1
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"{args.output}: written; check it with `caseroom deck check {args.output}`")
    else:
        sys.stdout.write(text)
    return 0


def deck_template(args: argparse.Namespace) -> int:
    from games.deckimport import write_template

    write_template(Path(args.output))
    print(f"{args.output}: template written")
    return 0


def deck_schema(args: argparse.Namespace) -> int:
    import json

    from games.schema import deck_schema

    sys.stdout.write(json.dumps(deck_schema(), ensure_ascii=False, indent=2) + "\n")
    return 0


def _open_sessions(data: str) -> object:
    from server.auth import private_data_dir
    from server.config import Config
    from sessions.hub import LocalHub
    from sessions.live import Sessions
    from sessions.store import open_store

    cfg = Config.from_env(data_dir=Path(data))
    if cfg.database_url is None and not (cfg.data_dir / "caseroom.db").exists():
        raise SystemExit(f"caseroom: no sessions recorded in {cfg.data_dir.resolve()} (use --data DIR)")
    private_data_dir(cfg.data_dir)
    return Sessions(open_store(cfg.store_url()), LocalHub(), lambda _id: None)


def list_sessions(args: argparse.Namespace) -> int:
    """Every session in the store: code, state, deck, date, head-count, title."""
    from datetime import datetime

    sessions = _open_sessions(args.data)
    store = sessions.store  # type: ignore[attr-defined]
    rows = store.list_sessions()
    if not rows:
        print("no sessions yet")
    for rec in rows:
        when = datetime.fromtimestamp(rec.created_at / 1000).strftime("%Y-%m-%d %H:%M")
        state = "ended" if rec.ended_at else "live"
        joined = store.count_events(rec.code, "player_joined")
        print(f"{rec.code}  {state:5}  {when}  {joined:4d} joined  {rec.deck_id:24}  {rec.title}")
    return 0


def delete_session(args: argparse.Namespace) -> int:
    """Delete one session and its whole record, after the code is typed again (as on the trainer page)."""
    sessions = _open_sessions(args.data)
    store = sessions.store  # type: ignore[attr-defined]
    rec = store.get_session(args.code)
    if rec is None:
        print(f"caseroom: no session {args.code}", file=sys.stderr)
        return 1
    confirm = args.confirm
    if confirm is None:
        print(f"This deletes session {rec.code} ({rec.title}) and its whole record for good: answers, scores,"
              " action plans. It cannot be undone.")
        try:
            confirm = input("Type the session code again to confirm: ").strip()
        except EOFError:
            confirm = ""
    if confirm != rec.code:
        print("caseroom: the code typed again does not match; nothing was deleted", file=sys.stderr)
        return 2
    store.delete_session(rec.code)
    print(f"deleted session {rec.code}")
    if rec.ended_at is None:
        print("note: the session was live; a server that is running it keeps it in memory until it restarts."
              " Delete live sessions from the trainer page instead.", file=sys.stderr)
    return 0


def _course_store(args: argparse.Namespace) -> Any:
    from server.auth import private_data_dir
    from server.config import Config
    from sessions.store import open_store

    cfg = Config.from_env(data_dir=Path(args.data))
    private_data_dir(cfg.data_dir)
    return open_store(cfg.store_url())


def course_create(args: argparse.Namespace) -> int:
    """A new course; prints its id (what `course roster` and POST /api/sessions's "course" take)."""
    import time

    from server.courses_api import create_course_record
    from sessions.errors import Refused

    try:
        course = create_course_record(_course_store(args), args.title, int(time.time() * 1000))
    except Refused as exc:
        print(f"caseroom: {exc.message}", file=sys.stderr)
        return 2
    print(course.id)
    return 0


def course_roster(args: argparse.Namespace) -> int:
    """Load (or replace) a course's roster from a CSV or XLSX file; every problem is printed by row."""
    from server.courses_api import load_roster
    from sessions.roster import RosterInvalid

    store = _course_store(args)
    if store.get_course(args.course) is None:
        print(f"caseroom: no course {args.course}", file=sys.stderr)
        return 1
    path = Path(args.file)
    try:
        people = load_roster(store, args.course, path.read_bytes(), path.name)
    except RosterInvalid as exc:
        for p in exc.problems:
            where = f"row {p.row}" if p.row else "file"
            print(f"{path}: {where}{f' ({p.column})' if p.column else ''}: {p.message}", file=sys.stderr)
        print(f"caseroom: the roster has {len(exc.problems)} problem(s); nothing was stored", file=sys.stderr)
        return 2
    groups = sorted({p.group for p in people if p.group})
    print(f"{args.course}: {len(people)} people" + (f" in {len(groups)} groups" if groups else ""))
    return 0


def course_codes(args: argparse.Namespace) -> int:
    """Printed per-person codes: write the sheet (CSV) to print; the store keeps only the hashes."""
    from server.courses_api import issue_codes

    store = _course_store(args)
    if not store.load_roster(args.course):
        print(f"caseroom: course {args.course} has no roster", file=sys.stderr)
        return 1
    out = Path(args.out)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # codes are credentials
    with os.fdopen(fd, "wb") as fh:
        fh.write(issue_codes(store, args.course))
    print(f"wrote the codes sheet to {out}; print it, hand it out, then delete the file")
    return 0


def course_list(args: argparse.Namespace) -> int:
    from datetime import datetime

    store = _course_store(args)
    courses = store.list_courses()
    if not courses:
        print("no courses yet")
    for c in courses:
        when = datetime.fromtimestamp(c.created_at / 1000).strftime("%Y-%m-%d")
        days = ", ".join(f"day {r.course_day or '?'} {r.code}" for r in store.course_sessions(c.id))
        print(f"{c.id}  {when}  {len(store.load_roster(c.id)):4d} people  {c.title}" + (f"  [{days}]" if days else ""))
    return 0


def _confirmed(args: argparse.Namespace, expected: str, what: str) -> bool:
    confirm = args.confirm
    if confirm is None:
        print(f"This deletes {what} for good. It cannot be undone.")
        try:
            confirm = input(f"Type {expected!r} again to confirm: ").strip()
        except EOFError:
            confirm = ""
    if confirm != expected:
        print("caseroom: what was typed again does not match; nothing was deleted", file=sys.stderr)
        return False
    return True


def course_delete(args: argparse.Namespace) -> int:
    """A course, its roster and every one of its sessions."""
    store = _course_store(args)
    course = store.get_course(args.course)
    if course is None:
        print(f"caseroom: no course {args.course}", file=sys.stderr)
        return 1
    sessions = store.course_sessions(course.id)
    if not _confirmed(args, course.id, f"course {course.id} ({course.title}), its roster and its "
                                       f"{len(sessions)} session(s) with their whole records"):
        return 2
    store.delete_course(course.id)
    print(f"deleted course {course.id} and {len(sessions)} session(s)")
    return 0


def course_delete_person(args: argparse.Namespace) -> int:
    """One person of a course: roster row, name, plans and posts (sessions/erase.py)."""
    from sessions.erase import erase_person

    store = _course_store(args)
    if not any(p.person_id == args.person for p in store.load_roster(args.course)):
        print(f"caseroom: no person {args.person} in course {args.course}", file=sys.stderr)
        return 1
    sessions = store.course_sessions(args.course)
    if any(r.ended_at is None for r in sessions):
        print("caseroom: a session of this course is live; end it first", file=sys.stderr)
        return 2
    if not _confirmed(args, args.person, f"person {args.person}: their roster row, name, plans and posts"):
        return 2
    for rec in sessions:
        store.rewrite_events(rec.code, erase_person(store.load_events(rec.code), args.person))
    store.delete_person(args.course, args.person)
    print(f"erased person {args.person} from course {args.course} ({len(sessions)} session(s))")
    return 0


def export(args: argparse.Namespace) -> int:
    from sessions.export import FORMATS, render
    from sessions.i18n import zone
    from sessions.tables import TABLE_NAMES

    if args.format not in FORMATS:
        print(f"caseroom: unknown format '{args.format}' (use {', '.join(FORMATS)})", file=sys.stderr)
        return 2
    if args.table is not None and (args.format != "csv" or args.table not in TABLE_NAMES):
        print(f"caseroom: --table goes with --format csv and is one of: {', '.join(TABLE_NAMES)}", file=sys.stderr)
        return 2
    try:
        tz = zone(args.timezone)
    except ValueError as exc:
        print(f"caseroom: {exc}", file=sys.stderr)
        return 2
    sessions = _open_sessions(args.data)
    live = sessions.load(args.code)  # type: ignore[attr-defined]
    if live is None:
        print(f"caseroom: no session {args.code}", file=sys.stderr)
        return 1
    body, _media, name = render(live, args.format, tz, args.table)
    out = Path(args.output or name)
    if args.format == "csv" and args.table is None and out.suffix.lower() != ".zip":
        # All the tables come as a zip; a .csv name would hide that from Excel and from the reader.
        out = out.with_suffix(".zip")
        print(f"caseroom: the CSV export of every table is a zip; writing {out} "
              "(use --table NAME for one .csv)", file=sys.stderr)
    # A record names every trainee: owner-only, even when the file already existed with a looser mode.
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(body)
    print(f"{out}: {len(body)} bytes")
    return 0


def db_upgrade(args: argparse.Namespace) -> int:
    """Bring the store's schema to the newest revision (the server also does it when it starts)."""
    from server.auth import private_data_dir
    from sessions.migrate import upgrade

    cfg = Config.from_env(data_dir=Path(args.data))
    local = cfg.database_url is None  # with PostgreSQL the data directory holds nothing: leave it alone
    if local:
        private_data_dir(cfg.data_dir)
    revision = upgrade(cfg.store_url())
    if local:
        private_data_dir(cfg.data_dir)  # the database file (and its journal) that the upgrade created
    print(f"caseroom: database schema at revision {revision}")
    return 0


def main(argv: list[str] | None = None) -> int:
    # Everything caseroom writes (the database, the token file, exports) is the owner's alone.
    os.umask(0o077)
    parser = argparse.ArgumentParser(prog="caseroom", description="live sessions for classroom training")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="start the server")
    p.add_argument("--host", default="0.0.0.0")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--data", default="data", help="data directory (default ./data)")
    p.add_argument("--public-url", default=None,
                   help="base URL phones use (default: http://<LAN address>:<port>)")
    p.add_argument("--quiet", action="store_true", help="log warnings only")
    p.add_argument("--timezone", default=None,
                   help="IANA time zone of the local times in exports, e.g. Asia/Shanghai (default: the "
                        "system's; also CASEROOM_TIMEZONE)")
    p.add_argument("--trusted-proxies", default=os.environ.get("CASEROOM_TRUSTED_PROXIES"),
                   help="comma-separated addresses of reverse proxies whose X-Forwarded-For is believed")
    p.set_defaults(func=serve)

    p = sub.add_parser("sessions", help="list live and past sessions (or delete one)")
    p.add_argument("--data", default="data", help="data directory (default ./data)")
    p.set_defaults(func=list_sessions)
    ps = p.add_subparsers(dest="sessions_command")
    d = ps.add_parser("delete", help="delete a session and its whole record (asks for the code again)")
    d.add_argument("code")
    d.add_argument("--confirm", help="the code typed again, for scripts (otherwise asked on the terminal)")
    d.add_argument("--data", default=argparse.SUPPRESS, help="data directory (default ./data)")
    d.set_defaults(func=delete_session)
    p = sub.add_parser("course", help="courses and their rosters (docs/courses.md)")
    pc = p.add_subparsers(dest="course_command", required=True)
    d = pc.add_parser("create", help="create a course; prints its id")
    d.add_argument("title")
    d.set_defaults(func=course_create)
    d = pc.add_parser("roster", help="load or replace a course's roster from a CSV or XLSX file")
    d.add_argument("course")
    d.add_argument("file")
    d.set_defaults(func=course_roster)
    d = pc.add_parser("codes", help="give each person a printed code as their check; writes the sheet")
    d.add_argument("course")
    d.add_argument("--out", required=True, help="the CSV sheet to write (owner-only)")
    d.set_defaults(func=course_codes)
    d = pc.add_parser("list", help="list courses, their head-counts and sessions")
    d.set_defaults(func=course_list)
    d = pc.add_parser("delete", help="delete a course, its roster and all its sessions (asks again)")
    d.add_argument("course")
    d.add_argument("--confirm", help="the course id typed again, for scripts")
    d.set_defaults(func=course_delete)
    d = pc.add_parser("delete-person", help="erase one person from a course (asks again)")
    d.add_argument("course")
    d.add_argument("person")
    d.add_argument("--confirm", help="the person id typed again, for scripts")
    d.set_defaults(func=course_delete_person)
    for d in pc.choices.values():
        d.add_argument("--data", default="data", help="data directory (default ./data)")
    p = sub.add_parser("export", help="write a session's record to a file")
    p.add_argument("code")
    p.add_argument("--format", default="json", help="json, csv (a zip of every table, or --table), xlsx or html")
    p.add_argument("--table", help="with --format csv: just this table as one .csv (trainees, groups, "
                                   "action_plans, awards, activities, submissions, rubric_scores, events)")
    p.add_argument("--timezone", help="IANA time zone of the local times (default: the system's)")
    p.add_argument("-o", "--output", help="file to write (default caseroom-CODE.EXT)")
    p.add_argument("--data", default="data", help="data directory (default ./data)")
    p.set_defaults(func=export)

    deck = sub.add_parser("deck", help="check, import and describe deck files").add_subparsers(
        dest="deck_command", required=True)
    d = deck.add_parser("check", help="validate deck files and print every problem with its line")
    d.add_argument("files", nargs="+")
    d.set_defaults(func=deck_check)
    d = deck.add_parser("import", help="turn a spreadsheet of cards (.xlsx or .csv) into a deck file")
    d.add_argument("file")
    d.add_argument("-o", "--output", help="write the deck here (default: print it)")
    d.add_argument("--id", help="the deck id (default: from the file)")
    d.add_argument("--title", help="the deck title")
    d.add_argument("--groups", help="group names for group modes, e.g. '第一组,第二组,第三组' "
                                    "(instead of a groups sheet)")
    d.set_defaults(func=deck_import)
    d = deck.add_parser("template", help="write the XLSX template for `deck import`")
    d.add_argument("-o", "--output", default="deck-template.xlsx")
    d.set_defaults(func=deck_template)
    d = deck.add_parser("schema", help="print the deck format as a JSON Schema for editors")
    d.set_defaults(func=deck_schema)
    p = sub.add_parser("db", help="manage the store").add_subparsers(dest="db_command", required=True)
    p = p.add_parser("upgrade", help="apply the schema migrations (CASEROOM_DATABASE_URL or --data)")
    p.add_argument("--data", default="data", help="data directory (default ./data)")
    p.set_defaults(func=db_upgrade)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
