"""The registry of activity kinds: kind name -> the kind that plays it.

Each kind is one module (``games/<kind>.py``) holding one instance of its
``ActivityKind``; a new kind is added to ``_ALL`` below. Decks look kinds up
here, the session core reaches them through ``Activity.impl``; nothing
dispatches on kind names. The browser's counterpart is ``client/kinds/index.js``.
"""

from __future__ import annotations

from games.base import ActivityKind
from games.discuss import DISCUSS
from games.estimate import ESTIMATE
from games.order import ORDER
from games.plan import PLAN
from games.roleplay import ROLEPLAY
from games.slide import SLIDE
from games.vote import VOTE

_ALL: tuple[ActivityKind, ...] = (VOTE, ORDER, ESTIMATE, DISCUSS, PLAN, ROLEPLAY, SLIDE)
KINDS: dict[str, ActivityKind] = {kind.name: kind for kind in _ALL}


def kind_of(name: str) -> ActivityKind | None:
    return KINDS.get(name)


def all_kinds() -> dict[str, ActivityKind]:
    return KINDS
