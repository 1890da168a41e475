"""Safe YAML loading that remembers the line of every value, within bounded time and memory.

Deck errors must point at a line ("line 42: activities[3].options: ..."), so we
compose the node tree with PyYAML's SafeLoader (no tags, no code), build plain
Python data from it and keep a map from each value's path to its line.

Deck files come from strangers (trainers swap them), so the loader answers
every input with data or ``DeckInvalid``, never another exception, and never
works for long: nesting deeper than ``MAX_DEPTH`` is refused while composing
(PyYAML's composer recurses once per level), an anchor that contains its own
alias is refused, and building stops after ``MAX_NODES`` values. That last
bound is what defuses alias bombs ("billion laughs"): the composed tree of a
536-byte file is tiny, but building plain data copies an aliased node once per
reference, 9^9 times.
"""

from __future__ import annotations

from typing import Any

import yaml

from games.errors import DeckInvalid, DeckProblem

Path = tuple[str | int, ...]
MAX_DECK_BYTES = 1_000_000
MAX_DEPTH = 40  # a deck needs about 8 levels (activities[i].options[j].feedback)
MAX_NODES = 50_000  # values after alias expansion; the 164 KB built-in course deck has about 2,500
_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


def path_str(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _refuse(path: Path, line: int | None, message: str) -> DeckInvalid:
    return DeckInvalid([DeckProblem(path_str(path), line, message)])


class _Loader(yaml.SafeLoader):
    """SafeLoader whose composer refuses nesting deeper than MAX_DEPTH instead of overflowing the stack."""

    depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise _refuse((), mark.line + 1, f"nested more than {MAX_DEPTH} levels deep")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def load(text: str | bytes) -> tuple[Any, dict[Path, int]]:
    """Parse YAML text into data and a path -> line (1-based) map; DeckInvalid for anything else."""
    if isinstance(text, bytes):
        if len(text) > MAX_DECK_BYTES:
            raise DeckInvalid([DeckProblem("", None, f"deck is larger than {MAX_DECK_BYTES} bytes")])
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DeckInvalid([DeckProblem("", None, f"deck is not UTF-8 text ({exc.reason})")]) from None
    if len(text) > MAX_DECK_BYTES:
        raise DeckInvalid([DeckProblem("", None, f"deck is larger than {MAX_DECK_BYTES} bytes")])
    loader: _Loader | None = None
    try:
        loader = _Loader(text)  # the reader checks characters here already
        node = loader.get_single_node()
        if node is None:
            raise DeckInvalid([DeckProblem("", 1, "the file is empty")])
        lines: dict[Path, int] = {}
        data = _Builder(loader, lines).build(node, (), 0)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        msg = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        raise DeckInvalid([DeckProblem("", line, f"not valid YAML: {msg}")]) from None
    except yaml.YAMLError as exc:
        raise DeckInvalid([DeckProblem("", None, f"not valid YAML: {exc}")]) from None
    except RecursionError:  # belt and braces: MAX_DEPTH keeps us far from the interpreter's limit
        raise DeckInvalid([DeckProblem("", None, f"nested more than {MAX_DEPTH} levels deep")]) from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, lines


class _Builder:
    """Plain data from a composed node graph, counting every value it makes (aliases included)."""

    def __init__(self, loader: yaml.SafeLoader, lines: dict[Path, int]) -> None:
        self.loader = loader
        self.lines = lines
        self.count = 0
        self.open: set[int] = set()  # ids of the collections being built: an alias to one is a cycle

    def build(self, node: yaml.Node, path: Path, depth: int) -> Any:
        line = node.start_mark.line + 1
        self.count += 1
        if self.count > MAX_NODES:
            raise _refuse(path, line, f"the deck holds more than {MAX_NODES} values "
                                      "(anchors and aliases count once per use)")
        if depth > MAX_DEPTH:
            raise _refuse(path, line, f"nested more than {MAX_DEPTH} levels deep (aliases count)")
        self.lines.setdefault(path, line)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        if node.tag not in _PLAIN_TAGS:
            raise _refuse(path, line, f"not valid YAML: the tag {node.tag} is not allowed in a deck")
        if id(node) in self.open:
            raise _refuse(path, line, "an anchor contains an alias to itself (a deck cannot be endless)")
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path, depth)
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        finally:
            self.open.discard(id(node))

    def _mapping(self, node: yaml.MappingNode, path: Path, depth: int) -> dict[str, Any]:
        if any(k.tag == "tag:yaml.org,2002:merge" for k, _v in node.value):
            # Merge keys (<<: *base) copy whole mappings; flatten_mapping does that without a bound.
            raise _refuse(path, node.start_mark.line + 1, "merge keys (<<) are not allowed in a deck")
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise _refuse(path, key_line, "a key should be plain text, not a list or mapping")
            key = self._scalar(key_node, path)
            if not isinstance(key, str):
                key = str(key)
            if key in out:
                raise _refuse((*path, key), key_line, f"the key '{key}' appears twice")
            # A value's line is its key's line: that is where an author looks.
            self.lines[(*path, key)] = key_line
            out[key] = self.build(value_node, (*path, key), depth + 1)
        return out

    def _scalar(self, node: yaml.ScalarNode, path: Path) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.YAMLError:
            raise
        except (ValueError, OverflowError, TypeError) as exc:
            # e.g. a 5,000-digit integer (int's digit limit) or a date like 2026-13-45.
            raise _refuse(path, node.start_mark.line + 1,
                          f"cannot read the value '{node.value[:40]}' ({exc.__class__.__name__})") from None
