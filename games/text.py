"""Untrusted text made fit for a screen: normalised, stripped of control and
formatting characters and of runs of combining marks (the "glitch text" that
covers a projector), whitespace-collapsed, measured in screen columns.

Kinds clean free-text answers (posts, plan items) with ``clean_text``; the
session core builds display names on the same cleaning (``sessions/names.py``).
"""

from __future__ import annotations

import unicodedata

MAX_COMBINING_RUN = 2


def display_width(text: str) -> int:
    """Columns on a screen: wide and full-width characters (CJK, fullwidth forms) take two."""
    return sum(0 if unicodedata.category(ch).startswith("M") else
               2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def cut_to_width(text: str, width: int) -> str:
    out, used = [], 0
    for ch in text:
        w = display_width(ch)
        if used + w > width:
            break
        out.append(ch)
        used += w
    return "".join(out)


def clean_text(raw: str, *, max_chars: int = 2000) -> str:
    """Free text (posts, plan items): the same cleaning as names, but keeping line breaks."""
    lines = []
    for line in raw.replace("\r\n", "\n").split("\n")[:20]:
        # NFC, not NFKC: free text keeps its full-width Chinese punctuation (：，！).
        cleaned = clean_name_unbounded(line, "NFC")
        lines.append(cleaned)
    return "\n".join(line for line in lines if line).strip()[:max_chars]


def clean_name_unbounded(raw: str, form: str = "NFKC") -> str:
    text = unicodedata.normalize(form, raw)  # type: ignore[arg-type]
    out: list[str] = []
    combining = 0
    for ch in text:
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
