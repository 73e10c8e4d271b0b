"""Survey of ../shared/lore-io-wq: parse every message, map every io-wq.c
hunk, compare with git's @@ hint. Used by tests/test_lore.py and runnable by
hand to print the figures:  python -m tests.lore.survey [LORE_DIR]
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from triage.analysis import analyze_document
from triage.diff import csource
from triage.errors import TriageError
from triage.ingest import read_path

DEFAULT = Path(__file__).resolve().parents[2].parent / "shared" / "lore-io-wq"


@dataclass
class Survey:
    files: int = 0
    messages: int = 0
    exceptions: list[str] = field(default_factory=list)
    input_errors: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    iowq_hunks: int = 0
    outcome: Counter = field(default_factory=Counter)
    differ: list[tuple[str, str, str, str]] = field(default_factory=list)  # file, hint, ours, how


def lore_dir(argv: list[str] | None = None) -> Path:
    return Path(argv[0]) if argv else DEFAULT


def run(directory: Path) -> Survey:
    s = Survey()
    for path in sorted(directory.glob("*.mbox")):
        s.files += 1
        try:
            doc = read_path(path)
        except TriageError as exc:
            s.input_errors.append(f"{path.name}: {exc.problem}")
            continue
        except Exception as exc:  # noqa: BLE001 - the survey counts crashes
            s.exceptions.append(f"{path.name}: read: {type(exc).__name__}: {exc}")
            continue
        s.messages += len(doc.messages)
        s.problems += [f"{path.name}: {p}" for p in doc.problems]
        try:
            analyses = analyze_document(doc)
        except Exception as exc:  # noqa: BLE001
            s.exceptions.append(f"{path.name}: analyze: {type(exc).__name__}: {exc}")
            continue
        for analysis in analyses:
            for change in analysis.symbols:
                if (not change.file.endswith("io-wq.c") or analysis.message.diffs[change.diff_index].quoted
                        or change.kind == "enumerator"):  # derived from its enum's row
                    continue
                _classify(s, path.name, change)
        s.iowq_hunks += sum(
            1 for a in analyses for d in a.message.own_diffs for f in d.files
            if f.path.endswith("io-wq.c") for _ in f.hunks
        )
    return s


def _classify(s: Survey, name: str, change) -> None:
    hint = csource.header(change.hint) if change.hint else None
    if change.evidence == "hint":
        s.outcome["hint only (no opener in the hunk)"] += 1
    elif change.evidence == "none":
        s.outcome["undetermined"] += 1
    elif hint is None:
        s.outcome["hint names no symbol (label, empty, statement)"] += 1
    elif hint[1] == change.symbol:
        s.outcome["agree"] += 1
    else:
        s.outcome["differ"] += 1
        s.differ.append((name, change.hint, f"{change.kind} {change.symbol}", "; ".join(change.how)))


def report(s: Survey) -> str:
    lines = [
        f"lore survey: {s.files} mbox files, {s.messages} messages parsed",
        f"  exceptions: {len(s.exceptions)}",
        f"  unreadable inputs: {len(s.input_errors)}",
        f"  damaged parts reported: {len(s.problems)}",
        f"  own io-wq.c hunks: {s.iowq_hunks}; symbol changes by outcome vs git's hint:",
    ]
    for key, count in s.outcome.most_common():
        lines.append(f"    {key}: {count}")
    for item in s.exceptions[:20] + s.input_errors[:10]:
        lines.append(f"  ! {item}")
    return "\n".join(lines)


if __name__ == "__main__":
    survey = run(lore_dir(sys.argv[1:]))
    print(report(survey))
    if "-v" in sys.argv:
        for p in survey.problems:
            print("  problem:", p)
        for row in survey.differ:
            print("  differ:", row)
