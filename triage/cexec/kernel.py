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
from triage.cexec.compile import SizeOf, container_of
from triage.cexec.errors import CFault
from triage.cexec.machine import Machine, Runtime
from triage.cexec.memory import Obj, Ptr, root
from triage.sim.engine import Access, Lock, Unlock

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
struct hlist_node;
extern struct task_struct *current;
extern unsigned long jiffies;
"""


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
    if obj.freed:
        m.use_after_free(obj, key, site)
    if obj.shared:
        yield Access(f"{_tag(obj)}.{key}@{obj.label}", True, True, "acq_rel" if ordered else "relaxed", site)
    old = obj.fields[key]
    obj.fields[key] = update(old)
    return old


def _read(m: Machine, site: str, p, atomic: bool = True):
    obj, key = _field(p, site)
    if obj.freed:
        m.use_after_free(obj, key, site)
    if obj.shared:
        yield Access(f"{_tag(obj)}.{key}@{obj.label}", False, atomic, "relaxed", site)
    return obj.fields[key]


def _tag(obj: Obj) -> str:
    t = obj.ctype
    return t.tag if isinstance(t, C.StructType) else "word"


def _i32(v: int) -> int:
    return C.INT.wrap(v)


# ------------------------------------------------------------------ locks


def _held(m: Machine) -> dict[str, list[str]]:
    return m.state.setdefault("held", {})


def spin_lock(m, site, lock, *_):
    name = _obj(lock, site).label
    yield Lock(name, site)
    _held(m).setdefault(m.state.get("task", "?"), []).append(name)
    return None


def spin_unlock(m, site, lock, *_):
    name = _obj(lock, site).label
    yield Unlock(name, site)
    held = _held(m).get(m.state.get("task", "?"), [])
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


def atomic_inc(m, site, p):
    yield from _rmw(m, site, p, lambda old: _i32(old + 1), ordered=False)
    return None


def atomic_dec(m, site, p):
    yield from _rmw(m, site, p, lambda old: _i32(old - 1), ordered=False)
    return None


def atomic_add(m, site, v, p):
    yield from _rmw(m, site, p, lambda old: _i32(old + v), ordered=False)
    return None


def atomic_sub(m, site, v, p):
    yield from _rmw(m, site, p, lambda old: _i32(old - v), ordered=False)
    return None


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
        m.findings.append(("refcount", site, "refcount_t: increment on 0; use-after-free"))
    return None


def refcount_inc_not_zero(m, site, p):
    old = yield from _rmw(m, site, p, lambda old: old + 1 if old else old)
    return 1 if old else 0


def refcount_dec_and_test(m, site, p):
    old = yield from _rmw(m, site, p, lambda old: old - 1)
    if old <= 0:
        m.findings.append(("refcount", site, "refcount_t: underflow; use-after-free"))
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
        if obj.shared:
            yield Access(f"{_tag(obj)}.{key}@{obj.label}", False, False, "relaxed", site)
        old = obj.fields[key]
        if obj.shared:
            yield Access(f"{_tag(obj)}.{key}@{obj.label}", True, False, "relaxed", site)
        obj.fields[key] = C.ULONG.wrap(change(old, 1 << nr))
        return None

    return op


# ------------------------------------------------------------------ lists


def _member_access(m, site, obj: Obj, key: str, write: bool, atomic: bool = False):
    if obj.freed:
        m.use_after_free(obj, key, site)
    if obj.shared:
        yield Access(f"{_tag(obj)}.{key}@{obj.label}", write, atomic, "relaxed", site)


def INIT_LIST_HEAD(m, site, head):
    h = _obj(head, site)
    yield from _member_access(m, site, h, "next", True, True)
    h.fields["next"] = Ptr(h)
    h.fields["prev"] = Ptr(h)
    return None


def _link(m, site, new: Obj, prev: Obj, nxt: Obj, publish: bool):
    yield from _member_access(m, site, nxt, "prev", True)
    nxt.fields["prev"] = Ptr(new)
    new.fields["next"] = Ptr(nxt)
    new.fields["prev"] = Ptr(prev)
    # rcu_assign_pointer: a release store readers may see at once
    yield from _member_access(m, site, prev, "next", True, publish)
    prev.fields["next"] = Ptr(new)


def list_add(m, site, new, head):
    h = _obj(head, site)
    yield from _member_access(m, site, h, "next", False)
    yield from _link(m, site, _obj(new, site), h, h.fields["next"].obj, False)
    return None


def list_add_tail(m, site, new, head):
    h = _obj(head, site)
    yield from _member_access(m, site, h, "prev", False)
    yield from _link(m, site, _obj(new, site), h.fields["prev"].obj, h, False)
    return None


def list_add_tail_rcu(m, site, new, head):
    h = _obj(head, site)
    yield from _member_access(m, site, h, "prev", False)
    yield from _link(m, site, _obj(new, site), h.fields["prev"].obj, h, True)
    return None


def list_del(m, site, entry, *, init: bool = False, rcu: bool = False):
    e = _obj(entry, site)
    prev, nxt = e.fields["prev"], e.fields["next"]
    if prev is None or nxt is None:
        raise CFault("list_del of an entry not on a list", e.label, site)
    yield from _member_access(m, site, nxt.obj, "prev", True)
    nxt.obj.fields["prev"] = prev
    yield from _member_access(m, site, prev.obj, "next", True, rcu)
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
    yield from _member_access(m, site, h, "next", False, True)  # READ_ONCE
    return 1 if h.fields["next"] == Ptr(h) else 0


def list_for_each_entry(m, site, argv, types, store, body, *, rcu: bool = False):
    """list_for_each_entry(pos, head, member): each container of the
    list's nodes in pos, the body run for each; next read after the body
    (the _safe form reads it before)."""
    head, member = argv[1], argv[2]
    h = _obj(head, site)
    st = types[0].to if isinstance(types[0], C.PointerType) else None
    if not isinstance(st, C.StructType):
        raise CFault("iterator position of unknown type", str(types[0]), site)
    yield from _member_access(m, site, h, "next", False, rcu)
    node = h.fields["next"]
    while node is not None and node.obj is not h:
        pos = container_of(node, st, member, site)
        yield from store(0, pos)
        signal = yield from body()
        if signal is not None and signal[0] == "break":
            return None
        if signal is not None and signal[0] != "continue":
            return signal
        cur = pos.obj.fields[member]
        yield from _member_access(m, site, cur, "next", False, rcu)
        node = cur.fields["next"]
    return None


def list_for_each_entry_rcu(m, site, argv, types, store, body):
    return (yield from list_for_each_entry(m, site, argv, types, store, body, rcu=True))


def list_for_each_entry_safe(m, site, argv, types, store, body):
    head, member = argv[2], argv[3]
    h = _obj(head, site)
    st = types[0].to if isinstance(types[0], C.PointerType) else None
    yield from _member_access(m, site, h, "next", False)
    node = h.fields["next"]
    while node is not None and node.obj is not h:
        pos = container_of(node, st, member, site)
        nxt = pos.obj.fields[member].fields["next"]
        yield from store(0, pos)
        signal = yield from body()
        if signal is not None and signal[0] == "break":
            return None
        if signal is not None and signal[0] != "continue":
            return signal
        node = nxt
    return None


# ----------------------------------------------------------- RCU, memory


def rcu_read_lock(m, site):
    m.state.setdefault("rcu", []).append(site)
    return None
    yield  # noqa


def rcu_read_unlock(m, site):
    sections = m.state.setdefault("rcu", [])
    if sections:
        sections.pop()
    return None
    yield  # noqa


def kzalloc(m, site, size, *_):
    if not isinstance(size, SizeOf):
        raise CFault("allocation of an untyped size", str(size), site)
    return Ptr(m.heap.new(size.ctype))
    yield  # noqa


def kfree(m, site, p, *_):
    if p is None:
        return None
    obj = root(_obj(p, site))
    if obj.freed:
        m.findings.append(("double free", site, obj.label))
    obj.freed = True
    obj.freed_at = site
    return None
    yield  # noqa


def kfree_rcu(m, site, p, member=None):
    """Freed after a grace period: readers inside rcu_read_lock() may
    still look (not modelled: freed at once, so a reader after it is a
    finding only when it is outside an RCU section)."""
    return (yield from kfree(m, site, p))


def _nothing(m, site, *args):
    return None
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
    values = {"GFP_KERNEL": lambda m: 0, "HZ": lambda m: 1000, "current": lambda m: m.state.get("current"),
              "jiffies": lambda m: m.state.get("jiffies", 0)}
    return Runtime(functions, iterators, values)
