"""Struct and union layout the way pahole prints it for x86_64 (LP64, GCC
rules): member offsets and sizes, holes, tail padding, cache lines and the
members that straddle them.

Rules applied (System V x86_64 psABI, as GCC implements them; checked
against GCC + pahole by tests/test_layout_gcc.py):
* a member is placed at the next multiple of its alignment: its type's,
  raised by an aligned(N) on the member; in a packed struct (or for a
  member marked packed) 1, or the member's own aligned(N);
* a bit-field is placed at the current bit position when it fits there in
  an aligned storage unit of its declared type, else at the next such unit;
  packed bit-fields go right at the current bit; a zero-width bit-field
  moves to the next unit of its type (packed or not); named bit-fields
  give the struct their type's alignment, unnamed ones give none;
* a struct's alignment is the largest member alignment, raised by its own
  aligned(N); its size is rounded up to that alignment (tail padding);
* a union's members all start at 0; its size is the largest (a bit-field
  counts its bits rounded up to bytes), rounded up to its alignment;
* arrays are n elements of the element type; a flexible array member adds
  no size but its alignment; an enum is int-sized unless a value needs 64
  bits; array sizes, bit widths and aligned(N) are constant expressions
  evaluated by triage.diff.cexpr (the text's #defines, enumerators, sizeof).
A pointer member never needs the layout of what it points to. Types that
are neither C basics, pointers, enums, aggregates or typedefs defined in
the same text, nor in the config profile are unknown: the layout says which
member it stopped at, it does not guess; so is a struct that contains
itself or nests deeper than MAX_NESTING.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tree_sitter import Node

from triage.diff import csource
from triage.diff.cexpr import try_evaluate
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

    @property
    def bit_position(self) -> int:
        """The first bit of the member from the start of the struct."""
        return self.offset * 8 + (self.bit_offset or 0)


@dataclass(frozen=True)
class Hole:
    after: str  # the member before it ("" at the start)
    offset: int
    size: int  # bytes (0 for a hole of bits only)
    forced: bool  # caused by the next member's forced alignment
    bits: int = 0  # a hole of bits after a bit-field


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
    bit_holes: tuple[Hole, ...] = ()
    bit_padding: int = 0  # bits left in the last bit-field's storage unit

    @property
    def cachelines(self) -> int:
        return -(-self.size // CACHELINE)

    @property
    def sum_members(self) -> int:
        """Bytes of the members that are not bit-fields (pahole's "sum members")."""
        return sum(m.size for m in self.members if m.bits is None)

    @property
    def sum_bitfield_bits(self) -> int:
        return sum(m.bits for m in self.members if m.bits is not None)

    @property
    def straddling(self) -> tuple[str, ...]:
        """Members that cross a cache-line boundary."""
        return tuple(m.name or f"({m.type})" for m in self.members
                     if m.size and m.offset // CACHELINE != (m.end - 1) // CACHELINE)

    @property
    def forced_alignments(self) -> int:
        return sum(1 for m in self.members if m.forced)


MAX_NESTING = 32  # aggregates inside aggregates; deeper text is reported, not laid out
MAX_ENUMERATORS = 10_000  # enumerators evaluated per text


@dataclass(frozen=True)
class _Facts:
    """What a member's type contributes: size, alignment, whether the
    alignment was forced by an attribute, and the nested layout if inline."""

    size: int
    align: int
    forced: bool = False
    nested: "StructLayout | None" = None


@dataclass(frozen=True)
class _Entry:
    """One declarator of a field_declaration, before placement."""

    name: str
    type: str
    facts: _Facts
    user_align: int | None  # aligned(N) on the member itself
    packed: bool  # packed on the member itself
    bits: int | None
    flexible: bool


class _Unknown(Exception):
    pass


class _Types:
    """Resolves type names for one source text and one profile."""

    def __init__(self, text: str, profile: dict[str, TypeInfo], profile_name: str) -> None:
        self.text = _normalise(text)
        # tree-sitter-c does not parse `union __attribute__((packed)) tag {`
        # (it does for struct): the attribute is kept aside, by tag, and
        # blanked so that the text still parses
        self.leading: dict[tuple[str, str], str] = {}

        def aside(m: re.Match) -> str:
            self.leading[(m.group(1), m.group(3))] = m.group(2)
            return m.group(1) + " " * len(m.group(2)) + m.group(0)[len(m.group(1)) + len(m.group(2)):]

        self.text = _LEADING_ATTRIBUTE.sub(aside, self.text)
        self.tree = csource.parse(self.text)
        self.profile = profile
        self.profile_name = profile_name
        self.tagged: dict[tuple[str, str], Node] = {}
        self.typedefs: dict[str, Node] = {}
        for node in csource._walk(self.tree.root_node):
            if node.type in ("struct_specifier", "union_specifier", "enum_specifier") \
                    and node.child_by_field_name("body") is not None:
                tag = node.child_by_field_name("name")
                if tag is not None:
                    self.tagged.setdefault((node.type.split("_")[0], tag.text.decode()), node)
            elif node.type == "type_definition":
                for decl in node.children_by_field_name("declarator"):
                    if decl.type == "type_identifier":
                        self.typedefs.setdefault(decl.text.decode(), node)
        # object-like macros, the first of each name (the profiles are 64-bit)
        self.names: dict[str, str | int] = dict(csource.object_macros(self.text))
        self.enum_sizes: dict[Node, int | None] = {}
        self._enumerators()
        self.cache: dict[str, StructLayout] = {}
        self.in_progress: set[str] = set()

    def _enumerators(self) -> None:
        """Every enumerator's value, in text order (a later one may use an
        earlier one, as in `IO_WQ_ACCT_NR`); the enum's size as GCC picks it:
        int-sized unless a value needs 64 bits."""
        count = 0
        for (kind, _), node in list(self.tagged.items()) + [
                (("enum", ""), n) for n in csource._walk(self.tree.root_node)
                if n.type == "enum_specifier" and n.child_by_field_name("name") is None
                and n.child_by_field_name("body") is not None]:
            if kind != "enum":
                continue
            value, values = -1, []
            for item in node.child_by_field_name("body").named_children:
                if item.type != "enumerator" or count >= MAX_ENUMERATORS:
                    continue
                count += 1
                expr = item.child_by_field_name("value")
                value = try_evaluate(expr.text.decode(), self.names, self.sizeof) if expr is not None \
                    else (value + 1 if value is not None else None)
                values.append(value)
                name = item.child_by_field_name("name").text.decode()
                if value is not None:
                    self.names.setdefault(name, value)
            if any(v is None for v in values):
                self.enum_sizes[node] = None
            else:
                fits = all(-(1 << 31) <= v < (1 << 32) for v in values)
                self.enum_sizes[node] = 4 if fits else 8

    def number(self, node: Node | None) -> int | None:
        if node is None:
            return None
        return try_evaluate(node.text.decode(), self.names, self.sizeof)

    def sizeof(self, name: str) -> int | None:
        """sizeof(type name) for the constant evaluator."""
        try:
            facts = self.facts_of(name)
        except _Unknown:
            return None
        return facts.size if facts else None

    def facts_of(self, name: str, depth: int = 0) -> _Facts | None:
        """A type written as text (`unsigned short`, `struct s *`, `u32`)."""
        name = " ".join(name.replace("*", " * ").split())
        if name.endswith("*"):
            return _Facts(8, 8)
        key = " ".join(w for w in name.split() if w not in ("const", "volatile"))
        if key in _BASIC:
            return _Facts(_BASIC[key], min(_BASIC[key], 16))
        kind, _, tag = key.partition(" ")
        if kind in ("struct", "union", "enum") and tag:
            return self.named(kind, tag, depth)
        return self.typedef(key, depth) if " " not in key else None

    def named(self, kind: str, tag: str, depth: int = 0) -> _Facts | None:
        """`struct tag` / `union tag` / `enum tag` by name: the profile, else
        its definition in the text."""
        label = f"{kind} {tag}"
        if kind == "enum":
            node = self.tagged.get(("enum", tag))
            size = self.enum_sizes.get(node, 4) if node is not None else 4
            if size is None:
                raise _Unknown(f"{label}: an enumerator value is not a known constant")
            return _Facts(size, size)
        info = self.profile.get(label)
        if info is not None:
            return _Facts(info.size, info.align, info.forced)
        node = self.tagged.get((kind, tag))
        if node is None:
            return None
        lay = aggregate(self, node, label, depth + 1)
        if lay.unknown:
            raise _Unknown(lay.unknown)
        return _Facts(lay.size, lay.align, lay.forced_align is not None)

    def typedef(self, name: str, depth: int) -> _Facts | None:
        info = self.profile.get(name)
        if info is not None:
            return _Facts(info.size, info.align, info.forced)
        node = self.typedefs.get(name)
        if node is None:
            return None
        if depth > MAX_NESTING:
            raise _Unknown(f"typedef {name} nests more than {MAX_NESTING} deep")
        if name in self.in_progress:
            raise _Unknown(f"typedef {name} refers to itself")
        self.in_progress.add(name)
        try:
            decl = next(d for d in node.children_by_field_name("declarator") if d.text.decode() == name)
            own, _ = _attributes(self, node)
            _, facts = _resolve(self, node.child_by_field_name("type"), depth + 1)
            if decl.type != "type_identifier" or facts is None:
                return None
            if own:  # typedef long al8 __attribute__((aligned(8)))
                return _Facts(facts.size, max(facts.align, own), True)
            return facts
        finally:
            self.in_progress.discard(name)


def _normalise(text: str) -> str:
    """Comments blanked (line numbers kept), kernel attribute macros
    spelled out, except on preprocessor lines: `#define __packed ...`
    must stay a definition of __packed."""
    *macros, comments = _MACROS
    text = comments[0].sub(comments[1], text)
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if not line.lstrip().startswith("#"):
            for pattern, repl in macros:
                line = pattern.sub(repl, line)
            lines[i] = line
    return "\n".join(lines)


_LEADING_ATTRIBUTE = re.compile(r"\b(union|struct)(\s+__attribute__\s*\(\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\)\))"
                                r"\s*(\w+)\s*\{")


def _attributes(types: _Types, node: Node) -> tuple[int | None, bool]:
    """(aligned(N), packed) from the attribute_specifier children of node.
    N may be any constant expression (`aligned(sizeof(long))`)."""
    texts = [child.text.decode() for child in node.children if child.type == "attribute_specifier"]
    tag = node.child_by_field_name("name") if node.type in ("struct_specifier", "union_specifier") else None
    if tag is not None:
        texts += [types.leading.get((node.type.split("_")[0], tag.text.decode()), "")]
    return _attribute_values(types, texts)


def _attribute_values(types: _Types, texts: list[str]) -> tuple[int | None, bool]:
    align, packed = None, False
    for text in texts:
        for m in re.finditer(r"\b_*aligned_*\b", text):
            rest = text[m.end():].lstrip()
            if rest.startswith("("):
                depth, end = 0, None
                for i, ch in enumerate(rest):
                    depth += {"(": 1, ")": -1}.get(ch, 0)
                    if depth == 0:
                        end = i
                        break
                value = try_evaluate(rest[1:end], types.names, types.sizeof) if end else None
                if value is None or value <= 0 or value & (value - 1):
                    raise _Unknown(f"aligned({rest[1:end] if end else rest}) is not a known power of two")
                align = max(align or 0, value)
            else:
                align = max(align or 0, 16)  # bare aligned: the target's biggest alignment
        if re.search(r"\b_*packed_*\b", text):
            packed = True
    return align, packed


def layout(text: str, name: str, profile: dict[str, TypeInfo], profile_name: str) -> StructLayout:
    """Layout of `struct name` (or `union name`) defined in text."""
    return layouts(text, (name,), profile, profile_name)[name]


def layouts(text: str, names: tuple[str, ...], profile: dict[str, TypeInfo],
            profile_name: str) -> dict[str, StructLayout]:
    """Layouts of several aggregates of one text, which is parsed once."""
    types = _Types(text, profile, profile_name)
    out = {}
    for name in names:
        kind, _, tag = name.partition(" ") if " " in name else ("struct", "", name)
        node = types.tagged.get((kind, tag))
        if node is None or kind not in ("struct", "union"):
            raise SourceError(name, f"no definition of {kind} {tag} in the text")
        out[name] = aggregate(types, node, f"{kind} {tag}")
    return out


def aggregate(types: _Types, node: Node, label: str, depth: int = 0) -> StructLayout:
    if label in types.cache:
        return types.cache[label]
    kind = node.type.split("_")[0]
    entries: list[_Entry] = []
    unknown = None
    own_align, packed = None, False
    try:
        own_align, packed = _attributes(types, node)
        parent = node.parent
        # `struct s {...} __attribute__((packed)) var;` puts the attribute on
        # the declaration; on a field_declaration or a typedef it belongs to
        # the member or the typedef, not to the struct's own size
        if parent is not None and parent.type == "declaration":
            a2, p2 = _attributes(types, parent)
            own_align = max(own_align or 0, a2 or 0) or None
            packed = packed or p2
    except _Unknown as exc:
        unknown = str(exc)
    if unknown is not None:
        pass
    elif depth > MAX_NESTING:
        unknown = f"{label}: aggregates nest more than {MAX_NESTING} deep"
    elif label in types.in_progress:
        unknown = f"{label} contains itself"
    else:
        types.in_progress.add(label)
        try:
            for fdecl in node.child_by_field_name("body").named_children:
                if fdecl.type == "field_declaration":
                    entries += _field(types, fdecl, depth)
        except _Unknown as exc:
            unknown = str(exc)
        finally:
            types.in_progress.discard(label)
    placed = (_place_union if kind == "union" else _place_struct)(entries, packed)
    members, holes, bit_holes, end_bits, max_align = placed
    struct_align = max(max_align, own_align or 0)
    used = -(-end_bits // 8)
    total = _round(used, struct_align)
    last_bits = [m for m in members if m.bits is not None and m.bit_position + m.bits == end_bits]
    bit_padding = (last_bits[-1].end * 8 - end_bits) if last_bits and kind == "struct" else 0
    inherited = any(m.forced for m in members)
    result = StructLayout(
        kind=kind, name=label, profile=types.profile_name, size=total, align=struct_align,
        members=tuple(members), holes=tuple(holes),
        padding=max(0, total - max(used, max((m.end for m in members), default=0))),
        forced_align=own_align or (struct_align if inherited else None), packed=packed, unknown=unknown,
        bit_holes=tuple(bit_holes), bit_padding=bit_padding)
    if unknown is None:
        types.cache[label] = result
    return result


def _place_struct(entries: list[_Entry], packed: bool):
    """GCC's x86_64 rules, in bits. A bit-field goes at the current bit
    position when it fits in an aligned storage unit of its declared type
    there, else at the next such unit (packed: right there); a zero-width
    bit-field moves to the next unit of its type, packed or not; unnamed
    bit-fields add no alignment to the struct (SysV psABI)."""
    members: list[MemberLayout] = []
    holes: list[Hole] = []
    bit_holes: list[Hole] = []
    bitpos, max_align = 0, 1
    end_bits, unit_end = 0, 0  # end of the last member in bits; its storage unit's end
    for e in entries:
        loose = packed or e.packed
        natural = max(e.facts.align, e.user_align or 0)
        align = (e.user_align or 1) if loose else natural
        if e.bits == 0:
            bitpos = _round(bitpos, e.facts.align * 8)
            continue
        if e.bits is not None:
            unit = e.facts.align * 8
            start = bitpos
            if not loose and bitpos // unit != (bitpos + e.bits - 1) // unit:
                start = _round(bitpos, unit)
        else:
            start = _round(-(-bitpos // 8), align) * 8
        if e.name or e.bits is None:
            max_align = max(max_align, align)
        if start > end_bits and members:
            _gap(members[-1], end_bits, unit_end, start, e, holes, bit_holes)
        elif start > 0 and not members:
            holes.append(Hole("", 0, start // 8, e.facts.forced or bool(e.user_align)))
        size = 0 if e.flexible else e.facts.size
        if e.bits is not None:
            bitpos = start + e.bits
            if e.name:
                members.append(_bitfield(e, start, align))
                end_bits, unit_end = bitpos, members[-1].end * 8
        else:
            members.append(MemberLayout(e.name, e.type, start // 8, size, align, None, None,
                                        e.facts.forced or bool(e.user_align), e.facts.nested))
            bitpos = end_bits = unit_end = start + size * 8
    return members, holes, bit_holes, bitpos, max_align


def _bitfield(e: _Entry, start: int, align: int) -> MemberLayout:
    """pahole's convention: the byte offset of the storage unit of the
    declared type that holds the first bit, and the bit within it."""
    unit_bytes = e.facts.size
    offset = start // (unit_bytes * 8) * unit_bytes
    return MemberLayout(e.name, e.type, offset, e.facts.size, align, start - offset * 8, e.bits)


def _gap(prev: MemberLayout, end_bits: int, unit_end: int, start: int, e: _Entry, holes: list[Hole],
         bit_holes: list[Hole]) -> None:
    """The hole between the previous member and the next one, split into
    the bits left in the previous bit-field's byte or unit and whole bytes."""
    limit = min(start, unit_end if unit_end >= end_bits else start)
    if prev.bits is not None and limit > end_bits:
        bit_holes.append(Hole(prev.name, end_bits // 8, 0, False, limit - end_bits))
    byte_from = -(-max(end_bits, unit_end if prev.bits is not None else end_bits) // 8)
    gap = start // 8 - byte_from
    if gap > 0:
        holes.append(Hole(prev.name, byte_from, gap, e.facts.forced or bool(e.user_align)))
    elif prev.bits is None and start % 8:
        bit_holes.append(Hole(prev.name, start // 8, 0, False, start % 8))


def _place_union(entries: list[_Entry], packed: bool):
    members: list[MemberLayout] = []
    size_bits, max_align = 0, 1
    for e in entries:
        loose = packed or e.packed
        align = (e.user_align or 1) if loose else max(e.facts.align, e.user_align or 0)
        if e.bits == 0:
            continue
        if e.name or e.bits is None:
            max_align = max(max_align, align)
        if e.bits is not None:
            size_bits = max(size_bits, _round(e.bits, 8))
            if e.name:
                members.append(MemberLayout(e.name, e.type, 0, e.facts.size, align, 0, e.bits))
            continue
        size = 0 if e.flexible else e.facts.size
        members.append(MemberLayout(e.name, e.type, 0, size, align, None, None,
                                    e.facts.forced or bool(e.user_align), e.facts.nested))
        size_bits = max(size_bits, size * 8)
    return members, [], [], size_bits, max_align


def _round(value: int, align: int) -> int:
    return -(-value // align) * align if align > 1 else value


def _field(types: _Types, fdecl: Node, depth: int) -> list[_Entry]:
    """The entries of one field_declaration (`unsigned a:3, b:5;` has two)."""
    type_node = fdecl.child_by_field_name("type")
    user_align, member_packed = _attributes(types, fdecl)
    declarators = fdecl.children_by_field_name("declarator")
    bit_clauses = [c for c in fdecl.children if c.type == "bitfield_clause"]
    base_name = _type_name(type_node)
    out = []

    def base() -> _Facts:
        # resolved only when a declarator needs the type by value: a
        # pointer never forces the layout of what it points to
        name, facts = _resolve(types, type_node, depth)
        if facts is None:
            raise _Unknown(f"{'member ' + names if names else 'a member'}: unknown type {name} "
                           f"in profile {types.profile_name}")
        return facts

    names = ", ".join(_declarator(d)[0] for d in declarators)
    unnamed = _UNNAMED_BITFIELD.match(fdecl.text.decode())
    if unnamed and _is_type(unnamed.group(1)):
        # tree-sitter-c parses `unsigned short :0;` and `int :3;` with ERROR
        # or MISSING nodes: an unnamed bit-field is read from its text
        facts = types.facts_of(unnamed.group(1), depth)
        if facts is None:
            raise _Unknown(f"unnamed bit-field of unknown type {unnamed.group(1)}")
        width = try_evaluate(unnamed.group(2), types.names, types.sizeof)
        if width is None or not 0 <= width <= 128:
            raise _Unknown("unnamed bit-field: bit width is not a known constant")
        return [_Entry("", " ".join(unnamed.group(1).split()), facts, user_align, member_packed, width, False)]
    if not declarators:  # "unsigned :0;", an unnamed bit-field, or an anonymous struct/union member
        bits = None
        if bit_clauses:
            bits = _bits(types, bit_clauses[0], "unnamed bit-field")
        facts = base()
        out.append(_Entry("", base_name, facts, user_align, member_packed, bits, False))
        return out
    for k, decl in enumerate(declarators):
        name, pointer, dims, func = _declarator(decl)
        if func:  # pahole: `int (*fn)(void *, long int)`; the name goes where (*) stands
            params = _parameters(decl)
            facts, type_text = _Facts(8, 8), f"{base_name} {'*' * max(pointer - 1, 0)}(*)({params})"
        elif pointer:
            facts, type_text = _Facts(8, 8), base_name + " " + "*" * pointer
        else:
            facts, type_text = base(), base_name
        flexible = False
        size = facts.size
        shown = []
        for dim in dims:
            if dim is None:
                flexible = True
                shown.append("")
                continue
            n = types.number(dim)
            shown.append(str(n))
            if n is None or n < 0:
                raise _Unknown(f"member {name}: array size {dim.text.decode()[:60]} is not a known constant")
            size *= n
            if size >= 1 << 40:
                raise _Unknown(f"member {name}: array of {size} bytes")
        if dims:
            type_text += "".join(f"[{n}]" for n in shown)  # pahole prints the evaluated sizes
            facts = _Facts(size, facts.align, facts.forced, None)
        clause = bit_clauses[k] if k < len(bit_clauses) else None
        bits = _bits(types, clause, f"member {name}") if clause is not None else None
        out.append(_Entry(name, type_text, facts, user_align, member_packed, bits, flexible))
    return out


_UNNAMED_BITFIELD = re.compile(r"^\s*((?:[A-Za-z_]\w*\s+)*[A-Za-z_]\w*)\s*:\s*([^;]+?)\s*;?\s*$", re.S)
_TYPE_WORDS = {"char", "short", "int", "long", "signed", "unsigned", "_Bool", "bool", "const", "volatile"}


def _is_type(words: str) -> bool:
    """Is `words` (what stands before the colon) a type alone, with no
    member name? One word is (a member needs a type and a name); so are
    words ending in a type keyword, and `struct|union|enum tag`."""
    parts = words.split()
    return (len(parts) == 1 or parts[-1] in _TYPE_WORDS
            or (len(parts) == 2 and parts[0] in ("struct", "union", "enum")))


def _bits(types: _Types, clause: Node, what: str) -> int:
    width = types.number(clause.named_children[0]) if clause.named_children else None
    if width is None or not 0 <= width <= 128:
        raise _Unknown(f"{what}: bit width is not a known constant")
    return width


def _declarator(node: Node) -> tuple[str, int, list, bool]:
    """(name, pointer depth, array dims outermost first, is function pointer)."""
    pointer = 0
    dims: list = []
    func = False
    for _ in range(MAX_NESTING * 4):
        if node is None:
            break
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
    return "?", pointer, list(reversed(dims)), func


def _parameters(node: Node) -> str:
    """The parameter list of a function pointer declarator, types only."""
    while node is not None and node.type != "function_declarator":
        node = node.child_by_field_name("declarator") if node.type != "parenthesized_declarator" else (
            node.named_children[0] if node.named_children else None)
    params = node.child_by_field_name("parameters") if node is not None else None
    if params is None:
        return ""
    return ", ".join(" ".join(p.text.decode().split()) for p in params.named_children)


def _type_name(node: Node) -> str:
    """The type as pahole prints it, without resolving it."""
    text = " ".join(node.text.decode().split())
    if node.type in ("primitive_type", "sized_type_specifier"):
        key = " ".join(w for w in text.split() if w not in ("const", "volatile"))
        return _PAHOLE_NAME.get(key, key)
    if node.type in ("struct_specifier", "union_specifier", "enum_specifier"):
        kind = node.type.split("_")[0]
        tag = node.child_by_field_name("name")
        return f"{kind} {tag.text.decode()}" if tag is not None else kind
    return text


def _resolve(types: _Types, node: Node, depth: int) -> tuple[str, _Facts | None]:
    """(pahole type name, facts or None if unknown)."""
    t = node.type
    name = _type_name(node)
    if t in ("primitive_type", "sized_type_specifier"):
        key = " ".join(w for w in " ".join(node.text.decode().split()).split() if w not in ("const", "volatile"))
        if key in _BASIC:
            return name, _Facts(_BASIC[key], min(_BASIC[key], 16))
        return name, None
    if t == "type_identifier":
        if name in _BASIC:
            return name, _Facts(_BASIC[name], _BASIC[name])
        return name, types.typedef(name, depth)
    if t in ("struct_specifier", "union_specifier"):
        kind = t.split("_")[0]
        tag = node.child_by_field_name("name")
        if node.child_by_field_name("body") is not None:
            label = f"{kind} {tag.text.decode()}" if tag is not None else f"{kind}@{node.start_byte}"
            nested = aggregate(types, node, label, depth + 1)
            if nested.unknown:
                raise _Unknown(nested.unknown)
            return name, _Facts(nested.size, nested.align, nested.forced_align is not None, nested)
        return name, types.named(kind, tag.text.decode(), depth) if tag is not None else None
    if t == "enum_specifier":
        tag = node.child_by_field_name("name")
        if node.child_by_field_name("body") is not None:
            size = types.enum_sizes.get(node, 4)
            if size is None:
                raise _Unknown(f"{name}: an enumerator value is not a known constant")
            return name, _Facts(size, size)
        return name, types.named("enum", tag.text.decode()) if tag is not None else _Facts(4, 4)
    return name, None
