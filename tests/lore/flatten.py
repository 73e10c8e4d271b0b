"""Flatten a clean diff the way web archives do (seed 000), then rebuild it:
the measure of triage.ingest.flatdiff's accuracy on real io-wq hunks."""

from __future__ import annotations

from triage.errors import DiffError
from triage.ingest.flatdiff import rebuild
from triage.diff.hunks import parse_diff
from triage.model import FileDiff, Hunk


def flatten(f: FileDiff, hunk: Hunk) -> str:
    """Line breaks become spaces and indentation is lost; a blank context
    line survives as a newline (what seed 000 shows)."""
    head = (f"diff --git a/{f.path} b/{f.path} index {f.old_blob or '0000000'}..{f.new_blob or '1111111'} 100644 "
            f"--- a/{f.path} +++ b/{f.path} @@ -{hunk.old_start},{hunk.old_len} +{hunk.new_start},{hunk.new_len} @@")
    parts = [head + (" " + hunk.section_hint if hunk.section_hint else "")]
    for line in hunk.lines:
        words = " ".join(line.text.split())
        if line.kind == " " and not words:
            parts.append("\n")
        else:
            parts.append((line.kind if line.kind != " " else "") + (" " + words if words else ""))
    return " ".join(parts).replace(" \n ", "\n").replace(" \n", "\n")


def normal(hunk: Hunk) -> list[tuple[str, str]]:
    return [(line.kind, " ".join(line.text.split())) for line in hunk.lines]


def changes(hunk: Hunk) -> list[tuple[str, str]]:
    return [x for x in normal(hunk) if x[0] != " "]


def check(f: FileDiff, hunk: Hunk) -> tuple[str, float]:
    """'exact' (every line), 'changes-exact' (the added and removed lines
    right, some context line split elsewhere), 'differs' or 'failed', and the
    confidence the rebuild gave."""
    try:
        canonical, recovery, _ = rebuild(flatten(f, hunk))
        (rebuilt,) = parse_diff(canonical)[0].hunks
    except (DiffError, ValueError):
        return "failed", 0.0
    same = normal(rebuilt) == normal(hunk) and rebuilt.section_hint == " ".join(hunk.section_hint.split())
    if same:
        return "exact", recovery.confidence
    return ("changes-exact" if changes(rebuilt) == changes(hunk) else "differs"), recovery.confidence
