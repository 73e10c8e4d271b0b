"""Hunk -> the C symbols whose lines it adds or removes, and how.

Two ways, best first:

* with the whole pre-image (`--source FILE`): apply the hunks in memory to
  get the post-image, parse both with tree-sitter, and map every removed
  line (old numbering) and added line (new numbering) to the definition
  whose exact line range holds it;
* from the hunk alone: walk back from each changed line over the hunk's
  own lines of the same side, matching braces, to the line that opens the
  block holding it; the first such opener that is a top-level header
  (function signature, struct/union/enum, macro, initialised global) is
  the symbol. Only when the hunk shows no opener does git's `@@ ... @@`
  section text decide, and then the result says so (evidence "hint").

git's section text is the last line before the hunk that starts with a
letter: it names the previous symbol when the hunk opens a new one (seed
003: `enum {` for a change inside `struct io_worker`), and a column-0
label (`out:`) when one precedes the hunk. It is never taken as a fact.
"""

from __future__ import annotations

import functools

import re
from dataclasses import dataclass

from triage.diff import csource
from triage.errors import SourceError
from triage.model import FileDiff, Hunk, SymbolChange

_LABEL = re.compile(r"^\s*(?!default\b)([A-Za-z_]\w*)\s*:(?!:)\s*(?:/\*.*\*/\s*)?$")
_STRING = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'')
_COMMENT = re.compile(r"/\*.*?\*/|//.*$")
# Lines that continue a signature or prototype: annotations such as
# __must_hold(x), or indented parameters ending in "," / ")" / ");".
_SIGNATURE_TAIL = re.compile(r"^\s*(?:__\w+(?:\([^)]*\))?\s*)+$|^\s+[\w\s\*,\[\]]*\)\s*;?\s*$|^\s+[\w\s\*,()\[\]]+,\s*$")


@functools.lru_cache(maxsize=65536)
def _code(text: str) -> str:
    """A line without its comments and string contents. Cached: _locate walks
    back over the hunk from every changed line, so each line is asked many
    times (a quarter of the lore archive's mapping time went here)."""
    return _COMMENT.sub(" ", _STRING.sub('""', text))


@dataclass(frozen=True)
class _Container:
    kind: str
    name: str
    header_index: int | None  # index into hunk.lines of the header line; None: before the hunk
    evidence: str  # hunk | hint | none


# ----------------------------------------------------------------- fragments


def _side(hunk: Hunk, kind: str) -> list[int]:
    """Indices into hunk.lines of one side ('-' old, '+' new)."""
    return [i for i, line in enumerate(hunk.lines) if line.kind in (" ", kind)]


def _top_header(hunk: Hunk, text: str, indent_kept: bool) -> tuple[str, str] | None:
    """csource.header, but in a hunk that kept its indentation only a line
    in column 0 can open a top-level construct (kernel style): an indented
    `struct x y = {` is a local variable, an indented `union {` a member."""
    if text[:1].isspace() and indent_kept:
        return None
    return csource.header(text)


def _header_at(hunk: Hunk, side: list[int], pos: int, indent_kept: bool) -> tuple[str, str, int] | None:
    """Is the line at side[pos] (or the signature ending there) a header?"""
    text = hunk.lines[side[pos]].text
    found = _top_header(hunk, text, indent_kept)
    if found:
        if found[0] == "function" and _ends_as_prototype(hunk, side, pos):
            return "prototype", found[1], side[pos]
        return found[0], found[1], side[pos]
    # "{" alone or a signature's continuation lines: look up for its start.
    if text.strip() in ("{", "") or _SIGNATURE_TAIL.match(text):
        for back in range(pos - 1, max(pos - 6, -1), -1):
            candidate = hunk.lines[side[back]].text
            found = _top_header(hunk, candidate, indent_kept)
            if found:
                if found[0] == "function" and text.rstrip().endswith(";"):
                    return "prototype", found[1], side[back]
                return found[0], found[1], side[back]
            if not (_SIGNATURE_TAIL.match(candidate) or candidate.strip().endswith(",")):
                break
    return None


def _ends_as_prototype(hunk: Hunk, side: list[int], pos: int) -> bool:
    """A signature whose parameters wrap: a prototype if it ends in ";"
    before any "{" opens a body."""
    for k in range(pos, min(pos + 8, len(side))):
        code = _code(hunk.lines[side[k]].text).rstrip()
        if "{" in code:
            return False
        if code.endswith(";"):
            return True
    return False


def _locate(hunk: Hunk, side: list[int], pos: int, indent_kept: bool) -> _Container:
    """The top-level construct holding the line at side[pos]."""
    own = _header_at(hunk, side, pos, indent_kept)
    if own and own[0] in ("function", "struct", "union", "enum", "macro", "global", "prototype"):
        if own[0] in ("prototype", "global") and not indent_kept:
            own = None  # without indentation a declaration may be a local one
        else:
            return _Container(own[0], own[1], own[2], "hunk")
    depth = 0
    top_closed = False
    indented = indent_kept
    for back in range(pos - 1, -1, -1):
        raw = hunk.lines[side[back]].text
        for ch in reversed(_code(raw)):
            if ch == "}":
                depth += 1
            elif ch == "{":
                if depth:
                    depth -= 1
                    continue
                found = _header_at(hunk, side, back, indent_kept)
                if found and found[0] not in ("macro", "prototype", "global") or (
                        found and found[0] == "global" and _code(raw).rstrip().endswith("{")):
                    name = found[1]
                    if name == "enum (anonymous)":
                        name = _enum_name(hunk, side, back)
                    return _Container(found[0], name, found[2], "hunk")
        # With indentation intact, an unmatched "}" in column 0 ends a
        # top-level construct: whatever follows it is at file scope.
        if indented and depth > 0 and raw.startswith("}"):
            top_closed = True
    if top_closed:
        return _Container("file-scope", "(file scope)", None, "hunk")
    hint = csource.header(hunk.section_hint) if hunk.section_hint else None
    if hint:
        return _Container(hint[0], hint[1], None, "hint")
    if indent_kept and not hunk.lines[side[pos]].text[:1].isspace():
        return _Container("file-scope", "(file scope)", None, "hunk")
    return _Container("unknown", "(unknown)", None, "none")


def _enum_name(hunk: Hunk, side: list[int], opener: int) -> str:
    """Name an anonymous enum by the constants the hunk shows of it."""
    body = []
    for i in range(opener + 1, len(side)):
        text = hunk.lines[side[i]].text
        if "}" in text:
            break
        body.append(text)
    return csource.anonymous_enum_name([n for n, _ in csource.enumerators("\n".join(body))])


def indent_kept(hunks: tuple[Hunk, ...] | list[Hunk]) -> bool:
    """Did the diff keep its indentation? Web-archive copies and rebuilt
    diffs lose it; a mailed or git diff of C code has indented lines in
    some hunk. Decided per diff: a hunk of #include lines has none."""
    return any(line.text[:1] in ("\t", " ") for h in hunks for line in h.lines)


def map_hunk(path: str, index: int, hunk: Hunk, indented: bool | None = None) -> list[SymbolChange]:
    if indented is None:
        indented = indent_kept([hunk])
    groups: dict[tuple[str, str], dict] = {}
    old_side, new_side = _side(hunk, "-"), _side(hunk, "+")
    skip_blank = _has_code_change(hunk)
    for i, line in enumerate(hunk.lines):
        if line.kind == " " or (skip_blank and not line.text.strip()):
            continue
        side = old_side if line.kind == "-" else new_side
        container = _locate(hunk, side, side.index(i), indented)
        entry = groups.setdefault((container.kind, container.name),
                                  {"container": container, "indices": []})
        entry["indices"].append(i)
    hint = csource.header(hunk.section_hint) if hunk.section_hint else None
    changes = []
    for (kind, name), entry in groups.items():
        container: _Container = entry["container"]
        indices: list[int] = entry["indices"]
        how = _how_fragment(hunk, container, indices)
        agrees = None
        if container.evidence == "hunk" and hint and kind != "file-scope":
            agrees = hint[1] == name
        elif container.evidence == "hunk" and hint and kind == "file-scope":
            agrees = False
        change = SymbolChange(
            file=path, hunk_index=index, symbol=name, kind=kind, how=tuple(how),
            evidence=container.evidence, hint=hunk.section_hint, hint_agrees=agrees,
            new_lines=tuple(hunk.lines[i].new_no for i in indices if hunk.lines[i].new_no is not None),
            old_lines=tuple(hunk.lines[i].old_no for i in indices if hunk.lines[i].old_no is not None),
        )
        changes += [change] + enumerator_changes(change)
    return changes


_ENUMERATOR_HOW = re.compile(r"^enumerator (added|removed|value changed): (\w+)(?: \((.*)\))?$")


def enumerator_changes(change: SymbolChange) -> list[SymbolChange]:
    """Enum constants are symbols of their own (code tests IO_WORKER_F_FREE,
    not "the anonymous enum"): one entry per constant the enum change names."""
    if change.kind != "enum":
        return []
    out = []
    for how in change.how:
        m = _ENUMERATOR_HOW.match(how)
        if not m:
            continue
        what = {"added": "symbol added", "removed": "symbol removed"}.get(
            m.group(1), f"value changed ({m.group(3)})")
        out.append(SymbolChange(
            file=change.file, hunk_index=change.hunk_index, symbol=m.group(2), kind="enumerator",
            how=(what,), evidence=change.evidence, hint=change.hint, hint_agrees=None,
            new_lines=change.new_lines, old_lines=change.old_lines))
    return out


def _has_code_change(hunk: Hunk) -> bool:
    """Blank lines added or removed beside real changes (the empty line after
    a new function) belong to no symbol; they are left out of the mapping
    unless they are all the hunk changes."""
    return any(line.kind != " " and line.text.strip() for line in hunk.lines)


def _how_fragment(hunk: Hunk, container: _Container, indices: list[int]) -> list[str]:
    lines = hunk.lines
    how: list[str] = []
    header = container.header_index
    if header is not None and header in indices:
        kinds = {lines[i].kind for i in indices}
        body = [i for i in range(header, len(lines)) if lines[i].kind != " "]
        if lines[header].kind == "+" and all(lines[i].kind == "+" for i in body) and kinds == {"+"}:
            return ["symbol added"]
        if lines[header].kind == "-" and kinds == {"-"}:
            return ["symbol removed"]
    removed = [lines[i].text for i in indices if lines[i].kind == "-"]
    added = [lines[i].text for i in indices if lines[i].kind == "+"]
    if container.kind == "function":
        signature_end = _signature_end(hunk, header) if header is not None else -1
        if any(i <= signature_end for i in indices):
            how.append("signature changed")
        body = [lines[i].text for i in indices if i > signature_end]
        labels_added = [m.group(1) for t in added if (m := _LABEL.match(t))]
        labels_removed = [m.group(1) for t in removed if (m := _LABEL.match(t))]
        how += [f"label added: {x}" for x in labels_added if x not in labels_removed]
        how += [f"label removed: {x}" for x in labels_removed if x not in labels_added]
        if any(t.strip() for t in body if not _LABEL.match(t)):
            how.insert(0, "body changed")
    elif container.kind in ("struct", "union"):
        how += _member_changes(removed, added)
    elif container.kind == "enum":
        how += _enumerator_changes(removed, added)
    elif container.kind in ("macro", "global", "typedef", "prototype"):
        how.append("definition changed")
    elif container.kind == "file-scope":
        how.append("lines outside any definition changed")
    return how or ["changed"]


def _signature_end(hunk: Hunk, header: int) -> int:
    for i in range(header, len(hunk.lines)):
        if "{" in _code(hunk.lines[i].text):
            return i - 1 if hunk.lines[i].text.strip() == "{" else i
    return header


def _member_changes(removed: list[str], added: list[str]) -> list[str]:
    old = [m for t in removed for m in csource.members(t)] if removed else []
    new = [m for t in added for m in csource.members(t)] if added else []
    old_by = {m.name: m for m in old}
    new_by = {m.name: m for m in new}
    how = []
    for m in old:
        if m.name in new_by:
            after = new_by[m.name]
            how.append(f"member moved: {m.name}" if after.type == m.type
                       else f"member retyped: {m.name} ({m.type} -> {after.type})")
        else:
            how.append(f"member removed: {m.name}")
    how += [f"member added: {m.name}" for m in new if m.name not in old_by]
    if not how and (removed or added):
        how.append("body changed")
    return how


def _enumerator_changes(removed: list[str], added: list[str]) -> list[str]:
    old = dict(e for t in removed for e in csource.enumerators(t))
    new = dict(e for t in added for e in csource.enumerators(t))
    how = []
    for name, value in old.items():
        if name in new:
            if new[name] != value:
                how.append(f"enumerator value changed: {name} ({value} -> {new[name]})")
        else:
            how.append(f"enumerator removed: {name}")
    how += [f"enumerator added: {name}" for name in new if name not in old]
    return how or ["body changed"]


# ---------------------------------------------------------------- whole file


def apply_hunks(old_text: str, diff: FileDiff, fuzz_window: int = 200) -> str:
    """The post-image: hunks applied in memory. Each hunk's old side must
    match the file (white space folded, since recovered diffs lose it),
    at its line number or within fuzz_window lines of it."""
    lines = old_text.split("\n")
    out: list[str] = []
    cursor = 0
    for number, hunk in enumerate(diff.hunks, 1):
        old_side = [line.text for line in hunk.lines if line.kind in " -"]
        want = hunk.old_start - 1 if hunk.old_len else hunk.old_start
        at = _find(lines, old_side, want, cursor, fuzz_window)
        if at is None:
            raise SourceError(diff.path, f"hunk {number} (@@ -{hunk.old_start},{hunk.old_len}) does not match the source")
        out += lines[cursor:at]
        k = at
        for line in hunk.lines:
            if line.kind == " ":
                out.append(lines[k])
                k += 1
            elif line.kind == "-":
                k += 1
            else:
                out.append(line.text)
        cursor = k
    out += lines[cursor:]
    return "\n".join(out)


def _find(lines: list[str], block: list[str], want: int, floor: int, window: int) -> int | None:
    norm = [" ".join(b.split()) for b in block]
    for delta in range(0, window + 1):
        for at in ((want + delta,) if delta == 0 else (want + delta, want - delta)):
            if at < floor or at + len(block) > len(lines):
                continue
            if all(" ".join(lines[at + k].split()) == norm[k] for k in range(len(block))):
                return at
    return None


def map_file(diff: FileDiff, old_text: str, new_text: str | None = None) -> list[SymbolChange]:
    """new_text: the post-image, when the caller already applied the hunks."""
    if new_text is None:
        new_text = apply_hunks(old_text, diff)
    old_defs = csource.definitions(old_text)
    new_defs = csource.definitions(new_text)
    old_lines = old_text.split("\n")
    new_lines = new_text.split("\n")
    changes = []
    for index, hunk in enumerate(diff.hunks):
        groups: dict[tuple[str, str], dict] = {}
        skip_blank = _has_code_change(hunk)
        for line in hunk.lines:
            if skip_blank and not line.text.strip():
                continue
            if line.kind == "-":
                d = _containing(old_defs, line.old_no)
                groups.setdefault(_key(d), {"old": [], "new": []})["old"].append(line.old_no)
            elif line.kind == "+":
                d = _containing(new_defs, line.new_no)
                groups.setdefault(_key(d), {"old": [], "new": []})["new"].append(line.new_no)
        hint = csource.header(hunk.section_hint) if hunk.section_hint else None
        for (kind, name), got in groups.items():
            before = next((d for d in old_defs if (d.kind, d.name) == (kind, name)), None)
            after = next((d for d in new_defs if (d.kind, d.name) == (kind, name)), None)
            how = _how_file(kind, before, after, got, old_lines, new_lines)
            change = SymbolChange(
                file=diff.path, hunk_index=index, symbol=name, kind=kind, how=tuple(how),
                evidence="pre-image", hint=hunk.section_hint,
                hint_agrees=(hint[1] == name) if hint else None,
                new_lines=tuple(got["new"]), old_lines=tuple(got["old"]),
            )
            changes += [change] + enumerator_changes(change)
    return changes


def _containing(defs: list[csource.CDef], number: int | None) -> csource.CDef | None:
    best = None
    for d in defs:
        if number is not None and d.start <= number <= d.end:
            if best is None or d.end - d.start < best.end - best.start:
                best = d
    return best


def _key(d: csource.CDef | None) -> tuple[str, str]:
    return ("file-scope", "(file scope)") if d is None else (d.kind, d.name)


def _how_file(kind, before, after, got, old_lines, new_lines) -> list[str]:
    if kind == "file-scope":
        return ["lines outside any definition changed"]
    if before is None:
        return ["symbol added"]
    if after is None:
        return ["symbol removed"]
    if kind in ("struct", "union"):
        old_m = csource.members("\n".join(old_lines[before.start - 1:before.end]))
        new_m = csource.members("\n".join(new_lines[after.start - 1:after.end]))
        return _member_diff(old_m, new_m)
    if kind == "enum":
        old_e = csource.enumerators("\n".join(old_lines[before.start - 1:before.end]))
        new_e = csource.enumerators("\n".join(new_lines[after.start - 1:after.end]))
        return _enumerator_changes([f"{n} = {v}," if v else f"{n}," for n, v in old_e if (n, v) not in new_e],
                                   [f"{n} = {v}," if v else f"{n}," for n, v in new_e if (n, v) not in old_e])
    if kind == "function":
        how = []
        if any(n < before.body_start for n in got["old"]) or any(n < after.body_start for n in got["new"]):
            how.append("signature changed")
        old_body = [old_lines[n - 1] for n in got["old"] if n >= before.body_start]
        new_body = [new_lines[n - 1] for n in got["new"] if n >= after.body_start]
        labels_old = [m.group(1) for t in old_body if (m := _LABEL.match(t))]
        labels_new = [m.group(1) for t in new_body if (m := _LABEL.match(t))]
        if any(t.strip() and not _LABEL.match(t) for t in old_body + new_body):
            how.append("body changed")
        how += [f"label added: {x}" for x in labels_new if x not in labels_old]
        how += [f"label removed: {x}" for x in labels_old if x not in labels_new]
        return how or ["body changed"]
    return ["definition changed"]


def _member_diff(old: list[csource.Member], new: list[csource.Member]) -> list[str]:
    old_by = {m.name: (i, m) for i, m in enumerate(old)}
    new_by = {m.name: (i, m) for i, m in enumerate(new)}
    how = []
    for name, (i, m) in old_by.items():
        if name not in new_by:
            how.append(f"member removed: {name}")
        elif new_by[name][1].type != m.type:
            how.append(f"member retyped: {name} ({m.type} -> {new_by[name][1].type})")
    how += [f"member added: {name}" for name in new_by if name not in old_by]
    common_old = [m.name for m in old if m.name in new_by]
    common_new = [m.name for m in new if m.name in old_by]
    if common_old != common_new:
        moved = [n for k, n in enumerate(common_new) if k >= len(common_old) or common_old[k] != n]
        how.append("members reordered: " + ", ".join(moved[:6]))
    return how or ["body changed"]
