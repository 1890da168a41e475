"""Connections grouped by session, with latest-view-wins sending and deadline timers.

Each connection has one sender task. Acks and errors queue in order; a view
is never queued: the connection is only marked *dirty*, and when the sender
gets to run it renders the newest view for its audience. A phone that reads
slowly therefore gets fewer, fresher views instead of a growing backlog, and
one serialisation of the screen view serves every screen of the session.
Screens and consoles send at most ``VIEW_INTERVAL`` apart (about ten views a
second), however fast answers arrive; a view that is costly to render or large
(a console listing thousands of phones) comes less often, so that rendering it
takes at most ``VIEW_CPU_SHARE`` of a core and sending it ``VIEW_BYTES_PER_S``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from server.protocol import dumps
from server.refusals import WINDOW, JoinRefusals
from server.socket import Socket
from sessions.autoclose import GRACE_MS, present, should_check
from sessions.clock import Clock
from sessions.commit import Committer
from sessions.core import Command
from sessions.errors import Refused
from sessions.events import Event
from sessions.live import LiveSession, Outcome
from sessions.phases import ENDED, REVEALED
from sessions.views import console_view, player_view, screen_view

log = logging.getLogger("caseroom.rooms")

VIEW_INTERVAL = 0.1
VIEW_CPU_SHARE = 0.05  # a screen's or console's views may take this share of a core at most
VIEW_BYTES_PER_S = 250_000  # and this much of a trainer's Wi-Fi (a hall's console view is 200 KB)
SEND_TIMEOUT = 10.0  # seconds a single frame may wait for a client to read
WATCH_EVERY = 1.0  # how often a room looks for connections stuck in a send
CLOSE_TOO_SLOW = 4008
ANSWERS = ("answer_submitted", "answer_confirmed")
ROOM_ONLY = frozenset({"all_answered"})  # events that change the screen's and console's views only
MAX_OUTBOX = 256
OWED_AT_MOST = 3.0  # seconds an answering phone may wait for the view its ack made redundant
CLOSE_INTERNAL = 1011  # a bug of ours while rendering this connection's view
CLOSE_REMOVED = 4403  # the trainer removed this player


class Conn:
    """One identified websocket: its queue of acks and errors, and whether it needs a view.

    There is no sender task while there is nothing to send: ``_kick`` starts one when a
    frame is queued or a view is due, and it ends once both are done. An idle phone
    costs no task, no event and no coroutine frame, which matters with thousands.
    """

    __slots__ = ("_last_view", "closed", "dirty", "outbox", "owed_since", "player_id", "role", "room",
                 "sending_since", "task", "view", "view_seq", "ws")

    def __init__(self, ws: Socket, room: Room, role: str, player_id: str | None = None) -> None:
        self.ws = ws
        self.room = room
        self.role = role
        self.player_id = player_id
        self.outbox: deque[str] | None = None
        self.dirty = True
        self.view: str | None = None  # a view rendered when its commit landed, not sent yet
        self.view_seq = -1
        self.closed = False
        self.task: asyncio.Task[None] | None = None
        self._last_view = 0.0
        self.sending_since = 0.0  # monotonic time the frame being sent was handed over; 0 when none
        self.owed_since = 0.0  # monotonic time a view was held back after this phone's own answer; 0 when none

    def start(self) -> None:
        if not self._flush_now():
            self._kick()

    def queue(self, *messages: dict[str, Any]) -> None:
        """Frames to go out first when the connection starts (a join's welcome and ack)."""
        self._hold(dumps(message) for message in messages)

    def _hold(self, texts: Iterable[str]) -> None:
        """Frames for the outbox, behind what it holds (the one place that creates it)."""
        if self.outbox is None:
            self.outbox = deque()
        self.outbox.extend(texts)

    def send(self, *messages: dict[str, Any]) -> None:
        """Queue these frames (in order) and whatever view is due; at once if the socket takes them."""
        if self.closed:
            return
        if self.outbox is not None and len(self.outbox) >= MAX_OUTBOX:
            # A client that lets hundreds of acks pile up is stuck; let it reconnect.
            self.close_soon(1008)
            return
        texts = [dumps(message) for message in messages]
        if self.outbox is None and self.task is None and not self.dirty and self.ws.write_now(texts):
            return  # (nothing queued, no view due: an answer's ack, written as it is)
        self._hold(texts)
        if not self._flush_now():
            self._kick()

    def mark_dirty(self) -> None:
        """Something this audience sees changed: render the newest view when sending next."""
        self.dirty = True
        self.view = None
        self.owed_since = 0.0
        self._kick()

    def offer(self, text: str, seq: int) -> None:
        """The newest view, rendered at the moment its commit landed (``seq`` committed)."""
        self.owed_since = 0.0
        self.dirty = True
        self.view, self.view_seq = text, seq
        if not self._flush_now():
            self._kick()

    def _flush_now(self) -> bool:
        """Write what is due (queued frames, a player's view) at once, without a sender task,
        when the socket takes it now: True. An answer's ack and a join's welcome, ack and
        first view go out in one write and cost no task (a task per answer was a visible
        share of a burst). False: the sender task does it (a screen's or console's view, which
        waits for its interval; a socket that is backed up)."""
        if self.task is not None or self.closed or (self.dirty and self.role != "player"):
            return False
        batch = list(self.outbox) if self.outbox else []
        failed = self._render_into(batch) if self.dirty else None
        written = not batch or self.ws.write_now(batch)
        # (Not written: the sender task sends it all, the view rendered as a plain frame in its place.)
        self.outbox = None if written else deque(batch)
        if failed is not None:
            self.room.render_failed(self, failed)
        return written

    def _render_into(self, batch: list[str]) -> Exception | None:
        """The newest view appended to ``batch`` (if any is due); the exception if rendering raised."""
        self.dirty = False
        try:
            text = self.room.render(self)
        except Exception as exc:
            return exc
        if text is not None:
            batch.append(text)
        return None

    def _kick(self) -> None:
        if self.task is None and not self.closed:
            self.task = asyncio.get_running_loop().create_task(self._sender())

    def close_soon(self, code: int) -> None:
        self.closed = True
        asyncio.get_running_loop().create_task(self._close(code))

    async def _close(self, code: int) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close(code)

    async def _sender(self) -> None:
        # Everything due goes out in one write: the queued acks and errors, then the view
        # (a join is welcome + ack + view; an answer is ack and, later, a view).
        try:
            while not self.closed:
                batch: list[str] = []
                if self.outbox:
                    batch.extend(self.outbox)
                    self.outbox.clear()
                queued = len(batch)
                failed: Exception | None = None  # a render that raised: logged once the batch is out
                if self.dirty:
                    wait = 0.0 if self.role == "player" else (  # screens and consoles: one view per interval
                        self._last_view + self.room.interval(self.role) - time.monotonic())
                    if wait <= 0:
                        failed = self._render_into(batch)
                    elif not batch:
                        await asyncio.sleep(wait)
                        continue  # send what queued meanwhile first; still dirty
                if batch:
                    await self._send(batch)
                    if len(batch) > queued:  # a view went out
                        self._last_view = time.monotonic()
                if failed is not None:
                    self.room.render_failed(self, failed)
                    break
                if not batch and not self.dirty:
                    break
        except Exception:  # the socket went away; the receive loop cleans up
            log.debug("sender stopped", exc_info=True)
            self.closed = True
        finally:
            self.task = None
            if not self.outbox:
                self.outbox = None  # an idle connection keeps no queue

    async def _send(self, texts: list[str]) -> None:
        # No timer per frame (two frames per answer, thousands a second): the room's
        # watchdog finds a frame that has waited SEND_TIMEOUT seconds (``drop_if_stuck``).
        self.sending_since = time.monotonic()
        await self.ws.send_texts(texts)
        self.sending_since = 0.0

    def drop_if_stuck(self, now: float) -> None:
        """A phone that has not read for SEND_TIMEOUT seconds is stuck: drop it so it
        reconnects and gets the newest view; nobody else ever waited for it."""
        if self.sending_since and now - self.sending_since > SEND_TIMEOUT and not self.closed:
            log.info("closing a connection that stopped reading")
            if self.task is not None:
                self.task.cancel()
            self.close_soon(CLOSE_TOO_SLOW)


class Room:
    """The connections of one live session in this process."""

    def __init__(self, live: LiveSession, clock: Clock, committer: Committer,
                 may_tick: Callable[[str], bool] = lambda code: True, node: str = "",
                 run: Callable[[LiveSession, Command], Awaitable[Outcome]] | None = None) -> None:
        self.live = live
        self.clock = clock
        self.committer = committer
        self.may_tick = may_tick
        # This process in a cluster ("" alone) and how its commands reach the session's owner:
        # attendance is recorded per process, and a player is present while any process holds them.
        self.node = node
        self.run = run or committer.run
        # Presence for closing when everyone has answered (``sessions/autoclose.py``): when each
        # player's last connection dropped, and when this room began watching (a restart).
        # In a cluster a process sees only its own phones, so it never closes a card for that.
        self.presence_global = not node
        self.since = clock.now_ms()
        self.last_seen: dict[str, int] = {}
        self._check: asyncio.TimerHandle | None = None
        self._checking = False
        self._again = False
        self.conns: set[Conn] = set()
        self.hosts: set[Conn] = set()  # the screens and consoles among ``conns``
        self._deferred: set[Conn] = set()  # asked for a view while a commit was in flight
        self._owed: deque[tuple[Conn, float]] = deque()  # views held back after a phone's own answer, oldest first
        self._owed_timer: asyncio.TimerHandle | None = None
        self.by_player: dict[str, list[Conn]] = {}
        self._cache: dict[str, tuple[tuple[int, int], str]] = {}
        self._intervals: dict[str, float] = {}  # role -> seconds between its views, from the last one's cost
        self._timer: asyncio.TimerHandle | None = None
        self._timer_for: int | None = None
        self._watchdog: asyncio.TimerHandle | None = None
        self.online_version = 0  # bumps on every player connect/disconnect
        self.refusals = JoinRefusals()
        self.join_limit: tuple[float, float, bool] = (0.0, 0.0, False)  # burst, per second, raised
        self._refusals_expire: asyncio.TimerHandle | None = None
        live.hub.subscribe(live.code, self._on_publish)

    # -- membership -------------------------------------------------------------------------
    def add(self, conn: Conn) -> None:
        self.conns.add(conn)
        if self._watchdog is None:
            self._watchdog = asyncio.get_running_loop().call_later(WATCH_EVERY, self._watch)
        if conn.role != "player":
            self.hosts.add(conn)
        if conn.player_id is not None:
            first = not self.by_player.get(conn.player_id)
            self.by_player.setdefault(conn.player_id, []).append(conn)
            if first:
                self.online_version += 1
                self.last_seen.pop(conn.player_id, None)
                self._hosts_dirty()
                self._presence(conn.player_id, True)
        conn.start()

    def remove(self, conn: Conn) -> None:
        conn.closed = True
        self.conns.discard(conn)
        self.hosts.discard(conn)
        self._deferred.discard(conn)
        if conn.player_id is not None:
            conns = self.by_player.get(conn.player_id, [])
            if conn in conns:
                conns.remove(conn)
                if not conns:
                    self._presence(conn.player_id, False)
            if not conns:
                self.by_player.pop(conn.player_id, None)
                self.online_version += 1
                self.last_seen[conn.player_id] = self.clock.now_ms()
                self._hosts_dirty()
                self._recheck_later(GRACE_MS / 1000 + 0.05)  # once their grace runs out

    def _presence(self, pid: str, online: bool) -> None:
        """Record a player's arrival or departure on this process in a course session's log
        (attendance); in a cluster each process records its own (``via``), relayed to the owner."""
        if self.live.state.course is None or self.live.state.phase == "ended":
            return
        args: dict[str, Any] = {"player": pid, "online": online}
        if self.node:
            args["via"] = self.node
        asyncio.get_running_loop().create_task(self._record_presence(Command("presence", "system", args)))

    async def _record_presence(self, cmd: Command) -> None:
        try:
            await self.run(self.live, cmd)
        except Refused:
            pass
        except Exception:
            log.exception("recording presence in %s failed", self.live.code)

    def seat_moved(self, pid: str) -> None:
        """A rostered trainee confirmed their name on another phone: close the old phone's
        connections (it is told why); the new one attaches right after."""
        for conn in list(self.by_player.pop(pid, ())):
            self._deferred.discard(conn)
            conn.send({"type": "error", "code": "seat_moved",
                       "message": "your name was confirmed on another phone"})
            asyncio.get_running_loop().call_later(0.2, conn.close_soon, CLOSE_REMOVED)

    def online(self) -> set[str]:
        return set(self.by_player)

    # -- everyone has answered ------------------------------------------------------------------
    def _present_count(self, now: int) -> int:
        """How many players count as connected (cheap: the dropped ones are few)."""
        st = self.live.state
        if now - self.since < GRACE_MS:
            return len(st.players)
        recent = sum(1 for pid, at in self.last_seen.items() if now - at < GRACE_MS and pid in st.players)
        return len(self.by_player) + recent

    def check_answered(self) -> None:
        """After a commit or a presence change: if everyone present may have answered, ask the core."""
        if self._checking:
            self._again = True  # a check is out; look again once it is done
            return
        if not self.presence_global or not self.may_tick(self.live.code):
            return
        st = self.live.state
        now = self.clock.now_ms()
        if self.live.pending or not should_check(st, self._present_count(now)):
            return
        who = present(st, self.by_player, self.last_seen, self.since, now)
        # Queued here and now, not from a task: this runs inside the commit that made it true
        # (the room's publish), so the check is in the queue before that commit writes its ack
        # and before the phone can send its next command. From a task it would be queued a loop
        # turn later, and a quick phone's next answer could land on either side of the close.
        try:
            self.committer.submit_then(self.live, Command("all_answered", "system", {"present": sorted(who)}),
                                       self._answered_done)
        except Refused:
            return  # shutting down: the card stays open for the next start to look at
        self._checking = True

    def _answered_done(self, _outcome: Outcome | None, exc: BaseException | None) -> None:
        self._checking = False
        if exc is not None and not isinstance(exc, Refused):
            log.error("all-answered check in %s failed", self.live.code, exc_info=exc)
        if self._again:
            self._again = False
            self.check_answered()

    def _recheck_later(self, delay: float) -> None:
        if self._check is not None:
            self._check.cancel()
        self._check = asyncio.get_running_loop().call_later(delay, self._recheck)

    def _recheck(self) -> None:
        self._check = None
        self.check_answered()
        now = self.clock.now_ms()
        pending = [at + GRACE_MS for at in self.last_seen.values() if at + GRACE_MS > now]
        if now - self.since < GRACE_MS:
            pending.append(self.since + GRACE_MS)
        if pending:
            self._recheck_later((min(pending) - now) / 1000 + 0.05)

    def _watch(self) -> None:
        now = time.monotonic()
        for conn in list(self.conns):
            if conn.sending_since:
                try:
                    conn.drop_if_stuck(now)
                except Exception:
                    log.exception("session %s: the send watchdog failed", self.live.code)
        self._watchdog = asyncio.get_running_loop().call_later(WATCH_EVERY, self._watch) if self.conns else None

    # -- views ------------------------------------------------------------------------------
    def render(self, conn: Conn) -> str | None:
        """The newest committed view for this connection.

        Views never show events that are not stored yet. While a commit is in flight
        (``live.pending``) the connection gets the view it was offered when its latest
        commit landed, if any; otherwise it waits in ``_deferred``, and the next commit's
        announce renders its view then (so nothing is missed, and a burst of commits does
        not keep waking it for nothing)."""
        live = self.live
        text = conn.view
        if text is not None:
            conn.view = None
            if live.pending or conn.view_seq == live.committed_seq:
                return text
        if live.pending:
            self._deferred.add(conn)  # not dirty meanwhile: the sender may rest until then
            return None
        return self._render_now(conn)

    def _render_now(self, conn: Conn) -> str | None:
        """Render from the current state, which the caller knows to be committed (None for a
        player the trainer removed: their connections are closing, and have nothing to see)."""
        st = self.live.state
        if conn.role == "player":
            assert conn.player_id is not None
            if conn.player_id not in st.players:
                return None
            return dumps({"type": "state", "seq": st.seq, "view": player_view(st, conn.player_id)})
        console = conn.role == "console"
        key = (st.seq, self.online_version, self.refusals.version if console else 0)
        cached = self._cache.get(conn.role)
        if cached is None or cached[0] != key:
            began = time.perf_counter()
            view = console_view(st, self.online()) if console else screen_view(st, len(self.by_player))
            frame = {"type": "state", "seq": st.seq, "view": view, "server_time": self.clock.now_ms()}
            if console:  # runtime facts of this room, not of the session: beside the view, not in it
                frame["joins_refused"] = self.joins_refused()
            cached = (key, dumps(frame))
            self._cache[conn.role] = cached
            self._intervals[conn.role] = max(VIEW_INTERVAL, (time.perf_counter() - began) / VIEW_CPU_SHARE,
                                             len(cached[1]) / VIEW_BYTES_PER_S)
        return cached[1]

    def interval(self, role: str) -> float:
        """Seconds between two views of a screen or console: ``VIEW_INTERVAL`` unless the last
        one was costly to render or large (see the module's docstring)."""
        return self._intervals.get(role, VIEW_INTERVAL)

    # -- refused joins (server/refusals.py) ---------------------------------------------------------
    def refused(self, reason: str, address: str, limit: tuple[float, float, bool]) -> None:
        """A join was refused (rate, lock, full, ban): count it and tell the consoles."""
        self.refusals.record(reason, address, time.monotonic())
        self.join_limit = limit
        self._consoles_dirty()
        if self._refusals_expire is not None:
            self._refusals_expire.cancel()
        # Once the window has passed with no new refusal, the consoles' notice goes away by itself.
        self._refusals_expire = asyncio.get_running_loop().call_later(WINDOW + 0.5, self._refusals_expired)

    def _refusals_expired(self) -> None:
        self._refusals_expire = None
        self.refusals.version += 1
        self._consoles_dirty()

    def limit_changed(self, limit: tuple[float, float, bool]) -> None:
        self.join_limit = limit
        self.refusals.version += 1
        self._consoles_dirty()

    def joins_refused(self) -> dict[str, Any] | None:
        summary = self.refusals.summary(time.monotonic(), self.join_limit[:2], self.join_limit[2])
        if summary is not None:
            # How many players joined from each address: the class's own NAT is not one to ban.
            joined = Counter(self.live.state.addresses.values())
            for row in summary["addresses"]:
                row["joined"] = joined.get(row["address"], 0)
                row["banned"] = row["address"] in self.live.state.banned
        return summary

    def _consoles_dirty(self) -> None:
        for conn in self.hosts:
            if conn.role == "console":
                conn.mark_dirty()

    def render_failed(self, conn: Conn, exc: BaseException | None = None) -> None:
        """A bug of ours while rendering one connection's view (``exc``, else the one being
        handled): log it, close that one (1011)."""
        log.error("session %s: rendering the %s view%s at seq %d failed; closing that connection",
                  self.live.code, conn.role, f" of {conn.player_id}" if conn.player_id else "",
                  self.live.state.seq, exc_info=exc or True)
        if not conn.closed:
            conn.close_soon(CLOSE_INTERNAL)

    def _offer(self, conn: Conn, seq: int) -> None:
        try:
            text = self._render_now(conn)
        except Exception:
            self.render_failed(conn)
            return
        if text is not None:
            conn.offer(text, seq)

    def _hosts_dirty(self) -> None:
        for conn in self.hosts:
            conn.mark_dirty()

    def _players_dirty(self, pids: Iterable[str]) -> None:
        for pid in pids:
            for conn in self.by_player.get(pid, ()):
                conn.mark_dirty()

    def _offer_players(self, pids: Iterable[str]) -> None:
        """Render these players' views now, while the state is exactly what was committed."""
        seq = self.live.committed_seq
        for pid in pids:
            for conn in self.by_player.get(pid, ()):
                if not conn.closed:
                    self._offer(conn, seq)

    def _joins_dirty(self, events: list[Event]) -> None:
        """After joins: the hosts, and only the players whose own view a newcomer changes.

        A newcomer (0 points) changes another player's view only through their group's
        score (a mean over the members, which moves only when the members have points)
        and through ranks, which players see after a reveal and at the end. Re-rendering
        every phone on every join would cost O(players) per join: O(n^2) for a hall.
        """
        st = self.live.state
        self._hosts_dirty()
        stage = st.stage
        if st.show_leaderboard and (st.phase == ENDED or (stage is not None and stage.status == REVEALED)):
            for conn in self.conns:
                conn.mark_dirty()
            return
        self._players_dirty(e.data["player_id"] for e in events)
        if st.points or st.group_points:
            groups = {e.data.get("group") for e in events} - {None}
            if groups:
                self._players_dirty(p.id for p in st.players.values() if p.group in groups)

    def _on_publish(self, code: str, seq: int) -> None:
        try:
            self._publish(seq)
        except Exception:  # never into the committer: log it, and make every view fresh
            log.exception("session %s: publishing seq %d failed", code, seq)
            for conn in self.conns:
                conn.mark_dirty()

    def _publish(self, seq: int) -> None:
        # An answer to a card whose answers are private changes only the answering
        # player's view (and their group's, when the group answers as one) and the hosts'
        # tallies; anything else can change every view.
        events = self.live.last_events
        st = self.live.state
        deferred, self._deferred = self._deferred, set()
        if events and all(e.type in ANSWERS for e in events) and all(
                st.activity(card).impl.private_answers for card in {e.data["card"] for e in events}):
            self._hosts_dirty()
            for ev in events:
                if ev.data.get("as", ev.actor) != ev.actor:  # a group's answer: every member sees it
                    self._offer_players(st.members(ev.data["as"]))
                elif not self._owe(ev.actor):
                    self._offer_players([ev.actor])
        elif events and all(e.type == "player_joined" for e in events):
            self._joins_dirty(events)
        elif events and all(e.type in ROOM_ONLY for e in events):
            self._hosts_dirty()
        else:
            for ev in events:
                if ev.type == "player_removed":
                    self.disconnect_player(ev.data["player_id"], CLOSE_REMOVED)
            for conn in self.conns:
                conn.mark_dirty()
        if deferred and self.live.pending:  # (a notice relayed while our own commit is out)
            self._deferred |= deferred
        elif deferred:
            # They asked while the previous commit was on the disk; this one is stored.
            seq = self.live.committed_seq
            for conn in deferred:
                if not conn.closed and conn.view is None:
                    self._offer(conn, seq)
        self.arm_timer()
        self.check_answered()

    # -- the view an ack made redundant -----------------------------------------------------------
    def _owe(self, pid: str) -> bool:
        """Hold back the view of a phone whose own answer just changed it, if that is all that changed.

        The phone learns that its answer is stored from the ``ack`` it gets for it; the new view
        says only that again. Sending it now would double the frames (and the rendering) of an
        answer burst, so it waits for the next change anyone sees (the card's 全部作答 or close,
        which renders every phone anyway) and comes at most ``OWED_AT_MOST`` seconds late. A
        player on two devices gets it at once: the other device has no ack to go by."""
        conns = self.by_player.get(pid, ())
        if len(conns) != 1:
            return False
        conn = conns[0]
        if conn.closed or conn.owed_since:
            return bool(conn.owed_since)
        conn.owed_since = time.monotonic()
        self._owed.append((conn, conn.owed_since))
        if self._owed_timer is None:
            self._owed_timer = asyncio.get_running_loop().call_later(OWED_AT_MOST, self._pay_owed)
        return True

    def _pay_owed(self) -> None:
        """Send the views held back longest (those that went out with a later change are skipped)."""
        self._owed_timer = None
        now = time.monotonic()
        owed = self._owed
        while owed:
            conn, since = owed[0]
            if conn.owed_since != since or conn.closed:  # paid meanwhile (or owed again, later)
                owed.popleft()
            elif now - since >= OWED_AT_MOST - 0.01:
                owed.popleft()
                conn.mark_dirty()
            else:
                self._owed_timer = asyncio.get_running_loop().call_later(since + OWED_AT_MOST - now, self._pay_owed)
                break

    # -- time -----------------------------------------------------------------------------------
    def arm_timer(self) -> None:
        """One timer per session, for whatever the core says is due next (only where it is owned)."""
        due = self.live.next_due() if self.may_tick(self.live.code) else None
        if due == self._timer_for:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_for = due
        if due is None:
            return
        delay = max(0.0, (due - self.clock.now_ms()) / 1000)
        self._timer = asyncio.get_running_loop().call_later(delay, self._tick)

    def _tick(self) -> None:
        self._timer, self._timer_for = None, None
        asyncio.get_running_loop().create_task(self._send_tick())

    async def _send_tick(self) -> None:
        try:
            await self._tick_once()
        except Exception:  # a timer's fault is this session's alone; the next command re-arms it
            log.exception("session %s: the timer failed at seq %d", self.live.code, self.live.state.seq)

    async def _tick_once(self) -> None:
        try:
            await self.committer.run(self.live, Command("tick", "system"))
        except Refused:
            pass
        except Exception:
            log.exception("session %s: tick at seq %d failed", self.live.code, self.live.state.seq)
        due = self.live.next_due()
        if due is not None and due <= self.clock.now_ms() + 5 and self._timer is None:
            # The clock said "not quite yet" (timers can fire a hair early): try again shortly.
            self._timer_for = due
            self._timer = asyncio.get_running_loop().call_later(0.05, self._tick)
        else:
            self.arm_timer()

    def disconnect_player(self, pid: str, code: int) -> None:
        """Close every connection of a player the trainer removed (on every process that has one)."""
        for conn in list(self.by_player.pop(pid, ())):
            self._deferred.discard(conn)
            conn.send({"type": "error", "code": "removed", "message": "the trainer has removed you"})
            asyncio.get_running_loop().call_later(0.2, conn.close_soon, code)  # let the error go out first

    async def close_all(self, code: int) -> None:
        for conn in list(self.conns):
            conn.closed = True
            with contextlib.suppress(Exception):
                await conn.ws.close(code)

    def close(self) -> None:
        if self._refusals_expire is not None:
            self._refusals_expire.cancel()
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        if self._timer is not None:
            self._timer.cancel()
        if self._check is not None:
            self._check.cancel()
            self._check = None
        if self._owed_timer is not None:
            self._owed_timer.cancel()
            self._owed_timer = None
        self.live.hub.unsubscribe(self.live.code, self._on_publish)


class Rooms:
    def __init__(self, clock: Clock, get_live: Callable[[str], LiveSession], committer: Committer) -> None:
        self.clock = clock
        self.get_live = get_live
        self.committer = committer
        self.may_tick: Callable[[str], bool] = lambda code: True  # the cluster says who runs timers
        self.node = ""  # this process's id in a cluster, where each process sees only its own phones
        self.run: Callable[[LiveSession, Command], Awaitable[Outcome]] | None = None  # (relays in a cluster)
        self.rooms: dict[str, Room] = {}

    def room(self, code: str) -> Room:
        room = self.rooms.get(code)
        if room is None:
            room = Room(self.get_live(code), self.clock, self.committer, lambda c: self.may_tick(c),
                        self.node, self.run)
            if room.presence_global:
                room._recheck_later(GRACE_MS / 1000 + 0.05)  # the restart's grace for everyone ends
            self.rooms[code] = room
        return room

    def arm_all(self) -> None:
        for room in self.rooms.values():
            room.arm_timer()
