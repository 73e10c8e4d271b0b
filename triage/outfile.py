"""Output files are written atomically: a temporary file in the same
directory, then a rename, so a reader never sees half a report and an
interrupted run leaves the old file intact."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from triage.errors import TriageError


class OutputError(TriageError):
    exit_code = 7


def write_atomic(path: str | Path, text: str, force: bool = False) -> None:
    target = Path(path)
    if target.exists() and not force:
        raise OutputError(str(target), "exists; use --force to overwrite")
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise OutputError(str(target), f"directory {directory} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
