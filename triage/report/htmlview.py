"""View models for the HTML report: the index (one static page per sort
order, so sorting works with scripts off) and a page per patch. Every
string and number the templates print is made here; the templates only
loop and print, and Jinja2 escapes all of it.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import math
from datetime import datetime, timezone
from urllib.parse import quote

from triage.model import (BranchFacts, BugReport, Change, FindingChange, Outcome, PatchReport, PostingLink, Report,
                          ReviewState, ScenarioRun, TrailerCheck, TrailerScope, on_hunk)
from triage.report import words
from triage.report.build import own_words, shown_diffs

LORE = "https://lore.kernel.org/r/"

# Most actionable first: the index's default order.
VERDICT_ORDER = ("backport", "backport with work", "stable candidate", "stable backport", "check first",
                 "not yet upstream", "undetermined", "not tagged for stable", "do not backport", "superseded",
                 "nothing to backport", "no patch")
VERDICT_CLASS = {"do not backport": "warn", "superseded": "quiet", "backport": "act", "backport with work": "work",
                 "stable candidate": "act",
                 "stable backport": "act", "check first": "warn", "not yet upstream": "warn",
                 "undetermined": "unknown", "not tagged for stable": "quiet", "nothing to backport": "done",
                 "no patch": "quiet", "needed": "act", "needs backport work": "work", "already fixed": "done",
                 "not needed": "quiet", "pass": "done", "fail": "warn", "unknown": "unknown"}
COLUMNS = ("subject", "date", "author", "verdict", "risk", "scenarios", "branches")


def csp(style: str) -> str:
    """No script, no remote anything: only the page's own inline style
    block, pinned by its hash, and inline SVG."""
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    return (f"default-src 'none'; style-src 'sha256-{digest}'; img-src data:; base-uri 'none'; "
            "form-action 'none'")


def lore_url(message_id: str) -> str:
    return LORE + quote(message_id.strip("<>"), safe="@.-_+=~!$")


# ------------------------------------------------------------------- index


def index_pages(report: Report) -> dict[str, dict]:
    """File name -> view of the index sorted by one column; index.html is
    the default order (verdict, then risk)."""
    rows = [index_row(p) for p in report.patches]
    pages = {"index.html": _index_view(report, sorted(rows, key=lambda r: r["keys"]["verdict"]), "verdict", False)}
    for column in COLUMNS:
        for descending in (False, True):
            ordered = sorted(rows, key=lambda r: r["keys"][column], reverse=descending)
            pages[index_file(column, descending)] = _index_view(report, ordered, column, descending)
    return pages


def index_file(column: str, descending: bool) -> str:
    return f"index-{column}{'-desc' if descending else ''}.html"


def _index_view(report: Report, rows: list[dict], column: str, descending: bool) -> dict:
    headers = []
    for c in COLUMNS:
        active = c == column
        # a click on the active column reverses it
        target = index_file(c, not descending if active else c in ("risk", "date"))
        headers.append({"name": c, "href": target, "mark": ("▼" if descending else "▲") if active else "",
                        "sort": ("descending" if descending else "ascending") if active else "none"})
    return {"title": "io-wq patches", "tool": report.tool, "headers": headers, "rows": rows,
            "count": len(rows), "problems": [f"{p.source}: {p.problem} (exit {p.exit_code})" for p in report.problems],
            "sorted_by": f"{column}, {'descending' if descending else 'ascending'}"}


def index_row(p: PatchReport) -> dict:
    m, a = p.analysis.message, p.assessment
    subject = m.subject.raw if m.subject else f"(no subject: {p.input})"
    author = m.author.name or m.author.email if m.author else ""
    branches = [{"text": f"{b.branch}: {b.verdict}", "cls": VERDICT_CLASS.get(b.verdict, "unknown")}
                for b in (p.analysis.tree.branches if p.analysis.tree else ()) if not b.mainline]
    scenarios = [words.headline_text(h) for h in p.headlines]
    verdict_rank = VERDICT_ORDER.index(a.verdict) if a.verdict in VERDICT_ORDER else len(VERDICT_ORDER)
    return {
        "href": p.page, "subject": subject, "date": m.date or "", "author": author,
        "verdict": a.verdict, "verdict_cls": VERDICT_CLASS.get(a.verdict, "unknown"), "risk": a.risk_total,
        "scenarios": scenarios, "branches": branches,
        "keys": {"subject": (m.subject.title.lower() if m.subject else "~", p.page), "date": (_date_key(m.date), p.page),
                 "author": (author.lower(), p.page), "verdict": (verdict_rank, -a.risk_total, p.page),
                 "risk": (a.risk_total, p.page), "scenarios": (" ".join(scenarios) or "~", p.page),
                 "branches": (" ".join(b["text"] for b in branches) or "~", p.page)},
    }


def _date_key(date: str | None) -> str:
    """UTC ISO text for dates that parse; others sort after them as written."""
    if not date:
        return "~"
    try:
        parsed = datetime.fromisoformat(date)
        return parsed.astimezone(timezone.utc).isoformat() if parsed.tzinfo else parsed.isoformat()
    except ValueError:
        return "~" + date


# -------------------------------------------------------------- patch page


def patch_page(p: PatchReport) -> dict:
    a, m, s = p.analysis, p.analysis.message, p.assessment
    meta = [("Input", f"{p.input} ({p.form})"), ("Author", str(m.author) if m.author else "(not in the input)"),
            ("Date", m.date or "(not in the input)")]
    if m.upstream:
        meta.append(("Upstream commit", m.upstream))
    links = []
    for key, mid in (("Message-ID", m.message_id), ("In-Reply-To", m.in_reply_to)):
        if mid:
            links.append({"key": key, "text": f"<{mid}>", "href": lore_url(mid)})
    return {
        "title": m.subject.raw if m.subject else f"(no subject: {p.input})",
        "kind": p.kind.value, "kind_title": p.kind.value[:1].upper() + p.kind.value[1:],
        "superseded": _link(p.superseded_by) if p.superseded_by else None,
        "versions": [_link(v) for v in p.versions],
        "series": [_link(v) for v in p.series],
        "bug": _bug(p.bug) if p.bug else None,
        "answers": [_link(v) for v in p.answers],
        "headlines": [{"text": words.headline_text(h), "cls": CHANGE_CLASS.get(h.change, "")} for h in p.headlines],
        "decided": [f"{e.state.value} by {e.sender or 'an unknown sender'}" + (f" ({e.date[:10]})" if e.date else "")
                    for e in p.review if e.state is not ReviewState.SUPERSEDED],
        "verdict": s.verdict, "verdict_cls": VERDICT_CLASS.get(s.verdict, "unknown"), "reasons": list(s.reasons),
        "meta": [{"key": k, "value": v} for k, v in meta], "links": links,
        "trailers": [_trailer(t) for t in m.trailers],
        "review": [{"state": e.state.value, "sentence": e.sentence, "sender": e.sender or "unknown sender",
                    "where": ("a later version" if e.state is ReviewState.SUPERSEDED else "a reply")
                    + (f" <{e.message_id}>" if e.message_id else "") + (f", {e.date}" if e.date else "")
                    + (f"; commit {e.commit}" if e.commit else "")} for e in p.review],
        "reply_trailers": [{"key": t.key, "value": t.value, "sender": t.sender or "unknown sender",
                            "check": words.TRAILER_CHECK[t.check] + ("; " + words.tree_says(t.commit)
                                                                      if t.commit else ""),
                            "warn": t.check is TrailerCheck.OTHER or bool(t.commit and t.commit.problems),
                            "where": ("a reply to the cover letter" if t.scope is TrailerScope.SERIES else "a reply")
                            + (f" <{t.message_id}>" if t.message_id else "") + (f", {t.date}" if t.date else "")}
                           for t in p.reply_trailers],
        "commits": [{"role": c.role, "sha": c.sha, "subject": c.subject or "",
                     "where": f"quoted, level {c.level}" + (f", {c.author}" if c.author else "") if c.level else "",
                     "problems": list(c.problems)} for c in m.commits],
        "stable": [{"note": c.version_note or "(no version note)",
                    "prerequisites": [f"{x.sha}" + (f' ("{x.subject}")' if x.subject else "") for x in c.prerequisites]}
                   for c in m.stable],
        "diffs": _diffs(p),
        "layouts": [_layout(d) for d in a.layouts],
        "behaviour": _behaviour(a.behaviour) if a.behaviour is not None else None,
        "tree": _tree(a.tree) if a.tree is not None else None,
        "checks": [{"rule": c.rule, "status": c.status, "cls": VERDICT_CLASS[c.status], "reason": c.reason}
                   for c in s.checks],
        "risk": [{"name": f.name, "weight": f.weight, "reason": f.reason} for f in s.risk],
        "risk_total": s.risk_total,
        "risk_scale": words.risk_text(s),
        "blind_spots": list(s.blind_spots) + list(a.notes) + list(m.warnings),
        "thread": [{"subject": t.subject or t.source, "author": t.author or "unknown", "date": t.date or "",
                    "href": lore_url(t.message_id) if t.message_id else "",
                    "comments": t.comments, "text": t.own_text, "quoted": t.quoted_lines} for t in p.thread],
        "changelog": own_words(m), "changelog_title": "The author's changelog" if m.own_diffs
        else "What this message says",
        "unplaced": [{"author": c.author or "unknown", "file": c.file, "text": c.text}
                     for c in p.comments if c.hunk_index < 0],
    }


def _link(link: PostingLink) -> dict:
    return {"label": link.label, "href": link.page or "", "subject": link.subject, "date": (link.date or "")[:10],
            "current": link.current}


def _bug(bug: BugReport) -> dict:
    return {"title": bug.title, "reporter": bug.reporter or "unknown", "functions": list(bug.functions),
            "answered_by": [_link(v) for v in bug.answered_by]}


def _trailer(t) -> dict:
    value = t.value
    href = ""
    if t.key in ("Link", "Closes") and value.startswith("https://") and " " not in value:
        href = value
    return {"key": t.key, "value": value, "href": href, "quoted": f"quoted, level {t.level}" if t.level else ""}


def _diffs(p: PatchReport) -> list[dict]:
    m, a = p.analysis.message, p.analysis
    out = []
    for d_index, diff in shown_diffs(m):
        files = []
        for f in diff.files:
            hunks = []
            for h_index, h in enumerate(f.hunks):
                notes: dict[int, list[dict]] = {}
                for c in h.comments:
                    notes.setdefault(c.after_line, []).append(
                        {"author": c.author or "unknown", "where": f"level {c.level}, in this message",
                         "text": c.text})
                for c in on_hunk(p.comments, d_index, f.path, h_index):
                    notes.setdefault(c.after_line, []).append(
                        {"author": c.author or "unknown",
                         "where": "a reply" + (f" <{c.message_id}>" if c.message_id else "")
                         + f", matched by {c.placed_by}", "text": c.text})
                lines = []
                for i, line in enumerate(h.lines):
                    no = line.new_no if line.kind != "-" else line.old_no
                    lines.append({"cls": {"+": "add", "-": "del"}.get(line.kind, "ctx"), "marker": line.kind,
                                  "no": "" if no is None else str(no), "text": line.text, "comments": notes.get(i, [])})
                changes = [{"symbol": c.symbol, "kind": c.kind, "how": "; ".join(c.how),
                            "evidence": words.EVIDENCE.get(c.evidence, c.evidence),
                            "hint": "" if c.hint_agrees is not False else f"git's @@ text says {c.hint!r}: wrong"}
                           for c in on_hunk(a.symbols, d_index, f.path, h_index)]
                hunks.append({"header": h.header.rstrip(), "counts": "" if h.counts_check
                              else "the lines do not add up to the header's counts",
                              "lines": lines, "changes": changes, "anchor": f"d{d_index}-{len(files)}-{h_index}"})
            files.append({"path": f.path, "stat": f"+{f.added} -{f.removed}", "binary": f.binary, "hunks": hunks})
        out.append({"title": "the patch" if not diff.quoted else f"diff quoted at level {diff.level}"
                    + (f" (written by {diff.author})" if diff.author else ""),
                    "recoveries": [f"{r.method}, confidence {r.confidence:.2f}: {r.detail}" for r in diff.recoveries],
                    "files": files})
    return out


def _layout(delta) -> dict:
    before = {f.profile: f for f in delta.before}
    return {"symbol": delta.symbol, "origin": delta.origin,
            "rows": [{"profile": f.profile, "before": words.layout_facts(before[f.profile]) if f.profile in before else "",
                      "after": words.layout_facts(f)} for f in delta.after]}


def _behaviour(b) -> dict:
    knobs = [{"knob": k.knob, "before": k.before or "unknown", "after": k.after or "unknown", "how": k.how,
              "changed": k.changed, "before_reason": k.before_reason, "after_reason": k.after_reason,
              "before_lines": list(k.before_lines[:3]), "after_lines": list(k.after_lines[:3])}
             for k in b.knobs if k.before is not None or k.after is not None]
    return {"origin": words.origin_text(b.images), "summary": b.summary, "knobs": knobs,
            "runs": [_run(r) for r in b.runs], "touching": ", ".join(b.touching),
            "claims": [{"knob": c.knob, "before": c.before or "?", "after": c.after or "?", "quote": c.quote}
                       for c in b.claims],
            "code": _code(b.code) if b.code is not None else None, "disagreements": list(b.disagreements)}


CODE_FINDING_CLASS = {FindingChange.INTRODUCED: "warn", FindingChange.FIXED: "done", FindingChange.UNCHANGED: "quiet"}


def _code(c) -> dict:
    """The scenarios run on the patch's own code (pre-image and patched file)."""
    runs = []
    for r in c.runs:
        runs.append({
            "scenario": r.scenario, "mode": r.mode, "reached": list(r.reached), "stopped": r.stopped,
            "outcome": words.OUTCOME_WORD[r.outcome], "outcome_cls": OUTCOME_CLASS[r.outcome],
            "metrics": [{"name": d.metric, "before": d.before, "after": d.after, "better": d.better.value,
                         "change": words.CHANGE_WORD[d.change], "cls": CHANGE_CLASS.get(d.change, ""), "help": d.help}
                        for d in r.metrics],
            "findings": [{"change": f.change.value, "cls": CODE_FINDING_CLASS[f.change], "kind": f.kind,
                          "message": f.message, "trail": list(f.trail), "time": f"{f.time:.6f}",
                          "schedule": compress_schedule(f.schedule), "choices": len(f.schedule)}
                         for f in words.by_change(r.findings)],
        })
    return {"path": c.path, "stopped": c.stopped, "runs": runs, "skipped": list(c.skipped),
            "not_exercised": [words.changed_line_text(x) for x in c.not_exercised],
            "definitions": [words.changed_line_text(x) for x in c.definitions]}


CHANGE_CLASS = {Change.IMPROVED: "better", Change.REGRESSED: "worse", Change.MOVED: "moved"}
OUTCOME_CLASS = {Outcome.IMPROVES: "done", Outcome.REGRESSES: "act", Outcome.MIXED: "act",
                 Outcome.NO_DIFFERENCE: "quiet"}


def _run(r: ScenarioRun) -> dict:
    return {
        "scenario": r.scenario, "mode": r.mode, "settings": list(r.settings),
        "outcome": words.OUTCOME_WORD[r.outcome], "outcome_cls": OUTCOME_CLASS[r.outcome],
        "metrics_from": r.metrics_from,
        "start": [{"knob": k.knob, "value": k.value, "source": k.source} for k in r.base],
        "metrics": [{"name": d.metric, "before": d.before, "after": d.after, "better": d.better.value,
                     "change": words.CHANGE_WORD[d.change], "cls": CHANGE_CLASS.get(d.change, ""), "help": d.help}
                    for d in r.metrics],
        "svg": timeline_svg(r),
        "findings": [{"side": d.side, "kind": d.kind, "message": d.message, "sites": list(d.sites),
                      "schedule": compress_schedule(d.schedule)} for d in r.details]
        or [{"side": side, "kind": "", "message": f, "sites": [], "schedule": ""}
            for side, found in (("before", r.findings_before), ("after", r.findings_after)) for f in found],
    }


def compress_schedule(schedule: tuple[str, ...]) -> str:
    """`setup x5, submitter x2, ...`: the task chosen at each step, runs folded."""
    parts = []
    for task, group in itertools.groupby(schedule):
        n = len(list(group))
        parts.append(f"{task} x{n}" if n > 1 else task)
    return ", ".join(parts)


# ---------------------------------------------------------------- timeline

SVG_W, PANEL_H, LEFT, RIGHT, TOP, GAP = 760, 120, 48, 48, 18, 34


def _nice_step(span: float, ticks: int = 5) -> float:
    """A tick step of 1, 2 or 5 times a power of ten giving about `ticks`
    intervals over span (so labels are round numbers)."""
    raw = max(span / ticks, 1e-9)
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def timeline_svg(r: ScenarioRun) -> dict | None:
    """Geometry of the before/after timeline: two panels sharing one virtual
    time axis (in s when it spans 2 s or more, else ms; round ticks); workers
    alive, running and created so far on the left scale (creations are what
    churn changes: a flat "alive" line hides 38 forks against 9), work queued
    on the right one; events as numbered ticks, listed in words under the
    picture, calls into io-wq's API (exit request, drain) marked taller and
    labelled."""
    if not r.timeline_before and not r.timeline_after:
        return None
    series = (("before", r.timeline_before, r.events_before), ("after", r.timeline_after, r.events_after))
    t_max = max([p[0] for _, tl, _ in series for p in tl] + [e[0] for _, _, ev in series for e in ev] + [1.0])
    w_max = max([max(p[1], p[2], p[4] if len(p) > 4 else 0) for _, tl, _ in series for p in tl] + [1])
    q_max = max([p[3] for _, tl, _ in series for p in tl] + [1])
    width = SVG_W - LEFT - RIGHT
    unit, scale = ("s", 1000.0) if t_max >= 2000 else ("ms", 1.0)
    step = _nice_step(t_max / scale)

    def x(t: float) -> float:
        return round(LEFT + width * t / t_max, 1)

    panels = []
    number = 0
    for n, (side, tl, events) in enumerate(series):
        top = TOP + n * (PANEL_H + GAP)

        def y(v: float, scale: float, top=top) -> float:
            return round(top + PANEL_H - PANEL_H * v / scale, 1)

        def steps(column: int, scale: float) -> str:
            points, last = [], None
            for p in tl:
                value = p[column] if column < len(p) else 0
                if last is not None:
                    points.append(f"{x(p[0])},{y(last, scale)}")
                points.append(f"{x(p[0])},{y(value, scale)}")
                last = value
            if tl:
                points.append(f"{x(t_max)},{y(last, scale)}")
            return " ".join(points)

        marks = []
        for t, text in events:
            number += 1
            marked = text.startswith("io_wq_")
            marks.append({"x": x(t), "n": number, "marked": marked, "label": text.split(":")[0] if marked else "",
                          "text": f"{_time_label(t, unit)}: {text}"})
        created = [p[4] for p in tl if len(p) > 4]
        panels.append({
            "side": side, "top": top, "bottom": top + PANEL_H, "label_y": top - 5,
            "alive": steps(1, w_max), "running": steps(2, w_max), "created": steps(4, w_max),
            "queued": steps(3, q_max), "events": marks, "empty": not tl,
            "created_total": created[-1] if created else 0,
        })
    ticks = []
    k = 0
    while k * step * scale <= t_max + 1e-9:
        value = k * step
        ticks.append({"x": x(value * scale), "label": f"{value:g}"})
        k += 1
    return {"width": SVG_W, "height": TOP + 2 * PANEL_H + GAP + 36, "left": LEFT, "right": SVG_W - RIGHT,
            "panels": panels, "ticks": ticks, "axis_y": TOP + 2 * PANEL_H + GAP + 4, "unit": unit,
            "w_max": w_max, "q_max": q_max, "t_max": f"{t_max:g}",
            "label": f"{r.scenario}: workers alive, running and created so far (left scale, 0..{w_max}) and "
                     f"work queued (right scale, 0..{q_max}) over virtual time (0..{t_max / scale:g} {unit}), "
                     "before and after"}


def _time_label(ms: float, unit: str) -> str:
    return f"{ms / 1000:.3f} s" if unit == "s" else f"{ms:g} ms"


# ------------------------------------------------------------------ branches


def _tree(t) -> dict:
    named = []
    for n in t.named:
        named.append({"role": n.role, "given": n.given, "sha": n.sha or "not resolved", "subject": n.subject or "",
                      "upstream": f"stable backport of {n.upstream[:12]}" if n.upstream else "",
                      "problems": list(n.problems)})
    return {"repo": t.repo, "mainline": t.mainline or "", "upstream": t.upstream or "",
            "upstream_how": t.upstream_how or "", "upstream_first": t.upstream_first or "", "named": named,
            "branches": [_branch(b) for b in t.branches], "notes": list(t.notes)}


def _branch(b: BranchFacts) -> dict:
    return {
        "branch": b.branch + (" (mainline)" if b.mainline else ""), "tip": b.tip[:12], "file": b.file or "",
        "bug": b.bug, "bug_cls": {"present": "act", "absent": "quiet"}.get(b.bug, "unknown"),
        "fix": b.fix or "not there", "fix_cls": "done" if b.fix else "quiet",
        "apply": b.apply, "apply_cls": {"clean": "done", "offset": "done", "fuzz": "work", "applied": "done",
                                        "conflict": "warn"}.get(b.apply, "unknown"),
        "apply_detail": b.apply_detail,
        "verdict": b.verdict, "verdict_cls": VERDICT_CLASS.get(b.verdict, "unknown"),
        "reasons": list(b.reasons) + list(b.bug_reasons),
        "prerequisites": [p.symbol + (f" ← {p.introduced_by[:12]} ({p.introduced_subject})" if p.introduced_by else "")
                          + f": {p.detail}" for p in b.prerequisites],
        "knobs": [f"{k.knob} = {k.value or 'unknown'}: {words.KNOB_STATE[k.state]}" for k in b.knobs],
    }
