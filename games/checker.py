"""A small validator that collects every problem in a deck with its line.

Deck authors fix files in one pass, so validation never stops at the first
problem: each check records a ``DeckProblem`` and returns a usable default.
"""

from __future__ import annotations

import math
import re
from typing import Any

from games.errors import DeckProblem
from games.yamlsource import Path, path_str

ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# Numbers in a deck are amounts, counts and months: a trillion is plenty, and the bound keeps every
# sum and difference the kinds compute (max - min, zero_at - tolerance) finite.
MAX_NUMBER = 1e12


class Checker:
    def __init__(self, lines: dict[Path, int]) -> None:
        self.lines = lines
        self.problems: list[DeckProblem] = []

    def line(self, path: Path) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())

    def problem(self, path: Path, message: str) -> None:
        self.problems.append(DeckProblem(path_str(path), self.line(path), message))

    def mapping(self, value: Any, path: Path, allowed: set[str], required: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.problem(path, "should be a mapping of keys to values")
            return {}
        for key in value:
            if key not in allowed:
                known = ", ".join(sorted(allowed))
                self.problem((*path, key), f"unknown key '{key}' (known keys: {known})")
        for key in sorted(required - value.keys()):
            self.problem(path, f"missing required key '{key}'")
        return value

    def text(self, m: dict[str, Any], key: str, path: Path, *, max_len: int, required: bool = True,
             default: str = "") -> str:
        value = m.get(key)
        if value is None:
            return default
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.problem((*path, key), "should be text")
            return default
        value = value.strip()
        if required and not value:
            self.problem((*path, key), "should not be empty")
        if len(value) > max_len:
            self.problem((*path, key), f"is {len(value)} characters long; at most {max_len} allowed")
        return value

    def ident(self, m: dict[str, Any], key: str, path: Path) -> str:
        value = m.get(key)
        if value is None:
            return ""
        if not isinstance(value, str) or not ID_RE.match(value):
            self.problem((*path, key), "should be an id: lowercase letters, digits, '-' or '_', "
                                       "at most 64 characters, starting with a letter or digit")
            return str(value)
        return value

    def integer(self, m: dict[str, Any], key: str, path: Path, *, lo: int, hi: int,
                default: int | None = None) -> int | None:
        value = m.get(key)
        if value is None:
            return default
        if not isinstance(value, int) or isinstance(value, bool):
            self.problem((*path, key), "should be a whole number")
            return default
        if not lo <= value <= hi:
            self.problem((*path, key), f"should be between {lo} and {hi}, not {value}")
            return default
        return value

    def number(self, m: dict[str, Any], key: str, path: Path, *, required: bool = True) -> float | None:
        value = m.get(key)
        if value is None:
            if required:
                self.problem(path, f"missing required number '{key}'")
            return None
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            self.problem((*path, key), "should be a number")
            return None
        # .inf, -.inf and .nan are YAML floats; a 400-digit integer overflows float().
        if isinstance(value, float) and not math.isfinite(value):
            self.problem((*path, key), f"should be a finite number, not {value}")
            return None
        if not -MAX_NUMBER <= value <= MAX_NUMBER:
            self.problem((*path, key), f"should be between -{MAX_NUMBER:,.0f} and {MAX_NUMBER:,.0f}")
            return None
        return float(value)

    def seq(self, m: dict[str, Any], key: str, path: Path, *, lo: int = 0, hi: int = 10_000) -> list[Any]:
        value = m.get(key)
        if value is None:
            if lo:
                self.problem(path, f"missing required list '{key}'")
            return []
        if not isinstance(value, list):
            self.problem((*path, key), "should be a list")
            return []
        if not lo <= len(value) <= hi:
            self.problem((*path, key), f"should hold {lo} to {hi} items, not {len(value)}")
        return value[:hi]

    def unique(self, ids: list[tuple[str, Path]], what: str) -> None:
        seen: dict[str, Path] = {}
        for ident, path in ids:
            if ident in seen:
                self.problem(path, f"duplicate {what} id '{ident}' (first used at line "
                                   f"{self.line(seen[ident])})")
            else:
                seen[ident] = path
