"""Every kind through the real server and real websocket clients: the hand-worked play-through of
``test_kinds.py`` again, over the wire, ending in the same scores, groups and leaderboard."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.conftest import RunningServer
from tests.test_kinds import KINDS_DECK
from tests.wsclient import Client, host, player

EXPECTED_SCORES = {"p1": 580, "p2": 425, "p3": 183, "p4": 283, "p5": 200, "p6": 220}
EXPECTED_GROUPS = {"g1": 583, "g2": 263, "g3": 210}


def test_every_kind_over_the_wire(server: RunningServer) -> None:
    play_every_kind(server)


def play_every_kind(server: RunningServer, tokens: dict[str, str] | None = None) -> tuple[str, str]:
    """Record a whole session of every kind through the server; return (code, host key).

    ``tokens``, when given, receives each player's resume token.
    """
    with server.admin() as api:
        r = api.post("/api/decks", content=KINDS_DECK.encode())
        assert r.status_code in (201, 409), r.text
        s = api.post("/api/sessions", json={"deck": "kinds"}).json()
    code, key = s["code"], s["host_key"]

    async def scenario() -> None:
        screen = await host(server.ws, code, key, "screen")
        console = await host(server.ws, code, key, "console")
        phones: dict[str, Client] = {}
        for i, group in enumerate(["g1", "g1", "g2", "g2", "g3", "g3"], 1):
            phones[f"p{i}"] = await player(server.ws, code, f"学员{i}", group=group)
            if tokens is not None:
                tokens[f"p{i}"] = (phones[f"p{i}"].welcome or {})["token"]

        async def cmd(name: str, **args: Any) -> None:
            reply = await console.request({"type": "command", "name": name, "args": args})
            assert reply["type"] == "ack", (name, reply)

        async def view(pid: str, pred: Any = None) -> dict[str, Any]:
            return await phones[pid].view_until(pred or (lambda v: v["activity"] is not None))

        async def submit(pid: str, answer: Any, expect: str = "ack") -> dict[str, Any]:
            v = await view(pid, lambda v: v["activity"] is not None and v["activity"]["status"] == "open")
            reply = await phones[pid].request({"type": "submit", "activity": v["activity"]["id"],
                                               "answer": answer})
            assert reply.get("code", reply["type"]) == expect, (pid, answer, reply)
            return reply

        async def proposal(pid: str) -> int:
            v = await view(pid, lambda v: bool(v["activity"] and v["activity"].get("proposal")
                                               and not v["activity"]["proposal"]["confirmed"]))
            return v["activity"]["proposal"]["seq"]  # type: ignore[no-any-return]

        async def on(activity: str) -> None:
            for pid in phones:
                await view(pid, lambda v: v["activity"] is not None and v["activity"].get("stage") == activity)

        await cmd("next")
        await on("v-ind")
        for pid, choice in [("p1", "a"), ("p2", "b"), ("p3", "c"), ("p4", "a"), ("p5", "a")]:
            await submit(pid, {"choice": choice})
        await cmd("reveal")

        await cmd("next")
        await on("v-con")
        await submit("p2", {"choice": "a"})
        await submit("p2", {"confirm": await proposal("p2")}, "own_proposal")
        await submit("p1", {"confirm": await proposal("p1")})
        await submit("p3", {"choice": "b"})
        await submit("p4", {"confirm": await proposal("p4")})
        await cmd("reveal")

        await cmd("next")
        await on("o-maj")
        for pid, order in [("p1", "1234"), ("p2", "2134"), ("p3", "1243"), ("p4", "1243"), ("p5", "4321")]:
            await submit(pid, {"order": [f"s{c}" for c in order]})
        await cmd("reveal")

        await cmd("next")
        await on("e-ind")
        for pid, value in [("p1", 5), ("p2", 7), ("p3", 10), ("p6", 4.5)]:
            await submit(pid, {"value": value})
        await cmd("reveal")

        await cmd("next")
        await on("d-grp")
        await submit("p3", {"post": "停机没收到短信"})
        post = (await screen.view_until(lambda v: bool(v["activity"] and v["activity"].get("posts"))))
        await submit("p1", {"upvote": post["activity"]["posts"][0]["id"]})
        await submit("p1", {"upvote": post["activity"]["posts"][0]["id"]}, "already_voted")
        await cmd("act", action="highlight", post=post["activity"]["posts"][0]["id"])
        await cmd("award", target="g2", points=30, reason="讨论：停机没收到短信")
        await cmd("reveal")

        await cmd("start", activity="rp", group="g1")
        await on("rp")
        customer = await view("p2")
        assert customer["activity"]["my_role"] == "customer" and "秘密" in customer["activity"]["brief"]
        for pid in ("p1", "p3", "p4", "p5", "p6"):
            assert "秘密" not in str(await view(pid))
        assert "秘密" not in str(screen.view)
        await cmd("advance")
        await submit("p3", {"scores": {"calm": 4, "solve": 3}})
        await submit("p4", {"scores": {"calm": 5, "solve": 5}})
        await submit("p2", {"scores": {"calm": 1}}, "not_observer")
        await cmd("act", action="score", group="g1", scores={"calm": 3, "solve": 4})
        await cmd("close")
        await cmd("reveal")

        await cmd("next")
        await on("deal-xyz")
        assert (await view("p5"))["activity"]["id"] == "v-z"
        await submit("p2", {"choice": "a"})
        await submit("p1", {"confirm": await proposal("p1")})
        await submit("p3", {"choice": "b"})
        await submit("p4", {"confirm": await proposal("p4")})
        await submit("p6", {"choice": "a"})
        await submit("p5", {"confirm": await proposal("p5")})
        await cmd("reveal")

        await cmd("next")
        await on("plan")
        await submit("p1", {"items": [{"what": "每次先复述客户诉求", "by": "下周"}]})
        await submit("p3", {"items": [{"what": "=HYPERLINK(\"http://x\")"}, {"what": "<b>整理台账</b> 📒"}]})
        await cmd("award", target="p6", points=20, reason="故事分享")
        await cmd("end")

        final = await console.view_until(lambda v: v["session"]["phase"] == "ended")
        assert {p["id"]: p["score"] for p in final["players"]} == EXPECTED_SCORES
        assert {g["id"]: g["score"] for g in final["groups"]} == EXPECTED_GROUPS
        assert [row["id"] for row in final["leaderboard"]] == ["p1", "p2", "p4", "p6", "p5", "p3"]
        shown = await screen.view_until(lambda v: v["session"]["phase"] == "ended")
        assert shown["podium"]["players"][0]["name"] == "学员1"
        me = await view("p4", lambda v: v["session"]["phase"] == "ended")
        assert me["me"]["score"] == 283 and me["me"]["rank"] == 3 and me["group"]["score"] == 263
        for c in [screen, console, *phones.values()]:
            await c.close()

    asyncio.run(scenario())
    return code, key
