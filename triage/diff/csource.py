"""C parsing with tree-sitter-c: top-level definitions with exact line
spans, struct members, enumerators, and the kind of a lone header line.

Kernel code is not plain C to tree-sitter (annotations such as
`__must_hold(x)` after a signature, macros that expand to statements), so
ERROR nodes and preprocessor blocks are searched through rather than
trusted or skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import tree_sitter_c
from tree_sitter import Language, Node, Parser


@lru_cache(maxsize=1)
def _parser() -> Parser:
    return Parser(Language(tree_sitter_c.language()))


_COMMENT_OR_LITERAL = re.compile(r'("(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\')|(/\*.*?(?:\*/|\Z)|//[^\n]*)', re.S)


_OBJECT_MACRO = re.compile(r"^[ \t]*#[ \t]*define[ \t]+(\w+)(?![\w(])[ \t]*(.*)$", re.MULTILINE)


def object_macros(text: str) -> dict[str, str]:
    """Object-like `#define NAME body` (not `NAME(x)`), name -> body. The
    first definition of a name wins: io-wq.c has `#if BITS_PER_LONG == 64 /
    #define IO_WQ_HASH_ORDER 6 / #else ... 5`, and the preprocessor
    condition is not evaluated (the 64-bit build is the one read)."""
    out: dict[str, str] = {}
    for m in _OBJECT_MACRO.finditer(text):
        out.setdefault(m.group(1), m.group(2).strip())
    return out


def blank_comments(text: str) -> str:
    """The text with every comment replaced by spaces (newlines kept, so
    line numbers and columns stay true); string and character literals are
    left alone. An unterminated /* runs to the end, as a compiler reads it.
    Probes match code, never a commented-out line."""
    def blank(m: re.Match) -> str:
        if m.group(1):
            return m.group(1)
        return re.sub(r"[^\n]", " ", m.group(2))

    return _COMMENT_OR_LITERAL.sub(blank, text)


def parse(text: str):
    return _parser().parse(text.encode("utf-8", "surrogatepass"))


@dataclass(frozen=True)
class CDef:
    kind: str  # function | prototype | struct | union | enum | macro | global | typedef
    name: str
    start: int  # 1-based first line
    end: int  # 1-based last line
    body_start: int  # first line of the body ({), = start for bodiless kinds


@dataclass(frozen=True)
class Member:
    name: str
    type: str  # as written, white space folded


def _text(node: Node) -> str:
    return node.text.decode("utf-8", "replace")


def _declarator_name(node: Node | None) -> str | None:
    while node is not None:
        if node.type in ("identifier", "field_identifier", "type_identifier"):
            return _text(node)
        inner = node.child_by_field_name("declarator")
        if inner is None:
            for child in node.named_children:
                if child.type in ("identifier", "field_identifier", "parenthesized_declarator",
                                  "pointer_declarator", "function_declarator", "array_declarator"):
                    inner = child
                    break
        node = inner
    return None


def has_function_declarator(node: Node | None) -> bool:
    while node is not None:
        if node.type == "function_declarator":
            return True
        node = node.child_by_field_name("declarator")
    return False


def _tagged(node: Node) -> tuple[str, str] | None:
    """struct/union/enum specifier with a body: (kind, name)."""
    if node.type not in ("struct_specifier", "union_specifier", "enum_specifier"):
        return None
    if node.child_by_field_name("body") is None:
        return None
    name = node.child_by_field_name("name")
    kind = node.type.split("_")[0]
    return kind, _text(name) if name is not None else f"{kind} (anonymous)"


def _body_line(node: Node) -> int:
    body = node.child_by_field_name("body")
    return (body.start_point[0] if body is not None else node.start_point[0]) + 1


@lru_cache(maxsize=32)
def definitions(text: str) -> tuple[CDef, ...]:
    """Top-level definitions of a whole C file, in order. Cached: the symbol
    mapper and the probes read the same pre- and post-images."""
    tree = parse(text)
    found: list[CDef] = []
    _collect(tree.root_node, found)
    found.sort(key=lambda d: (d.start, d.end))
    return tuple(found)


def _collect(node: Node, out: list[CDef]) -> None:
    for child in node.named_children:
        start, end = child.start_point[0] + 1, child.end_point[0] + 1
        if child.end_point[1] == 0 and end > start:
            end -= 1  # preprocessor nodes include their final newline
        t = child.type
        if t == "function_definition":
            name = _declarator_name(child.child_by_field_name("declarator")) or "?"
            out.append(CDef("function", name, start, end, _body_line(child)))
        elif t in ("preproc_def", "preproc_function_def"):
            name = child.child_by_field_name("name")
            out.append(CDef("macro", _text(name) if name else "?", start, end, start))
        elif t == "type_definition":
            inner = child.child_by_field_name("type")
            tag = _tagged(inner) if inner is not None else None
            name = _declarator_name(child.child_by_field_name("declarator")) or "?"
            out.append(CDef("typedef", name, start, end, _body_line(inner) if tag else start))
        elif t in ("struct_specifier", "union_specifier", "enum_specifier") or (
            t == "declaration" and child.child_by_field_name("type") is not None
            and _tagged(child.child_by_field_name("type")) and child.child_by_field_name("declarator") is None
        ):
            spec = child if t.endswith("_specifier") else child.child_by_field_name("type")
            tag = _tagged(spec)
            if tag:
                name = tag[1] if tag[1].endswith("(anonymous)") else f"{tag[0]} {tag[1]}"
                if tag[0] == "enum" and name.endswith("(anonymous)"):
                    name = anonymous_enum_name([n for n, _ in enumerators(_text(spec))])
                out.append(CDef(tag[0], name, start, end, _body_line(spec)))
        elif t == "declaration":
            declarator = child.child_by_field_name("declarator")
            name = _declarator_name(declarator) or "?"
            kind = "prototype" if has_function_declarator(declarator) else "global"
            out.append(CDef(kind, name, start, end, start))
        elif t in ("preproc_ifdef", "preproc_if", "preproc_else", "preproc_elif", "ERROR",
                   "linkage_specification", "declaration_list"):
            _collect(child, out)


def anonymous_enum_name(names: list[str]) -> str:
    """Kernel code names anonymous enums by their constants' prefix:
    IO_WORKER_F_UP, IO_WORKER_F_RUNNING -> "enum IO_WORKER_F_*"."""
    if not names:
        return "enum (anonymous)"
    prefix = names[0]
    for name in names[1:]:
        while not name.startswith(prefix):
            prefix = prefix[:-1]
    prefix = prefix[: prefix.rfind("_") + 1] if "_" in prefix else prefix
    if len(names) == 1:
        return f"enum {{{names[0]}}}"
    return f"enum {prefix}*" if len(prefix) >= 3 else "enum (anonymous)"


def _fragment_body(text: str, tags: str, node_types: tuple[str, ...]) -> Node | None:
    """The body node of a struct/union/enum given text that starts at or
    inside it: a missing opener is supplied and open braces are closed, so
    a hunk's few lines of a struct parse as that struct."""
    if not re.match(rf"^\s*(?:typedef\s+)?(?:{tags})\b[^{{;]*\{{", text):
        text = f"{tags.split('|')[0]} __fragment {{\n" + text
    depth = text.count("{") - text.count("}")
    tree = parse(text + "\n" + "};" * max(depth, 0))
    return _first_body(tree.root_node, node_types)


def members(struct_text: str) -> list[Member]:
    """Members of a struct/union body, given text that starts inside or at
    the opening of the body."""
    body = _fragment_body(struct_text, "struct|union", ("struct_specifier", "union_specifier"))
    result: list[Member] = []
    if body is None:
        return result
    for field in body.named_children:
        if field.type != "field_declaration":
            continue
        type_node = field.child_by_field_name("type")
        declarators = field.children_by_field_name("declarator")
        base = " ".join(_text(type_node).split()) if type_node is not None else "?"
        if not declarators:  # anonymous union/struct member
            result.append(Member(f"({base.split('{')[0].strip()})", base.split("{")[0].strip()))
        for declarator in declarators:
            name = _declarator_name(declarator) or "?"
            stars = _text(declarator).split(name)[0].count("*") if name in _text(declarator) else 0
            suffix = ""
            if declarator.type == "array_declarator" or "[" in _text(declarator):
                suffix = "[" + _text(declarator).split("[", 1)[1]
            typ = base + (" " + "*" * stars if stars else "") + suffix
            result.append(Member(name, " ".join(typ.split())))
    return result


def enumerators(enum_text: str) -> list[tuple[str, str | None]]:
    """(name, value as written) for an enum body fragment."""
    body = _fragment_body(enum_text, "enum", ("enum_specifier",))
    result = []
    if body is None:
        return result
    for item in body.named_children:
        if item.type == "enumerator":
            name = item.child_by_field_name("name")
            value = item.child_by_field_name("value")
            result.append((_text(name), " ".join(_text(value).split()) if value is not None else None))
    return result


def _first_body(node: Node, types: tuple[str, ...]) -> Node | None:
    if node.type in types and node.child_by_field_name("body") is not None:
        return node.child_by_field_name("body")
    for child in node.named_children:
        found = _first_body(child, types)
        if found is not None:
            return found
    return None


_CONTROL = {"if", "for", "while", "switch", "return", "else", "do", "sizeof", "case", "goto"}


@lru_cache(maxsize=4096)
def header(line: str) -> tuple[str, str] | None:
    """What a line that opens a top-level construct defines: ("function",
    "create_worker_cb"), ("struct", "struct io_worker"), ("enum", "enum
    (anonymous)"), ("macro", "IO_WQ_HASH_ORDER"); None for anything else
    (statements, members, labels, comments)."""
    stripped = line.strip()
    if not stripped or stripped.startswith(("/*", "*", "//", "}", "{")):
        return None
    if m := re.match(r"^#\s*define\s+(\w+)", stripped):
        return "macro", m.group(1)
    first = re.match(r"^[A-Za-z_]\w*", stripped)
    if not first or first.group(0) in _CONTROL or re.match(r"^\w+\s*:(?!:)", stripped):
        return None
    if stripped.endswith(";"):
        # At top level: a prototype or a global; the caller decides from
        # indentation whether this line is at top level at all.
        tree = parse(stripped)
        for node in tree.root_node.named_children:
            if node.type == "declaration" and not node.has_error:
                declarator = node.child_by_field_name("declarator")
                name = _declarator_name(declarator)
                if name and node.child_by_field_name("type") is not None:
                    return ("prototype" if has_function_declarator(declarator) else "global"), name
        return None
    if re.match(r"^\w+\s*\(", stripped) and not re.match(r"^(?:struct|union|enum)\b", stripped):
        return None  # a call statement: a header has a type before the name
    probe = stripped.rstrip("{").rstrip()
    if re.match(r"^(?:typedef\s+)?(?:struct|union|enum)\b[^;(=]*$", probe):
        tree = parse(probe + " { int __x; };" if not probe.startswith("enum") else probe + " { __X };")
        for node in _walk(tree.root_node):
            tag = _tagged(node)
            if tag:
                return tag[0], tag[1] if tag[1].endswith("(anonymous)") else f"{tag[0]} {tag[1]}"
        return None
    if "(" in probe and not probe.endswith(";"):
        # A signature, possibly cut after its first line of parameters.
        open_parens = probe.count("(") - probe.count(")")
        closed = (probe.rstrip(",") if open_parens > 0 else probe) + ")" * max(open_parens, 0)
        tree = parse(closed + " {}")
        for node in tree.root_node.named_children:
            if node.type == "function_definition" and not node.has_error:
                name = _declarator_name(node.child_by_field_name("declarator"))
                if name:
                    return "function", name
        return None
    if "=" in probe and probe.endswith(("{", "=")) or re.match(r"^(?:static\s+)?(?:const\s+)?struct\s+\w+\s+\w+", probe):
        m = re.search(r"(\w+)\s*(?:\[[^\]]*\])?\s*=", probe)
        if m:
            return "global", m.group(1)
    return None


def _walk(node: Node):
    """Every named node below node, in document order. Iterative: a mail can
    nest C a thousand levels deep, deeper than Python's stack."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.named_children))
