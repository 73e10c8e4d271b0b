"""Quoting levels of a mail body and who wrote each level.

A reply quotes with "> " per level; mail clients vary ("> > ", ">> ", ">").
The author of level N+1 is named by an attribution line written at level N
just before the quote starts ("On 5/3/24 11:37 AM, Breno Leitao wrote:").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PREFIX = re.compile(r"^((?:[ \t]?>)+)[ \t]?")

# Attribution forms seen on io-uring@ and in web archives:
#   On 5/27/26 8:37 AM, Runyu Xiao wrote:
#   On Fri, May 03, 2024 at 12:32:38PM -0600, Jens Axboe wrote:
#   ---- On Mon, 02 Feb 2026 23:21:22 +0800 Jens Axboe <axboe@...nel.dk> wrote ---   (Zoho)
#   On Tue, Feb 4, 2021 at 1:00 PM Pavel Begunkov <asml.silence@gmail.com> wrote:
#   Jens Axboe <axboe@kernel.dk> writes:
#   Quoting Jens Axboe (2021-08-31 12:00:00)
_WROTE = re.compile(r"^(?P<head>.*?)\s*\b(?:wrote|writes)\b\s*[-:]*\s*$", re.IGNORECASE)
_QUOTING = re.compile(r"^Quoting\s+(?P<who>[^(<]+?)\s*(?:<[^>]*>)?\s*\(.*\)\s*:?\s*$", re.IGNORECASE)
_DATE_TOKEN = re.compile(
    r"^(?:.*\d.*|AM|PM|at|on|UTC|GMT|[A-Z]{3,4}T|"
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\w*,?|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\w*,?)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class QLine:
    level: int
    text: str  # the line without its quote markers
    number: int  # 0-based line number in the body


def quote_level(line: str) -> tuple[int, str]:
    match = _PREFIX.match(line)
    if not match:
        return 0, line
    return match.group(1).count(">"), line[match.end():]


def split_levels(body: str) -> list[QLine]:
    lines = []
    for number, raw in enumerate(body.splitlines()):
        level, text = quote_level(raw)
        lines.append(QLine(level, text, number))
    return lines


def attribution(text: str) -> str | None:
    """The name in an attribution line, or None if the line is not one."""
    lowered = text.lower()
    if "wrote" not in lowered and "writes" not in lowered and "quoting" not in lowered:
        return None  # the common case, checked before any regex: called for every line of every message
    text = " ".join(text.split())
    if len(text) > 200:
        return None
    if match := _QUOTING.match(text):
        return match.group("who").strip()
    match = _WROTE.match(text)
    if not match:
        return None
    head = re.sub(r"<[^>]*>|\([^)]*\)|\S+@\S+", " ", match.group("head"))
    head = head.strip(" -,")
    dated = bool(re.match(r"^On\b", head, re.IGNORECASE))
    if dated:
        head = head[2:]
        # The name follows the date: after the last comma if any, then past
        # any remaining date and time words.
        head = head.rsplit(",", 1)[-1]
        tokens = head.split()
        while tokens and _DATE_TOKEN.match(tokens[0]):
            tokens.pop(0)
    else:
        tokens = head.split()
        # "Jens Axboe writes:" names a person; a sentence ending in "wrote"
        # does not. Names are short and capitalised.
        if not tokens or len(tokens) > 4 or not all(t[:1].isupper() for t in tokens):
            return None
    who = " ".join(tokens).strip('"').strip()
    if not who or len(who) > 80:
        return None
    return who


def level_authors(lines: list[QLine], author: str | None) -> list[str | None]:
    """For each line, the author of the text at that line's level.

    Attribution lines may wrap ("On 5/27/26, Runyu Xiao\\n wrote:"), so a
    line is also tried joined with the one before it at the same level.
    """
    authors_by_level: dict[int, str | None] = {0: author}
    result: list[str | None] = []
    previous_same: dict[int, str] = {}
    for line in lines:
        who = attribution(line.text)
        if who is None and line.level in previous_same:
            who = attribution(previous_same[line.level] + " " + line.text)
        if who is not None:
            authors_by_level[line.level + 1] = who
            for deeper in [k for k in authors_by_level if k > line.level + 1]:
                del authors_by_level[deeper]
        previous_same[line.level] = line.text
        result.append(authors_by_level.get(line.level))
    return result
