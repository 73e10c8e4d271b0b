"""Display words shared by the text, HTML and reply views, so that the
three say the same thing the same way: direction-aware metric changes,
headlines, and the mail's claims (always as the mail's words)."""

from __future__ import annotations

from triage.model import (Assessment, Change, Claim, FindingChange, Headline, MetricDelta, Outcome, ScenarioRun,
                          TrailerCheck)

CHANGE_WORD = {Change.IMPROVED: "better", Change.REGRESSED: "worse", Change.MOVED: "changed",
               Change.UNCHANGED: "", Change.NOT_COMPARABLE: "not comparable"}
OUTCOME_WORD = {Outcome.IMPROVES: "the patch improves this scenario",
                Outcome.REGRESSES: "the patch makes this scenario worse",
                Outcome.MIXED: "the patch makes some of this scenario better and some worse",
                Outcome.NO_DIFFERENCE: "no difference before/after"}


def delta_text(d: MetricDelta) -> str:
    """`workers_created 38 -> 9 (better; lower is better)`."""
    word = CHANGE_WORD[d.change]
    judged = f"{word}; {d.better.value} is better" if d.change in (Change.IMPROVED, Change.REGRESSED) else word
    return f"{d.metric} {d.before} -> {d.after}" + (f" ({judged})" if judged else "")


def headline_text(h: Headline) -> str:
    if h.what == "no difference":
        return f"{h.scenario}: no difference"
    word = CHANGE_WORD.get(h.change, "")
    return f"{h.scenario}: {h.what} {h.before} → {h.after}" + (f" ({word})" if word else "")


def claim_text(c: Claim) -> str:
    said = f"{c.knob} {c.before or '?'} -> {c.after or '?'}"
    return f"the mail says {said}" + (f': "{c.quote}"' if c.quote else "")


def moved_text(run: ScenarioRun, most: int = 3) -> str:
    """A run in one line: the judged metrics that moved, then the findings."""
    moved = [delta_text(d) for d in run.metrics if d.change in (Change.IMPROVED, Change.REGRESSED)][:most]
    line = "; ".join(moved) or "no judged metric moves"
    if run.new_findings:
        line += f"; {len(run.new_findings)} finding(s) only after the patch"
    if run.fixed_findings:
        line += f"; {len(run.fixed_findings)} finding(s) gone after the patch"
    return line


def origin_text(images: str) -> str:
    """Where a message's knob values were read: `Behaviour (...)`."""
    return {"none": "no code in this message", "quoted patch": "knobs read from the quoted patch's hunks",
            "hunks": "knobs read from the hunks", "source file": "knobs read from the whole pre-image and its "
            "patched copy"}.get(images, f"knobs read from the {images}")


def risk_text(a: Assessment) -> str:
    """The risk total on its scale, with what the band means:
    "risk 4 of 25 (moderate: review with care)"."""
    return f"risk {a.risk_total} of {a.risk_max} ({a.risk_band})"


# how a symbol change was established (SymbolChange.evidence)
EVIDENCE = {
    "pre-image": "from the whole source file",
    "hunk": "from the hunk's own lines",
    "hint": "from git's @@ section text only (not checked against code)",
    "none": "undetermined",
}

# what a stable branch's own file says of a knob (BranchKnob.state)
KNOB_STATE = {"before": "has the behaviour the patch removes", "after": "already behaves as after the patch",
              "other": "neither the before nor the after value", "unknown": "not decidable from the file"}


def layout_facts(f) -> str:
    """A struct layout in one line (LayoutFacts)."""
    if f.unknown:
        return f"unknown ({f.unknown})"
    text = f"{f.size} bytes, {f.cachelines} cachelines, {f.holes} holes ({f.sum_holes} bytes)"
    if f.padding:
        text += f", padding {f.padding}"
    return text

# whom a trailer given in a reply names (ReplyTrailer.check)
TRAILER_CHECK = {TrailerCheck.SENDER: "the reply's sender",
                 TrailerCheck.OTHER: "not the reply's sender: given for someone else, or a typo",
                 TrailerCheck.NO_PERSON: "no person (a reference)"}


def tree_says(n) -> str:
    """What the kernel tree says of a commit a Fixes: names (NamedCommit)."""
    if n is None:
        return ""
    if not n.sha:
        return "the tree: " + ("; ".join(n.problems) or "not resolved")
    text = f'the tree: {n.sha[:12]} ("{n.subject}")'
    if n.subject_matches is False:
        text += f', not the subject the mail gives ("{n.subject_given}")'
    if n.in_mainline is False:
        text += ", not in mainline"
    return text + "".join(f"; {x}" for x in n.problems)


CODE_ORDER = {FindingChange.INTRODUCED: 0, FindingChange.FIXED: 1, FindingChange.UNCHANGED: 2}


def by_change(findings) -> list:
    """A code run's findings, those the patch introduces first, then those it fixes."""
    return sorted(findings, key=lambda f: CODE_ORDER[f.change])


def code_finding_text(f) -> str:
    """A finding of the file's own code, one line: what changed, what."""
    return f"{f.change.value}: {f.message}"


def code_evidence_lines(f, most: int = 8) -> list[str]:
    """What shows a code-mode finding: when, after how many choices, and
    the C that led to it (the last `most` lines of its trail)."""
    if not f.trail:
        return [f"found at the end of the run (t={f.time:.6f}s, {len(f.schedule)} choices)"]
    out = [f"at t={f.time:.6f}s after {len(f.schedule)} choice(s); the C that led to it, oldest first:"]
    return out + [f"  {line}" for line in f.trail[-most:]]


def changed_line_text(c) -> str:
    where = f"{c.function}:{c.line}" if c.function else f"line {c.line}"
    return f"{'removed' if c.side == 'before' else 'added'} {where}: {c.text.strip()}"
