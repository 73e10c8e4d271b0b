"""The library API behind `triage analyze`: Documents -> Analyses.

analyze_document/analyze_message are pure; analyze() at the bottom is the
I/O edge that reads the inputs and the --source file.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import multiprocessing
import re
from dataclasses import replace
from pathlib import Path, PurePosixPath

from triage import progress
from triage.diff import pahole
from triage.diff.profiles import TypeInfo, load_profiles
from triage.diff.symbols import apply_hunks, indent_kept, map_file, map_hunk
from triage.errors import DiffError, GitError, InputError, SourceError
from triage.ingest import read_bytes, read_messages, read_path
from triage.model import Analysis, Document, FileDiff, InputResult, LayoutDelta, Message, SymbolChange


Profiles = dict[str, dict[str, TypeInfo]]


def analyze_document(doc: Document, source: tuple[str, str] | None = None,
                     profiles: Profiles | None = None, behaviour: bool = False,
                     probe_knobs: bool = False) -> tuple[Analysis, ...]:
    """source: (name, text) of the pre-image of the file the patch changes;
    behaviour: probe knobs and run the simulator (seconds per patch);
    probe_knobs: probe the knobs without running scenarios."""
    profiles = profiles if profiles is not None else load_profiles()
    return tuple(analyze_message(m, source, profiles, behaviour, probe_knobs) for m in doc.messages)


def analyze_message(message: Message, source: tuple[str, str] | None = None,
                    profiles: Profiles | None = None, behaviour: bool = False,
                    probe_knobs: bool = False) -> Analysis:
    symbols: list[SymbolChange] = []
    notes: list[str] = []
    used = None
    images: dict[str, tuple[str, str]] = {}  # path -> (pre-image, post-image), computed once
    c_files = {f.path for d in message.diffs for f in d.files if f.path.endswith((".c", ".h"))}
    for d_index, diff in enumerate(message.diffs):
        for file in diff.files:
            if file.binary:
                continue
            changes = None
            if source is not None and (_source_matches(file, source[0]) or c_files == {file.path}):
                try:
                    post = apply_hunks(source[1], file)
                    changes = map_file(file, source[1], post)
                    images[file.path] = (source[1], post)
                    used = source[0]
                except SourceError as exc:
                    notes.append(f"--source {source[0]} not used for {file.path}: {exc.problem}; "
                                 "mapped from the hunks alone")
            if changes is None:
                indented = not diff.reconstructed and indent_kept([h for f in diff.files for h in f.hunks])
                changes = [c for i, h in enumerate(file.hunks) for c in map_hunk(file.path, i, h, indented)]
            symbols += [replace(c, diff_index=d_index) for c in changes]
    if source is not None and used is None and not notes and message.diffs:
        notes.append(f"--source {source[0]} matches no file the diff changes")
    profiles = profiles if profiles is not None else load_profiles()
    layouts, layout_notes = struct_layouts(message, symbols, images, profiles)
    delta = None
    if (behaviour or probe_knobs) and _is_iowq(message):
        from triage.behaviour.delta import behaviour_of

        delta = behaviour_of(message, tuple(symbols), images, run_scenarios=behaviour)
    return Analysis(message, tuple(symbols), used, tuple(notes + layout_notes), layouts, delta)


def _is_iowq(message: Message) -> bool:
    """Patches and mails about io-wq (or io_uring, whose hooks drive it)."""
    if any("io-wq" in f.path or "io_uring" in f.path for d in message.diffs for f in d.files):
        return True
    words = (message.subject.raw if message.subject else "") + " ".join(p.name for p in message.prose_symbols)
    return "io-wq" in words or "io_wq" in words or "io_uring" in words or "IO_WQ" in words


def struct_layouts(message: Message, symbols: list[SymbolChange], images: dict[str, tuple[str, str]],
                   profiles: Profiles) -> tuple[tuple[LayoutDelta, ...], list[str]]:
    """Before/after layout of every struct a hunk changes (from the pre-image
    and its patched copy, or from a hunk that carries the whole definition),
    and the layout of complete struct definitions written in the text."""
    deltas: list[LayoutDelta] = []
    notes: list[str] = []
    done: set[str] = set()
    for change in symbols:
        if change.kind not in ("struct", "union") or change.symbol in done or "(anonymous)" in change.symbol:
            continue
        done.add(change.symbol)
        diff = message.diffs[change.diff_index]
        file = next(f for f in diff.files if f.path == change.file)
        if change.evidence == "pre-image" and change.file in images:
            before_text, after_text = images[change.file]
        else:
            hunk = file.hunks[change.hunk_index]
            before_text = "\n".join(line.text for line in hunk.side("-"))
            after_text = "\n".join(line.text for line in hunk.side("+"))
            if not (_whole_definition(before_text, change.symbol) and _whole_definition(after_text, change.symbol)):
                notes.append(f"layout of {change.symbol}: the hunk does not carry the whole definition; "
                             "give --source FILE (the pre-image) for the before/after layout")
                continue
        deltas.append(LayoutDelta(change.symbol, "pre-image" if change.file in images else "hunk",
                                  pahole.facts(before_text, change.symbol, profiles),
                                  pahole.facts(after_text, change.symbol, profiles)))
    for snippet in message.snippets:
        if snippet.kind not in ("struct", "union") or "(anonymous)" in snippet.name:
            continue
        if snippet.truncated:
            notes.append(f"layout of the {snippet.name} written by {snippet.author or 'unknown'} "
                         "(level {}) not computed: the text cuts it (<snip>)".format(snippet.level))
            continue
        deltas.append(LayoutDelta(snippet.name, f"text (level {snippet.level}, {snippet.author or 'unknown'})",
                                  (), pahole.facts(snippet.text, snippet.name, profiles)))
    return tuple(deltas), notes


def _whole_definition(text: str, symbol: str) -> bool:
    kind, _, tag = symbol.partition(" ")
    opener = re.search(rf"^\s*(?:typedef\s+)?{kind}\s+{re.escape(tag)}\s*{{", text, re.MULTILINE)
    return bool(opener) and re.search(r"^\s*}[^;]*;", text[opener.end():], re.MULTILINE) is not None


def _source_matches(file: FileDiff, name: str) -> bool:
    return PurePosixPath(file.path).name == PurePosixPath(name.replace("\\", "/")).name


# ------------------------------------------------------------- the I/O edge


def analyze(paths: list[str], source_path: str | None = None, profiles_path: str | None = None,
            behaviour: bool = True, repo_path: str | None = None,
            branches: list[str] | None = None, jobs: int = 1, inbox_path: str | None = None) -> list[InputResult]:
    """Read and analyse every input; one failing input never stops the rest.
    With repo_path, an input may also be a commit or an A..B range of that
    tree, and every patch gets the stable-branch matrix. With inbox_path (a
    public-inbox archive), an input may be a message-id: its whole thread.
    jobs > 1 analyses inputs in that many processes; results keep the order
    of paths."""
    source = read_source(source_path) if source_path else None
    profiles = load_profiles(profiles_path)
    jobs = max(1, min(jobs, len(paths)))
    with contextlib.ExitStack() as stack:
        tree = None
        if repo_path is not None:
            from triage.tree.repo import KernelRepo
            from triage.tree.stable import branch_names

            repo = stack.enter_context(KernelRepo(repo_path))
            tree = (repo_path, *branch_names(repo, branches))
            _open_tree(tree, repo)
            stack.callback(_open_tree, None)
        if inbox_path is not None:
            _open_inbox(inbox_path)  # the index is built (or read) here, once, before any worker starts
            stack.callback(_open_inbox, None)
        job = functools.partial(_analyze_path, source=source, profiles=profiles, behaviour=behaviour)
        if jobs > 1:
            # spawn, not fork: the progress display runs a thread, and a forked
            # copy of a process with threads may hold a lock nobody releases.
            # Each worker opens the tree once (a repository handle does not
            # cross processes), not once per input.
            pool = stack.enter_context(concurrent.futures.ProcessPoolExecutor(
                jobs, mp_context=multiprocessing.get_context("spawn"), initializer=_open_worker,
                initargs=(tree, inbox_path)))
            stack.callback(pool.shutdown, cancel_futures=True)
            results = pool.map(job, paths)
        else:
            results = map(job, paths)
        out = []
        with progress.task(f"analysing {len(paths)} input(s)", total=len(paths)) as shown:
            for path, result in zip(paths, results):
                out.append(result)
                shown.advance(f"analysed {path}")
    return out


_tree: tuple | None = None  # (open KernelRepo, mainline, branches) of this process, set by analyze or a worker


def _open_tree(tree: tuple | None, repo=None) -> None:
    global _tree
    if tree is None:
        _tree = None
        return
    if repo is None:  # a pool worker: open its own handle, for the life of the worker
        from triage.tree.repo import KernelRepo

        repo = KernelRepo(tree[0])
    _tree = (repo, tree[1], tree[2])


_inbox = None  # the open archive (public-inbox or mbox folder) of this process, when --inbox was given


def _open_inbox(path: str | None) -> None:
    global _inbox
    if path is None:
        _inbox = None
        return
    from triage.tree.inbox import open_archive

    _inbox = open_archive(path)
    with progress.task(f"reading the message-id index of {path}"):
        _inbox.entries  # noqa: B018 - built or read from the cache now, not in the middle of an input


def _open_worker(tree: tuple | None, inbox_path: str | None) -> None:
    _open_tree(tree)
    _open_inbox(inbox_path)


def _analyze_path(path: str, source, profiles, behaviour: bool) -> InputResult:
    return _analyze_one(path, source, profiles, behaviour, _tree, _inbox)


def _analyze_one(path: str, source, profiles, behaviour: bool, tree=None, inbox=None) -> InputResult:
    try:
        doc = _read_input(path, tree[0] if tree else None, inbox)
    except (InputError, GitError) as exc:
        return InputResult(path, None, error=exc.problem, exit_code=exc.exit_code)
    problems = list(doc.problems)
    code = DiffError.exit_code if doc.problems else 0
    if tree is None:
        return InputResult(path, doc.form, analyze_document(doc, source, profiles, behaviour), tuple(problems),
                           exit_code=code)
    from triage.tree.stable import tree_facts

    repo, mainline, names = tree
    analyses = []
    for message in doc.messages:
        pre = source or _pre_image_from_tree(repo, message)
        analysis = analyze_message(message, pre, profiles, behaviour, probe_knobs=True)
        if message.own_diffs or any(c.role in ("fixes", "cited", "upstream") for c in message.commits):
            try:
                facts = tree_facts(repo, analysis, mainline, names,
                                   analysis.behaviour.knobs if analysis.behaviour else (), run_code=behaviour)
                analysis = replace(analysis, tree=facts)
            except GitError as exc:
                problems.append(f"{exc.subject}: {exc.problem}")
                code = max(code, exc.exit_code)
        analyses.append(analysis)
    return InputResult(path, doc.form, tuple(analyses), tuple(problems), exit_code=code)


def _read_input(path: str, repo, inbox=None) -> Document:
    """A file; with an inbox, a message-id (its whole thread); with a tree,
    a commit id or an A..B range (io-wq paths only)."""
    if _exists(path):
        return read_path(path)
    from triage.tree.inbox import message_id_of

    mid = message_id_of(path)
    if mid is not None and (inbox is not None or repo is None):
        if inbox is None:
            raise InputError(path, "no such file; a message-id? give --inbox PATH (a public-inbox archive) "
                                   "or set git config triage.inbox")
        # each message read as one of an mbox; the input is a thread of the archive
        return replace(read_messages(inbox.messages(inbox.thread(mid)), path, "mbox"), form="public-inbox thread")
    if repo is None:
        return read_path(path)
    from triage.tree.repo import safe_rev
    from triage.tree.stable import IOWQ_PATHS

    if ".." in path:
        # not a file, so a range of the tree: git's refusal is a tree error (exit 6)
        try:
            shows = repo.show_range(path, IOWQ_PATHS)
        except GitError as exc:
            raise GitError(path, f"no such file, and not a range of {repo.path}: "
                                 + re.sub(r"^git \w+: (?:fatal: )?", "", exc.problem)) from None
        if not shows:
            raise InputError(path, f"no commit in this range of {repo.path} touches io-wq")
        messages = [m for sha, text in shows for m in read_bytes(text.encode(), f"{path}@{sha[:12]}").messages]
        return Document(path, "git-log", tuple(messages))
    try:
        sha = repo.resolve(safe_rev(path))
    except GitError as exc:
        raise InputError(path, f"no such file, and {exc.problem}") from None
    if sha is None:
        raise InputError(path, f"no such file, and no such commit in {repo.path}")
    return read_bytes(repo.show(sha).encode(), path)


def _exists(path: str) -> bool:
    """A file by that name? A name the system cannot even look up (too
    long, NUL byte) is no file: with a tree it may still be a revision."""
    try:
        return Path(path).exists()
    except (OSError, ValueError):
        return False


def _pre_image_from_tree(repo, message: Message) -> tuple[str, str] | None:
    """The exact pre-image of the patched C file: the blob named by the
    diff's `index` line, when the tree has it."""
    for diff in message.own_diffs:
        for f in diff.files:
            if f.path.endswith(".c") and f.old_blob:
                text = repo.blob(f.old_blob)
                if text is not None:
                    return f.path, text
    return None


def read_source(path: str) -> tuple[str, str]:
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise SourceError(path, "no such file") from None
    except OSError as exc:
        raise SourceError(path, f"cannot read: {exc.strerror or exc}") from None
    if b"\x00" in data[:65536]:
        raise SourceError(path, "binary data, not C source")
    return path, data.decode("utf-8", errors="replace")
