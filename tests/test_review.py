"""Review state from the replies' own words (triage/ingest/review.py), and
the verdict that follows it."""

from __future__ import annotations

import csv

import pytest

from triage.analysis import analyze_document
from triage.ingest import read_bytes
from triage.model import InputResult, ReviewState
from triage.report.build import build_report

from .test_report import REPLY, thread_mbox

SUBJECT = "[PATCH] io_uring/io-wq: check for a free worker first"


def _reply(text: str, sender: str = "Jens Axboe <axboe@kernel.dk>", n: int = 5) -> str:
    return REPLY.format(subject=SUBJECT, mid="patch-1@example.org", n=n, quote="> the patch\n\n" + text).replace(
        "From: Jens Axboe <axboe@kernel.dk>", f"From: {sender}")


def _report(*replies: str):
    mbox = thread_mbox() + "".join(f"From nobody Mon Sep 17 00:00:00 2001\n{m}\n" for m in replies).encode()
    doc = read_bytes(mbox, "thread.mbox")
    return build_report([InputResult("thread.mbox", doc.form, analyze_document(doc, behaviour=False))])


def _states(text: str, sender: str = "Jens Axboe <axboe@kernel.dk>") -> list[tuple[str, str]]:
    (p,) = _report(_reply(text, sender)).patches
    return [(e.state.value, e.sentence) for e in p.review]


@pytest.mark.parametrize("text, expected", [
    ("Applied, thanks!\n\n[1/1] io_uring/io-wq: check for a free worker first\n      commit: 0123456789abcdef\n",
     [("applied", "Applied, thanks!")]),
    ("I've applied this for 5.10, thanks.", [("applied", "I've applied this for 5.10, thanks.")]),
    ("Now queued up, thanks.", [("queued", "Now queued up, thanks.")]),
    ("NAK. This breaks the exit path.", [("NAKed", "NAK.")]),
    ("Nacked-by: Jens Axboe <axboe@kernel.dk>\n", [("NAKed", "Nacked-by: Jens Axboe <axboe@kernel.dk>")]),
    ("Can you send a v2 with the comment fixed?", [("changes requested", "Can you send a v2 with the comment fixed?")]),
    ("This is not in Linus' tree yet, send it upstream first.",
     [("send it upstream first", "This is not in Linus' tree yet, send it upstream first.")]),
    # no decision: conditionals, questions, negations, a tester's local apply, wrapped prose
    ("I'll take it once applied to the io_uring tree.", []),
    ("Applied on top of 6.1, do you see the hang?", []),
    ("Not applied, it conflicts.", []),
    ("I applied this patch on top of v5.14-rc4 and it boots.", []),
    ("The work is\nqueued on tasks that were stuck.", []),
    ("Please ignore this patchset.", []),  # from a reviewer: not a withdrawal
])
def test_reply_words_decide_the_state(text, expected):
    assert _states(text) == expected


def test_only_the_author_withdraws_and_the_authors_v2_is_no_request():
    author = "Ada Example <ada@example.org>"
    assert _states("Please ignore this patchset.", author) == [("withdrawn", "Please ignore this patchset.")]
    assert _states("I'll send a v2 soon.", author) == []


def test_the_applied_commit_id_is_kept():
    (p,) = _report(_reply("Applied, thanks!\n\n[1/1] io-wq: x\n      commit: 0123456789abcdef\n")).patches
    assert p.review[0].commit == "0123456789abcdef" and p.review[0].message_id == "reply-5@kernel.dk"


def test_a_naked_patch_is_never_a_backport():
    (p,) = _report().patches
    assert p.assessment.verdict == "stable candidate"  # Fixes + Cc: stable, no tree
    (naked,) = _report(_reply("NAK, this deadlocks on exit.")).patches
    assert naked.assessment.verdict == "do not backport"
    assert naked.assessment.reasons[:2] == ('NAKed by Jens Axboe <axboe@kernel.dk>: "NAK, this deadlocks on exit."',
                                            "the checks said: stable candidate")
    (applied,) = _report(_reply("Applied, thanks!")).patches
    assert applied.assessment.verdict == "stable candidate"
    assert applied.assessment.reasons[-1] == 'applied by Jens Axboe <axboe@kernel.dk>: "Applied, thanks!"'


def test_review_state_on_the_lore_archive(lore_dir, lore_results, capsys):
    """Against the archive manifest's own `applied` column (a heuristic of
    the data set): every thread it calls applied has an applied or queued
    sentence; the 17 more we find were read by hand (e.g. "Applied for
    5.7.", "I've applied this for 5.10.", "Thanks, I've applied this for
    5.10.") and are maintainers applying the patch."""
    with open(lore_dir / "manifest.tsv", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    agree = {(True, True): 0, (True, False): 0, (False, True): 0, (False, False): 0}
    for row in rows:
        report = build_report([lore_results[row["file"]]])
        found = any(e.state in (ReviewState.APPLIED, ReviewState.QUEUED) for p in report.patches for e in p.review)
        agree[(row["applied"] == "yes", found)] += 1
    with capsys.disabled():
        print(f"\nreview state vs the manifest's applied column on {len(rows)} threads: both {agree[(True, True)]}, "
              f"manifest only {agree[(True, False)]}, triage only {agree[(False, True)]}, "
              f"neither {agree[(False, False)]}")
    assert agree == {(True, True): 53, (True, False): 0, (False, True): 17, (False, False): 236}
