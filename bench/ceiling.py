"""The ceiling: a bare ``websockets`` server that acknowledges and does nothing else.

    python -m bench.ceiling --port P [--loop uvloop|asyncio]

It speaks just enough of the public contract for the bench's phones, screen
and console to run the same script against it: ``join``/``resume``/``host``
get a ``welcome``, and every message that carries an ``id`` gets
``{"type": "ack", "id"}``. No rules, no storage, no views. Frames are
uncompressed and limited to 64 KiB, and the server pings every 5 s, as
``caseroom serve`` does. Binds loopback only; prints ``ready <port>`` once it
listens and exits on SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import signal

import orjson
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from bench.load import raise_open_files

_players = itertools.count(1)


async def handler(ws: ServerConnection) -> None:
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
                pid = f"p{next(_players)}"
                await ws.send(orjson.dumps({"type": "welcome", "role": "player", "player_id": pid,
                                            "token": pid, "group": None}).decode())
            elif kind == "host":
                await ws.send(orjson.dumps({"type": "welcome", "role": msg.get("view")}).decode())
            if "id" in msg:
                await ws.send(orjson.dumps({"type": "ack", "id": msg["id"]}).decode())
    except ConnectionClosed:
        pass


async def main_async(port: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with serve(handler, "127.0.0.1", port, compression=None, max_size=65_536, ping_interval=5,
                     ping_timeout=5, backlog=2048):
        print(f"ready {port}", flush=True)
        await stop


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop")
    args = parser.parse_args()
    raise_open_files()
    if args.loop == "uvloop":
        try:
            import uvloop
        except ImportError:
            args.loop = "asyncio"
        else:
            uvloop.run(main_async(args.port))
            return 0
    asyncio.run(main_async(args.port))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
