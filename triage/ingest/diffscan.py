"""Find diffs in a mail body, at any quoting level, and repair them into
canonical text for the unidiff boundary (triage.diff.hunks).

Handles what arrives in practice:
* a diff quoted by a reviewer ("> > @@ ...") with the reviewer's comments
  written between its lines (level - 1) attached to the line they follow;
* context lines whose leading space was lost (web archives collapse it;
  mail clients strip it from blank lines): inside a hunk whose counts are
  not yet met, a line with no marker is a context line;
* quotes trimmed with "<snip>" / "[...]": the hunk is kept as far as quoted;
* diffs whose newlines were lost (see flatdiff.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from triage.diff.hunks import parse_diff
from triage.errors import DiffError
from triage.ingest.flatdiff import looks_flattened, rebuild
from triage.ingest.quoting import QLine
from triage.model import Diff, FileDiff, Hunk, Recovery, ReviewComment
from triage.patterns import HUNK_HEAD, hunk_numbers

_HEADER_LINE = re.compile(
    r"^(?:index [0-9a-f]+\.\.[0-9a-f]+|new file mode |deleted file mode |old mode |new mode |"
    r"similarity index |dissimilarity index |rename from |rename to |copy from |copy to |Binary files )"
)
_TRIM = re.compile(r"^\s*(?:<\s*snip\s*>|\[\s*(?:\.\.\.|snip|…)\s*\]|\.\.\.|…)\s*$", re.IGNORECASE)
_PLACEHOLDER_PATH = "quoted-hunk"
# Analysed per diff; beyond them the diff is cut and the cut reported. The
# largest io_uring patch series touch tens of files; a tree-wide change can
# touch hundreds, of which only io_uring's matter here.
MAX_FILES = 200
MAX_HUNKS = 2000


@dataclass
class FoundDiff:
    diff: Diff
    consumed: set[int]  # indices into the QLine list that were diff text
    comment_lines: set[int] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    lead: str = ""  # prose on the same line before a flattened diff
    trailing: str = ""  # text after the last hunk of a flattened diff


def is_diff_start(lines: list[QLine], k: int) -> bool:
    text = lines[k].text
    if text.startswith("diff --git "):
        return True
    if HUNK_HEAD.match(text):
        return True
    return (
        text.startswith("--- ")
        and k + 1 < len(lines)
        and lines[k + 1].level == lines[k].level
        and lines[k + 1].text.startswith("+++ ")
    )


def scan(lines: list[QLine], authors: list[str | None]) -> list[FoundDiff]:
    found: list[FoundDiff] = []
    k = 0
    while k < len(lines):
        if looks_flattened(lines[k].text):
            result, k = _flattened(lines, authors, k)
            found.append(result)
        elif is_diff_start(lines, k):
            result, k = _structured(lines, authors, k)
            if result is not None:
                found.append(result)
        else:
            k += 1
    return found


def _flattened(lines: list[QLine], authors: list[str | None], k: int) -> tuple[FoundDiff, int]:
    level = lines[k].level
    first = lines[k].text
    start = first.find("diff --git ")
    if start < 0:
        start = first.find("@@ -")
    texts = [first[start:]]
    end = k + 1
    while end < len(lines) and lines[end].level == level and lines[end].text.strip() not in ("--", "-- "):
        texts.append(lines[end].text)
        end += 1
    consumed = set(range(k, end))
    found = FoundDiff(Diff((), level, authors[k]), consumed, lead=first[:start].strip())
    try:
        canonical, recovery, trailing = rebuild("\n".join(texts))
        files = parse_diff(canonical, "rebuilt diff")
    except DiffError as exc:
        found.errors.append(f"diff with lost line breaks could not be rebuilt: {exc.problem}")
        return found, end
    found.diff = Diff(files, level, authors[k], (recovery,))
    found.trailing = trailing
    return found, end


@dataclass
class _Builder:
    level: int
    canon: list[str] = field(default_factory=list)
    comments: list[tuple[int, int, ReviewComment]] = field(default_factory=list)  # (file, hunk, c)
    notes: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    file_index: int = -1
    hunk_index: int = -1
    line_index: int = -1
    head_pos: int = -1
    old_left: int = 0
    new_left: int = 0
    old_seen: int = 0
    new_seen: int = 0
    head: re.Match | None = None
    have_file_header: bool = False
    path: str = "?"

    @property
    def in_hunk(self) -> bool:
        return self.head is not None and (self.old_left > 0 or self.new_left > 0)

    def note(self, what: str) -> None:
        self.notes[what] = self.notes.get(what, 0) + 1

    def start_file(self) -> None:
        self.file_index += 1
        self.hunk_index = -1
        self.have_file_header = False

    def start_hunk(self, match: re.Match) -> None:
        if not self.have_file_header:
            # A reviewer quoted only the hunk: no file name survives.
            self.start_file()
            self.canon += [f"--- a/{_PLACEHOLDER_PATH}", f"+++ b/{_PLACEHOLDER_PATH}"]
            self.have_file_header = True
            self.note("quoted hunk without file header")
        self.hunk_index += 1
        self.line_index = -1
        self.head = match
        self.head_pos = len(self.canon)
        self.canon.append(match.group(0))
        _, self.old_left, _, self.new_left = hunk_numbers(match, self.path or "diff")
        self.old_seen = self.new_seen = 0

    def hunk_line(self, text: str) -> bool:
        """Take one line inside a hunk; False if it breaks the counts."""
        if text.startswith("\\"):
            self.canon.append(text)  # "\ No newline at end of file"
            return True
        if text.startswith("+"):
            kind, body = "+", text[1:]
        elif text.startswith("-"):
            kind, body = "-", text[1:]
        elif text.startswith(" "):
            kind, body = " ", text[1:]
        else:
            kind, body = " ", text
            self.note("blank context line without its leading space" if not text
                      else "context line without its leading space")
        old = kind in " -"
        new = kind in " +"
        if (old and self.old_left == 0) or (new and self.new_left == 0):
            return False
        self.old_left -= old
        self.new_left -= new
        self.old_seen += old
        self.new_seen += new
        self.line_index += 1
        self.canon.append(kind + body)
        return True

    def trim(self, note: str = "hunk trimmed by the quoter") -> None:
        """The hunk ends early (the quoter cut it, or the diff is damaged):
        keep what is there, with counts that match it."""
        m = self.head
        assert m is not None
        hint = f" {m.group('hint')}" if m.group("hint") else ""
        self.canon[self.head_pos] = (
            f"@@ -{m.group('os')},{self.old_seen} +{m.group('ns')},{self.new_seen} @@{hint}"
        )
        self.note(note)
        self.old_left = self.new_left = 0


def _structured(lines: list[QLine], authors: list[str | None], k: int) -> tuple[FoundDiff | None, int]:
    level = lines[k].level
    b = _Builder(level)
    consumed: set[int] = set()
    comment_lines: set[int] = set()
    i = k
    while i < len(lines):
        line = lines[i]
        if line.level < level:
            j = i
            while j < len(lines) and lines[j].level < level:
                j += 1
            first_text = next((lines[x].text for x in range(i, j) if lines[x].text.strip()), "")
            if _TRIM.match(first_text):
                # "<snip>" written by the quoter outside the quote marks.
                if b.in_hunk:
                    b.trim()
                consumed.update(x for x in range(i, j) if _TRIM.match(lines[x].text))
                if not (j < len(lines) and lines[j].level == level and is_diff_start(lines, j)):
                    break
                i = j
                continue
            resumes = j < len(lines) and lines[j].level == level and (b.in_hunk or is_diff_start(lines, j))
            stop = j if resumes else _first_paragraph_end(lines, i, level - 1)
            _attach(b, lines, authors, i, stop)
            comment_lines.update(range(i, stop))
            if not resumes:
                break
            i = j
            continue
        if line.level > level:
            break
        text = line.text
        if b.in_hunk and (text.startswith("diff --git ") or HUNK_HEAD.match(text)):
            # the next file or hunk starts while this hunk still lacks lines:
            # this hunk is short; say so for its own file and go on
            _cut_short(b)
        if b.in_hunk:
            if level > 0 and _TRIM.match(text):
                b.trim()
                consumed.add(i)
                i += 1
                continue
            if not b.hunk_line(text):
                break
            consumed.add(i)
            i += 1
            continue
        if b.head is not None and (b.old_left or b.new_left):
            break
        if text.startswith("diff --git "):
            b.start_file()
            b.canon.append(text)
            b.path = text.split()[-1][2:] if text.split()[-1].startswith("b/") else text.split()[-1]
        elif text.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].text.startswith("+++ "):
            if not b.canon or not b.canon[-1].startswith(("diff --git", "index ", "new file", "deleted file",
                                                          "old mode", "new mode", "similarity", "rename", "copy")):
                b.start_file()
            b.canon += [text, lines[i + 1].text]
            b.have_file_header = True
            consumed.update((i, i + 1))
            i += 2
            continue
        elif (m := HUNK_HEAD.match(text)):
            try:
                b.start_hunk(m)
            except DiffError as exc:
                b.errors.append(f"{exc.subject}: {exc.problem}")
                consumed.add(i)
                i += 1
                break
        elif _HEADER_LINE.match(text) and b.file_index >= 0:
            b.canon.append(text)
            if text.startswith("Binary files"):
                b.have_file_header = True
        elif text.startswith("GIT binary patch"):
            b.canon.append("Binary files differ")  # literal payload is not text we analyse
            while i + 1 < len(lines) and lines[i + 1].text.strip():
                i += 1
                consumed.add(i)
        elif level > 0 and _TRIM.match(text):
            pass  # "<snip>" between hunks of a quote
        else:
            break
        consumed.add(i)
        i += 1
    if b.in_hunk:
        _cut_short(b)
    if not consumed:
        return None, k + 1
    return _finish(b, authors[k], consumed, comment_lines), max(i, k + 1)


def _cut_short(b: _Builder) -> None:
    """A hunk that ends before its header's counts: a quoter's trim inside a
    reply, a damaged diff (reported, naming its own file and hunk) in the
    mail's own text."""
    if b.level == 0:
        m = b.head
        b.errors.append(
            f"{b.path}: hunk {b.hunk_index + 1} (@@ -{m.group('os')},{m.group('ol') or 1} "
            f"+{m.group('ns')},{m.group('nl') or 1} @@) is truncated or garbled: "
            f"{b.old_left} old and {b.new_left} new lines missing"
        )
        b.trim("hunk shorter than its header says (reported as damaged)")
    else:
        b.trim()


def _bounded(files: tuple[FileDiff, ...], errors: list[str]) -> tuple[FileDiff, ...]:
    """The first MAX_FILES files and MAX_HUNKS hunks of a diff; what is cut
    is reported, never dropped silently."""
    kept: list[FileDiff] = []
    hunks = 0
    for f in files[:MAX_FILES]:
        room = MAX_HUNKS - hunks
        if room <= 0:
            break
        if len(f.hunks) > room:
            f = FileDiff(f.old_path, f.new_path, f.hunks[:room], f.old_blob, f.new_blob, f.mode, f.binary)
        kept.append(f)
        hunks += len(f.hunks)
    total_hunks = sum(len(f.hunks) for f in files)
    if len(kept) < len(files) or hunks < total_hunks:
        errors.append(f"diff too large: analysed its first {len(kept):,} of {len(files):,} files and "
                      f"{hunks:,} of {total_hunks:,} hunks (limits: {MAX_FILES} files, {MAX_HUNKS} hunks "
                      "per diff); the rest is not analysed")
    return tuple(kept)


def _first_paragraph_end(lines: list[QLine], start: int, level: int) -> int:
    """A reply after the end of a quoted diff comments on it with its first
    paragraph; what follows is the reply going on about other things."""
    k = start
    while k < len(lines) and lines[k].level == level and not lines[k].text.strip():
        k += 1
    while k < len(lines) and lines[k].level == level and lines[k].text.strip():
        k += 1
    return k


def _attach(b: _Builder, lines: list[QLine], authors: list[str | None], start: int, stop: int) -> None:
    """Comments written between quoted diff lines, one per level run."""
    if b.hunk_index < 0 or start >= stop:
        return
    run_start = start
    for j in range(start, stop + 1):
        if j == stop or lines[j].level != lines[run_start].level:
            text = "\n".join(lines[x].text for x in range(run_start, j)).strip()
            if text:
                b.comments.append((b.file_index, b.hunk_index, ReviewComment(
                    authors[run_start], lines[run_start].level, b.hunk_index, max(b.line_index, 0), text)))
            run_start = j


def _finish(b: _Builder, author: str | None, consumed: set[int], comment_lines: set[int]) -> FoundDiff:
    text = "\n".join(b.canon) + "\n"
    found = FoundDiff(Diff((), b.level, author), consumed, comment_lines, list(b.errors))
    try:
        files = parse_diff(text, "diff")
    except DiffError as exc:
        found.errors.append(exc.problem)
        return found
    files = _bounded(files, found.errors)
    with_comments = []
    for f_index, f in enumerate(files):
        hunks = []
        for h_index, h in enumerate(f.hunks):
            mine = tuple(c for fi, hi, c in b.comments if fi == f_index and hi == h_index)
            hunks.append(Hunk(h.old_start, h.old_len, h.new_start, h.new_len, h.section_hint, h.lines, mine))
        with_comments.append(FileDiff(f.old_path, f.new_path, tuple(hunks), f.old_blob, f.new_blob, f.mode, f.binary))
    recoveries = tuple(
        Recovery("quoted" if b.level else "lost-context-prefix", 0.9 if "trimmed" in note else 0.95,
                 f"{note} ({count}x)")
        for note, count in sorted(b.notes.items())
    )
    found.diff = Diff(tuple(with_comments), b.level, author, recoveries)
    return found
