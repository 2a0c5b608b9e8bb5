"""File excerpts pasted in the docs, and whether each still matches the file it quotes.

A pasted excerpt is marked by an HTML comment on the line before its code fence, which Markdown
does not show:

    <!-- excerpt: params.yaml -->
    ```yaml
    gate:
      metric: mae  # ...
    ```

Every line of the block must be a line of the file, in the same order (lines may be left out
between them; a line that is only `...` marks such a gap). In a `diff` block the lines removed
and the context lines are the file's: the `+` lines show an edit the reader will make.

Pasted command outputs (`<!-- output: COMMAND -->`) are docs/outputs.py's: it finds, runs and
rewrites them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

MARK = re.compile(
    r"^<!-- excerpt: (?P<path>\S+) -->\n```(?P<lang>[\w-]*)\n(?P<body>.*?)^```$", re.S | re.M
)
GAP = "..."


@dataclass(frozen=True)
class Excerpt:
    """One marked block: which doc, where in it, which file it quotes, and its lines."""

    doc: Path
    line: int  # of the marker in the doc, 1-based
    path: str  # the quoted file, relative to the repository
    lang: str
    lines: list[str]

    def quoted(self) -> list[str]:
        """The lines that must be in the file: a diff's before-side, without its markers."""
        if self.lang != "diff":
            return [line for line in self.lines if line.strip() != GAP]
        return [line[1:] for line in self.lines if line[:1] in ("-", " ") and line.strip() != GAP]


def excerpts(doc: Path) -> list[Excerpt]:
    """Every marked excerpt of one Markdown file."""
    text = doc.read_text()
    return [
        Excerpt(
            doc,
            text.count("\n", 0, m.start()) + 1,
            m["path"],
            m["lang"],
            m["body"].rstrip("\n").split("\n"),
        )
        for m in MARK.finditer(text)
    ]


def first_mismatch(quoted: list[str], source: str) -> str | None:
    """The first quoted line not found in `source` after the ones before it; None: all found."""
    lines = [line.rstrip() for line in source.splitlines()]
    at = 0
    for want in quoted:
        try:
            at = lines.index(want.rstrip(), at) + 1
        except ValueError:
            return want
    return None
