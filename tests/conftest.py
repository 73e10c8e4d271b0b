"""Shared fixtures: the corpus and its manifest, the lore archive (skipped
with a reason when absent), an isolated HOME for anything that runs git."""

from __future__ import annotations

import re

import os
import tempfile
import tomllib
from pathlib import Path

import pytest
from hypothesis import settings

# CI gates landing: there, property tests run a fixed set of examples (a
# failure is reproducible); locally they keep exploring new ones.
settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

# Simulator results kept on disk (triage/sim/cache.py) go to a folder of this
# test session, shared by its in-process and subprocess runs and by the
# xdist workers (they inherit the controller's environment); never the
# user's own cache. The controller's TemporaryDirectory removes it at exit.
if "TRIAGE_TEST_SESSION_CACHE" not in os.environ:
    _CACHE = tempfile.TemporaryDirectory(prefix="triage-test-cache-")
    os.environ["TRIAGE_TEST_SESSION_CACHE"] = _CACHE.name
os.environ["TRIAGE_CACHE_DIR"] = os.environ["TRIAGE_TEST_SESSION_CACHE"]
os.environ.pop("TRIAGE_NO_CACHE", None)

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
LORE = Path(os.environ.get("TRIAGE_LORE", ROOT.parent / "shared" / "lore-io-wq"))
# real io-wq.c versions (5.5 -> 7.1, linux-next), read in place, never copied
KERNEL_IOWQ = Path(os.environ.get("TRIAGE_KERNEL_IOWQ", ROOT.parent / "shared" / "kernel-io-wq"))
PUBLIC_INBOX = Path(os.environ.get("TRIAGE_PUBLIC_INBOX", ROOT.parent / "shared" / "public-inbox" / "io-uring"))


@pytest.fixture(scope="session")
def manifest() -> list[dict]:
    with open(CORPUS / "manifest.toml", "rb") as handle:
        return tomllib.load(handle)["entry"]


@pytest.fixture(scope="session")
def lore_dir() -> Path:
    if not (LORE / "manifest.tsv").exists():
        pytest.skip(f"lore archive not found at {LORE} (set TRIAGE_LORE to its path)")
    return LORE


@pytest.fixture(scope="session")
def lore_results(lore_dir) -> dict:
    """Every lore thread analysed once per test process (no behaviour), by
    file name: the report, thread, review and version tests read them all."""
    from triage.analysis import analyze

    files = sorted(lore_dir.glob("*.mbox"))
    return {Path(r.source).name: r for r in analyze([str(f) for f in files], behaviour=False)}


@pytest.fixture(scope="session")
def public_inbox() -> Path:
    """The io-uring list's public-inbox archive (read-only, used in place)."""
    if not (PUBLIC_INBOX / "git" / "0.git" / "HEAD").exists():
        pytest.skip(f"public-inbox archive not found at {PUBLIC_INBOX} (set TRIAGE_PUBLIC_INBOX to its path)")
    return PUBLIC_INBOX


def kernel_versions() -> list[Path]:
    """The folders of ../shared/kernel-io-wq, each holding one real io-wq.c
    (empty when the data set is absent: tests skip with the reason)."""
    if not (KERNEL_IOWQ / "manifest.tsv").exists():
        return []
    return sorted(p for p in KERNEL_IOWQ.iterdir() if (p / "io-wq.c").exists())


def version_key(name: str) -> tuple:
    """A ../shared/kernel-io-wq folder name in release order: 5.14-rc1 <
    5.14-rc5 < 5.14 < 5.14.3 < 5.14.y < 5.15-rc1 ... < linux-next."""
    if name.startswith("linux-next"):
        return (99,)
    release = name.rsplit("-", 1)[0]  # the commit id goes
    rc = re.search(r"-rc(\d+)$", release)
    base = release[:rc.start()] if rc else release
    parts = base.split(".")
    major, minor = int(parts[0]), int(parts[1])
    point = parts[2] if len(parts) > 2 else "0"
    return (major, minor, 0, int(rc.group(1))) if rc else (major, minor, 1, 999 if point == "y" else int(point))


def need_kernel_iowq() -> None:
    if not kernel_versions():
        pytest.skip(f"real io-wq.c versions not found at {KERNEL_IOWQ} (set TRIAGE_KERNEL_IOWQ)")


def fixture_path(name: str) -> Path:
    return FIXTURES / name
