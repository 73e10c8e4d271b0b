"""mboxrd framing, shared by the reply mails and the mbox for git am: a
`From ` separator per message, and every body line that begins with
`From ` (after any number of `>`) given one more `>` (git am
--patch-format=mboxrd and git send-email undo it)."""

from __future__ import annotations

import re

SEPARATOR = "From iowq-triage Thu Jan  1 00:00:00 1970"


def escape(text: str) -> str:
    return re.sub(r"^(>*From )", r">\1", text, flags=re.MULTILINE)


def join(messages: list[str], separators: list[str] | None = None) -> str:
    """The messages (headers, blank line, body) as one mboxrd file."""
    out = []
    for i, text in enumerate(messages):
        head = separators[i] if separators else SEPARATOR
        body = escape(text)
        out.append(head + "\n" + body + ("" if body.endswith("\n") else "\n"))
    return "\n".join(out)
