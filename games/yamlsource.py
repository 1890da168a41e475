"""Safe YAML loading that remembers the line of every value.

Deck errors must point at a line ("line 42: activities[3].options: ..."), so we
compose the node tree with PyYAML's SafeLoader (no tags, no code), build plain
Python data from it and keep a map from each value's path to its line.
"""

from __future__ import annotations

from typing import Any

import yaml

from games.errors import DeckInvalid, DeckProblem

Path = tuple[str | int, ...]
MAX_DECK_BYTES = 1_000_000
_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


def path_str(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def load(text: str | bytes) -> tuple[Any, dict[Path, int]]:
    """Parse YAML text into data and a path -> line (1-based) map."""
    if isinstance(text, bytes):
        if len(text) > MAX_DECK_BYTES:
            raise DeckInvalid([DeckProblem("", None, f"deck is larger than {MAX_DECK_BYTES} bytes")])
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DeckInvalid([DeckProblem("", None, f"deck is not UTF-8 text ({exc.reason})")]) from None
    if len(text) > MAX_DECK_BYTES:
        raise DeckInvalid([DeckProblem("", None, f"deck is larger than {MAX_DECK_BYTES} bytes")])
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise DeckInvalid([DeckProblem("", 1, "the file is empty")])
        lines: dict[Path, int] = {}
        data = _build(loader, node, (), lines)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        msg = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        raise DeckInvalid([DeckProblem("", line, f"not valid YAML: {msg}")]) from None
    except yaml.YAMLError as exc:
        raise DeckInvalid([DeckProblem("", None, f"not valid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    return data, lines


def _build(loader: yaml.SafeLoader, node: yaml.Node, path: Path, lines: dict[Path, int]) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in _PLAIN_TAGS:
        raise DeckInvalid([DeckProblem(path_str(path), node.start_mark.line + 1,
                                       f"not valid YAML: the tag {node.tag} is not allowed in a deck")])
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                key = str(key)
            if key in out:
                raise DeckInvalid(
                    [DeckProblem(path_str((*path, key)), key_node.start_mark.line + 1,
                                 f"the key '{key}' appears twice")]
                )
            # A value's line is its key's line: that is where an author looks.
            lines[(*path, key)] = key_node.start_mark.line + 1
            out[key] = _build(loader, value_node, (*path, key), lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, (*path, i), lines) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)
