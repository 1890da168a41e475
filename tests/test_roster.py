"""Roster files: good CSV and XLSX with Chinese or English headers; bad ones refused by row, whole.

The parser is pure (``sessions/roster.py``); the upload route is checked through a real server:
a refused file gets 422 with its problems and leaves the stored roster as it was.
"""

from __future__ import annotations

import io
import time

import httpx
import pytest
from openpyxl import Workbook

from sessions.roster import MAX_PEOPLE, RosterInvalid, RosterPerson, check_matches, merge, parse_roster, with_codes
from tests.conftest import ADMIN, RunningServer

GOOD = "姓名,工号,部门,组\n张伟,GD10001,城东营业厅,一组\n李娜,GD10002,城西营业厅,二组\n"


def xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def problems(data: bytes, filename: str = "r.csv") -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(RosterInvalid) as err:
        parse_roster(data, filename)
    return [(p.row, p.column, p.message) for p in err.value.problems]


def test_a_csv_with_chinese_headers_and_a_bom() -> None:
    people = parse_roster(("\ufeff" + GOOD).encode())
    assert [(p.name, p.staff_no, p.unit, p.group) for p in people] == [
        ("张伟", "GD10001", "城东营业厅", "一组"), ("李娜", "GD10002", "城西营业厅", "二组")]
    assert len({p.person_id for p in people}) == 2


def test_an_xlsx_with_english_headers_and_numeric_staff_numbers() -> None:
    data = xlsx([["name", "staff_no", "unit"], ["Wei Zhang", 100231, "East"], [None, None, None],
                 ["Na Li", 100232, "West"]])
    people = parse_roster(data, "class.xlsx")
    assert [(p.name, p.staff_no, p.group) for p in people] == [("Wei Zhang", "100231", ""), ("Na Li", "100232", "")]


def test_營業厅_is_a_unit_and_groups_are_optional() -> None:
    people = parse_roster("姓名,工号,营业厅\n王芳,A1,城南\n".encode())
    assert people[0].unit == "城南" and people[0].group == ""


def test_every_bad_row_is_listed() -> None:
    data = ("姓名,工号,部门\n张伟,GD1,城东\n,GD2,城东\n李娜,GD1,城东\n=HYPERLINK(\"x\"),GD3,城东\n"
            "王芳,,城东\n赵磊,GD5,@SUM(A1)\n刘洋,GD 6,城东\n").encode()
    found = problems(data)
    assert (3, "name", "the name is missing") in found
    assert (4, "staff_no", "the same 工号 as row 2") in found
    assert any(r == 5 and c == "name" and "formula" in m for r, c, m in found)
    assert (6, "staff_no", "the 工号 is missing") in found
    assert any(r == 7 and c == "unit" and "formula" in m for r, c, m in found)
    assert any(r == 8 and c == "staff_no" for r, c, _m in found)
    assert not any(r == 2 for r, _c, _m in found)


def test_missing_and_unknown_columns() -> None:
    found = problems("姓名,部门,生日\n张伟,城东,1990\n".encode())
    assert (1, "staff_no", "the column staff_no is missing") in found
    assert any(r == 1 and c == "生日" for r, c, _m in found)


def test_bad_utf8_empty_oversized_and_too_many_people() -> None:
    assert "UTF-8" in problems("姓名,工号\n张伟,A1\n".encode("gb18030"))[0][2]
    assert problems(b"")[0][2] == "the file is empty"
    assert "larger than" in problems(b"a" * 2_000_001)[0][2]
    many = "姓名,工号\n" + "".join(f"人{i},A{i}\n" for i in range(MAX_PEOPLE + 1))
    assert any("rows" in m or "people" in m for _r, _c, m in problems(many.encode()))


def test_a_zip_bomb_is_not_inflated() -> None:
    buf = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * 30_000_000)
    started = time.monotonic()
    assert "inflate" in problems(buf.getvalue(), "r.xlsx")[0][2]
    assert time.monotonic() - started < 2


def test_checks_and_a_reloaded_roster_keeps_person_ids() -> None:
    old = parse_roster(GOOD.encode())
    assert check_matches(old[0], "0001") and not check_matches(old[0], "0002")
    assert not check_matches(old[0], None) and not check_matches(old[0], "")
    coded, codes = with_codes(old)
    assert check_matches(coded[0], codes[coded[0].person_id]) and not check_matches(coded[0], "0001")
    new = parse_roster((GOOD + "王芳,GD10003,城东营业厅,一组\n").encode())
    merged = merge(old, new)
    assert [p.person_id for p in merged[:2]] == [p.person_id for p in old]
    assert merged[2].person_id == new[2].person_id
    assert isinstance(merged[0], RosterPerson)


def test_a_refused_upload_lists_problems_and_stores_nothing(server: RunningServer) -> None:
    with httpx.Client(base_url=server.http, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=30) as c:
        course = c.post("/api/courses", json={"title": "第7期"}).json()["id"]
        assert c.put(f"/api/courses/{course}/roster", content=GOOD.encode()).status_code == 200
        before = c.get(f"/api/courses/{course}/roster").json()
        bad = c.put(f"/api/courses/{course}/roster", content="姓名,工号\n张伟,A1\n李娜,A1\n".encode())
        assert bad.status_code == 422
        assert bad.json()["error"]["code"] == "invalid_roster"
        assert bad.json()["error"]["problems"] == [
            {"row": 3, "column": "staff_no", "message": "the same 工号 as row 2"}]
        assert c.get(f"/api/courses/{course}/roster").json() == before
        assert c.put(f"/api/courses/{course}/roster", content=b"x" * 2_000_001).status_code == 413
        sheet = c.put(f"/api/courses/{course}/roster", params={"filename": "r.xlsx"},
                      content=xlsx([["姓名", "工号"], ["张伟", "GD10001"]]))
        assert sheet.status_code == 200 and sheet.json()["people"] == 1
        after = c.get(f"/api/courses/{course}/roster").json()["people"]
        assert after[0]["id"] == before["people"][0]["id"]  # the same 工号 keeps its person id
        assert c.put("/api/courses/nope/roster", content=GOOD.encode()).status_code == 404
        assert c.post("/api/courses", json={"title": ""}).status_code == 400
    assert httpx.get(f"{server.http}/api/courses").status_code == 401
    assert httpx.put(f"{server.http}/api/courses/{course}/roster", content=GOOD.encode()).status_code == 401
