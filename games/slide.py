"""``slide``: lecture content between the cases: title, points, an image, a clip, a quote, a comparison.

A slide takes no answer and gives no score; it is played like any activity
(started, closed, recorded with its times), so the lecture, the cases and the
record are one flow. The console reveals its points one at a time with the
``act`` command (``{"action": "point"}`` shows one more, ``{"action": "back"}``
hides the last; the state holds how many are shown). The screen shows the
shown points large, with the media; a phone shows the title and the shown
points, or "look at the screen" when the slide has an image or a clip.

The trainer's notes (讲师提示) are in ``private`` only: the console's view.
They never reach ``public`` (the screen) nor ``player`` (a phone).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from games.base import ActivityKind, DeckContext, Step, Timing, Who
from games.checker import Checker
from games.errors import Refused
from games.media import MediaRef, clean_path
from games.yamlsource import Path

MAX_POINTS = 12
MAX_POINT_LEN = 200
MAX_NOTES = 2000
MAX_CAPTION = 200
MAX_QUOTE = 1000
MAX_SOURCE = 200
MAX_COLUMN_POINTS = 8
DEFAULT_DURATION = 120  # planned seconds when a slide says nothing
MEDIA_KEYS = ("image", "video", "audio")


@dataclass(frozen=True)
class Column:
    title: str
    points: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"title": self.title, "points": list(self.points)}


@dataclass(frozen=True)
class SlideConfig:
    points: tuple[str, ...]
    image: MediaRef | None
    video: MediaRef | None
    audio: MediaRef | None
    caption: str
    quote: tuple[str, str] | None  # (text, source)
    compare: tuple[Column, ...]
    notes: str
    duration: int

    @property
    def media(self) -> list[MediaRef]:
        return [m for m in (self.image, self.video, self.audio) if m is not None]


@dataclass
class SlideState:
    shown: int = 0  # how many points the console has revealed


class Slide(ActivityKind):
    name = "slide"

    def allowed_keys(self) -> set[str]:
        return {"points", *MEDIA_KEYS, "caption", "quote", "compare", "notes", "duration"}

    def parse(self, raw: dict[str, Any], path: Path, ck: Checker, ctx: DeckContext) -> SlideConfig:
        media: dict[str, MediaRef | None] = {}
        for key in MEDIA_KEYS:
            media[key] = _media(raw, key, path, ck, ctx) if key in raw else None
        quote = None
        if "quote" in raw:
            q = raw["quote"]
            if isinstance(q, str):
                quote = (ck.text(raw, "quote", path, max_len=MAX_QUOTE), "")
            else:
                qp = (*path, "quote")
                qm = ck.mapping(q, qp, {"text", "source"}, {"text"})
                quote = (ck.text(qm, "text", qp, max_len=MAX_QUOTE), ck.text(qm, "source", qp, max_len=MAX_SOURCE,
                                                                             required=False))
        compare: list[Column] = []
        if "compare" in raw:
            for i, col in enumerate(ck.seq(raw, "compare", path, lo=2, hi=4)):
                cp = (*path, "compare", i)
                cm = ck.mapping(col, cp, {"title", "points"}, {"title"})
                compare.append(Column(ck.text(cm, "title", cp, max_len=40),
                                      _lines(cm, "points", cp, ck, MAX_COLUMN_POINTS)))
        return SlideConfig(
            points=_lines(raw, "points", path, ck, MAX_POINTS),
            image=media["image"], video=media["video"], audio=media["audio"],
            caption=ck.text(raw, "caption", path, max_len=MAX_CAPTION, required=False),
            quote=quote, compare=tuple(compare),
            notes=ck.text(raw, "notes", path, max_len=MAX_NOTES, required=False),
            duration=_duration(raw, path, ck),
        )

    def steps(self, config: SlideConfig) -> tuple[Step, ...]:
        # No clock: ``duration`` plans the agenda, it never cuts a lecture short.
        return (Step("show", None),)

    def answer_steps(self, config: SlideConfig) -> tuple[str, ...]:
        return ()

    def planned_seconds(self, config: SlideConfig) -> int:
        return config.duration

    def new_state(self, config: SlideConfig, scope: Any = None) -> SlideState:
        return SlideState()

    def check_answer(self, config: SlideConfig, state: SlideState, who: Who, answer: Any,
                     step: str) -> dict[str, Any]:
        raise Refused("bad_phase", "a slide takes no answers")

    def apply_answer(self, config: SlideConfig, state: SlideState, who: Who, answer: dict[str, Any],
                     at: int) -> None:
        return None

    def check_action(self, config: SlideConfig, state: SlideState, action: str, args: dict[str, Any],
                     step: str) -> dict[str, Any]:
        if action == "point":
            if state.shown >= len(config.points):
                raise Refused("no_more_points", "every point of this slide is shown")
            return {"shown": state.shown + 1}
        if action == "back":
            if state.shown == 0:
                raise Refused("no_more_points", "no point of this slide is shown")
            return {"shown": state.shown - 1}
        if action == "all":
            if state.shown >= len(config.points):
                raise Refused("no_more_points", "every point of this slide is shown")
            return {"shown": len(config.points)}
        raise Refused("unknown_action", f"'{action}' is not an action of a slide (point, back, all)")

    def apply_action(self, config: SlideConfig, state: SlideState, data: dict[str, Any], at: int) -> None:
        state.shown = max(0, min(len(config.points), int(data.get("shown", 0))))

    def scores(self, config: SlideConfig, state: SlideState, timing: Timing) -> dict[str, int]:
        return {}

    def submitted(self, state: SlideState) -> int:
        return 0

    def public(self, config: SlideConfig, state: SlideState, revealed: bool) -> dict[str, Any]:
        return {
            "bullets": list(config.points[:state.shown]), "bullets_total": len(config.points),
            "image": _ref(config.image), "video": _ref(config.video), "audio": _ref(config.audio),
            "caption": config.caption,
            "quote": {"text": config.quote[0], "source": config.quote[1]} if config.quote else None,
            "compare": [c.as_dict() for c in config.compare],
            "media": [{"url": m.url, "type": m.type} for m in config.media],
        }

    def private(self, config: SlideConfig, state: SlideState) -> dict[str, Any]:
        return {"notes": config.notes, "all_bullets": list(config.points), "duration": config.duration}

    def player(self, config: SlideConfig, state: SlideState, who: Who, revealed: bool) -> dict[str, Any]:
        return {
            "bullets": list(config.points[:state.shown]), "bullets_total": len(config.points),
            "look_at_screen": bool(config.media),
            "quote": {"text": config.quote[0], "source": config.quote[1]} if config.quote else None,
            "compare": [c.as_dict() for c in config.compare],
            "my_answer": None, "result": None,
        }

    def outline(self, config: SlideConfig) -> dict[str, Any]:
        return {"points": list(config.points), "media": [m.path for m in config.media],
                "duration": config.duration}

    def review(self, config: SlideConfig, state: SlideState) -> dict[str, Any]:
        return {"shown": state.shown, "total": len(config.points)}


def _lines(m: dict[str, Any], key: str, path: Path, ck: Checker, hi: int) -> tuple[str, ...]:
    out: list[str] = []
    for i, item in enumerate(ck.seq(m, key, path, hi=hi)):
        if isinstance(item, (int, float)) and not isinstance(item, bool):
            item = str(item)
        if not isinstance(item, str) or not item.strip():
            ck.problem((*path, key, i), "should be a line of text")
        elif len(item.strip()) > MAX_POINT_LEN:
            ck.problem((*path, key, i), f"is {len(item.strip())} characters long; at most {MAX_POINT_LEN} allowed")
        else:
            out.append(item.strip())
    return tuple(out)


def _media(raw: dict[str, Any], key: str, path: Path, ck: Checker, ctx: DeckContext) -> MediaRef | None:
    value = raw.get(key)
    p = (*path, key)
    if not isinstance(value, str):
        ck.problem(p, "should be a path relative to the deck's folder or zip, like media/figure.png")
        return None
    rel = clean_path(value.strip())
    if rel is None:
        ck.problem(p, f"'{value[:100]}' leaves the bundle: use a relative path inside it, without '..'")
        return None
    if rel in ctx.media_problems:
        ck.problem(p, ctx.media_problems[rel])
        return None
    ref = ctx.media.get(rel)
    if ref is None:
        ck.problem(p, f"names the file '{rel}', which the bundle does not hold")
        return None
    if ref.family != key:
        ck.problem(p, f"'{rel}' is {ref.type}, not an {key}" if key != "video" else
                   f"'{rel}' is {ref.type}, not a video")
        return None
    return ref


def _duration(raw: dict[str, Any], path: Path, ck: Checker) -> int:
    value = ck.integer(raw, "duration", path, lo=0, hi=7200, default=DEFAULT_DURATION)
    return DEFAULT_DURATION if value is None else value


def _ref(ref: MediaRef | None) -> dict[str, Any] | None:
    return {"url": ref.url, "type": ref.type} if ref else None


SLIDE = Slide()
