"""Review state from the replies' own words: applied, queued, changes
requested, NAKed, withdrawn, "send it upstream first", tested.

Only a reply's own text counts (level 0, outside quotes and diffs), one
sentence at a time, and the sentence is kept as the evidence. The forms are
those maintainers write on io-uring@ and stable@ ("Applied, thanks!",
"Applied to for-6.9/io_uring", b4 ty's "[1/1] ... commit: abc123",
"Queued up for 5.12", "NAK", "please drop this", "send a v2"); a question,
a conditional or a negation ("once applied", "not applied", "can you
resend?") decides nothing. Withdrawal counts only from the patch's author.
"""

from __future__ import annotations

import re

from triage.ingest.people import person_keys
from triage.model import Message, ReviewEvent, ReviewState

_PARAGRAPH = re.compile(r"\n\s*\n")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_HEDGE = re.compile(r"\?|\b(?:if|once|when|after|before|not|n't|never|could|would|should|will|might|may|"
                    r"can|please apply|wants?|anyone|locally|on top of)\b", re.IGNORECASE)
_APPLIED = re.compile(r"^(?:(?:thanks|thank you|ok|okay|great|looks good|lgtm)[,.!]*\s+)?(?:i(?:'ve| have)?\s+)?"
                      r"(?:now\s+|just\s+)?(?P<what>applied|queued(?: up)?|picked (?:it |this |them )?up)\b",
                      re.IGNORECASE)
_COMMIT = re.compile(r"\bcommit:?\s+(?P<sha>[0-9a-f]{12,40})\b")
_NAK = re.compile(r"^(?:nak|nack|nacked)\b|\bself[- ]nak", re.IGNORECASE)
_WITHDRAW = re.compile(r"\b(?:please (?:drop|ignore) (?:this|it|the (?:patch|series))|withdraw(?:n|ing)? (?:this|the)"
                       r"|self[- ]nak)", re.IGNORECASE)
_CHANGES = re.compile(r"\b(?:send|post|spin|resend) (?:a |an )?(?:v\d+|new version|updated version|new one|"
                      r"another version)|\bplease resend\b", re.IGNORECASE)
# "send it in for the _upstream_ kernel, stable only does backports" (seed 002)
_UPSTREAM = re.compile(r"\b(?:upstream first|(?:isn't|is not|not yet) (?:in )?(?:upstream|linus'? tree|mainline)"
                       r"|send (?:it|this) (?:in )?(?:for|to) (?:the )?_?(?:upstream|mainline)_?"
                       r"|stable only (?:does|takes) backports)", re.IGNORECASE)


def review_events(patch: Message, reply: Message) -> list[ReviewEvent]:
    sender = str(reply.author) if reply.author else None
    by_author = bool(set(person_keys(reply.author)) & set(person_keys(patch.author)))
    found: list[ReviewEvent] = []

    def add(state: ReviewState, sentence: str, commit: str | None = None) -> None:
        if all(e.state is not state for e in found):
            found.append(ReviewEvent(state, " ".join(sentence.split())[:300], sender, reply.message_id, reply.date,
                                     commit))

    own = "\n\n".join(p.text for p in reply.parts if p.level == 0 and p.kind in ("prose", "trailers"))
    # mail wraps sentences over lines: a line that starts with "queued" is
    # often the middle of one ("... work is\nqueued on tasks ...")
    sentences = [s.strip() for para in _PARAGRAPH.split(own) for s in _SENTENCE.split(" ".join(para.split()))]
    for sentence in filter(None, sentences):
        if (m := _APPLIED.match(sentence)) and not _HEDGE.search(sentence[m.end():m.end() + 40] + sentence[:m.start()]):
            commit = _COMMIT.search(own)
            add(ReviewState.QUEUED if m.group("what").lower().startswith("queued") else ReviewState.APPLIED,
                sentence, commit.group("sha") if commit else None)
        elif _NAK.search(sentence):
            add(ReviewState.WITHDRAWN if by_author else ReviewState.NAKED, sentence)
        elif by_author and _WITHDRAW.search(sentence):
            add(ReviewState.WITHDRAWN, sentence)
        elif _UPSTREAM.search(sentence):
            add(ReviewState.UPSTREAM_FIRST, sentence)
        elif not by_author and _CHANGES.search(sentence):  # "can you send a v2?" is a request too;
            add(ReviewState.CHANGES_REQUESTED, sentence)  # the author's "I'll send a v2" is not
    for t in reply.trailers:
        if t.level == 0 and t.key == "Nacked-by":
            add(ReviewState.NAKED, f"{t.key}: {t.value}")
        elif t.level == 0 and t.key in ("Tested-by", "Reported-and-tested-by", "Reviewed-and-tested-by"):
            add(ReviewState.TESTED, f"{t.key}: {t.value}")
    return found
