"""The cost of a patch's delta from its own code (not part of the test
suite; run by hand):

    python -m tests.bench.bench_codedelta [--file VERSION]

1. `triage analyze PATCH --source FILE` (code mode: every workload on the
   pre-image and the patched file, seed 0 and three more schedules)
   beside `triage analyze PATCH` on the same patch without the pre-image
   (knobs from the hunks only: the floor), both in a fresh process with
   --no-cache. Target: under 10 s with code mode.
2. code_delta alone on the same pair, and again with the pre-image's runs
   remembered (a series on one tree, the mutation tests).
The patch: a single-point change of the file (create_worker_cb's
nr_workers++ dropped), written to a temporary folder.
"""

from __future__ import annotations

import argparse
import difflib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.conftest import KERNEL_IOWQ
from tests.mutations import MUTATIONS, apply
from triage.sim import codedelta


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--file", default="6.12-59b185fb")
    args = parser.parse_args()
    text = (KERNEL_IOWQ / args.file / "io-wq.c").read_text()
    (mutation,) = [m for m in MUTATIONS if m.function == "create_worker_cb" and "increment" in m.kind]
    mutated = apply(mutation, text)
    diff = "".join(difflib.unified_diff(text.splitlines(keepends=True), mutated.splitlines(keepends=True),
                                        "a/io_uring/io-wq.c", "b/io_uring/io-wq.c"))
    with tempfile.TemporaryDirectory() as tmp:
        patch = Path(tmp) / "p.patch"
        patch.write_text("From: A <a@example.org>\nSubject: [PATCH] io-wq: x\nDate: Tue, 1 Dec 2026 10:00:00 +0000\n"
                         "Message-ID: <b@example.org>\n\nx\n\nSigned-off-by: A <a@example.org>\n---\n" + diff)
        source = Path(tmp) / "io-wq.c"
        source.write_text(text)
        triage = [sys.executable, "-c", "from triage.cli import main; main()"]
        for label, extra in (("knobs only (hunks)", []), ("code mode (--source)", ["--source", str(source)])):
            start = time.perf_counter()
            subprocess.run(triage + ["analyze", str(patch), "--no-cache", *extra], check=True, capture_output=True)
            print(f"analyze, {label}: {time.perf_counter() - start:.2f} s")
    for label in ("code_delta", "code_delta, pre-image runs remembered"):
        start = time.perf_counter()
        delta = codedelta.code_delta("io_uring/io-wq.c", text, mutated)
        print(f"{label}: {time.perf_counter() - start:.2f} s ({len(delta.runs)} workloads ran the change, "
              f"{len(delta.introduced)} introduced finding(s))")


if __name__ == "__main__":
    main()
