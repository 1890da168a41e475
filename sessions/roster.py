"""A course's class list: parsed from the CSV or XLSX the training department keeps.

Pure: bytes in, people or every problem out (by row), nothing stored. The file is read with
the deck importer's bounded readers (``games/deckimport.py``: UTF-8 CSV, an XLSX checked for
zip bombs before it inflates, at most 2,000 rows), then each row is checked:

- headers in Chinese or English: 姓名/name, 工号/staff_no, 部门|营业厅/unit, 组/group (optional);
- a name is required and must be readable once cleaned (``sessions.names.clean_name``);
- a 工号 is required, unique in the file, at most 40 characters of letters, digits and -_;
- no cell starts with = + - @ (a formula in a spreadsheet: refused, not quoted);
- at most ``MAX_PEOPLE`` people.

A roster that has any problem is refused whole. People keep their ``person_id`` across a
replaced roster when their 工号 is the same (``merge``), so reloading a corrected list in the
middle of a course does not split anyone's record.

The check at join (``check_matches``) is the last four characters of the 工号 by default;
a person may instead carry ``check_hash``, the SHA-256 of a per-person code printed on a
roster sheet (issued by ``with_codes``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from typing import Any

from games.deckimport import MAX_FILE_BYTES, rows_from_csv, sheets_from_xlsx
from games.errors import DeckInvalid
from sessions.names import clean_name, clean_text

MAX_PEOPLE = 2_000
MAX_ROSTER_BYTES = 2_000_000  # a class list of 2,000 people is ~100 KB; anything near 20 MB is not one
MAX_STAFF_NO = 40
MAX_UNIT = 100
MAX_GROUP = 60
CHECK_DIGITS = 4
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# Column name (casefolded, spaces removed) -> field.
HEADERS = {
    "姓名": "name", "name": "name", "名字": "name",
    "工号": "staff_no", "staff_no": "staff_no", "staffno": "staff_no", "员工编号": "staff_no", "id": "staff_no",
    "部门": "unit", "营业厅": "unit", "部门/营业厅": "unit", "部门|营业厅": "unit", "unit": "unit",
    "department": "unit",
    "组": "group", "组别": "group", "分组": "group", "group": "group",
}
REQUIRED = ("name", "staff_no")


@dataclass(frozen=True)
class RosterPerson:
    person_id: str
    name: str
    staff_no: str
    unit: str
    group: str
    check_hash: str | None = None  # SHA-256 of a per-person code; None: last 4 of the 工号

    def public(self) -> dict[str, str]:
        """What the phone's name list shows: never the 工号 or the code."""
        return {"id": self.person_id, "name": self.name, "unit": self.unit}


@dataclass(frozen=True)
class RosterProblem:
    row: int | None
    column: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


class RosterInvalid(Exception):
    """A roster file with problems; nothing of it is stored."""

    def __init__(self, problems: list[RosterProblem]) -> None:
        super().__init__(f"the roster has {len(problems)} problem(s)")
        self.problems = problems


def new_person_id() -> str:
    return "u" + secrets.token_hex(5)


def parse_roster(data: bytes, filename: str = "roster.csv") -> list[RosterPerson]:
    """The people of a class list (new person ids), or RosterInvalid listing every problem by row."""
    if len(data) > MAX_ROSTER_BYTES:
        raise RosterInvalid([RosterProblem(None, None, f"the file is larger than {MAX_ROSTER_BYTES} bytes")])
    try:
        if data[:2] == b"PK" or filename.lower().endswith(".xlsx"):
            sheets = sheets_from_xlsx(data) if len(data) <= MAX_FILE_BYTES else {}
            rows = next(iter(sheets.values()), [])
        else:
            rows = rows_from_csv(data)
    except DeckInvalid as exc:
        raise RosterInvalid([RosterProblem(p.line, None, p.message) for p in exc.problems]) from None
    return _people(rows)


def _people(rows: list[list[str]]) -> list[RosterPerson]:
    problems: list[RosterProblem] = []
    while rows and not any(str(c).strip() for c in rows[0]):
        rows = rows[1:]
    if not rows:
        raise RosterInvalid([RosterProblem(1, None, "the file is empty")])
    columns: list[str | None] = []
    for cell in rows[0]:
        key = str(cell).strip().casefold().replace(" ", "")
        columns.append(HEADERS.get(key))
        if key and key not in HEADERS:
            problems.append(RosterProblem(1, str(cell).strip()[:40], "unknown column (known: 姓名/name, "
                                          "工号/staff_no, 部门|营业厅/unit, 组/group)"))
    for field in REQUIRED:
        if field not in columns:
            problems.append(RosterProblem(1, field, f"the column {field} is missing"))
    if problems:
        raise RosterInvalid(problems)
    people: list[RosterPerson] = []
    seen: dict[str, int] = {}
    for n, raw in enumerate(rows[1:], 2):
        cells = {col: str(raw[i]).strip() if i < len(raw) and raw[i] is not None else ""
                 for i, col in enumerate(columns) if col}
        if not any(cells.values()):
            continue
        if len(people) >= MAX_PEOPLE:
            problems.append(RosterProblem(n, None, f"more than {MAX_PEOPLE} people"))
            break
        bad = False
        for col, value in cells.items():
            if value.startswith(FORMULA_START):
                problems.append(RosterProblem(n, col, "a cell may not start with = + - @ (a formula)"))
                bad = True
        if bad:
            continue
        name = clean_name(cells.get("name", ""))
        staff_no = cells.get("staff_no", "")
        if not name:
            problems.append(RosterProblem(n, "name", "the name is missing"))
        if not staff_no:
            problems.append(RosterProblem(n, "staff_no", "the 工号 is missing"))
        elif len(staff_no) > MAX_STAFF_NO or not all(c.isascii() and (c.isalnum() or c in "-_") for c in staff_no):
            problems.append(RosterProblem(n, "staff_no", f"a 工号 is letters and digits, at most {MAX_STAFF_NO}"))
        elif staff_no.casefold() in seen:
            problems.append(RosterProblem(n, "staff_no", f"the same 工号 as row {seen[staff_no.casefold()]}"))
        else:
            seen[staff_no.casefold()] = n
        if not name or not staff_no:
            continue
        people.append(RosterPerson(new_person_id(), name, staff_no,
                                   clean_text(cells.get("unit", ""))[:MAX_UNIT],
                                   clean_name(cells.get("group", ""))[:MAX_GROUP]))
    if not people and not problems:
        problems.append(RosterProblem(2, None, "the roster has nobody in it"))
    if problems:
        raise RosterInvalid(problems)
    return people


def merge(old: list[RosterPerson], new: list[RosterPerson]) -> list[RosterPerson]:
    """``new``, where a person with a 工号 of ``old`` keeps their person id (and printed code)."""
    by_staff = {p.staff_no.casefold(): p for p in old}
    out = []
    for p in new:
        before = by_staff.get(p.staff_no.casefold())
        out.append(replace(p, person_id=before.person_id, check_hash=before.check_hash) if before else p)
    return out


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def with_codes(people: list[RosterPerson]) -> tuple[list[RosterPerson], dict[str, str]]:
    """Give every person a fresh 6-digit code (for a printed roster sheet): (people, person -> code).

    Only the hashes are kept; the codes are shown once, to the trainer who prints the sheet.
    """
    codes = {p.person_id: f"{secrets.randbelow(1_000_000):06d}" for p in people}
    return [replace(p, check_hash=code_hash(codes[p.person_id])) for p in people], codes


def check_matches(person: RosterPerson, check: object) -> bool:
    """Whether ``check`` (what the phone typed) confirms ``person``; constant time."""
    if not isinstance(check, str) or not 1 <= len(check) <= 20:
        return False
    typed = check.strip()
    if person.check_hash is not None:
        return hmac.compare_digest(code_hash(typed), person.check_hash)
    expected = person.staff_no[-CHECK_DIGITS:]
    return hmac.compare_digest(typed.casefold().encode(), expected.casefold().encode())
