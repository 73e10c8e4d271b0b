"""RFC 822 mail and mbox files (lore threads, `git format-patch` output).

Parsing uses the stdlib compat32 policy and decodes by hand: hostile or
broken headers must not raise where a reviewer only needs the text, and an
unknown charset falls back to latin-1 with a warning instead of failing.
"""

from __future__ import annotations

import email
import re
from email.header import decode_header, make_header
from email.message import Message as EmailMessage

from triage.ingest.body import Envelope
from triage.ingest.people import parse_date, parse_people, parse_person
from triage.ingest.subject import parse_subject

# mbox "From " separator lines: "From <addr-or-sha> <asctime>". format-patch
# writes "From <sha> Mon Sep 17 00:00:00 2001", a fixed fake date.
FROM_LINE = re.compile(rb"^From \S+\s+\w{3} \w{3}\s+\d{1,2} \d{1,2}:\d{2}:\d{2} \d{4}\s*$")
_FORMAT_PATCH = re.compile(rb"^From [0-9a-f]{40} Mon Sep 17 00:00:00 2001")
_MSGID = re.compile(r"<([^<>\s]+)>")
_BODY_TYPES = ("text/plain", "text/x-patch", "text/x-diff", "text/x-csrc", "application/x-patch")


def split_mbox(data: bytes) -> list[bytes]:
    """Messages of an mbox; mboxrd ">From " escapes are undone."""
    chunks: list[list[bytes]] = []
    for line in data.splitlines(keepends=True):
        if FROM_LINE.match(line.rstrip(b"\r\n")):
            chunks.append([])
            continue
        if not chunks:
            chunks.append([])
        if re.match(rb"^>+From ", line):
            line = line[1:]
        chunks[-1].append(line)
    return [b"".join(c) for c in chunks if any(x.strip() for x in c)]


def is_format_patch(data: bytes) -> bool:
    return bool(_FORMAT_PATCH.match(data))


def header_text(msg: EmailMessage, name: str) -> str | None:
    raw = msg.get(name)
    if raw is None:
        return None
    try:
        return " ".join(str(make_header(decode_header(str(raw)))).split())
    except (UnicodeError, LookupError, ValueError, email.errors.HeaderParseError):
        return " ".join(str(raw).split())


def decode_part(part: EmailMessage) -> tuple[str, list[str]]:
    """Text of one MIME part: transfer encoding (quoted-printable, base64)
    and charset undone."""
    warnings = []
    payload = part.get_payload(decode=True)
    if payload is None:
        payload = str(part.get_payload()).encode("utf-8", "surrogateescape")
    charset = part.get_content_charset() or "utf-8"
    try:
        text = payload.decode(charset)
    except LookupError:
        warnings.append(f"unknown charset {charset!r}, read as latin-1")
        text = payload.decode("latin-1")
    except UnicodeDecodeError:
        if charset.lower() in ("utf-8", "us-ascii", "ascii"):
            # 8-bit mail declared as ascii/utf-8 but written in latin-1.
            warnings.append(f"text is not valid {charset}, read as latin-1")
            text = payload.decode("latin-1")
        else:
            warnings.append(f"text is not valid {charset}, undecodable bytes replaced")
            text = payload.decode(charset, errors="replace")
    params = {k.lower(): v.lower() for k, v in part.get_params() or [] if isinstance(v, str)}
    if params.get("format") == "flowed":
        text = _unstuff_flowed(text)
    return text.replace("\r\n", "\n"), warnings


def _unstuff_flowed(text: str) -> str:
    """RFC 3676 space-stuffing: a line starting with a space, ">" or "From "
    got one extra space. Undo that; do not join soft-wrapped lines, since a
    diff's context lines end in spaces legitimately."""
    return "\n".join(line[1:] if line.startswith(" ") else line for line in text.split("\n"))


def body_text(msg: EmailMessage) -> tuple[str, list[str]]:
    texts: list[str] = []
    warnings: list[str] = []
    for part in msg.walk() if msg.is_multipart() else [msg]:
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        if ctype not in _BODY_TYPES and not (ctype == "text/plain" or (part.get_filename("") or "").endswith((".patch", ".diff"))):
            continue
        text, more = decode_part(part)
        texts.append(text)
        warnings += more
    return "\n".join(texts), warnings


def envelope(msg: EmailMessage, source: str, form: str) -> Envelope:
    date = parse_date(header_text(msg, "Date") or "")
    subject_text = header_text(msg, "Subject")
    from_text = header_text(msg, "From")
    refs = header_text(msg, "References") or ""
    reply = header_text(msg, "In-Reply-To") or ""
    msgid = _MSGID.search(header_text(msg, "Message-ID") or header_text(msg, "Message-Id") or "")
    reply_id = _MSGID.search(reply)
    return Envelope(
        source=source,
        form=form,
        subject=parse_subject(subject_text, date) if subject_text else None,
        author=parse_person(from_text) if from_text else None,
        date=date or header_text(msg, "Date"),
        message_id=msgid.group(1) if msgid else None,
        in_reply_to=reply_id.group(1) if reply_id else None,
        references=tuple(_MSGID.findall(refs)),
        to=parse_people(header_text(msg, "To") or ""),
        cc=parse_people(header_text(msg, "Cc") or ""),
    )


def read_mail(data: bytes, source: str, form: str = "mail") -> tuple[Envelope, str]:
    msg = email.message_from_bytes(data)
    env = envelope(msg, source, form)
    body, warnings = body_text(msg)
    if warnings:
        env = Envelope(**{**env.__dict__, "warnings": tuple(warnings)})
    return env, body


def looks_like_headers(data: bytes) -> bool:
    """RFC 822 header block at the top: name: value lines up to a blank line,
    including at least one of From/Subject/Message-ID/Date."""
    head = data[:8192].replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].split(b"\n")
    if not head or not re.match(rb"^[A-Za-z][A-Za-z0-9-]*:", head[0]):
        return False
    names = set()
    for line in head:
        if line[:1] in (b" ", b"\t"):
            continue
        m = re.match(rb"^([A-Za-z][A-Za-z0-9-]*):", line)
        if not m:
            return False
        names.add(m.group(1).lower())
    return bool(names & {b"from", b"subject", b"message-id", b"date"}) and len(names) >= 2
