"""A fuzzer against the real server: random and mutated messages change nothing.

Each example plays the same valid script in two fresh sessions of one server:
in session A every valid message is preceded by junk from hypothesis (random
JSON, mutated messages with wrong types, huge numbers, deep nesting, invalid
UTF-8, binary frames, unknown commands) sent by a player, the console or an
anonymous socket; session B gets only the valid script. Afterwards the two
logs must be identical: junk was refused and changed nothing, and every
connection kept working.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ADMIN, FIXTURES, RunningServer, start_server
from tests.wsclient import Client, host, player

FUZZ_ENV = {"CASEROOM_MESSAGE_RATE": "100000", "CASEROOM_JOIN_BURST": "100000", "CASEROOM_JOIN_RATE": "100000"}
SENT = {"messages": 0}

VALID: list[tuple[str, dict[str, Any]]] = [
    ("console", {"type": "command", "name": "start", "args": {"activity": "card-a"}}),
    ("p1", {"type": "submit", "activity": "card-a", "answer": {"choice": "a"}}),
    ("p2", {"type": "submit", "activity": "card-a", "answer": {"choice": "b"}}),
    ("p1", {"type": "submit", "activity": "card-a", "answer": {"choice": "c"}}),
    ("console", {"type": "command", "name": "award", "args": {"target": "p2", "points": 5, "reason": "好"}}),
    ("console", {"type": "command", "name": "reveal"}),
    ("console", {"type": "command", "name": "start", "args": {"activity": "card-c"}}),
    ("p2", {"type": "submit", "activity": "card-c", "answer": {"choice": "q"}}),
    ("console", {"type": "command", "name": "reveal"}),
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=20)
kinds = st.sampled_from(["join", "resume", "host", "submit", "command", "ping", "fly", "", "ack", "state"])
bad_answers = st.one_of(
    json_values.filter(lambda v: not (isinstance(v, dict) and set(v) <= {"choice"})),
    st.fixed_dictionaries({"choice": st.one_of(st.integers(), st.text(max_size=5).filter(
        lambda t: t not in ("a", "b", "c", "p", "q")), st.none(), json_values)}))
mutated = st.one_of(
    st.fixed_dictionaries({"type": st.just("submit"), "activity": st.one_of(st.just("card-a"), json_values),
                           "answer": bad_answers}),
    st.fixed_dictionaries({"type": st.just("command"),
                           "name": st.text(max_size=12).map(lambda t: "x-" + t), "args": json_values}),
    st.fixed_dictionaries({"type": st.just("command"), "name": st.sampled_from(["award", "start", "move"]),
                           "args": st.fixed_dictionaries({"target": json_values, "points": st.one_of(
                               st.text(), st.floats(), st.just(10**30), st.just(0)), "activity": st.just("nope"),
                               "player": json_values, "group": st.just("no-such-group")})}),
    st.fixed_dictionaries({"type": kinds, "id": st.one_of(st.integers(), st.text(min_size=65, max_size=80)),
                           "code": json_values}),
    st.dictionaries(st.text(max_size=8), json_values, max_size=6),
)
raw_frames = st.one_of(
    mutated.map(json.dumps),
    json_values.map(json.dumps),
    st.text(max_size=200),
    st.integers(min_value=1, max_value=2000).map(lambda n: "[" * n + "]" * n),  # deep nesting
    st.just('{"type": "submit", "activity": "card-a", "answer": {"choice": 1e999}}'),
    st.just('{"type": "command", "name": "award", "args": {"target": "p1", "points": '
            + "9" * 400 + ', "reason": "x"}}'),
    st.binary(max_size=64),  # binary frames, invalid UTF-8 included
)
senders = st.sampled_from(["p1", "p2", "console", "anon"])
junk = st.lists(st.lists(st.tuples(senders, raw_frames), min_size=4, max_size=12), min_size=len(VALID),
                max_size=len(VALID))  # at least 4 x 9 x 30 = 1,080 junk frames over the examples


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    srv = start_server(tmp_path_factory.mktemp("fuzz") / "data", env=FUZZ_ENV)
    with srv.admin() as api:
        assert api.post("/api/decks", content=(FIXTURES / "mini.yaml").read_bytes()).status_code == 201
    yield srv
    srv.stop()


def new_code(srv: RunningServer) -> tuple[str, str]:
    with srv.admin() as api:
        s = api.post("/api/sessions", json={"deck": "mini"}).json()
    return s["code"], s["host_key"]


def log_of(srv: RunningServer, code: str) -> list[tuple[str, str, Any]]:
    rec = httpx.get(f"{srv.http}/api/sessions/{code}/export", headers={"Authorization": f"Bearer {ADMIN}"},
                    timeout=30).json()
    out = []
    for e in rec["events"]:
        data = {k: v for k, v in e["data"].items() if k not in ("deadline", "code", "address", "close_at")}
        out.append((e["type"], e["actor"], data, e["client_id"]))
    return out


async def play(srv: RunningServer, junk_batches: list[list[tuple[str, str | bytes]]] | None) -> str:
    code, key = new_code(srv)
    conns: dict[str, Client] = {
        "console": await host(srv.ws, code, key, "console"),
        "p1": await player(srv.ws, code, "甲", "join-1"),
        "p2": await player(srv.ws, code, "乙", "join-2"),
        "anon": await Client.open(srv.ws),
    }
    for i, (who, msg) in enumerate(VALID):
        for sender, frame in (junk_batches[i] if junk_batches else []):
            await conns[sender].ws.send(frame)
            SENT["messages"] += 1
        reply = await conns[who].request(msg, f"valid-{i}")
        assert reply["type"] == "ack", (i, reply)
    for c in conns.values():
        await c.close()
    return code


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(junk=junk)
def test_junk_changes_nothing(fuzz_server: RunningServer, junk: list[list[tuple[str, str | bytes]]]) -> None:
    fuzzed = asyncio.run(play(fuzz_server, junk))
    clean = asyncio.run(play(fuzz_server, None))
    assert log_of(fuzz_server, fuzzed) == log_of(fuzz_server, clean)
    assert httpx.get(f"{fuzz_server.http}/healthz").json() == {"ok": True}


def test_fuzzer_volume() -> None:
    """Runs after the fuzzer: it really sent thousands of messages (figure for the closing note)."""
    if SENT["messages"] == 0:
        pytest.skip("run together with test_junk_changes_nothing")
    print(f"fuzzed messages: {SENT['messages']}")
    assert SENT["messages"] >= 1000


