"""What the words of a mail say about a mechanism (a cover letter, a
quoted description, a review): claims, shown beside the code's evidence and
never used as evidence. Only statements that name the mechanism
unambiguously, and do not speak against it, count.
"""

from __future__ import annotations

import re

from triage.model import Claim, Message


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


def infer(message: Message) -> tuple[Claim, ...]:
    """What the mail's words say the patch does to each mechanism: claims,
    with the sentence that says it (the sentence naming the new behaviour)."""
    flat = _Text(_texts(message))
    out: list[Claim] = []

    # B: exit-on-idle is named by its state bit or its setter
    m = flat.search(r"IO_WQ_BIT_EXIT_ON_IDLE|io_wq_set_exit_on_idle|exit-on-idle mode")
    if m:
        out.append(Claim("exit_on_idle", "off", "on", m.quote(), "an exit-on-idle state for io-wq"))

    # C: the exit bit re-checked for each item of the dependent link chain
    m = flat.search(r"IO_WQ_BIT_EXIT[^.]*?\b(?:each|every)\s+(?:iteration of the\s+)?(?:dependent|linked)[- ]"
                    r"(?:link\s+)?(?:loop|work item|item|chain)")
    if m:
        before = flat.search(r"outer work\s+run loop|re-checks IO_WQ_BIT_EXIT in its outer")
        out.append(Claim("do_kill_granularity", "per_fetch" if before else None, "per_item", m.quote(),
                         "re-check per dependent-link item"))

    # D: bitops on worker->flags, or IO_WORKER_F_* renumbered as bit numbers
    m = flat.search(r"\b(?:set_bit|test_bit|clear_bit)\(\)[^.]*worker->flags|worker->flags[^.]*\b(?:set_bit|test_bit)")
    numbers = [s for s in message.snippets if s.kind == "enum" and s.name.startswith("enum IO_WORKER_F")]
    bit_numbers = any([item.split(" = ")[-1] for item in s.items] == [str(i) for i in range(len(s.items))]
                      for s in numbers)
    if m or bit_numbers:
        why = m.quote() if m else "IO_WORKER_F_* proposed as bit numbers 0.." + str(len(numbers[0].items) - 1)
        out.append(Claim("worker_flags_atomic", "off", "on", why, "bitops on worker->flags"))

    # A: create_worker_cb checks for a free worker first
    m = flat.search(r"create_worker_cb\(?\)?[^.]*\b(?:check|activate|wake)[^.]*free worker|"
                    r"check(?:ing)? for (?:available|free) workers? in \w+")
    if m:
        out.append(Claim("create_cb_tries_free_worker", "off", "on", m.quote(), "check for a free worker first"))
    return tuple(out)
