"""Code-mode benchmark (not part of the test suite; run by hand):

    python -m tests.bench.bench_codemode [--file VERSION]

1. Engine steps per second of io-wq's own C (triage/cexec) on worker-churn,
   beside the Python model's worker-churn in the same run: the same closed
   loop (8 files, write + fsync), 1 virtual second each (each an engine
   step per shared access; the code makes more steps per work item, so
   work items per wall second is the figure a user feels).
2. The wall time of each code-mode workload on the file, with its steps
   (target: a scenario run on a file under 5 s), loading (parse + compile
   of every function) apart.
3. Exhaustive exploration of worker-flags (one preemption per instant, the
   default; target under 10 s), beside the same search without the lockset
   reduction and the seeded run as the floor of one schedule.
"""

from __future__ import annotations

import argparse
import time

from tests.conftest import KERNEL_IOWQ
from triage.sim import scenarios as S
from triage.sim.codemode import QUICK, WORKLOADS, exhaustive_mode, explore_exhaustive, load_program, run_workload, until


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--file", default="6.12-59b185fb")
    args = parser.parse_args()
    path = KERNEL_IOWQ / args.file / "io-wq.c"
    source = path.read_text()
    start = time.perf_counter()
    program = load_program(source)
    for name in program.functions:
        program.function(name)
    load = time.perf_counter() - start
    print(f"{args.file}: parse and compile {len(program.functions)} functions: {load:.2f} s")
    sc = S.REGISTRY["worker-churn"]
    start = time.perf_counter()
    model = S.run(sc.name, sc.base.with_(**sc.before), seed=0, horizon=1.0, trace=False)
    took = time.perf_counter() - start
    print(f"model worker-churn (1 virtual s): {model.steps} steps in {took:.2f} s = {model.steps / took:,.0f} steps/s, "
          f"{model.metrics['works_done'] / took:,.0f} work items/s")
    start = time.perf_counter()
    code = run_workload(program, until(WORKLOADS["worker-churn"], 1000.0), seed=0)
    took = time.perf_counter() - start
    print(f"code worker-churn (1 virtual s): {code.steps} steps in {took:.2f} s = {code.steps / took:,.0f} steps/s, "
          f"{code.metrics['works_done'] / took:,.0f} work items/s")
    for w in (WORKLOADS[name] for name in QUICK):
        start = time.perf_counter()
        run = run_workload(program, w, seed=0)
        took = time.perf_counter() - start
        print(f"code mode {w.name:30} {run.steps:6} steps in {took:.2f} s = {run.steps / took:,.0f} steps/s "
              f"({len(run.findings)} findings)")
    flags = WORKLOADS["worker-flags"]
    start = time.perf_counter()
    run_workload(program, flags, seed=0)
    floor = time.perf_counter() - start
    for reduce in (True, False):
        start = time.perf_counter()
        run, found = explore_exhaustive(program, flags, preemptions=1, reduce=reduce)
        took = time.perf_counter() - start
        print(f"exhaustive worker-flags{'' if reduce else ' without the lockset reduction'}: {took:.2f} s "
              f"(one seeded run {floor:.2f} s); {exhaustive_mode(found)}; {len(run.findings)} findings")


if __name__ == "__main__":
    main()
