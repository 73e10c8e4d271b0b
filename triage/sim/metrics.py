"""Scenario metrics with a declared direction, and the direction-aware
comparison of two runs. Knows nothing of io-wq: a scenario declares, per
metric, which way is better (or that neither is: context), and a relative
tolerance under which a change does not count.

A check that passes whichever way a metric moves is no check: a run
"improves" only when some directed metric got better (or a finding went
away) and nothing got worse and no finding appeared.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable, Iterable

from triage.model import Better, Change, MetricDelta, Outcome


@dataclass(frozen=True)
class Metric:
    name: str
    better: Better
    help: str = ""
    tolerance: float = 0.0  # relative change ignored (0: any change counts)
    # a metric computed from the run's findings (racy pairs...): over many
    # schedules it is recomputed on their union, so that the number and the
    # findings shown beside it come from the same schedules
    of_findings: Callable[[Iterable], object] | None = None


def magnitude(value) -> float | None:
    """A metric value as a number for comparison: numbers as they are,
    "never within 30 s" as infinity (it never happened), else None."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        if value.startswith("never"):
            return math.inf
        if re.fullmatch(r"-?\d+(?:\.\d+)?", value.strip()):
            return float(value)
    return None


def compare(metric: Metric, before, after) -> Change:
    if before == after:
        return Change.UNCHANGED
    b, a = magnitude(before), magnitude(after)
    if b is None or a is None:
        return Change.NOT_COMPARABLE
    if b == a:
        return Change.UNCHANGED
    if math.isfinite(b) and math.isfinite(a) and abs(a - b) <= metric.tolerance * max(abs(b), abs(a)):
        return Change.UNCHANGED
    if metric.better is Better.NEITHER:
        return Change.MOVED
    lower = a < b
    return Change.IMPROVED if lower == (metric.better is Better.LOWER) else Change.REGRESSED


def worst(metric: Metric, values: list):
    """The worst value over many schedules (the largest where lower is
    better, the smallest where higher is better; the largest for context)."""
    known = [v for v in values if magnitude(v) is not None]
    if not known:
        return values[0] if values else "-"
    if metric.better is Better.HIGHER:
        return min(known, key=magnitude)
    return max(known, key=magnitude)


def deltas(metrics: tuple[Metric, ...], before: dict, after: dict) -> tuple[MetricDelta, ...]:
    out = []
    for m in metrics:
        b, a = before.get(m.name, "-"), after.get(m.name, "-")
        out.append(MetricDelta(m.name, _plain(b), _plain(a), m.better, compare(m, b, a), m.help))
    return tuple(out)


def outcome(metric_deltas: tuple[MetricDelta, ...], new_findings: int, fixed_findings: int) -> Outcome:
    better = fixed_findings > 0 or any(d.change is Change.IMPROVED for d in metric_deltas)
    worse = new_findings > 0 or any(d.change is Change.REGRESSED for d in metric_deltas)
    if better and worse:
        return Outcome.MIXED
    if worse:
        return Outcome.REGRESSES
    if better:
        return Outcome.IMPROVES
    return Outcome.NO_DIFFERENCE


def _plain(value) -> int | float | str:
    """Numbers stay numbers (JSON gets numbers); anything else is shown as words."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return str(value)
