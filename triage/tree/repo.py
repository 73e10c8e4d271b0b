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
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import git

from triage.errors import GitError
from triage.patterns import upstream_shas


def user_config(key: str) -> str | None:
    """A value of the user's own git configuration (`git config --get`),
    or None when unset or when git is missing."""
    try:
        proc = subprocess.run(["git", "config", "--get", key], capture_output=True, text=True, check=False)
    except OSError:
        return None
    value = proc.stdout.strip()
    return value if proc.returncode == 0 and value else None


def subject_key(subject: str) -> str:
    """A commit subject as compared: whitespace folded, a final full stop
    dropped (backports re-wrap and re-punctuate)."""
    return " ".join(subject.split()).strip().rstrip(".")


def same_subject(a: str, b: str | None) -> bool:
    """Two commit subjects name the same change."""
    return b is not None and subject_key(a) == subject_key(b)

_REV = re.compile(r"^(?![-.])(?!.*\.\.)(?!.*[\x00-\x20~^:?*\[\\])[\w./@{}+-]{1,255}(?:\^\{\w*\}|[~^]\d*)*$")
_SHA = re.compile(r"^[0-9a-f]{4,40}$")


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
        found = upstream_shas(self.body)
        return found[0] if found else None


def git_env(extra: dict | None = None) -> dict:
    """Never prompt, never take the index lock (the user's repositories are
    only read)."""
    return {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0", **(extra or {})}


def run_git(git_dir: str | Path, *args: str, input: str | None = None, env: dict | None = None,
            ok: tuple[int, ...] = (0,), subject: str | None = None) -> subprocess.CompletedProcess:
    """One git command on a repository; an exit code not in ok is a
    GitError naming subject (the path the user gave) and git's first line."""
    # errors="replace": commit messages and blobs are not always UTF-8
    proc = subprocess.run(["git", "--git-dir", str(git_dir), *args], input=input, capture_output=True,
                          text=True, errors="replace", env=git_env(env), check=False)
    if proc.returncode not in ok:
        first = (proc.stderr.strip().splitlines() or ["git failed"])[0]
        raise GitError(subject or str(git_dir), f"git {args[0]}: {first}")
    return proc


def cat_blobs(epoch: Path, blobs: Iterable[str]) -> dict[str, bytes]:
    """Blob contents with one `git cat-file --batch`; the ids are written
    from a thread so that neither pipe can fill and stall the other."""
    wanted = list(dict.fromkeys(blobs))
    proc = subprocess.Popen(["git", "--git-dir", str(epoch), "cat-file", "--batch"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=git_env())

    def feed() -> None:
        try:
            for b in wanted:
                proc.stdin.write(b.encode() + b"\n")
        except BrokenPipeError:
            pass
        finally:
            try:
                proc.stdin.close()
            except BrokenPipeError:
                pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    out: dict[str, bytes] = {}
    try:
        for b, data in _read_batch(proc.stdout):
            out[b] = data
    finally:
        writer.join()
        proc.stdout.close()
        code = proc.wait()
    if code != 0:
        raise GitError(str(epoch), f"git cat-file --batch failed (exit {code})")
    return out


def _read_batch(stream) -> Iterator[tuple[str, bytes]]:
    while True:
        header = stream.readline()
        if not header:
            return
        parts = header.split()
        if len(parts) < 3 or parts[1] != b"blob":
            continue  # "<id> missing"
        size = int(parts[2])
        data = stream.read(size)
        stream.read(1)  # the newline after the content
        yield parts[0].decode(), data


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
        # A bare mirror is a fine kernel tree here: nothing reads a work tree.
        self.bare = self.repo.bare
        self.shallow = self._git("rev-parse", "--is-shallow-repository").stdout.strip() == "true"
        self._refs: set[str] | None = None
        self._contains: dict[str, set[str]] = {}

    def __enter__(self) -> "KernelRepo":
        return self

    def __exit__(self, *exc) -> None:
        self.repo.close()

    # ---------------------------------------------------------------- plumbing

    def _env(self, env: dict | None = None) -> dict:
        return git_env(env)

    def _git(self, *args: str, input: str | None = None, env: dict | None = None,
             ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess:
        return run_git(self.git_dir, *args, input=input, env=env, ok=ok, subject=self.path)

    def _piped(self, first: list[str], second: list[str]) -> str:
        """`git A | git B` without a shell: e.g. log -p into patch-id."""
        env = self._env()
        producer = subprocess.Popen(["git", "--git-dir", self.git_dir, *first], stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, env=env)
        try:
            consumer = subprocess.run(["git", "--git-dir", self.git_dir, *second], stdin=producer.stdout,
                                      capture_output=True, text=True, errors="replace", env=env, check=False)
        finally:
            producer.stdout.close()
            code = producer.wait()
        if code != 0 or consumer.returncode != 0:
            raise GitError(self.path, f"git {first[0]} | git {second[0]} failed")
        return consumer.stdout

    # ---------------------------------------------------------------- facts

    def resolve(self, rev: str) -> str | None:
        """Full commit id, or None if the tree has no such commit. A short id
        that matches several commits is an error naming the ambiguity."""
        rev = safe_rev(rev)
        proc = self._git("rev-parse", "--verify", "--end-of-options", f"{rev}^{{commit}}", ok=(0, 1, 128))
        if proc.returncode == 0:
            return proc.stdout.strip()
        if "ambiguous" in proc.stderr:
            raise GitError(rev, "short commit id is ambiguous in this tree")
        return None

    def resolve_many(self, shas: list[str]) -> dict[str, str | None]:
        """Full commit ids of many (short) ids in one `git cat-file
        --batch-check`; None for unknown ids, "ambiguous" for ambiguous ones."""
        wanted = list(dict.fromkeys(s for s in shas if _SHA.match(s)))
        if not wanted:
            return {}
        # each id twice, peeled and plain: peeled as rev-parse does (a short id
        # shared with a blob is no ambiguity), while only the plain form
        # says "ambiguous" (peeled, git reports an ambiguous id as missing)
        proc = self._git("cat-file", "--batch-check=%(objectname) %(objecttype)",
                         input="".join(f"{w}^{{commit}}\n{w}\n" for w in wanted))
        lines = proc.stdout.splitlines()
        out: dict[str, str | None] = {}
        for n, asked in enumerate(wanted):
            peeled, plain = lines[2 * n].split(), lines[2 * n + 1].split()
            if len(peeled) == 2 and peeled[1] == "commit":
                out[asked] = peeled[0]
            elif plain[-1:] == ["ambiguous"]:
                out[asked] = "ambiguous"
            else:
                out[asked] = None
        return out

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
        # a remote-tracking ref is origin/linux-6.6.y: match the part after
        # the remote, and prefer a local branch of the same name
        refs = [ref for ref in proc.stdout.split() if re.match(pattern, ref.rsplit("/", 1)[-1])]
        local = {ref for ref in refs if "/" not in ref}
        seen: set[str] = set()
        out = []
        for ref in sorted(refs, key=lambda r: ("/" in r, r)):
            name = ref.rsplit("/", 1)[-1]
            if name in seen or ("/" in ref and name in local):
                continue
            seen.add(name)
            out.append(ref)
        return sorted(out, key=lambda r: r.rsplit("/", 1)[-1])

    def log(self, rev_range: str, paths: tuple[str, ...] = ()) -> list[Commit]:
        """Commits of a range (one `git log`), limited to paths."""
        proc = self._git("log", "--format=%H%x00%s%x00%B%x01", "--end-of-options", self._range(rev_range),
                         "--", *paths)
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
        return self.patch_ids([sha]).get(sha)

    def patch_ids(self, revs: list[str] | None = None, rev_range: str | None = None,
                  paths: tuple[str, ...] = ()) -> dict[str, str]:
        """commit -> `git patch-id --stable` for many commits (given, or a
        range) in two git processes: `git log -p | git patch-id`. With paths,
        the ids are of the diff limited to them."""
        if revs is not None:
            if not revs:
                return {}
            spec = ["--no-walk=unsorted", "--end-of-options", *[safe_rev(r) for r in revs]]
        else:
            spec = ["--end-of-options", self._range(rev_range)]
        out = self._piped(["log", "-p", "--no-color", "--no-renames", "--format=commit %H", *spec, "--", *paths],
                          ["patch-id", "--stable"])
        ids: dict[str, str] = {}
        for line in out.splitlines():
            pid, _, sha = line.partition(" ")
            ids.setdefault(sha, pid)
        return ids

    def patch_id_of(self, patch: str) -> str | None:
        """patch-id of a patch given as text (a mail's diff)."""
        proc = self._git("patch-id", "--stable", input=patch)
        return proc.stdout.split()[0] if proc.stdout.strip() else None

    def merge_base(self, a: str, b: str) -> str | None:
        proc = self._git("merge-base", "--end-of-options", safe_rev(a), safe_rev(b), ok=(0, 1))
        return proc.stdout.strip() or None

    def containing(self, shas: list[str], branches: list[str]) -> dict[str, set[str]]:
        """For each commit, which of these branches contain it: one
        `git for-each-ref --contains` per commit answers every branch at once
        and, with a commit-graph, stops at generation numbers instead of
        walking history. A branch that is no head or remote-tracking ref (a
        tag given to --branches) is asked with `merge-base --is-ancestor`."""
        shas = [s for s in dict.fromkeys(shas) if s and _SHA.match(s)]
        if self._refs is None:
            self._refs = set(self._git("for-each-ref", "--format=%(refname:short)", "refs/heads",
                                       "refs/remotes").stdout.split())
        others = [b for b in branches if b not in self._refs]
        out: dict[str, set[str]] = {}
        for sha in shas:
            if sha not in self._contains:  # refs do not move while we read
                self._contains[sha] = set(self._git("for-each-ref", "--format=%(refname:short)", "--contains",
                                                    safe_rev(sha), "refs/heads", "refs/remotes").stdout.split())
            listed = self._contains[sha]
            out[sha] = {b for b in branches if b in listed} | {b for b in others if self.is_ancestor(sha, b)}
        return out

    def contained(self, shas: list[str], branch: str) -> set[str]:
        """Which of these commits are in one branch."""
        return {sha for sha, where in self.containing(shas, [branch]).items() if branch in where}

    def introduced(self, name: str, rev_range: str, path: str) -> Commit | None:
        """The first commit of the range that changed how often identifier
        `name` occurs in path (bounded `git log -S`, one process)."""
        if not re.fullmatch(r"[A-Za-z_]\w{0,80}", name):
            return None
        proc = self._git("log", "--reverse", "--format=%H%x00%s", "--pickaxe-regex", f"-S\\b{name}\\b",
                         "--end-of-options", self._range(rev_range), "--", path)
        first = proc.stdout.split("\n", 1)[0]
        if not first:
            return None
        sha, _, subject = first.partition("\x00")
        return Commit(sha, subject, "")

    def show(self, rev: str, paths: tuple[str, ...] = ()) -> str:
        """`git show` output of one commit (the form ingest reads), limited to paths."""
        return self._git("show", "--no-color", "--no-renames", "--format=medium", "--date=rfc",
                         "--end-of-options", safe_rev(rev), "--", *paths).stdout

    def show_range(self, rev_range: str, paths: tuple[str, ...] = ()) -> list[tuple[str, str]]:
        """(sha, `git show` text) of each commit of a range that touches
        paths, oldest first, from one `git log -p`."""
        out = self._git("log", "--reverse", "-p", "--no-color", "--no-renames", "--format=medium", "--date=rfc",
                        "--end-of-options", self._range(rev_range), "--", *paths).stdout
        chunks = re.split(r"^(?=commit [0-9a-f]{40}$)", out, flags=re.MULTILINE)
        return [(c[7:47], c) for c in chunks if c.startswith("commit ")]

    def config(self, key: str) -> str | None:
        proc = self._git("config", "--get", key, ok=(0, 1))
        return proc.stdout.strip() or None

    def _range(self, rev_range: str) -> str:
        return "..".join(safe_rev(end) for end in rev_range.split("..", 1))

    def file_at(self, rev: str, path: str) -> str | None:
        proc = self._git("cat-file", "blob", f"{safe_rev(rev)}:{path}", ok=(0, 128))
        return proc.stdout if proc.returncode == 0 else None

    def blob(self, blob_id: str) -> str | None:
        """A blob by (abbreviated) id, e.g. from a diff's `index a..b` line:
        the exact pre-image the patch was made against, when the tree has it."""
        if not _SHA.match(blob_id or ""):
            return None
        proc = self._git("cat-file", "blob", blob_id, ok=(0, 128))
        return proc.stdout if proc.returncode == 0 else None

    def apply_check(self, rev: str, patch: str) -> tuple[str, str]:
        """Would the patch apply to rev? ("clean"|"offset"|"fuzz"|"applied"|
        "conflict", detail), computed in a temporary index filled from rev's
        tree: the user's index and working tree are never read or written.
        "applied" means the reverse patch applies: the change is already there."""
        rev = safe_rev(rev)
        with tempfile.TemporaryDirectory(prefix="triage-index-") as tmp:
            env = {"GIT_INDEX_FILE": os.path.join(tmp, "index")}
            self._git("read-tree", f"{rev}^{{tree}}", env=env)

            def check(*extra: str) -> subprocess.CompletedProcess:
                return self._git("apply", "--cached", "--check", "-v", *extra, env=env, input=patch, ok=(0, 1, 128))

            strict = check()
            if strict.returncode == 0:
                kind = "offset" if re.search(r"Hunk #\d+ succeeded at \d+ \(offset", strict.stderr) else "clean"
                return kind, _first_line(strict.stderr, "applies")
            if check("-R").returncode == 0:
                return "applied", "the reverse patch applies: the change is already in this tree"
            if check("-C1").returncode == 0:
                return "fuzz", "applies only with reduced context (-C1)"
            failed = re.findall(r"error: patch failed: (\S+)", strict.stderr)
            return "conflict", ("hunks fail at " + ", ".join(failed)) if failed else _first_line(strict.stderr, "")


def _first_line(text: str, default: str) -> str:
    lines = [x for x in text.strip().splitlines() if x.strip() and not x.startswith("Checking patch")]
    return lines[0] if lines else default
