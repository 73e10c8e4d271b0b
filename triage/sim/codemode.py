"""Scenarios in code mode: io-wq's own C run on the engine through its
entry points (io_wq_create, io_wq_enqueue, io_wq_cancel_cb,
io_wq_max_workers, io_wq_exit_start, io_wq_put_and_exit), the io_uring
side (the submitting task, work items that block, io_wq_submit_work /
io_wq_free_work, the cancel match) played by the workload.

Invariants that need no knowledge of any patch are checked while it runs
(after every step: per acct nr_workers <= max_workers unless it was
lowered, nr_running >= 0; between two steps, when the pool is at rest:
nr_workers equals the workers that exist for the acct, nr_running is 0)
and at its end (every work item run or cancelled exactly once,
io_wq_put_and_exit returned with no worker left, every ended worker's
references put, nothing hung); the kernel runtime adds its own (a sleep
or an exit holding a spinlock, a refcount underflow, a use after free,
a WARN_ON hit, an oops). Exploration: seeded, N random or PCT schedules,
and exhaustive per instant with a preemption bound (explore_exhaustive).
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field, replace

from triage.cexec import kernel
from triage.cexec import ctype as C
from triage.cexec.errors import CFault
from triage.errors import ScenarioError
from triage.cexec.machine import Machine
from triage.cexec.memory import FuncRef, Obj, Ptr, make
from triage.cexec.program import Program
from triage.sim import iowq_c, scenarios
from triage.model import Better
from triage.sim.engine import Engine, Park, RandomStrategy, Sleep, Wake
from triage.sim.metrics import Metric



@dataclass(frozen=True)
class Step:
    """One thing the submitting task does, at a virtual time (ms)."""

    at_ms: float
    action: str  # enqueue | max_workers | cancel | close_ring | fail_creation | stop | kill | exit
    count: int = 1  # enqueue: how many work items; fail_creation: how many create_io_thread calls fail
    block_ms: float = 20.0  # enqueue: how long each blocks its worker; stop: how long the submitter is stopped
    cpu_ms: float = 0.0  # enqueue: how long each computes (its worker running) before it blocks
    unbound: bool = True
    hashed: int | None = None  # enqueue: hash bucket (same bucket: serialised)
    links: int = 0  # enqueue: each item heads a chain of this many more (io_wq_free_work returns the next)
    after_exit_ms: float | None = None  # enqueue: how long an item blocks when it starts after exit began
    cancelled: bool = False  # enqueue: io_uring marked the item IO_WQ_WORK_CANCEL before queueing it
    # enqueue: running the item queues task work on its worker, as an fput()
    # from an io worker does (not a kthread: the final __fput() is task
    # work); the task work then blocks its worker this many ms (0: not at all)
    task_work: float | None = None
    limits: tuple[int, int] = (0, 0)  # max_workers: bounded, unbound
    target: int | None = None  # cancel: the item (index into those submitted so far); None: every item
    cancel_all: bool = True  # cancel: io_wq_cancel_cb's cancel_all
    errno: int = 12  # fail_creation: what create_io_thread returns (-ENOMEM: not retried; -EAGAIN is)


@dataclass(frozen=True)
class LoopItem:
    """One request a closed-loop submitter queues each cycle."""

    ms: float  # how long it takes
    blocks: float  # the chance it blocks its worker for that time (1: always, an fsync); else it computes
    hashed: bool = False  # hashed by the submitter's file (serialised per file)
    unbound: bool = False


@dataclass(frozen=True)
class Loop:
    """Closed-loop submitters (the model's worker-churn): `files` tasks,
    each per cycle queues its items, waits until all complete, spends
    gap_ms in userspace, until until_ms; the churn metrics are measured
    from warmup_ms to until_ms."""

    files: int
    items: tuple[LoopItem, ...]
    gap_ms: float
    until_ms: float
    warmup_ms: float


@dataclass(frozen=True)
class Workload:
    name: str
    description: str
    bounded: int
    steps: tuple[Step, ...]
    loop: Loop | None = None
    create_fails: int = 0  # create_io_thread fails (-EAGAIN) this many times, once io_wq_create returned
    horizon: float = 60.0
    requires: tuple[str, ...] = ()  # entry points the file must have (io_wq_max_workers: 5.15 on)
    rlimit_nproc: int = 1024  # the task's RLIMIT_NPROC: the unbound acct's max_workers


# the model's worker-churn (scenarios._build_churn) on the file's code:
# the reporter's workload of 9d83e1f05c98 (fsync-heavy writes churning
# iou-wrk threads). 8 s, not the model's 20: the code runs at a fifth of
# the model's speed, and 8 s already holds the first idle timeouts (5 s)
# and 2 s of steady state after a 6 s warm-up
CHURN = Loop(files=8, items=(LoopItem(0.02, 0.1, hashed=True), LoopItem(5.0, 1.0)), gap_ms=0.05,
             until_ms=8000.0, warmup_ms=6000.0)

WORKLOADS = {w.name: w for w in (
    Workload("worker-churn", "The model's scenario of that name: 8 files in one ring, per file and cycle a 20 us "
             "write hashed by file (blocks 1 time in 10) and a 5 ms fsync (always blocks), the next cycle when "
             "both complete, 50 us apart; counts workers created and exited, per second after a 6 s warm-up "
             "(the reporter's workload of 9d83e1f05c98). 8 s, then exit.",
             16, (Step(8000.0, "exit"),), loop=CHURN, horizon=8.5),
    Workload("worker-bursts", "Bursts of blocking work items, pauses long enough for idle workers to time out "
             "(WORKER_IDLE_TIMEOUT is 5 s): workers created and exited, the sleeping/running hooks, task work.",
             4, tuple(Step(burst * 6000.0, "enqueue", 4) for burst in range(3)) + (Step(18500.0, "exit"),)),
    Workload("last-worker-keepalive", "The model's scenario of that name: a task uses one ring (a bound and an "
             "unbound item), closes it at 1 s and stays alive; where the file has io_wq_set_exit_on_idle (7.0 on) "
             "closing the last ring sets it, as io_uring does. Measures how long workers outlive the ring.",
             4, (Step(0.0, "enqueue", 1, block_ms=10.0, unbound=False), Step(0.0, "enqueue", 1, block_ms=10.0),
                 Step(1000.0, "close_ring")), horizon=31.0),
    Workload("worker-flags", "The model's scenario of that name: one bound worker runs an item and goes idle on "
             "the free list; then the submitter queues two more, walking the free list and reading the worker's "
             "flags while the woken worker writes them.",
             1, (Step(0.0, "enqueue", 1, block_ms=1.0, unbound=False),
                 Step(20.0, "enqueue", 2, block_ms=1.0, unbound=False), Step(100.0, "exit")), horizon=1.0),
    Workload("exit-with-queued-work", "One bounded worker, eight long bounded work items queued, exit requested "
             "while most still wait: each must be run or cancelled exactly once, every worker must go.",
             1, (Step(0.0, "enqueue", 8, block_ms=200.0, unbound=False), Step(250.0, "exit"))),
    Workload("max-workers-lowered", "Blocking work creates workers up to the cap, then io_wq_max_workers lowers "
             "the cap at run time and more work arrives.",
             4, (Step(0.0, "enqueue", 6, block_ms=300.0), Step(100.0, "max_workers", limits=(1, 1)),
                 Step(150.0, "enqueue", 4, block_ms=50.0), Step(3000.0, "exit")), requires=("io_wq_max_workers",)),
    Workload("creation-failure", "create_io_thread fails twice with -EAGAIN: the retry path through the "
             "workqueue (io_should_retry_thread, create_worker_cont).",
             2, (Step(0.0, "enqueue", 3, block_ms=30.0), Step(2000.0, "exit")), create_fails=2),
    Workload("exit-linked-chain", "A 3-item unbound linked chain and one more unbound item on one worker; the "
             "task exits 0.5 ms into the first item; an item that starts after the exit request and is not "
             "cancelled takes 3000 ms (the patch author's injected delay, seed 002). Measures how long exit waits.",
             1, (Step(0.0, "enqueue", 1, block_ms=1.0, links=2, after_exit_ms=3000.0),
                 Step(0.0, "enqueue", 1, block_ms=1.0, after_exit_ms=3000.0), Step(0.5, "exit")), horizon=30.0,
             rlimit_nproc=1),
    Workload("hashed-and-cancel", "Work items hashed to one bucket (serialised, the hash wait queue), then "
             "io_wq_cancel_cb cancels what is still pending.",
             2, (Step(0.0, "enqueue", 5, block_ms=40.0, hashed=3, links=1), Step(50.0, "cancel"),
                 Step(1000.0, "exit"))),
    Workload("hashed-stall", "Two bounded items hashed to one bucket (io_uring hashes regular-file writes, "
             "which are bound work) take a worker; two more on that bucket arrive while it runs them (a second "
             "worker finds the bucket busy and stalls on the hash wait queue), then a bounded item not hashed: "
             "the stall must not hold it up.",
             2, (Step(0.0, "enqueue", 2, block_ms=40.0, hashed=3, unbound=False),
                 Step(10.0, "enqueue", 2, block_ms=10.0, hashed=3, unbound=False),
                 Step(20.0, "enqueue", 1, block_ms=5.0, unbound=False), Step(500.0, "exit"))),
    Workload("cancel-paths", "One bounded worker, four items of 100 ms: io_wq_cancel_cb for a pending item (not "
             "the first on the list), for the running one, for a pending one with cancel_all, for one already "
             "done; then an item io_uring marked cancelled before queueing it.",
             1, (Step(0.0, "enqueue", 4, block_ms=100.0, unbound=False),
                 Step(10.0, "cancel", target=-1, cancel_all=False), Step(20.0, "cancel", target=0, cancel_all=False),
                 Step(30.0, "cancel", target=1), Step(300.0, "cancel", target=0),
                 Step(310.0, "enqueue", 1, unbound=False, cancelled=True), Step(1000.0, "exit"))),
    Workload("creation-fails-hard", "create_io_thread fails with -ENOMEM (not retried): once while the acct's "
             "only worker is blocked (the item waits for it), once for the bounded acct's first worker (its "
             "pending work is cancelled).",
             2, (Step(0.0, "enqueue", 1, block_ms=500.0), Step(10.0, "fail_creation"),
                 Step(20.0, "enqueue", 1, block_ms=50.0), Step(30.0, "fail_creation"),
                 Step(40.0, "enqueue", 1, block_ms=10.0, unbound=False), Step(1000.0, "exit"))),
    Workload("create-request-outlives-worker", "Two bounded workers, one busy for 6 s; the other blocks in an "
             "item while one more waits, so it asks the submitting task (task work) for a worker; the task is "
             "stopped (SIGSTOP) for 8 s, runs no task work, and the worker runs the waiting item itself, idles "
             "out and exits with its request still queued.",
             2, (Step(0.0, "enqueue", 1, block_ms=20.0, unbound=False),
                 Step(5.0, "enqueue", 1, block_ms=6000.0, unbound=False),
                 Step(100.0, "enqueue", 1, cpu_ms=5.0, block_ms=50.0, unbound=False),
                 Step(100.0, "enqueue", 1, block_ms=50.0, unbound=False), Step(100.0, "stop", block_ms=8000.0),
                 Step(9000.0, "exit")), horizon=20.0),
    Workload("exit-after-enqueue", "An idle worker sits in task work that blocks (an item of its closed a "
             "file: the last fput flushes it for 100 ms) when two unbound items arrive and exit is requested: "
             "back in its loop it finds the exit bit and runs what is queued with cancellation on.",
             1, (Step(0.0, "enqueue", 1, block_ms=10.0, task_work=100.0), Step(50.0, "enqueue", 2, block_ms=10.0),
                 Step(50.0, "exit"))),
    Workload("killed", "The process gets SIGKILL while its workers idle (an item of theirs queued task work on "
             "its worker, as an fput does): the fatal signal ends each worker, then the task exits.",
             2, (Step(0.0, "enqueue", 2, block_ms=10.0, unbound=False, task_work=0.0), Step(100.0, "kill"),
                 Step(200.0, "exit"))),
    Workload("no-unbound-workers", "Unbound work on a ring whose task has RLIMIT_NPROC 0 (no unbound workers "
             "allowed): io-wq warns once; the item waits until exit cancels it.",
             1, (Step(0.0, "enqueue", 1), Step(100.0, "exit")), rlimit_nproc=0),
)}
CODE_SCENARIOS = tuple(WORKLOADS)

# what each metric of a code-mode run says, and which way is better; a
# patch's delta judges them (sim.metrics), so a direction is given only
# where one is right for every workload (fewer workers created, less
# waiting at exit, workers that go when the ring goes); how many items
# ran or were cancelled is context (a cancel that ran before is not worse)
_CHURN_METRICS = {m.name: m for m in scenarios.REGISTRY["worker-churn"].metrics}  # the model's, for the loop
METRICS = (
    _CHURN_METRICS["workers_created"],
    Metric("workers_alive_at_end", Better.LOWER, "workers still alive when the run ended"),
    Metric("works_submitted", Better.NEITHER, "work items queued"),
    # a work item io_uring asked for and io-wq ran: fewer is worse, unless
    # it was cancelled by an exit (works_started_after_exit says that)
    Metric("works_run", Better.HIGHER, "work items run"),
    Metric("works_cancelled", Better.NEITHER, "work items cancelled"),
    Metric("works_freed", Better.NEITHER, "work items io_wq_free_work got back"),
    Metric("works_started_after_exit", Better.LOWER, "work items started after exit began"),
    Metric("exit_wait_ms", Better.LOWER, "how long io_wq_put_and_exit waited", tolerance=0.05),
    # io-wq's latency: from io_wq_enqueue to a worker starting the item
    # (head-of-line blocking, a worker not woken or not created); changes
    # under 1% are schedule noise, not the patch
    Metric("queue_wait_max_ms", Better.LOWER, "longest an item waited for a worker", tolerance=0.01),
    Metric("queue_wait_mean_ms", Better.LOWER, "mean wait of an item for a worker", tolerance=0.01),
    Metric("worker_task_work_run", Better.NEITHER, "task work run by workers"),
    Metric("last_worker_gone_after_close_ms", Better.LOWER, "how long workers outlived the closed ring"),
) + tuple(m for name, m in _CHURN_METRICS.items()  # the closed loop's: the model's own
          if name not in ("workers_created", "idle_worker_seconds"))  # (idle time is not measured here)
# the workloads of a few hundred thousand steps at most (seconds in all);
# a closed loop (worker-churn: 8 virtual s, about a minute here) runs
# when asked for by name
QUICK = tuple(name for name, w in WORKLOADS.items() if w.loop is None)


def until(workload: Workload, ms: float) -> Workload:
    """A closed-loop workload shortened to ms (loop and exit at ms, the
    warm-up at most half of it): the same workload at a scale a test can
    run."""
    if workload.loop is None:
        raise ValueError(f"{workload.name} is no closed loop")
    loop = replace(workload.loop, until_ms=ms, warmup_ms=min(workload.loop.warmup_ms, ms / 2))
    return replace(workload, loop=loop, steps=(Step(ms, "exit"),), horizon=ms / 1000.0 + 0.5)


@dataclass(frozen=True)
class CodeFinding:
    """A finding of a code-mode run with what shows it: the schedule up
    to it (the task chosen at each choice point) and the C lines the
    tasks ran last (`task function:line`, oldest first); none for what
    is checked at the end of the run (work lost, references not put)."""

    kind: str  # data-race | invariant | deadlock | step-limit | WARN_ON | use-after-free | ... | at the end
    message: str
    schedule: tuple[str, ...] = ()
    trail: tuple[str, ...] = ()
    time: float = 0.0  # virtual seconds

    def __str__(self) -> str:
        return self.message

    @property
    def key(self) -> str:
        return _finding_key(self.message)


@dataclass
class CodeRun:
    metrics: dict[str, float] = field(default_factory=dict)
    findings: list[CodeFinding] = field(default_factory=list)
    lines: set = field(default_factory=set)  # (function, line) of every statement run
    notes: list[str] = field(default_factory=list)  # what the kernel printed that is no bug (pr_warn_once)
    unchecked: list[str] = field(default_factory=list)  # what this run could not check, and why
    steps: int = 0


def load_program(source: str, name: str = "io-wq.c") -> Program:
    return Program(source, name, extra=[kernel.TYPES, iowq_c.header(source)])


def _set_flags(work: Obj, value: int) -> None:
    if isinstance(work.fields["flags"], Obj):
        work.fields["flags"].fields["counter"] = value
    else:
        work.fields["flags"] = value


def accts(wq: Obj) -> list[Obj]:
    """The per-acct structs of an io_wq, found by their members
    (nr_workers and max_workers) through its embedded objects and the
    pointers it holds: 6.x wq->acct[], 5.x the per-node wqe's acct[]
    through wq->wqes[]. Looked for once, right after io_wq_create: they
    live as long as the wq."""
    out, seen, todo = [], set(), [(wq, 0)]
    while todo:
        obj, depth = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        t = obj.ctype
        if isinstance(t, C.StructType) and t.member("nr_workers") is not None and t.member("max_workers") is not None:
            out.append(obj)
            continue
        if depth == 4:  # wq -> wqes[] -> wqe -> acct[] -> acct is the deepest (5.x)
            continue
        for value in obj.fields.values():
            if isinstance(value, Obj):
                todo.append((value, depth + 1))
            elif isinstance(value, Ptr):
                todo.append((value.obj, depth + 1))
    return sorted(out, key=lambda o: o.label)


def run_workload(program: Program, workload: Workload, seed: int = 0, horizon: float | None = None) -> CodeRun:
    """One seeded schedule of the workload on the file's code."""
    engine = Engine(RandomStrategy(seed), trace=False)
    finish = setup(program, workload, engine, seed=seed)
    until = horizon or workload.horizon
    if workload.loop is None:
        engine.run(until=until)
        return finish()
    # a closed loop runs for a minute or more: shown by virtual half-second
    # (engine.run stops at `until` and goes on from there when called again)
    from triage import progress

    marks = [0.5 * k for k in range(1, math.ceil(until / 0.5))] + [until]
    with progress.task(f"{workload.name} on the file's code", total=len(marks)) as shown:
        for mark in marks:
            engine.run(until=mark)
            shown.advance(f"{workload.name} on the file's code: {mark:g} of {until:g} virtual s")
    return finish()


def explore_workload(program: Program, workload: Workload, schedules: int, seed: int = 0, pct: bool = False,
                     horizon: float | None = None) -> tuple[CodeRun, int]:
    """N random (or PCT) schedules: findings of all of them (each once),
    metrics at their worst-or-first as the seeded run gives them, coverage
    merged. Returns the merged run and the number of schedules."""
    from triage.sim.explore import run_many

    runs, build, measure = _collector(program, workload)
    run_many(build, schedules, seed=seed, pct=pct, until=horizon or workload.horizon, measure=measure)
    return merged(runs), len(runs)


def _collector(program: Program, workload: Workload, reduction=None):
    """For the explorers: build (the workload on each fresh engine), and
    measure (the CodeRun of each complete schedule, kept in runs)."""
    runs: list[CodeRun] = []
    finishers = []

    def build(engine: Engine) -> None:
        finishers.append(setup(program, workload, engine, reduction))

    def measure(engine: Engine) -> dict:
        runs.append(finishers[-1]())
        return runs[-1].metrics

    return runs, build, measure


@dataclass(frozen=True)
class Exhaustive:
    instants: int  # virtual times at which tasks competed, each explored
    schedules: int  # complete schedules run (last round of each instant)
    nodes: int  # choice points expanded
    pruned: int  # branches the sleep sets showed redundant
    rounds: int  # most rounds an instant took until the lockset reduction learnt nothing new
    protected: int  # variables that were no scheduling point (under a common lock, or one task's)
    variables: int  # shared variables seen
    truncated: bool  # an instant stopped at max_schedules: not every interleaving
    preemptions: int | None  # the preemption bound (None: none)
    bounded: bool  # the bound left schedules out


def explore_exhaustive(program: Program, workload: Workload, horizon: float | None = None,
                       max_schedules: int = 5_000, max_rounds: int = 8, learn: int = 4,
                       preemptions: int | None = 1, reduce: bool = True) -> tuple[CodeRun, Exhaustive]:
    """Every interleaving of the tasks that compete at each instant of
    the workload (virtual time moves only when no task is ready, so a
    workload is a series of instants: the submitter's steps, timers),
    one instant at a time, the others scheduled lowest task first. Two
    reductions keep it small: sleep sets (explore.explore: of two orders
    of independent steps one is run) and locksets
    (cexec.machine.LockReduction: an access holding the lock every
    access to its variable holds, or to a variable one task alone
    touches, is no scheduling point). The locksets are learnt from a few
    random schedules, then while exploring; an instant whose exploration
    shrank them is explored again with what was learnt, as its schedules
    relied on a protection that does not hold. Only accesses that can
    race stay points, so the race findings are those of the unreduced
    search of each instant. Interleavings across instants are combined
    along one schedule only: say so where it matters."""
    from triage.cexec.machine import LockReduction
    from triage.sim.explore import explore

    until = horizon or workload.horizon
    reduction = LockReduction()
    for seed in range(learn if reduce else 0):  # the first locksets: what a few schedules show
        engine = Engine(RandomStrategy(seed), trace=False)
        setup(program, workload, engine, reduction)
        engine.run(until=until)
    runs: list[CodeRun] = []
    findings: dict = {}
    totals = {"schedules": 0, "nodes": 0, "pruned": 0, "rounds": 0, "truncated": False, "bounded": False}

    def explore_window(window) -> "object":
        rounds = 0
        while True:
            rounds += 1
            reduction.next_round()
            these, build, measure = _collector(program, workload, reduction if reduce else None)
            found = explore(build, until=until, measure=measure, forced=True, window=window,
                            max_schedules=max_schedules, preemptions=preemptions)
            if not reduction.refined or rounds == max_rounds or found.truncated:
                break
        runs.extend(these)
        findings.update(found.findings)
        totals["schedules"] += found.schedules
        totals["nodes"] += found.states
        totals["pruned"] += found.pruned
        totals["rounds"] = max(totals["rounds"], rounds)
        totals["truncated"] |= found.truncated or reduction.refined
        totals["bounded"] |= found.bounded
        return found

    # the instants: where tasks competed on the lowest-task-first schedule
    # (an empty window: nothing branches); each explored instant may show more
    todo = sorted(explore_window((-1.0, -1.0)).instants)
    done: set[float] = set()
    while todo:
        instant = todo.pop(0)
        if instant in done:
            continue
        done.add(instant)
        found = explore_window((instant, instant))
        todo = sorted(set(todo) | (found.instants - done))
    union = merged(runs)
    keys = {x.key for x in union.findings}
    for f in findings.values():  # also those of runs stopped at a choice point
        if _finding_key(f.message) not in keys:
            keys.add(_finding_key(f.message))
            union.findings.append(CodeFinding(f.kind, f.message, f.schedule, f.trail, f.time))
    return union, Exhaustive(len(done), totals["schedules"], totals["nodes"], totals["pruned"], totals["rounds"],
                              reduction.protected() if reduce else 0, len(reduction.frozen), totals["truncated"],
                              preemptions, totals["bounded"])


def exhaustive_mode(found: Exhaustive) -> str:
    """What an exhaustive exploration covered, in words (and what it did not)."""
    bound = "" if found.preemptions is None else f" with at most {found.preemptions} preemption(s)"
    text = (f"exhaustive: every interleaving{bound} at each of {found.instants} instant(s) where tasks compete, "
            f"the others lowest task first ({found.schedules} schedules, {found.nodes} choice points, "
            f"{found.pruned} pruned by sleep sets; {found.protected} of {found.variables} shared variables no "
            f"scheduling point: under a common lock or one task's)")
    if found.bounded:
        text += "; the bound left schedules out"
    if found.truncated:
        text += "; stopped early: not every interleaving was run"
    return text


def _finding_key(text: str) -> str:
    """The same finding in two schedules names other objects (io_worker#2, #3)."""
    return re.sub(r"#\d+", "#N", text)


def merged(runs: list[CodeRun]) -> CodeRun:
    """Findings of all runs (each once), metrics as the first run gives
    them, coverage merged."""
    out = CodeRun(metrics=dict(runs[0].metrics) if runs else {}, steps=sum(r.steps for r in runs))
    seen = set()
    for r in runs:
        out.lines |= r.lines
        out.notes += [n for n in r.notes if n not in out.notes]
        out.unchecked += [n for n in r.unchecked if n not in out.unchecked]
        for f in r.findings:
            if f.key not in seen:
                seen.add(f.key)
                out.findings.append(f)
    return out


def _counter(value) -> int:
    """The integer inside an atomic_t / refcount_t (or a plain int)."""
    while isinstance(value, Obj):
        value = value.fields.get("counter", value.fields.get("refs"))
    return value


def setup(program: Program, workload: Workload, engine: Engine, reduction=None, seed: int = 0):
    """The workload's tasks and invariants on a fresh engine; returns the
    function that reads the result once the engine has run. `reduction`:
    a LockReduction (exhaustive exploration) that says which accesses are
    no scheduling points."""
    ran: dict[str, int] = {}
    cancelled: dict[str, int] = {}
    freed: list[str] = []
    problems: list[str] = []
    task_work_ran: list[str] = []

    def submit(m, site, work):
        """io_wq_submit_work: a cancelled item completes at once; else the
        request blocks (the worker sleeps in the scheduler, which calls
        io-wq's sleeping/running hooks)."""
        label = work.obj.label
        if _counter(work.obj.fields["flags"]) & flag["IO_WQ_WORK_CANCEL"]:
            cancelled[label] = cancelled.get(label, 0) + 1
            return None
        if state["exit_at"] is not None:
            after_exit.append(label)
        if label in queued_at:  # how long it waited between io_wq_enqueue and a worker starting it
            waited.append(engine.now - queued_at.pop(label))
        step = made_by[label]
        if step.cpu_ms:  # on the CPU: no scheduler hook, the worker counts as running
            yield Sleep(step.cpu_ms / 1000.0)
        late = step.after_exit_ms is not None and state["exit_at"] is not None
        if step.block_ms or late:  # it sleeps: the scheduler calls the hooks
            yield from kernel.block(m, site, Sleep((step.after_exit_ms if late else step.block_ms) / 1000.0),
                                    "work")
        ran[label] = ran.get(label, 0) + 1
        done_at[label] = engine.now
        waiter = waiting_for.pop(label, None)
        if waiter is not None:  # the CQE wakes the submitter waiting in io_uring_enter
            yield Wake(waiter, "io_wq_submit_work")
        if step.task_work is not None:  # as fput() from an io worker: task work on the worker itself
            cb = m.heap.new(program.struct("callback_head"))
            cb.fields["func"] = FuncRef("io_wq_scenario_task_work")
            task_work_blocks[cb.label] = step.task_work / 1000.0
            yield from m.call("task_work_add", [Ptr(m.current()), Ptr(cb), 1], site)  # TWA_RESUME
        return None

    def free(m, site, work):
        """io_wq_free_work: the request is done; its linked request, if any, is returned."""
        freed.append(work.obj.label)
        return links.get(work.obj.label)
        yield  # noqa

    def match(m, site, work, data):
        """The cancel callback: data is the item asked for, NULL for every item."""
        return 1 if data is None or (isinstance(work, Ptr) and work.obj is data.obj) else 0
        yield  # noqa

    def task_work_done(m, site, cb):
        task_work_ran.append(m.current().label)
        if task_work_blocks.get(cb.obj.label):  # e.g. the last fput of a file flushing it: the task sleeps
            yield from kernel.block(m, site, Sleep(task_work_blocks[cb.obj.label]), "task work")
        return None

    missing = [name for name in workload.requires if name not in program.functions]
    if missing:
        raise ScenarioError(workload.name, f"{program.name} has no {', '.join(missing)}: the scenario does not apply")
    machine = Machine(program, iowq_c.runtime({"io_wq_submit_work": submit, "io_wq_free_work": free,
                                               "io_wq_match_scenario": match,
                                               "io_wq_scenario_task_work": task_work_done}))
    machine.engine = engine
    engine.context = machine.trail_lines
    # a livelock (tasks busy at one virtual instant, forever) stops as a
    # step-limit finding: far above what the workload needs (a few
    # thousand steps; the closed loop about 330k per virtual second)
    engine.max_steps = min(engine.max_steps, 1_000_000 if workload.loop is None
                           else 200_000 + int(500 * workload.loop.until_ms))
    machine.reduction = reduction
    machine.state["rlimit_nproc"] = workload.rlimit_nproc
    submitter = kernel.new_task(machine, "submitter")
    made_by: dict[str, Step] = {}  # work -> the step that queued it (how it runs)
    links: dict[str, Ptr] = {}  # work -> the linked work io_wq_free_work returns
    task_work_blocks: dict[str, float] = {}  # callback_head -> how long the task work blocks (s)
    after_exit: list[str] = []
    done_at: dict[str, float] = {}  # work -> when it completed (run, not cancelled)
    queued_at: dict[str, float] = {}  # work io_uring queued (a chain's head) -> when, until a worker starts it
    waited: list[float] = []  # how long each started item waited in io-wq (s)
    waiting_for: dict[str, object] = {}  # work -> the engine task (a loop's) its completion wakes
    rng = random.Random(seed)  # a loop item blocks or not: drawn as the model draws it
    submitted: list[str] = []
    items: list[Obj] = []
    state = {"wq": None, "lowered": False, "returned": False, "exit_at": None, "exit_wait": None}
    getter = next((f for f in ("io_wq_get_acct", "io_wqe_get_acct") if f in program.functions), None)
    flag = program.consts  # the work flags as io-wq.h (or its stand-in, iowq_c) defines them

    def quiet_pool() -> list[tuple[str, tuple[str, ...]]]:
        """Checked where the pool is at rest (the submitter between two
        steps, every worker blocked idle or in a work item, no creation
        in flight): per acct, nr_workers equals the workers that exist
        for it (the file's own io_wq_get_acct says which acct a worker
        counts in), and nr_running is 0 (every worker is asleep, and the
        scheduler hook took each one off it)."""
        m = machine
        infos = m.state.get("task_info", {})
        workers = []
        for t in engine.tasks:
            if t.state == "done" or t.name == "submitter" or t.tid in parked:
                continue
            info = kernel.task_info(m, m.tasks[t.tid])
            arg = info.get("arg")
            if not (isinstance(arg, Ptr) and getattr(arg.obj.ctype, "tag", None) == "io_worker"):
                if info.get("blocked_in") is None:  # 5.12's manager thread, a workqueue item: running
                    return []
                continue
            if info.get("blocked_in") not in ("schedule_timeout", "work"):
                return []  # a worker in the middle of something
            workers.append(arg)
        if kernel.task_info(m, submitter)["works"] or any("pending_start" in i for i in infos.values()):
            return []  # a worker is being created
        live: dict[int, int] = {}
        for worker in workers:
            acct = m.evaluate(getter, [worker])
            if isinstance(acct, Ptr):
                live[id(acct.obj)] = live.get(id(acct.obj), 0) + 1
        out = []
        for acct in state["accts"]:
            nr, running = acct.fields["nr_workers"], _counter(acct.fields["nr_running"])
            if nr != live.get(id(acct), 0):
                out.append((f"{acct.label}: nr_workers {nr} at rest, {live.get(id(acct), 0)} worker(s) exist for it",
                            m.writes_to(acct, "nr_workers")))
            if running != 0:
                out.append((f"{acct.label}: nr_running {running} at rest, every worker asleep", running_writes(acct)))
        return out

    def running_writes(acct: Obj) -> tuple[str, ...]:
        """The last writes to an acct's nr_running (an atomic_t's counter, or a plain int)."""
        running = acct.fields["nr_running"]
        if isinstance(running, Obj):
            return machine.writes_to(running, "counter")
        return machine.writes_to(acct, "nr_running")

    def invariant() -> list[tuple[str, tuple[str, ...]]]:
        """After every step; each violation with the writes that made it."""
        if state["wq"] is None:
            return []
        out = []
        for acct in state["accts"]:
            nr, cap = acct.fields["nr_workers"], acct.fields["max_workers"]
            if nr > cap and not state["lowered"]:
                out.append((f"{acct.label}: nr_workers {nr} > max_workers {cap}",
                            machine.writes_to(acct, "nr_workers")))
            running = _counter(acct.fields["nr_running"])
            if running < 0:
                out.append((f"{acct.label}: nr_running {running} < 0", running_writes(acct)))
        return out

    engine.invariant(invariant)

    def new_work(step: Step) -> Obj:
        """A work item as io_uring prepares it for io_wq_enqueue."""
        work = machine.heap.new(program.struct("io_wq_work"))
        flags = (flag["IO_WQ_WORK_UNBOUND"] if step.unbound else 0)
        flags |= flag["IO_WQ_WORK_CANCEL"] if step.cancelled else 0
        if step.hashed is not None:
            flags |= flag["IO_WQ_WORK_HASHED"] | (step.hashed << flag["IO_WQ_HASH_SHIFT"])
        _set_flags(work, flags)
        made_by[work.label] = step
        submitted.append(work.label)
        items.append(work)
        return work

    def file_loop(wq, loop: Loop, file: int):
        """One file's submitter: its items each cycle, then io_uring_enter
        until every one completed, then userspace; the last cycle starts
        before loop.until_ms."""
        m = machine
        me = engine.current
        while engine.now < loop.until_ms / 1000.0 and state["exit_at"] is None:
            cycle = []
            for item in loop.items:  # drawn in the model's order: one draw per item that may block
                blocks = item.blocks >= 1.0 or (item.blocks > 0 and rng.random() < item.blocks)
                step = Step(engine.now * 1000.0, "enqueue", block_ms=item.ms if blocks else 0.0,
                            cpu_ms=0.0 if blocks else item.ms, unbound=item.unbound,
                            hashed=file if item.hashed else None)
                work = new_work(step)
                waiting_for[work.label] = me
                cycle.append(work.label)
                queued_at[work.label] = engine.now
                yield from m.call("io_wq_enqueue", [wq, Ptr(work)], "submit")
            while any(label not in done_at and label not in cancelled for label in cycle):
                parked.add(me.tid)
                yield Park(None, "io_uring_enter")
                parked.discard(me.tid)
            yield Sleep(loop.gap_ms / 1000.0)

    parked: set[int] = set()  # loop tasks waiting in io_uring_enter (at rest as far as io-wq goes)

    def body():
        m = machine
        data = m.heap.new(program.struct("io_wq_data"))
        hash_ = m.heap.new(program.struct("io_wq_hash"))
        hash_.fields["refs"].fields["refs"].fields["counter"] = 1
        yield from kernel.INIT_LIST_HEAD(m, "setup", Ptr(hash_.fields["wait"].fields["head"]))
        data.fields["hash"] = Ptr(hash_)
        data.fields["task"] = Ptr(submitter)
        data.fields["do_work"] = FuncRef("io_wq_submit_work")
        data.fields["free_work"] = FuncRef("io_wq_free_work")
        wq = yield from m.call("io_wq_create", [workload.bounded, Ptr(data)], "setup")
        if isinstance(wq, kernel.ErrPtr) or wq is None:
            raise CFault("io_wq_create failed", repr(wq), "setup")
        state["wq"], state["accts"] = wq, accts(wq.obj)
        m.state["create_fails"] = workload.create_fails  # worker creation fails from here on (not a 5.12 manager's)
        if workload.loop is not None:
            for file in range(workload.loop.files):
                kernel.start(m, kernel.new_task(m, f"submit-file{file}"), file_loop(wq, workload.loop, file),
                             f"submit-file{file}", parent=engine.current)
        for step in workload.steps:
            while engine.now < step.at_ms / 1000.0:  # userspace until then, running task work as it comes
                yield Park(step.at_ms / 1000.0 - engine.now, "submitter")
                yield from kernel.task_work_run(m, "submit")
            if getter is not None and not state.get("killed"):  # between two steps: is the pool at rest?
                for problem, trail in quiet_pool():
                    engine.violated(problem, trail)
            if step.action == "enqueue":
                for _ in range(step.count):
                    chain = []
                    for _ in range(1 + step.links):
                        work = new_work(step)
                        if chain:
                            links[chain[-1].label] = Ptr(work)
                        chain.append(work)
                    queued_at[chain[0].label] = engine.now
                    yield from m.call("io_wq_enqueue", [wq, Ptr(chain[0])], "submit")
                    yield from kernel.task_work_run(m, "submit")
            elif step.action == "max_workers":
                counts = make(C.ArrayType(C.INT, 2), "submitter.new_count", False)
                counts.fields[0], counts.fields[1] = step.limits
                state["lowered"] = True
                yield from m.call("io_wq_max_workers", [wq, Ptr(counts)], "submit")
            elif step.action == "cancel":
                target = None if step.target is None else Ptr(items[step.target])
                result = yield from m.call("io_wq_cancel_cb", [wq, FuncRef("io_wq_match_scenario"), target,
                                                               1 if step.cancel_all else 0], "submit")
                state.setdefault("cancel_results", []).append(result)
            elif step.action == "fail_creation":
                m.state["create_fails"] = step.count
                m.state["create_errno"] = -step.errno
            elif step.action == "stop":  # SIGSTOP..SIGCONT: a stopped task runs no task work, and
                # TWA_SIGNAL's wake (TASK_INTERRUPTIBLE only) does not end TASK_STOPPED
                until = engine.now + step.block_ms / 1000.0
                while engine.now < until:
                    yield Park(until - engine.now, "submitter stopped")
            elif step.action == "kill":  # SIGKILL: every thread of the process, io workers too, gets it
                # the pool is torn down from here, never at rest again: 5.15 on, a worker a fatal signal
                # ends leaves nr_workers as it was (only the idle-timeout path takes it down), harmless
                # as the ring goes with the process
                state["killed"] = True
                for info in list(m.state.get("task_info", {}).values()):
                    if "arg" in info and info["engine"] is not None and info["engine"].state != "done":
                        info["fatal"] = True
                        yield Wake(info["engine"], "kill")  # signal_wake_up: an interruptible sleep ends
            elif step.action == "close_ring":
                state["closed_at"] = engine.now
                if "io_wq_set_exit_on_idle" in program.functions:
                    yield from m.call("io_wq_set_exit_on_idle", [wq, 1], "close")
            elif step.action == "exit":
                state["exit_at"] = engine.now
                if "io_wq_exit_start" in program.functions:  # 5.13 on; before, put_and_exit sets the bit itself
                    yield from m.call("io_wq_exit_start", [wq], "exit")
                yield from m.call("io_wq_put_and_exit", [wq], "exit")
                state["exit_wait"] = engine.now - state["exit_at"]
                alive = [t.name for t in engine.tasks if t.name.startswith("iou-wrk") and t.state != "done"]
                if alive:
                    problems.append("io_wq_put_and_exit returned with workers alive: " + ", ".join(alive))
                state["returned"] = True
                state["wq"] = None  # freed: the invariants stop looking
            else:
                raise ScenarioError(workload.name, f"no such step: {step.action}")
        while not state["returned"]:  # the task lives on (its ring closed): it runs task work as it comes
            yield Park(None, "submitter")
            yield from kernel.task_work_run(m, "submit")

    kernel.start(machine, submitter, body(), "submitter")

    def finish() -> CodeRun:
        if state["wq"] is not None and getter is not None:  # the ring was closed, the task lives on
            for problem, trail in quiet_pool():
                engine.violated(problem, trail)
        for info in machine.state.get("task_info", {}).values():
            worker = info.get("arg")
            if worker is not None and info["engine"] is not None and info["engine"].state == "done":
                refs = _counter(worker.obj.fields.get("ref"))
                if refs:
                    problems.append(f"{worker.obj.label}: {refs} reference(s) never put after its worker ended")
        last = max(step.at_ms for step in workload.steps) / 1000.0
        cut = engine.now < last and not state["returned"]
        run = _result(engine, machine, submitted, ran, cancelled, freed, problems, state, after_exit,
                      task_work_ran, cut)
        if cut:
            run.unchecked.append(f"the run stopped at {engine.now:g} s, before the workload's last step at {last:g} s: "
                             "work lost and a hang at exit were not checked")
        if waited:
            run.metrics["queue_wait_max_ms"] = round(max(waited) * 1000, 3)
            run.metrics["queue_wait_mean_ms"] = round(sum(waited) / len(waited) * 1000, 3)
        if workload.loop is not None:
            run.metrics.update(churn_metrics(workload.loop, machine.state, done_at, engine.now))
        return run

    return finish


def churn_metrics(loop: Loop, kernel_state: dict, done_at: dict[str, float], now: float) -> dict:
    """The model's worker-churn metrics (scenarios._measure_churn) over
    the loop's span, from the threads the file's code created and saw
    end: created and exited before loop.until_ms, per second after the
    warm-up, most and time-weighted mean alive, distinct workers (each
    thread is one), work items completed. The model's idle seconds are
    not measured here (io-wq's idle state is the file's own)."""
    until, warm = min(loop.until_ms / 1000.0, now), loop.warmup_ms / 1000.0  # a run cut short: to its end
    created = [t for name, t in kernel_state.get("created", []) if t < until]
    exited = [t for name, t in kernel_state.get("ended", []) if t < until and name.startswith("iou-wrk")]
    events = sorted([(t, 1) for t in created] + [(t, -1) for t in exited])
    alive = peak = 0
    weighted, last = 0.0, 0.0
    for when, change in events:
        weighted += alive * (when - last)
        alive, last = alive + change, when
        peak = max(peak, alive)
    weighted += alive * (until - last)
    span = max(until - warm, 1e-9)
    return {"workers_exited": len(exited), "distinct_worker_ids": len(created), "peak_workers": peak,
            "mean_workers": round(weighted / until, 2) if until else 0.0,
            "creates_per_s_after_warmup": round(sum(1 for t in created if t >= warm) / span, 3),
            "exits_per_s_after_warmup": round(sum(1 for t in exited if t >= warm) / span, 3),
            "works_done": sum(1 for t in done_at.values() if t < until)}


NOTES = ("pr_warn_once",)  # what the kernel prints without it being a bug


def _result(engine, machine, submitted, ran, cancelled, freed, problems, state, after_exit, task_work_ran,
            cut: bool = False) -> CodeRun:
    """`cut`: the run stopped (its horizon) before the workload's last
    step: what only its end shows (work lost, a hang) is not checked."""
    problems = list(problems)
    created = len(machine.state.get("created", ()))
    alive = [t for t in engine.tasks if t.state != "done" and t.name.startswith("iou-wrk")]
    for label in submitted:
        n = ran.get(label, 0) + cancelled.get(label, 0)
        if n > 1 or (n == 0 and not cut):
            problems.append(f"work {label} {'never run nor cancelled' if n == 0 else f'run or cancelled {n} times'}")
    closing = state.get("closed_at")
    if not state["returned"] and closing is None and not cut:
        problems.append("io_wq_put_and_exit never returned (hang)")
    blocked = [t.name for t in engine.tasks if t.state not in ("done",) and t.name == "submitter"]
    if blocked and state["returned"]:
        problems.append("the submitter never finished")
    run = CodeRun(steps=engine.steps, lines=set(machine.lines))
    run.metrics = {"workers_created": created, "workers_alive_at_end": len(alive), "works_submitted": len(submitted),
                   "works_run": sum(ran.values()), "works_cancelled": sum(cancelled.values()),
                   "works_freed": len(freed), "works_started_after_exit": len(after_exit),
                   "exit_wait_ms": round(state["exit_wait"] * 1000, 3) if state["exit_wait"] is not None else None}
    if task_work_ran:
        run.metrics["worker_task_work_run"] = len(task_work_ran)
    if closing is not None:  # the ring closed, the task lives on: how long do workers outlive it?
        ends = [t for name, t in machine.state.get("ended", []) if name.startswith("iou-wrk")]
        run_gone = (max(ends) - closing) * 1000 if not alive and ends else None
        run.metrics["last_worker_gone_after_close_ms"] = round(run_gone, 3) if run_gone is not None else None
    run.findings = ([CodeFinding(f.kind, f.message, f.schedule, f.trail, f.time) for f in engine.findings]
                    + [CodeFinding(k, f"{k} at {s}: {d}", schedule, trail, time)
                       for (k, s, d), (schedule, time, trail) in zip(machine.findings, machine.evidence)
                       if k not in NOTES]
                    + [CodeFinding("at the end", p, tuple(engine.schedule), (), engine.now) for p in problems])
    run.notes = [f"{k} at {s}: {d}" for k, s, d in machine.findings if k in NOTES]
    return run


def coverage(program: Program, run: CodeRun, functions: list[str] | None = None) -> list[tuple[str, list, list]]:
    """Per function of the file: the statement lines run and those never
    reached (every function compiled first, so that unreached ones count)."""
    for name in program.functions:
        try:
            program.function(name)
        except Exception:  # noqa: BLE001 - a function that cannot be compiled is reported as not run
            pass
    out = []
    for name in functions or sorted(program.functions):
        compiled = sorted(line for f, line in program.lines if f == name)
        ran = sorted(line for f, line in run.lines if f == name)
        out.append((name, ran, [line for line in compiled if (name, line) not in run.lines]))
    return out
