"""Kernel C made parseable for tree-sitter-c, lines kept.

tree-sitter reads C, not the kernel's macros: a 6.12 io-wq.c has 18 of its
63 functions with ERROR nodes. Three shapes cause all of them, and each is
rewritten in place (same line, so sites stay `io-wq.c:<line>`):

- lock annotations after a signature (`__must_hold(x)`, `__acquires(x)`,
  `__releases(x)`) and attributes (`__init`, `__cold`, `__rcu` ...):
  blanked;
- a type as a macro argument (`container_of(p, struct io_worker, work)`):
  `struct T` becomes the identifier `__struct_T`, read back by name;
- iterator macros used as loop heads (`list_for_each_entry(w, &l, node) {`):
  wrapped as `for (list_for_each_entry(w, &l, node);;) {`, a for-statement
  whose initializer names the iterator, which the compiler runs by name.
"""

from __future__ import annotations

import re

from triage.diff.csource import blank_comments

_ANNOTATION = re.compile(r"\b(?:__must_hold|__acquires|__releases|__acquire|__release)\s*\(")
_ATTRIBUTE = re.compile(r"\b(?:__init|__exit|__cold|__hot|__read_mostly|__rcu|__user|__percpu|__iomem|__force"
                        r"|__always_inline|noinline|__maybe_unused|__must_check|__latent_entropy|notrace"
                        r"|____cacheline_aligned_in_smp|____cacheline_aligned|__cacheline_aligned)\b")
_TYPE_ARG = re.compile(r"\b(container_of|hlist_entry_safe|hlist_entry|hlist_nulls_entry|list_entry|list_first_entry"
                       r"|list_first_entry_or_null|list_last_entry|list_next_entry|wq_list_entry|offsetof"
                       r"|sizeof_field|kzalloc_obj|kmalloc_obj|kzalloc_objs|kmalloc_objs|kvzalloc_obj)\s*\(")
_ITERATOR = re.compile(r"^([ \t]*)(\w*for_each\w*)\s*\(", re.MULTILINE)


def _close(text: str, start: int) -> int:
    """Index just after the parenthesis that closes the one at start."""
    depth = 0
    for i in range(start, len(text)):
        c = text[i]
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i + 1
    return len(text)


def _blank(text: str, a: int, b: int) -> str:
    return text[:a] + re.sub(r"[^\n]", " ", text[a:b]) + text[b:]


def prepare(text: str) -> str:
    text = blank_comments(text)
    # annotations: blank the whole call
    while m := _ANNOTATION.search(text):
        text = _blank(text, m.start(), _close(text, m.end() - 1))
    text = _ATTRIBUTE.sub(lambda m: " " * len(m.group(0)), text)
    # types as macro arguments
    out, pos = [], 0
    for m in _TYPE_ARG.finditer(text):
        end = _close(text, m.end() - 1)
        if m.start() < pos:
            continue
        args = text[m.end():end]
        out.append(text[pos:m.end()])
        out.append(re.sub(r"\b(struct|union)\s+(\w+)", r"__\1_\2", args))
        pos = end
    text = "".join(out) + text[pos:]
    # iterator macros as loop heads (a definition `#define x_for_each(...)` is not one)
    out, pos = [], 0
    for m in _ITERATOR.finditer(text):
        if m.start() < pos:
            continue
        end = _close(text, m.end() - 1)
        after = text[end:end + 200].lstrip()
        if after.startswith(";") or text[max(0, m.start() - 8):m.start()].rstrip().endswith("define"):
            continue
        out.append(text[pos:m.start()] + m.group(1) + "for (" + text[m.start() + len(m.group(1)):end] + ";;)")
        pos = end
    return "".join(out) + text[pos:]
