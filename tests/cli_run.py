"""Running the `triage` command in tests.

`run()` calls the typer app in this process (typer's CliRunner), with the
same error-to-exit-code mapping as the installed entry point
(`triage.cli.failure`): fast, and the simulator's per-process cache is
shared between tests. `run_process()` starts a real `python -m triage.cli`
process, for the few smoke tests that must see the real entry point; it
has no timeout (a loaded machine is slow, not wrong)."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from triage import cli
from triage.sim import cache

from .conftest import ROOT


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


@contextmanager
def _cwd(path: Path):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def run(*args: str, cwd: Path = ROOT, env_extra: dict | None = None) -> Ran:
    env = {"TRIAGE_DEBUG": None, **(env_extra or {})}
    with _cwd(cwd):
        result = CliRunner().invoke(cli.app, list(args), env=env, catch_exceptions=True)
    cache.configure(None)  # a command's --no-cache must not leak into the next test
    stderr = result.stderr
    code = result.exit_code
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        code, line = cli.failure(result.exception)
        stderr += line + "\n"
    return Ran(code, result.stdout, stderr)


def run_process(*args: str, cwd: Path = ROOT, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env_extra or {})}
    env.pop("TRIAGE_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "triage.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True)
