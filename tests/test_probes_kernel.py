"""`triage probe` on every real io-wq.c of ../shared/kernel-io-wq (5.5 to
7.1 and linux-next, read in place; skipped with the reason when absent).

The expected table was established by reading each file: for every knob
the deciding line(s) were opened and checked against the mechanism the
knob names (the create_worker_cb free-worker activation before the cap
test; the worker loop's IO_WQ_BIT_EXIT_ON_IDLE test; the loop depth of the
IO_WQ_BIT_EXIT read in io_worker_handle_work; plain `worker->flags & / = `
versus set_bit/test_bit; io_wq_hash_defer() and `if (!worker->cur_work)` in
the sleep hook; `if (wake_up_process(...))` in the activation; the walk of
io_wq_for_each_worker(); the free list the activation walks), and the
history agrees with iowq-model.md §4-§5 (A in 6.17, B in 7.0, per-fetch
do_kill in 6.19, D in 6.10, the sleep-hook pair in 6.16, the activation
gate dropped in 6.6, the acct iterator bug 6.15-6.18.x, per-acct lists in
6.15). Each entry is "value@deciding lines" in the knob order of the
simulator; "unknown" entries are explained in UNKNOWN_BECAUSE.
"""

from __future__ import annotations

import pytest

from triage.behaviour.probes import probe_all, source_view
from triage.errors import SourceError

from .conftest import ROOT, kernel_versions, need_kernel_iowq

KNOBS = ("create_cb_tries_free_worker", "exit_on_idle", "do_kill_granularity", "worker_flags_atomic", "hash_defer",
         "ignore_nonbusy_sleeper", "activate_requires_sleeping_target", "exit_wakes_all_accts",
         "per_acct_worker_lists")

EXPECTED = {
    "5.10.13-c74ae7a9": ("unknown", "off", "unknown", "off@209,231,233,235", "off", "off", "off@278", "on@748", "off@272"),
    "5.10.y-1e27f59f": ("unknown", "off", "unknown", "off@213,235,237,239", "off", "off", "off@282", "on@752", "off@276"),
    "5.11-7c95afe2": ("unknown", "off", "unknown", "off@212,234,236,238", "off", "off", "off@281", "on@739", "off@275"),
    "5.11.14-b93f31f1": ("unknown", "off", "unknown", "off@212,234,236,238", "off", "off", "off@281", "on@737", "off@275"),
    "5.12-cac09108": ("unknown", "off", "per_call@418", "off@163,182,185,283", "off", "off", "off@226", "on@647", "off@220"),
    "5.12-rc6-edc5ab3f": ("unknown", "off", "unknown", "off@163,182,185,283", "off", "off", "off@226", "on@643", "off@220"),
    "5.13-dcbec418": ("off@277", "off", "per_call@463", "off@159,181,184,311", "off", "off", "off@224", "on@675", "off@218"),
    "5.13.4-b9e48f89": ("off@278", "off", "per_call@464", "off@159,181,184,312", "off", "off", "off@224", "on@676", "off@218"),
    "5.13.y-54752904": ("off@295", "off", "per_call@493", "off@160,179,185,341", "off", "off", "on@222", "on@707", "off@219"),
    "5.14-6b7b8aed": ("off@294", "off", "per_call@492", "off@159,178,184,340", "off", "off", "on@221", "on@702", "off@218"),
    "5.14-rc1-f1303bcb": ("off@277", "off", "per_call@463", "off@158,180,183,311", "off", "off", "off@223", "on@671", "off@217"),
    "5.14-rc4-72a8fac2": ("off@277", "off", "per_call@463", "off@158,180,183,311", "off", "off", "off@223", "on@671", "off@217"),
    "5.14-rc5-b6f49b7c": ("off@291", "off", "per_call@480", "off@159,178,184,328", "off", "off", "on@221", "on@690", "off@218"),
    "5.15-3efe20ef": ("off@287", "off", "per_call@484", "off@168,186,191,343", "off", "off", "on@232", "on@778", "off@225"),
    "5.15.3-e82f0432": ("off@323", "off", "per_call@532", "off@169,222,227,381", "off", "off", "on@268", "on@826", "off@261"),
    "5.16-a41da34b": ("off@324", "off", "per_call@545", "off@171,223,228,392", "off", "off", "on@269", "on@849", "off@262"),
    "5.17-1841cd1e": ("off@325", "off", "per_call@546", "off@172,224,229,393", "off", "off", "on@270", "on@856", "off@263"),
    "5.18.12-0f53f82f": ("off@331", "off", "per_call@554", "off@173,225,230,398", "off", "off", "on@276", "on@858", "off@269"),
    "5.19-082dd0f3": ("off@331", "off", "per_call@554", "off@173,225,230,398", "off", "off", "on@276", "on@858", "off@269"),
    "5.5-rc5-7eaed071": ("unknown", "off", "unknown", "off@185,208,210,212", "off", "off", "off@259", "on@782", "off@253"),
    "5.6.4-c25e6854": ("unknown", "off", "unknown", "off@191,214,216,218", "off", "off", "off@265", "on@829", "off@259"),
    "5.7.14-2da53901": ("unknown", "off", "unknown", "off@194,217,219,221", "off", "off", "off@268", "on@878", "off@262"),
    "5.8.1-5cc6ec82": ("unknown", "off", "unknown", "off@193,216,218,220", "off", "off", "off@267", "on@874", "off@261"),
    "5.9.1-f45a7f5f": ("unknown", "off", "unknown", "off@193,216,218,220", "off", "off", "off@267", "on@870", "off@261"),
    "6.0.1-3452d21d": ("off@333", "off", "per_call@544", "off@175,227,232,400", "off", "off", "on@278", "on@845", "off@271"),
    "6.1.20-630a0109": ("off@333", "off", "per_call@544", "off@175,227,232,400", "off", "off", "on@278", "on@845", "off@271"),
    "6.12-59b185fb": ("off@349", "off", "per_call@555", "on@170,230,415,435", "off", "off", "off@296", "on@876", "off@284"),
    "6.14-d79d889d": ("off@349", "off", "per_call@555", "on@170,230,415,435", "off", "off", "off@296", "on@889", "off@284"),
    "6.15-c80f7a89": ("off@355", "off", "per_call@566", "on@241,420,440,441", "off", "off", "off@302", "off@919", "on@294"),
    "6.18.2-873db247": ("on@362,365", "off", "per_call@601", "on@248,459,485,486", "on@468", "on@464", "off@309", "off@954", "on@301"),
    "6.19-33e82013": ("on@362,365", "off", "per_fetch@603", "on@248,459,485,486", "on@468", "on@464", "off@309", "on@955", "on@301"),
    "6.3.8-378603b3": ("off@333", "off", "per_call@544", "off@175,227,232,400", "off", "off", "on@278", "on@851", "off@271"),
    "6.4.4-d746e7f7": ("off@326", "off", "per_call@528", "off@168,218,392,411", "off", "off", "on@271", "on@834", "off@264"),
    "6.6.9-37f31413": ("off@347", "off", "per_call@554", "off@168,228,413,433", "off", "off", "off@294", "on@868", "off@282"),
    "7.0.0-f7c9cce6": ("on@364,367", "on@717", "per_fetch@605", "on@250,461,487,488", "on@470", "on@466", "off@311", "on@961", "on@303"),
    "linux-next-2026-86adca0e": ("on@363,366", "off", "per_fetch@604", "on@249,460,486,487", "on@469", "on@465", "off@310", "on@956", "on@302"),
}

# Why a knob is unknown on a version: the mechanism's code does not exist
# there (the probe says so in its reason).
UNKNOWN_BECAUSE = {
    "create_cb_tries_free_worker": "this file has no create_worker_cb",  # 5.5-5.12: the manager thread creates
    "do_kill_granularity": "io_worker_handle_work does not read IO_WQ_BIT_EXIT",  # before 5.12's do_kill
}


def test_every_real_version_probes_as_read_by_hand():
    need_kernel_iowq()
    versions = {p.name: p for p in kernel_versions()}
    assert set(versions) == set(EXPECTED), "the data set changed: read the new versions and extend the table"
    agree, total, wrong = 0, 0, []
    for name, folder in sorted(versions.items()):
        results = probe_all(source_view(name, (folder / "io-wq.c").read_text()))
        for knob, expected in zip(KNOBS, EXPECTED[name]):
            r = results[knob]
            got = (r.value or "unknown") + ("@" + ",".join(line.split(":")[0] for line in r.lines) if r.lines else "")
            total += 1
            if got == expected:
                agree += 1
            else:
                wrong.append(f"{name} {knob}: probe {got}, expected {expected}")
            if r.value is None:
                assert r.reason.startswith(UNKNOWN_BECAUSE[knob]), (name, knob, r.reason)
    print(f"\nreal io-wq.c probes: {agree}/{total} knob values agree over {len(versions)} versions "
          f"({sum(v.count('unknown') for row in EXPECTED.values() for v in row)} unknown, each explained)")
    assert not wrong, "\n".join(wrong)


def test_commented_out_code_is_not_evidence():
    need_kernel_iowq()
    text = (kernel_versions()[-1] / "io-wq.c").read_text()
    assert "io_wq_hash_defer(" in text
    hidden = text.replace("if (io_wq_hash_defer(", "/* if (io_wq_hash_defer( */ if (0 && (")
    assert probe_all(source_view("x", hidden))["hash_defer"].value == "off"


def test_text_that_is_not_c_is_refused():
    with pytest.raises(SourceError, match="not C source"):
        source_view("README.md", (ROOT / "README.md").read_text())
