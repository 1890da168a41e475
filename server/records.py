"""The sessions the record routes open (export, review, replay, ``/me``), after the caller is authorised.

A live session is in memory. One that ended before this process started must be
rebuilt from the store (its deck parsed, its log replayed: about 0.3 s for the
course deck), so that happens on a worker thread, never on the event loop, once
per session however many requests ask at the same moment, and the result is
kept (the ``CACHED`` most recently used ended sessions). Callers check the
credential first (``server/http_api.py``): nobody without a key makes the
server rebuild anything.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict

from sessions.live import LiveSession, Sessions

CACHED = 8  # ended sessions kept rebuilt (each holds its state: a few MB for a hall of thousands)


class Records:
    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions
        self._cache: OrderedDict[str, LiveSession] = OrderedDict()
        self._building: dict[str, asyncio.Future[LiveSession | None]] = {}
        self.rebuilds = 0

    async def open(self, code: str) -> LiveSession | None:
        """The session with this code (None if there is none), rebuilt off the event loop if need be."""
        live = self.sessions.live.get(code)
        if live is not None:
            return live
        cached = self._cache.get(code)
        if cached is not None:
            self._cache.move_to_end(code)
            return cached
        building = self._building.get(code)
        if building is not None:
            return await asyncio.shield(building)
        fut: asyncio.Future[LiveSession | None] = asyncio.get_running_loop().create_future()
        self._building[code] = fut
        try:
            live = await asyncio.to_thread(self.sessions.load, code)
            self.rebuilds += 1
            if live is not None and live.record.ended_at is not None:  # ended: it will not change
                self._cache[code] = live
                while len(self._cache) > CACHED:
                    self._cache.popitem(last=False)
            fut.set_result(live)
            return live
        except BaseException as exc:
            fut.set_exception(exc)
            fut.exception()  # (retrieved: nobody else may be waiting)
            raise
        finally:
            del self._building[code]

    def forget(self, code: str) -> None:
        self._cache.pop(code, None)
