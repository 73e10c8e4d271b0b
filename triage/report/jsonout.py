"""JSON output and its schema, both derived from the model's dataclasses so
that they cannot drift apart. Bump SCHEMA_VERSION on any incompatible
change (a field removed, renamed or retyped); adding a field is compatible.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing

from triage import model

SCHEMA_NAME = "iowq-triage.analysis"
SCHEMA_VERSION = 3  # 3: timeline points carry workers created so far; risk_max and risk_band (2: claims, direction-aware deltas)
# `triage report --format json`: the Report (patches with their analysis,
# assessment, headlines and placed review comments). Versioned on its own.
REPORT_SCHEMA_NAME = "iowq-triage.report"
REPORT_SCHEMA_VERSION = 5  # 5: page kind, versions, superseded_by, series, bug reports (PatchReport.kind ... .answers); 4: trailers given in replies and review state (PatchReport.reply_trailers, .review); 3: timeline points carry workers created so far; risk_max and risk_band (2: claims, direction-aware deltas)

# Derived facts worth having in JSON without recomputing them.
_DERIVED = {
    model.Subject: ("is_cover",),
    model.Hunk: ("added", "removed", "counts_check"),
    model.FileDiff: ("path", "added", "removed"),
    model.Diff: ("quoted", "reconstructed"),
    model.Message: ("upstream",),
    model.Assessment: ("risk_total",),
    model.ScenarioRun: ("new_findings", "fixed_findings"),
}
_DERIVED_TYPES = {"is_cover": bool, "added": int, "removed": int, "counts_check": bool,
                  "path": str, "quoted": bool, "reconstructed": bool, "upstream": str | None,
                  "risk_total": int, "new_findings": tuple[str, ...], "fixed_findings": tuple[str, ...]}


def _in_json(f: dataclasses.Field) -> bool:
    """Fields marked metadata={"json": False} (a message's raw body) stay out."""
    return f.metadata.get("json", True)


def to_data(value):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: to_data(getattr(value, f.name)) for f in dataclasses.fields(value) if _in_json(f)}
        for name in _DERIVED.get(type(value), ()):
            out[name] = to_data(getattr(value, name))
        return out
    if isinstance(value, (tuple, list)):
        return [to_data(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    return value


def document(results: list[model.InputResult]) -> dict:
    return {"schema": SCHEMA_NAME, "version": SCHEMA_VERSION, "inputs": [to_data(r) for r in results]}


def dumps(results: list[model.InputResult]) -> str:
    return json.dumps(document(results), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def report_dumps(report: model.Report) -> str:
    data = {"schema": REPORT_SCHEMA_NAME, "version": REPORT_SCHEMA_VERSION, "report": to_data(report)}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def json_schema(kind: str = "analysis") -> dict:
    """The schema of `analyze --format json` (kind "analysis") or of
    `report --format json` (kind "report")."""
    defs: dict[str, dict] = {}
    if kind == "report":
        name, version, key, root = (REPORT_SCHEMA_NAME, REPORT_SCHEMA_VERSION, "report",
                                    _schema_for(model.Report, defs))
    else:
        name, version, key = SCHEMA_NAME, SCHEMA_VERSION, "inputs"
        root = {"type": "array", "items": _schema_for(model.InputResult, defs)}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{name} v{version}",
        "type": "object",
        "required": ["schema", "version", key],
        "properties": {"schema": {"const": name}, "version": {"const": version}, key: root},
        "$defs": defs,
    }


def _schema_for(tp, defs: dict) -> dict:
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return {"enum": [m.value for m in tp]}
    if dataclasses.is_dataclass(tp):
        name = tp.__name__
        if name not in defs:
            defs[name] = {}  # placeholder against recursion
            hints = typing.get_type_hints(tp)
            props = {f.name: _schema_for(hints[f.name], defs) for f in dataclasses.fields(tp) if _in_json(f)}
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
