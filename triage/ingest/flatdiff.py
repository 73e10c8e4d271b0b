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

import heapq
import re
from dataclasses import dataclass

from triage.errors import DiffError
from triage.model import Recovery
from triage.patterns import HUNK_ANYWHERE, INDEX_ANYWHERE, hunk_numbers

_FILE = re.compile(r"diff --git (?P<a>\S+) (?P<b>\S+)")
_MODE = re.compile(r"\b(?P<what>new file mode|deleted file mode) (?P<mode>\d{6})")
_MAX_LINE_TOKENS = 48
# Search steps (states expanded plus moves considered) one diff may take,
# ~4 us each here: the budget bounds a rebuild to about 3 s. The 1,476
# io-wq.c hunks of ../shared/lore-io-wq of <= 40 lines, flattened, need at
# most 563,793 (99% under 162,000).
STATE_BUDGET = 600_000

_GIT_HEADER = re.compile(r"diff --git a/\S+ b/\S")
_MARKER = re.compile(r"\s[+-] ")


def looks_flattened(line: str) -> bool:
    """A single text line that holds diff headers and hunk lines together:
    a hunk header after a `diff --git` header, or after other text and
    followed by a marked line. Written as linear scans: the regex this
    replaces (`\\S.*@@ ...`) restarted at every character and took minutes
    on a 5 MB line."""
    if "@@ -" not in line:
        return False
    git = _GIT_HEADER.search(line)
    if git and HUNK_ANYWHERE.search(line, git.end()):
        return True
    first_text = len(line) - len(line.lstrip())
    last_marker = -1
    for m in _MARKER.finditer(line):
        last_marker = m.start()
    for head in HUNK_ANYWHERE.finditer(line):
        if head.start() > first_text and line[head.end():head.end() + 1] == " " and head.end() <= last_marker:
            return True
    return False


@dataclass(frozen=True)
class _Choice:
    cost: float
    ties: int
    lines: tuple[tuple[str, str], ...]  # (kind, text)
    bad_ends: int
    leftover: int


_DECL_START = re.compile(r"^(?:static|void|int|bool|unsigned|long|struct|enum|union|const|inline|u\d+|s\d+)\b")


def _end_cost(text: str) -> tuple[float, int]:
    """Cost of a C line ending here; the int counts 'mid-statement' ends."""
    if not text:
        return 0.0, 0
    if text == "*":
        return 0.3, 0  # an empty comment line: real, but rarer than text
    if text.endswith("*/") and len(text) > 2 and not text.startswith(("/*", "*")):
        return 0.5, 0  # comment text continues on lines that start with "*"
    if text.endswith("{") and "(" in text and _DECL_START.match(text) and "=" not in text:
        return 0.4, 0  # kernel style opens a function body on its own line
    if text.endswith("{") and text.startswith("__"):
        return 0.4, 0  # an annotation (__releases(x)) stands on its own line
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
        return 0.1  # only a function body opens on a line of its own
    if first == "else" or first.startswith("else{"):
        return 0.5  # kernel style is "} else {" on one line
    return 0.0


_STATEMENT_WORDS = {"if", "for", "while", "return", "switch", "do", "goto", "break", "continue"}


def _join_cost(words: list[str]) -> float:
    """Two statements on one line are rare in kernel C: penalise a `;`, `{`,
    `}` or label `:` that ends a token inside the line at bracket depth 0
    (`for (a; b; c) {` stays cheap because its `;` are inside parentheses)."""
    cost = 0.0
    depth = 0
    text = " ".join(words)
    if text.count(")") > text.count("("):
        cost += 0.3  # closes a parenthesis opened on an earlier line: a continuation
    if re.match(r"^(?:if|while|for|else if)\b", text):
        # "if (x) foo();" on one line: checkpatch wants the statement below
        close = _condition_end(text)
        if close is not None and text[close:].strip() not in ("", "{"):
            cost += 0.6
    # A lone "+"/"-" inside a line is arithmetic ("a - 1") unless what
    # follows cannot be an operand: a statement keyword, or an assignment
    # ("- if (x)", "+ x = y;"): then it is a diff marker and a line starts.
    for k, word in enumerate(words[1:-1], start=1):
        if word in ("+", "-"):
            following = words[k + 1]
            keyword = re.match(r"\w*", following).group(0) in _STATEMENT_WORDS
            assigns = k + 2 < len(words) and words[k + 2] in ("=", "+=", "-=", "|=", "&=")
            if keyword or assigns or words[k - 1][-1:] in (";", "{", "}"):
                cost += 1.0
    # "x = { .a = 1, .b = 2 };" is one line with its braces balanced
    balanced = text.count("{") == text.count("}") and text.endswith(";")
    for k, word in enumerate(words[:-1]):
        depth += word.count("(") - word.count(")")
        if depth > 0:
            continue
        if balanced and ("{" in word or "}" in word):
            continue
        if word.endswith((";", "{")) or re.fullmatch(r"[A-Za-z_]\w*:", word):
            cost += 0.6
        elif word.endswith("}") and words[k + 1] not in ("else", "while"):
            cost += 0.6
        elif word.endswith(")") and re.match(r"\w*", words[k + 1]).group(0) in _STATEMENT_WORDS:
            cost += 0.6  # "f(x) if (y)": a signature or condition, then a statement
    return cost


def _condition_end(text: str) -> int | None:
    """Index just past the parenthesised condition of if/while/for."""
    start = text.find("(")
    if start < 0:
        return None
    depth = 0
    for k in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[k], 0)
        if depth == 0:
            return k + 1
    return None


class _Search:
    """Where do the lines break? States are (token index, old lines so far,
    new lines so far, blank line taken at this newline, previous line kind);
    the value is the cheapest way to finish, with the number of ties.
    Back-pointers rebuild the lines once, at the end.

    Bounded: states are evaluated bottom-up from an explicit stack (a hunk
    of a thousand lines is a thousand states deep, never a recursion), and
    every evaluated state is charged to a budget shared by the whole diff;
    past it the diff is reported as not rebuilt, with the reason."""

    def __init__(self, tokens: tuple[str, ...], breaks: frozenset[int], old_len: int, new_len: int,
                 last: bool, budget: "_Budget") -> None:
        self.tokens, self.breaks = tokens, breaks
        self.old_len, self.new_len, self.last = old_len, new_len, last
        self.n = len(tokens)
        self.lines: dict = {}
        self.span_cache: dict = {}
        self.template_cache: dict = {}
        self.budget = budget
        # breaks at or after position i: a blank context line needs one
        self.breaks_after = [0] * self.n + [int(self.n in breaks)]
        # tokens at or after i that could start an added / a removed line:
        # the remaining added lines minus removed lines must lie within them
        self.plus_after = [0] * (self.n + 1)
        self.minus_after = [0] * (self.n + 1)
        for k in range(self.n - 1, -1, -1):
            self.breaks_after[k] = self.breaks_after[k + 1] + (k in breaks)
            kind = self._kind(tokens[k])
            self.plus_after[k] = self.plus_after[k + 1] + (kind == "+")
            self.minus_after[k] = self.minus_after[k + 1] + (kind == "-")

    @staticmethod
    def _kind(first: str) -> str:
        return first[0] if first[:1] in "+-" and not first.startswith(("++", "--", "->")) else " "

    def line(self, i: int, j: int):
        key = (i, j)
        if key not in self.lines:
            first = self.tokens[i]
            kind = self._kind(first)
            head = first[1:] if kind != " " else first
            words = ([head] if head else []) + list(self.tokens[i + 1:j])
            text = " ".join(words)
            end, bad = _end_cost(text)
            base = end + (_start_cost(words[0]) + _join_cost(words) if words else 0.0)
            self.lines[key] = (kind, text, base, bad)
        return self.lines[key]

    def spans(self, i: int) -> list:
        """Every line that can start at token i, whatever the state: (end,
        kind, text, cost, mid-statement, old lines, new lines)."""
        found = self.span_cache.get(i)
        if found is None:
            found = self.span_cache[i] = []
            for j in range(i + 1, min(self.n, i + _MAX_LINE_TOKENS) + 1):
                if j - 1 > i and (j - 1) in self.breaks:
                    break  # a line never spans a surviving newline
                kind, text, base, bad = self.line(i, j)
                if kind == " " and not text:
                    continue
                found.append((j, kind, text, round(base * 20), bad, 0 if kind == "+" else 1,
                              0 if kind == "-" else 1))
        return found

    def _moves(self, state):
        """(terminal cost or None, [(next state, line, cost, mid-statement)]).
        A terminal cost is what ending the hunk here costs: 0 when the
        counts are met at the end of the tokens, 0.6 a word when the last
        hunk leaves text over (a signature, a footer). Costs are integers
        in twentieths: every cost of the model is a multiple of 0.05, and
        integers make ties exact."""
        i, old, new, blank_used, prev = state
        done = old == self.old_len and new == self.new_len
        if i == self.n:
            if done:
                return 0, []
            # a newline at the very end stands for a last blank context line
            if (i in self.breaks and not blank_used and old + 1 == self.old_len
                    and new + 1 == self.new_len):
                return None, [((i, old + 1, new + 1, True, " "), (" ", ""), 2, 0)]
            return None, []
        if done:
            return (12 * (self.n - i), []) if self.last else (None, [])
        # every remaining line needs a token, but one blank per newline
        if self.n - i + self.breaks_after[i] < max(self.old_len - old, self.new_len - new):
            return None, []
        # added minus removed lines still to come is fixed by the counts, and
        # each such line starts at a marker token
        surplus = (self.new_len - new) - (self.old_len - old)
        if not -self.minus_after[i] <= surplus <= self.plus_after[i]:
            return None, []
        moves = []
        if i in self.breaks and not blank_used and old < self.old_len and new < self.new_len:
            moves.append(((i, old + 1, new + 1, True, " "), (" ", ""), 2, 0))
        old_len, new_len = self.old_len, self.new_len
        for j, d_old, d_new, after, line, cost, bad in self._templates(i, prev):
            if old + d_old > old_len or new + d_new > new_len:
                break
            moves.append(((j, old + d_old, new + d_new, False, after), line, cost, bad))
        return None, moves

    def _templates(self, i: int, prev: str) -> list:
        """The lines that can start at token i after a line of kind prev,
        with their cost: (end, old lines, new lines, kind tag, line, cost,
        mid-statement). Independent of the line counts, so computed once
        per (i, prev) rather than once per state."""
        key = (i, prev)
        found = self.template_cache.get(key)
        if found is None:
            found = self.template_cache[key] = []
            for j, kind, text, base, bad, d_old, d_new in self.spans(i):
                cost = base
                if not text:
                    # A blank added/removed line; two in a row are rare in kernel
                    # code (checkpatch objects), which settles "+ + foo();".
                    cost = 16 if prev.endswith("b") else 6
                if kind != " " and not prev.startswith(kind):
                    # Each new run of changes costs: a patch's added lines come
                    # in blocks, which settles "+ foo(); + bar();" splits.
                    cost += 5
                found.append((j, d_old, d_new, kind + ("b" if not text else ""), (kind, text), cost, bad))
        return found

    def solve(self, starts: list[tuple[tuple, int]]):
        """The cheapest split from any of the starts (state, initial cost):
        (start index, cost, number of equally cheap splits, lines, lines
        ending mid-statement, words left over), or None.

        Uniform-cost search (Dijkstra) over the DAG of states, so only the
        states cheaper than the best split are ever expanded (a memoised
        search of every state took minutes on the lore archive). Among
        equal costs a state is expanded after everything that leads to it
        (every move advances the token index or the line counts), so the
        number of cheapest ways into it is complete when it is expanded.
        The chosen split takes, at each state, the first cheapest move in
        move order: the same choice the exhaustive search made."""
        goal = ("goal",)
        dist: dict = {}
        count: dict = {}
        preds: dict = {}  # state -> states with a cheapest move into it
        heap: list = []
        for index, (state, cost) in enumerate(starts):
            if state not in dist or cost < dist[state]:
                dist[state], count[state], preds[state] = cost, 1, []
                heapq.heappush(heap, (cost, state[0], state[1] + state[2], index, state))
        done: set = set()
        best = None
        serial = len(starts)
        heappush, heappop = heapq.heappush, heapq.heappop
        end_key = self.n + 1
        while heap:
            cost, _, _, _, state = heappop(heap)
            if state in done or cost != dist[state]:
                continue
            if best is not None and cost > best:
                break
            done.add(state)
            if state is goal:
                best = cost
                continue
            terminal, moves = self._moves(state)
            self.budget.charge(1 + len(moves))
            ways = count[state]
            if terminal is not None:
                moves.append((goal, None, terminal, 0))
            for nxt, _, step, _ in moves:
                d = cost + step
                known = dist.get(nxt)
                if known is None or d < known:
                    dist[nxt], count[nxt], preds[nxt] = d, ways, [state]
                    serial += 1
                    if nxt is goal:
                        heappush(heap, (d, end_key, 0, serial, nxt))
                    else:
                        heappush(heap, (d, nxt[0], nxt[1] + nxt[2], serial, nxt))
                elif d == known:
                    count[nxt] = min(count[nxt] + ways, 10**6)
                    preds[nxt].append(state)
        if best is None:
            return None
        # states on a cheapest split: walk the cheapest moves back from the goal
        on_path = {goal}
        stack = [goal]
        while stack:
            for p in preds[stack.pop()]:
                if p not in on_path:
                    on_path.add(p)
                    stack.append(p)
        start_index = next(k for k, (state, cost) in enumerate(starts)
                           if state in on_path and dist[state] == cost)
        state = starts[start_index][0]
        lines, bad_ends, leftover = [], 0, 0
        while True:
            terminal, moves = self._moves(state)
            step = next(((nxt, line, bad) for nxt, line, c, bad in moves
                         if nxt in on_path and dist[nxt] == dist[state] + c), None)
            if step is None:  # the goal: the hunk ends here
                leftover = self.n - state[0] if terminal else 0
                break
            state, line, bad = step
            lines.append(line)
            bad_ends += bad
        return start_index, best, count[goal], tuple(lines), bad_ends, leftover


class _Budget:
    """Search steps one diff may take (see STATE_BUDGET)."""

    def __init__(self, limit: int, words: int) -> None:
        self.limit, self.used, self.words = limit, 0, words

    def charge(self, steps: int) -> None:
        self.used += steps
        if self.used > self.limit:
            raise DiffError("flattened diff", f"not rebuilt: finding where the line breaks of its "
                            f"{self.words:,} words were takes more than {self.limit:,} search steps "
                            "(the search is bounded; restore the line breaks by hand, or fetch the raw mail)")


def _hint_split(tokens: tuple[str, ...], breaks: frozenset[int], old_len: int, new_len: int,
                last: bool, budget: "_Budget") -> tuple[str, _Choice]:
    """Choose git's section text (a prefix of the tokens: it is on the @@
    line, so it never spans a surviving newline) and the line breaks after
    it, in one search that starts from every prefix length at once."""
    search = _Search(tokens, breaks, old_len, new_len, last, budget)
    starts: list[tuple[tuple, int]] = []
    hints: list[str] = []
    for s in range(0, min(len(tokens), 24) + 1):
        if s > 1 and (s - 1) in breaks:
            break
        hint = " ".join(tokens[:s])
        if s and not re.match(r"^[A-Za-z_#]", hint):
            continue
        if s and re.match(r"^[+-](?:$|[A-Za-z_])", tokens[s - 1]):
            break  # a diff marker: the section text (one C line) ended before it
        # git writes a section text whenever a line before the hunk starts
        # with a letter (almost always, in C): its absence costs.
        if not hint:
            hint_cost = 0.5 if tokens and re.match(r"^[A-Za-z_]", tokens[0]) else 0.0
        else:
            # a wrapped signature's first line ends in ","; a lone keyword
            # ("static") is a worse section text than the declaration
            hint_cost = (0.0 if hint.endswith((")", "{", ");")) else 0.1 if hint.endswith(",") else 0.3)
            hint_cost += _join_cost(hint.split() + ["x"])
            if "(" not in hint and "{" not in hint:
                hint_cost += 0.6
        starts.append(((s, 0, 0, False, ""), round(hint_cost * 20)))
        hints.append(hint)
    found = search.solve(starts)
    if found is None:
        raise DiffError("flattened diff", f"no way to split a hunk into {old_len} old / {new_len} new lines")
    index, cost, ties, lines, bad_ends, leftover = found
    return hints[index], _Choice(cost / 20, ties, lines, bad_ends, leftover)


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
    budget = _Budget(STATE_BUDGET, len(text.split()))
    for f_index, f_match in enumerate(files):
        end = files[f_index + 1].start() if f_index + 1 < len(files) else len(text)
        chunk = text[f_match.start():end]
        hunks = list(HUNK_ANYWHERE.finditer(chunk))
        header = chunk[: hunks[0].start()] if hunks else chunk
        out.append(f"diff --git {f_match.group('a')} {f_match.group('b')}")
        if mode := _MODE.search(header):
            out.append(f"{mode.group('what')} {mode.group('mode')}")
        if index := INDEX_ANYWHERE.search(header):
            line = f"index {index.group('old')}..{index.group('new')}"
            out.append(line + (f" {index.group('mode')}" if index.group("mode") else ""))
        old_name = re.search(r"--- (\S+)", header)
        new_name = re.search(r"\+\+\+ (\S+)", header)
        if old_name and new_name:
            out.append(f"--- {old_name.group(1)}")
            out.append(f"+++ {new_name.group(1)}")
        for h_index, h_match in enumerate(hunks):
            h_end = hunks[h_index + 1].start() if h_index + 1 < len(hunks) else len(chunk)
            _, old_len, _, new_len = hunk_numbers(h_match, "flattened diff")
            tokens, breaks = _tokens(chunk[h_match.end():h_end])
            last = f_index == len(files) - 1 and h_index == len(hunks) - 1
            hint, choice = _hint_split(tokens, breaks, old_len, new_len, last, budget)
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
