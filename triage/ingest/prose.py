"""C identifiers named in prose: `io_wq_enqueue()`, IO_WQ_BIT_EXIT,
`struct io_worker`, `worker->flags`.

These are what a mail without a diff (a cover letter, a review) says it is
about; they are mentions, never changes.
"""

from __future__ import annotations

import re

from triage.diff import csource
from triage.model import CodeSnippet, ProseSymbol

# Addresses are matched from the start of a word only: "\S+@" tried at every
# character of a long word is quadratic (minutes on a 5 MB line).
_URL = re.compile(r"\b(?:https?|git|ftp)://\S+|(?<!\S)[^\s@]*@\S+")
# A tag name in prose counts when it looks like code: has an underscore or a
# digit, or is followed by "{" or "*" ("the struct size" is English).
_STRUCT = re.compile(r"\b(struct|union|enum)\s+([A-Za-z_]\w*(?:_\w*|\d\w*)|[A-Za-z_]\w*(?=\s*[{*]))")
_MEMBER = re.compile(r"\b([a-z_]\w*)->([a-z_]\w*)")
_CALL = re.compile(r"\b([A-Za-z_]\w*)\s*\(")
_CONSTANT = re.compile(r"\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\b(\s*=\s*-?\d)?")
_SNAKE = re.compile(r"\b([a-z_][a-z0-9]*(?:_[a-z0-9]+)+)\b")
# Words of prose that look like identifiers but name no C symbol.
_NOT_SYMBOLS = {"io_uring", "io_wq", "signed_off_by", "fixes_tag"}
_KEYWORDS = {"if", "for", "while", "switch", "return", "sizeof", "defined", "typeof"}
_RANK = {"function": 4, "enumerator": 3, "struct": 3, "union": 3, "enum": 3, "member": 2,
         "constant": 1, "identifier": 0}


def prose_symbols(texts: list[tuple[str, int]]) -> tuple[ProseSymbol, ...]:
    """texts: (text, quoting level). Symbols in order of first mention."""
    seen: dict[str, list] = {}  # name -> [kind, level, count, order]

    def add(name: str, kind: str, level: int) -> None:
        if name in _NOT_SYMBOLS or name.lower() in _KEYWORDS:
            return
        entry = seen.get(name)
        if entry is None:
            seen[name] = [kind, level, 1, len(seen)]
            return
        if _RANK[kind] > _RANK[entry[0]]:
            entry[0] = kind
        entry[1] = min(entry[1], level)
        entry[2] += 1

    for text, level in texts:
        text = _URL.sub(" ", text)
        spans: list[tuple[int, int]] = []
        for m in _STRUCT.finditer(text):
            add(f"{m.group(1)} {m.group(2)}", m.group(1), level)
            spans.append(m.span(2))
        for m in _MEMBER.finditer(text):
            add(f"{m.group(1)}->{m.group(2)}", "member", level)
        for m in _CONSTANT.finditer(text):
            add(m.group(1), "enumerator" if m.group(2) else "constant", level)
        calls = {m.group(1) for m in _CALL.finditer(text)}
        for m in _SNAKE.finditer(text):
            if any(a <= m.start() < b for a, b in spans):
                continue
            name = m.group(1)
            add(name, "function" if name in calls else "identifier", level)
    ordered = sorted(seen.items(), key=lambda item: item[1][3])
    return tuple(ProseSymbol(name, kind, level, count) for name, (kind, level, count, _) in ordered)


_OPENER = re.compile(r"^\s*(?:typedef\s+)?(struct|union|enum)\b[^;{]*\{\s*$")


def code_snippets(texts: list[tuple[str, int, str | None]]) -> tuple[CodeSnippet, ...]:
    """struct/union/enum definitions written out in prose parts:
    texts are (text, level, author)."""
    found: list[CodeSnippet] = []
    for text, level, author in texts:
        lines = text.split("\n")
        i = 0
        while i < len(lines):
            if not _OPENER.match(lines[i]):
                i += 1
                continue
            depth, j = 0, i
            while j < len(lines):
                depth += lines[j].count("{") - lines[j].count("}")
                if depth <= 0 and j > i:
                    break
                j += 1
            raw = lines[i:j + 1]
            block = "\n".join(line for line in raw if line.strip() != "<snip>")
            snippet = _snippet(block, level, author)
            if snippet is not None:
                snippet = CodeSnippet(snippet.kind, snippet.name, snippet.level, snippet.author, snippet.items,
                                      block, any(line.strip() == "<snip>" for line in raw))
            if snippet:
                found.append(snippet)
            i = j + 1
    return tuple(found)


def _snippet(block: str, level: int, author: str | None) -> CodeSnippet | None:
    kind = _OPENER.match(block.split("\n", 1)[0]).group(1)
    if kind == "enum":
        items = csource.enumerators(block)
        if not items:
            return None
        name = csource.header(block.split("\n", 1)[0])
        label = name[1] if name and not name[1].endswith("(anonymous)") else csource.anonymous_enum_name(
            [n for n, _ in items])
        return CodeSnippet(kind, label, level, author,
                           tuple(f"{n} = {v}" if v is not None else n for n, v in items))
    members = csource.members(block)
    if not members:
        return None
    name = csource.header(block.split("\n", 1)[0])
    label = name[1] if name else f"{kind} (anonymous)"
    return CodeSnippet(kind, label, level, author, tuple(f"{m.name}: {m.type}" for m in members))
