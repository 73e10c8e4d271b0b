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
    if target.is_dir():
        raise OutputError(str(target), "is a directory; this format writes one file")
    if target.exists() and not force:
        raise OutputError(str(target), "exists; use --force to overwrite")
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise OutputError(str(target), f"directory {directory} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise OutputError(str(target), f"cannot write: {exc.strerror or exc}") from None
    try:
        # mkstemp creates 0600; the file a user publishes (a report under a
        # web root) gets the mode any new file of theirs would get
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _umask() -> int:
    """The process umask (reading it means setting it: set it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_files(directory: str | Path, files: dict[str, str], force: bool = False) -> None:
    """Write a set of files into a directory (created when missing). Every
    name is checked before the first write: without force, one existing
    file stops the whole set, so a report is never half old, half new."""
    root = Path(directory)
    if root.exists() and not root.is_dir():
        raise OutputError(str(root), "exists and is not a directory")
    for name in files:
        if "/" in name or "\\" in name or name.startswith("."):
            raise OutputError(name, "not a plain file name")  # names come from build.page_name; a bug if hit
    if not force:
        existing = [name for name in files if (root / name).exists()]
        if existing:
            raise OutputError(str(root / existing[0]),
                              f"exists ({len(existing)} of the report's files do); use --force to overwrite")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(str(root), f"cannot create: {exc.strerror or exc}") from None
    for name, text in files.items():
        write_atomic(root / name, text, force=True)
