"""The runtime around the pure core: number, store, apply, announce.

``LiveSession.execute`` is the one path every change takes:

    dedupe by client id -> decide (pure) -> number events -> store.append (durable)
    -> apply to state -> hub.publish

If ``decide`` refuses, nothing was stored or applied. If ``append`` raises,
nothing was applied and the caller must not acknowledge. ``Sessions`` holds
the live sessions of this process, creates new ones and, at start-up,
rebuilds every unfinished session by replaying its log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from games.decks import Deck, parse_stored
from sessions.core import Command, decide, existing_join, next_due
from sessions.errors import NotFound, Refused
from sessions.events import Event
from sessions.hub import Hub
from sessions.state import SessionState, apply, new_state
from sessions.store import SessionRecord, Store

log = logging.getLogger("caseroom.sessions")


@dataclass
class Outcome:
    events: list[Event] = field(default_factory=list)
    duplicate: bool = False

    @property
    def seq(self) -> int | None:
        return self.events[-1].seq if self.events else None


class LiveSession:
    def __init__(self, record: SessionRecord, deck: Deck, store: Store, hub: Hub,
                 events: list[Event]) -> None:
        self.record = record
        self.store = store
        self.hub = hub
        self.state: SessionState = new_state(record.code, record.title, deck, record.created_at)
        self.last_events: list[Event] = []  # what the latest publish was about
        for ev in events:
            apply(self.state, ev)
        self.committed_seq = self.state.seq  # views never show events beyond this (all stored)

    @property
    def code(self) -> str:
        return self.record.code

    def decide_events(self, cmd: Command, now: int) -> Outcome:
        """Dedupe and decide: the numbered events a command causes (nothing changes yet)."""
        if cmd.client_id is not None and (cmd.actor, cmd.client_id) in self.state.seen:
            return Outcome(duplicate=True)
        if cmd.name == "join" and existing_join(self.state, cmd.client_id, cmd.args.get("name")) in self.state.players:
            # The same join again (same client id, same name) that reached the log in the meantime:
            # sent twice before its first try was committed, or relayed again after its answer was
            # lost. Checking before the command queues is not enough; here it is decided in order.
            return Outcome(duplicate=True)
        drafts = decide(self.state, cmd, now)
        seq = self.state.seq
        return Outcome([Event(seq + i, now, d.type,
                              d.data.get("player_id", cmd.actor) if d.type == "player_joined" else cmd.actor,
                              cmd.client_id, d.data)
                        for i, d in enumerate(drafts, 1)])

    def apply_events(self, events: list[Event]) -> None:
        for ev in events:
            apply(self.state, ev)

    def ended_at(self, events: list[Event]) -> int | None:
        return next((e.at for e in events if e.type == "session_ended"), None)

    @property
    def pending(self) -> bool:
        """Events applied but not yet committed: no view may be rendered from this state."""
        return self.state.seq != self.committed_seq

    def announce(self, events: list[Event], *, remote: bool = False) -> None:
        """After a commit (or, on a replica, after applying another process's commit): tell the
        hub, so every audience renders its new view."""
        self.committed_seq = max(self.committed_seq, events[-1].seq) if events else self.committed_seq
        if events:
            self.last_events = events
            if remote:
                self.hub.deliver(self.code, self.state.seq)
            else:
                self.hub.publish(self.code, self.state.seq, events)

    def execute(self, cmd: Command, now: int) -> Outcome:
        """Decide, store, apply, publish, synchronously (tests, CLI); the server batches via Committer."""
        out = self.decide_events(cmd, now)
        if not out.events:
            return out
        self.store.append(self.code, out.events)
        ended = self.ended_at(out.events)
        if ended is not None:
            self.store.mark_ended(self.code, ended)
        self.apply_events(out.events)
        self.announce(out.events)
        return out

    def reload(self) -> None:
        """Throw away in-memory state and rebuild it from the store (after a failed commit)."""
        self.state = new_state(self.record.code, self.record.title, self.state.deck, self.record.created_at)
        self.apply_events(self.store.load_events(self.code))
        self.committed_seq = self.state.seq

    def join(self, name: object, group: object, client_id: str | None, now: int) -> tuple[str, bool]:
        """Join a player; a resent join (same client id and name) returns the same player."""
        again = existing_join(self.state, client_id, name)
        if again is not None:
            return again, True
        out = self.execute(Command("join", "join", {"name": name, "group": group}, client_id), now)
        return out.events[-1].data["player_id"], False

    def next_due(self) -> int | None:
        """When the driver must send the next ``tick`` (epoch ms), or None."""
        return next_due(self.state)


def choose_agenda(deck: Deck, agenda: object = None, modules: object = None, preset: object = None,
                  day: object = None) -> list[str] | None:
    """A trainer's choice of activities (in their order), of whole modules (in deck order), or of
    one day of a preset (a session can be day 2 of a two-day course: it starts where that day does).

    Returns None for "the deck's own agenda"; raises Refused for anything that
    names no activity, module or preset day of the deck.
    """
    if agenda is None and modules is None and preset is None:
        if day is not None:
            raise Refused("bad_agenda", "a day is a day of a preset: send preset too")
        return None
    if sum(x is not None for x in (agenda, modules, preset)) > 1:
        raise Refused("bad_agenda", "choose activities, modules or a preset, only one of them")
    if preset is not None:
        found = deck.preset(preset) if isinstance(preset, str) else None
        if found is None:
            raise Refused("bad_agenda", "preset should be one of the deck's agenda presets")
        day = 1 if day is None else day
        if not isinstance(day, int) or isinstance(day, bool) or not 1 <= day <= len(found.days):
            raise Refused("bad_agenda", f"day should be a whole number from 1 to {len(found.days)}")
        chosen = list(found.days[day - 1])
    elif modules is not None:
        known = {m for m, _ in deck.modules}
        if not isinstance(modules, list) or not modules or not all(isinstance(m, str) and m in known
                                                                    for m in modules):
            raise Refused("bad_agenda", "modules should be a list of the deck's module ids")
        chosen = [a for a in deck.agenda if deck.activities[a].module in modules]
    else:
        if not isinstance(agenda, list) or not agenda or not all(isinstance(a, str) and a in deck.activities
                                                                  for a in agenda):
            raise Refused("bad_agenda", "agenda should be a list of the deck's activity ids")
        chosen = list(dict.fromkeys(agenda))
    if not chosen:
        raise Refused("bad_agenda", "that choice leaves no activity to play")
    return chosen


class Sessions:
    """The live sessions this process holds, and how new ones come to be."""

    def __init__(self, store: Store, hub: Hub, decks: Callable[[str], Deck | None]) -> None:
        self.store = store
        self.hub = hub
        self.decks = decks
        self.live: dict[str, LiveSession] = {}

    def create(self, deck: Deck, title: str, code: str, host_key_hash: str, now: int,
               agenda: list[str] | None = None, preset: tuple[str, int] | None = None,
               course: tuple[str, int | None] | None = None) -> LiveSession:
        """A new session; ``agenda`` (checked with ``choose_agenda``) narrows the deck's agenda;
        ``preset`` (id, day) records which preset's day it is; ``course`` (id, day) which course
        it is a day of (its roster then names the players: docs/courses.md)."""
        record = SessionRecord(code, title, deck.id, deck.source, host_key_hash, now,
                               course_id=course[0] if course else None, course_day=course[1] if course else None)
        data: dict[str, Any] = {"code": code, "title": title, "deck": deck.id, "deck_version": deck.version}
        if agenda is not None:
            data["agenda"] = agenda
        if preset is not None:
            data["preset"], data["day"] = preset
        if course is not None:
            data["course"], data["course_day"] = course
        first = Event(1, now, "session_created", "host", None, data)
        self.store.create_session(record, [first])
        live = LiveSession(record, deck, self.store, self.hub, [first])
        self.live[code] = live
        return live

    def get(self, code: str) -> LiveSession:
        live = self.live.get(code)
        if live is None:
            raise NotFound("unknown_session", "there is no live session with that code")
        return live

    def restore_all(self) -> int:
        """Rebuild every unfinished session from its own log and its own copy of the deck."""
        for code in self.store.live_codes():
            record = self.store.get_session(code)
            if record is None or code in self.live:
                continue
            try:
                deck = parse_stored(record.deck_source, f"session {code}")
                self.live[code] = LiveSession(record, deck, self.store, self.hub,
                                              self.store.load_events(code))
            except Exception:
                # One session whose own deck copy a newer rule refuses (a `.inf` uploaded before the
                # check existed), or whose log no longer folds, must not keep every other class from
                # starting: it stays in the store, untouched, and the log says which one.
                log.exception("session %s could not be restored; it stays in the store, not live", code)
        log.info("restored %d live session(s)", len(self.live))
        return len(self.live)

    def load(self, code: str) -> LiveSession | None:
        """A session, live or ended, rebuilt from the store (for exports and reviews)."""
        if code in self.live:
            return self.live[code]
        record = self.store.get_session(code)
        if record is None:
            return None
        deck = parse_stored(record.deck_source, f"session {code}")
        return LiveSession(record, deck, self.store, self.hub, self.store.load_events(code))
