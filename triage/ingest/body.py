"""A mail body, whatever carried it, into the parts a reviewer cares about:
who wrote which text at which quoting level, the diffs (own and quoted),
trailers, stable tags, commits named, and symbols named in prose."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from triage.ingest.diffscan import scan
from triage.ingest.people import parse_date, parse_person
from triage.ingest.prose import code_snippets, prose_symbols
from triage.ingest.quoting import QLine, level_authors, split_levels
from triage.ingest.subject import parse_subject
from triage.ingest.trailers import (
    cited_refs, fixes_ref, merge_stable, parse_trailers, stable_cc, upstream_refs,
)
from triage.model import CommitRef, Message, MessagePart, Person, Subject

_DIFFSTAT = re.compile(r"^\s*\S+\s+\|\s+(?:\d+\s*[+-]*|Bin\b.*)|^\s*\d+ files? changed(?:,|$)")
# AUTOSEL mails carry an LLM's opinion after the commit message, flagged by
# the bot itself as unreliable: keep it apart from the author's words.
_LLM = re.compile(r"^\s*LLM Generated explanations", re.IGNORECASE)
_SIGNATURE = re.compile(r"^--\s?$")
LLM_AUTHOR = "(LLM-generated explanation)"


@dataclass(frozen=True)
class Envelope:
    """What the carrier (mail headers, web page, git) says about a message."""

    source: str
    form: str
    subject: Subject | None = None
    author: Person | None = None
    date: str | None = None
    message_id: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    to: tuple[Person, ...] = ()
    cc: tuple[Person, ...] = ()
    warnings: tuple[str, ...] = ()
    damage: tuple[str, ...] = ()  # parts of the carrier that could not be read (reported as problems)


_FIXES_LINE = re.compile(r"^\s*Fixes:", re.IGNORECASE)


_IN_BODY = re.compile(r"^(From|Subject|Date):[ \t]*(.*?)\s*$")


def in_body_headers(env: Envelope, body: str) -> tuple[Envelope, str]:
    """git mailinfo's in-body headers: `From:`, `Subject:` and `Date:` lines
    at the very start of the body, ended by a blank line, win over the
    mail's own and leave the body (a patch sent on its author's behalf, a
    pull of several authors' patches, AUTOSEL and stable backports)."""
    lines = body.split("\n")
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    given: dict[str, str] = {}
    end = start
    while end < len(lines) and (m := _IN_BODY.match(lines[end])) and m.group(1) not in given:
        given[m.group(1)] = m.group(2)
        end += 1
    if not given or (end < len(lines) and lines[end].strip()):
        return env, body
    date = parse_date(given["Date"]) or given["Date"] if given.get("Date") else env.date
    changes = {"date": date}
    if given.get("From"):
        changes["author"] = parse_person(given["From"])
    if given.get("Subject"):
        changes["subject"] = parse_subject(given["Subject"], date)
    note = "in-body " + ", ".join(f"{k}:" for k in given) + " used, as git am does"
    return replace(env, warnings=env.warnings + (note,), **changes), "\n".join(lines[end + 1:])


def build_message(env: Envelope, body: str) -> tuple[Message, list[str]]:
    """The Message and the problems (damaged diffs) found in its body."""
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    env, body = in_body_headers(env, body)
    lines = split_levels(body)
    author_name = env.author.name or env.author.email if env.author else None
    authors = level_authors(lines, author_name)
    found = scan(lines, authors)
    consumed: set[int] = set()
    errors: list[str] = list(env.damage)
    warnings = list(env.warnings)
    for f in found:
        consumed |= f.consumed
        errors += f.errors
        if f.trailing:
            warnings.append(f"text after the rebuilt diff ignored: {f.trailing[:60]!r}")
    parts = _parts(lines, authors, consumed, {i: f.lead for f in found if f.lead for i in [min(f.consumed)]})
    trailers, commits, stable = _tags(parts)
    message = Message(
        source=env.source, form=env.form, subject=env.subject, author=env.author, date=env.date,
        message_id=env.message_id, in_reply_to=env.in_reply_to, references=env.references,
        to=env.to, cc=env.cc, parts=parts, trailers=trailers, commits=commits, stable=stable,
        diffs=tuple(f.diff for f in found if f.diff.files),
        prose_symbols=prose_symbols([(p.text, p.level) for p in parts if p.kind in ("prose", "llm-explanation")]),
        snippets=code_snippets([(p.text, p.level, p.author) for p in parts if p.kind == "prose"]),
        warnings=tuple(warnings), body=body,
    )
    return message, errors


def _parts(lines: list[QLine], authors: list[str | None], consumed: set[int],
           leads: dict[int, str]) -> tuple[MessagePart, ...]:
    parts: list[MessagePart] = []
    current: list[str] = []
    key: tuple | None = None
    mode = "prose"  # at level 0: prose -> llm-explanation / signature
    for i, line in enumerate(lines):
        text = line.text
        if i in consumed:
            if i in leads:
                text = leads[i]
            else:
                continue
        kind = "prose"
        if line.level == 0:
            if _SIGNATURE.match(text) and mode != "signature":
                mode = "signature"
            elif _LLM.match(text):
                mode = "llm-explanation"
            elif _DIFFSTAT.match(text) and mode != "signature":
                kind = "diffstat"
                mode = "prose" if mode == "llm-explanation" else mode
            if kind != "diffstat":
                kind = mode
        author = LLM_AUTHOR if kind == "llm-explanation" else authors[i]
        new_key = (line.level, author, kind)
        if new_key != key and current:
            parts.append(_part(key, current))
            current = []
        key = new_key
        current.append(text)
    if current and key is not None:
        parts.append(_part(key, current))
    return tuple(p for p in parts if p.text)


def _part(key: tuple, lines: list[str]) -> MessagePart:
    level, author, kind = key
    return MessagePart(level, author, "\n".join(lines).strip("\n"), kind)


def _tags(parts: tuple[MessagePart, ...]):
    trailers = []
    commits: list[CommitRef] = []
    ccs = []
    for part in parts:
        if part.kind in ("signature", "diffstat"):
            continue
        if part.kind == "prose":
            for trailer in parse_trailers(part.text, part.level):
                trailers.append(trailer)
                if trailer.key == "Fixes":
                    commits.append(fixes_ref(trailer.value, part.level, part.author))
                elif cc := stable_cc(trailer):
                    if part.level == 0:
                        ccs.append(cc)
            commits += upstream_refs(part.text, part.level)
        prose = "\n".join(
            line for line in part.text.splitlines() if not _FIXES_LINE.match(line)
        )
        commits += cited_refs(prose, part.level, part.author)
    for cc in ccs:
        commits += list(cc.prerequisites)
    return tuple(trailers), _dedupe(commits), merge_stable(ccs)


def _dedupe(refs: list[CommitRef]) -> tuple[CommitRef, ...]:
    """One entry per (commit, role); a short id that prefixes a longer one
    names the same commit."""
    kept: list[CommitRef] = []
    for ref in refs:
        same = next((k for k in kept if k.role == ref.role and
                     (k.sha.startswith(ref.sha) or ref.sha.startswith(k.sha))), None)
        if same is None:
            kept.append(ref)
        elif same.subject is None and ref.subject is not None:
            kept[kept.index(same)] = CommitRef(same.sha if len(same.sha) >= len(ref.sha) else ref.sha,
                                               same.role, ref.subject, same.level, same.author, same.problems)
    # A commit cited in prose that is also the upstream or Fixes target is
    # listed once, in its stronger role.
    strong = {k.sha[:12] for k in kept if k.role != "cited"}
    return tuple(k for k in kept if k.role != "cited" or k.sha[:12] not in strong)
