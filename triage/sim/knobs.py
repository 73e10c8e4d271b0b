"""Behaviour switches of the io-wq model: each one a mechanism that io-wq's
history changed, named after what it does. Defaults are current upstream
(mainline after 29bef9934b25, May 2026). Sources: iowq-model.md §2-§4."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace


@dataclass(frozen=True)
class KnobInfo:
    name: str
    default: object
    values: tuple
    commit: str
    landed: str
    meaning: str


KNOBS: tuple[KnobInfo, ...] = (
    KnobInfo("create_cb_tries_free_worker", True, (False, True), "9d83e1f05c98", "v6.17-rc2",
             "create_worker_cb first tries to activate a free worker of the acct and skips the fork if one "
             "was woken (patch A: 'add check free worker before create new worker')"),
    KnobInfo("exit_on_idle", True, (False, True), "38aa434ab933 + 912146614894", "7.0 merge window",
             "when the task's last ring goes away, IO_WQ_BIT_EXIT_ON_IDLE is set and every idle worker "
             "exits, the last one included (patch B)"),
    KnobInfo("do_kill_granularity", "per_item", ("per_call", "per_fetch", "per_item"),
             "10dc95939817 (per_fetch), 29bef9934b25 (per_item)", "v6.19 / May 2026",
             "where io_worker_handle_work reads IO_WQ_BIT_EXIT for its cancel decision: once per call, "
             "once per fetched item, or for every item of a dependent link chain (patch C)"),
    KnobInfo("worker_flags_atomic", True, (False, True), "8a565304927f", "v6.10-rc1",
             "worker->flags changed with set_bit/clear_bit and read with test_bit instead of plain "
             "read-modify-write (patch D)"),
    KnobInfo("hash_defer", True, (False, True), "0b2b066f8a85", "v6.16",
             "the sleep hook does not ask for a new worker when the head of the queue is hashed to the "
             "same bucket as the sleeper's work (io_wq_hash_defer)"),
    KnobInfo("ignore_nonbusy_sleeper", True, (False, True), "8343cae362e1", "v6.16",
             "only a worker sleeping inside a work item (cur_work set) may ask for a new worker"),
    KnobInfo("activate_requires_sleeping_target", False, (False, True), "22f7fb80e6d9", "v6.6",
             "before 6.6, activating a free worker counted only if wake_up_process() woke a sleeper; "
             "since 6.6 any free worker counts"),
    KnobInfo("exit_wakes_all_accts", True, (False, True), "2b9c15286a17 (6.18.y id)", "Jan 2026",
             "io_wq_for_each_worker() walks both accts; 6.15-6.18.x before the fix stopped after the bound "
             "acct, so exit and exit-on-idle wakes missed idle unbound workers (they left when their 5 s "
             "sleep ended)"),
    KnobInfo("per_acct_worker_lists", True, (False, True), "751eedc4b4b7", "v6.15",
             "free/all lists per acct; before, one shared free list whose walkers read each worker's "
             "BOUND flag remotely (the racy read of patch D)"),
)

_BY_NAME = {k.name: k for k in KNOBS}


def as_word(value) -> str:
    """A knob value as people and probes write it: on/off, or the granularity."""
    return {True: "on", False: "off"}.get(value, str(value)) if isinstance(value, bool) else str(value)


def from_word(word: str):
    """A probed value ("on", "off", "per_item") as the knob takes it."""
    return {"on": True, "off": False}.get(word, word)


@dataclass(frozen=True)
class Knobs:
    create_cb_tries_free_worker: bool = True
    exit_on_idle: bool = True
    do_kill_granularity: str = "per_item"
    worker_flags_atomic: bool = True
    hash_defer: bool = True
    ignore_nonbusy_sleeper: bool = True
    activate_requires_sleeping_target: bool = False
    exit_wakes_all_accts: bool = True
    per_acct_worker_lists: bool = True

    def with_(self, **changes) -> "Knobs":
        for name, value in changes.items():
            info = _BY_NAME.get(name)
            if info is None:
                raise KeyError(f"unknown knob {name!r}")
            if value not in info.values:
                shown = ", ".join(as_word(v) for v in info.values)
                raise ValueError(f"knob {name} takes {shown}, not {value!r}")
        return replace(self, **changes)

    def differences(self, other: "Knobs") -> dict[str, tuple]:
        return {f.name: (getattr(self, f.name), getattr(other, f.name)) for f in fields(self)
                if getattr(self, f.name) != getattr(other, f.name)}


def parse_assignments(text: str) -> dict[str, object]:
    """`a=on,b=per_fetch` -> {"a": True, "b": "per_fetch"} (for the CLI)."""
    out: dict[str, object] = {}
    for item in filter(None, (x.strip() for x in text.split(","))):
        if "=" not in item:
            raise ValueError(f"{item!r} is not knob=value")
        name, value = (x.strip() for x in item.split("=", 1))
        if name not in _BY_NAME:
            raise KeyError(f"unknown knob {name!r}; `triage knobs` lists them")
        lowered = value.lower()
        if lowered in ("on", "true", "1", "yes"):
            out[name] = True
        elif lowered in ("off", "false", "0", "no"):
            out[name] = False
        else:
            out[name] = value
    return out


# Knob settings of the trees the seeds were written against (iowq-model.md
# §4.2); scenarios start from these so that "before" is the tree the bug
# lived in, not a mix.
KERNEL_6_9 = Knobs(create_cb_tries_free_worker=False, exit_on_idle=False, do_kill_granularity="per_call",
                   worker_flags_atomic=False, hash_defer=False, ignore_nonbusy_sleeper=False,
                   per_acct_worker_lists=False)
KERNEL_6_16 = Knobs(create_cb_tries_free_worker=False, exit_on_idle=False, do_kill_granularity="per_call")
KERNEL_6_18_21 = Knobs(exit_on_idle=True, do_kill_granularity="per_fetch")
