"""Risk factors of taking a patch into a stable branch, each with its weight
and the reason it was given; the total is their sum (Assessment.risk_total).

Weights are small integers so that a reader can redo the sum: 0 means the
factor was looked at and found harmless; it is still listed.
"""

from __future__ import annotations

import re

from triage.model import Analysis, Hunk, Message, RiskFactor

# lines that take or drop a lock, order memory or touch reference counts:
# where a backport most often goes wrong
_SYNC = re.compile(r"\b(?:\w*spin_(?:un)?lock\w*|mutex_(?:un)?lock|rcu_read_(?:un)?lock|\w*_bit|atomic\w*|"
                   r"smp_\w*mb|READ_ONCE|WRITE_ONCE|refcount_\w+|\w+_ref_(?:get|put))\b")


# The most each factor can weigh; their sum is the scale a total is read
# against. A factor not in this table is a bug (tests check every weight).
MAXIMUM = {"size": 3, "spread": 3, "locking and ordering": 2, "struct layout": 2, "recovered diff": 1,
           "findings the patch introduces": 5, "findings after the patch": 3, "simulated regression": 3,
           "backport work": 3}
RISK_MAX = sum(MAXIMUM.values())
# (highest total in the band, name, what it asks of a reviewer)
BANDS = ((3, "low", "small and contained"),
         (7, "moderate", "review with care"),
         (RISK_MAX, "high", "several risks together: review closely, test the backport"))


def risk_band(total: int) -> str:
    """The band a total falls in, in words: "moderate: review with care"."""
    for top, name, meaning in BANDS:
        if total <= top:
            return f"{name}: {meaning}"
    return f"{BANDS[-1][1]}: {BANDS[-1][2]}"


def own_hunks(message: Message) -> list[Hunk]:
    return [h for d in message.own_diffs for f in d.files for h in f.hunks]


def changed_lines(message: Message) -> list[str]:
    return [line.text for h in own_hunks(message) for line in h.lines if line.kind in "+-"]


def own_functions(a: Analysis) -> list[str]:
    """Functions the message's own diff changes (not the ones a quoted diff does)."""
    return sorted({c.symbol for c in a.symbols if c.kind == "function" and not a.message.diffs[c.diff_index].quoted})


def risk_factors(a: Analysis) -> tuple[RiskFactor, ...]:
    if not own_hunks(a.message):
        return ()
    changed = changed_lines(a.message)
    n = len(changed)
    out = [RiskFactor("size", 0 if n <= 10 else 1 if n <= 30 else 2 if n <= 100 else 3, f"{n} changed line(s)")]
    functions = own_functions(a)
    out.append(RiskFactor("spread", min(3, max(0, len(functions) - 1)),
                          f"{len(functions)} function(s) changed" + (": " + ", ".join(functions[:6])
                                                                     if functions else "")))
    sync = sorted({m.group(0) for line in changed for m in _SYNC.finditer(line)})
    out.append(RiskFactor("locking and ordering", 2 if sync else 0,
                          "changed lines use " + ", ".join(sync[:8]) if sync else "no lock, atomic or barrier "
                                                                                  "in the changed lines"))
    moved = [d for d in a.layouts if d.before and d.after and any(b.size != f.size for b, f in zip(d.before, d.after))]
    structs = sorted({c.symbol for c in a.symbols if c.kind in ("struct", "union")})
    if moved:
        sizes = "; ".join(f"{d.symbol} {d.before[0].size} -> {d.after[0].size} bytes ({d.before[0].profile})"
                          for d in moved)
        out.append(RiskFactor("struct layout", 2, f"size changes: {sizes}"))
    elif structs:
        out.append(RiskFactor("struct layout", 1, "struct changed, size unchanged or unknown: " + ", ".join(structs)))
    flattened = [r for d in a.message.own_diffs for r in d.recoveries if r.method == "flattened"]
    if flattened:
        low = min(r.confidence for r in flattened)
        out.append(RiskFactor("recovered diff", 1, f"rebuilt from flattened text, confidence {low:.2f}: "
                                                   "what is reviewed may differ"))
    if a.behaviour is not None:
        new = [f for r in a.behaviour.runs for f in r.new_findings]
        races = [f for r in a.behaviour.runs for f in r.findings_after if f not in new]
        if new:
            out.append(RiskFactor("findings the patch introduces", 5, f"{len(new)} simulator finding(s) only "
                                                                      "after the patch: " + new[0][:100]))
        if races:
            out.append(RiskFactor("findings after the patch", 3, f"{len(races)} simulator finding(s) remain: "
                                                                 + races[0][:100]))
        worse = [f"{r.scenario}: {d.metric} {d.before} -> {d.after}" for r in a.behaviour.runs for d in r.regressed]
        if worse:
            out.append(RiskFactor("simulated regression", 3, "; ".join(worse[:3])))
    if a.tree is not None:
        work = [b.branch for b in a.tree.branches if b.verdict == "needs backport work"]
        if work:
            out.append(RiskFactor("backport work", min(3, len(work)), "conflict or prerequisite on "
                                                                      + ", ".join(work)))
    return tuple(out)
