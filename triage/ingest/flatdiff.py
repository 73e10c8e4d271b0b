"""Rebuild a diff whose newlines were lost.

Web archives and some mail clients turn a patch into one paragraph: every
line break becomes a space, leading tabs are gone, and the only surviving
newlines are where blank lines were (seed 000 is like this). What is left
to go on:

* the file headers and `@@ -a,b +c,d @@` headers survive as text, so each
  hunk's old and new line counts are known;
* added and removed lines still start with a `+` / `-` token;
* C lines mostly end at `;`, `{`, `}`, `)` or a label's `:`.

A hunk body is a token sequence; we choose where lines break so that the
counts come out exactly (context = old - removed = new - added) and as few
lines as possible end mid-statement. Several equally good choices lower the
confidence. The section text git put after `@@` is part of the same token
stream and is split off by the same search.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from triage.errors import DiffError
from triage.model import Recovery

_FILE = re.compile(r"diff --git (?P<a>\S+) (?P<b>\S+)")
_HUNK = re.compile(r"@@ -(?P<os>\d+)(?:,(?P<ol>\d+))? \+(?P<ns>\d+)(?:,(?P<nl>\d+))? @@")
_INDEX = re.compile(r"\bindex (?P<old>[0-9a-f]{7,40})\.\.(?P<new>[0-9a-f]{7,40})(?: (?P<mode>\d{6}))?")
_MODE = re.compile(r"\b(?P<what>new file mode|deleted file mode) (?P<mode>\d{6})")
_MAX_LINE_TOKENS = 48
_STATE_BUDGET = 400_000

FLATTENED_HINT = re.compile(r"diff --git a/\S+ b/\S+.*@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@|\S.*@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@ .*\s[+-] ")


def looks_flattened(line: str) -> bool:
    """A single text line that holds diff headers and hunk lines together."""
    return bool(FLATTENED_HINT.search(line))


@dataclass(frozen=True)
class _Choice:
    cost: float
    ties: int
    lines: tuple[tuple[str, str], ...]  # (kind, text)
    bad_ends: int
    leftover: int


def _end_cost(text: str) -> tuple[float, int]:
    """Cost of a C line ending here; the int counts 'mid-statement' ends."""
    if not text:
        return 0.0, 0
    if text.endswith(("*/", "\\")) or text[-1] in ";{}":
        return 0.0, 0
    if text[-1] == ":":
        return 0.2, 0
    if text[-1] == ")":
        return 0.3, 0
    if text[-1] == ",":
        return 0.4, 0
    if text.endswith(("&&", "||")):
        return 0.5, 0
    if text.startswith(("#", "*", "/*")):
        return 0.1, 0
    return 1.0, 1


def _start_cost(first: str) -> float:
    if first[:1] in ")?" or first.startswith(("&&", "||")):
        return 0.8  # continuation lines exist, but rarely
    if first == "{":
        return 0.3  # kernel style opens a block on the line of its statement
    if first == "else" or first.startswith("else{"):
        return 0.5  # kernel style is "} else {" on one line
    return 0.0


def _join_cost(words: list[str]) -> float:
    """Two statements on one line are rare in kernel C: penalise a `;`, `{`,
    `}` or label `:` that ends a token inside the line at bracket depth 0
    (`for (a; b; c) {` stays cheap because its `;` are inside parentheses)."""
    cost = 0.0
    depth = 0
    for k, word in enumerate(words[:-1]):
        depth += word.count("(") - word.count(")")
        if depth > 0:
            continue
        if word.endswith((";", "{")) or re.fullmatch(r"[A-Za-z_]\w*:", word):
            cost += 0.6
        elif word.endswith("}") and words[k + 1] not in ("else", "while"):
            cost += 0.6
        elif word.endswith(")") and words[k + 1].split("(")[0] in _STATEMENT_WORDS:
            cost += 0.6  # "f(x) if (y)": a signature or condition, then a statement
    return cost


_STATEMENT_WORDS = {"if", "for", "while", "return", "switch", "do", "goto", "break", "continue"}


def _segment(tokens: tuple[str, ...], breaks: frozenset[int], old_len: int, new_len: int,
             last: bool) -> _Choice:
    budget = [0]
    n = len(tokens)

    @lru_cache(maxsize=None)
    def best(i: int, old: int, new: int, blank_used: bool, prev: str = "") -> _Choice | None:
        budget[0] += 1
        if budget[0] > _STATE_BUDGET:
            raise DiffError("flattened diff", "too large to rebuild with confidence")
        done = old == old_len and new == new_len
        if i == n:
            return _Choice(0.0, 1, (), 0, 0) if done else None
        options: list[_Choice] = []
        if done:
            if not last:
                return None
            leftover = n - i
            options.append(_Choice(0.6 * leftover, 1, (), 0, leftover))
        # A surviving newline may stand for one blank context line.
        if i in breaks and not blank_used and old < old_len and new < new_len:
            rest = best(i, old + 1, new + 1, True, " ")
            if rest is not None:
                options.append(_Choice(rest.cost + 0.1, rest.ties, ((" ", ""),) + rest.lines,
                                       rest.bad_ends, rest.leftover))
        first = tokens[i]
        if first[:1] in "+-" and not first.startswith(("++", "--", "->")):
            kind, head = first[0], first[1:]
        else:
            kind, head = " ", first
        d_old = 0 if kind == "+" else 1
        d_new = 0 if kind == "-" else 1
        if old + d_old > old_len or new + d_new > new_len:
            return _pick(options)
        for j in range(i + 1, min(n, i + _MAX_LINE_TOKENS) + 1):
            if j - 1 > i and (j - 1) in breaks:
                break  # a line never spans a surviving newline
            words = ([head] if head else []) + list(tokens[i + 1:j])
            text = " ".join(words)
            if kind == " " and not text:
                continue
            rest = best(j, old + d_old, new + d_new, False, kind + ("b" if not text else ""))
            if rest is None:
                continue
            end, bad = _end_cost(text)
            if not text:
                # A blank added/removed line; two in a row are rare in kernel
                # code (checkpatch objects), which settles "+ + foo();".
                end = 0.8 if prev.endswith("b") else 0.3
            if kind != " " and not prev.startswith(kind):
                # Each new run of changes costs: a patch's added lines come
                # in blocks, which settles "+ foo(); + bar();" splits.
                end += 0.25
            cost = end + (_start_cost(words[0]) + _join_cost(words) if words else 0.0)
            options.append(_Choice(rest.cost + cost, rest.ties, ((kind, text),) + rest.lines,
                                   rest.bad_ends + bad, rest.leftover))
        return _pick(options)

    choice = best(0, 0, 0, False)
    best.cache_clear()
    if choice is None:
        raise DiffError("flattened diff", f"no way to split the text into {old_len} old / {new_len} new lines")
    return choice


def _pick(options: list[_Choice]) -> _Choice | None:
    if not options:
        return None
    low = min(o.cost for o in options)
    winners = [o for o in options if abs(o.cost - low) < 1e-9]
    head = winners[0]
    ties = sum(o.ties for o in winners)
    return _Choice(head.cost, min(ties, 10**6), head.lines, head.bad_ends, head.leftover)


def _hint_split(tokens: tuple[str, ...], breaks: frozenset[int], old_len: int, new_len: int,
                last: bool) -> tuple[str, _Choice]:
    """Try every length of git's section text; it is on the @@ line, so it
    never spans a surviving newline."""
    results: list[tuple[float, str, _Choice]] = []
    for s in range(0, min(len(tokens), 24) + 1):
        if s and (s - 1) in breaks and s - 1 > 0:
            break
        hint = " ".join(tokens[:s])
        if s and not re.match(r"^[A-Za-z_#]", hint):
            continue
        rest_breaks = frozenset(b - s for b in breaks if b - s > 0)
        try:
            choice = _segment(tokens[s:], rest_breaks, old_len, new_len, last)
        except DiffError:
            continue
        # git writes a section text whenever a line before the hunk starts
        # with a letter (almost always, in C): its absence costs.
        if not hint:
            hint_cost = 0.5 if tokens and re.match(r"^[A-Za-z_]", tokens[0]) else 0.0
        else:
            hint_cost = 0.0 if hint.endswith((")", "{")) else 0.3
            hint_cost += _join_cost(hint.split() + ["x"])
        results.append((choice.cost + hint_cost, hint, choice))
    if not results:
        raise DiffError("flattened diff", f"no way to split a hunk into {old_len} old / {new_len} new lines")
    low = min(r[0] for r in results)
    winners = [r for r in results if abs(r[0] - low) < 1e-9]
    _, hint, choice = winners[0]
    ties = sum(r[2].ties for r in winners)
    return hint, _Choice(choice.cost, ties, choice.lines, choice.bad_ends, choice.leftover)


def _tokens(text: str) -> tuple[tuple[str, ...], frozenset[int]]:
    tokens: list[str] = []
    breaks: set[int] = set()
    for k, segment in enumerate(text.split("\n")):
        if k and tokens:
            breaks.add(len(tokens))
        tokens.extend(segment.split())
    return tuple(tokens), frozenset(breaks)


def rebuild(text: str) -> tuple[str, Recovery, str]:
    """Canonical diff text, how it was recovered, and any trailing text that
    followed the last hunk (a signature, a footer)."""
    files = list(_FILE.finditer(text))
    if not files:
        raise DiffError("flattened diff", "no 'diff --git' header found")
    out: list[str] = []
    notes: list[str] = []
    confidence = 1.0
    trailing = ""
    total_lines = 0
    for f_index, f_match in enumerate(files):
        end = files[f_index + 1].start() if f_index + 1 < len(files) else len(text)
        chunk = text[f_match.start():end]
        hunks = list(_HUNK.finditer(chunk))
        header = chunk[: hunks[0].start()] if hunks else chunk
        out.append(f"diff --git {f_match.group('a')} {f_match.group('b')}")
        if mode := _MODE.search(header):
            out.append(f"{mode.group('what')} {mode.group('mode')}")
        if index := _INDEX.search(header):
            line = f"index {index.group('old')}..{index.group('new')}"
            out.append(line + (f" {index.group('mode')}" if index.group("mode") else ""))
        old_name = re.search(r"--- (\S+)", header)
        new_name = re.search(r"\+\+\+ (\S+)", header)
        if old_name and new_name:
            out.append(f"--- {old_name.group(1)}")
            out.append(f"+++ {new_name.group(1)}")
        for h_index, h_match in enumerate(hunks):
            h_end = hunks[h_index + 1].start() if h_index + 1 < len(hunks) else len(chunk)
            old_len = int(h_match.group("ol") or 1)
            new_len = int(h_match.group("nl") or 1)
            tokens, breaks = _tokens(chunk[h_match.end():h_end])
            last = f_index == len(files) - 1 and h_index == len(hunks) - 1
            hint, choice = _hint_split(tokens, breaks, old_len, new_len, last)
            out.append(chunk[h_match.start():h_match.end()] + (f" {hint}" if hint else ""))
            out.extend(kind + line for kind, line in choice.lines)
            total_lines += len(choice.lines)
            if choice.leftover:
                trailing = " ".join(tokens[len(tokens) - choice.leftover:])
            share = 1.0 / choice.ties
            penalty = max(0.2, 1.0 - 0.15 * choice.bad_ends)
            confidence = min(confidence, share * penalty)
            notes.append(
                f"{f_match.group('b')} hunk {h_index + 1}: {len(choice.lines)} lines, "
                f"{choice.ties} equally good split(s), {choice.bad_ends} line(s) ending mid-statement"
            )
    # A unique best split still rests on layout priors, never on the
    # original bytes: a reconstruction is never certain.
    confidence = min(confidence, 0.9)
    detail = (
        f"diff rebuilt from text whose line breaks were lost ({total_lines} lines; "
        "indentation is not recoverable). " + "; ".join(notes)
    )
    return "\n".join(out) + "\n", Recovery("flattened", round(confidence, 3), detail), trailing
