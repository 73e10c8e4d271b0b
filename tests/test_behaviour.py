"""Probes (C -> knob values) in each historic form of io-wq, and the
behavioural delta `analyze` computes for the four seeds from their own code
and words (never from their subjects or commit ids)."""

from __future__ import annotations

import difflib
import re

import pytest

from triage.analysis import analyze_message
from triage.assess.rules import assess
from triage.behaviour.probes import probe_all, view_of_file
from triage.ingest import read_bytes, read_path
from triage.model import Change, Outcome

from .conftest import CORPUS, fixture_path

FORMS = fixture_path("iowq-forms")

EXPECTED = {
    # knob:                          current     v6_9        v5_15
    "create_cb_tries_free_worker": ("on", "off", "off"),
    "exit_on_idle": ("on", "off", "off"),
    "do_kill_granularity": ("per_item", "per_call", "per_fetch"),
    "worker_flags_atomic": ("on", "off", "off"),
    "hash_defer": ("on", "off", "off"),
    "ignore_nonbusy_sleeper": ("on", "off", "off"),
    "activate_requires_sleeping_target": ("off", "off", "on"),
    "exit_wakes_all_accts": (None, None, None),
    "per_acct_worker_lists": ("on", "off", "off"),
}


@pytest.mark.parametrize("column, form", list(enumerate(["current.c", "v6_9.c", "v5_15.c"])))
def test_probes_in_every_historic_form(column, form):
    results = probe_all(view_of_file((FORMS / form).read_text()))
    assert {k: r.value for k, r in results.items()} == {k: v[column] for k, v in EXPECTED.items()}
    for knob, r in results.items():
        if r.value is not None and knob not in ("exit_on_idle", "hash_defer", "ignore_nonbusy_sleeper"):
            assert r.lines, knob  # a decided value shows the lines that decided it


def test_probe_names_the_function_under_its_historic_name():
    results = probe_all(view_of_file((FORMS / "v5_15.c").read_text()))
    assert results["per_acct_worker_lists"].function == "io_wqe_activate_free_worker"
    assert results["exit_on_idle"].function == "io_wqe_worker"
    assert results["do_kill_granularity"].lines == ("75: bool do_kill = test_bit(IO_WQ_BIT_EXIT, &wq->state);",)


def test_empty_view_is_unknown_never_a_guess():
    assert {r.value for r in probe_all(view_of_file("int unrelated;\n")).values()} == {None}


def _patch_of(before: str, after: str) -> str:
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), "a/io_uring/io-wq.c",
                                "b/io_uring/io-wq.c", lineterm="", n=3)
    return "diff --git a/io_uring/io-wq.c b/io_uring/io-wq.c\n" + "\n".join(diff) + "\n"


def test_whole_file_probing_with_the_pre_image():
    """Revert the per-item exit check on current.c: per_item -> per_fetch."""
    before = (FORMS / "current.c").read_text()
    after = before.replace(
        "\t\t__io_worker_busy(acct, worker);\n",
        "\t\t__io_worker_busy(acct, worker);\n\t\tbool do_kill = test_bit(IO_WQ_BIT_EXIT, &wq->state);\n",
    ).replace("\t\t\tbool do_kill = test_bit(IO_WQ_BIT_EXIT, &wq->state);\n", "")
    (message,) = read_bytes(_patch_of(before, after).encode(), "revert.diff").messages
    analysis = analyze_message(message, ("io-wq.c", before), behaviour=True)
    b = analysis.behaviour
    assert b.images == "source file"
    (change,) = [k for k in b.knobs if k.changed]
    assert (change.knob, change.before, change.after) == ("do_kill_granularity", "per_item", "per_fetch")
    (run,) = b.runs
    metrics = {d.metric: (d.before, d.after) for d in run.metrics}
    assert float(metrics["exit_latency_ms"][0]) < 10 < float(metrics["exit_latency_ms"][1])
    # reverting a fix is a regression, said as one
    assert run.outcome is Outcome.REGRESSES
    assert assess(analysis).checks[4].status == "fail"


def test_a_change_no_model_covers_says_so():
    (message,) = read_path(fixture_path("plain.diff")).messages
    b = analyze_message(message, behaviour=True).behaviour
    assert b.summary == "no behavioural model covers this change" and b.runs == ()


def _seed(name: str, scrub: bool = False):
    data = (CORPUS / name).read_bytes()
    if scrub:
        text = data.decode()
        # a different subject and no commit ids at all: the delta must not move
        text = re.sub(r"(?m)^(Re: \[PATCH[^\]]*\]|Subject: Re: \[PATCH[^\]]*\]) .*$", r"\1 something else", text)
        text = re.sub(r"\b[0-9a-f]{12,40}\b", "", text)
        data = text.encode()
    (message,) = read_bytes(data, name).messages
    return message, analyze_message(message, behaviour=True).behaviour


def test_seed_000_from_its_own_code():
    message, b = _seed("000_2685cdb7e3545392.txt")
    assert [(k.knob, k.before, k.after) for k in b.knobs if k.changed] == [("create_cb_tries_free_worker", "off", "on")]
    assert b.images == "hunks"
    (run,) = b.runs
    assert run.scenario == "worker-churn" and run.outcome is Outcome.IMPROVES
    m = {d.metric: d for d in run.metrics}
    assert float(m["creates_per_s_after_warmup"].before) > 0.5 and float(m["creates_per_s_after_warmup"].after) < 0.1
    assert m["workers_created"].change is Change.IMPROVED and m["works_done"].change is Change.UNCHANGED
    # the run starts from what the hunks decide, the rest from the scenario's tree (said so)
    start = {s.knob: (s.value, s.source) for s in run.base}
    assert start["create_cb_tries_free_worker"] == ("off", "pre-image")
    assert start["per_acct_worker_lists"] == ("on", "scenario default")
    # renamed subject, no commit ids: the same delta
    _, scrubbed = _seed("000_2685cdb7e3545392.txt", scrub=True)
    assert scrubbed.runs[0].metrics == run.metrics


@pytest.mark.parametrize("name, knob, before, after", [
    ("001_9729aafafc465d98.txt", "exit_on_idle", "off", "on"),
    ("002_9fed2c816b45c750.txt", "do_kill_granularity", "per_fetch", "per_item"),
])
def test_seeds_without_a_diff_give_claims_not_simulations(name, knob, before, after):
    """Seeds 001 and 002 have no diff: what their words say is shown as a
    claim, never run, and never passes "fixes a real bug"."""
    message, b = _seed(name)
    assert b.images == "none" and b.runs == () and not any(k.changed for k in b.knobs)
    assert [(c.knob, c.before, c.after) for c in b.claims] == [(knob, before, after)]
    assert b.claims[0].quote
    check = assess(analyze_message(message, behaviour=True)).checks[4]
    assert check.rule == "fixes a real bug" and check.status == "unknown" and "a claim, not evidence" in check.reason


def test_a_reply_quoting_the_patch_is_not_simulated():
    message, b = _seed("003_5f1e3558a1535ae7.txt")
    assert b.images == "quoted patch" and b.runs == ()
    assert [(c.knob, c.before, c.after) for c in b.claims] == [("worker_flags_atomic", "off", "on")]


def test_words_against_a_change_are_not_a_pass():
    text = ("From: Reviewer <r@example.org>\nSubject: Re: [PATCH] io_uring/io-wq: add exit-on-idle\n"
            "Date: Mon, 2 Feb 2026 10:00:00 +0000\n\n"
            "I do not think we should add IO_WQ_BIT_EXIT_ON_IDLE, please drop it.\n")
    (message,) = read_bytes(text.encode(), "nack.eml").messages
    analysis = analyze_message(message, behaviour=True)
    assert analysis.behaviour.runs == ()
    assert analysis.behaviour.claims == ()  # words against a mechanism are no claim that the patch adds it
    assert assess(analysis).checks[4].status == "unknown"


def _reversed(text: str) -> str:
    """The same patch backwards: + lines become - lines and the counts swap."""
    out = []
    for line in text.split("\n"):
        m = re.match(r"^@@ -(\d+),(\d+) \+(\d+),(\d+) @@(.*)$", line)
        if m:
            out.append(f"@@ -{m[3]},{m[4]} +{m[1]},{m[2]} @@{m[5]}")
        elif line.startswith("+") and not line.startswith("+++"):
            out.append("-" + line[1:])
        elif line.startswith("-") and not line.startswith("---"):
            out.append("+" + line[1:])
        else:
            out.append(line)
    return "\n".join(out)


def test_reverting_seed_000_fails_fixes_a_real_bug_with_its_regression():
    (seed,) = read_path(CORPUS / "000_2685cdb7e3545392.txt").messages
    diff = seed.own_diffs[0].files[0]
    text = "diff --git a/io_uring/io-wq.c b/io_uring/io-wq.c\n--- a/io_uring/io-wq.c\n+++ b/io_uring/io-wq.c\n"
    text += "\n".join(h.header + "\n" + "\n".join(line.kind + line.text for line in h.lines) for h in diff.hunks)
    (message,) = read_bytes(_reversed(text).encode(), "revert-000.diff").messages
    analysis = analyze_message(message, behaviour=True)
    b = analysis.behaviour
    assert [(k.knob, k.before, k.after) for k in b.knobs if k.changed] == [("create_cb_tries_free_worker", "on", "off")]
    (run,) = b.runs
    assert run.outcome is Outcome.REGRESSES
    created = next(d for d in run.metrics if d.metric == "workers_created")
    assert (created.change, int(created.before) < int(created.after)) == (Change.REGRESSED, True)
    check = assess(analysis).checks[4]
    assert check.status == "fail" and "workers_created" in check.reason and "worse" in check.reason


def test_scenarios_start_from_the_pre_image():
    """A per-item exit check patched into a 5.15-shaped file: the run
    starts from every knob that pre-image decides (exit-on-idle off, one
    shared free list, the 5.15 activation gate), not from the 6.18 tree the
    exit-linked-chain scenario reproduces."""
    before = (FORMS / "v5_15.c").read_text()
    after = before.replace("\t\tbool do_kill = test_bit(IO_WQ_BIT_EXIT, &wq->state);\nget_next:", "get_next:").replace(
        "\t\tdo {\n\t\t\tif (do_kill &&",
        "\t\tdo {\n\t\t\tbool do_kill = test_bit(IO_WQ_BIT_EXIT, &wq->state);\n\n\t\t\tif (do_kill &&")
    assert after.count("bool do_kill") == 1 and after != before
    (message,) = read_bytes(_patch_of(before, after).encode(), "a.diff").messages
    b = analyze_message(message, ("io-wq.c", before), behaviour=True).behaviour
    assert [(k.knob, k.before, k.after) for k in b.knobs if k.changed] == [("do_kill_granularity", "per_fetch",
                                                                             "per_item")]
    (run,) = b.runs
    start = {s.knob: (s.value, s.source) for s in run.base}
    assert start["exit_on_idle"] == ("off", "pre-image")  # the scenario's 6.18 tree has it on
    assert start["per_acct_worker_lists"] == ("off", "pre-image")
    assert start["activate_requires_sleeping_target"] == ("on", "pre-image")
    assert start["do_kill_granularity"] == ("per_fetch", "pre-image")
    assert run.outcome is Outcome.IMPROVES
