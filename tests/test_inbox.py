"""Public-inbox archives (triage/tree/inbox.py): message-ids -> threads
across epochs, `--inbox` on analyze/report and `triage inbox`, on a small
v2 archive built here and on the io-uring list's real epoch in ../shared."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from triage.tree.inbox import PublicInbox, message_id_of

from .cli_run import run
from .kernel_tree import git

DIFF = """---
diff --git a/io_uring/io-wq.c b/io_uring/io-wq.c
--- a/io_uring/io-wq.c
+++ b/io_uring/io-wq.c
@@ -1,3 +1,3 @@
 a
-b
+c
 d
"""


def message(mid: str, subject: str, date: str, sender: str = "Ada <ada@example.org>", reply_to: str | None = None,
            body: str = "Why.\n", diff: bool = False) -> str:
    head = [f"From: {sender}", f"Subject: {subject}", f"Date: {date}", f"Message-ID: <{mid}>"]
    if reply_to:
        head += [f"In-Reply-To: <{reply_to}>", f"References: <{reply_to}>"]
    return "\n".join(head) + "\n\n" + body + ("\nSigned-off-by: " + sender + "\n" + DIFF if diff else "")


def epoch(path: Path, mails: list[str | None]) -> Path:
    """A public-inbox v2 epoch: one commit per message writing the blob `m`,
    dated with the message's Date (as public-inbox does); None is a
    deletion commit removing the message before it."""
    path.mkdir(parents=True)
    git(path, "init", "-q", "--bare")
    work = path.parent / (path.name + ".work")
    work.mkdir()
    for i, text in enumerate(mails):
        env = ["--git-dir", str(path), "--work-tree", str(work)]
        date = []
        if text is None:
            git(path, *env, "rm", "-q", "m")
        else:
            (work / "m").write_text(text)
            git(path, *env, "add", "m")
            date = ["--date", next(line[6:] for line in text.split("\n") if line.startswith("Date: "))]
        git(path, *env, "commit", "-q", *date, "-m", f"message {i}")
    return path


@pytest.fixture
def archive(tmp_path) -> Path:
    root = tmp_path / "io-uring"
    patch = message("p1@x", "[PATCH] io-wq: fix a hang", "Mon, 2 Jan 2023 10:00:00 +0000", diff=True)
    reply = message("r1@x", "Re: [PATCH] io-wq: fix a hang", "Tue, 3 Jan 2023 10:00:00 +0000",
                    sender="Jens Axboe <axboe@kernel.dk>", reply_to="p1@x",
                    body="> Why.\n\nApplied, thanks!\n\nReviewed-by: Jens Axboe <axboe@kernel.dk>\n")
    spam = message("s@x", "Buy now", "Tue, 3 Jan 2023 11:00:00 +0000")
    other = message("o@x", "[PATCH] io_uring: unrelated", "Wed, 4 Jan 2023 10:00:00 +0000", diff=True).replace(
        "io_uring/io-wq.c", "io_uring/rw.c")
    epoch(root / "git" / "0.git", [patch, spam, None, other])
    # the reply landed in the next epoch
    v2 = message("p2@x", "[PATCH v2] io-wq: fix a hang", "Fri, 6 Jan 2023 10:00:00 +0000", diff=True,
                 reply_to="r1@x")
    epoch(root / "git" / "1.git", [reply, v2])
    return root


def test_threads_across_epochs_and_deleted_messages(archive):
    inbox = PublicInbox(archive)
    assert sorted(inbox.entries) == ["o@x", "p1@x", "p2@x", "r1@x"]  # the purged message is gone
    thread = inbox.thread("r1@x")
    assert [e.message_id for e in thread] == ["p1@x", "r1@x", "p2@x"]
    assert [e.epoch for e in thread] == [0, 1, 1]
    assert inbox.root_of("p2@x") == "p1@x"
    data = inbox.mbox(thread)
    assert data.count(b"\nFrom mboxrd@z ") + data.startswith(b"From mboxrd@z ") == 3


@pytest.mark.parametrize("text, expected", [
    ("<p1@x>", "p1@x"), ("p1@x", "p1@x"), ("https://lore.kernel.org/io-uring/p1@x/", "p1@x"),
    ("https://lore.kernel.org/r/p1%40x", None), ("https://lore.kernel.org/r/a%2Bb@x/T/", "a+b@x"),
    ("thread.mbox", None), ("v6.1..v6.2", None), ("0123abcd", None), ("dir/a@b.mbox", None),
])
def test_message_id_forms(text, expected):
    assert message_id_of(text) == expected


def test_report_by_message_id_never_writes_into_the_archive(archive, tmp_path):
    before = [snapshot_bare(p) for p in sorted((archive / "git").glob("*.git"))]
    out = tmp_path / "r.json"
    result = run("report", "--no-behaviour", "--inbox", str(archive), "--format", "json", "-o", str(out), "<r1@x>")
    assert result.returncode == 0, result.stderr
    patches = json.loads(out.read_text())["report"]["patches"]
    assert [(p["input"], p["analysis"]["message"]["subject"]["raw"]) for p in patches] == [
        ("<r1@x>", "[PATCH] io-wq: fix a hang"), ("<r1@x>", "[PATCH v2] io-wq: fix a hang")]
    first = patches[0]
    assert first["superseded_by"]["label"] == "v2" and first["assessment"]["verdict"] == "superseded"
    assert [(t["key"], t["check"]) for t in first["reply_trailers"]] == [("Reviewed-by", "the sender")]
    assert [e["state"] for e in first["review"]] == ["applied", "superseded"]
    assert [snapshot_bare(p) for p in sorted((archive / "git").glob("*.git"))] == before


def snapshot_bare(path: Path) -> tuple:
    files = tuple(sorted((str(p.relative_to(path)), p.stat().st_size, p.stat().st_mtime_ns)
                         for p in path.rglob("*") if p.is_file()))
    return git(path, "for-each-ref", "--format=%(refname) %(objectname)"), files


def test_errors_name_the_input(archive, tmp_path):
    missing = run("report", "--no-behaviour", "--inbox", str(archive), "--format", "text", "<nope@x>")
    assert missing.returncode == 3
    assert missing.stderr.strip().splitlines()[-1] == f"triage: <nope@x>: no such message in the archive {archive}"
    no_inbox = run("analyze", "--no-behaviour", "<p1@x>")
    assert no_inbox.returncode == 3 and "give --inbox PATH" in no_inbox.stderr
    not_inbox = run("analyze", "--no-behaviour", "--inbox", str(tmp_path), "<p1@x>")
    assert not_inbox.returncode == 6
    assert not_inbox.stderr.strip() == f"triage: {tmp_path}: not a public-inbox archive (no git/N.git epochs, " \
                                       "not an epoch itself, no *.mbox files)"
    window = run("inbox", "--no-behaviour", "--inbox", str(archive), "--since", "2024-01-01", "-o", str(tmp_path / "o"))
    assert window.returncode == 3 and "no thread in the window matches" in window.stderr
    bad_day = run("inbox", "--inbox", str(archive), "--since", "yesterday", "-o", str(tmp_path / "o"))
    assert bad_day.returncode == 3 and "not a date: 'yesterday'" in bad_day.stderr


def test_inbox_command_selects_io_wq_threads(archive, tmp_path):
    out = tmp_path / "site"
    result = run("inbox", "--no-behaviour", "--inbox", str(archive), "--since", "2023-01-01", "--until",
                 "2023-02-01", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "4 message(s) in the window, 3 name io-wq in the subject or change io-wq.c/io-wq.h, 1 thread(s)" \
        in result.stderr
    pages = sorted(p.name for p in out.glob("2023-*.html"))
    assert pages == ["2023-01-02-io-wq-fix-a-hang.html", "2023-01-06-io-wq-fix-a-hang.html"]
    page = (out / pages[0]).read_text()
    assert 'id="superseded"' in page and "2023-01-06-io-wq-fix-a-hang.html" in page


def test_the_index_is_kept_and_rebuilt_when_the_epoch_grows(archive, tmp_path, monkeypatch):
    monkeypatch.setenv("TRIAGE_CACHE_DIR", str(tmp_path / "cache"))
    assert len(PublicInbox(archive).entries) == 4
    kept = list((tmp_path / "cache" / "inbox").glob("*.pickle"))
    assert len(kept) == 2  # one per epoch
    work = archive / "git" / "1.git.work"
    (work / "m").write_text(message("n@x", "[PATCH] io-wq: new", "Sat, 7 Jan 2023 10:00:00 +0000"))
    env = ["--git-dir", str(archive / "git" / "1.git"), "--work-tree", str(work)]
    git(archive, *env, "add", "m")
    git(archive, *env, "commit", "-q", "--date", "Sat, 7 Jan 2023 10:00:00 +0000", "-m", "new")
    assert "n@x" in PublicInbox(archive).entries


# ------------------------------------------------------------------ real data


def test_a_lore_thread_by_message_id_from_the_real_archive(public_inbox, tmp_path):
    """Ming Lei's io_wq_put_and_exit hang fix (2023-08-31, v1 of 3): the
    thread from the archive, read by hand: 7 messages, Jens Axboe and
    Chengming Zhou reply, Ming Lei answers."""
    out = tmp_path / "r.json"
    result = run("report", "--no-behaviour", "--inbox", str(public_inbox), "--format", "json", "-o", str(out),
                 "20230831074221.2309565-1-ming.lei@redhat.com")
    assert result.returncode == 0, result.stderr
    (patch,) = json.loads(out.read_text())["report"]["patches"]
    assert patch["analysis"]["message"]["subject"]["raw"] == \
        "[PATCH] io_uring: fix IO hang in io_wq_put_and_exit from do_exit()"
    assert len(patch["thread"]) == 6
    assert {t["author"].split(" <")[0] for t in patch["thread"]} == {"Jens Axboe", "Chengming Zhou", "Ming Lei"}


def test_inbox_2023_finds_the_io_wq_threads_of_the_lore_set(public_inbox, lore_dir, tmp_path):
    """`triage inbox` over 2023 against ../shared/lore-io-wq, whose threads
    were chosen the same way (io-wq in the subject or in the diff): the same
    28 threads, and versions linked across them."""
    out = tmp_path / "r.json"
    result = run("inbox", "--no-behaviour", "--inbox", str(public_inbox), "--since", "2023-01-01", "--until",
                 "2024-01-01", "--format", "json", "-o", str(out))
    assert result.returncode in (0, 4), result.stderr  # 4: three damaged diffs of the year, each said
    patches = json.loads(out.read_text())["report"]["patches"]
    found = {p["input"].strip("<>") for p in patches}
    with open(lore_dir / "manifest.tsv", encoding="utf-8") as handle:
        expected = {r["root_message_id"] for r in csv.DictReader(handle, delimiter="\t")
                    if r["first_date"].startswith("2023")}
    print(f"\ninbox 2023: {len(found)} threads, lore set {len(expected)}, both {len(found & expected)}; "
          f"{len(patches)} pages, {sum(1 for p in patches if p['superseded_by'])} superseded")
    assert found == expected and len(found) == 28
    assert any(p["superseded_by"] for p in patches)


def test_a_lore_thread_by_message_id_from_the_mbox_folder(lore_dir, tmp_path):
    """../shared/lore-io-wq as an archive (a folder of mbox files): the
    2020 'io-wq: close cancel gap' thread by its root's message-id holds v1
    and v2 (read by hand): both pages, v1 superseded by v2."""
    rows = {r["file"]: r for r in csv.DictReader(open(lore_dir / "manifest.tsv", encoding="utf-8"), delimiter="\t")}
    root = rows["2020-03-22_io-wq-close-cancel-gap-for-hashed-linked-work.mbox"]["root_message_id"]
    out = tmp_path / "r.json"
    result = run("report", "--no-behaviour", "--inbox", str(lore_dir), "--format", "json", "-o", str(out), root)
    assert result.returncode == 0, result.stderr
    patches = json.loads(out.read_text())["report"]["patches"]
    subjects = [p["analysis"]["message"]["subject"]["raw"] for p in patches]
    assert subjects == ["[PATCH 1/1] io-wq: close cancel gap for hashed linked work",
                        "[PATCH v2] io-wq: close cancel gap for hashed linked work"]
    assert patches[0]["superseded_by"]["label"] == "v2" and patches[1]["superseded_by"] is None
