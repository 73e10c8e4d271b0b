"""The library call behind `triage simulate`: one scenario, before and
after, each as a seeded run plus (optionally) many schedules."""

from __future__ import annotations

from dataclasses import dataclass

from triage.errors import ScenarioError
from triage.sim import scenarios
from triage.sim.explore import Exploration
from triage.sim.knobs import Knobs


@dataclass(frozen=True)
class Variant:
    label: str  # before | after
    knobs: Knobs
    result: scenarios.Result
    exploration: Exploration | None


@dataclass(frozen=True)
class Comparison:
    scenario: scenarios.Scenario
    before: Variant
    after: Variant
    mode: str  # seeded | random | pct | exhaustive

    @property
    def changed_knobs(self) -> dict[str, tuple]:
        return self.before.knobs.differences(self.after.knobs)


def knobs_for(scenario: scenarios.Scenario, side: str, extra: dict) -> Knobs:
    base = scenario.base.with_(**(scenario.before if side == "before" else scenario.after))
    try:
        return base.with_(**extra)
    except (KeyError, ValueError) as exc:
        raise ScenarioError(f"--{side}", str(exc).strip("'\"")) from None


def simulate(name: str, before: dict | None = None, after: dict | None = None, seed: int = 0,
             schedules: int | None = None, exhaustive: bool | None = None, pct: bool = False,
             horizon: float | None = None) -> Comparison:
    scenario = scenarios.REGISTRY.get(name)
    if scenario is None:
        raise ScenarioError(name, "no such scenario; `triage scenarios` lists them")
    if exhaustive is None:
        exhaustive = scenario.explore_by_default and not schedules
    mode = "exhaustive" if exhaustive else ("pct" if pct else "random") if schedules else "seeded"
    variants = []
    for side, extra in (("before", before or {}), ("after", after or {})):
        knobs = knobs_for(scenario, side, extra)
        result = scenarios.run(name, knobs, seed=seed, horizon=horizon)
        exploration = None
        if exhaustive:
            exploration = scenarios.explore_scenario(name, knobs, seed=seed, horizon=horizon)
        elif schedules:
            exploration = scenarios.explore_scenario(name, knobs, seed=seed, schedules=schedules, pct=pct,
                                                     horizon=horizon)
        variants.append(Variant(side, knobs, result, exploration))
    return Comparison(scenario, variants[0], variants[1], mode)
