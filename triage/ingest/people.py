"""Names, addresses and dates as mail and web archives write them."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from triage.model import Person

# Web archives (blists, lkml.iu.edu copies) hide the middle of the domain:
# "axboe@...nel.dk", "io-uring@...r.kernel.org".
_OBFUSCATED = re.compile(r"@\.\.\.|\.\.\.@|\[at\]|\bat\b\s+\S+\s+\bdot\b")
_BARE = re.compile(r"^(?P<name>.*?)\s*<?(?P<email>[^\s<>@]+@[^\s<>]+?)>?$")


def parse_person(text: str) -> Person | None:
    """`Jens Axboe <axboe@kernel.dk>`, `Fengnan Chang changfengnan@bytedance.com`
    (web dumps drop the angle brackets), `Jens Axboe` alone, `x@y (Name)`."""
    text = " ".join(text.split()).strip().strip(",")
    if not text:
        return None
    if "<" in text or "(" in text:
        name, email = parseaddr(text)
        if email and "@" in email:
            name = name.strip().strip('"')
            return Person(name, email, bool(_OBFUSCATED.search(email)))
    match = _BARE.match(text)
    if match and "@" in match.group("email"):
        email = match.group("email").strip("<>")
        name = match.group("name").strip().strip('"')
        return Person(name, email, bool(_OBFUSCATED.search(email)))
    if "@" in text:
        return Person("", text, bool(_OBFUSCATED.search(text)))
    return Person(text.strip('"'))


def parse_people(text: str) -> tuple[Person, ...]:
    people = []
    for name, email in getaddresses([text]):
        if email or name:
            people.append(Person(name.strip('"'), email, bool(_OBFUSCATED.search(email))))
    return tuple(people)


# Zones written as words by web archives ("Wed May 27 2026 - 12:11:06 EST").
_ZONES = {
    "UT": 0, "UTC": 0, "GMT": 0, "Z": 0,
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6,
    "PST": -8, "PDT": -7, "CET": 1, "CEST": 2, "BST": 1, "IST": 5.5,
    "JST": 9, "KST": 9, "AEST": 10, "AEDT": 11,
}
_WEB_DATE = re.compile(
    r"^(?:\w{3},?\s+)?(?P<mon>\w{3})\s+(?P<day>\d{1,2})\s+(?P<year>\d{4})\s*-?\s*"
    r"(?P<time>\d{1,2}:\d{2}(?::\d{2})?)\s*(?P<zone>[A-Z]{1,4}|[+-]\d{4})?$"
)


def person_keys(p: Person | None) -> tuple[str, ...]:
    """What identifies a person across messages: the address (unless an
    archive obfuscated it) and the name, spacing and case aside. An author
    changes address between versions (a new employer), rarely name: either
    key matching is the same person."""
    if p is None:
        return ()
    keys = []
    if p.email and not p.obfuscated and "..." not in p.email:
        keys.append("e:" + p.email.lower())
    if p.name:
        keys.append("n:" + " ".join(p.name.split()).casefold())
    return tuple(keys)


def same_sender(a: Person, b: Person) -> bool:
    """Stricter, for checking who gave a trailer: two readable addresses
    decide alone; names only when an address is missing or obfuscated."""
    ka, kb = person_keys(a), person_keys(b)
    emails = [k for k in ka if k[0] == "e"], [k for k in kb if k[0] == "e"]
    if emails[0] and emails[1]:
        return emails[0] == emails[1]
    return bool({k for k in ka if k[0] == "n"} & {k for k in kb if k[0] == "n"})


def parse_date(text: str) -> str | None:
    """ISO 8601 for a mail date or a web archive date; None if neither."""
    text = " ".join(text.split())
    if not text:
        return None
    try:
        when = parsedate_to_datetime(text)
        if when is not None:
            return when.isoformat()
    except (TypeError, ValueError, IndexError, OverflowError):
        pass
    match = _WEB_DATE.match(text)
    if not match:
        return None
    time_text = match.group("time")
    if time_text.count(":") == 1:
        time_text += ":00"
    try:
        naive = datetime.strptime(
            f"{match.group('mon')} {match.group('day')} {match.group('year')} {time_text}",
            "%b %d %Y %H:%M:%S",
        )
    except ValueError:
        return None
    zone = match.group("zone")
    if zone is None:
        return naive.isoformat()
    if zone[0] in "+-":
        hours = int(zone[1:3]) + int(zone[3:5]) / 60
        offset = hours if zone[0] == "+" else -hours
    elif zone in _ZONES:
        offset = _ZONES[zone]
    else:
        return naive.isoformat()
    return naive.replace(tzinfo=timezone(timedelta(hours=offset))).isoformat()
