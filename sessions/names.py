"""Display names: cleaned, bounded and unique within a session.

A name is shown on a projector, so it is normalised (NFKC), stripped of
control and formatting characters and of runs of combining marks (the
"glitch text" that covers a screen), whitespace-collapsed and cut to a width
a phone and a leaderboard can show. Duplicates get a number: 张伟, 张伟 (2).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from games.text import clean_name_unbounded, clean_text, cut_to_width, display_width

__all__ = ["clean_name", "clean_name_unbounded", "clean_text", "cut_to_width", "display_width", "unique_name"]

MAX_NAME_CHARS = 24
MAX_NAME_WIDTH = 24


MEMO_CHARS = 200  # names up to this long are remembered (see ``clean_name``)


def clean_name(raw: str) -> str:
    """A name for the projector: at most MAX_NAME_WIDTH columns (12 Chinese or 24 Latin characters).

    A join cleans its name three times (the resent-join check on arrival, the same check when it
    is decided, and the join itself), each a walk through ``unicodedata``: the last few thousand
    short names are remembered, so a class joining at once cleans each name once. A longer one
    (only a bad client sends it) is cleaned each time, so the memory holds at most 4,096 small
    strings."""
    if len(raw) <= MEMO_CHARS:
        return _clean_name_memo(raw)
    return _clean_name(raw)


def _clean_name(raw: str) -> str:
    name = cut_to_width(clean_name_unbounded(raw[:1000]), MAX_NAME_WIDTH).strip()
    # A name must show something readable: at least one letter, digit or symbol.
    if not any(unicodedata.category(ch)[0] in "LNS" for ch in name):
        return ""
    return name


_clean_name_memo = lru_cache(maxsize=4096)(_clean_name)


def unique_name(name: str, taken: set[str]) -> str:
    if name.casefold() not in taken:
        return name
    n = 2
    while True:
        suffix = f" ({n})"
        candidate = cut_to_width(name, MAX_NAME_WIDTH - len(suffix)) + suffix
        if candidate.casefold() not in taken:
            return candidate
        n += 1
