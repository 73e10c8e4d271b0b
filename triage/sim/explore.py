"""Many schedules of one model: random and PCT runs, and exhaustive
exploration of every interleaving of a small configuration.

Exhaustive search is stateless DFS with replay (generators cannot be
copied, so each branch re-runs the model from the start along a recorded
prefix), reduced by sleep sets (Godefroid): after exploring task t at a
node, t sleeps in the sibling branches until some step dependent on t's
pending operation wakes it; and optionally by state hashing: a node whose
state key was seen before is not expanded again. The state key must cover
everything that decides the future (model state and each task's place in
its code); models provide it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Hashable

from triage import progress
from triage.sim.engine import (
    Access, Engine, Finding, Lock, Note, PCTStrategy, RandomStrategy, Sleep, Strategy, Task, Unlock,
)

Build = Callable[[Engine], None]  # adds tasks and invariants to a fresh engine


@dataclass
class Exploration:
    mode: str  # random | pct | exhaustive
    schedules: int = 0
    states: int = 0  # distinct states visited (exhaustive with hashing), else steps
    pruned: int = 0
    truncated: bool = False
    findings: dict = field(default_factory=dict)  # key -> shortest Finding
    samples: list = field(default_factory=list)  # what `measure` said of each complete schedule

    def add(self, findings: list[Finding]) -> None:
        for f in findings:
            kept = self.findings.get(f.key)
            if kept is None or len(f.schedule) < len(kept.schedule):
                self.findings[f.key] = f


Measure = Callable[[Engine], dict]  # the model's metrics at the end of one schedule


def run_many(build: Build, schedules: int, seed: int = 0, pct: bool = False, until: float | None = None,
             make_engine: Callable[[Strategy], Engine] | None = None, measure: Measure | None = None) -> Exploration:
    result = Exploration("pct" if pct else "random")
    with progress.task(f"{result.mode} schedules", total=schedules) as shown:
        for k in range(schedules):
            strategy = PCTStrategy(seed + k) if pct else RandomStrategy(seed + k)
            engine = make_engine(strategy) if make_engine else Engine(strategy, trace=False)
            build(engine)
            engine.run(until)
            result.schedules += 1
            result.states += engine.steps
            result.add(engine.findings)
            if measure is not None:
                result.samples.append(measure(engine))
            shown.advance()
    return result


class _Stop(Exception):
    pass


class _Prefix(Strategy):
    """Follow the given choices (task ids), then stop at the next choice point."""

    def __init__(self, prefix: list[int]) -> None:
        self.prefix = prefix
        self.i = 0

    def choose(self, ready: list[Task], engine: Engine) -> Task:
        if self.i < len(self.prefix):
            tid = self.prefix[self.i]
            self.i += 1
            for t in ready:
                if t.tid == tid:
                    return t
            raise RuntimeError("replay diverged: the model is not deterministic")
        raise _Stop


def _independent(a, b) -> bool:
    """Can these two pending operations be swapped without changing anything?"""
    ta, tb = type(a), type(b)
    if a is None or b is None:
        # a task not yet started runs only its own code up to its first yield
        return True
    if ta is Sleep or tb is Sleep or (ta is Note and tb is Note):
        return True
    if ta is Access and tb is Access:
        return a.var != b.var or (not a.write and not b.write)
    if (ta is Access and tb in (Lock, Unlock)) or (tb is Access and ta in (Lock, Unlock)):
        return True
    if ta in (Lock, Unlock) and tb in (Lock, Unlock):
        return a.name != b.name
    return False


def explore(build: Build, state_key: Callable[[Engine], Hashable] | None = None,
            max_schedules: int = 200_000, until: float | None = None,
            measure: Measure | None = None) -> Exploration:
    result = Exploration("exhaustive")
    seen: set = set()

    def visit(prefix: list[int], sleep: dict[int, object]) -> None:
        if result.schedules >= max_schedules:
            result.truncated = True
            return
        engine = Engine(_Prefix(prefix), trace=False, choose_always=True)
        build(engine)
        try:
            engine.run(until)
        except _Stop:
            pass
        else:
            result.schedules += 1
            result.add(engine.findings)
            if measure is not None:
                result.samples.append(measure(engine))
            shown.advance()
            return
        result.add(engine.findings)
        if state_key is not None:
            key = (state_key(engine), tuple(sorted(sleep)))
            if key in seen:
                result.pruned += 1
                return
            seen.add(key)
        result.states += 1
        ready = sorted(engine.ready, key=lambda t: t.tid)
        ops = {t.tid: t.op for t in ready}
        done: dict[int, object] = {}
        for task in ready:
            if task.tid in sleep:
                continue
            asleep = {**sleep, **done}
            child = {u: op for u, op in asleep.items() if _independent(op, ops[task.tid])}
            visit(prefix + [task.tid], child)
            done[task.tid] = ops[task.tid]

    with progress.task("every interleaving") as shown:
        visit([], {})
    return result
