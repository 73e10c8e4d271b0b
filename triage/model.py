"""Plain frozen dataclasses passed between the stages (see DESIGN.md).

Nothing here does I/O. Derived facts are properties so that they cannot
disagree with the data they come from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


# ---------------------------------------------------------------- people, tags


@dataclass(frozen=True)
class Person:
    name: str
    email: str = ""
    # Web archives hide addresses as "axboe@...nel.dk": keep what is shown and
    # say that it is incomplete rather than guessing the domain.
    obfuscated: bool = False

    def __str__(self) -> str:
        if self.name and self.email:
            return f"{self.name} <{self.email}>"
        return self.name or self.email


@dataclass(frozen=True)
class Subject:
    """A parsed subject line: `Re: [PATCH v3 2/5] io_uring/io-wq: ...`."""

    raw: str
    title: str  # without Re:/Fwd: and bracket prefixes
    is_reply: bool = False
    tags: tuple[str, ...] = ()  # bracket words as written: PATCH, v3, 2/5, 6.1, ...
    is_patch: bool = False
    version: int | None = None  # v3 -> 3
    index: int | None = None  # 2/5 -> 2
    total: int | None = None  # 2/5 -> 5
    resend: bool = False
    rfc: bool = False
    tree: str | None = None  # "next", "for-next", "io_uring-6.19", ...
    autosel: str | None = None  # AUTOSEL 6.16 -> "6.16"
    # `[PATCH 6.1]` / `[PATCH 5.15.y]` name the stable branch the patch is
    # meant for, not a version of the patch.
    stable_target: str | None = None  # canonical branch name: linux-6.1.y

    @property
    def is_cover(self) -> bool:
        return self.index == 0 and self.total is not None


@dataclass(frozen=True)
class Trailer:
    key: str  # canonical spelling, e.g. "Signed-off-by"
    value: str
    person: Person | None = None
    level: int = 0  # quoting level of the text it was found in


@dataclass(frozen=True)
class CommitRef:
    """A commit id the text names, with its role and the quoted subject."""

    sha: str
    role: str  # fixes | upstream | cited | stable-prerequisite
    subject: str | None = None
    level: int = 0
    author: str | None = None  # who wrote the text that cites it, when known
    problems: tuple[str, ...] = ()  # e.g. "sha shorter than 12 hex digits"


@dataclass(frozen=True)
class StableCc:
    """`Cc: stable@vger.kernel.org # 5.10+` and its prerequisite lines."""

    raw: str
    version_note: str | None = None  # "5.10+", "v6.18+", "5.14"
    min_version: str | None = None  # "5.10" when the note says "5.10+"
    prerequisites: tuple[CommitRef, ...] = ()


# ----------------------------------------------------------------------- diffs


@dataclass(frozen=True)
class DiffLine:
    kind: str  # " " context, "+" added, "-" removed
    text: str  # without the diff marker
    old_no: int | None = None
    new_no: int | None = None


@dataclass(frozen=True)
class ReviewComment:
    """Reviewer text written between quoted diff lines."""

    author: str | None
    level: int  # quoting level of the comment itself (0 = the mail's author)
    hunk_index: int  # index within the file diff
    after_line: int  # index into Hunk.lines of the line the comment follows
    text: str


@dataclass(frozen=True)
class Hunk:
    old_start: int
    old_len: int
    new_start: int
    new_len: int
    section_hint: str  # git's "@@ ... @@ <hint>": a guess, never a fact
    lines: tuple[DiffLine, ...]
    comments: tuple[ReviewComment, ...] = ()

    @property
    def added(self) -> int:
        return sum(1 for line in self.lines if line.kind == "+")

    @property
    def removed(self) -> int:
        return sum(1 for line in self.lines if line.kind == "-")

    @property
    def header(self) -> str:
        """The `@@ -a,b +c,d @@ hint` line as git writes it."""
        head = f"@@ -{self.old_start},{self.old_len} +{self.new_start},{self.new_len} @@"
        return head + (f" {self.section_hint}" if self.section_hint else "")

    @property
    def counts_check(self) -> bool:
        """Do the lines add up to the header's counts?"""
        old = sum(1 for line in self.lines if line.kind in " -")
        new = sum(1 for line in self.lines if line.kind in " +")
        return old == self.old_len and new == self.new_len

    def side(self, which: str) -> tuple[DiffLine, ...]:
        """Lines of the old ("-") or new ("+") side, context included."""
        return tuple(line for line in self.lines if line.kind in (" ", which))


@dataclass(frozen=True)
class FileDiff:
    old_path: str | None  # None for a new file
    new_path: str | None  # None for a deleted file
    hunks: tuple[Hunk, ...]
    old_blob: str | None = None  # from "index abc..def"
    new_blob: str | None = None
    mode: str | None = None
    binary: bool = False

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or ""

    @property
    def added(self) -> int:
        return sum(h.added for h in self.hunks)

    @property
    def removed(self) -> int:
        return sum(h.removed for h in self.hunks)


@dataclass(frozen=True)
class Recovery:
    """How a diff was rebuilt from damaged text, and how sure we are."""

    method: str  # flattened | quoted | lost-context-prefix
    confidence: float  # 0..1
    detail: str


@dataclass(frozen=True)
class Diff:
    files: tuple[FileDiff, ...]
    level: int = 0  # 0 = the mail's own diff; >0 = quoted by a reply
    author: str | None = None  # who wrote the diff, when the quoting says
    recoveries: tuple[Recovery, ...] = ()

    @property
    def quoted(self) -> bool:
        return self.level > 0

    @property
    def reconstructed(self) -> bool:
        return any(r.method == "flattened" for r in self.recoveries)


# -------------------------------------------------------------------- messages


@dataclass(frozen=True)
class MessagePart:
    """A run of body lines at one quoting level, attributed when possible."""

    level: int
    author: str | None
    text: str
    kind: str = "prose"  # prose | diff | trailers | llm-explanation | code


@dataclass(frozen=True)
class ProseSymbol:
    """A C identifier named in prose (`io_wq_enqueue()`, IO_WQ_BIT_EXIT)."""

    name: str
    kind: str  # function | constant | struct | member | identifier
    level: int
    count: int = 1


@dataclass(frozen=True)
class CodeSnippet:
    """A C definition written in prose, not as a diff: a proposal in a
    review ("What about something like? enum { ... }") or a pahole dump."""

    kind: str  # struct | union | enum
    name: str
    level: int
    author: str | None
    items: tuple[str, ...]  # members ("flags: long unsigned int") or enumerators ("IO_WORKER_F_UP = 0")
    text: str = ""  # the definition as written
    truncated: bool = False  # the writer cut it ("<snip>"): no layout from it


@dataclass(frozen=True)
class Message:
    source: str  # file name (and index within an mbox)
    form: str  # mail | mbox | format-patch | git-show | diff | web-text
    subject: Subject | None
    author: Person | None
    date: str | None  # ISO 8601 when it could be parsed, else as written
    message_id: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    to: tuple[Person, ...] = ()
    cc: tuple[Person, ...] = ()
    parts: tuple[MessagePart, ...] = ()
    trailers: tuple[Trailer, ...] = ()
    commits: tuple[CommitRef, ...] = ()
    stable: tuple[StableCc, ...] = ()
    diffs: tuple[Diff, ...] = ()
    prose_symbols: tuple[ProseSymbol, ...] = ()
    snippets: tuple[CodeSnippet, ...] = ()
    warnings: tuple[str, ...] = ()
    # The decoded body as read (in-body From:/Date:/Subject: lines taken
    # off): what `report --format mbox` gives git am. Not in JSON: the
    # parts above carry the same text, read.
    body: str = field(default="", repr=False, compare=False, metadata={"json": False})

    @property
    def upstream(self) -> str | None:
        for ref in self.commits:
            if ref.role == "upstream":
                return ref.sha
        return None

    @property
    def fixes(self) -> tuple[CommitRef, ...]:
        return tuple(ref for ref in self.commits if ref.role == "fixes")

    @property
    def own_diffs(self) -> tuple[Diff, ...]:
        return tuple(d for d in self.diffs if not d.quoted)


# -------------------------------------------------------------------- symbols


@dataclass(frozen=True)
class SymbolChange:
    """What one hunk does to one C symbol."""

    file: str
    hunk_index: int
    symbol: str  # "create_worker_cb", "struct io_worker", "IO_WORKER_F_UP"
    kind: str  # function | struct | union | enum | enumerator | macro | global | typedef | file-scope
    how: tuple[str, ...]  # body changed, signature changed, member retyped: flags, label added: x, ...
    evidence: str  # pre-image | hunk | hint
    hint: str = ""  # git's section text for the hunk
    hint_agrees: bool | None = None  # None when the hint names nothing checkable
    new_lines: tuple[int, ...] = field(default=())  # changed line numbers, new side
    old_lines: tuple[int, ...] = field(default=())  # changed line numbers, old side
    diff_index: int = 0  # which of Message.diffs


@dataclass(frozen=True)
class LayoutFacts:
    """A struct's layout under one config profile (pahole's summary)."""

    profile: str
    size: int | None = None
    cachelines: int | None = None
    holes: int | None = None
    sum_holes: int | None = None
    padding: int | None = None
    straddling: tuple[str, ...] = ()
    listing: str = ""  # the pahole-style listing
    unknown: str | None = None  # why no layout (a type the profile does not know)


@dataclass(frozen=True)
class LayoutDelta:
    """What a change (or a definition in the text) does to a struct's layout."""

    symbol: str  # "struct io_worker"
    origin: str  # pre-image (before/after the patch) | text (a definition written in the mail)
    before: tuple[LayoutFacts, ...] = ()  # per profile; empty when there is no "before"
    after: tuple[LayoutFacts, ...] = ()


@dataclass(frozen=True)
class KnobChange:
    """A knob's value before and after a patch, read from the patch's code,
    with what decided each."""

    knob: str
    before: str | None  # on | off | a granularity | None (unknown)
    after: str | None
    how: str  # probed on the source file | probed on the hunks
    before_reason: str = ""
    after_reason: str = ""
    before_lines: tuple[str, ...] = ()
    after_lines: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return self.before is not None and self.after is not None and self.before != self.after


@dataclass(frozen=True)
class Claim:
    """What the mail's words say a knob becomes: a claim, shown as the
    mail's words, never simulated, never a passed check."""

    knob: str
    before: str | None
    after: str | None
    quote: str  # the sentence that says it
    reason: str = ""


@dataclass(frozen=True)
class KnobSetting:
    """A knob's value at the start of a scenario run, and where it came from."""

    knob: str
    value: str
    source: str  # pre-image (probed on the patch's own pre-image) | scenario default (the tree it reproduces)


class Better(str, Enum):
    """Which way of a metric is better, as its scenario declares it."""

    LOWER = "lower"
    HIGHER = "higher"
    NEITHER = "neither"  # context: shown, never judged


class Change(str, Enum):
    IMPROVED = "improved"
    REGRESSED = "regressed"
    UNCHANGED = "unchanged"  # equal, or within the metric's tolerance
    MOVED = "moved"  # a metric with no better direction changed
    NOT_COMPARABLE = "not comparable"


class Outcome(str, Enum):
    """What a scenario run shows the patch doing, direction-aware."""

    IMPROVES = "improves"  # some metric better or a finding gone; nothing worse, no new finding
    REGRESSES = "regresses"  # some metric worse or a new finding; nothing better
    MIXED = "mixed"  # both
    NO_DIFFERENCE = "no difference"


@dataclass(frozen=True)
class MetricDelta:
    metric: str
    before: int | float | str  # a number, or words ("never within 30 s")
    after: int | float | str
    better: Better
    change: Change
    help: str = ""


@dataclass(frozen=True)
class FindingDetail:
    """A simulator finding with what a reviewer needs to check it: both
    access sites of a race and the schedule (task chosen at each step)."""

    side: str  # before | after
    kind: str  # data-race | invariant | deadlock | step-limit
    message: str
    sites: tuple[str, ...] = ()
    schedule: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScenarioRun:
    """One scenario run with the knobs as before and as after the patch."""

    scenario: str
    settings: tuple[str, ...]  # "knob: before -> after"
    mode: str  # seeded | random | pct | exhaustive
    metrics: tuple[MetricDelta, ...]
    findings_before: tuple[str, ...] = ()
    findings_after: tuple[str, ...] = ()
    # (virtual ms, workers alive, workers running, work queued, workers created
    # so far) at each change, thinned to about TIMELINE_POINTS; events as
    # (virtual ms, text)
    timeline_before: tuple[tuple[float, int, int, int, int], ...] = ()
    timeline_after: tuple[tuple[float, int, int, int, int], ...] = ()
    events_before: tuple[tuple[float, str], ...] = ()
    events_after: tuple[tuple[float, str], ...] = ()
    details: tuple[FindingDetail, ...] = ()
    outcome: Outcome = Outcome.NO_DIFFERENCE
    metrics_from: str = ""  # which schedules the metrics and findings come from
    base: tuple[KnobSetting, ...] = ()  # every knob at the start of the "before" run

    @property
    def new_findings(self) -> tuple[str, ...]:
        """Findings after the patch that were not there before: the patch introduces them."""
        return tuple(f for f in self.findings_after if f not in self.findings_before)

    @property
    def fixed_findings(self) -> tuple[str, ...]:
        return tuple(f for f in self.findings_before if f not in self.findings_after)

    @property
    def improved(self) -> tuple[MetricDelta, ...]:
        """Metrics that got better, in the scenario's order (key metric first)."""
        return tuple(d for d in self.metrics if d.change is Change.IMPROVED)

    @property
    def regressed(self) -> tuple[MetricDelta, ...]:
        return tuple(d for d in self.metrics if d.change is Change.REGRESSED)


class FindingChange(str, Enum):
    """A finding of the file's own code, before and after the patch."""

    INTRODUCED = "introduced by the patch"  # after only
    FIXED = "fixed by the patch"  # before only
    UNCHANGED = "not changed"  # in both


@dataclass(frozen=True)
class CodeEvidence:
    """A finding of a code-mode run (io-wq's own C) with what shows it."""

    change: FindingChange
    kind: str  # data-race | invariant | WARN_ON | use-after-free | at the end | ...
    message: str  # as the run that shows it gives it (after for introduced and unchanged, before for fixed)
    key: str  # the same finding in either file and any scenario (no object, line or count numbers)
    schedule: tuple[str, ...] = ()  # the task chosen at each choice point, up to the finding
    trail: tuple[str, ...] = ()  # the C that led to it: `task function:line`, oldest first
    time: float = 0.0  # virtual seconds


@dataclass(frozen=True)
class CodeScenarioRun:
    """One code-mode workload run on the pre-image and on the patched file,
    same seeds, same schedules."""

    scenario: str
    reached: tuple[str, ...]  # the changed lines it ran: "before io_wq_enqueue:1012", "after ..."
    mode: str  # "seed 0 and 3 more random schedules"
    metrics: tuple[MetricDelta, ...] = ()
    findings: tuple[CodeEvidence, ...] = ()
    outcome: Outcome = Outcome.NO_DIFFERENCE
    stopped: str = ""  # a side could not run: which and why (then nothing is compared)


@dataclass(frozen=True)
class ChangedLine:
    side: str  # before (a line the patch removes or rewrites) | after (a line it adds)
    line: int
    function: str  # "" outside any function
    text: str


@dataclass(frozen=True)
class CodeDelta:
    """What the patch does to io-wq's behaviour from its own code: the
    scenarios whose coverage meets a changed line, run on the pre-image and
    on the patched file."""

    path: str
    runs: tuple[CodeScenarioRun, ...] = ()
    not_exercised: tuple[ChangedLine, ...] = ()  # changed code lines no scenario ran
    definitions: tuple[ChangedLine, ...] = ()  # changed lines outside function bodies (structs, macros)
    skipped: tuple[str, ...] = ()  # scenarios not run, and why
    stopped: str = ""  # the file's code cannot run at all (which side, what construct)

    @property
    def introduced(self) -> tuple[tuple[str, CodeEvidence], ...]:
        return tuple((r.scenario, f) for r in self.runs for f in r.findings if f.change is FindingChange.INTRODUCED)

    @property
    def fixed(self) -> tuple[tuple[str, CodeEvidence], ...]:
        return tuple((r.scenario, f) for r in self.runs for f in r.findings if f.change is FindingChange.FIXED)


@dataclass(frozen=True)
class Behaviour:
    """What the patch changes in io-wq's behaviour, as far as the model
    covers it: knobs read from code (evidence) and what the mail says
    (claims), kept apart."""

    images: str  # source file | hunks | quoted patch | none
    knobs: tuple[KnobChange, ...]
    runs: tuple[ScenarioRun, ...] = ()
    touching: tuple[str, ...] = ()  # scenarios exercising the touched symbols
    summary: str = ""
    claims: tuple[Claim, ...] = ()
    code: CodeDelta | None = None  # the scenarios run on the file's own code, where its whole pre-image is known
    # a scenario the knob model and the file's own code both ran whose
    # outcomes point opposite ways: a finding of its own (one of them is wrong)
    disagreements: tuple[str, ...] = ()


# ------------------------------------------------------------------ kernel tree


@dataclass(frozen=True)
class NamedCommit:
    """A commit id the patch names (Fixes: or cited), as the tree knows it."""

    given: str  # as written in the mail
    role: str  # fixes | cited
    sha: str | None = None  # full id, None when the tree has no such commit
    subject_given: str | None = None
    subject: str | None = None  # the real subject
    subject_matches: bool | None = None  # None when the mail gives no subject
    in_mainline: bool | None = None
    upstream: str | None = None  # a stable backport's upstream id (`commit X upstream.`)
    upstream_subject: str | None = None
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Prerequisite:
    """Something the patch relies on that a branch lacks."""

    symbol: str  # io_acct_activate_free_worker, or "member lock"
    detail: str
    introduced_by: str | None = None  # the upstream commit that brought it, when the tree finds it
    introduced_subject: str | None = None


@dataclass(frozen=True)
class BranchKnob:
    """A knob the patch changes, probed on a branch's io-wq file."""

    knob: str
    value: str | None
    state: str  # before (has what the fix removes) | after (behaves as fixed) | other | unknown
    reason: str = ""


@dataclass(frozen=True)
class BranchFacts:
    """One branch of the stable matrix, with the verdict and its reasons."""

    branch: str
    tip: str
    mainline: bool
    file: str | None  # the io-wq file on this branch (fs/io-wq.c before 6.0)
    bug: str  # present | absent | unknown
    bug_reasons: tuple[str, ...]
    fix: str | None  # how the fix is already there, None when it is not
    fix_commit: str | None
    apply: str  # clean | offset | fuzz | applied (already there) | conflict | no diff | no file
    apply_detail: str
    prerequisites: tuple[Prerequisite, ...]
    knobs: tuple[BranchKnob, ...]
    verdict: str  # needed | not needed | already fixed | needs backport work | undetermined
    reasons: tuple[str, ...]
    code: CodeDelta | None = None  # the branch's own io-wq.c run without and with the patch (where it applies)
    code_note: str = ""  # why it was not run there


@dataclass(frozen=True)
class TreeFacts:
    """What a kernel tree says about one patch."""

    repo: str
    mainline: str | None
    upstream: str | None  # the change's commit in mainline
    upstream_how: str | None  # how it was found (cited by the mail, patch-id, subject)
    upstream_first: str | None  # set when a patch for stable is not in mainline
    named: tuple[NamedCommit, ...]
    branches: tuple[BranchFacts, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class StableCandidate:
    """A commit `triage scan` found: it fixes something a stable branch has,
    carries no Cc: stable, and the branch lacks it."""

    sha: str
    subject: str
    fixes: tuple[str, ...]  # Fixes ids as written
    branches: tuple[str, ...]  # "linux-6.6.y: Fixes target ... in branch, fix not in branch"


@dataclass(frozen=True)
class RuleCheck:
    """One item of the stable-kernel-rules checklist."""

    rule: str
    status: str  # pass | fail | unknown
    reason: str


@dataclass(frozen=True)
class RiskFactor:
    name: str
    weight: int
    reason: str


@dataclass(frozen=True)
class Assessment:
    """The patch-level verdict with its reasons, the checklist, the risk
    factors and what the analysis could not see."""

    verdict: str
    reasons: tuple[str, ...]
    checks: tuple[RuleCheck, ...]
    risk: tuple[RiskFactor, ...]
    blind_spots: tuple[str, ...]
    risk_max: int = 0  # the largest total the factors can reach: the scale of risk_total
    risk_band: str = ""  # what the total means, in words (assess/risk.py BANDS)

    @property
    def risk_total(self) -> int:
        return sum(f.weight for f in self.risk)


@dataclass(frozen=True)
class Analysis:
    """Everything the first stages know about one message."""

    message: Message
    symbols: tuple[SymbolChange, ...]
    source_used: str | None = None  # the --source file the mapping used, if any
    notes: tuple[str, ...] = ()  # what the mapping could not do, and why
    layouts: tuple[LayoutDelta, ...] = ()  # structs the patch changes, and structs written in the text
    behaviour: Behaviour | None = None  # only when asked for (it runs the simulator)
    tree: TreeFacts | None = None  # only with --repo


@dataclass(frozen=True)
class InputResult:
    """One input of a batch: its analyses, or the one-line reason it failed."""

    source: str
    form: str | None
    analyses: tuple[Analysis, ...] = ()
    problems: tuple[str, ...] = ()  # damaged parts; the rest was analysed
    error: str | None = None  # the input could not be read at all
    exit_code: int = 0


@dataclass(frozen=True)
class Document:
    """One input as read: its messages and what was wrong with it."""

    source: str
    form: str
    messages: tuple[Message, ...]
    problems: tuple[str, ...] = ()  # damaged diffs etc.: reported, exit code 4


# ---------------------------------------------------------------------- report


@dataclass(frozen=True)
class PlacedComment:
    """A review comment from a reply in the thread, placed under the hunk
    of the patch it concerns (the reply quoted that hunk)."""

    diff_index: int  # which of the patch message's diffs
    file: str
    hunk_index: int
    after_line: int  # index into Hunk.lines of the line the comment follows
    author: str | None
    level: int  # quoting level inside the reply (0 = the reply's author)
    text: str
    message_id: str | None  # the reply that carries it
    placed_by: str  # how the hunk was matched: hunk header | line text


@dataclass(frozen=True)
class Headline:
    """A scenario's headline delta: a regression first (new findings, then
    a metric that got worse), else an improvement, else no difference."""

    scenario: str
    what: str  # metric name, "findings", or "no difference"
    before: str
    after: str
    change: Change = Change.UNCHANGED


@dataclass(frozen=True)
class ThreadMessage:
    """Another message of the thread, shown with the patch it answers."""

    source: str
    subject: str | None
    author: str | None
    date: str | None
    message_id: str | None
    comments: int  # review comments placed under the patch's hunks
    own_text: str = ""  # what the reply says in its own words (level 0 prose, signature and diffs aside)
    quoted_lines: int = 0  # lines it quotes (folded on the page)


class TrailerCheck(str, Enum):
    """Whom a trailer given in a reply names, against the reply's sender."""

    SENDER = "the sender"  # the trailer names the person who sent the reply
    OTHER = "another person"  # given on someone else's behalf (or a typo): said, not hidden
    NO_PERSON = "no person"  # Fixes:, Link:, Closes:


class TrailerScope(str, Enum):
    PATCH = "patch"  # a reply to the patch itself
    SERIES = "series"  # a reply to the cover letter: for every patch of the series


@dataclass(frozen=True)
class ReplyTrailer:
    """A trailer given in a reply (not quoted from the patch): what `b4 am`
    collects into the patch before it is applied."""

    key: str
    value: str
    sender: str | None  # the reply's From:
    message_id: str | None
    date: str | None
    scope: TrailerScope
    check: TrailerCheck
    commit: NamedCommit | None = None  # a Fixes: as the kernel tree knows it (with --repo), else None


class ReviewState(str, Enum):
    """What a reply says happened to the patch, in the reply's own words."""

    APPLIED = "applied"
    QUEUED = "queued"
    CHANGES_REQUESTED = "changes requested"
    NAKED = "NAKed"
    WITHDRAWN = "withdrawn"
    UPSTREAM_FIRST = "send it upstream first"
    TESTED = "tested"
    SUPERSEDED = "superseded"  # a later version of the same patch was posted (its subject is the sentence)


@dataclass(frozen=True)
class ReviewEvent:
    """One reply's word on the patch: the state, the sentence that says it
    (quoted, never paraphrased), who said it and when."""

    state: ReviewState
    sentence: str
    sender: str | None
    message_id: str | None
    date: str | None
    commit: str | None = None  # the commit id an "applied" reply names


class PageKind(str, Enum):
    """What a page is about."""

    PATCH = "patch"  # a message with a diff of its own
    COVER = "cover letter"  # the introduction of a series
    BUG_REPORT = "bug report"  # syzbot, KCSAN, KASAN, a crash with its call trace
    MESSAGE = "message"  # a reply whose patch is not in the input, or any other mail


@dataclass(frozen=True)
class PostingLink:
    """Another posting (a version, or a member of the series) and its page."""

    label: str  # "v2", "3/5", "cover"
    page: str | None  # None: announced by the subjects, not in the input
    subject: str
    date: str | None
    current: bool = False  # the page this link is shown on
    author: str | None = None
    message_id: str | None = None


@dataclass(frozen=True)
class BugReport:
    """A crash or race report: its title, who sent it, the functions of its
    call trace, and the patches of the input that answer it."""

    title: str
    reporter: str | None
    functions: tuple[str, ...]
    answered_by: tuple[PostingLink, ...] = ()


@dataclass(frozen=True)
class PatchReport:
    """One patch (or one message that is not an answer to a patch of the
    input) with its assessment, as every output format shows it."""

    page: str  # file name of its HTML page: date + sanitised subject slug
    input: str  # the input it came from
    form: str
    analysis: Analysis
    assessment: Assessment
    headlines: tuple[Headline, ...]
    thread: tuple[ThreadMessage, ...] = ()
    comments: tuple[PlacedComment, ...] = ()
    reply_trailers: tuple[ReplyTrailer, ...] = ()  # given in replies to it or to its cover letter
    review: tuple[ReviewEvent, ...] = ()  # in thread order
    kind: PageKind = PageKind.MESSAGE
    version: int | None = None  # vN of its posting (1 when unnumbered); None: not a patch
    versions: tuple[PostingLink, ...] = ()  # every version of this patch in the input, oldest first
    superseded_by: PostingLink | None = None  # the latest version, when this one is older
    series: tuple[PostingLink, ...] = ()  # cover and members of its series, missing ones with no page
    bug: BugReport | None = None  # when the page is a bug report
    answers: tuple[PostingLink, ...] = ()  # the bug reports of the input this patch answers


@dataclass(frozen=True)
class InputProblem:
    """An input that could not be read, or had a damaged part."""

    source: str
    problem: str
    exit_code: int


@dataclass(frozen=True)
class Report:
    tool: str  # "iowq-triage X.Y.Z"
    patches: tuple[PatchReport, ...]
    problems: tuple[InputProblem, ...] = ()


_BY_HUNK: dict[int, tuple[object, dict]] = {}


def on_hunk(items, d_index: int, path: str, h_index: int) -> list:
    """The symbol changes or placed comments (anything with diff_index, file
    and hunk_index) that belong to one hunk. Grouped once per sequence and
    kept while the sequence lives (the entry holds it, so its id cannot be
    reused): a page of 2,000 hunks asks 4,000 times, and a scan per question
    was quadratic."""
    entry = _BY_HUNK.get(id(items))
    if entry is None or entry[0] is not items:
        if len(_BY_HUNK) >= 64:
            _BY_HUNK.clear()
        grouped: dict = {}
        for x in items:
            grouped.setdefault((x.diff_index, x.file, x.hunk_index), []).append(x)
        entry = _BY_HUNK[id(items)] = (items, grouped)
    return list(entry[1].get((d_index, path, h_index), ()))
