"""A public-inbox archive, read-only: the list archive a maintainer already
mirrors (lore via grokmirror, `lei`), as message-ids -> whole threads.

Layout (public-inbox v2): `INBOX/git/0.git`, `1.git`, ... epochs, each a
bare git repository whose commits each add one message as the blob `m`
(newest commit first); a purge or deletion commit removes `m` again (and
a `d` blob records it). The index, message-id -> (epoch, blob) with the
threading headers, is built with one `git log --raw` and one `git cat-file
--batch` per epoch (never a process per message) and kept in the cache
folder (see triage.diskcache) keyed by each epoch's HEAD: a new message
invalidates it. Nothing is ever written into the archive.
"""

from __future__ import annotations

import email.header
import email.utils
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from triage import diskcache
from triage.errors import GitError, InputError
from triage.ingest.mail import split_mbox
from triage.patterns import MSGID
from triage.tree.repo import cat_blobs, run_git

FORMAT = 1  # bump when Entry changes
# A thread of more than this many messages is a flame war or a mailing
# list digest: the rest is not read (same bound as an mbox input).
MAX_THREAD = 1000
_HEADERS = ("message-id", "in-reply-to", "references", "subject", "from", "date")
_LORE_URL = re.compile(r"^https?://[^/]+/(?:[^/]+/)?(?:r/)?([^/\s]+@[^/\s]+?)/?(?:[Tt]/?|raw|#.*)?$")
_BARE_ID = re.compile(r"^<?([^<>\s@]+@[^<>\s]+?)>?$")


@dataclass(frozen=True)
class Entry:
    """One message of the archive, as the index keeps it."""

    message_id: str
    epoch: int
    blob: str
    time: int  # the commit's author time (the message's date, as public-inbox records it)
    subject: str
    sender: str
    in_reply_to: str | None
    references: tuple[str, ...]


def message_id_of(text: str) -> str | None:
    """`<id@host>`, `id@host`, or a lore URL naming one -> the id; None for
    anything else (a file name, a commit)."""
    text = text.strip()
    if m := _LORE_URL.match(text):
        from urllib.parse import unquote

        return unquote(m.group(1))
    if "/" in text and not text.startswith("<"):
        return None
    m = _BARE_ID.match(text)
    return m.group(1) if m else None


def epochs_of(path: str | Path) -> list[Path]:
    """The epoch repositories of an inbox folder (git/N.git, by N), or the
    one epoch given itself."""
    p = Path(path)
    if not p.exists():
        raise GitError(str(path), "no such public-inbox (the folder does not exist)")
    if (p / "HEAD").is_file() and (p / "objects").is_dir():
        return [p]
    found = sorted((int(m.group(1)), q) for q in (p / "git").glob("*.git")
                   if (m := re.fullmatch(r"(\d+)\.git", q.name)) and (q / "objects").is_dir())
    if not found:
        raise GitError(str(path), "not a public-inbox archive (no git/N.git epochs, not an epoch itself, "
                                  "no *.mbox files)")
    return [q for _, q in found]


class Archive:
    """Message-ids -> threads: what a public-inbox and a folder of mbox
    files have in common. Subclasses give the index and the raw messages."""

    path: str

    def __init__(self) -> None:
        self._entries: dict[str, Entry] | None = None
        self._children: dict[str, list[str]] | None = None

    @property
    def entries(self) -> dict[str, Entry]:
        if self._entries is None:
            self._entries = {}
            for e in self._load():
                # the same message twice keeps its first copy (public-inbox does too)
                self._entries.setdefault(e.message_id, e)
        return self._entries

    def _load(self) -> list[Entry]:
        raise NotImplementedError

    def raw(self, entries: list[Entry]) -> dict[tuple[int, str], bytes]:
        """(epoch, blob) -> the message as stored."""
        raise NotImplementedError

    # ------------------------------------------------------------ threads

    def root_of(self, message_id: str) -> str:
        """The first message of its thread in the archive (following
        In-Reply-To, then the References from the nearest up)."""
        seen = {message_id}
        current = message_id
        while True:
            parent = self._parent(self.entries[current])
            if parent is None or parent in seen:
                return current
            seen.add(parent)
            current = parent

    def _parent(self, e: Entry) -> str | None:
        for x in ([e.in_reply_to] if e.in_reply_to else []) + list(reversed(e.references)):
            if x in self.entries and x != e.message_id:
                return x
        return None

    def thread(self, message_id: str) -> list[Entry]:
        """Every message of the thread the id belongs to, oldest first."""
        if message_id not in self.entries:
            raise InputError(f"<{message_id}>", f"no such message in the archive {self.path}")
        if self._children is None:
            self._children = {}
            for e in self.entries.values():
                parent = self._parent(e)
                if parent is not None:
                    self._children.setdefault(parent, []).append(e.message_id)
        root = self.root_of(message_id)
        out, todo, seen = [], [root], {root}
        while todo and len(out) < MAX_THREAD:
            mid = todo.pop()
            out.append(self.entries[mid])
            for child in self._children.get(mid, ()):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        return sorted(out, key=lambda e: (e.time, e.message_id))

    def messages(self, entries: list[Entry]) -> list[bytes]:
        """The raw messages, in the order given (ones the archive lost left out)."""
        raw = self.raw(entries)
        return [raw[(e.epoch, e.blob)] for e in entries if (e.epoch, e.blob) in raw]

    def mbox(self, entries: list[Entry]) -> bytes:
        """The messages as one mboxrd file (`From ` lines in bodies quoted)."""
        out = []
        for data in self.messages(entries):
            body = re.sub(rb"^(>*From )", rb">\1", data.replace(b"\r\n", b"\n"), flags=re.MULTILINE)
            out.append(b"From mboxrd@z Thu Jan  1 00:00:00 1970\n" + body + (b"" if body.endswith(b"\n") else b"\n"))
        return b"\n".join(out)

    def window(self, since: int | None, until: int | None) -> list[Entry]:
        """Messages dated in [since, until), oldest first."""
        return sorted((e for e in self.entries.values()
                       if (since is None or e.time >= since) and (until is None or e.time < until)),
                      key=lambda e: (e.time, e.message_id))

    def matching(self, entries: list[Entry], pattern: re.Pattern) -> list[Entry]:
        """Those whose raw text (headers, body, diffs) the pattern finds."""
        raw = self.raw(entries)
        return [e for e in entries if pattern.search(raw.get((e.epoch, e.blob), b""))]


class PublicInbox(Archive):
    """A public-inbox v2 archive (or one epoch of it), read-only."""

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self.path = str(path)
        self.epochs = epochs_of(path)

    def _load(self) -> list[Entry]:
        return [e for n, epoch in enumerate(self.epochs) for e in self._epoch_index(n, epoch)]

    def _epoch_index(self, n: int, epoch: Path) -> list[Entry]:
        head = run_git(epoch, "rev-parse", "--verify", "-q", "HEAD", ok=(0, 1)).stdout.strip()
        if not head:
            return []  # an empty epoch
        return _kept(f"{_slug(str(epoch.resolve()))}-{head}", lambda: build_index(n, epoch))

    def raw(self, entries: list[Entry]) -> dict[tuple[int, str], bytes]:
        """One cat-file --batch per epoch."""
        by_epoch: dict[int, list[str]] = {}
        for e in entries:
            by_epoch.setdefault(e.epoch, []).append(e.blob)
        return {(n, b): data for n, blobs in by_epoch.items() for b, data in cat_blobs(self.epochs[n], blobs).items()}


class MboxFolder(Archive):
    """A folder of mbox files (one thread each, as `b4 mbox` or a lore
    download leaves them): the same questions answered from the files.
    Entry.epoch is the file's number, Entry.blob the message's."""

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self.path = str(path)
        self.files = sorted(Path(path).glob("*.mbox"))

    def _load(self) -> list[Entry]:
        stamp = [(f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in self.files]
        return _kept(_slug(str(Path(self.path).resolve()) + repr(stamp)), self._index)

    def _index(self) -> list[Entry]:
        out = []
        for n, f in enumerate(self.files):
            for i, data in enumerate(split_mbox(f.read_bytes())):
                h = header_fields(data)
                entry = _entry(h, n, str(i), _mail_time(h.get("date", "")))
                if entry is not None:
                    out.append(entry)
        return out

    def raw(self, entries: list[Entry]) -> dict[tuple[int, str], bytes]:
        out = {}
        for n in sorted({e.epoch for e in entries}):
            for i, data in enumerate(split_mbox(self.files[n].read_bytes())):
                out[(n, str(i))] = data
        return out


def open_archive(path: str | Path) -> Archive:
    """A public-inbox (git/N.git epochs, or one epoch), or a folder of mbox files."""
    p = Path(path)
    if p.is_dir() and not (p / "git").is_dir() and not (p / "HEAD").is_file() and any(p.glob("*.mbox")):
        return MboxFolder(p)
    return PublicInbox(p)


def _mail_time(date: str) -> int:
    try:
        when = email.utils.parsedate_to_datetime(date)
    except (TypeError, ValueError, IndexError):
        return 0
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return int(when.timestamp())


# ---------------------------------------------------------------- index


def _slug(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def added_messages(epoch: Path) -> list[tuple[str, int]]:
    """(blob, time) of every message the epoch holds: blobs its commits add
    as `m`, less those a later commit removes (purged or deleted)."""
    log = run_git(epoch, "log", "--raw", "--root", "--no-abbrev", "--no-renames", "--format=%x00%at", "HEAD").stdout
    removed: set[str] = set()
    out: list[tuple[str, int]] = []
    time = 0
    for line in log.split("\n"):
        if line.startswith("\0"):
            time = int(line[1:] or 0)
            continue
        if not line.startswith(":"):
            continue
        meta, _, path = line.partition("\t")
        if path != "m":
            continue
        fields = meta.split()
        old, new, status = fields[2], fields[3], fields[4]
        if status == "D":
            removed.add(old)  # newest first: the deletion is seen before the message
        elif new not in removed:
            out.append((new, time))
    return out


def build_index(n: int, epoch: Path) -> list[Entry]:
    added = added_messages(epoch)
    blobs = cat_blobs(epoch, [b for b, _ in added])
    out = []
    for blob, time in added:
        data = blobs.get(blob)
        if data is None:
            continue
        entry = _entry(header_fields(data), n, blob, time)
        if entry is not None:
            out.append(entry)
    return out


def _entry(h: dict[str, str], epoch: int, blob: str, time: int) -> Entry | None:
    """The index entry of a message from its threading headers; None
    without a Message-ID (public-inbox gives every message one; a message
    without one cannot be asked for)."""
    ids = MSGID.findall(h.get("message-id", ""))
    if not ids:
        return None
    parents = MSGID.findall(h.get("in-reply-to", ""))
    return Entry(ids[0], epoch, blob, time, _decode(h.get("subject", "")), _decode(h.get("from", "")),
                 parents[-1] if parents else None, tuple(MSGID.findall(h.get("references", ""))))


def _kept(name: str, build) -> list[Entry]:
    """An index from the cache folder (inbox/NAME-FORMAT.pickle), else built and kept."""
    key = diskcache.directory() / "inbox" / f"{name}-{FORMAT}.pickle"
    if diskcache.enabled():
        kept = diskcache.read(key)
        if isinstance(kept, list):
            return [Entry(*row) for row in kept]
    entries = build()
    if diskcache.enabled():
        diskcache.write(key, [tuple(e.__dict__.values()) for e in entries])
    return entries


def header_fields(data: bytes) -> dict[str, str]:
    """The threading headers of a raw message, unfolded (the first of each)."""
    end = data.find(b"\n\n")
    head = (data if end < 0 else data[:end]).decode("utf-8", "replace").replace("\r\n", "\n")
    out: dict[str, str] = {}
    name = None
    for line in head.split("\n"):
        if line[:1] in (" ", "\t") and name is not None:
            if name in out and name in _HEADERS:
                out[name] += " " + line.strip()
            continue
        key, sep, value = line.partition(":")
        name = key.strip().lower() if sep else None
        if name in _HEADERS and name not in out:
            out[name] = value.strip()
        elif name in out:
            name = None  # a second copy of the header: not appended to the first
    return out


def _decode(value: str) -> str:
    if "=?" not in value:
        return value
    try:
        return str(email.header.make_header(email.header.decode_header(value)))
    except Exception:  # noqa: BLE001 - a broken encoded word: as written
        return value


def parse_day(text: str, option: str) -> int:
    """`2023-01-01` (or a full ISO date) -> epoch seconds, UTC."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(option, f"not a date: {text!r} (give YYYY-MM-DD)") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return int(when.timestamp())
