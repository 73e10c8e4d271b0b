"""The io-wq model on the four seed scenarios: before/after directions and
tolerances, whole event traces of a small case, determinism, timelines.

Expected numbers here are assertions about the model's output, with
tolerances; nothing in triage/ knows them."""

from __future__ import annotations

import pytest

from triage.sim import scenarios as S
from triage.sim.knobs import Knobs
from triage.sim.simulate import simulate


def run(name, side, **knobs):
    sc = S.REGISTRY[name]
    base = sc.base.with_(**(sc.before if side == "before" else sc.after))
    return S.run(name, base.with_(**knobs), seed=1, trace=False)  # the trace has a test of its own


def test_exit_chain_event_trace_is_exact():
    r = run("exit-linked-chain", "before")
    assert [(round(t, 4), e) for t, e in r.events] == [
        (0.0001, "create worker 0 (unbound)"),
        (0.0001, "worker 0 runs work 1"),
        (0.0006, "io_wq_exit_start: IO_WQ_BIT_EXIT set"),
        (0.0011, "worker 0 runs work 2"),
        (3.0011, "worker 0 runs work 3"),
        (6.0011, "work 4 cancelled"),
        (6.0011, "io_wq_exit_workers: worker_done"),
    ]


@pytest.mark.parametrize("granularity, latency, executed", [
    ("per_call", 9000.5, 3),   # every item fetched in that call runs
    ("per_fetch", 6000.5, 2),  # work2 and work3 run (the author: 6066 ms)
    ("per_item", 0.5, 0),      # both cancelled (the author: 2 ms)
])
def test_exit_chain_three_levels(granularity, latency, executed):
    m = run("exit-linked-chain", "after", do_kill_granularity=granularity).metrics
    assert m["exit_latency_ms"] == pytest.approx(latency, abs=1.0)
    assert m["post_exit_items_executed"] == executed


def test_flags_race_before_and_not_after():
    c = simulate("worker-flags")
    before = set(c.before.exploration.findings) | {f.key for f in c.before.result.findings}
    after = set(c.after.exploration.findings) | {f.key for f in c.after.result.findings}
    assert after == set()
    writers = {s[0] for key in before for s in key[1:] if s[2]}
    readers = {s[0] for key in before for s in key[1:] if not s[2]}
    # both KCSAN reports: __io_worker_busy (May 2024) and io_wq_worker_running (syzbot, Sep 2023)
    assert {"__io_worker_busy", "io_wq_worker_running"} <= writers
    assert readers == {"io_wq_activate_free_worker"}
    assert c.before.exploration.truncated is False


def test_flags_race_needs_the_shared_free_list():
    """On >= 6.15 (per-acct lists) nobody reads another worker's flags."""
    c = simulate("worker-flags", before={"per_acct_worker_lists": True})
    assert not c.before.exploration.findings


def test_keepalive_before_never_after_prompt():
    before = run("last-worker-keepalive", "before").metrics
    after = run("last-worker-keepalive", "after").metrics
    assert before["last_worker_gone_after_close_ms"] == "never within 30 s"
    assert before["workers_alive_at_end"] == 2  # one kept per acct used
    assert isinstance(after["last_worker_gone_after_close_ms"], float)
    assert after["last_worker_gone_after_close_ms"] < 1000
    assert after["workers_alive_at_end"] == 0
    assert after["idle_worker_seconds"] < before["idle_worker_seconds"]


def test_churn_persists_before_and_is_gone_after():
    before = run("worker-churn", "before").metrics
    after = run("worker-churn", "after").metrics
    assert before["creates_per_s_after_warmup"] > 0.5
    assert before["exits_per_s_after_warmup"] > 0.5
    assert after["creates_per_s_after_warmup"] < 0.1
    assert after["distinct_worker_ids"] < before["distinct_worker_ids"]
    assert after["idle_worker_seconds"] < before["idle_worker_seconds"]
    assert after["works_done"] == pytest.approx(before["works_done"], rel=0.05)


def test_exit_on_idle_misses_unbound_workers_with_the_iterator_bug():
    """6.15-6.18.x before Jan 2026: the exit-on-idle wake reaches only bound
    workers; idle unbound ones leave when their 5 s sleep ends."""
    fixed = run("last-worker-keepalive", "after").metrics
    buggy = run("last-worker-keepalive", "after", exit_wakes_all_accts=False).metrics
    assert fixed["last_worker_gone_after_close_ms"] < 1
    assert 1000 < buggy["last_worker_gone_after_close_ms"] <= 5000


def test_invariants_hold_in_every_scenario():
    for name in S.REGISTRY:
        if name == "worker-churn":
            continue  # covered above, slow
        for side in ("before", "after"):
            assert not [f for f in run(name, side).findings if f.kind != "data-race"], (name, side)


def test_same_seed_same_trace_bytes():
    sc = S.REGISTRY["last-worker-keepalive"]
    a = S.run(sc.name, sc.base, seed=4)
    b = S.run(sc.name, sc.base, seed=4)
    assert "\n".join(a.trace) == "\n".join(b.trace) and a.trace


def test_timeline_is_ready_to_plot():
    r = run("last-worker-keepalive", "before")
    times = [s.time for s in r.timeline]
    assert times == sorted(times) and len(times) > 3
    assert max(s.alive for s in r.timeline) == 12
    assert all(s.running <= s.alive for s in r.timeline)


def test_every_scenario_names_symbols_and_knobs():
    knob_names = set(Knobs.__dataclass_fields__)
    for sc in S.REGISTRY.values():
        assert sc.symbols and sc.description
        assert set(sc.knobs_shown) <= knob_names
        assert set(sc.before) | set(sc.after) <= set(sc.knobs_shown)


def test_explored_metrics_and_findings_come_from_the_same_schedules():
    from triage.sim.simulate import simulate

    c = simulate("worker-flags")
    assert c.mode == "exhaustive" and "exhaustive exploration" in c.before.metrics_from
    flags = [f for f in c.before.findings if f.kind == "data-race" and ".flags" in f.message]
    assert c.before.metrics["racy_flag_pairs"] == len(flags) == 3
    assert c.after.metrics["racy_flag_pairs"] == 0 and c.after.findings == ()
    assert c.outcome.value == "improves" and len(c.fixed_findings) == 3 and c.new_findings == ()


def test_every_scenario_declares_a_direction_for_each_metric_it_measures():
    from triage.sim.scenarios import REGISTRY

    for s in REGISTRY.values():
        declared = [m.name for m in s.metrics]
        assert len(declared) == len(set(declared)), s.name
        measured = S.run(s.name, s.base, seed=0, horizon=min(s.horizon, 1.0), trace=False).metrics
        assert declared == list(measured), s.name


def test_direction_and_tolerance_decide_better_or_worse():
    from triage.model import Better, Change, Outcome
    from triage.sim.metrics import Metric, compare, deltas, outcome

    lower, higher = Metric("x", Better.LOWER), Metric("y", Better.HIGHER, tolerance=0.001)
    context = Metric("z", Better.NEITHER)
    assert compare(lower, 38, 9) is Change.IMPROVED and compare(lower, 9, 38) is Change.REGRESSED
    assert compare(lower, "never within 30 s", 0.05) is Change.IMPROVED  # never happened = infinitely late
    assert compare(lower, 0.05, "never within 30 s") is Change.REGRESSED
    assert compare(higher, 63121, 63123) is Change.UNCHANGED  # within 0.1%
    assert compare(higher, 63121, 60000) is Change.REGRESSED
    assert compare(context, 16, 9) is Change.MOVED and compare(lower, "a", "b") is Change.NOT_COMPARABLE
    d = deltas((lower, higher, context), {"x": 38, "y": 100, "z": 1}, {"x": 9, "y": 50, "z": 2})
    assert [x.change for x in d] == [Change.IMPROVED, Change.REGRESSED, Change.MOVED]
    assert outcome(d, 0, 0) is Outcome.MIXED and outcome(d[:1], 0, 0) is Outcome.IMPROVES
    assert outcome(d[:1], 1, 0) is Outcome.MIXED and outcome(d[2:], 1, 0) is Outcome.REGRESSES
    assert outcome(d[2:], 0, 0) is Outcome.NO_DIFFERENCE
