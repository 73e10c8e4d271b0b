"""The interpreter's memory: objects, not bytes.

A struct, union or array instance is an `Obj` with a label (`io_worker#3`)
that names it in race findings; its members are Python values (ints,
`Ptr`s, `FuncRef`s, None for NULL) or nested `Obj`s for embedded structs
and arrays, which know their parent so that `container_of` can walk back.
A pointer is `Ptr(obj, key)`: key None points at the object itself, a
member name or an index at one scalar member of it. Objects on a task's
stack are not shared (no scheduling point, no race check); heap objects and
globals are. Freed objects stay, poisoned: a later access is a
use-after-free finding, never a silent read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from triage.cexec.ctype import ArrayType, CType, IntType, PointerType, StructType


class Obj:
    __slots__ = ("ctype", "label", "fields", "shared", "freed", "parent", "freed_at")

    def __init__(self, ctype: CType, label: str, shared: bool, parent: tuple["Obj", Any] | None = None) -> None:
        self.ctype = ctype
        self.label = label
        self.shared = shared
        self.freed = False
        self.freed_at = ""
        self.parent = parent
        self.fields: dict[Any, Any] = {}

    def __repr__(self) -> str:
        return f"<{self.label}>"


@dataclass(frozen=True, slots=True)
class Ptr:
    obj: Obj
    key: Any = None  # None: the object; a member name or an array index: that scalar

    def __repr__(self) -> str:
        return f"&{self.obj.label}" + ("" if self.key is None else f".{self.key}")


@dataclass(frozen=True, slots=True)
class FuncRef:
    """A function's address (`fn` in `init_task_work(&cb, fn)`)."""

    name: str


class Heap:
    """Labels objects by type and counts them (io_worker#1, io_worker#2 ...)."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def label(self, ctype: CType) -> str:
        base = ctype.tag if isinstance(ctype, StructType) else str(ctype).replace(" ", "_")
        n = self.counts.get(base, 0) + 1
        self.counts[base] = n
        return f"{base}#{n}"

    def new(self, ctype: CType, shared: bool = True, label: str | None = None) -> Obj:
        return make(ctype, label or self.label(ctype), shared)


def make(ctype: CType, label: str, shared: bool, parent: tuple[Obj, Any] | None = None) -> Obj:
    """A zeroed object of the type, nested members made too (kzalloc)."""
    obj = Obj(ctype, label, shared, parent)
    if isinstance(ctype, StructType):
        for name, t in ctype.members:
            obj.fields[name] = zero(t, f"{label}.{name}", shared, (obj, name))
    elif isinstance(ctype, ArrayType):
        for i in range(ctype.length or 0):
            obj.fields[i] = zero(ctype.of, f"{label}[{i}]", shared, (obj, i))
    return obj


def zero(t: CType, label: str, shared: bool, parent: tuple[Obj, Any]) -> Any:
    if isinstance(t, (StructType, ArrayType)):
        return make(t, label, shared, parent)
    if isinstance(t, IntType):
        return 0
    if isinstance(t, PointerType):
        return None
    return 0


def root(obj: Obj) -> Obj:
    """The outermost object an embedded member belongs to (what kfree frees)."""
    while obj.parent is not None:
        obj = obj.parent[0]
    return obj


def poison(obj: Obj, site: str) -> None:
    """Free an object: it and every object embedded in it (a list_head, a
    lock, an array of structs) are poisoned, so that a walk reaching a
    member of freed memory is a use after free too."""
    todo = [obj]
    while todo:
        o = todo.pop()
        o.freed = True
        o.freed_at = site
        todo.extend(v for v in o.fields.values() if isinstance(v, Obj))
