"""dvc.yaml's code deps cannot drift: each stage lists exactly the code its script can run.

`dvc repro` reruns a stage only when a listed dep changed, so a library file a stage imports
but does not list is an edit that silently reruns nothing. The lists are checked against the
import graph read from the source (tests/helpers/imports.py), transitively.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from lifecycle.pipeline_paths import pipeline_paths
from tests.helpers.imports import ROOT, closure

CODE = ("pipelines/", "src/")  # deps that are code; the others are data and definitions


def stages(text: str | None = None) -> dict[str, Any]:
    """dvc.yaml's stages, as written (the ${...} of vars left unresolved)."""
    raw = yaml.safe_load(text if text is not None else (ROOT / "dvc.yaml").read_text())
    found: dict[str, Any] = raw["stages"]
    return found


def script_of(stage: dict[str, Any]) -> str:
    """The Python script a stage's command runs (`python3 pipelines/x.py ...`)."""
    words = stage["cmd"].split()
    assert words[0] == "python3", f"not a python3 command: {stage['cmd']}"
    return str(words[1])


def needed(script: str) -> set[str]:
    """The script and every library file it can execute, as repo-relative paths."""
    files = closure(ROOT / script)
    return {script} | {str(f.relative_to(ROOT)) for f in files}


def drift(all_stages: dict[str, Any]) -> dict[str, tuple[list[str], list[str]]]:
    """Per stage whose code deps are off: (imported but not listed, listed but not imported)."""
    off = {}
    for name, stage in all_stages.items():
        listed = {d for d in stage.get("deps", []) if d.startswith(CODE)}
        want = needed(script_of(stage))
        if listed != want:
            off[name] = (sorted(want - listed), sorted(listed - want))
    return off


def _explain(off: dict[str, tuple[list[str], list[str]]]) -> str:
    lines = ["dvc.yaml's code deps differ from what the stages import:"]
    for name, (missing, extra) in off.items():
        if missing:
            lines.append(f"  {name}: add {', '.join(missing)}")
        if extra:
            lines.append(f"  {name}: remove {', '.join(extra)}")
    return "\n".join(lines)


def test_every_stage_lists_exactly_the_code_it_imports() -> None:
    off = drift(stages())
    assert not off, _explain(off)


def test_the_check_catches_an_import_the_deps_do_not_list() -> None:
    # Broken on purpose: train's deps without the feature code its models are built from.
    text = re.sub(r"src/lifecycle/features\.py,\s*", "", (ROOT / "dvc.yaml").read_text(), count=1)
    off = drift(stages(text))
    assert off == {"train": (["src/lifecycle/features.py"], [])}


def test_the_check_catches_a_dep_nothing_imports() -> None:
    text = (ROOT / "dvc.yaml").read_text()
    text = text.replace("[pipelines/split.py, ", "[pipelines/split.py, src/lifecycle/gate.py, ", 1)
    assert drift(stages(text)) == {"split": ([], ["src/lifecycle/gate.py"])}


def test_every_stage_depends_on_the_dataset_definition() -> None:
    # Every stage script loads the definition through lifecycle.entry.context(): a changed
    # feature list or task must rerun training even when the arrived rows are the same.
    for name, stage in stages().items():
        assert "${data.dataset}" in stage["deps"], name
        assert "data.dataset" in stage["params"], name
        assert "src/lifecycle/entry.py" in needed(script_of(stage)), name


def test_paths_appear_once_in_vars() -> None:
    # Every file a stage writes or reads is named in `vars: paths` and referred to as ${paths.x}.
    body = yaml.safe_dump(stages())
    literal = re.findall(r"(?<![\w{./])(?:data|reports)/[\w./-]+", body)
    assert not literal, f"paths written out in stages instead of ${{paths.*}}: {literal}"


def vars_paths() -> dict[str, str]:
    """dvc.yaml's `vars: paths`, as written."""
    raw = yaml.safe_load((ROOT / "dvc.yaml").read_text())
    [paths] = [entry["paths"] for entry in raw["vars"] if "paths" in entry]
    return {str(k): str(v) for k, v in paths.items()}


def hardcoded(files: list[Path], paths: dict[str, str], root: Path = ROOT) -> list[str]:
    """Each file that writes out one of the pipeline's hand-over files instead of reading it."""
    return [
        f"{file.relative_to(root)} names {path}"
        for file in files
        for path in paths.values()
        if Path(path).suffix and path in file.read_text()  # files; folders may be named freely
    ]


def python_files() -> list[Path]:
    """Every Python file of the library, the entry scripts and the benchmarks."""
    folders = ("src", "pipelines", "serving", "monitoring", "benchmarks")
    return [p for folder in folders for p in sorted((ROOT / folder).rglob("*.py"))]


def test_python_reads_the_pipeline_paths_from_dvc_yaml() -> None:
    assert hardcoded(python_files(), vars_paths()) == []
    found = pipeline_paths(ROOT)
    for key in ("metrics", "decision"):
        assert getattr(found, key) == ROOT / vars_paths()[key], key


def test_the_check_catches_a_hardcoded_path(tmp_path: Path) -> None:
    script = tmp_path / "cli.py"
    script.write_text('DECISION = Path("reports/promote/decision.json")\n')
    found = hardcoded([script], vars_paths(), root=tmp_path)
    assert found == ["cli.py names reports/promote/decision.json"]
