"""``plan``: each trainee's action plan: what I will do differently, by when, from which module.

A player sends their whole list each time (``{"items": [...]}``), so editing
is one message and a resent message is harmless; the list stays editable
until the trainer closes the activity. The screen shows how many have
written and a few anonymous highlights, beside the session review.

The console's ``cluster`` command groups the plans' items by meaning, as it
groups a discussion board (``games/grouping.py``, run by the driver off the
event loop, recorded as the ``clustered`` action). The screen then shows the
anonymous highlights by theme: an item keeps the group the grouping gave its
text; an item written or edited later joins the group whose key words it
shares most, else "other".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from games.base import ActivityKind, DeckContext, Timing, Who
from games.cards import Card, parse_card
from games.checker import Checker
from games.errors import Refused
from games.grouping import label as key_label
from games.grouping import nearest
from games.text import clean_text
from games.yamlsource import Path

HIGHLIGHTS = 8
MAX_GROUPS = 60
MAX_KEYS = 10
MAX_KEY = 40
PER_GROUP = 3  # highlights shown per theme
OTHER = "other"


@dataclass(frozen=True)
class PlanConfig:
    card: Card | None
    prompt: str
    max_items: int
    max_length: int
    modules: dict[str, str]
    time_limit: int | None


@dataclass
class PlanGroup:
    id: str
    label: str
    keys: list[str]


@dataclass
class PlanState:
    plans: dict[str, tuple[list[dict[str, Any]], int]] = field(default_factory=dict)
    groups: list[PlanGroup] | None = None  # None until the trainer groups the plans
    grouped: dict[str, str] = field(default_factory=dict)  # item text -> group id, as grouped


class Plan(ActivityKind):
    name = "plan"

    def allowed_keys(self) -> set[str]:
        return {"card", "prompt", "max_items", "max_length", "time_limit"}

    def parse(self, raw: dict[str, Any], path: Path, ck: Checker, ctx: DeckContext) -> PlanConfig:
        return PlanConfig(
            card=parse_card(raw["card"], (*path, "card"), ck) if "card" in raw else None,
            prompt=ck.text(raw, "prompt", path, max_len=500),
            max_items=ck.integer(raw, "max_items", path, lo=1, hi=10, default=3) or 3,
            max_length=ck.integer(raw, "max_length", path, lo=10, hi=500, default=120) or 120,
            modules=dict(ctx.modules),
            time_limit=ck.integer(raw, "time_limit", path, lo=5, hi=7200),
        )

    def new_state(self, config: PlanConfig, scope: Any = None) -> PlanState:
        return PlanState()

    def check_answer(self, config: PlanConfig, state: PlanState, who: Who, answer: Any,
                     step: str) -> dict[str, Any]:
        items = answer.get("items") if isinstance(answer, dict) and set(answer) == {"items"} else None
        if not isinstance(items, list):
            raise Refused("bad_answer", 'a plan is {"items": [{"what": "...", "by": "...", "module": "..."}]}')
        if len(items) > config.max_items:
            raise Refused("too_many_items", f"at most {config.max_items} items")
        out = []
        for item in items:
            if not isinstance(item, dict) or not set(item) <= {"what", "by", "module"} \
                    or not isinstance(item.get("what"), str):
                raise Refused("bad_answer", "each item needs 'what' (text); 'by' and 'module' are optional")
            what = clean_text(item["what"])
            if not what:
                raise Refused("bad_answer", "an item needs some text")
            if len(what) > config.max_length:
                raise Refused("too_long", f"an item may have at most {config.max_length} characters")
            by = item.get("by")
            if by is not None and (not isinstance(by, str) or len(by) > 30):
                raise Refused("bad_answer", "'by' is a short date or text (at most 30 characters)")
            module = item.get("module")
            if module not in (None, "") and (not isinstance(module, str) or module not in config.modules):
                raise Refused("bad_answer", "no such module in this course")
            out.append({"what": what, "by": clean_text(by) if by else "", "module": module or None})
        return {"items": out}

    def apply_answer(self, config: PlanConfig, state: PlanState, who: Who, answer: dict[str, Any],
                     at: int) -> None:
        state.plans[who.key] = (answer["items"], at)

    def check_action(self, config: PlanConfig, state: PlanState, action: str, args: dict[str, Any],
                     step: str) -> dict[str, Any]:
        if action != "clustered":
            raise Refused("unknown_action", f"'{action}' is not an action of an action plan")
        texts = dict(self.cluster_input(state))
        raw = args.get("clusters")
        if not isinstance(raw, list) or len(raw) > MAX_GROUPS:
            raise Refused("bad_clusters", f"clusters should be a list of at most {MAX_GROUPS}")
        out: list[dict[str, Any]] = []
        items: dict[str, str] = {}
        for n, c in enumerate(raw, 1):
            keys = c.get("keys") if isinstance(c, dict) else None
            ids = c.get("posts") if isinstance(c, dict) else None
            if not isinstance(keys, list) or not isinstance(ids, list) \
                    or not all(isinstance(k, str) and 0 < len(k) <= MAX_KEY for k in keys):
                raise Refused("bad_clusters", 'each cluster is {"keys": [word, ...], "posts": [item id, ...]}')
            gid = f"c{n}" if keys else OTHER
            for iid in ids:
                if isinstance(iid, str) and iid in texts:
                    items.setdefault(texts[iid], gid)
            if keys:
                out.append({"id": gid, "label": key_label(keys[:MAX_KEYS]), "keys": keys[:MAX_KEYS]})
        return {"action": "clustered", "clusters": out, "items": items}

    def apply_action(self, config: PlanConfig, state: PlanState, data: dict[str, Any], at: int) -> None:
        state.groups = [PlanGroup(c["id"], c["label"], list(c["keys"])) for c in data["clusters"]]
        state.grouped = dict(data["items"])

    def cluster_input(self, state: PlanState) -> list[tuple[str, str]]:
        """Every plan item as ``(id, text)``, oldest plan first; ids are ``<author>#<index>``."""
        out = [(f"{key}#{n}", item["what"])
               for key, (items, _at) in sorted(state.plans.items(), key=lambda kv: kv[1][1])
               for n, item in enumerate(items)]
        if not out:
            raise Refused("no_posts", "there are no plan items to group yet")
        return out

    def highlight_groups(self, config: PlanConfig, state: PlanState) -> list[dict[str, Any]] | None:
        """The items by theme, anonymous: each group's label, count and a few of its items, newest first."""
        if state.groups is None:
            return None
        keyed = [g for g in state.groups if g.keys]
        members: dict[str, list[dict[str, Any]]] = {}
        for items, _at in sorted(state.plans.values(), key=lambda p: -p[1]):
            for item in items:
                gid = state.grouped.get(item["what"])
                if gid is None:
                    k = nearest(item["what"], [g.keys for g in keyed])
                    gid = keyed[k].id if k is not None else OTHER
                members.setdefault(gid, []).append(item)
        out = []
        for g in [*state.groups, PlanGroup(OTHER, "", [])]:
            found = members.get(g.id, [])
            if found:
                out.append({"id": g.id, "label": g.label, "other": g.id == OTHER, "count": len(found),
                            "highlights": [{"what": i["what"], "by": i["by"],
                                            "module": config.modules.get(i["module"] or "", "")}
                                           for i in found[:PER_GROUP]]})
        return out

    def answers(self, state: PlanState) -> dict[str, dict[str, Any]]:
        return {k: {"items": items} for k, (items, _at) in state.plans.items()}

    def scores(self, config: PlanConfig, state: PlanState, timing: Timing) -> dict[str, int]:
        return {}

    def submitted(self, state: PlanState) -> int:
        return sum(1 for items, _ in state.plans.values() if items)

    def highlights(self, config: PlanConfig, state: PlanState) -> list[dict[str, Any]]:
        """The newest items, without names: the room sees what was committed, not who."""
        newest = sorted(state.plans.values(), key=lambda p: -p[1])
        out = []
        for items, _at in newest:
            if items:
                item = items[0]
                out.append({"what": item["what"], "by": item["by"],
                            "module": config.modules.get(item["module"] or "", "")})
            if len(out) >= HIGHLIGHTS:
                break
        return out

    def public(self, config: PlanConfig, state: PlanState, revealed: bool) -> dict[str, Any]:
        return {"card": config.card.as_dict() if config.card else None, "prompt": config.prompt,
                "items": sum(len(items) for items, _ in state.plans.values()),
                "highlights": self.highlights(config, state),
                "highlight_groups": self.highlight_groups(config, state), "reveal": None}

    def player(self, config: PlanConfig, state: PlanState, who: Who, revealed: bool) -> dict[str, Any]:
        mine = state.plans.get(who.key)
        return {"card": config.card.as_dict() if config.card else None, "prompt": config.prompt,
                "max_items": config.max_items, "max_length": config.max_length,
                "modules": [{"id": k, "title": v} for k, v in config.modules.items()],
                "my_answer": {"items": mine[0]} if mine else None, "result": None}

    def outline(self, config: PlanConfig) -> dict[str, Any]:
        return {"prompt": config.prompt}

    def review(self, config: PlanConfig, state: PlanState) -> dict[str, Any]:
        return {"answered": self.submitted(state), "highlights": self.highlights(config, state),
                "highlight_groups": self.highlight_groups(config, state)}


PLAN = Plan()
