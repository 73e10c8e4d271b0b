"""Struct and union layout the way pahole prints it for x86_64 (LP64, GCC
rules): member offsets and sizes, holes, tail padding, cache lines and the
members that straddle them.

Rules applied (System V x86_64 psABI, GCC):
* a member is placed at the next multiple of its alignment (1 if the
  struct is packed, unless the member has its own aligned attribute);
* a struct's alignment is the largest member alignment (or its aligned
  attribute), its size is rounded up to that alignment (tail padding);
* a union's members all start at 0; its size is the largest, rounded up;
* bit-fields share a storage unit of their declared type while they fit
  without crossing that type's alignment boundary; a zero-width bit-field
  closes the unit;
* arrays are n elements of the element type; a flexible array member adds
  no size but its alignment.
Types that are neither C basics, pointers, enums, structs defined in the
same text, nor in the config profile are unknown: the layout says which
member it stopped at, it does not guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tree_sitter import Node

from triage.diff import csource
from triage.diff.profiles import TypeInfo
from triage.errors import SourceError

CACHELINE = 64

_BASIC = {
    "char": 1, "signed char": 1, "unsigned char": 1, "bool": 1, "_Bool": 1,
    "short": 2, "short int": 2, "unsigned short": 2, "unsigned short int": 2, "signed short": 2,
    "int": 4, "signed": 4, "signed int": 4, "unsigned": 4, "unsigned int": 4,
    "long": 8, "long int": 8, "unsigned long": 8, "unsigned long int": 8, "signed long": 8,
    "long long": 8, "long long int": 8, "unsigned long long": 8, "unsigned long long int": 8,
    "float": 4, "double": 8, "long double": 16,
    "u8": 1, "s8": 1, "__u8": 1, "__s8": 1, "uint8_t": 1, "int8_t": 1,
    "u16": 2, "s16": 2, "__u16": 2, "__s16": 2, "uint16_t": 2, "int16_t": 2, "__le16": 2, "__be16": 2,
    "u32": 4, "s32": 4, "__u32": 4, "__s32": 4, "uint32_t": 4, "int32_t": 4, "__le32": 4, "__be32": 4,
    "u64": 8, "s64": 8, "__u64": 8, "__s64": 8, "uint64_t": 8, "int64_t": 8, "__le64": 8, "__be64": 8,
    "size_t": 8, "ssize_t": 8, "uintptr_t": 8, "intptr_t": 8, "ptrdiff_t": 8,
    # pahole's spellings, as they appear in dumps pasted into mail
    "long unsigned int": 8, "long long unsigned int": 8, "short unsigned int": 2, "long signed int": 8,
}
# pahole prints the canonical spelling
_PAHOLE_NAME = {"unsigned": "unsigned int", "unsigned long": "long unsigned int", "long": "long int",
                "unsigned long long": "long long unsigned int", "long long": "long long int",
                "unsigned short": "short unsigned int", "short": "short int", "unsigned char": "unsigned char"}

# Kernel attribute macros, rewritten to what tree-sitter understands.
_MACROS = (
    (re.compile(r"\b____cacheline_aligned(?:_in_smp)?\b"), f"__attribute__((aligned({CACHELINE})))"),
    (re.compile(r"\b__aligned\s*\(([^()]*)\)"), r"__attribute__((aligned(\1)))"),
    (re.compile(r"\b__packed\b"), "__attribute__((packed))"),
    # include/linux/types.h: #define rcu_head callback_head
    (re.compile(r"\bstruct\s+rcu_head\b"), "struct callback_head"),
    (re.compile(r"\b__randomize_layout\b|\b__rcu\b|\b__user\b|\b__iomem\b|\b__percpu\b"), ""),
    (re.compile(r"/\*.*?\*/", re.DOTALL), lambda m: re.sub(r"[^\n]", " ", m.group(0))),
)


@dataclass(frozen=True)
class MemberLayout:
    name: str
    type: str  # as pahole prints it
    offset: int
    size: int
    align: int
    bit_offset: int | None = None  # bit-fields: bit position within the unit
    bits: int | None = None
    forced: bool = False  # has (or its type has) an explicit aligned attribute
    nested: "StructLayout | None" = None  # an inline struct/union

    @property
    def end(self) -> int:
        return self.offset + self.size


@dataclass(frozen=True)
class Hole:
    after: str  # the member before it ("" at the start)
    offset: int
    size: int
    forced: bool  # caused by the next member's forced alignment


@dataclass(frozen=True)
class StructLayout:
    kind: str  # struct | union
    name: str
    profile: str
    size: int
    align: int
    members: tuple[MemberLayout, ...]
    holes: tuple[Hole, ...]
    padding: int
    forced_align: int | None  # the struct's own aligned attribute (or inherited from members)
    packed: bool
    unknown: str | None = None  # "member x: unknown type struct foo"

    @property
    def cachelines(self) -> int:
        return -(-self.size // CACHELINE)

    @property
    def sum_members(self) -> int:
        return sum(m.size for m in self.members if m.bits is None) + self._bitfield_units

    @property
    def _bitfield_units(self) -> int:
        seen = {}
        for m in self.members:
            if m.bits is not None:
                seen[m.offset] = max(seen.get(m.offset, 0), m.size)
        return sum(seen.values())

    @property
    def straddling(self) -> tuple[str, ...]:
        """Members that cross a cache-line boundary."""
        return tuple(m.name or f"({m.type})" for m in self.members
                     if m.size and m.offset // CACHELINE != (m.end - 1) // CACHELINE)

    @property
    def forced_alignments(self) -> int:
        return sum(1 for m in self.members if m.forced)


class _Types:
    """Resolves type names for one source text and one profile."""

    def __init__(self, text: str, profile: dict[str, TypeInfo], profile_name: str) -> None:
        self.text = _normalise(text)
        self.tree = csource.parse(self.text)
        self.profile = profile
        self.profile_name = profile_name
        self.defines = {m.group(1): m.group(2) for m in re.finditer(r"^#\s*define\s+(\w+)\s+(.+)$", self.text, re.M)}
        self.cache: dict[str, StructLayout] = {}

    def find(self, kind: str, name: str) -> Node | None:
        for node in csource._walk(self.tree.root_node):
            if node.type == f"{kind}_specifier" and node.child_by_field_name("body") is not None:
                tag = node.child_by_field_name("name")
                if tag is not None and tag.text.decode() == name:
                    return node
        return None

    def number(self, node: Node | None) -> int | None:
        if node is None:
            return None
        text = node.text.decode().strip()
        for _ in range(4):  # macros defined in the same text
            if text in self.defines:
                text = self.defines[text].strip()
        text = re.sub(r"(?<=\d)[uUlL]+\b", "", text)
        if not re.fullmatch(r"[\d\s+\-*/()x]+", text):
            return None
        try:
            return int(eval(text, {"__builtins__": {}}))  # digits and operators only (checked above)
        except (SyntaxError, ZeroDivisionError, ValueError):
            return None


def _normalise(text: str) -> str:
    for pattern, repl in _MACROS:
        text = pattern.sub(repl, text)
    return text


def _attr_align(node: Node) -> tuple[int | None, bool]:
    """(aligned(N), packed) from attribute_specifier children of node."""
    align, packed = None, False
    for child in node.children:
        if child.type == "attribute_specifier":
            text = child.text.decode()
            for m in re.finditer(r"\b_*aligned_*\s*\(\s*(\d+)\s*\)", text):
                align = max(align or 0, int(m.group(1)))
            if re.search(r"\b_*aligned_*\b(?!\s*\()", text):
                align = max(align or 0, 16)  # bare aligned: the target's biggest alignment
            if re.search(r"\b_*packed_*\b", text):
                packed = True
    return align, packed


def layout(text: str, name: str, profile: dict[str, TypeInfo], profile_name: str) -> StructLayout:
    """Layout of `struct name` (or `union name`) defined in text."""
    types = _Types(text, profile, profile_name)
    kind, _, tag = name.partition(" ") if " " in name else ("struct", "", name)
    node = types.find(kind, tag)
    if node is None:
        raise SourceError(name, f"no definition of {kind} {tag} in the text")
    return _aggregate(types, node, f"{kind} {tag}")


def _aggregate(types: _Types, node: Node, label: str) -> StructLayout:
    if label in types.cache:
        return types.cache[label]
    kind = node.type.split("_")[0]
    own_align, packed = _attr_align(node)
    parent = node.parent
    if parent is not None and parent.type in ("declaration", "type_definition", "field_declaration"):
        a2, p2 = _attr_align(parent)
        own_align = max(own_align or 0, a2 or 0) or None
        packed = packed or p2
    members: list[MemberLayout] = []
    holes: list[Hole] = []
    offset = 0
    bit_unit: tuple[int, int, int] | None = None  # (unit offset, unit size, bits used)
    max_align = 1
    size = 0
    unknown = None
    body = node.child_by_field_name("body")
    for fdecl in body.named_children:
        if fdecl.type != "field_declaration":
            continue
        try:
            entries = _field(types, fdecl)
        except _Unknown as exc:
            unknown = f"{exc}"
            break
        for m_name, m_type, m_size, m_align, m_forced, bits, nested, flexible in entries:
            align = m_align if not packed or m_forced else 1
            max_align = max(max_align, align)
            if bits is not None and kind == "struct":
                if bits == 0:
                    bit_unit = None
                    offset = _round(offset, align)
                    continue
                unit_bits = m_size * 8
                if bit_unit is not None and bit_unit[1] == m_size and bit_unit[2] + bits <= unit_bits:
                    unit_off, _, used = bit_unit
                    members.append(MemberLayout(m_name, m_type, unit_off, m_size, align, used, bits))
                    bit_unit = (unit_off, m_size, used + bits)
                    continue
                start = _round(offset, align)
                if start > offset:
                    holes.append(Hole(members[-1].name if members else "", offset, start - offset, False))
                members.append(MemberLayout(m_name, m_type, start, m_size, align, 0, bits))
                bit_unit = (start, m_size, bits)
                offset = start + m_size
                size = max(size, offset)
                continue
            bit_unit = None
            if kind == "union":
                members.append(MemberLayout(m_name, m_type, 0, m_size, align, None, None, m_forced, nested))
                size = max(size, m_size)
                continue
            start = _round(offset, align)
            if start > offset:
                holes.append(Hole(members[-1].name if members else "", offset, start - offset, m_forced))
            members.append(MemberLayout(m_name, m_type, start, 0 if flexible else m_size, align, None, None,
                                        m_forced, nested))
            offset = start + (0 if flexible else m_size)
            size = max(size, offset)
    struct_align = max(max_align if not packed else 1, own_align or 0)
    inherited_forced = any(m.forced for m in members)
    total = _round(size, struct_align)
    result = StructLayout(
        kind=kind, name=label, profile=types.profile_name, size=total, align=struct_align,
        members=tuple(members), holes=tuple(holes), padding=total - size,
        forced_align=own_align or (struct_align if inherited_forced else None), packed=packed, unknown=unknown)
    types.cache[label] = result
    return result


class _Unknown(Exception):
    pass


def _round(value: int, align: int) -> int:
    return -(-value // align) * align if align > 1 else value


def _field(types: _Types, fdecl: Node):
    """[(name, type, size, align, forced, bits, nested, flexible)] for one declaration."""
    type_node = fdecl.child_by_field_name("type")
    forced_attr, _ = _attr_align(fdecl)
    base_name, base = _base(types, type_node)
    declarators = fdecl.children_by_field_name("declarator")
    # one bitfield_clause per declarator that has one ("unsigned a:3, b:5;")
    bit_clauses = [c for c in fdecl.children if c.type == "bitfield_clause"]
    out = []
    if not declarators and bit_clauses:  # "unsigned :0;" or an unnamed padding bit-field
        bits = types.number(bit_clauses[0].named_children[0]) if bit_clauses[0].named_children else None
        if base is None:
            raise _Unknown(f"unnamed bit-field of unknown type {base_name}")
        out.append(("", base_name, base[0], base[1], False, bits, None, False))
        return out
    if not declarators:  # anonymous struct/union member
        if base is None:
            raise _Unknown(f"anonymous member of unknown type {base_name}")
        nested = base[3]
        align = max(base[1], forced_attr or 0)
        forced = bool(forced_attr) or base[2]
        out.append(("", base_name, base[0], align, forced, None, nested, False))
        return out
    for k, decl in enumerate(declarators):
        name, pointer, dims, func = _declarator(decl)
        flexible = False
        if pointer or func:
            size, align, forced, nested = 8, 8, False, None
            type_text = base_name + " " + "*" * max(pointer, 1)
        else:
            if base is None:
                raise _Unknown(f"member {name}: unknown type {base_name} in profile {types.profile_name}")
            size, align, forced, nested = base
            type_text = base_name
        for dim in dims:
            if dim is None:
                flexible = True
                continue
            n = types.number(dim)
            if n is None:
                raise _Unknown(f"member {name}: array size {dim.text.decode()} is not a known constant")
            size *= n
        if dims:
            type_text += "".join(f"[{'' if d is None else d.text.decode()}]" for d in dims)
        if forced_attr:
            align = max(align, forced_attr)
            forced = True
        bits = None
        clause = bit_clauses[k] if k < len(bit_clauses) else None
        if clause is not None:
            bits = types.number(clause.named_children[0]) if clause.named_children else None
        out.append((name, type_text, size, align, forced, bits, nested, flexible))
    return out


def _declarator(node: Node) -> tuple[str, int, list, bool]:
    """(name, pointer depth, array dims outermost first, is function pointer)."""
    pointer = 0
    dims: list = []
    func = False
    while node is not None:
        t = node.type
        if t in ("field_identifier", "identifier"):
            return node.text.decode(), pointer, list(reversed(dims)), func
        if t == "pointer_declarator":
            pointer += 1
        elif t == "array_declarator":
            dims.append(node.child_by_field_name("size"))
        elif t == "function_declarator":
            func = True
        elif t == "parenthesized_declarator":
            node = node.named_children[0] if node.named_children else None
            continue
        node = node.child_by_field_name("declarator")
    return "?", pointer, dims, func


def _base(types: _Types, node: Node):
    """(pahole type name, (size, align, forced, nested) or None if unknown)."""
    t = node.type
    text = " ".join(node.text.decode().split())
    if t in ("primitive_type", "sized_type_specifier"):
        words = [w for w in text.split() if w not in ("const", "volatile")]
        key = " ".join(words)
        if key in _BASIC:
            return _PAHOLE_NAME.get(key, key), (_BASIC[key], min(_BASIC[key], 16), False, None)
        return key, None
    if t == "type_identifier":
        if text in _BASIC:
            return text, (_BASIC[text], _BASIC[text], False, None)
        info = types.profile.get(text)
        return text, (info.size, info.align, info.forced, None) if info else None
    if t in ("struct_specifier", "union_specifier"):
        kind = t.split("_")[0]
        tag = node.child_by_field_name("name")
        if node.child_by_field_name("body") is not None:
            label = f"{kind} {tag.text.decode()}" if tag is not None else kind
            nested = _aggregate(types, node, label if tag is not None else f"{kind}@{node.start_byte}")
            if nested.unknown:
                raise _Unknown(nested.unknown)
            forced = nested.forced_align is not None
            return label, (nested.size, nested.align, forced, nested)
        label = f"{kind} {tag.text.decode()}"
        info = types.profile.get(label)
        if info is not None:
            return label, (info.size, info.align, info.forced, None)
        defined = types.find(kind, tag.text.decode())
        if defined is not None:
            nested = _aggregate(types, defined, label)
            if nested.unknown:
                raise _Unknown(nested.unknown)
            return label, (nested.size, nested.align, nested.forced_align is not None, None)
        return label, None
    if t == "enum_specifier":
        tag = node.child_by_field_name("name")
        return (f"enum {tag.text.decode()}" if tag is not None else "enum"), (4, 4, False, None)
    return text, None


# ------------------------------------------------------------------ pahole text


def pahole(lay: StructLayout, indent: int = 1, base: int = 0) -> str:
    """The listing pahole prints (`pahole -C name vmlinux`); nested members
    show offsets from the start of the outermost struct, as pahole does."""
    if lay.unknown:
        return f"/* {lay.name}: layout unknown in profile {lay.profile}: {lay.unknown} */\n"
    lines = [f"{lay.kind} {lay.name.split(' ', 1)[-1]} {{" if indent == 1 else f"{lay.kind} {{"]
    lines += _body(lay, indent, base)
    tab = "\t" * indent
    if indent == 1:
        lines.append("")
        lines += [f"{tab}/* {x} */" for x in summary_lines(lay)]
    tail = f"}} __attribute__((__aligned__({lay.forced_align})))" if lay.forced_align else "}"
    if lay.packed:
        tail = "} __attribute__((__packed__))"
    lines.append(tail + (";" if indent == 1 else ""))
    return "\n".join(lines) + ("\n" if indent == 1 else "")


def _body(lay: StructLayout, indent: int, base: int) -> list[str]:
    tab = "\t" * indent
    out: list[str] = []
    next_line = (base // CACHELINE + 1) * CACHELINE
    holes = {h.offset: h for h in lay.holes}
    for i, m in enumerate(lay.members):
        absolute = base + m.offset
        if indent == 1:
            while absolute >= next_line and lay.kind == "struct":
                line_no = next_line // CACHELINE
                ago = absolute - next_line
                out.append(f"{tab}/* --- cacheline {line_no} boundary ({next_line} bytes)"
                           + (f" was {ago} bytes ago" if ago else "") + " --- */")
                next_line += CACHELINE
        if m.nested is not None:
            inner = _body(m.nested, indent + 1, absolute)
            attr = f" __attribute__((__aligned__({m.nested.forced_align})))" if m.nested.forced_align else ""
            out.append(f"{tab}{m.nested.kind} {{")
            out += inner
            out.append(f"{tab}{'}' + attr + ((' ' + m.name) if m.name else '') + ';':<48} "
                       f"/* {absolute:5d} {m.size:5d} */")
        else:
            attr = f" __attribute__((__aligned__({m.align})))" if m.forced else ""
            decl = f"{m.type:<26} {m.name}" + (f":{m.bits}" if m.bits is not None else "") + f"{attr};"
            where = f"/* {absolute:5d}" + (f":{m.bit_offset:2d}" if m.bits is not None else "") + f" {m.size:5d} */"
            out.append(f"{tab}{decl:<48} {where}")
        hole = holes.get(m.end if m.bits is None else m.offset + m.size)
        if hole is not None and hole.offset >= m.offset and (i + 1 == len(lay.members)
                                                             or lay.members[i + 1].offset > m.offset):
            out.append("")
            out.append(f"{tab}/* XXX {hole.size} byte{'s' if hole.size != 1 else ''} hole, try to pack */")
            out.append("")
    return out


def summary_lines(lay: StructLayout) -> list[str]:
    named = len([m for m in lay.members])
    lines = [f"size: {lay.size}, cachelines: {lay.cachelines}, members: {named}"]
    if lay.holes:
        lines.append(f"sum members: {lay.sum_members}, holes: {len(lay.holes)}, "
                     f"sum holes: {sum(h.size for h in lay.holes)}")
    if lay.padding:
        lines.append(f"padding: {lay.padding}")
    forced_holes = [h for h in lay.holes if h.forced]
    if lay.forced_alignments:
        text = f"forced alignments: {lay.forced_alignments}"
        if forced_holes:
            text += f", forced holes: {len(forced_holes)}, sum forced holes: {sum(h.size for h in forced_holes)}"
        lines.append(text)
    if lay.size % CACHELINE:
        lines.append(f"last cacheline: {lay.size % CACHELINE} bytes")
    return lines


def summary(lay: StructLayout) -> str:
    if lay.unknown:
        return f"{lay.name} [{lay.profile}]: layout unknown ({lay.unknown})"
    holes = sum(h.size for h in lay.holes)
    text = (f"{lay.name} [{lay.profile}]: size {lay.size}, cachelines {lay.cachelines}, "
            f"holes {len(lay.holes)} ({holes} bytes), padding {lay.padding}")
    if lay.straddling:
        text += ", straddling: " + ", ".join(lay.straddling)
    return text


def facts(text: str, name: str, profiles: dict, profile_names: tuple[str, ...] | None = None):
    """LayoutFacts per profile for one struct in text (for reports)."""
    from triage.model import LayoutFacts

    out = []
    for profile_name in profile_names or tuple(profiles):
        try:
            lay = layout(text, name, profiles[profile_name], profile_name)
        except SourceError as exc:
            out.append(LayoutFacts(profile_name, unknown=exc.problem))
            continue
        if lay.unknown:
            out.append(LayoutFacts(profile_name, unknown=lay.unknown))
            continue
        out.append(LayoutFacts(
            profile=profile_name, size=lay.size, cachelines=lay.cachelines, holes=len(lay.holes),
            sum_holes=sum(h.size for h in lay.holes), padding=lay.padding, straddling=lay.straddling,
            listing=pahole(lay)))
    return tuple(out)
