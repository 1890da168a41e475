"""Untrusted text made fit for a screen: normalised, stripped of control and
formatting characters and of runs of combining marks (the "glitch text" that
covers a projector), whitespace-collapsed, measured in screen columns.

Kinds clean free-text answers (posts, plan items) with ``clean_text``; the
session core builds display names on the same cleaning (``sessions/names.py``).
"""

from __future__ import annotations

import unicodedata

MAX_COMBINING_RUN = 2


def char_width(ch: str) -> int:
    """Columns of one character: 0 for a combining mark, 2 for a wide or full-width one, else 1."""
    if unicodedata.category(ch)[0] == "M":
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def display_width(text: str) -> int:
    """Columns on a screen: wide and full-width characters (CJK, fullwidth forms) take two."""
    if text.isascii():  # (no ASCII character is a mark or wide)
        return len(text)
    return sum(map(char_width, text))


def cut_to_width(text: str, width: int) -> str:
    """The longest start of ``text`` that fits in ``width`` columns (every join cuts its name)."""
    if text.isascii():
        return text[:width]
    if 2 * len(text) <= width:  # (no character is wider than two columns)
        return text
    used = 0
    for i, ch in enumerate(text):
        used += char_width(ch)
        if used > width:
            return text[:i]
    return text


def clean_text(raw: str, *, max_chars: int = 2000) -> str:
    """Free text (posts, plan items): the same cleaning as names, but keeping line breaks."""
    lines = []
    for line in raw.replace("\r\n", "\n").split("\n")[:20]:
        # NFC, not NFKC: free text keeps its full-width Chinese punctuation (：，！).
        cleaned = clean_name_unbounded(line, "NFC")
        lines.append(cleaned)
    return "\n".join(line for line in lines if line).strip()[:max_chars]


# Letters and symbols that draw nothing: Hangul fillers (U+3164 and U+FFA0 become U+1160 under
# NFKC, a letter), the braille blank (a symbol), and a few more blanks of categories L and S.
# They count as spaces, so a name of nothing else is empty (``bad_name``).
BLANKS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u17b4\u17b5\u180e\u3000\u2062\u2063\u2064"
                   "\U0001d159\U0001d173\U0001d174\U0001d175\U0001d176\U0001d177\U0001d178\U0001d179"
                   "\U0001d17a")


def clean_name_unbounded(raw: str, form: str = "NFKC") -> str:
    text = unicodedata.normalize(form, raw)  # type: ignore[arg-type]
    out: list[str] = []
    combining = 0
    for ch in text:
        if ch in BLANKS:
            ch = " "
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            continue
        if cat.startswith("M"):
            combining += 1
            if combining > MAX_COMBINING_RUN or not out or out[-1] == " ":
                continue
        else:
            combining = 0
        out.append(" " if cat == "Zs" else ch)
    return " ".join("".join(out).split())
