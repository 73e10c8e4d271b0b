"""Kernel type sizes per config profile, for struct layout on x86_64 (LP64).

Only types whose size cannot be read from the struct text are here. Each
figure is derived from the kernel's definition (include/linux/types.h,
spinlock_types_raw.h, lockdep_types.h, completion.h, swait.h, wait.h,
workqueue_types.h, timer_types.h, cpumask_types.h) by the same layout rules
as triage.diff.layout, as the comments show; `forced` marks types declared
with an explicit alignment attribute (pahole counts members of such types
as "forced alignments").

A user adds or overrides profiles with a TOML file:

    [x86_64-mine]            # a new profile, or an existing one to override
    inherits = "x86_64"
    "struct foo" = { size = 24, align = 8 }
    raw_spinlock_t = { size = 24, align = 8 }
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from triage.errors import InputError


@dataclass(frozen=True)
class TypeInfo:
    size: int
    align: int
    forced: bool = False  # declared with __attribute__((aligned(N)))


# lockdep_map (lockdep_types.h, 6.x, no CONFIG_LOCK_STAT): key pointer 8,
# class_cache[NR_LOCKDEP_CACHING_CLASSES = 2] pointers 16, name pointer 8,
# wait_type_outer/wait_type_inner/lock_type u8 3 -> 35, padded to 8 = 40.
_LOCKDEP_MAP = 40

_COMMON = {
    # atomic_t { int counter; } / atomic64_t, atomic_long_t { s64 counter; }
    "atomic_t": TypeInfo(4, 4),
    "atomic64_t": TypeInfo(8, 8),
    "atomic_long_t": TypeInfo(8, 8),
    # refcount_t = struct refcount_struct { atomic_t refs; }
    "refcount_t": TypeInfo(4, 4),
    "struct refcount_struct": TypeInfo(4, 4),
    # list_head { next, prev }; hlist_node { next, **pprev }; hlist_head { first }
    "struct list_head": TypeInfo(16, 8),
    "struct hlist_node": TypeInfo(16, 8),
    "struct hlist_head": TypeInfo(8, 8),
    "struct hlist_nulls_node": TypeInfo(16, 8),
    "struct hlist_nulls_head": TypeInfo(8, 8),
    "struct llist_node": TypeInfo(8, 8),
    # io_uring's singly linked work list (fs/io-wq.h up to 5.19, then
    # include/linux/io_uring_types.h): io_wq_work_node { *next };
    # io_wq_work_list { io_wq_work_node *first, *last }
    "struct io_wq_work_node": TypeInfo(8, 8),
    "struct io_wq_work_list": TypeInfo(16, 8),
    "struct llist_head": TypeInfo(8, 8),
    "struct rb_node": TypeInfo(24, 8),  # unsigned long __rb_parent_color + 2 pointers
    # callback_head { next; func; } __attribute__((aligned(sizeof(void *))))
    "struct callback_head": TypeInfo(16, 8, forced=True),
    "struct rcu_head": TypeInfo(16, 8, forced=True),
    # kuid_t/kgid_t { uid_t val; }
    "kuid_t": TypeInfo(4, 4),
    "kgid_t": TypeInfo(4, 4),
    # cpumask_var_t without CONFIG_CPUMASK_OFFSTACK is struct cpumask[1]: a
    # bitmap of NR_CPUS bits; x86_64 defconfig NR_CPUS = 64 -> one long.
    "cpumask_var_t": TypeInfo(8, 8),
    "cpumask_t": TypeInfo(8, 8),
    "struct cpumask": TypeInfo(8, 8),
    "work_func_t": TypeInfo(8, 8),
    "wait_queue_func_t": TypeInfo(8, 8),
    "gfp_t": TypeInfo(4, 4),
    "fmode_t": TypeInfo(4, 4),
    "pid_t": TypeInfo(4, 4),
    "uid_t": TypeInfo(4, 4),
    "loff_t": TypeInfo(8, 8),
    "ktime_t": TypeInfo(8, 8),
}

# Without lock debugging: arch_spinlock_t (qspinlock) is one atomic_t.
_X86_64 = {
    **_COMMON,
    # raw_spinlock { arch_spinlock_t raw_lock; } -> 4
    "raw_spinlock_t": TypeInfo(4, 4),
    "struct raw_spinlock": TypeInfo(4, 4),
    # spinlock { union { struct raw_spinlock rlock; }; } -> 4
    "spinlock_t": TypeInfo(4, 4),
    "struct spinlock": TypeInfo(4, 4),
    # swait_queue_head { raw_spinlock_t lock 4; [hole 4] struct list_head task_list 16 } -> 24
    "struct swait_queue_head": TypeInfo(24, 8),
    # completion { unsigned int done 4; [hole 4] struct swait_queue_head wait 24 } -> 32
    "struct completion": TypeInfo(32, 8),
    # wait_queue_head { spinlock_t lock 4; [hole 4] struct list_head head 16 } -> 24
    "wait_queue_head_t": TypeInfo(24, 8),
    "struct wait_queue_head": TypeInfo(24, 8),
    # wait_queue_entry { unsigned int flags 4; [4] void *private 8; func 8; list_head 16 } -> 40
    "struct wait_queue_entry": TypeInfo(40, 8),
    "wait_queue_entry_t": TypeInfo(40, 8),
    # work_struct { atomic_long_t data 8; list_head entry 16; work_func_t func 8 } -> 32
    "struct work_struct": TypeInfo(32, 8),
    # timer_list { hlist_node entry 16; unsigned long expires 8; function 8; u32 flags 4 } -> 36, padded 40
    "struct timer_list": TypeInfo(40, 8),
    # delayed_work { work_struct 32; timer_list 40; workqueue_struct *wq 8; int cpu 4 } -> 84, padded 88
    "struct delayed_work": TypeInfo(88, 8),
    # mutex { atomic_long_t owner 8; raw_spinlock_t wait_lock 4; optimistic_spin_queue osq 4
    #         (CONFIG_MUTEX_SPIN_ON_OWNER); list_head wait_list 16 } -> 32
    "struct mutex": TypeInfo(32, 8),
}

# CONFIG_DEBUG_SPINLOCK + CONFIG_DEBUG_LOCK_ALLOC (+ CONFIG_LOCKDEP): the
# config of Breno Leitao's pahole dumps in seed 003 (raw_spinlock_t = 64).
_X86_64_LOCKDEP = {
    **_X86_64,
    # raw_spinlock { raw_lock 4; magic 4; owner_cpu 4; [hole 4]; void *owner 8;
    #               struct lockdep_map dep_map 40 } -> 64
    "raw_spinlock_t": TypeInfo(64, 8),
    "struct raw_spinlock": TypeInfo(64, 8),
    # spinlock: a union of the raw_spinlock and { u8 __padding[LOCK_PADSIZE]; lockdep_map } -> 64
    "spinlock_t": TypeInfo(64, 8),
    "struct spinlock": TypeInfo(64, 8),
    # swait_queue_head { raw_spinlock_t lock 64; list_head task_list 16 } -> 80
    "struct swait_queue_head": TypeInfo(80, 8),
    # completion { unsigned int done 4; [hole 4]; swait_queue_head wait 80 } -> 88 (seed 003: ref_done 88)
    "struct completion": TypeInfo(88, 8),
    # wait_queue_head { spinlock_t lock 64; list_head head 16 } -> 80
    "wait_queue_head_t": TypeInfo(80, 8),
    "struct wait_queue_head": TypeInfo(80, 8),
    # work_struct + struct lockdep_map lockdep_map (CONFIG_LOCKDEP) -> 32 + 40 = 72 (seed 003: work 72)
    "struct work_struct": TypeInfo(72, 8),
    # timer_list + lockdep_map -> 40 + 40 = 80
    "struct timer_list": TypeInfo(80, 8),
    # delayed_work { work_struct 72; timer_list 80; wq 8; int cpu 4 } -> 164, padded 168
    "struct delayed_work": TypeInfo(168, 8),
    # mutex with CONFIG_DEBUG_MUTEXES (void *magic 8) and CONFIG_DEBUG_LOCK_ALLOC (dep_map 40):
    # owner 8; wait_lock 64; osq 4; [4]; wait_list 16; magic 8; dep_map 40 -> 144
    "struct mutex": TypeInfo(144, 8),
}

BUILTIN: dict[str, dict[str, TypeInfo]] = {
    "x86_64": _X86_64,
    "x86_64-lockdep": _X86_64_LOCKDEP,
}


def load_profiles(path: str | None = None) -> dict[str, dict[str, TypeInfo]]:
    """The built-in profiles, with a user's TOML file laid over them."""
    profiles = {name: dict(types) for name, types in BUILTIN.items()}
    if path is None:
        return profiles
    try:
        with open(Path(path), "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise InputError(str(path), "no such file") from None
    except (tomllib.TOMLDecodeError, OSError) as exc:
        raise InputError(str(path), f"not a profile file: {exc}") from None
    for name, table in data.items():
        if not isinstance(table, dict):
            raise InputError(str(path), f"[{name}] must be a table of types")
        parent = table.get("inherits")
        base = profiles.get(parent, {}) if parent else profiles.get(name, {})
        if parent and parent not in profiles:
            raise InputError(str(path), f"[{name}] inherits unknown profile {parent!r}")
        merged = dict(base)
        for type_name, spec in table.items():
            if type_name == "inherits":
                continue
            try:
                merged[type_name] = TypeInfo(int(spec["size"]), int(spec["align"]), bool(spec.get("forced", False)))
            except (KeyError, TypeError, ValueError):
                raise InputError(str(path), f"[{name}] {type_name}: needs size and align integers") from None
        profiles[name] = merged
    return profiles
