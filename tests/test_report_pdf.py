"""The HTML review report, printed to PDF by headless Chromium: A4 pages, Chinese text, charts."""

from __future__ import annotations

import os
import re
from pathlib import Path

import httpx
import pytest

from tests.conftest import start_server
from tests.test_kinds_protocol import play_every_kind

pytestmark = pytest.mark.browser
CHROMIUM = Path("/usr/bin/chromium")
OUT = Path("/tmp/caseroom-shots")


def test_the_report_prints_to_a4_pdf(tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium); the PDF test needs it"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    srv = start_server(tmp_path / "data")
    try:
        code, key = play_every_kind(srv)
        html = httpx.get(f"{srv.http}/api/sessions/{code}/export?format=html",
                         headers={"Authorization": f"Bearer {key}"}, timeout=30).text
    finally:
        srv.stop()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                          "--disable-component-update", "--no-first-run", "--disable-sync"])
        try:
            page = browser.new_page()
            page.set_content(html, wait_until="load")
            # Nothing from a trainee became markup: the plan item with tags is text on the page.
            assert "<b>整理台账</b>" in page.inner_text("body")
            assert page.locator("script").count() == 0
            pdf = page.pdf(format="A4", print_background=True)
        finally:
            browser.close()
    assert pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages >= 1 + 1 + 1 + 6, pages  # summary, activities, awards and plans, one page per trainee
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "report.pdf").write_bytes(pdf)
