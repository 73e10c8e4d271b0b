"""The kernel API a worker pool calls, mapped onto engine operations: a
first part of the kernel runtime (locks, atomics, bitops, refcounts,
list_head lists and their RCU forms, RCU read sections, allocation with
poisoned frees). Knows the kernel, not io-wq: the types below are the
kernel's own (include/linux/types.h, list.h, refcount.h), given to the
Program as C text.

Every access these functions make to a member of a shared object is an
engine Access, atomic where the kernel's is (atomic_t, bitops, refcount_t,
READ_ONCE in list_empty), so races between a plain access in the file and
the runtime's are found like any other.
"""

from __future__ import annotations

from triage.cexec import ctype as C
from triage.cexec.compile import Item, SizeOf, container_of
from triage.cexec.errors import CannotExecute, CFault
from triage.cexec.machine import Machine, Runtime
from triage.cexec.memory import FuncRef, Obj, Ptr, make, poison, root
from triage.sim.engine import Lock, Park, Sleep, Unlock, Wake

# The kernel's types as the runtime models them (members the runtime and
# worker-pool code read; the rest of a task_struct is of no concern), and
# the names every kernel file sees (current, jiffies, HZ).
TYPES = """
typedef struct { int counter; } atomic_t;
typedef struct { long counter; } atomic64_t;
typedef struct { atomic_t refs; } refcount_t;
typedef struct { int locked; } raw_spinlock_t;
typedef struct { int locked; } spinlock_t;
struct list_head { struct list_head *next, *prev; };
struct hlist_node { struct hlist_node *next, **pprev; };
struct hlist_nulls_node { struct hlist_nulls_node *next, **pprev; };
struct hlist_nulls_head { struct hlist_nulls_node *first; };
struct rcu_head { struct rcu_head *next; void (*func)(struct rcu_head *head); };
struct callback_head { struct callback_head *next; void (*func)(struct callback_head *head); };
struct wait_queue_entry { unsigned int flags; void *private; int (*func)(struct wait_queue_entry *wq_entry,
	unsigned mode, int flags, void *key); struct list_head entry; };
struct wait_queue_head { spinlock_t lock; struct list_head head; };
typedef struct wait_queue_head wait_queue_head_t;
struct completion { unsigned int done; struct wait_queue_head wait; };
struct work_struct { unsigned long data; struct list_head entry; void (*func)(struct work_struct *work); };
struct cpumask { unsigned long bits[1]; };
typedef struct cpumask cpumask_var_t[1];
struct task_struct { unsigned int flags; int pid; void *worker_private; void *pf_io_worker;
	struct io_uring_task *io_uring; void *files; void *task_works; unsigned int loginuid; };
enum { EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, EAGAIN = 11, ENOMEM = 12, EFAULT = 14, EBUSY = 16,
	EEXIST = 17, EINVAL = 22, ENOSPC = 28, EOPNOTSUPP = 95, ECANCELED = 125, ERESTARTSYS = 512,
	ERESTARTNOINTR = 513, ERESTARTNOHAND = 514, ERESTART_RESTARTBLOCK = 516 };
struct ksignal { int sig; };
enum { TASK_RUNNING = 0, TASK_INTERRUPTIBLE = 1, TASK_UNINTERRUPTIBLE = 2, TASK_COMM_LEN = 16,
	RLIMIT_NPROC = 6, NUMA_NO_NODE = -1, TWA_NONE = 0, TWA_RESUME = 1, TWA_SIGNAL = 2,
	TWA_SIGNAL_NO_IPI = 3, TIF_NOTIFY_SIGNAL = 17, HZ = 1000,
	PF_IO_WORKER = 0x00000010, PF_WQ_WORKER = 0x00000020, PF_NO_SETAFFINITY = 0x04000000 };
typedef void (*task_work_func_t)(struct callback_head *);
struct delayed_work { struct work_struct work; };
extern struct task_struct *current;
extern unsigned long jiffies;
"""


PF_IO_WORKER = 0x00000010  # the value TYPES gives it


def _obj(p, site: str) -> Obj:
    if p is None:
        raise CFault("NULL pointer dereference", "in the kernel runtime", site)
    if not isinstance(p, Ptr):
        raise CFault("not a pointer", repr(p), site)
    return p.obj


def _field(p, site: str) -> tuple[Obj, str]:
    """The (object, member) a pointer to a scalar names, or the counter of
    an atomic_t-like struct."""
    if p is None:
        raise CFault("NULL pointer dereference", "in the kernel runtime", site)
    if p.key is not None:
        return p.obj, p.key
    if "counter" in p.obj.fields:
        return p.obj, "counter"
    if "refs" in p.obj.fields:
        return p.obj.fields["refs"], "counter"
    raise CFault("not a counter", repr(p), site)


def _rmw(m: Machine, site: str, p, update, ordered: bool = True):
    """An atomic read-modify-write of one word: one scheduling point."""
    obj, key = _field(p, site)
    yield from m.access(obj, key, True, site, True, "acq_rel" if ordered else "relaxed")
    old = obj.fields[key]
    obj.fields[key] = update(old)
    return old


def _read(m: Machine, site: str, p, atomic: bool = True):
    obj, key = _field(p, site)
    yield from m.access(obj, key, False, site, atomic)
    return obj.fields[key]


def _i32(v: int) -> int:
    return C.INT.wrap(v)


# ------------------------------------------------------------------ locks


def spin_lock(m, site, lock, *_):
    name = _obj(lock, site).label
    yield Lock(name, site)
    me = m.current()
    m.held.setdefault(me.label if me is not None else "?", []).append(name)
    return None


def spin_unlock(m, site, lock, *_):
    name = _obj(lock, site).label
    yield Unlock(name, site)
    me = m.current()
    held = m.held.get(me.label if me is not None else "?", [])
    if name in held:
        held.remove(name)
    return None


def spin_trylock(m, site, lock, *_):
    return (yield from spin_lock(m, site, lock)) or 1


# ---------------------------------------------------------------- atomics


def atomic_read(m, site, p):
    return (yield from _read(m, site, p))


def atomic_set(m, site, p, v):
    yield from _rmw(m, site, p, lambda old: _i32(v), ordered=False)
    return None


def _atomic_add(sign: int, by_one: bool):
    """atomic_inc/dec (p) and atomic_add/sub (v, p): relaxed, no value returned."""
    def op(m, site, *args):
        v, p = (1, args[0]) if by_one else args
        yield from _rmw(m, site, p, lambda old: _i32(old + sign * v), ordered=False)
        return None

    return op


atomic_inc, atomic_dec = _atomic_add(1, True), _atomic_add(-1, True)
atomic_add, atomic_sub = _atomic_add(1, False), _atomic_add(-1, False)


def atomic_inc_return(m, site, p):
    return _i32((yield from _rmw(m, site, p, lambda old: _i32(old + 1))) + 1)


def atomic_dec_return(m, site, p):
    return _i32((yield from _rmw(m, site, p, lambda old: _i32(old - 1))) - 1)


def atomic_dec_and_test(m, site, p):
    return 1 if (yield from atomic_dec_return(m, site, p)) == 0 else 0


def refcount_set(m, site, p, v):
    return (yield from atomic_set(m, site, p, v))


def refcount_inc(m, site, p):
    old = yield from _rmw(m, site, p, lambda old: _i32(old + 1))
    if old == 0:
        m.finding("refcount", site, "refcount_t: increment on 0; use-after-free")
    return None


def refcount_inc_not_zero(m, site, p):
    old = yield from _rmw(m, site, p, lambda old: old + 1 if old else old)
    return 1 if old else 0


def refcount_dec_and_test(m, site, p):
    old = yield from _rmw(m, site, p, lambda old: old - 1)
    if old <= 0:
        m.finding("refcount", site, "refcount_t: underflow; use-after-free")
    return 1 if old == 1 else 0


# ----------------------------------------------------------------- bitops


def _bitop(change, returns: bool, ordered: bool):
    def op(m, site, nr, addr):
        old = yield from _rmw(m, site, addr, lambda v: C.ULONG.wrap(change(v, 1 << nr)), ordered=ordered)
        return (1 if old & (1 << nr) else 0) if returns else None

    return op


def test_bit(m, site, nr, addr):
    value = yield from _read(m, site, addr)
    return 1 if value & (1 << nr) else 0


def _plain_bitop(change):
    """__set_bit and friends: not atomic, a plain read and write."""
    def op(m, site, nr, addr):
        obj, key = _field(addr, site)
        yield from m.access(obj, key, False, site)
        old = obj.fields[key]
        yield from m.access(obj, key, True, site)
        obj.fields[key] = C.ULONG.wrap(change(old, 1 << nr))
        return None

    return op


# ------------------------------------------------------------------ lists


# RCU publishes with a release store (rcu_assign_pointer) and readers load
# with rcu_dereference, ordered after it: what the writer did before
# publishing happens before what the reader does through the pointer.
PUBLISH = {"atomic": True, "order": "release"}  # rcu_assign_pointer
ONCE = {"atomic": True, "order": "relaxed"}  # WRITE_ONCE / READ_ONCE
SUBSCRIBE = {"atomic": True, "order": "acquire"}  # rcu_dereference


def INIT_LIST_HEAD(m, site, head):
    h = _obj(head, site)
    yield from m.access(h, "next", True, site, True)
    h.fields["next"] = Ptr(h)
    h.fields["prev"] = Ptr(h)
    return None


def _link(m, site, new: Obj, prev: Obj, nxt: Obj, publish: bool):
    yield from m.access(nxt, "prev", True, site)
    nxt.fields["prev"] = Ptr(new)
    new.fields["next"] = Ptr(nxt)
    new.fields["prev"] = Ptr(prev)
    # __list_add stores prev->next with WRITE_ONCE (list_empty reads it with
    # READ_ONCE, unlocked); the RCU form with rcu_assign_pointer, a release
    yield from m.access(prev, "next", True, site, **(PUBLISH if publish else ONCE))
    prev.fields["next"] = Ptr(new)


def _list_add(tail: bool, rcu: bool):
    """list_add (after the head), list_add_tail (before it), and the RCU form."""
    def op(m, site, new, head):
        h = _obj(head, site)
        side = "prev" if tail else "next"
        yield from m.access(h, side, False, site)
        other = h.fields[side].obj
        yield from _link(m, site, _obj(new, site), other if tail else h, h if tail else other, rcu)
        return None

    return op


list_add, list_add_tail, list_add_tail_rcu = _list_add(False, False), _list_add(True, False), _list_add(True, True)


def list_del(m, site, entry, *, init: bool = False, rcu: bool = False):
    e = _obj(entry, site)
    prev, nxt = e.fields["prev"], e.fields["next"]
    if prev is None or nxt is None:
        raise CFault("list_del of an entry not on a list", e.label, site)
    yield from m.access(nxt.obj, "prev", True, site)
    nxt.obj.fields["prev"] = prev
    yield from m.access(prev.obj, "next", True, site, **(PUBLISH if rcu else ONCE))  # WRITE_ONCE
    prev.obj.fields["next"] = nxt
    if init:
        e.fields["next"] = e.fields["prev"] = Ptr(e)
    elif not rcu:
        e.fields["next"] = e.fields["prev"] = None  # LIST_POISON: a later walk faults
    return None


def list_del_init(m, site, entry):
    return (yield from list_del(m, site, entry, init=True))


def list_del_rcu(m, site, entry):
    return (yield from list_del(m, site, entry, rcu=True))


def list_empty(m, site, head):
    h = _obj(head, site)
    yield from m.access(h, "next", False, site, True)  # READ_ONCE
    return 1 if h.fields["next"] == Ptr(h) else 0


def list_for_each_entry(m, site, argv, types, *, rcu: bool = False):
    """list_for_each_entry(pos, head, member): each container of the
    list's nodes; next is read after the body ran (the _safe form reads it
    before)."""
    head, member = argv[1], argv[2]
    h = _obj(head, site)
    st = types[0].to if isinstance(types[0], C.PointerType) else None
    if not isinstance(st, C.StructType):
        raise CFault("iterator position of unknown type", str(types[0]), site)
    yield from m.access(h, "next", False, site, **(SUBSCRIBE if rcu else {}))
    node = h.fields["next"]
    while node is not None and node.obj is not h:
        pos = container_of(node, st, member, site)
        yield Item(pos)
        cur = pos.obj.fields[member]
        yield from m.access(cur, "next", False, site, **(SUBSCRIBE if rcu else {}))
        node = cur.fields["next"]


def list_for_each_entry_rcu(m, site, argv, types):
    return (yield from list_for_each_entry(m, site, argv, types, rcu=True))


def list_for_each_entry_safe(m, site, argv, types):
    head, member = argv[2], argv[3]
    h = _obj(head, site)
    st = types[0].to if isinstance(types[0], C.PointerType) else None
    yield from m.access(h, "next", False, site)
    node = h.fields["next"]
    while node is not None and node.obj is not h:
        pos = container_of(node, st, member, site)
        nxt = pos.obj.fields[member].fields["next"]
        yield Item(pos)
        node = nxt


# ----------------------------------------------------------- RCU, memory


def rcu_read_lock(m, site):
    m.state.setdefault("rcu", []).append(site)
    return None
    yield  # noqa


def rcu_read_unlock(m, site):
    sections = m.state.setdefault("rcu", [])
    if sections:
        sections.pop()
    if not sections:  # a grace period has passed: the kfree_rcu'd objects go
        for p, at in m.state.pop("rcu_frees", []):
            yield from kfree(m, at, p)
    return None


def kzalloc(m, site, size, *_):
    if not isinstance(size, SizeOf):
        raise CFault("allocation of an untyped size", str(size), site)
    obj = m.heap.new(size.ctype)
    if size.flex and isinstance(size.ctype, C.StructType) and size.ctype.members:
        name, t = size.ctype.members[-1]
        if isinstance(t, C.ArrayType) and t.length is None:  # the flexible array member, n elements
            arr = make(C.ArrayType(t.of, size.flex), f"{obj.label}.{name}", True, (obj, name))
            obj.fields[name] = arr
    return Ptr(obj)
    yield  # noqa


def kcalloc(m, site, n, size, *_):
    """An array of n zeroed elements of the sized type."""
    if not isinstance(size, SizeOf):
        raise CFault("allocation of an untyped size", str(size), site)
    return Ptr(m.heap.new(C.ArrayType(size.ctype, n)))
    yield  # noqa


def for_each_node(m, site, argv, types):
    """One NUMA node, node 0."""
    yield Item(0)


def kfree(m, site, p, *_):
    if p is None:
        return None
    obj = root(_obj(p, site))
    if obj.freed:
        m.finding("double free", site, obj.label)
    poison(obj, site)
    return None
    yield  # noqa


def kfree_rcu(m, site, p, member=None):
    """Freed after a grace period: readers inside rcu_read_lock() may still
    look. While any task is inside a read section the free waits (until
    the last section ends: a longer grace period than the kernel's, which
    only waits for the sections already open, so no reader the kernel
    allows is taken for a use after free)."""
    if p is not None and m.state.get("rcu"):
        m.state.setdefault("rcu_frees", []).append((p, site))
        return None
    return (yield from kfree(m, site, p))


def _nothing(m, site, *args):
    return None
    yield  # noqa


def _returns(value):
    def fn(m, site, *args):
        return value
        yield  # noqa

    return fn


# ------------------------------------------------------ tasks, scheduling


class TaskExit(Exception):
    """do_exit(): the task ends here."""


class ErrPtr:
    """ERR_PTR(-E): an error where a pointer was expected."""

    __slots__ = ("code",)

    def __init__(self, code: int) -> None:
        self.code = code

    def __repr__(self) -> str:
        return f"ERR_PTR({self.code})"


def task_info(m: Machine, task: Obj) -> dict:
    """What the runtime keeps of a task beside its task_struct: queued task
    work, signals, its engine task, what it is blocked in, what it was
    created for (create_io_thread's argument)."""
    return m.state.setdefault("task_info", {}).setdefault(task.label, {
        "works": [], "notify": False, "state": 0, "engine": None, "fatal": False})


def new_task(m: Machine, name: str) -> Obj:
    """A task_struct for a task the scenario or the runtime starts."""
    task = m.heap.new(m.program.struct("task_struct"), label=f"task:{name}")
    task.fields["pid"] = 100 + len(m.tasks)
    return task


def start(m: Machine, task: Obj, body, name: str, parent=None):
    """Run body as the engine task of task_struct task; do_exit ends it,
    and a task that ends holding a spinlock is a finding."""
    def wrapped():
        try:
            yield from body
        except TaskExit:
            pass
        except CFault as fault:  # the kernel would oops: this task ends, the run goes on
            m.finding("oops", fault.site, f"{fault.kind}: {fault.detail} in task {name}")
        m.state.setdefault("ended", []).append((name, m.engine.now))
        task_info(m, task)["exited"] = True  # exit_task_work(): task_work_add to it fails from now on
        held = m.held.get(task.label, [])
        if held:
            m.finding("lock held at exit", name, ", ".join(held))

    engine_task = m.engine.spawn(wrapped(), name, parent=parent)
    m.tasks[engine_task.tid] = task
    task_info(m, task)["engine"] = engine_task
    return engine_task


def create_io_thread(m, site, fn, arg, node):
    """A new task that runs fn(arg) once wake_up_new_task() lets it go."""
    if not isinstance(fn, FuncRef):
        raise CFault("create_io_thread of a non-function", repr(fn), site)
    fail = m.state.get("create_fails", 0)
    if fail:
        m.state["create_fails"] = fail - 1
        # the scenario asked for a failure: -EAGAIN (copy_process hit
        # RLIMIT_NPROC; the caller may retry) unless it named another errno
        return ErrPtr(m.state.get("create_errno", -11))
    created = m.state.setdefault("created", [])  # (name, time) of every thread, in order
    name = f"{m.runtime.thread_name}-{len(created) + 1}"
    created.append((name, m.engine.now))
    task = new_task(m, name)
    task.fields["flags"] |= PF_IO_WORKER  # create_io_thread: CLONE_IO thread, PF_IO_WORKER set by copy_process

    def body():
        yield Park(None, site)  # until wake_up_new_task
        yield from m.call(fn.name, [arg], site)

    parent = m.engine.current
    task_info(m, task)["pending_start"] = (body(), name, parent)
    task_info(m, task)["arg"] = arg  # what the thread was created for (the argument of its function)
    return Ptr(task)
    yield  # noqa


def wake_up_new_task(m, site, tsk):
    task = _obj(tsk, site)
    info = task_info(m, task)
    pending = info.pop("pending_start", None)
    if pending is None:
        return None
    body, name, parent = pending
    engine_task = start(m, task, body, name, parent)
    yield Wake(engine_task, site)
    return None


def wake_up_process(m, site, tsk):
    if tsk is None:
        return 0
    info = task_info(m, _obj(tsk, site))
    if info["engine"] is None:
        return 0
    info["state"] = 0
    yield Wake(info["engine"], site)
    return 1


def set_current_state(m, site, state):
    task_info(m, m.current())["state"] = state
    return None
    yield  # noqa


__set_current_state = set_current_state  # the barrier is of no concern to the engine


def _no_spinlock_held(m: Machine, task: Obj | None, site: str) -> None:
    """Sleeping with a spinlock held is a bug ("scheduling while atomic")."""
    held = m.held.get(task.label, []) if task is not None else []
    if held:
        m.finding("sleeps holding a spinlock", site, ", ".join(held))


def block(m, site, op, where: str):
    """The current task blocks on op (a Park or Sleep): for an io worker
    (PF_IO_WORKER) the scheduler calls the runtime's hooks around it, as
    sched_submit_work() / sched_update_worker() call io-wq's
    io_wq_worker_sleeping() / io_wq_worker_running() around every sleep
    of such a task, whatever it waits for. `where` is what the task is
    blocked in, kept while it is (invariants that need a quiet pool read
    it). Returns what the engine resumes it with."""
    task = m.current()
    info = task_info(m, task)
    rt = m.runtime
    worker = task is not None and task.fields.get("flags", 0) & PF_IO_WORKER
    if worker and rt.sched_out and rt.sched_out in m.program.functions:
        yield from m.call(rt.sched_out, [Ptr(task)], site)
    info["blocked_in"] = where
    try:
        resumed = yield op
    finally:
        info["blocked_in"] = None
    if worker and rt.sched_in and rt.sched_in in m.program.functions:
        yield from m.call(rt.sched_in, [Ptr(task)], site)
    return resumed


def schedule_timeout(m, site, timeout):
    """Block until woken or until timeout jiffies pass (1 jiffy = 1 ms of
    virtual time), the scheduler's hooks around it. A wake that came after
    set_current_state() is not lost: Park returns at once (the engine's
    pending wake), as try_to_wake_up() leaves the task TASK_RUNNING."""
    task = m.current()
    info = task_info(m, task)
    _no_spinlock_held(m, task, site)
    if info["state"] == 0 and not info["notify"]:
        return timeout  # TASK_RUNNING: schedule() returns at once
    start_time = m.engine.now
    woken = yield from block(m, site, Park(None if timeout is None or timeout >= 1 << 60 else timeout / 1000.0,
                                            site), "schedule_timeout")
    info["state"] = 0
    if not woken:
        return 0
    left = timeout - int((m.engine.now - start_time) * 1000)
    return max(left, 1)


def signal_pending(m, site, tsk):
    info = task_info(m, _obj(tsk, site))
    return 1 if info["notify"] or info["fatal"] else 0
    yield  # noqa


def fatal_signal_pending(m, site, tsk):
    return 1 if task_info(m, _obj(tsk, site))["fatal"] else 0
    yield  # noqa


def get_signal(m, site, ksig):
    """TIF_NOTIFY_SIGNAL is no signal: task work runs, get_signal() says
    none (0) unless the task was killed."""
    info = task_info(m, m.current())
    info["notify"] = False
    yield from task_work_run(m, site)
    return 1 if info["fatal"] else 0


def do_exit(m, site, code):
    raise TaskExit()
    yield  # noqa


# ------------------------------------------------------------- task_work


def init_task_work(m, site, cb, fn):
    obj = _obj(cb, site)
    obj.fields["func"] = fn
    return None
    yield  # noqa


def task_work_add(m, site, tsk, cb, mode):
    task = _obj(tsk, site)
    info = task_info(m, task)
    if info.get("exited"):
        return -3  # -ESRCH
    # task_work_add publishes with a cmpxchg on task->task_works, which
    # task_work_run takes with an xchg: what the adder did before happens
    # before the callback runs
    yield from m.access(task, "task_works", True, site, True, "acq_rel")
    if any(queued.obj is _obj(cb, site) for queued in info["works"]):
        # the list is singly linked through cb->next: the callback_head
        # queued twice points at itself, and task_work_run loops or loses work
        m.finding("task_works corruption", site, f"{_obj(cb, site).label} queued again while still queued")
    info["works"].append(cb)
    if mode in (2, 3):  # TWA_SIGNAL: the task is told at once
        info["notify"] = True
        if info["engine"] is not None:
            yield Wake(info["engine"], site)
    return 0


def task_work_cancel_match(m, site, tsk, match, data):
    task = _obj(tsk, site)
    info = task_info(m, task)
    yield from m.access(task, "task_works", True, site, True, "acq_rel")
    for cb in list(info["works"]):
        if (yield from m.call(match.name, [cb, data], site)):
            info["works"].remove(cb)
            return cb
    return None


def task_work_run(m, site):
    """The current task's queued callbacks, oldest first; returns how many ran."""
    task = m.current()
    info = task_info(m, task)
    n = 0
    while info["works"]:
        yield from m.access(task, "task_works", True, site, True, "acq_rel")
        cb = info["works"].pop(0)
        fn = cb.obj.fields.get("func")
        if not isinstance(fn, FuncRef):
            raise CFault("task work without a function", repr(cb), site)
        yield from m.call(fn.name, [cb], site)
        n += 1
    return n


# ------------------------------------------------------------ completions


def init_completion(m, site, c):
    obj = _obj(c, site)
    obj.fields["done"] = 0
    m.state.setdefault("waiters", {})[obj.label] = []
    return None
    yield  # noqa


def complete(m, site, c):
    obj = _obj(c, site)
    # complete() and a wait_for_completion() that returns take the
    # completion's wait lock: what the completer did before happens before
    # the waiter goes on, whether or not the waiter slept
    yield from m.access(obj, "done", True, site, True, "release")
    obj.fields["done"] += 1
    for waiter in m.state.setdefault("waiters", {}).pop(obj.label, []):
        yield Wake(waiter, site)
    return None


def wait_for_completion(m, site, c, timeout=None):
    """Registered as a waiter before done is checked (in the same step),
    so a complete() in between wakes it: no lost wake-up."""
    obj = _obj(c, site)
    _no_spinlock_held(m, m.current(), site)
    while True:
        me = m.engine.current
        yield from m.access(obj, "done", False, site, True, "acquire")
        if obj.fields["done"]:
            obj.fields["done"] -= 1
            return 1
        m.state.setdefault("waiters", {}).setdefault(obj.label, []).append(me)
        woken = yield from block(m, site, Park(None if timeout is None else timeout / 1000.0, site),
                                 "wait_for_completion")
        if timeout is not None and not woken:
            return 0


def wait_for_completion_timeout(m, site, c, timeout):
    return (yield from wait_for_completion(m, site, c, timeout))


# ------------------------------------------------------------ wait queues


def __add_wait_queue(m, site, head, entry):
    return (yield from list_add(m, site, Ptr(_obj(entry, site).fields["entry"]), Ptr(_obj(head, site).fields["head"])))


def wq_has_sleeper(m, site, head):
    return 1 - (yield from list_empty(m, site, Ptr(_obj(head, site).fields["head"])))


def wake_up(m, site, head):
    """Each entry's wake function, as __wake_up_common calls it."""
    h = _obj(head, site).fields["head"]
    yield from spin_lock(m, site, Ptr(_obj(head, site).fields["lock"]))
    node = h.fields["next"]
    entries = []
    while node is not None and node.obj is not h:
        entries.append(node.obj.parent[0])
        node = node.obj.fields["next"]
    for entry in entries:
        fn = entry.fields.get("func")
        if isinstance(fn, FuncRef):
            yield from m.call(fn.name, [Ptr(entry), 0, 0, None], site)
    yield from spin_unlock(m, site, Ptr(_obj(head, site).fields["lock"]))
    return None


# ------------------------------------------------------------- hlist_nulls


def INIT_HLIST_NULLS_HEAD(m, site, head, nulls):
    _obj(head, site).fields["first"] = None  # the nulls marker: an end no walk reads past
    return None
    yield  # noqa


def hlist_nulls_add_head_rcu(m, site, node, head):
    n, h = _obj(node, site), _obj(head, site)
    first = h.fields["first"]
    n.fields["next"] = first
    n.fields["pprev"] = Ptr(h, "first")
    if first is not None:
        first.obj.fields["pprev"] = Ptr(n, "next")
    yield from m.access(h, "first", True, site, **PUBLISH)
    h.fields["first"] = Ptr(n)
    return None


LIST_POISON2 = "LIST_POISON2"  # what hlist_nulls_del_rcu leaves in pprev: deleting again faults


def hlist_nulls_del_rcu(m, site, node, init: bool = False):
    """Unlink node; the _init form leaves it unhashed (pprev NULL: deleting
    it again does nothing), the plain form poisons pprev (readers may
    still walk on through next; a second delete is a kernel oops)."""
    n = _obj(node, site)
    pprev = n.fields["pprev"]
    if pprev == LIST_POISON2:
        raise CFault("hlist_nulls_del_rcu of an entry already deleted", n.label, site)
    if pprev is None:
        return None  # not hashed
    nxt = n.fields["next"]
    yield from m.access(pprev.obj, pprev.key, True, site, **PUBLISH)
    pprev.obj.fields[pprev.key] = nxt
    if nxt is not None:
        nxt.obj.fields["pprev"] = pprev
    n.fields["pprev"] = None if init else LIST_POISON2
    return None


def hlist_nulls_del_init_rcu(m, site, node):
    return (yield from hlist_nulls_del_rcu(m, site, node, init=True))


def is_a_nulls(m, site, p):
    """The end of an hlist_nulls chain (the runtime's marker is NULL)."""
    return 1 if p is None else 0
    yield  # noqa


def set_notify_signal(m, site, tsk):
    """TIF_NOTIFY_SIGNAL, and the task woken from an interruptible sleep
    (__set_notify_signal does that too; set_notify_signal adds an IPI)."""
    info = task_info(m, _obj(tsk, site))
    info["notify"] = True
    if info["engine"] is not None:
        yield Wake(info["engine"], site)
    return None


__set_notify_signal = set_notify_signal


def hlist_nulls_empty(m, site, head):
    h = _obj(head, site)
    yield from m.access(h, "first", False, site, True)
    return 1 if h.fields["first"] is None else 0


TIF_NOTIFY_SIGNAL = 17  # the value TYPES gives it


def test_thread_flag(m, site, flag):
    """TIF_NOTIFY_SIGNAL (task work pending) is the one flag kept."""
    if flag != TIF_NOTIFY_SIGNAL:
        raise CannotExecute.at(f"test_thread_flag({flag})", m.program.name, site)
    return 1 if task_info(m, m.current())["notify"] else 0
    yield  # noqa


def clear_notify_signal(m, site, *args):
    task_info(m, m.current())["notify"] = False
    return None
    yield  # noqa


def hlist_nulls_first_rcu(m, site, head):
    h = _obj(head, site)
    yield from m.access(h, "first", False, site, **SUBSCRIBE)
    first = h.fields["first"]
    return first


def hlist_nulls_for_each_entry_rcu(m, site, argv, types):
    """hlist_nulls_for_each_entry_rcu(pos, tmp, head, member)."""
    head, member = argv[2], argv[3]
    h = _obj(head, site)
    st = types[0].to if isinstance(types[0], C.PointerType) else None
    yield from m.access(h, "first", False, site, **SUBSCRIBE)
    node = h.fields["first"]
    while node is not None:
        pos = container_of(node, st, member, site)
        yield Item(pos, node)
        yield from m.access(node.obj, "next", False, site, **SUBSCRIBE)
        node = node.obj.fields["next"]


# --------------------------------------------------------------- workqueue


def INIT_DELAYED_WORK(m, site, dwork, fn):
    _obj(dwork, site).fields["work"].fields["func"] = fn
    return None
    yield  # noqa


def schedule_delayed_work(m, site, dwork, delay):
    """A kworker runs the work's function after delay jiffies."""
    w = _obj(dwork, site).fields["work"]
    fn = w.fields.get("func")
    task = new_task(m, f"kworker-{len(m.tasks)}")

    def body():
        yield Sleep(delay / 1000.0)
        yield from m.call(fn.name, [Ptr(w)], site)

    start(m, task, body(), "kworker", parent=m.engine.current)
    return 1
    yield  # noqa


def task_work_pending(m, site, tsk):
    return 1 if task_info(m, _obj(tsk, site))["works"] else 0
    yield  # noqa


def INIT_WORK(m, site, work, fn):
    _obj(work, site).fields["func"] = fn
    return None
    yield  # noqa


def schedule_work(m, site, work):
    """A kworker runs work->func(work), now."""
    w = _obj(work, site)
    fn = w.fields.get("func")
    task = new_task(m, f"kworker-{len(m.tasks)}")

    def body():
        yield from m.call(fn.name, [Ptr(w)], site)

    start(m, task, body(), "kworker", parent=m.engine.current)
    return 1
    yield  # noqa


# ------------------------------------------------------------------- misc


def IS_ERR(m, site, p):
    return 1 if isinstance(p, ErrPtr) else 0
    yield  # noqa


def PTR_ERR(m, site, p):
    return p.code if isinstance(p, ErrPtr) else 0
    yield  # noqa


def ERR_PTR(m, site, code):
    return ErrPtr(code)
    yield  # noqa


def atomic_or(m, site, v, p):
    yield from _rmw(m, site, p, lambda old: _i32(old | v), ordered=False)
    return None


def set_mask_bits(m, site, p, mask, bits):
    old = yield from _rmw(m, site, p, lambda old: C.ULONG.wrap((old & ~mask) | bits))
    return old


def hash_ptr(m, site, value, bits):
    """A deterministic hash of the object pointed at (its label)."""
    import zlib

    label = value.obj.label if isinstance(value, Ptr) else repr(value)
    return zlib.crc32(label.encode()) & ((1 << bits) - 1)
    yield  # noqa


def task_rlimit(m, site, task, which):
    return m.state.get("rlimit_nproc", 1024)
    yield  # noqa


def pr_warn_once(m, site, *args):
    if f"pr_warn_once@{site}" not in m.warned:  # once per call site, as the kernel prints it
        m.warned.add(f"pr_warn_once@{site}")
        m.finding("pr_warn_once", site, str(args[0]) if args else "")
    return None
    yield  # noqa


def msecs_to_jiffies(m, site, ms):
    return ms  # HZ = 1000
    yield  # noqa


def time_after(m, site, a, b):
    return 1 if C.LONG.wrap(b - a) < 0 else 0
    yield  # noqa


def time_before(m, site, a, b):
    return 1 if C.LONG.wrap(a - b) < 0 else 0
    yield  # noqa


def get_task_struct(m, site, t):
    return t
    yield  # noqa


def runtime() -> Runtime:
    functions = {
        "raw_spin_lock": spin_lock, "raw_spin_unlock": spin_unlock, "raw_spin_lock_irq": spin_lock,
        "raw_spin_unlock_irq": spin_unlock, "spin_lock": spin_lock, "spin_unlock": spin_unlock,
        "spin_lock_irq": spin_lock, "spin_unlock_irq": spin_unlock, "raw_spin_lock_irqsave": spin_lock,
        "raw_spin_unlock_irqrestore": spin_unlock, "spin_lock_irqsave": spin_lock,
        "spin_unlock_irqrestore": spin_unlock, "raw_spin_trylock": spin_trylock,
        "raw_spin_lock_init": _nothing, "spin_lock_init": _nothing,
        "atomic_read": atomic_read, "atomic_set": atomic_set, "atomic_inc": atomic_inc, "atomic_dec": atomic_dec,
        "atomic_add": atomic_add, "atomic_sub": atomic_sub, "atomic_inc_return": atomic_inc_return,
        "atomic_dec_return": atomic_dec_return, "atomic_dec_and_test": atomic_dec_and_test,
        "refcount_set": refcount_set, "refcount_inc": refcount_inc, "refcount_inc_not_zero": refcount_inc_not_zero,
        "refcount_dec_and_test": refcount_dec_and_test,
        "set_bit": _bitop(lambda v, b: v | b, False, False), "clear_bit": _bitop(lambda v, b: v & ~b, False, False),
        "test_and_set_bit": _bitop(lambda v, b: v | b, True, True),
        "test_and_clear_bit": _bitop(lambda v, b: v & ~b, True, True), "test_bit": test_bit,
        "__set_bit": _plain_bitop(lambda v, b: v | b), "__clear_bit": _plain_bitop(lambda v, b: v & ~b),
        "INIT_LIST_HEAD": INIT_LIST_HEAD, "list_add": list_add, "list_add_tail": list_add_tail,
        "list_add_tail_rcu": list_add_tail_rcu, "list_del": list_del, "list_del_init": list_del_init,
        "list_del_rcu": list_del_rcu, "list_empty": list_empty,
        "rcu_read_lock": rcu_read_lock, "rcu_read_unlock": rcu_read_unlock,
        "kzalloc": kzalloc, "kmalloc": kzalloc, "kzalloc_node": kzalloc, "kfree": kfree, "kfree_rcu": kfree_rcu,
    }
    iterators = {"list_for_each_entry": list_for_each_entry, "list_for_each_entry_rcu": list_for_each_entry_rcu,
                 "list_for_each_entry_safe": list_for_each_entry_safe}
    functions.update({
        "create_io_thread": create_io_thread, "wake_up_new_task": wake_up_new_task,
        "wake_up_process": wake_up_process, "set_current_state": set_current_state,
        "__set_current_state": __set_current_state, "schedule_timeout": schedule_timeout,
        "signal_pending": signal_pending, "fatal_signal_pending": fatal_signal_pending,
        "__set_notify_signal": __set_notify_signal, "get_signal": get_signal, "do_exit": do_exit,
        "init_task_work": init_task_work, "task_work_add": task_work_add,
        "task_work_cancel_match": task_work_cancel_match, "task_work_run": task_work_run,
        "init_completion": init_completion, "complete": complete, "wait_for_completion": wait_for_completion,
        "wait_for_completion_timeout": wait_for_completion_timeout,
        "__add_wait_queue": __add_wait_queue, "wq_has_sleeper": wq_has_sleeper, "wake_up": wake_up,
        "INIT_HLIST_NULLS_HEAD": INIT_HLIST_NULLS_HEAD, "hlist_nulls_add_head_rcu": hlist_nulls_add_head_rcu,
        "hlist_nulls_del_rcu": hlist_nulls_del_rcu, "hlist_nulls_first_rcu": hlist_nulls_first_rcu,
        "is_a_nulls": is_a_nulls, "set_notify_signal": set_notify_signal, "hlist_nulls_empty": hlist_nulls_empty,
        "test_thread_flag": test_thread_flag, "clear_notify_signal": clear_notify_signal,
        "tracehook_notify_signal": clear_notify_signal, "audit_alloc_kernel": _returns(0),
        "audit_free": _nothing, "hlist_nulls_del_init_rcu": hlist_nulls_del_init_rcu,
        "INIT_WORK": INIT_WORK, "schedule_work": schedule_work, "INIT_DELAYED_WORK": INIT_DELAYED_WORK,
        "schedule_delayed_work": schedule_delayed_work, "task_work_pending": task_work_pending,
        "IS_ERR": IS_ERR, "PTR_ERR": PTR_ERR, "ERR_PTR": ERR_PTR, "atomic_or": atomic_or,
        "set_mask_bits": set_mask_bits, "hash_ptr": hash_ptr, "task_rlimit": task_rlimit,
        "pr_warn_once": pr_warn_once, "get_task_struct": get_task_struct, "put_task_struct": _nothing,
        "clear_bit_unlock": _bitop(lambda v, b: v & ~b, False, True),
        "test_and_set_bit_lock": _bitop(lambda v, b: v | b, True, True),
        # one CPU, every CPU allowed: affinity is not what the scenarios look at
        "alloc_cpumask_var": _returns(1), "free_cpumask_var": _nothing, "cpuset_cpus_allowed": _nothing,
        "cpumask_test_cpu": _returns(1), "cpumask_set_cpu": _nothing, "cpumask_clear_cpu": _nothing,
        "cpumask_copy": _nothing, "cpumask_subset": _returns(1), "raw_smp_processor_id": _returns(0),
        "set_cpus_allowed_ptr": _returns(0), "cpuhp_state_add_instance_nocalls": _returns(0),
        "cpuhp_state_remove_instance_nocalls": _returns(0), "cpuhp_setup_state_multi": _returns(0),
        "snprintf": _returns(0), "set_task_comm": _nothing, "cond_resched": _nothing,
        "preempt_disable": _nothing, "preempt_enable": _nothing, "BUILD_BUG_ON": _nothing,
        "numa_node_id": _returns(0), "node_online": _returns(1), "kcalloc": kcalloc,
        "msecs_to_jiffies": msecs_to_jiffies, "time_after": time_after, "time_before": time_before,
        "cpumask_of_node": _returns(None), "alloc_cpumask_var_node": _returns(1),
        "cpumask_of": _returns(None),
    })
    iterators["for_each_node"] = for_each_node
    iterators["for_each_online_node"] = for_each_node
    iterators["hlist_nulls_for_each_entry_rcu"] = hlist_nulls_for_each_entry_rcu
    values = {"GFP_KERNEL": lambda m: 0, "GFP_ATOMIC": lambda m: 0,
              "current": lambda m: Ptr(m.current()) if m.current() is not None else None,
              "jiffies": lambda m: int(m.engine.now * 1000) if m.engine is not None else 0,
              "nr_node_ids": lambda m: 1, "cpu_online_mask": lambda m: None,
              "cpu_possible_mask": lambda m: None, "sysctl_hung_task_timeout_secs": lambda m: 120}
    return Runtime(functions, iterators, values)
