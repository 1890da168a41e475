"""Groups on the trainer's console in a real browser (1280x720): an empty group removed after a
second click, and a trainee moved only after the console has shown how both groups' scores change
(figures from the server's own rule, ``GET /api/sessions/{code}/regroup``).
"""

from __future__ import annotations

import pytest

from tests import test_browser as tb
from tests.test_browser import ADMIN, Pages, _http, _shot
from tests.test_browser_reveal import Driver

caseroom_url = tb.caseroom_url
browser = tb.browser
pages = tb.pages

pytestmark = pytest.mark.browser


def _groups(d: Driver) -> dict[str, dict[str, int]]:
    return {g["id"]: g for g in d.view()["groups"]}


def test_the_console_removes_an_empty_group_and_previews_a_move_before_making_it(
        caseroom_url: str, pages: Pages) -> None:
    from playwright.sync_api import expect

    d = Driver(caseroom_url, "complaint-handling", 3)  # four groups, three trainees: g4 is empty
    code, key = d.made["code"], d.made["host_key"]
    players = d.view()["players"]
    by_group = {p["group"]: p["id"] for p in players}
    assert set(by_group) == {"g1", "g2", "g3"}, players
    d.cmd("award", target=by_group["g1"], points=80, reason="先安抚情绪")
    d.cmd("award", target="g2", points=10, reason="组内协作")
    console = pages.open("console", d.made["console_url"], width=1280, height=720)
    expect(console.get_by_test_id("group-g4")).to_be_visible()

    # Remove: only an empty group offers it, and only the second click removes it.
    expect(console.get_by_test_id("group-remove-g1")).to_have_count(0)
    console.get_by_test_id("group-remove-g4").click()
    expect(console.get_by_test_id("group-g4")).to_be_visible()
    assert "g4" in _groups(d)
    console.get_by_test_id("group-remove-confirm-g4").click()
    expect(console.get_by_test_id("group-g4")).to_have_count(0)
    assert "g4" not in _groups(d)

    # Move: the preview shows both groups' scores before and after; nothing moves until confirmed.
    mover = by_group["g1"]
    before = _groups(d)
    console.get_by_test_id(f"move-{mover}").select_option("g2")
    preview = console.get_by_test_id("move-preview")
    expect(preview).to_be_visible()
    expect(console.get_by_test_id("move-preview-g2")).to_be_visible()
    figures = {}
    for gid in ("g1", "g2"):
        row = console.get_by_test_id(f"move-preview-{gid}")
        figures[gid] = (int(row.get_attribute("data-before") or -1), int(row.get_attribute("data-after") or -1))
        expect(row).to_contain_text(f"{figures[gid][0]} → {figures[gid][1]}")
    assert figures["g1"][0] == before["g1"]["score"] and figures["g2"][0] == before["g2"]["score"], (figures, before)
    assert figures["g1"][0] != figures["g1"][1] and figures["g2"][0] != figures["g2"][1], figures
    assert {p["id"]: p["group"] for p in d.view()["players"]}[mover] == "g1"  # not moved yet
    _shot(console, "groups-move-preview-console-1280")
    # Points awarded while the console waits: the preview's figures follow (asked again).
    d.cmd("award", target="g2", points=30, reason="补充加分")
    raised = _groups(d)["g2"]["score"]
    assert raised != figures["g2"][0]
    row = console.get_by_test_id("move-preview-g2")
    expect(row).to_have_attribute("data-before", str(raised))
    figures = {gid: (int(console.get_by_test_id(f"move-preview-{gid}").get_attribute("data-before") or -1),
                     int(console.get_by_test_id(f"move-preview-{gid}").get_attribute("data-after") or -1))
               for gid in ("g1", "g2")}
    expect(row).to_contain_text(f"{figures['g2'][0]} → {figures['g2'][1]}")
    console.get_by_test_id("move-confirm").click()
    expect(preview).to_have_count(0)
    expect(console.get_by_test_id("group-g1")).to_have_attribute("data-score", str(figures["g1"][1]))
    expect(console.get_by_test_id("group-g2")).to_have_attribute("data-score", str(figures["g2"][1]))
    after = _groups(d)
    assert (after["g1"]["score"], after["g2"]["score"]) == (figures["g1"][1], figures["g2"][1])
    assert {p["id"]: p["group"] for p in d.view()["players"]}[mover] == "g2"

    # Cancel leaves everything as it was.
    console.get_by_test_id(f"move-{mover}").select_option("g3")
    expect(console.get_by_test_id("move-preview-g3")).to_be_visible()
    console.get_by_test_id("move-cancel").click()
    expect(console.get_by_test_id("move-preview")).to_have_count(0)
    expect(console.get_by_test_id(f"move-{mover}")).to_have_value("g2")
    assert _groups(d) == after

    # The preview route: the host key or admin only, a clear code for bad input, nothing changes.
    base = f"{caseroom_url}/api/sessions/{code}/regroup"
    assert _http("GET", f"{base}?player={mover}&group=g1", None, key)[0] == 200
    assert _http("GET", f"{base}?player={mover}&group=g1", None, ADMIN)[0] == 200
    for query, status, err in ((f"player={mover}&group=g1", 403, "forbidden"), ("", 400, "bad_query"),
                               ("player=p999&group=g1", 404, "unknown_player"),
                               (f"player={mover}&group=g9", 404, "unknown_group"),
                               (f"player={'x' * 500}&group=g1", 400, "bad_query")):
        got, body = _http("GET", f"{base}?{query}", None, "wrong-key" if status == 403 else key)
        assert (got, body["error"]["code"]) == (status, err), (query, got, body)
    assert _groups(d) == after
    d.close()
    assert not pages.errors, pages.errors
