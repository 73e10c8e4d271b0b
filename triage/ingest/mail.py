"""RFC 822 mail and mbox files (lore threads, `git format-patch` output).

Parsing uses the stdlib compat32 policy and decodes by hand: hostile or
broken headers must not raise where a reviewer only needs the text, and an
unknown charset falls back to latin-1 with a warning instead of failing.
"""

from __future__ import annotations

import codecs
import email
import email.parser
from dataclasses import replace
import re
from email.header import decode_header
from email.message import Message as EmailMessage

from triage.ingest.body import Envelope
from triage.ingest.people import parse_date, parse_people, parse_person
from triage.ingest.subject import parse_subject
from triage.patterns import MSGID

# mbox "From " separator lines: "From <addr-or-sha> <asctime>". format-patch
# writes "From <sha> Mon Sep 17 00:00:00 2001", a fixed fake date.
FROM_LINE = re.compile(rb"^From \S+\s+\w{3} \w{3}\s+\d{1,2} \d{1,2}:\d{2}:\d{2} \d{4}\s*$")
_FORMAT_PATCH = re.compile(rb"^From [0-9a-f]{40} Mon Sep 17 00:00:00 2001")
_BODY_TYPES = ("text/plain", "text/x-patch", "text/x-diff", "text/x-csrc", "application/x-patch")


MAX_MIME_CONTAINERS = 100  # multipart containers per message; Python's parser recurses per level
_MULTIPART = re.compile(rb"^content-type:[ \t]*multipart/", re.IGNORECASE | re.MULTILINE)


_ESCAPED_FROM = re.compile(rb"^>+From ")


def split_mbox(data: bytes) -> list[bytes]:
    """Messages of an mbox; mboxrd ">From " escapes are undone."""
    chunks: list[list[bytes]] = []
    for line in data.splitlines(keepends=True):
        if FROM_LINE.match(line.rstrip(b"\r\n")):
            chunks.append([])
            continue
        if not chunks:
            chunks.append([])
        if line[:1] == b">" and _ESCAPED_FROM.match(line):
            line = line[1:]
        chunks[-1].append(line)
    return [b"".join(c) for c in chunks if any(x.strip() for x in c)]


def is_format_patch(data: bytes) -> bool:
    return bool(_FORMAT_PATCH.match(data))


# Codecs Python knows that are not charsets a mail may be written in: a
# hostile Content-Type or encoded word naming them is an unknown charset.
_NOT_CHARSETS = {"idna", "punycode", "undefined", "unicode_escape", "raw_unicode_escape", "unicode_internal",
                 "base64_codec", "hex_codec", "quopri_codec", "uu_codec", "zlib_codec", "bz2_codec", "rot_13"}


def text_codec(charset: str | None) -> str | None:
    """The Python codec for a mail charset name, or None when unknown."""
    if not charset:
        return None
    try:
        info = codecs.lookup(charset.strip().lower())
    except (LookupError, ValueError, UnicodeError):
        return None
    if info.name in _NOT_CHARSETS or not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def _decode(data: bytes, charset: str | None, what: str, notes: list[str]) -> str:
    """Bytes of a header or body in the declared charset; raw 8-bit text
    (RFC 6532 UTF-8 headers, or no charset) as UTF-8; then latin-1, which
    cannot fail, with a note."""
    codec = text_codec(charset)
    if charset and charset.lower() != "unknown-8bit" and codec is None:
        notes.append(f"{what}: unknown charset {charset[:40]!r}, read as UTF-8 or latin-1")
    for candidate in ([codec] if codec else []) + ["utf-8"]:
        try:
            return data.decode(candidate)
        except (UnicodeError, LookupError):
            continue
    label = charset if charset and charset.lower() != "unknown-8bit" else "UTF-8"
    notes.append(f"{what}: not valid {label[:40]}, read as latin-1")
    return data.decode("latin-1")


def header_text(msg: EmailMessage, name: str, notes: list[str] | None = None) -> str | None:
    """A header's text: RFC 2047 encoded words decoded, raw 8-bit bytes read
    as UTF-8 (RFC 6532; the compat32 parser hands them over as unknown-8bit)
    before any fallback, white space folded."""
    raw = msg.get(name)
    if raw is None:
        return None
    notes = notes if notes is not None else []
    try:
        chunks = decode_header(raw)
    except (UnicodeError, LookupError, ValueError, email.errors.HeaderParseError):
        return " ".join(str(raw).split())
    text = "".join(chunk if isinstance(chunk, str) else _decode(chunk, charset, f"header {name}", notes)
                   for chunk, charset in chunks)
    return " ".join(text.split())


def decode_part(part: EmailMessage) -> tuple[str, list[str]]:
    """Text of one MIME part: transfer encoding (quoted-printable, base64)
    and charset undone."""
    warnings: list[str] = []
    payload = part.get_payload(decode=True)
    if payload is None:
        payload = str(part.get_payload()).encode("utf-8", "surrogateescape")
    try:
        charset = part.get_content_charset() or "utf-8"
    except (ValueError, LookupError, UnicodeError):  # an RFC 2231 charset parameter with junk in it
        charset = "utf-8"
    codec = text_codec(charset)
    if codec is None:
        warnings.append(f"unknown charset {charset[:40]!r}, read as latin-1")
        text = payload.decode("latin-1")
    else:
        try:
            text = payload.decode(codec)
        except UnicodeError:
            if codec in ("utf-8", "ascii"):
                # 8-bit mail declared as ascii/utf-8 but written in latin-1.
                warnings.append(f"text is not valid {charset}, read as latin-1")
                text = payload.decode("latin-1")
            else:
                warnings.append(f"text is not valid {charset}, undecodable bytes replaced")
                text = payload.decode(codec, errors="replace")
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
    notes: list[str] = []
    date = parse_date(header_text(msg, "Date") or "")
    if date is None and (header_text(msg, "Date") or "").strip():
        # an impossible offset (+9999), a year past 9999, words: kept as the
        # sender wrote it, never turned into a time
        notes.append(f"Date {' '.join(header_text(msg, 'Date').split())[:60]!r} is not a date: kept as text")
    subject_text = header_text(msg, "Subject", notes)
    from_text = header_text(msg, "From", notes)
    refs = header_text(msg, "References") or ""
    reply = header_text(msg, "In-Reply-To") or ""
    msgid = MSGID.search(header_text(msg, "Message-ID") or header_text(msg, "Message-Id") or "")
    reply_id = MSGID.search(reply)
    return Envelope(
        source=source,
        form=form,
        subject=parse_subject(subject_text, date) if subject_text else None,
        author=parse_person(from_text) if from_text else None,
        date=date or header_text(msg, "Date"),
        message_id=msgid.group(1) if msgid else None,
        in_reply_to=reply_id.group(1) if reply_id else None,
        references=tuple(MSGID.findall(refs)),
        to=parse_people(header_text(msg, "To", notes) or ""),
        cc=parse_people(header_text(msg, "Cc", notes) or ""),
        warnings=tuple(notes),
    )


def read_mail(data: bytes, source: str, form: str = "mail") -> tuple[Envelope, str]:
    containers = len(_MULTIPART.findall(data))
    if containers > MAX_MIME_CONTAINERS:
        # email's feed parser recurses once per nested multipart: a mail of
        # 1,000 nested parts exhausts Python's stack. Read the headers only.
        msg = email.parser.BytesParser().parsebytes(data, headersonly=True)
        env = envelope(msg, source, form)
        return replace(env, damage=(f"{containers:,} multipart containers (more than {MAX_MIME_CONTAINERS}): "
                                    "the body is not read",)), ""
    msg = email.message_from_bytes(data)
    env = envelope(msg, source, form)
    body, warnings = body_text(msg)
    if warnings:
        env = Envelope(**{**env.__dict__, "warnings": env.warnings + tuple(warnings)})
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
