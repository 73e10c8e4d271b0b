"""Probes (C -> knob values) in each historic form of io-wq, and the
behavioural delta `analyze` computes for the four seeds from their own code
and words (never from their subjects or commit ids)."""

from __future__ import annotations

import difflib
import re

import pytest

from triage.analysis import analyze_message
from triage.behaviour.delta import behaviour_of
from triage.behaviour.probes import probe_all, view_of_file
from triage.ingest import read_bytes, read_path

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
    metrics = {m: (x, y) for m, x, y in run.metrics}
    assert float(metrics["exit_latency_ms"][0]) < 10 < float(metrics["exit_latency_ms"][1])


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


SEEDS = {
    "000_2685cdb7e3545392.txt": ("create_cb_tries_free_worker", "off", "on", "hunks", "worker-churn"),
    "001_9729aafafc465d98.txt": ("exit_on_idle", "off", "on", "text only", "last-worker-keepalive"),
    "002_9fed2c816b45c750.txt": ("do_kill_granularity", "per_fetch", "per_item", "text only", "exit-linked-chain"),
    "003_5f1e3558a1535ae7.txt": ("worker_flags_atomic", "off", "on", "hunks", "worker-flags"),
}


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_seed_behaviour_from_its_own_code_and_words(name):
    knob, before, after, images, scenario = SEEDS[name]
    message, b = _seed(name)
    assert [(k.knob, k.before, k.after) for k in b.knobs if k.changed] == [(knob, before, after)]
    assert b.images == images
    (run,) = b.runs
    assert run.scenario == scenario
    m = {metric: (x, y) for metric, x, y in run.metrics}
    if scenario == "worker-churn":
        assert float(m["creates_per_s_after_warmup"][0]) > 0.5 and float(m["creates_per_s_after_warmup"][1]) < 0.1
    elif scenario == "last-worker-keepalive":
        assert m["last_worker_gone_after_close_ms"][0].startswith("never") and float(m["last_worker_gone_after_close_ms"][1]) < 1000
    elif scenario == "exit-linked-chain":
        assert float(m["exit_latency_ms"][0]) == pytest.approx(6000, abs=100) and float(m["exit_latency_ms"][1]) < 10
    else:
        assert run.findings_before and not run.findings_after
    # renamed subject, no commit ids: the same delta
    _, scrubbed = _seed(name, scrub=True)
    assert [(k.knob, k.before, k.after) for k in scrubbed.knobs if k.changed] == [(knob, before, after)]
    assert scrubbed.runs[0].metrics == run.metrics
