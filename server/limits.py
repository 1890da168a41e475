"""Rate limits: token buckets per client address and per connection.

A classroom sits behind one NAT address, so the join bucket is generous (a
burst of 100 joins, then two a second: a class of 100 joins at once, 200 in a
minute); a company event behind a single NAT raises it with
CASEROOM_JOIN_BURST / CASEROOM_JOIN_RATE. Wrong join codes have a far smaller
bucket of their own, so a code scanner is slowed after a few guesses and then
refused, while the classroom's typos cost little.
Buckets are pure bookkeeping with the time passed in, like the core.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    burst: float
    per_second: float


JOINS = Rate(burst=100, per_second=2.0)  # join/resume/host attempts per address
WRONG_CODES = Rate(burst=10, per_second=10 / 60)  # unknown codes per address: 10, then one every 6 s
MESSAGES = Rate(burst=60, per_second=30)  # messages per connection
SLOW_AFTER = 5  # wrong codes (within the bucket) after which each further answer waits
SLOW_DELAY = 1.0  # seconds


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
        self.messages = messages
