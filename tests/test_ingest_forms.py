"""Each input form, read end to end from a fixture named for what it exercises."""

from __future__ import annotations

import pytest

from triage.errors import InputError
from triage.ingest import read_bytes, read_path

from .conftest import fixture_path


def test_format_patch_with_signature_tail():
    doc = read_path(fixture_path("format-patch-signature-tail.patch"))
    assert doc.form == "format-patch" and doc.problems == ()
    (m,) = doc.messages
    s = m.subject
    assert (s.version, s.index, s.total, s.title) == (3, 2, 5, "io_uring/io-wq: recheck the free list before forking")
    assert m.message_id == "20250603100000.1-ada@example.org"
    (fixes,) = m.fixes
    assert (fixes.sha, fixes.subject, fixes.problems) == (
        "0b2b066f8a85", "io_uring/io-wq: only create a new worker if it can make progress", ())
    (cc,) = m.stable
    assert (cc.version_note, cc.min_version) == ("6.16+", "6.16")
    assert [t.key for t in m.trailers] == ["Fixes", "Cc", "Reviewed-by", "Signed-off-by"]
    (diff,) = m.diffs
    (hunk,) = diff.files[0].hunks
    assert hunk.counts_check and hunk.added == 3 and hunk.removed == 0
    # the "-- " line and "2.43.0" are the signature, not a removed line
    assert all(line.text != "- " for line in hunk.lines)
    assert any(p.kind == "signature" and "2.43.0" in p.text for p in m.parts)
    assert any(p.kind == "diffstat" for p in m.parts)


def test_plain_git_diff():
    doc = read_path(fixture_path("plain.diff"))
    assert doc.form == "diff" and doc.problems == ()
    (m,) = doc.messages
    assert m.subject is None and m.author is None
    (f,) = m.diffs[0].files
    assert (f.path, f.old_blob, f.new_blob, f.mode) == ("io_uring/io-wq.c", "1234567890ab", "234567890abc", "100644")
    assert [(h.old_start, h.old_len, h.new_start, h.new_len) for h in f.hunks] == [(3, 7, 3, 7), (18, 6, 18, 11)]


def test_git_show_output_is_its_own_upstream_commit():
    doc = read_path(fixture_path("git-show.txt"))
    (m,) = doc.messages
    assert doc.form == "git-show"
    assert m.subject.title == "io_uring/io-wq: use the example helper"
    assert str(m.author) == "Ada Example <ada@example.org>"
    assert m.date == "2025-06-03T10:00:00+02:00"
    assert m.upstream == "89abcdef0123456789abcdef0123456789abcdef"
    assert [t.key for t in m.trailers] == ["Signed-off-by"]
    assert m.diffs[0].files[0].hunks[0].counts_check


def test_quoted_printable_latin1_crlf_reply_to_stable_branch():
    doc = read_path(fixture_path("quoted-printable-latin1-crlf.eml"))
    (m,) = doc.messages
    assert doc.form == "mail"
    assert m.subject.raw == "Re: [PATCH 6.1] io_uring/io-wq: café fix"
    assert m.subject.is_reply and m.subject.stable_target == "linux-6.1.y"
    assert m.in_reply_to == "orig-1@example.org"
    assert m.references == ("orig-0@example.org", "orig-1@example.org")
    assert m.upstream == "0123456789abcdef0123456789abcdef01234567"
    (trailer,) = m.trailers
    assert str(trailer.person) == "René Dürr <rene@example.org>"
    body = "\n".join(p.text for p in m.parts)
    assert "café worker must not be woken twice" in body.replace("\n", " ")
    assert "\r" not in body


def test_base64_body_malformed_fixes_and_stable_prerequisite():
    doc = read_path(fixture_path("base64-fixes-malformed-stable-prereq.eml"))
    (m,) = doc.messages
    assert m.subject.stable_target == "linux-5.15.y"
    (fixes,) = m.fixes
    assert fixes.sha == "0b2b066"
    assert fixes.problems == ("commit id has 7 hex digits, stable rules want 12 or more",
                              'subject is not written as ("...")')
    (cc,) = m.stable
    assert cc.version_note == "6.1.x"
    (prereq,) = cc.prerequisites
    assert (prereq.sha, prereq.subject) == ("a1b2c3d4e5f6", "io_uring/io-wq: add the helper")
    assert any(c.role == "stable-prerequisite" and c.sha == "a1b2c3d4e5f6" for c in m.commits)
    assert str(next(t.person for t in m.trailers if t.key == "Reported-by")) == "Zoë Tester <zoe@example.org>"


def test_mbox_thread_attributes_quotes_and_keeps_review_on_its_hunk():
    doc = read_path(fixture_path("thread-patch-and-review.mbox"))
    assert doc.form == "mbox" and doc.problems == ()
    patch, review, answer = doc.messages
    # mboxrd escaping undone in the patch body
    assert any(">From" not in p.text and "From a reviewer's point of view" in p.text for p in patch.parts)
    assert [len(f.hunks) for f in patch.diffs[0].files] == [2]
    (quoted,) = review.diffs
    assert quoted.level == 1 and quoted.author == "Ada Example"
    (hunk,) = quoted.files[0].hunks
    assert (hunk.old_len, hunk.new_len) == (4, 5)  # 4 context + 1 added quoted, then <snip>
    (comment,) = hunk.comments
    assert comment.author == "Bob Reviewer" and comment.level == 0
    assert comment.text == "This needs the acct lock, doesn't it?"
    assert hunk.lines[comment.after_line].text.strip() == "example_account(worker);"
    assert any(r.method == "quoted" and "trimmed" in r.detail for r in quoted.recoveries)
    assert [t.key for t in review.trailers] == ["Reviewed-by"]
    levels = {(p.level, p.author) for p in answer.parts}
    assert (0, "Ada Example") in levels and (1, "Bob Reviewer") in levels and (2, "Ada Example") in levels


@pytest.mark.parametrize("name, problem", [
    ("not-a-mail.txt", "not a mail, mbox, git commit or diff"),
])
def test_unrecognised_input_is_one_clear_error(name, problem):
    with pytest.raises(InputError) as info:
        read_path(fixture_path(name))
    assert problem in str(info.value)


@pytest.mark.parametrize("data, problem", [
    (b"", "empty file"),
    (b"\n \n", "empty file"),
    (b"\x7fELF\x02\x01\x00\x00", "binary data"),
])
def test_empty_and_binary_inputs(data, problem):
    with pytest.raises(InputError) as info:
        read_bytes(data, "x")
    assert problem in str(info.value)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_path(tmp_path / "nope.mbox")
    with pytest.raises(InputError, match="directory"):
        read_path(tmp_path)


def test_truncated_hunk_is_reported_and_the_rest_kept():
    doc = read_path(fixture_path("truncated-hunk.diff"))
    (problem,) = doc.problems
    assert "io_uring/io-wq.c: hunk 1 (@@ -10,6 +10,8 @@) is truncated or garbled" in problem


def test_binary_diff_is_reported():
    doc = read_path(fixture_path("binary.diff"))
    assert doc.problems == ("binary diff of tools/blob.bin: no text to analyse",)


def test_unknown_charset_falls_back_with_a_warning():
    data = (b"From: A <a@example.org>\nSubject: [PATCH] x\nContent-Type: text/plain; charset=x-unknown-9\n\n"
            b"caf\xe9\n")
    (m,) = read_bytes(data, "mail").messages
    assert m.warnings == ("unknown charset 'x-unknown-9', read as latin-1",)
    assert "café" in m.parts[0].text
