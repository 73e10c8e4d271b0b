"""The Report model: analyses grouped into patches, each with its
assessment, its scenarios' headline deltas, the thread's replies and their
review comments placed under the hunks they quote. Pure: every output
format (HTML, reply, JSON, text) is rendered from what this returns.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from triage import __version__
from triage.assess.rules import assess
from triage.model import (Analysis, Change, Diff, Headline, Hunk, InputProblem, InputResult, Message, PatchReport,
                          PlacedComment, Report, ScenarioRun, ThreadMessage)

SLUG_MAX = 60


def build_report(results: list[InputResult]) -> Report:
    patches: list[PatchReport] = []
    problems: list[InputProblem] = []
    pages: set[str] = set()
    for result in results:
        if result.error:
            problems.append(InputProblem(result.source, result.error, result.exit_code))
        problems += [InputProblem(result.source, p, result.exit_code) for p in result.problems]
        for head, replies in group_thread(result.analyses):
            page = unique_page(page_name(head.message, result.source), pages)
            pages.add(page)
            patches.append(patch_report(head, replies, page, result.source, result.form or "unknown"))
    return Report(f"iowq-triage {__version__}", tuple(patches), tuple(problems))


def patch_report(head: Analysis, replies: list[Analysis], page: str, source: str, form: str) -> PatchReport:
    placed: list[PlacedComment] = []
    thread = []
    for reply in replies:
        comments = place_comments(head.message, reply.message)
        placed += comments
        m = reply.message
        thread.append(ThreadMessage(m.source, m.subject.raw if m.subject else None, str(m.author) if m.author else None,
                                    m.date, m.message_id, sum(1 for c in comments if c.hunk_index >= 0)))
    runs = head.behaviour.runs if head.behaviour is not None else ()
    return PatchReport(page, source, form, head, assess(head), tuple(headline(r) for r in runs), tuple(thread),
                       tuple(placed))


# ---------------------------------------------------------------- threads


def is_patch(m: Message) -> bool:
    """A message that proposes a change: it carries a diff of its own, or it
    is a `[PATCH]` that is not a reply (a cover letter)."""
    return bool(m.own_diffs) or bool(m.subject and m.subject.is_patch and not m.subject.is_reply)


def group_thread(analyses: tuple[Analysis, ...]) -> list[tuple[Analysis, list[Analysis]]]:
    """Each patch with the replies that answer it. A reply finds its patch
    through In-Reply-To, then References from the nearest ancestor up; web
    archives often drop those headers, so the subject's title is the last
    resort. A reply whose patch is not in the input stands on its own."""
    heads = [a for a in analyses if is_patch(a.message)]
    by_id = {a.message.message_id: a for a in heads if a.message.message_id}
    by_title: dict[str, Analysis] = {}
    for a in heads:
        if a.message.subject and a.message.subject.title:
            by_title.setdefault(a.message.subject.title, a)
    answers: dict[int, list[Analysis]] = {id(a): [] for a in heads}
    order: list[Analysis] = []
    for a in analyses:
        if is_patch(a.message):
            order.append(a)
            continue
        m = a.message
        ids = ([m.in_reply_to] if m.in_reply_to else []) + list(reversed(m.references))
        parent = next((by_id[i] for i in ids if i in by_id), None)
        if parent is None and m.subject is not None:
            parent = by_title.get(m.subject.title)
        if parent is None:
            answers[id(a)] = []
            order.append(a)
        else:
            answers[id(parent)].append(a)
    return [(a, answers[id(a)]) for a in order]


def place_comments(patch: Message, reply: Message) -> list[PlacedComment]:
    """The reply's comments written between quoted diff lines, each under
    the patch hunk it quotes: same file and hunk header, else the hunk that
    has the quoted line's text (reviewers trim hunks and drop headers)."""
    out = []
    for diff in reply.diffs:
        if not diff.quoted:
            continue
        for file in diff.files:
            for quoted in file.hunks:
                for c in quoted.comments:
                    line = quoted.lines[c.after_line] if 0 <= c.after_line < len(quoted.lines) else None
                    where = _match_hunk(patch, file.path, quoted, line)
                    author = c.author or (reply.author.name if reply.author else None)
                    if where is None:
                        out.append(PlacedComment(-1, file.path, -1, -1, author, c.level, c.text, reply.message_id,
                                                 "not matched"))
                        continue
                    d_index, path, hunk_index, hunk, how = where
                    after = _line_index(hunk, line)
                    after = len(hunk.lines) - 1 if after is None else after
                    out.append(PlacedComment(d_index, path, hunk_index, after, author, c.level, c.text,
                                             reply.message_id, how))
    return out


def _match_hunk(patch: Message, path: str, quoted: Hunk, line) -> tuple[int, str, int, Hunk, str] | None:
    every = [(d_index, h_index, h, f.path) for d_index, d in enumerate(patch.diffs) if not d.quoted
             for f in d.files for h_index, h in enumerate(f.hunks)]
    # A reviewer who cut the ---/+++ lines leaves a hunk with no file name
    # (diffscan calls it "quoted-hunk"): any file of the patch may be meant.
    candidates = [c for c in every if c[3] == path] or every
    for d_index, h_index, h, file in candidates:
        if (h.old_start, h.new_start) == (quoted.old_start, quoted.new_start):
            return d_index, file, h_index, h, "hunk header"
    if line is not None and line.text.strip():
        for d_index, h_index, h, file in candidates:
            if _line_index(h, line) is not None:
                return d_index, file, h_index, h, "line text"
    return None


def _line_index(hunk: Hunk, line) -> int | None:
    """Where the quoted line is in the patch hunk (whitespace aside: quoting
    and rewrapping eat it)."""
    if line is not None:
        for i, x in enumerate(hunk.lines):
            if x.kind == line.kind and x.text.strip() == line.text.strip():
                return i
    return None


def shown_diffs(m: Message) -> list[tuple[int, Diff]]:
    """The diffs a page shows: the message's own, else those it quotes."""
    own = [(i, d) for i, d in enumerate(m.diffs) if not d.quoted]
    return own or list(enumerate(m.diffs))


# -------------------------------------------------------------- headlines


def headline(run: ScenarioRun) -> Headline:
    """What a run shows, direction-aware: a regression first (findings the
    patch introduces, then a metric that got worse), else an improvement
    (findings gone, then a metric that got better; scenarios list their key
    metric first), else no difference."""
    findings = (str(len(run.findings_before)), str(len(run.findings_after)))
    if run.new_findings:
        return Headline(run.scenario, "findings", *findings, Change.REGRESSED)
    if run.regressed:
        d = run.regressed[0]
        return Headline(run.scenario, d.metric, str(d.before), str(d.after), Change.REGRESSED)
    if run.fixed_findings:
        return Headline(run.scenario, "findings", *findings, Change.IMPROVED)
    if run.improved:
        d = run.improved[0]
        return Headline(run.scenario, d.metric, str(d.before), str(d.after), Change.IMPROVED)
    return Headline(run.scenario, "no difference", "", "", Change.UNCHANGED)


# ------------------------------------------------------------- file names


def page_name(m: Message, source: str) -> str:
    """`YYYY-MM-DD-subject-slug.html`: never a raw subject or message-id,
    which may hold anything (`../`, `<script>`, NUL, 300 characters)."""
    date = m.date[:10] if m.date and re.fullmatch(r"\d{4}-\d{2}-\d{2}", m.date[:10]) else "undated"
    title = m.subject.title if m.subject and m.subject.title else ""
    slug = slugify(title) or "patch-" + (slugify(PurePath(source.replace("\\", "/")).stem) or "input")
    return f"{date}-{slug}.html"


def slugify(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > SLUG_MAX:
            break
        slug = candidate
    return slug or (words[0][:SLUG_MAX] if words else "")  # a first word longer than the limit


def unique_page(name: str, taken: set[str]) -> str:
    stem, n = name.removesuffix(".html"), 2
    while name in taken or name == "index.html":
        name = f"{stem}-{n}.html"
        n += 1
    return name
