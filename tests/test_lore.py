"""Measurements over the public io-wq threads in ../shared/lore-io-wq
(skipped with a reason when the archive is absent). Figures are printed;
assertions are floors well under what was measured, never timings."""

from __future__ import annotations

import tomllib
from collections import Counter
from pathlib import Path

import pytest

from triage.analysis import analyze_document
from triage.ingest import read_path

from .lore import flatten, survey

pytestmark = pytest.mark.lore
HERE = Path(__file__).resolve().parent


def test_every_lore_message_parses_and_maps(lore_dir, capsys):
    result = survey.run(lore_dir)
    with capsys.disabled():
        print("\n" + survey.report(result))
    assert result.messages == 2637
    assert result.exceptions == []
    assert result.input_errors == []
    # every own io-wq.c hunk got a mapping; undetermined ones are rare
    assert result.outcome["undetermined"] <= 5


def test_judged_differences_stay_right(lore_dir):
    with open(HERE / "lore" / "judged-differences.toml", "rb") as handle:
        cases = tomllib.load(handle)["case"]
    for case in cases:
        analysis = analyze_document(read_path(lore_dir / case["file"]))[case["message"] - 1]
        hits = []
        for change in analysis.symbols:
            diff = analysis.message.diffs[change.diff_index]
            f = next(f for f in diff.files if f.path == change.file)
            h = f.hunks[change.hunk_index]
            if f"-{h.old_start},{h.old_len} +{h.new_start},{h.new_len}" == case["hunk"] and h.section_hint == case["hint"]:
                hits.append(f"{change.kind} {change.symbol}")
        assert case["truth"] in hits, (case, hits)


def test_flattened_diff_rebuild_accuracy(lore_dir, capsys):
    outcome: Counter = Counter()
    confidence: dict[str, list[float]] = {"exact": [], "changes-exact": [], "differs": [], "failed": []}
    for path in sorted(lore_dir.glob("*.mbox")):
        for message in read_path(path).messages:
            for diff in message.own_diffs:
                for f in diff.files:
                    if not f.path.endswith("io-wq.c"):
                        continue
                    for hunk in f.hunks:
                        if len(hunk.lines) > 40:
                            outcome["skipped (over 40 lines)"] += 1
                            continue
                        verdict, conf = flatten.check(f, hunk)
                        outcome[verdict] += 1
                        confidence[verdict].append(conf)
    total = outcome["exact"] + outcome["changes-exact"] + outcome["differs"] + outcome["failed"]
    exact = outcome["exact"] / total
    changed_right = (outcome["exact"] + outcome["changes-exact"]) / total

    def mean(xs):
        return sum(xs) / len(xs) if xs else 0.0

    with capsys.disabled():
        print(f"\nflattened-diff rebuild over lore io-wq.c hunks (<= 40 lines): {total} hunks, "
              f"exact {outcome['exact']} ({exact:.1%}), added/removed lines exact "
              f"{outcome['exact'] + outcome['changes-exact']} ({changed_right:.1%}), "
              f"differs {outcome['differs']}, failed {outcome['failed']}, "
              f"skipped {outcome['skipped (over 40 lines)']}; mean confidence exact {mean(confidence['exact']):.2f}, "
              f"differs {mean(confidence['differs']):.2f}")
    # measured 2026-11-21: 61.2% exact, 74.5% with the changed lines exact (closing note of issue 2)
    assert exact >= 0.5 and changed_right >= 0.65
    # confidence must mean something: wrong rebuilds are less sure than right ones
    assert mean(confidence["differs"]) < mean(confidence["exact"])
