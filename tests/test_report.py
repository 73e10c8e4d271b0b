"""`triage report`: the Report model (threads, placed comments, headlines,
page names), golden reply/text/JSON for the four seeds, the reply read back
by Python's email package, the HTML site's safety (hostile subjects and
ids stay text, CSP, names), and the command's files and errors.

Regenerate the golden files after an intended change with:
    TRIAGE_REGEN=1 python -m pytest tests/test_report.py
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import html as html_lib
import json
import os
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, strategies as st

from triage.analysis import analyze, analyze_document
from triage.ingest import read_bytes
from triage.model import Better, Change, MetricDelta, Person, ScenarioRun
from triage.report import jsonout
from triage.ingest.threads import group_thread
from triage.report.build import build_report, headline, slugify, unique_page
from triage.report.htmlview import index_pages, timeline_svg
from triage.report.render import render
from triage.report.reply import WIDTH, mbox, reply_text, reply_warnings
from triage.report.site import render_site
from triage.report.textview import report_view

from .conftest import CORPUS, ROOT
from .goldens import check_golden
from .test_cli import run

SEEDS = sorted(str(p.relative_to(ROOT)) for p in CORPUS.glob("*.txt"))
REVIEWER = Person("Rev Iewer", "rev@example.org")

PATCH = """From: Ada Example <ada@example.org>
To: io-uring@vger.kernel.org
Cc: Jens Axboe <axboe@kernel.dk>, stable@vger.kernel.org
Subject: {subject}
Date: Wed, 1 May 2024 10:00:00 +0000
Message-ID: <{mid}>
References: <cover@example.org>
In-Reply-To: <cover@example.org>

Look for a free worker first.

Fixes: 0123456789ab ("io_uring/io-wq: create workers")
Cc: stable@vger.kernel.org
Signed-off-by: Ada Example <ada@example.org>
---
diff --git a/io_uring/io-wq.c b/io_uring/io-wq.c
--- a/io_uring/io-wq.c
+++ b/io_uring/io-wq.c
@@ -357,6 +357,11 @@ static void create_worker_cb(struct callback_head *cb)
 \tworker = container_of(cb, struct io_worker, create_work);
 \twq = worker->wq;
 \tacct = worker->acct;
+\trcu_read_lock();
+\tdo_create = !io_acct_activate_free_worker(acct);
+\trcu_read_unlock();
+\tif (!do_create)
+\t\tgoto no_need_create;
 \traw_spin_lock(&acct->workers_lock);
 
 \tif (acct->nr_workers < acct->max_workers) {{
@@ -367,6 +372,7 @@ static void create_worker_cb(struct callback_head *cb)
 \tif (do_create) {{
 \t\tcreate_io_worker(wq, acct);
 \t}} else {{
+no_need_create:
 \t\tatomic_dec(&acct->nr_running);
 \t\tio_worker_ref_put(wq);
 \t}}
"""

REPLY = """From: Jens Axboe <axboe@kernel.dk>
To: Ada Example <ada@example.org>
Subject: Re: {subject}
Date: Wed, 1 May 2024 12:00:00 +0000
Message-ID: <reply-{n}@kernel.dk>
In-Reply-To: <{mid}>
References: <cover@example.org> <{mid}>

On 5/1/24 4:00 AM, Ada Example wrote:
{quote}
"""

QUOTE_WITH_HEADER = """> @@ -357,6 +357,11 @@ static void create_worker_cb(struct callback_head *cb)
>  \tworker = container_of(cb, struct io_worker, create_work);
>  \twq = worker->wq;
>  \tacct = worker->acct;
> +\trcu_read_lock();
> +\tdo_create = !io_acct_activate_free_worker(acct);

Why under RCU here?

> +\trcu_read_unlock();"""

# a reviewer who trimmed the hunk header away: matched by the quoted line
QUOTE_TRIMMED = """> --- a/io_uring/io-wq.c
> +++ b/io_uring/io-wq.c
> @@ -370,3 +375,4 @@
> +no_need_create:

A label in the else branch reads oddly."""


def thread_mbox(subject: str = "[PATCH] io_uring/io-wq: check for a free worker first",
                mid: str = "patch-1@example.org") -> bytes:
    messages = [PATCH.format(subject=subject, mid=mid),
                REPLY.format(subject=subject, mid=mid, n=1, quote=QUOTE_WITH_HEADER),
                REPLY.format(subject=subject, mid=mid, n=2, quote=QUOTE_TRIMMED)]
    return "".join(f"From nobody Mon Sep 17 00:00:00 2001\n{m}\n" for m in messages).encode()


@pytest.fixture(scope="module")
def seed_report():
    with contextlib.chdir(ROOT):
        return build_report(analyze(SEEDS))


@pytest.fixture(scope="module")
def thread_report():
    doc = read_bytes(thread_mbox(), "thread.mbox")
    from triage.model import InputResult

    return build_report([InputResult("thread.mbox", doc.form, analyze_document(doc, behaviour=True))])


# ------------------------------------------------------------------ goldens


def test_reply_golden_for_each_seed_and_parses_back(seed_report):
    for p in seed_report.patches:
        text = reply_text(p, REVIEWER, seed_report.tool)
        check_golden(f"reply-{Path(p.input).stem[:3]}.eml", text, __file__)
        # prose at 72 columns; quoted code left long (never cut mid-token), under RFC 5322's 998
        assert all(len(line) <= WIDTH for line in text.splitlines() if not line.startswith(">")), p.input
        assert all(len(line) <= 998 for line in text.splitlines())
        msg = email.message_from_string(text, policy=email.policy.default)
        m = p.analysis.message
        assert msg["From"] == "Rev Iewer <rev@example.org>"
        assert msg["Subject"].startswith("Re: ") and not msg["Subject"].startswith("Re: Re:")
        assert msg.get_content_type() == "text/plain" and not msg.is_multipart()
        if m.message_id:
            assert msg["In-Reply-To"] == f"<{m.message_id}>"
            assert msg["References"].split()[-1] == f"<{m.message_id}>"
        else:
            assert msg["In-Reply-To"] is None
        assert "<html" not in text.lower()


def test_text_and_json_goldens_for_the_seeds(seed_report):
    check_golden("report-corpus.txt", render("report.txt.j2", view=report_view(seed_report)), __file__)
    text = jsonout.report_dumps(seed_report)
    data = json.loads(text)
    jsonschema.validate(data, jsonout.json_schema("report"))
    assert (data["schema"], data["version"]) == ("iowq-triage.report", 5)
    assert [p["assessment"]["verdict"] for p in data["report"]["patches"]] == \
        [p.assessment.verdict for p in seed_report.patches]
    check_golden("report-corpus.json", text, __file__)


def test_seed_report_headlines_come_from_the_runs(seed_report):
    by_seed = {Path(p.input).stem[:3]: p for p in seed_report.patches}
    assert [(h.scenario, h.what, h.before, h.after, h.change) for h in by_seed["000"].headlines] == \
        [("worker-churn", "workers_created", "38", "9", Change.IMPROVED)]
    assert by_seed["003"].headlines == ()  # a reply quoting the patch is not simulated
    assert by_seed["000"].assessment.verdict == "stable backport"
    assert by_seed["000"].page == "undated-patch-000-2685cdb7e3545392.html"
    # the page's timeline draws the change the table shows (38 forks against
    # 9) and writes its events out, not only in tooltips
    page = render_site(seed_report)[by_seed["000"].page]
    assert ">38 created</text>" in page and ">9 created</text>" in page
    assert "virtual time, s</text>" in page and page.count('<ol class="events small">') == 2
    # numbered on across both panels: the after panel's first event is 41
    assert '<li value="1">0.000 s: create worker 0 (bound)</li>' in page
    assert '<li value="41">0.000 s: create worker 0 (bound)</li>' in page


# ---------------------------------------------------------------- threads


def test_thread_groups_replies_and_places_comments_under_the_quoted_hunks(thread_report):
    assert len(thread_report.patches) == 1
    p = thread_report.patches[0]
    assert [t.message_id for t in p.thread] == ["reply-1@kernel.dk", "reply-2@kernel.dk"]
    placed = [(c.hunk_index, p.analysis.message.diffs[0].files[0].hunks[c.hunk_index].lines[c.after_line].text,
               c.author, c.placed_by, c.text.strip()) for c in p.comments]
    assert placed == [
        (0, "\tdo_create = !io_acct_activate_free_worker(acct);", "Jens Axboe", "hunk header",
         "Why under RCU here?"),
        (1, "no_need_create:", "Jens Axboe", "line text", "A label in the else branch reads oddly."),
    ]
    assert [t.comments for t in p.thread] == [1, 1]


def test_reply_threads_and_quotes_the_hunks_with_findings(thread_report):
    p = thread_report.patches[0]
    text = reply_text(p, REVIEWER, thread_report.tool)
    msg = email.message_from_string(text, policy=email.policy.default)
    assert msg["To"] == "Ada Example <ada@example.org>"
    assert msg["Cc"] == "io-uring@vger.kernel.org, Jens Axboe <axboe@kernel.dk>, stable@vger.kernel.org"
    assert msg["In-Reply-To"] == "<patch-1@example.org>"
    assert msg["References"] == "<cover@example.org> <patch-1@example.org>"
    assert msg["Subject"] == "Re: [PATCH] io_uring/io-wq: check for a free worker first"
    body = msg.get_content()
    # bottom-posted: the quote comes first, the findings under it
    assert body.index("> +       rcu_read_lock();") < body.index("It turns create_cb_tries_free_worker")
    assert body.index("It turns create_cb_tries_free_worker") < body.index(
        "Jens Axboe commented on this hunk in <reply-1@kernel.dk>.") < body.index("> +no_need_create:") < body.index(
        "Jens Axboe commented on this hunk in <reply-2@kernel.dk>.")
    # the tool's workings come after the findings, apart
    assert body.index("Verdict: ") < body.index("How this was found:") < body.index(
        "io_uring/io-wq.c hunk 1: function create_worker_cb: body changed")
    assert "This hunk:" not in body
    assert all(len(line) <= WIDTH for line in text.splitlines() if not line.startswith(">"))
    assert reply_warnings(p, REVIEWER) == []
    assert reply_warnings(p, None)[0].startswith("no From:")
    # the reviewer is never Cc'd on their own reply
    me = Person("Jens Axboe", "axboe@kernel.dk")
    assert "axboe@kernel.dk" not in (email.message_from_string(reply_text(p, me, "t"))["Cc"] or "")


def test_mbox_of_several_replies_escapes_from_lines():
    text = mbox(["Subject: a\n\nFrom here on\n", "Subject: b\n\n>From quoted\n"])
    assert text.count("\nFrom iowq-triage ") + text.startswith("From iowq-triage ") == 2
    assert ">From here on" in text and ">>From quoted" in text


def test_reply_without_a_patch_in_the_input_stands_alone():
    reply = REPLY.format(subject="[PATCH] x", mid="gone@example.org", n=9, quote=QUOTE_WITH_HEADER)
    doc = read_bytes(reply.encode(), "reply.eml")
    groups = group_thread(doc.messages)
    assert [(doc.messages[g].message_id, r) for g, r in groups] == [("reply-9@kernel.dk", [])]


def test_replies_without_threading_headers_join_their_patch_by_subject():
    subject = "[PATCH] io_uring/io-wq: a fix"
    patch = PATCH.format(subject=subject, mid="p@example.org")
    reply = "From: R <r@example.org>\nSubject: Re: " + subject + "\n\nLooks fine.\n"
    doc = read_bytes(("From nobody Mon Sep 17 00:00:00 2001\n" + patch + "\nFrom nobody Mon Sep 17 00:00:00 2001\n"
                      + reply).encode(), "t.mbox")
    groups = group_thread(doc.messages)
    assert groups == [(0, [1])]


# ------------------------------------------------------------- headlines, SVG


def _delta(name, before, after, better=Better.LOWER):
    from triage.sim.metrics import Metric, compare

    return MetricDelta(name, before, after, better, compare(Metric(name, better), before, after))


def test_headline_shows_a_regression_first_then_an_improvement():
    better = ScenarioRun("s", (), "seeded", (_delta("a", "1", "1"), _delta("b", "3", "2")))
    assert (headline(better).what, headline(better).before, headline(better).after,
            headline(better).change) == ("b", "3", "2", Change.IMPROVED)
    # a metric that got worse wins over one that got better, whatever their order
    mixed = ScenarioRun("s", (), "seeded", (_delta("a", "3", "2"), _delta("b", "10", "20", Better.HIGHER),
                                            _delta("c", "1", "5")))
    assert (headline(mixed).what, headline(mixed).change) == ("c", Change.REGRESSED)
    new_race = ScenarioRun("s", (), "seeded", (_delta("a", "2", "1"),), (), ("race",))
    assert (headline(new_race).what, headline(new_race).change) == ("findings", Change.REGRESSED)
    fixed = ScenarioRun("s", (), "seeded", (_delta("a", "1", "1"),), ("race",), ())
    assert (headline(fixed).what, headline(fixed).change) == ("findings", Change.IMPROVED)
    context = ScenarioRun("s", (), "seeded", (_delta("a", "1", "9", Better.NEITHER),))
    assert headline(context).what == "no difference"  # a context metric moving is not a headline


def test_timeline_shares_one_time_axis_and_stays_inside_its_panels():
    r = ScenarioRun("s", (), "seeded", (),
                    timeline_before=((0.0, 0, 0, 3, 0), (10.0, 2, 1, 1, 2), (6000.0, 0, 0, 0, 5)),
                    timeline_after=((0.0, 0, 0, 3, 0), (10.0, 2, 2, 0, 2)),
                    events_before=((5.0, "exit"), (5900.0, "io_wq_exit_start: IO_WQ_BIT_EXIT set")))
    g = timeline_svg(r)
    # 6 s of virtual time: the axis is in seconds, with round ticks
    assert (g["t_max"], g["unit"], [t["label"] for t in g["ticks"]]) == ("6000", "s", ["0", "2", "4", "6"])
    assert (g["w_max"], g["q_max"]) == (5, 3)  # the left scale holds the 5 workers created
    for panel in g["panels"]:
        for series in ("alive", "running", "queued", "created"):
            points = [tuple(map(float, p.split(","))) for p in panel[series].split()]
            assert all(g["left"] <= x <= g["right"] and panel["top"] <= y <= panel["bottom"] for x, y in points)
            assert points[-1][0] == g["right"]  # both panels run to the same end of the shared axis
    assert [p["created_total"] for p in g["panels"]] == [5, 2]
    # events are numbered for the list under the picture; io-wq calls are marked and labelled
    assert g["panels"][0]["events"] == [
        {"x": round(48 + 664 * 5.0 / 6000, 1), "n": 1, "marked": False, "label": "", "text": "0.005 s: exit"},
        {"x": round(48 + 664 * 5900.0 / 6000, 1), "n": 2, "marked": True, "label": "io_wq_exit_start",
         "text": "5.900 s: io_wq_exit_start: IO_WQ_BIT_EXIT set"}]
    short = timeline_svg(ScenarioRun("s", (), "seeded", (), timeline_before=((0.0, 1, 0, 0, 1), (13.0, 0, 0, 0, 1))))
    assert (short["unit"], [t["label"] for t in short["ticks"]]) == ("ms", ["0", "5", "10"])
    assert timeline_svg(ScenarioRun("s", (), "seeded", ())) is None


# ------------------------------------------------------------ names, safety


@given(st.text(max_size=300))
def test_page_names_are_plain_whatever_the_subject(subject):
    slug = slugify(subject)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*|", slug) and len(slug) <= 60
    taken = {"index.html", f"undated-{slug or 'x'}.html"}
    name = unique_page(f"undated-{slug or 'x'}.html", taken)
    assert name not in taken and re.fullmatch(r"[a-z0-9-]+\.html", name)


HOSTILE = """From: "<img src=x onerror=alert(1)>" <evil@example.org>
Subject: [PATCH] <script>alert('subject')</script><img src=x onerror=alert(2)> ../../etc/passwd
Date: Wed, 1 May 2024 10:00:00 +0000
Message-ID: <"><script>alert(3)</script>@example.org>

<script>alert(4)</script> onerror=alert(5)

Link: javascript:alert(6)
Signed-off-by: Evil <evil@example.org>
---
diff --git a/io_uring/io-wq.c b/io_uring/io-wq.c
--- a/io_uring/io-wq.c
+++ b/io_uring/io-wq.c
@@ -1,3 +1,4 @@ </script><script>alert(7)</script>
 #include <linux/kernel.h>
+/* <img src=x onerror=alert(8)> */
 #include <linux/init.h>
 #include <linux/errno.h>
"""


def hostile_report():
    doc = read_bytes(HOSTILE.encode(), "hostile.eml")
    from triage.model import InputResult

    return build_report([InputResult("hostile.eml", doc.form, analyze_document(doc))])


def test_hostile_input_renders_as_text_in_every_page():
    report = hostile_report()
    page = report.patches[0].page
    assert page == "2024-05-01-script-alert-subject-script-img-src-x-onerror-alert-2-etc.html"  # cut at 60
    files = render_site(report)
    for name, html in files.items():
        assert "<script" not in html.lower(), name
        assert "<img" not in html.lower(), name
        assert 'href="javascript:' not in html.lower(), name
        policy = html_lib.unescape(re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)"',
                                             html).group(1))
        assert re.fullmatch(r"default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'; img-src data:; "
                            r"base-uri 'none'; form-action 'none'", policy), name
    assert "&lt;script&gt;alert(&#39;subject&#39;)&lt;/script&gt;" in files[page]
    hrefs = re.findall(r'href="([^"]*)"', files[page])
    assert "https://lore.kernel.org/r/%22" in hrefs  # the id as parsed, percent-encoded
    assert all(re.fullmatch(r"https://lore\.kernel\.org/r/[A-Za-z0-9%@._+=~!$-]+|[a-z0-9-]+\.html", h)
               for h in hrefs), hrefs


def test_index_has_a_presorted_page_per_column_and_direction(seed_report):
    pages = index_pages(seed_report)
    assert set(pages) == {"index.html"} | {f"index-{c}{d}.html" for c in
                                           ("subject", "date", "author", "verdict", "risk", "scenarios", "branches")
                                           for d in ("", "-desc")}
    risks = [r["risk"] for r in pages["index-risk-desc.html"]["rows"]]
    assert risks == sorted(risks, reverse=True)
    assert pages["index.html"]["rows"][0]["verdict"] == "stable backport"  # the only actionable one
    header = {h["name"]: h for h in pages["index-risk.html"]["headers"]}
    assert (header["risk"]["href"], header["risk"]["sort"]) == ("index-risk-desc.html", "ascending")


# ------------------------------------------------------------------ the CLI


def test_report_command_writes_the_site_atomically_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "site"
    first = run("report", "--no-behaviour", *SEEDS, "-o", str(out))
    assert first.returncode == 0, first.stderr
    assert "Verdict: stable backport; risk 3 of 25 (low: small and contained)" in first.stdout
    names = sorted(p.name for p in out.iterdir())
    assert "index.html" in names and "undated-patch-000-2685cdb7e3545392.html" in names and len(names) == 19
    assert not [n for n in names if n.startswith(".")]  # no temporary file left behind
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    again = run("report", "--no-behaviour", *SEEDS, "-o", str(out))
    assert again.returncode == 7
    assert again.stderr.count("\n") == 1 and "use --force" in again.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    forced = run("report", "--no-behaviour", *SEEDS, "-o", str(out), "--force")
    assert forced.returncode == 0, forced.stderr


def test_report_command_formats_and_errors(tmp_path):
    needs_dir = run("report", SEEDS[0])
    assert needs_dir.returncode == 2 and "-o DIR" in needs_dir.stderr
    as_json = run("report", "--no-behaviour", "--format", "json", SEEDS[0], "-o", str(tmp_path / "r.json"))
    assert as_json.returncode == 0, as_json.stderr
    jsonschema.validate(json.loads((tmp_path / "r.json").read_text()), jsonout.json_schema("report"))
    schema = run("schema", "report")
    assert json.loads(schema.stdout)["title"] == "iowq-triage.report v5"
    missing = run("report", "--format", "text", "no-such-file.eml")
    assert missing.returncode == 3 and missing.stderr == "triage: no-such-file.eml: no such file\n"
    assert missing.stdout == ""
    # no input could be read: no folder, no empty index, no file
    nothing = tmp_path / "nothing"
    unread = run("report", "no-such-file.eml", "-o", str(nothing))
    assert (unread.returncode, unread.stdout, nothing.exists()) == (3, "", False)
    unread = run("analyze", "no-such-file.eml", "-o", str(tmp_path / "nothing.txt"))
    assert (unread.returncode, (tmp_path / "nothing.txt").exists()) == (3, False)
    mbox_path = tmp_path / "thread.mbox"
    mbox_path.write_bytes(thread_mbox())
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text("[user]\n\tname = Rev Iewer\n\temail = rev@example.org\n")
    # the user's identity from their git config, nothing else of theirs
    reply = run("report", "--no-behaviour", "--format", "reply", str(mbox_path),
                env_extra={"HOME": str(home), "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"), "GIT_CONFIG_NOSYSTEM": "1"})
    assert reply.returncode == 0, reply.stderr
    msg = email.message_from_string(reply.stdout, policy=email.policy.default)
    assert (msg["From"], msg["In-Reply-To"]) == ("Rev Iewer <rev@example.org>", "<patch-1@example.org>")
    assert reply.stderr == ""
    assert "/" + str(tmp_path).strip("/") not in reply.stdout  # no local path in a mail
    # git send-email takes it as written (dry run, a local address, no network)
    (tmp_path / "reply.eml").write_text(reply.stdout)
    git_env = {"HOME": str(home), "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"), "GIT_CONFIG_NOSYSTEM": "1",
               "PATH": os.environ["PATH"]}
    if not os.access(subprocess.run(["git", "--exec-path"], capture_output=True, text=True).stdout.strip()
                     + "/git-send-email", os.X_OK):
        if os.environ.get("CI"):
            pytest.fail("git send-email (Debian package git-email) is needed under CI")
    else:
        sent = subprocess.run(["git", "send-email", "--dry-run", "--confirm=never", "--suppress-cc=all",
                               "--to", "reviewer@example.org", "--smtp-server", "/bin/true",
                               str(tmp_path / "reply.eml")], capture_output=True, text=True, env=git_env)
        assert sent.returncode == 0, sent.stderr
        assert "Subject: Re: [PATCH] io_uring/io-wq: check for a free worker first" in sent.stdout
        assert "In-Reply-To: <patch-1@example.org>" in sent.stdout and sent.stdout.rstrip().endswith("Result: OK")
    # a reply with no To: or threading is not written unless asked
    seed = run("report", "--no-behaviour", "--format", "reply", SEEDS[0],
               env_extra={"HOME": str(home), "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"), "GIT_CONFIG_NOSYSTEM": "1"})
    assert seed.returncode == 7 and seed.stdout == ""
    assert seed.stderr == (f"triage: {SEEDS[0]}: reply not written: no In-Reply-To: (the input has no Message-ID; "
                           "it would not thread); --allow-incomplete writes it anyway\n")
    anyway = run("report", "--no-behaviour", "--format", "reply", "--allow-incomplete", SEEDS[0],
                 env_extra={"HOME": str(home), "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"), "GIT_CONFIG_NOSYSTEM": "1"})
    assert anyway.returncode == 0 and anyway.stdout.startswith("From: Rev Iewer")
    bad_dir = tmp_path / "file"
    bad_dir.write_text("x")
    not_dir = run("report", "--no-behaviour", SEEDS[0], "-o", str(bad_dir))
    assert not_dir.returncode == 7 and "not a directory" in not_dir.stderr


def test_lore_threads_render_with_every_comment_under_a_real_line(lore_results):
    """All 306 public threads: every message is on a page (its patch's, or
    its own), names are unique and plain, every placed comment points at a
    line of a hunk of its patch, and every page renders."""
    files = sorted(lore_results)
    results = [lore_results[name] for name in files]
    report = build_report(results)
    messages = sum(len(r.analyses) for r in results)
    assert sum(1 + len(p.thread) for p in report.patches) == messages
    pages = [p.page for p in report.patches]
    assert len(set(pages)) == len(pages) and all(re.fullmatch(r"[a-z0-9-]+\.html", n) for n in pages)
    placed = [(p, c) for p in report.patches for c in p.comments if c.hunk_index >= 0]
    for p, c in placed:
        file = next(f for f in p.analysis.message.diffs[c.diff_index].files if f.path == c.file)
        assert 0 <= c.after_line < len(file.hunks[c.hunk_index].lines)
    # each comment once per patch (re-quotes of an earlier reply are not placed again), no signature blocks
    for p in report.patches:
        texts = [" ".join(c.text.split()).casefold() for c in p.comments]
        assert len(texts) == len(set(texts)), p.page
        assert not any(re.search(r"^-- ?$", c.text, re.MULTILINE) for c in p.comments), p.page
    site = render_site(report)
    assert len(site) == len(pages) + 15
    print(f"\nlore report: {len(files)} threads, {messages} messages, {len(pages)} pages, "
          f"{len(placed)} review comments placed under hunks "
          f"({sum(1 for _, c in placed if c.placed_by == 'line text')} by line text), "
          f"{sum(1 for p in report.patches for c in p.comments if c.hunk_index < 0)} not matched")


# ------------------------------------------------------ trailers in replies


def test_trailers_given_in_replies_are_collected_attributed_and_checked():
    subject = "[PATCH] io_uring/io-wq: check for a free worker first"
    reviewed = REPLY.format(subject=subject, mid="patch-1@example.org", n=7, quote=(
        "> Signed-off-by: Ada Example <ada@example.org>\n> Reviewed-by: Quoted Person <q@example.org>\n\n"
        "Looks good.\n\nReviewed-by: Jens Axboe <axboe@kernel.dk>\nAcked-by: Pavel Begunkov <asml@example.org>\n"
        "Signed-off-by: Ada Example <ada@example.org>\nCc: stable@vger.kernel.org # 6.6\n"))
    # a reviewer's sketch diff in a reply is not a patch of its own
    sketch = REPLY.format(subject=subject, mid="patch-1@example.org", n=8, quote=(
        "How about this instead?\n\ndiff --git a/io_uring/io-wq.c b/io_uring/io-wq.c\n--- a/io_uring/io-wq.c\n"
        "+++ b/io_uring/io-wq.c\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n\nTested-by: Jens Axboe <axboe@kernel.dk>\n"))
    mbox = thread_mbox() + "".join(f"From nobody Mon Sep 17 00:00:00 2001\n{m}\n"
                                   for m in (reviewed, sketch)).encode()
    doc = read_bytes(mbox, "thread.mbox")
    from triage.model import InputResult, TrailerCheck, TrailerScope

    report = build_report([InputResult("thread.mbox", doc.form, analyze_document(doc, behaviour=False))])
    (p,) = report.patches  # the sketch joined the thread, it got no page
    assert len(p.thread) == 4
    assert [(t.key, t.value, t.sender, t.message_id, t.check, t.scope) for t in p.reply_trailers] == [
        ("Reviewed-by", "Jens Axboe <axboe@kernel.dk>", "Jens Axboe <axboe@kernel.dk>", "reply-7@kernel.dk",
         TrailerCheck.SENDER, TrailerScope.PATCH),
        ("Acked-by", "Pavel Begunkov <asml@example.org>", "Jens Axboe <axboe@kernel.dk>", "reply-7@kernel.dk",
         TrailerCheck.OTHER, TrailerScope.PATCH),
        ("Cc", "stable@vger.kernel.org # 6.6", "Jens Axboe <axboe@kernel.dk>", "reply-7@kernel.dk",
         TrailerCheck.NO_PERSON, TrailerScope.PATCH),
        ("Tested-by", "Jens Axboe <axboe@kernel.dk>", "Jens Axboe <axboe@kernel.dk>", "reply-8@kernel.dk",
         TrailerCheck.SENDER, TrailerScope.PATCH),
    ]  # the quoted Reviewed-by and the author's Signed-off-by pasted by someone else are not collected
    page = render_site(report)[p.page]
    assert "not the reply&#39;s sender: given for someone else, or a typo" in page
    text = render("report.txt.j2", view=report_view(report))
    assert ("Trailers given in replies: Reviewed-by: Jens Axboe <axboe@kernel.dk>; Acked-by: Pavel Begunkov "
            "<asml@example.org> (sent by Jens Axboe <axboe@kernel.dk>); Cc: stable@vger.kernel.org # 6.6; "
            "Tested-by: Jens Axboe <axboe@kernel.dk>") in text


def test_trailers_given_on_a_cover_letter_count_for_every_patch_of_the_series():
    cover = PATCH.replace("In-Reply-To: <cover@example.org>\n", "").replace(
        "References: <cover@example.org>\n", "").format(subject="[PATCH 0/2] io-wq: two fixes", mid="cover@example.org")
    cover = cover.split("\n---\n")[0] + "\n"  # a cover letter: no diff
    one = PATCH.format(subject="[PATCH 1/2] io-wq: first", mid="one@example.org")
    ack = REPLY.format(subject="[PATCH 0/2] io-wq: two fixes", mid="cover@example.org", n=9,
                       quote="For the series:\n\nAcked-by: Jens Axboe <axboe@kernel.dk>\n")
    mbox = "".join(f"From nobody Mon Sep 17 00:00:00 2001\n{m}\n" for m in (cover, one, ack)).encode()
    doc = read_bytes(mbox, "series.mbox")
    from triage.model import InputResult, TrailerScope

    report = build_report([InputResult("series.mbox", doc.form, analyze_document(doc, behaviour=False))])
    by_title = {p.analysis.message.subject.title: p for p in report.patches}
    assert [(t.key, t.scope) for t in by_title["io-wq: two fixes"].reply_trailers] == [("Acked-by", TrailerScope.PATCH)]
    assert [(t.key, t.scope) for t in by_title["io-wq: first"].reply_trailers] == [("Acked-by", TrailerScope.SERIES)]


def test_pages_show_the_changelog_and_what_each_message_says(seed_report):
    by_seed = {Path(p.input).stem[:3]: p for p in seed_report.patches}
    site = render_site(seed_report)
    page = site[by_seed["000"].page]
    assert "<h3>The author&#39;s changelog</h3>" in page
    assert "in our produce environment, we still observe that part of io_worker threads keeps creating" in page
    # seed 002: Jens Axboe's "send it upstream first", on the page and as review state
    (e,) = by_seed["002"].review
    assert (e.state.value, e.sender) == ("send it upstream first", "Jens Axboe")  # a web archive: no address
    assert e.sentence.endswith("you need to send it in for the _upstream_ kernel, stable only does backports of those.")
    page = site[by_seed["002"].page]
    assert "<h3>What this message says</h3>" in page and "stable only does backports of those" in page
