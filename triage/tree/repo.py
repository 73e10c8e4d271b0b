"""The one doorway to a kernel git tree, read-only.

Every query runs git with the repository untouched: no checkout, no
reset, never the user's index or working tree (apply checks use a
temporary index file). Nothing from input reaches git as an option:
revisions are validated first and passed after `--end-of-options` where
git allows it. A non-zero exit that is an answer (merge-base
--is-ancestor = 1) is read as an answer, not an error. Reads are batched
(`git cat-file --batch`, one `git log` per question), never one git
process per commit.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import git

from triage.errors import GitError

_REV = re.compile(r"^(?![-.])(?!.*\.\.)(?!.*[\x00-\x20~^:?*\[\\])[\w./@{}+-]{1,255}(?:\^\{\w*\}|[~^]\d*)*$")
_SHA = re.compile(r"^[0-9a-f]{4,40}$")
_UPSTREAM = (
    re.compile(r"^\s*commit ([0-9a-f]{12,40}) upstream\.?\s*$", re.MULTILINE | re.IGNORECASE),
    re.compile(r"^\s*\[\s*[Uu]pstream commit ([0-9a-f]{12,40})\s*\]\s*$", re.MULTILINE),
)


def safe_rev(rev: str) -> str:
    """A revision as given by a user or a mail, checked before git sees it."""
    if not isinstance(rev, str) or not _REV.match(rev):
        raise GitError(repr(rev)[:60], "not a valid revision (options and odd characters are refused)")
    return rev


@dataclass(frozen=True)
class Commit:
    sha: str
    subject: str
    body: str

    @property
    def upstream(self) -> str | None:
        """The upstream id a stable backport cites (`commit X upstream.`)."""
        for pattern in _UPSTREAM:
            m = pattern.search(self.body)
            if m:
                return m.group(1)
        return None


class KernelRepo:
    """Read-only queries on a kernel tree. Use as a context manager."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        try:
            self.repo = git.Repo(self.path, search_parent_directories=False)
        except git.NoSuchPathError:
            raise GitError(self.path, "no such directory") from None
        except git.InvalidGitRepositoryError:
            raise GitError(self.path, "not a git repository") from None
        self.git_dir = self.repo.git_dir
        self.shallow = self._git("rev-parse", "--is-shallow-repository").stdout.strip() == "true"

    def __enter__(self) -> "KernelRepo":
        return self

    def __exit__(self, *exc) -> None:
        self.repo.close()

    # ---------------------------------------------------------------- plumbing

    def _git(self, *args: str, input: str | None = None, env: dict | None = None,
             ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess:
        full_env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0", **(env or {})}
        proc = subprocess.run(["git", "--git-dir", self.git_dir, *args], input=input, capture_output=True,
                              text=True, env=full_env, check=False)
        if proc.returncode not in ok:
            first = (proc.stderr.strip().splitlines() or ["git failed"])[0]
            raise GitError(self.path, f"git {args[0]}: {first}")
        return proc

    # ---------------------------------------------------------------- facts

    def resolve(self, rev: str) -> str | None:
        """Full commit id, or None if the tree has no such commit. A short id
        that matches several commits is an error naming the ambiguity."""
        rev = safe_rev(rev)
        proc = self._git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}", ok=(0, 1, 128))
        if proc.returncode == 0:
            return proc.stdout.strip()
        if "ambiguous" in proc.stderr:
            raise GitError(rev, "short commit id is ambiguous in this tree")
        return None

    def commits(self, shas: list[str]) -> dict[str, Commit]:
        """Subjects and messages of many commits in one `git cat-file --batch`."""
        wanted = [safe_rev(s) for s in shas if _SHA.match(s)]
        if not wanted:
            return {}
        proc = self._git("cat-file", "--batch", input="\n".join(wanted) + "\n")
        out: dict[str, Commit] = {}
        data = proc.stdout
        pos = 0
        for asked in wanted:
            header_end = data.index("\n", pos)
            header = data[pos:header_end].split()
            pos = header_end + 1
            if len(header) < 3 or header[1] != "commit":
                if len(header) >= 3:
                    pos += int(header[2]) + 1
                continue
            size = int(header[2])
            raw = data[pos:pos + size]
            pos += size + 1
            message = raw.split("\n\n", 1)[1] if "\n\n" in raw else ""
            subject = message.split("\n", 1)[0]
            out[asked] = Commit(header[0], subject, message)
        return out

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        proc = self._git("merge-base", "--is-ancestor", "--end-of-options", safe_rev(ancestor), safe_rev(descendant),
                         ok=(0, 1))
        return proc.returncode == 0

    def branches(self, pattern: str = r"^(?:linux-\d+\.\d+\.y|master|main)$") -> list[str]:
        """Local and remote-tracking branches named like linux-X.Y.y plus mainline."""
        proc = self._git("for-each-ref", "--format=%(refname:short)", "refs/heads", "refs/remotes")
        # a remote-tracking ref is origin/linux-6.6.y: match the part after the remote
        return [ref for ref in proc.stdout.split() if re.match(pattern, ref.rsplit("/", 1)[-1])]

    def log(self, rev_range: str, paths: tuple[str, ...] = ()) -> list[Commit]:
        """Commits of a range (one `git log`), limited to paths."""
        ends = rev_range.split("..", 1)
        checked = "..".join(safe_rev(end) for end in ends)
        proc = self._git("log", "--format=%H%x00%s%x00%B%x01", "--end-of-options", checked, "--", *paths)
        out = []
        for record in proc.stdout.split("\x01"):
            record = record.strip("\n")
            if not record:
                continue
            sha, subject, body = record.split("\x00", 2)
            out.append(Commit(sha, subject, body))
        return out

    def backports(self, branch: str, since: str | None, paths: tuple[str, ...] = ()) -> dict[str, str]:
        """upstream id -> backport id for the commits of branch (since a
        fork point) that cite their upstream commit."""
        rng = f"{since}..{branch}" if since else branch
        found = {}
        for c in self.log(rng, paths):
            up = c.upstream
            if up:
                found[up] = c.sha
        return found

    def patch_id(self, sha: str) -> str | None:
        """`git patch-id --stable` of one commit (same change, any context)."""
        show = self._git("show", "--no-color", "--format=", "--end-of-options", safe_rev(sha))
        proc = self._git("patch-id", "--stable", input=show.stdout)
        return proc.stdout.split()[0] if proc.stdout.strip() else None

    def file_at(self, rev: str, path: str) -> str | None:
        proc = self._git("cat-file", "blob", f"{safe_rev(rev)}:{path}", ok=(0, 128))
        return proc.stdout if proc.returncode == 0 else None

    def apply_check(self, rev: str, patch: str) -> tuple[str, str]:
        """Would the patch apply to rev? ("clean"|"offset"|"fuzz"|"conflict", detail),
        computed in a temporary index filled from rev's tree: the user's index
        and working tree are never read or written."""
        rev = safe_rev(rev)
        with tempfile.TemporaryDirectory(prefix="triage-index-") as tmp:
            env = {"GIT_INDEX_FILE": os.path.join(tmp, "index")}
            self._git("read-tree", f"{rev}^{{tree}}", env=env)
            strict = self._git("apply", "--cached", "--check", "-v", env=env, input=patch, ok=(0, 1))
            if strict.returncode == 0:
                kind = "offset" if re.search(r"Hunk #\d+ succeeded at \d+ \(offset", strict.stderr) else "clean"
                return kind, _first_line(strict.stderr, "applies")
            fuzzy = self._git("apply", "--cached", "--check", "-v", "-C1", env=env, input=patch, ok=(0, 1))
            if fuzzy.returncode == 0:
                return "fuzz", "applies with reduced context (-C1)"
            failed = re.findall(r"error: patch failed: (\S+)", strict.stderr)
            return "conflict", ("hunks fail at " + ", ".join(failed)) if failed else _first_line(strict.stderr, "")


def _first_line(text: str, default: str) -> str:
    lines = [x for x in text.strip().splitlines() if x.strip() and not x.startswith("Checking patch")]
    return lines[0] if lines else default
