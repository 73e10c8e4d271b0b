"""A bounded evaluator for the integer constant expressions of C text:
array sizes, bit-field widths, aligned(N) and enumerator values in a
struct written in a mail or read from a source file.

Text from a mail is hostile, so nothing here uses Python's eval and every
step is bounded: the expression's length, its token count, its nesting
depth, how deep macros and enumerators may expand into each other, how many
digits a literal may have and how large any intermediate value may grow
(C constant expressions of the kernel stay far below 2**64). What is not
an integer constant expression (a variable, a function call, a string)
raises ConstantError with the reason; the caller says "not a known
constant", it never guesses.

Supported: decimal, hex, octal and binary literals with u/l suffixes,
character literals, the names given (the text's own #defines and
enumerators, expanded recursively), sizeof(type) through a callback,
casts to integer types (ignored, as the kernel's constants fit), unary
+ - ~ !, * / % + - << >> < > <= >= == != & ^ | && || and ?:, parentheses.
Division truncates toward zero as C does. Values are mathematical
integers within the cap; no unsigned wrap-around is modelled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Mapping

MAX_TEXT = 512  # characters of one expression
MAX_TOKENS = 256
MAX_DEPTH = 48  # nested parentheses and operators
MAX_EXPANSION = 16  # a name defined by a name defined by a name ...
MAX_DIGITS = 24  # longest literal (0x + 16 hex digits + suffixes fits)
LIMIT = 1 << 64  # no intermediate value may reach this in magnitude

_TOKEN = re.compile(r"\s*(?:(?P<num>0[xX][0-9a-fA-F]+|0[bB][01]+|\d+)(?P<suffix>[uUlL]*)"
                    r"|(?P<char>'(?:\\.|[^\\'])')"
                    r"|(?P<name>[A-Za-z_]\w*)"
                    r"|(?P<op><<|>>|<=|>=|==|!=|&&|\|\||[-+*/%<>&^|~!()?:]))")
_INT_WORDS = {"char", "short", "int", "long", "unsigned", "signed", "_Bool", "bool", "const", "volatile",
              "u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64", "size_t", "__u8", "__u16", "__u32", "__u64"}
_BINARY = (  # precedence climbing: loosest first
    ("||",), ("&&",), ("|",), ("^",), ("&",), ("==", "!="), ("<", ">", "<=", ">="), ("<<", ">>"), ("+", "-"),
    ("*", "/", "%"),
)
_CHAR_ESCAPES = {"n": 10, "t": 9, "r": 13, "0": 0, "\\": 92, "'": 39, '"': 34, "a": 7, "b": 8, "f": 12, "v": 11}


class ConstantError(Exception):
    """The text is not an integer constant expression we can evaluate."""


@dataclass(frozen=True)
class _Tok:
    kind: str  # num | name | op | sizeof-type
    text: str
    value: int = 0


def evaluate(text: str, names: Mapping[str, str | int] | None = None,
             sizeof: Callable[[str], int | None] | None = None) -> int:
    """The value of a C integer constant expression, or ConstantError."""
    return _Parser(text, names or {}, sizeof, 0).parse()


def try_evaluate(text: str, names: Mapping[str, str | int] | None = None,
                 sizeof: Callable[[str], int | None] | None = None) -> int | None:
    try:
        return evaluate(text, names, sizeof)
    except ConstantError:
        return None


def _tokens(text: str) -> list[_Tok]:
    if len(text) > MAX_TEXT:
        raise ConstantError(f"expression longer than {MAX_TEXT} characters")
    out: list[_Tok] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise ConstantError(f"unexpected {text[pos:pos + 10].strip()!r}")
        pos = m.end()
        if m.group("num"):
            digits = m.group("num")
            if len(digits) + len(m.group("suffix")) > MAX_DIGITS:
                raise ConstantError(f"literal with more than {MAX_DIGITS} characters")
            if digits[:2] in ("0x", "0X"):
                value = int(digits[2:], 16)
            elif digits[:2] in ("0b", "0B"):
                value = int(digits[2:], 2)
            elif len(digits) > 1 and digits[0] == "0":
                if not re.fullmatch(r"[0-7]+", digits):
                    raise ConstantError(f"bad octal literal {digits}")
                value = int(digits, 8)
            else:
                value = int(digits)
            out.append(_Tok("num", digits, value))
        elif m.group("char"):
            body = m.group("char")[1:-1]
            value = _CHAR_ESCAPES.get(body[1], None) if body.startswith("\\") else ord(body)
            if value is None:
                raise ConstantError(f"unknown escape in {m.group('char')}")
            out.append(_Tok("num", m.group("char"), value))
        elif m.group("name"):
            out.append(_Tok("name", m.group("name")))
        else:
            out.append(_Tok("op", m.group("op")))
        if len(out) > MAX_TOKENS:
            raise ConstantError(f"more than {MAX_TOKENS} tokens")
    return out


class _Parser:
    def __init__(self, text: str, names: Mapping[str, str | int], sizeof, expansion: int, depth: int = 0) -> None:
        if expansion > MAX_EXPANSION:
            raise ConstantError(f"names expand more than {MAX_EXPANSION} levels deep")
        self.names, self.sizeof, self.expansion = names, sizeof, expansion
        self.toks = _tokens(text)
        self.pos = 0
        # shared with the expressions a name expands to, so that the Python
        # stack stays bounded however the names nest
        self.depth = depth

    def parse(self) -> int:
        if not self.toks:
            raise ConstantError("empty expression")
        value = self._ternary()
        if self.pos != len(self.toks):
            raise ConstantError(f"unexpected {self.toks[self.pos].text!r}")
        return value

    # ------------------------------------------------------------ helpers

    def _peek(self) -> _Tok | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def _take(self, op: str) -> bool:
        tok = self._peek()
        if tok is not None and tok.kind == "op" and tok.text == op:
            self.pos += 1
            return True
        return False

    def _expect(self, op: str) -> None:
        if not self._take(op):
            tok = self._peek()
            raise ConstantError(f"expected {op!r}, found {tok.text if tok else 'the end'!r}")

    def _enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ConstantError(f"nested more than {MAX_DEPTH} levels deep")

    @staticmethod
    def _checked(value: int) -> int:
        if not -LIMIT < value < LIMIT:
            raise ConstantError("value out of range (2**64 or more)")
        return value

    # ------------------------------------------------------------ grammar

    def _ternary(self) -> int:
        self._enter()
        cond = self._binary(0)
        if self._take("?"):
            yes = self._ternary()
            self._expect(":")
            no = self._ternary()
            cond = yes if cond else no
        self.depth -= 1
        return cond

    def _binary(self, level: int) -> int:
        if level == len(_BINARY):
            return self._unary()
        left = self._binary(level + 1)
        while True:
            tok = self._peek()
            if tok is None or tok.kind != "op" or tok.text not in _BINARY[level]:
                return left
            self.pos += 1
            right = self._binary(level + 1)
            left = self._checked(_apply(tok.text, left, right))

    def _unary(self) -> int:
        self._enter()
        try:
            tok = self._peek()
            if tok is None:
                raise ConstantError("expression ends early")
            if tok.kind == "op" and tok.text in "+-~!" and len(tok.text) == 1:
                self.pos += 1
                value = self._unary()
                return {"+": value, "-": -value, "~": ~value, "!": int(not value)}[tok.text]
            if tok.kind == "op" and tok.text == "(":
                cast = self._cast()
                if cast:
                    return self._unary()
                self.pos += 1
                value = self._ternary()
                self._expect(")")
                return value
            if tok.kind == "num":
                self.pos += 1
                return self._checked(tok.value)
            if tok.kind == "name":
                self.pos += 1
                if tok.text == "sizeof":
                    return self._sizeof()
                return self._name(tok.text)
            raise ConstantError(f"unexpected {tok.text!r}")
        finally:
            self.depth -= 1

    def _cast(self) -> bool:
        """`(unsigned long)` before an operand: integer casts are skipped."""
        j = self.pos + 1
        words = []
        while j < len(self.toks) and self.toks[j].kind == "name" and self.toks[j].text in _INT_WORDS:
            words.append(self.toks[j].text)
            j += 1
        if words and j < len(self.toks) and self.toks[j].text == ")":
            self.pos = j + 1
            return True
        return False

    def _sizeof(self) -> int:
        if not self._take("("):
            raise ConstantError("sizeof without parentheses")
        start = self.pos
        depth = 1
        while self.pos < len(self.toks):
            tok = self.toks[self.pos]
            if tok.kind == "op" and tok.text == "(":
                depth += 1
            elif tok.kind == "op" and tok.text == ")":
                depth -= 1
                if depth == 0:
                    break
            self.pos += 1
        if depth:
            raise ConstantError("unbalanced sizeof(")
        name = " ".join(t.text for t in self.toks[start:self.pos])
        self.pos += 1
        size = self.sizeof(name) if self.sizeof is not None else None
        if size is None:
            raise ConstantError(f"sizeof({name}) is not known")
        return size

    def _name(self, name: str) -> int:
        if name not in self.names:
            raise ConstantError(f"{name} is not a known constant")
        value = self.names[name]
        if isinstance(value, int):
            return self._checked(value)
        return _Parser(value, self.names, self.sizeof, self.expansion + 1, self.depth).parse()


def _apply(op: str, a: int, b: int) -> int:
    if op in ("/", "%"):
        if b == 0:
            raise ConstantError("division by zero")
        q = abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)  # C truncates toward zero
        return q if op == "/" else a - q * b
    if op in ("<<", ">>"):
        if not 0 <= b < 64:
            raise ConstantError(f"shift by {b}")
        return a << b if op == "<<" else a >> b
    return {
        "*": lambda: a * b, "+": lambda: a + b, "-": lambda: a - b,
        "<": lambda: int(a < b), ">": lambda: int(a > b), "<=": lambda: int(a <= b), ">=": lambda: int(a >= b),
        "==": lambda: int(a == b), "!=": lambda: int(a != b), "&": lambda: a & b, "^": lambda: a ^ b,
        "|": lambda: a | b, "&&": lambda: int(bool(a) and bool(b)), "||": lambda: int(bool(a) or bool(b)),
    }[op]()
