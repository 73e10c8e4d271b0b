"""Progress of long work, shown on stderr when it is a terminal.

Library code says what it is doing (`step`, `status`) and knows nothing of
where it goes; only the CLI opens a display (`shown`), and only when stderr
is a terminal: piped or redirected runs, tests and CI print nothing, and
stdout is never touched. rich (which typer already brings) draws it,
transient: the lines vanish when the work is done.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Iterator

_display = None  # the open rich Progress, or None


@contextlib.contextmanager
def shown(enabled: bool | None = None) -> Iterator[None]:
    """Open the display for the duration of a command (enabled: default
    whether stderr is a terminal)."""
    global _display
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled or _display is not None:
        yield
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=Console(stderr=True), transient=True,
                  # rich would otherwise capture our stdout and print it on its
                  # console, stderr: a report piped to a file would be empty
                  redirect_stdout=False, redirect_stderr=False) as display:
        _display = display
        try:
            yield
        finally:
            _display = None


class _Task:
    def __init__(self, description: str, total: int | None) -> None:
        self.id = _display.add_task(description, total=total) if _display is not None else None

    def advance(self, description: str | None = None) -> None:
        if self.id is not None and _display is not None:
            _display.update(self.id, advance=1, **({"description": description} if description else {}))

    def done(self) -> None:
        if self.id is not None and _display is not None:
            _display.remove_task(self.id)
            self.id = None


@contextlib.contextmanager
def task(description: str, total: int | None = None) -> Iterator[_Task]:
    """A line of the display: a bar when total is known, a spinner when not."""
    t = _Task(description, total)
    try:
        yield t
    finally:
        t.done()
