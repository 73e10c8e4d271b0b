"""`triage report --format mbox`: the patches as `git am` takes them.

The latest version of each patch or series (or the version asked for),
series members in their order, each with the trailers given in replies
folded into its trailer block the way `b4 am` does it: the patch's own
trailers as written, then each new one in thread order, one of each. Unlike
b4, nothing of the patch's own text is dropped: a stable target's
`commit X upstream.` line and `Cc: stable ... # 5.10.x` comments stay.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from triage.model import Message, PageKind, PatchReport, Report, ReviewState, TrailerCheck
from triage.report import mboxrd

# A line of a trailer block: `Key: value`, a b4-style `[ note ]`, a
# `(cherry picked from commit ...)` line, or a continuation.
_TRAILER = re.compile(r"^(?:[A-Za-z][A-Za-z0-9-]*: \S|\[.*\]$|\(cherry picked from commit [0-9a-f]+\)$|\s+\S)")
# Where the commit message ends: format-patch's `---`, else the diff itself.
_CUT = re.compile(r"^(?:---$|diff --git |Index: \S)")
ZERO = "0" * 40
_WARN_STATES = (ReviewState.NAKED, ReviewState.WITHDRAWN, ReviewState.CHANGES_REQUESTED)  # said on stderr


@dataclass(frozen=True)
class AmMbox:
    text: str  # the mboxrd file ("" when no patch could be written)
    written: tuple[str, ...]  # page of each patch written, in order
    skipped: tuple[str, ...]  # one line per patch left out, and why
    notes: tuple[str, ...]  # what a maintainer applying it should know (NAKs, trailers naming another person)


def am_mbox(report: Report, version: int | None = None) -> AmMbox:
    chosen: list[PatchReport] = []
    skipped: list[str] = []
    for p in report.patches:
        if p.kind is not PageKind.PATCH:
            continue
        if version is None and p.superseded_by is not None:
            continue
        if version is not None and p.version != version:
            continue
        problem = _unwritable(p.analysis.message)
        if problem:
            skipped.append(f"{p.page}: {problem}")
            continue
        chosen.append(p)
    order = {p.page: i for i, p in enumerate(report.patches)}
    chosen.sort(key=lambda p: _position(p, order))
    texts, separators, notes = [], [], []
    for p in chosen:
        texts.append(patch_mail(p))
        separators.append(f"From {p.analysis.message.upstream or ZERO} Mon Sep 17 00:00:00 2001")
        notes += [f"{p.page}: {e.state.value} by {e.sender or 'an unknown sender'}: \"{e.sentence}\""
                  for e in p.review if e.state in _WARN_STATES]
        notes += [f"{p.page}: {t.key}: {t.value} was given by {t.sender or 'an unknown sender'}, not by the person "
                  "it names (folded in, as b4 does)"
                  for t in p.reply_trailers if t.check is TrailerCheck.OTHER]
    text = mboxrd.join(texts, separators) if texts else ""
    return AmMbox(text, tuple(p.page for p in chosen), tuple(skipped), tuple(notes))


def _position(p: PatchReport, order: dict[str, int]) -> tuple[int, int]:
    """A series where its first page is, members by their number."""
    if p.series:
        first = min(order.get(link.page, len(order)) for link in p.series if link.page)
        s = p.analysis.message.subject
        return first, (s.index or 0) if s else 0
    return order[p.page], 0


def _unwritable(m: Message) -> str | None:
    if m.author is None or not m.author.email or m.author.obfuscated:
        return "no author address (git am needs one)"
    if m.subject is None:
        return "no subject (git am needs one)"
    if any(d.reconstructed or d.recoveries for d in m.own_diffs):
        return "its diff was rebuilt from damaged text; apply the original"
    if not m.body:
        return "no body kept for it"
    return None


def patch_mail(p: PatchReport) -> str:
    m = p.analysis.message
    log, rest = split_commit_message(m.body)
    log = fold_trailers(log, [(t.key, t.value) for t in p.reply_trailers])
    headers = [f"From: {mboxrd.address(m.author)}", mboxrd.header_line("Subject", m.subject.raw)]
    if m.date:
        headers.append(f"Date: {_date(m.date)}")
    if m.message_id:
        headers.append(f"Message-ID: <{m.message_id}>")
    body = log + rest
    if not body.isascii():
        headers += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=UTF-8",
                    "Content-Transfer-Encoding: 8bit"]
    return "\n".join(headers) + "\n\n" + body


def split_commit_message(body: str) -> tuple[str, str]:
    """(commit message, the rest from `---` or the diff on)."""
    lines = body.split("\n")
    for i, line in enumerate(lines):
        if _CUT.match(line) or (line.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ ")):
            return "\n".join(lines[:i]) + "\n", "\n".join(lines[i:])
    return body.rstrip("\n") + "\n", ""


def fold_trailers(log: str, given: list[tuple[str, str]]) -> str:
    """The trailers given in replies appended to the message's trailer
    block (a new block when its last paragraph is prose), each once: one
    already there, in any case and spacing, is not repeated."""
    lines = log.rstrip("\n").split("\n")
    start = len(lines)
    while start > 0 and lines[start - 1].strip() and _TRAILER.match(lines[start - 1]):
        start -= 1
    has_block = start < len(lines) and (start == 0 or not lines[start - 1].strip())
    have = {_key(line) for line in lines[start:]} if has_block else set()
    new = []
    for key, value in given:
        line = f"{key}: {value}"
        if _key(line) not in have:
            have.add(_key(line))
            new.append(line)
    if not new:
        return log
    if not has_block:
        lines.append("")
    gap = log[len(log.rstrip("\n")):]  # the blank lines before `---`, as written
    return "\n".join(lines + new) + (gap or "\n")


def _key(line: str) -> str:
    return " ".join(line.split()).casefold()


def _date(iso: str) -> str:
    try:
        return format_datetime(datetime.fromisoformat(iso))
    except ValueError:
        return iso
