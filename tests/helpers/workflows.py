"""Run a GitHub Actions job here: its `run:` steps for real, in order, as a runner would.

What a hosted runner adds is replaced by its local equivalent: `actions/checkout` is the clone
the job runs in, `actions/setup-python` is this machine's Python 3.11, `upload-artifact` has
nothing to upload to. Steps that need GitHub or a registry (`github-script`, `docker/*`) are
skipped and reported, and so is any step the caller names (with its reason). Everything else is
real: `${{ }}` expressions and `if:` conditions are evaluated (the subset the workflows use),
and `GITHUB_OUTPUT`, `GITHUB_ENV`, `GITHUB_PATH` and `GITHUB_STEP_SUMMARY` work as on GitHub.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

LOCAL = ("actions/checkout", "actions/setup-python", "actions/upload-artifact")
REMOTE = ("actions/github-script", "docker/")  # they need GitHub's API or a registry
TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>\d+(?:\.\d+)?)"
    r"|(?P<op>==|!=|&&|\|\||!|\(|\)|,)|(?P<name>[A-Za-z_][\w.-]*))"
)
EXPR = re.compile(r"\$\{\{(.*?)\}\}", re.S)
STEP_KEYS = {
    "name",
    "id",
    "if",
    "uses",
    "with",
    "run",
    "env",
}  # what this runner runs as GitHub does
JOB_KEYS = {"runs-on", "timeout-minutes", "steps", "env", "permissions"}


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


def run_job(
    workflow: Path,
    job_id: str,
    repo: Path,
    github: dict[str, Any],
    skip: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
) -> list[Step]:
    """Run one job of `workflow` in `repo` for the event described by `github` (its context:
    event_name, event, ref, repository, ... and `inputs`/`vars` at the top level)."""
    spec = yaml.safe_load(workflow.read_text())
    job_spec = spec["jobs"][job_id]
    if unknown := set(job_spec) - JOB_KEYS:  # e.g. a job-level if: or needs:
        raise ValueError(f"job {job_id}: the runner does not handle {sorted(unknown)}")
    work = repo / ".github-run"
    work.mkdir(exist_ok=True)
    contexts = {
        "github": {"workspace": str(repo), "token": "stub-token", **github},
        "inputs": github.get("inputs", {}),
        "vars": github.get("vars", {}),
        "secrets": {},
        "steps": {},
        "env": {},
    }
    job = Job(contexts)
    for scope in (spec.get("env", {}), job_spec.get("env", {})):
        for key, value in scope.items():
            job.env[key] = substitute(str(value), job)
            contexts["env"][key] = job.env[key]
    for number, step in enumerate(job_spec["steps"], 1):
        job.steps.append(_step(step, number, job, repo, work, skip or {}, env or {}))
    return job.steps


def _step(
    step: dict[str, Any],
    number: int,
    job: Job,
    repo: Path,
    work: Path,
    skip: dict[str, str],
    env: dict[str, str],
) -> Step:
    name = str(step.get("name") or step.get("uses") or f"step {number}")
    if unknown := set(step) - STEP_KEYS:  # e.g. shell, working-directory: not run as written
        raise ValueError(f"{name}: the runner does not handle {sorted(unknown)}")
    if not condition(step, job):
        return Step(name, "skipped", f"if: {step.get('if', 'success()')}")
    if name in skip:
        return Step(name, "skipped", skip[name])
    uses = str(step.get("uses", ""))
    if uses.startswith(LOCAL):
        return Step(name, "success", "its local equivalent: nothing to do here")
    if uses.startswith(REMOTE):
        return Step(name, "skipped", f"{uses} needs GitHub's API or a registry")
    if uses:
        raise ValueError(f"{name}: no local equivalent for {uses}")
    return _run(step, name, job, repo, work, env)


def _run(
    step: dict[str, Any], name: str, job: Job, repo: Path, work: Path, env: dict[str, str]
) -> Step:
    files = {key: work / key.lower() for key in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH")}
    files["GITHUB_STEP_SUMMARY"] = work / "summary.md"
    for key in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH"):
        files[key].write_text("")
    step_env = {k: substitute(str(v), job) for k, v in step.get("env", {}).items()}
    script = work / "step.sh"
    script.write_text(substitute(str(step["run"]), job))
    full = {**os.environ, **env, **job.env, **step_env, **{k: str(p) for k, p in files.items()}}
    full["PATH"] = os.pathsep.join([*job.path, full["PATH"]])
    full |= {f"GITHUB_{k.upper()}": text(v) for k, v in job.contexts["github"].items()
             if isinstance(v, str | int | bool)}  # fmt: skip
    done = subprocess.run(
        ["bash", "-e", str(script)],  # GitHub's default for `run:` without `shell:`
        cwd=repo, env=full, capture_output=True, text=True,
    )  # fmt: skip
    outputs = _pairs(files["GITHUB_OUTPUT"].read_text())
    if step.get("id"):
        job.contexts["steps"][step["id"]] = {"outputs": outputs}
    job.env |= _pairs(files["GITHUB_ENV"].read_text())
    added = [line for line in files["GITHUB_PATH"].read_text().splitlines() if line]
    job.path = added[::-1] + job.path  # GitHub puts the last line written first
    outcome = "success" if done.returncode == 0 else "failure"
    return Step(name, outcome, f"exit {done.returncode}", done.stdout + done.stderr)


def _pairs(written: str) -> dict[str, str]:
    """`key=value` lines (and `key<<DELIMITER` blocks), as GITHUB_OUTPUT and GITHUB_ENV take."""
    found: dict[str, str] = {}
    lines = written.splitlines()
    at = 0
    while at < len(lines):
        line, at = lines[at], at + 1
        if "<<" in line and "=" not in line.split("<<")[0]:
            key, end = line.split("<<", 1)
            if end not in lines[at:]:
                raise ValueError(f"{key}<<{end}: no closing {end} (GitHub fails the step)")
            stop = lines.index(end, at)
            found[key], at = "\n".join(lines[at:stop]), stop + 1
        elif "=" in line and line.split("=", 1)[0]:
            key, value = line.split("=", 1)
            found[key] = value
        elif line.strip():
            raise ValueError(f"{line!r}: neither key=value nor key<<DELIMITER (GitHub fails)")
    return found
