"""The library API behind `triage analyze`: Documents -> Analyses.

analyze_document/analyze_message are pure; analyze() at the bottom is the
I/O edge that reads the inputs and the --source file.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path, PurePosixPath

from triage.diff.symbols import indent_kept, map_file, map_hunk
from triage.errors import DiffError, InputError, SourceError
from triage.ingest import read_path
from triage.model import Analysis, Document, FileDiff, InputResult, Message, SymbolChange


def analyze_document(doc: Document, source: tuple[str, str] | None = None) -> tuple[Analysis, ...]:
    """source: (name, text) of the pre-image of the file the patch changes."""
    return tuple(analyze_message(m, source) for m in doc.messages)


def analyze_message(message: Message, source: tuple[str, str] | None = None) -> Analysis:
    symbols: list[SymbolChange] = []
    notes: list[str] = []
    used = None
    c_files = {f.path for d in message.diffs for f in d.files if f.path.endswith((".c", ".h"))}
    for d_index, diff in enumerate(message.diffs):
        for file in diff.files:
            if file.binary:
                continue
            changes = None
            if source is not None and (_source_matches(file, source[0]) or c_files == {file.path}):
                try:
                    changes = map_file(file, source[1])
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
    return Analysis(message, tuple(symbols), used, tuple(notes))


def _source_matches(file: FileDiff, name: str) -> bool:
    return PurePosixPath(file.path).name == PurePosixPath(name.replace("\\", "/")).name


# ------------------------------------------------------------- the I/O edge


def analyze(paths: list[str], source_path: str | None = None) -> list[InputResult]:
    """Read and analyse every input; one failing input never stops the rest."""
    source = read_source(source_path) if source_path else None
    results = []
    for path in paths:
        try:
            doc = read_path(path)
        except InputError as exc:
            results.append(InputResult(path, None, error=exc.problem, exit_code=exc.exit_code))
            continue
        analyses = analyze_document(doc, source)
        results.append(InputResult(path, doc.form, analyses, doc.problems,
                                   exit_code=DiffError.exit_code if doc.problems else 0))
    return results


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
