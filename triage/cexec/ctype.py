"""C types as the interpreter needs them: integer width and signedness
(wrap-around and the usual arithmetic conversions depend on them),
pointers, arrays, structs and unions by tag, enums, functions.

Knows C and the kernel's spelling of it (u32, bool, size_t...), nothing of
io-wq. Types the file uses but does not define (a kernel header's) are
opaque structs until a runtime gives them fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class CType:
    def __str__(self) -> str:
        return getattr(self, "name", "?")


@dataclass(frozen=True, eq=True)
class IntType(CType):
    name: str
    bits: int
    signed: bool

    @property
    def lo(self) -> int:
        return -(1 << (self.bits - 1)) if self.signed else 0

    @property
    def hi(self) -> int:
        return (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1

    def wrap(self, value: int) -> int:
        """The value as this type holds it (two's complement wrap)."""
        if self.bits == 1:  # _Bool: any non-zero value is 1
            return 1 if value else 0
        mask = (1 << self.bits) - 1
        value &= mask
        if self.signed and value >> (self.bits - 1):
            value -= 1 << self.bits
        return value

    @property
    def rank(self) -> int:
        return self.bits


@dataclass(frozen=True, eq=True)
class PointerType(CType):
    to: CType

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"{self.to} *"


@dataclass(frozen=True, eq=True)
class ArrayType(CType):
    of: CType
    length: int | None

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"{self.of}[{'' if self.length is None else self.length}]"


@dataclass(eq=False)
class StructType(CType):
    """A struct or union by tag; members filled in when its definition is
    read (a forward reference is the same object, completed later)."""

    tag: str
    union: bool = False
    members: list[tuple[str, CType]] = field(default_factory=list)
    defined: bool = False

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"{'union' if self.union else 'struct'} {self.tag}"

    def member(self, name: str) -> CType | None:
        for n, t in self.members:
            if n == name:
                return t
        # members of anonymous structs and unions are the outer struct's
        for n, t in self.members:
            if n.startswith("(anonymous") and isinstance(t, StructType):
                found = t.member(name)
                if found is not None:
                    return found
        return None

    def anonymous_holder(self, name: str) -> str | None:
        """The anonymous member whose members include name."""
        for n, t in self.members:
            if n.startswith("(anonymous") and isinstance(t, StructType) and t.member(name) is not None:
                return n
        return None


@dataclass(frozen=True, eq=True)
class FunctionType(CType):
    returns: CType
    params: tuple[CType, ...] = ()

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"{self.returns} (*)({', '.join(map(str, self.params))})"


@dataclass(frozen=True, eq=True)
class VoidType(CType):
    @property
    def name(self) -> str:
        return "void"


VOID = VoidType()
BOOL = IntType("bool", 1, False)
CHAR = IntType("char", 8, True)
SCHAR = IntType("signed char", 8, True)
UCHAR = IntType("unsigned char", 8, False)
SHORT = IntType("short", 16, True)
USHORT = IntType("unsigned short", 16, False)
INT = IntType("int", 32, True)
UINT = IntType("unsigned int", 32, False)
LONG = IntType("long", 64, True)  # LP64: the kernel's 64-bit targets
ULONG = IntType("unsigned long", 64, False)
LLONG = IntType("long long", 64, True)
ULLONG = IntType("unsigned long long", 64, False)

# The kernel's names for integer types (include/linux/types.h, asm-generic/int-ll64.h).
NAMED_INTS: dict[str, IntType] = {
    "bool": BOOL, "_Bool": BOOL, "char": CHAR, "int": INT, "short": SHORT, "long": LONG,
    "u8": UCHAR, "s8": SCHAR, "u16": USHORT, "s16": SHORT, "u32": UINT, "s32": INT, "u64": ULLONG, "s64": LLONG,
    "__u8": UCHAR, "__s8": SCHAR, "__u16": USHORT, "__s16": SHORT, "__u32": UINT, "__s32": INT,
    "__u64": ULLONG, "__s64": LLONG, "size_t": ULONG, "ssize_t": LONG, "uintptr_t": ULONG, "intptr_t": LONG,
    "gfp_t": UINT, "pid_t": INT, "uint8_t": UCHAR, "uint16_t": USHORT, "uint32_t": UINT, "uint64_t": ULLONG,
    "int8_t": SCHAR, "int16_t": SHORT, "int32_t": INT, "int64_t": LLONG, "loff_t": LLONG, "__poll_t": UINT,
}


def int_type(words: list[str]) -> IntType | None:
    """`unsigned long`, `long long int`, `signed char`, `unsigned` ..."""
    ws = [w for w in words if w not in ("const", "volatile", "static", "inline", "register", "extern")]
    if not ws:
        return None
    if len(ws) == 1 and ws[0] in NAMED_INTS:
        return NAMED_INTS[ws[0]]
    unsigned = "unsigned" in ws
    rest = [w for w in ws if w not in ("unsigned", "signed", "int")]
    if any(w not in ("long", "short", "char") for w in rest):
        return None
    if rest == ["char"]:
        return UCHAR if unsigned else (SCHAR if "signed" in ws else CHAR)
    if rest == ["short"]:
        return USHORT if unsigned else SHORT
    if rest == ["long"]:
        return ULONG if unsigned else LONG
    if rest == ["long", "long"]:
        return ULLONG if unsigned else LLONG
    if rest == []:
        return UINT if unsigned else INT
    return None


def promote(t: IntType) -> IntType:
    """Integer promotion: anything narrower than int is int."""
    return INT if t.bits < 32 else t


def common(a: IntType, b: IntType) -> IntType:
    """The usual arithmetic conversions (C11 6.3.1.8) for LP64 integers."""
    a, b = promote(a), promote(b)
    if a == b:
        return a
    if a.signed == b.signed:
        return a if a.rank >= b.rank else b
    u, s = (a, b) if not a.signed else (b, a)
    if u.rank >= s.rank:
        return u
    if s.bits > u.bits:  # the signed type holds every value of the unsigned one
        return s
    return IntType("unsigned " + s.name, s.bits, False)
