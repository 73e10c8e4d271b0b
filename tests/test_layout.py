"""Struct layout: hand-computed layouts for every rule, seed 003's
336 -> 328, profiles (built in and from TOML), pahole listing, and the
before/after delta in `analyze`."""

from __future__ import annotations

import pytest

from triage.analysis import analyze_message
from triage.diff.layout import layout
from triage.diff.pahole import pahole, summary_lines
from triage.diff.profiles import load_profiles
from triage.errors import InputError, SourceError
from triage.ingest import read_bytes

from .conftest import fixture_path

PROFILES = load_profiles()

FEATURES = """
#define NAME_LEN 12
struct features {
	char c;                              /* 0 1, hole 3 */
	int i;                               /* 4 4 */
	unsigned a:3, b:6;                   /* one 4-byte unit at 8: bits 0-2, 3-8 */
	unsigned c2:30;                      /* 9 + 30 > 32: a new unit at 12 */
	unsigned :0;                         /* closes the unit */
	char d;                              /* 16 1, hole 7 */
	void (*fn)(int);                     /* 24 8 */
	char name[NAME_LEN];                 /* 32 12, hole 4 */
	struct { short s; long l; } inner;   /* 48 16 (s 0, hole 6, l 8) */
	union { int x; char y[6]; } u;       /* 64 8 (6 rounded up to align 4) */
	long big __aligned(32);              /* 96 8, forced hole 24 */
	int tail[];                          /* 104 0, flexible */
};                                       /* 104 rounded to 32: 128, padding 24 */
struct packed_one { char c; int i; long l; } __packed;
union u2 { char a[5]; int b; };
struct al { char c; } __aligned(16);
struct uses_unknown { int a; struct mystery m; };
struct outer { char c; struct al inner; };
"""


def lay(name, text=FEATURES, profile="x86_64"):
    return layout(text, name, PROFILES[profile], profile)


def test_every_rule_by_hand():
    f = lay("features")
    assert [(m.name, m.offset, m.size) for m in f.members] == [
        ("c", 0, 1), ("i", 4, 4), ("a", 8, 4), ("b", 8, 4), ("c2", 12, 4), ("d", 16, 1), ("fn", 24, 8),
        ("name", 32, 12), ("inner", 48, 16), ("u", 64, 8), ("big", 96, 8), ("tail", 104, 0),
    ]
    assert [(m.bit_offset, m.bits) for m in f.members if m.bits] == [(0, 3), (3, 6), (0, 30)]
    assert [(h.offset, h.size, h.forced) for h in f.holes] == [(1, 3, False), (17, 7, False), (44, 4, False),
                                                                (72, 24, True)]
    assert (f.size, f.align, f.padding, f.cachelines) == (128, 32, 24, 2)
    inner = f.members[8].nested
    assert [(m.name, m.offset) for m in inner.members] == [("s", 0), ("l", 8)] and inner.size == 16
    assert summary_lines(f) == [  # as pahole 1.24 prints them for this struct compiled by GCC 12
        "size: 128, cachelines: 2, members: 12",
        "sum members: 58, holes: 4, sum holes: 38",
        "sum bitfield members: 39 bits, bit holes: 2, sum bit holes: 25 bits",
        "padding: 24",
        "forced alignments: 1, forced holes: 1, sum forced holes: 24",
    ]


def test_packed_union_aligned_and_nested_defined_types():
    p = lay("packed_one")
    assert [(m.offset, m.size) for m in p.members] == [(0, 1), (1, 4), (5, 8)] and (p.size, p.align) == (13, 1)
    u = lay("union u2")
    assert (u.size, u.align) == (8, 4) and {m.offset for m in u.members} == {0}
    a = lay("al")
    assert (a.size, a.align, a.padding) == (16, 16, 15)
    o = lay("outer")  # a struct defined in the same text is laid out, not guessed
    assert [(m.name, m.offset, m.size) for m in o.members] == [("c", 0, 1), ("inner", 16, 16)]
    assert o.size == 32


def test_unknown_types_are_reported_not_guessed():
    u = lay("uses_unknown")
    assert u.unknown == "member m: unknown type struct mystery in profile x86_64"
    assert "layout unknown" in pahole(u)
    with pytest.raises(SourceError):
        lay("not_defined")


def test_straddling_members():
    text = "struct s { char pad[60]; long x; int y; };"
    s = lay("s", text)
    assert [(m.name, m.offset) for m in s.members] == [("pad", 0), ("x", 64), ("y", 72)]
    text = "struct t { char pad[60]; int x; struct list_head l; };"
    t = lay("t", text)
    assert t.straddling == ()  # l starts at 64
    text = "struct v { char pad[56]; struct list_head l; };"
    assert lay("v", text).straddling == ("l",)


@pytest.mark.parametrize("profile, before, after", [
    ("x86_64-lockdep", 336, 328),   # the seed's pahole dumps: 336 with flags widened, 328 after the move
    ("x86_64", 184, 176),           # the model's figures without lock debugging
])
def test_seed_003_io_worker(profile, before, after):
    v1 = layout(fixture_path("io-worker-v1.c").read_text(), "io_worker", PROFILES[profile], profile)
    packed = layout(fixture_path("io-worker-packed.c").read_text(), "io_worker", PROFILES[profile], profile)
    assert (v1.size, packed.size) == (before, after)


def test_seed_003_lockdep_listing_matches_the_thread():
    v1 = layout(fixture_path("io-worker-v1.c").read_text(), "io_worker", PROFILES["x86_64-lockdep"],
                "x86_64-lockdep")
    assert summary_lines(v1) == [  # the summary pahole printed in the thread, line for line
        "size: 336, cachelines: 6, members: 14",
        "sum members: 328, holes: 2, sum holes: 8",
        "forced alignments: 2, forced holes: 1, sum forced holes: 4",
        "last cacheline: 16 bytes",
    ]
    listing = pahole(v1)
    assert "/* --- cacheline 1 boundary (64 bytes) --- */" in listing
    assert "/* --- cacheline 2 boundary (128 bytes) was 16 bytes ago --- */" in listing
    assert listing.rstrip().endswith("} __attribute__((__aligned__(8)));")
    packed = layout(fixture_path("io-worker-packed.c").read_text(), "io_worker", PROFILES["x86_64-lockdep"],
                    "x86_64-lockdep")
    # offsets of the thread's third dump
    assert [m.offset for m in packed.members] == [0, 4, 8, 16, 32, 48, 56, 64, 72, 80, 144, 232, 240, 256]
    assert summary_lines(packed) == ["size: 328, cachelines: 6, members: 14", "forced alignments: 2",
                                     "last cacheline: 8 bytes"]


def test_profiles_from_toml(tmp_path):
    path = tmp_path / "profiles.toml"
    path.write_text('[x86_64-small]\ninherits = "x86_64"\nraw_spinlock_t = { size = 24, align = 8 }\n'
                    '[x86_64]\n"struct mystery" = { size = 12, align = 4 }\n')
    profiles = load_profiles(str(path))
    assert profiles["x86_64-small"]["raw_spinlock_t"].size == 24
    assert profiles["x86_64-small"]["refcount_t"].size == 4  # inherited
    assert layout(FEATURES, "uses_unknown", profiles["x86_64"], "x86_64").size == 16
    bad = tmp_path / "bad.toml"
    bad.write_text("[p]\nfoo = { size = 1 }\n")
    with pytest.raises(InputError, match="needs size and align"):
        load_profiles(str(bad))


def test_analyze_gives_the_before_after_delta_with_the_pre_image():
    source = fixture_path("io-worker-v1.c").read_text()
    lines = source.split("\n")
    start = lines.index("struct io_worker {") + 1
    patch = (
        "diff --git a/io_uring/io-wq.c b/io_uring/io-wq.c\n--- a/io_uring/io-wq.c\n+++ b/io_uring/io-wq.c\n"
        f"@@ -{start},3 +{start},4 @@ struct io_worker {{\n"
        " struct io_worker {\n"
        " \trefcount_t ref;\n"
        "+\tint create_index;\n"
        " \tunsigned long flags;\n"
    )
    (message,) = read_bytes(patch.encode(), "p.diff").messages
    analysis = analyze_message(message, ("io-wq.c", source), PROFILES)
    (delta,) = analysis.layouts
    sizes = {f.profile: f.size for f in delta.before}, {f.profile: f.size for f in delta.after}
    # the added member fills the 4-byte hole after ref: nothing grows
    assert sizes == ({"x86_64": 184, "x86_64-lockdep": 336}, {"x86_64": 184, "x86_64-lockdep": 336})
    holes = [(b.holes, a.holes) for b, a in zip(delta.before, delta.after)]
    assert holes == [(3, 2), (2, 1)]


def test_pointers_never_force_the_pointee_and_recursion_is_impossible():
    text = """
struct node { struct node *next; struct other *o; int v; };         /* a linked list */
struct other { struct node n; struct other *self; };               /* mutual, by pointer */
struct loop { int a; struct loop inner; };                         /* contains itself: not C */
struct ping { struct pong p; }; struct pong { struct ping q; };    /* mutual, by value: not C */
struct user { struct io_wq *wq; struct never_defined *x; };        /* pointees unknown: fine */
"""
    assert (lay("node", text).size, lay("other", text).size, lay("user", text).size) == (24, 32, 16)
    assert lay("loop", text).unknown == "struct loop contains itself"
    assert "contains itself" in lay("ping", text).unknown


def test_hostile_sizes_are_unknown_not_evaluated():
    """Array sizes come from mail text: never eval'd, bounded, and a size
    that is not a constant is said so (no hang, no crash)."""
    for size in ("9**9**9", "x", "()", "1 << 200", "9" * 5000, "(" * 500 + "1" + ")" * 500, "1/0", "-1"):
        s = lay("s", f"struct s {{ char c; char a[{size}]; }};")
        assert s.unknown and "array size" in s.unknown or "not C" in (s.unknown or ""), (size, s.unknown)
    assert lay("s", "#define N (4 * sizeof(long))\nenum { A, B = N, C };\n"
                    "struct s { char a[C]; char b[N / 2]; };").size == 33 + 16
    deep = "struct s { " + "struct { " * 1000 + "int x; " + "} a; " * 1000 + "};"
    assert "nest" in lay("s", deep).unknown


def test_layout_of_every_real_iowq_version():
    """The README's example on every real io-wq.c: struct io_worker is laid
    out in both profiles, with the size read by hand from each version
    (member by member; the x86_64 figures are also what GCC gives with the
    profile's kernel types, tests/test_layout_gcc.py)."""
    from .conftest import kernel_versions, need_kernel_iowq

    need_kernel_iowq()
    sizes = {}
    for folder in kernel_versions():
        text = (folder / "io-wq.c").read_text()
        both = [layout(text, "io_worker", PROFILES[p], p) for p in ("x86_64", "x86_64-lockdep")]
        assert not any(x.unknown for x in both), folder.name
        sizes[folder.name.rsplit("-", 1)[0]] = both[0].size
    assert sizes == IO_WORKER_X86_64


# struct io_worker size on x86_64 (no lock debugging), per version, by reading
# the definition: e.g. 6.12: ref 4, create_index 4, flags 8, nulls_node 16,
# all_list 16, task 8, wq 8, cur_work 8, lock 4 (+4 hole), ref_done 32,
# create_state 8, create_work 16, init_retries 4 (+4 hole), union {rcu 16,
# work 32} 32 -> 176.
IO_WORKER_X86_64 = {
    "5.5-rc5": 112, "5.6.4": 128, "5.7.14": 128, "5.8.1": 128, "5.9.1": 128, "5.10.13": 136, "5.10.y": 136,
    "5.11": 136, "5.11.14": 136, "5.12-rc6": 120, "5.12": 120, "5.13": 120, "5.13.4": 120, "5.13.y": 120,
    "5.14-rc1": 120, "5.14-rc4": 120, "5.14-rc5": 120, "5.14": 120, "5.15": 168, "5.15.3": 168, "5.16": 168,
    "5.17": 176, "5.18.12": 176, "5.19": 176, "6.0.1": 176, "6.1.20": 176, "6.3.8": 176, "6.4.4": 176,
    "6.6.9": 176, "6.12": 176, "6.14": 232, "6.15": 240, "6.18.2": 240, "6.19": 240, "7.0.0": 240,
    "linux-next-2026": 240,
}
