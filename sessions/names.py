"""Display names: cleaned, bounded and unique within a session.

A name is shown on a projector, so it is normalised (NFKC), stripped of
control and formatting characters and of runs of combining marks (the
"glitch text" that covers a screen), whitespace-collapsed and cut to a width
a phone and a leaderboard can show. Duplicates get a number: 张伟, 张伟 (2).
"""

from __future__ import annotations

import unicodedata

from games.text import clean_name_unbounded, clean_text, cut_to_width, display_width

__all__ = ["clean_name", "clean_name_unbounded", "clean_text", "cut_to_width", "display_width", "unique_name"]

MAX_NAME_CHARS = 24
MAX_NAME_WIDTH = 24


def clean_name(raw: str) -> str:
    """A name for the projector: at most MAX_NAME_WIDTH columns (12 Chinese or 24 Latin characters)."""
    name = cut_to_width(clean_name_unbounded(raw[:1000]), MAX_NAME_WIDTH).strip()
    # A name must show something readable: at least one letter, digit or symbol.
    if not any(unicodedata.category(ch)[0] in "LNS" for ch in name):
        return ""
    return name


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
