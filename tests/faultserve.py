"""``caseroom serve`` with faults planted for the fault-injection tests (never used in production).

Run as ``python -m tests.faultserve serve ...`` (the same arguments as ``caseroom serve``). Each
fault is a wrapper around real code, armed by a marker the test sends over the real protocol:

- a player named ``boom-view``: rendering that player's view raises;
- a vote answer ``{"choice": "boom"}``: the vote kind's ``apply_answer`` changes its tally, then raises;
- a player named ``boom-store``: storing a batch with that join raises (a disk or database fault);
- a player named ``boom-die``: the committer task itself dies (a BaseException no guard catches);
  with ``CASEROOM_TEST_DIE_ALWAYS=1`` it then dies again each time it is restarted;
- ``CASEROOM_TEST_HUB_LAG_MS=N`` (with Redis): the owner's events reach this process over the hub
  N ms late, later than the owner's replies to the commands it relays;
- a player named ``boom-relay`` joining on another process (with Redis): this process, the owner,
  commits the relayed join but its answer is lost, once, so the other process sends it again.
"""

from __future__ import annotations

import os
import sys
from typing import Any


class Die(BaseException):
    """Not an Exception: escapes every ``except Exception`` and ends the task it is raised in."""


def plant(setattr: Any = setattr) -> None:
    """Wrap the real code with the faults (``setattr`` lets a test undo them afterwards)."""
    import server.rooms
    from games.vote import Vote
    from sessions.commit import Committer
    from sessions.store import SqlStore

    player_view = server.rooms.player_view

    def bad_player_view(st: Any, pid: str) -> Any:
        if st.players[pid].name.startswith("boom-view"):
            raise RuntimeError("planted fault: player view")
        return player_view(st, pid)

    setattr(server.rooms, "player_view", bad_player_view)

    apply_answer = Vote.apply_answer

    def bad_apply_answer(self: Any, config: Any, state: Any, who: Any, answer: Any, at: int) -> None:
        apply_answer(self, config, state, who, answer, at)
        if answer.get("choice") == "boom":
            raise RuntimeError("planted fault: vote apply")

    setattr(Vote, "apply_answer", bad_apply_answer)

    append_batch = SqlStore.append_batch

    def bad_append_batch(self: Any, writes: Any, ended: Any) -> None:
        if any(e.type == "player_joined" and e.data.get("name") == "boom-store"
               for events in writes.values() for e in events):
            raise OSError("planted fault: store")
        append_batch(self, writes, ended)

    setattr(SqlStore, "append_batch", bad_append_batch)

    commit = Committer._commit
    dying = {"now": False}

    async def bad_commit(self: Any, batch: Any) -> None:
        if any(cmd.name == "join" and cmd.args.get("name") == "boom-die" for _l, cmd, _f in batch):
            dying["now"] = os.environ.get("CASEROOM_TEST_DIE_ALWAYS") == "1"
            raise Die("planted fault: the committer dies")
        await commit(self, batch)

    setattr(Committer, "_commit", bad_commit)

    run = Committer._run

    async def bad_run(self: Any) -> None:
        if dying["now"]:
            raise Die("planted fault: the committer dies again")
        await run(self)

    setattr(Committer, "_run", bad_run)

    from server.cluster import Cluster

    answer = Cluster._answer
    lost: set[str] = set()

    async def losing_answer(self: Any, item: dict[str, Any], reply_to: str) -> None:
        from sessions.core import Command

        c = item.get("cmd") or {}
        name = (c.get("args") or {}).get("name")
        if c.get("name") == "join" and str(name).startswith("boom-relay") and c.get("client_id") not in lost:
            lost.add(c.get("client_id"))
            live = await self.session(item["code"])
            await self.committer.run(live, Command(c["name"], c["actor"], c["args"], c["client_id"]))
            return  # (committed; the answer never leaves)
        await answer(self, item, reply_to)

    setattr(Cluster, "_answer", losing_answer)

    lag_ms = int(os.environ.get("CASEROOM_TEST_HUB_LAG_MS", "0"))
    if lag_ms:
        import asyncio

        start = Cluster.start

        async def lagging_start(self: Any, keep: Any = None) -> None:
            await start(self, keep)
            on_remote = self.hub.on_remote

            def late(code: str, events: Any) -> None:
                asyncio.get_running_loop().call_later(lag_ms / 1000, on_remote, code, events)

            self.hub.on_remote = late

        setattr(Cluster, "start", lagging_start)


if __name__ == "__main__":
    plant()
    from server.cli import main

    sys.exit(main())
