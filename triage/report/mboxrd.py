"""Mail text shared by the reply mails and the mbox for git am: header
fields (addresses, RFC 2047 encoded words, folding) and mboxrd framing (a
`From ` separator per message, and every body line that begins with
`From ` (after any number of `>`) given one more `>`; git am
--patch-format=mboxrd and git send-email undo it)."""

from __future__ import annotations

import re
import textwrap
from email.header import Header

from triage.model import Person

WIDTH = 72


def address(person: Person) -> str:
    """`Name <addr>`, the name quoted or RFC 2047-encoded when it must be."""
    name = person.name.replace('"', "'")
    if not name:
        return person.email
    if not name.isascii():
        name = Header(name, "utf-8").encode()
    elif re.search(r"[(),.:;<>@\[\]\\]", name):
        name = f'"{name}"'
    return f"{name} <{person.email}>"


def header_line(key: str, value: str) -> str:
    """A header whose value may be long or non-ASCII: RFC 2047 encoded words
    for non-ASCII, folding at whitespace for length."""
    lines = textwrap.wrap(f"{key}: {value}", WIDTH, subsequent_indent=" ", break_long_words=False,
                          break_on_hyphens=False)
    if not value.isascii() or any(len(line) > WIDTH for line in lines):
        # encoded words can split a word that white space cannot: a subject
        # of one 5,000-character word still folds under the limit
        return f"{key}: " + Header(value, "utf-8", header_name=key, maxlinelen=WIDTH).encode(linesep="\n")
    return "\n".join(lines)


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
