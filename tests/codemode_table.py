"""The code-mode table (run by hand, not part of the suite):

    python -m tests.codemode_table [--seeds N] [--churn]

Each io-wq.c of ../shared/kernel-io-wq x each code-mode workload: runs or
stops (with the construct), findings by kind, and the workload's counts;
then per file the coverage of the functions issue 14 names by all
workloads together. The closed-loop worker-churn (a minute per file) only
with --churn."""

from __future__ import annotations

import argparse
import re
import time

from triage.cexec.errors import CannotExecute
from triage.errors import TriageError
from triage.sim.codemode import QUICK, WORKLOADS, CodeRun, coverage, load_program, run_workload

from .conftest import kernel_versions

FUNCTIONS = ["create_worker_cb", "io_wq_create_worker", "io_wqe_create_worker", "io_wq_dec_running",
             "io_wqe_dec_running", "io_wq_enqueue", "io_worker_handle_work", "io_wq_worker", "io_wqe_worker",
             "create_io_worker", "io_worker_exit", "io_wq_cancel_cb", "io_acct_cancel_pending_work",
             "io_wqe_cancel_pending_work", "io_wq_cancel_running_work", "io_wqe_cancel_running_work"]


def kinds(run: CodeRun) -> str:
    """Each finding by kind: the invariant it breaks, the variable a race
    is on, the function a WARN is in."""
    found = set()
    for f in map(str, run.findings):
        if f.startswith("data-race on "):
            found.add("race on " + re.sub(r"#\d+", "", f.split(":")[0][len("data-race on "):]))
        elif " > max_workers " in f:
            found.add("nr_workers > max_workers")
        elif " at rest, " in f:
            found.add("nr_workers at rest != workers" if "nr_workers" in f else "nr_running at rest != 0")
        elif f.startswith("WARN_ON at "):
            found.add("WARN_ON_ONCE in " + f[len("WARN_ON at "):].split(":")[0])
        else:
            found.add(re.sub(r"#\d+|\d+", "N", f.split(" at ")[0].split(":")[0]))
    return "; ".join(sorted(found)) or "-"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--churn", action="store_true", help="run the closed-loop worker-churn too")
    args = parser.parse_args()
    start = time.perf_counter()
    for folder in kernel_versions():
        source = (folder / "io-wq.c").read_text()
        try:
            program = load_program(source)
        except TriageError as exc:
            print(f"{folder.name:28} cannot load: {exc}")
            continue
        merged = CodeRun()
        for w in WORKLOADS.values():
            if w.name not in QUICK and not args.churn:
                continue
            cells = []
            for seed in range(args.seeds):
                try:
                    run = run_workload(program, w, seed=seed)
                except CannotExecute as exc:
                    cells.append(f"cannot execute: {exc.construct} ({exc.function})")
                    break
                except TriageError as exc:
                    cells.append(f"n/a: {exc.problem}")
                    break
                merged.lines |= run.lines
                m = run.metrics
                cells.append(f"run {m['works_run']:.0f} cancelled {m['works_cancelled']:.0f} of "
                             f"{m['works_submitted']:.0f}, created {m['workers_created']:.0f}: {kinds(run)}"
                             + (f" (printed: {'; '.join(run.notes)})" if run.notes else ""))
            print(f"{folder.name:28} {w.name:22} {' | '.join(cells)}")
        table = coverage(program, merged, [f for f in FUNCTIONS if f in program.functions])
        ran = sum(len(r) for _, r, _ in table)
        total = sum(len(r) + len(m) for _, r, m in table)
        missed = {name: m for name, _, m in table if m}
        print(f"{folder.name:28} coverage {ran}/{total} lines; not reached: "
              + ("; ".join(f"{n} {','.join(map(str, m))}" for n, m in missed.items()) or "none"))
    print(f"{time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
