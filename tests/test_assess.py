"""The stable-kernel-rules checklist, risk factors, patch verdict and blind
spots: on the seeds (no tree) and on the kernel-shaped story (with a tree)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from triage.analysis import analyze
from triage.assess.rules import assess
from triage.model import RuleCheck

from .conftest import CORPUS
from .kernel_tree import FIX_SUBJECT, build


def _checks(a) -> dict[str, RuleCheck]:
    return {c.rule: c for c in a.checks}


@pytest.fixture(scope="module")
def seeds():
    return {p.name[:3]: analyze([str(p)])[0].analyses for p in sorted(CORPUS.glob("*.txt"))}


def test_seed_000_autosel_backport(seeds):
    a = assess(seeds["000"][0])
    assert a.verdict == "stable backport"
    c = _checks(a)
    assert (c["size"].status, c["size"].reason) == ("pass", "20 diff lines with context (within the 100-line limit)")
    assert c["upstream first"].status == "unknown" and "9d83e1f05c98" in c["upstream first"].reason
    assert c["Fixes: tag"].status == "unknown"
    assert c["fixes a real bug"].status == "pass" and "workers_created 38 -> 9 (lower is better)" in \
        c["fixes a real bug"].reason
    assert (c["obviously correct"].status, c["obviously correct"].reason) == (
        "pass", "1 function(s) changed; 8 changed line(s); no struct changed")
    assert [(f.name, f.weight) for f in a.risk] == [("size", 0), ("spread", 0), ("locking and ordering", 2),
                                                    ("recovered diff", 1)]
    assert a.risk_total == 3
    assert "rcu_read_lock" in a.risk[2].reason
    assert a.blind_spots[0].startswith("no kernel tree")
    assert any(b.startswith("the diff was recovered (flattened, confidence 0.90)") for b in a.blind_spots)


def test_seed_003_review_without_own_patch(seeds):
    a = assess(seeds["003"][0])
    assert (a.verdict, a.risk, a.risk_total) == ("no patch", (), 0)
    assert _checks(a)["size"].status == "unknown"
    assert "only a quoted diff: the patch itself is in another message" in a.blind_spots
    assert ("the mail's words claim a change of worker_flags_atomic that no code in this message shows: "
            "a claim, not simulated") in a.blind_spots
    assert _checks(a)["fixes a real bug"].status == "unknown"  # a reply is never simulated


@pytest.mark.parametrize("seed", ["001", "002"])
def test_seeds_without_a_diff_show_claims_never_a_pass(seed, seeds):
    a = assess(seeds[seed][0])
    check = _checks(a)["fixes a real bug"]
    assert check.status == "unknown" and check.reason.startswith("not simulated: the mail says")


def test_failed_checks_come_first_without_a_tree(seeds):
    a = seeds["000"][0]
    big = replace(a, message=replace(a.message, commits=(), subject=None))
    hunk = big.message.diffs[0].files[0].hunks[0]
    lines = hunk.lines * 12
    grown = replace(hunk, lines=lines)
    f = replace(big.message.diffs[0].files[0], hunks=(grown,))
    d = replace(big.message.diffs[0], files=(f,))
    out = assess(replace(big, message=replace(big.message, diffs=(d,))))
    assert _checks(out)["size"].status == "fail"
    assert out.verdict == "check first" and out.reasons[0].startswith("size: 156 diff lines")


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    return build(tmp_path_factory.mktemp("kernel"))


def test_with_a_tree(story, tmp_path):
    mail = tmp_path / "fix.mbox"
    mail.write_text(story["fix_patch"])
    (result,) = analyze([str(mail)], repo_path=str(story["path"]), behaviour=False)
    a = assess(result.analyses[0])
    assert a.verdict == "backport"
    assert a.reasons == ("needs backport work: linux-5.15.y, linux-6.8.y", "not needed: linux-6.1.y",
                         "already fixed: linux-6.6.y", "needed: linux-6.9.y")
    c = _checks(a)
    assert c["upstream first"].status == "pass" and c["upstream first"].reason.startswith(
        f"in master as {story['m4'][:12]}")
    assert c["Fixes: tag"].reason == f"{story['m3'][:12]} (checked against the tree)"
    assert c["fixes a real bug"].status == "unknown"  # --no-behaviour: not pretended
    assert ("backport work", 2) in [(f.name, f.weight) for f in a.risk]
    assert not any(b.startswith("no kernel tree") for b in a.blind_spots)
    assert result.analyses[0].message.subject.title == FIX_SUBJECT


def test_risk_is_read_on_its_scale(seeds):
    from triage.assess.risk import BANDS, MAXIMUM, RISK_MAX, risk_band

    assert RISK_MAX == 25 == sum(MAXIMUM.values())
    a = assess(seeds["000"][0])
    assert (a.risk_total, a.risk_max, a.risk_band) == (3, 25, "low: small and contained")
    for analyses in seeds.values():
        for analysis in analyses:
            for f in assess(analysis).risk:
                assert 0 <= f.weight <= MAXIMUM[f.name], f  # a factor outside the table is a bug
    assert [risk_band(t).split(":")[0] for t in (0, 3, 4, 7, 8, 25)] == ["low", "low", "moderate", "moderate",
                                                                          "high", "high"]
    assert BANDS[-1][0] == RISK_MAX
