"""Hostile-input benchmark (not part of the test suite; run by hand):

    python -m tests.bench.bench_hostile [--only SUBSTRING] [--limit-seconds 10]

Every input of tests/hostile.py through four commands, each in a process of
its own (`analyze`, `analyze --format json`, `report -o DIR`, `report
--format reply`), measuring wall time and peak resident memory of that
process (os.wait4's rusage). Targets (issue 13): no exit 70, no run over
10 s, peak memory under 1 GB. The floor, measured in the same run: the
same four commands on an empty input (interpreter start and imports).
Nothing here kills a slow run: a hang shows as its real time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.hostile import write_cases

COMMANDS = {
    "analyze": ["analyze", "{input}"],
    "json": ["analyze", "--format", "json", "{input}"],
    "html": ["report", "{input}", "-o", "{out}"],
    "reply": ["report", "--format", "reply", "{input}"],
}


def _run(args: list[str]) -> tuple[int, float, float, str]:
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "triage.cli", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    err = proc.stderr.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, time.perf_counter() - start, usage.ru_maxrss / 1024, err


def main() -> int:
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else ""
    limit = float(sys.argv[sys.argv.index("--limit-seconds") + 1]) if "--limit-seconds" in sys.argv else 10.0
    with tempfile.TemporaryDirectory() as tmp:
        cases = [c for c in write_cases(Path(tmp) / "in") if only in c[0]]
        empty = Path(tmp) / "empty.eml"
        empty.write_bytes(b"")
        floor = {}
        for cmd, template in COMMANDS.items():
            args = [a.format(input=empty, out=Path(tmp) / "floor") for a in template]
            floor[cmd] = _run(args)[1]
        print(f"{'input':34} " + " ".join(f"{c:>15}" for c in COMMANDS))
        internal = slow = heavy = runs = 0
        worst = (0.0, "")
        for name, path in cases:
            cells = []
            for cmd, template in COMMANDS.items():
                out = Path(tmp) / "out" / f"{name}-{cmd}"
                code, seconds, mib, err = _run([a.format(input=path, out=out) for a in template])
                runs += 1
                internal += code == 70 or "Traceback" in err
                slow += seconds > limit
                heavy += mib > 1024
                worst = max(worst, (seconds, f"{name} {cmd}"))
                mark = "!" if code == 70 or seconds > limit or mib > 1024 else " "
                cells.append(f"{code:>2} {seconds:5.1f}s {mib:4.0f}M{mark}")
            print(f"{name[:34]:34} " + " ".join(cells), flush=True)
        print(f"\n{len(cases)} inputs x {len(COMMANDS)} commands = {runs} runs: {internal} internal errors, "
              f"{slow} over {limit:g} s, {heavy} over 1 GiB; slowest {worst[0]:.1f} s ({worst[1]})")
        print("floor (empty input): " + ", ".join(f"{c} {s:.2f} s" for c, s in floor.items()))
    return 1 if internal or slow or heavy else 0


if __name__ == "__main__":
    sys.exit(main())
