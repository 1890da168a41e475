"""``discuss``: short texts from each person or group, upvoted by the room, moderated by the trainer.

Each author (a player, or a group in group mode) may post up to ``max_posts``
texts of at most ``max_length`` characters while the activity is open. Every
person may upvote a post once (not their own). The trainer may highlight a
post, hide it (it leaves the screen and other phones; its author still sees
it, marked hidden) or show it again; points for a good post are an ordinary
award to its author, so they land in the log with a reason like any other.

Clusters: the console's ``cluster`` command groups the board by meaning
(``games/grouping.py``, computed by the driver off the event loop); the result
arrives as the ``clustered`` action, recorded like any other, so a replay or an
export shows the groups the room saw. The trainer may then rename a cluster,
move a post or merge two clusters (``cluster_rename``, ``cluster_move``,
``cluster_merge``). A post written later joins the cluster whose stored key
words it shares most, else "other": decided from the log alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from games.base import GROUP, INDIVIDUAL, ActivityKind, DeckContext, Timing, Who
from games.cards import Card, parse_card
from games.checker import Checker
from games.errors import Refused
from games.grouping import label as key_label
from games.grouping import nearest
from games.text import clean_text
from games.yamlsource import Path

BOARD_SIZE = 60
CLUSTERED_BOARD = 400  # a clustered board shows every visible post (each is in one cluster)
MAX_CLUSTERS = 60
MAX_LABEL = 40
MAX_KEYS = 10
OTHER = "other"
CLUSTER_ACTIONS = ("cluster_rename", "cluster_move", "cluster_merge")


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
class Cluster:
    id: str
    label: str
    keys: list[str]  # key words the grouping found: they place later posts
    posts: list[str]  # post ids


@dataclass
class DiscussState:
    posts: dict[str, Post] = field(default_factory=dict)
    per_author: dict[str, int] = field(default_factory=dict)
    clusters: list[Cluster] | None = None  # None until the trainer groups the board

    def cluster_of(self, post: str) -> Cluster | None:
        return next((c for c in self.clusters or () if post in c.posts), None)

    def cluster(self, cid: Any) -> Cluster:
        found = next((c for c in self.clusters or () if c.id == cid), None) if isinstance(cid, str) else None
        if found is None:
            raise Refused("unknown_cluster", "there is no such cluster on this board")
        return found

    def place(self, pid: str) -> None:
        """Put a post that no cluster holds into the nearest one by key words, else into "other"."""
        if self.clusters is None or self.cluster_of(pid) is not None:
            return
        keyed = [c for c in self.clusters if c.id != OTHER and c.keys]
        k = nearest(self.posts[pid].text, [c.keys for c in keyed])
        if k is not None:
            keyed[k].posts.append(pid)
            return
        other = next((c for c in self.clusters if c.id == OTHER), None)
        if other is None:
            other = Cluster(OTHER, "", [], [])
            self.clusters.append(other)
        other.posts.append(pid)


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
            state.place(pid)
        else:
            state.posts[answer["upvote"]].votes.add(who.pid)

    def check_action(self, config: DiscussConfig, state: DiscussState, action: str, args: dict[str, Any],
                     step: str) -> dict[str, Any]:
        if action == "clustered":
            return self.check_clusters(state, args)
        if action in CLUSTER_ACTIONS:
            return self._check_cluster_edit(state, action, args)
        if action not in ("highlight", "unhighlight", "hide", "unhide"):
            raise Refused("unknown_action", f"'{action}' is not an action of a discussion")
        post = args.get("post")
        if not isinstance(post, str) or post not in state.posts:
            raise Refused("unknown_post", "there is no such post")
        return {"action": action, "post": post}

    def cluster_input(self, state: DiscussState) -> list[tuple[str, str]]:
        """The posts the ``cluster`` command groups: every visible one, oldest first."""
        posts = [(p.id, p.text) for p in sorted(state.posts.values(), key=lambda p: p.at) if not p.hidden]
        if not posts:
            raise Refused("no_posts", "there are no posts to group yet")
        return posts

    def check_clusters(self, state: DiscussState, args: dict[str, Any]) -> dict[str, Any]:
        """The driver's grouping, as recorded: well-formed clusters of known posts, each post once."""
        raw = args.get("clusters")
        if not isinstance(raw, list) or len(raw) > MAX_CLUSTERS:
            raise Refused("bad_clusters", f"clusters should be a list of at most {MAX_CLUSTERS}")
        seen: set[str] = set()
        out: list[dict[str, Any]] = []
        other: list[str] = []
        for n, c in enumerate(raw, 1):
            keys = c.get("keys") if isinstance(c, dict) else None
            posts = c.get("posts") if isinstance(c, dict) else None
            if not isinstance(keys, list) or not isinstance(posts, list) \
                    or not all(isinstance(k, str) and 0 < len(k) <= MAX_LABEL for k in keys) \
                    or not all(isinstance(p, str) for p in posts):
                raise Refused("bad_clusters", 'each cluster is {"keys": [word, ...], "posts": [post id, ...]}')
            kept = [p for p in dict.fromkeys(posts) if p in state.posts and p not in seen]
            seen.update(kept)
            if kept and keys:
                keys = keys[:MAX_KEYS]
                out.append({"id": f"c{n}", "label": key_label(keys), "keys": keys, "posts": kept})
            elif kept:  # no key words: the posts that fit no theme
                other += kept
        if other:
            out.append({"id": OTHER, "label": "", "keys": [], "posts": other})
        return {"action": "clustered", "clusters": out}

    def _check_cluster_edit(self, state: DiscussState, action: str, args: dict[str, Any]) -> dict[str, Any]:
        if state.clusters is None:
            raise Refused("not_clustered", "group the board first (cluster)")
        cluster = state.cluster(args.get("cluster")).id
        if action == "cluster_rename":
            raw = args.get("label")
            text = clean_text(raw) if isinstance(raw, str) else ""
            if not text:
                raise Refused("bad_label", "a cluster needs a label")
            if len(text) > MAX_LABEL:
                raise Refused("label_too_long", f"a cluster label has at most {MAX_LABEL} characters")
            return {"action": action, "cluster": cluster, "label": text}
        if action == "cluster_move":
            post = args.get("post")
            if not isinstance(post, str) or post not in state.posts:
                raise Refused("unknown_post", "there is no such post")
            return {"action": action, "cluster": cluster, "post": post}
        into = state.cluster(args.get("into")).id
        if into == cluster:
            raise Refused("same_cluster", "merge a cluster into another one")
        return {"action": action, "cluster": cluster, "into": into}

    def apply_action(self, config: DiscussConfig, state: DiscussState, data: dict[str, Any], at: int) -> None:
        action = data["action"]
        if action == "clustered":
            state.clusters = [Cluster(c["id"], c["label"], list(c["keys"]), list(c["posts"]))
                              for c in data["clusters"]]
            for pid in state.posts:  # posts written while the grouping ran
                state.place(pid)
            return
        if action in CLUSTER_ACTIONS:
            cluster = state.cluster(data["cluster"])
            if action == "cluster_rename":
                cluster.label = data["label"]
            elif action == "cluster_move":
                old = state.cluster_of(data["post"])
                if old is not None:
                    old.posts.remove(data["post"])
                cluster.posts.append(data["post"])
            else:
                into = state.cluster(data["into"])
                into.posts += cluster.posts
                into.keys += [k for k in cluster.keys if k not in into.keys]
                assert state.clusters is not None
                state.clusters.remove(cluster)
            return
        post = state.posts[data["post"]]
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
        size = None if hidden else CLUSTERED_BOARD if state.clusters is not None else BOARD_SIZE
        return [{"id": p.id, "text": p.text, "votes": len(p.votes), "highlighted": p.highlighted,
                 "hidden": p.hidden, "author": p.author,
                 **({"author_name": names.get(p.author, "")} if names is not None else {})}
                for p in posts[:size]]

    def clusters_view(self, state: DiscussState, board: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
        """Each non-empty cluster with the board's posts in it, in board order (highlights and votes first)."""
        if state.clusters is None:
            return None
        order = {p["id"]: n for n, p in enumerate(board) if not p["hidden"]}
        out = []
        for c in state.clusters:
            posts = sorted((p for p in c.posts if p in order), key=order.__getitem__)
            if posts:
                out.append({"id": c.id, "label": c.label, "other": c.id == OTHER, "keys": c.keys,
                            "count": len(posts), "posts": posts})
        return out

    def public(self, config: DiscussConfig, state: DiscussState, revealed: bool) -> dict[str, Any]:
        board = self._board(state, None, hidden=False)
        return {"card": config.card.as_dict() if config.card else None, "prompt": config.prompt,
                "max_posts": config.max_posts, "max_length": config.max_length,
                "posts": board, "post_count": len(state.posts),
                "clusters": self.clusters_view(state, board), "reveal": None}

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
        board = self._board(state, None, hidden=False)
        clusters = self.clusters_view(state, board)
        return {"answered": len(state.per_author), "posts": board[:10] if clusters is None else board,
                "clusters": clusters}


DISCUSS = Discuss()
