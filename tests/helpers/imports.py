"""The project's own import graph, read from the source text (nothing is imported or run).

Used by the architecture tests: which layer imports which, and which library files each DVC
stage really depends on. Every `import` counts, also those inside functions and under
TYPE_CHECKING: a lazy import is still a dependency, only a later one.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
PACKAGE = "lifecycle"


def module_name(path: Path) -> str:
    """`src/lifecycle/a/b.py` -> `lifecycle.a.b`; a package's `__init__.py` -> the package."""
    parts = list(path.resolve().relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def module_file(name: str) -> Path | None:
    """The file of a module of ours (`lifecycle.x.y`), or None when there is no such module."""
    base = SRC.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def library_modules() -> list[str]:
    """Every module of the installed library, packages included."""
    return sorted(module_name(p) for p in (SRC / PACKAGE).rglob("*.py"))


@cache
def imported_names(path: Path) -> frozenset[str]:
    """Every module name a file imports (any package), as written, resolved to modules of ours.

    `from lifecycle.x import y` counts as `lifecycle.x`, and as `lifecycle.x.y` too when `y`
    is a submodule. Relative imports are not used in this project and are rejected.
    """
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                raise AssertionError(f"{path}:{node.lineno}: relative import; write it absolute")
            assert node.module is not None
            names.add(node.module)
            names.update(
                f"{node.module}.{alias.name}"
                for alias in node.names
                if module_file(f"{node.module}.{alias.name}")
            )
    return frozenset(names)


def ours(names: frozenset[str] | set[str]) -> set[str]:
    """The names of `names` that are modules of the library."""
    return {n for n in names if n.split(".")[0] == PACKAGE and module_file(n)}


def with_parents(name: str) -> set[str]:
    """A module and the packages Python runs on the way to it (`a.b.c` -> a, a.b, a.b.c)."""
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts) + 1)}


def closure(path: Path) -> set[Path]:
    """Every library file that running `path` can execute: its imports, transitively, with
    each imported module's parent packages (their `__init__.py` runs first)."""
    seen: set[str] = set()
    todo = [n for name in ours(imported_names(path)) for n in with_parents(name)]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        file = module_file(name)
        assert file is not None, name
        todo += [p for n in ours(imported_names(file)) for p in with_parents(n)]
    files = (module_file(name) for name in seen)
    return {f for f in files if f is not None}


def library_graph() -> dict[str, set[str]]:
    """Module -> the library modules it imports directly (packages' `__init__` not implied)."""
    graph = {}
    for name in library_modules():
        file = module_file(name)
        assert file is not None
        graph[name] = ours(imported_names(file)) - {name}
    return graph
