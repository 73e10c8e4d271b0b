"""A plain-text reply to the patch's mail, ready for `git send-email` or a
mail client: RFC 822 headers that thread it under the original, the patch
quoted with `> ` and trimmed to the hunks the findings concern, each
finding under its hunk, the verdict and the evidence at the bottom
(bottom-posting, as the kernel lists expect), every line <= 72 columns.
Pure: the sender comes from the caller (git config at the CLI edge).
"""

from __future__ import annotations

import re
import textwrap

from triage.errors import InputError
from triage.model import Hunk, PatchReport, Person
from triage.report import mboxrd, words
from triage.model import on_hunk
from triage.report.build import shown_diffs

WIDTH = mboxrd.WIDTH
MAX_QUOTED_HUNKS = 4
_LOCKING = re.compile(r"\b(?:spin_(?:un)?lock\w*|raw_spin_(?:un)?lock\w*|mutex_(?:un)?lock|rcu_read_(?:un)?lock|"
                      r"(?:set|clear|test)_bit|test_and_\w+_bit|atomic_\w+|smp_\w+|READ_ONCE|WRITE_ONCE|refcount_\w+)\b")


HARD_LIMIT = 998  # RFC 5322 2.1.1: no line of a message may be longer


def reply_text(p: PatchReport, sender: Person | None, tool: str) -> str:
    """The reply as RFC 5322 text. Header fields are folded at white space
    to WIDTH where they can be; a field that cannot be folded under the
    998-character limit (a message-id is one unbreakable token) refuses the
    reply with an InputError naming the input, rather than writing a mail
    that mail software truncates or rejects."""
    lines = []
    for header in headers(p, sender):
        for line in _refold(header):
            if len(line) > HARD_LIMIT:
                raise InputError(p.input, f"reply: the {header.split(':', 1)[0]} field holds a "
                                          f"{len(line.strip())}-character token, which no mail header can carry "
                                          f"({HARD_LIMIT} characters at most); no reply written")
            lines.append(line)
    return "\n".join(lines) + "\n\n" + "\n".join(body(p, tool)) + "\n"


def _refold(header: str) -> list[str]:
    """A header field's physical lines, each refolded at white space when
    longer than WIDTH (a long address splits before its `<`)."""
    out = []
    for line in header.split("\n"):
        if len(line) <= WIDTH:
            out.append(line)
            continue
        out += textwrap.wrap(line, WIDTH, initial_indent="", subsequent_indent=" ", break_long_words=False,
                             break_on_hyphens=False, drop_whitespace=True) or [line]
    return out


# ----------------------------------------------------------------- headers


def headers(p: PatchReport, sender: Person | None) -> list[str]:
    m = p.analysis.message
    me = sender.email.lower() if sender and sender.email else None
    out = []
    if sender is not None and sender.email:
        out += _fold("From", [mboxrd.address(sender)])
    to = [x for x in ([m.author] if m.author else []) if _mailable(x) and x.email.lower() != me]
    seen = {x.email.lower() for x in to}
    cc = []
    for x in m.to + m.cc:
        if _mailable(x) and x.email.lower() not in seen and x.email.lower() != me:
            seen.add(x.email.lower())
            cc.append(x)
    if to:
        out += _fold("To", [mboxrd.address(x) for x in to])
    if cc:
        out += _fold("Cc", [mboxrd.address(x) for x in cc])
    subject = m.subject.raw if m.subject else _fallback_subject(p)
    subject = re.sub(r"^(?:(?:re|aw|sv)\s*:\s*)+", "", subject, flags=re.IGNORECASE)
    out.append(mboxrd.header_line("Subject", "Re: " + subject))
    if m.message_id:
        out.append(f"In-Reply-To: <{m.message_id}>")
        refs = list(dict.fromkeys([r for r in m.references if r] + [m.message_id]))
        out += _fold("References", [f"<{r}>" for r in refs], sep="")
    out.append("MIME-Version: 1.0")
    out.append("Content-Type: text/plain; charset=utf-8")
    out.append("Content-Transfer-Encoding: 8bit")
    return out


def _mailable(person: Person) -> bool:
    """Archives hide addresses (`axboe@...nel.dk`): such an address would
    bounce, so it is left out rather than guessed; so is one longer than
    RFC 5321's 254 characters."""
    return (bool(person.email) and not person.obfuscated and "..." not in person.email and "@" in person.email
            and len(person.email) <= 254 and not any(c.isspace() for c in person.email))


def _fold(key: str, items: list[str], sep: str = ",") -> list[str]:
    lines, current = [], f"{key}:"
    for n, item in enumerate(items):
        piece = item + (sep if n < len(items) - 1 else "")
        if len(current) + 1 + len(piece) > WIDTH and current != f"{key}:":
            lines.append(current)
            current = " " + piece
        else:
            current += " " + piece
    lines.append(current)
    return lines


def _fallback_subject(p: PatchReport) -> str:
    symbols = sorted({c.symbol for c in p.analysis.symbols})
    return "your io-wq patch" + (f" to {', '.join(symbols[:2])}" if symbols else "")


# -------------------------------------------------------------------- body


def body(p: PatchReport, tool: str) -> list[str]:
    m = p.analysis.message
    who = m.author.name or m.author.email if m.author else "the author"
    out = _wrap(f"On {m.date}, {who} wrote:" if m.date else f"{who} wrote:")
    knobs = _knobs_by_hunk(p)
    quoted = False
    for d_index, diff in shown_diffs(m):
        if diff.quoted:
            out += _wrap(f"[The patch as this message quotes it, at level {diff.level}"
                         + (f", written by {diff.author}" if diff.author else "") + "]")
        for file in diff.files:
            picked = _hunks_that_matter(p, knobs, d_index, file.path, file.hunks)
            if not picked:
                continue
            out += [_quote_line(f"--- a/{file.old_path or file.path}"), _quote_line(f"+++ b/{file.path}")]
            last = -1
            for h_index in picked:
                if h_index != last + 1:
                    out.append("> [...]")
                out += _quote_hunk(file.hunks[h_index])
                out.append("")
                out += _findings(p, knobs.get((d_index, file.path, h_index), []), d_index, file.path, h_index,
                                 file.hunks[h_index])
                out.append("")
                last = h_index
                quoted = True
            if last != len(file.hunks) - 1:
                out += ["> [...]", ""]
    if not quoted:
        out += _quote_prose(p) + [""]
        hunks = sum(len(f.hunks) for _, d in shown_diffs(m) for f in d.files)
        out += _wrap("The mail carries no diff of its own; what follows comes from its text." if not hunks else
                     f"No finding on any of its {hunks} hunk(s): they are not quoted.") + [""]
    out += _summary(p, shown_in_hunks=any(knobs.values()))
    out += _how_found(p)
    out += ["-- "] + _wrap(f"{tool}: evidence from the io-wq model and the kernel tree; a model is a "
                           "model, check the code.")
    return out


def _how_found(p: PatchReport) -> list[str]:
    """The tool's own workings, apart from the findings: which symbol each
    hunk changes and on what evidence, git's @@ text where it is wrong, and
    what the analysis could not see."""
    a, s = p.analysis, p.assessment
    out = _wrap("How this was found:")
    for c in a.symbols[:12]:
        name = c.symbol if c.symbol.startswith(c.kind + " ") else f"{c.kind} {c.symbol}"
        out += _wrap(f"{c.file} hunk {c.hunk_index + 1}: {name}: {'; '.join(c.how)} "
                     f"({_EVIDENCE_SHORT.get(c.evidence, c.evidence)})"
                     + (f"; git's @@ line names {c.hint!r}, which is not where the change is"
                        if c.hint_agrees is False else "") + ".", "  - ", "    ")
    if len(a.symbols) > 12:
        out += _wrap(f"and {len(a.symbols) - 12} more symbol change(s).", "  - ", "    ")
    for x in s.blind_spots:
        out += _wrap("not seen: " + x, "  - ", "    ")
    return out + [""]


def _hunks_that_matter(p: PatchReport, knobs: dict, d_index: int, path: str, hunks: tuple[Hunk, ...]) -> list[int]:
    """Hunks with a finding about the patch: a knob decided by their lines,
    a struct whose layout moves, locking in changed lines, a review comment.
    The others are trimmed (`> [...]`)."""
    return [i for i, h in enumerate(hunks) if knobs.get((d_index, path, i)) or _specific(p, d_index, path, i, h)]


def _specific(p: PatchReport, d_index: int, path: str, h_index: int, h: Hunk) -> bool:
    """A struct whose layout moves, a review comment, or locking in the
    changed lines."""
    changes = on_hunk(p.analysis.symbols, d_index, path, h_index)
    structs = {d.symbol for d in p.analysis.layouts}
    return (any(c.symbol in structs for c in changes)
            or bool(h.comments or on_hunk(p.comments, d_index, path, h_index))
            or any(_LOCKING.search(line.text) for line in h.lines if line.kind != " "))


def _knobs_by_hunk(p: PatchReport) -> dict[tuple[int, str, int], list]:
    """Each hunk's changed knobs: those whose deciding lines (`NNN: text`,
    new side for after, old side for before) fall inside it. Computed once
    per reply; hunk selection, findings and the summary all read it."""
    b = p.analysis.behaviour
    changed = [k for k in b.knobs if k.changed] if b is not None else []
    lines = [(k, _numbers(k.before_lines), _numbers(k.after_lines)) for k in changed]
    out: dict[tuple[int, str, int], list] = {}
    for d_index, diff in shown_diffs(p.analysis.message):
        for f in diff.files:
            for h_index, h in enumerate(f.hunks):
                new = {line.new_no for line in h.lines if line.new_no is not None}
                old = {line.old_no for line in h.lines if line.old_no is not None}
                here = [k for k, before, after in lines if after & new or before & old]
                if here:
                    out[(d_index, f.path, h_index)] = here
    return out


def _numbers(deciding: tuple[str, ...]) -> set[int]:
    return {int(x.split(":")[0]) for x in deciding if x.split(":")[0].strip().isdigit()}


def _quote_hunk(h: Hunk) -> list[str]:
    return [_quote_line(h.header)] + [_quote_line(line.kind + line.text) for line in h.lines]


def _quote_line(text: str) -> str:
    """`> ` + the line, tabs expanded (a mail client's tab stops move under
    the quote marker). Quoted code is left long rather than wrapped or cut:
    a reviewer's mail tool and git send-email accept lines over 72 columns,
    and a code line cut mid-token misquotes the patch. Only past RFC 5322's
    998-character limit is a line cut, at a token boundary, with a mark."""
    line = "> " + text.expandtabs(8)
    line = line.rstrip() if line.strip() != ">" else ">"
    if len(line) <= HARD_LIMIT:
        return line
    cut = line[:HARD_LIMIT - 6]
    at = max(cut.rfind(" "), cut.rfind(","), cut.rfind(";"), cut.rfind("("))
    return (cut[:at + 1] if at > 2 else cut).rstrip() + " [...]"


def _quote_prose(p: PatchReport) -> list[str]:
    """The author's own words (level 0), attribution lines left out, each
    paragraph re-wrapped for the quote marker; what they quote is theirs."""
    m = p.analysis.message
    paragraphs: list[list[str]] = []
    for part in m.parts:
        if part.kind != "prose" or part.level != 0:
            continue
        current: list[str] = []
        for line in part.text.splitlines() + [""]:
            if line.strip() and not line.rstrip().endswith(("wrote:", "wrote ---")):
                current.append(line.strip())
            elif current:
                paragraphs.append(current)
                current = []
    quoted: list[str] = []
    for paragraph in paragraphs:
        if quoted:
            quoted.append(">")
        quoted += ["> " + x for x in textwrap.wrap(" ".join(paragraph), WIDTH - 2)]
    return quoted[:10] + (["> [...]"] if len(quoted) > 10 else [])


def _findings(p: PatchReport, knobs: list, d_index: int, path: str, h_index: int, h: Hunk) -> list[str]:
    a = p.analysis
    out: list[str] = []
    changes = on_hunk(a.symbols, d_index, path, h_index)
    for k in knobs:
        out += _wrap(f"It turns {k.knob} {k.before} -> {k.after}: {k.after_reason}.")
        for run in (r for r in a.behaviour.runs if any(s.startswith(k.knob + ":") for s in r.settings)):
            out += _wrap(f"In the io-wq model ({run.scenario}, {run.mode}): {words.moved_text(run)}.")
    for d in a.layouts:
        if any(c.symbol == d.symbol for c in changes):
            before = {f.profile: f for f in d.before}
            for f in d.after:
                b = before.get(f.profile)
                if b is not None and not f.unknown and not b.unknown:
                    out += _wrap(f"{d.symbol} on {f.profile}: {b.size} -> {f.size} bytes, holes {b.holes} -> "
                                 f"{f.holes}, cachelines {b.cachelines} -> {f.cachelines}.")
    locking = sorted({x for line in h.lines if line.kind != " " for x in _LOCKING.findall(line.text)})
    if locking:
        out += _wrap("Changed lines use " + ", ".join(locking) + ": ordering and locking worth a second look.")
    for c in on_hunk(p.comments, d_index, path, h_index):
        out += _wrap(f"{c.author or 'A reviewer'} commented on this hunk"
                     + (f" in <{c.message_id}>." if c.message_id else "."))
    for c in h.comments:
        out += _wrap(f"{c.author or 'A reviewer'} commented on this hunk in the quoted thread.")
    return out


_EVIDENCE_SHORT = {"pre-image": "checked on the whole file", "hunk": "from the hunk's own lines",
                   "hint": "git's @@ text only, unchecked"}


def _summary(p: PatchReport, shown_in_hunks: bool) -> list[str]:
    """shown_in_hunks: the knob changes and their runs were already said
    under the hunks that decide them."""
    a, s = p.analysis, p.assessment
    out = _wrap(f"Verdict: {s.verdict}.")
    for r in s.reasons:
        out += _wrap(r, "  - ", "    ")
    b = a.behaviour
    if b is not None and b.runs and not shown_in_hunks:
        out.append("")
        out += _wrap("In the io-wq model:")
        for k in b.knobs:
            if k.changed:
                out += _wrap(f"{k.knob}: {k.before} -> {k.after} ({k.how}).", "  - ", "    ")
        for run in b.runs:
            out += _wrap(f"{run.scenario} ({run.mode}): {words.moved_text(run)}.", "  - ", "    ")
    if b is not None and b.claims and not b.runs:
        out.append("")
        out += _wrap("Not simulated (no code of its own decides it):")
        for c in b.claims:
            out += _wrap(words.claim_text(c) + ".", "  - ", "    ")
    out.append("")
    if a.tree is None:
        out += _wrap("Stable branches: not checked (no kernel tree was given).")
    else:
        # the tree's local path stays out: it means nothing to the recipient
        out += _wrap("Stable branches:")
        for br in a.tree.branches:
            out += _wrap(f"{br.branch}: {br.verdict}; bug {br.bug}, fix {br.fix or 'not there'}, "
                         f"apply {br.apply}" + (f"; needs first {'; '.join(_prerequisite(x) for x in br.prerequisites)}"
                                                if br.prerequisites else "") + ".", "  - ", "    ")
    out.append("")
    out += _wrap("Stable kernel rules:")
    for c in s.checks:
        out += _wrap(f"{c.rule}: {c.status}, {c.reason}", "  - ", "    ")
    out.append("")
    out += _wrap(f"{words.risk_text(s).capitalize()}: " + (", ".join(f"{f.name} {f.weight}" for f in s.risk)
                                             or "no risk factor found") + ".")
    out.append("")
    return out


def _prerequisite(x) -> str:
    """`commit 0123456789ab ("io-wq: subject")` when the tree found the
    commit that brought it, else what it is."""
    if x.introduced_by:
        return f'{x.symbol} from commit {x.introduced_by[:12]}' + (f' ("{x.introduced_subject}")'
                                                                  if x.introduced_subject else "")
    return f"{x.symbol} ({x.detail})"


def _wrap(text: str, first: str = "", rest: str = "") -> list[str]:
    return textwrap.wrap(" ".join(text.split()), WIDTH, initial_indent=first, subsequent_indent=rest,
                         break_long_words=True, break_on_hyphens=False) or [""]


def reply_missing(p: PatchReport, sender: Person | None) -> list[str]:
    """Headers without which the reply is not one to send: a From (git
    config user.email), a To (the author's address), and In-Reply-To (the
    patch's Message-ID, so that it threads)."""
    m = p.analysis.message
    out = []
    if sender is None or not sender.email:
        out.append("no From: (set git config user.email)")
    if not m.author or not _mailable(m.author):
        out.append("no To: (the author has no usable address in the input)")
    if not m.message_id:
        out.append("no In-Reply-To: (the input has no Message-ID; it would not thread)")
    return out


def reply_warnings(p: PatchReport, sender: Person | None) -> list[str]:
    """What the reply could not do, for stderr: the user fixes it by hand
    (the missing headers, when --allow-incomplete wrote it anyway, and
    the people left out for want of an address)."""
    m = p.analysis.message
    hidden = [str(x) for x in ([m.author] if m.author else []) + list(m.to + m.cc) if not _mailable(x)]
    return reply_missing(p, sender) + (["left out of To/Cc, no usable address: " + ", ".join(hidden)]
                                       if hidden else [])


def mbox(replies: list[str]) -> str:
    """Several replies as one mboxrd file (`git send-email` takes it)."""
    return mboxrd.join(replies)
