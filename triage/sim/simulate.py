"""The library call behind `triage simulate`: one scenario, before and
after, each as a seeded run plus (optionally) many schedules, and the
direction-aware comparison of the two."""

from __future__ import annotations

import functools
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
    variants = []
    for side, extra in (("before", before or {}), ("after", after or {})):
        knobs = knobs_for(scenario, side, extra, base)
        variants.append(Variant(side, knobs, *_side(name, knobs, seed, schedules, exhaustive, pct, horizon)))
    return Comparison(scenario, variants[0], variants[1], mode)


@functools.lru_cache(maxsize=128)
def _side(name: str, knobs: Knobs, seed: int, schedules: int | None, exhaustive: bool, pct: bool,
          horizon: float | None) -> tuple:
    """One side's runs: a pure function of its arguments, so it is kept for
    the life of the process. A thread that quotes a patch many times, a
    batch of patches against one tree, or a patch and its revert (the same
    two configurations, swapped) run each configuration once; and on disk
    (sim/cache.py) for the next process."""
    return cache.cached(name, lambda: _compute(name, knobs, seed, schedules, exhaustive, pct, horizon),
                        knobs, seed, schedules, exhaustive, pct, horizon)


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
