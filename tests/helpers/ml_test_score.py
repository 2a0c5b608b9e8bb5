"""The ML Test Score page's scores, computed from the tests themselves.

A test that automates an item of the rubric carries `@pytest.mark.ml_test_score("M4")`. On
docs/tutorial/ml-test-score.md an item is **auto** exactly when some test carries its marker
(and the row names each such test as `tests/...py::test_name`); the writer of the page chooses
only between **manual** (a documented procedure) and **0** (not covered) for the others. The
score table and the sentence under it are computed from the rows.

    python -m tests.helpers.ml_test_score          # exit 1 and say what differs
    python -m tests.helpers.ml_test_score --write  # rewrite the scores on the page
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs/tutorial/ml-test-score.md"
MARKER = "ml_test_score"
GROUPS = {"D": "Data", "M": "Model development", "I": "ML infrastructure", "Mo": "Monitoring"}
ROW = re.compile(
    r"^\| (?P<id>(?:Mo|D|M|I)\d) \| (?P<test>.*?) \| (?P<how>.*) \| (?P<score>auto|manual|0) \|$"
)
SCORE = re.compile(r"## The score\n\n.*?\n\n\*\*.*?\*\* \(the minimum: [^)]*\)\.", re.S)


@dataclass(frozen=True)
class Row:
    """One item of the rubric as the page has it."""

    id: str
    how: str
    score: str  # auto | manual | 0

    @property
    def group(self) -> str:
        """Its group's name (the letters before the number)."""
        return GROUPS[self.id.rstrip("0123456789")]


def marked_tests(root: Path = ROOT) -> dict[str, list[str]]:
    """Item id -> the tests (`path::name`) that carry its marker, read from the source."""
    found: dict[str, list[str]] = defaultdict(list)
    for path in sorted((root / "tests").rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
                "test_"
            ):
                for item in _items(node):
                    found[item].append(f"{path.relative_to(root)}::{node.name}")
    return dict(found)


def _items(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    """The ML Test Score items a test function's decorators name."""
    items = []
    for deco in node.decorator_list:
        if isinstance(deco, ast.Call) and ast.unparse(deco.func) == f"pytest.mark.{MARKER}":
            items += [arg.value for arg in deco.args if isinstance(arg, ast.Constant)]
    return items


def rows(text: str) -> list[Row]:
    """The rubric's rows on the page, in order."""
    return [
        Row(m["id"], m["how"], m["score"]) for line in text.splitlines() if (m := ROW.match(line))
    ]


def problems(text: str, marked: dict[str, list[str]]) -> list[str]:
    """Where the page and the markers disagree (empty: they agree)."""
    out = []
    ids = {r.id for r in rows(text)}
    out += [
        f"{item}: a test carries this marker, but the page has no such row"
        for item in sorted(set(marked) - ids)
    ]
    for row in rows(text):
        tests = marked.get(row.id, [])
        if tests and row.score != "auto":
            out.append(f"{row.id}: {len(tests)} test(s) automate it, but the page says {row.score}")
        if row.score == "auto" and not tests:
            out.append(
                f"{row.id}: the page says auto, but no test carries ml_test_score({row.id!r})"
            )
        named = set(re.findall(r"tests/[\w/]+\.py::test_\w+", row.how))
        out += [f"{row.id}: the row does not name {test}" for test in tests if test not in named]
    return out


def scored(text: str, marked: dict[str, list[str]]) -> str:
    """The page with every marked row set to auto and the score recomputed. A row that lost
    its test is left as it is (`problems` reports it): only its writer can say whether a
    documented procedure covers it now."""
    lines = []
    for line in text.splitlines():
        if (m := ROW.match(line)) and marked.get(m["id"]):
            line = line[: m.start("score")] + "auto" + line[m.end("score") :]
        lines.append(line)
    page = "\n".join(lines) + "\n"
    return SCORE.sub(lambda _: score_section(rows(page)), page)


def score_section(items: list[Row]) -> str:
    """The score table and its sentence: per group covered, auto, manual and points."""
    table = [
        "## The score",
        "",
        "| group | covered | auto | manual | points |",
        "| --- | --- | --- | --- | --- |",
    ]
    points: dict[str, float] = {}
    for group in dict.fromkeys(r.group for r in items):  # the page's groups, in its order
        mine = [r for r in items if r.group == group]
        auto, manual = sum(r.score == "auto" for r in mine), sum(r.score == "manual" for r in mine)
        points[group] = auto + manual / 2
        cells = [f"{auto + manual} of {len(mine)}", str(auto), str(manual), f"{points[group]:.1f}"]
        table.append(f"| {group} | " + " | ".join(cells) + " |")
    lowest = min(points.values())
    names = [group for group, p in points.items() if p == lowest]
    weakest = " and ".join(_in_sentence(name) for name in names)
    covered = sum(r.score != "0" for r in items)
    return "\n".join(table) + (
        f"\n\n**{covered} of {len(items)} tests are covered; the ML Test Score is {lowest:.1f}** "
        f"(the minimum: {weakest})."
    )


def _in_sentence(name: str) -> str:
    """A group's name inside a sentence: `data`, `model development`, but `ML infrastructure`."""
    return name if name[1:2].isupper() else name[0].lower() + name[1:]


def main(argv: list[str] | None = None) -> int:
    """Check the page against the markers, or rewrite its scores (--write)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    text, marked = PAGE.read_text(), marked_tests()
    if args.write:
        PAGE.write_text(scored(text, marked))
        text = PAGE.read_text()
    found = problems(text, marked) + (
        [] if scored(text, marked) == text else ["the score is stale: --write"]
    )
    print("\n".join(found) or f"{PAGE.relative_to(ROOT)} agrees with the tests' markers")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
