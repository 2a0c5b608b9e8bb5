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
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.helpers.workflow_expressions import Job, Step, condition, substitute, text

LOCAL = ("actions/checkout", "actions/setup-python", "actions/upload-artifact")
REMOTE = ("actions/github-script", "docker/")  # they need GitHub's API or a registry
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
