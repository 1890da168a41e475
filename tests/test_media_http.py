"""Bundles over HTTP and media served by the server itself, through a real server process.

Upload a zip, play its slide over real websockets, fetch the screen view's media URLs (200,
Range 206, ETag 304, immutable cache, nosniff), survive a restart; bad bundles get 422 naming
the file and the line, and nothing of them is stored.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import httpx
import pytest

from tests.bundles import SLIDE_DECK, files, png, zip_bytes
from tests.conftest import ADMIN, RunningServer, start_server
from tests.wsclient import host, player

ZIP = {"Content-Type": "application/zip"}


def upload(srv: RunningServer, body: bytes) -> httpx.Response:
    with srv.admin() as api:
        return api.post("/api/decks", content=body, headers=ZIP)


async def screen_media(srv: RunningServer) -> tuple[list[dict[str, str]], dict, dict]:
    with srv.admin() as api:
        s = api.post("/api/sessions", json={"deck": "slides"}).json()
    console = await host(srv.ws, s["code"], s["host_key"], "console")
    screen = await host(srv.ws, s["code"], s["host_key"], "screen")
    phone = await player(srv.ws, s["code"], "小王")
    assert (await console.request({"type": "command", "name": "start", "args": {"activity": "s-video"}}))["type"] \
        == "ack"
    view = await screen.view_until(lambda v: (v["activity"] or {}).get("id") == "s-video")
    mine = await phone.view_until(lambda v: (v["activity"] or {}).get("id") == "s-video")
    desk = await console.view_until(lambda v: (v["activity"] or {}).get("id") == "s-video")
    for c in (console, screen, phone):
        await c.close()
    return view["activity"]["media"], mine["activity"], desk["activity"]


def test_a_zip_bundle_is_uploaded_played_and_its_media_served_with_ranges(tmp_path: Path) -> None:
    srv = start_server(tmp_path / "data")
    try:
        r = upload(srv, zip_bytes(files()))
        assert r.status_code == 201, r.text
        media, phone, console = asyncio.run(screen_media(srv))
        assert "notes" not in phone and console["notes"] == "讲师提示：视频播放两遍。"
        clip = (Path(__file__).parent / "fixtures" / "media" / "clip.webm").read_bytes()
        [video] = media
        assert video["type"] == "video/webm"
        full = httpx.get(srv.http + video["url"])  # no token: a projector's <video> sends none
        assert full.status_code == 200 and full.content == clip
        assert full.headers["content-type"] == "video/webm"
        assert full.headers["x-content-type-options"] == "nosniff"
        assert "immutable" in full.headers["cache-control"] and "max-age=31536000" in full.headers["cache-control"]
        assert full.headers["accept-ranges"] == "bytes"
        etag = full.headers["etag"]
        part = httpx.get(srv.http + video["url"], headers={"Range": "bytes=100-199"})
        assert part.status_code == 206 and part.content == clip[100:200]
        assert part.headers["content-range"] == f"bytes 100-199/{len(clip)}"
        tail = httpx.get(srv.http + video["url"], headers={"Range": "bytes=-50"})
        assert tail.status_code == 206 and tail.content == clip[-50:]
        assert httpx.get(srv.http + video["url"], headers={"Range": "bytes=0-"}).status_code == 206
        assert httpx.get(srv.http + video["url"], headers={"Range": f"bytes={len(clip)}-"}).status_code == 416
        assert httpx.get(srv.http + video["url"], headers={"If-None-Match": etag}).status_code == 304
        assert httpx.get(srv.http + video["url"].replace(".webm", ".png")).status_code == 404
        assert httpx.get(srv.http + "/media/" + "0" * 64 + ".png").status_code == 404
        assert httpx.get(srv.http + "/media/..%2F..%2Fetc%2Fpasswd").status_code == 404
        with srv.admin() as api:
            deck = next(d for d in api.get("/api/decks").json()["decks"] if d["id"] == "slides")
        assert {a["id"]: a["planned"] for a in deck["activities"]} == {"s-three": 130, "s-video": 70, "v1": 75,
                                                                      "s-end": 130}
        assert {p["id"]: p["planned"] for p in deck["presets"]} == {"short": [205], "two": [200, 205]}
        srv.stop()
        srv = start_server(tmp_path / "data")  # the store keeps the media: a restart serves it
        again = httpx.get(srv.http + video["url"], headers={"Range": "bytes=0-9"})
        assert again.status_code == 206 and again.content == clip[:10]
    finally:
        srv.stop()


def lines(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize("case", ["missing", "oversized", "svg", "escape", "notes"])
def test_bad_bundles_are_refused_naming_file_and_line_and_nothing_is_stored(server: RunningServer,
                                                                           case: str) -> None:
    text = SLIDE_DECK.replace("id: slides", f"id: bad-{case}")
    content = files()
    if case == "missing":
        del content["media/three-step.png"]
    elif case == "oversized":
        content["media/three-step.png"] = png() + b"\0" * 5_000_001
    elif case == "svg":
        text = text.replace("media/three-step.png", "media/diagram.svg")
        content["media/diagram.svg"] = b"<svg xmlns='http://www.w3.org/2000/svg'/>"
    elif case == "escape":
        text = text.replace("media/three-step.png", "../three-step.png")
    elif case == "notes":
        text = text.replace("notes: 讲师提示：视频播放两遍。", "notes: " + "长" * 2001)
    content["deck.yaml"] = text.encode()
    r = upload(server, zip_bytes(content))
    assert r.status_code == 422, r.text
    problems = r.json()["error"]["problems"]
    where = lines(text, "notes: 长") if case == "notes" else lines(text, "image:")
    assert any(p["line"] == where for p in problems), problems
    if case in ("missing", "oversized", "svg"):
        assert any("three-step.png" in p["message"] or "diagram.svg" in p["message"] for p in problems)
    with server.admin() as api:
        assert f"bad-{case}" not in {d["id"] for d in api.get("/api/decks").json()["decks"]}
    if case == "oversized":  # the clip beside it was fine, but nothing of a refused bundle is stored
        sha = hashlib.sha256(content["media/clip.webm"]).hexdigest()
        assert httpx.get(f"{server.http}/media/{sha}.webm").status_code == 404


def test_hostile_zips_get_4xx(server: RunningServer) -> None:
    assert upload(server, b"PK\x03\x04garbage").status_code == 422
    assert upload(server, b"not a zip at all").status_code == 422
    r = httpx.post(f"{server.http}/api/decks", content=zip_bytes(files()), headers={**ZIP})
    assert r.status_code == 401
    import http.client  # a client that declares more than it sends (httpx will not)

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.putrequest("POST", "/api/decks")
    for k, v in {**ZIP, "Authorization": f"Bearer {ADMIN}", "Content-Length": str(200_000_000)}.items():
        conn.putheader(k, v)
    conn.endheaders(b"\0" * 16)
    assert conn.getresponse().status == 413  # refused on the declared size, before reading
    conn.close()


def test_media_uploaded_to_one_process_is_served_by_another_sharing_postgresql(tmp_path: Path) -> None:
    from tests.pg import fresh_schema

    with fresh_schema() as url:
        env = {"CASEROOM_DATABASE_URL": url}
        a = start_server(tmp_path / "a", env=env)
        b = start_server(tmp_path / "b", env=env)
        try:
            r = upload(a, zip_bytes(files()))
            assert r.status_code == 201, r.text
            sha = hashlib.sha256(files()["media/clip.webm"]).hexdigest()
            got = httpx.get(f"{b.http}/media/{sha}.webm", headers={"Range": "bytes=0-99"})
            assert got.status_code == 206 and got.content == files()["media/clip.webm"][:100]
        finally:
            a.stop()
            b.stop()
