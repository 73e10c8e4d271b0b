"""A patch's behaviour from its own code (sim/codedelta): the workloads
whose coverage meets a changed line, run on the pre-image and the patched
file; findings introduced, fixed, not changed; changed lines not
exercised. Real io-wq.c files from ../shared (skipped when absent)."""

from __future__ import annotations

import difflib
import json
import re

import pytest

from triage.model import FindingChange
from triage.sim.codedelta import changed_lines, code_delta, delta_key

from .cli_run import run
from .conftest import KERNEL_IOWQ, need_kernel_iowq
from .mutations import MUTATIONS, apply, killed

F612 = "6.12-59b185fb"
F6182 = "6.18.2-873db247"


def _text(folder: str) -> str:
    need_kernel_iowq()
    return (KERNEL_IOWQ / folder / "io-wq.c").read_text()


def test_changed_lines_leave_out_comments_and_blank_lines():
    before = "int a;\n/* old */\nint f(void)\n{\n\treturn 1;\n}\n"
    after = "int a;\n/* new comment */\n\nint f(void)\n{\n\treturn 2;\n}\n"
    removed, added = changed_lines(before, after)
    assert [(c.side, c.line, c.text) for c in removed] == [("before", 5, "\treturn 1;")]
    assert [(c.side, c.line, c.text) for c in added] == [("after", 6, "\treturn 2;")]


def test_a_finding_is_the_same_in_both_files_whatever_its_numbers():
    assert delta_key("data-race on io_worker.flags@io_worker#1: write ... in io_wq_worker:634 / read ... "
                     "io_wq_get_acct:168") == delta_key("data-race on io_worker.flags@io_worker#3: write ... in "
                                                        "__io_worker_busy:641 / read ... io_wq_get_acct:170") \
        == "data-race on io_worker.flags@io_worker#N"
    assert delta_key("io_wq#1.acct[0]: nr_workers 2 > max_workers 1") == \
        delta_key("io_wq#1.acct[0]: nr_workers 3 > max_workers 1")
    assert delta_key("io_wq#1.acct[0]: nr_workers 2 > max_workers 1") != delta_key("io_wq#1.acct[0]: nr_running 0")
    # 5.x's per-node io_wqe holds the accts that 6.x's io_wq holds
    assert delta_key("io_wqe#1.acct[1]: nr_workers 0 at rest, 1 worker(s) exist for it") == \
        delta_key("io_wq#1.acct[1]: nr_workers 0 at rest, 1 worker(s) exist for it")


def test_the_file_against_itself_and_a_comment_change_show_nothing():
    text = _text(F612)
    same = code_delta("io_uring/io-wq.c", text, text)
    assert (same.runs, same.not_exercised, same.definitions, same.stopped) == ((), (), (), "")
    commented = text.replace("\tacct->nr_workers++;\n\traw_spin_unlock(&wq->lock);\n",
                             "\tacct->nr_workers++; /* counted before the thread exists */\n"
                             "\traw_spin_unlock(&wq->lock);\n", 1)
    assert commented != text
    # the line holding the statement changed, so the workloads that run it run: nothing differs
    delta = code_delta("io_uring/io-wq.c", text, commented, schedules=2, loops=False)
    assert delta.runs and not delta.introduced and not delta.fixed
    assert all(r.outcome.value == "no difference" for r in delta.runs)


def test_a_change_no_workload_runs_is_said_not_exercised():
    """io_wq_cpu_offline runs on CPU hotplug only (no workload unplugs a
    CPU): its changed line is listed, not hidden, and nothing is run for
    it."""
    text = _text(F612)
    line = "\tcpumask_clear_cpu(od->cpu, worker->wq->cpu_mask);"
    assert text.count(line) == 1
    delta = code_delta("io_uring/io-wq.c", text, text.replace(line, line + "\n\tbarrier();", 1), loops=False)
    assert delta.runs == ()
    assert [(c.side, c.function, c.text.strip()) for c in delta.not_exercised] == [
        ("after", "io_wq_worker_affinity", "barrier();")]


def _mutation_table(folder: str) -> tuple[list[tuple[str, str, list[str]]], int]:
    text = _text(folder)
    rows = []
    for mutation in MUTATIONS:
        mutated = apply(mutation, text)
        if mutated is None:
            continue
        # the seeded schedule alone here (suite time): two or four schedules
        # kill the same ones (python -m tests.mutations --schedules N)
        delta = code_delta("io_uring/io-wq.c", text, mutated, schedules=1, loops=False)
        rows.append((mutation.kind, mutation.function, killed(delta)))
    return rows, len(rows)


# Survivors, each read in the code (kept here so that a change either way
# shows): the first removes the decrement code mode itself flags as
# unbalanced (create-request-outlives-worker: the mutant is reported as
# fixing that finding, not as breaking anything); the plain |= of
# IO_WORKER_F_FREE races only with a submitter still walking the free list
# after the worker left it and came back, an interleaving neither the
# random schedules nor the exhaustive worker-flags search (one preemption
# per instant) produces; without the goto, a worker whose create request
# is being run (create_state still held) queues a second one: its
# reference and nr_running are taken and later given back by that second
# create_worker_cb, which still respects the cap, so nothing the
# invariants or metrics see goes wrong (the kernel's "one entry per
# worker" is an economy here, not a correctness rule); the hash wake-up is not needed when the
# worker that clears the bucket goes on to run the bucket's later items
# itself, as it does in every workload.
SURVIVORS = {("delete a counter decrement", "io_worker_cancel_cb"),
             ("replace a bitop with a plain read-modify-write", "__io_worker_idle"),
             ("drop a goto", "io_queue_worker_create"),
             ("drop a wake_up", "io_worker_handle_work")}


@pytest.mark.parametrize("folder, applied", [(F612, 27), (F6182, 24)])
def test_mutations_of_a_real_file_are_caught_by_its_own_code(folder, applied):
    """Single-point mutations (tests/mutations.py) of a real 6.x io-wq.c,
    each presented as a patch: code mode reports each as an introduced
    finding or a worse metric, but for the survivors listed above."""
    rows, count = _mutation_table(folder)
    survivors = {(kind, function) for kind, function, why in rows if not why}
    rate = (count - len(survivors)) / count
    print(f"\n{folder}: {count} mutations, killed {count - len(survivors)} ({rate:.0%}); survivors:")
    for kind, function in sorted(survivors):
        print(f"  {kind} in {function}")
    assert count == applied
    assert survivors == SURVIVORS


def test_the_unbalanced_decrement_mutant_is_shown_fixing_the_finding():
    """The survivor that removes io_worker_cancel_cb's nr_workers--: what
    code mode says of it is that it fixes the at-rest finding of
    create-request-outlives-worker (and introduces nothing)."""
    text = _text(F6182)
    (mutation,) = [m for m in MUTATIONS if m.function == "io_worker_cancel_cb"]
    delta = code_delta("io_uring/io-wq.c", text, apply(mutation, text), schedules=2, loops=False)
    assert not delta.introduced
    assert [(s, f.message) for s, f in delta.fixed] == [
        ("create-request-outlives-worker", "io_wq#1.acct[0]: nr_workers 0 at rest, 1 worker(s) exist for it")]


@pytest.mark.parametrize("older, newer, fixed", [
    # 8a565304927f (v6.10): worker->flags with bitops (iowq-model.md 3.D)
    ("6.6.9-37f31413", F612, "data-race on io_worker.flags@io_worker#N"),
    # "io-wq: fix bug of creating io-wokers unconditionally" (Hao Xu, 2021-08-08), in 5.14
    ("5.14-rc5-b6f49b7c", "5.14-6b7b8aed", "acct[N]: nr_workers N > max_workers N"),
    # "io_uring: fix false WARN_ONCE" (Pavel Begunkov, 2021-06-17), in 5.13.4 by AUTOSEL
    ("5.13-dcbec418", "5.13.4-b9e48f89", "WARN_ON at io_wqe_wake_worker: WARN_ON_ONCE hit"),
])
def test_history_shows_the_known_fixes_as_fixed_by_the_version_that_carries_them(older, newer, fixed):
    delta = code_delta("io_uring/io-wq.c", _text(older), _text(newer), schedules=2, loops=False)
    keys = {f.key for _, f in delta.fixed}
    print(f"\n{older} -> {newer}: fixed {sorted(keys)}; introduced {sorted({f.key for _, f in delta.introduced})}")
    assert any(fixed in k for k in keys), keys
    assert not any(fixed in f.key for _, f in delta.introduced)


def _patch(text: str, mutated: str, subject: str) -> str:
    diff = "".join(difflib.unified_diff(text.splitlines(keepends=True), mutated.splitlines(keepends=True),
                                        "a/io_uring/io-wq.c", "b/io_uring/io-wq.c", n=3))
    return (f"From: A Developer <dev@example.org>\nSubject: [PATCH] {subject}\n"
            "Date: Tue, 1 Dec 2026 10:00:00 +0000\nMessage-ID: <mutant@example.org>\n\n"
            "Count the worker later.\n\nCc: stable@vger.kernel.org\nSigned-off-by: A Developer <dev@example.org>\n"
            f"---\n{diff}")


def test_a_patch_that_breaks_the_count_is_do_not_backport_with_its_evidence(tmp_path):
    """`triage report --source`: the patch's own code shows a finding
    after it and not before, so the verdict is "do not backport" with the
    finding, the scenarios and the C lines; the JSON carries the code
    delta; the text of analyze shows the section."""
    text = _text(F612)
    (mutation,) = [m for m in MUTATIONS if m.function == "create_worker_cb" and "increment" in m.kind]
    patch = tmp_path / "count.patch"
    patch.write_text(_patch(text, apply(mutation, text), "io-wq: count the worker later"))
    source = tmp_path / "io-wq.c"
    source.write_text(text)
    result = run("report", str(patch), "--source", str(source), "--format", "json")
    assert result.returncode == 0, result.stderr
    page = json.loads(result.stdout)["report"]["patches"][0]
    assert page["assessment"]["verdict"] == "do not backport"
    first = page["assessment"]["reasons"][0]
    assert first.startswith("the patch introduces io_wq#1.acct[") and "at rest" in first
    assert "io-wq's own C shows it after the patch and not before" in first and ", the C that led to it: " in first
    code = page["analysis"]["behaviour"]["code"]
    introduced = [f for r in code["runs"] for f in r["findings"] if f["change"] == FindingChange.INTRODUCED.value]
    assert introduced and all(f["schedule"] for f in introduced)
    assert any(line.endswith(")") and " writes io_wq_acct.nr_workers@" in line
               for f in introduced for line in f["trail"])
    assert {r["reached"][0].split()[0] for r in code["runs"]} == {"before"}
    # the analyze text of the same patch, rendered in this process (the
    # pre-image's runs are remembered here: the second delta is cheaper)
    from triage.analysis import analyze
    from triage.report.render import render
    from triage.report.textview import input_view

    text_out = render("analyze.txt.j2", inputs=[input_view(r) for r in analyze([str(patch)], str(source))])
    assert "From the patch's own code (io_uring/io-wq.c, pre-image and patched file run" in text_out
    assert "introduced by the patch: io_wq#1.acct[" in text_out


def test_the_churn_seed_as_posted_creates_workers_it_does_not_count():
    """Seed 000 (the free-worker check of 9d83e1f05c98) applied to 6.15's
    io-wq.c: the posted code reuses do_create for "a free worker was
    activated", so when none was and the acct is at its cap, do_create
    stays true and create_worker_cb forks a worker without counting it
    (read in the patch: `do_create = !io_acct_activate_free_worker(acct)`
    before the `nr_workers < max_workers` test that only ever sets it
    true). The code mode shows it as introduced (more workers at rest than
    nr_workers counts); the knob model, which only sees "tries a free
    worker first", calls it an improvement. The merged commit (as in
    6.18.2's file) keeps the answer in activated_free_worker: on the same
    pre-image it introduces nothing and churns less."""
    from triage.diff.symbols import apply_hunks
    from triage.ingest import read_path

    from .conftest import ROOT

    pre = _text("6.15-c80f7a89")
    (message,) = read_path(str(ROOT / "corpus" / "000_2685cdb7e3545392.txt")).messages
    (diff,) = message.own_diffs
    posted = apply_hunks(pre, diff.files[0])
    delta = code_delta("io_uring/io-wq.c", pre, posted, schedules=2, loops=False)
    introduced = {f.key for _, f in delta.introduced}
    assert introduced and all("at rest" in k and "nr_workers" in k for k in introduced), introduced
    # (the seed is web-archive text: its added lines lost their indentation)
    merged = posted.replace("\tbool do_create = false;\n", "\tbool activated_free_worker, do_create = false;\n", 1)
    merged = re.sub(r"\bdo_create = !io_acct_activate_free_worker\(acct\);",
                    "activated_free_worker = io_acct_activate_free_worker(acct);", merged, count=1)
    merged = re.sub(r"if \(!do_create\)(\s*)goto no_need_create;", r"if (activated_free_worker)\1goto no_need_create;",
                    merged, count=1)
    assert merged.count("activated_free_worker") == 3
    fixed = code_delta("io_uring/io-wq.c", pre, merged, schedules=2)
    assert not fixed.introduced
    (churn,) = [r for r in fixed.runs if r.scenario.startswith("worker-churn")]
    created = {d.metric: (d.before, d.after) for d in churn.metrics}["workers_created"]
    assert created[1] < created[0], created


def test_per_branch_the_branch_file_runs_without_and_with_the_patch(tmp_path):
    """--repo: a kernel-shaped git tree in a temporary folder whose
    linux-6.6.y holds 6.6.9's real io-wq.c and master 6.12's. A patch
    written against 6.6.9 that drops create_worker_cb's nr_workers++
    applies on linux-6.6.y: the branch's own file is run without and with
    it, the finding it introduces there is in the branch's reasons and
    makes it backport work."""
    from .kernel_tree import commit, git

    t669 = _text("6.6.9-37f31413")
    repo = tmp_path / "linux"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "master")
    commit(repo, {"io_uring/io-wq.c": t669}, "io-wq: as in 6.6.9\n")
    git(repo, "tag", "v6.6")
    commit(repo, {"io_uring/io-wq.c": _text(F612)}, "io-wq: as in 6.12\n")
    git(repo, "checkout", "-q", "-b", "linux-6.6.y", "v6.6")
    git(repo, "checkout", "-q", "master")
    (mutation,) = [m for m in MUTATIONS if m.function == "create_worker_cb" and "increment" in m.kind]
    patch = tmp_path / "count.patch"
    patch.write_text(_patch(t669, apply(mutation, t669), "io-wq: count the worker later"))
    result = run("analyze", str(patch), "--repo", str(repo), "--branches", "linux-6.6.y", "--format", "json")
    assert result.returncode == 0, result.stderr
    (analysis,) = json.loads(result.stdout)["inputs"][0]["analyses"]
    branches = {b["branch"]: b for b in analysis["tree"]["branches"]}
    stable = branches["linux-6.6.y"]
    assert stable["apply"] == "clean" and stable["code"] is not None
    introduced = [f for r in stable["code"]["runs"] for f in r["findings"]
                  if f["change"] == FindingChange.INTRODUCED.value]
    assert introduced and all("nr_workers" in f["message"] for f in introduced)
    assert stable["verdict"] == "needs backport work"
    assert any(r.startswith("its own io-wq.c run without and with the patch (") and "the patch introduces here: " in r
               for r in stable["reasons"])


def test_a_version_that_only_reshapes_the_code_introduces_and_fixes_nothing():
    """6.3.8 -> 6.4.4 removes the per-node io_wqe (its accts move into
    io_wq): the findings both files have (the worker->flags race, the
    at-rest count of create-request-outlives-worker) are the same bugs,
    named through another struct, the race met in other workloads of the
    two files: none is introduced or fixed."""
    delta = code_delta("io_uring/io-wq.c", _text("6.3.8-378603b3"), _text("6.4.4-d746e7f7"), schedules=2,
                       loops=False)
    assert delta.runs and not delta.introduced and not delta.fixed
    assert {f.key for r in delta.runs for f in r.findings} >= {"data-race on io_worker.flags@io_worker#N"}


def test_history_shows_the_exit_wake_fix_and_the_per_fetch_exit_as_better_metrics():
    """6.18.2 -> 6.19: exit wakes the idle workers of both accts again
    (2b9c15286a17; 6.15 to 6.18.x woke only the bound acct's, iowq-model.md)
    and reads IO_WQ_BIT_EXIT per fetch (10dc95939817): io_wq_put_and_exit
    no longer waits for unbound workers' 5 s idle timeouts, and the linked
    chain's exit waits 6000.5 ms instead of 9000.5 (the extra item is
    cancelled: one item fewer run)."""
    delta = code_delta("io_uring/io-wq.c", _text(F6182), _text("6.19-33e82013"), schedules=2, loops=False)
    waits = {r.scenario: (d.before, d.after, d.change.value) for r in delta.runs for d in r.metrics
             if d.metric == "exit_wait_ms"}
    assert waits["exit-linked-chain"] == (9000.5, 6000.5, "improved")
    assert waits["worker-bursts"][1:] == (0.0, "improved") and waits["worker-bursts"][0] > 3000
    assert not delta.introduced and not delta.fixed
