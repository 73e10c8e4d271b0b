"""The io-wq model: worker pool state and operations as generator tasks
for triage.sim.engine, after iowq-model.md §1-§2. Functions carry the
kernel's names so a trace reads like the kernel.

Simplifications (each one stated so it can be argued with):
* one io_wq (one submitting task), one NUMA node;
* list and counter locks are engine Locks; RCU walks are plain reads;
* a work item's execution is a duration; a blocking item sleeps (firing
  the sleep/wake hooks), a non-blocking one just takes time;
* creation through task_work is a task that runs `create_worker_cb` after
  the submitter's task_work delay `t_tw`; a fork takes `t_fork`.
Shared variables that matter for the findings are announced to the engine
with Access (the flags word, counters, the EXIT bit); the rest of the
model's bookkeeping is task-local or protected by the locks it holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from triage.sim.engine import Access, Engine, Lock, Note, Park, Sleep, Spawn, Task, Unlock, Wait, Wake, WakeAll
from triage.sim.knobs import Knobs

IO_WORKER_F_UP, IO_WORKER_F_RUNNING, IO_WORKER_F_FREE, IO_WORKER_F_BOUND = 1, 2, 4, 8
WORKER_IDLE_TIMEOUT = 5.0  # 5 * HZ in every version read
BOUND, UNBOUND = 0, 1


@dataclass(eq=False)
class Work:
    wid: int
    duration: float  # seconds of execution if not cancelled
    blocks: bool = False  # sleeps while executing (fsync), firing the sleep hook
    unbound: bool = False
    bucket: int | None = None  # hashed work: serialised per bucket
    concurrent: bool = False
    link: "Work | None" = None  # the next request of a dependent chain
    next_hashed: "Work | None" = None  # the rest of a cut hashed run
    cancel: bool = False
    queued_at: float = 0.0
    started_at: float | None = None
    done_at: float | None = None
    executed: bool = False  # ran its operation (not cancelled)
    notify: "Task | None" = None  # the submitter waiting for its completion


@dataclass(eq=False)
class Acct:
    index: int
    max_workers: int
    nr_workers: int = 0
    nr_running: int = 0
    work_list: list = field(default_factory=list)
    stalled: bool = False
    free_list: list = field(default_factory=list)  # head = index 0 (LIFO)
    all_list: list = field(default_factory=list)

    @property
    def lock(self) -> str:
        return f"acct{self.index}.lock"

    @property
    def workers_lock(self) -> str:
        return f"acct{self.index}.workers_lock"


@dataclass(eq=False)
class Worker:
    wid: int
    acct: Acct
    flags: int = 0
    cur_work: Work | None = None
    create_state: bool = False
    task: Task | None = None
    ref: int = 1
    exiting: bool = False
    idle_since: float | None = None


@dataclass
class Timing:
    t_tw: float = 50e-6  # until the submitter runs queued task_work
    t_fork: float = 100e-6  # create_io_thread
    t_wake: float = 5e-6  # wake-up latency of a parked worker


@dataclass
class Sample:
    time: float
    alive: int
    running: int
    queued: int
    done: int
    created: int = 0  # workers forked so far (cumulative)


class IoWq:
    """One io_wq with its two accts; the engine runs its functions as tasks."""

    def __init__(self, engine: Engine, knobs: Knobs, bound_max: int = 8, unbound_max: int = 64,
                 timing: Timing | None = None) -> None:
        self.engine = engine
        self.knobs = knobs
        self.timing = timing or Timing()
        self.acct = [Acct(BOUND, bound_max), Acct(UNBOUND, unbound_max)]
        self.exit = False
        self.exit_on_idle_bit = False
        self.hash_busy: set[int] = set()
        self.worker_refs = 1
        self.workers: list[Worker] = []
        self.next_wid = 0
        # metrics
        self.created = 0
        self.exited = 0
        self.events: list[tuple[float, str]] = []
        self.samples: list[Sample] = []
        self.done_works = 0
        self.idle_seconds = 0.0
        self.exit_started_at: float | None = None
        self.drained_at: float | None = None
        self.worker_exit_times: list[float] = []
        engine.invariant(self.check_invariants)

    # ------------------------------------------------------------ helpers

    def alive(self) -> int:
        return sum(1 for w in self.workers if not w.exiting)

    def sample(self) -> None:
        running = sum(1 for w in self.workers if not w.exiting and w.cur_work is not None)
        queued = sum(len(a.work_list) for a in self.acct)
        s = Sample(self.engine.now, self.alive(), running, queued, self.done_works, self.created)
        if self.samples and self.samples[-1].time == s.time:
            self.samples[-1] = s
        elif not self.samples or (self.samples[-1].alive, self.samples[-1].running, self.samples[-1].queued) != \
                (s.alive, s.running, s.queued):
            self.samples.append(s)

    def event(self, text: str) -> None:
        self.events.append((self.engine.now, text))

    def check_invariants(self) -> list[str]:
        problems = []
        for a in self.acct:
            name = "bound" if a.index == BOUND else "unbound"
            if a.nr_running < 0:
                problems.append(f"{name} acct nr_running is negative ({a.nr_running})")
            if a.nr_workers < 0:
                problems.append(f"{name} acct nr_workers is negative ({a.nr_workers})")
            if a.nr_workers > a.max_workers:
                problems.append(f"{name} acct nr_workers {a.nr_workers} above max_workers {a.max_workers}")
        if self.worker_refs < 0:
            problems.append(f"worker_refs is negative ({self.worker_refs})")
        return problems

    # ------------------------------------------------------------ worker flags (patch D)

    def flags_read(self, w: Worker, site: str):
        yield Access(f"worker{w.wid}.flags", False, self.knobs.worker_flags_atomic, "relaxed", site)
        return w.flags

    def flags_set(self, w: Worker, mask: int, site: str):
        """set_bit() with D; a plain `flags |= mask` (read then write) before."""
        if self.knobs.worker_flags_atomic:
            yield Access(f"worker{w.wid}.flags", True, True, "relaxed", site)
            w.flags |= mask
        else:
            yield Access(f"worker{w.wid}.flags", False, False, "relaxed", site)
            value = w.flags
            yield Access(f"worker{w.wid}.flags", True, False, "relaxed", site)
            w.flags = value | mask

    def flags_clear(self, w: Worker, mask: int, site: str):
        if self.knobs.worker_flags_atomic:
            yield Access(f"worker{w.wid}.flags", True, True, "relaxed", site)
            w.flags &= ~mask
        else:
            yield Access(f"worker{w.wid}.flags", False, False, "relaxed", site)
            value = w.flags
            yield Access(f"worker{w.wid}.flags", True, False, "relaxed", site)
            w.flags = value & ~mask

    def read_exit(self, site: str):
        yield Access("wq.state", False, True, "acquire", site)
        return self.exit

    # ------------------------------------------------------------ submission side

    def io_wq_enqueue(self, work: Work):
        acct = self.acct[UNBOUND if work.unbound else BOUND]
        exiting = yield from self.read_exit("io_wq_enqueue")
        work.queued_at = self.engine.now
        if exiting or work.cancel:
            yield from self.io_run_cancel(work)
            return
        yield Lock(acct.lock, "io_wq_enqueue")
        self.io_wq_insert_work(acct, work)
        acct.stalled = False
        yield Unlock(acct.lock, "io_wq_enqueue")
        self.sample()
        activated = yield from self.io_acct_activate_free_worker(acct)
        if not activated:
            yield Access(f"acct{acct.index}.nr_running", False, True, "relaxed", "io_wq_enqueue")
            if work.concurrent or acct.nr_running == 0:
                yield from self.io_wq_create_worker(acct)

    def io_wq_insert_work(self, acct: Acct, work: Work) -> None:
        """Hashed items of one bucket stay contiguous (hash_tail)."""
        if work.bucket is None:
            acct.work_list.append(work)
            return
        tail = max((i for i, w in enumerate(acct.work_list) if w.bucket == work.bucket), default=None)
        if tail is None:
            acct.work_list.append(work)
        else:
            acct.work_list.insert(tail + 1, work)

    def io_run_cancel(self, work: Work):
        while work is not None:
            work.cancel = True
            work.done_at = self.engine.now
            self.done_works += 1
            if work.notify is not None:
                yield Wake(work.notify, "io_run_cancel")
            work = work.link
        yield Note("io_run_cancel")

    def io_acct_activate_free_worker(self, acct: Acct):
        """Walk the free list from its head and wake the first eligible worker
        (named io_wq_activate_free_worker while the list was shared)."""
        site = "io_acct_activate_free_worker" if self.knobs.per_acct_worker_lists else "io_wq_activate_free_worker"
        candidates = acct.free_list if self.knobs.per_acct_worker_lists else \
            [w for a in self.acct for w in a.free_list]
        for w in list(candidates):
            if w.exiting or w.ref == 0:
                continue
            if not self.knobs.per_acct_worker_lists:
                # the shared free list: pick the acct by the worker's BOUND flag
                flags = yield from self.flags_read(w, site)
                if bool(flags & IO_WORKER_F_BOUND) != (acct.index == BOUND):
                    continue
            if w.task is None:
                # on the free list, thread not started yet: it will look for
                # work when it starts (io_init_new_worker lists it first)
                if self.knobs.activate_requires_sleeping_target:
                    continue
                return True
            was_sleeping = w.task.state == "parked"
            yield Wake(w.task, site)
            if self.knobs.activate_requires_sleeping_target and not was_sleeping:
                continue
            return True
        return False

    def io_wq_create_worker(self, acct: Acct):
        yield Lock(acct.workers_lock, "io_wq_create_worker")
        if acct.nr_workers >= acct.max_workers:
            yield Unlock(acct.workers_lock, "io_wq_create_worker")
            return True
        acct.nr_workers += 1
        yield Unlock(acct.workers_lock, "io_wq_create_worker")
        yield Access(f"acct{acct.index}.nr_running", True, True, "relaxed", "io_wq_create_worker")
        acct.nr_running += 1
        self.worker_refs += 1
        yield from self.create_io_worker(acct)
        return True

    def create_io_worker(self, acct: Acct):
        w = Worker(self.next_wid, acct)
        self.next_wid += 1
        yield Sleep(self.timing.t_fork)
        w.flags = IO_WORKER_F_BOUND if acct.index == BOUND else 0  # before the thread exists: no race
        self.workers.append(w)
        acct.all_list.append(w)
        acct.free_list.insert(0, w)
        w.flags |= IO_WORKER_F_FREE
        self.created += 1
        self.event(f"create worker {w.wid} ({'bound' if acct.index == BOUND else 'unbound'})")
        w.task = yield Spawn(self.io_wq_worker(w), f"iou-wrk-{w.wid}")
        self.sample()

    # ------------------------------------------------------------ creation via task_work

    def io_queue_worker_create(self, w: Worker, acct: Acct):
        exiting = yield from self.read_exit("io_queue_worker_create")
        if exiting or w.create_state:
            return False
        w.create_state = True
        self.worker_refs += 1
        yield Spawn(self.task_work(self.create_worker_cb(w, acct)), f"tw-create-{w.wid}")
        return True

    def task_work(self, body):
        """The submitter runs queued task_work after t_tw."""
        yield Sleep(self.timing.t_tw)
        yield from body

    def create_worker_cb(self, w: Worker, acct: Acct):
        do_create = False
        if self.knobs.create_cb_tries_free_worker:
            activated = yield from self.io_acct_activate_free_worker(acct)
            if activated:
                self.event(f"create_worker_cb: free worker found, no fork (request of worker {w.wid})")
                yield from self._undo_create(acct, w)
                return
        yield Lock(acct.workers_lock, "create_worker_cb")
        if acct.nr_workers < acct.max_workers:
            acct.nr_workers += 1
            do_create = True
        yield Unlock(acct.workers_lock, "create_worker_cb")
        if do_create:
            w.create_state = False  # the request's worker_refs ref passes to the new worker
            yield from self.create_io_worker(acct)
        else:
            yield from self._undo_create(acct, w)

    def _undo_create(self, acct: Acct, w: Worker):
        yield Access(f"acct{acct.index}.nr_running", True, True, "relaxed", "create_worker_cb")
        acct.nr_running -= 1
        w.create_state = False
        yield from self.io_worker_ref_put()

    # ------------------------------------------------------------ sleep / wake hooks

    def io_wq_worker_sleeping(self, w: Worker):
        flags = yield from self.flags_read(w, "io_wq_worker_sleeping")
        if not (flags & IO_WORKER_F_UP) or not (flags & IO_WORKER_F_RUNNING):
            return
        yield from self.flags_clear(w, IO_WORKER_F_RUNNING, "io_wq_worker_sleeping")
        yield from self.io_wq_dec_running(w)

    def io_wq_dec_running(self, w: Worker):
        acct = w.acct
        yield Access(f"acct{acct.index}.nr_running", True, True, "acq_rel", "io_wq_dec_running")
        acct.nr_running -= 1
        if acct.nr_running != 0:
            return
        if self.knobs.ignore_nonbusy_sleeper and w.cur_work is None:
            return
        if not self.io_acct_run_queue(acct):
            return
        if self.knobs.hash_defer and w.cur_work is not None and w.cur_work.bucket is not None:
            head = acct.work_list[0] if acct.work_list else None
            if head is not None and head.bucket == w.cur_work.bucket:
                return  # io_wq_hash_defer: a new worker could not run it
        yield Access(f"acct{acct.index}.nr_running", True, True, "relaxed", "io_wq_dec_running")
        acct.nr_running += 1
        queued = yield from self.io_queue_worker_create(w, acct)
        if not queued:
            acct.nr_running -= 1

    def io_wq_worker_running(self, w: Worker):
        flags = yield from self.flags_read(w, "io_wq_worker_running")
        if not (flags & IO_WORKER_F_UP) or flags & IO_WORKER_F_RUNNING:
            return
        yield from self.flags_set(w, IO_WORKER_F_RUNNING, "io_wq_worker_running")
        yield Access(f"acct{w.acct.index}.nr_running", True, True, "relaxed", "io_wq_worker_running")
        w.acct.nr_running += 1

    @staticmethod
    def io_acct_run_queue(acct: Acct) -> bool:
        return bool(acct.work_list) and not acct.stalled

    # ------------------------------------------------------------ the worker

    def io_wq_worker(self, w: Worker):
        acct = w.acct
        yield from self.flags_set(w, IO_WORKER_F_UP | IO_WORKER_F_RUNNING, "io_wq_worker")
        last_timeout = False
        while True:
            exiting = yield from self.read_exit("io_wq_worker")
            if exiting:
                break
            yield Lock(acct.lock, "io_wq_worker")
            while self.io_acct_run_queue(acct):
                yield from self.io_worker_handle_work(acct, w)
                yield Lock(acct.lock, "io_wq_worker")
            yield Unlock(acct.lock, "io_wq_worker")
            yield Lock(acct.workers_lock, "io_wq_worker")
            leave = last_timeout and acct.nr_workers > 1
            if self.knobs.exit_on_idle and self.exit_on_idle_bit:
                leave = True
            if leave:
                acct.nr_workers -= 1
                yield Unlock(acct.workers_lock, "io_wq_worker")
                self.event(f"worker {w.wid} exits ({'exit-on-idle' if not last_timeout else 'idle timeout'})")
                break
            last_timeout = False
            yield from self.__io_worker_idle(w)
            yield Unlock(acct.workers_lock, "io_wq_worker")
            w.idle_since = self.engine.now
            yield from self.io_wq_worker_sleeping(w)
            woken = yield Park(WORKER_IDLE_TIMEOUT, "io_wq_worker")
            self.idle_seconds += self.engine.now - w.idle_since
            w.idle_since = None
            yield from self.io_wq_worker_running(w)
            if not woken:
                last_timeout = True
        exiting = yield from self.read_exit("io_wq_worker")
        if exiting:
            yield Lock(acct.lock, "io_wq_worker")
            if self.io_acct_run_queue(acct):
                yield from self.io_worker_handle_work(acct, w)
            else:
                yield Unlock(acct.lock, "io_wq_worker")
        yield from self.io_worker_exit(w)

    def __io_worker_idle(self, w: Worker):
        flags = yield from self.flags_read(w, "__io_worker_idle")
        if not flags & IO_WORKER_F_FREE:
            yield from self.flags_set(w, IO_WORKER_F_FREE, "__io_worker_idle")
            w.acct.free_list.insert(0, w)

    def __io_worker_busy(self, w: Worker):
        flags = yield from self.flags_read(w, "__io_worker_busy")
        if flags & IO_WORKER_F_FREE:
            yield from self.flags_clear(w, IO_WORKER_F_FREE, "__io_worker_busy")
            yield Lock(w.acct.workers_lock, "__io_worker_busy")
            if w in w.acct.free_list:
                w.acct.free_list.remove(w)
            yield Unlock(w.acct.workers_lock, "__io_worker_busy")

    def io_get_next_work(self, acct: Acct) -> Work | None:
        blocked = False
        for i, work in enumerate(acct.work_list):
            if work.bucket is None:
                del acct.work_list[i]
                return work
            if work.bucket in self.hash_busy:
                blocked = True
                continue
            # cut the whole run of this bucket; it is contiguous
            run = [x for x in acct.work_list if x.bucket == work.bucket]
            acct.work_list[:] = [x for x in acct.work_list if x.bucket != work.bucket]
            for a, b in zip(run, run[1:]):
                a.next_hashed = b
            self.hash_busy.add(work.bucket)
            return run[0]
        if blocked:
            acct.stalled = True
        return None

    def io_worker_handle_work(self, acct: Acct, w: Worker):
        """Entered with acct.lock held; returns with it released."""
        granularity = self.knobs.do_kill_granularity
        do_kill = False
        if granularity == "per_call":
            do_kill = yield from self.read_exit("io_worker_handle_work")
        while True:
            if granularity == "per_fetch":
                do_kill = yield from self.read_exit("io_worker_handle_work")
            work = self.io_get_next_work(acct)
            if work is not None:
                w.cur_work = work
            yield Unlock(acct.lock, "io_worker_handle_work")
            if work is None:
                return
            self.sample()
            yield from self.__io_worker_busy(w)
            while work is not None:
                if granularity == "per_item":
                    do_kill = yield from self.read_exit("io_worker_handle_work")
                next_hashed = work.next_hashed
                if do_kill and work.unbound:
                    work.cancel = True
                w.cur_work = work
                yield from self.io_wq_submit_work(w, work)
                w.cur_work = None
                linked = None if work.cancel else work.link
                if work.cancel and work.link is not None:
                    yield from self.io_run_cancel(work.link)  # the link fails as a whole
                if next_hashed is not None:
                    if linked is not None:
                        yield from self.io_wq_enqueue(linked)
                    work = next_hashed
                elif linked is not None and linked.bucket is None:
                    work = linked
                else:
                    if linked is not None:
                        yield from self.io_wq_enqueue(linked)
                    if work.bucket is not None:
                        yield from self._hash_done(work.bucket)
                    work = None
                self.sample()
            if not self.io_acct_run_queue(acct):
                return
            yield Lock(acct.lock, "io_worker_handle_work")

    def _hash_done(self, bucket: int):
        self.hash_busy.discard(bucket)
        for a in self.acct:
            if a.stalled:
                a.stalled = False
                yield from self.io_acct_activate_free_worker(a)

    def io_wq_submit_work(self, w: Worker, work: Work):
        work.started_at = self.engine.now
        if work.cancel:
            work.done_at = self.engine.now
            self.done_works += 1
            self.event(f"work {work.wid} cancelled")
            if work.notify is not None:
                yield Wake(work.notify, "io_wq_submit_work")
            return
        self.event(f"worker {w.wid} runs work {work.wid}")
        if work.blocks:
            yield from self.io_wq_worker_sleeping(w)
            yield Sleep(work.duration)
            yield from self.io_wq_worker_running(w)
        else:
            yield Sleep(work.duration)
        work.executed = True
        work.done_at = self.engine.now
        self.done_works += 1
        if work.notify is not None:
            yield Wake(work.notify, "io_wq_submit_work")  # the CQE wakes io_uring_enter

    def io_worker_exit(self, w: Worker):
        acct = w.acct
        w.exiting = True
        yield Lock(acct.workers_lock, "io_worker_exit")
        if w in acct.free_list:
            acct.free_list.remove(w)
        if w in acct.all_list:
            acct.all_list.remove(w)
        yield Unlock(acct.workers_lock, "io_worker_exit")
        flags = yield from self.flags_read(w, "io_worker_exit")
        if flags & IO_WORKER_F_RUNNING:
            yield from self.flags_clear(w, IO_WORKER_F_RUNNING, "io_worker_exit")
            yield from self.io_wq_dec_running(w)
        self.exited += 1
        self.worker_exit_times.append(self.engine.now)
        yield from self.io_worker_ref_put()
        self.sample()

    def io_worker_ref_put(self):
        self.worker_refs -= 1
        if self.worker_refs == 0:
            yield WakeAll("worker_done", "io_worker_ref_put")  # complete(&wq->worker_done)

    def io_wq_for_each_worker(self):
        """The workers the iterator reaches (see knob exit_wakes_all_accts)."""
        accts = self.acct if self.knobs.exit_wakes_all_accts else self.acct[:1]
        return [w for a in accts for w in a.all_list if not w.exiting and w.task is not None]

    # ------------------------------------------------------------ teardown

    def io_wq_exit_start(self):
        yield Access("wq.state", True, True, "release", "io_wq_exit_start")
        self.exit = True
        self.exit_started_at = self.engine.now
        self.event("io_wq_exit_start: IO_WQ_BIT_EXIT set")

    def io_wq_put_and_exit(self):
        """Wake every worker, drop the initial ref and wait for worker_done."""
        for w in self.io_wq_for_each_worker():
            yield Wake(w.task, "io_wq_exit_workers")
        if self.worker_refs > 1:
            self.worker_refs -= 1
            yield Wait("worker_done", None, "io_wq_exit_workers")
        else:
            self.worker_refs -= 1
        self.drained_at = self.engine.now
        self.event("io_wq_exit_workers: worker_done")

    def io_wq_set_exit_on_idle(self, on: bool):
        """B: set when the task's ring table empties, cleared on new use."""
        yield Access("wq.state", True, True, "release", "io_wq_set_exit_on_idle")
        was = self.exit_on_idle_bit
        self.exit_on_idle_bit = on
        if on and not was:
            self.event("io_wq_set_exit_on_idle: IO_WQ_BIT_EXIT_ON_IDLE set, waking workers")
            for w in self.io_wq_for_each_worker():
                yield Wake(w.task, "io_wq_set_exit_on_idle")
