"""One run of a C program on the engine: the heap, the runtime that
implements what the file calls but does not define, and what the run
found (WARN hits, wraps, use-after-free, coverage).

A runtime is a mapping of names to generator functions
`fn(machine, site, *args)` (a kernel API such as raw_spin_lock, which
yields the engine's Lock), plus iterators (`list_for_each_entry`) and
named values (`jiffies`, `HZ`). It knows the kernel, not the file.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

from triage.cexec.errors import CannotExecute
from triage.cexec.ctype import StructType
from triage.cexec.memory import Heap, Obj, make
from triage.sim.engine import Access
from triage.cexec.program import Program


# Statements one run may execute: a scenario on a real io-wq.c runs a few
# thousand; a loop that never ends on locals alone (no shared access, so no
# scheduling point) would otherwise hang the run.
MAX_STATEMENTS = 2_000_000
TRAIL = 16  # statements a finding shows: the C lines that led to it
WRITES = 6  # writes kept per shared variable: where a counter an invariant reads was last changed


def member_var(obj: Obj, key: Any) -> str:
    """`io_worker.flags@io_worker#3`: what a race finding names."""
    t = obj.ctype
    tag = t.tag if isinstance(t, StructType) else "array"
    return f"{tag}.{key}@{obj.label}"


class LockReduction:
    """Which accesses need not be scheduling points (Eraser's lockset):
    a variable whose every access holds a lock L needs no point at those
    accesses, as their order against other tasks' accesses is fixed by
    L's. `frozen` (what earlier runs learnt) decides, the same way for
    every run of a round, so that replayed prefixes stay valid; `learnt`
    is updated by every access. An access that does not hold all of its
    variable's frozen locks makes `refined` true: the round relied on a
    protection that does not hold and must be run again (next_round)."""

    def __init__(self) -> None:
        self.frozen: dict[str, frozenset[str]] = {}
        self.learnt: dict[str, frozenset[str]] = {}
        # a variable only one task ever touches is no point either (nothing
        # to interleave with): which tasks touched it, by task name
        self.frozen_tasks: dict[str, frozenset[str]] = {}
        self.learnt_tasks: dict[str, frozenset[str]] = {}
        self.refined = False

    def point(self, var: str, held, task: str) -> bool:
        learnt = self.learnt.get(var)
        self.learnt[var] = frozenset(held) if learnt is None else learnt.intersection(held)
        tasks = self.learnt_tasks.get(var, frozenset())
        if task not in tasks:
            self.learnt_tasks[var] = tasks | {task}
        alone = self.frozen_tasks.get(var)
        if alone is not None and len(alone) == 1:
            if task in alone:
                return False
            self.refined = True  # another task touches it after all
            return True
        locks = self.frozen.get(var)
        if not locks:
            return True  # never seen before this round, or seen without a common lock
        if locks.issubset(held):
            return False
        self.refined = True
        return True

    def next_round(self) -> None:
        self.frozen = dict(self.learnt)
        self.frozen_tasks = dict(self.learnt_tasks)
        self.refined = False

    def protected(self) -> int:
        """Variables that are no scheduling point: under a common lock, or one task's alone."""
        return sum(1 for var, locks in self.frozen.items() if locks or len(self.frozen_tasks.get(var, ())) == 1)


@dataclass
class Runtime:
    functions: dict[str, Callable] = field(default_factory=dict)
    iterators: dict[str, Callable] = field(default_factory=dict)
    values: dict[str, Callable] = field(default_factory=dict)  # name -> fn(machine) -> value
    # what the scheduler calls around a task that blocks (the kernel's
    # sched_submit_work / sched_update_worker hooks), by function name
    sched_out: str | None = None
    sched_in: str | None = None
    # what create_io_thread's threads are called (their comm), numbered
    thread_name: str = "iothread"


class Machine:
    def __init__(self, program: Program, runtime: Runtime | None = None) -> None:
        self.program = program
        self.runtime = runtime or Runtime()
        self.heap = Heap()
        self.globals: dict[str, Obj] = {}
        self.findings: list[tuple[str, str, str]] = []  # (kind, site, detail)
        self.evidence: list[tuple[tuple[str, ...], float, tuple[str, ...]]] = []  # each one's (schedule, time, trail)
        self.trail: deque = deque(maxlen=TRAIL)  # (engine task, (function, line)) of the last statements run
        self.writes: dict[str, deque] = {}  # shared variable -> (task name, site, time) of its last writes
        self.wraps: list[tuple[str, str]] = []
        self.warned: set[str] = set()
        self.lines: set[tuple[str, int]] = set()
        self.state: dict[str, Any] = {}  # the runtime's own (locks held, RCU sections ...)
        self.engine = None  # the Engine the tasks run on, when they run on one
        self.statements = 0
        self.max_statements = MAX_STATEMENTS  # where check_progress looks next
        self.limit = MAX_STATEMENTS  # statements allowed with no engine step between
        self._steps_at_check = -1
        self.tasks: dict[int, Obj] = {}  # engine task id -> its task_struct
        self.held: dict[str, list[str]] = {}  # task label -> the locks it holds, in order taken
        self.reduction: LockReduction | None = None  # exhaustive exploration's: see LockReduction

    def current(self) -> Obj | None:
        """The task_struct of the engine task running now."""
        if self.engine is None or self.engine.current is None:
            return None
        return self.tasks.get(self.engine.current.tid)

    # ----------------------------------------------------------- calls

    def call(self, name: str, args: list, site: str):
        """A generator: the file's function, else the runtime's."""
        if name in self.program.functions:
            return (yield from self.program.function(name)(self, *args))
        fn = self.runtime.functions.get(name)
        if fn is None:
            raise CannotExecute.at(f"call to {name} (not in the file, not in the runtime)", self.program.name, site)
        return (yield from fn(self, site, *args))

    def run(self, name: str, *args):
        """A generator running the file's function name: an engine task body."""
        return self.program.function(name)(self, *args)

    def evaluate(self, name: str, args: list):
        """The file's function name run to its end at once, outside the
        engine: a question an invariant asks the file's own code (which
        acct does this worker count in?). It may read and write memory,
        nothing else (a lock, a sleep, a wake is refused); the lines it
        runs, what it finds and its statements are not the run's."""
        lines, findings, statements, trail = set(self.lines), len(self.findings), self.statements, list(self.trail)
        gen = self.call(name, args, "invariant")
        try:
            while True:
                op = next(gen)
                if not isinstance(op, Access):
                    raise CannotExecute.at(f"{type(op).__name__} while evaluating {name} for an invariant",
                                           self.program.name, "invariant")
        except StopIteration as stop:
            return stop.value
        finally:
            gen.close()
            self.lines, self.statements = lines, statements
            self.trail.clear()
            self.trail.extend(trail)
            del self.findings[findings:]
            del self.evidence[findings:]

    def check_progress(self, function: str, line: int) -> None:
        """Every `limit` statements: a loop on locals never yields to the
        engine, so the engine cannot stop it. If no engine step happened
        in the last `limit` statements, stop it here; else look again
        `limit` statements on (a long run of many short steps is fine)."""
        steps = self.engine.steps if self.engine is not None else -1
        if steps == self._steps_at_check or self.engine is None:
            raise CannotExecute(f"a run of more than {self.limit:,} statements (a loop that never ends?)",
                                self.program.name, line, function)
        self._steps_at_check = steps
        self.max_statements = self.statements + self.limit

    def iterator(self, name: str, site: str) -> Callable:
        fn = self.runtime.iterators.get(name)
        if fn is None:
            raise CannotExecute.at(f"iterator {name} (not in the runtime)", self.program.name, site)
        return fn

    def runtime_value(self, name: str, site: str) -> Any:
        fn = self.runtime.values.get(name)
        if fn is None:
            raise CannotExecute.at(f"name {name} (not in the file, not in the runtime)", self.program.name, site)
        return fn(self)

    def global_obj(self, name: str) -> Obj:
        obj = self.globals.get(name)
        if obj is None:
            t = self.program.globals[name][0]
            obj = make(t, name, True)
            if not obj.fields:
                obj.fields["v"] = 0
            self.globals[name] = obj
        return obj

    # ----------------------------------------------------------- memory

    def access(self, obj: Obj, key: Any, write: bool, site: str, atomic: bool = False, order: str = "relaxed"):
        """The scheduling point before a member of obj is read or written
        (by the file's code or the runtime's): an engine Access named
        `struct.member@object`, none for an object on a task's stack; a
        freed object is a use-after-free finding."""
        if obj.freed:
            self.use_after_free(obj, key, site)
        if obj.shared:
            var = member_var(obj, key)
            if write and self.engine is not None:
                task = self.engine.current
                seen = self.writes.get(var)
                if seen is None:
                    seen = self.writes[var] = deque(maxlen=WRITES)
                seen.append((task.name if task is not None else "-", site, self.engine.now))
            if self.reduction is None:
                yield Access(var, write, atomic, order, site)
            else:
                me = self.current()
                label = me.label if me is not None else "?"
                point = self.reduction.point(var, self.held.get(label, ()), label)
                yield Access(var, write, atomic, order, site, point)

    # --------------------------------------------------------- findings

    def finding(self, kind: str, site: str, detail: str) -> None:
        """A finding of the runtime or the file's code, with its evidence:
        the engine's schedule so far and the C lines run last."""
        self.findings.append((kind, site, detail))
        engine = self.engine
        self.evidence.append((tuple(engine.schedule) if engine is not None else (),
                              engine.now if engine is not None else 0.0, self.trail_lines()))

    def writes_to(self, obj: Obj, key: Any) -> tuple[str, ...]:
        """The last writes to a member of a shared object, oldest first,
        each `task function:line writes var (t=...)`: where a counter an
        invariant found wrong was changed."""
        var = member_var(obj, key)
        return tuple(f"{task} {site} writes {var} (t={when:.6f}s)" for task, site, when in self.writes.get(var, ()))

    def trail_lines(self) -> tuple[str, ...]:
        """The last statements run, oldest first, each `task function:line`
        (a run of the same line by the same task once)."""
        out: list[str] = []
        for task, (name, line) in self.trail:
            text = f"{task.name if task is not None else '-'} {name}:{line}"
            if not out or out[-1] != text:
                out.append(text)
        return tuple(out)

    def warn(self, site: str, once: bool) -> None:
        if once and site in self.warned:
            return
        self.warned.add(site)
        self.finding("WARN_ON", site, "WARN_ON_ONCE hit" if once else "WARN_ON hit")

    def wrapped(self, site: str, detail: str) -> None:
        self.wraps.append((site, detail))
        self.finding("unsigned wrap", site, detail)

    def use_after_free(self, obj: Obj, key: Any, site: str) -> None:
        self.finding("use-after-free", site, f"{obj.label}.{key} freed at {obj.freed_at}")
