"""Threads, series, versions and bug reports, from the messages' own
headers and words. Pure functions over Messages; the report stage turns
the indices they return into pages.

- A thread: each patch with the replies that answer it (Message-ID,
  In-Reply-To, References, then the subject's title).
- A posting: one version of a patch, or of a series (a cover letter and its
  `[PATCH vN m/n]` members, as git send-email threads them under the cover).
- Versions: postings of one author that share a title (the cover's or any
  member's), ordered by vN then date; all but the last are superseded.
  Stable-target posts (`[PATCH 6.1]`) and AUTOSEL mails are backports, not
  versions: each target is kept apart from mainline postings.
- Bug reports: syzbot/KCSAN/KASAN reports and any top-level message with a
  kernel call trace, with the functions of the trace, linked to the patches
  that answer them (Reported-by the report's sender, Link:/Closes: its
  message-id, or a `[PATCH]` posted in its thread).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Sequence

from triage.ingest.people import person_keys
from triage.model import Message

# -------------------------------------------------------------- one message


def is_patch(m: Message) -> bool:
    """A message that proposes a change: a `[PATCH]` posting (or a message
    with no subject at all: a diff, a commit) that carries a diff of its
    own, or a `[PATCH]` cover letter. A reply's diff is a reviewer's sketch
    or a test diff, not a patch: the reply answers the patch it replies to
    (its trailers count for that patch), unless it is itself a new posting."""
    if m.subject is not None and m.subject.is_reply:
        return False
    return bool(m.own_diffs) or bool(m.subject and m.subject.is_patch)


def is_cover(m: Message) -> bool:
    """A `[PATCH 0/n]` (or a `[PATCH]` posting with no diff of its own and
    members threaded under it: decided by the caller)."""
    return bool(m.subject and m.subject.is_patch and not m.subject.is_reply and not m.own_diffs)


# syzbot's sender (syzbot+<hash>@syzkaller.appspotmail.com) and its bracket
# tag; KCSAN/KASAN/lockdep reports written by people carry a crash title and
# a call trace instead.
_SYZBOT = re.compile(r"^syzbot(?:\+[0-9a-f]+)?@", re.IGNORECASE)
_CRASH_TITLE = re.compile(r"^(?:KASAN|KCSAN|KMSAN|UBSAN|BUG|WARNING|INFO|general protection fault|possible deadlock"
                          r"|inconsistent lock state|kernel BUG|memory leak|unable to handle)\b", re.IGNORECASE)
# A frame of a kernel stack trace: ` io_worker_handle_work+0x1a3/0x5b0 fs/io-wq.c:597`,
# with or without a printk timestamp and the `?` of an unreliable frame
# (those are skipped: they are stack garbage as often as callers).
_FRAME = re.compile(r"^\s*(?:\[\s*[\d.]+\]\s*)?(?:\[\s*[CT]\d+\]\s*)?(\?\s+)?([A-Za-z_][\w.]*)\+0x[0-9a-f]+/0x[0-9a-f]+",
                    re.MULTILINE)
_TRACE_START = re.compile(r"^\s*(?:\[\s*[\d.]+\]\s*)?(?:Call Trace:|Allocated by task|Freed by task|"
                          r"read to 0x|write to 0x)", re.MULTILINE | re.IGNORECASE)
MAX_FRAMES = 24
# The reporting machinery itself (KASAN's and WARN's printing, the exception
# entry): in every trace, about no bug.
_MACHINERY = re.compile(r"^(?:dump_stack|show_stack|print_|__?kasan_|kasan_|__asan_|check_memory_region|panic"
                        r"|__warn|warn_|report_bug|handle_bug|exc_|asm_exc|__dump|kcsan_|kmsan_|__?ubsan_)")


def is_bug_report(m: Message) -> bool:
    """A report of a crash or a race, not a patch and not a reply: from
    syzbot, tagged `[syzbot]`, or a crash title with a call trace."""
    if is_patch(m) or m.subject is None or m.subject.is_reply:
        return False
    if m.author is not None and _SYZBOT.match(m.author.email or ""):
        return True
    if any(t.lower() == "syzbot" for t in m.subject.tags):
        return True
    text = _own_text(m)
    return bool(_CRASH_TITLE.match(m.subject.title)) and bool(_TRACE_START.search(text))


def trace_functions(m: Message) -> tuple[str, ...]:
    """The functions of the message's own call traces, first seen first,
    each once; `?` frames and the reporting machinery left out."""
    out: list[str] = []
    for match in _FRAME.finditer(_own_text(m)):
        name = match.group(2)
        if match.group(1) or name in out or _MACHINERY.match(name):
            continue
        out.append(name)
        if len(out) == MAX_FRAMES:
            break
    return tuple(out)


def _own_text(m: Message) -> str:
    return "\n".join(p.text for p in m.parts if p.level == 0)


# ------------------------------------------------------------------ threads


def group_thread(messages: Sequence[Message]) -> list[tuple[int, list[int]]]:
    """Each patch (by index) with the replies that answer it. A reply finds
    its patch through In-Reply-To, then References from the nearest ancestor
    up; web archives often drop those headers, so the subject's title is the
    last resort. A reply whose patch is not in the input stands on its own
    (and so does a bug report with its replies)."""
    heads = [i for i, m in enumerate(messages) if is_patch(m) or is_bug_report(m)]
    by_id = {messages[i].message_id: i for i in heads if messages[i].message_id}
    by_title: dict[str, int] = {}
    for i in heads:
        s = messages[i].subject
        if s and s.title:
            by_title.setdefault(s.title, i)
    answers: dict[int, list[int]] = {i: [] for i in heads}
    order: list[int] = []
    head_set = set(heads)
    for i, m in enumerate(messages):
        if i in head_set:
            order.append(i)
            continue
        ids = ancestors(m)
        parent = next((by_id[x] for x in ids if x in by_id), None)
        if parent is None and m.subject is not None:
            parent = by_title.get(m.subject.title)
        if parent is None:
            answers[i] = []
            order.append(i)
        else:
            answers[parent].append(i)
    return [(i, answers[i]) for i in order]


# --------------------------------------------------------- series, versions


@dataclass(frozen=True)
class Posting:
    """One posting: a single patch, or a series (cover letter and members)."""

    members: tuple[tuple[int, int], ...]  # (index in the series, head) ordered; a single patch is (0 or 1, head)
    cover: int | None
    version: int
    total: int | None
    date: str  # the first member's, UTC ISO
    target: str  # "" for mainline; the stable branch or "AUTOSEL x.y" for a backport
    autosel: bool = False
    resend: bool = False
    rfc: bool = False

    def supersedes(self, older: "Posting") -> bool:
        """A higher vN does; so does the same vN posted again as a RESEND,
        or as a PATCH after an RFC. The same patch posted again in someone's
        batch (a maintainer's series collecting applied patches) is the same
        version, not a new one."""
        if self.date <= older.date:
            # a v1 posted a year after v5 (the author started over) is
            # not superseded by v5
            return False
        if self.version != older.version:
            return self.version > older.version
        return self.resend or (older.rfc and not self.rfc)

    @property
    def heads(self) -> tuple[int, ...]:
        return ((self.cover,) if self.cover is not None else ()) + tuple(h for _, h in self.members)

    @property
    def first(self) -> int:
        """The page a link to this posting opens: the cover, else its first member."""
        return self.cover if self.cover is not None else self.members[0][1]

    @property
    def missing(self) -> tuple[int, ...]:
        """Members the subjects announce (n of /n) that are not in the input.
        AUTOSEL mails are numbered in the batch the bot sent, one commit
        each: a lone 3/12 is not an incomplete series."""
        if self.total is None or self.total <= 1 or self.autosel:
            return ()
        have = {i for i, _ in self.members}
        return tuple(i for i in range(1, self.total + 1) if i not in have)


@dataclass(frozen=True)
class Versions:
    """Postings that are versions of one another, oldest first."""

    postings: tuple[Posting, ...]

    @property
    def latest(self) -> Posting:
        return self.postings[-1]

    def superseded_by(self, p: Posting) -> Posting | None:
        """The latest posting when it supersedes this one."""
        latest = self.latest
        return latest if latest is not p and latest.supersedes(p) else None


@dataclass(frozen=True)
class Threading:
    """What links the heads (patches, covers, reports) of one batch."""

    postings: tuple[Posting, ...]
    versions: tuple[Versions, ...]  # only groups of two or more postings
    answers: dict[int, tuple[int, ...]] = field(default_factory=dict)  # report head -> patch heads answering it


def normal_title(title: str) -> str:
    """A title as versions keep it: case, spacing, a trailing period and
    the subsystem prefix aside (`io_uring/io-wq: x` and `io-wq: x` are one
    patch moved between prefixes across versions)."""
    t = " ".join(title.lower().split()).rstrip(".")
    t = re.sub(r"^(?:[\w./-]+:\s*)+", "", t) or t
    # "task_work optimization" became "task work optimization" in v3
    return " ".join(re.sub(r"[-_]", " ", t).split())


def ancestors(m: Message) -> list[str]:
    """The message-ids a message answers, nearest first: In-Reply-To, then
    References from the last (its parent) up."""
    return ([m.in_reply_to] if m.in_reply_to else []) + list(reversed(m.references))


def _target(m: Message) -> tuple[str, bool]:
    s = m.subject
    if s is None:
        return "", False
    if s.autosel:
        return f"AUTOSEL {s.autosel}", True
    return s.stable_target or "", False


def postings(messages: Sequence[Message], heads: Sequence[int]) -> list[Posting]:
    """The postings among the heads. Members of a series find their cover
    (or their first patch) through References: git send-email threads every
    patch under the cover letter; they share author, version and total."""
    patches = [h for h in heads if is_patch(messages[h])]
    by_id = {messages[h].message_id: h for h in patches if messages[h].message_id}
    groups: dict[tuple, list[int]] = {}
    for h in patches:
        m = messages[h]
        s = m.subject
        total = s.total if s else None
        if total is None or total <= 1 and not (s and s.is_cover):
            groups[("single", h)] = [h]
            continue
        # the nearest ancestor that starts a series (a cover, or 1/n):
        # with --chain-reply-to 3/3 answers 2/3, and a v2 sent in reply to
        # v1's cover has both covers among its ancestors
        ids = ancestors(m)
        root = next((x for x in ids if x in by_id and _starts_series(messages[by_id[x]])
                     and _same_series(messages[by_id[x]], m)), None)
        anchor = root if root is not None else (m.message_id if s.index in (0, 1) else None)
        key = ("series", anchor, total, _target(m)) if anchor else \
              ("series-unthreaded", person_keys(m.author)[:1], s.version, total, _target(m), (m.date or "")[:10])
        groups.setdefault(key, []).append(h)
    out = []
    for members in groups.values():
        first = messages[members[0]]
        s = first.subject
        cover = next((h for h in members if is_cover(messages[h]) and s is not None), None)
        numbered = sorted((messages[h].subject.index or 0 if messages[h].subject else 0, h)
                          for h in members if h != cover)
        target, autosel = _target(first)
        dates = sorted(_utc(messages[h].date) for h in members)
        # git format-patch -v5 marks every member, but hand-edited series
        # often carry the number on the cover letter alone
        version = max((messages[h].subject.version or 1 for h in members if messages[h].subject), default=1)
        out.append(Posting(tuple(numbered), cover, version,
                           s.total if s else None, dates[0], target, autosel, bool(s and s.resend),
                           bool(s and s.rfc)))
    return [p for p in out if p.members or p.cover is not None]


def _utc(date: str | None) -> str:
    """ISO dates compared in UTC (mail carries every offset); as written when unparsable."""
    if not date:
        return ""
    try:
        when = datetime.fromisoformat(date)
    except ValueError:
        return date
    return (when.astimezone(timezone.utc) if when.tzinfo else when).isoformat()


def _starts_series(m: Message) -> bool:
    return bool(m.subject and m.subject.index in (0, 1))


def _same_series(a: Message, b: Message) -> bool:
    """b is a member of the series a starts. The members of a v5 series often
    say `[PATCH 01/11]` under a `[PATCH v5 00/11]` cover: a member with no
    number takes its cover's (not the other way: an unnumbered cover is v1)."""
    sa, sb = a.subject, b.subject
    return bool(sa and sb and (sb.version is None or sa.version == sb.version)
                and sa.total == sb.total and set(person_keys(a.author)) & set(person_keys(b.author)))


def link_versions(messages: Sequence[Message], found: Sequence[Posting]) -> list[Versions]:
    """Postings of one author, for one target, sharing a title, are
    versions of one another, ordered by (vN, date): a RESEND or an RFC
    posted again later supersedes the earlier posting of the same number."""
    parent = list(range(len(found)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    seen: dict[tuple, int] = {}
    for i, p in enumerate(found):
        for h in p.heads:
            m = messages[h]
            if m.subject is None or not m.subject.title:
                continue
            for who in person_keys(m.author):
                key = (who, p.target, normal_title(m.subject.title))
                if key in seen:
                    parent[root(i)] = root(seen[key])
                else:
                    seen[key] = i
    groups: dict[int, list[Posting]] = {}
    for i, p in enumerate(found):
        groups.setdefault(root(i), []).append(p)
    out = []
    for group in groups.values():
        if len(group) > 1:
            out.append(Versions(tuple(sorted(group, key=lambda p: (p.version, p.date, p.first)))))
    return out


def bug_answers(messages: Sequence[Message], heads: Sequence[int]) -> dict[int, tuple[int, ...]]:
    """Report head -> the patch heads that answer it: the patch's
    Reported-by names the report's sender (syzbot's address carries the
    bug's hash), its Link:/Closes: names the report's message-id, or it is
    a `[PATCH]` posted in the report's thread."""
    reports = [h for h in heads if is_bug_report(messages[h])]
    patches = [h for h in heads if is_patch(messages[h]) and messages[h].own_diffs]
    out: dict[int, tuple[int, ...]] = {}
    for r in reports:
        rm = messages[r]
        sender = (rm.author.email or "").lower() if rm.author else ""
        rid = (rm.message_id or "").strip("<>")
        found = []
        for h in patches:
            m = messages[h]
            by_trailer = any(t.level == 0 and (
                (t.key in ("Reported-by", "Reported-and-tested-by") and sender and t.person is not None
                 and (t.person.email or "").lower() == sender and _SYZBOT.match(sender))
                or (t.key in ("Link", "Closes") and rid and rid in t.value)) for t in m.trailers)
            in_thread = bool(rid) and rid in ([m.in_reply_to or ""] + list(m.references))
            if by_trailer or in_thread:
                found.append(h)
        out[r] = tuple(found)
    return out


def threading(messages: Sequence[Message], heads: Sequence[int]) -> Threading:
    found = postings(messages, heads)
    return Threading(tuple(found), tuple(link_versions(messages, found)), bug_answers(messages, heads))
