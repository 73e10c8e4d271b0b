"""Knob values from the words of a mail, when it has no code to probe (a
cover-letter discussion, a quoted description) or the code in view cannot
decide. Only statements that name the mechanism unambiguously count, and
every value found here is marked as inferred from text.
"""

from __future__ import annotations

import re

from triage.behaviour.probes import ProbeResult
from triage.model import Message


def _texts(message: Message) -> list[str]:
    """Each prose part on one line (sentences wrap across lines), then the subject."""
    texts = [" ".join(p.text.split()) for p in message.parts if p.kind == "prose"]
    if message.subject:
        texts.append(message.subject.title)
    return texts


class _Text:
    def __init__(self, texts: list[str]) -> None:
        self.texts = texts

    def search(self, pattern: str):
        """The first statement that names the mechanism and does not speak
        against it ("I do not think we should add X, please drop it" is no
        claim that the patch adds X)."""
        for text in self.texts:
            for m in re.finditer(pattern, text):
                found = _Found(text, m)
                if not _AGAINST.search(found.quote()):
                    return found
        return None


_AGAINST = re.compile(r"\b(?:not|never|no longer|drop|revert(?:s|ed)?|nak(?:ed)?|against|wrong|broken)\b|n't\b",
                      re.IGNORECASE)


class _Found:
    def __init__(self, text: str, match: re.Match) -> None:
        self.text, self.match = text, match

    def quote(self) -> str:
        """The sentence around the match (at most ~200 characters)."""
        text, m = self.text, self.match
        cut = max(text.rfind(sep, 0, m.start()) for sep in (". ", ": ", "? ", "! "))
        start = max(cut + 2 if cut >= 0 else 0, m.start() - 100)
        end = text.find(". ", m.end())
        end = min(end + 1 if end >= 0 else len(text), m.end() + 100)
        return text[start:end].strip()


def infer(message: Message) -> dict[str, tuple[ProbeResult, ProbeResult]]:
    """knob -> (before, after) inferred from the text."""
    flat = _Text(_texts(message))
    out: dict[str, tuple[ProbeResult, ProbeResult]] = {}

    # B: exit-on-idle is named by its state bit or its setter
    m = flat.search(r"IO_WQ_BIT_EXIT_ON_IDLE|io_wq_set_exit_on_idle|exit-on-idle mode")
    if m:
        why = m.quote()
        out["exit_on_idle"] = (
            ProbeResult("exit_on_idle", "off", "inferred from text: the mail adds exit-on-idle", (why,)),
            ProbeResult("exit_on_idle", "on", "inferred from text: an exit-on-idle state for io-wq", (why,)))

    # C: the exit bit re-checked for each item of the dependent link chain
    m = flat.search(r"IO_WQ_BIT_EXIT[^.]*?\b(?:each|every)\s+(?:iteration of the\s+)?(?:dependent|linked)[- ]"
                    r"(?:link\s+)?(?:loop|work item|item|chain)")
    if m:
        before = flat.search(r"outer work\s+run loop|re-checks IO_WQ_BIT_EXIT in its outer")
        out["do_kill_granularity"] = (
            ProbeResult("do_kill_granularity", "per_fetch" if before else None,
                        "inferred from text: the base fix re-checks per fetched item" if before
                        else "the text does not say where the check was", (before.quote(),) if before else ()),
            ProbeResult("do_kill_granularity", "per_item", "inferred from text: re-check per dependent-link item",
                        (m.quote(),)))

    # D: bitops on worker->flags, or IO_WORKER_F_* renumbered as bit numbers
    m = flat.search(r"\b(?:set_bit|test_bit|clear_bit)\(\)[^.]*worker->flags|worker->flags[^.]*\b(?:set_bit|test_bit)")
    numbers = [s for s in message.snippets if s.kind == "enum" and s.name.startswith("enum IO_WORKER_F")]
    bit_numbers = any([item.split(" = ")[-1] for item in s.items] == [str(i) for i in range(len(s.items))]
                      for s in numbers)
    if m or bit_numbers:
        why = m.quote() if m else "IO_WORKER_F_* proposed as bit numbers 0.." + str(len(numbers[0].items) - 1)
        out["worker_flags_atomic"] = (
            ProbeResult("worker_flags_atomic", "off", "inferred from text: the mail converts plain flag updates",
                        (why,)),
            ProbeResult("worker_flags_atomic", "on", "inferred from text: bitops on worker->flags", (why,)))

    # A: create_worker_cb checks for a free worker first
    m = flat.search(r"create_worker_cb\(?\)?[^.]*\b(?:check|activate|wake)[^.]*free worker|"
                    r"check(?:ing)? for (?:available|free) workers? in \w+")
    if m:
        out["create_cb_tries_free_worker"] = (
            ProbeResult("create_cb_tries_free_worker", "off", "inferred from text", (m.quote(),)),
            ProbeResult("create_cb_tries_free_worker", "on", "inferred from text: check for a free worker first",
                        (m.quote(),)))
    return out
