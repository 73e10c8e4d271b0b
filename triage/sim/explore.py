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
    instants: set = field(default_factory=set)  # virtual times where tasks competed (complete schedules)
    bounded: bool = False  # the preemption bound left schedules out
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
    """Follow the given choices (task ids), then stop at the next choice
    point. With `forced`, a step where one task alone is ready is taken
    without stopping (no branch to explore there), the sleep set carried
    along it: if the lone task is asleep the branch is redundant (stop,
    `redundant`), else every sleeper its step depends on wakes."""

    def __init__(self, prefix: list[int], sleep: dict[int, object] | None = None, forced: bool = False,
                 window: tuple[float, float] | None = None, bound: int | None = None) -> None:
        self.prefix = prefix
        self.bound = bound
        self.i = 0
        self.forced = forced
        self.window = window
        self.sleep = dict(sleep or {})
        self.taken: list[int] = []
        self.redundant = False
        self.bounded = False  # the bound kept a ready task from going
        self.instants: set[float] = set()  # virtual times at which more than one task was ready
        self.prev: int | None = None  # the task chosen last
        self.preemptions = 0  # inside the window: choices of another task while the last one could go on

    def choose(self, ready: list[Task], engine: Engine) -> Task:
        task = self._choose(ready, engine)
        if (self.prev is not None and task.tid != self.prev and any(t.tid == self.prev for t in ready)
                and (self.window is None or self.window[0] <= engine.now <= self.window[1])):
            self.preemptions += 1
        self.prev = task.tid
        return task

    def _choose(self, ready: list[Task], engine: Engine) -> Task:
        if self.i < len(self.prefix):
            tid = self.prefix[self.i]
            self.i += 1
            for t in ready:
                if t.tid == tid:
                    return t
            raise RuntimeError("replay diverged: the model is not deterministic")
        if len(ready) > 1:
            self.instants.add(engine.now)
        if self.window is not None and not self.window[0] <= engine.now <= self.window[1]:
            task = ready[0]  # outside the window: one schedule, the lowest task id first
            self.sleep = {}  # nothing branches before or after the window: no redundancy to prune
            self.taken.append(task.tid)
            return task
        if self.bound is not None and self.preemptions >= self.bound:
            going = [t for t in ready if t.tid == self.prev]
            if going and len(ready) > 1:  # the bound is spent: the running task goes on, no node
                ready = going
                self.bounded = True
        if self.forced and len(ready) == 1:
            task = ready[0]
            if task.tid in self.sleep:
                self.redundant = True
                raise _Stop
            self.sleep = {u: op for u, op in self.sleep.items() if _independent(op, task.op)}
            self.taken.append(task.tid)
            return task
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
            measure: Measure | None = None, forced: bool = False,
            window: tuple[float, float] | None = None, preemptions: int | None = None) -> Exploration:
    """Every interleaving, up to sleep-set equivalence (and state hashing
    when state_key is given). `forced`: steps with one task ready are not
    nodes (each node re-runs the model from the start, so a long run with
    few real choices would otherwise cost its length squared). `window`:
    only choices made at virtual times inside it branch; outside it the
    lowest task id goes first. `preemptions`: only schedules that switch
    away from a task that could go on at most that many times (CHESS's
    preemption bounding: most concurrency bugs need one or two)."""
    result = Exploration("exhaustive")
    seen: set = set()
    # explicit DFS stack (a run has more choice points than Python's
    # recursion limit allows frames): [prefix, sleep, ready tids, ops, next index, done]
    stack: list[list] = []

    def expand(prefix: list[int], sleep: dict[int, object]) -> None:
        if result.schedules >= max_schedules:
            result.truncated = True
            return
        strategy = _Prefix(prefix, sleep, forced, window, preemptions)
        engine = Engine(strategy, trace=False, choose_always=True)
        build(engine)
        try:
            engine.run(until)
            complete = True
        except _Stop:
            complete = False
        result.add(engine.findings)
        result.bounded |= strategy.bounded
        if complete:
            result.schedules += 1
            result.instants |= strategy.instants
            if measure is not None:
                result.samples.append(measure(engine))
            shown.advance()
            return
        if strategy.redundant:
            result.pruned += 1
            return
        prefix, sleep = prefix + strategy.taken, strategy.sleep
        if state_key is not None:
            key = (state_key(engine), tuple(sorted(sleep)))
            if key in seen:
                result.pruned += 1
                return
            seen.add(key)
        result.states += 1
        ready = sorted(engine.ready, key=lambda t: t.tid)
        tids = [t.tid for t in ready]
        if preemptions is not None and strategy.prev in tids:
            if strategy.preemptions >= preemptions and len(tids) > 1:  # only the running task may go on
                tids = [strategy.prev]
                result.bounded = True
        stack.append([prefix, sleep, tids, {t.tid: t.op for t in ready}, 0, {}])

    with progress.task("every interleaving") as shown:
        expand([], {})
        while stack:
            frame = stack[-1]
            prefix, sleep, tids, ops, i, done = frame
            while i < len(tids) and tids[i] in sleep:
                i += 1
            if i == len(tids):
                stack.pop()
                continue
            tid = tids[i]
            frame[4] = i + 1
            asleep = {**sleep, **done}
            child = {u: op for u, op in asleep.items() if _independent(op, ops[tid])}
            done[tid] = ops[tid]
            expand(prefix + [tid], child)
    return result
