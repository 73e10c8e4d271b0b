"""Patch -> knob values before and after -> scenarios -> simulated delta.

The values come from the patch's own code (probes on the pre-image and its
patched copy, or on the hunks' old and new sides) and, only where code
cannot decide, from unambiguous words of the mail. Nothing here knows which
patch it is looking at.
"""

from __future__ import annotations

from triage.behaviour.infer import infer
from triage.behaviour.probes import probe_all, view_of_file, view_of_fragment
from triage.model import Behaviour, Diff, FindingDetail, KnobChange, Message, ScenarioRun, SymbolChange
from triage.sim import scenarios as registry
from triage.sim.simulate import simulate


def behaviour_of(message: Message, symbols: tuple[SymbolChange, ...], images: dict[str, tuple[str, str]],
                 run_scenarios: bool = True) -> Behaviour:
    """images: path -> (pre-image, post-image) where the --source file applied."""
    before, after, images_used = _probe(message, symbols, images)
    inferred = infer(message)
    knobs: list[KnobChange] = []
    for knob in before:
        b, a = before[knob], after[knob]
        how = f"probed on the {images_used}"
        if (b.value is None or a.value is None) and knob in inferred:
            ib, ia = inferred[knob]
            if b.value is None:
                b = ib
            if a.value is None:
                a = ia
            how = "inferred from text" if images_used == "none" else f"probed on the {images_used}, completed from text"
        knobs.append(KnobChange(knob, b.value, a.value, how, b.reason, a.reason, b.lines, a.lines))
    changed = [k for k in knobs if k.changed]
    runs: list[ScenarioRun] = []
    done: set[str] = set()
    if run_scenarios:
        for scenario in registry.REGISTRY.values():
            shown = [k for k in changed if k.knob in scenario.knobs_shown]
            if shown:
                runs.append(_run(scenario.name, shown))
                done.add(scenario.name)
    touched = {c.symbol for c in symbols} | {p.name for p in message.prose_symbols}
    touching = tuple(s.name for s in registry.REGISTRY.values()
                     if s.name not in done and touched & set(s.symbols))
    if changed:
        summary = "changes " + ", ".join(f"{k.knob} ({k.before} -> {k.after})" for k in changed)
    else:
        summary = "no behavioural model covers this change"
    return Behaviour(images_used if images_used != "none" else ("text only" if any(k.how.startswith("inferred")
                                                                          for k in knobs) else "none"),
                     tuple(knobs), tuple(runs), touching, summary)


def _probe(message: Message, symbols, images: dict[str, tuple[str, str]]):
    """Probe results before and after, and what they were read from."""
    diffs = [d for d in message.diffs if any(f.path.endswith(".c") for f in d.files)]
    own = [d for d in diffs if not d.quoted] or diffs
    whole = next((images[f.path] for d in own for f in d.files if f.path in images), None)
    if whole is not None:
        return probe_all(view_of_file(whole[0])), probe_all(view_of_file(whole[1])), "source file"
    if own:
        old, new = _fragments(own[0], symbols, message.diffs.index(own[0]))
        return probe_all(old), probe_all(new), "hunks"
    unknown = probe_all(view_of_file(""))
    return unknown, unknown, "none"


def _fragments(diff: Diff, symbols, d_index: int):
    old_pieces, new_pieces, old_text, new_text, old_no, new_no = [], [], [], [], [], []
    for file in diff.files:
        for h_index, hunk in enumerate(file.hunks):
            owners = [c.symbol for c in symbols if c.diff_index == d_index and c.file == file.path
                      and c.hunk_index == h_index and c.kind == "function"]
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


def _value(knob: str, value: str):
    return {"on": True, "off": False}.get(value, value)


def _run(name: str, changes: list[KnobChange]) -> ScenarioRun:
    comparison = simulate(name, before={k.knob: _value(k.knob, k.before) for k in changes},
                          after={k.knob: _value(k.knob, k.after) for k in changes})
    b, a = comparison.before.result.metrics, comparison.after.result.metrics
    metrics = [(m, str(b.get(m, "-")), str(a.get(m, "-"))) for m in dict.fromkeys(list(b) + list(a))]

    def findings(variant):
        found = {f.key: f for f in variant.result.findings}
        if variant.exploration is not None:
            found.update(variant.exploration.findings)
        return sorted(found.values(), key=lambda f: f.message)

    before, after = findings(comparison.before), findings(comparison.after)
    details = tuple(FindingDetail(side, f.kind, f.message, tuple(str(s) for s in f.sites), tuple(f.schedule))
                    for side, found in (("before", before), ("after", after)) for f in found)
    return ScenarioRun(name, tuple(f"{k.knob}: {k.before} -> {k.after}" for k in changes), comparison.mode,
                       tuple(metrics), tuple(f.message for f in before), tuple(f.message for f in after),
                       _thin(comparison.before.result.timeline), _thin(comparison.after.result.timeline),
                       _events(comparison.before.result.events), _events(comparison.after.result.events), details)


TIMELINE_POINTS = 240
EVENTS = 40


def _thin(samples) -> tuple[tuple[float, int, int, int], ...]:
    """Keep the shape of a long timeline in a bounded size: every change when
    short, else the first point of each of TIMELINE_POINTS equal time slices
    plus the slice's peaks (so a burst is never thinned away)."""
    points = [(round(s.time * 1000, 3), s.alive, s.running, s.queued) for s in samples]
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
    return tuple(out)


def _events(events) -> tuple[tuple[float, str], ...]:
    return tuple((round(t * 1000, 3), text) for t, text in events[:EVENTS])
