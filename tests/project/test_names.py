"""One name for one thing: no two public functions or classes, and no two modules, share a name.

A reader who meets `Verdict` or `write_json` should not have to ask which one; a file name
should say what it holds without being opened.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from tests.helpers.imports import PACKAGE, ROOT, SRC

LIBRARY = sorted((SRC / PACKAGE).rglob("*.py"))


def public_names(files: list[Path], root: Path = ROOT) -> dict[str, list[str]]:
    """Top-level public function and class names -> the files (relative to root) defining them."""
    where: dict[str, list[str]] = defaultdict(list)
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    for file in files:
        for node in ast.parse(file.read_text()).body:
            if isinstance(node, kinds) and not node.name.startswith("_"):
                where[node.name].append(str(file.relative_to(root)))
    return where


def clashes(where: dict[str, list[str]]) -> dict[str, list[str]]:
    """The names defined in more than one place."""
    return {name: files for name, files in where.items() if len(files) > 1}


def test_no_two_public_names_in_the_library_clash() -> None:
    assert clashes(public_names(LIBRARY)) == {}


def test_no_two_library_modules_share_a_file_name() -> None:
    stems: dict[str, list[str]] = defaultdict(list)
    for file in LIBRARY:
        if file.stem != "__init__":
            stems[file.stem].append(str(file.relative_to(ROOT)))
    assert clashes(stems) == {}


def test_the_check_catches_a_clash(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "m.py").write_text("class Verdict: ...\n\n\ndef _own(): ...\n")
    where = public_names(sorted(tmp_path.rglob("*.py")), root=tmp_path)
    assert clashes(where) == {"Verdict": ["a/m.py", "b/m.py"]}
