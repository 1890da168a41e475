"""Closing a card when everyone has answered: the rule, as a pure function.

A card played one by one (``vote``, ``order``, ``estimate``: kinds with
``closes_when_all_answered``) closes by itself once every *present* player has
an answer in, unless the deck or the console turned that off. Who is present
is a fact only the driver knows (``server/rooms.py`` holds the sockets), so
the driver hands it in, like the clock: the set of players online now and,
for the others, when this process last saw them (the drop of their last
connection, or the moment the process took the session up after a restart).
A player seen less than ``GRACE_MS`` ago still counts as present, so a Wi-Fi
hiccup or a server restart never closes a card on people who are about to
resend their answer.

The driver asks ``should_check`` after every commit and presence change (cheap:
counts only) and, when it says yes, sends the system command
``all_answered`` with the present players; ``core`` checks the rule again with
``everyone_answered`` and records ``all_answered`` with a closing time
``BEAT_MS`` later (the screen shows a short 全部作答 beat), and the next
``tick`` closes the card.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from games.base import INDIVIDUAL
from sessions.phases import OPEN
from sessions.state import SessionState, auto_close_wanted, in_answer_step

GRACE_MS = 15_000  # a dropped player still counts as connected this long
BEAT_MS = 1_000  # 全部作答 on the screen before the card closes


def auto_close_on(st: SessionState) -> bool:
    """Whether the current card is one that closes by itself, and is still waiting to."""
    stage = st.stage
    if stage is None or stage.status != OPEN or stage.deal is not None or stage.mode != INDIVIDUAL:
        return False
    if stage.close_at is not None or stage.paused_left is not None:
        return False
    entry = st.deck.activities[stage.id]
    if not entry.impl.closes_when_all_answered:
        return False
    return auto_close_wanted(st, stage.id) and in_answer_step(st, stage)


def present(st: SessionState, online: Collection[str], last_seen: Mapping[str, int], since: int,
            now: int) -> set[str]:
    """The players who count as connected at ``now``: online, or seen less than GRACE_MS ago.

    ``since`` is when the driver started watching this session (a restart): a player it
    has never seen counts as last seen then.
    """
    out = set()
    for pid in st.players:
        if pid in online or now - last_seen.get(pid, since) < GRACE_MS:
            out.add(pid)
    return out


def should_check(st: SessionState, present_count: int) -> bool:
    """A cheap pre-check for the driver: could everyone have answered? (counts only)."""
    if not auto_close_on(st):
        return False
    stage = st.stage
    assert stage is not None
    kstate = stage.cards[stage.id]
    submitted = st.activity(stage.id).impl.submitted(kstate)
    return submitted > 0 and submitted >= min(present_count, len(st.players))


def everyone_answered(st: SessionState, present_players: Collection[str]) -> bool:
    """Every present player (at least one) has an answer in the current card."""
    if not auto_close_on(st):
        return False
    stage = st.stage
    assert stage is not None
    answered = st.activity(stage.id).impl.answers(stage.cards[stage.id])
    players = [p for p in present_players if p in st.players]
    return bool(players) and all(p in answered for p in players)


def next_recheck(st: SessionState, online: Collection[str], last_seen: Mapping[str, int], since: int,
                 now: int) -> int | None:
    """When a player's grace runs out next (so the driver checks again then), or None."""
    times = [last_seen.get(p, since) + GRACE_MS for p in st.players if p not in online]
    later = [t for t in times if t > now]
    return min(later) if later else None
