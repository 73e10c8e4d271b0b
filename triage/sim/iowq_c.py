"""What io-wq.c includes from io_uring's own headers (io-wq.h, slist.h),
written as C for the interpreter when the real headers are not given: the
work item, hash and setup-data types, the work flags, and the singly
linked work list helpers with their READ_ONCE/WRITE_ONCE.

io-wq knowledge, so it lives here and not in triage/cexec. The variant is
read off the file itself: since 6.10 `work->flags` is an atomic_t
(`atomic_read(&work->flags)`), before it a plain unsigned int.
"""

from __future__ import annotations

from triage.cexec import kernel
from triage.cexec.compile import Item, container_of
from triage.cexec.errors import CFault
from triage.cexec.machine import Runtime
from triage.cexec.memory import Ptr

_COMMON = """
enum {
	IO_WQ_WORK_CANCEL	= 1,
	IO_WQ_WORK_HASHED	= 2,
	IO_WQ_WORK_UNBOUND	= 4,
	IO_WQ_WORK_CONCURRENT	= 16,
	IO_WQ_HASH_SHIFT	= 24,
	IO_URING_EXIT_WAIT_MAX	= 5 * 60 * 1000,	/* io_uring.h: HZ * 60 * 5 at HZ = 1000 */
};
enum { IO_WQ_BOUND, IO_WQ_UNBOUND };
enum io_wq_cancel {
	IO_WQ_CANCEL_OK,
	IO_WQ_CANCEL_RUNNING,
	IO_WQ_CANCEL_NOTFOUND,
};
struct io_wq_work_node { struct io_wq_work_node *next; };
struct io_wq_work_list { struct io_wq_work_node *first; struct io_wq_work_node *last; };
struct io_wq_hash { refcount_t refs; unsigned long map; struct wait_queue_head wait; };
struct io_uring_task { struct io_wq *io_wq; };
struct user_struct { atomic_t processes; };
typedef struct io_wq_work *(free_work_fn)(struct io_wq_work *);
typedef void (io_wq_work_fn)(struct io_wq_work *);
struct io_wq_data {
	struct io_wq_hash *hash;
	struct task_struct *task;
	io_wq_work_fn *do_work;
	free_work_fn *free_work;
};

static inline void wq_list_add_after(struct io_wq_work_node *node, struct io_wq_work_node *pos,
				     struct io_wq_work_list *list)
{
	struct io_wq_work_node *next = pos->next;

	pos->next = node;
	node->next = next;
	if (!next)
		list->last = node;
}

static inline void wq_list_add_tail(struct io_wq_work_node *node, struct io_wq_work_list *list)
{
	node->next = NULL;
	if (!list->first) {
		list->last = node;
		WRITE_ONCE(list->first, node);
	} else {
		list->last->next = node;
		list->last = node;
	}
}

static inline void wq_list_add_head(struct io_wq_work_node *node, struct io_wq_work_list *list)
{
	node->next = list->first;
	if (!node->next)
		list->last = node;
	WRITE_ONCE(list->first, node);
}

static inline void wq_list_cut(struct io_wq_work_list *list, struct io_wq_work_node *last,
			       struct io_wq_work_node *prev)
{
	if (!prev)
		WRITE_ONCE(list->first, last->next);
	else
		prev->next = last->next;
	if (last == list->last)
		list->last = prev;
	last->next = NULL;
}

static inline void wq_list_del(struct io_wq_work_list *list, struct io_wq_work_node *node,
			       struct io_wq_work_node *prev)
{
	wq_list_cut(list, node, prev);
}

static inline int wq_list_empty(struct io_wq_work_list *list)
{
	return READ_ONCE(list->first) == NULL;
}

static inline void INIT_WQ_LIST(struct io_wq_work_list *list)
{
	list->first = NULL;
	list->last = NULL;
}

static inline struct io_wq_work *wq_next_work(struct io_wq_work *work)
{
	if (!work->list.next)
		return NULL;
	return container_of(work->list.next, struct io_wq_work, list);
}
"""

_WORK_PLAIN = """
struct io_wq_work { struct io_wq_work_node list; unsigned int flags; int cancel_seq; };
static inline unsigned int io_get_work_hash(struct io_wq_work *work)
{
	return work->flags >> IO_WQ_HASH_SHIFT;
}
static inline int io_wq_is_hashed(struct io_wq_work *work)
{
	return work->flags & IO_WQ_WORK_HASHED;
}
"""

_WORK_ATOMIC = """
struct io_wq_work { struct io_wq_work_node list; atomic_t flags; int cancel_seq; };
static inline int __io_wq_is_hashed(unsigned int work_flags)
{
	return work_flags & IO_WQ_WORK_HASHED;
}
static inline unsigned int __io_get_work_hash(unsigned int work_flags)
{
	return work_flags >> IO_WQ_HASH_SHIFT;
}
static inline int io_wq_is_hashed(struct io_wq_work *work)
{
	return atomic_read(&work->flags) & IO_WQ_WORK_HASHED;
}
"""


def header(source: str) -> str:
    """io-wq.h and slist.h as this io-wq.c sees them (a helper the file
    defines itself replaces the header's: the file is read last)."""
    atomic = "atomic_read(&work->flags)" in source or "atomic_or(" in source
    work = _WORK_ATOMIC if atomic else _WORK_PLAIN
    return _COMMON.replace("struct io_wq_data {", work + "\nstruct io_wq_data {")


def wq_list_for_each(m, site, argv, types):
    """`wq_list_for_each(pos, prv, head)`: pos walks the list, prv the node
    before it (NULL at the first)."""
    head = argv[2]
    if head is None:
        raise CFault("NULL pointer dereference", "wq_list_for_each", site)
    lst = head.obj
    yield from m.access(lst, "first", False, site)
    pos, prev = lst.fields["first"], None
    while pos is not None:
        yield Item(pos, prev)
        prev = pos
        yield from m.access(pos.obj, "next", False, site)
        pos = pos.obj.fields["next"]


def io_run_task_work(m, site):
    """io_uring.h: a task with TIF_NOTIFY_SIGNAL clears it and runs its
    task work (the io-wq worker does, between work items)."""
    info = kernel.task_info(m, m.current())
    if not info["works"] and not info["notify"]:
        return 0
    info["notify"] = False
    return 1 if (yield from kernel.task_work_run(m, site)) else 0


def io_wq_current_is_worker(m, site):
    task = m.current()
    return 1 if task is not None and task.fields["flags"] & kernel.PF_IO_WORKER else 0
    yield  # noqa


def io_wq_put_hash(m, site, hash_ptr):
    if hash_ptr is None:
        return None
    yield from kernel.refcount_dec_and_test(m, site, Ptr(hash_ptr.obj.fields["refs"]))
    return None


def runtime(workload=None) -> Runtime:
    """The kernel runtime with io_uring's side: its list iterator, the
    scheduler's worker hooks, task work, and the workload's submit/free
    callbacks (io_wq_submit_work, io_wq_free_work) when given."""
    rt = kernel.runtime()
    rt.iterators["wq_list_for_each"] = wq_list_for_each
    rt.sched_out, rt.sched_in = "io_wq_worker_sleeping", "io_wq_worker_running"
    rt.thread_name = "iou-wrk"  # io_wq_worker's set_task_comm(current, "iou-wrk-%d")
    rt.functions["io_run_task_work"] = io_run_task_work
    rt.functions["io_wq_current_is_worker"] = io_wq_current_is_worker
    rt.functions["io_wq_put_hash"] = io_wq_put_hash
    if workload is not None:
        rt.functions.update(workload)
    return rt


__all__ = ["header", "runtime", "container_of"]
