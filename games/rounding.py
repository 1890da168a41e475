"""The one rounding rule of every score and figure: half up (an exact .5 goes up, towards +∞).

Python's ``round`` rounds half to even (``round(62.5) == 62``), which a trainee
or a training department checking a score by hand would call a mistake: an
estimate worth 62.5 points is worth 63. Every computed score, mean and share in
games, views and exports goes through ``half_up``. The value is taken through
its shortest decimal form (``repr``), so 0.1 + 0.2 rounds like 0.3, and a
product that lands a hair under .5 by float error (62.49999999999999) still
rounds up. Up means towards +∞ also below zero (-2.5 becomes -2), as
``math.floor(x + 0.5)`` would give, so a mean of negative awards rounds the
same way as a mean of positive ones shifted.
"""

from __future__ import annotations

from decimal import ROUND_HALF_DOWN, ROUND_HALF_UP, Decimal


def half_up(value: float, digits: int = 0) -> float:
    """``value`` rounded half up to ``digits`` decimals; an ``int`` when ``digits`` is 0."""
    exact = Decimal(repr(round(float(value), 9)))
    rounded = exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP if exact >= 0 else ROUND_HALF_DOWN)
    return int(rounded) if digits == 0 else float(rounded)


def points(value: float) -> int:
    """Whole points, half up."""
    return int(half_up(value))
