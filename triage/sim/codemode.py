"""Scenarios in code mode: io-wq's own C run on the engine through its
entry points (io_wq_create, io_wq_enqueue, io_wq_exit_start,
io_wq_put_and_exit), the io_uring side (submitting task, work items that
block, io_wq_submit_work / io_wq_free_work) played by the scenario.

First step of issue 14: the churn workload (blocking work items arriving
in bursts, the submitter running its task work in between, then exit).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from triage.cexec import kernel
from triage.cexec.errors import CFault
from triage.cexec.machine import Machine
from triage.cexec.memory import FuncRef, Ptr
from triage.cexec.program import Program
from triage.sim import iowq_c
from triage.sim.engine import Engine, Park, RandomStrategy, Sleep


@dataclass(frozen=True)
class ChurnLoad:
    """Bursts of blocking work items, a pause between bursts long enough
    for idle workers to time out (WORKER_IDLE_TIMEOUT is 5 s)."""

    bursts: int = 3
    per_burst: int = 4
    block_ms: float = 20.0
    gap_ms: float = 6000.0
    bounded: int = 4
    unbound: bool = True


@dataclass
class CodeRun:
    metrics: dict[str, float] = field(default_factory=dict)
    findings: list[str] = field(default_factory=list)
    lines: set = field(default_factory=set)  # (function, line) of every statement run
    steps: int = 0


# Scenarios with a code-mode workload so far (issue 14 adds the others).
CODE_SCENARIOS = ("worker-churn",)


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


def load_program(source: str, name: str = "io-wq.c") -> Program:
    return Program(source, name, extra=[kernel.TYPES, iowq_c.header(source)])


def run_churn(program: Program, load: ChurnLoad = ChurnLoad(), seed: int = 0,
              horizon: float = 60.0) -> CodeRun:
    done: list[str] = []
    freed: list[str] = []

    def submit(m, site, work):
        """io_wq_submit_work: the request blocks (the worker sleeps in the
        scheduler, which calls io-wq's sleeping/running hooks)."""
        task = m.current()
        rt = m.runtime
        if rt.sched_out in m.program.functions:
            yield from m.call(rt.sched_out, [Ptr(task)], site)
        yield Sleep(load.block_ms / 1000.0)
        if rt.sched_in in m.program.functions:
            yield from m.call(rt.sched_in, [Ptr(task)], site)
        done.append(work.obj.label)
        return None

    def free(m, site, work):
        freed.append(work.obj.label)
        return None
        yield  # noqa

    machine = Machine(program, iowq_c.runtime({"io_wq_submit_work": submit, "io_wq_free_work": free}))
    engine = Engine(RandomStrategy(seed), trace=False)
    machine.engine = engine
    submitter = kernel.new_task(machine, "submitter")
    total = load.bursts * load.per_burst

    def body():
        m = machine
        data = m.heap.new(program.struct("io_wq_data"))
        hash_ = m.heap.new(program.struct("io_wq_hash"))
        hash_.fields["refs"].fields["refs"].fields["counter"] = 1
        wait = hash_.fields["wait"]
        yield from kernel.INIT_LIST_HEAD(m, "setup", Ptr(wait.fields["head"]))
        data.fields["hash"] = Ptr(hash_)
        data.fields["task"] = Ptr(submitter)
        data.fields["do_work"] = FuncRef("io_wq_submit_work")
        data.fields["free_work"] = FuncRef("io_wq_free_work")
        wq = yield from m.call("io_wq_create", [load.bounded, Ptr(data)], "setup")
        if isinstance(wq, kernel.ErrPtr) or wq is None:
            raise CFault("io_wq_create failed", repr(wq), "setup")
        for burst in range(load.bursts):
            for _ in range(load.per_burst):
                work = m.heap.new(program.struct("io_wq_work"))
                if load.unbound:
                    flags = work.fields["flags"]
                    if isinstance(flags, type(work)):
                        flags.fields["counter"] = 4
                    else:
                        work.fields["flags"] = 4  # IO_WQ_WORK_UNBOUND
                yield from m.call("io_wq_enqueue", [wq, Ptr(work)], "submit")
                yield from kernel.task_work_run(m, "submit")
            # back in userspace until the next burst, running task work as it comes
            until = engine.now + load.gap_ms / 1000.0
            while engine.now < until:
                yield Park(until - engine.now, "submitter")
                yield from kernel.task_work_run(m, "submit")
        while len(done) < total and engine.now < horizon - 1:
            yield Park(0.1, "submitter")
            yield from kernel.task_work_run(m, "submit")
        if "io_wq_exit_start" in program.functions:  # 5.13 on; before, put_and_exit sets the bit itself
            yield from m.call("io_wq_exit_start", [wq], "exit")
        yield from m.call("io_wq_put_and_exit", [wq], "exit")

    kernel.start(machine, submitter, body(), "submitter")
    engine.run(until=horizon)
    created = machine.state.get("threads_created", 0)
    alive = [t for t in engine.tasks if t.state != "done" and t.name.startswith("iou-wrk")]
    run = CodeRun(steps=engine.steps, lines=set(machine.lines))
    run.metrics = {"workers_created": created, "workers_alive_at_end": len(alive), "works_done": len(done),
                   "works_freed": len(freed), "works_submitted": total}
    run.findings = [f.message for f in engine.findings] + [f"{k} at {s}: {d}" for k, s, d in machine.findings]
    return run
