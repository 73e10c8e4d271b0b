"""Shared fixtures: the corpus and its manifest, the lore archive (skipped
with a reason when absent), an isolated HOME for anything that runs git."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest
from hypothesis import settings

# CI gates landing: there, property tests run a fixed set of examples (a
# failure is reproducible); locally they keep exploring new ones.
settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
LORE = Path(os.environ.get("TRIAGE_LORE", ROOT.parent / "shared" / "lore-io-wq"))


@pytest.fixture(scope="session")
def manifest() -> list[dict]:
    with open(CORPUS / "manifest.toml", "rb") as handle:
        return tomllib.load(handle)["entry"]


@pytest.fixture(scope="session")
def lore_dir() -> Path:
    if not (LORE / "manifest.tsv").exists():
        pytest.skip(f"lore archive not found at {LORE} (set TRIAGE_LORE to its path)")
    return LORE


def fixture_path(name: str) -> Path:
    return FIXTURES / name
