"""`git show` / `git log -p` output: "commit <sha>", Author:, Date:, the
message indented by four spaces, then the diff."""

from __future__ import annotations

import re

from triage.ingest.body import Envelope
from triage.ingest.people import parse_date, parse_person
from triage.ingest.subject import parse_subject

COMMIT_LINE = re.compile(r"^commit (?P<sha>[0-9a-f]{40})\b")


def read_gitshow(text: str, source: str) -> tuple[Envelope, str, str]:
    """Envelope, body (message + diff, de-indented) and the commit id."""
    lines = text.replace("\r\n", "\n").split("\n")
    sha = COMMIT_LINE.match(lines[0]).group("sha")  # caller checked
    headers: dict[str, str] = {}
    i = 1
    while i < len(lines) and lines[i].strip():
        if m := re.match(r"^(\w+):\s*(.*)$", lines[i]):
            headers[m.group(1).lower()] = m.group(2)
        i += 1
    message: list[str] = []
    i += 1
    while i < len(lines) and (lines[i].startswith("    ") or not lines[i].strip()):
        if lines[i].startswith("diff --git"):
            break
        message.append(lines[i][4:] if lines[i].startswith("    ") else "")
        i += 1
    while message and not message[-1]:
        message.pop()
    subject = message[0] if message else None
    date = parse_date(headers.get("date", "")) if headers.get("date") else None
    if date is None and headers.get("date"):
        date = _git_default_date(headers["date"])
    env = Envelope(
        source=source,
        form="git-show",
        subject=parse_subject(subject, date) if subject else None,
        author=parse_person(headers["author"]) if headers.get("author") else None,
        date=date,
    )
    # The upstream id of the commit itself is what a stable reviewer wants.
    body = "\n".join(message[1:] + [""] + lines[i:])
    return env, body, sha


def _git_default_date(text: str) -> str | None:
    """git's default format: "Tue May 7 06:49:08 2024 -0600"."""
    m = re.match(r"^\w{3} (\w{3}) +(\d+) (\d\d:\d\d:\d\d) (\d{4}) ([+-]\d{4})$", text.strip())
    if not m:
        return None
    return parse_date(f"{m.group(2)} {m.group(1)} {m.group(4)} {m.group(3)} {m.group(5)}")
