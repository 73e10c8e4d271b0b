"""Subject lines: reply markers and the bracket prefixes kernel mail uses."""

from __future__ import annotations

import re

from triage.model import Subject

# Reply markers: English, German (AW), Nordic (SV), and the Chinese 回复 /
# 答复 / 转发 (forward) of Outlook and Foxmail, with full-width colons
# (a syzbot thread of 2021 answered with "回复: [syzbot] ...").
_REPLY = re.compile(r"^\s*(?:(?:re|aw|sv|fwd?|回复|答复|转发)(?:\[\d+\])?\s*[:：]\s*)+", re.IGNORECASE)
_BRACKETS = re.compile(r"^\s*\[([^\]]*)\]")
_VERSION = re.compile(r"^v(\d{1,6})$", re.IGNORECASE)  # bounded: "v99...9" is a word, not int() fodder
_INDEX = re.compile(r"^(\d{1,6})/(\d{1,6})$")
_STABLE_Y = re.compile(r"^(?:linux-|stable-|v)?(\d+\.\d+)(?:\.y|\.x)$", re.IGNORECASE)  # "v5.10.y" too
_RELEASE = re.compile(r"^v?(\d+\.\d+)(?:\.\d+)?$")
_AUTOSEL_RANGE = re.compile(r"^(\d+\.\d+)(?:-\d+\.\d+)?$")
_TREE = re.compile(r"^(?:-?next|for-next|for-\d+\.\d+(?:-rc\d+)?|[a-z_]+-\d+\.\d+|io_uring|liburing)$", re.IGNORECASE)

# Mainline release dates (the day Linus tagged vX.Y). They decide whether a
# bare "[PATCH 5.12]" targets a merge window (mail sent before v5.12 was
# tagged, as Pavel Begunkov's "5.12 cleanups" were) or the 5.12.y stable
# branch (sent after).
RELEASED = {
    "5.0": "2019-03-03", "5.1": "2019-05-05", "5.2": "2019-07-07", "5.3": "2019-09-15",
    "5.4": "2019-11-24", "5.5": "2020-01-26", "5.6": "2020-03-29", "5.7": "2020-05-31",
    "5.8": "2020-08-02", "5.9": "2020-10-11", "5.10": "2020-12-13", "5.11": "2021-02-14",
    "5.12": "2021-04-25", "5.13": "2021-06-27", "5.14": "2021-08-29", "5.15": "2021-10-31",
    "5.16": "2022-01-09", "5.17": "2022-03-20", "5.18": "2022-05-22", "5.19": "2022-07-31",
    "6.0": "2022-10-02", "6.1": "2022-12-11", "6.2": "2023-02-19", "6.3": "2023-04-23",
    "6.4": "2023-06-25", "6.5": "2023-08-27", "6.6": "2023-10-30", "6.7": "2024-01-07",
    "6.8": "2024-03-10", "6.9": "2024-05-12", "6.10": "2024-07-14", "6.11": "2024-09-15",
    "6.12": "2024-11-17", "6.13": "2025-01-19", "6.14": "2025-03-24", "6.15": "2025-05-25",
    "6.16": "2025-07-27", "6.17": "2025-09-28", "6.18": "2025-11-30",
}


def stable_branch(version: str) -> str:
    return f"linux-{version}.y"


def _is_stable_target(version: str, date: str | None) -> bool:
    released = RELEASED.get(version)
    if released is None or date is None:
        # Unknown to the table (newer than it) or undated: the reading the
        # stable process uses, a branch name.
        return True
    return date[:10] > released


def parse_subject(raw: str, date: str | None = None) -> Subject:
    text = " ".join(raw.split())
    reply = _REPLY.match(text)
    is_reply = bool(reply)
    if reply:
        text = text[reply.end():]
    tags: list[str] = []
    while match := _BRACKETS.match(text):
        tags.extend(match.group(1).replace(",", " ").split())
        text = text[match.end():]
        # "Re: [PATCH] ..." is common, "[PATCH] Re: ..." is not, but seen.
        if again := _REPLY.match(text):
            is_reply = True
            text = text[again.end():]
    fields: dict = {"is_patch": False, "resend": False, "rfc": False}
    words = iter(range(len(tags)))
    for i in words:
        word = tags[i]
        upper = word.upper()
        if upper in ("PATCH", "PATCHES", "PATCHSET", "PATCH-V2"):
            fields["is_patch"] = True
        elif upper == "RFC":
            fields["rfc"] = True
            fields["is_patch"] = True
        elif upper == "RESEND":
            fields["resend"] = True
        elif upper == "AUTOSEL":
            fields["is_patch"] = True
            if i + 1 < len(tags) and (auto := _AUTOSEL_RANGE.match(tags[i + 1])):
                fields["autosel"] = auto.group(1)
                next(words, None)
        elif m := _VERSION.match(word):
            fields["version"] = int(m.group(1))
        elif m := _INDEX.match(word):
            fields["index"], fields["total"] = int(m.group(1)), int(m.group(2))
        elif m := _STABLE_Y.match(word):
            fields["stable_target"] = stable_branch(m.group(1))
        elif m := _RELEASE.match(word):
            if _is_stable_target(m.group(1), date):
                fields["stable_target"] = stable_branch(m.group(1))
            else:
                fields.setdefault("tree", f"for-{m.group(1)}")
        elif upper == "STABLE":
            fields.setdefault("stable_target", "stable")
        elif _TREE.match(word):
            fields["tree"] = word.lstrip("-") if word.lower() == "-next" else word
    return Subject(raw=raw.strip(), title=text.strip(), is_reply=is_reply, tags=tuple(tags), **fields)
