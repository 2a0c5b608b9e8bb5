"""The part of a GitHub Actions runner that reads a job: its state, `${{ }}` and `if:`.

Only the subset of GitHub's expression language the workflows here use: contexts, string and
number literals, ==, !=, &&, ||, !, parentheses, always(), success() and failure(), with
GitHub's rules for what || and && return and how values of different types compare.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>\d+(?:\.\d+)?)"
    r"|(?P<op>==|!=|&&|\|\||!|\(|\)|,)|(?P<name>[A-Za-z_][\w.-]*))"
)
EXPR = re.compile(r"\$\{\{(.*?)\}\}", re.S)


@dataclass
class Step:
    """What became of one step."""

    name: str
    outcome: str  # success | failure | skipped
    why: str = ""  # for a skipped step: the `if:` that was false, or the reason it cannot run
    output: str = ""


@dataclass
class Job:
    """The job's evaluation state: contexts, accumulated env, path and the steps so far."""

    contexts: dict[str, Any]
    env: dict[str, str] = field(default_factory=dict)
    path: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """True once a step has failed (success() turns false, as on GitHub)."""
        return any(step.outcome == "failure" for step in self.steps)


def text(value: Any) -> str:
    """A value as `${{ }}` writes it into text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def evaluate(expression: str, job: Job) -> Any:
    """The value of one expression (the workflows' subset: contexts, literals, ==, !=, &&, ||,
    !, parentheses, always(), success(), failure())."""
    tokens = [(m.lastgroup, m.group(m.lastgroup or "")) for m in TOKEN.finditer(expression)]
    value, rest = _or(tokens, job)
    if rest:
        raise ValueError(f"cannot read the expression {expression!r} from {rest[0][1]!r}")
    return value


def _or(tokens: list[tuple[str | None, str]], job: Job) -> tuple[Any, list[Any]]:
    value, tokens = _and(tokens, job)
    while tokens and tokens[0][1] == "||":
        right, tokens = _and(tokens[1:], job)
        value = value or right  # GitHub's ||: the first truthy operand
    return value, tokens


def _and(tokens: list[tuple[str | None, str]], job: Job) -> tuple[Any, list[Any]]:
    value, tokens = _not(tokens, job)
    while tokens and tokens[0][1] == "&&":
        right, tokens = _not(tokens[1:], job)
        value = right if value else value
    return value, tokens


def _not(tokens: list[tuple[str | None, str]], job: Job) -> tuple[Any, list[Any]]:
    if tokens and tokens[0][1] == "!":
        value, tokens = _not(tokens[1:], job)
        return not value, tokens
    left, tokens = _primary(tokens, job)
    if tokens and tokens[0][1] in ("==", "!="):
        op, (right, tokens) = tokens[0][1], _primary(tokens[1:], job)
        same = equal(left, right)
        return (same if op == "==" else not same), tokens
    return left, tokens


def equal(left: Any, right: Any) -> bool:
    """GitHub's ==: strings ignoring case; values of different types compared as numbers
    (null 0, true 1, false 0, a string its number or NaN, which equals nothing)."""
    if isinstance(left, str) and isinstance(right, str):
        return left.lower() == right.lower()
    if type(left) is type(right):
        return bool(left == right)
    return _number(left) == _number(right)


def _number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool | int | float):
        return float(value)
    try:
        return float(str(value).strip() or 0)
    except ValueError:
        return float("nan")


def _primary(tokens: list[tuple[str | None, str]], job: Job) -> tuple[Any, list[Any]]:
    kind, word = tokens[0]
    rest = tokens[1:]
    if word == "(":
        value, rest = _or(rest, job)
        return value, rest[1:]  # the closing parenthesis
    if kind == "str":
        return word[1:-1].replace("''", "'"), rest
    if kind == "num":
        return float(word), rest
    if rest and rest[0][1] == "(":  # a status function: always(), success(), failure()
        calls = {"always": True, "success": not job.failed, "failure": job.failed}
        return calls[word], rest[2:]
    literals = {"true": True, "false": False, "null": None}
    return (literals[word] if word in literals else _lookup(word, job.contexts)), rest


def _lookup(path: str, contexts: dict[str, Any]) -> Any:
    found: Any = contexts
    for part in path.split("."):
        found = found.get(part) if isinstance(found, dict) else None
    return found


def substitute(value: str, job: Job) -> str:
    """`value` with every `${{ expression }}` replaced by its text."""
    return EXPR.sub(lambda m: text(evaluate(m.group(1), job)), value)


def condition(step: dict[str, Any], job: Job) -> bool:
    """A step's `if:` (default `success()`)."""
    if isinstance(step.get("if"), bool):  # YAML's `if: true`
        return bool(step["if"]) and not job.failed
    raw = str(step.get("if", "success()"))
    inner = EXPR.fullmatch(raw.strip())
    expression = inner.group(1) if inner else raw
    uses_status = re.search(r"\b(always|success|failure|cancelled)\(", expression)
    value = evaluate(expression, job)
    return bool(value) and (bool(uses_status) or not job.failed)
