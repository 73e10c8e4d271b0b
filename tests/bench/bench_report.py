"""Report benchmark (not part of the test suite; run by hand):

    python -m tests.bench.bench_report [--behaviour] [--jobs N] [--slowest K] [--no-cache]

The HTML index and a page per patch for all threads of the public io-wq
archive (../shared/lore-io-wq or $TRIAGE_LORE), as `triage report DIR/*.mbox
--no-behaviour -o OUT` does it, timed by stage: parsing (read, analyse,
group, assess), rendering (Jinja2 to strings) and writing (atomic files).
Floors measured in the same run: reading the same bytes, and rendering a
one-line template once per output file. Target (issue 6): < 10 s in all.
--behaviour also runs the simulator for patches that change a modelled knob
(what `triage report` does by default); that is not part of the target.
--jobs N analyses the threads in N processes (as `triage report --jobs N`);
--slowest K (with --jobs 1) times each thread alone and prints the K
slowest; --no-cache runs every simulation again (else the disk cache of
triage/sim/cache.py is used, in $TRIAGE_CACHE_DIR when set).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import jinja2

from tests.conftest import LORE
from triage.analysis import analyze
from triage.outfile import write_files
from triage.report.build import build_report
from triage.report.site import render_site


def main() -> int:
    files = sorted(str(p) for p in LORE.glob("*.mbox"))
    if not files:
        print(f"lore archive not found at {LORE} (set TRIAGE_LORE)")
        return 2
    behaviour = "--behaviour" in sys.argv
    jobs = int(sys.argv[sys.argv.index("--jobs") + 1]) if "--jobs" in sys.argv else 1
    slowest = int(sys.argv[sys.argv.index("--slowest") + 1]) if "--slowest" in sys.argv else 0
    if "--no-cache" in sys.argv:
        from triage.sim import cache

        cache.configure(False)
    start = time.perf_counter()
    size = sum(len(Path(f).read_bytes()) for f in files)
    read_floor = time.perf_counter() - start

    start = time.perf_counter()
    timed = []
    if slowest and jobs == 1:
        results = []
        for f in files:
            t = time.perf_counter()
            results += analyze([f], behaviour=behaviour)
            timed.append((time.perf_counter() - t, f))
    else:
        results = analyze(files, behaviour=behaviour, jobs=jobs)
    report = build_report(results)
    parse = time.perf_counter() - start

    start = time.perf_counter()
    site = render_site(report)
    render = time.perf_counter() - start

    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        write_files(out, site)
        write = time.perf_counter() - start

    template = jinja2.Environment(autoescape=True).from_string("<p>{{ x }}</p>")
    start = time.perf_counter()
    for name in site:
        template.render(x=name)
    render_floor = time.perf_counter() - start

    total = parse + render + write
    pages = len(report.patches)
    print(f"threads: {len(files)}, {size / 1e6:.1f} MB; patches (pages): {pages}; files written: {len(site)} "
          f"({sum(len(t) for t in site.values()) / 1e6:.1f} MB); behaviour: {'on' if behaviour else 'off'}")
    print(f"parse  (read, analyse, group, assess): {parse:6.2f} s   floor, reading the bytes: {read_floor:.3f} s")
    print(f"render (Jinja2, {len(site)} files):        {render:6.2f} s   floor, a one-line template per file: "
          f"{render_floor:.3f} s")
    print(f"write  (atomic, fsync each):            {write:6.2f} s")
    print(f"total:                                  {total:6.2f} s   target < 10 s: {'met' if total < 10 else 'MISSED'}"
          f"   ({jobs} process(es))")
    for seconds, f in sorted(timed, reverse=True)[:slowest]:
        print(f"  {seconds:7.2f} s  {Path(f).name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
