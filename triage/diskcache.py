"""What the tool keeps on disk between runs (simulator results, the
message-id index of a public-inbox archive): one folder only the user can
read (mode 0700): `$TRIAGE_CACHE_DIR`, else `$XDG_CACHE_HOME/iowq-triage`,
else `~/.cache/iowq-triage`. Entries are pickles written atomically (temp
file + rename). An entry that cannot be read is computed again; a folder
that cannot be written costs time, never an error. `--no-cache` (or
`TRIAGE_NO_CACHE=1`) turns it off.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path

_enabled: bool | None = None  # None: decided by the environment


def configure(enabled: bool | None) -> None:
    """The CLI's --no-cache (None: back to the environment's choice)."""
    global _enabled
    _enabled = enabled


def enabled() -> bool:
    if _enabled is not None:
        return _enabled
    return os.environ.get("TRIAGE_NO_CACHE", "") in ("", "0")


def directory() -> Path:
    if os.environ.get("TRIAGE_CACHE_DIR"):
        return Path(os.environ["TRIAGE_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "iowq-triage"


def read(path: Path) -> object:
    """The kept value, or None (missing, damaged or foreign: computed again)."""
    try:
        with open(path, "rb") as handle:
            return pickle.load(handle)
    except Exception:  # noqa: BLE001
        return None


def write(path: Path, value: object) -> bool:
    """Keep value at path; False when the folder cannot be written."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pickle")
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
        return True
    except OSError:
        return False
