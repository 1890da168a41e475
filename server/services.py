"""Everything the routes and the websocket share, built once per app (never at import)."""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
import socket
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import segno

from games.bundle import builtin_bundles, is_zip, read_zip
from games.decks import Deck, parse_deck, parse_stored
from games.media import EXTENSIONS
from server.auth import PlayerTokens, admin_token, digest, new_join_code, new_secret, private_data_dir, same
from server.cluster import Cluster
from server.config import Config
from server.limits import Limits, Rate
from server.netaddr import base_url
from server.records import Records
from server.rooms import Rooms
from server.supervisor import Supervisor
from sessions.clock import Clock, SystemClock
from sessions.commit import Committer
from sessions.core import Command
from sessions.erase import erase_person
from sessions.errors import DeckInvalid, NotFound, Refused
from sessions.hub import Hub, LocalHub
from sessions.live import LiveSession, Outcome, Sessions, choose_agenda
from sessions.roster import RosterPerson
from sessions.store import Store, open_store

log = logging.getLogger("caseroom")
NO_HASH = digest("no session has this key")  # compared against when the code is unknown
MAX_DAYS = 30  # a course's days
ROSTER_TTL = 10.0  # seconds a cached roster is trusted (another process of a cluster may replace it)


class MediaCache:
    """The media files served lately, up to a byte budget (content-addressed: never stale)."""

    def __init__(self, budget: int = 64_000_000) -> None:
        self.budget = budget
        self.items: OrderedDict[str, tuple[str, bytes]] = OrderedDict()
        self.size = 0

    def get(self, sha: str) -> tuple[str, bytes] | None:
        item = self.items.get(sha)
        if item is not None:
            self.items.move_to_end(sha)
        return item

    def put(self, sha: str, item: tuple[str, bytes]) -> None:
        if sha in self.items or len(item[1]) > self.budget:
            return
        self.items[sha] = item
        self.size += len(item[1])
        while self.size > self.budget:
            _old, (_type, data) = self.items.popitem(last=False)
            self.size -= len(data)

def _shut_down(task: str) -> None:
    """The supervisor gave up on a task: drain like on SIGTERM; the lifespan then exits non-zero."""
    signal.raise_signal(signal.SIGTERM)


@dataclass
class Services:
    config: Config
    store: Store
    clock: Clock
    hub: Hub
    admin_token: str
    tokens: PlayerTokens
    sessions: Sessions
    rooms: Rooms
    committer: Committer
    limits: Limits
    decks: dict[str, Deck] = field(default_factory=dict)
    builtin_ids: set[str] = field(default_factory=set)
    base: str = ""
    cluster: Cluster | None = None
    media_cache: MediaCache = field(default_factory=lambda: MediaCache())
    # Ended sessions' cohort figures (server/cohorts_api.py), by (code, created_at): counts only.
    cohort_figures: OrderedDict[tuple[str, int], dict[str, Any]] = field(default_factory=OrderedDict)
    supervisor: Supervisor = field(default_factory=lambda: Supervisor(_shut_down))
    records: Records = field(init=False)
    rosters: dict[str, tuple[float, list[RosterPerson]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.records = Records(self.sessions)

    @classmethod
    def build(cls, config: Config, *, clock: Clock | None = None, store: Store | None = None,
              hub: Hub | None = None) -> Services:
        private_data_dir(config.data_dir)
        store = store or open_store(config.store_url())
        private_data_dir(config.data_dir)  # a database file just created, whatever the umask
        clock = clock or SystemClock()
        if hub is None and config.redis_url:
            from sessions.redis_hub import RedisHub

            hub = RedisHub(config.redis_url, f"{socket.gethostname()}:{config.port}:{secrets.token_hex(3)}")
        hub = hub or LocalHub()
        bundles = builtin_bundles()
        decks = {deck_id: deck for deck_id, (deck, _files) in bundles.items()}
        builtin_ids = set(decks)
        for _deck, files in bundles.values():  # built-in media is served like uploaded media
            store.save_media(files, clock.now_ms())
        sessions = Sessions(store, hub, decks.get)
        committer = Committer(store, clock.now_ms)
        svc = cls(config=config, store=store, clock=clock, hub=hub,
                  admin_token=admin_token(config.data_dir, config.admin_token),
                  tokens=PlayerTokens(store), sessions=sessions, committer=committer,
                  limits=Limits(Rate(config.join_burst, config.join_rate),
                                Rate(2 * config.message_rate, config.message_rate)),
                  rooms=Rooms(clock, sessions.get, committer), decks=decks, builtin_ids=builtin_ids,
                  base=base_url(config.host, config.port, config.public_url))
        if config.redis_url:
            from sessions.redis_hub import RedisHub

            assert isinstance(hub, RedisHub)
            svc.cluster = Cluster(hub, sessions, committer, lambda code: svc.rooms.room(code).arm_timer())
            svc.rooms.may_tick = svc.cluster.is_owner
            # Each process sees only its own phones: attendance per process, relayed to the owner, and
            # no closing when everyone has answered (see rooms.py).
            svc.rooms.node, svc.rooms.run = svc.cluster.node, svc.cluster.run
        svc.refresh_decks()
        return svc

    def refresh_decks(self) -> None:
        """Take up decks uploaded to the store (by this process earlier, or by another one in a cluster).

        A source already parsed is not parsed again, so a refresh costs one read when nothing changed.
        """
        for deck_id, source in self.store.load_decks():
            if deck_id in self.builtin_ids:
                continue
            known = self.decks.get(deck_id)
            if known is not None and known.source == source:
                continue
            try:
                self.decks[deck_id] = parse_stored(source, f"uploaded deck {deck_id}")
            except DeckInvalid as exc:  # a deck that a newer rule rejects: skip, say so
                log.warning("uploaded deck %s no longer validates: %s", deck_id, exc)

    def deck_catalogue(self) -> dict[str, Deck]:
        """Every deck this server offers; with Redis, other processes' uploads count too."""
        if self.cluster is not None:
            self.refresh_decks()
        return self.decks

    async def start(self) -> int:
        """Start the committer; restore live sessions (single process) or join the cluster (Redis)."""
        self.supervisor.keep("committer", self.committer.start)
        if self.cluster is not None:
            await self.cluster.hub.start(self.supervisor.keep)
            await self.cluster.start(self.supervisor.keep)
            return 0  # sessions are taken up on first use, and owned by one process at a time
        count = self.sessions.restore_all()
        for code in self.sessions.live:
            self.rooms.room(code)
        self.rooms.arm_all()
        return count

    async def stop(self) -> None:
        self.supervisor.stop()
        await self.committer.close()
        if self.cluster is not None:
            await self.cluster.close()
            await self.cluster.hub.close()

    async def live(self, code: str) -> LiveSession:
        """The live session with this code: local, or (with Redis) taken up from the shared log."""
        if self.cluster is not None:
            live = await self.cluster.session(code)
            self.rooms.room(code)
            return live
        return self.sessions.get(code)

    async def run(self, live: LiveSession, cmd: Command) -> Outcome:
        """Run a command and return once its events are stored (relayed to the owner with Redis)."""
        if self.cluster is not None:
            return await self.cluster.run(live, cmd)
        return await self.committer.run(live, cmd)

    async def created(self, code: str) -> None:
        if self.cluster is not None:
            await self.cluster.created(code)

    # -- auth -------------------------------------------------------------------------------
    def is_admin(self, token: str) -> bool:
        return same(token, self.admin_token)

    def is_host(self, live: LiveSession, key: str) -> bool:
        return same(digest(key), live.record.host_key_hash) or self.is_admin(key)

    def media(self, name: str) -> tuple[str, bytes] | None:
        """A media file by its URL name (``<sha256>.<ext>``): from the cache, else the store."""
        sha, dot, ext = name.partition(".")
        if len(sha) != 64 or not dot or any(c not in "0123456789abcdef" for c in sha):
            return None
        item = self.media_cache.get(sha)
        if item is None:
            item = self.store.load_media(sha)
            if item is None:
                return None
            self.media_cache.put(sha, item)
        return item if EXTENSIONS.get(item[0]) == f".{ext}" else None
    def host_key_opens(self, code: str | None, key: str) -> bool:
        """Whether ``key`` is the host key of session ``code``, from memory or one small read of its
        record, without loading it; an unknown code costs the same comparison (no timing oracle)."""
        live = self.sessions.live.get(code) if code is not None else None
        if live is not None:
            stored: str | None = live.record.host_key_hash
        else:
            row = self.store.session_key(code) if code is not None else None
            stored = row[0] if row else None
        return same(digest(key), stored or NO_HASH) and stored is not None

    # -- sessions ---------------------------------------------------------------------------
    def create_session(self, deck_id: str, title: str | None, agenda: object = None,
                       modules: object = None, preset: object = None,
                       day: object = None, course: object = None) -> tuple[LiveSession, str]:
        deck = self.deck_catalogue().get(deck_id)
        if deck is None:
            raise Refused("unknown_deck", f"there is no deck '{deck_id[:64]}'")
        of_course: tuple[str, int | None] | None = None
        if course is not None:
            if not isinstance(course, str) or self.store.get_course(course) is None:
                raise NotFound("unknown_course", "there is no course with that id")
            if day is not None and (not isinstance(day, int) or isinstance(day, bool) or not 1 <= day <= MAX_DAYS):
                raise Refused("bad_day", f"day should be a whole number from 1 to {MAX_DAYS}")
            of_course = (course, day)  # type: ignore[assignment]
            if preset is None:
                day = None  # the course's day only; with a preset it is also the agenda's day
        chosen = choose_agenda(deck, agenda, modules, preset, day)
        picked = (str(preset), 1 if day is None else int(day)) if preset is not None else None  # type: ignore[call-overload]
        host_key = new_secret(24)
        code = new_join_code(lambda c: c in self.sessions.live or self.store.code_taken(c))
        live = self.sessions.create(deck, title or deck.title, code, digest(host_key),
                                    self.clock.now_ms(), chosen, picked, of_course)
        if of_course is not None:
            self._inherit_followup(of_course[0], code)
        self.rooms.room(code)
        return live, host_key

    def _inherit_followup(self, course_id: str, code: str) -> None:
        """A day added to a course whose days all share one chosen follow-up date (the course's
        date, set for every day at once) takes that date too, as the trainer would expect of a
        course-wide date; where the days differ or keep their defaults, the new day keeps its own."""
        dates = {self.store.followup_date(r.code) for r in self.store.course_sessions(course_id) if r.code != code}
        if len(dates) == 1 and (date := dates.pop()) is not None:
            self.store.set_followup_date(code, date)

    def roster(self, course_id: str) -> list[RosterPerson]:
        """A course's roster, cached for a few seconds: every rostered join reads it."""
        now = time.monotonic()
        hit = self.rosters.get(course_id)
        if hit is None or now - hit[0] > ROSTER_TTL:
            hit = (now, self.store.load_roster(course_id))
            self.rosters[course_id] = hit
        return hit[1]

    def roster_of(self, live: LiveSession) -> list[RosterPerson] | None:
        """The roster that names this session's players, or None (no course, or an empty roster)."""
        course = live.state.course
        people = self.roster(course[0]) if course is not None else []
        return people or None

    def links(self, code: str, host_key: str) -> dict[str, str]:
        return {
            "join_url": f"{self.base}/j/{code}",
            "host_url": f"{self.base}/host/{code}#key={host_key}",
            "console_url": f"{self.base}/console/{code}#key={host_key}",
        }

    def join_url(self, code: str) -> str:
        return f"{self.base}/j/{code}"

    def qr_data_uri(self, code: str) -> str:
        return self.qr_for(self.join_url(code))

    def qr_for(self, text: str) -> str:
        """A QR code of ``text`` as an SVG data URI (the page's CSP allows ``img-src data:``)."""
        return segno.make(text, error="m").svg_data_uri(scale=8, border=2)

    async def delete_session(self, code: str) -> bool:
        """Forget a session: close its connections, drop it from memory, delete its record."""
        room = self.rooms.rooms.pop(code, None)
        if room is not None:
            await room.close_all(4404)
            room.close()
        self.sessions.live.pop(code, None)
        self.records.forget(code)
        for key in [k for k in self.cohort_figures if k[0] == code]:
            del self.cohort_figures[key]
        return self.store.delete_session(code)

    async def delete_course(self, course_id: str) -> int:
        """Forget a course: each of its sessions as ``delete_session`` does, then its roster."""
        codes = [rec.code for rec in self.store.course_sessions(course_id)]
        for code in codes:
            await self.delete_session(code)
        self.store.delete_course(course_id)
        self.rosters.pop(course_id, None)
        return len(codes)

    async def delete_person(self, course_id: str, person_id: str) -> bool:
        """Erase one person from a course (``sessions/erase.py``): their roster row, and their name,
        plans and posts in its sessions. Only once every session of the course has ended: a live
        session's state, views and connected phones would still hold what was erased."""
        if not any(p.person_id == person_id for p in self.store.load_roster(course_id)):
            return False
        records = self.store.course_sessions(course_id)
        if any(rec.ended_at is None for rec in records):
            raise Refused("course_live", "end the course's live sessions before erasing someone")
        for rec in records:
            self.store.rewrite_events(rec.code, erase_person(self.store.load_events(rec.code), person_id))
            self.records.forget(rec.code)
            if (held := self.sessions.live.get(rec.code)) is not None:
                held.reload()  # an ended session still in memory: fold the erased log again
        self.store.delete_person(course_id, person_id)
        self.rosters.pop(course_id, None)
        return True

    async def add_deck(self, source: bytes, *, zipped: bool = False) -> Deck:
        """Validate and keep an uploaded deck (YAML, or a zip bundle with its media); nothing is
        stored unless the whole deck and every file validated.

        Parsing is bounded (games/yamlsource.py) and a bundle is inflated, sniffed and hashed, but a
        large deck still takes about a second of CPU: it runs in a thread, never on the event loop.
        """
        deck, files = await asyncio.to_thread(_read_upload, source, zipped)
        if deck.id in self.builtin_ids:
            raise Refused("deck_exists", f"'{deck.id}' is a built-in deck; upload under another id")
        now = self.clock.now_ms()
        self.store.save_media(files, now)  # first: a deck is never stored without its files
        self.store.save_deck(deck.id, deck.source, now)
        self.decks[deck.id] = deck
        return deck


def _read_upload(source: bytes, zipped: bool) -> tuple[Deck, dict[str, tuple[str, bytes]]]:
    """An uploaded deck and the media files it names (none for plain YAML), or DeckInvalid."""
    if zipped or is_zip(source):
        bundle = read_zip(source)
        deck = bundle.deck("uploaded bundle")
        return deck, bundle.stored_files(deck)
    return parse_deck(source, "uploaded deck"), {}
