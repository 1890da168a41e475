"""The ceiling: a bare ``websockets`` server that acknowledges and does nothing else.

    python -m bench.ceiling --port P [--loop uvloop|asyncio] [--store FILE]

It speaks just enough of the public contract for the bench's phones, screen
and console to run the same script against it: ``join``/``resume``/``host``
get a ``welcome``, and every message that carries an ``id`` gets
``{"type": "ack", "id"}``. No rules, no storage, no views. Frames are
uncompressed and limited to 64 KiB, and the server pings every 5 s, as
``caseroom serve`` does. Binds loopback only; prints ``ready <port>`` once it
listens and exits on SIGTERM/SIGINT.

With ``--store FILE`` (the durable ceiling, ``python -m bench --ceiling-store``)
each answer is acked only once it is stored, through caseroom's own
``Committer`` and SQLite ``SqlStore`` (the same group commit, wait and
checkpoints), as one ``answer_submitted`` event of a stand-in session that has
no rules, state or views. It is what any server costs that acks only what it
stored this way: the bare ceiling to it is the price of storing, it to caseroom
the price of the rules, the views and the protocol.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import signal
from functools import partial
from typing import Any

import orjson
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from bench.load import raise_open_files
from server.cli import tune_gc
from sessions.clock import SystemClock
from sessions.commit import Committer
from sessions.core import Command
from sessions.events import Event
from sessions.live import Outcome
from sessions.store import SessionRecord, SqlStore

_players = itertools.count(1)
CODE = "CEIL01"


class StoreOnly:
    """A stand-in for ``LiveSession`` in the committer: every command is one event, numbered and
    stored; nothing is decided, applied to a state or announced to any view."""

    code = CODE

    def __init__(self) -> None:
        self.seq = 0
        self.state = self  # (the committer logs ``live.state.seq``)

    def decide_events(self, cmd: Command, now: int) -> Outcome:
        return Outcome([Event(self.seq + 1, now, "answer_submitted", cmd.actor, cmd.client_id, cmd.args)])

    def apply_events(self, events: list[Event]) -> None:
        self.seq = events[-1].seq

    def ended_at(self, events: list[Event]) -> int | None:
        return None

    def announce(self, events: list[Event]) -> None:
        pass

    def reload(self) -> None:
        pass


class Durable:
    """The committer and the stand-in session of ``--store``."""

    def __init__(self, path: str) -> None:
        now = SystemClock().now_ms
        self.store = SqlStore(f"sqlite:///{path}")
        self.store.create_session(SessionRecord(CODE, "ceiling", "ceiling", "", "", now()), [])
        self.live = StoreOnly()
        self.committer = Committer(self.store, now)

    async def store_answer(self, actor: str, msg: dict[str, Any]) -> None:
        activity = msg.get("activity")
        data = {"activity": activity, "card": activity, "as": actor, "answer": msg.get("answer")}
        msg_id = msg.get("id")
        cmd = Command("submit", actor, data, msg_id if isinstance(msg_id, str) else None)
        await self.committer.submit(self.live, cmd)  # type: ignore[arg-type]  # (a stand-in)


async def handler(ws: ServerConnection, durable: Durable | None = None) -> None:
    player = "host"
    try:
        async for raw in ws:
            try:
                msg = orjson.loads(raw)
            except orjson.JSONDecodeError:
                continue
            if not isinstance(msg, dict):
                continue
            kind = msg.get("type")
            if kind in ("join", "resume"):
                pid = player = f"p{next(_players)}"
                await ws.send(orjson.dumps({"type": "welcome", "role": "player", "player_id": pid,
                                            "token": pid, "group": None}).decode())
            elif kind == "host":
                await ws.send(orjson.dumps({"type": "welcome", "role": msg.get("view")}).decode())
            elif kind == "submit" and durable is not None:
                await durable.store_answer(player, msg)
            if "id" in msg:
                await ws.send(orjson.dumps({"type": "ack", "id": msg["id"]}).decode())
    except ConnectionClosed:
        pass


async def main_async(port: int, store: str | None = None) -> None:
    durable = None if store is None else Durable(store)
    if durable is not None:
        durable.committer.start()
        tune_gc()  # (as ``caseroom serve`` does: the store's modules are as many objects as caseroom's)
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with serve(partial(handler, durable=durable), "127.0.0.1", port, compression=None, max_size=65_536,
                     ping_interval=5, ping_timeout=5, backlog=2048):
        print(f"ready {port}", flush=True)
        await stop
    if durable is not None:
        await durable.committer.close()
        durable.store.close()
        print(f"stored: {durable.committer.commands} command(s) in {durable.committer.batches} commit(s)",
              flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop")
    parser.add_argument("--store", metavar="FILE", help="ack each answer only once it is stored in this "
                                                        "SQLite file (the durable ceiling)")
    args = parser.parse_args()
    raise_open_files()
    if args.loop == "uvloop":
        try:
            import uvloop
        except ImportError:
            args.loop = "asyncio"
        else:
            uvloop.run(main_async(args.port, args.store))
            return 0
    asyncio.run(main_async(args.port, args.store))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
