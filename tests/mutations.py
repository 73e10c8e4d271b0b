"""Single-point mutations of a real io-wq.c, each presented to code mode as
a patch (the pre-image and the mutated file): what a broken patch looks
like, one mistake at a time. Used by tests/test_codedelta.py (kill rate,
survivors) and runnable by hand:

    python -m tests.mutations [--files 6.12-59b185fb 6.18.2-873db247] [--schedules N]

A mutation names the function it changes and the text it replaces there
(one of a few spellings: the lock is wq->lock in 6.12 and acct->workers_lock
from 6.15 on); it applies to a file only where that text occurs exactly
once in that function. Nothing here knows what a mutation should break:
the kill is code mode's finding or a metric made worse.
"""

from __future__ import annotations

import argparse
import re
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Mutation:
    kind: str  # what sort of mistake
    function: str
    old: tuple[str, ...]  # the text replaced (first spelling found in the function)
    new: tuple[str, ...]  # its replacement, index for index


def _m(kind: str, function: str, old, new) -> Mutation:
    old = (old,) if isinstance(old, str) else tuple(old)
    new = (new,) * len(old) if isinstance(new, str) else tuple(new)
    return Mutation(kind, function, old, new)


UNLOCK_RETURN = ("raw_spin_unlock(&wq->lock);\n\t\treturn true;", "raw_spin_unlock(&acct->workers_lock);\n\t\treturn true;")

MUTATIONS = (
    _m("delete a counter decrement", "io_worker_cancel_cb", "\tacct->nr_workers--;\n", ""),
    _m("delete a counter increment", "io_wq_create_worker", "\tacct->nr_workers++;\n", ""),
    _m("delete a counter increment", "create_worker_cb", "\t\tacct->nr_workers++;\n", ""),
    _m("delete a counter decrement", "io_wq_worker", "\t\t\tacct->nr_workers--;\n", ""),
    _m("delete a counter decrement", "create_io_worker", "\t\tacct->nr_workers--;\n", ""),
    _m("delete an atomic increment", "io_wq_create_worker", "\tatomic_inc(&acct->nr_running);\n", ""),
    _m("delete an atomic decrement", "create_worker_cb", "\t\tatomic_dec(&acct->nr_running);\n", ""),
    _m("drop an unlock", "io_wq_create_worker", UNLOCK_RETURN, "return true;"),
    _m("drop an unlock", "io_worker_handle_work", "\t\traw_spin_unlock(&acct->lock);\n\n\t\tif (!work)",
       "\n\t\tif (!work)"),
    _m("invert a condition", "io_wq_create_worker", "if (acct->nr_workers >= acct->max_workers)",
       "if (acct->nr_workers < acct->max_workers)"),
    _m("invert a condition", "create_worker_cb", "if (acct->nr_workers < acct->max_workers)",
       "if (acct->nr_workers >= acct->max_workers)"),
    _m("invert a condition", "io_wq_activate_free_worker", "if (!io_worker_get(worker))",
       "if (io_worker_get(worker))"),
    _m("invert a condition", "io_wq_enqueue", "if (test_bit(IO_WQ_BIT_EXIT, &wq->state) ||",
       "if (!test_bit(IO_WQ_BIT_EXIT, &wq->state) ||"),
    _m("drop a wake_up_process", "io_wq_activate_free_worker", "\t\twake_up_process(worker->task);\n", ""),
    _m("replace a bitop with a plain read-modify-write", "__io_worker_idle",
       "set_bit(IO_WORKER_F_FREE, &worker->flags);", "worker->flags |= BIT(IO_WORKER_F_FREE);"),
    _m("replace a bitop with a plain read-modify-write", "io_worker_handle_work",
       "clear_bit(hash, &wq->hash->map);", "wq->hash->map &= ~BIT(hash);"),
    _m("drop a break", "io_worker_handle_work", "if (!work)\n\t\t\tbreak;", "if (!work)\n\t\t\t;"),
    _m("drop a goto", "io_queue_worker_create",
       "test_and_set_bit_lock(0, &worker->create_state))\n\t\tgoto fail_release;",
       "test_and_set_bit_lock(0, &worker->create_state))\n\t\t;"),
    _m("move an atomic_dec before its check", "create_worker_cb",
       "\tif (do_create) {\n\t\tcreate_io_worker(wq, worker->create_index);\n\t} else {\n"
       "\t\tatomic_dec(&acct->nr_running);\n",
       "\tatomic_dec(&acct->nr_running);\n\tif (do_create) {\n\t\tcreate_io_worker(wq, worker->create_index);\n"
       "\t} else {\n"),
    _m("free before the last use", "io_worker_exit", "\tio_wq_dec_running(worker);\n",
       "\tkfree(worker);\n\tio_wq_dec_running(worker);\n"),
    _m("drop a reference put", "io_worker_exit", "\tio_worker_release(worker);\n\twait_for_completion",
       "\twait_for_completion"),
    _m("drop a complete", "io_worker_release", "complete(&worker->ref_done);", ";"),
    _m("drop a list removal", "io_worker_exit", "\tlist_del_rcu(&worker->all_list);\n", ""),
    _m("drop a list removal", "io_worker_exit", "\t\thlist_nulls_del_rcu(&worker->nulls_node);\n", "\t\t;\n"),
    _m("drop a clear_bit_unlock", "create_worker_cb", "\tclear_bit_unlock(0, &worker->create_state);\n", ""),
    _m("drop a wake_up", "io_worker_handle_work",
       "\t\t\t\tif (wq_has_sleeper(&wq->hash->wait))\n\t\t\t\t\twake_up(&wq->hash->wait);\n", ""),
    _m("drop a stall clear", "io_wq_enqueue", "\tclear_bit(IO_ACCT_STALLED_BIT, &acct->flags);\n", ""),
)


def function_span(text: str, name: str) -> tuple[int, int] | None:
    """Offsets of a function definition: from its line to its closing brace
    at the start of a line."""
    start = None
    for found in re.finditer(rf"^[A-Za-z_][^\n;(]*\b{re.escape(name)}\(", text, re.M):
        close = text.find(")", found.end())
        if close >= 0 and not text[close + 1:].lstrip().startswith(";"):  # not a forward declaration
            start = found
            break
    if start is None:
        return None
    end = text.find("\n}\n", start.end())
    return (start.start(), end + 3) if end >= 0 else None


def apply(mutation: Mutation, text: str) -> str | None:
    """The file with the mutation made, None where it does not apply."""
    span = function_span(text, mutation.function)
    if span is None:
        return None
    body = text[span[0]:span[1]]
    for old, new in zip(mutation.old, mutation.new):
        if body.count(old) == 1:
            return text[:span[0]] + body.replace(old, new) + text[span[1]:]
    return None


def killed(delta) -> list[str]:
    """What code mode reports against the mutated file: findings introduced
    and metrics made worse; empty for a survivor."""
    out = [f"{r.scenario}: introduces {f.message}" for r in delta.runs for f in r.findings
           if f.change.value == "introduced by the patch"]
    out += [f"{r.scenario}: {d.metric} {d.before} -> {d.after}" for r in delta.runs for d in r.metrics
            if d.change.value == "regressed"]
    out += [f"cannot run: {r.stopped}" for r in delta.runs if r.stopped]
    return out


def main() -> None:
    from tests.conftest import KERNEL_IOWQ
    from triage.sim.codedelta import code_delta

    parser = argparse.ArgumentParser()
    parser.add_argument("--files", nargs="+", default=["6.12-59b185fb", "6.18.2-873db247"])
    parser.add_argument("--schedules", type=int, default=2)
    args = parser.parse_args()
    total = dead = 0
    for name in args.files:
        text = (KERNEL_IOWQ / name / "io-wq.c").read_text()
        for mutation in MUTATIONS:
            mutated = apply(mutation, text)
            if mutated is None:
                print(f"{name} {mutation.kind} in {mutation.function}: does not apply")
                continue
            start = time.perf_counter()
            reasons = killed(code_delta("io_uring/io-wq.c", text, mutated, schedules=args.schedules, loops=False))
            total += 1
            dead += bool(reasons)
            print(f"{name} {mutation.kind} in {mutation.function}: "
                  f"{'killed' if reasons else 'SURVIVED'} ({time.perf_counter() - start:.1f} s) "
                  + (reasons[0][:150] if reasons else ""))
    print(f"kill rate {dead}/{total} = {dead / max(total, 1):.0%}")


if __name__ == "__main__":
    main()
