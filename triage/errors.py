"""The one error hierarchy. Library code raises these; only cli.py turns them
into a single stderr line and an exit code (documented in README.md)."""

from __future__ import annotations


class TriageError(Exception):
    """Base of every error the tool reports to a user."""

    exit_code = 70  # internal: should not happen

    def __init__(self, subject: str, problem: str) -> None:
        super().__init__(f"{subject}: {problem}")
        self.subject = subject
        self.problem = problem


class InputError(TriageError):
    """An input cannot be read, or is not a mail, thread or diff."""

    exit_code = 3


class DiffError(InputError):
    """A diff is truncated, garbled or binary beyond what can be recovered."""

    exit_code = 4


class SourceError(TriageError):
    """A C source file given with --source cannot be read or parsed."""

    exit_code = 5


class GitError(TriageError):
    """A kernel tree query failed (bad sha, missing repo)."""

    exit_code = 6


class ScenarioError(TriageError):
    """An unknown scenario or knob, or a knob value it does not take."""

    exit_code = 8
