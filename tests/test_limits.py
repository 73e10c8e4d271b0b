"""The documented limits on input (README: Limits on input): each one is
reached by generated input, and what is beyond it is reported in one line,
never a crash, a hang or a silent cut."""

from __future__ import annotations

import pytest

from triage.errors import DiffError
from triage.ingest import MAX_MESSAGES, read_bytes
from triage.ingest.diffscan import MAX_FILES, MAX_HUNKS
from triage.ingest.flatdiff import STATE_BUDGET, rebuild
from triage.ingest.mail import MAX_MIME_CONTAINERS
from triage.patterns import MAX_LINE_NUMBER_DIGITS, hunk_numbers, HUNK_HEAD

from . import hostile
from .cli_run import run


def test_a_flattened_diff_beyond_the_search_budget_is_not_rebuilt_and_says_why():
    with pytest.raises(DiffError) as caught:
        rebuild(hostile._flattened(100))
    assert caught.value.problem.startswith("not rebuilt: finding where the line breaks of its 416 words were takes "
                                           f"more than {STATE_BUDGET:,} search steps")
    # a hunk of a thousand lines is a thousand states deep: no recursion limit
    with pytest.raises(DiffError):
        rebuild(hostile._flattened(1000))
    # and a small one is still rebuilt
    canonical, recovery, _ = rebuild(hostile._flattened(4))
    assert recovery.method == "flattened" and canonical.count("\n+") + canonical.count("\n-") >= 4


def test_hunk_header_numbers_longer_than_nine_digits_are_damage():
    digits = "9" * 5000
    m = HUNK_HEAD.match(f"@@ -1,{digits} +1,3 @@ f")
    with pytest.raises(DiffError) as caught:
        hunk_numbers(m)
    assert f"a line number of 5,000 digits (more than {MAX_LINE_NUMBER_DIGITS})" in caught.value.problem
    assert hunk_numbers(HUNK_HEAD.match("@@ -999999999,2 +1 @@")) == (999999999, 2, 1, 1)
    doc = read_bytes(dict(hostile.cases())["digits-hunk-header"], "digits.eml")
    assert any("5,000 digits" in p for p in doc.problems), doc.problems


def test_mime_nested_beyond_the_limit_reads_headers_only():
    doc = read_bytes(hostile._nested_mime(1000).encode(), "deep.eml")
    (message,) = doc.messages
    assert message.subject.title == "io-wq: deep mime" and not message.diffs
    assert doc.problems == (f"1,000 multipart containers (more than {MAX_MIME_CONTAINERS}): the body is not read",)
    assert read_bytes(hostile._nested_mime(3).encode(), "shallow.eml").messages[0].diffs  # within the limit: read


def test_an_mbox_beyond_the_message_limit_is_cut_and_says_so():
    doc = read_bytes(hostile._mbox(MAX_MESSAGES + 7, True).encode(), "big.mbox")
    assert len(doc.messages) == MAX_MESSAGES
    assert doc.problems[-1] == f"7 messages after the first {MAX_MESSAGES:,} not read (limit per mbox)"


def test_files_and_hunks_beyond_the_limit_are_reported_not_analysed():
    doc = read_bytes(hostile._mail(diff=hostile._files(MAX_FILES + 50)).encode(), "files.eml")
    (diff,) = doc.messages[0].diffs
    assert len(diff.files) == MAX_FILES
    assert any(p.startswith(f"diff too large: analysed its first {MAX_FILES} of {MAX_FILES + 50} files")
               for p in doc.problems), doc.problems
    doc = read_bytes(hostile._mail(diff=hostile._hunks(MAX_HUNKS + 1)).encode(), "hunks.eml")
    (diff,) = doc.messages[0].diffs
    assert sum(len(f.hunks) for f in diff.files) == MAX_HUNKS
    assert any(f"{MAX_HUNKS:,} of {MAX_HUNKS + 1:,} hunks" in p for p in doc.problems), doc.problems


def test_an_impossible_date_is_kept_as_text_with_a_note():
    doc = read_bytes(dict(hostile.cases())["date-offset-9999"], "date.eml")
    (m,) = doc.messages
    assert m.date == "Mon, 2 Feb 2026 10:00:00 +9999"
    assert "Date 'Mon, 2 Feb 2026 10:00:00 +9999' is not a date: kept as text" in m.warnings


@pytest.mark.parametrize("charset", ["undefined", "idna", "punycode", "rot13", "base64", "zlib"])
def test_codec_names_that_are_not_charsets_are_unknown_charsets(charset):
    (m,) = read_bytes(dict(hostile.cases())[f"charset-{charset}"], "cs.eml").messages
    assert m.diffs and any("charset" in w for w in m.warnings), m.warnings


def test_exit_code_for_a_part_beyond_a_limit_is_4(tmp_path):
    path = tmp_path / "files.eml"
    path.write_text(hostile._mail(diff=hostile._files(MAX_FILES + 1)))
    result = run("analyze", "--no-behaviour", str(path))
    assert result.returncode == 4
    assert result.stderr.count("\n") == 1 and "diff too large" in result.stderr
