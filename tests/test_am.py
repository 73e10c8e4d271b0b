"""`triage report --format mbox`: the latest version of each patch with the
trailers given in replies folded in, applied by real `git am` to a
kernel-shaped tree in a temporary folder."""

from __future__ import annotations

import subprocess
from pathlib import Path

from triage.report.amview import fold_trailers, split_commit_message

from .cli_run import run
from .kernel_tree import git

BASE = "\n".join(f"static int io_wq_line_{i}(void) {{ return {i}; }}" for i in range(30)) + "\n"


def patch_mail(subject: str, mid: str, date: str, old: str, new: str, sender: str = "Ada Example <ada@example.org>",
               log: str = "Fix the thing.", extra: str = "", reply_to: str = "", refs: str = "") -> str:
    headers = [f"From: {sender}", f"Subject: {subject}", f"Date: {date}", f"Message-ID: <{mid}>"]
    if reply_to:
        headers += [f"In-Reply-To: <{reply_to}>", f"References: {refs or '<' + reply_to + '>'}"]
    return "\n".join(headers) + f"""

{log}

{extra}Fixes: 0123456789ab ("io-wq: an old change")
Cc: stable@vger.kernel.org # 6.1+
Signed-off-by: Ada Example <ada@example.org>
---
 io_uring/io-wq.c | 2 +-
 1 file changed, 1 insertion(+), 1 deletion(-)

diff --git a/io_uring/io-wq.c b/io_uring/io-wq.c
index 1111111..2222222 100644
--- a/io_uring/io-wq.c
+++ b/io_uring/io-wq.c
@@ -3,3 +3,3 @@
 static int io_wq_line_2(void) {{ return 2; }}
-{old}
+{new}
 static int io_wq_line_4(void) {{ return 4; }}
--{' '}
2.43.0
"""


def reply(subject: str, mid: str, to: str, text: str, sender: str) -> str:
    return (f"From: {sender}\nSubject: Re: {subject}\nDate: Tue, 9 Jan 2024 10:00:00 +0000\nMessage-ID: <{mid}>\n"
            f"In-Reply-To: <{to}>\nReferences: <{to}>\n\n> quoted\n> Reviewed-by: Quoted Person <q@example.org>\n\n"
            f"{text}\n")


def thread(*mails: str) -> str:
    return "".join("From nobody Mon Sep 17 00:00:00 2001\n" + m + ("\n" if not m.endswith("\n") else "")
                   for m in mails)


def tree(tmp_path: Path) -> Path:
    repo = tmp_path / "linux"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "master")
    (repo / "io_uring").mkdir()
    (repo / "io_uring" / "io-wq.c").write_text(BASE)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    return repo


def test_latest_version_with_reply_trailers_applies_with_git_am(tmp_path):
    v1 = "[PATCH] io_uring/io-wq: fix line three"
    v2 = "[PATCH v2] io_uring/io-wq: fix line three"
    old = "static int io_wq_line_3(void) { return 3; }"
    mbox = thread(
        patch_mail(v1, "v1@x", "Mon, 8 Jan 2024 10:00:00 +0000", old, old.replace("3;", "33;"), log="First try."),
        reply(v1, "r1@x", "v1@x", "Needs a different constant.", "Jens Axboe <axboe@kernel.dk>"),
        patch_mail(v2, "v2@x", "Wed, 10 Jan 2024 10:00:00 +0000", old, old.replace("3;", "300;"),
                   log="Fix it again.\nFrom the second try on, line three is 300.", extra="Reported-by: Bo <bo@example.org>\n"),
        reply(v2, "r2@x", "v2@x", "Looks right.\n\nReviewed-by: Jens Axboe <axboe@kernel.dk>\n"
              "Tested-by: Bo <bo@example.org>", "Jens Axboe <axboe@kernel.dk>"),
        reply(v2, "r3@x", "v2@x", "Tested-by: Bo <bo@example.org>", "Bo <bo@example.org>"),
    )
    (tmp_path / "thread.mbox").write_text(mbox)
    out = tmp_path / "am.mbox"
    result = run("report", "--format", "mbox", "--no-behaviour", str(tmp_path / "thread.mbox"), "-o", str(out))
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert text.count("\nFrom: Ada Example") + text.startswith("From: Ada") == 1  # v2 only
    assert "Subject: [PATCH v2] io_uring/io-wq: fix line three" in text and "First try." not in text
    assert "\n>From the second try on" in text  # mboxrd escaping
    # sent by Jens, it names Bo: said, and folded like b4 does
    assert ("Tested-by: Bo <bo@example.org> was given by Jens Axboe <axboe@kernel.dk>, not by the person it names"
            in result.stderr)
    assert "1 patch(es) for git am" in result.stderr
    repo = tree(tmp_path)
    git(repo, "am", "-q", "--patch-format=mboxrd", str(out))
    body = git(repo, "log", "-1", "--format=%an <%ae>%n%s%n%b")
    assert body.split("\n") == [
        "Ada Example <ada@example.org>",
        "io_uring/io-wq: fix line three",
        "Fix it again.",
        "From the second try on, line three is 300.",
        "",
        "Reported-by: Bo <bo@example.org>",
        'Fixes: 0123456789ab ("io-wq: an old change")',
        "Cc: stable@vger.kernel.org # 6.1+",
        "Signed-off-by: Ada Example <ada@example.org>",
        "Reviewed-by: Jens Axboe <axboe@kernel.dk>",
        "Tested-by: Bo <bo@example.org>",
    ]
    assert "return 300;" in (repo / "io_uring" / "io-wq.c").read_text()


def test_version_option_and_series_order(tmp_path):
    old2 = "static int io_wq_line_3(void) { return 3; }"
    cover = ("From: Ada Example <ada@example.org>\nSubject: [PATCH 0/2] io-wq: two fixes\n"
             "Date: Mon, 8 Jan 2024 10:00:00 +0000\nMessage-ID: <c@x>\n\nTwo fixes.\n")
    one = patch_mail("[PATCH 1/2] io-wq: fix line three", "p1@x", "Mon, 8 Jan 2024 10:00:01 +0000", old2,
                     old2.replace("3;", "33;"), reply_to="c@x")
    old3 = "static int io_wq_line_10(void) { return 10; }"
    two = patch_mail("[PATCH 2/2] io-wq: fix line ten", "p2@x", "Mon, 8 Jan 2024 10:00:02 +0000", old3,
                     old3.replace("10;", "1010;"), reply_to="c@x")
    two = two.replace("@@ -3,3 +3,3 @@\n static int io_wq_line_2(void) { return 2; }",
                      "@@ -10,3 +10,3 @@\n static int io_wq_line_9(void) { return 9; }")
    two = two.replace(" static int io_wq_line_4(void) { return 4; }", " static int io_wq_line_11(void) { return 11; }")
    series_ack = reply("[PATCH 0/2] io-wq: two fixes", "ack@x", "c@x", "Acked-by: Jens Axboe <axboe@kernel.dk>",
                       "Jens Axboe <axboe@kernel.dk>")
    (tmp_path / "s.mbox").write_text(thread(cover, two, one, series_ack))  # 2/2 arrived first
    out = tmp_path / "am.mbox"
    result = run("report", "--format", "mbox", "--no-behaviour", str(tmp_path / "s.mbox"), "-o", str(out))
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert text.index("[PATCH 1/2]") < text.index("[PATCH 2/2]")
    assert text.count("Acked-by: Jens Axboe <axboe@kernel.dk>") == 2  # a series trailer, on each patch
    repo = tree(tmp_path)
    git(repo, "am", "-q", "--patch-format=mboxrd", str(out))
    assert git(repo, "log", "--format=%s", "-2").split("\n") == ["io-wq: fix line ten", "io-wq: fix line three"]
    missing = run("report", "--format", "mbox", "--no-behaviour", "--version", "3", str(tmp_path / "s.mbox"))
    assert missing.returncode == 3 and missing.stderr.strip().endswith("no patch to write for git am (no v3 in the input)")


def test_trailer_block_folding():
    log, rest = split_commit_message("Why.\n\nSigned-off-by: A <a@x>\n---\n x | 1 +\n")
    assert (log, rest) == ("Why.\n\nSigned-off-by: A <a@x>\n", "---\n x | 1 +\n")
    assert fold_trailers(log, [("Reviewed-by", "B <b@x>"), ("signed-off-by", "A  <a@x>")]) == \
        "Why.\n\nSigned-off-by: A <a@x>\nReviewed-by: B <b@x>\n"
    # no trailer block: a new paragraph
    assert fold_trailers("Why this: is prose.\nMore.\n", [("Acked-by", "C <c@x>")]) == \
        "Why this: is prose.\nMore.\n\nAcked-by: C <c@x>\n"
    # commit X upstream. and a stable comment stay as written
    log, _ = split_commit_message("commit 0123456789abcdef0123456789abcdef01234567 upstream.\n\nWhy.\n\n"
                                  "Cc: stable@vger.kernel.org # 5.10.x\nSigned-off-by: A <a@x>\ndiff --git a/x b/x\n")
    assert log.startswith("commit 0123456789abcdef0123456789abcdef01234567 upstream.\n")
    assert "# 5.10.x" in fold_trailers(log, [("Tested-by", "D <d@x>")])


def test_git_am_refuses_nothing_it_was_given(tmp_path):
    """A mail git am would refuse (no author address) is left out with its reason."""
    old = "static int io_wq_line_3(void) { return 3; }"
    anonymous = patch_mail("[PATCH] io-wq: x", "a@x", "Mon, 8 Jan 2024 10:00:00 +0000", old, old.replace("3;", "4;"),
                           sender="nobody")
    (tmp_path / "a.eml").write_text(anonymous)
    result = run("report", "--format", "mbox", "--no-behaviour", str(tmp_path / "a.eml"))
    assert result.returncode == 3
    assert "left out" in result.stderr and "no author address (git am needs one)" in result.stderr
    assert subprocess.run(["git", "--version"], capture_output=True).returncode == 0
