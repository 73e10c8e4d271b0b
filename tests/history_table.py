"""The history table (run by hand, not part of the suite; two to three
minutes here):

    python -m tests.history_table [--schedules N] [--from 5.12]

Each pair of consecutive io-wq.c versions of ../shared/kernel-io-wq (in
release order), the later one taken as a patch to the earlier: the
code-mode delta between them, as `analyze` computes it for a patch whose
pre-image is known (sim/codedelta). Per pair: the scenarios that ran a
changed line, the findings fixed and introduced, the metrics made better
and worse, how many changed lines no scenario ran.
"""

from __future__ import annotations

import argparse
import time

from tests.conftest import kernel_versions, version_key
from triage.sim.codedelta import code_delta


def rows(schedules: int, start: str):
    folders = [p for p in sorted(kernel_versions(), key=lambda p: version_key(p.name))
               if version_key(p.name) >= version_key(start + "-x")]
    for older, newer in zip(folders, folders[1:]):
        began = time.perf_counter()
        delta = code_delta("io_uring/io-wq.c", (older / "io-wq.c").read_text(), (newer / "io-wq.c").read_text(),
                           schedules=schedules, loops=False)
        yield older.name, newer.name, delta, time.perf_counter() - began


def summary(delta) -> list[str]:
    if delta.stopped:
        return [f"cannot run: {delta.stopped}"]
    fixed = sorted({f.key for _, f in delta.fixed})
    introduced = sorted({f.key for _, f in delta.introduced})
    better = sorted({f"{d.metric} ({r.scenario}) {d.before} -> {d.after}" for r in delta.runs for d in r.metrics
                     if d.change.value == "improved"})
    worse = sorted({f"{d.metric} ({r.scenario}) {d.before} -> {d.after}" for r in delta.runs for d in r.metrics
                    if d.change.value == "regressed"})
    out = [f"{len(delta.runs)} scenario(s) ran a changed line; {len(delta.not_exercised)} changed line(s) not "
           f"exercised; {len(delta.definitions)} outside functions"]
    out += [f"fixed by the change: {k}" for k in fixed] + [f"introduced by the change: {k}" for k in introduced]
    out += [f"better: {x}" for x in better[:6]] + [f"worse: {x}" for x in worse[:6]]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schedules", type=int, default=2)
    parser.add_argument("--from", dest="start", default="5.12")
    args = parser.parse_args()
    for older, newer, delta, took in rows(args.schedules, args.start):
        print(f"{older} -> {newer} ({took:.1f} s)")
        for line in summary(delta):
            print(f"    {line}")


if __name__ == "__main__":
    main()
