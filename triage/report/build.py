"""The Report model: analyses grouped into patches, each with its
assessment, its scenarios' headline deltas, the thread's replies and their
review comments placed under the hunks they quote. Pure: every output
format (HTML, reply, JSON, text) is rendered from what this returns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import PurePath

from triage import __version__
from triage.assess.rules import assess
from triage.ingest import threads
from triage.ingest.people import same_sender
from triage.ingest.review import review_events
from triage.report import words
from triage.model import (Analysis, Assessment, BugReport, Change, Diff, Headline, Hunk, InputProblem, InputResult,
                          Message, PageKind, PatchReport, PlacedComment, PostingLink, ReplyTrailer, Report,
                          ReviewEvent, ReviewState, ScenarioRun, ThreadMessage, TrailerCheck, TrailerScope)

SLUG_MAX = 60


def build_report(results: list[InputResult]) -> Report:
    """Every input's patches, threaded, then linked across the inputs:
    versions of one patch (superseded ones marked), the members of each
    series, bug reports and the patches that answer them."""
    heads: list[tuple[Analysis, list[Analysis], str, InputResult, tuple[ReplyTrailer, ...]]] = []
    problems: list[InputProblem] = []
    pages: set[str] = set()
    for result in results:
        if result.error:
            problems.append(InputProblem(result.source, result.error, result.exit_code))
        problems += [InputProblem(result.source, p, result.exit_code) for p in result.problems]
        analyses = result.analyses
        grouped = [(analyses[h], [analyses[r] for r in rs])
                   for h, rs in threads.group_thread([a.message for a in analyses])]
        series = _series_trailers(grouped)
        for head, replies in grouped:
            page = unique_page(page_name(head.message, result.source), pages)
            pages.add(page)
            heads.append((head, replies, page, result, _cover_of(head.message, series)))
    links = thread_links([h[0].message for h in heads], [h[2] for h in heads])
    patches = [patch_report(head, replies, page, result.source, result.form or "unknown", cover, links[i])
               for i, (head, replies, page, result, cover) in enumerate(heads)]
    return Report(f"iowq-triage {__version__}", tuple(patches), tuple(problems))


@dataclass(frozen=True)
class Links:
    """What threading across the inputs says about one page."""

    kind: PageKind = PageKind.MESSAGE
    version: int | None = None
    versions: tuple[PostingLink, ...] = ()
    superseded_by: PostingLink | None = None
    series: tuple[PostingLink, ...] = ()
    bug: BugReport | None = None
    answers: tuple[PostingLink, ...] = ()


def thread_links(messages: list[Message], pages: list[str]) -> list[Links]:
    """Per page: its kind, its series, its versions and the latest one,
    the bug reports it answers or the patches that answer it."""
    heads = list(range(len(messages)))
    found = threads.threading(messages, heads)
    fields: list[dict] = [{} for _ in messages]

    def link(h: int, label: str, current: int | None = None) -> PostingLink:
        m = messages[h]
        return PostingLink(label, pages[h], m.subject.raw if m.subject else pages[h], m.date, h == current,
                           str(m.author) if m.author else None, m.message_id)

    for i, m in enumerate(messages):
        if threads.is_bug_report(m):
            fields[i]["kind"] = PageKind.BUG_REPORT
        elif threads.is_patch(m):
            fields[i]["kind"] = PageKind.PATCH if m.own_diffs else PageKind.COVER
    for p in found.postings:
        for h in p.heads:
            fields[h]["version"] = p.version
        if p.total is None or p.total <= 1:
            continue
        for h in p.heads:
            members = ([link(p.cover, "cover", h)] if p.cover is not None else [])
            have = dict(p.members)
            for n in sorted(set(have) | set(p.missing)):
                if n in have:
                    members.append(link(have[n], f"{n}/{p.total}", h))
                else:
                    members.append(PostingLink(f"{n}/{p.total}", None, "not in the input", None))
            fields[h]["series"] = tuple(members)
    for group in found.versions:
        for p in group.postings:
            latest = group.superseded_by(p)
            for h in p.heads:
                title = threads.normal_title(messages[h].subject.title) if messages[h].subject else ""
                chain = tuple(link(_counterpart(messages, q, title, h), _version_label(q, group), h)
                              for q in group.postings)
                fields[h]["versions"] = chain
                if latest is not None:
                    fields[h]["superseded_by"] = link(_counterpart(messages, latest, title, h),
                                                      _version_label(latest, group))
    for report, answering in found.answers.items():
        m = messages[report]
        fields[report]["bug"] = BugReport(m.subject.title if m.subject else "", str(m.author) if m.author else None,
                                          threads.trace_functions(m),
                                          tuple(link(h, _posting_label(messages[h])) for h in answering))
        for h in answering:
            fields[h]["answers"] = fields[h].get("answers", ()) + (link(report, "bug report"),)
    return [Links(**f) for f in fields]


def _counterpart(messages: list[Message], posting: threads.Posting, title: str, current: int) -> int:
    """The page of another version that matches this one: the same page if
    it is in that posting, else the member with the same title, else the
    posting's cover or first patch."""
    if current in posting.heads:
        return current
    for h in posting.heads:
        s = messages[h].subject
        if s is not None and threads.normal_title(s.title) == title:
            return h
    return posting.first


def _version_label(p: threads.Posting, group: threads.Versions) -> str:
    """`v2`, and the date when the same number was posted twice (RESEND, RFC then PATCH)."""
    same = sum(1 for q in group.postings if q.version == p.version)
    return f"v{p.version}" + (f" of {p.date[:10]}" if same > 1 and p.date else "")


def _posting_label(m: Message) -> str:
    s = m.subject
    if s is None:
        return "patch"
    return (f"v{s.version} " if s.version else "") + (f"{s.index}/{s.total}" if s.total else "patch")


def patch_report(head: Analysis, replies: list[Analysis], page: str, source: str, form: str,
                 from_cover: tuple[ReplyTrailer, ...] = (), links: Links = Links()) -> PatchReport:
    placed: list[PlacedComment] = []
    thread = []
    said: set[str] = set()
    for reply in replies:
        # each comment once: a later reply that quotes an earlier one's
        # comment (a re-quote, 203 of 421 on the lore threads) adds nothing
        comments = []
        for c in place_comments(head.message, reply.message):
            key = " ".join(c.text.split()).casefold()
            if key not in said:
                said.add(key)
                comments.append(c)
        placed += comments
        m = reply.message
        thread.append(ThreadMessage(m.source, m.subject.raw if m.subject else None, str(m.author) if m.author else None,
                                    m.date, m.message_id, sum(1 for c in comments if c.hunk_index >= 0),
                                    own_words(m), sum(p.text.count("\n") + 1 for p in m.parts if p.level > 0)))
    runs = head.behaviour.runs if head.behaviour is not None else ()
    given = _unique(reply_trailers(replies, TrailerScope.PATCH) + list(from_cover))
    review = [e for r in replies for e in review_events(head.message, r.message)]
    m = head.message
    if not threads.is_patch(m) and m.subject is not None and m.subject.is_reply:
        # a reply whose patch is not in the input ("Thanks, applied." alone):
        # its own words are about that patch, whose author is not known here
        review = review_events(replace(m, author=None), m) + review
    if links.superseded_by is not None:
        later = links.superseded_by
        review.append(ReviewEvent(ReviewState.SUPERSEDED, later.subject, later.author, later.message_id, later.date))
    review = tuple(review)
    assessment = _reviewed(assess(head), review, links.superseded_by)
    if m.own_diffs and not m.fixes:
        # b4 would fold a reviewer's Fixes: into the commit: say it, with what the tree says of it
        said = [f"a reply by {t.sender or 'an unknown sender'} gives Fixes: {t.value}"
                + (f" ({words.tree_says(t.commit)})" if t.commit else "") for t in given if t.key == "Fixes"]
        if not m.stable:
            said += [f"a reply by {t.sender or 'an unknown sender'} asks for stable: Cc: {t.value}"
                     for t in given if t.key == "Cc"]
        if said:
            assessment = replace(assessment, reasons=assessment.reasons + tuple(said))
    return PatchReport(page, source, form, head, assessment,
                       tuple(headline(r) for r in runs), tuple(thread), tuple(placed), tuple(given), review,
                       links.kind, links.version, links.versions, links.superseded_by, links.series, links.bug,
                       links.answers)


def _reviewed(a: Assessment, review: tuple[ReviewEvent, ...], later: PostingLink | None = None) -> Assessment:
    """A patch NAKed, withdrawn or superseded is never a backport, whatever
    its tags and branches say: the verdict says so with the sentence (or the
    later version) that decided it; an "applied" reply is a reason to show."""
    if a.verdict == "no patch":
        return a
    if later is not None:
        return replace(a, verdict="superseded", reasons=(
            f'superseded by {later.label}: "{later.subject}"' + (f" ({later.date[:10]})" if later.date else "")
            + ": decide on that version", f"the checks said of this one: {a.verdict}") + a.reasons)
    stop = [e for e in review if e.state in (ReviewState.NAKED, ReviewState.WITHDRAWN)]
    said = [f'{e.state.value} by {e.sender or "an unknown sender"}: "{e.sentence}"' for e in review
            if e.state in (ReviewState.NAKED, ReviewState.WITHDRAWN, ReviewState.APPLIED, ReviewState.QUEUED)]
    if stop:
        return replace(a, verdict="do not backport", reasons=tuple(said) + (f"the checks said: {a.verdict}",)
                       + a.reasons)
    return replace(a, reasons=a.reasons + tuple(said)) if said else a


# ------------------------------------------------------- trailers in replies

# What b4 collects from replies ("code-review trailers"), and Fixes/Link/
# Closes/Cc (stable) given by a reviewer. A Signed-off-by in a reply counts
# only when it is the sender's own, as b4 has it: a maintainer's reply that
# shows the commit as applied carries his sign-off (lore, 2020-12-14 io-wq
# submit_work thread); anyone else's is the patch's, quoted or pasted.
REPLY_KEYS = ("Reviewed-by", "Acked-by", "Tested-by", "Reviewed-and-tested-by", "Reported-by",
              "Reported-and-tested-by", "Suggested-by", "Nacked-by", "Fixes", "Link", "Closes", "Cc",
              "Signed-off-by")


def reply_trailers(replies: list[Analysis], scope: TrailerScope) -> list[ReplyTrailer]:
    """Trailers written in the replies' own text, each attributed to its
    reply's sender and checked against it. Quoted trailers (`> Reviewed-by`:
    the patch's own, or another reply's) are never collected; a `Cc:` counts
    only when it is a stable tag. A `Fixes:` carries what the kernel tree
    says of the commit it names (with --repo: the reply was checked like a
    patch's own Fixes)."""
    out = []
    for reply in replies:
        m = reply.message
        named = {n.given: n for n in reply.tree.named} if reply.tree is not None else {}
        sender = m.author
        for t in m.trailers:
            if t.level != 0 or t.key not in REPLY_KEYS:
                continue
            if t.key == "Cc" and "stable" not in t.value.lower():
                continue
            if t.person is None or t.key in ("Fixes", "Link", "Closes", "Cc"):
                check = TrailerCheck.NO_PERSON
            elif sender is not None and same_sender(t.person, sender):
                check = TrailerCheck.SENDER
            else:
                check = TrailerCheck.OTHER
            if t.key == "Signed-off-by" and check is not TrailerCheck.SENDER:
                continue
            commit = None
            if t.key == "Fixes":
                commit = next((n for given, n in named.items() if t.value.startswith(given)), None)
            out.append(ReplyTrailer(t.key, t.value, str(sender) if sender else None, m.message_id, m.date, scope,
                                    check, commit))
    return out


def _unique(given: list[ReplyTrailer]) -> list[ReplyTrailer]:
    """The first of each (key, value): the same Reviewed-by sent twice, or
    given on the patch and on its cover letter, is one trailer."""
    seen: set = set()
    out = []
    for t in given:
        k = (t.key.lower(), " ".join(t.value.split()).lower())
        if k not in seen:
            seen.add(k)
            out.append(t)
    return out


def _series_trailers(grouped) -> dict[str, tuple[ReplyTrailer, ...]]:
    """Cover letter message-id -> the trailers given in replies to it (for
    every patch of the series)."""
    out = {}
    for head, replies in grouped:
        m = head.message
        if m.message_id and not m.own_diffs and m.subject and m.subject.is_patch:
            out[m.message_id] = tuple(reply_trailers(replies, TrailerScope.SERIES))
    return out


def _cover_of(m: Message, series: dict[str, tuple[ReplyTrailer, ...]]) -> tuple[ReplyTrailer, ...]:
    """The series trailers of the cover letter this patch answers, if any."""
    if not m.own_diffs:
        return ()
    for i in threads.ancestors(m):
        if i in series:
            return series[i]
    return ()


# ---------------------------------------------------------------- threads


def own_words(m: Message) -> str:
    """A message's own prose (level 0), trailers and diffs aside: a patch's
    changelog, a reply's discussion."""
    return "\n\n".join(p.text.strip() for p in m.parts if p.level == 0 and p.kind == "prose" and p.text.strip())


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
                    text = comment_text(c.text)
                    if not text:
                        continue
                    c = replace(c, text=text)
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


_SIGNATURE = re.compile(r"^-- ?$", re.MULTILINE)
_SNIP = re.compile(r"^\s*(?:\[\.\.\.\]|\[snip\]|<snip>|\.\.\.|…)\s*$", re.IGNORECASE)


def comment_text(text: str) -> str:
    """A review comment without what is not one: the signature block after
    `-- ` (and a bare name or "Thanks" sign-off after it), and lines that
    only mark cut quotes (`[...]`, `<snip>`)."""
    cut = _SIGNATURE.search(text)
    if cut:
        text = text[:cut.start()]
    lines = [line for line in text.split("\n") if not _SNIP.match(line)]
    return "\n".join(lines).strip()


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
