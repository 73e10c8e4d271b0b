"""The C interpreter (triage/cexec): C semantics on small hand-written
io-wq-shaped fixtures, tasks on the engine with their races, the kernel
runtime's first part, and every real io-wq.c of ../shared/kernel-io-wq
parsed and compiled (running them is the next step of issue 14)."""

from __future__ import annotations

import pytest

from triage.cexec import kernel
from triage.cexec.errors import CannotExecute, CFault
from triage.cexec.machine import Machine
from triage.cexec.memory import Ptr
from triage.cexec.program import Program
from triage.cexec.source import prepare
from triage.diff.csource import parse
from triage.sim import iowq_c
from triage.sim.engine import Engine, RandomStrategy

from .conftest import kernel_versions, need_kernel_iowq

SEMANTICS = r"""
#define LIMIT 3
enum { A_BIT = 0, B_BIT = 4 };
struct counter { unsigned int n; int s; unsigned long flags; };
struct outer { int x; struct counter c; struct counter arr[2]; };

static int add(int a, int b) { return a + b; }

int test_arith(void)
{
	unsigned int u = 0;
	int i = -1;
	u--;
	if (i < 0u)
		return 1;
	if (u != 4294967295u)
		return 2;
	return add(LIMIT, B_BIT) + (int)sizeof(struct counter);
}

int test_loops(int n)
{
	int total = 0, k;
	for (k = 0; k < n; k++) {
		if (k == 2)
			continue;
		if (k == 5)
			break;
		total += k;
	}
	do {
		total++;
	} while (total < 20);
	switch (n) {
	case 1:
		total = 100;
	case 2:
		total += 1;
		break;
	default:
		total = -7;
	}
	if (n > 100)
		goto out;
	total *= 2;
out:
	return total;
}

int test_struct(struct outer *o)
{
	struct counter *c = &o->c;
	struct outer *back = container_of(c, struct outer, c);
	struct counter local = { .s = -2, .n = 7 };
	struct counter *lp = &local;
	o->arr[1].n = 5;
	c->n += o->arr[1].n;
	return back == o && o->c.n == 5 && !(o->x) && READ_ONCE(o->c.s) == 0 && lp->n + lp->s == 5;
}

static int twice(int v) { return v * 2; }
static int thrice(int v) { return v * 3; }

int test_pointers(int which)
{
	int (*fn)(int) = which ? twice : thrice;
	int x = 4;
	int *px = &x;
	*px = fn(*px);
	return x;
}

int test_short_circuit(struct counter *c)
{
	return c && c->n == 0;
}

int test_warn(int v)
{
	WARN_ON_ONCE(v > 1);
	return v;
}

int test_null(struct counter *c)
{
	return c->n;
}
"""


def run(m: Machine, name: str, *args):
    """A function run to its end outside the engine (every Access ignored)."""
    g = m.run(name, *args)
    try:
        while True:
            next(g)
    except StopIteration as stop:
        return stop.value


@pytest.fixture(scope="module")
def semantics():
    return Program(SEMANTICS, "t.c", extra=[kernel.TYPES])


def test_integer_semantics_and_wraps(semantics):
    m = Machine(semantics, kernel.runtime())
    # -1 < 0u is false (both unsigned); u-- from 0 wraps, and the wrap is recorded
    assert run(m, "test_arith") == 3 + 4 + 16
    assert m.wraps == [("test_arith:13", "0 -- wraps to 4294967295")]
    assert ("unsigned wrap", "test_arith:13", "0 -- wraps to 4294967295") in m.findings


def test_control_flow(semantics):
    m = Machine(semantics, kernel.runtime())
    # worked by hand from the C: continue/break, do/while, fallthrough, default, goto
    assert [run(m, "test_loops", n) for n in (1, 2, 3, 7, 101)] == [202, 42, -14, -14, -7]


def test_structs_pointers_and_function_pointers(semantics):
    m = Machine(semantics, kernel.runtime())
    outer = m.heap.new(semantics.structs["outer"])
    assert run(m, "test_struct", Ptr(outer)) == 1
    assert outer.fields["c"].fields["n"] == 5 and outer.fields["arr"].fields[1].fields["n"] == 5
    assert [run(m, "test_pointers", w) for w in (1, 0)] == [8, 12]
    assert run(m, "test_short_circuit", None) == 0  # c is NULL: c->n never read


def test_faults_and_warnings(semantics):
    m = Machine(semantics, kernel.runtime())
    assert run(m, "test_warn", 2) == 2 and run(m, "test_warn", 3) == 3
    line = SEMANTICS.split("\n").index("\tWARN_ON_ONCE(v > 1);") + 1
    assert m.findings == [("WARN_ON", f"test_warn:{line}", "WARN_ON_ONCE hit")]  # once
    with pytest.raises(CFault, match="NULL pointer dereference"):
        run(m, "test_null", None)


def test_what_it_cannot_execute_is_said_never_guessed():
    p = Program("int f(int *a)\n{\n\tasm volatile(\"nop\");\n\treturn 0;\n}\n", "x.c")
    with pytest.raises(CannotExecute) as stop:
        p.function("f")
    assert str(stop.value) == "cannot execute: expression gnu_asm_expression at x.c:3 in f"
    m = Machine(Program("int g(void)\n{\n\treturn undefined_thing(1);\n}\n", "y.c"))
    with pytest.raises(CannotExecute, match=r"cannot execute: call to undefined_thing \(not in the file, not in "
                                            r"the runtime\) at y.c:3 in g"):
        run(m, "g")


POOL = r"""
struct pool {
	raw_spinlock_t lock;
	unsigned int nr;
	unsigned long flags;
	struct list_head all;
};
struct item { int id; struct list_head node; };

void inc_locked(struct pool *p)
{
	raw_spin_lock(&p->lock);
	p->nr++;
	raw_spin_unlock(&p->lock);
}

void inc_plain(struct pool *p)
{
	p->nr++;
}

int add_items(struct pool *p, int n)
{
	int i, sum = 0;
	struct item *it;

	INIT_LIST_HEAD(&p->all);
	for (i = 0; i < n; i++) {
		it = kzalloc(sizeof(*it), GFP_KERNEL);
		it->id = i + 1;
		list_add_tail(&it->node, &p->all);
	}
	list_for_each_entry(it, &p->all, node) {
		if (it->id == 3)
			continue;
		sum += it->id;
	}
	set_bit(1, &p->flags);
	return sum * 10 + test_bit(1, &p->flags);
}

int freed(struct pool *p)
{
	struct item *it = kzalloc(sizeof(*it), GFP_KERNEL);

	kfree(it);
	return it->id;
}
"""


@pytest.fixture(scope="module")
def pool():
    return Program(POOL, "pool.c", extra=[kernel.TYPES])


@pytest.mark.parametrize("function, races", [("inc_locked", []), ("inc_plain", [
    "data-race on pool.nr@pool#1: write to pool.nr@pool#1 by task t1 in inc_plain:19 / read to pool.nr@pool#1 by "
    "task t2 in inc_plain:19",
    "data-race on pool.nr@pool#1: write to pool.nr@pool#1 by task t1 in inc_plain:19 / write to pool.nr@pool#1 by "
    "task t2 in inc_plain:19"])])
def test_tasks_on_the_engine_race_only_without_the_lock(pool, function, races):
    m = Machine(pool, kernel.runtime())
    shared = m.heap.new(pool.structs["pool"])
    engine = Engine(RandomStrategy(1))
    engine.spawn(m.run(function, Ptr(shared)), "t1")
    engine.spawn(m.run(function, Ptr(shared)), "t2")
    engine.run()
    assert shared.fields["nr"] == 2
    assert [f.message for f in engine.findings] == races


def test_lists_bitops_allocation_and_use_after_free(pool):
    m = Machine(pool, kernel.runtime())
    shared = m.heap.new(pool.structs["pool"])
    assert run(m, "add_items", Ptr(shared), 5) == (1 + 2 + 4 + 5) * 10 + 1
    assert run(m, "freed", Ptr(shared)) == 0
    lines = POOL.split("\n")
    alloc = lines.index("\tstruct item *it = kzalloc(sizeof(*it), GFP_KERNEL);") + 1
    free, read = alloc + 2, alloc + 3
    assert m.findings == [("use-after-free", f"freed:{read}", f"item#6.id freed at freed:{free}")]
    assert {(f, line) for f, line in m.lines if f == "freed"} == {("freed", alloc), ("freed", free), ("freed", read)}


# ------------------------------------------------------------ real io-wq.c

# Established by compiling each file (python -m pytest -n0 -s -k real): the
# io-wq.c files before 5.12 use the io_wq_work of their time (identity,
# creds, files, mm, func) and task_struct members the runtime does not
# model; from 5.12 on every function compiles.
OLD_STOPS = {
    "no member identity in struct io_wq_work", "no member nsproxy in struct task_struct",
    "no member sessionid in struct task_struct", "no member user in struct io_wq_data",
    "no member func in struct io_wq_work", "no member get_work in struct io_wq_data",
    "no member creds in struct io_wq_work", "no member fs in struct task_struct", "no member mm in struct io_wq_work",
    "no member files in struct io_wq_work", "no member task_pid in struct io_wq_work",
}


def _version(name: str) -> tuple[int, int]:
    if name.startswith("linux-next"):
        return (99, 0)
    major, minor = name.split("-")[0].split(".")[:2]
    return int(major), int(minor.rstrip("y") or 0)


def test_every_real_io_wq_c_parses_once_prepared():
    need_kernel_iowq()
    for folder in kernel_versions():
        raw = (folder / "io-wq.c").read_text()
        text = prepare(raw)
        assert text.count("\n") == raw.count("\n"), folder.name  # lines kept: sites stay true
        tree = parse(text)
        broken = []
        for node in tree.root_node.children:
            if node.type != "function_definition":
                continue
            stack = [node]
            while stack:
                n = stack.pop()
                if n.type == "ERROR" or n.is_missing:
                    broken.append(n.start_point[0] + 1)
                    break
                stack.extend(n.children)
        assert broken == [], (folder.name, broken)


def test_every_real_io_wq_c_compiles_from_5_12():
    need_kernel_iowq()
    rows = []
    for folder in kernel_versions():
        source = (folder / "io-wq.c").read_text()
        program = Program(source, "io-wq.c", extra=[kernel.TYPES, iowq_c.header(source)])
        stops = set()
        compiled = 0
        for name in program.functions:
            try:
                program.function(name)
                compiled += 1
            except CannotExecute as exc:
                stops.add(exc.construct)
        rows.append((folder.name, compiled, len(program.functions), sorted(stops)))
        if _version(folder.name) >= (5, 12):
            assert stops == set(), folder.name
        else:
            assert stops and stops <= OLD_STOPS, (folder.name, stops)
    print("\nfile                          compiled  cannot execute")
    for name, compiled, total, stops in rows:
        print(f"{name:28}  {compiled:>3}/{total:<3}  {'; '.join(stops)}")


def test_a_loop_that_never_ends_is_stopped():
    p = Program("int spin(void)\n{\n\tint i = 0;\n\tfor (;;)\n\t\ti++;\n\treturn i;\n}\n", "spin.c")
    m = Machine(p)
    m.max_statements = m.limit = 10_000
    with pytest.raises(CannotExecute, match=r"cannot execute: a run of more than 10,000 statements \(a loop that "
                                            r"never ends\?\) at spin.c:5 in spin"):
        run(m, "spin")


def test_sleeping_with_a_spinlock_held_is_a_finding():
    src = """
struct box { raw_spinlock_t lock; struct completion done; };

void bad(struct box *b)
{
	raw_spin_lock(&b->lock);
	init_completion(&b->done);
	complete(&b->done);
	wait_for_completion(&b->done);
	raw_spin_unlock(&b->lock);
}
"""
    p = Program(src, "box.c", extra=[kernel.TYPES])
    m = Machine(p, kernel.runtime())
    box = m.heap.new(p.structs["box"])
    engine = Engine(RandomStrategy(0))
    m.engine = engine
    task = kernel.new_task(m, "t")
    kernel.start(m, task, m.run("bad", Ptr(box)), "t")
    engine.run()
    line = src.split("\n").index("\twait_for_completion(&b->done);") + 1
    assert m.findings == [("sleeps holding a spinlock", f"bad:{line}", "box#1.lock")]


def test_lock_reduction_learns_which_accesses_are_no_scheduling_points():
    """Eraser's lockset across the runs of an exploration: decided from
    what earlier runs learnt (the same for every run of a round), refined
    when an access lacks a lock the round relied on."""
    from triage.cexec.machine import LockReduction

    r = LockReduction()
    # learning: every access is a point until a round freezes what was seen
    assert r.point("acct.nr_workers@acct#1", ["io_wq#1.lock"], "task:a")
    assert r.point("acct.nr_workers@acct#1", ["io_wq#1.lock", "acct#1.lock"], "task:b")
    assert r.point("worker.flags@io_worker#1", [], "task:a")
    assert r.point("worker.flags@io_worker#1", [], "task:b")
    assert r.point("worker.create_index@io_worker#1", [], "task:a")
    r.next_round()
    assert not r.point("acct.nr_workers@acct#1", ["io_wq#1.lock"], "task:c")  # the common lock held
    assert r.point("worker.flags@io_worker#1", [], "task:a")  # two tasks, no lock: it can race
    assert not r.point("worker.create_index@io_worker#1", [], "task:a")  # one task's alone
    assert not r.refined and r.protected() == 2
    assert r.point("acct.nr_workers@acct#1", [], "task:c")  # without the lock: a point, and the round is stale
    assert r.refined
    r.next_round()
    assert r.point("acct.nr_workers@acct#1", ["io_wq#1.lock"], "task:c") and not r.refined
    assert r.point("worker.create_index@io_worker#1", [], "task:b") and r.refined  # a second task after all


RCU_FREE = r"""
struct item { int id; struct rcu_head rcu; };

int reader(void)
{
	struct item *it = kzalloc(sizeof(*it), GFP_KERNEL);
	int v;

	rcu_read_lock();
	kfree_rcu(it, rcu);
	v = it->id;
	rcu_read_unlock();
	return v + it->id;
}
"""


def test_kfree_rcu_frees_after_the_read_sections_end():
    """A reader inside rcu_read_lock() may still look at what kfree_rcu
    gave back; once the last read section ends the object is freed, and a
    look after that is a use after free."""
    program = Program(RCU_FREE, "rcu.c", extra=[kernel.TYPES])
    m = Machine(program, kernel.runtime())
    assert run(m, "reader") == 0
    lines = RCU_FREE.split("\n")
    free, after = lines.index("\tkfree_rcu(it, rcu);") + 1, lines.index("\treturn v + it->id;") + 1
    assert m.findings == [("use-after-free", f"reader:{after}", f"item#1.id freed at reader:{free}")]
