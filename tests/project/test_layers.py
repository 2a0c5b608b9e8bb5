"""The layer rule of docs/tutorial/architecture.md, enforced on the import graph (from source).

Shared contracts (the top of src/lifecycle/) import only each other; each subpackage imports
the contracts and itself; the replay, which plays the whole loop, also drives serving and
monitoring. Nothing in the library imports benchmarks, tests or the entry scripts, no two
modules import each other, and no entry script outside pipelines/ can reach training code.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.helpers.imports import (
    PACKAGE,
    ROOT,
    SRC,
    closure,
    imported_names,
    library_graph,
    module_file,
    module_name,
)

# Layer -> the layers it may import; docs/tutorial/architecture.md shows this table (checked).
MAY_IMPORT: dict[str, set[str]] = {
    "core": {"core"},
    "stages": {"core", "stages"},
    "serving": {"core", "serving"},
    "monitoring": {"core", "monitoring"},
    "replay": {"core", "serving", "monitoring", "replay"},
    "stack": {"core", "stack"},
    "cli": {"core"},
}
SUBPACKAGES = {"stages", "serving", "monitoring", "replay", "stack"}
# Top-level folders of the repository that hold code the library must never import.
OUTSIDE = {"benchmarks", "tests", "conftest", "pipelines", "serving", "monitoring", "stack"}
SCRIPTS = ("pipelines", "serving", "monitoring", "stack")


def layer_of(module: str) -> str:
    """`lifecycle.serving.runtime` -> serving; `lifecycle.cli` -> cli; other top modules -> core."""
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in SUBPACKAGES:
        return parts[1]
    return "cli" if parts[1:] == ["cli"] else "core"


def violations(graph: dict[str, set[str]]) -> list[str]:
    """Every import that crosses the layer rule, as a sentence."""
    found = []
    for module, imports in sorted(graph.items()):
        allowed = MAY_IMPORT[layer_of(module)]
        for target in sorted(imports):
            if layer_of(target) not in allowed:
                found.append(
                    f"{module} ({layer_of(module)}) imports {target} ({layer_of(target)}); "
                    f"{layer_of(module)} may import only {sorted(allowed)}"
                )
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that import each other, directly or around a loop (Tarjan's SCCs)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, set()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while not group or group[-1] != node:
                group.append(stack.pop())
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_subpackage_has_a_layer() -> None:
    # A new subpackage must be given its place in the rule (and on the architecture page).
    packages = {p.parent.name for p in (SRC / PACKAGE).glob("*/__init__.py")}
    assert packages == SUBPACKAGES


def test_the_library_respects_the_layer_rule() -> None:
    assert violations(library_graph()) == []


def test_no_two_library_modules_import_each_other() -> None:
    assert cycles(library_graph()) == []


def outside_imports(files: list[Path], root: Path = ROOT) -> list[str]:
    """Each file that imports benchmarks, tests or an entry script, with what it imports."""
    found = []
    for file in files:
        outside = sorted(n for n in imported_names(file) if n.split(".")[0] in OUTSIDE)
        if outside:
            found.append(f"{file.relative_to(root)} imports {outside}")
    return found


def training_reached(scripts: list[Path], root: Path = ROOT) -> list[str]:
    """Each script that can run training code (lifecycle.stages), with the modules it reaches."""
    found = []
    for script in scripts:
        training = sorted(m for m in map(module_name, closure(script)) if layer_of(m) == "stages")
        if training:
            found.append(f"{script.relative_to(root)} reaches {training}")
    return found


def entry_scripts() -> list[Path]:
    """Every script of pipelines/, serving/ and monitoring/."""
    return [p for folder in SCRIPTS for p in sorted((ROOT / folder).glob("*.py"))]


def test_the_library_imports_no_benchmark_test_or_script_code() -> None:
    assert outside_imports(sorted((SRC / PACKAGE).rglob("*.py"))) == []


def test_entry_scripts_import_only_the_library() -> None:
    assert outside_imports(entry_scripts()) == []


def test_no_entry_script_outside_pipelines_reaches_training_code() -> None:
    # The service, monitoring and the replay load models; they never build or fit them. The
    # DVC stage scripts are the exception: training code is their job.
    stage = {p for p in (ROOT / "pipelines").glob("*.py") if p.name != "replay.py"}
    assert training_reached([p for p in entry_scripts() if p not in stage]) == []


def test_the_checks_catch_a_script_reaching_training_or_benchmark_code(tmp_path: Path) -> None:
    # Broken on purpose: through a shared module is as bad as directly.
    script = tmp_path / "service.py"
    script.write_text("import benchmarks.hey\nfrom lifecycle.stages.train import fit_all\n")
    assert outside_imports([script], root=tmp_path) == ["service.py imports ['benchmarks.hey']"]
    [reached] = training_reached([script], root=tmp_path)
    assert reached.startswith("service.py reaches ['lifecycle.stages', ")


def test_the_rule_catches_the_service_importing_training_code() -> None:
    broken = {"lifecycle.serving.runtime": {"lifecycle.stages.train", "lifecycle.dataset"}}
    [sentence] = violations(broken)
    assert "lifecycle.serving.runtime (serving) imports lifecycle.stages.train" in sentence


def test_the_rule_catches_modules_that_import_each_other() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_the_architecture_page_states_the_same_rule() -> None:
    page = (ROOT / "docs/tutorial/architecture.md").read_text()
    rows = re.findall(r"^\| `(\w+)` \|[^|]*\| ([`\w, ]+) \|$", page, flags=re.M)
    stated = {layer: set(re.findall(r"`(\w+)`", allowed)) for layer, allowed in rows}
    assert stated == MAY_IMPORT


def test_every_module_file_resolves() -> None:
    for file in (SRC / PACKAGE).rglob("*.py"):
        assert module_file(module_name(file)) == file
