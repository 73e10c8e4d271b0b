"""Scenarios: workloads that exercise io-wq mechanisms, each registered with
the C symbols it exercises (to pick scenarios for a patch), its metrics and
the knobs whose change it shows. Numbers come out of the model running;
nothing here knows what a patch "should" produce.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable

from triage.sim.engine import Engine, Finding, Park, RandomStrategy, Sleep, Strategy
from triage.sim.explore import Exploration, explore, run_many
from triage.sim.iowq import BOUND, IoWq, Sample, Work
from triage.model import Better
from triage.sim.knobs import KERNEL_6_9, KERNEL_6_16, KERNEL_6_18_21, Knobs
from triage.sim.metrics import Metric


@dataclass(frozen=True)
class Result:
    scenario: str
    knobs: Knobs
    seed: int
    metrics: dict[str, object]
    findings: tuple[Finding, ...]
    timeline: tuple[Sample, ...]
    events: tuple[tuple[float, str], ...]
    trace: tuple[str, ...]
    steps: int
    exploration: Exploration | None = None


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    symbols: tuple[str, ...]  # C symbols it exercises
    knobs_shown: tuple[str, ...]  # knobs whose change it shows
    base: Knobs  # the tree the bug lived in
    before: dict  # knob changes for "before" on top of base
    after: dict  # knob changes for "after"
    horizon: float
    build: Callable  # (engine, iowq, rng) -> None
    measure: Callable  # (iowq, engine, horizon) -> dict, one entry per Metric
    metrics: tuple[Metric, ...] = ()  # each with the direction that is better
    iowq_args: dict = field(default_factory=dict)
    explore_by_default: bool = False
    races: bool = True  # vector clocks cost ~7x; scenarios about timing switch them off
    # long runs (seconds per side): before and after run in two processes
    # when neither is cached; for short ones a process costs more than it saves
    sides_in_parallel: bool = False


REGISTRY: dict[str, Scenario] = {}


def register(s: Scenario) -> Scenario:
    REGISTRY[s.name] = s
    return s


def run(name: str, knobs: Knobs, seed: int = 0, horizon: float | None = None, trace: bool = True,
        strategy: Strategy | None = None, races: bool | None = None) -> Result:
    s = REGISTRY[name]
    h = s.horizon if horizon is None else horizon
    engine = Engine(strategy or RandomStrategy(seed), trace=trace, races=s.races if races is None else races)
    wq = IoWq(engine, knobs, **s.iowq_args)
    s.build(engine, wq, random.Random(seed))
    engine.run(until=h)
    return Result(name, knobs, seed, s.measure(wq, engine, h), tuple(engine.findings), tuple(wq.samples),
                  tuple(wq.events), tuple(engine.trace), engine.steps)


def explore_scenario(name: str, knobs: Knobs, seed: int = 0, schedules: int | None = None,
                     pct: bool = False, horizon: float | None = None) -> Exploration:
    """All interleavings (schedules=None) or N random/PCT schedules."""
    s = REGISTRY[name]
    h = s.horizon if horizon is None else horizon

    def build(engine: Engine) -> None:
        wq = IoWq(engine, knobs, **s.iowq_args)
        engine.model = wq
        s.build(engine, wq, random.Random(seed))

    def measure(engine: Engine) -> dict:
        return s.measure(engine.model, engine, h)

    if schedules is None:
        return explore(build, state_key=_state_key, until=h, measure=measure)
    return run_many(build, schedules, seed=seed, pct=pct, until=h, measure=measure)


def _state_key(engine: Engine):
    wq: IoWq = engine.model
    workers = tuple((w.wid, w.flags, w.cur_work.wid if w.cur_work else -1, w.exiting,
                     tuple(x.wid for x in w.acct.free_list)) for w in wq.workers)
    accts = tuple((a.nr_workers, a.nr_running, tuple(x.wid for x in a.work_list), a.stalled) for a in wq.acct)
    tasks = tuple((t.name, t.state, repr(t.op), t.wake_pending) for t in engine.tasks)
    return (engine.now, workers, accts, tasks, wq.exit, engine.steps)


# ------------------------------------------------------------------ helpers


def _submit(wq: IoWq, works: list[Work], at: float = 0.0):
    if at:
        yield Sleep(at)
    for work in works:
        yield from wq.io_wq_enqueue(work)


def _first_worker(wq: IoWq, acct: int):
    """Create one worker and let it go idle, as after earlier I/O."""
    yield from wq.io_wq_create_worker(wq.acct[acct])


# ------------------------------------------------------------------ exit during a linked chain (seed 002)


def _build_exit_chain(engine: Engine, wq: IoWq, rng: random.Random) -> None:
    # work1 -> work2 -> work3, unbound, not hashed; each item after the exit
    # takes 3000 ms if executed (the author's injected delay); work1 is a
    # 1 ms item and exit starts 0.5 ms into it. A fourth unbound item is
    # queued behind the chain: only per-call snapshots run it after exit.
    w3 = Work(3, 3.0, unbound=True)
    w2 = Work(2, 3.0, unbound=True, link=w3)
    w1 = Work(1, 0.001, unbound=True, link=w2)
    w4 = Work(4, 3.0, unbound=True)
    wq.chain = [w1, w2, w3, w4]
    engine.spawn(_submit(wq, [w1, w4]), "submitter")

    def exit_actor():
        while w1.started_at is None:
            yield Sleep(0.0001)
        yield Sleep(w1.started_at + 0.0005 - engine.now)
        yield from wq.io_wq_exit_start()
        yield from wq.io_wq_put_and_exit()

    engine.spawn(exit_actor(), "exit")


def _measure_exit_chain(wq: IoWq, engine: Engine, horizon: float) -> dict:
    items = wq.chain
    latency = None if wq.drained_at is None else (wq.drained_at - wq.exit_started_at) * 1000
    return {
        "exit_latency_ms": round(latency, 3) if latency is not None else f"never within {horizon:g} s",
        "post_exit_items_executed": sum(1 for w in items[1:] if w.executed),
        "post_exit_items_cancelled": sum(1 for w in items[1:] if w.cancel),
    }


register(Scenario(
    name="exit-linked-chain",
    description="A 3-item unbound linked chain on one worker plus one more unbound item queued; the task exits "
                "0.5 ms into item 1; each post-exit item takes 3000 ms if executed. Measures how long exit "
                "waits for the worker. Reproduces the patch author's setup (an injected 3000 ms delay per item, "
                "seed 002, 29bef9934b25).",
    symbols=("io_worker_handle_work", "io_wq_exit_start", "io_wq_put_and_exit", "io_wq_worker",
             "IO_WQ_BIT_EXIT", "io_wq_free_work"),
    knobs_shown=("do_kill_granularity",),
    base=KERNEL_6_18_21,
    before={"do_kill_granularity": "per_fetch"},
    after={"do_kill_granularity": "per_item"},
    horizon=30.0,
    build=_build_exit_chain,
    measure=_measure_exit_chain,
    metrics=(
        Metric("exit_latency_ms", Better.LOWER, "IO_WQ_BIT_EXIT set -> last worker gone (worker_done)"),
        Metric("post_exit_items_executed", Better.LOWER, "items after exit that ran their operation"),
        # the complement of the one above: context, not judged twice
        Metric("post_exit_items_cancelled", Better.NEITHER, "items after exit completed with -ECANCELED"),
    ),
))


# ------------------------------------------------------------------ worker flags race (seed 003)


def _build_flags(engine: Engine, wq: IoWq, rng: random.Random) -> None:
    # One bound worker, idle on the (shared, pre-6.15) free list. The
    # submitter queues two items back to back: the first wakes the worker,
    # which clears FREE in __io_worker_busy while the second enqueue walks
    # the free list and reads the worker's flags (BOUND) to pick the acct.
    engine.spawn(_first_worker(wq, BOUND), "setup")
    engine.spawn(_submit(wq, [Work(1, 0.0001), Work(2, 0.0001)], at=0.001), "submitter")


def _racy_flag_pairs(findings) -> int:
    return sum(1 for f in findings if f.kind == "data-race" and ".flags" in f.message)


def _measure_flags(wq: IoWq, engine: Engine, horizon: float) -> dict:
    return {"racy_flag_pairs": _racy_flag_pairs(engine.findings), "works_done": wq.done_works,
            "workers_created": wq.created}


register(Scenario(
    name="worker-flags",
    description="An idle bound worker is woken for one item while the submitter queues a second and walks the "
                "shared free list reading the worker's flags (6.9-era io-wq). Race detector on the flags word "
                "(seed 003, 8a565304927f).",
    symbols=("io_wq_activate_free_worker", "io_acct_activate_free_worker", "__io_worker_busy",
             "io_wq_worker_running", "io_wq_worker_sleeping", "io_wq_worker", "struct io_worker",
             "IO_WORKER_F_UP", "IO_WORKER_F_RUNNING", "IO_WORKER_F_FREE", "IO_WORKER_F_BOUND"),
    knobs_shown=("worker_flags_atomic",),
    base=KERNEL_6_9,
    before={"worker_flags_atomic": False},
    after={"worker_flags_atomic": True},
    horizon=0.01,
    build=_build_flags,
    measure=_measure_flags,
    metrics=(
        Metric("racy_flag_pairs", Better.LOWER, "distinct unordered plain-access pairs on a worker's flags word",
               of_findings=_racy_flag_pairs),
        Metric("works_done", Better.HIGHER, "work items completed"),
        Metric("workers_created", Better.NEITHER, "worker threads forked"),
    ),
    explore_by_default=True,
))


# ------------------------------------------------------------------ last-worker keepalive (seed 001)


def _build_keepalive(engine: Engine, wq: IoWq, rng: random.Random) -> None:
    # One ring: a burst of buffered file I/O (bound) and pipe/splice I/O
    # (unbound) punted to io-wq; everything completes; the task closes its
    # last ring at t0 = 1 s and stays alive (a CRIU dump is attempted).
    works = [Work(i, 0.002, blocks=True) for i in range(8)] + \
            [Work(100 + i, 0.002, blocks=True, unbound=True) for i in range(4)]
    engine.spawn(_submit(wq, works), "submitter")
    wq.t0 = 1.0

    def close_last_ring():
        yield Sleep(wq.t0)
        # io_uring_del_tctx_node runs as task_work in the task once the
        # ring is gone; with B it sets exit-on-idle (912146614894)
        yield Sleep(wq.timing.t_tw)
        if wq.knobs.exit_on_idle:
            yield from wq.io_wq_set_exit_on_idle(True)

    engine.spawn(close_last_ring(), "ring-close")


def _measure_keepalive(wq: IoWq, engine: Engine, horizon: float) -> dict:
    alive_at_end = wq.alive()
    gone = None
    if alive_at_end == 0:
        gone = (max(wq.worker_exit_times) - wq.t0) * 1000
    alive_2s = _alive_at(wq, wq.t0 + 2.0)
    return {
        "last_worker_gone_after_close_ms": round(gone, 3) if gone is not None
        else f"never within {horizon - wq.t0:g} s",
        "workers_alive_at_close_plus_2s": alive_2s,
        "workers_alive_at_end": alive_at_end,
        "idle_worker_seconds": round(wq.idle_seconds + _open_idle(wq, engine), 3),
    }


def _alive_at(wq: IoWq, t: float) -> int:
    alive = 0
    for s in wq.samples:
        if s.time <= t:
            alive = s.alive
    return alive


def _open_idle(wq: IoWq, engine: Engine) -> float:
    return sum(engine.now - w.idle_since for w in wq.workers if w.idle_since is not None and not w.exiting)


register(Scenario(
    name="last-worker-keepalive",
    description="A task uses one ring (bound and unbound I/O), closes it at t0 = 1 s and stays alive. Measures "
                "how long io-wq workers outlive the last ring. Reproduces the reporter's setup (a CRIU dump of a "
                "task that used io_uring, seed 001, 38aa434ab933 + 912146614894).",
    symbols=("io_wq_worker", "io_wq_set_exit_on_idle", "io_uring_del_tctx_node", "__io_uring_add_tctx_node",
             "IO_WQ_BIT_EXIT_ON_IDLE", "io_worker_exit"),
    knobs_shown=("exit_on_idle",),
    base=KERNEL_6_18_21,
    before={"exit_on_idle": False},
    after={"exit_on_idle": True},
    horizon=31.0,
    build=_build_keepalive,
    measure=_measure_keepalive,
    metrics=(
        Metric("last_worker_gone_after_close_ms", Better.LOWER, "ring closed -> no iou-wrk thread left"),
        Metric("workers_alive_at_close_plus_2s", Better.LOWER, "iou-wrk threads 2 s after the last ring closed"),
        Metric("workers_alive_at_end", Better.LOWER, "iou-wrk threads at the end of the run"),
        Metric("idle_worker_seconds", Better.LOWER, "seconds workers spent idle, summed"),
    ),
))


# ------------------------------------------------------------------ worker churn (seed 000)


def _build_churn(engine: Engine, wq: IoWq, rng: random.Random, files: int = 8, cycles: int | None = None) -> None:
    # One ring, N files; per file and cycle one 4 KiB write (hashed by file,
    # blocks now and then) and one fsync (bound, not hashed, always blocks);
    # the next cycle is submitted when both complete.
    wq.files = files
    counter = [1000]

    def file_loop(f: int):
        n = 0
        while cycles is None or n < cycles:
            n += 1
            counter[0] += 2
            write = Work(counter[0], 20e-6, blocks=rng.random() < 0.1, bucket=f)
            fsync = Work(counter[0] + 1, 0.005, blocks=True)
            write.notify = fsync.notify = handles[f]
            yield from wq.io_wq_enqueue(write)
            yield from wq.io_wq_enqueue(fsync)
            while write.done_at is None or fsync.done_at is None:
                yield Park(None, "io_uring_enter")
            yield Sleep(50e-6)  # userspace between cycles

    handles: dict[int, object] = {}
    for f in range(files):
        handles[f] = engine.spawn(file_loop(f), f"submit-file{f}")


def _measure_churn(wq: IoWq, engine: Engine, horizon: float) -> dict:
    warm = 6.0
    created_after = sum(1 for t, e in wq.events if t >= warm and e.startswith("create worker"))
    exited_after = sum(1 for t, e in wq.events if t >= warm and e.startswith("worker ") and " exits" in e)
    span = max(horizon - warm, 1e-9)
    return {
        "workers_created": wq.created,
        "workers_exited": wq.exited,
        "distinct_worker_ids": len({w.wid for w in wq.workers}),
        "peak_workers": max((s.alive for s in wq.samples), default=0),
        "mean_workers": round(_time_weighted_alive(wq, horizon), 2),
        "idle_worker_seconds": round(wq.idle_seconds + _open_idle(wq, engine), 2),
        "creates_per_s_after_warmup": round(created_after / span, 3),
        "exits_per_s_after_warmup": round(exited_after / span, 3),
        "works_done": wq.done_works,
    }


def _time_weighted_alive(wq: IoWq, horizon: float) -> float:
    total, last_t, last_alive = 0.0, 0.0, 0
    for s in wq.samples:
        total += last_alive * (s.time - last_t)
        last_t, last_alive = s.time, s.alive
    total += last_alive * (horizon - last_t)
    return total / horizon if horizon else 0.0


register(Scenario(
    name="worker-churn",
    description="Write + fsync (5 ms) on 8 files in one ring, next cycle when both complete, 20 s. Counts workers "
                "created and exited after warm-up. Reproduces the reporter's workload (fsync-heavy writes that "
                "churned iou-wrk threads, seed 000, 9d83e1f05c98).",
    symbols=("create_worker_cb", "io_wq_enqueue", "io_acct_activate_free_worker", "io_wq_dec_running",
             "io_wq_worker_sleeping", "io_queue_worker_create", "io_wq_worker", "io_wq_hash_defer"),
    knobs_shown=("create_cb_tries_free_worker", "hash_defer", "ignore_nonbusy_sleeper"),
    base=KERNEL_6_16,
    before={"create_cb_tries_free_worker": False},
    after={"create_cb_tries_free_worker": True},
    horizon=20.0,
    build=_build_churn,
    measure=_measure_churn,
    iowq_args={"bound_max": 16},
    races=False,
    sides_in_parallel=True,  # ~2 million engine steps per side: ~10 s each here
    metrics=(
        Metric("workers_created", Better.LOWER, "worker threads forked"),
        Metric("workers_exited", Better.LOWER, "worker threads that exited"),
        Metric("distinct_worker_ids", Better.LOWER, "different workers seen"),
        Metric("peak_workers", Better.NEITHER, "most workers alive at once"),
        Metric("mean_workers", Better.NEITHER, "workers alive, time-weighted mean"),
        Metric("idle_worker_seconds", Better.NEITHER, "seconds workers spent idle, summed"),
        Metric("creates_per_s_after_warmup", Better.LOWER, "worker forks per second after the first 6 s"),
        Metric("exits_per_s_after_warmup", Better.LOWER, "worker exits per second after the first 6 s"),
        # throughput: fewer forks must not cost completed work. Seeds 0-3
        # alone move this count by 0.01% (63119-63126), so changes under 0.1%
        # are not counted as better or worse
        Metric("works_done", Better.HIGHER, "work items completed in 20 s", tolerance=0.001),
    ),
))
