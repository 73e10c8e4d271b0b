"""A C file read for execution: its types (structs, unions, enums,
typedefs), constants (enumerators and integer `#define`s) and functions,
each function compiled on first use (triage/cexec/compile.py).

Types the file uses but does not define come from `extra` (C text a
runtime gives: the kernel's list_head, atomic_t ...) or stay opaque.
"""

from __future__ import annotations

from typing import Iterable

from tree_sitter import Node

from triage.cexec import ctype as C
from triage.cexec.source import prepare
from triage.diff import cexpr
from triage.diff.csource import has_function_declarator, object_macros, parse

def text(node: Node) -> str:
    return node.text.decode("utf-8", "replace")


class Program:
    def __init__(self, source: str, name: str = "io-wq.c", extra: Iterable[str] = ()) -> None:
        self.name = name
        self.structs: dict[str, C.StructType] = {}
        self.typedefs: dict[str, C.CType] = {}
        self.consts: dict[str, int] = {}
        self.functions: dict[str, Node] = {}
        self.returns: dict[str, C.CType] = {}
        self.globals: dict[str, tuple[C.CType, Node | None]] = {}
        self.extern: set[str] = set()  # globals declared `extern` by a runtime's C: the runtime gives their value
        self.compiled: dict[str, object] = {}
        # (function, line) of every statement compiled -> its last line: the
        # coverage keys, and where a changed line's statement ends
        self.spans: dict[tuple[str, int], int] = {}
        self.own: dict[str, tuple[int, int]] = {}  # the source's own functions -> (first, last) line
        self._anon = 0
        pieces = list(extra) + [source]
        for index, piece in enumerate(pieces):
            self._read(prepare(piece), own=index == len(pieces) - 1)

    @property
    def lines(self):
        """(function, line) of every statement compiled."""
        return self.spans.keys()

    # ------------------------------------------------------------- reading

    def _read(self, prepared: str, own: bool = False) -> None:
        tree = parse(prepared)
        self._reading_own = own
        # integer #defines the file's constants can evaluate (first one wins,
        # as the layout engine has it: `#if BITS_PER_LONG == 64` pairs);
        # before the structs, whose array sizes use them (hash_tail[IO_WQ_NR_HASH_BUCKETS]),
        # and again after the enums, which some of them use
        defines = object_macros(prepared)
        self._defines(defines)
        for node in tree.root_node.children:
            self._top(node)
        self._defines(defines)

    def _defines(self, defines: dict[str, str]) -> None:
        for name, body in defines.items():
            if name in self.consts:
                continue
            value = cexpr.try_evaluate(body, {**defines, **{k: str(v) for k, v in self.consts.items()}})
            if isinstance(value, int):
                self.consts[name] = value

    def _top(self, node: Node) -> None:
        t = node.type
        if t == "function_definition":
            declarator = node.child_by_field_name("declarator")
            name, ret = self._function_name(node.child_by_field_name("type"), declarator)
            if name:
                self.functions[name] = node
                self.returns[name] = ret
                if self._reading_own:  # the lines of the file itself (the runtime's C has its own numbering)
                    self.own[name] = (node.start_point[0] + 1, node.end_point[0] + 1)
                else:
                    self.own.pop(name, None)
        elif t in ("declaration", "type_definition"):
            self._declaration(node)
        elif t in ("preproc_if", "preproc_ifdef", "preproc_else", "preproc_elif"):
            for child in node.children:
                self._top(child)
        elif t in ("struct_specifier", "union_specifier", "enum_specifier"):
            self.type_of(node)
        elif t == "expression_statement" or t == "ERROR":
            return

    def _function_name(self, type_node: Node | None, declarator: Node | None) -> tuple[str | None, C.CType]:
        base = self.type_of(type_node) if type_node is not None else C.INT
        node = declarator
        while node is not None and node.type != "function_declarator":
            if node.type == "pointer_declarator":
                base = C.PointerType(base)
            node = node.child_by_field_name("declarator")
        if node is None:
            return None, base
        inner = node.child_by_field_name("declarator")
        while inner is not None and inner.type not in ("identifier", "field_identifier"):
            inner = inner.child_by_field_name("declarator")
        return (text(inner) if inner is not None else None), base

    def _declaration(self, node: Node) -> None:
        type_node = node.child_by_field_name("type")
        base = self.type_of(type_node) if type_node is not None else C.INT
        if node.type == "type_definition":
            for d in node.children_by_field_name("declarator"):
                name, t = self.declarator(d, base)
                if name:
                    self.typedefs[name] = t
            return
        for d in node.children_by_field_name("declarator"):
            value = None
            if d.type == "init_declarator":
                value = d.child_by_field_name("value")
                d = d.child_by_field_name("declarator")
            if d.type == "function_declarator" or (d.type == "pointer_declarator" and has_function_declarator(d)):
                name, ret = self._function_name(type_node, d)
                if name and name not in self.returns:
                    self.returns[name] = ret
                continue
            name, t = self.declarator(d, base)
            if name:
                self.globals[name] = (t, value)
                if any(c.type == "storage_class_specifier" and text(c) == "extern" for c in node.children):
                    self.extern.add(name)

    # --------------------------------------------------------------- types

    def type_of(self, node: Node | None) -> C.CType:
        """The type a type specifier names."""
        if node is None:
            return C.INT
        t = node.type
        if t in ("struct_specifier", "union_specifier"):
            name_node = node.child_by_field_name("name")
            union = t == "union_specifier"
            if name_node is not None:
                tag = text(name_node)
                st = self.structs.get(tag)
                if st is None:
                    st = self.structs[tag] = C.StructType(tag, union)
            else:
                self._anon += 1
                st = C.StructType(f"(anonymous {self._anon})", union)
            body = node.child_by_field_name("body")
            if body is not None and not st.defined:
                st.members = self._members(body)
                st.defined = True
            return st
        if t == "enum_specifier":
            body = node.child_by_field_name("body")
            if body is not None:
                self._enumerators(body)
            name_node = node.child_by_field_name("name")
            return C.UINT if name_node is None else C.UINT  # enums are unsigned int here (all io-wq values >= 0)
        if t == "primitive_type":
            return C.int_type(text(node).split()) or C.INT
        if t == "sized_type_specifier":
            return C.int_type(text(node).split()) or C.INT
        if t == "type_identifier":
            name = text(node)
            if name in self.typedefs:
                return self.typedefs[name]
            if name in C.NAMED_INTS:
                return C.NAMED_INTS[name]
            # a kernel typedef the file does not define (raw_spinlock_t ...): opaque, by name
            return self.structs.setdefault(name, C.StructType(name))
        if t == "type_descriptor":
            base = self.type_of(node.child_by_field_name("type"))
            d = node.child_by_field_name("declarator")
            return self.abstract(d, base) if d is not None else base
        if t == "macro_type_specifier":
            return C.INT
        return C.INT

    def abstract(self, node: Node, base: C.CType) -> C.CType:
        while node is not None:
            if node.type == "abstract_pointer_declarator":
                base = C.PointerType(base)
            elif node.type == "abstract_array_declarator":
                base = C.ArrayType(base, None)
            node = node.child_by_field_name("declarator")
        return base

    def declarator(self, node: Node, base: C.CType) -> tuple[str | None, C.CType]:
        """(name, type) of a declarator over a base type."""
        t = node.type
        if t in ("identifier", "field_identifier", "type_identifier"):
            return text(node), base
        if t == "pointer_declarator":
            return self.declarator(node.child_by_field_name("declarator"), C.PointerType(base))
        if t == "array_declarator":
            size = node.child_by_field_name("size")
            length = None
            if size is not None:
                value = cexpr.try_evaluate(text(size), {k: str(v) for k, v in self.consts.items()})
                length = value if isinstance(value, int) else None
            return self.declarator(node.child_by_field_name("declarator"), C.ArrayType(base, length))
        if t == "function_declarator":
            # C reads declarators inside out: `(*fn)(int)` is a pointer to a function
            return self.declarator(node.child_by_field_name("declarator"), C.FunctionType(base))
        if t == "parenthesized_declarator":
            inner = node.named_children[0] if node.named_children else None
            return self.declarator(inner, base) if inner is not None else (None, base)
        if t == "init_declarator":
            return self.declarator(node.child_by_field_name("declarator"), base)
        return None, base

    def _members(self, body: Node) -> list[tuple[str, C.CType]]:
        out: list[tuple[str, C.CType]] = []
        for field in body.named_children:
            if field.type == "field_declaration":
                base = self.type_of(field.child_by_field_name("type"))
                declarators = field.children_by_field_name("declarator")
                if not declarators and isinstance(base, C.StructType) and base.tag.startswith("(anonymous"):
                    out.append((base.tag, base))
                for d in declarators:
                    name, t = self.declarator(d, base)
                    if isinstance(t, C.FunctionType):  # a member cannot be a function: its pointer
                        t = C.PointerType(t)
                    if name:
                        out.append((name, t))
            elif field.type in ("preproc_if", "preproc_ifdef"):
                # members under #ifdef CONFIG_X: taken (a build with the option on)
                fake = [c for c in field.named_children if c.type == "field_declaration"]
                for c in fake:
                    base = self.type_of(c.child_by_field_name("type"))
                    for d in c.children_by_field_name("declarator"):
                        name, t = self.declarator(d, base)
                        if name:
                            out.append((name, t))
        return out

    def _enumerators(self, body: Node) -> None:
        value = -1
        for e in body.named_children:
            if e.type != "enumerator":
                continue
            name = text(e.child_by_field_name("name"))
            given = e.child_by_field_name("value")
            if given is not None:
                got = cexpr.try_evaluate(text(given), {k: str(v) for k, v in self.consts.items()})
                value = got if isinstance(got, int) else value + 1
            else:
                value += 1
            self.consts[name] = value

    def struct(self, tag: str) -> C.StructType:
        return self.structs.setdefault(tag, C.StructType(tag))

    def function(self, name: str):
        """The compiled function (compiled on first use)."""
        compiled = self.compiled.get(name)
        if compiled is None:
            from triage.cexec.compile import compile_function

            compiled = self.compiled[name] = compile_function(self, name)
        return compiled

