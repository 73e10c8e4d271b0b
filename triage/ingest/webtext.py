"""Text copied from a web mail archive (lore, lkml.org, blists, LKML
mirrors): the headers are ordinary body lines, addresses are obfuscated,
and the page carries navigation and footer lines.

Shapes seen (the seeds are one of each):
  [<prev] [next>] [<thread-prev] [thread-next>] [day] [month] [year] [list]
  Message-ID: <...>                     blists: header lines, To/Cc wrapped
  Date: Mon, 2 Feb 2026 19:29:50 -0700
  From: Jens Axboe <axboe@...nel.dk>
  Subject: Re: [PATCH v1 0/2] ...
  ...
  Powered by blists - more mailing lists

  Re: [PATCH] io_uring/io-wq: ...       LKML mirror: subject first, then
                                        From: / Date: each on its own line,
  From: Jens Axboe                      separated by blank lines, no address
  Date: Wed May 27 2026 - 12:11:06 EST

  From: Fengnan Chang changfengnan@bytedance.com     a bare From: line
"""

from __future__ import annotations

import re

from triage.ingest.body import Envelope
from triage.ingest.people import parse_date, parse_people, parse_person
from triage.ingest.subject import parse_subject
from triage.patterns import MSGID

_NAV = re.compile(r"^\s*\[<prev\]|^\s*\[(?:next>|<thread-prev|thread-next>|day|month|year|list)\]")
_FOOTER = re.compile(
    r"^\s*(?:Powered by blists|Powered by (?:lore|public-inbox)|Please check the latest version|"
    r"This inbox may be cloned|Back to the main|\^ permalink raw reply|Thread overview:|"
    r"Powered by lkml\.org|\[ ?Last update|Last update:)",
    re.IGNORECASE,
)
_HEADER = re.compile(r"^(?P<name>From|Date|Subject|To|Cc|Message-ID|Message-Id|In-Reply-To|References)\s*:\s*(?P<value>.*)$",
                     re.IGNORECASE)
_SUBJECT_FIRST = re.compile(r"^\s*(?:(?:Re|Fwd|AW)\s*:\s*)*\[(?:[^\]]*PATCH[^\]]*|RFC[^\]]*|GIT PULL[^\]]*)\]", re.IGNORECASE)
_ADDRESS_CONTINUATION = re.compile(r"^\s*[^:]*@[^:]*[,>]?\s*$|^\s*<[^>]+>,?\s*$")


def read_webtext(text: str, source: str) -> tuple[Envelope, str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [line for line in text.split("\n") if not _NAV.match(line)]
    while lines and not lines[-1].strip():
        lines.pop()
    if lines and _FOOTER.search(lines[-1]):
        # blists glues the footer to the last body line ("Jens AxboePowered by blists").
        lines.pop()
    elif lines:
        m = re.search(r"Powered by blists.*$", lines[-1])
        if m:
            lines[-1] = lines[-1][: m.start()].rstrip()
    lines = [line for line in lines if not _FOOTER.match(line)]
    headers: dict[str, str] = {}
    i = 0
    last = None
    while i < len(lines) and i < 40:
        line = lines[i]
        if not line.strip():
            i += 1
            last = None
            continue
        if (m := _HEADER.match(line)) and m.group("name").lower() not in headers:
            last = m.group("name").lower()
            headers[last] = m.group("value").strip()
        elif last in ("to", "cc") and _ADDRESS_CONTINUATION.match(line):
            headers[last] += " " + line.strip()
        elif not headers and "subject" not in headers and _SUBJECT_FIRST.match(line):
            headers["subject"] = line.strip()
            last = None
        else:
            break
        i += 1
    body = "\n".join(lines[i:])
    date = parse_date(headers.get("date", ""))
    subject = headers.get("subject")
    msgid = MSGID.search(headers.get("message-id", ""))
    reply = MSGID.search(headers.get("in-reply-to", ""))
    env = Envelope(
        source=source,
        form="web-text",
        subject=parse_subject(subject, date) if subject else None,
        author=parse_person(headers["from"]) if headers.get("from") else None,
        date=date or headers.get("date"),
        message_id=msgid.group(1) if msgid else None,
        in_reply_to=reply.group(1) if reply else None,
        to=parse_people(headers.get("to", "")),
        cc=parse_people(headers.get("cc", "")),
    )
    return env, body


def looks_like_webtext(text: str) -> bool:
    head = text[:4000]
    return bool(
        _NAV.search(head)
        or re.search(r"^(?:From|Subject|Date)\s*:", head, re.MULTILINE)
        or _SUBJECT_FIRST.match(head.lstrip())
    )
