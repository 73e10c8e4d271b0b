"""Progress goes to stderr when it is a terminal, never to stdout, and not
at all when stderr is a pipe."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

from .cli_run import run
from .conftest import ROOT

ARGS = ["simulate", "last-worker-keepalive", "--schedules", "3", "--no-cache"]


def test_progress_on_a_terminal_leaves_stdout_alone(tmp_path):
    plain = run(*ARGS)
    assert plain.returncode == 0 and "simulating" not in plain.stderr  # not a terminal: nothing shown
    controller, terminal = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"}
    proc = subprocess.Popen([sys.executable, "-m", "triage.cli", *ARGS], stdout=subprocess.PIPE, stderr=terminal,
                            cwd=ROOT, env=env)
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed: the process is done with it
            break
        if not chunk:
            break
        shown += chunk
    out = proc.stdout.read().decode()
    assert proc.wait() == 0
    os.close(controller)
    assert out == plain.stdout  # the same report, whole, on stdout
    assert b"simulating last-worker-keepalive" in shown and b"random schedules" in shown
