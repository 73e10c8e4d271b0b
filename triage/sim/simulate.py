"""The library call behind `triage simulate`: one scenario, before and
after, each as a seeded run plus (optionally) many schedules, and the
direction-aware comparison of the two."""

from __future__ import annotations

import collections
import concurrent.futures
import functools
import multiprocessing
import os
from dataclasses import dataclass

from triage import progress
from triage.errors import ScenarioError
from triage.model import MetricDelta, Outcome
from triage.sim import cache, scenarios
from triage.sim.explore import Exploration
from triage.sim.knobs import Knobs
from triage.sim.metrics import deltas, outcome, worst


@dataclass(frozen=True)
class Variant:
    label: str  # before | after
    knobs: Knobs
    result: scenarios.Result  # the seeded schedule (its timeline and events are drawn)
    exploration: Exploration | None
    metrics: dict  # from the same schedules as `findings`
    findings: tuple  # the seeded run's, or the union over every explored schedule
    metrics_from: str


@dataclass(frozen=True)
class Comparison:
    scenario: scenarios.Scenario
    before: Variant
    after: Variant
    mode: str  # seeded | random | pct | exhaustive

    @property
    def changed_knobs(self) -> dict[str, tuple]:
        return self.before.knobs.differences(self.after.knobs)

    @functools.cached_property
    def deltas(self) -> tuple[MetricDelta, ...]:
        return deltas(self.scenario.metrics, self.before.metrics, self.after.metrics)

    @functools.cached_property
    def new_findings(self) -> tuple:
        before = {f.key for f in self.before.findings}
        return tuple(f for f in self.after.findings if f.key not in before)

    @functools.cached_property
    def fixed_findings(self) -> tuple:
        after = {f.key for f in self.after.findings}
        return tuple(f for f in self.before.findings if f.key not in after)

    @functools.cached_property
    def outcome(self) -> Outcome:
        return outcome(self.deltas, len(self.new_findings), len(self.fixed_findings))


def knobs_for(scenario: scenarios.Scenario, side: str, extra: dict, base: Knobs | None = None) -> Knobs:
    """The scenario's tree (or `base`, the patch's own pre-image) with the
    scenario's side changes and then the caller's."""
    start = base if base is not None else scenario.base.with_(**scenario.before)
    if base is None and side == "after":
        start = scenario.base.with_(**scenario.after)
    try:
        return start.with_(**extra)
    except (KeyError, ValueError) as exc:
        raise ScenarioError(f"--{side}", str(exc.args[0])) from None  # str(KeyError) adds quotes


def simulate(name: str, before: dict | None = None, after: dict | None = None, seed: int = 0,
             schedules: int | None = None, exhaustive: bool | None = None, pct: bool = False,
             horizon: float | None = None, base: Knobs | None = None) -> Comparison:
    """base: the knobs to start both sides from (the patch's pre-image);
    None starts from the scenario's own tree with its before/after changes."""
    scenario = scenarios.REGISTRY.get(name)
    if scenario is None:
        raise ScenarioError(name, "no such scenario; `triage scenarios` lists them")
    if exhaustive is None:
        exhaustive = scenario.explore_by_default and not schedules
    mode = "exhaustive" if exhaustive else ("pct" if pct else "random") if schedules else "seeded"
    pair = [knobs_for(scenario, side, extra, base) for side, extra in (("before", before or {}),
                                                                       ("after", after or {}))]
    runs = _sides(scenario, pair, (seed, schedules, exhaustive, pct, horizon))
    variants = [Variant(side, knobs, *run) for side, knobs, run in zip(("before", "after"), pair, runs)]
    return Comparison(scenario, variants[0], variants[1], mode)


_KEPT: "collections.OrderedDict[tuple, tuple]" = collections.OrderedDict()
KEEP = 128  # sides kept per process


def _sides(scenario: scenarios.Scenario, pair: list[Knobs], how: tuple) -> list[tuple]:
    """Both sides' runs. A side is a pure function of its arguments, so it is
    kept for the life of the process (a thread that quotes a patch many
    times, a batch against one tree, a patch and its revert run each
    configuration once) and on disk (sim/cache.py) for the next one. When
    neither side is known and the scenario is a long one, the after side
    runs in a second process while this one runs the before side."""
    name = scenario.name
    keys = [(name, knobs) + how for knobs in pair]
    runs: list = [_KEPT.get(k) for k in keys]
    for i, k in enumerate(keys):
        if runs[i] is None:
            runs[i] = cache.lookup(k)
    computed = [i for i in range(2) if runs[i] is None]
    if computed == [0, 1] and keys[0] != keys[1] and scenario.sides_in_parallel and (os.cpu_count() or 1) > 1:
        # spawn: the parent may run a progress thread (see analysis.analyze)
        with concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            after = pool.submit(_compute, *keys[1])
            runs[0] = _compute(*keys[0])
            runs[1] = after.result()
    else:
        for i in computed:
            runs[i] = runs[0] if i == 1 and keys[1] == keys[0] else _compute(*keys[i])
    for i, k in enumerate(keys):
        if i in computed:
            cache.store(k, runs[i])
        _KEPT[k] = runs[i]
        _KEPT.move_to_end(k)
    while len(_KEPT) > KEEP:
        _KEPT.popitem(last=False)
    return runs


def _compute(name: str, knobs: Knobs, seed: int, schedules: int | None, exhaustive: bool, pct: bool,
             horizon: float | None) -> tuple:
    with progress.task(f"simulating {name}"):
        return _computed(name, knobs, seed, schedules, exhaustive, pct, horizon)


def _computed(name: str, knobs: Knobs, seed: int, schedules: int | None, exhaustive: bool, pct: bool,
              horizon: float | None) -> tuple:
    scenario = scenarios.REGISTRY[name]
    # no trace: nothing downstream reads it, and a churn run's trace is 80 MB
    result = scenarios.run(name, knobs, seed=seed, horizon=horizon, trace=False)
    exploration = None
    if exhaustive:
        exploration = scenarios.explore_scenario(name, knobs, seed=seed, horizon=horizon)
    elif schedules:
        exploration = scenarios.explore_scenario(name, knobs, seed=seed, schedules=schedules, pct=pct,
                                                 horizon=horizon)
    return (result, exploration) + _measured(scenario, result, exploration)


def _measured(scenario: scenarios.Scenario, result: scenarios.Result, exploration: Exploration | None) -> tuple:
    """(metrics, findings, where they come from), from the same schedules:
    the seeded run alone, or every explored schedule (the seeded one among
    them), each metric at its worst over them and the finding counts
    recomputed on the union."""
    if exploration is None or not exploration.samples:
        return dict(result.metrics), tuple(result.findings), "the seeded schedule"
    found = {f.key: f for f in result.findings}
    for key, f in exploration.findings.items():
        found.setdefault(key, f)
    findings = tuple(sorted(found.values(), key=lambda f: f.message))
    samples = [result.metrics] + exploration.samples
    metrics = {}
    for m in scenario.metrics:
        metrics[m.name] = m.of_findings(findings) if m.of_findings else worst(m, [x.get(m.name) for x in samples])
    how = (f"{exploration.mode} exploration, {exploration.schedules} schedules and the seeded one: each metric "
           "at its worst over them, findings their union")
    return metrics, findings, how
