"""JSON output and its schema, both derived from the model's dataclasses so
that they cannot drift apart. Bump SCHEMA_VERSION on any incompatible
change (a field removed, renamed or retyped); adding a field is compatible.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing

from triage import model

SCHEMA_NAME = "iowq-triage.analysis"
SCHEMA_VERSION = 1

# Derived facts worth having in JSON without recomputing them.
_DERIVED = {
    model.Subject: ("is_cover",),
    model.Hunk: ("added", "removed", "counts_check"),
    model.FileDiff: ("path", "added", "removed"),
    model.Diff: ("quoted", "reconstructed"),
    model.Message: ("upstream",),
}
_DERIVED_TYPES = {"is_cover": bool, "added": int, "removed": int, "counts_check": bool,
                  "path": str, "quoted": bool, "reconstructed": bool, "upstream": str | None}


def to_data(value):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: to_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for name in _DERIVED.get(type(value), ()):
            out[name] = to_data(getattr(value, name))
        return out
    if isinstance(value, (tuple, list)):
        return [to_data(v) for v in value]
    return value


def document(results: list[model.InputResult]) -> dict:
    return {"schema": SCHEMA_NAME, "version": SCHEMA_VERSION, "inputs": [to_data(r) for r in results]}


def dumps(results: list[model.InputResult]) -> str:
    return json.dumps(document(results), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def json_schema() -> dict:
    defs: dict[str, dict] = {}
    root = _schema_for(model.InputResult, defs)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{SCHEMA_NAME} v{SCHEMA_VERSION}",
        "type": "object",
        "required": ["schema", "version", "inputs"],
        "properties": {
            "schema": {"const": SCHEMA_NAME},
            "version": {"const": SCHEMA_VERSION},
            "inputs": {"type": "array", "items": root},
        },
        "$defs": defs,
    }


def _schema_for(tp, defs: dict) -> dict:
    if dataclasses.is_dataclass(tp):
        name = tp.__name__
        if name not in defs:
            defs[name] = {}  # placeholder against recursion
            hints = typing.get_type_hints(tp)
            props = {f.name: _schema_for(hints[f.name], defs) for f in dataclasses.fields(tp)}
            for derived in _DERIVED.get(tp, ()):
                props[derived] = _schema_for(_DERIVED_TYPES[derived], defs)
            doc = (tp.__doc__ or "").strip().split("\n")[0]
            defs[name] = {"type": "object", "description": doc, "properties": props,
                          "required": sorted(props), "additionalProperties": False}
        return {"$ref": f"#/$defs/{name}"}
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return {"anyOf": [_schema_for(a, defs) for a in typing.get_args(tp)]}
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return {"type": "array", "items": _schema_for(args[0], defs)}
        # a fixed-length record such as (ms, alive, running, queued)
        return {"type": "array", "prefixItems": [_schema_for(a, defs) for a in args],
                "minItems": len(args), "maxItems": len(args)}
    return {str: {"type": "string"}, int: {"type": "integer"}, float: {"type": "number"},
            bool: {"type": "boolean"}, type(None): {"type": "null"}}[tp]
