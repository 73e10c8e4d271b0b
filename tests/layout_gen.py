"""Generated C structs for the GCC differential of the layout engine
(tests/test_layout_gcc.py). Deterministic for a seed; covers every feature
triage.diff.layout claims: basic types and kernel fixed-width names,
pointers and function pointers, arrays (1-3 dimensions, sizes from
literals, #defines, enumerators, sizeof and arithmetic), enums (int-sized
and 64-bit), named, anonymous and inline aggregates, typedefs (plain and
aligned), unions, bit-fields (named, unnamed, zero-width, every integer
type, _Bool), aligned(N) on members and structs (attribute and kernel
macro spellings), packed structs and packed members, packed with aligned,
flexible array members.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

PRELUDE = """\
typedef unsigned char u8; typedef unsigned short u16; typedef unsigned int u32; typedef unsigned long long u64;
typedef signed char s8; typedef short s16; typedef int s32; typedef long long s64;
typedef unsigned long size_t;
#define __packed __attribute__((packed))
#define __aligned(x) __attribute__((aligned(x)))
"""

# (spelling, bits) of integer types a bit-field may have
INT_TYPES = [("char", 8), ("signed char", 8), ("unsigned char", 8), ("short", 16), ("unsigned short", 16),
             ("int", 32), ("unsigned int", 32), ("unsigned", 32), ("long", 64), ("unsigned long", 64),
             ("long long", 64), ("unsigned long long", 64), ("u8", 8), ("u16", 16), ("u32", 32), ("u64", 64),
             ("s16", 16), ("s32", 32)]
SCALARS = [t for t, _ in INT_TYPES] + ["_Bool", "float", "double", "long double", "size_t"]
ALIGNS = [1, 2, 4, 8, 16, 32, 64]


@dataclass
class Generated:
    text: str  # the whole C file (prelude, defines, enums, typedefs, aggregates, wrappers, variables)
    names: list[str] = field(default_factory=list)  # "struct s3", "union u7": the ones to compare
    features: dict[str, int] = field(default_factory=dict)  # feature -> how many times generated


class _Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.out: list[str] = []
        self.defines: list[str] = []
        self.enums: list[str] = []  # enum tags defined
        self.constants: list[str] = []  # enumerators and #defines usable as small array sizes
        self.aggregates: list[str] = []  # "struct s1" usable as member types (no flexible array)
        self.typedefs: list[str] = []
        self.features: dict[str, int] = {}
        self.count = 0

    def feature(self, name: str) -> None:
        self.features[name] = self.features.get(name, 0) + 1

    # ------------------------------------------------------------ pieces

    def setup(self) -> None:
        for i in range(4):
            value = self.rng.choice(["3", "(2 * 3)", "(1 << 2)", "sizeof(int)", "(10 / 3)", "0x5"])
            self.defines.append(f"#define LEN{i} {value}")
            self.constants.append(f"LEN{i}")
        for i in range(4):
            big = i % 2 == 1
            items = [f"E{i}_A", f"E{i}_B = 3", f"E{i}_C", f"E{i}_NR"]
            if big:
                items.insert(3, f"E{i}_BIG = 0x100000000ULL")
                self.feature("64-bit enum")
            self.enums.append(f"enum e{i}")
            self.out.append(f"enum e{i} {{ {', '.join(items)} }};")
            if not big:
                self.constants.append(f"E{i}_NR")
        self.out.append("typedef unsigned long ulong_t;")
        self.out.append("typedef long al_long_t __attribute__((aligned(16)));")
        self.out.append("typedef struct { short a; char b; } pair_t;")
        self.typedefs += ["ulong_t", "al_long_t", "pair_t"]

    def array_size(self) -> str:
        choice = self.rng.random()
        if choice < 0.4:
            return str(self.rng.randint(1, 5))
        self.feature("array size from a name or expression")
        if choice < 0.8:
            return self.rng.choice(self.constants)
        return self.rng.choice(["2 * 3", "sizeof(short)", "(LEN0 + 1)", "8 / 4"])

    def bitfield(self, named: bool) -> str:
        if self.rng.random() < 0.1:
            self.feature("_Bool bit-field")
            return f"_Bool {self.name()}:1;" if named else "_Bool :1;"
        ctype, bits = self.rng.choice(INT_TYPES)
        if not named:
            if self.rng.random() < 0.4:
                self.feature("zero-width bit-field")
                return f"{ctype} :0;"
            self.feature("unnamed bit-field")
            return f"{ctype} :{self.rng.randint(1, bits)};"
        self.feature("bit-field")
        width = self.rng.choice([1, 2, 3, 5, 7, bits // 2 + 1, bits - 1, bits])
        return f"{ctype} {self.name()}:{max(1, width)};"

    def name(self) -> str:
        self.count += 1
        return f"m{self.count}"

    def member(self, depth: int, in_union: bool) -> str:
        r = self.rng.random()
        if r < 0.28:
            decl = f"{self.rng.choice(SCALARS)} {self.name()}"
        elif r < 0.36:
            self.feature("pointer")
            decl = f"{self.rng.choice(['void', 'char', 'struct nowhere', 'struct s0'])} *{self.name()}"
        elif r < 0.40:
            self.feature("function pointer")
            decl = f"int (*{self.name()})(void *, long)"
        elif r < 0.52:
            self.feature("array")
            dims = "".join(f"[{self.array_size()}]" for _ in range(self.rng.choice([1, 1, 2, 3])))
            # an array of an over-aligned typedef (al_long_t) is an error in GCC
            element = self.rng.choice(SCALARS + [t for t in self.typedefs if not t.startswith("al_")])
            decl = f"{element} {self.name()}{dims}"
        elif r < 0.60 and self.aggregates:
            self.feature("aggregate member")
            decl = f"{self.rng.choice(self.aggregates)} {self.name()}"
        elif r < 0.64:
            self.feature("enum member")
            decl = f"{self.rng.choice(self.enums)} {self.name()}"
        elif r < 0.68:
            self.feature("typedef member")
            decl = f"{self.rng.choice(self.typedefs)} {self.name()}"
        elif r < 0.74 and depth < 2:
            kind = self.rng.choice(["struct", "union"])
            inner = " ".join(self.member(depth + 1, kind == "union") for _ in range(self.rng.randint(1, 4)))
            anonymous = self.rng.random() < 0.5
            self.feature(f"inline {'anonymous ' if anonymous else ''}{kind}")
            return f"{kind} {{ {inner} }}{'' if anonymous else ' ' + self.name()};"
        elif r < 0.92:
            return self.bitfield(named=in_union or self.rng.random() < 0.75)
        else:
            decl = f"{self.rng.choice(SCALARS)} {self.name()}"
        attr = ""
        a = self.rng.random()
        if a < 0.12:
            n = self.rng.choice(ALIGNS)
            attr = self.rng.choice([f" __attribute__((aligned({n})))", f" __aligned({n})"])
            self.feature("aligned member")
        elif a < 0.17:
            attr = " __attribute__((packed))"
            self.feature("packed member")
        return decl + attr + ";"

    def aggregate(self, index: int) -> tuple[str, str, bool]:
        """(C text, "struct sN" / "union uN", has a flexible array member)"""
        kind = "union" if self.rng.random() < 0.2 else "struct"
        tag = f"{'u' if kind == 'union' else 's'}{index}"
        members = [self.member(0, kind == "union") for _ in range(self.rng.randint(1, 9))]
        if kind == "union":
            members = [m for m in members if ":0;" not in m and not m.startswith(("_Bool :", ))
                       and not _unnamed_bitfield(m)] or ["int m_only;"]
        if not any(_named(m) for m in members):
            members.append(f"char {self.name()};")
        flexible = kind == "struct" and self.rng.random() < 0.1
        if flexible:
            members.append(f"{self.rng.choice(SCALARS)} {self.name()}[];")
            self.feature("flexible array")
        before, after = "", ""
        r = self.rng.random()
        if r < 0.2:
            before = " __attribute__((packed))"
            self.feature("packed")
        elif r < 0.3:
            after = self.rng.choice([" __attribute__((packed))", " __packed"])
            self.feature("packed")
        a = self.rng.random()
        if a < 0.15:
            after += f" __attribute__((aligned({self.rng.choice(ALIGNS)})))"
            self.feature("aligned struct")
            if before or "packed" in after:
                self.feature("packed and aligned struct")
        body = "\n\t".join(members)
        if not flexible:
            self.aggregates.append(f"{kind} {tag}")
        self.feature(kind)
        return f"{kind}{before} {tag} {{\n\t{body}\n}}{after};", f"{kind} {tag}", flexible


def _named(member: str) -> bool:
    return not _unnamed_bitfield(member)


def _unnamed_bitfield(member: str) -> bool:
    import re

    return re.fullmatch(r"[\w ]+? :\d+;", member.strip()) is not None


def generate(count: int = 320, seed: int = 1) -> Generated:
    gen = _Gen(seed)
    gen.setup()
    gen.out.append("struct s0 { long a; char b; };")
    gen.aggregates.append("struct s0")
    names, flexible = ["struct s0"], set()
    for i in range(1, count):
        text, label, flex = gen.aggregate(i)
        gen.out.append(text)
        names.append(label)
        if flex:
            flexible.add(label)
    # a wrapper per aggregate: the offset of `s` is the aggregate's alignment,
    # which pahole does not print for a type of natural alignment
    wrappers = [f"struct W_{n.split()[1]} {{ char c; {n} s; }};" for n in names if n not in flexible]
    variables = [f"{n} v_{n.split()[1]};" for n in names]
    variables += [f"struct W_{n.split()[1]} w_{n.split()[1]};" for n in names if n not in flexible]
    text = "\n".join([PRELUDE, *gen.defines, *gen.out, *wrappers, *variables]) + "\n"
    return Generated(text, names, gen.features)
