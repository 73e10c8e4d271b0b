"""The stable-branch matrix: for one patch and each branch, is the bug there,
is the fix there, does the patch apply, what must come first, and the
verdict with its reasons.

Facts are read through KernelRepo (batched, read-only); deciding is done by
the pure functions at the bottom (prerequisites, knob_states, verdict), so
the rules can be tested without a tree.
"""

from __future__ import annotations

import re
from dataclasses import replace

from triage import progress
from triage.behaviour.probes import probe_all, view_of_file
from triage.diff import csource
from triage.diff.hunks import render_file
from triage.errors import GitError
from triage.model import (Analysis, BranchFacts, BranchKnob, FileDiff, KnobChange, Message, NamedCommit,
                          Prerequisite, TreeFacts)
from triage.tree.repo import KernelRepo, safe_rev, same_subject

# io-wq moved from fs/ to io_uring/ in 6.0 (iowq-model.md §4): a patch for
# one place applies to the other once its paths are renamed.
IOWQ_PATHS = ("io_uring/io-wq.c", "io_uring/io-wq.h", "fs/io-wq.c", "fs/io-wq.h")
_MOVED = {"io_uring/io-wq.c": "fs/io-wq.c", "io_uring/io-wq.h": "fs/io-wq.h",
          "fs/io-wq.c": "io_uring/io-wq.c", "fs/io-wq.h": "io_uring/io-wq.h"}
_STABLE_LIST = "stable@vger.kernel.org"
MAX_PICKAXE = 8  # bounded `git log -S` per patch and branch


def branch_names(repo: KernelRepo, given: list[str] | None) -> tuple[str | None, list[str]]:
    """(mainline, branches to check). Given names come from --branches or
    `git config triage.branches`; by default every linux-X.Y.y branch plus
    master/main. An unknown name is an error, not a silent skip."""
    if not given:
        configured = repo.config("triage.branches")
        given = [b for b in re.split(r"[\s,]+", configured or "") if b] or None
    found = sorted(repo.branches(), key=branch_order)
    mainline = next((b for b in found if b.rsplit("/", 1)[-1] in ("master", "main")), None)
    if given is None:
        if not found:
            raise GitError(repo.path, "no linux-X.Y.y, master or main branch found (give --branches)")
        return mainline, found
    for name in given:
        safe_rev(name)
        if repo.resolve(name) is None:
            known = ", ".join(found[:24]) + (f" and {len(found) - 24} more" if len(found) > 24 else "")
            raise GitError(name, f"no such branch in {repo.path}" + (f"; its branches: {known}" if known
                                                                     else "; it has no linux-X.Y.y branch"))
    named_mainline = next((b for b in given if b.rsplit("/", 1)[-1] in ("master", "main")), None)
    return named_mainline or mainline, sorted(dict.fromkeys(given), key=branch_order)


def branch_order(name: str) -> tuple:
    """Stable branches by version (5.15 before 6.6 before 6.10), then any
    other name as given, mainline last."""
    short = name.rsplit("/", 1)[-1]
    m = re.fullmatch(r"linux-(\d+)\.(\d+)\.y", short)
    if m:
        return (0, int(m.group(1)), int(m.group(2)), name)
    return (2 if short in ("master", "main") else 1, 0, 0, name)


def posted_for_stable(message: Message) -> bool:
    """A patch meant for a stable branch rather than mainline: `[PATCH 6.6]`,
    AUTOSEL, or mailed with stable@ as the only list."""
    if message.subject and (message.subject.stable_target or message.subject.autosel):
        return True
    lists = [p.email.lower() for p in message.to + message.cc if p.email.lower().endswith(("vger.kernel.org",
                                                                                           "lists.linux.dev"))]
    return bool(lists) and all(a == _STABLE_LIST for a in lists)


def patch_files(message: Message) -> tuple[FileDiff, ...]:
    """The message's own diff (not quoted ones), text files only."""
    return tuple(f for d in message.own_diffs for f in d.files if not f.binary and f.hunks)


def patch_text(files: tuple[FileDiff, ...], rename: dict[str, str] | None = None) -> str:
    rename = rename or {}
    out = []
    for f in files:
        moved = replace(f, old_path=rename.get(f.old_path, f.old_path) if f.old_path else None,
                        new_path=rename.get(f.new_path, f.new_path) if f.new_path else None)
        out.append(render_file(moved))
    return "".join(out)


# ------------------------------------------------------------------ facts


def tree_facts(repo: KernelRepo, analysis: Analysis, mainline: str | None, branches: list[str],
               knob_changes: tuple[KnobChange, ...] = (), run_code: bool = False) -> TreeFacts:
    """run_code: on each branch where the patch applies, run the code-mode
    scenarios on the branch's own io-wq.c without and with it."""
    message = analysis.message
    notes: list[str] = []
    files = patch_files(message)
    text = patch_text(files)
    named = _named_commits(repo, message, mainline)
    own_id = repo.patch_id_of(text) if text else None  # once per patch, compared on every branch
    upstream, upstream_how = _find_upstream(repo, message, mainline, text and own_id, named, notes)
    flag = None
    if posted_for_stable(message) and (upstream is None or upstream_how == "cited by the mail, not in mainline"):
        flag = (f"posted for stable but not in {mainline or 'mainline'}: stable takes backports of upstream "
                "commits; send it for mainline with Fixes: naming the upstream commit and Cc: stable")
    reference = _reference_text(repo, analysis, upstream, mainline, files)
    changed = tuple(k for k in knob_changes if k.changed)
    fixes = [n for n in named if n.role == "fixes"]
    ids = [n.sha for n in fixes if n.sha] + [n.upstream for n in fixes if n.upstream]
    ids += [upstream] if upstream and re.fullmatch(r"[0-9a-f]{40}", upstream) else []
    where = repo.containing(ids, branches)
    mainline_tip = repo.resolve(mainline) if mainline else None
    facts = []
    with progress.task("stable branches", total=len(branches)) as shown:
        for b in branches:
            facts.append(_branch(repo, b, mainline, mainline_tip, message, files, own_id, named, upstream, reference,
                                 changed, {sha for sha, found in where.items() if b in found}, run_code))
            shown.advance(f"stable branches: {b}")
    if repo.shallow:
        notes.append("shallow clone: commits older than its history cannot be found")
    return TreeFacts(repo.path, mainline, upstream, upstream_how, flag, tuple(named), tuple(facts), tuple(notes))


def _named_commits(repo: KernelRepo, message: Message, mainline: str | None) -> list[NamedCommit]:
    refs = {}
    for ref in message.commits:
        if ref.role in ("fixes", "cited") and (ref.sha, ref.role) not in refs:
            refs[(ref.sha, ref.role)] = ref
    # a "sha" such as --output=/tmp/x is reported, never handed to git
    found = repo.resolve_many([given for given, _ in refs])  # one cat-file for every id
    resolved: dict[str, str | None] = {}
    problems: dict[str, list[str]] = {}
    for given, _ in refs:
        got = found.get(given)
        resolved[given] = None if got == "ambiguous" else got
        problems[given] = (["not a commit id; not passed to git"] if not re.fullmatch(r"[0-9a-f]{4,40}", given)
                           else ["short id is ambiguous in this tree"] if got == "ambiguous"
                           else ["unknown in this tree" + (" (shallow clone: it may be older than the fetched "
                                                           "history)" if repo.shallow else "")] if got is None
                           else [])
    shas = [s for s in resolved.values() if s]
    commits = repo.commits(shas)
    ups = repo.resolve_many([c.upstream for c in commits.values() if c.upstream])
    up_commits = repo.commits([u for u, full in ups.items() if full not in (None, "ambiguous")])
    upstream_full = {u: c.sha for u, c in up_commits.items()}
    in_mainline = repo.contained(shas + list(upstream_full.values()), mainline) if mainline else set()
    out = []
    for (given, role), ref in refs.items():
        sha = resolved[given]
        commit = commits.get(sha) if sha else None
        subject = commit.subject if commit else None
        matches = None
        if commit and ref.subject:
            matches = same_subject(ref.subject, subject)
            if not matches:
                problems[given].append(f'subject in the tag differs from the commit\'s: "{subject}"')
        upstream = upstream_subject = None
        if commit and commit.upstream:
            upstream = upstream_full.get(commit.upstream, commit.upstream)
            upstream_subject = up_commits[commit.upstream].subject if commit.upstream in up_commits else None
            if sha not in in_mainline and role == "fixes":
                problems[given].append(f"names a stable backport; a Fixes tag must name the upstream commit "
                                       f"{upstream[:12]}")
        mainline_known = sha in in_mainline if (sha and mainline) else None
        if role == "fixes" and sha and mainline and not mainline_known and not upstream:
            problems[given].append(f"not in {mainline}")
        out.append(NamedCommit(given, role, sha, ref.subject, subject, matches, mainline_known, upstream,
                               upstream_subject, tuple(ref.problems) + tuple(problems[given])))
    return out


def _find_upstream(repo: KernelRepo, message: Message, mainline: str | None, own: str | None,
                   named: list[NamedCommit], notes: list[str]) -> tuple[str | None, str | None]:
    """The change's own commit in mainline: the id the mail cites, else the
    mainline io-wq commit with the same subject and patch-id (own), else the
    same patch-id, else the same subject."""
    cited = message.upstream
    if cited:
        sha = repo.resolve(cited) if re.fullmatch(r"[0-9a-f]{4,40}", cited) else None
        if sha and mainline and repo.contained([sha], mainline):
            return sha, "cited by the mail"
        if sha is None:
            notes.append(f"upstream commit {cited[:12]} cited by the mail is unknown in this tree")
        return (sha or cited), "cited by the mail, not in mainline"
    if not mainline or not own:
        return None, None
    since = [n.upstream or n.sha for n in named if n.role == "fixes" and n.sha and (n.in_mainline or n.upstream)]
    rng = f"{since[0]}..{mainline}" if len(since) == 1 else mainline
    title = message.subject.title if message.subject else None
    # the same subject first (one plain `git log`), confirmed by patch-id;
    # only without one is every io-wq commit's patch-id computed
    same_title = [c.sha for c in repo.log(rng, IOWQ_PATHS) if title and same_subject(title, c.subject)]
    ids = repo.patch_ids(same_title, paths=IOWQ_PATHS) if same_title else {}
    for sha in same_title:
        if ids.get(sha) == own:
            return sha, f"same subject and patch-id in {mainline}"
    for sha, pid in repo.patch_ids(rev_range=rng, paths=IOWQ_PATHS).items():
        if pid == own:
            return sha, f"same patch-id in {mainline}"
    if same_title:
        return same_title[0], f"same subject in {mainline} (the diff differs)"
    return None, None


def _reference_text(repo: KernelRepo, analysis: Analysis, upstream: str | None, mainline: str | None,
                    files: tuple[FileDiff, ...]) -> dict[str, str]:
    """Per patched C file, the upstream text the patch was written against:
    the --source/blob pre-image, the upstream commit's parent, or mainline."""
    out = {}
    for f in files:
        path = f.old_path or f.new_path
        if not path or not path.endswith((".c", ".h")):
            continue
        rev = f"{upstream}^" if upstream and re.fullmatch(r"[0-9a-f]{40}", upstream) else mainline
        text = (repo.blob(f.old_blob) if f.old_blob else None) or (repo.file_at(rev, path) if rev else None)
        if text is None and rev:
            text = repo.file_at(rev, _MOVED.get(path, path))
        if text is not None:
            out[path] = text
    return out


def _branch(repo: KernelRepo, branch: str, mainline: str | None, mainline_tip: str | None, message: Message,
            files: tuple[FileDiff, ...], own_id: str | None, named: list[NamedCommit], upstream: str | None,
            reference: dict[str, str], changed: tuple[KnobChange, ...], inside: set[str],
            run_code: bool = False) -> BranchFacts:
    tip = repo.resolve(branch)
    is_mainline = branch == mainline
    fork = tip if is_mainline or not mainline else repo.merge_base(mainline, branch)
    if fork is None and repo.shallow:
        raise GitError(branch, f"shallow clone lacks the history joining it to {mainline}; "
                               "fetch more (git fetch --unshallow)")
    own_range = f"{fork}..{branch}" if fork and not is_mainline else None
    own_commits = repo.log(own_range, IOWQ_PATHS) if own_range else []
    backports = {c.upstream: c for c in own_commits if c.upstream}
    fixes = [n for n in named if n.role == "fixes"]

    bug, bug_reasons = _bug(fixes, inside, backports)
    fix, fix_commit = _fix(repo, upstream, inside, backports, own_commits, own_range, message, own_id)

    texts: dict[str, str | None] = {}  # each path read once per branch

    def at(path: str) -> str | None:
        if path not in texts:
            texts[path] = repo.file_at(branch, path)
        return texts[path]

    path_map = {path: _MOVED[path] for f in files if (path := f.old_path or f.new_path) in _MOVED
                and at(path) is None and at(_MOVED[path]) is not None}
    c_file = next((f.old_path or f.new_path for f in files if (f.old_path or f.new_path or "").endswith(".c")),
                  None) or "io_uring/io-wq.c"
    # a patch without a C file still gets its knobs probed on the branch's io-wq.c, wherever it lives
    branch_file = next((p for p in (path_map.get(c_file, c_file), _MOVED.get(c_file)) if p and at(p) is not None),
                       None)
    branch_text = at(branch_file) if branch_file else None
    if not files:
        apply, apply_detail = "no diff", "the mail carries no diff of its own"
    elif branch_text is None and not path_map:
        apply, apply_detail = "no file", f"{c_file} does not exist on {branch}"
    else:
        apply, apply_detail = repo.apply_check(branch, patch_text(files, path_map))
        if path_map:
            apply_detail = (f"after renaming {', '.join(f'{a} -> {b}' for a, b in path_map.items())}; "
                            + apply_detail)

    if fix is None and apply == "applied" and bug != "absent":
        fix = "the branch already has the change (the reverse patch applies)"
    prereqs: list[Prerequisite] = []
    if branch_text is not None and files and fix is None:
        ref_path = next((p for p in reference if p.endswith(".c")), None)
        if ref_path:
            missing = prerequisites(files, reference[ref_path], branch_text)
            prereqs = _introductions(repo, missing, fork, mainline, mainline_tip, ref_path)
    knobs = knob_states(changed, branch_text)
    verdict, reasons = decide(bug, bug_reasons, fix, apply, apply_detail, prereqs, knobs)
    fact = BranchFacts(branch, tip, is_mainline, branch_file, bug, tuple(bug_reasons), fix, fix_commit, apply,
                       apply_detail, tuple(prereqs), knobs, verdict, tuple(reasons))
    return _with_code(fact, files, branch_text) if run_code else fact


def _with_code(fact: BranchFacts, files: tuple[FileDiff, ...], before: str | None) -> BranchFacts:
    """The branch's own io-wq.c (`before`, as _branch read it), run
    without and with the patch (applied in memory), where the patch
    applies and changes that file: does the bug show here, does the patch
    fix it here, does it break anything here. A finding the patch
    introduces on the branch makes it backport work; what the run shows
    is added to the branch's reasons."""
    from triage.diff.symbols import apply_hunks
    from triage.errors import SourceError
    from triage.sim.codedelta import code_delta

    diff = next((f for f in files if (f.new_path or f.old_path or "").endswith("io-wq.c")), None)
    if diff is None or before is None or not (fact.file or "").endswith("io-wq.c"):
        return replace(fact, code_note="the patch changes no io-wq.c: nothing to run")
    if fact.apply not in ("clean", "offset", "fuzz"):
        return replace(fact, code_note=f"not run: the patch does not apply here ({fact.apply})")
    try:
        after = apply_hunks(before, diff)
    except SourceError as exc:
        return replace(fact, code_note=f"not run: the hunks do not apply in memory ({exc.problem})")
    code = code_delta(fact.file, before, after)
    said = branch_code_words(code)
    verdict = fact.verdict
    if code.introduced and verdict in ("needed", "undetermined"):
        verdict = "needs backport work"
    return replace(fact, code=code, verdict=verdict, reasons=fact.reasons + (said,))


def branch_code_words(code) -> str:
    """What the branch's own code showed, in one reason."""
    if code.stopped:
        return f"its io-wq.c cannot be run here: {code.stopped}"
    if not code.runs:
        return "on its own io-wq.c no scenario runs a line the patch changes"
    from triage.sim.codedelta import tally

    counted = tally(code)
    parts = []
    if counted.fixed:
        parts.append("the bug shows here and the patch fixes it: " + "; ".join(counted.fixed[:2]))
    if counted.introduced:
        parts.append("the patch introduces here: " + "; ".join(counted.introduced[:2]))
    if not parts:
        parts.append("no finding changes")
    return (f"its own io-wq.c run without and with the patch ({len(code.runs)} scenario(s)): " + "; ".join(parts)
            + f"; better in {counted.better}, worse in {counted.worse}")


def _bug(fixes: list[NamedCommit], inside: set[str], backports: dict) -> tuple[str, list[str]]:
    """Is the commit the patch fixes in the branch, directly or as a backport?"""
    if not fixes:
        return "unknown", ["no Fixes: tag names the commit that brought the bug"]
    present, absent, unknown = [], [], []
    for n in fixes:
        label = f"Fixes target {n.given[:12]}"
        if n.sha is None:
            unknown.append(f"{label} is not in the tree")
        elif n.sha in inside:
            present.append(f"{label} is in the branch")
        elif n.upstream and n.upstream in inside:
            present.append(f"{label} is a stable backport; its upstream {n.upstream[:12]} is in the branch")
        elif (n.upstream or n.sha) in backports:
            present.append(f"{label} is in the branch as backport {backports[n.upstream or n.sha].sha[:12]}")
        else:
            absent.append(f"{label} is not in the branch")
    if present:
        return "present", present
    if unknown:
        return "unknown", unknown + absent
    return "absent", absent


def _fix(repo: KernelRepo, upstream: str | None, inside: set[str], backports: dict, own_commits: list,
         own_range: str | None, message: Message, own_id: str | None) -> tuple[str | None, str | None]:
    """Is the change already in the branch? Say which evidence found it."""
    if upstream and upstream in inside:
        return f"contains upstream commit {upstream[:12]}", upstream
    if upstream and upstream in backports:
        b = backports[upstream].sha
        return f"backport {b[:12]} cites upstream commit {upstream[:12]}", b
    if own_range and own_id and own_commits:
        for sha, pid in repo.patch_ids(rev_range=own_range, paths=IOWQ_PATHS).items():
            if pid == own_id:
                return f"commit {sha[:12]} has the same patch-id", sha
    title = message.subject.title if message.subject else None
    for c in own_commits:
        if title and same_subject(title, c.subject):
            return f"commit {c.sha[:12]} has the same subject", c.sha
    return None, None


def _introductions(repo: KernelRepo, missing: list[Prerequisite], fork: str | None, mainline: str | None,
                   mainline_tip: str | None, path: str) -> list[Prerequisite]:
    out = []
    for n, p in enumerate(missing):
        name = p.symbol.removeprefix("member ").removeprefix("struct ")
        if n < MAX_PICKAXE and fork and mainline and fork != mainline_tip:
            found = repo.introduced(name, f"{fork}..{mainline}", path)
            if found:
                p = replace(p, introduced_by=found.sha, introduced_subject=found.subject)
        out.append(p)
    return out


# ------------------------------------------------------------------ rules (pure)


def prerequisites(files: tuple[FileDiff, ...], reference: str, branch_text: str) -> list[Prerequisite]:
    """Identifiers the patch's lines use or change that upstream defines in
    the file and the branch lacks; struct members the branch keeps in other
    structs (a field moved) or lacks."""
    lines = [line.text for f in files for h in f.hunks for line in h.lines]
    words = set(re.findall(r"\b[A-Za-z_]\w*\b", "\n".join(lines)))
    defs = csource.definitions(reference)
    ref_names: dict[str, str] = {}
    ref_lines = reference.split("\n")
    for d in defs:
        if d.kind in ("function", "macro", "global", "typedef", "prototype"):
            ref_names.setdefault(d.name, d.kind)
        elif d.kind in ("struct", "union", "enum") and d.name:
            tag = d.name.split(" ", 1)[-1]
            ref_names.setdefault(tag, d.kind)
            if d.kind == "enum":
                for name, _ in csource.enumerators("\n".join(ref_lines[d.start - 1:d.end])):
                    ref_names.setdefault(name, "enumerator")
    added_here = set(re.findall(r"\b[A-Za-z_]\w*\b", "\n".join(
        line.text for f in files for h in f.hunks for line in h.lines if line.kind == "+")))
    out = []
    for word in sorted(words):
        kind = ref_names.get(word)
        if kind is None or re.search(rf"\b{re.escape(word)}\b", branch_text):
            continue
        shown = f"struct {word}" if kind in ("struct", "union") else word
        if word in added_here and not any(word in line.text for f in files for h in f.hunks
                                          for line in h.lines if line.kind != "+"):
            detail = f"the patch uses {kind} {shown}, which this branch does not have"
        else:
            detail = f"the patch's context names {kind} {shown}, which this branch does not have"
        out.append(Prerequisite(shown, detail))
    out += _moved_members(lines, reference, branch_text)
    return out


def _struct_members(text: str) -> dict[str, set[str]]:
    lines = text.split("\n")
    out: dict[str, set[str]] = {}
    for d in csource.definitions(text):
        if d.kind == "struct" and d.name:
            for m in csource.members("\n".join(lines[d.start - 1:d.end])):
                out.setdefault(m.name, set()).add(d.name)
    return out


def _moved_members(lines: list[str], reference: str, branch_text: str) -> list[Prerequisite]:
    used = set(re.findall(r"(?:->|\.)\s*([A-Za-z_]\w*)", "\n".join(lines)))
    ref, br = _struct_members(reference), _struct_members(branch_text)
    out = []
    for name in sorted(used):
        if name not in ref:
            continue
        upstream_in, branch_in = ref[name], br.get(name, set())
        if not branch_in:
            out.append(Prerequisite(f"member {name}", f"{' / '.join(sorted(upstream_in))} has member {name} "
                                                      "upstream; no struct on this branch has it"))
        elif not (upstream_in & branch_in):
            out.append(Prerequisite(f"member {name}", f"member {name} is in {' / '.join(sorted(branch_in))} on "
                                                      f"this branch, in {' / '.join(sorted(upstream_in))} upstream"))
    return out


def knob_states(changed: tuple[KnobChange, ...], branch_text: str | None) -> tuple[BranchKnob, ...]:
    """Probe the knobs the patch changes on the branch's file: does the
    branch have the behaviour the patch removes?"""
    if not changed:
        return ()
    if branch_text is None:
        return tuple(BranchKnob(k.knob, None, "unknown", "no io-wq file on the branch") for k in changed)
    probed = probe_all(view_of_file(branch_text))
    out = []
    for k in changed:
        got = probed.get(k.knob)
        value = got.value if got else None
        state = ("unknown" if value is None else "before" if value == k.before
                 else "after" if value == k.after else "other")
        out.append(BranchKnob(k.knob, value, state, got.reason if got else "no probe"))
    return tuple(out)


def decide(bug: str, bug_reasons: list[str], fix: str | None, apply: str, apply_detail: str,
           prereqs: list[Prerequisite], knobs: tuple[BranchKnob, ...]) -> tuple[str, list[str]]:
    """The verdict for one branch, with every reason that led to it."""
    if fix:
        return "already fixed", [fix]
    before = [k for k in knobs if k.state == "before"]
    after = [k for k in knobs if k.state == "after"]
    if bug == "absent":
        return "not needed", ["bug not present: " + "; ".join(bug_reasons)]
    reasons = list(bug_reasons) if bug == "present" else []
    if bug == "unknown":
        if before:
            reasons = [f"the branch has the behaviour the patch removes ({k.knob} = {k.value})" for k in before]
        elif after and not before:
            return "not needed", [f"the branch already behaves as after the patch ({k.knob} = {k.value})"
                                  for k in after] + bug_reasons
        else:
            reasons = list(bug_reasons) + ["no modelled behaviour decides whether the branch has the bug"]
            return "undetermined", reasons + [f"patch {_apply_words(apply, apply_detail)}"]
    if bug == "present":
        reasons += [f"the branch has the behaviour the patch removes ({k.knob} = {k.value})" for k in before]
    work = []
    if apply == "conflict":
        work.append(f"patch does not apply: {apply_detail}")
    elif apply == "no file":
        work.append(apply_detail)
    work += [p.detail + (f"; introduced upstream by {p.introduced_by[:12]} (\"{p.introduced_subject}\")"
                         if p.introduced_by else "") for p in prereqs]
    if work:
        return "needs backport work", reasons + work
    return "needed", reasons + [f"patch {_apply_words(apply, apply_detail)}"]


def _apply_words(apply: str, detail: str) -> str:
    return {"clean": "applies cleanly", "offset": f"applies with offset ({detail})",
            "fuzz": f"applies with fuzz ({detail})", "conflict": f"does not apply ({detail})",
            "applied": "is already applied", "no diff": "has no diff to apply", "no file": detail}.get(apply, apply)
