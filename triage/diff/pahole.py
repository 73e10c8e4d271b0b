"""The pahole listing of a StructLayout (`pahole -C name vmlinux`, as
pahole 1.24 prints it for x86_64), its summary lines, and the per-profile
LayoutFacts that reports show. Presentation only: the layout itself is
computed in triage.diff.layout."""

from __future__ import annotations

from triage.diff.layout import CACHELINE, StructLayout, layout
from triage.errors import SourceError
from triage.model import LayoutFacts


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
    # pahole keeps the comment column fixed: each tab of indent takes 8
    # columns from the type and declaration widths
    type_width, width = 26 - 8 * (indent - 1), 48 - 8 * (indent - 1)
    out: list[str] = []
    next_line = (base // CACHELINE + 1) * CACHELINE
    # holes were recorded in member order, each after the member it follows
    bit_holes = [h for h in lay.bit_holes]
    holes = [h for h in lay.holes if h.after or h.offset]
    for m in lay.members:
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
            out.append(f"{tab}{'}' + attr + ((' ' + m.name) if m.name else '') + ';':<{width}} "
                       f"/* {absolute:5d} {m.size:5d} */")
        else:
            attr = f" __attribute__((__aligned__({m.align})))" if m.forced else ""
            kind, name = m.type, m.name
            if "(*)" in kind:  # function pointer: the name goes inside
                head, _, params = kind.partition("(*)")
                kind, name = head.rstrip(), f"(*{m.name}){params}"
            elif "[" in kind:  # array: the dimensions follow the name
                kind, dims = kind[:kind.index("[")], kind[kind.index("["):]
                name += dims
            decl = f"{kind:<{type_width}} {name}" + (f":{m.bits}" if m.bits is not None else "") + f"{attr};"
            where = (f"/* {absolute:5d}:{m.bit_offset:2d} {m.size:2d} */" if m.bits is not None
                     else f"/* {absolute:5d} {m.size:5d} */")
            out.append(f"{tab}{decl:<{width}} {where}")
        gaps = []
        while bit_holes and bit_holes[0].after == m.name and bit_holes[0].offset >= m.offset:
            h = bit_holes.pop(0)
            gaps.append(f"{tab}/* XXX {h.bits} bit{'s' if h.bits != 1 else ''} hole, try to pack */")
        while holes and holes[0].after == m.name and holes[0].offset >= m.offset:
            h = holes.pop(0)
            gaps.append(f"{tab}/* XXX {h.size} byte{'s' if h.size != 1 else ''} hole, try to pack */")
        if gaps:
            out += [""] + gaps + [""]
    return out


def summary_lines(lay: StructLayout) -> list[str]:
    """pahole's closing comment lines (its 1.24 wording)."""
    lines = [f"size: {lay.size}, cachelines: {lay.cachelines}, members: {len(lay.members)}"]
    if lay.holes:
        lines.append(f"sum members: {lay.sum_members}, holes: {len(lay.holes)}, "
                     f"sum holes: {sum(h.size for h in lay.holes)}")
    elif lay.bit_holes:
        lines.append(f"sum members: {lay.sum_members}")
    if lay.sum_bitfield_bits and (lay.bit_holes or lay.holes):
        text = f"sum bitfield members: {lay.sum_bitfield_bits} bits"
        if lay.bit_holes:
            text += f", bit holes: {len(lay.bit_holes)}, sum bit holes: {sum(h.bits for h in lay.bit_holes)} bits"
        lines.append(text)
    if lay.padding:
        lines.append(f"padding: {lay.padding}")
    if lay.bit_padding:
        lines.append(f"bit_padding: {lay.bit_padding} bits")
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
