"""The one module that imports unidiff: canonical diff text -> our FileDiffs.

Every repair (quote markers, lost context prefixes, flattened lines, trimmed
quotes) happens on text before this point, so unidiff only ever sees a
well-formed diff and its objects never leave this module.
"""

from __future__ import annotations


from unidiff import PatchSet
from unidiff.errors import UnidiffParseError

from triage.errors import DiffError
from triage.model import DiffLine, FileDiff, Hunk
from triage.patterns import INDEX_LINE, check_hunk_headers



def _strip_prefix(path: str | None) -> str | None:
    if path is None or path == "/dev/null":
        return None
    return path[2:] if path[:2] in ("a/", "b/") else path


def parse_diff(text: str, subject: str = "diff") -> tuple[FileDiff, ...]:
    """Parse canonical unified diff text (one or more files)."""
    check_hunk_headers(text, subject)  # unidiff int()s them unbounded
    try:
        patch = PatchSet(text)
    except UnidiffParseError as exc:
        raise DiffError(subject, f"garbled diff: {exc}") from None
    files = []
    for patched in patch:
        info = "".join(str(x) for x in patched.patch_info) if patched.patch_info else ""
        index = INDEX_LINE.search(info)
        hunks = []
        for h in patched:
            lines = tuple(
                DiffLine(line.line_type, line.value.rstrip("\n"), line.source_line_no, line.target_line_no)
                for line in h
                if line.line_type in (" ", "+", "-")
            )
            hunks.append(Hunk(h.source_start, h.source_length, h.target_start, h.target_length,
                              h.section_header.strip(), lines))
        files.append(FileDiff(
            old_path=_strip_prefix(patched.source_file) if not patched.is_added_file else None,
            new_path=_strip_prefix(patched.target_file) if not patched.is_removed_file else None,
            hunks=tuple(hunks),
            old_blob=index.group("old") if index else None,
            new_blob=index.group("new") if index else None,
            mode=index.group("mode") if index and index.group("mode") else None,
            binary=bool(patched.is_binary_file),
        ))
    return tuple(files)


def render_file(diff: FileDiff) -> str:
    """Unified diff text of a FileDiff (the inverse of parse_diff for the
    parts a FileDiff keeps)."""
    old = f"a/{diff.old_path}" if diff.old_path else "/dev/null"
    new = f"b/{diff.new_path}" if diff.new_path else "/dev/null"
    out = [f"diff --git a/{diff.old_path or diff.new_path} b/{diff.new_path or diff.old_path}"]
    if diff.old_blob and diff.new_blob:
        out.append(f"index {diff.old_blob}..{diff.new_blob}" + (f" {diff.mode}" if diff.mode else ""))
    out += [f"--- {old}", f"+++ {new}"]
    for h in diff.hunks:
        out.append(h.header)
        out += [line.kind + line.text for line in h.lines]
    return "\n".join(out) + "\n"
