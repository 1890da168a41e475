"""``discuss``: short texts from each person or group, upvoted by the room, moderated by the trainer.

Each author (a player, or a group in group mode) may post up to ``max_posts``
texts of at most ``max_length`` characters while the activity is open. Every
person may upvote a post once (not their own). The trainer may highlight a
post, hide it (it leaves the screen and other phones; its author still sees
it, marked hidden) or show it again; points for a good post are an ordinary
award to its author, so they land in the log with a reason like any other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from games.base import GROUP, INDIVIDUAL, ActivityKind, DeckContext, Timing, Who
from games.cards import Card, parse_card
from games.checker import Checker
from games.errors import Refused
from games.text import clean_text
from games.yamlsource import Path

BOARD_SIZE = 60


@dataclass(frozen=True)
class DiscussConfig:
    card: Card | None
    prompt: str
    max_posts: int
    max_length: int
    time_limit: int | None


@dataclass
class Post:
    id: str
    author: str  # player or group id
    by: str  # the player who typed it
    text: str
    at: int
    votes: set[str] = field(default_factory=set)
    highlighted: bool = False
    hidden: bool = False


@dataclass
class DiscussState:
    posts: dict[str, Post] = field(default_factory=dict)
    per_author: dict[str, int] = field(default_factory=dict)


class Discuss(ActivityKind):
    name = "discuss"
    modes = (INDIVIDUAL, GROUP)  # group mode: posts belong to the group, no confirmation needed
    private_answers = False  # every phone shows the board

    def allowed_keys(self) -> set[str]:
        return {"card", "prompt", "max_posts", "max_length", "time_limit"}

    def parse(self, raw: dict[str, Any], path: Path, ck: Checker, ctx: DeckContext) -> DiscussConfig:
        return DiscussConfig(
            card=parse_card(raw["card"], (*path, "card"), ck) if "card" in raw else None,
            prompt=ck.text(raw, "prompt", path, max_len=500),
            max_posts=ck.integer(raw, "max_posts", path, lo=1, hi=10, default=3) or 3,
            max_length=ck.integer(raw, "max_length", path, lo=10, hi=500, default=140) or 140,
            time_limit=ck.integer(raw, "time_limit", path, lo=5, hi=7200),
        )

    def new_state(self, config: DiscussConfig, scope: Any = None) -> DiscussState:
        return DiscussState()

    def check_answer(self, config: DiscussConfig, state: DiscussState, who: Who, answer: Any,
                     step: str) -> dict[str, Any]:
        if not isinstance(answer, dict) or len(answer) != 1:
            raise Refused("bad_answer", 'a discussion answer is {"post": "<text>"} or {"upvote": "<post id>"}')
        if "post" in answer:
            raw = answer["post"]
            if not isinstance(raw, str):
                raise Refused("bad_answer", "a post is text")
            text = clean_text(raw)
            if not text:
                raise Refused("bad_answer", "the post is empty")
            if len(text) > config.max_length:
                raise Refused("too_long", f"a post may have at most {config.max_length} characters")
            if state.per_author.get(who.key, 0) >= config.max_posts:
                raise Refused("too_many_posts", f"at most {config.max_posts} posts each")
            return {"post": text}
        if "upvote" in answer:
            post = state.posts.get(answer["upvote"]) if isinstance(answer["upvote"], str) else None
            if post is None or post.hidden:
                raise Refused("unknown_post", "there is no such post")
            if who.pid in post.votes:
                raise Refused("already_voted", "you have already upvoted this post")
            if post.by == who.pid:
                raise Refused("own_post", "you cannot upvote your own post")
            return {"upvote": post.id}
        raise Refused("bad_answer", 'a discussion answer is {"post": "<text>"} or {"upvote": "<post id>"}')

    def apply_answer(self, config: DiscussConfig, state: DiscussState, who: Who, answer: dict[str, Any],
                     at: int) -> None:
        if "post" in answer:
            pid = f"t{len(state.posts) + 1}"
            state.posts[pid] = Post(pid, who.key, who.pid, answer["post"], at)
            state.per_author[who.key] = state.per_author.get(who.key, 0) + 1
        else:
            state.posts[answer["upvote"]].votes.add(who.pid)

    def check_action(self, config: DiscussConfig, state: DiscussState, action: str, args: dict[str, Any],
                     step: str) -> dict[str, Any]:
        if action not in ("highlight", "unhighlight", "hide", "unhide"):
            raise Refused("unknown_action", f"'{action}' is not an action of a discussion")
        post = args.get("post")
        if not isinstance(post, str) or post not in state.posts:
            raise Refused("unknown_post", "there is no such post")
        return {"action": action, "post": post}

    def apply_action(self, config: DiscussConfig, state: DiscussState, data: dict[str, Any], at: int) -> None:
        post = state.posts[data["post"]]
        action = data["action"]
        if action in ("highlight", "unhighlight"):
            post.highlighted = action == "highlight"
        else:
            post.hidden = action == "hide"

    def scores(self, config: DiscussConfig, state: DiscussState, timing: Timing) -> dict[str, int]:
        return {}

    def submitted(self, state: DiscussState) -> int:
        return len(state.per_author)

    def _board(self, state: DiscussState, names: dict[str, str] | None, *, hidden: bool) -> list[dict[str, Any]]:
        posts = [p for p in state.posts.values() if hidden or not p.hidden]
        posts.sort(key=lambda p: (not p.highlighted, -len(p.votes), p.at))
        return [{"id": p.id, "text": p.text, "votes": len(p.votes), "highlighted": p.highlighted,
                 "hidden": p.hidden, "author": p.author,
                 **({"author_name": names.get(p.author, "")} if names is not None else {})}
                for p in posts[:BOARD_SIZE if not hidden else None]]

    def public(self, config: DiscussConfig, state: DiscussState, revealed: bool) -> dict[str, Any]:
        return {"card": config.card.as_dict() if config.card else None, "prompt": config.prompt,
                "max_posts": config.max_posts, "max_length": config.max_length,
                "posts": self._board(state, None, hidden=False), "post_count": len(state.posts),
                "reveal": None}

    def private(self, config: DiscussConfig, state: DiscussState) -> dict[str, Any]:
        return {"all_posts": self._board(state, None, hidden=True)}

    def player(self, config: DiscussConfig, state: DiscussState, who: Who, revealed: bool) -> dict[str, Any]:
        board = [{**p, "mine": state.posts[p["id"]].author == who.key,
                  "by_me": state.posts[p["id"]].by == who.pid,
                  "voted": who.pid in state.posts[p["id"]].votes}
                 for p in self._board(state, None, hidden=True)
                 if not p["hidden"] or state.posts[p["id"]].author == who.key]
        return {"card": config.card.as_dict() if config.card else None, "prompt": config.prompt,
                "max_posts": config.max_posts, "max_length": config.max_length,
                "posts": board[:BOARD_SIZE], "posts_left": config.max_posts - state.per_author.get(who.key, 0),
                "my_answer": None, "result": None}

    def outline(self, config: DiscussConfig) -> dict[str, Any]:
        return {"card": config.card.as_dict() if config.card else None, "prompt": config.prompt}

    def review(self, config: DiscussConfig, state: DiscussState) -> dict[str, Any]:
        return {"answered": len(state.per_author), "posts": self._board(state, None, hidden=False)[:10]}


DISCUSS = Discuss()
