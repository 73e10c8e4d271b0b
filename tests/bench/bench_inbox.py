"""Public-inbox benchmark (not part of the test suite; run by hand):

    python -m tests.bench.bench_inbox [--inbox PATH]

On the io-uring list's epoch (../shared/public-inbox/io-uring, 22,067
messages), each figure beside a floor measured in the same run:
  index build  - PublicInbox(...).entries with no cache (git log --raw +
                 cat-file --batch + header parsing), beside the floor: `git
                 cat-file --batch` alone reading the same blobs to /dev/null.
                 Target: within 3x of the floor.
  index kept   - the same with the index in the cache (every later run).
  thread       - one thread by message-id (lookup + cat-file of its blobs).
  inbox 2023   - `triage inbox --no-behaviour` over 2023, a process of its
                 own, warm index; and with behaviour (simulator cache empty).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from triage import diskcache
from triage.tree.inbox import PublicInbox, added_messages

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT.parent / "shared" / "public-inbox" / "io-uring"
THREAD = "20230831074221.2309565-1-ming.lei@redhat.com"


def floor(epoch: Path) -> float:
    """git cat-file --batch reading every message blob, output discarded."""
    blobs = "\n".join(b for b, _ in added_messages(epoch)) + "\n"
    start = time.perf_counter()
    subprocess.run(["git", "--git-dir", str(epoch), "cat-file", "--batch"], input=blobs.encode(),
                   stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--inbox", default=str(DEFAULT))
    args = parser.parse_args()
    if not (Path(args.inbox) / "git" / "0.git").exists():
        sys.exit(f"bench_inbox: no public-inbox at {args.inbox}")
    with tempfile.TemporaryDirectory() as cache:
        os.environ["TRIAGE_CACHE_DIR"] = cache
        diskcache.configure(None)
        epoch = Path(args.inbox) / "git" / "0.git"
        base = floor(epoch)
        start = time.perf_counter()
        inbox = PublicInbox(args.inbox)
        count = len(inbox.entries)
        built = time.perf_counter() - start
        start = time.perf_counter()
        assert len(PublicInbox(args.inbox).entries) == count
        kept = time.perf_counter() - start
        start = time.perf_counter()
        thread = inbox.thread(THREAD)
        data = inbox.mbox(thread)
        one = time.perf_counter() - start
        print(f"index build: {built:.2f} s for {count:,} messages; floor (git cat-file --batch, same blobs) "
              f"{base:.2f} s; ratio {built / base:.1f}x (target 3x)")
        print(f"index kept:  {kept:.2f} s")
        print(f"one thread:  {one * 1000:.0f} ms ({len(thread)} messages, {len(data):,} bytes)")
        for label, extra in (("no behaviour", ["--no-behaviour"]), ("with behaviour, cold", [])):
            with tempfile.TemporaryDirectory() as out:
                start = time.perf_counter()
                proc = subprocess.run([sys.executable, "-m", "triage.cli", "inbox", "--inbox", args.inbox,
                                       "--since", "2023-01-01", "--until", "2024-01-01", "--format", "json",
                                       "-o", os.path.join(out, "r.json"), *extra],
                                      capture_output=True, text=True, env=os.environ)
                took = time.perf_counter() - start
            line = next((x for x in proc.stderr.splitlines() if "inbox:" in x), "")
            print(f"inbox 2023 ({label}): {took:.1f} s, exit {proc.returncode}; {line.removeprefix('triage: ')}")


if __name__ == "__main__":
    main()
