"""The read-only git doorway on a small kernel-shaped repository built in a
temporary folder (own C shaped like io-wq; HOME and git config isolated)."""

from __future__ import annotations

from pathlib import Path

import pytest

from triage.errors import GitError
from triage.tree.repo import KernelRepo, safe_rev

from .conftest import fixture_path
from .kernel_tree import commit, git, snapshot

FILE = "io_uring/io-wq.c"


def _commit(repo: Path, text: str, message: str) -> str:
    return commit(repo, {FILE: text}, message)


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """master: base (v6.9) -> the flags fix (v6.10) -> an unrelated change.
    linux-6.6.y: from v6.9, carries the fix as a backport citing it.
    linux-6.1.y: from v6.9, an older io_wqe_* spelling, no fix."""
    repo = tmp_path_factory.mktemp("kernel") / "linux"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "master")
    (repo / "io_uring").mkdir()
    base_text = fixture_path("iowq-forms/v6_9.c").read_text()
    base = _commit(repo, base_text, "io_uring/io-wq: base\n")
    git(repo, "tag", "v6.9")
    fixed_text = base_text.replace("\t\tworker->flags &= ~IO_WORKER_F_FREE;",
                                   "\t\tclear_bit(IO_WORKER_F_FREE, &worker->flags);")
    fix = _commit(repo, fixed_text, "io_uring/io-wq: Use clear_bit() in __io_worker_busy\n\nMake it atomic.\n")
    git(repo, "tag", "v6.10")
    later = _commit(repo, fixed_text + "\n/* later */\n", "io_uring/io-wq: a later change\n")
    git(repo, "checkout", "-q", "-b", "linux-6.6.y", "v6.9")
    backport = _commit(repo, fixed_text, f"io_uring/io-wq: Use clear_bit() in __io_worker_busy\n\n"
                                         f"commit {fix} upstream.\n\nMake it atomic.\n")
    git(repo, "checkout", "-q", "-b", "linux-6.1.y", "v6.9")
    old = _commit(repo, base_text.replace("io_wq_activate_free_worker", "io_wqe_activate_free_worker")
                  .replace("worker->flags &= ~IO_WORKER_F_FREE;", "worker->flags &= ~(IO_WORKER_F_FREE);"),
                  "io_uring/io-wq: older names\n")
    git(repo, "checkout", "-q", "master")
    patch = git(repo, "format-patch", "-1", "--stdout", fix)
    return {"path": repo, "base": base, "fix": fix, "later": later, "backport": backport, "old": old,
            "patch": patch}


def test_queries(tree):
    with KernelRepo(tree["path"]) as repo:
        assert repo.resolve(tree["fix"][:12]) == tree["fix"]
        assert repo.resolve("v6.10") == tree["fix"]
        assert repo.resolve("0123456789ab") is None
        commits = repo.commits([tree["fix"], tree["backport"], "0123456789ab"])
        assert commits[tree["fix"]].subject == "io_uring/io-wq: Use clear_bit() in __io_worker_busy"
        assert commits[tree["backport"]].upstream == tree["fix"]
        assert "0123456789ab" not in commits
        assert repo.is_ancestor(tree["base"], "linux-6.6.y")
        assert not repo.is_ancestor(tree["fix"], "linux-6.6.y")
        assert repo.is_ancestor(tree["fix"], "master")
        assert repo.branches() == ["linux-6.1.y", "linux-6.6.y", "master"]
        assert repo.backports("linux-6.6.y", "v6.9", ("io_uring/io-wq.c",)) == {tree["fix"]: tree["backport"]}
        assert repo.patch_id(tree["fix"]) == repo.patch_id(tree["backport"])
        assert repo.patch_id(tree["fix"]) != repo.patch_id(tree["later"])
        assert "clear_bit(IO_WORKER_F_FREE" in repo.file_at("linux-6.6.y", "io_uring/io-wq.c")
        assert repo.file_at("linux-6.1.y", "no/such/file.c") is None
        assert [c.sha for c in repo.log("v6.9..master", ("io_uring/io-wq.c",))] == [tree["later"], tree["fix"]]


def test_apply_check_never_touches_the_user_tree(tree):
    before = snapshot(tree["path"])
    with KernelRepo(tree["path"]) as repo:
        assert repo.apply_check("v6.9", tree["patch"])[0] == "clean"
        assert repo.apply_check("linux-6.6.y", tree["patch"])[0] == "applied"  # the backport is there
        kind, detail = repo.apply_check("linux-6.1.y", tree["patch"])
        assert kind == "conflict" and "io_uring/io-wq.c" in detail
        repo.patch_id(tree["fix"])
        repo.backports("linux-6.6.y", "v6.9")
    assert snapshot(tree["path"]) == before


@pytest.mark.parametrize("rev", ["--output=/tmp/x", "-p", "a..b", "x y", "HEAD:path", "", "a\x00b"])
def test_options_and_odd_revisions_never_reachgit(rev):
    with pytest.raises(GitError, match="not a valid revision"):
        safe_rev(rev)


def test_not_a_repository(tmp_path):
    with pytest.raises(GitError, match="not a git repository"):
        KernelRepo(tmp_path)
    with pytest.raises(GitError, match="no such directory"):
        KernelRepo(tmp_path / "missing")
