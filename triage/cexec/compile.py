"""C functions compiled to Python closures that run as engine tasks.

Each statement becomes a generator function `run(fr)` returning a control
signal (None, BREAK, CONTINUE, ("return", v), ("goto", label)); each
expression an `E`: its static C type and either a plain function
(`pure`: constants, locals, arithmetic on them) or a generator function
that yields the engine's `Access` before every read or write of a member
of a shared object (heap, globals) — `struct.field@object` at
`function:line` — so that races, happens-before and schedule exploration
see every shared access the C makes. Locals stay in the frame.

C semantics the bugs depend on: integer width and signedness with
two's-complement wrap (a wrap of an unsigned value is recorded), the usual
arithmetic conversions (so `-1 < 0u` is false), short-circuit `&&` `||`,
goto/labels, switch with fallthrough, do/while, break/continue,
designated and compound initialisers, function pointers, container_of,
embedded structs and arrays of structs, enumerators and `#define`s,
sizeof of what the file defines. Kernel macros are understood by name
(READ_ONCE, WRITE_ONCE, likely, BIT, WARN_ON_ONCE, lockdep_assert_held,
the *_for_each_* iterators, which a runtime implements). Anything else
stops with `cannot execute: <construct> at <file>:<line> in <function>`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from tree_sitter import Node

from triage.cexec import ctype as C
from triage.cexec.errors import CannotExecute, CFault
from triage.cexec.memory import FuncRef, Obj, Ptr, make
from triage.cexec.program import Program, text

BREAK = ("break",)
# Kernel macros whose arguments (by position) name a struct member, not a value.
MEMBER_ARGS = {"kfree_rcu": (1,)}
CONTINUE = ("continue",)


class SizeOf(int):
    """sizeof(T): a number that remembers its type, so that
    `kzalloc(sizeof(*worker), ...)` allocates an io_worker."""

    ctype: C.CType
    flex: int = 0  # elements of the flexible array member (struct_size)

    def __new__(cls, value: int, ctype: C.CType) -> "SizeOf":
        obj = super().__new__(cls, value)
        obj.ctype = ctype
        return obj


class Item:
    """What a runtime iterator yields for each element: the values of its
    position arguments (`pos`, and `prv` or the node for some iterators)."""

    __slots__ = ("values",)

    def __init__(self, *values: Any) -> None:
        self.values = values


@dataclass
class E:
    ctype: C.CType
    fn: Callable
    pure: bool


class Frame:
    __slots__ = ("v", "m", "fn", "goto")

    def __init__(self, n: int, m: Any, fn: str) -> None:
        self.v: list[Any] = [None] * n
        self.m = m
        self.fn = fn
        # a goto into a nested block (`} else { label: ...`): the label being
        # jumped to while the statements that enclose it are entered
        self.goto: str | None = None


def _mapped(e: E, t: C.CType, f: Callable) -> E:
    """f of e's value, of type t: pure when e is."""
    if e.pure:
        inner = e.fn
        return E(t, lambda fr: f(inner(fr)), True)
    g = e.fn

    def run(fr):
        return f((yield from g(fr)))

    return E(t, run, False)


def gen(e: E) -> Callable:
    """The expression as a generator function, whatever it is."""
    if not e.pure:
        return e.fn
    f = e.fn

    def g(fr):
        return f(fr)
        yield  # unreachable: makes g a generator

    return g


def access(fr: Frame, obj: Obj, key: Any, write: bool, site: str, atomic: bool = False, order: str = "relaxed"):
    return fr.m.access(obj, key, write, site, atomic, order)


def size_of(t: C.CType) -> int:
    """A size for arithmetic on sizeof (allocation takes the type, not the
    number): LP64 sizes of scalars, member sums for structs."""
    if isinstance(t, C.IntType):
        return max(1, t.bits // 8)
    if isinstance(t, (C.PointerType, C.FunctionType)):
        return 8
    if isinstance(t, C.ArrayType):
        return size_of(t.of) * (t.length or 0)
    if isinstance(t, C.StructType):
        sizes = [size_of(m) for _, m in t.members]
        return (max(sizes, default=0) if t.union else sum(sizes)) or 1
    return 1


class FunctionCompiler:
    def __init__(self, program: Program, name: str) -> None:
        self.p = program
        self.name = name
        self.scopes: list[dict[str, tuple[int, C.CType, bool]]] = [{}]
        self.nslots = 0
        self.boxed: set[str] = set()

    # ---------------------------------------------------------- plumbing

    def stop(self, construct: str, node: Node) -> CannotExecute:
        return CannotExecute(construct, self.p.name, node.start_point[0] + 1, self.name)

    def site(self, node: Node) -> str:
        return f"{self.name}:{node.start_point[0] + 1}"

    def declare(self, name: str, t: C.CType) -> int:
        slot = self.nslots
        self.nslots += 1
        # a struct or array local is an object already; a scalar whose address is taken lives in a box
        boxed = name in self.boxed and not isinstance(t, (C.StructType, C.ArrayType))
        self.scopes[-1][name] = (slot, t, boxed)
        return slot

    def lookup(self, name: str) -> tuple[int, C.CType, bool] | None:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        return None

    # ---------------------------------------------------------- function

    def compile(self) -> Callable:
        node = self.p.functions.get(self.name)
        if node is None:
            raise CannotExecute(f"no function {self.name}", self.p.name, 0, self.name)
        body = node.child_by_field_name("body")
        self.boxed = _address_taken(body)
        params = self._params(node.child_by_field_name("declarator"))
        slots = []
        for pname, ptype in params:
            slot = self.declare(pname, ptype)
            slots.append((slot, ptype, self.lookup(pname)[2]))
        run = self.statement(body)
        ret_type = self.p.returns.get(self.name, C.INT)
        fname = self.name
        total = self.nslots  # every slot the body declared, known once it is compiled

        def call(m, *args):
            fr = Frame(total, m, fname)
            for (slot, t, boxed), value in zip(slots, args):
                _set_local(fr, slot, t, value, boxed, f"{fname}.arg")
            signal = yield from run(fr)
            if isinstance(signal, tuple) and signal[0] == "return":
                return signal[1]
            if isinstance(signal, tuple) and signal[0] == "goto":
                raise CannotExecute(f"goto {signal[1]} to a label not in an enclosing block", self.p.name,
                                    0, fname)
            return None

        call.returns = ret_type  # type: ignore[attr-defined]
        return call

    def _params(self, declarator: Node) -> list[tuple[str, C.CType]]:
        node = declarator
        while node is not None and node.type != "function_declarator":
            node = node.child_by_field_name("declarator")
        out = []
        params = node.child_by_field_name("parameters") if node is not None else None
        for p in (params.named_children if params is not None else []):
            if p.type != "parameter_declaration":
                continue
            base = self.p.type_of(p.child_by_field_name("type"))
            d = p.child_by_field_name("declarator")
            if d is None:
                continue  # (void)
            name, t = self.p.declarator(d, base)
            if isinstance(t, C.FunctionType):
                t = C.PointerType(t)
            if name:
                out.append((name, t))
        return out

    # -------------------------------------------------------- statements

    def statement(self, node: Node) -> Callable:
        t = node.type
        method = getattr(self, "s_" + t, None)
        if method is None:
            raise self.stop(f"statement {t}", node)
        run = method(node)
        if t == "compound_statement":
            return run
        return self.covered(node, run)

    def covered(self, node: Node, run: Callable) -> Callable:
        """Coverage: the line of every statement (and declaration) run."""
        key = (self.name, node.start_point[0] + 1)
        self.p.spans[key] = max(self.p.spans.get(key, 0), node.end_point[0] + 1)

        name, line = key

        def covered(fr):
            m = fr.m
            m.lines.add(key)
            m.trail.append((m.engine.current if m.engine is not None else None, key))
            m.statements += 1
            if m.statements > m.max_statements:
                m.check_progress(name, line)
            return (yield from run(fr))

        return covered

    def s_compound_statement(self, node: Node) -> Callable:
        self.scopes.append({})
        items: list[Callable] = []
        labels: dict[str, int] = {}
        for child in node.named_children:
            if child.type == "comment":
                continue
            if child.type == "labeled_statement":
                labels[text(child.child_by_field_name("label"))] = len(items)
                inner = [c for c in child.named_children if c.type != "statement_identifier"]
                items.append(self.statement(inner[0]) if inner else _nothing)
                continue
            if child.type in ("declaration",):
                items.append(self.covered(child, self.declaration(child)))
                continue
            items.append(self.statement(child))
        self.scopes.pop()
        items_t = tuple(items)
        nested = {}  # label -> the item whose nested blocks hold it
        for i, child in enumerate(c for c in node.named_children if c.type != "comment"):
            for label in _labels_in(child):
                if label not in labels:
                    nested.setdefault(label, i)

        def run(fr):
            i = 0
            n = len(items_t)
            if fr.goto is not None:  # entered to reach a label inside
                if fr.goto in labels:
                    i = labels[fr.goto]
                    fr.goto = None
                elif fr.goto in nested:
                    i = nested[fr.goto]
            while i < n:
                signal = yield from items_t[i](fr)
                if signal is None:
                    i += 1
                    continue
                if signal[0] == "goto" and signal[1] in labels:
                    i = labels[signal[1]]
                    continue
                if signal[0] == "goto" and signal[1] in nested:
                    i = nested[signal[1]]
                    fr.goto = signal[1]
                    continue
                return signal
            return None

        run.labels = set(labels) | set(nested)  # type: ignore[attr-defined]
        return run

    def s_declaration(self, node: Node) -> Callable:
        return self.declaration(node)

    def declaration(self, node: Node) -> Callable:
        base = self.p.type_of(node.child_by_field_name("type"))
        steps = []
        for d in node.children_by_field_name("declarator"):
            value = None
            if d.type == "init_declarator":
                value = d.child_by_field_name("value")
                d = d.child_by_field_name("declarator")
            name, t = self.p.declarator(d, base)
            if name is None:
                raise self.stop("declarator", d)
            if isinstance(t, C.FunctionType):
                continue  # a local prototype
            # the name is in scope in its own initializer (`it = kzalloc(sizeof(*it), ...)`)
            slot = self.declare(name, t)
            init = self.initializer(value, t) if value is not None else None
            steps.append((slot, t, init, name in self.boxed, name))
        fname = self.name

        def run(fr):
            for slot, t, init, boxed, name in steps:
                if isinstance(t, (C.StructType, C.ArrayType)):
                    obj = make(t, f"{fname}.{name}", False)
                    if init is not None:
                        yield from init(fr, obj)
                    fr.v[slot] = obj
                    continue
                value = (yield from init(fr)) if init is not None else 0
                _set_local(fr, slot, t, value, boxed, f"{fname}.{name}")
            return None

        return run

    def initializer(self, node: Node, t: C.CType) -> Callable:
        """For a scalar: a generator function giving the value; for a struct
        or array: one filling the object given."""
        if isinstance(t, (C.StructType, C.ArrayType)):
            if node.type != "initializer_list":
                e = self.expr(node)
                g = gen(e)

                def copy(fr, obj):
                    src = yield from g(fr)
                    if isinstance(src, Obj):
                        _copy(src, obj)
                    return None

                return copy
            return self.fill(node, t)
        return gen(self.expr(node))

    def fill(self, node: Node, t: C.CType) -> Callable:
        steps = []
        position = 0
        for item in node.named_children:
            if item.type == "initializer_pair":
                designator = item.child_by_field_name("designator")
                value = item.child_by_field_name("value")
                if designator is None or designator.type != "field_designator":
                    raise self.stop("array designator", item)
                key = text(designator).lstrip(".")
            else:
                value = item
                if isinstance(t, C.StructType):
                    if position >= len(t.members):
                        raise self.stop("too many initialisers", item)
                    key = t.members[position][0]
                else:
                    key = position
            position += 1
            mt = t.member(key) if isinstance(t, C.StructType) else t.of
            if mt is None:
                raise self.stop(f"no member {key} in {t}", item)
            steps.append((key, mt, self.initializer(value, mt)))

        def run(fr, obj):
            for key, mt, init in steps:
                if isinstance(mt, (C.StructType, C.ArrayType)):
                    yield from init(fr, obj.fields[key])
                else:
                    obj.fields[key] = convert((yield from init(fr)), mt)
            return None

        return run

    def s_expression_statement(self, node: Node) -> Callable:
        if not node.named_children:
            return _nothing
        g = gen(self.expr(node.named_children[0]))

        def run(fr):
            yield from g(fr)
            return None

        return run

    def s_return_statement(self, node: Node) -> Callable:
        if not node.named_children:
            def nothing(fr):
                return ("return", None)
                yield  # noqa

            return nothing
        ret = self.p.returns.get(self.name, C.INT)
        g = gen(self.expr(node.named_children[0]))

        def run(fr):
            value = yield from g(fr)
            return ("return", convert(value, ret))

        return run

    def s_if_statement(self, node: Node) -> Callable:
        cond = gen(self.condition(node.child_by_field_name("condition")))
        then = self.statement(node.child_by_field_name("consequence"))
        alt_node = node.child_by_field_name("alternative")
        if alt_node is not None and alt_node.type == "else_clause":
            alt_node = alt_node.named_children[0]
        alt = self.statement(alt_node) if alt_node is not None else None
        in_then = _labels_in(node.child_by_field_name("consequence"))
        in_alt = _labels_in(alt_node) if alt_node is not None else set()

        def run(fr):
            if fr.goto is not None:  # jumping to a label in one branch: no condition
                if fr.goto in in_then:
                    return (yield from then(fr))
                if fr.goto in in_alt:
                    return (yield from alt(fr))
            if (yield from cond(fr)):
                return (yield from then(fr))
            if alt is not None:
                return (yield from alt(fr))
            return None

        return run

    def s_while_statement(self, node: Node) -> Callable:
        cond = gen(self.condition(node.child_by_field_name("condition")))
        return _loop(cond, self.statement(node.child_by_field_name("body")))

    def s_do_statement(self, node: Node) -> Callable:
        cond = gen(self.condition(node.child_by_field_name("condition")))
        return _loop(cond, self.statement(node.child_by_field_name("body")), test_first=False)

    def s_for_statement(self, node: Node) -> Callable:
        init = node.child_by_field_name("initializer")
        if init is not None and init.type == "call_expression":
            fname = text(init.child_by_field_name("function"))
            if "for_each" in fname:
                return self.iterator(node, init, fname)
        self.scopes.append({})
        if init is None:
            first = _nothing
        elif init.type == "declaration":
            first = self.declaration(init)
        else:
            g0 = gen(self.expr(init))

            def first(fr):
                yield from g0(fr)
                return None

        cond_node = node.child_by_field_name("condition")
        cond = gen(self.condition(cond_node)) if cond_node is not None else None
        upd_node = node.child_by_field_name("update")
        update = gen(self.expr(upd_node)) if upd_node is not None else None
        loop = _loop(cond, self.statement(node.child_by_field_name("body")), update)
        self.scopes.pop()

        def run(fr):
            yield from first(fr)
            return (yield from loop(fr))

        return run

    def iterator(self, node: Node, call: Node, fname: str) -> Callable:
        """`list_for_each_entry(pos, head, member) body`: the runtime walks
        the list, yielding an Item per element (stored into the position
        arguments, whose types the runtime needs to map a node back to its
        container); break, continue, return and goto are handled here."""
        args = [a for a in call.child_by_field_name("arguments").named_children if a.type != "comment"]
        if not args:
            raise self.stop(f"iterator {fname} without arguments", call)
        targets = []
        values = []
        for a in args:
            if a.type == "identifier" and self.lookup(text(a)) is not None:
                targets.append(self.lvalue(a))
            else:
                targets.append(None)
            if a.type in ("field_identifier",) or (a.type == "identifier" and self.lookup(text(a)) is None
                                                    and text(a) not in self.p.consts):
                values.append(("member", text(a)))
            else:
                values.append(("expr", gen(self.expr(a))))
        body = self.statement(node.child_by_field_name("body"))
        site = self.site(node)
        types = [t.ctype if t is not None else None for t in targets]

        def run(fr):
            impl = fr.m.iterator(fname, site)
            argv = []
            for kind, v in values:
                argv.append(v if kind == "member" else (yield from v(fr)))
            walk = impl(fr.m, site, argv, types)
            send = None
            while True:  # the runtime's walk: engine operations passed on, each Item runs the body
                try:
                    op = walk.send(send)
                except StopIteration:
                    return None
                send = None
                if not isinstance(op, Item):
                    send = yield op
                    continue
                for i, value in enumerate(op.values):
                    if targets[i] is None:
                        raise CannotExecute.at(f"iterator {fname} argument {i + 1} is not a local",
                                               fr.m.program.name, site)
                    yield from targets[i].store(fr, value)
                signal = yield from body(fr)
                if signal is BREAK:
                    walk.close()
                    return None
                if signal is not None and signal is not CONTINUE:
                    walk.close()
                    return signal

        return run

    def s_switch_statement(self, node: Node) -> Callable:
        value = gen(self.expr(node.child_by_field_name("condition")))
        body = node.child_by_field_name("body")
        cases: list[tuple[int | None, list[Callable]]] = []
        self.scopes.append({})
        for child in body.named_children:
            if child.type != "case_statement":
                if child.type == "comment":
                    continue
                raise self.stop(f"statement {child.type} outside a case", child)
            v = child.child_by_field_name("value")
            key = None
            if v is not None:
                key = self.constant(v)
            after = False
            body_nodes = []
            for s in child.children:  # the statements after `case X:` / `default:`
                if not after:
                    after = s.type == ":"
                    continue
                if s.is_named and s.type != "comment":
                    body_nodes.append(s)
            stmts = [self.statement(s) if s.type != "declaration" else self.declaration(s) for s in body_nodes]
            cases.append((key, stmts))
        self.scopes.pop()

        def run(fr):
            got = yield from value(fr)
            start = next((i for i, (k, _) in enumerate(cases) if k is not None and k == got), None)
            if start is None:
                start = next((i for i, (k, _) in enumerate(cases) if k is None), None)
            if start is None:
                return None
            for _, stmts in cases[start:]:  # fallthrough until break
                for s in stmts:
                    signal = yield from s(fr)
                    if signal is BREAK:
                        return None
                    if signal is not None:
                        return signal
            return None

        return run

    def s_break_statement(self, node: Node) -> Callable:
        return _signal(BREAK)

    def s_continue_statement(self, node: Node) -> Callable:
        return _signal(CONTINUE)

    def s_goto_statement(self, node: Node) -> Callable:
        return _signal(("goto", text(node.child_by_field_name("label"))))

    def s_labeled_statement(self, node: Node) -> Callable:
        raise self.stop("label inside a nested statement", node)

    def s_comment(self, node: Node) -> Callable:
        return _nothing

    def s_preproc_ifdef(self, node: Node) -> Callable:
        """`#ifdef CONFIG_X` inside a body: the build with the option on
        (as struct members are read); an `#else` branch is not run."""
        self.scopes.append({})
        items = []
        for child in node.named_children:
            if child.type in ("identifier", "preproc_else", "preproc_elif", "comment", "preproc_defined"):
                continue
            items.append(self.declaration(child) if child.type == "declaration" else self.statement(child))
        self.scopes.pop()

        def run(fr):
            for item in items:
                signal = yield from item(fr)
                if signal is not None:
                    return signal
            return None

        return run

    s_preproc_if = s_preproc_ifdef

    # ------------------------------------------------------- expressions

    def condition(self, node: Node) -> E:
        if node.type == "parenthesized_expression":
            node = node.named_children[0]
        return self.expr(node)

    def constant(self, node: Node) -> int:
        e = self.expr(node)
        if not e.pure:
            raise self.stop("case label that is not a constant", node)
        return e.fn(None)

    def expr(self, node: Node) -> E:
        method = getattr(self, "e_" + node.type, None)
        if method is None:
            raise self.stop(f"expression {node.type}", node)
        return method(node)

    def e_parenthesized_expression(self, node: Node) -> E:
        inner = [c for c in node.named_children if c.type != "comment"]
        return self.expr(inner[0])

    def e_number_literal(self, node: Node) -> E:
        raw = text(node).lower()
        digits = raw.rstrip("ul")
        suffix = raw[len(digits):]
        try:
            value = int(digits, 0) if not (digits.startswith("0") and digits[1:].isdigit()) else int(digits, 8)
        except ValueError:
            raise self.stop(f"number {raw}", node) from None
        unsigned = "u" in suffix or (digits.startswith("0x") and value > C.INT.hi)
        longs = suffix.count("l")
        t = (C.ULONG if unsigned else C.LONG) if longs or value > C.UINT.hi else (C.UINT if unsigned or value > C.INT.hi
                                                                                 else C.INT)
        return E(t, lambda fr, v=value: v, True)

    def e_char_literal(self, node: Node) -> E:
        body = text(node)[1:-1]
        value = ord(body.encode().decode("unicode_escape")) if body else 0
        return E(C.CHAR, lambda fr, v=value: v, True)

    def e_string_literal(self, node: Node) -> E:
        value = text(node)[1:-1]
        return E(C.PointerType(C.CHAR), lambda fr, v=value: v, True)

    def e_concatenated_string(self, node: Node) -> E:
        value = "".join(text(c)[1:-1] for c in node.named_children if c.type == "string_literal")
        return E(C.PointerType(C.CHAR), lambda fr, v=value: v, True)

    def e_true(self, node: Node) -> E:
        return E(C.BOOL, lambda fr: 1, True)

    def e_false(self, node: Node) -> E:
        return E(C.BOOL, lambda fr: 0, True)

    def e_null(self, node: Node) -> E:
        return E(C.PointerType(C.VOID), lambda fr: None, True)

    def e_identifier(self, node: Node) -> E:
        name = text(node)
        found = self.lookup(name)
        if found is not None:
            slot, t, boxed = found
            if boxed:
                return E(t, lambda fr, s=slot: fr.v[s].fields["v"], True)
            return E(t, lambda fr, s=slot: fr.v[s], True)
        if name == "NULL":
            return E(C.PointerType(C.VOID), lambda fr: None, True)
        if name in self.p.consts:
            value = self.p.consts[name]
            return E(C.INT if C.INT.lo <= value <= C.INT.hi else C.ULONG, lambda fr, v=value: v, True)
        if name in self.p.functions or name in self.p.returns:
            return E(C.PointerType(C.FunctionType(self.p.returns.get(name, C.INT))),
                     lambda fr, f=FuncRef(name): f, True)
        if name in self.p.globals:
            t = self.p.globals[name][0]
            site = self.site(node)
            if self.p.globals[name][1] is None and name in self.p.extern:
                # declared by the runtime's C (`extern struct task_struct *current;`): its value, typed
                def runtime_global(fr, n=name):
                    return fr.m.runtime_value(n, site)
                    yield  # noqa

                return E(t, runtime_global, False)
            if isinstance(t, (C.StructType, C.ArrayType)):
                return E(t, lambda fr, n=name: fr.m.global_obj(n), True)

            def read_global(fr, n=name):
                holder = fr.m.global_obj(n)
                yield from access(fr, holder, "v", False, site)
                return holder.fields["v"]

            return E(t, read_global, False)
        st = self.tagged(name)
        if st is not None:
            return E(st, lambda fr: None, True)
        # a name the runtime knows (a kernel global such as jiffies, or a constant such as HZ)
        site = self.site(node)

        def runtime_name(fr, n=name):
            return fr.m.runtime_value(n, site)
            yield  # noqa

        return E(C.LONG, runtime_name, False)

    # -------------------------------------------------------- lvalues

    def lvalue(self, node: Node) -> "L":
        t = node.type
        if t == "parenthesized_expression":
            return self.lvalue(node.named_children[0])
        if t == "identifier":
            name = text(node)
            found = self.lookup(name)
            if found is not None:
                slot, ct, boxed = found
                return LocalL(ct, slot, boxed)
            if name in self.p.globals:
                ct = self.p.globals[name][0]
                return GlobalL(ct, name, self.site(node))
            raise self.stop(f"assignment to {name}", node)
        if t == "field_expression":
            return self.field(node)
        if t == "subscript_expression":
            return self.subscript(node)
        if t == "pointer_expression" and text(node.child_by_field_name("operator")) == "*":
            inner = self.expr(node.child_by_field_name("argument"))
            pt = inner.ctype.to if isinstance(inner.ctype, C.PointerType) else C.INT
            return DerefL(pt, gen(inner), self.site(node))
        raise self.stop(f"assignment to {t}", node)

    def field(self, node: Node) -> "L":
        base_node = node.child_by_field_name("argument")
        name = text(node.child_by_field_name("field"))
        arrow = text(node.child_by_field_name("operator")) == "->"
        base = self.expr(base_node)
        st = base.ctype.to if arrow and isinstance(base.ctype, C.PointerType) else base.ctype
        if not isinstance(st, C.StructType):
            raise self.stop(f"member {name} of {base.ctype}", node)
        holder = st.anonymous_holder(name) if st.member(name) is not None and \
            not any(n == name for n, _ in st.members) else None
        mt = st.member(name)
        if mt is None:
            if not st.defined:
                raise self.stop(f"member {name} of {st.name}, which the file does not define", node)
            raise self.stop(f"no member {name} in {st.name}", node)
        return FieldL(mt, gen(base), name, holder, self.site(node), st)

    def subscript(self, node: Node) -> "L":
        base = self.expr(node.child_by_field_name("argument"))
        index = gen(self.expr(node.child_by_field_name("index")))
        if isinstance(base.ctype, C.ArrayType):
            et = base.ctype.of
        elif isinstance(base.ctype, C.PointerType):
            et = base.ctype.to
        else:
            raise self.stop(f"subscript of {base.ctype}", node)
        return IndexL(et, gen(base), index, self.site(node))

    def e_field_expression(self, node: Node) -> E:
        return self.field(node).rvalue()

    def e_subscript_expression(self, node: Node) -> E:
        return self.subscript(node).rvalue()

    def e_assignment_expression(self, node: Node) -> E:
        op = text(node.child_by_field_name("operator"))
        target = self.lvalue(node.child_by_field_name("left"))
        right = self.expr(node.child_by_field_name("right"))
        t = target.ctype
        rg = gen(right)
        site = self.site(node)
        if op == "=":
            def assign(fr):
                value = yield from rg(fr)
                if isinstance(t, C.StructType) and isinstance(value, Obj):
                    dest = yield from target.load(fr)
                    _copy(value, dest)
                    return dest
                value = convert(value, t)
                yield from target.store(fr, value)
                return value

            return E(t, assign, False)
        arith = op[:-1]
        combine = self.arith(arith, t, right.ctype, node)

        def compound(fr):
            loc = yield from target.locate(fr)
            old = yield from target.read_at(fr, loc)
            value = yield from rg(fr)
            new = combine(old, value, fr, site)
            new = convert(new, t)
            yield from target.write_at(fr, loc, new)
            return new

        return E(t, compound, False)

    def e_update_expression(self, node: Node) -> E:
        op = text(node.child_by_field_name("operator"))
        target = self.lvalue(node.child_by_field_name("argument"))
        t = target.ctype
        postfix = node.children[0].type != op
        delta = 1 if op == "++" else -1
        site = self.site(node)

        def update(fr):
            loc = yield from target.locate(fr)
            old = yield from target.read_at(fr, loc)
            if isinstance(t, C.IntType):
                raw = old + delta
                new = t.wrap(raw)
                if new != raw and not t.signed:
                    fr.m.wrapped(site, f"{old} {op} wraps to {new}")
            else:
                raise CannotExecute(f"{op} on {t}", fr.m.program.name, 0, fr.fn)
            yield from target.write_at(fr, loc, new)
            return old if postfix else new

        return E(t, update, False)

    def e_pointer_expression(self, node: Node) -> E:
        op = text(node.child_by_field_name("operator"))
        arg = node.child_by_field_name("argument")
        if op == "*":
            return self.lvalue(node).rvalue()
        # &x
        if arg.type == "identifier" and (text(arg) in self.p.functions or text(arg) in self.p.returns) \
                and self.lookup(text(arg)) is None:
            return self.e_identifier(arg)
        target = self.lvalue(arg)
        t = target.ctype
        return E(C.PointerType(t), target.address, False)

    def e_unary_expression(self, node: Node) -> E:
        op = text(node.child_by_field_name("operator"))
        arg = self.expr(node.child_by_field_name("argument"))
        t = arg.ctype
        if op == "!":
            f = lambda v: 0 if v else 1  # noqa: E731
            rt: C.CType = C.INT
        elif op in ("-", "~", "+"):
            if not isinstance(t, C.IntType):
                raise self.stop(f"unary {op} on {t}", node)
            rt = C.promote(t)
            f = {"-": lambda v, rt=rt: rt.wrap(-v), "~": lambda v, rt=rt: rt.wrap(~v),
                 "+": lambda v: v}[op]
        else:
            raise self.stop(f"unary {op}", node)
        return _mapped(arg, rt, f)

    def arith(self, op: str, lt: C.CType, rt: C.CType, node: Node) -> Callable:
        """(a, b, fr, site) -> the result of a op b in C."""
        if op in ("+", "-") and isinstance(lt, C.PointerType) and isinstance(rt, C.IntType):
            return lambda a, b, fr, site: _ptr_add(a, b if op == "+" else -b, site)
        if not isinstance(lt, C.IntType) or not isinstance(rt, C.IntType):
            raise self.stop(f"{op} on {lt} and {rt}", node)
        if op in ("<<", ">>"):
            res = C.promote(lt)
        else:
            res = C.common(lt, rt)

        def apply(a, b, fr, site):
            a, b = res.wrap(a) if op not in ("<<", ">>") else a, res.wrap(b) if op not in ("<<", ">>") else b
            if op == "+":
                raw = a + b
            elif op == "-":
                raw = a - b
            elif op == "*":
                raw = a * b
            elif op in ("/", "%"):
                if b == 0:
                    raise CFault("division by zero", f"{a} {op} 0", site)
                q = abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)
                raw = q if op == "/" else a - q * b
            elif op == "&":
                raw = a & b
            elif op == "|":
                raw = a | b
            elif op == "^":
                raw = a ^ b
            elif op == "<<":
                raw = a << b
            elif op == ">>":
                raw = a >> b
            else:
                raise CFault("operator", op, site)
            value = res.wrap(raw)
            if value != raw and not res.signed and op in ("+", "-", "*"):
                fr.m.wrapped(site, f"{a} {op} {b} wraps to {value} ({res})")
            return value

        apply.ctype = res  # type: ignore[attr-defined]
        return apply

    def e_binary_expression(self, node: Node) -> E:
        op = text(node.child_by_field_name("operator"))
        left = self.expr(node.child_by_field_name("left"))
        right = self.expr(node.child_by_field_name("right"))
        site = self.site(node)
        if op in ("&&", "||"):
            lg, rg = gen(left), gen(right)
            if op == "&&":
                def run(fr):
                    return 1 if (yield from lg(fr)) and (yield from rg(fr)) else 0
            else:
                def run(fr):
                    return 1 if (yield from lg(fr)) or (yield from rg(fr)) else 0
            if left.pure and right.pure:
                lf, rf = left.fn, right.fn
                f = (lambda fr: 1 if lf(fr) and rf(fr) else 0) if op == "&&" else \
                    (lambda fr: 1 if lf(fr) or rf(fr) else 0)
                return E(C.INT, f, True)
            return E(C.INT, run, False)
        if op in ("==", "!=", "<", ">", "<=", ">="):
            compare = self.comparison(op, left.ctype, right.ctype)
            return self._combine(C.INT, left, right, lambda a, b, fr: compare(a, b))
        apply = self.arith(op, left.ctype, right.ctype, node)
        res = getattr(apply, "ctype", left.ctype)
        return self._combine(res, left, right, lambda a, b, fr: apply(a, b, fr, site))

    def comparison(self, op: str, lt: C.CType, rt: C.CType) -> Callable:
        if isinstance(lt, C.IntType) and isinstance(rt, C.IntType):
            common = C.common(lt, rt)  # -1 < 0u is false: both become unsigned

            def conv(a, b):
                return common.wrap(a), common.wrap(b)
        else:
            def conv(a, b):
                return a, b
        ops = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
               ">": lambda a, b: a > b, "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b}
        f = ops[op]
        return lambda a, b: 1 if f(*conv(a, b)) else 0

    def _combine(self, t: C.CType, left: E, right: E, f: Callable) -> E:
        if left.pure and right.pure:
            lf, rf = left.fn, right.fn
            return E(t, lambda fr: f(lf(fr), rf(fr), fr), True)
        lg, rg = gen(left), gen(right)

        def run(fr):
            a = yield from lg(fr)
            b = yield from rg(fr)
            return f(a, b, fr)

        return E(t, run, False)

    def e_conditional_expression(self, node: Node) -> E:
        cond = gen(self.expr(node.child_by_field_name("condition")))
        a = self.expr(node.child_by_field_name("consequence"))
        b = self.expr(node.child_by_field_name("alternative"))
        t = C.common(a.ctype, b.ctype) if isinstance(a.ctype, C.IntType) and isinstance(b.ctype, C.IntType) \
            else a.ctype
        ag, bg = gen(a), gen(b)

        def run(fr):
            if (yield from cond(fr)):
                return convert((yield from ag(fr)), t)
            return convert((yield from bg(fr)), t)

        return E(t, run, False)

    def e_comma_expression(self, node: Node) -> E:
        a = gen(self.expr(node.child_by_field_name("left")))
        b = self.expr(node.child_by_field_name("right"))
        bg = gen(b)

        def run(fr):
            yield from a(fr)
            return (yield from bg(fr))

        return E(b.ctype, run, False)

    def e_cast_expression(self, node: Node) -> E:
        t = self.p.type_of(node.child_by_field_name("type"))
        return _mapped(self.expr(node.child_by_field_name("value")), t, lambda v: convert(v, t))

    def e_sizeof_expression(self, node: Node) -> E:
        type_node = node.child_by_field_name("type")
        if type_node is not None:
            t = self.p.type_of(type_node)
        else:
            inner = self.expr(node.child_by_field_name("value"))
            t = inner.ctype
        size = SizeOf(size_of(t), t)
        return E(C.ULONG, lambda fr, s=size: s, True)

    def e_compound_literal_expression(self, node: Node) -> E:
        t = self.p.type_of(node.child_by_field_name("type"))
        fill = self.fill(node.child_by_field_name("value"), t)
        fname = self.name

        def run(fr):
            obj = make(t, f"{fname}.literal", False)
            yield from fill(fr, obj)
            return obj

        return E(t, run, False)

    def e_call_expression(self, node: Node) -> E:
        fnode = node.child_by_field_name("function")
        args = [a for a in node.child_by_field_name("arguments").named_children if a.type != "comment"]
        site = self.site(node)
        if fnode.type == "identifier":
            name = text(fnode)
            macro = getattr(self, "m_" + name, None)
            if macro is not None and self.lookup(name) is None:
                return macro(node, args)
            if name in self.p.functions or self.lookup(name) is None and name not in self.p.globals:
                ret = self.p.returns.get(name, C.LONG)
                argv = [gen(self.expr(a)) if name in self.p.functions or not self._bare_name(a, name, i)
                        else gen(E(C.PointerType(C.CHAR), lambda fr, v=text(a): v, True))
                        for i, a in enumerate(args)]

                def call(fr, n=name):
                    values = []
                    for g in argv:
                        values.append((yield from g(fr)))
                    return (yield from fr.m.call(n, values, site))

                return E(ret, call, False)
        target = self.expr(fnode)
        ft = target.ctype.to if isinstance(target.ctype, C.PointerType) else target.ctype
        ret = ft.returns if isinstance(ft, C.FunctionType) else C.LONG
        tg = gen(target)
        argv = [gen(self.expr(a)) for a in args]

        def indirect(fr):
            ref = yield from tg(fr)
            if not isinstance(ref, FuncRef):
                raise CFault("call through a bad function pointer", repr(ref), site)
            values = []
            for g in argv:
                values.append((yield from g(fr)))
            return (yield from fr.m.call(ref.name, values, site))

        return E(ret, indirect, False)

    def tagged(self, name: str) -> C.StructType | None:
        """`__struct_io_worker` (source.py's name for a type given to a
        macro) -> the struct."""
        for prefix in ("__struct_", "__union_"):
            if name.startswith(prefix):
                return self.p.struct(name[len(prefix):])
        return None

    def _bare_name(self, node: Node, call: str = "", index: int = -1) -> bool:
        """A macro argument that names a member (`kfree_rcu(worker, rcu)`)."""
        return node.type == "identifier" and index in MEMBER_ARGS.get(call, ())

    # --------------------------------------------------- macros by name

    def m_likely(self, node, args):
        return self.expr(args[0])

    m_unlikely = m_likely

    def m_READ_ONCE(self, node, args):
        target = self.lvalue(args[0])
        return target.rvalue(atomic=True)

    def m_WRITE_ONCE(self, node, args, order: str = "relaxed"):
        target = self.lvalue(args[0])
        value = gen(self.expr(args[1]))
        t = target.ctype

        def run(fr):
            v = convert((yield from value(fr)), t)
            yield from target.store(fr, v, atomic=True, order=order)
            return v

        return E(t, run, False)

    def m_rcu_dereference(self, node, args):
        """An acquire load: ordered after the rcu_assign_pointer it reads."""
        if args[0].type in ("field_expression", "subscript_expression") or (
                args[0].type == "identifier" and self.lookup(text(args[0])) is None):
            return self.lvalue(args[0]).rvalue(atomic=True, order="acquire")
        return self.expr(args[0])

    m_rcu_dereference_raw = m_rcu_dereference
    m_rcu_access_pointer = m_rcu_dereference
    m_rcu_dereference_protected = m_rcu_dereference

    def m_rcu_assign_pointer(self, node, args):
        return self.m_WRITE_ONCE(node, args, order="release")

    def m_BIT(self, node, args):
        return _mapped(self.expr(args[0]), C.ULONG, lambda n: C.ULONG.wrap(1 << n))

    def _warn(self, node, args, once: bool):
        cond = gen(self.expr(args[0]))
        site = self.site(node)

        def run(fr):
            value = yield from cond(fr)
            if value:
                fr.m.warn(site, once)
            return 1 if value else 0

        return E(C.INT, run, False)

    def m_WARN_ON_ONCE(self, node, args):
        return self._warn(node, args, True)

    def m_WARN_ON(self, node, args):
        return self._warn(node, args, False)

    def m_lockdep_assert_held(self, node, args):
        return E(C.VOID, lambda fr: None, True)

    m_lockdep_assert_not_held = m_lockdep_assert_held
    m_might_sleep = m_lockdep_assert_held

    def m_ARRAY_SIZE(self, node, args):
        e = self.expr(args[0])
        if not isinstance(e.ctype, C.ArrayType) or e.ctype.length is None:
            raise self.stop("ARRAY_SIZE of something that is not an array", node)
        n = e.ctype.length
        return E(C.ULONG, lambda fr: n, True)

    def _minmax(self, node, args, pick):
        a, b = self.expr(args[-2]), self.expr(args[-1])
        t = C.common(a.ctype, b.ctype) if isinstance(a.ctype, C.IntType) and isinstance(b.ctype, C.IntType) \
            else a.ctype
        return self._combine(t, a, b, lambda x, y, fr: pick(convert(x, t), convert(y, t)))

    def m_min(self, node, args):
        return self._minmax(node, args, min)

    def m_max(self, node, args):
        return self._minmax(node, args, max)

    m_min_t = m_min
    m_max_t = m_max

    def _container(self, node, args, null_safe: bool):
        ptr = gen(self.expr(args[0]))
        t_node = args[1]
        tname = text(t_node)
        st = self.tagged(tname)
        if st is None:
            raise self.stop(f"container_of with type {tname}", node)
        member = text(args[2])
        site = self.site(node)

        def run(fr):
            p = yield from ptr(fr)
            if p is None and null_safe:
                return None
            return container_of(p, st, member, site)

        return E(C.PointerType(st), run, False)

    def m_container_of(self, node, args):
        return self._container(node, args, False)

    m_list_entry = m_hlist_entry = m_hlist_nulls_entry = m_wq_list_entry = m_container_of

    def m_hlist_entry_safe(self, node, args):
        return self._container(node, args, True)

    def m_struct_size(self, node, args):
        """struct_size(p, member, n): the size of *p with n elements in its
        flexible array member; the allocation learns both."""
        p = self.expr(args[0])
        st = p.ctype.to if isinstance(p.ctype, C.PointerType) else None
        if not isinstance(st, C.StructType):
            raise self.stop("struct_size of something that is not a struct pointer", node)
        count = gen(self.expr(args[2]))

        def run(fr):
            n = yield from count(fr)
            size = SizeOf(size_of(st) + 8 * n, st)
            size.flex = n
            return size

        return E(C.ULONG, run, False)

    def m_kzalloc_obj(self, node, args):
        """kzalloc_obj(T) (7.0): a zeroed T."""
        st = self.tagged(text(args[0])) or self.expr(args[0]).ctype  # kzalloc_obj(struct T) or (*worker)
        size = SizeOf(size_of(st), st)
        site = self.site(node)

        def run(fr):
            return (yield from fr.m.call("kzalloc", [size, 0], site))

        return E(C.PointerType(st), run, False)


# ---------------------------------------------------------------- lvalues


class L:
    """Somewhere a value lives: locate() once, then read_at/write_at (a
    compound assignment reads and writes the same place)."""

    ctype: C.CType

    def locate(self, fr):
        raise NotImplementedError

    def read_at(self, fr, loc, atomic: bool = False, order: str = "relaxed"):
        holder, key, obj, site = loc
        if obj is not None:
            yield from access(fr, obj, key, False, site, atomic, order)
        return holder[key]

    def write_at(self, fr, loc, value, atomic: bool = False, order: str = "relaxed"):
        holder, key, obj, site = loc
        if obj is not None:
            yield from access(fr, obj, key, True, site, atomic, order)
        holder[key] = value

    def load(self, fr, atomic: bool = False, order: str = "relaxed"):
        loc = yield from self.locate(fr)
        return (yield from self.read_at(fr, loc, atomic, order))

    def store(self, fr, value, atomic: bool = False, order: str = "relaxed"):
        loc = yield from self.locate(fr)
        yield from self.write_at(fr, loc, value, atomic, order)

    def address(self, fr):
        holder, key, obj, site = yield from self.locate(fr)
        value = holder[key]
        if isinstance(value, Obj):
            return Ptr(value)
        if obj is None:
            raise CFault("address of a local", "not boxed", site)
        return Ptr(obj, key)

    def rvalue(self, atomic: bool = False, order: str = "relaxed") -> E:
        if isinstance(self.ctype, (C.StructType, C.ArrayType)):
            # an aggregate's value is the object itself (members are read one by one)
            def obj(fr):
                holder, key, _, _ = yield from self.locate(fr)
                return holder[key]

            return E(self.ctype, obj, False)

        def run(fr):
            return (yield from self.load(fr, atomic, order))

        return E(self.ctype, run, False)


class LocalL(L):
    def __init__(self, ctype, slot, boxed):
        self.ctype, self.slot, self.boxed = ctype, slot, boxed

    def locate(self, fr):
        if self.boxed:
            box = fr.v[self.slot]
            return (box.fields, "v", None, "")
        return (fr.v, self.slot, None, "")
        yield  # noqa

    def address(self, fr):
        value = fr.v[self.slot]
        if isinstance(value, Obj):
            return Ptr(value) if not self.boxed else Ptr(value, "v")
        raise CFault("address of a local that is not boxed", str(self.slot), fr.fn)
        yield  # noqa


class GlobalL(L):
    def __init__(self, ctype, name, site):
        self.ctype, self.name, self.site = ctype, name, site

    def locate(self, fr):
        obj = fr.m.global_obj(self.name)
        return (obj.fields, "v", obj, self.site)
        yield  # noqa


class FieldL(L):
    def __init__(self, ctype, base, name, holder, site, st):
        self.ctype, self.base, self.name, self.holder, self.site, self.st = ctype, base, name, holder, site, st

    def locate(self, fr):
        value = yield from self.base(fr)
        if isinstance(value, Ptr):
            if value.key is not None:
                raise CFault("member access through a pointer to a scalar", repr(value), self.site)
            obj = value.obj
        elif isinstance(value, Obj):
            obj = value
        elif value is None:
            raise CFault("NULL pointer dereference", f"->{self.name}", self.site)
        else:
            raise CFault("member access on a non-object", repr(value), self.site)
        if self.holder is not None:
            obj = obj.fields[self.holder]
        return (obj.fields, self.name, obj, self.site)


class IndexL(L):
    def __init__(self, ctype, base, index, site):
        self.ctype, self.base, self.index, self.site = ctype, base, index, site

    def locate(self, fr):
        value = yield from self.base(fr)
        i = yield from self.index(fr)
        if isinstance(value, Ptr):
            obj, start = _array_of(value, self.site)
            i += start
        elif isinstance(value, Obj):
            obj = value
        else:
            raise CFault("NULL pointer dereference", "[...]", self.site)
        if i not in obj.fields:
            raise CFault("out of bounds", f"{obj.label}[{i}]", self.site)
        return (obj.fields, i, obj, self.site)


class DerefL(L):
    def __init__(self, ctype, ptr, site):
        self.ctype, self.ptr, self.site = ctype, ptr, site

    def locate(self, fr):
        p = yield from self.ptr(fr)
        if p is None:
            raise CFault("NULL pointer dereference", "*", self.site)
        if not isinstance(p, Ptr):
            raise CFault("dereference of a non-pointer", repr(p), self.site)
        if p.key is None:
            parent = p.obj.parent
            if parent is None:
                # the whole object as a value: a struct (its fields are read one by one)
                return ({0: p.obj}, 0, None, self.site)
            holder, key = parent
            return (holder.fields, key, holder, self.site)
        return (p.obj.fields, p.key, p.obj, self.site)


# ---------------------------------------------------------------- helpers


def _array_of(p: Ptr, site: str) -> tuple[Obj, int]:
    if p.key is not None and isinstance(p.key, int):
        return p.obj, p.key
    if p.obj.parent is not None and isinstance(p.obj.parent[1], int):
        return p.obj.parent[0], p.obj.parent[1]
    return p.obj, 0  # an array itself, or one object as an array of one


def _ptr_add(p: Any, n: int, site: str) -> Any:
    if p is None:
        raise CFault("arithmetic on NULL", f"+ {n}", site)
    arr, i = _array_of(p, site)
    j = i + n
    if j not in arr.fields:
        raise CFault("pointer out of bounds", f"{arr.label}[{j}]", site)
    value = arr.fields[j]
    return Ptr(value) if isinstance(value, Obj) else Ptr(arr, j)


def container_of(p: Any, st: C.StructType, member: str, site: str) -> Ptr:
    """The struct st that holds the member p points at."""
    if p is None:
        raise CFault("container_of(NULL)", f"{st.name}.{member}", site)
    if not isinstance(p, Ptr):
        raise CFault("container_of of a non-pointer", repr(p), site)
    parent = p.obj.parent if p.key is None else (p.obj, p.key)
    holder = None
    # `work.work` (a member of a member): matched from the innermost name out
    for name in reversed(member.replace(" ", "").split(".")):
        if parent is None or parent[1] != name:
            holder = None
            break
        holder = parent[0]
        # a member of an anonymous struct/union belongs to the struct around it
        while isinstance(holder.ctype, C.StructType) and holder.ctype.tag.startswith("(anonymous") \
                and holder.parent is not None:
            holder = holder.parent[0]
        parent = holder.parent
    if holder is not None and holder.ctype is st:
        return Ptr(holder)
    raise CFault("container_of on a pointer that is not that member", f"{p!r} as {st.name}.{member}", site)


def convert(value: Any, t: C.CType) -> Any:
    if isinstance(t, C.IntType) and isinstance(value, int) and not isinstance(value, SizeOf):
        return t.wrap(value)
    if isinstance(t, C.IntType) and value is None:
        return 0
    return value


def _copy(src: Obj, dest: Obj) -> None:
    for k, v in src.fields.items():
        if isinstance(v, Obj) and isinstance(dest.fields.get(k), Obj):
            _copy(v, dest.fields[k])
        else:
            dest.fields[k] = v


def _set_local(fr: Frame, slot: int, t: C.CType, value: Any, boxed: bool, label: str) -> None:
    """A parameter or local takes its first value; one whose address the
    function takes lives in a box (an object of the stack) so `&x` can point at it."""
    value = convert(value, t)
    if boxed:
        box = Obj(t, label, False)
        box.fields["v"] = value
        value = box
    fr.v[slot] = value


def _loop(cond: Callable | None, body: Callable, update: Callable | None = None,
          test_first: bool = True) -> Callable:
    """while, do/while and for: the condition before each pass (do/while:
    not before the first), the update after it (where `continue` goes)."""
    def run(fr):
        first = True
        while True:
            if cond is not None and (test_first or not first) and not (yield from cond(fr)):
                return None
            first = False
            signal = yield from body(fr)
            if signal is BREAK:
                return None
            if signal is not None and signal is not CONTINUE:
                return signal
            if update is not None:
                yield from update(fr)

    return run


def _signal(value):
    def run(fr):
        return value
        yield  # noqa

    return run


def _nothing(fr):
    return None
    yield  # noqa


def _labels_in(node: Node | None) -> set[str]:
    """Every label defined anywhere inside node."""
    out = set()
    stack = [node] if node is not None else []
    while stack:
        n = stack.pop()
        if n.type == "labeled_statement":
            out.add(text(n.child_by_field_name("label")))
        stack.extend(n.children)
    return out


def _address_taken(body: Node) -> set[str]:
    """Locals whose address the function takes (`&ret`): kept in a box."""
    out = set()
    stack = [body]
    while stack:
        n = stack.pop()
        if n.type == "pointer_expression" and n.children and n.children[0].type == "&":
            arg = n.child_by_field_name("argument")
            if arg is not None and arg.type == "identifier":
                out.add(text(arg))
        stack.extend(n.children)
    return out


def compile_function(program: Program, name: str) -> Callable:
    return FunctionCompiler(program, name).compile()
