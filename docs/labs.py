"""Run the break-it labs (docs/tutorial/labs/) from their own pages, so no lab can go stale.

    make lab LAB=worse-model              # the lab's check, in this workspace
    make lab LAB=worse-model STEP=break   # or its break, or its fix (the page's solution)
    python docs/labs.py cycle worse-model # every step in order (edits the workspace: use a clone)

A page marks each block a reader types with an HTML comment on the line before its fence, which
Markdown does not show (blocks inside an admonition are indented with it):

    <!-- lab: background http://127.0.0.1:3091/readyz -->   a second terminal: started, then
                                                             the URL is waited for
    <!-- lab: break -->        the break step; it must succeed (`break fails`: the guard rail
                               must stop it, with an exit status that is not 0)
    <!-- lab: check -->        the check: it must fail after the breaks and pass after the fixes
    <!-- lab: fix -->          the solution (`fix exits 10`: a step whose status is the story)

`cycle` runs backgrounds, breaks, the check (must fail), fixes, the check (must pass), and stops
the backgrounds; it exits 1 at the first step that does not do what the page says. Each block
runs in `bash -e -o pipefail` in the current folder, as a reader's terminal would (one line
failing stops the block).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

LABS = Path(__file__).resolve().parent / "tutorial/labs"
STEPS = ("background", "break", "check", "fix")
MARK = re.compile(
    r"^(?P<indent> *)<!-- lab: (?P<step>\w+)(?: (?P<arg>[^>]*?))? -->\n"
    r"(?P=indent)```[\w-]*\n(?P<body>.*?)^(?P=indent)```$",
    re.S | re.M,
)
EXITS = re.compile(r"exits (\d+)")
READY_S = 180.0  # how long a background may take to answer its URL (a service loads a model)


class LabFailed(Exception):
    """A step did not do what its page says."""


@dataclass(frozen=True)
class Block:
    """One marked block of a lab page: its step, what its exit status must be, its code."""

    page: Path
    line: int  # of the marker, 1-based
    step: str  # one of STEPS
    arg: str  # `fails`, `exits N`, or a background's URL; empty: must succeed
    code: str

    @property
    def where(self) -> str:
        """`worse-model.md:12`, for messages."""
        return f"{self.page.name}:{self.line}"

    def as_expected(self, status: int) -> bool:
        """Whether an exit status is the one the page promises."""
        if self.arg == "fails":
            return status != 0
        exact = EXITS.fullmatch(self.arg)
        return status == (int(exact[1]) if exact else 0)


def page_of(lab: str) -> Path:
    """The page of a lab by name (`worse-model`), or LabFailed naming the labs there are."""
    page = LABS / f"{lab}.md"
    if lab == "index" or not page.is_file():
        raise LabFailed(f"no lab {lab!r}; the labs are: {', '.join(lab_names())}")
    return page


def lab_names() -> list[str]:
    """Every lab, in the order of the index's table (the order `cycle` of all runs them)."""
    index = (LABS / "index.md").read_text()
    return re.findall(r"^\| \[[^]]+\]\(([\w-]+)\.md\)", index, re.M)


def blocks(page: Path) -> list[Block]:
    """The marked blocks of a page, in order; LabFailed on an unknown step."""
    text = page.read_text()
    found = []
    for m in MARK.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        if m["step"] not in STEPS:
            raise LabFailed(f"{page.name}:{line}: unknown lab step {m['step']!r}")
        code = "\n".join(row.removeprefix(m["indent"]) for row in m["body"].splitlines())
        found.append(Block(page, line, m["step"], (m["arg"] or "").strip(), code))
    return found


def of_step(page: Path, step: str) -> list[Block]:
    """The blocks of one step, or LabFailed if the page has none."""
    chosen = [b for b in blocks(page) if b.step == step]
    if not chosen:
        raise LabFailed(f"{page.name} has no `<!-- lab: {step} -->` block")
    return chosen


def run_block(block: Block, cwd: Path) -> int:
    """Run a block as a terminal would and return its exit status (output goes through)."""
    print(f"\n=== {block.step} ({block.where})", flush=True)
    return subprocess.run(["bash", "-e", "-o", "pipefail", "-c", block.code], cwd=cwd).returncode


def run_expected(block: Block, cwd: Path) -> None:
    """Run a block; LabFailed when its exit status is not the page's."""
    status = run_block(block, cwd)
    if not block.as_expected(status):
        wanted = block.arg or "exit 0"
        raise LabFailed(f"{block.where}: {block.step} exited {status}, the page says {wanted}")


@contextmanager
def background(block: Block, cwd: Path) -> Iterator[None]:
    """A second terminal: the block runs in its own session until the lab is over."""
    print(f"\n=== background ({block.where}), waiting for {block.arg}", flush=True)
    proc = subprocess.Popen(["bash", "-e", "-c", block.code], cwd=cwd, start_new_session=True)
    try:
        wait_for(block, proc)
        yield
    finally:
        stop(proc)


def wait_for(block: Block, proc: subprocess.Popen[bytes]) -> None:
    """Poll the block's URL until it answers 200; LabFailed if the process dies or it is late."""
    deadline = time.monotonic() + READY_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise LabFailed(f"{block.where}: the background step exited {proc.returncode}")
        try:
            with urllib.request.urlopen(block.arg, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass  # not listening yet
        time.sleep(1.0)
    raise LabFailed(f"{block.where}: {block.arg} did not answer within {READY_S:.0f} s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a background and everything it started (its process group)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def cycle(lab: str, cwd: Path) -> float:
    """Every step of a lab in page order, checking each as its page says; returns the seconds.

    The check runs twice: before the first fix (it must fail) and after the last (it must pass).
    A background starts where the page starts it and runs until the end.
    """
    page, start = page_of(lab), time.monotonic()
    checks = of_step(page, "check")
    of_step(page, "break"), of_step(page, "fix")  # a lab has all three
    with ExitStack() as running:
        broken = False
        for block in (b for b in blocks(page) if b.step != "check"):
            if block.step == "fix" and not broken:
                must_fail(checks, cwd)
                broken = True
            if block.step == "background":
                running.enter_context(background(block, cwd))
            else:
                run_expected(block, cwd)
        for block in checks:
            run_expected(block, cwd)
    return time.monotonic() - start


def must_fail(checks: list[Block], cwd: Path) -> None:
    """The checks right after the break: LabFailed if they all pass (the lab cannot fail)."""
    if all(run_block(block, cwd) == 0 for block in checks):
        raise LabFailed(f"{checks[0].where}: the check passed right after the break")


def main(argv: list[str] | None = None) -> int:
    """Run one step of a lab, or its whole cycle."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("break", "check", "fix", "cycle"))
    parser.add_argument("lab", help="a page of docs/tutorial/labs/ without .md (worse-model)")
    args = parser.parse_args(argv)
    try:
        if args.step == "cycle":
            seconds = cycle(args.lab, Path.cwd())
            print(
                f"\nlab {args.lab}: the check failed after the break and passed after the fix "
                f"({seconds:.0f} s)"
            )
            return 0
        for block in of_step(page_of(args.lab), args.step):
            run_expected(block, Path.cwd())
    except LabFailed as failed:
        print(f"\nlab {args.lab}: {failed}", file=sys.stderr)
        return 1
    print(f"\nlab {args.lab}: {args.step} did what the page says")
    return 0


if __name__ == "__main__":
    sys.exit(main())
