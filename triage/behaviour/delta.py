"""Patch -> knob values before and after -> scenarios -> simulated delta.

The values come from the patch's own code only (probes on the pre-image and
its patched copy, or on the hunks' old and new sides); what the mail's words
say is kept apart as claims. Every scenario starts from the knobs the
patch's pre-image decides. Nothing here knows which patch it is looking at.
"""

from __future__ import annotations

from triage.behaviour.infer import infer
from triage.behaviour.probes import probe_all, view_of_file, view_of_fragment
from triage.model import (Behaviour, Claim, Diff, FindingDetail, KnobChange, KnobSetting, Message, Outcome, ScenarioRun,
                          on_hunk, SymbolChange)
from triage.sim import scenarios as registry
from triage.sim.knobs import KNOBS, as_word, from_word
from triage.sim.simulate import simulate


def behaviour_of(message: Message, symbols: tuple[SymbolChange, ...], images: dict[str, tuple[str, str]],
                 run_scenarios: bool = True) -> Behaviour:
    """images: path -> (pre-image, post-image) where the --source file applied.

    Knob values come from code only. What the mail's words say is kept as
    claims beside them: never simulated, never used to pass a check. Only a
    message with a diff of its own is simulated; a reply that quotes the
    patch gets the quoted code's knobs, and the patch's own message (its
    page, when it is in the input) carries the runs."""
    before, after, images_used = _probe(message, symbols, images)
    knobs = tuple(KnobChange(knob, before[knob].value, after[knob].value, f"probed on the {images_used}",
                             before[knob].reason, after[knob].reason, before[knob].lines, after[knob].lines)
                  for knob in before)
    claims = infer(message)
    changed = [k for k in knobs if k.changed]
    runs: list[ScenarioRun] = []
    done: set[str] = set()
    if run_scenarios and images_used in ("source file", "hunks"):
        decided = _decided(knobs)
        for scenario in registry.REGISTRY.values():
            shown = [k for k in changed if k.knob in scenario.knobs_shown]
            if shown:
                runs.append(_run(scenario.name, shown, decided))
                done.add(scenario.name)
    touched = {c.symbol for c in symbols} | {p.name for p in message.prose_symbols}
    touching = tuple(s.name for s in registry.REGISTRY.values()
                     if s.name not in done and touched & set(s.symbols))
    code = None
    if run_scenarios and images_used == "source file":
        code = _code_delta(message, images)
    summary = _summary(changed, claims, images_used)
    if code is not None:
        summary = _code_summary(code) + ("" if changed else "; no knob of the model changes")
    return Behaviour(images_used, knobs, tuple(runs), touching, summary, claims, code, disagreements(runs, code))


OPPOSITE = {(Outcome.IMPROVES, Outcome.REGRESSES), (Outcome.REGRESSES, Outcome.IMPROVES)}


def disagreements(runs, code) -> tuple[str, ...]:
    """Scenarios both the knob model and the file's own code ran whose
    outcomes point opposite ways (one improves, the other regresses)."""
    if code is None:
        return ()
    out = []
    for r in runs:
        for c in code.runs:
            if (c.scenario == r.scenario or c.scenario.startswith(r.scenario + " (")) and \
                    (r.outcome, c.outcome) in OPPOSITE:
                out.append(f"{r.scenario}: the model with the probed knobs says {r.outcome.value}, io-wq's own C "
                           f"says {c.outcome.value}")
    return tuple(out)


def _code_delta(message: Message, images: dict[str, tuple[str, str]]):
    """The code-mode workloads on the whole pre-image and its patched
    copy, for the io-wq.c the patch changes (the file the interpreter
    runs; another file's change is not run here)."""
    from triage.sim.codedelta import code_delta

    for d in message.own_diffs:
        for f in d.files:
            if f.path.endswith("io-wq.c") and f.path in images:
                before, after = images[f.path]
                return code_delta(f.path, before, after)
    return None


def _code_summary(code) -> str:
    """What running the patch's own code showed, in a line."""
    if code.stopped:
        return f"its own code cannot be run: {code.stopped}"
    if not code.runs:
        return "no scenario runs a line the patch changes" + (
            f" ({len(code.not_exercised)} changed line(s) not exercised)" if code.not_exercised else "")
    from triage.sim.codedelta import tally

    counted = tally(code)
    parts = []
    if counted.introduced:
        parts.append(f"introduces {len(counted.introduced)} finding(s)")
    if counted.fixed:
        parts.append(f"fixes {len(counted.fixed)} finding(s)")
    if not parts:
        parts.append("no finding changes")
    text = (f"its own code, run in {len(code.runs)} scenario(s) that reach the change: " + ", ".join(parts)
            + f"; better in {counted.better}, worse in {counted.worse}")
    if code.not_exercised:
        text += f"; {len(code.not_exercised)} changed line(s) not exercised"
    return text


def _summary(changed: list[KnobChange], claims: tuple[Claim, ...], images_used: str) -> str:
    if changed and images_used == "quoted patch":
        return ("the quoted patch changes " + ", ".join(f"{k.knob} ({k.before} -> {k.after})" for k in changed)
                + "; not simulated here: the patch's own message carries the runs")
    if changed:
        return "changes " + ", ".join(f"{k.knob} ({k.before} -> {k.after})" for k in changed)
    if claims:
        return (("" if images_used == "none" else "the code in view decides no change; ")
                + "the mail's words say it changes " + ", ".join(c.knob for c in claims)
                + " (a claim, not simulated)")
    return "no behavioural model covers this change"


def _decided(knobs: tuple[KnobChange, ...]) -> dict:
    """Every knob the patch's pre-image decides: the scenarios' starting
    point. The knobs it cannot decide stay at each scenario's own tree."""
    return {k.knob: from_word(k.before) for k in knobs if k.before is not None}


def _probe(message: Message, symbols, images: dict[str, tuple[str, str]]):
    """Probe results before and after, and what they were read from: the
    whole pre-image and its patched copy, else the own diff's hunks, else
    (a reply) the quoted patch's hunks."""
    diffs = [d for d in message.diffs if any(f.path.endswith(".c") for f in d.files)]
    own = [d for d in diffs if not d.quoted]
    whole = next((images[f.path] for d in own for f in d.files if f.path in images), None)
    if whole is not None:
        return probe_all(view_of_file(whole[0])), probe_all(view_of_file(whole[1])), "source file"
    chosen = own or diffs
    if chosen:
        old, new = _fragments(chosen[0], symbols, message.diffs.index(chosen[0]))
        return probe_all(old), probe_all(new), "hunks" if own else "quoted patch"
    unknown = probe_all(view_of_file(""))
    return unknown, unknown, "none"


def _fragments(diff: Diff, symbols, d_index: int):
    old_pieces, new_pieces, old_text, new_text, old_no, new_no = [], [], [], [], [], []
    for file in diff.files:
        for h_index, hunk in enumerate(file.hunks):
            owners = [c.symbol for c in on_hunk(symbols, d_index, file.path, h_index) if c.kind == "function"]
            old = [line.text for line in hunk.side("-")]
            new = [line.text for line in hunk.side("+")]
            old_text += old
            new_text += new
            old_no += [line.old_no for line in hunk.side("-")]
            new_no += [line.new_no for line in hunk.side("+")]
            for name in owners[:1]:
                old_pieces.append((name, hunk.old_start, old))
                new_pieces.append((name, hunk.new_start, new))
    return (view_of_fragment("hunk-old", old_pieces, "\n".join(old_text), old_no),
            view_of_fragment("hunk-new", new_pieces, "\n".join(new_text), new_no))


def _run(name: str, changes: list[KnobChange], decided: dict) -> ScenarioRun:
    scenario = registry.REGISTRY[name]
    base = scenario.base.with_(**decided)
    comparison = simulate(name, base=base, after={k.knob: from_word(k.after) for k in changes})
    start = tuple(KnobSetting(info.name, as_word(getattr(base, info.name)),
                              "pre-image" if info.name in decided else "scenario default") for info in KNOBS)
    before, after = comparison.before.findings, comparison.after.findings
    details = tuple(FindingDetail(side, f.kind, f.message, tuple(str(s) for s in f.sites), tuple(f.schedule))
                    for side, found in (("before", before), ("after", after)) for f in found)
    return ScenarioRun(name, tuple(f"{k.knob}: {k.before} -> {k.after}" for k in changes), comparison.mode,
                       comparison.deltas, tuple(f.message for f in before), tuple(f.message for f in after),
                       _thin(comparison.before.result.timeline), _thin(comparison.after.result.timeline),
                       _events(comparison.before.result.events), _events(comparison.after.result.events), details,
                       comparison.outcome, comparison.before.metrics_from, start)


TIMELINE_POINTS = 240
EVENTS = 40


def _thin(samples) -> tuple[tuple[float, int, int, int, int], ...]:
    """Keep the shape of a long timeline in a bounded size: every change when
    short, else the first point of each of TIMELINE_POINTS equal time slices
    plus the slice's peaks (so a burst is never thinned away) and the last
    point (where the cumulative count of created workers ends)."""
    points = [(round(s.time * 1000, 3), s.alive, s.running, s.queued, s.created) for s in samples]
    if len(points) <= TIMELINE_POINTS:
        return tuple(points)
    end = points[-1][0] or 1.0
    slices: dict[int, list] = {}
    for p in points:
        slices.setdefault(min(int(p[0] / end * (TIMELINE_POINTS // 2)), TIMELINE_POINTS // 2 - 1), []).append(p)
    out = []
    for _, group in sorted(slices.items()):
        peak = max(group, key=lambda p: (p[1], p[3]))
        out += [group[0]] + ([peak] if peak is not group[0] else [])
    if out[-1] is not points[-1]:
        out.append(points[-1])
    return tuple(out)


MARKED = 10  # io-wq API events (exit request, drain, exit-on-idle) kept beyond the first EVENTS


def _events(events) -> tuple[tuple[float, str], ...]:
    """The first EVENTS events, and beyond them the calls into io-wq's API
    (`io_wq_exit_start`, `io_wq_exit_workers`, ...): a long run's exit
    request must not be cut off by its first thousand worker events."""
    later = [e for e in events[EVENTS:] if e[1].startswith("io_wq_")][:MARKED]
    return tuple((round(t * 1000, 3), text) for t, text in list(events[:EVENTS]) + later)
