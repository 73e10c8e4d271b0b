"""C identifiers named in prose: `io_wq_enqueue()`, IO_WQ_BIT_EXIT,
`struct io_worker`, `worker->flags`.

These are what a mail without a diff (a cover letter, a review) says it is
about; they are mentions, never changes.
"""

from __future__ import annotations

import re

from triage.model import ProseSymbol

_URL = re.compile(r"\b(?:https?|git|ftp)://\S+|\S+@\S+")
_STRUCT = re.compile(r"\b(struct|union|enum)\s+([A-Za-z_]\w*)")
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
