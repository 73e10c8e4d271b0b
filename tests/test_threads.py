"""Threads, series, versions and bug reports (triage/ingest/threads.py) and
the links the report builds from them."""

from __future__ import annotations

import collections
import csv
import subprocess
from dataclasses import replace

import pytest

from triage.analysis import analyze_document
from triage.ingest import read_bytes
from triage.ingest.threads import group_thread, is_bug_report, normal_title, trace_functions
from triage.model import InputResult, PageKind, ReviewState
from triage.report.amview import am_mbox
from triage.report.build import build_report

DIFF = """---
 io_uring/io-wq.c | 2 +-
 1 file changed, 1 insertion(+), 1 deletion(-)

diff --git a/io_uring/io-wq.c b/io_uring/io-wq.c
--- a/io_uring/io-wq.c
+++ b/io_uring/io-wq.c
@@ -10,3 +10,3 @@ static void io_wq_{n}(void)
 {{
-	a = {n};
+	a = {n} + 1;
 }}
"""


def mail(subject: str, mid: str, date: str = "Mon, 2 Jan 2023 10:00:00 +0000", sender: str = "Ada <ada@example.org>",
         reply_to: str | None = None, refs: tuple[str, ...] = (), diff: bool = True, body: str = "Why.\n",
         n: int = 1) -> str:
    head = [f"From: {sender}", f"Subject: {subject}", f"Date: {date}", f"Message-ID: <{mid}>"]
    if reply_to:
        head.append(f"In-Reply-To: <{reply_to}>")
    if refs:
        head.append("References: " + " ".join(f"<{r}>" for r in refs))
    text = "\n".join(head) + "\n\n" + body + "\nSigned-off-by: " + sender + "\n"
    return text + (DIFF.format(n=n) if diff else "")


def report(*mails: str, inputs: int = 1):
    """The mails as one mbox (or each as an input of its own: versions link across inputs)."""
    chunks = [m if m.endswith("\n") else m + "\n" for m in mails]
    groups = [chunks] if inputs == 1 else [[c] for c in chunks]
    results = []
    for i, group in enumerate(groups):
        data = "".join("From nobody Mon Sep 17 00:00:00 2001\n" + c for c in group).encode()
        doc = read_bytes(data, f"in{i}.mbox")
        results.append(InputResult(f"in{i}.mbox", doc.form, analyze_document(doc, behaviour=False)))
    return build_report(results)


def by_subject(rep) -> dict[str, object]:
    return {p.analysis.message.subject.raw: p for p in rep.patches}


# ------------------------------------------------------------------ series


def test_series_members_without_a_number_join_their_numbered_cover():
    rep = report(mail("[PATCH v5 0/2] fixed worker", "c5@x", diff=False),
                 mail("[PATCH 1/2] io-wq: one", "p1@x", reply_to="c5@x", refs=("c5@x",), n=1),
                 mail("[PATCH 2/2] io-wq: two", "p2@x", reply_to="c5@x", refs=("c5@x",), n=2))
    pages = by_subject(rep)
    one = pages["[PATCH 1/2] io-wq: one"]
    assert one.kind is PageKind.PATCH and one.version == 5
    assert [(link.label, link.current) for link in one.series] == [("cover", False), ("1/2", True), ("2/2", False)]
    assert pages["[PATCH v5 0/2] fixed worker"].kind is PageKind.COVER


def test_chained_members_and_missing_ones():
    # --chain-reply-to: 2/3 answers 1/3; 3/3 is not in the input
    rep = report(mail("[PATCH 1/3] io-wq: one", "p1@x", n=1),
                 mail("[PATCH 2/3] io-wq: two", "p2@x", reply_to="p1@x", refs=("p1@x",), n=2))
    two = by_subject(rep)["[PATCH 2/3] io-wq: two"]
    assert [(link.label, link.page is None) for link in two.series] == [("1/3", False), ("2/3", False), ("3/3", True)]
    assert two.series[2].subject == "not in the input"


def test_autosel_mails_are_no_incomplete_series():
    rep = report(mail("[PATCH AUTOSEL 6.1 07/12] io_uring/io-wq: x", "a7@x", sender="Sasha <sasha@kernel.org>"))
    (p,) = rep.patches
    assert p.series == () or all(link.page is not None for link in p.series)


# ---------------------------------------------------------------- versions


def test_versions_across_inputs_the_latest_supersedes():
    rep = report(mail("[PATCH] io-wq: fix the thing", "v1@x", date="Mon, 2 Jan 2023 10:00:00 +0000"),
                 mail("[PATCH v3] io_uring/io-wq: Fix the thing.", "v3@x", date="Fri, 6 Jan 2023 10:00:00 +0000"),
                 mail("[PATCH v2] io-wq: fix the thing", "v2@x", date="Wed, 4 Jan 2023 10:00:00 +0000"),
                 inputs=3)
    pages = by_subject(rep)
    v1 = pages["[PATCH] io-wq: fix the thing"]
    assert [link.label for link in v1.versions] == ["v1", "v2", "v3"]
    assert [link.current for link in v1.versions] == [True, False, False]
    assert v1.superseded_by.label == "v3" and v1.superseded_by.page == pages["[PATCH v3] io_uring/io-wq: Fix the thing."].page
    assert v1.assessment.verdict == "superseded"
    assert v1.assessment.reasons[0].startswith('superseded by v3: "[PATCH v3] io_uring/io-wq: Fix the thing." (2023-01-06)')
    assert [e.state for e in v1.review] == [ReviewState.SUPERSEDED]
    v3 = pages["[PATCH v3] io_uring/io-wq: Fix the thing."]
    assert v3.superseded_by is None and v3.assessment.verdict != "superseded"


def test_a_v1_posted_after_v5_is_not_superseded_by_it():
    rep = report(mail("[PATCH v5] io-wq: a", "v5@x", date="Mon, 2 Jan 2023 10:00:00 +0000"),
                 mail("[RFC PATCH] io-wq: a", "again@x", date="Tue, 2 Jan 2024 10:00:00 +0000"), inputs=2)
    assert all(p.superseded_by is None for p in rep.patches)
    assert all(len(p.versions) == 2 for p in rep.patches)


@pytest.mark.parametrize("first, later, superseded", [
    ("[RFC] io-wq: a", "[PATCH] io-wq: a", True),  # the RFC became a patch
    ("[PATCH] io-wq: a", "[PATCH RESEND] io-wq: a", True),
    ("[PATCH] io-wq: a", "[PATCH 3/9] io-wq: a", False),  # collected again in someone's batch: same version
])
def test_same_number_posted_again(first, later, superseded):
    rep = report(mail(first, "one@x", date="Mon, 2 Jan 2023 10:00:00 +0000"),
                 mail(later, "two@x", date="Tue, 3 Jan 2023 10:00:00 +0000"), inputs=2)
    assert (by_subject(rep)[first].superseded_by is not None) is superseded


def test_stable_target_posts_and_other_authors_are_not_versions():
    rep = report(mail("[PATCH] io-wq: a", "m@x"),
                 mail("[PATCH 6.1] io-wq: a", "s@x", date="Tue, 3 Jan 2023 10:00:00 +0000"),
                 mail("[PATCH v2] io-wq: a", "o@x", sender="Bo <bo@example.org>", date="Wed, 4 Jan 2023 10:00:00 +0000"),
                 inputs=3)
    assert all(p.versions == () and p.superseded_by is None for p in rep.patches)


def test_a_v2_sent_in_reply_to_v1_is_its_own_posting():
    rep = report(mail("[PATCH 0/2] io-wq sharing", "c1@x", diff=False),
                 mail("[PATCH 1/2] io-wq: share", "a1@x", reply_to="c1@x", refs=("c1@x",), n=1),
                 mail("[PATCH v2 0/2] io-wq sharing", "c2@x", reply_to="c1@x", refs=("c1@x",), diff=False,
                      date="Tue, 3 Jan 2023 10:00:00 +0000"),
                 mail("[PATCH 1/2] io-wq: share", "b1@x", reply_to="c2@x", refs=("c1@x", "c2@x"), n=1,
                      date="Tue, 3 Jan 2023 10:00:01 +0000"))
    covers = [p for p in rep.patches if p.kind is PageKind.COVER]
    assert [p.version for p in covers] == [1, 2]
    assert covers[0].superseded_by.label == "v2" and covers[1].superseded_by is None
    members = [p for p in rep.patches if p.kind is PageKind.PATCH]
    assert [p.version for p in members] == [1, 2]
    # each member's versions link to the other posting's member of the same title
    assert members[0].superseded_by.page == members[1].page


def test_normal_title():
    assert normal_title("io_uring/io-wq: Fix the thing.") == normal_title("io-wq: fix  the thing")
    assert normal_title("task_work optimization") == normal_title("task work optimization")


# ------------------------------------------------------------- bug reports

REPORT = """From: syzbot <syzbot+6cb11ade52aa17095297@syzkaller.appspotmail.com>
Subject: [syzbot] KASAN: use-after-free Read in io_worker_handle_work
Date: Wed, 19 May 2021 02:30:00 -0700
Message-ID: <000000000000a1b2c3@google.com>

Hello,

syzbot found the following issue on:

==================================================================
BUG: KASAN: use-after-free in __wake_up_common+0x637/0x650 kernel/sched/wait.c:101
Read of size 8 at addr ffff888034e9c0b0 by task iou-wrk-1/8473

Call Trace:
 __dump_stack lib/dump_stack.c:79 [inline]
 dump_stack+0x141/0x1d7 lib/dump_stack.c:120
 print_address_description.constprop.0.cold+0x5b/0x2f8 mm/kasan/report.c:233
 kasan_report.cold+0x7c/0xd8 mm/kasan/report.c:419
 ? schedule+0x10/0x20
 __wake_up_common+0x637/0x650 kernel/sched/wait.c:101
 io_worker_handle_work+0x9dd/0x1790 fs/io-wq.c:512
 io_wqe_worker+0x2d3/0xd30 fs/io-wq.c:571
 ret_from_fork+0x1f/0x30 arch/x86/entry/entry_64.S:294
"""


def test_a_syzbot_report_with_its_functions_and_the_patches_answering_it():
    fix = mail("[PATCH] io-wq: Fix UAF when wakeup wqe in hash waitqueue", "fix@x",
               date="Thu, 20 May 2021 10:00:00 +0000",
               body="Fix it.\n\nReported-by: syzbot+6cb11ade52aa17095297@syzkaller.appspotmail.com\n")
    test_diff = mail("Re: [syzbot] KASAN: use-after-free Read in io_worker_handle_work", "t@x",
                     reply_to="000000000000a1b2c3@google.com", body="#syz test\n", sender="Bo <bo@example.org>")
    chinese = mail("回复: [syzbot] KASAN: use-after-free Read in io_worker_handle_work", "t2@x",
                   reply_to="000000000000a1b2c3@google.com", body="Hello\n", sender="Bo <bo@example.org>")
    rep = report(REPORT, test_diff, chinese, fix)
    assert [p.kind for p in rep.patches] == [PageKind.BUG_REPORT, PageKind.PATCH]
    bug, patch = rep.patches
    assert bug.bug.title == "KASAN: use-after-free Read in io_worker_handle_work"
    assert bug.bug.functions == ("__wake_up_common", "io_worker_handle_work", "io_wqe_worker", "ret_from_fork")
    assert [link.page for link in bug.bug.answered_by] == [patch.page]
    assert [link.page for link in patch.answers] == [bug.page]
    assert len(bug.thread) == 2  # the test diff and the Chinese reply answer the report


def test_a_crash_title_needs_a_trace_to_be_a_report():
    doc = read_bytes(("From: A <a@x>\nSubject: WARNING in io_wq_submit_work\n\nI saw this once.\n").encode(), "m")
    assert not is_bug_report(doc.messages[0])
    doc = read_bytes(("From: A <a@x>\nSubject: WARNING in io_wq_submit_work\n\nCall Trace:\n"
                      " io_wq_submit_work+0x10/0x20\n").encode(), "m")
    assert is_bug_report(doc.messages[0]) and trace_functions(doc.messages[0]) == ("io_wq_submit_work",)


def test_group_thread_answers_a_report():
    rep_doc = read_bytes(("From nobody Mon Sep 17 00:00:00 2001\n" + REPORT + "\nFrom nobody Mon Sep 17 00:00:00 2001\n"
                          + "From: B <b@x>\nSubject: Re: [syzbot] KASAN: use-after-free Read in io_worker_handle_work\n"
                          "In-Reply-To: <000000000000a1b2c3@google.com>\n\nLooking.\n").encode(), "r.mbox")
    assert group_thread(rep_doc.messages) == [(0, [1])]


# ---------------------------------------------------------------- lore data

# Established by reading the threads (see the closing note of the session
# that wrote this): the root postings of ../shared/lore-io-wq that a later
# version in the archive supersedes although the manifest's later_version
# column (a later version in another thread) and patch_version column (a
# later version in the same thread) say nothing, each checked by hand: the
# later posting has a higher vN (or is the PATCH of an RFC) and was sent
# after it by the same author.
LATER_THAN_MANIFEST = {
    "2019-12-13_io-uring-items-for-5-6.mbox": "v2",  # open/close members reposted as "[PATCHSET v2 0/6] ... open/close"
    "2019-12-18_io-uring-fixes-for-5-5-rc3.mbox": "v3",
    "2020-01-23_add-support-for-shared-io-wq-backends.mbox": "v2",
    "2020-02-07_allow-relative-lookups.mbox": "v2",
    "2020-04-06_io-uring-and-task-work-interactions.mbox": "v2",
    "2021-03-26_allow-signals-for-io-threads.mbox": "v2",
    "2021-04-02_io-wq-cancel-unbounded-works-on-io-wq-destroy.mbox": "v1 of 2021-04-08",  # RFC -> PATCH 4/4
    "2021-05-24_5-14-batch-2.mbox": "v2",
    "2021-07-29_first-5-15-batch.mbox": "v2",
    "2021-10-31_io-wq-decouple-work-list-protection-from-the-big-wqe-lock.mbox": "v5",  # became fixed worker
    "2021-11-24_fixed-worker-a-new-way-to-handle-io-works.mbox": "v5",
    "2022-02-06_decouple-work-list-protection-from-the-big-wqe-lock.mbox": "v5",
    "2022-04-16_extend-cancelation-support.mbox": "v4",
    "2022-04-22_add-support-for-non-ipi-task-work.mbox": "v4",
    "2022-04-23_add-support-for-non-ipi-task-work.mbox": "v4",
    "2022-04-25_add-support-for-non-ipi-task-work.mbox": "v4",
    "2023-04-19_enable-no-offload-support.mbox": "v2",
}
# The manifest's later version is not in the 306 threads, or is another
# patch's: nothing in the input to link to.
NOT_IN_THE_ARCHIVE = {
    "2019-12-17_io-uring-fixes-for-5-5.mbox",  # v5 not in the archive
    "2020-08-19_sched-invoke-io-wq-worker-sleeping-with-enabled-preemption.mbox",  # the v2 is of another patch
    "2021-04-08_5-12-fixes.mbox",  # v3 not in the archive
    "2021-12-07_task-optimization.mbox",  # v8 not in the archive
    "2022-06-14_5-20-cleanups-and-poll-optimisations-2.mbox",  # v3 not in the archive
}


@pytest.fixture(scope="module")
def lore_report(lore_dir, lore_results):
    rows = list(csv.DictReader(open(lore_dir / "manifest.tsv", encoding="utf-8"), delimiter="\t"))
    results = [replace(lore_results[r["file"]], source=r["file"]) for r in rows]
    return rows, build_report(results)


def test_versions_on_the_lore_archive(lore_report):
    rows, rep = lore_report
    pages = collections.defaultdict(list)
    for p in rep.patches:
        pages[p.input].append(p)
    both, triage_only, manifest_only = 0, {}, set()
    for r in rows:
        (p,) = [p for p in pages[r["file"]] if p.analysis.message.message_id == r["root_message_id"]]
        own = p.analysis.message.subject.version or 1
        expected = r["later_version"] != "no" or int(r["patch_version"][1:] or 1) > own
        if p.superseded_by is not None and expected:
            both += 1
        elif p.superseded_by is not None:
            triage_only[r["file"]] = p.superseded_by.label
        elif expected:
            manifest_only.add(r["file"])
    kinds = collections.Counter(p.kind.value for p in rep.patches)
    answered = sum(1 for p in rep.patches if p.bug and p.bug.answered_by)
    print(f"\nversions on {len(rows)} lore threads: superseded roots, both {both}, triage only {len(triage_only)} "
          f"(each read), manifest only {len(manifest_only)} (later version not in the archive); pages {dict(kinds)}; "
          f"bug reports answered by a patch of the archive: {answered} of {kinds['bug report']}")
    assert triage_only == LATER_THAN_MANIFEST
    assert manifest_only == NOT_IN_THE_ARCHIVE
    assert both == 49
    assert kinds["bug report"] == 26 and answered >= 6


def test_the_git_am_mbox_of_the_lore_archive_is_read_by_git(lore_report, tmp_path):
    """Every latest patch of the 306 threads, as `report --format mbox`
    writes it: git mailsplit --mboxrd splits it into as many mails, and
    git mailinfo finds in each an author address, a subject and a patch
    that git apply --stat reads."""
    _, rep = lore_report
    am = am_mbox(rep)
    (tmp_path / "all.mbox").write_text(am.text)
    split = subprocess.run(["git", "mailsplit", "--mboxrd", f"-o{tmp_path}", str(tmp_path / "all.mbox")],
                           capture_output=True, text=True, check=True)
    count = int(split.stdout)
    bad = []
    for i in range(1, count + 1):
        with open(tmp_path / f"{i:04d}", "rb") as mail:
            info = subprocess.run(["git", "mailinfo", str(tmp_path / "msg"), str(tmp_path / "patch")], stdin=mail,
                                  capture_output=True, check=False)
        fields = dict(line.split(": ", 1) for line in info.stdout.decode("utf-8", "replace").splitlines()
                      if ": " in line)
        applies = subprocess.run(["git", "apply", "--stat", str(tmp_path / "patch")], capture_output=True, check=False)
        if info.returncode or not fields.get("Email") or not fields.get("Subject") or applies.returncode:
            bad.append((i, fields.get("Subject")))
    print(f"\ngit am mbox of the lore archive: {len(am.written)} patches written (latest versions), "
          f"{len(am.skipped)} left out ({'; '.join(am.skipped)}), {count} split by git mailsplit, {len(bad)} not read")
    assert count == len(am.written) == 738 and bad == []
    assert len(am.skipped) == 3 and all("rebuilt from damaged text" in s for s in am.skipped)
