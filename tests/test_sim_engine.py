"""The engine on purpose-built programs: whole traces checked by hand,
determinism, and the race detector and invariant checks firing on faulty
configurations (and staying quiet on correct ones)."""

from __future__ import annotations

from triage.sim.engine import (
    Access, Engine, Lock, Park, PCTStrategy, RandomStrategy, ReplayStrategy, Sleep, Unlock, Wake,
)
from triage.sim.explore import explore, run_many


def incrementer(mem, site, locked=False, atomic=False):
    if locked:
        yield Lock("l", site)
    yield Access("counter", False, atomic, site=site)
    value = mem["counter"]
    yield Access("counter", True, atomic, site=site)
    mem["counter"] = value + 1
    if locked:
        yield Unlock("l", site)


def two_incrementers(locked=False, atomic=False):
    def build(engine):
        engine.mem = {"counter": 0}
        engine.spawn(incrementer(engine.mem, "inc_a", locked, atomic), "A")
        engine.spawn(incrementer(engine.mem, "inc_b", locked, atomic), "B")
    return build


def test_whole_trace_of_a_lost_update_schedule():
    # A reads, B reads, A writes, B writes: the classic lost update.
    engine = Engine(ReplayStrategy(["A", "B", "A", "B", "A", "B"]))
    two_incrementers()(engine)
    engine.run()
    assert engine.mem["counter"] == 1
    assert [line.split(None, 1)[1] for line in engine.trace] == [
        "A              read counter in inc_a",
        "B              read counter in inc_b",
        "A              FINDING data-race: data-race on counter: read to counter by task B in inc_b / "
        "write to counter by task A in inc_a",
        "A              write counter in inc_a",
        "B              FINDING data-race: data-race on counter: write to counter by task A in inc_a / "
        "write to counter by task B in inc_b",
        "B              write counter in inc_b",
    ]
    # A's read is superseded by A's own later write (FastTrack): two pairs
    assert len(engine.findings) == 2
    # the schedule is every choice made so far, the tasks' start steps included
    assert engine.findings[0].schedule == ("A", "B", "A", "B", "A")


def test_lock_and_marked_accesses_are_not_races():
    for kwargs in ({"locked": True}, {"atomic": True}):
        engine = Engine(RandomStrategy(3))
        two_incrementers(**kwargs)(engine)
        engine.run()
        assert engine.findings == [], kwargs
        # exhaustively, too
        assert explore(two_incrementers(**kwargs)).findings == {}


def test_release_acquire_orders_plain_data():
    def producer(mem):
        yield Access("data", True, site="produce")
        mem["data"] = 42
        yield Access("ready", True, atomic=True, order="release", site="produce")
        mem["ready"] = True

    def consumer(mem, order):
        while True:
            yield Access("ready", False, atomic=True, order=order, site="consume")
            if mem["ready"]:
                break
            yield Sleep(1e-6)
        yield Access("data", False, site="consume")

    for order, racy in (("acquire", False), ("relaxed", True)):
        def build(engine, order=order):
            mem = {"data": 0, "ready": False}
            engine.spawn(producer(mem), "P")
            engine.spawn(consumer(mem, order), "C")
        result = explore(build)
        assert bool(result.findings) is racy, order


def test_wake_orders_the_wakers_past():
    def waker(mem, target):
        yield Access("x", True, site="waker")
        mem["x"] = 1
        yield Wake(target[0], "waker")

    def sleeper(mem):
        yield Park(None, "sleeper")
        yield Access("x", False, site="sleeper")

    engine = Engine(RandomStrategy(0))
    mem, target = {"x": 0}, []
    target.append(engine.spawn(sleeper(mem), "S"))
    engine.spawn(waker(mem, target), "W")
    engine.run()
    assert engine.findings == []


def test_same_seed_same_trace_bytes():
    def trace(seed):
        engine = Engine(RandomStrategy(seed))
        two_incrementers()(engine)
        engine.run()
        return "\n".join(engine.trace)
    assert trace(5) == trace(5)
    assert len({trace(s) for s in range(12)}) > 1  # and seeds do matter


def test_invariant_violation_is_a_finding_not_a_crash():
    def build(engine):
        mem = {"nr_running": 0}

        def faulty():
            yield Access("nr_running", True, atomic=True, site="dec_running")
            mem["nr_running"] -= 1  # decrement with no matching increment
            yield Sleep(1)

        engine.spawn(faulty(), "worker")
        engine.invariant(lambda: [f"nr_running is negative ({mem['nr_running']})"] if mem["nr_running"] < 0 else [])

    engine = Engine()
    build(engine)
    engine.run()
    (finding,) = engine.findings
    assert (finding.kind, finding.message) == ("invariant", "nr_running is negative (-1)")


def test_deadlock_is_reported():
    def ab(first, second):
        yield Lock(first)
        yield Sleep(0.001)
        yield Lock(second)
        yield Unlock(second)
        yield Unlock(first)

    engine = Engine()
    engine.spawn(ab("a", "b"), "T1")
    engine.spawn(ab("b", "a"), "T2")
    engine.run()
    assert [f.kind for f in engine.findings] == ["deadlock"]


def test_virtual_time_and_timeouts():
    times = []

    def sleeper():
        woken = yield Park(2.5)
        times.append((woken, engine.now))
        yield Sleep(1.0)
        times.append(("slept", engine.now))

    engine = Engine()
    engine.spawn(sleeper(), "S")
    engine.run()
    assert times == [(False, 2.5), ("slept", 3.5)]


def test_exhaustive_counts_with_sleep_sets():
    def writer(var):
        yield Access(var, True, site=var)

    def build(shared):
        def b(engine):
            engine.spawn(writer("x"), "A")
            engine.spawn(writer("x" if shared else "y"), "B")
        return b

    # independent writes: one schedule stands for both orders
    assert explore(build(False)).schedules == 1
    # dependent writes: both orders are explored
    assert explore(build(True)).schedules == 2


def test_random_and_pct_schedules_find_the_lost_update():
    for pct in (False, True):
        result = run_many(two_incrementers(), 20, seed=1, pct=pct)
        assert result.schedules == 20 and result.findings


def test_pct_is_deterministic_per_seed():
    def trace(seed):
        engine = Engine(PCTStrategy(seed))
        two_incrementers()(engine)
        engine.run()
        return engine.schedule
    assert trace(9) == trace(9)


def test_an_access_that_is_no_scheduling_point_runs_on_without_a_choice():
    """Access(point=False): the task goes on at once (the strategy is not
    asked), and the race detector still sees the access."""
    from triage.sim.engine import Access, Engine, Strategy

    class Counting(Strategy):
        def __init__(self):
            self.asked = 0

        def choose(self, ready, engine):
            self.asked += 1
            return ready[0]

    def task(points: bool):
        def body():
            for _ in range(5):
                yield Access("x", True, site="t", point=points)
        return body

    counts = {}
    for points in (True, False):
        strategy = Counting()
        engine = Engine(strategy, trace=False)
        engine.spawn(task(points)(), "a")
        engine.spawn(task(points)(), "b")
        engine.run()
        counts[points] = strategy.asked
        assert any(f.kind == "data-race" for f in engine.findings)
    assert counts[False] < counts[True]
