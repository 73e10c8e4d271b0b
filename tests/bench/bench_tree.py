"""Kernel-tree benchmark (not part of the test suite; run by hand):

    python -m tests.bench.bench_tree [--dir DIR] [--commits N]

Builds (once, cached in DIR, default /tmp/iowq-triage-bench-tree) a
kernel-scale synthetic tree with `git fast-import`: N mainline commits
(default 300,000) over ~1,000 driver files, a few hundred of them changing
io_uring/io-wq.c (our own io-wq-shaped fixture, not kernel source), a bug
commit early on and its fix late, Fixes: tags between io-wq commits, six
stable branches forked along the way with their own commits and backports
citing `commit X upstream.`, and a commit-graph as a maintained clone has.

Then measures, each beside its floor timed in the same run:
1. `triage analyze --repo` of the fix (as a mail) over the six branches and
   mainline, floor = the plain git commands that read the same facts
   (which branches contain the Fixes target and the fix: one
   `for-each-ref --contains` each; per branch: tip, fork point, its io-wq
   commits, the file, an apply check in a temporary index; mainline: the
   patch-id of the io-wq commits).
2. `triage scan` over a 10,000-commit range, floor = one `git log` of the
   range with bodies, one `for-each-ref --contains` per Fixes target, and
   per branch its fork point, its io-wq log and one patch-id pass.
Targets (issue 5): analyze under 2 s; scan within 2x of its floor.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FILE = "io_uring/io-wq.c"
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "iowq-forms" / "v6_9.c"
BRANCHES = 6
BRANCH_OWN = 1500  # commits of each stable branch's own
IOWQ_EVERY = 997  # mainline commits between io-wq changes (~300 in 300k)
ENV = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_TERMINAL_PROMPT": "0"}


def git(repo: Path, *args: str, input: str | None = None) -> str:
    return subprocess.run(["git", "--git-dir", str(repo), *args], input=input, capture_output=True, text=True,
                          env=ENV, check=True).stdout


def _forms() -> tuple[str, str]:
    buggy = FIXTURE.read_text()
    fixed = buggy.replace("\tbool do_create = false;\n\n\traw_spin_lock(&wq->lock);",
                          "\tbool do_create = false;\n\n\trcu_read_lock();\n"
                          "\tdo_create = !io_wq_activate_free_worker(wq, acct);\n\trcu_read_unlock();\n"
                          "\tif (!do_create)\n\t\tgoto no_need_create;\n\n\traw_spin_lock(&wq->lock);")
    return fixed, buggy


def _data(text: str) -> str:
    raw = text.encode()
    return f"data {len(raw)}\n{text}\n"


class Stream:
    """A git fast-import stream written straight into the process."""

    def __init__(self, repo: Path, marks_out: Path, marks_in: Path | None = None):
        args = ["git", "--git-dir", str(repo), "fast-import", "--quiet", f"--export-marks={marks_out}"]
        if marks_in:
            args.append(f"--import-marks={marks_in}")
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, text=True, env=ENV)
        self.when = 1_600_000_000

    def commit(self, ref: str, mark: int, message: str, files: dict[str, str], parent: str | None = None) -> None:
        self.when += 7
        out = [f"commit {ref}", f"mark :{mark}", f"author Ada Example <ada@example.org> {self.when} +0000",
               f"committer Ada Example <ada@example.org> {self.when} +0000", _data(message).rstrip("\n")]
        if parent:
            out.append(f"from {parent}")
        out += [f"M 100644 inline {path}\n{_data(text).rstrip(chr(10))}" for path, text in files.items()]
        self.proc.stdin.write("\n".join(out) + "\n\n")

    def close(self) -> None:
        self.proc.stdin.close()
        if self.proc.wait() != 0:
            raise SystemExit("git fast-import failed")


def _marks(path: Path) -> dict[int, str]:
    return {int(m[1:]): sha for m, sha in (line.split() for line in path.read_text().splitlines())}


def build(repo: Path, commits: int) -> dict:
    """Phase 1 (first half of mainline, the bug at its middle), phase 2 (the
    rest, io-wq commits naming phase-1 io-wq commits in Fixes:, the fix near
    the end), phase 3 (six stable branches with backports)."""
    fixed, buggy = _forms()
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "--bare", "-b", "master")
    half = commits // 2
    bug_at, fix_at = half // 2, commits - 700
    iowq: list[int] = []
    state = {"text": fixed, "n": 0}

    def iowq_text(mark: int, buggy_now: bool) -> str:
        state["n"] += 1
        base = buggy if buggy_now else fixed
        return base + "".join(f"/* change {i} */\n" for i in range(state["n"] % 40))

    def mainline(stream: Stream, start: int, stop: int, marks: dict[int, str]) -> None:
        for n in range(start, stop):
            mark = n + 1
            parent = f":{n}" if n and n == start and start else None
            if n == bug_at:
                stream.commit("refs/heads/master", mark, "io_uring/io-wq: create workers without looking for a "
                              "free one\n", {FILE: iowq_text(mark, True)}, parent)
                iowq.append(mark)
            elif n == fix_at:
                bug = marks[bug_at + 1]
                stream.commit("refs/heads/master", mark, "io_uring/io-wq: check for a free worker before "
                              "creating one\n\nA free worker is cheaper than a fork.\n\n"
                              f"Fixes: {bug[:12]} (\"io_uring/io-wq: create workers without looking for a free "
                              "one\")\nSigned-off-by: Ada Example <ada@example.org>\n",
                              {FILE: iowq_text(mark, False)}, parent)
                iowq.append(mark)
            elif n % IOWQ_EVERY == 0:
                target = next((m for m in reversed(iowq) if m in marks), None) if n >= half else None
                fixes = f"\nFixes: {marks[target][:12]} (\"io-wq change\")\n" if target and n % 2 else ""
                stream.commit("refs/heads/master", mark, f"io_uring/io-wq: change {n}\n{fixes}",
                              {FILE: iowq_text(mark, bug_at < n < fix_at)}, parent)
                iowq.append(mark)
            else:
                stream.commit("refs/heads/master", mark, f"drivers/foo: change {n}\n",
                              {f"drivers/foo/f{n % 1000}.c": f"int v{n};\n"}, parent)

    marks1, marks2, marks3 = (repo / "marks1", repo / "marks2", repo / "marks3")
    s = Stream(repo, marks1)
    mainline(s, 0, half, {})
    s.close()
    m1 = _marks(marks1)
    s = Stream(repo, marks2, marks1)
    mainline(s, half, commits, m1)
    s.close()
    m2 = _marks(marks2)
    forks = [half + (commits - half) * (i + 1) // (BRANCHES + 1) for i in range(BRANCHES)]
    s = Stream(repo, marks3, marks2)
    mark = commits + 1
    for i, fork in enumerate(forks):
        ref = f"refs/heads/linux-6.{i * 3 + 1}.y"
        after = [m for m in iowq if m > fork + 1]
        for k in range(BRANCH_OWN):
            parent = f":{fork + 1}" if k == 0 else None
            if k % 100 == 50 and after:
                up = after.pop(0)
                if up == fix_at + 1 and i % 2 == 0:
                    continue  # even branches keep the bug: the fix is left out
                s.commit(ref, mark, f"io_uring/io-wq: backport\n\ncommit {m2[up]} upstream.\n",
                         {FILE: iowq_text(mark, bug_at < up - 1 < fix_at)}, parent)
            else:
                s.commit(ref, mark, f"stable: fix {k}\n", {f"drivers/foo/stable{k % 50}.c": f"int s{k};\n"}, parent)
            mark += 1
    s.close()
    git(repo, "commit-graph", "write", "--reachable", "--changed-paths")
    for name in ("marks1", "marks2", "marks3"):
        (repo / name).unlink()
    return {"fix": m2[fix_at + 1], "bug": m2[bug_at + 1]}


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def best(fn, runs: int = 3) -> tuple[float, object]:
    results = [timed(fn) for _ in range(runs)]
    return min(r[0] for r in results), results[-1][1]


def floor_analyze(repo: Path, patch: str, branches: list[str], ids_needed: list[str]) -> None:
    paths = ["--", "io_uring/io-wq.c", "io_uring/io-wq.h", "fs/io-wq.c", "fs/io-wq.h"]
    pid = subprocess.run(["git", "patch-id", "--stable"], input=patch, capture_output=True, text=True,
                         env=ENV).stdout.split()[0]
    producer = subprocess.Popen(["git", "--git-dir", str(repo), "log", "-p", "--format=commit %H", "master", *paths],
                                stdout=subprocess.PIPE, env=ENV)
    ids = subprocess.run(["git", "patch-id", "--stable"], stdin=producer.stdout, capture_output=True, text=True,
                         env=ENV).stdout
    producer.wait()
    assert pid in ids
    for sha in ids_needed:
        git(repo, "for-each-ref", "--contains", sha, "refs/heads")
    for b in branches:
        git(repo, "rev-parse", b)
        fork = git(repo, "merge-base", "master", b).strip()
        git(repo, "log", "--format=%H%x00%s%x00%B", f"{fork}..{b}", *paths)
        git(repo, "cat-file", "blob", f"{b}:{FILE}")
        with tempfile.TemporaryDirectory() as tmp:
            env = {**ENV, "GIT_INDEX_FILE": os.path.join(tmp, "index")}
            subprocess.run(["git", "--git-dir", str(repo), "read-tree", f"{b}^{{tree}}"], env=env, check=True)
            subprocess.run(["git", "--git-dir", str(repo), "apply", "--cached", "--check"], input=patch, text=True,
                           env=env, capture_output=True)


def floor_scan(repo: Path, rev_range: str, branches: list[str]) -> None:
    paths = ["--", "io_uring/io-wq.c", "io_uring/io-wq.h", "fs/io-wq.c", "fs/io-wq.h"]
    log = git(repo, "log", "--format=%H%x00%B%x01", rev_range, *paths)
    targets = {line.split()[1] for line in log.splitlines() if line.startswith("Fixes: ")}
    for sha in targets:  # where each Fixes target is: one plain query for all branches
        git(repo, "for-each-ref", "--contains", sha, "refs/heads")
    for b in branches:
        fork = git(repo, "merge-base", "master", b).strip()
        git(repo, "log", "--format=%H%x00%s%x00%B", f"{fork}..{b}", *paths)
        producer = subprocess.Popen(["git", "--git-dir", str(repo), "log", "-p", "--format=commit %H",
                                     f"{fork}..{b}", *paths], stdout=subprocess.PIPE, env=ENV)
        subprocess.run(["git", "patch-id", "--stable"], stdin=producer.stdout, capture_output=True, env=ENV)
        producer.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", default="/tmp/iowq-triage-bench-tree")
    parser.add_argument("--commits", type=int, default=300_000)
    args = parser.parse_args()
    repo = Path(args.dir) / f"linux-{args.commits}.git"
    if not (repo / "info" / "commit-graph-built").exists():
        if repo.exists():
            subprocess.run(["rm", "-rf", str(repo)], check=True)
        took, _ = timed(lambda: build(repo, args.commits))
        (repo / "info" / "commit-graph-built").write_text("yes\n")
        print(f"built {repo} in {took:.1f} s")
    count = git(repo, "rev-list", "--count", "--all").strip()
    branches = [b for b in git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads").split()
                if b != "master"]
    fix = git(repo, "log", "-1", "--format=%H", "--grep=check for a free worker", "master").strip()
    touching = git(repo, "rev-list", "--count", "master", "--", FILE).strip()
    print(f"tree: {count} commits, {len(branches)} stable branches, {touching} mainline commits touch {FILE}")

    patch = git(repo, "format-patch", "-1", "--stdout", fix)
    with tempfile.TemporaryDirectory() as tmp:
        mail = Path(tmp) / "fix.mbox"
        mail.write_text(patch)
        cmd = [sys.executable, "-m", "triage.cli", "analyze", "--no-behaviour", "--repo", str(repo), str(mail)]
        t_cli, out = best(lambda: subprocess.run(cmd, capture_output=True, text=True, env=ENV))
        if out.returncode != 0:
            raise SystemExit(f"triage analyze failed: {out.stderr.strip()}")
        bug = git(repo, "log", "-1", "--format=%H", "--grep=^io_uring/io-wq: create workers", "master").strip()
        t_floor, _ = best(lambda: floor_analyze(repo, patch, branches, [bug, fix]))
        from triage.analysis import analyze
        t_lib, results = best(lambda: analyze([str(mail)], repo_path=str(repo), behaviour=False))
        verdicts = [(b.branch, b.verdict) for b in results[0].analyses[0].tree.branches]
    print(f"analyze (6 branches + mainline): {t_cli:.2f} s as a command (with Python start-up), "
          f"{t_lib:.2f} s in-process; floor (plain git, same facts) {t_floor:.2f} s; target < 2 s")
    print("  verdicts: " + "; ".join(f"{b} {v}" for b, v in verdicts))

    tip = git(repo, "rev-parse", "master").strip()
    start = git(repo, "rev-parse", "master~10000").strip()
    rev_range = f"{start}..{tip}"
    from triage.tree.repo import KernelRepo
    from triage.tree.scan import scan

    def run_scan():
        with KernelRepo(repo) as kr:
            return scan(kr, rev_range, "master", branches + ["master"])

    t_scan, found = best(run_scan)
    t_sfloor, _ = best(lambda: floor_scan(repo, rev_range, branches))
    print(f"scan over 10,000 commits: {t_scan:.2f} s, floor {t_sfloor:.2f} s, ratio {t_scan / t_sfloor:.2f}x "
          f"(target <= 2x); {len(found)} candidate(s)")
    for c in found:
        print(f"  {c.sha[:12]} {c.subject}: " + "; ".join(c.branches))


if __name__ == "__main__":
    main()
