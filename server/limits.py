"""Rate limits: token buckets per client address and per connection.

A company event seats 500 phones behind one corporate NAT address, so joins
with a *valid* code are limited per address and session, generously: a burst
of 200, then 50 a second (``CASEROOM_JOIN_BURST`` / ``CASEROOM_JOIN_RATE``);
the trainer can raise that tenfold for the session from the console.

Code guessing is what must stay slow, and it costs only wrong codes: 10, then
one every 6 s per address, the later ones answered after a pause. Once an
address has spent that bucket, it may still use the codes it has opened
before (the class keeps joining its own session while a neighbour typos), but
any other code is refused without being looked up, so a scanner learns
nothing while it waits. Buckets are pure bookkeeping with the time passed in,
like the core.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    burst: float
    per_second: float


JOINS = Rate(burst=200, per_second=50.0)  # join/resume/host with a valid code, per address and session
RAISE_FACTOR = 10  # the console's "raise the limit": burst 2,000, then 500 a second
MAX_TRUSTED = 100_000  # (address, code) pairs remembered as opened
WRONG_CODES = Rate(burst=10, per_second=10 / 60)  # unknown codes per address: 10, then one every 6 s
WRONG_CHECKS_PER_ADDRESS = Rate(burst=30, per_second=0.5)  # wrong roster checks per address and session
MESSAGES = Rate(burst=60, per_second=30)  # messages per connection
FOLLOWUP_SAVES = Rate(burst=30, per_second=0.5)  # a trainee's follow-up changes: 30, then one every 2 s
SLOW_AFTER = 5  # wrong codes (within the bucket) after which each further answer waits
SLOW_DELAY = 1.0  # seconds


class Bucket:
    """One token bucket (a connection's messages): a few slots, kept for the whole class."""

    __slots__ = ("last", "rate", "tokens")

    def __init__(self, rate: Rate, now: float) -> None:
        self.rate = rate
        self.tokens = rate.burst
        self.last = now

    def has(self, now: float, cost: float = 1.0) -> bool:
        """``take`` would give ``cost`` tokens now (nothing is taken)."""
        return self.tokens + (now - self.last) * self.rate.per_second >= cost

    def take(self, now: float, cost: float = 1.0) -> bool:
        rate = self.rate
        tokens = min(rate.burst, self.tokens + (now - self.last) * rate.per_second)
        self.last = now
        if tokens < cost:
            self.tokens = tokens
            return False
        self.tokens = tokens - cost
        return True


class Buckets:
    """Token buckets by key; old keys are forgotten once full again, so memory stays bounded."""

    def __init__(self, rate: Rate, max_keys: int = 100_000) -> None:
        self.rate = rate
        self.max_keys = max_keys
        self._state: dict[str, tuple[float, float]] = {}  # key -> (tokens, last time)

    def take(self, key: str, now: float, cost: float = 1.0) -> bool:
        tokens, last = self._state.get(key, (self.rate.burst, now))
        tokens = min(self.rate.burst, tokens + (now - last) * self.rate.per_second)
        if tokens < cost:
            self._state[key] = (tokens, now)
            return False
        self._state[key] = (tokens - cost, now)
        if len(self._state) > self.max_keys:
            self._forget(now)
        return True

    def has(self, key: str, now: float, cost: float = 1.0) -> bool:
        """Whether ``take`` would succeed now, without taking."""
        tokens, last = self._state.get(key, (self.rate.burst, now))
        return min(self.rate.burst, tokens + (now - last) * self.rate.per_second) >= cost

    def used(self, key: str, now: float) -> float:
        tokens, last = self._state.get(key, (self.rate.burst, now))
        return self.rate.burst - min(self.rate.burst, tokens + (now - last) * self.rate.per_second)

    def _forget(self, now: float) -> None:
        full = [k for k, (t, last) in self._state.items()
                if t + (now - last) * self.rate.per_second >= self.rate.burst]
        for k in full:
            del self._state[k]


class Limits:
    """Every limit of one server process."""

    def __init__(self, joins: Rate = JOINS, messages: Rate = MESSAGES) -> None:
        self.joins = Buckets(joins)
        self.wrong_codes = Buckets(WRONG_CODES)
        # A rostered join's check (server/ws.py): per session and person, like wrong codes (four
        # digits take days to guess), and per session and address, more generously (a class
        # behind one NAT makes typos), so many people cannot be tried quickly from one place.
        self.wrong_checks = Buckets(WRONG_CODES)
        self.wrong_check_addresses = Buckets(WRONG_CHECKS_PER_ADDRESS)
        self.messages = messages
        self.followup = Buckets(FOLLOWUP_SAVES)  # by "code player": one trainee's saves
        self.raised: dict[str, Buckets] = {}  # session code -> its raised join bucket
        self._opened: dict[tuple[str, str], None] = {}  # (address, code) that identified; oldest first

    def may_look_up(self, address: str, code: str, now: float) -> bool:
        """Whether this attempt's code may be looked up at all (see the module docstring)."""
        return self.wrong_codes.has(address, now) or (address, code) in self._opened

    def opened(self, address: str, code: str) -> None:
        """This address identified to this session: its later attempts there pass a spent wrong-code bucket."""
        key = (address, code)
        self._opened.pop(key, None)
        self._opened[key] = None
        if len(self._opened) > MAX_TRUSTED:
            del self._opened[next(iter(self._opened))]

    def join_rate(self, code: str) -> Rate:
        return self.raised[code].rate if code in self.raised else self.joins.rate

    def take_join(self, address: str, code: str, now: float) -> bool:
        return self.raised.get(code, self.joins).take(f"{code} {address}", now)

    def raise_joins(self, code: str) -> Rate:
        """The trainer's one click: this session's join bucket, tenfold (once; in memory only)."""
        if code not in self.raised:
            base = self.joins.rate
            self.raised[code] = Buckets(Rate(base.burst * RAISE_FACTOR, base.per_second * RAISE_FACTOR))
        return self.raised[code].rate
