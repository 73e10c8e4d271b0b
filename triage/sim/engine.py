"""A deterministic discrete-event engine for concurrency models.

Knows nothing of io-wq. Tasks are generators that yield one operation at a
time; every yield is a scheduling point. An operation's effect (a shared
memory access, a lock, a sleep, a wake) happens when the scheduler next
picks that task, and the task's code then runs until its next yield, so a
step is one access plus task-local work.

    def task(mem):
        yield Access("counter", write=False, site="f")
        value = mem["counter"]
        yield Access("counter", write=True, site="f")
        mem["counter"] = value + 1

Virtual time only moves when no task is ready: the earliest timer fires.
Which ready task goes next is the Strategy's choice (seeded random, PCT,
replay of a recorded schedule, or the exhaustive explorer), so a run is a
function of (model, seed, strategy) alone.

Data races are found with vector clocks (happens-before through locks,
release/acquire atomics, wake-ups and task creation) and reported like
KCSAN: both access sites and the schedule that shows them.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, replace
from typing import Any, Callable, Generator, Iterable

# ------------------------------------------------------------------ operations


@dataclass(frozen=True, slots=True)
class Access:
    """A shared-memory access about to happen. `order` matters for atomics:
    "release" publishes the task's history, "acquire" takes it in."""

    var: str
    write: bool
    atomic: bool = False
    order: str = "relaxed"  # relaxed | acquire | release | acq_rel
    site: str = ""  # the function doing it, in the kernel's name
    # False: no other task may run before it (an access made holding the
    # lock that protects its variable: its order against other tasks' is
    # fixed by that lock's order, so interleaving there shows nothing new).
    # The race detector still sees it.
    point: bool = True


@dataclass(frozen=True, slots=True)
class Sleep:
    duration: float


@dataclass(frozen=True, slots=True)
class Park:
    """Block until woken (Wake) or until `timeout` passes; resumes with True
    if woken. A wake that came while the task was running is not lost: the
    next Park returns at once (Linux's set_current_state/schedule pattern)."""

    timeout: float | None = None
    site: str = ""


@dataclass(frozen=True, slots=True)
class Wait:
    """Block on a named wait object (a completion, a wait queue) until
    WakeAll on it, or until `timeout`; resumes with True if woken."""

    obj: str
    timeout: float | None = None
    site: str = ""


@dataclass(frozen=True, slots=True)
class WakeAll:
    obj: str
    site: str = ""


@dataclass(frozen=True, slots=True)
class Wake:
    task: "Task"
    site: str = ""


@dataclass(frozen=True, slots=True)
class Lock:
    name: str
    site: str = ""


@dataclass(frozen=True, slots=True)
class Unlock:
    name: str
    site: str = ""


@dataclass(frozen=True, slots=True)
class Spawn:
    """Start a task; resumes with its Task handle."""

    body: Any  # a generator
    name: str


@dataclass(frozen=True, slots=True)
class Note:
    """A trace line and nothing else (not a scheduling-relevant access)."""

    text: str


Op = Access | Sleep | Park | Wait | WakeAll | Wake | Lock | Unlock | Spawn | Note

# ------------------------------------------------------------------ tasks


@dataclass(eq=False)
class Task:
    tid: int
    name: str
    gen: Generator
    op: Any = None  # the operation it waits to perform
    send: Any = None  # value to resume it with
    state: str = "ready"  # ready | parked | sleeping | lock | done
    wake_pending: bool = False
    timer_seq: int = -1  # a stale timer is ignored
    waiting_lock: str | None = None

    def __repr__(self) -> str:
        return f"Task({self.name})"


@dataclass(frozen=True)
class Site:
    task: str
    site: str
    var: str
    write: bool
    atomic: bool

    def __str__(self) -> str:
        kind = ("write" if self.write else "read") + (" (marked)" if self.atomic else "")
        return f"{kind} to {self.var} by task {self.task} in {self.site or '?'}"


@dataclass(frozen=True)
class Finding:
    kind: str  # data-race | invariant | deadlock | step-limit
    message: str
    sites: tuple[Site, ...] = ()
    schedule: tuple[str, ...] = ()  # task names chosen at each step
    time: float = 0.0
    trail: tuple[str, ...] = ()  # what the tasks ran last, as the engine's context gave it (C lines in code mode)

    @property
    def key(self) -> tuple:
        if self.kind == "data-race":
            return (self.kind,) + tuple(sorted((s.site, s.var, s.write, s.atomic) for s in self.sites))
        return (self.kind, self.message)


# ------------------------------------------------------------------ strategies


class Strategy:
    """Chooses the next task among the ready ones (sorted by tid)."""

    def choose(self, ready: list[Task], engine: "Engine") -> Task:
        raise NotImplementedError


class RandomStrategy(Strategy):
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def choose(self, ready, engine):
        return ready[0] if len(ready) == 1 else ready[self.rng.randrange(len(ready))]


class PCTStrategy(Strategy):
    """Probabilistic concurrency testing (Burckhardt et al.): random task
    priorities, and at d-1 random steps the running task drops to the
    lowest priority. Finds bugs of depth d with known probability."""

    def __init__(self, seed: int, depth: int = 3, horizon: int = 10_000) -> None:
        self.rng = random.Random(seed)
        self.prio: dict[int, float] = {}
        self.change_points = set(self.rng.sample(range(1, horizon), max(depth - 1, 0)))
        self.low = 0.0

    def choose(self, ready, engine):
        for t in ready:
            if t.tid not in self.prio:
                self.prio[t.tid] = 1.0 + self.rng.random()
        chosen = max(ready, key=lambda t: (self.prio[t.tid], -t.tid))
        if engine.steps in self.change_points:
            self.low -= 1.0
            self.prio[chosen.tid] = self.low
        return chosen


class ReplayStrategy(Strategy):
    """Follows a recorded schedule, then the first ready task."""

    def __init__(self, schedule: Iterable[str]) -> None:
        self.schedule = list(schedule)
        self.i = 0

    def choose(self, ready, engine):
        if len(ready) > 1 and self.i < len(self.schedule):
            name = self.schedule[self.i]
            self.i += 1
            for t in ready:
                if t.name == name:
                    return t
        return ready[0]


# ------------------------------------------------------------------ the engine


class Engine:
    def __init__(self, strategy: Strategy | None = None, *, races: bool = True, trace: bool = True,
                 max_steps: int = 10_000_000, choose_always: bool = False) -> None:
        # The explorer needs every step as a choice node, even with one task
        # ready: a sleeping task must not run just because it is alone.
        self.choose_always = choose_always
        self.strategy = strategy or RandomStrategy(0)
        self.now = 0.0
        self.steps = 0
        self.tasks: list[Task] = []
        self.ready: list[Task] = []
        self.timers: list[tuple[float, int, int, Task]] = []
        self.seq = 0
        self.locks: dict[str, Task | None] = {}
        self.waiters: dict[str, list[Task]] = {}
        self.lock_waiters: dict[str, list[Task]] = {}
        self.trace_on = trace
        self.trace: list[str] = []
        self.schedule: list[str] = []  # choices where more than one task was ready
        self.findings: list[Finding] = []
        self.max_steps = max_steps
        self.invariants: list[Callable[[], list]] = []
        self.races = races
        self.current: Task | None = None
        self._seen_findings: set = set()
        # what ran last, for a finding (code mode: the C lines of the last
        # statements, by task); None: findings carry none
        self.context: Callable[[], tuple[str, ...]] | None = None
        # vector clocks (race detection)
        self.vc: dict[int, list[int]] = {}
        self.var_write: dict[str, tuple[int, int, Site]] = {}
        self.var_reads: dict[str, dict[int, tuple[int, Site]]] = {}
        self.var_sync: dict[str, list[int]] = {}
        self.lock_vc: dict[str, list[int]] = {}

    # ---------------------------------------------------------- setup

    def spawn(self, body: Generator, name: str, parent: Task | None = None, at: float | None = None) -> Task:
        task = Task(len(self.tasks), name, body)
        self.tasks.append(task)
        if self.races:
            self.vc[task.tid] = list(self.vc[parent.tid]) if parent is not None else []
            self._tick(task)
        task.op = None  # first step starts the generator
        if at is None or at <= self.now:
            self.ready.append(task)
        else:
            task.state = "sleeping"
            self._timer(task, at)
        return task

    def invariant(self, check: Callable[[], list]) -> None:
        """check() after every step returns the problems it sees, each a
        message or (message, trail): what led to it, as the checker knows it."""
        self.invariants.append(check)

    def log(self, text: str) -> None:
        if self.trace_on:
            self.trace.append(f"{self.now:12.6f} {self.current.name if self.current else '-':<14} {text}")

    # ---------------------------------------------------------- running

    def run(self, until: float | None = None) -> None:
        while True:
            if not self.ready:
                if not self._fire_timers(until):
                    break
                continue
            if self.steps >= self.max_steps:
                self._finding(Finding("step-limit", f"stopped after {self.steps} steps", (), tuple(self.schedule),
                                      self.now))
                break
            ready = self.ready
            last = self.current
            if last is not None and last.state == "ready" and type(last.op) is Access and not last.op.point:
                task = last  # not a scheduling point: the task goes on
            elif len(ready) == 1 and not self.choose_always:
                task = ready[0]
            else:
                ready.sort(key=lambda t: t.tid)
                task = self.strategy.choose(ready, self)
                self.schedule.append(task.name)
            self.steps += 1
            self._step(task)
            if self.invariants:
                for check in self.invariants:
                    for problem in check():
                        if isinstance(problem, tuple):
                            self.violated(*problem)
                        else:
                            self.violated(problem)
        blocked = [t.name for t in self.tasks if t.state == "lock"]
        if until is None and blocked:
            self._finding(Finding("deadlock", "tasks wait for locks forever: " + ", ".join(blocked),
                                  (), tuple(self.schedule), self.now))

    def _fire_timers(self, until: float | None) -> bool:
        """Advance to the earliest live timer; every task due at that instant
        becomes ready together. False when nothing is left before `until`."""
        fired = False
        while self.timers:
            when, _, seq, task = self.timers[0]
            if fired and when > self.now:
                break
            if not fired and until is not None and when > until:
                self.now = until
                return False
            heapq.heappop(self.timers)
            if seq != task.timer_seq or task.state not in ("sleeping", "parked"):
                continue  # stale: the task was woken or re-armed since
            self.now = max(self.now, when)
            if task.state == "parked":
                task.send = False  # timed out
            task.state = "ready"
            self.ready.append(task)
            fired = True
        return fired

    def _timer(self, task: Task, when: float) -> None:
        self.seq += 1
        task.timer_seq = self.seq
        heapq.heappush(self.timers, (when, self.seq, self.seq, task))

    def _step(self, task: Task) -> None:
        """Perform the task's pending operation, then run it to its next yield."""
        self.current = task
        op = task.op
        send = task.send
        task.send = None
        if self.races:
            self._tick(task)
        if op is not None:
            kind = type(op)
            if kind is Access:
                if self.races:
                    self._access(task, op)
                if self.trace_on:
                    self.log(("write " if op.write else "read ") + op.var + (" (atomic)" if op.atomic else "")
                             + (f" in {op.site}" if op.site else ""))
            elif kind is Sleep:
                task.state = "sleeping"
                task.op = _RESUME
                self.ready.remove(task)
                self._timer(task, self.now + op.duration)
                return
            elif kind is Park:
                if task.wake_pending:
                    task.wake_pending = False
                    send = True
                else:
                    task.state = "parked"
                    task.op = _RESUME
                    self.ready.remove(task)
                    if op.timeout is not None:
                        self._timer(task, self.now + op.timeout)
                    return
            elif kind is Wake:
                self._wake(task, op.task)
            elif kind is Wait:
                task.state = "parked"
                task.op = _RESUME
                self.ready.remove(task)
                self.waiters.setdefault(op.obj, []).append(task)
                if op.timeout is not None:
                    self._timer(task, self.now + op.timeout)
                return
            elif kind is WakeAll:
                for waiter in self.waiters.pop(op.obj, []):
                    if waiter.state == "parked":
                        self._wake(task, waiter)
            elif kind is Lock:
                holder = self.locks.get(op.name)
                if holder is not None:
                    task.state = "lock"
                    task.waiting_lock = op.name
                    self.lock_waiters.setdefault(op.name, []).append(task)
                    self.ready.remove(task)
                    return
                self.locks[op.name] = task
                if self.races and op.name in self.lock_vc:
                    _join(self.vc[task.tid], self.lock_vc[op.name])
            elif kind is Unlock:
                if self.locks.get(op.name) is not task:
                    self._finding(Finding("invariant", f"{task.name} unlocks {op.name} it does not hold",
                                          (), tuple(self.schedule), self.now))
                self.locks[op.name] = None
                if self.races:
                    self.lock_vc[op.name] = list(self.vc[task.tid])
                waiters = self.lock_waiters.get(op.name)
                if waiters:
                    nxt = waiters.pop(0)
                    self.locks[op.name] = nxt
                    if self.races:
                        _join(self.vc[nxt.tid], self.lock_vc[op.name])
                    nxt.state = "ready"
                    nxt.op = _RESUME
                    nxt.waiting_lock = None
                    self.ready.append(nxt)
            elif kind is Spawn:
                send = self.spawn(op.body, op.name, parent=task)
            elif kind is Note and op is not _RESUME:
                self.log(op.text)
        self._advance(task, send)

    def _advance(self, task: Task, send: Any) -> None:
        try:
            task.op = task.gen.send(send)
        except StopIteration:
            task.state = "done"
            task.op = None
            self.ready.remove(task)

    def _wake(self, waker: Task, target: Task) -> None:
        if self.races:
            _join(self.vc[target.tid], self.vc[waker.tid])
        if target.state == "parked":
            target.state = "ready"
            target.send = True
            target.timer_seq = -1
            self.ready.append(target)
        elif target.state != "done":
            target.wake_pending = True

    # ---------------------------------------------------------- race detection

    def _tick(self, task: Task) -> None:
        clock = self.vc[task.tid]
        while len(clock) <= task.tid:
            clock.append(0)
        clock[task.tid] += 1

    def _access(self, task: Task, op: Access) -> None:
        clock = self.vc[task.tid]
        tid = task.tid
        here = Site(task.name, op.site, op.var, op.write, op.atomic)
        if op.atomic and op.order in ("acquire", "acq_rel") and op.var in self.var_sync:
            _join(clock, self.var_sync[op.var])
        last = self.var_write.get(op.var)
        if last is not None:
            wtid, wclock, wsite = last
            if wtid != tid and not (op.atomic and wsite.atomic) and _get(clock, wtid) < wclock:
                self._race(wsite, here)
        reads = self.var_reads.setdefault(op.var, {})
        if op.write:
            for rtid, (rclock, rsite) in reads.items():
                if rtid != tid and not (op.atomic and rsite.atomic) and _get(clock, rtid) < rclock:
                    self._race(rsite, here)
            self.var_write[op.var] = (tid, clock[tid], here)
            reads.clear()
            if op.atomic and op.order in ("release", "acq_rel"):
                sync = self.var_sync.setdefault(op.var, [])
                _join(sync, clock)
        else:
            reads[tid] = (clock[tid], here)

    def _race(self, first: Site, second: Site) -> None:
        self._finding(Finding("data-race", f"data-race on {second.var}: {first} / {second}",
                              (first, second), tuple(self.schedule), self.now))

    def violated(self, problem: str, trail: tuple[str, ...] = ()) -> None:
        """An invariant found broken (by a registered check, or by a task
        that checks one where only it knows the moment is right): a finding
        with the schedule so far, and what led to it (the checker's trail,
        else the context's)."""
        self._finding(Finding("invariant", problem, (), tuple(self.schedule), self.now, trail))

    def _finding(self, finding: Finding) -> None:
        if finding.key in self._seen_findings:
            return
        self._seen_findings.add(finding.key)
        if self.context is not None and not finding.trail:
            finding = replace(finding, trail=self.context())
        self.findings.append(finding)
        self.log(f"FINDING {finding.kind}: {finding.message}")


_RESUME = Note("")  # a blocked task's next step just resumes it


def _join(into: list[int], other: list[int]) -> None:
    if len(into) < len(other):
        into.extend([0] * (len(other) - len(into)))
    for i, v in enumerate(other):
        if v > into[i]:
            into[i] = v


def _get(clock: list[int], tid: int) -> int:
    return clock[tid] if tid < len(clock) else 0
