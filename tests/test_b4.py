"""Trailers given in replies, against b4 (the tool maintainers apply
patches with): on every thread of ../shared/lore-io-wq that the archive's
manifest says carries review trailers, whatever `b4 am` collects into a
patch must be among what triage collects for that thread (b4 takes the
newest version only; triage keeps every version's page, so it may have
more, and says so). b4 runs offline on the same mbox (`--offline-mode`: it
would otherwise look for more trailers on lore.kernel.org)."""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from triage.analysis import analyze
from triage.report.build import build_report

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_ADDED = re.compile(r"^\s+\+ (?P<key>[A-Za-z-]+): (?P<value>.*?)(?:\s+\([^()]*\))?\s*$")
_EMAIL = re.compile(r"<([^<>]+)>")


def _b4() -> str:
    found = shutil.which("b4", path=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    if not found:
        if os.environ.get("CI"):
            pytest.fail("b4 is a test dependency (pyproject [test]) and must run under CI")
        pytest.skip("b4 not installed (pip install b4)")
    return found


def _key(key: str, value: str) -> tuple[str, str]:
    m = _EMAIL.search(value)
    return key.lower(), (m.group(1) if m else " ".join(value.split())).lower()


def b4_trailers(b4: str, mbox: Path, out: Path) -> set[tuple[str, str]]:
    proc = subprocess.run([b4, "--offline-mode", "-n", "am", "-m", str(mbox), "-o", str(out)],
                          capture_output=True, text=True, env={**os.environ, "HOME": str(out), "NO_COLOR": "1"})
    text = _ANSI.sub("", proc.stdout + proc.stderr)
    return {_key(m.group("key"), m.group("value")) for line in text.splitlines() if (m := _ADDED.match(line))}


def triage_trailers(mbox: Path) -> set[tuple[str, str]]:
    report = build_report(analyze([str(mbox)], behaviour=False))
    return {_key(t.key, t.value) for p in report.patches for t in p.reply_trailers}


def test_nothing_b4_collects_is_missed(lore_dir, tmp_path, capsys):
    b4 = _b4()
    with open(lore_dir / "manifest.tsv", newline="") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if int(r["review_trailers"] or 0) > 0]
    totals = {"threads": 0, "b4": 0, "triage": 0, "missed": 0}
    missed = {}
    for row in rows:
        mbox = lore_dir / row["file"]
        out = tmp_path / row["file"]
        out.mkdir()
        theirs, ours = b4_trailers(b4, mbox, out), triage_trailers(mbox)
        totals["threads"] += 1
        totals["b4"] += len(theirs)
        totals["triage"] += len(ours)
        if theirs - ours:
            missed[row["file"]] = sorted(theirs - ours)
            totals["missed"] += len(theirs - ours)
    with capsys.disabled():
        print(f"\ntrailers from replies on {totals['threads']} lore threads with review trailers: b4 collects "
              f"{totals['b4']}, triage {totals['triage']}, missed {totals['missed']}")
    assert totals["threads"] == len(rows) >= 20
    assert not missed, missed
