"""Simulator results kept on disk between runs: the only file I/O of the
simulator, kept apart from the pure code that computes the results.

A run is a pure function of (scenario, knob settings, seed, schedules,
exploration mode, horizon) and of the simulator's own code. The key hashes
those with the tool's version and a fingerprint of every source file of
`triage/sim/`, so an edited model never reads a stale result. Entries are
pickles written atomically (temp file + rename) in a directory only the
user can read (mode 0700): `$TRIAGE_CACHE_DIR`, else
`$XDG_CACHE_HOME/iowq-triage`, else `~/.cache/iowq-triage`. An entry that
cannot be read is computed again; a directory that cannot be written is
used read-only or not at all, never an error. `--no-cache` (or
`TRIAGE_NO_CACHE=1`) turns it off.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from triage import __version__, diskcache
from triage.diskcache import configure, directory, enabled  # noqa: F401 - the CLI's --no-cache sets it here

FORMAT = 1  # bump when the shape of a stored value changes
MAX_ENTRIES = 64  # per scenario; the oldest go first (a churn pair is ~12 MB)
@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Hash of the simulator's source: results depend on it."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def key(*parts: object) -> str:
    text = repr((FORMAT, __version__, code_fingerprint()) + parts)
    return hashlib.sha256(text.encode()).hexdigest()


def _path(parts: tuple) -> Path:
    """parts: what the value is a function of, the scenario name first
    (entries are kept in a folder per scenario)."""
    return directory() / str(parts[0]) / f"{key(*parts)}.pickle"


def lookup(parts: tuple) -> object:
    """The kept value, or None when there is none (or the cache is off)."""
    return diskcache.read(_path(parts)) if enabled() else None


def store(parts: tuple, value: object) -> None:
    if enabled():
        _store(_path(parts), value)


def _store(path: Path, value: object) -> None:
    if diskcache.write(path, value):
        try:
            entries = sorted(path.parent.glob("*.pickle"), key=lambda p: p.stat().st_mtime)
            for old in entries[:-MAX_ENTRIES]:
                old.unlink(missing_ok=True)
        except OSError:
            pass  # a read-only or full cache directory only costs time
