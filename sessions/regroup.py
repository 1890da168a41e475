"""What moving a trainee to another group would do to the group scores: the console's preview.

A group's score is its members' mean plus the points it earned as a group
(``SessionState.group_scores``), so moving one trainee changes two groups at
once, sometimes a lot (the UX walkthrough's 498 → 428). The console shows
these figures before the trainer confirms a ``move``; they come from the same
rule as the scores themselves, so the preview and the result cannot disagree.
Pure: state in, figures out.
"""

from __future__ import annotations

from typing import Any

from sessions.errors import NotFound
from sessions.state import SessionState


def move_preview(st: SessionState, player: str, group: str) -> dict[str, Any]:
    """The scores of the player's group and of ``group`` now and after the move.

    ``{"player", "from", "to", "groups": [{"id", "name", "size", "before", "after"}]}``: the
    group left first (absent for a player in no group), then the group joined.
    """
    if player not in st.players:
        raise NotFound("unknown_player", "there is no such player in this session")
    if group not in st.groups:
        raise NotFound("unknown_group", "there is no such group in this session")
    old = st.players[player].group
    before = st.group_scores()
    after = before if old == group else st.group_scores_if({player: group})
    rows = []
    for gid in dict.fromkeys(g for g in (old, group) if g):
        size = st.group_sizes.get(gid, 0) + (0 if old == group else (-1 if gid == old else 1))
        rows.append({"id": gid, "name": st.groups[gid], "size": size, "before": before.get(gid, 0),
                     "after": after.get(gid, 0)})
    return {"player": player, "from": old, "to": group, "groups": rows}
