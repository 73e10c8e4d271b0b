"""Mail that is odd but real, each case built here from generated input:
raw UTF-8 headers (RFC 6532), quotes inside a Fixes subject, header fields
too long for a mail, a damaged diff blamed on the right file, an input name
the system cannot look up."""

from __future__ import annotations

import email
import email.header
import subprocess

from hypothesis import given
from hypothesis import strategies as st

from triage.analysis import analyze, analyze_document
from triage.errors import InputError
from triage.ingest import read_bytes
from triage.ingest.trailers import parse_trailers
from triage.model import Person
from triage.report.build import build_report
from triage.report.site import render_site
from triage.report.reply import HARD_LIMIT, WIDTH, reply_text

from .test_cli import run

PATCH = """\
diff --git a/io_uring/io-wq.c b/io_uring/io-wq.c
--- a/io_uring/io-wq.c
+++ b/io_uring/io-wq.c
@@ -1,3 +1,3 @@
 a
-b
+c
 d
"""


def _mail(headers: str, body: str = "Fix it.\n\nSigned-off-by: A <a@example.org>\n---\n" + PATCH) -> bytes:
    return (headers + "\n" + body).encode()


def _report(data: bytes, name: str = "odd.eml"):
    doc = read_bytes(data, name)
    from triage.model import InputResult

    return build_report([InputResult(name, doc.form, analyze_document(doc), doc.problems)])


def test_raw_utf8_headers_are_read_as_utf8_and_round_trip():
    data = _mail("From: Jürgen Groß <jgross@example.org>\nTo: Jens Axboe <axboe@example.org>\n"
                 "Subject: [PATCH] io-wq: größer\nMessage-ID: <u@example.org>\nDate: Mon, 2 Feb 2026 10:00:00 +0000\n")
    (m,) = read_bytes(data, "utf8.eml").messages
    assert (m.author.name, m.subject.title, m.warnings) == ("Jürgen Groß", "io-wq: größer", ())
    report = _report(data)
    page = render_site(report)[report.patches[0].page]
    assert "Jürgen Groß" in page and "J\ufffd" not in page
    reply = email.message_from_string(reply_text(report.patches[0], Person("Rev", "rev@example.org"), "t"))
    to = str(email.header.make_header(email.header.decode_header(reply["To"])))
    subject = str(email.header.make_header(email.header.decode_header(reply["Subject"])))
    assert (to, subject) == ("Jürgen Groß <jgross@example.org>", "Re: [PATCH] io-wq: größer")
    assert reply["To"].isascii() and reply["Subject"].isascii()  # RFC 2047 in what we write


def test_latin1_header_bytes_are_read_with_a_note():
    data = _mail("From: Jürgen <j@example.org>\nSubject: s\n").replace("Jü".encode(), b"J\xfc")
    (m,) = read_bytes(data, "l1.eml").messages
    assert m.author.name == "Jürgen"
    assert m.warnings == ("header From: not valid UTF-8, read as latin-1",)


def test_charsets_that_are_not_text_encodings_are_unknown_charsets():
    data = _mail("From: =?idna?q?x?= <x@example.org>\nSubject: =?undefined?q?y?=\n"
                 "Content-Type: text/plain; charset=punycode\n")
    (m,) = read_bytes(data, "cs.eml").messages
    assert m.author.email == "x@example.org" and m.subject.raw == "y"
    assert any("unknown charset 'punycode'" in w for w in m.warnings)


def test_a_fixes_subject_with_odd_quotes_keeps_the_trailers_after_it():
    body = ('Fix it.\n\nFixes: b96ce33732d2 ("x"y")\nCc: stable@vger.kernel.org\n'
            "Signed-off-by: A <a@example.org>\n---\n" + PATCH)
    (m,) = read_bytes(_mail("From: A <a@example.org>\nSubject: [PATCH] io-wq: x\n", body), "q.eml").messages
    assert [t.key for t in m.trailers] == ["Fixes", "Cc", "Signed-off-by"]
    assert m.stable and m.fixes[0].subject == 'x"y'
    # a subject wrapped over two lines still joins
    wrapped = 'Fixes: b96ce33732d2 ("io_uring/io-wq: a long\n  subject")\nSigned-off-by: A <a@example.org>\n'
    assert [t.value for t in parse_trailers(wrapped)][0] == 'b96ce33732d2 ("io_uring/io-wq: a long subject")'


_SUBJECT = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=60)
_LINE = st.one_of(
    st.builds(lambda s: f'Fixes: 0123456789ab ("{s}")', _SUBJECT),
    st.just("Signed-off-by: A Person <a@example.org>"),
    st.just("Reviewed-by: B <b@example.org>"),
    st.just("Cc: stable@vger.kernel.org # 6.1+"),
    st.just("Link: https://lore.kernel.org/r/x@y"),
    st.just("Reported-by: syzbot+abc@example.org"),
)


@given(st.lists(_LINE, min_size=1, max_size=12))
def test_any_trailer_block_parses_to_one_trailer_per_line(lines):
    """Whatever the Fixes subject holds (quotes, parentheses, colons, a
    trailer key), each line is one trailer and none swallows the next."""
    parsed = parse_trailers("\n".join(lines))
    assert [t.key for t in parsed] == [line.split(":", 1)[0] for line in lines]


def test_header_fields_fold_and_a_field_that_cannot_is_refused():
    long_name = "Maintainers Of A Very Long Subsystem Name With Many Words In It"
    data = _mail(f"From: {long_name} <m@example.org>\nSubject: [PATCH] {'x' * 300}\n"
                 "Message-ID: <ok@example.org>\n",
                 "Fix.\n\nCc: stable@vger.kernel.org # " + "9" * 5000 + "\n---\n" + PATCH)
    report = _report(data)
    text = reply_text(report.patches[0], Person(long_name, "r@example.org"), "t")
    head, body = text.split("\n\n", 1)
    assert all(len(line) <= WIDTH for line in head.split("\n")), head
    assert all(len(line) <= WIDTH for line in body.split("\n"))
    parsed = email.message_from_string(text)
    assert str(email.header.make_header(email.header.decode_header(parsed["Subject"]))) == "Re: [PATCH] " + "x" * 300
    # a message-id is one token: no folding gets it under the limit
    huge = _mail(f"From: A <a@example.org>\nSubject: [PATCH] x\nMessage-ID: <{'a' * 10000}@example.org>\n")
    try:
        reply_text(_report(huge).patches[0], Person("R", "r@example.org"), "t")
    except InputError as exc:
        assert "In-Reply-To" in exc.problem and str(HARD_LIMIT) in exc.problem
    else:
        raise AssertionError("a 10 KB message-id was written into a header")


def test_the_reply_command_refuses_that_reply_with_one_line(tmp_path):
    bad = tmp_path / "bad.eml"
    bad.write_bytes(_mail(f"From: A <a@example.org>\nSubject: [PATCH] x\nMessage-ID: <{'a' * 10000}@e.org>\n"))
    good = tmp_path / "good.eml"
    good.write_bytes(_mail("From: B <b@example.org>\nSubject: [PATCH] y\nMessage-ID: <g@example.org>\n"))
    out = tmp_path / "replies.mbox"
    result = run("report", "--format", "reply", "--allow-incomplete", "--no-behaviour", str(bad), str(good),
                 "-o", str(out),
                 env_extra={"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(tmp_path)})
    assert result.returncode == 3, result.stderr
    refused = [line for line in result.stderr.splitlines() if "In-Reply-To" in line]
    assert len(refused) == 1 and refused[0].startswith(f"triage: {bad}: reply:") and len(refused[0]) < 300
    assert "Traceback" not in result.stderr
    written = out.read_text()
    assert "In-Reply-To: <g@example.org>" in written and "aaaa" not in written  # the other reply is kept


def test_a_damaged_diff_is_blamed_on_its_own_file():
    files = []
    for i in range(50):
        files.append(f"diff --git a/drivers/demo/f{i}.c b/drivers/demo/f{i}.c\n--- a/drivers/demo/f{i}.c\n"
                     f"+++ b/drivers/demo/f{i}.c\n@@ -1,3 +1,3 @@\n a\n-b\n+c\n")  # one context line short
    doc = read_bytes(_mail("From: A <a@example.org>\nSubject: [PATCH] many\n", "x\n---\n" + "".join(files)),
                     "many.eml")
    assert [p.split(":")[0] for p in doc.problems] == [f"drivers/demo/f{i}.c" for i in range(50)]
    assert all("hunk 1 " in p for p in doc.problems)
    assert [f.path for d in doc.messages[0].diffs for f in d.files] == [f"drivers/demo/f{i}.c" for i in range(50)]


def test_an_input_name_the_system_cannot_look_up_is_exit_3(tmp_path):
    tree = str(tmp_path / "tree")
    subprocess.run(["git", "init", "-q", "-b", "master", tree], check=True)
    subprocess.run(["git", "-C", tree, "-c", "user.name=T", "-c", "user.email=t@example.org", "commit", "-q",
                    "--allow-empty", "-m", "empty"], check=True)
    name = "x" * 300
    (plain,) = analyze([name])
    assert plain.exit_code == 3 and "File name too long" in plain.error
    result = run("analyze", "--repo", str(tmp_path / "tree"), "--", name)
    assert result.returncode == 3 and result.stderr.count("\n") == 1 and "internal error" not in result.stderr


def test_in_body_from_subject_and_date_win_as_git_am_has_it():
    data = _mail("From: Greg KH <greg@example.org>\nSubject: [PATCH 6.6 12/80] io-wq: fix\n"
                 "Date: Mon, 2 Feb 2026 10:00:00 +0000\nMessage-ID: <b@example.org>\n",
                 "From: Ada Example <ada@example.org>\n"
                 "Date: Sun, 1 Feb 2026 09:00:00 +0000\n\n"
                 "[ Upstream commit 0123456789abcdef0123456789abcdef01234567 ]\n\nFix it.\n\n"
                 "Signed-off-by: Ada Example <ada@example.org>\n---\n" + PATCH)
    (m,) = read_bytes(data, "backport.eml").messages
    assert (str(m.author), m.date) == ("Ada Example <ada@example.org>", "2026-02-01T09:00:00+00:00")
    assert m.subject.raw == "[PATCH 6.6 12/80] io-wq: fix"  # no in-body Subject: the mail's own stays
    assert "in-body From:, Date: used, as git am does" in m.warnings
    assert m.upstream == "0123456789abcdef0123456789abcdef01234567" and m.diffs
    # a From: line later in the body is prose, not a header
    (plain,) = read_bytes(_mail("From: A <a@example.org>\nSubject: [PATCH] x\nMessage-ID: <c@example.org>\n",
                                "Fix it.\nFrom: Someone <s@example.org>\n\n---\n" + PATCH), "p.eml").messages
    assert str(plain.author) == "A <a@example.org>"


def test_in_body_from_on_the_lore_archive(lore_results):
    """162 messages of the archive start their body with an in-body From:
    (counted independently with Python's mailbox module: the body's first
    line matches `From: `); every one is now attributed to that person."""
    taken = [a.message for r in lore_results.values() for a in r.analyses
             if "in-body From: used, as git am does" in a.message.warnings]
    assert len(taken) == 162
    assert all(m.author is not None and m.author.email for m in taken)
