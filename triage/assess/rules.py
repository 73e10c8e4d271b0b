"""The stable-kernel-rules checklist (Documentation/process/stable-kernel-rules.rst)
and the patch-level verdict, as pure functions over an Analysis.

Each check says pass, fail or unknown, and why: unknown is said whenever the
evidence is missing (no tree, no diff, no model), never turned into a pass.
"""

from __future__ import annotations

from triage.assess.risk import RISK_MAX, changed_lines, own_functions, own_hunks, risk_band, risk_factors
from triage.model import Analysis, Assessment, Change, FindingChange, RuleCheck

MAX_LINES = 100  # "It cannot be bigger than 100 lines, with context."
SMALL_CHANGE = 20  # changed lines below which a one-function fix reads as "obviously correct"


def assess(analysis: Analysis) -> Assessment:
    checks = (size(analysis), upstream_first(analysis), fixes_form(analysis), stable_tag(analysis),
              real_bug(analysis), obviously_correct(analysis))
    verdict, reasons = patch_verdict(analysis, checks)
    risk = risk_factors(analysis)
    return Assessment(verdict, tuple(reasons), checks, risk, blind_spots(analysis), RISK_MAX,
                      risk_band(sum(f.weight for f in risk)))


def size(a: Analysis) -> RuleCheck:
    hunks = own_hunks(a.message)
    if not hunks:
        return RuleCheck("size", "unknown", "no diff of its own in this message")
    lines = sum(len(h.lines) for h in hunks)
    ok = lines <= MAX_LINES
    return RuleCheck("size", "pass" if ok else "fail",
                     f"{lines} diff lines with context ({'within' if ok else 'over'} the {MAX_LINES}-line limit)")


def upstream_first(a: Analysis) -> RuleCheck:
    m, t = a.message, a.tree
    if t is not None:
        if t.upstream_first:
            return RuleCheck("upstream first", "fail", t.upstream_first)
        if t.upstream and t.upstream_how and "not in mainline" not in t.upstream_how:
            return RuleCheck("upstream first", "pass", f"in {t.mainline} as {t.upstream[:12]} ({t.upstream_how})")
    for_stable = bool(m.subject and (m.subject.stable_target or m.subject.autosel))
    if m.upstream:
        return RuleCheck("upstream first", "pass" if t is not None and t.upstream == m.upstream else "unknown",
                         f"cites upstream commit {m.upstream[:12]}"
                         + ("" if t is not None else "; no tree given to check it"))
    if for_stable:
        return RuleCheck("upstream first", "fail", "posted for a stable branch without an upstream commit id")
    return RuleCheck("upstream first", "pass" if m.own_diffs else "unknown",
                     "a mainline submission: stable takes it once merged" if m.own_diffs
                     else "no patch of its own in this message")


def fixes_form(a: Analysis) -> RuleCheck:
    fixes = a.message.fixes
    if not fixes:
        return RuleCheck("Fixes: tag", "unknown", "no Fixes: tag names the commit that brought the bug")
    problems = [f"{f.sha[:12]}: {p}" for f in fixes for p in f.problems]
    if a.tree is not None:
        problems += [f"{n.given[:12]}: {p}" for n in a.tree.named if n.role == "fixes" for p in n.problems
                     if not any(p in q for q in problems)]
    if problems:
        return RuleCheck("Fixes: tag", "fail", "; ".join(problems))
    checked = " (checked against the tree)" if a.tree is not None else " (form only; no tree given)"
    return RuleCheck("Fixes: tag", "pass", ", ".join(f.sha[:12] for f in fixes) + checked)


def stable_tag(a: Analysis) -> RuleCheck:
    tags = a.message.stable
    if not tags:
        return RuleCheck("Cc: stable", "unknown", "no Cc: stable@vger.kernel.org: a candidate only if selected")
    notes = [t.version_note for t in tags if t.version_note]
    prereqs = [p.sha[:12] for t in tags for p in t.prerequisites]
    reason = "Cc: stable" + (f" # {', '.join(notes)}" if notes else " (no version note)")
    if prereqs:
        reason += "; prerequisites named: " + ", ".join(prereqs)
    return RuleCheck("Cc: stable", "pass", reason)


def real_bug(a: Analysis) -> RuleCheck:
    """Passes only on a simulated improvement from the patch's own code with
    nothing worse and no new finding; a regression fails with its reason;
    what the mail says is a claim and decides nothing."""
    b = a.behaviour
    rule = "fixes a real bug"
    if b is None:
        return RuleCheck(rule, "unknown", "behaviour not analysed (--no-behaviour)")
    code_runs = b.code.runs if b.code is not None else ()
    if not b.runs and not code_runs:
        if b.claims:
            said = "; ".join(f"{c.knob} {c.before or '?'} -> {c.after or '?'} (\"{c.quote[:120]}\")"
                             for c in b.claims)
            return RuleCheck(rule, "unknown", f"not simulated: the mail says {said}; a claim, not evidence")
        return RuleCheck(rule, "unknown", b.summary or "no behavioural model covers this change")
    better, worse = [], []
    for r in b.runs:
        for f in r.new_findings:
            worse.append(f"{r.scenario}: new finding after the patch: {f[:120]}")
        if r.fixed_findings:
            better.append(f"{r.scenario}: {len(r.fixed_findings)} finding(s) before, not after")
        worse += [f"{r.scenario}: {d.metric} {d.before} -> {d.after} ({d.better.value} is better)"
                  for d in r.regressed]
        better += [f"{r.scenario}: {d.metric} {d.before} -> {d.after} ({d.better.value} is better)"
                   for d in r.improved]
    for r in code_runs:  # io-wq's own C, before and after
        worse += [f"{r.scenario} (its C): introduces {f.message[:120]}" for f in r.findings
                  if f.change is FindingChange.INTRODUCED]
        better += [f"{r.scenario} (its C): fixes {f.message[:120]}" for f in r.findings
                   if f.change is FindingChange.FIXED]
        worse += [f"{r.scenario} (its C): {d.metric} {d.before} -> {d.after} ({d.better.value} is better)"
                  for d in r.metrics if d.change is Change.REGRESSED]
        better += [f"{r.scenario} (its C): {d.metric} {d.before} -> {d.after} ({d.better.value} is better)"
                   for d in r.metrics if d.change is Change.IMPROVED]
    if b.disagreements:  # one of the two is wrong: nothing passes on it
        return RuleCheck(rule, "unknown", "the knob model and io-wq's own C disagree: " + "; ".join(b.disagreements))
    where = ("simulated from the patch's code ("
             + ", ".join(x for x in (f"knobs probed on the {b.images}" if b.runs else "",
                                     "io-wq's own C run before and after" if code_runs else "") if x) + ")")
    if worse:
        return RuleCheck(rule, "fail", f"{where}: worse: " + "; ".join(worse[:4])
                         + (f"; better: {'; '.join(better[:2])}" if better else ""))
    if better:
        return RuleCheck(rule, "pass", f"{where}: " + "; ".join(better[:3]))
    return RuleCheck(rule, "unknown", f"{where}: the scenarios show no difference before/after")


def obviously_correct(a: Analysis) -> RuleCheck:
    functions = own_functions(a)
    changed = changed_lines(a.message)
    if not own_hunks(a.message):
        return RuleCheck("obviously correct", "unknown", "no diff of its own in this message")
    signals, missing = [], []
    (signals if len(functions) <= 1 else missing).append(f"{len(functions)} function(s) changed")
    (signals if len(changed) <= SMALL_CHANGE else missing).append(f"{len(changed)} changed line(s)")
    structs = [c.symbol for c in a.symbols if c.kind in ("struct", "union")]
    (missing if structs else signals).append("struct changed: " + ", ".join(structs) if structs
                                             else "no struct changed")
    status = "pass" if not missing else "unknown"
    return RuleCheck("obviously correct", status, "; ".join(signals + missing))


def patch_verdict(a: Analysis, checks: tuple[RuleCheck, ...]) -> tuple[str, list[str]]:
    """One line a stable maintainer acts on, with its reasons."""
    if not a.message.own_diffs:
        return "no patch", _no_patch_reasons(a.message)
    failed = [f"{c.rule}: {c.reason}" for c in checks if c.status == "fail"]
    code = a.behaviour.code if a.behaviour is not None else None
    if code is not None and code.introduced:
        return "do not backport", introduced_reasons(code) + failed
    if a.tree is not None and a.tree.branches:
        by: dict[str, list[str]] = {}
        for b in a.tree.branches:
            if not b.mainline:
                by.setdefault(b.verdict, []).append(b.branch)
        reasons = [f"{verdict}: {', '.join(names)}" for verdict, names in by.items()]
        if a.tree.upstream_first:
            return "not yet upstream", [a.tree.upstream_first] + reasons
        if by.get("needed") or by.get("needs backport work"):
            work = "backport" if by.get("needed") else "backport with work"
            return work, reasons + failed
        if by and set(by) <= {"already fixed", "not needed"}:
            return "nothing to backport", reasons
        return "undetermined", reasons + failed
    tagged = bool(a.message.stable) or bool(a.message.fixes)
    if failed:
        return "check first", failed
    if a.message.upstream:
        return "stable backport", [f"a backport of upstream commit {a.message.upstream[:12]}; no tree given to "
                                   "check branches"]
    if tagged:
        return "stable candidate", ["tagged for stable (Fixes: or Cc: stable); no tree given to check branches"]
    return "not tagged for stable", ["neither Fixes: nor Cc: stable; no tree given to check branches"]


def introduced_reasons(code) -> list[str]:
    """A line per finding the patch's own code introduces (the same one in
    several scenarios once), with the scenarios that show it and the C
    that led to it in the first."""
    grouped: dict[str, list] = {}
    for scenario, f in code.introduced:
        grouped.setdefault(f.key, []).append((scenario, f))
    out = []
    for shown in grouped.values():
        scenario, f = shown[0]
        names = ", ".join(s for s, _ in shown)
        led = "; ".join(f.trail[-2:]) if f.trail else "at the end of the run"
        out.append(f"the patch introduces {f.message}: io-wq's own C shows it after the patch and not before, in "
                   f"{len(shown)} scenario(s) ({names}); in {scenario} at t={f.time:.6f}s after "
                   f"{len(f.schedule)} choice(s), the C that led to it: {led}")
    return out


def _no_patch_reasons(m) -> list[str]:
    """Say what the message is, so that its page is still useful: a review
    quoting the patch, a cover letter, a reply in the patch's thread."""
    reasons = ["no diff of its own in this message (a review or discussion): decide on the patch's own message"]
    quoted = [d for d in m.diffs if d.quoted]
    if quoted:
        d = quoted[0]
        reasons.append(f"it quotes the patch (level {d.level}" + (f", written by {d.author}" if d.author else "")
                       + "): the symbols, behaviour and comments below are about that quote")
    if m.subject is not None and m.subject.is_cover:
        reasons.append(("a reply to " if m.subject.is_reply else "") + f"the cover letter of a "
                       f"{m.subject.total}-patch series: each patch has its own verdict")
    elif m.subject is not None and m.subject.is_reply and m.subject.is_patch:
        reasons.append(f"a reply in the thread of \"{m.subject.title}\"; that patch is not in the input")
    return reasons


def blind_spots(a: Analysis) -> tuple[str, ...]:
    """What this analysis could not see, said plainly."""
    out = []
    if a.tree is None:
        out.append("no kernel tree (--repo): no branch matrix, Fixes ids not resolved, upstream presence not checked")
    for d in a.message.own_diffs:
        for r in d.recoveries:
            out.append(f"the diff was recovered ({r.method}, confidence {r.confidence:.2f}): {r.detail[:120]}")
    if not a.message.own_diffs and a.message.diffs:
        out.append("only a quoted diff: the patch itself is in another message")
    hinted = sorted({c.symbol for c in a.symbols if c.evidence == "hint"})
    if hinted:
        out.append("symbols from git's @@ section text only (unchecked): " + ", ".join(hinted))
    b = a.behaviour
    if b is not None:
        if not any(k.changed for k in b.knobs) and not b.claims:
            out.append("no behavioural model covers this change")
        unchecked = [c.knob for c in b.claims
                     if not any(k.knob == c.knob and k.changed for k in b.knobs)]
        if unchecked:
            out.append("the mail's words claim a change of " + ", ".join(unchecked)
                       + " that no code in this message shows: a claim, not simulated")
        if b.runs:
            defaults = sorted({s.knob for r in b.runs for s in r.base if s.source == "scenario default"})
            if defaults:
                out.append("knobs the pre-image does not decide, taken from each scenario's own tree: "
                           + ", ".join(defaults))
    elif a.message.own_diffs:
        out.append("behaviour not analysed (--no-behaviour)")
    if any(c.evidence == "hunk" for c in a.symbols):
        out.append("symbols mapped from the hunks alone (no pre-image: give --source or --repo)")
    return tuple(out)
