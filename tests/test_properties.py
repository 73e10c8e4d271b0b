"""Round-trip and invariant tests for the parsers (Hypothesis where the input
space is open-ended)."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from triage.diff.hunks import parse_diff, render_file
from triage.ingest import read_bytes
from triage.ingest.flatdiff import rebuild
from triage.ingest.subject import parse_subject
from triage.ingest.trailers import fixes_ref, parse_trailers

from .conftest import fixture_path
from .lore.flatten import flatten, normal

PLAIN = fixture_path("plain.diff").read_text()


def test_diff_round_trip_is_byte_identical():
    (f1, ) = parse_diff(PLAIN)
    assert render_file(f1) == PLAIN


def test_round_trip_over_lore_is_stable(lore_dir):
    """parse -> render -> parse gives the same FileDiffs for every own diff."""
    checked = 0
    for path in sorted(lore_dir.glob("*.mbox"))[::7]:
        for message in read_bytes(path.read_bytes(), path.name).messages:
            for diff in message.own_diffs:
                for f in diff.files:
                    if f.binary or not f.hunks:
                        continue
                    (again,) = parse_diff(render_file(f))
                    assert [normal(h) for h in again.hunks] == [normal(h) for h in f.hunks]
                    assert (again.old_blob, again.new_blob) == (f.old_blob, f.new_blob)
                    checked += 1
    assert checked > 50


# --------------------------------------------------------------- generators

_IDENT = st.from_regex(r"[a-z][a-z_]{1,10}", fullmatch=True)
_STATEMENT = st.one_of(
    st.builds(lambda a, b: f"{a} = {b};", _IDENT, _IDENT),
    st.builds(lambda f, a: f"{f}({a});", _IDENT, _IDENT),
    st.builds(lambda a: f"if ({a})", _IDENT),
    st.builds(lambda a: f"return {a};", _IDENT),
    st.just("}"),
    st.builds(lambda a: f"{a}:", _IDENT),
)


@st.composite
def hunks(draw):
    """A hunk of C-ish lines: context, then a block of changes, then context."""
    before = draw(st.lists(_STATEMENT, min_size=1, max_size=4))
    removed = draw(st.lists(_STATEMENT, min_size=0, max_size=3))
    added = draw(st.lists(_STATEMENT, min_size=1 if not removed else 0, max_size=4))
    after = draw(st.lists(_STATEMENT, min_size=1, max_size=3))
    old_len = len(before) + len(removed) + len(after)
    new_len = len(before) + len(added) + len(after)
    body = ([" \t" + x for x in before] + ["-\t" + x for x in removed] + ["+\t" + x for x in added]
            + [" \t" + x for x in after])
    text = ("diff --git a/io_uring/io-wq.c b/io_uring/io-wq.c\n--- a/io_uring/io-wq.c\n+++ b/io_uring/io-wq.c\n"
            f"@@ -10,{old_len} +10,{new_len} @@ static void fn(void)\n" + "\n".join(body) + "\n")
    return text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hunks())
def test_flattened_rebuild_always_checks_out(text):
    """Whatever the split, a rebuilt hunk's counts match its header and its
    changed-line counts match the original's."""
    (f,) = parse_diff(text)
    (hunk,) = f.hunks
    canonical, recovery, trailing = rebuild(flatten(f, hunk))
    (rebuilt,) = parse_diff(canonical)[0].hunks
    assert rebuilt.counts_check
    assert (rebuilt.added, rebuilt.removed) == (hunk.added, hunk.removed)
    assert trailing == ""
    assert 0 < recovery.confidence <= 0.9


@settings(max_examples=100, deadline=None)
@given(hunks(), st.integers(min_value=1, max_value=4))
def test_quoted_diff_is_recovered_at_its_level(text, level):
    quoted = "\n".join((">" * level + " " + line) if line else ">" * level for line in text.splitlines())
    mail = f"From: A <a@example.org>\nSubject: Re: [PATCH] x\n\nOn Mon, B wrote:\n{quoted}\n\nA comment.\n"
    (message,) = read_bytes(mail.encode(), "mail").messages
    (diff,) = message.diffs
    assert diff.level == level
    (original,) = parse_diff(text)
    assert [normal(h) for h in diff.files[0].hunks] == [normal(h) for h in original.hunks]


@given(st.text(max_size=200))
def test_subject_parser_never_raises_and_keeps_the_title(raw):
    subject = parse_subject(raw)
    assert " ".join(raw.split()).endswith(subject.title) or subject.title == ""


@given(st.lists(st.sampled_from(["PATCH", "RFC", "RESEND", "v2", "v13", "3/7", "0/4", "6.1", "5.15.y",
                                 "AUTOSEL", "6.16", "-next", "for-next", "net"]), max_size=5),
       st.text(alphabet=st.characters(blacklist_characters="[]\n\r"), max_size=40))
def test_subject_prefixes(tags, title):
    subject = parse_subject(f"[{' '.join(tags)}] {title}")
    assert subject.title == " ".join(title.split())
    if "RFC" in tags:
        assert subject.rfc
    if "5.15.y" in tags:
        assert subject.stable_target is not None


@given(st.text(max_size=500))
def test_trailer_parser_never_raises(text):
    for trailer in parse_trailers(text):
        assert trailer.key and ":" not in trailer.key


@given(st.from_regex(r"[0-9a-f]{4,40}", fullmatch=True), st.text(alphabet="abc xyz:/-", max_size=30))
def test_fixes_short_sha_is_always_flagged(sha, subject):
    ref = fixes_ref(f'{sha} ("{subject}")')
    short = any("hex digits" in p for p in ref.problems)
    assert short == (len(sha) < 12)
    assert not any("not written" in p for p in ref.problems)


@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash_ingest(data):
    from triage.errors import InputError

    try:
        read_bytes(data, "fuzz")
    except InputError:
        pass


def test_mbox_escape_round_trip():
    """mboxrd: each body line matching ^>*From got one more ">" when stored;
    reading takes exactly one off again."""
    from triage.ingest.mail import split_mbox

    body = "From the top\n>From escaped\n>>From twice\nplain\n"
    stored = re.sub(r"^(>*From )", r">\1", body, flags=re.MULTILINE)
    mbox = "From a@example.org Mon Jan  1 00:00:00 2024\nFrom: A <a@example.org>\nSubject: x\n\n" + stored
    (chunk,) = split_mbox(mbox.encode())
    assert chunk.decode().endswith("\n\n" + body)
