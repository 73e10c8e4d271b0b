"""Simulator benchmark (not part of the test suite; run by hand):

    python -m tests.bench.bench_sim

1. Engine throughput on the worker-churn scenario scaled to >= 100k work
   items, next to a floor measured in the same run: a bare loop that drives
   the same number of generator yields through a heap, which is what any
   Python discrete-event engine must at least pay.
2. Exhaustive exploration of the worker-flags scenario: wall time,
   schedules and states per second.
Targets (issue 3): >= 300k events/s on one core; exhaustive flags < 2 s.
"""

from __future__ import annotations

import heapq
import time

from triage.sim import scenarios as S


def floor(steps: int) -> float:
    """Seconds for `steps` generator resumptions scheduled through a heap."""
    def task():
        while True:
            yield 1

    tasks = [task() for _ in range(16)]
    heap = [(0.0, i) for i in range(16)]
    start = time.perf_counter()
    for n in range(steps):
        t, i = heapq.heappop(heap)
        next(tasks[i])
        heapq.heappush(heap, (t + 1e-6, i))
    return time.perf_counter() - start


def churn(horizon: float) -> None:
    sc = S.REGISTRY["worker-churn"]
    knobs = sc.base.with_(**sc.before)
    start = time.perf_counter()
    result = S.run(sc.name, knobs, seed=1, horizon=horizon, trace=False)
    took = time.perf_counter() - start
    base = floor(result.steps)
    print(f"worker-churn, {horizon:g} virtual s: {result.metrics['works_done']} work items, {result.steps} events "
          f"in {took:.2f} s = {result.steps / took:,.0f} events/s "
          f"(floor, bare generator+heap loop, same events: {result.steps / base:,.0f} events/s; "
          f"engine costs {took / base:.1f}x the floor)")


def flags_exhaustive() -> None:
    sc = S.REGISTRY["worker-flags"]
    for side, changes in (("before", sc.before), ("after", sc.after)):
        start = time.perf_counter()
        x = S.explore_scenario(sc.name, sc.base.with_(**changes))
        took = time.perf_counter() - start
        print(f"worker-flags exhaustive ({side}): {took:.3f} s, {x.schedules} complete schedules, "
              f"{x.states} states ({x.states / took:,.0f} states/s), {x.pruned} pruned, "
              f"{len(x.findings)} findings")


if __name__ == "__main__":
    churn(32.0)
    flags_exhaustive()
