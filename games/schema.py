"""A JSON Schema of the deck format, for editors (VS Code's YAML extension, JetBrains...).

It mirrors what ``games/decks.py`` and the kinds accept; a test keeps the two
in step (same keys per kind, every shipped deck valid under both). The
validator stays the authority: it also checks what a schema cannot (unique
ids, references between activities, rubrics and the agenda).
``caseroom deck schema > docs/deck.schema.json`` writes it.
"""

from __future__ import annotations

from typing import Any

ID = {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,63}$"}


def _text(max_len: int) -> dict[str, Any]:
    return {"type": "string", "maxLength": max_len}


def _int(lo: int, hi: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": lo, "maximum": hi}


CARD = {"type": "object", "additionalProperties": False, "required": ["situation"],
        "properties": {"situation": _text(1200), "customer_says": _text(600),
                       "facts": {"type": "array", "maxItems": 12, "items": _text(300)}}}
LEGAL = {"type": "array", "maxItems": 10, "items": {
    "type": "object", "additionalProperties": False, "required": ["source"],
    "properties": {"source": _text(200), "article": _text(80), "quote": _text(2000)}}}
RATING = {"enum": ["best", "acceptable", "poor"]}

COMMON = {"id": ID, "kind": {"type": "string"}, "module": ID, "title": _text(120),
          "mode": {"enum": ["individual", "group", "group-consensus", "group-majority"]},
          "debrief": _int(0, 3600), "results": {"enum": ["live", "hidden"]}, "auto_close": {"type": "boolean"}}
LINES = {"type": "array", "maxItems": 12, "items": _text(200)}
MEDIA_PATH = {"type": "string", "maxLength": 200, "pattern": "^(?!/)(?!.*\\.\\.)[^\\\\]+$"}

KIND_PROPERTIES: dict[str, dict[str, Any]] = {
    "vote": {
        "card": CARD, "rationale": _text(3000), "legal_basis": LEGAL, "time_limit": _int(5, 3600),
        "speed_bonus": _int(0, 1000),
        "options": {"type": "array", "minItems": 2, "maxItems": 6, "items": {
            "type": "object", "additionalProperties": False, "required": ["id", "text", "rating"],
            "properties": {"id": ID, "text": _text(200), "rating": RATING, "points": _int(-1000, 1000),
                           "feedback": _text(1000)}}},
    },
    "order": {
        "card": CARD, "rationale": _text(3000), "legal_basis": LEGAL, "time_limit": _int(5, 3600),
        "points": _int(0, 1000),
        "steps": {"type": "array", "minItems": 3, "maxItems": 8, "items": {
            "type": "object", "additionalProperties": False, "required": ["id", "text"],
            "properties": {"id": ID, "text": _text(200)}}},
    },
    "estimate": {
        "card": CARD, "rationale": _text(3000), "legal_basis": LEGAL, "time_limit": _int(5, 3600),
        "points": _int(0, 1000), "unit": _text(20), "answer": {"type": "number"},
        "tolerance": {"type": "number", "minimum": 0}, "zero_at": {"type": "number"},
        "min": {"type": "number"}, "max": {"type": "number"},
    },
    "discuss": {
        "card": CARD, "prompt": _text(500), "max_posts": _int(1, 10), "max_length": _int(10, 500),
        "time_limit": _int(5, 7200),
    },
    "roleplay": {
        "scenario": CARD, "rubric": ID, "rounds": _int(1, 8), "points": _int(0, 1000), "rationale": _text(3000),
        "steps": {"type": "object", "additionalProperties": False,
                  "properties": {s: _int(0, 3600) for s in ("prep", "play", "scoring")}},
        "roles": {"type": "object", "additionalProperties": False, "required": ["customer", "agent"],
                  "properties": {r: {"type": "object", "additionalProperties": False, "required": ["title"],
                                     "properties": {"title": _text(60), "brief": _text(2000)}}
                                 for r in ("customer", "agent", "observer")}},
        "variants": {"type": "array", "minItems": 1, "maxItems": 8, "items": {
            "type": "object", "additionalProperties": False, "required": ["customer"],
            "properties": {r: _text(2000) for r in ("customer", "agent", "observer")}}},
    },
    "plan": {
        "card": CARD, "prompt": _text(500), "max_items": _int(1, 10), "max_length": _int(10, 500),
        "time_limit": _int(5, 7200),
    },
    "slide": {
        "points": LINES, "image": MEDIA_PATH, "video": MEDIA_PATH, "audio": MEDIA_PATH, "caption": _text(200),
        "quote": {"oneOf": [_text(1000), {"type": "object", "additionalProperties": False, "required": ["text"],
                                          "properties": {"text": _text(1000), "source": _text(200)}}]},
        "compare": {"type": "array", "minItems": 2, "maxItems": 4, "items": {
            "type": "object", "additionalProperties": False, "required": ["title"],
            "properties": {"title": _text(40), "points": {**LINES, "maxItems": 8}}}},
        "notes": _text(2000), "duration": _int(0, 7200),
    },
    "deal": {"cards": {"type": "array", "minItems": 1, "maxItems": 20, "items": ID}, "time_limit": _int(5, 7200)},
}
REQUIRED = {"vote": ["card", "options"], "order": ["steps"], "estimate": ["answer"], "discuss": ["prompt"],
            "roleplay": ["scenario", "roles", "rubric"], "plan": ["prompt"], "slide": [], "deal": ["cards"]}


def activity_schema(kind: str) -> dict[str, Any]:
    props = {**COMMON, "kind": {"const": kind}, **KIND_PROPERTIES[kind]}
    return {"type": "object", "additionalProperties": False, "required": ["id", "kind", "title", *REQUIRED[kind]],
            "properties": props}


def deck_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://caseroom.invalid/deck.schema.json",
        "title": "caseroom deck",
        "description": "A course for caseroom: metadata, rubrics, activities and an agenda. See docs/decks.md.",
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "title", "activities"],
        "properties": {
            "id": ID, "title": _text(200), "locale": {"enum": ["zh-CN", "en"]}, "version": _int(1, 1_000_000),
            "description": _text(2000), "disclaimer": _text(2000),
            "scoring": {"type": "object", "additionalProperties": False,
                        "properties": {r: _int(-1000, 1000) for r in ("best", "acceptable", "poor")}},
            "groups": {"type": "array", "maxItems": 50, "items": {
                "type": "object", "additionalProperties": False, "required": ["id", "name"],
                "properties": {"id": ID, "name": _text(40)}}},
            "modules": {"type": "array", "maxItems": 100, "items": {
                "type": "object", "additionalProperties": False, "required": ["id", "title"],
                "properties": {"id": ID, "title": _text(200)}}},
            "rubrics": {"type": "array", "maxItems": 20, "items": {
                "type": "object", "additionalProperties": False, "required": ["id", "title", "criteria"],
                "properties": {"id": ID, "title": _text(100), "criteria": {
                    "type": "array", "minItems": 1, "maxItems": 12, "items": {
                        "type": "object", "additionalProperties": False, "required": ["id", "title"],
                        "properties": {"id": ID, "title": _text(40), "anchors": {
                            "type": "object", "additionalProperties": False,
                            "patternProperties": {"^[1-5]$": _text(200)}}}}}}}},
            "activities": {"type": "array", "minItems": 1, "maxItems": 500,
                           "items": {"oneOf": [activity_schema(k) for k in KIND_PROPERTIES]}},
            "agenda": {"type": "array", "minItems": 1, "maxItems": 500, "items": ID},
            "timing": {"type": "object", "additionalProperties": False,
                       "properties": {k: _int(0, 3600) for k in [*KIND_PROPERTIES]}},
            "agendas": {"type": "object", "maxProperties": 20, "propertyNames": ID, "additionalProperties": {
                "type": "object", "additionalProperties": False, "required": ["title", "days"],
                "properties": {"title": _text(100), "days": {
                    "type": "array", "minItems": 1, "maxItems": 10, "items": {
                        "type": "array", "minItems": 1, "maxItems": 500, "items": ID}}}}},
        },
    }
