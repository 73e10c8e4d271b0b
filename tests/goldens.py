"""Golden files: rendered output compared byte for byte with tests/golden/.
On a mismatch the assertion prints the command that regenerates them."""

from __future__ import annotations

import os
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent / "golden"


def check_golden(name: str, actual: str, test_file: str) -> None:
    path = GOLDEN / name
    if os.environ.get("TRIAGE_REGEN"):
        path.write_text(actual)
    expected = path.read_text() if path.exists() else ""
    assert actual == expected, (
        f"{name} differs from the golden file; if the change is intended, regenerate with:\n"
        f"    TRIAGE_REGEN=1 python -m pytest tests/{Path(test_file).name}"
    )
