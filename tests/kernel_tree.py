"""Kernel-shaped git repositories built in a temporary folder for the tree
tests: our own io-wq-shaped C files (tests/fixtures/iowq-forms), real git,
HOME and configuration isolated so the user's settings never leak in."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

from .conftest import fixture_path

NEW = "io_uring/io-wq.c"
OLD = "fs/io-wq.c"
DATE = "2024-05-01T00:00:00Z"
EPOCH = 1714521600


def git_env(home: Path) -> dict:
    return {"PATH": os.environ["PATH"], "HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull, "GIT_AUTHOR_NAME": "Ada Example", "GIT_AUTHOR_EMAIL": "ada@example.org",
            "GIT_COMMITTER_NAME": "Ada Example", "GIT_COMMITTER_EMAIL": "ada@example.org",
            "GIT_AUTHOR_DATE": DATE, "GIT_COMMITTER_DATE": DATE}


def git(repo: Path, *args: str, input: str | None = None) -> str:
    return subprocess.run(["git", *args], cwd=repo, env=git_env(repo.parent), input=input, capture_output=True,
                          text=True, check=True).stdout.strip()


def commit(repo: Path, files: dict[str, str | None], message: str) -> str:
    """Write (or with None, delete) files and commit them."""
    for path, text in files.items():
        target = repo / path
        if text is None:
            git(repo, "rm", "-q", path)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        git(repo, "add", path)
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def snapshot(repo: Path) -> tuple:
    """Refs, HEAD, index bytes and every working-tree file's bytes."""
    refs = git(repo, "for-each-ref", "--format=%(refname) %(objectname)")
    head = (repo / ".git" / "HEAD").read_bytes()
    index = hashlib.sha256((repo / ".git" / "index").read_bytes()).hexdigest()
    files = tuple(sorted((str(p.relative_to(repo)), hashlib.sha256(p.read_bytes()).hexdigest())
                         for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts))
    return refs, head, index, files


def colliding_commit(repo: Path, target: str, parent: str, prefix_len: int = 5) -> str:
    """A commit whose id shares its first prefix_len hex digits with target,
    found by hashing candidate messages in Python (deterministic: fixed
    author, dates and tree), then written with git commit-tree."""
    tree = git(repo, "rev-parse", f"{parent}^{{tree}}")
    person = f"Ada Example <ada@example.org> {EPOCH} +0000"
    for n in range(5_000_000):
        message = f"noise {n}\n"
        body = f"tree {tree}\nparent {parent}\nauthor {person}\ncommitter {person}\n\n{message}".encode()
        sha = hashlib.sha1(b"commit %d\x00" % len(body) + body).hexdigest()
        if sha[:prefix_len] == target[:prefix_len] and sha != target:
            made = git(repo, "commit-tree", tree, "-p", parent, "-m", message.rstrip("\n"))
            assert made == sha, (made, sha)
            return made
    raise AssertionError("no colliding commit found")


def forms() -> dict[str, str]:
    """The io-wq file at each point of the story (see build)."""
    v5 = fixture_path("iowq-forms/v5_15.c").read_text()
    v6 = fixture_path("iowq-forms/v6_9.c").read_text()
    # before the bug: create_worker_cb first tries a free worker
    v5_ok = v5.replace("\tbool do_create = false;\n\n\traw_spin_lock(&wqe->lock);",
                       "\tbool do_create = false;\n\n\trcu_read_lock();\n"
                       "\tdo_create = !io_wqe_activate_free_worker(wqe, acct);\n\trcu_read_unlock();\n"
                       "\tif (!do_create)\n\t\tgoto no_need_create;\n\n\traw_spin_lock(&wqe->lock);")
    v6_ok = v6.replace("\tbool do_create = false;\n\n\traw_spin_lock(&wq->lock);",
                       "\tbool do_create = false;\n\n\trcu_read_lock();\n"
                       "\tdo_create = !io_wq_activate_free_worker(wq, acct);\n\trcu_read_unlock();\n"
                       "\tif (!do_create)\n\t\tgoto no_need_create;\n\n\traw_spin_lock(&wq->lock);")
    assert v5_ok != v5 and v6_ok != v6
    return {"v5": v5, "v5_ok": v5_ok, "v6": v6, "v6_ok": v6_ok}


FIX_SUBJECT = "io_uring/io-wq: check for a free worker before creating one"
BUG_SUBJECT = "io_uring/io-wq: create workers without looking for a free one"


def build(root: Path) -> dict:
    """The story (ids returned by name):

    master    m1 fs/io-wq.c, io_wqe_* names, tries a free worker   (v5.15)
              m2 moved to io_uring/io-wq.c, io_wq_* names           (v6.1)
              m3 BUG: create_worker_cb stops trying a free worker   (v6.6)
              m4 FIX (Fixes: m3)                                    (v6.10)
              m5 an unrelated change
    linux-5.15.y  from v5.15: s1 backports m3 ("commit m3 upstream.")
    linux-6.1.y   from v6.1: no bug
    linux-6.6.y   from v6.6: b1 backports m4
    linux-6.8.y   from v6.6: a local change to create_worker_cb (m4 conflicts)
    linux-6.9.y   from v6.6: two lines added at the top (m4 applies with offset)
    """
    f = forms()
    repo = root / "linux"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "master")
    ids: dict[str, str] = {"path": repo}
    ids["m1"] = commit(repo, {OLD: f["v5_ok"]}, "io-wq: add the worker pool\n")
    git(repo, "tag", "v5.15")
    ids["m2"] = commit(repo, {OLD: None, NEW: f["v6_ok"]},
                       "io_uring: move io-wq to io_uring/ and name it io_wq\n")
    git(repo, "tag", "v6.1")
    ids["m3"] = commit(repo, {NEW: f["v6"]}, f"{BUG_SUBJECT}\n\nForking is cheap.\n")
    git(repo, "tag", "v6.6")
    ids["m4"] = commit(repo, {NEW: f["v6_ok"]},
                       f"{FIX_SUBJECT}\n\nA free worker is cheaper than a fork.\n\n"
                       f"Fixes: {ids['m3'][:12]} (\"{BUG_SUBJECT}\")\n"
                       "Signed-off-by: Ada Example <ada@example.org>\n")
    git(repo, "tag", "v6.10")
    ids["m5"] = commit(repo, {NEW: f["v6_ok"] + "\n/* a later change */\n"}, "io_uring/io-wq: a later change\n")

    git(repo, "checkout", "-q", "-b", "linux-5.15.y", "v5.15")
    ids["s1"] = commit(repo, {OLD: f["v5"]}, f"{BUG_SUBJECT}\n\ncommit {ids['m3']} upstream.\n\nForking is cheap.\n")
    git(repo, "checkout", "-q", "-b", "linux-6.1.y", "v6.1")
    git(repo, "checkout", "-q", "-b", "linux-6.6.y", "v6.6")
    ids["b1"] = commit(repo, {NEW: f["v6_ok"]}, f"{FIX_SUBJECT}\n\ncommit {ids['m4']} upstream.\n\n"
                                                 "A free worker is cheaper than a fork.\n")
    git(repo, "checkout", "-q", "-b", "linux-6.8.y", "v6.6")
    ids["c1"] = commit(repo, {NEW: f["v6"].replace("\traw_spin_lock(&wq->lock);\n\tif (acct->nr_workers",
                                                   "\traw_spin_lock_irq(&wq->lock);\n\tif (acct->nr_workers")},
                       "io_uring/io-wq: take the lock with interrupts off\n")
    git(repo, "checkout", "-q", "-b", "linux-6.9.y", "v6.6")
    ids["o1"] = commit(repo, {NEW: "/* io-wq */\n/* stable */\n" + f["v6"]}, "io_uring/io-wq: a header comment\n")
    git(repo, "checkout", "-q", "master")
    ids["fix_patch"] = git(repo, "format-patch", "-1", "--stdout", ids["m4"])
    return ids
