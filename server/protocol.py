"""The wire protocol: one model per client message type, checked before the core sees it.

Every frame is a JSON object with a ``type``. ``parse`` returns a typed message
or raises ``Refused`` with a code that the driver sends back in an ``error``
frame; a malformed message never reaches ``sessions/``. ``docs/protocol.md``
describes each message with examples.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from sessions.errors import Refused

MAX_ID = 64
MAX_TEXT = 200


@dataclass(frozen=True)
class Join:
    """``name`` for a free-name join; ``person`` (a roster id) and ``check`` for a rostered one."""

    code: str
    name: str
    group: str | None
    person: str | None = None
    check: str | None = None


@dataclass(frozen=True)
class Resume:
    code: str
    token: str


@dataclass(frozen=True)
class Host:
    code: str
    key: str
    view: str


@dataclass(frozen=True)
class Submit:
    activity: str
    answer: Any


@dataclass(frozen=True)
class CommandMsg:
    name: str
    args: dict[str, Any]


@dataclass(frozen=True)
class Ping:
    t: float | None


Message = Join | Resume | Host | Submit | CommandMsg | Ping


def _text(obj: dict[str, Any], key: str, *, required: bool = True, max_len: int = MAX_TEXT) -> Any:
    value = obj.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        raise Refused("bad_message", f"'{key}' should be a non-empty string")
    if len(value) > max_len:
        raise Refused("bad_message", f"'{key}' is longer than {max_len} characters")
    return value


def _join(o: dict[str, Any]) -> Join:
    person = _text(o, "person", required=False, max_len=16)
    if person is not None:  # a rostered join names the person; the name comes from the roster
        return Join(_text(o, "code", max_len=16), "", None, person, _text(o, "check", max_len=20))
    return Join(_text(o, "code", max_len=16), _text(o, "name"), _text(o, "group", required=False,
                                                                          max_len=64))


def _resume(o: dict[str, Any]) -> Resume:
    return Resume(_text(o, "code", max_len=16), _text(o, "token", max_len=128))


def _host(o: dict[str, Any]) -> Host:
    view = o.get("view")
    if view not in ("screen", "console"):
        raise Refused("bad_message", "'view' should be \"screen\" or \"console\"")
    return Host(_text(o, "code", max_len=16), _text(o, "key", max_len=128), view)


def _submit(o: dict[str, Any]) -> Submit:
    if "answer" not in o:
        raise Refused("bad_message", "'answer' is missing")
    return Submit(_text(o, "activity", max_len=64), o["answer"])


def _command(o: dict[str, Any]) -> CommandMsg:
    args = o.get("args", {})
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise Refused("bad_message", "'args' should be an object")
    return CommandMsg(_text(o, "name", max_len=32), args)


def _ping(o: dict[str, Any]) -> Ping:
    t = o.get("t")
    return Ping(float(t) if isinstance(t, (int, float)) and not isinstance(t, bool) else None)


PARSERS = {"join": _join, "resume": _resume, "host": _host, "submit": _submit,
           "command": _command, "ping": _ping}


def parse(text: str) -> tuple[str | None, Message]:
    """Parse one frame into (client message id, message). Raises Refused on any defect.

    The id is extracted first so that even a refused message gets its id back.
    """
    try:
        obj = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise Refused("bad_json", "the message is not valid JSON") from None
    if not isinstance(obj, dict):
        raise Refused("bad_message", "a message is a JSON object")
    msg_id = obj.get("id")
    if msg_id is not None and (not isinstance(msg_id, str) or not msg_id or len(msg_id) > MAX_ID):
        raise Refused("bad_id", f"'id' should be a string of 1 to {MAX_ID} characters")
    kind = obj.get("type")
    if kind is not None and not isinstance(kind, str):
        # (Never str() of what came in: a 'type' nested 1,000 deep would overflow the stack.)
        raise IdRefused(msg_id, "bad_message", "'type' should be a string")
    parser = PARSERS.get(kind) if kind is not None else None
    if parser is None:
        raise IdRefused(msg_id, "unknown_type", f"unknown message type {str(kind)[:32]!r}")
    try:
        return msg_id, parser(obj)
    except Refused as exc:
        raise IdRefused(msg_id, exc.code, exc.message) from None


class IdRefused(Refused):
    """A refusal that still knows the message's id, so the error frame can carry it."""

    def __init__(self, msg_id: str | None, code: str, message: str) -> None:
        super().__init__(code, message)
        self.msg_id = msg_id


def dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()
