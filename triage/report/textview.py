"""View model for the terminal account of `triage analyze`: every string
the template prints is made here, so the template only loops and prints."""

from __future__ import annotations

import textwrap

from triage.model import (Analysis, Change, FindingChange, InputResult, Message, SymbolChange, TrailerCheck,
                          TrailerScope)
from triage.report import words
from triage.model import on_hunk

def input_view(result: InputResult) -> dict:
    return {
        "title": f"{result.source} ({result.form or 'unreadable'})",
        "error": result.error,
        "problems": list(result.problems),
        "messages": [message_view(a, len(result.analyses) > 1) for a in result.analyses],
    }


def message_view(analysis: Analysis, in_thread: bool) -> dict:
    m = analysis.message
    s = m.subject
    rows = [
        ("Subject", s.raw if s else "(not in the input)"),
        ("Author", str(m.author) + (" (address obfuscated by the archive)" if m.author and m.author.obfuscated else "")
         if m.author else "(not in the input)"),
        ("Date", m.date or "(not in the input)"),
    ]
    if m.message_id:
        rows.append(("Message-ID", f"<{m.message_id}>"))
    if m.in_reply_to:
        rows.append(("In-Reply-To", f"<{m.in_reply_to}>"))
    if s:
        rows += _subject_rows(s)
    if m.upstream:
        rows.append(("Upstream commit", m.upstream))
    return {
        "heading": f"{m.source}" if in_thread else "",
        "rows": [{"key": k, "value": v} for k, v in rows],
        "trailers": [f"{t.key}: {t.value}" + (f"   [quoted, level {t.level}]" if t.level else "") for t in m.trailers],
        "stable": [_stable_line(c) for c in m.stable],
        "commits": [_commit_line(c) for c in m.commits],
        "parts": [f"level {p.level}: {p.author or 'unknown'}" + ("" if p.kind == "prose" else f" ({p.kind})")
                  + f", {len(p.text.splitlines())} line(s)" for p in m.parts],
        "diffs": [_diff_view(m, i, analysis) for i in range(len(m.diffs))],
        "prose_symbols": [f"{p.name} ({p.kind}" + (f", quoted level {p.level}" if p.level else "")
                          + (f", {p.count}x" if p.count > 1 else "") + ")" for p in m.prose_symbols],
        "snippets": [f"{c.name} (level {c.level}, {c.author or 'unknown'}): " + ", ".join(c.items)
                     for c in m.snippets],
        "layouts": [_layout_line(d) for d in analysis.layouts],
        "behaviour": _behaviour(analysis.behaviour) if analysis.behaviour is not None else None,
        "tree": _tree(analysis.tree) if analysis.tree is not None else None,
        "warnings": list(m.warnings) + list(analysis.notes),
        "source_used": analysis.source_used,
    }


def _subject_rows(s) -> list[tuple[str, str]]:
    rows = []
    kind = []
    if s.is_reply:
        kind.append("reply")
    if s.is_patch:
        kind.append("patch")
    if s.rfc:
        kind.append("RFC")
    if s.resend:
        kind.append("RESEND")
    if s.version:
        kind.append(f"v{s.version}")
    if s.index is not None:
        kind.append(f"{s.index}/{s.total}" + (" (cover letter)" if s.is_cover else ""))
    if kind:
        rows.append(("Kind", ", ".join(kind)))
    if s.stable_target:
        rows.append(("Target branch", s.stable_target))
    if s.tree:
        rows.append(("Target tree", s.tree))
    if s.autosel:
        rows.append(("AUTOSEL for", s.autosel))
    return rows


def _commit_line(c) -> str:
    text = f"{c.role:<20} {c.sha}"
    if c.subject:
        text += f' ("{c.subject}")'
    if c.level:
        text += f"   [quoted, level {c.level}" + (f", {c.author}" if c.author else "") + "]"
    elif c.author and c.author.startswith("("):
        text += f"   [{c.author}]"
    for problem in c.problems:
        text += f"\n{'':<21}! {problem}"
    return text


def _stable_line(c) -> str:
    text = "Cc: stable" + (f"  # {c.version_note}" if c.version_note else "  (no version note)")
    for p in c.prerequisites:
        text += f"\n    needs first: {p.sha}" + (f' ("{p.subject}")' if p.subject else "")
    return text


def _diff_view(m: Message, index: int, analysis: Analysis) -> dict:
    diff = m.diffs[index]
    title = "own diff" if not diff.quoted else f"diff quoted at level {diff.level}" + (
        f" (written by {diff.author})" if diff.author else "")
    files = []
    for f in diff.files:
        hunks = []
        for h_index, h in enumerate(f.hunks):
            changes = on_hunk(analysis.symbols, index, f.path, h_index)
            hunks.append({
                "header": h.header.rstrip()
                + f"   (+{h.added} -{h.removed}" + ("" if h.counts_check else ", counts do not add up") + ")",
                "changes": [_change_line(c) for c in changes],
                "comments": [f"{c.author or 'unknown'} (level {c.level}), after line {c.after_line + 1}: "
                             + " ".join(c.text.split()) for c in h.comments],
            })
        blob = f" {f.old_blob}..{f.new_blob}" if f.old_blob else ""
        files.append({"title": f"{f.path}{blob}" + (" (binary)" if f.binary else "")
                      + f"  +{f.added} -{f.removed}", "hunks": hunks})
    return {
        "title": title,
        "recoveries": [f"{r.method}, confidence {r.confidence:.2f}: {r.detail}" for r in diff.recoveries],
        "files": files,
    }


def _change_line(c: SymbolChange) -> str:
    text = f"{c.kind} {c.symbol}" if c.kind not in ("struct", "union", "enum") else c.symbol
    text += ": " + "; ".join(c.how)
    text += f"  [{words.EVIDENCE.get(c.evidence, c.evidence)}]"
    if c.hint_agrees is False:
        text += f"\n        ! git's section text says {c.hint!r}, which is not where this change is"
    return text


def _layout_line(delta) -> str:
    head = f"{delta.symbol} ({delta.origin})"
    rows = []
    before = {f.profile: f for f in delta.before}
    for after in delta.after:
        b = before.get(after.profile)
        rows.append(f"  {after.profile:<16} " + (f"{words.layout_facts(b)}  ->  " if b is not None else "") + words.layout_facts(after))
    return "\n".join([head] + rows)


def _behaviour(b) -> dict:
    knobs = []
    for k in b.knobs:
        if k.before is None and k.after is None:
            continue
        line = f"{k.knob}: {k.before or 'unknown'} -> {k.after or 'unknown'}  ({k.how})"
        evidence = [f"before: {k.before_reason}"] + [f"  {x}" for x in k.before_lines[:2]]
        evidence += [f"after:  {k.after_reason}"] + [f"  {x}" for x in k.after_lines[:2]]
        knobs.append({"line": line, "evidence": evidence})
    runs = []
    for r in b.runs:
        rows = [f"{d.metric:<34} {d.before:<22} {d.after:<22} {words.CHANGE_WORD[d.change]}" for d in r.metrics]
        findings = [f"before: {f}" for f in r.findings_before] + [f"after: {f}" for f in r.findings_after]
        start = ", ".join(f"{s.knob}={s.value}" for s in r.base if s.source == "pre-image") or "none"
        runs.append({"title": f"{r.scenario} ({r.mode}; " + "; ".join(r.settings) + ")", "rows": rows,
                     "findings": findings, "outcome": words.OUTCOME_WORD[r.outcome], "from": r.metrics_from,
                     "start": start})
    return {"origin": words.origin_text(b.images), "summary": b.summary, "knobs": knobs, "runs": runs,
            "touching": ", ".join(b.touching), "claims": [words.claim_text(c) for c in b.claims],
            "code": _code(b.code) if b.code is not None else None, "disagreements": list(b.disagreements)}


def _code(c) -> dict:
    """The scenarios run on the patch's own code: introduced findings
    first, with what shows them."""
    runs = []
    for r in c.runs:
        rows = [f"{d.metric:<34} {d.before!s:<14} {d.after!s:<14} {words.CHANGE_WORD[d.change]}" for d in r.metrics
                if d.change is not Change.UNCHANGED]
        findings = [{"line": words.code_finding_text(f),
                     "evidence": words.code_evidence_lines(f) if f.change is not FindingChange.UNCHANGED else []}
                    for f in words.by_change(r.findings)]
        runs.append({"title": r.scenario, "outcome": words.OUTCOME_WORD[r.outcome] if not r.stopped else
                     f"cannot run: {r.stopped}", "mode": r.mode, "reached": ", ".join(r.reached), "rows": rows,
                     "findings": findings})
    return {"path": c.path, "runs": runs, "stopped": c.stopped,
            "not_exercised": [words.changed_line_text(x) for x in c.not_exercised],
            "definitions": [words.changed_line_text(x) for x in c.definitions], "skipped": list(c.skipped)}


def _tree(t) -> dict:
    """The stable-branch matrix: a line per branch, then its reasons."""
    head = []
    if t.upstream:
        head.append(f"upstream commit {t.upstream[:12]} ({t.upstream_how})")
    elif t.mainline:
        head.append(f"not found in {t.mainline} (no commit cited, same patch-id or same subject)")
    if t.upstream_first:
        head.append(f"UPSTREAM FIRST: {t.upstream_first}")
    named = []
    for n in t.named:
        line = f"{n.role} {n.given[:12]}: " + (f'{n.sha[:12]} ("{n.subject}")' if n.sha else "not resolved")
        if n.upstream:
            line += f", a stable backport of {n.upstream[:12]}" + (f' ("{n.upstream_subject}")'
                                                                   if n.upstream_subject else "")
        named.append({"line": line, "problems": list(n.problems)})
    width = max((len(b.branch) for b in t.branches), default=0)
    branches = []
    for b in t.branches:
        line = f"{b.branch:<{width}}  {b.verdict.upper():<20} bug {b.bug:<7} apply {b.apply}"
        if b.file and b.file != "io_uring/io-wq.c":
            line += f"  (file {b.file})"
        knobs = [f"knob {k.knob} = {k.value or 'unknown'} ({words.KNOB_STATE[k.state]})" for k in b.knobs]
        prereqs = [f"needs first: {p.symbol}" + (f' <- {p.introduced_by[:12]} ("{p.introduced_subject}")'
                                                  if p.introduced_by else "") for p in b.prerequisites]
        branches.append({"line": line, "reasons": list(b.reasons), "details": knobs + prereqs})
    return {"repo": t.repo, "head": head, "named": named, "branches": branches, "notes": list(t.notes)}


def report_view(report) -> dict:
    """`triage report --format text`: a few lines per patch, most
    actionable first, the same order as the HTML index."""
    from triage.report.htmlview import index_row

    rows = sorted(((index_row(p), p) for p in report.patches), key=lambda rp: rp[0]["keys"]["verdict"])
    patches = []
    for row, p in rows:
        s = p.assessment
        tree = p.analysis.tree
        patches.append({
            "title": row["subject"], "page": p.page, "input": p.input,
            "author": row["author"] or "(unknown)", "date": row["date"] or "(undated)",
            "verdict": f"{s.verdict}; {words.risk_text(s)}", "reasons": list(s.reasons),
            "scenarios": row["scenarios"],
            "branches": [b["text"] for b in row["branches"]] if tree is not None else [],
            "no_tree": tree is None,
            "checks": ", ".join(f"{c.rule} {c.status}" for c in s.checks),
            "thread": f"{len(p.thread)} repl{'y' if len(p.thread) == 1 else 'ies'}, "
                      f"{sum(1 for c in p.comments if c.hunk_index >= 0)} review comment(s) placed under hunks"
            if p.thread else "",
            "review": [f'{e.state.value} ({e.sender or "unknown"}: "{textwrap.shorten(e.sentence, 120, placeholder=" ...")}")'
                       for e in p.review],
            "versions": ", ".join(("*" if v.current else "") + v.label for v in p.versions),
            "series": ", ".join(v.label + ("" if v.page else " (missing)") for v in p.series),
            "bug": (f"Bug report: {p.bug.title}; trace: {', '.join(p.bug.functions[:6]) or 'none'}; answered by "
                    + (", ".join(v.page for v in p.bug.answered_by) or "no patch of the input")) if p.bug else "",
            "answers": ", ".join(v.page for v in p.answers),
            "reply_trailers": [f"{t.key}: {t.value}" + ("" if t.check is not TrailerCheck.OTHER
                                                        else f" (sent by {t.sender or 'unknown'})")
                               + (" (series)" if t.scope is TrailerScope.SERIES else "")
                               for t in p.reply_trailers],
        })
    return {"tool": report.tool, "patches": patches,
            "problems": [f"{x.source}: {x.problem}" for x in report.problems]}
