"""`triage scan`: the io-wq commits of a range that look like stable
candidates nobody tagged — what AUTOSEL does with a language model, done
with facts. A commit is a candidate for a stable branch when its Fixes
target is in that branch (directly or as a backport), it carries no
`Cc: stable`, and the branch does not have it yet (by upstream id cited in a
backport, patch-id, or subject).

Git work is a fixed number of processes, whatever the range's size: one
`git log` of the range, one id lookup, one patch-id pass of the candidates,
one `git for-each-ref --contains` per Fixes target and candidate (all
branches at once), and per branch a merge-base, a `git log` of its own
commits and one patch-id pass.
"""

from __future__ import annotations

from dataclasses import dataclass

from triage.ingest.trailers import fixes_ref, parse_trailers, stable_cc
from triage.model import StableCandidate
from triage.tree.repo import Commit, KernelRepo, subject_key
from triage.tree.stable import IOWQ_PATHS


@dataclass(frozen=True)
class Scanned:
    candidates: tuple[StableCandidate, ...]
    checked: int  # io-wq commits of the range looked at


def scan(repo: KernelRepo, rev_range: str, mainline: str | None, branches: list[str]) -> Scanned:
    commits = repo.log(rev_range, IOWQ_PATHS)
    return Scanned(tuple(_candidates(repo, commits, mainline, branches)), len(commits))


def _candidates(repo: KernelRepo, commits: list[Commit], mainline: str | None,
                branches: list[str]) -> list[StableCandidate]:
    fixes: dict[str, list[str]] = {}
    tagged: set[str] = set()
    for c in commits:
        trailers = parse_trailers(c.body)
        if any(stable_cc(t) for t in trailers):
            tagged.add(c.sha)
        ids = [fixes_ref(t.value).sha for t in trailers if t.key == "Fixes"]
        if ids:
            fixes[c.sha] = ids
    untagged = [c for c in commits if c.sha in fixes and c.sha not in tagged]
    if not untagged:
        return []
    resolved = repo.resolve_many([i for ids in fixes.values() for i in ids])
    targets = {c.sha: [resolved[i] for i in fixes[c.sha] if resolved.get(i) not in (None, "ambiguous")]
               for c in untagged}
    target_commits = repo.commits(sorted({t for ts in targets.values() for t in ts}))
    # a Fixes target may itself be a stable backport: its upstream counts too
    upstream_of = {t: c.upstream for t, c in target_commits.items() if c.upstream}
    candidate_ids = repo.patch_ids([c.sha for c in untagged], paths=IOWQ_PATHS)
    evidence: dict[str, list[str]] = {c.sha: [] for c in untagged}
    wanted = [t for ts in targets.values() for t in ts] + list(upstream_of.values()) + [c.sha for c in untagged]
    containing = repo.containing(wanted, branches)
    for branch in branches:
        if branch == mainline:
            continue
        fork = repo.merge_base(mainline, branch) if mainline else None
        own: list[Commit] = repo.log(f"{fork}..{branch}", IOWQ_PATHS) if fork else []
        backports = {c.upstream: c.sha for c in own if c.upstream}
        subjects = {subject_key(c.subject): c.sha for c in own}
        own_ids = {pid: sha for sha, pid in repo.patch_ids(rev_range=f"{fork}..{branch}",
                                                           paths=IOWQ_PATHS).items()} if fork else {}
        inside = {sha for sha, found in containing.items() if branch in found}
        for c in untagged:
            where = _target_in(targets[c.sha], upstream_of, inside, backports)
            if where is None or _has_fix(c, inside, backports, subjects, own_ids, candidate_ids):
                continue
            evidence[c.sha].append(f"{branch}: {where}, fix not in branch")
    return [StableCandidate(c.sha, c.subject, tuple(fixes[c.sha]), tuple(evidence[c.sha]))
            for c in untagged if evidence[c.sha]]


def _target_in(targets: list[str], upstream_of: dict[str, str], inside: set[str],
               backports: dict[str, str]) -> str | None:
    for t in targets:
        if t in inside:
            return f"Fixes target {t[:12]} in branch"
        up = upstream_of.get(t)
        if up and up in inside:
            return f"Fixes target {t[:12]} is a backport of {up[:12]}, which is in branch"
        if t in backports:
            return f"Fixes target {t[:12]} in branch as backport {backports[t][:12]}"
    return None


def _has_fix(c: Commit, inside: set[str], backports: dict[str, str], subjects: dict[str, str],
             own_ids: dict[str, str], candidate_ids: dict[str, str]) -> bool:
    return (c.sha in inside or c.sha in backports or subject_key(c.subject) in subjects
            or candidate_ids.get(c.sha) in own_ids)
