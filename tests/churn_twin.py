"""worker-churn at full length, the model against the file's own code (run
by hand, not part of the suite: about a minute per file here):

    python -m tests.churn_twin [--files 6.15-c80f7a89 6.18.2-873db247] [--ms 8000]

For each file: the model with create_cb_tries_free_worker as the probe
reads it from the file, and the file's C, on the same closed loop (8
files, a hashed write and an fsync per cycle), seed 0, for --ms virtual
milliseconds (the code-mode workload's 8 s: a 6 s warm-up, the first
idle timeouts at 5 s). Prints each churn metric side by side.
"""

from __future__ import annotations

import argparse
import time

from tests.conftest import KERNEL_IOWQ
from triage.behaviour.probes import probe_create_cb, view_of_file
from triage.sim import scenarios as S
from triage.sim.codemode import WORKLOADS, load_program, run_workload, until

METRICS = ("workers_created", "workers_exited", "distinct_worker_ids", "peak_workers", "mean_workers",
           "creates_per_s_after_warmup", "exits_per_s_after_warmup", "works_done")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", nargs="+", default=["6.15-c80f7a89", "6.18.2-873db247"])
    parser.add_argument("--ms", type=float, default=8000.0)
    args = parser.parse_args()
    scenario = S.REGISTRY["worker-churn"]
    workload = until(WORKLOADS["worker-churn"], args.ms)
    for name in args.files:
        source = (KERNEL_IOWQ / name / "io-wq.c").read_text()
        knob = probe_create_cb(view_of_file(source)).value == "on"
        start = time.perf_counter()
        model = S.run(scenario.name, scenario.base.with_(create_cb_tries_free_worker=knob), seed=0,
                      horizon=args.ms / 1000.0, trace=False).metrics
        model_s = time.perf_counter() - start
        start = time.perf_counter()
        code = run_workload(load_program(source), workload, seed=0)
        code_s = time.perf_counter() - start
        print(f"{name}: create_cb_tries_free_worker {knob}; model {model_s:.1f} s, code {code_s:.1f} s "
              f"({code.steps:,} steps); code findings: {[f.message for f in code.findings] or 'none'}")
        for metric in METRICS:
            print(f"  {metric:28} model {model[metric]!s:>10}   code {code.metrics[metric]!s:>10}")


if __name__ == "__main__":
    main()
