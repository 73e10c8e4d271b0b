"""A patch's behaviour from its own code: the code-mode workloads whose
coverage meets a changed line, run on the pre-image and on the patched
file with the same seeds and schedules; per workload the metrics side by
side and each finding introduced by the patch, fixed by it, or not
changed; the changed lines no workload ran, said.

Texts in, a CodeDelta out; the only state kept is a bounded memo of the
pre-images loaded and their runs (they do not depend on the patch: a
series on one tree, the mutation tests). Which workloads exist and what
they measure is codemode's; nothing here knows any patch.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass, replace

from triage.cexec.errors import CannotExecute
from triage.errors import TriageError
from triage.model import ChangedLine, CodeDelta, CodeEvidence, CodeScenarioRun, FindingChange, Outcome
from triage.sim import codemode
from triage.sim.codemode import CodeRun, Workload
from triage.sim.metrics import deltas, outcome

SCHEDULES = 4  # seed 0 and three more random schedules per workload and side
CHURN_MS = 100.0  # the closed loop, cut to what a patch analysis can afford (about a second a side here)


@dataclass(frozen=True)
class Side:
    """One side's file, loaded, or why it cannot be."""

    program: codemode.Program | None
    stopped: str = ""


def changed_lines(before: str, after: str) -> tuple[list[ChangedLine], list[ChangedLine]]:
    """The lines the patch removes or rewrites (numbered in the pre-image)
    and those it adds (numbered in the patched file), as difflib aligns
    the two texts; blank and comment-only lines left out (no code)."""
    old, new = before.splitlines(), after.splitlines()
    removed, added = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op in ("replace", "delete"):
            removed += [(n + 1, old[n]) for n in range(i1, i2) if _code(old[n])]
        if op in ("replace", "insert"):
            added += [(n + 1, new[n]) for n in range(j1, j2) if _code(new[n])]
    return ([ChangedLine("before", n, "", t) for n, t in removed], [ChangedLine("after", n, "", t) for n, t in added])


def _code(line: str) -> bool:
    text = line.strip()
    return bool(text) and not text.startswith(("//", "/*", "*", "*/"))


def _owner(program, line: int) -> str:
    """The file's own function whose body holds the line, "" when none."""
    for name, (first, last) in program.own.items():
        if first <= line <= last:
            return name
    return ""


def _statement(program, function: str, line: int) -> tuple[str, int] | None:
    """The innermost statement of the function that holds the line (its
    first line is its coverage key), None when the line is in none (the
    function's signature or braces)."""
    best = None
    for (name, start), end in program.spans.items():
        if name == function and start <= line <= end and (best is None or start > best[1]):
            best = (name, start)
    return best


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "replace")).hexdigest()


_PROGRAMS: dict[str, Side] = {}  # the last pre-images loaded, by digest


def _load(text: str, path: str, side: str) -> Side:
    key = _digest(text)
    if side == "before" and key in _PROGRAMS:
        return _PROGRAMS[key]
    loaded = _load_now(text, path, side)
    if side == "before":
        if len(_PROGRAMS) >= 4:
            _PROGRAMS.pop(next(iter(_PROGRAMS)))
        _PROGRAMS[key] = loaded
    return loaded


def _load_now(text: str, path: str, side: str) -> Side:
    try:
        program = codemode.load_program(text, path.rsplit("/", 1)[-1])
        for name in program.own:  # compile everything now: statement spans for every function
            program.function(name)
        return Side(program)
    except TriageError as exc:  # CannotExecute among them: the construct that stops the file
        return Side(None, f"{side}: {exc.problem}")


def _workloads(loops: bool) -> list[Workload]:
    out = []
    for workload in codemode.WORKLOADS.values():
        if workload.loop is None:
            out.append(workload)
        elif loops:
            out.append(codemode.until(workload, CHURN_MS))
    return out


# The pre-image's runs, by (file text, workload, schedules): a tree's
# file is the pre-image of many patches (a series, the mutation tests);
# its runs do not depend on the patch. Bounded: a run holds its coverage
# and findings only.
_RUNS: dict[tuple[str, str, int], CodeRun] = {}
_RUNS_KEPT = 256


def _remembered(text: str, program, workload: Workload, schedules: int, seeded: CodeRun | None = None) -> CodeRun:
    key = (_digest(text), workload.name + repr(workload.loop), schedules)
    run = _RUNS.get(key)
    if run is None:
        run = codemode.run_workload(program, workload, seed=0) if seeded is None else _more(
            program, workload, schedules, seeded)
        if len(_RUNS) >= _RUNS_KEPT:
            _RUNS.pop(next(iter(_RUNS)))
        _RUNS[key] = run
    return run


def _more(program, workload: Workload, schedules: int, seeded: CodeRun) -> CodeRun:
    """The seeded run with schedules-1 more random ones (seeds 1...):
    findings of all, metrics of the seeded one, coverage merged."""
    run, _ = codemode.explore_workload(program, workload, schedules - 1, seed=1)
    return codemode.merged([seeded, run])


def delta_key(message: str) -> str:
    """A finding as both sides can name it: object numbers, line numbers
    (the patch moves lines) and counts (nr_workers 2 or 3 is the same
    broken cap) left out. A data race by its variable alone: a race on a
    member that was racy before is the same bug, even where a patch that
    makes more workers shows it at one more pair of sites."""
    if message.startswith("data-race on "):
        message = message.split(":", 1)[0]
    text = re.sub(r"#\d+", "#N", message)
    # the object owning a member by its place, not its type's name: 5.x's
    # per-node io_wqe#1.acct[0] is 6.x's io_wq#1.acct[0]
    text = re.sub(r"\b[A-Za-z_]\w*#N\.", "", text)
    text = re.sub(r"\b([A-Za-z_]\w*):\d+", r"\1", text)
    return re.sub(r"\b\d+\b", "N", text)


def code_delta(path: str, before: str, after: str, schedules: int = SCHEDULES, loops: bool = True) -> CodeDelta:
    """Run the workloads that reach the change on both files. `loops`:
    the closed-loop workload too (a second or two a side)."""
    removed, added = changed_lines(before, after)
    pre, post = _load(before, path, "before"), _load(after, path, "after")
    if pre.program is None or post.program is None:
        return CodeDelta(path, stopped="; ".join(s.stopped for s in (pre, post) if s.stopped),
                         not_exercised=tuple(removed + added))
    placed: dict[tuple[str, int], ChangedLine] = {}  # (side, line) -> the line with its function
    where: dict[tuple[str, int], tuple[str, int]] = {}  # (side, line) -> the statement that holds it
    definitions = []
    for changed, program in [(c, pre.program) for c in removed] + [(c, post.program) for c in added]:
        function = _owner(program, changed.line)
        line = ChangedLine(changed.side, changed.line, function, changed.text)
        if not function:
            definitions.append(line)
            continue
        statement = _statement(program, function, changed.line)
        if statement is None:  # a signature or a brace: the function's first statement stands for it
            starts = sorted(start for name, start in program.spans if name == function)
            statement = (function, starts[0]) if starts else None
        if statement is not None:
            placed[(line.side, line.line)] = line
            where[(line.side, line.line)] = statement
    runs, skipped, ran_lines = [], [], set()
    if not placed and not definitions:  # nothing a workload could run (comments, blank lines)
        return CodeDelta(path)
    adds = any(side == "after" for side, _ in placed)  # lines only the patched file's coverage can reach
    for workload in _workloads(loops):
        label = workload.name + (f" ({CHURN_MS:g} ms)" if workload.loop is not None else "")
        try:
            first = {"before": _remembered(before, pre.program, workload, 1)}
            if not adds and not definitions and not any(
                    statement in first["before"].lines for statement in where.values()):
                continue  # the patch only takes lines out, and this workload ran none of them
            first["after"] = codemode.run_workload(post.program, workload, seed=0)
        except CannotExecute as exc:
            runs.append(CodeScenarioRun(label, (), "", stopped=exc.problem))
            continue
        except TriageError as exc:
            skipped.append(f"{label}: {exc.problem}")
            continue
        reached = [key for key, statement in where.items() if statement in first[key[0]].lines]
        if not reached and not definitions:
            continue
        ran_lines |= set(reached)
        more = schedules if workload.loop is None else 1  # the closed loop: its seeded run only (seconds each)
        sides = first
        if more > 1:  # the same seeds on both sides: 1..more-1 after the seeded 0
            sides = {"before": _remembered(before, pre.program, workload, more, first["before"]),
                     "after": _more(post.program, workload, more, first["after"])}
        runs.append(_compare(label, sides, reached, placed, more))
    not_exercised = tuple(line for key, line in sorted(placed.items()) if key not in ran_lines)
    return CodeDelta(path, tuple(_across(runs)), not_exercised, tuple(definitions), tuple(skipped))


def _across(runs: list[CodeScenarioRun]) -> list[CodeScenarioRun]:
    """A data race one workload shows only after the patch is introduced
    by it only if no workload showed it before (and fixed only if none
    shows it after): whether a race is seen depends on the schedules, so
    a race on a member the pre-image already races on, met in one more
    workload, is not the patch's. Other findings (a count wrong at rest, a
    WARN) stay per workload: the same kind of finding in another workload
    of the pre-image does not excuse a new one."""
    before = {f.key for r in runs for f in r.findings
              if f.change is not FindingChange.INTRODUCED and f.kind == "data-race"}
    after = {f.key for r in runs for f in r.findings if f.change is not FindingChange.FIXED and f.kind == "data-race"}
    out = []
    for r in runs:
        found = tuple(replace(f, change=FindingChange.UNCHANGED)
                      if (f.change is FindingChange.INTRODUCED and f.key in before)
                      or (f.change is FindingChange.FIXED and f.key in after) else f for f in r.findings)
        if found != r.findings:
            r = replace(r, findings=found, outcome=_outcome(r.metrics, found))
        out.append(r)
    return out


def _compare(label: str, sides: dict[str, CodeRun], reached, placed, schedules: int) -> CodeScenarioRun:
    before, after = sides["before"], sides["after"]
    metrics = tuple(d for d in deltas(codemode.METRICS, _shown(before.metrics), _shown(after.metrics))
                    if (d.before, d.after) != ("-", "-"))  # a metric neither side's workload has
    keys_before = {delta_key(f.message): f for f in before.findings}
    keys_after = {delta_key(f.message): f for f in after.findings}
    found = []
    for key, f in keys_after.items():
        change = FindingChange.UNCHANGED if key in keys_before else FindingChange.INTRODUCED
        found.append(_evidence(change, f))
    for key, f in keys_before.items():
        if key not in keys_after:
            found.append(_evidence(FindingChange.FIXED, f))
    shown = tuple(f"{side} {placed[(side, line)].function}:{line}" for side, line in sorted(reached))
    mode = "seed 0" if schedules <= 1 else f"seed 0 and {schedules - 1} more random schedules (seeds 1-{schedules - 1})"
    return CodeScenarioRun(label, shown, mode, metrics, tuple(found), _outcome(metrics, found))


def _outcome(metrics, found) -> Outcome:
    """Direction-aware (sim.metrics.outcome): metrics and the findings introduced and fixed."""
    return outcome(metrics, sum(1 for f in found if f.change is FindingChange.INTRODUCED),
                   sum(1 for f in found if f.change is FindingChange.FIXED))


@dataclass(frozen=True)
class Tally:
    """What a CodeDelta shows, counted once for every place that says it
    (the behaviour summary, a branch's reason)."""

    fixed: tuple[str, ...]  # finding keys, each once
    introduced: tuple[str, ...]
    better: int  # scenarios some metric or finding of which got better (mixed ones too)
    worse: int  # ... worse


def tally(code: CodeDelta) -> Tally:
    return Tally(tuple(sorted({f.key for _, f in code.fixed})), tuple(sorted({f.key for _, f in code.introduced})),
                 sum(1 for r in code.runs if r.outcome in (Outcome.IMPROVES, Outcome.MIXED)),
                 sum(1 for r in code.runs if r.outcome in (Outcome.REGRESSES, Outcome.MIXED)))


def _evidence(change: FindingChange, f) -> CodeEvidence:
    return CodeEvidence(change, f.kind, f.message, delta_key(f.message), f.schedule, f.trail, f.time)


def _shown(metrics: dict) -> dict:
    """None (it never happened: exit never returned, a worker never went) as words."""
    return {k: ("never" if v is None else v) for k, v in metrics.items()}
