"""The stable-branch matrix on the kernel-shaped story of tests/kernel_tree.py:
every field of every branch, for a patch given as a mail, as a commit, as a
range, with a Fixes tag naming a stable-only id, and posted for stable only;
errors as one line with exit code 6; the tree provably untouched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from triage.analysis import analyze
from triage.errors import GitError
from triage.model import BranchFacts
from triage.tree.repo import KernelRepo
from triage.tree.scan import scan
from triage.tree.stable import branch_names

from .cli_run import run
from .kernel_tree import BUG_SUBJECT, FIX_SUBJECT, build, colliding_commit, git, snapshot

MAIL = """From nobody Mon Sep 17 00:00:00 2001
From: Bob Example <bob@example.org>
To: {to}
Subject: {subject}
Date: Wed, 1 May 2024 10:00:00 +0000
Message-ID: <{mid}@example.org>

{trailers}
Signed-off-by: Bob Example <bob@example.org>
---
{diff}
"""


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    root = tmp_path_factory.mktemp("kernel")
    ids = build(root)
    repo = ids["path"]
    diff = ids["fix_patch"][ids["fix_patch"].index("diff --git"):]
    lock_diff = git(repo, "show", "--format=", ids["c1"])

    def mail(name, **fields):
        path = root / name
        path.write_text(MAIL.format(**{"to": "io-uring@vger.kernel.org", "mid": name, "diff": diff, **fields}))
        return str(path)

    ids["mail"] = mail("fix.mbox", subject=f"[PATCH] {FIX_SUBJECT}",
                       trailers=f'Fixes: {ids["m3"][:12]} ("{BUG_SUBJECT}")\nCc: stable@vger.kernel.org')
    ids["stable_only"] = mail("stable-only.mbox", subject=f"[PATCH] {FIX_SUBJECT}",
                              trailers=f'Fixes: {ids["s1"][:12]} ("io_uring/io-wq: create workers")')
    ids["for_stable"] = mail("for-stable.mbox", to="stable@vger.kernel.org",
                             subject="[PATCH 6.6] io_uring/io-wq: take the lock with interrupts off",
                             trailers="", diff=lock_diff)
    ids["option_fixes"] = mail("option.mbox", subject=f"[PATCH] {FIX_SUBJECT}",
                               trailers='Fixes: --output=/tmp/triage-pwned ("x")')
    noise = colliding_commit(repo, ids["m3"], ids["m1"])
    git(repo, "update-ref", "refs/heads/noise", noise)
    ids["ambiguous"] = mail("ambiguous.mbox", subject=f"[PATCH] {FIX_SUBJECT}",
                            trailers=f'Fixes: {ids["m3"][:5]} ("{BUG_SUBJECT}")')
    ids["before"] = snapshot(repo)
    return ids


def _tree(story, inputs, branches=None, behaviour=False):
    results = analyze(inputs, repo_path=str(story["path"]), branches=branches, behaviour=behaviour)
    return results


def _matrix(facts) -> dict[str, BranchFacts]:
    return {b.branch: b for b in facts.branches}


def _expect_fix_matrix(story, facts, fixes_label):
    """The verdicts every form of the m4 fix gets."""
    m = _matrix(facts)
    assert list(m) == ["linux-5.15.y", "linux-6.1.y", "linux-6.6.y", "linux-6.8.y", "linux-6.9.y", "master"]
    knob = "create_cb_tries_free_worker"

    b = m["linux-5.15.y"]
    assert (b.tip, b.mainline, b.file, b.bug, b.fix, b.fix_commit) == (story["s1"], False, "fs/io-wq.c", "present",
                                                                       None, None)
    assert b.bug_reasons[0].startswith(fixes_label) and ("backport " + story["s1"][:12] in b.bug_reasons[0]
                                                         or "is in the branch" in b.bug_reasons[0])
    assert b.apply == "conflict"
    assert b.apply_detail == "after renaming io_uring/io-wq.c -> fs/io-wq.c; hunks fail at fs/io-wq.c:52"
    assert [(p.symbol, p.introduced_by, p.introduced_subject) for p in b.prerequisites] == [
        ("io_wq_activate_free_worker", story["m2"], "io_uring: move io-wq to io_uring/ and name it io_wq")]
    assert [(k.knob, k.value, k.state) for k in b.knobs] == [(knob, "off", "before")]
    assert b.verdict == "needs backport work"
    assert any("does not apply" in r for r in b.reasons) and any("io_wq_activate_free_worker" in r
                                                                 and story["m2"][:12] in r for r in b.reasons)

    b = m["linux-6.1.y"]
    assert (b.tip, b.file, b.bug, b.fix, b.apply, b.verdict) == (story["m2"], "io_uring/io-wq.c", "absent", None,
                                                                 "applied", "not needed")
    assert b.reasons == (f"bug not present: {fixes_label} is not in the branch",)
    assert [(k.value, k.state) for k in b.knobs] == [("on", "after")]

    b = m["linux-6.6.y"]
    assert (b.tip, b.bug, b.apply, b.verdict, b.fix_commit) == (story["b1"], "present", "applied", "already fixed",
                                                                story["b1"])
    assert b.fix == f"backport {story['b1'][:12]} cites upstream commit {story['m4'][:12]}"
    assert b.prerequisites == ()

    b = m["linux-6.8.y"]
    assert (b.bug, b.fix, b.apply, b.apply_detail, b.verdict) == ("present", None, "conflict",
                                                                  "hunks fail at io_uring/io-wq.c:52",
                                                                  "needs backport work")
    assert b.prerequisites == () and [(k.value, k.state) for k in b.knobs] == [("off", "before")]

    b = m["linux-6.9.y"]
    assert (b.bug, b.fix, b.apply, b.verdict) == ("present", None, "offset", "needed")
    assert "offset 2 lines" in b.apply_detail
    assert b.reasons[-1].startswith("patch applies with offset")
    assert "the branch has the behaviour the patch removes (create_cb_tries_free_worker = off)" in b.reasons

    b = m["master"]
    assert (b.mainline, b.tip, b.fix, b.fix_commit, b.verdict) == (
        True, story["m5"], f"contains upstream commit {story['m4'][:12]}", story["m4"], "already fixed")


def test_mail_matrix_every_field(story):
    (result,) = _tree(story, [story["mail"]])
    assert result.exit_code == 0 and not result.problems
    facts = result.analyses[0].tree
    assert facts.repo == str(story["path"]) and facts.mainline == "master"
    assert (facts.upstream, facts.upstream_how, facts.upstream_first) == (story["m4"], "same subject and patch-id in master", None)
    (fixes,) = facts.named
    assert (fixes.given, fixes.role, fixes.sha, fixes.subject, fixes.subject_matches, fixes.in_mainline,
            fixes.upstream, fixes.problems) == (story["m3"][:12], "fixes", story["m3"], BUG_SUBJECT, True, True,
                                                None, ())
    _expect_fix_matrix(story, facts, f"Fixes target {story['m3'][:12]}")
    # the pre-image came from the tree (the diff's index line): exact mapping
    assert {c.evidence for c in result.analyses[0].symbols} == {"pre-image"}


def test_commit_and_range_inputs(story):
    (by_id,) = _tree(story, [story["m4"][:12]])
    facts = by_id.analyses[0].tree
    assert (facts.upstream, facts.upstream_how) == (story["m4"], "cited by the mail")
    _expect_fix_matrix(story, facts, f"Fixes target {story['m3'][:12]}")

    (by_range,) = _tree(story, ["v6.6..master"])
    assert by_range.form == "git-log"
    assert [a.message.upstream for a in by_range.analyses] == [story["m4"], story["m5"]]
    later = _matrix(by_range.analyses[1].tree)
    assert later["master"].verdict == "already fixed"
    assert later["linux-6.9.y"].verdict == "undetermined"
    assert later["linux-6.9.y"].reasons[:2] == ("no Fixes: tag names the commit that brought the bug",
                                                 "no modelled behaviour decides whether the branch has the bug")


def test_fixes_naming_a_stable_backport(story):
    (result,) = _tree(story, [story["stable_only"]])
    facts = result.analyses[0].tree
    (fixes,) = facts.named
    assert (fixes.sha, fixes.in_mainline, fixes.upstream, fixes.upstream_subject, fixes.subject_matches) == (
        story["s1"], False, story["m3"], BUG_SUBJECT, False)
    assert f"names a stable backport; a Fixes tag must name the upstream commit {story['m3'][:12]}" in fixes.problems
    assert f'subject in the tag differs from the commit\'s: "{BUG_SUBJECT}"' in fixes.problems
    m = _matrix(facts)
    assert m["linux-5.15.y"].bug_reasons == (f"Fixes target {story['s1'][:12]} is in the branch",)
    assert m["linux-6.9.y"].bug_reasons == (f"Fixes target {story['s1'][:12]} is a stable backport; its upstream "
                                            f"{story['m3'][:12]} is in the branch",)
    assert m["linux-6.1.y"].verdict == "not needed"


def test_upstream_first_and_same_patch_id(story):
    (result,) = _tree(story, [story["for_stable"]])
    facts = result.analyses[0].tree
    assert facts.upstream is None and facts.upstream_how is None
    assert facts.upstream_first.startswith("posted for stable but not in master")
    m = _matrix(facts)
    assert (m["linux-6.8.y"].verdict, m["linux-6.8.y"].fix) == (
        "already fixed", f"commit {story['c1'][:12]} has the same patch-id")
    assert m["linux-6.6.y"].verdict == "undetermined"


def test_option_like_and_ambiguous_fixes_ids(story, tmp_path):
    (result,) = _tree(story, [story["option_fixes"]])
    (fixes,) = result.analyses[0].tree.named
    assert fixes.sha is None and "not a commit id; not passed to git" in fixes.problems
    assert not Path("/tmp/triage-pwned").exists()
    (result,) = _tree(story, [story["ambiguous"]])
    (fixes,) = result.analyses[0].tree.named
    assert fixes.sha is None and "short id is ambiguous in this tree" in fixes.problems
    assert all(b.bug == "unknown" for b in result.analyses[0].tree.branches if b.fix is None)


def test_branch_selection(story):
    with KernelRepo(story["path"]) as repo:
        assert branch_names(repo, None) == ("master", ["linux-5.15.y", "linux-6.1.y", "linux-6.6.y", "linux-6.8.y",
                                                       "linux-6.9.y", "master"])
        assert branch_names(repo, ["linux-6.6.y"]) == ("master", ["linux-6.6.y"])
        with pytest.raises(GitError, match="no such branch"):
            branch_names(repo, ["linux-9.9.y"])
        with pytest.raises(GitError, match="not a valid revision"):
            branch_names(repo, ["--output=/tmp/x"])
    (result,) = _tree(story, [story["mail"]], branches=["linux-6.9.y"])
    assert [b.branch for b in result.analyses[0].tree.branches] == ["linux-6.9.y"]


def test_branches_from_git_config(story, tmp_path):
    clone = tmp_path / "cfg"
    git(tmp_path, "clone", "-q", "--bare", str(story["path"]), str(clone))
    git(clone, "config", "triage.branches", "linux-6.6.y, master")
    (result,) = analyze([story["mail"]], repo_path=str(clone), behaviour=False)
    facts = result.analyses[0].tree
    assert [b.branch for b in facts.branches] == ["linux-6.6.y", "master"]  # and a bare tree works
    assert _matrix(facts)["linux-6.6.y"].verdict == "already fixed"


def test_scan_finds_untagged_candidates(story, tmp_path):
    """m4 carries Fixes: m3 but no Cc: stable in its own message; 6.8.y and
    6.9.y have m3 and lack m4; 5.15.y has m3 as a backport; 6.6.y has m4."""
    with KernelRepo(story["path"]) as repo:
        scanned = scan(repo, "v6.6..master", "master", branch_names(repo, None)[1])
    found = scanned.candidates
    assert scanned.checked == 2  # m4 and m5 change io-wq after v6.6
    assert [(c.sha, c.subject, c.fixes) for c in found] == [(story["m4"], FIX_SUBJECT, (story["m3"][:12],))]
    assert found[0].branches == (
        f"linux-5.15.y: Fixes target {story['m3'][:12]} in branch as backport {story['s1'][:12]}, fix not in branch",
        f"linux-6.8.y: Fixes target {story['m3'][:12]} in branch, fix not in branch",
        f"linux-6.9.y: Fixes target {story['m3'][:12]} in branch, fix not in branch",
    )


def _cli(*args, cwd=None):
    # in process; no user or system git config, no tree from the environment
    return run(*args, cwd=Path(cwd or "."), env_extra={
        "HOME": str(Path(cwd or ".").resolve()), "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": None,
        "TRIAGE_REPO": None, "TRIAGE_BRANCHES": None, "XDG_CONFIG_HOME": None})


def test_cli_errors_are_one_line(story, tmp_path):
    cases = [
        (["analyze", "--no-behaviour", "--repo", str(tmp_path), story["mail"]], 6, "not a git repository"),
        (["analyze", "--no-behaviour", "--repo", str(story["path"]), "--branches", "linux-9.9.y", story["mail"]], 6,
         "linux-9.9.y: no such branch"),
        (["analyze", "--no-behaviour", "--repo", str(story["path"]), "--", "--output=/tmp/x"], 3,
         "not a valid revision"),
        (["scan", "--repo", str(story["path"]), "--", "--output=/tmp/x..master"], 6, "not a valid revision"),
        (["scan", "v6.6..master"], 6, "no kernel tree given"),
        (["scan", "--repo", str(story["path"]), "v6.11..v6.99"], 6, "v6.11..v6.99"),
        (["analyze", "--no-behaviour", "--repo", str(story["path"]), "v6.11..v6.99"], 6, "v6.11..v6.99"),
    ]
    for args, code, words in cases:
        proc = _cli(*args, cwd=tmp_path)
        assert proc.returncode == code, (args, proc.stderr)
        assert len(proc.stderr.strip().splitlines()) == 1 and words in proc.stderr and "Traceback" not in proc.stderr


def test_shallow_clone_lacking_history(story, tmp_path):
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", "--no-single-branch", f"file://{story['path']}", str(shallow))
    proc = _cli("analyze", "--no-behaviour", "--repo", str(shallow), story["mail"], cwd=tmp_path)
    assert proc.returncode == 6
    assert proc.stderr.strip().endswith("shallow clone lacks the history joining it to master; "
                                        "fetch more (git fetch --unshallow)")
    assert len(proc.stderr.strip().splitlines()) == 1


def test_cli_text_and_json(story, tmp_path):
    proc = _cli("analyze", "--no-behaviour", "--repo", str(story["path"]), story["mail"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "linux-5.15.y  NEEDS BACKPORT WORK  bug present apply conflict  (file fs/io-wq.c)" in proc.stdout
    assert "linux-6.9.y   NEEDED               bug present apply offset" in proc.stdout
    proc = _cli("scan", "--repo", str(story["path"]), "v6.6..master", cwd=tmp_path)
    assert proc.stdout.splitlines()[0] == f"{story['m4'][:12]} {FIX_SUBJECT}"
    proc = _cli("scan", "--repo", str(story["path"]), "--format", "json", "v6.6..master", cwd=tmp_path)
    assert json.loads(proc.stdout)[0]["sha"] == story["m4"]
    proc = _cli("scan", "--repo", str(story["path"]), "v6.10..master", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (0, "no candidates in v6.10..master (1 io-wq commit checked)\n")


def test_tree_inputs_analysed_in_parallel_match_the_serial_run(story):
    from triage.report import jsonout

    inputs = [story["m4"], story["m3"], "v6.6..master"]
    serial = jsonout.dumps(analyze(inputs, repo_path=str(story["path"]), behaviour=False, jobs=1))
    parallel = jsonout.dumps(analyze(inputs, repo_path=str(story["path"]), behaviour=False, jobs=2))
    assert parallel == serial and '"exit_code": 0' in serial


def test_the_tree_is_untouched(story):
    """Runs last in this module: every query above left refs, HEAD, index
    and working tree byte for byte as they were."""
    _tree(story, [story["mail"], story["m4"], "v6.6..master", story["for_stable"]])
    with KernelRepo(story["path"]) as repo:
        scan(repo, "v5.15..master", "master", branch_names(repo, None)[1])
    assert snapshot(story["path"]) == story["before"]


def test_fixes_given_in_a_reply_is_checked_in_the_tree(story, tmp_path):
    """A reviewer's `Fixes:` (b4 folds it into the commit) is resolved like
    the patch's own: the tree's commit and subject, shown with the trailer
    and among the reasons of a patch that has none of its own."""
    from triage.report.build import build_report

    patch = (Path(story["option_fixes"]).read_text().replace('Fixes: --output=/tmp/triage-pwned ("x")\n', "")
             .replace("Message-ID: <option.mbox@example.org>", "Message-ID: <p@example.org>"))
    reply = ("From nobody Mon Sep 17 00:00:00 2001\nFrom: Jens Axboe <axboe@kernel.dk>\n"
             f"Subject: Re: [PATCH] {FIX_SUBJECT}\nDate: Thu, 2 May 2024 10:00:00 +0000\n"
             "Message-ID: <r@example.org>\nIn-Reply-To: <p@example.org>\nReferences: <p@example.org>\n\n"
             f'This needs a tag:\n\nFixes: {story["m3"][:12]} ("wrong subject")\n'
             "Cc: stable@vger.kernel.org # 6.6+\n")
    path = tmp_path / "t.mbox"
    path.write_text(patch + "\n" + reply)
    (p,) = build_report(_tree(story, [str(path)])).patches
    fixes, cc = p.reply_trailers
    assert (fixes.key, fixes.commit.sha, fixes.commit.subject, fixes.commit.subject_matches) == (
        "Fixes", story["m3"], BUG_SUBJECT, False)
    assert (cc.key, cc.value, cc.commit) == ("Cc", "stable@vger.kernel.org # 6.6+", None)
    assert any(r.startswith(f"a reply by Jens Axboe <axboe@kernel.dk> gives Fixes: {story['m3'][:12]}")
               and f'the tree: {story["m3"][:12]} ("{BUG_SUBJECT}"), not the subject the mail gives' in r
               for r in p.assessment.reasons)
    assert "a reply by Jens Axboe <axboe@kernel.dk> asks for stable: Cc: stable@vger.kernel.org # 6.6+" \
        in p.assessment.reasons
