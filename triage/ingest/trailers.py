"""Trailers, stable tags and commit ids cited in text.

Works on de-quoted text of one quoting level, so that a Fixes: line quoted by
a reviewer is attributed to the patch it came from, not to the reviewer.
"""

from __future__ import annotations

import re

from triage.ingest.people import parse_person
from triage.model import CommitRef, StableCc, Trailer
from triage.patterns import SHA, UPSTREAM

TRAILER_KEYS = (
    "Signed-off-by", "Reviewed-by", "Acked-by", "Tested-by", "Reported-by",
    "Reported-and-tested-by", "Suggested-by", "Co-developed-by", "Link",
    "Closes", "Fixes", "Cc", "Message-ID", "Debugged-by", "Requested-by",
    "Cc-stable", "Nacked-by", "Reviewed-and-tested-by",
)
_CANON = {key.lower(): key for key in TRAILER_KEYS}
_KEY_ALT = "|".join(re.escape(k) for k in sorted(TRAILER_KEYS, key=len, reverse=True))
_TRAILER_LINE = re.compile(rf"^\s*(?P<key>{_KEY_ALT})\s*:\s*(?P<value>.*?)\s*$", re.IGNORECASE)
# Web dumps flatten a trailer block into one line: split before every key
# that follows white space ("... bytedance.com Reviewed-by: ...").
_TRAILER_SPLIT = re.compile(rf"\s+(?=(?:{_KEY_ALT})\s*:\s)", re.IGNORECASE)
_PERSON_KEYS = {
    "signed-off-by", "reviewed-by", "acked-by", "tested-by", "reported-by",
    "reported-and-tested-by", "suggested-by", "co-developed-by", "cc",
    "debugged-by", "requested-by", "nacked-by", "reviewed-and-tested-by",
}

_FIXES = re.compile(r"^(?P<sha>\S+)(?:\s+(?P<rest>.*))?$")
_QUOTED_SUBJECT = re.compile(r'^\(\s*"(?P<subject>.*)"\s*\)\s*$', re.DOTALL)
# `commit 0b2b066f8a85 ("io_uring/io-wq: ...")` or a bare `0b2b066f8a85 ("...")`;
# the subject may wrap over lines and may itself contain quotes and parens.
_CITED = re.compile(
    rf'(?:\b[Cc]ommit\s+)?\b(?P<sha>{SHA})\b\s*\(\s*"(?P<subject>(?:[^"]|"(?!\s*\)))*?)"\s*\)'
)
_CITED_BARE = re.compile(r"\b[Cc]ommit\s+(?P<sha>[0-9a-f]{8,40})\b(?!\s*\(\s*\")")
_STABLE_ADDR = re.compile(r"stable@(?:vger\.kernel\.org|kernel\.org|\.\.\.\S*)", re.IGNORECASE)
_STABLE_NOTE = re.compile(r"#\s*(?P<note>.*)$")
_PREREQ = re.compile(rf"^(?P<ver>[^:]*?)\s*:\s*(?P<sha>{SHA})\s*:\s*(?P<subject>.+)$")
_VERSION_NOTE = re.compile(r"v?(\d+\.\d+)(?:\.\w+)?\s*(\+)?")


MAX_WRAP = 3  # continuation lines a wrapped Fixes: subject may take


def _open_subject(value: str) -> bool:
    """`abc ("subject` that has not reached its closing `)` yet."""
    return "(" in value and not value.rstrip().endswith(")")


# A Fixes: subject is free text ("... Signed-off-by: ..." may stand in it):
# a flattened line is not split inside it. It ends at the first `")` that is
# followed by the line's end or by the next trailer key.
_FIXES_SUBJECT = re.compile(rf'\bFixes\s*:\s*\S+\s*\(\s*".*?"\s*\)(?=\s*$|\s+(?:{_KEY_ALT})\s*:)',
                            re.IGNORECASE)


def split_flattened(line: str) -> list[str]:
    """One trailer per item, from a line that may hold several."""
    protected = [m.span() for m in _FIXES_SUBJECT.finditer(line)]
    pieces, start = [], 0
    for m in _TRAILER_SPLIT.finditer(line):
        if any(a < m.start() < b for a, b in protected):
            continue
        pieces.append(line[start:m.start()])
        start = m.end()
    pieces.append(line[start:])
    return [p for p in pieces if p.strip()]


def parse_trailers(text: str, level: int = 0) -> tuple[Trailer, ...]:
    trailers: list[Trailer] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        for piece in split_flattened(lines[i]):
            match = _TRAILER_LINE.match(piece)
            if not match:
                continue
            key = _CANON[match.group("key").lower()]
            value = match.group("value")
            # The format-patch "---" separator glued to the last trailer.
            value = re.sub(r"\s+---+$", "", value)
            # A Fixes: subject wrapped onto the next line(s): the value opened
            # `("` and has not closed with `)`. A subject may hold any number
            # of quotes (`("x"y")`), so quotes are not counted; the line end
            # and the next trailer end it, and at most MAX_WRAP lines join.
            wrapped = 0
            while (key == "Fixes" and _open_subject(value) and i + 1 < len(lines) and wrapped < MAX_WRAP
                   and lines[i + 1].strip() and not _TRAILER_LINE.match(lines[i + 1])):
                i += 1
                wrapped += 1
                value = f"{value} {lines[i].strip()}"
            person = parse_person(value) if key.lower() in _PERSON_KEYS else None
            trailers.append(Trailer(key, value, person, level))
        i += 1
    return tuple(trailers)


def fixes_ref(value: str, level: int = 0, author: str | None = None) -> CommitRef:
    """`Fixes: 0b2b066f8a85 ("subject")`, with what is wrong about its form."""
    match = _FIXES.match(value.strip())
    sha = match.group("sha") if match else value.strip()
    rest = (match.group("rest") or "") if match else ""
    problems = []
    if not re.fullmatch(r"[0-9a-fA-F]+", sha):
        problems.append("commit id is not hexadecimal")
    elif len(sha) < 12:
        problems.append(f"commit id has {len(sha)} hex digits, stable rules want 12 or more")
    quoted = _QUOTED_SUBJECT.match(rest.strip())
    subject = quoted.group("subject") if quoted else (rest.strip() or None)
    if subject is None:
        problems.append("no subject given")
    elif not quoted:
        problems.append('subject is not written as ("...")')
    return CommitRef(sha.lower(), "fixes", subject, level, author, tuple(problems))


def stable_cc(trailer: Trailer) -> StableCc | None:
    """`Cc: stable@vger.kernel.org # 5.10+`; `# 3.3.x: a1f84a3: sched: ...`
    lines name a prerequisite to apply first (stable-kernel-rules)."""
    if trailer.key != "Cc" or not _STABLE_ADDR.search(trailer.value):
        return None
    note_match = _STABLE_NOTE.search(trailer.value)
    note = note_match.group("note").strip() if note_match else None
    prerequisites: tuple[CommitRef, ...] = ()
    min_version = None
    if note:
        if prereq := _PREREQ.match(note):
            prerequisites = (
                CommitRef(prereq.group("sha").lower(), "stable-prerequisite",
                          prereq.group("subject").strip(), trailer.level),
            )
            note = prereq.group("ver").strip() or None
        if note and (version := _VERSION_NOTE.match(note)):
            min_version = version.group(1)
    return StableCc(trailer.value, note, min_version, prerequisites)


def merge_stable(ccs: list[StableCc]) -> tuple[StableCc, ...]:
    """Prerequisite lines are separate Cc: trailers; fold them into the plain
    one for the same version note when there is one."""
    plain = [c for c in ccs if not c.prerequisites]
    prereqs = [c for c in ccs if c.prerequisites]
    if not plain:
        return tuple(ccs)
    merged = []
    for cc in plain:
        mine = tuple(p for c in prereqs if c.version_note == cc.version_note for p in c.prerequisites)
        merged.append(StableCc(cc.raw, cc.version_note, cc.min_version, cc.prerequisites + mine))
    leftover = [c for c in prereqs if not any(c.version_note == m.version_note for m in plain)]
    return tuple(merged + leftover)


def upstream_refs(text: str, level: int = 0) -> list[CommitRef]:
    """`[ Upstream commit <sha> ]` (Sasha Levin's AUTOSEL form) and
    `commit <sha> upstream.` (Greg's stable form)."""
    refs = []
    for pattern in UPSTREAM:
        for match in pattern.finditer(text):
            refs.append(CommitRef(match.group("sha").lower(), "upstream", None, level))
    return refs


def cited_refs(text: str, level: int = 0, author: str | None = None) -> list[CommitRef]:
    """Commit ids named in prose, with the quoted subject when given."""
    flat = " ".join(text.split())
    refs = []
    taken: list[tuple[int, int]] = []
    for match in _CITED.finditer(flat):
        refs.append(CommitRef(match.group("sha").lower(), "cited",
                              " ".join(match.group("subject").split()), level, author))
        taken.append(match.span())
    for match in _CITED_BARE.finditer(flat):
        if any(a <= match.start() < b for a, b in taken):
            continue
        if re.search(r"upstream\b", flat[match.end():match.end() + 12]):
            continue  # "commit X upstream." is an upstream tag, found elsewhere
        refs.append(CommitRef(match.group("sha").lower(), "cited", None, level, author))
    return refs
