"""A rostered join on a phone in a real browser (390×844): search the class list, pick a name
(44 px targets), type the check; a wrong one is refused with its message, the right one joins.

Chromium (Debian's, through Playwright) against a real server. Screenshots go to
/tmp/caseroom-shots/.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN, RunningServer
from tests.test_browser import SHOTS, Pages
from tests.test_browser_joins import browser, server  # noqa: F401  (fixtures)
from tests.test_course_days import DECK, ROSTER

pytestmark = pytest.mark.browser


def rostered_session(srv: RunningServer) -> tuple[str, str]:
    with httpx.Client(base_url=srv.http, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=30) as c:
        assert c.post("/api/decks", content=DECK).status_code in (201, 409)
        course = c.post("/api/courses", json={"title": "第7期"}).json()["id"]
        assert c.put(f"/api/courses/{course}/roster", content=ROSTER.encode()).status_code == 200
        s = c.post("/api/sessions", json={"deck": "course2", "course": course, "day": 1}).json()
    return str(s["code"]), str(s["host_key"])


def test_picking_a_name_and_typing_the_check_at_390x844(server: RunningServer, browser: Any) -> None:  # noqa: F811
    from playwright.sync_api import expect

    code, key = rostered_session(server)
    pages = Pages(browser)
    try:
        phone = pages.open("phone", f"{server.http}/j/{code}", width=390, height=844, mobile=True)
        expect(phone.get_by_test_id("join-roster")).to_be_visible()
        expect(phone.get_by_test_id("join-name")).to_be_hidden()
        people = phone.get_by_test_id("roster-person")
        expect(people).to_have_count(6)
        phone.get_by_test_id("join-search").fill("城西")  # by unit
        expect(people).to_have_count(3)
        phone.get_by_test_id("join-search").fill("刘")
        expect(people).to_have_count(1)
        box = people.first.bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] >= 300
        expect(phone.get_by_test_id("join-check")).to_be_hidden()
        people.first.tap()
        expect(people.first).to_have_attribute("aria-selected", "true")
        check = phone.get_by_test_id("join-check")
        expect(check).to_be_visible()
        check.fill("0000")
        phone.get_by_test_id("join-submit").tap()
        expect(phone.get_by_test_id("join-error")).to_contain_text("确认信息不对")
        phone.screenshot(path=str(SHOTS / "roster-wrong-check-390x844.png"))
        check.fill("0004")  # 刘洋, GD20004
        phone.get_by_test_id("join-submit").tap()
        expect(phone.get_by_test_id("play")).to_be_visible()
        expect(phone.get_by_test_id("me-name")).to_contain_text("刘洋")
        phone.screenshot(path=str(SHOTS / "roster-joined-390x844.png"))
        # The console shows the day's attendance: when each trainee joined, the minutes present.
        console = pages.open("console", f"{server.http}/console/{code}#key={key}", width=1280, height=720)
        row = console.get_by_test_id("player-row").filter(has_text="刘洋")
        expect(row).to_have_count(1)
        expect(row.get_by_test_id("player-joined")).to_have_text(re.compile(r"\d{2}:\d{2}"))
        expect(row.get_by_test_id("player-present")).to_have_text("0 分钟")
        assert pages.errors == [], pages.errors
    finally:
        pages.close()


def test_the_trainer_makes_a_course_loads_its_roster_and_starts_day_1(server: RunningServer,  # noqa: F811
                                                                        browser: Any) -> None:  # noqa: F811
    from playwright.sync_api import expect

    with httpx.Client(base_url=server.http, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=30) as c:
        assert c.post("/api/decks", content=DECK).status_code in (201, 409)
    pages = Pages(browser)
    try:
        page = pages.open("trainer", f"{server.http}/trainer#token={ADMIN}", width=1280, height=720)
        page.get_by_test_id("course-title").fill("2026年12月 城东片区 第7期")
        page.get_by_test_id("course-create").click()
        row = page.locator("[data-testid^=course-row-]")
        expect(row).to_have_count(1)
        course = (row.get_attribute("data-testid") or "").removeprefix("course-row-")
        bad = "姓名,工号\n张伟,A1\n李娜,A1\n=1+1,A2\n".encode()
        page.get_by_test_id(f"roster-file-{course}").set_input_files(
            {"name": "班级.csv", "mimeType": "text/csv", "buffer": bad})
        problems = page.get_by_test_id(f"roster-problems-{course}")
        expect(problems).to_contain_text("第 3 行")
        expect(problems).to_contain_text("第 4 行")
        page.get_by_test_id(f"roster-file-{course}").set_input_files(
            {"name": "班级.csv", "mimeType": "text/csv", "buffer": ROSTER.encode()})
        expect(page.get_by_test_id(f"course-row-{course}")).to_contain_text("6 人，2 个组")
        expect(problems).to_have_count(0)
        # The printed codes sheet: a second press (earlier codes and the 工号 check stop working), one download.
        codes = page.get_by_test_id(f"course-codes-{course}")
        codes.click()
        expect(codes).to_have_text("再按一次：之前的确认码和工号后4位都将作废")
        with page.expect_download() as got:
            codes.click()
        assert got.value.suggested_filename == f"caseroom-codes-{course}.csv"
        sheet = list(csv.reader(io.StringIO(Path(got.value.path()).read_text(encoding="utf-8-sig"))))
        assert sheet[0] == ["姓名", "工号", "部门/营业厅", "组", "确认码"] and len(sheet) == 7, sheet
        assert len({row[4] for row in sheet[1:]}) == 6 and all(row[4] for row in sheet[1:])
        expect(codes).to_have_text("生成确认码表")
        page.get_by_test_id("deck-select").select_option("course2")
        page.get_by_test_id("course-select").select_option(course)
        expect(page.get_by_test_id("course-day")).to_have_value("1")
        page.get_by_test_id("create-session").click()
        expect(page.get_by_test_id(f"course-row-{course}")).to_contain_text("第 1 天")
        # One follow-up date for every day of the course, from its row.
        page.get_by_test_id(f"course-followup-date-{course}").fill("2030-01-07")
        page.get_by_test_id(f"course-followup-set-{course}").click()
        expect(page.get_by_test_id("toasts")).to_contain_text("已为 1 个场次设定跟进日期")
        page.screenshot(path=str(SHOTS / "trainer-course-1280x720.png"))
        # (The browser reports the refused upload's 422 itself; nothing else went wrong.)
        assert [e for e in pages.errors if "status of 422" not in e] == [], pages.errors
    finally:
        pages.close()
    with httpx.Client(base_url=server.http, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=30) as c:
        listed = c.get("/api/courses").json()["courses"]
    assert listed[0]["people"] == 6 and [s["day"] for s in listed[0]["sessions"]] == [1]
    day1 = listed[0]["sessions"][0]["code"]
    r = httpx.get(f"{server.http}/api/sessions/{day1}/followup", headers={"Authorization": f"Bearer {ADMIN}"},
                  timeout=30).json()
    assert r["chosen"] is True and 1_893_900_000_000 < r["chosen_at"] < 1_894_100_000_000  # 2030-01-07, local
