"""Ingest: any input a reviewer has (mail, mbox thread, format-patch, git
show output, plain diff, web-archive text) -> Document of Messages."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from triage.errors import InputError
from triage.ingest.body import Envelope, build_message
from triage.ingest.gitshow import COMMIT_LINE, read_gitshow
from triage.ingest.mail import FROM_LINE, is_format_patch, looks_like_headers, read_mail, split_mbox
from triage.ingest.webtext import looks_like_webtext, read_webtext
from triage.model import CommitRef, Document, Message

MAX_INPUT_BYTES = 64 * 1024 * 1024
# Messages read from one mbox. The largest of the 306 threads in
# ../shared/lore-io-wq has 71; an mbox of more than a thousand is a mailbox
# or an archive (the rest is reported, not read).
MAX_MESSAGES = 1000
_DIFF_START = re.compile(r"^(?:diff --git |--- \S|Index: \S)")
_DIFF_ANYWHERE = re.compile(r"diff --git a/|^@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@", re.MULTILINE)


def read_path(path: str | Path) -> Document:
    """Read one input file. Raises InputError for what cannot be read at all."""
    name = str(path)
    p = Path(path)
    try:
        if p.is_dir():
            raise InputError(name, "is a directory, not a mail or diff")
        size = p.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise InputError(name, f"file is {size} bytes, more than the {MAX_INPUT_BYTES} byte limit")
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError(name, "no such file") from None
    except PermissionError:
        raise InputError(name, "permission denied") from None
    except OSError as exc:
        raise InputError(name, f"cannot read: {exc.strerror or exc}") from None
    return read_bytes(data, name)


def read_bytes(data: bytes, source: str) -> Document:
    if not data.strip():
        raise InputError(source, "empty file")
    if b"\x00" in data[:65536]:
        raise InputError(source, "binary data (NUL bytes): not a mail, thread or diff")
    first = data.lstrip(b"\r\n").split(b"\n", 1)[0].rstrip(b"\r")
    if FROM_LINE.match(first):
        form = "format-patch" if is_format_patch(data.lstrip(b"\r\n")) else "mbox"
        return read_messages(split_mbox(data), source, form)
    if looks_like_headers(data):
        return _document(source, "mail", [read_mail(data, source)])
    text = _decode(data)
    if COMMIT_LINE.match(text):
        env, body, sha = read_gitshow(text, source)
        return _document(source, "git-show", [(env, body)], own_sha=sha)
    if _DIFF_START.match(text.lstrip("\n")):
        return _document(source, "diff", [(Envelope(source, "diff"), text)])
    if looks_like_webtext(text) or _DIFF_ANYWHERE.search(text):
        return _document(source, "web-text", [read_webtext(text, source)])
    raise InputError(source, "not a mail, mbox, git commit or diff (no headers, no diff found)")


def read_messages(chunks: list[bytes], source: str, form: str) -> Document:
    """Raw messages (an mbox split, or a thread from a mail archive) as one
    Document, at most MAX_MESSAGES of them."""
    cut = len(chunks) - MAX_MESSAGES
    chunks = chunks[:MAX_MESSAGES]
    pairs = [read_mail(chunk, f"{source}#{n + 1}" if len(chunks) > 1 else source, form)
             for n, chunk in enumerate(chunks)]
    doc = _document(source, form, pairs)
    if cut > 0:
        doc = replace(doc, problems=doc.problems + (
            f"{cut:,} messages after the first {MAX_MESSAGES:,} not read (limit per mbox)",))
    return doc


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _document(source: str, form: str, pairs: list[tuple[Envelope, str]], own_sha: str | None = None) -> Document:
    messages: list[Message] = []
    problems: list[str] = []
    for n, (env, body) in enumerate(pairs):
        message, errors = build_message(env, body)
        if own_sha:
            message = _with_commit(message, own_sha)
        label = f"message {n + 1}: " if len(pairs) > 1 else ""
        problems += [label + e for e in errors]
        for diff in message.diffs:
            for f in diff.files:
                if f.binary:
                    problems.append(f"{label}binary diff of {f.path}: no text to analyse")
        messages.append(message)
    if form == "diff" and not any(m.diffs for m in messages) and not problems:
        problems.append("no hunks found in the diff")
    return Document(source, form, tuple(messages), tuple(problems))


def _with_commit(message: Message, sha: str) -> Message:
    """git show input: the commit itself is the 'upstream' id of the patch,
    unless its message names another (a stable backport)."""
    if message.upstream:
        return replace(message, commits=message.commits + (CommitRef(sha, "commit"),))
    return replace(message, commits=(CommitRef(sha, "upstream"),) + message.commits)
