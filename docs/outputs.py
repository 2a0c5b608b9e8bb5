"""Pasted command outputs in the docs: find them, run them, and rewrite them with what they print.

A pasted output is marked by an HTML comment on the line before its code fence, which Markdown
does not show; the block is `$ COMMAND` and then exactly what the command prints:

    <!-- output: make lint -->
    ```console
    $ make lint
    ...
    ```

tests/project/test_docs_excerpts.py runs every marked command and fails when a block differs
from what it prints now; this script rewrites the blocks, so updating them is one command:

    make docs-outputs      # or: python docs/outputs.py [README.md docs/tutorial/ci-cd.md ...]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = re.compile(
    r"^<!-- output: (?P<command>[^\n]+?) -->\n(?P<fence>```[\w-]*)\n(?P<body>.*?)^```$",
    re.S | re.M,
)


@dataclass(frozen=True)
class Output:
    """One pasted command output: which doc, where, the command, and the lines it shows."""

    doc: Path
    line: int
    command: str
    lines: list[str]  # without the `$ COMMAND` line


def docs() -> list[Path]:
    """Every page that may paste an output: the README and the tutorial."""
    return [ROOT / "README.md", *sorted((ROOT / "docs" / "tutorial").rglob("*.md"))]


def outputs(doc: Path) -> list[Output]:
    """Every marked command output of one Markdown file."""
    text = doc.read_text()
    found = []
    for m in OUTPUT.finditer(text):
        lines = m["body"].rstrip("\n").split("\n")
        shown = [line.rstrip() for line in lines if line != f"$ {m['command']}"]
        found.append(Output(doc, text.count("\n", 0, m.start()) + 1, m["command"], shown))
    return found


def run(command: str) -> tuple[int, list[str]]:
    """`command`'s exit status and what it prints now (stdout then stderr), run from the root."""
    # Not make's own variables: under `make`, a nested make would print its directory
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    done = subprocess.run(
        command, shell=True, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    return done.returncode, [line.rstrip() for line in (done.stdout + done.stderr).splitlines()]


def printed(command: str) -> list[str]:
    """What `command` prints now (stdout then stderr), run from the repository root."""
    return run(command)[1]


def refresh(doc: Path) -> int:
    """Rewrite every marked output of `doc` with what its command prints: how many changed."""
    changed = 0

    def rerun(m: re.Match[str]) -> str:
        nonlocal changed
        status, lines = run(m["command"])
        if status:  # pasted all the same: a page may show a failure on purpose
            print(f"{doc.name}: `{m['command']}` exited {status}", file=sys.stderr)
        body = "\n".join([f"$ {m['command']}", *lines])
        changed += body != m["body"].rstrip("\n")
        return f"<!-- output: {m['command']} -->\n{m['fence']}\n{body}\n```"

    text = doc.read_text()
    new = OUTPUT.sub(rerun, text)
    if new != text:
        doc.write_text(new)
    return changed


def main(argv: list[str] | None = None) -> int:
    """Refresh the pasted outputs of the pages given (default: every page); print what changed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", type=Path, help="default: README.md and docs/tutorial/")
    args = parser.parse_args(argv)
    for doc in [p.resolve() for p in args.pages] or docs():
        if changed := refresh(doc):
            print(f"{doc.relative_to(ROOT)}: {changed} pasted output(s) rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
