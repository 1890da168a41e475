"""games/text.py: screen columns of untrusted text, and names cut to fit a projector's board.

The fast paths (ASCII, text that cannot overflow) must give what the plain per-character
definition gives, for every kind of character a name may hold."""

from __future__ import annotations

import random
import unicodedata

from games.text import cut_to_width, display_width
from sessions.names import MAX_NAME_WIDTH, clean_name, unique_name


def reference_width(text: str) -> int:
    return sum(0 if unicodedata.category(ch).startswith("M") else
               2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def reference_cut(text: str, width: int) -> str:
    out, used = [], 0
    for ch in text:
        w = reference_width(ch)
        if used + w > width:
            break
        out.append(ch)
        used += w
    return "".join(out)


def test_widths_count_wide_characters_twice_and_marks_not_at_all() -> None:
    assert display_width("Zhang Wei") == 9
    assert display_width("张伟") == 4
    assert display_width("ｗｉｄｅ！") == 10  # full-width forms
    assert display_width("e\u0301") == 1  # a combining accent takes no column
    assert display_width("") == 0


def test_cuts_keep_whole_characters_within_the_width() -> None:
    assert cut_to_width("张伟张伟张伟张伟张伟张伟张伟", 24) == "张伟张伟张伟张伟张伟张伟"
    assert cut_to_width("张伟a", 3) == "张"  # 张 (2) fits, 伟 (2 more) does not
    assert cut_to_width("abc", 2) == "ab"
    assert cut_to_width("ab\u0301", 2) == "ab\u0301"  # a mark at the edge stays with its letter
    assert cut_to_width("张伟", 0) == ""


def test_the_fast_paths_agree_with_the_plain_definition() -> None:
    pool = "abcXYZ 123\u0301\u0300\u20dd学员张伟ｗｉｄｅ！\u3000\t\x01é\U0001f600\u200b"
    rng = random.Random(18)
    for _ in range(20_000):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(0, 30)))
        width = rng.randint(0, 30)
        assert display_width(text) == reference_width(text), text
        assert cut_to_width(text, width) == reference_cut(text, width), (text, width)


def test_names_fit_the_board_and_stay_unique() -> None:
    long = clean_name("王" * 40)
    assert long == "王" * 12 and display_width(long) == MAX_NAME_WIDTH
    assert clean_name("  Zhang \t Wei ") == "Zhang Wei"
    taken = {"张伟"}
    assert unique_name("张伟", taken) == "张伟 (2)"
    assert display_width(unique_name(long, {long.casefold()})) <= MAX_NAME_WIDTH


def test_short_names_are_cleaned_once_and_long_ones_are_not_remembered() -> None:
    from sessions import names

    memo = names._clean_name_memo
    memo.cache_clear()
    raw = "  Li\u0301 \u200bNa  "
    first = clean_name(raw)
    assert clean_name(raw) == first == names._clean_name(raw)
    assert memo.cache_info().hits == 1 and memo.cache_info().currsize == 1
    long = "张" * (names.MEMO_CHARS + 1)
    assert clean_name(long) == names._clean_name(long) == "张" * 12
    assert memo.cache_info().currsize == 1  # a long (bad client's) name is never kept
