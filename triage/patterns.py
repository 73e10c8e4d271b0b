"""Text patterns that more than one parser reads: the hunk header, the
`index` line, message-ids, the lines by which a backport names its upstream
commit. Written once here so that the mail parser, the flattened-diff
rebuild, the diff scanner and the kernel-tree code cannot drift apart.

Numbers are bounded where they are read: Python refuses int() of more than
4,300 digits (and a hostile header can hold 5,000), and a line number no C
file reaches is a damaged header, not a number to compute with."""

from __future__ import annotations

import re

from triage.errors import DiffError

MAX_LINE_NUMBER_DIGITS = 9  # line numbers and counts of a hunk header: < 10^9

_HUNK_BODY = r"@@ -(?P<os>\d+)(?:,(?P<ol>\d+))? \+(?P<ns>\d+)(?:,(?P<nl>\d+))? @@"
HUNK_HEAD = re.compile(rf"^{_HUNK_BODY} ?(?P<hint>.*)$")  # a whole line
HUNK_ANYWHERE = re.compile(_HUNK_BODY)  # inside flattened text
HUNK_LINE_START = re.compile(r"^@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@", re.MULTILINE)

# `index 1a2b3c4..5d6e7f8 100644`: abbreviated blob ids before and after
INDEX_LINE = re.compile(r"^index (?P<old>[0-9a-f]{4,64})\.\.(?P<new>[0-9a-f]{4,64})(?: (?P<mode>\d{6}))?\s*$",
                        re.MULTILINE)
INDEX_ANYWHERE = re.compile(r"\bindex (?P<old>[0-9a-f]{7,40})\.\.(?P<new>[0-9a-f]{7,40})(?: (?P<mode>\d{6}))?")

MSGID = re.compile(r"<([^<>\s]+)>")

SHA = r"[0-9a-fA-F]{7,40}"
# How a stable backport names the upstream commit it carries (both forms are
# in stable-queue): "commit <sha> upstream." on a line of its own, or
# "[ Upstream commit <sha> ]"; "Upstream commit: <sha>" appears in some
# distribution backports.
UPSTREAM = (
    re.compile(rf"\[\s*[Uu]pstream commit\s+(?P<sha>{SHA})\s*\]"),
    re.compile(rf"\b[Cc]ommit\s+(?P<sha>{SHA})\s+upstream\b"),
    re.compile(rf"^\s*[Uu]pstream commit:?\s+(?P<sha>{SHA})\b", re.MULTILINE),
)


def upstream_shas(text: str) -> list[str]:
    """Every upstream commit id a backport's message names, in order."""
    found = []
    for pattern in UPSTREAM:
        for m in pattern.finditer(text):
            sha = m.group("sha").lower()
            if sha not in found:
                found.append(sha)
    return found


def hunk_numbers(match: re.Match, subject: str = "hunk header") -> tuple[int, int, int, int]:
    """(old start, old count, new start, new count) of a HUNK_* match; a
    missing count is 1, as in diff's own format."""
    groups = [match.group(g) for g in ("os", "ol", "ns", "nl")]
    for value in groups:
        if value is not None and len(value) > MAX_LINE_NUMBER_DIGITS:
            raise DiffError(subject, f"{match.group(0)[:40]}...: a line number of {len(value):,} digits "
                            f"(more than {MAX_LINE_NUMBER_DIGITS}) is damage, not a line number")
    os_, ol, ns, nl = groups
    return int(os_), int(ol or 1), int(ns), int(nl or 1)


def check_hunk_headers(text: str, subject: str) -> None:
    """Refuse diff text whose hunk headers carry numbers no file reaches,
    before a parser that would int() them sees it."""
    for m in HUNK_LINE_START.finditer(text):
        line_end = text.find("\n", m.start())
        head = HUNK_HEAD.match(text[m.start(): line_end if line_end >= 0 else len(text)])
        if head:
            hunk_numbers(head, subject)
