"""What stops the interpreter: a construct it does not execute (never
guessed at), and faults of the running C (a NULL dereference)."""

from __future__ import annotations

from triage.errors import TriageError


class CannotExecute(TriageError):
    """`cannot execute: <construct> at io-wq.c:<line> in <function>`."""

    exit_code = 9

    def __init__(self, construct: str, file: str, line: int, function: str) -> None:
        self.construct = construct
        self.file = file
        self.line = line
        self.function = function
        super().__init__(file, f"cannot execute: {construct} at {file}:{line} in {function}")

    def __str__(self) -> str:
        return f"cannot execute: {self.construct} at {self.file}:{self.line} in {self.function}"

    @classmethod
    def at(cls, construct: str, file: str, site: str) -> "CannotExecute":
        """From a run-time site, `function:line` (or a scenario's own name)."""
        function, _, line = site.rpartition(":")
        if not function or not line.isdigit():
            return cls(construct, file, 0, site)
        return cls(construct, file, int(line), function)


class CFault(Exception):
    """The C did something a kernel would oops on (NULL dereference, a
    call through a NULL function pointer): ends the task, a finding."""

    def __init__(self, kind: str, detail: str, site: str) -> None:
        super().__init__(f"{kind}: {detail} at {site}")
        self.kind = kind
        self.detail = detail
        self.site = site
