"""Thread benchmark (not part of the test suite; run by hand):

    python -m tests.bench.bench_thread [--replies N]

A list thread whose patch flips the churn knob (create_worker_cb looks for a
free worker first: the worker-churn scenario, ~2 million engine steps per
side) and N replies that quote the whole patch (default 10), through
`triage analyze`, each run in a process of its own:
  cold  - empty simulator cache (what a first run costs),
  warm  - the cache the cold run left (every later run),
  floor - the same thread with --no-behaviour (reading, mapping, rendering).
Issue 13 measured 113 s of CPU for such a thread when every quoting reply
re-ran the scenario; target: under 5 s.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.test_report import PATCH, REPLY

SUBJECT = "[PATCH] io_uring/io-wq: check for a free worker first"
MID = "patch-1@example.org"


def thread(replies: int) -> str:
    whole = "\n".join("> " + line for line in PATCH.format(subject=SUBJECT, mid=MID).split("\n---\n", 1)[1]
                      .splitlines())
    messages = [PATCH.format(subject=SUBJECT, mid=MID)]
    messages += [REPLY.format(subject=SUBJECT, mid=MID, n=n, quote=whole + "\n\nLooks right to me.")
                 for n in range(1, replies + 1)]
    return "".join(f"From nobody Mon Sep 17 00:00:00 2001\n{m}\n" for m in messages)


def _timed(args: list[str], env: dict) -> tuple[float, float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "triage.cli", *args], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.returncode


def main() -> int:
    replies = int(sys.argv[sys.argv.index("--replies") + 1]) if "--replies" in sys.argv else 10
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "thread.mbox"
        path.write_text(thread(replies))
        env = {**os.environ, "TRIAGE_CACHE_DIR": str(Path(tmp) / "cache"),
               "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
        env.pop("TRIAGE_NO_CACHE", None)
        floor = _timed(["analyze", "--no-behaviour", str(path)], env)
        cold = _timed(["analyze", str(path)], env)
        warm = _timed(["analyze", str(path)], env)
    print(f"thread: 1 patch flipping create_cb_tries_free_worker + {replies} replies quoting it whole")
    for name, (wall, cpu, code) in (("cold", cold), ("warm", warm), ("floor", floor)):
        print(f"{name:6} {wall:6.2f} s wall  {cpu:6.2f} s CPU  (exit {code})")
    print(f"target (issue 13): under 5 s; cold {'met' if cold[0] < 5 else 'MISSED'}, "
          f"warm {'met' if warm[0] < 5 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
