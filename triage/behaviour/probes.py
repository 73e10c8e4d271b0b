"""Probes: read each simulator knob's value from C code.

A probe looks at the function that holds the mechanism, under any of the
names io-wq's history gave it (iowq-model.md §4: io_wqe_* until 6.3,
io_wq_* 6.4-6.14, io_acct_* from 6.15; fs/io-wq.c before 6.0), and answers
"on", "off" (or a granularity), or None for unknown, with the lines that
decided. Unknown means the code it needs is not in view, never a guess: a
hunk shows part of a function, so a fragment can prove presence, and
absence only where the deciding spot itself is visible.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from triage.diff import csource
from triage.errors import SourceError

ACTIVATE = ("io_acct_activate_free_worker", "io_wq_activate_free_worker", "io_wqe_activate_free_worker")
DEC_RUNNING = ("io_wq_dec_running", "io_wqe_dec_running")
WORKER_LOOP = ("io_wq_worker", "io_wqe_worker")
HANDLE_WORK = ("io_worker_handle_work",)
CREATE_CB = ("create_worker_cb",)
BUSY = ("__io_worker_busy",)
ITERATOR = ("io_wq_for_each_worker",)


@dataclass(frozen=True)
class ProbeResult:
    knob: str
    value: str | None  # "on" | "off" | a granularity | None (unknown)
    reason: str
    lines: tuple[str, ...] = ()  # "NNN: text" of the deciding lines
    function: str | None = None  # the function read, under the name found


@dataclass
class CodeView:
    """Functions in view, with their first line number and lines."""

    origin: str  # file | hunk-old | hunk-new
    functions: dict[str, tuple[int, list[str], bool]] = field(default_factory=dict)  # name -> (first, lines, complete)
    text: str = ""  # everything in view, for file-wide facts (enums, struct members)
    numbers: list[int] = field(default_factory=list)  # real line number of each row of text

    def where(self, row: int) -> int:
        return self.numbers[row] if row < len(self.numbers) else row + 1

    def find(self, names: tuple[str, ...]) -> tuple[str, int, list[str], bool] | None:
        for name in names:
            if name in self.functions:
                first, lines, complete = self.functions[name]
                return name, first, lines, complete
        return None


def view_of_file(text: str) -> CodeView:
    text = csource.blank_comments(text)
    lines = text.split("\n")
    view = CodeView("file", text=text)
    for d in csource.definitions(text):
        if d.kind == "function":
            view.functions[d.name] = (d.start, lines[d.start - 1:d.end], True)
    return view


def view_of_fragment(origin: str, pieces: list[tuple[str, int, list[str]]], text: str,
                     numbers: list[int] | None = None) -> CodeView:
    """pieces: (function, first line, lines of one hunk side in it); numbers:
    the real line number of each row of text. Comments are blanked; a hunk
    that starts inside a comment shows its continuation lines (` * ...`,
    ` */`) without the opener: those are blanked too."""
    view = CodeView(origin, text=_blank_fragment(text), numbers=numbers or [])
    for name, first, lines in pieces:
        lines = _blank_fragment("\n".join(lines)).split("\n")
        if name in view.functions:
            prev_first, prev_lines, _ = view.functions[name]
            view.functions[name] = (prev_first, prev_lines + lines, False)
        else:
            view.functions[name] = (first, lines, False)
    return view


def _blank_fragment(text: str) -> str:
    rows = csource.blank_comments(text).split("\n")
    return "\n".join("" if re.match(r"\s*\*(?:/|\s|$)", row) else row for row in rows)


def source_view(name: str, text: str) -> CodeView:
    """The view of a whole source file for `triage probe`; text that holds
    no C function at all (a README, a mail) is refused rather than probed."""
    view = view_of_file(text)
    if not view.functions:
        raise SourceError(name, "not C source: no function definition in it")
    return view


def _numbered(first: int, lines: list[str], indices) -> tuple[str, ...]:
    return tuple(f"{first + i}: {lines[i].strip()}" for i in indices)


# ------------------------------------------------------------------ probes


def probe_create_cb(view: CodeView) -> ProbeResult:
    knob = "create_cb_tries_free_worker"
    found = view.find(CREATE_CB)
    if found is None:
        return ProbeResult(knob, None, "this file has no create_worker_cb (workers are not created from "
                           "task_work)" if view.origin == "file" else "create_worker_cb is not in view")
    name, first, lines, complete = found
    call = next((i for i, t in enumerate(lines) if any(f"{a}(" in t for a in ACTIVATE)), None)
    test = next((i for i, t in enumerate(lines) if re.search(r"nr_workers\s*<\s*\w+->max_workers", t)), None)
    if call is not None and (test is None or call < test):
        skip = next((i for i in range(call, min(call + 5, len(lines)))
                     if re.search(r"\bgoto\b|\breturn\b|if \(!do_create\)", lines[i])), None)
        picks = [call] + ([skip] if skip is not None else [])
        return ProbeResult(knob, "on", "a free worker is activated before the nr_workers < max_workers test"
                           + ("" if skip is not None else " (the skip of creation is not in view)"),
                           _numbered(first, lines, picks), name)
    if test is not None:
        return ProbeResult(knob, "off", "the nr_workers < max_workers test decides with no free-worker "
                           "activation before it", _numbered(first, lines, [test]), name)
    create = next((i for i, t in enumerate(lines) if "create_io_worker(" in t), None)
    if complete and create is not None:
        return ProbeResult(knob, "off", "create_worker_cb creates a worker unconditionally (the caller "
                           "checked the cap), with no free-worker activation", _numbered(first, lines, [create]),
                           name)
    return ProbeResult(knob, None, "the creation decision of create_worker_cb is not in view", (), name)


def probe_do_kill(view: CodeView) -> ProbeResult:
    knob = "do_kill_granularity"
    found = view.find(HANDLE_WORK)
    if found is None:
        return ProbeResult(knob, None, "io_worker_handle_work is not in view")
    name, first, lines, complete = found
    if not complete:
        return ProbeResult(knob, None, "only part of io_worker_handle_work is in view: the loop nesting of the "
                           "IO_WQ_BIT_EXIT read cannot be decided", (), name)
    tree = csource.parse("\n".join(lines))
    depths: list[tuple[int, int]] = []
    for node in csource._walk(tree.root_node):
        if node.type == "identifier" and node.text == b"IO_WQ_BIT_EXIT":
            depth, up = 0, node.parent
            while up is not None:
                if up.type in ("do_statement", "while_statement", "for_statement"):
                    depth += 1
                up = up.parent
            depths.append((depth, node.start_point[0]))
    if not depths:
        return ProbeResult(knob, None, "io_worker_handle_work does not read IO_WQ_BIT_EXIT", (), name)
    depth, row = max(depths)
    value = {0: "per_call", 1: "per_fetch"}.get(depth, "per_item")
    where = {"per_call": "once before the work loop", "per_fetch": "in the outer (fetch) loop",
             "per_item": "inside the dependent-link loop"}[value]
    return ProbeResult(knob, value, f"IO_WQ_BIT_EXIT is read {where}", _numbered(first, lines, [row]), name)


_PLAIN_FLAGS = re.compile(r"worker->flags\s*(?:\|=|&=|=(?!=))|\(?worker->flags\s*&\s*(?:~\s*)?\(?IO_WORKER_F_")
_ATOMIC_FLAGS = re.compile(r"\b(?:set_bit|clear_bit|test_bit|test_and_set_bit|test_and_clear_bit|set_mask_bits)"
                           r"\s*\([^;]*&worker->flags")


def probe_flags(view: CodeView) -> ProbeResult:
    knob = "worker_flags_atomic"
    plain, atomic = [], []
    rows = view.text.split("\n")
    for i, line in enumerate(rows):
        if _PLAIN_FLAGS.search(line):
            plain.append(i)
        if _ATOMIC_FLAGS.search(line):
            atomic.append(i)
    lines_of = lambda idx: tuple(f"{view.where(i)}: {rows[i].strip()}" for i in idx[:4])  # noqa: E731
    if atomic and not plain:
        return ProbeResult(knob, "on", "worker->flags is changed and read with bitops only", lines_of(atomic))
    if plain and not atomic:
        return ProbeResult(knob, "off", "worker->flags is changed with plain read-modify-write", lines_of(plain))
    if plain and atomic:
        return ProbeResult(knob, None, "worker->flags is accessed both ways", lines_of(plain[:2] + atomic[:2]))
    values = dict(re.findall(r"\b(IO_WORKER_F_\w+)\s*=\s*(\d+)", view.text))
    if values:
        numbers = sorted(int(v) for v in values.values())
        idx = [i for i, line in enumerate(rows) if re.search(r"IO_WORKER_F_\w+\s*=", line)]
        if numbers == list(range(len(numbers))):
            return ProbeResult(knob, "on", "IO_WORKER_F_* are bit numbers (0, 1, ...), the form bitops take",
                               lines_of(idx))
        if all(n and n & (n - 1) == 0 for n in numbers) and max(numbers) > len(numbers) - 1:
            return ProbeResult(knob, "off", "IO_WORKER_F_* are masks (1, 2, 4, ...), the form plain & and | take",
                               lines_of(idx))
    member = re.search(r"^\s*(unsigned(?:\s+int)?|unsigned\s+long)\s+flags\s*;", view.text, re.MULTILINE)
    if member and "long" not in member.group(1):
        idx = [view.text[:member.start()].count("\n") + (1 if view.text[member.start()] == "\n" else 0)]
        return ProbeResult(knob, "off", "worker->flags is an unsigned int: set_bit()/test_bit() need an "
                           "unsigned long, so the flags are plain", lines_of(idx))
    if member:
        return ProbeResult(knob, None, "worker->flags is unsigned long, which bitops need, but no access is in view")
    return ProbeResult(knob, None, "no access to worker->flags is in view")


def _presence(knob: str, view: CodeView, names: tuple[str, ...], pattern: str, on: str, off: str,
              what: str) -> ProbeResult:
    found = view.find(names)
    if found is None:
        # a hunk may show the deciding line without its function's header;
        # a whole file without the function has nothing to say
        if view.origin != "file" and re.search(pattern, view.text):
            rows = view.text.split("\n")
            idx = [i for i, line in enumerate(rows) if re.search(pattern, line)][:3]
            return ProbeResult(knob, "on", on, tuple(f"{view.where(i)}: {rows[i].strip()}" for i in idx))
        return ProbeResult(knob, None, f"{what} is not in view")
    name, first, lines, complete = found
    idx = [i for i, line in enumerate(lines) if re.search(pattern, line)]
    if idx:
        return ProbeResult(knob, "on", on, _numbered(first, lines, idx[:3]), name)
    if complete:
        return ProbeResult(knob, "off", off, (), name)
    return ProbeResult(knob, None, f"only part of {name} is in view", (), name)


def probe_exit_on_idle(view: CodeView) -> ProbeResult:
    return _presence("exit_on_idle", view, WORKER_LOOP, r"IO_WQ_BIT_EXIT_ON_IDLE",
                     "the worker loop's exit condition tests IO_WQ_BIT_EXIT_ON_IDLE",
                     "the worker loop never exits for an idle last worker", "the io-wq worker loop")


def probe_hash_defer(view: CodeView) -> ProbeResult:
    return _presence("hash_defer", view, DEC_RUNNING, r"\bio_wq_hash_defer\s*\(",
                     "the sleep hook asks io_wq_hash_defer() before requesting a worker",
                     "the sleep hook requests a worker whenever work is queued", "the sleep hook (dec_running)")


def probe_ignore_nonbusy(view: CodeView) -> ProbeResult:
    return _presence("ignore_nonbusy_sleeper", view, DEC_RUNNING, r"if\s*\(\s*!\s*worker->cur_work\s*\)",
                     "a sleeper without cur_work does not ask for a worker",
                     "any sleeper may ask for a worker", "the sleep hook (dec_running)")


def probe_activate_gate(view: CodeView) -> ProbeResult:
    knob = "activate_requires_sleeping_target"
    found = view.find(ACTIVATE)
    if found is None:
        return ProbeResult(knob, None, "the free-worker activation function is not in view")
    name, first, lines, complete = found
    idx = [i for i, line in enumerate(lines) if "wake_up_process(" in line]
    if not idx:
        return ProbeResult(knob, None, f"the wake in {name} is not in view", (), name)
    gated = [i for i in idx if re.search(r"if\s*\(\s*wake_up_process\(", lines[i])]
    if gated:
        return ProbeResult(knob, "on", "activation counts only if wake_up_process() woke a sleeper",
                           _numbered(first, lines, gated), name)
    return ProbeResult(knob, "off", "activation counts whether or not the worker was asleep",
                       _numbered(first, lines, idx), name)


def probe_worker_lists(view: CodeView) -> ProbeResult:
    knob = "per_acct_worker_lists"
    found = view.find(ACTIVATE)
    if found is None:
        return ProbeResult(knob, None, "the free-worker activation function is not in view")
    name, first, lines, complete = found
    for i, line in enumerate(lines):
        if re.search(r"&acct->free_list", line):
            return ProbeResult(knob, "on", "the free list belongs to the acct", _numbered(first, lines, [i]), name)
        if re.search(r"&(?:wq|wqe)->free_list", line):
            return ProbeResult(knob, "off", "one free list for both accts", _numbered(first, lines, [i]), name)
    return ProbeResult(knob, None, f"the free-list walk of {name} is not in view", (), name)


def probe_iterator(view: CodeView) -> ProbeResult:
    """io_wq_for_each_worker(), which exit and exit-on-idle use to wake every
    worker. Until 6.15 it walks the one all_list of the wq (or wqe): every
    worker. From 751eedc4b4b7 it walks each acct with io_acct_for_each_worker(),
    which returns true only when a callback asked to stop; 6.15-6.18.x wrote
    `if (!io_acct_for_each_worker(...)) return false;`, so a full walk of the
    bound acct ended the whole walk and unbound workers were never woken
    (fixed Jan 2026: `if (io_acct_for_each_worker(...)) break;`)."""
    knob = "exit_wakes_all_accts"
    found = view.find(ITERATOR)
    if found is None:
        return ProbeResult(knob, None, "io_wq_for_each_worker is not in view")
    name, first, lines, complete = found
    for i, line in enumerate(lines):
        m = re.search(r"\bif\s*\(\s*(!?)\s*io_acct_for_each_worker\s*\(", line)
        if m and m.group(1):
            return ProbeResult(knob, "off", "the walk over the accts stops when an acct's walk returns false, "
                               "as every complete walk does: only the first (bound) acct is walked",
                               _numbered(first, lines, [i]), name)
        if m:
            return ProbeResult(knob, "on", "the walk over the accts stops only when a callback asks it to",
                               _numbered(first, lines, [i]), name)
    for i, line in enumerate(lines):
        if re.search(r"list_for_each_entry\w*\s*\(\s*\w+\s*,\s*&\s*(?:wq|wqe)->all_list\b", line):
            return ProbeResult(knob, "on", "one all_list holds the workers of both accts and is walked whole",
                               _numbered(first, lines, [i]), name)
    if complete:
        return ProbeResult(knob, None, f"{name} walks neither the accts nor one all_list", (), name)
    return ProbeResult(knob, None, f"the walk of {name} is not in view", (), name)


PROBES = (probe_create_cb, probe_exit_on_idle, probe_do_kill, probe_flags, probe_hash_defer,
          probe_ignore_nonbusy, probe_activate_gate, probe_iterator, probe_worker_lists)


def probe_all(view: CodeView) -> dict[str, ProbeResult]:
    return {r.knob: r for r in (p(view) for p in PROBES)}
