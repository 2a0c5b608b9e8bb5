"""The tutorial names real things: every test, file and make target it mentions exists, and the
Makefile output it pastes is what the Makefile prints."""

import re
import subprocess

from tests.helpers.params import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs" / "tutorial").rglob("*.md"))]
TEST_REF = re.compile(r"(tests/[\w/]+\.py)::(test_\w+)")
FILE_REF = re.compile(
    r"`((?:src|pipelines|serving|monitoring|benchmarks|tests|data|docs|\.github)/[\w./-]+)`"
)
# `make x` inline, or a command line starting with `make x` / `$ make x` in a code block
MAKE_REF = re.compile(r"(?:`|^\$ |^)make ([a-z][\w-]*)", re.MULTILINE)
GENERATED = ("data/interim/", "data/processed/")  # pipeline outputs: absent in a fresh clone
TARGET = re.compile(r"^([a-zA-Z][\w-]*):", re.MULTILINE)


def _text() -> str:
    return "\n".join(path.read_text() for path in DOCS)


def test_the_tutorial_exists() -> None:
    assert len(DOCS) >= 10, [p.name for p in DOCS]


def test_every_named_test_exists() -> None:
    refs = set(TEST_REF.findall(_text()))
    missing = [
        f"{path}::{name}"
        for path, name in sorted(refs)
        if not (ROOT / path).exists() or f"def {name}(" not in (ROOT / path).read_text()
    ]
    assert refs and not missing, f"the docs name tests that do not exist: {missing}"


def test_every_named_file_exists() -> None:
    refs = {p.rstrip(".") for p in FILE_REF.findall(_text()) if "*" not in p and "<" not in p}
    paths = {p for p in refs if not p.startswith(GENERATED)}
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    assert paths and not missing, f"the docs name files that do not exist: {missing}"


def test_every_make_target_exists() -> None:
    targets = set(TARGET.findall((ROOT / "Makefile").read_text()))
    used = set(MAKE_REF.findall(_text()))
    missing = sorted(used - targets)
    assert used and not missing, f"the docs use make targets the Makefile lacks: {missing}"


def test_workflows_call_only_existing_make_targets() -> None:
    targets = set(TARGET.findall((ROOT / "Makefile").read_text()))
    runs = "\n".join(p.read_text() for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    used = set(re.findall(r"^\s*(?:run:\s*)?make ([a-z][\w-]*)", runs, re.MULTILINE))
    missing = sorted(used - targets)
    assert used and not missing, f"workflows call make targets the Makefile lacks: {missing}"


def test_the_pasted_make_help_is_what_make_prints() -> None:
    page = (ROOT / "docs/tutorial/setup.md").read_text()
    [pasted] = re.findall(r"^\$ make help\n(.*?)^```", page, flags=re.MULTILINE | re.DOTALL)
    printed = subprocess.run(
        ["make", "--no-print-directory", "help"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    assert pasted == printed


def test_pasted_make_errors_name_the_recipe_line() -> None:
    # make reports a failed recipe as `[Makefile:<line of the recipe>: <target>]`.
    lines = (ROOT / "Makefile").read_text().splitlines()
    recipe = {
        target: number + 1  # the line after `target: ...` (1-based)
        for number, line in enumerate(lines, start=1)
        for target in TARGET.findall(line)
    }
    pasted = re.findall(r"\[Makefile:(\d+): ([\w-]+)\]", _text())
    assert pasted, "no pasted make error found"
    for number, target in pasted:
        assert int(number) == recipe[target], f"[Makefile:{number}: {target}]"


def _sections(text: str) -> dict[str, str]:
    """params.yaml's top-level sections, each as its exact text (comments included)."""
    starts = [(m.start(), m.group(1)) for m in re.finditer(r"^(\w+):", text, re.MULTILINE)]
    ends = [start for start, _ in starts[1:]] + [len(text)]
    return {
        name: text[start:end].rstrip("\n") + "\n"
        for (start, name), end in zip(starts, ends, strict=True)
    }


def test_pasted_params_sections_are_whole_and_current() -> None:
    sections = _sections((ROOT / "params.yaml").read_text())
    pasted = [
        (path.name, block)
        for path in DOCS
        for block in re.findall(r"```yaml\n(.*?)```", path.read_text(), re.DOTALL)
        if (m := re.match(r"(\w+):", block)) and m.group(1) in sections
    ]
    assert pasted, "no params.yaml section is pasted in the docs"
    for page, block in pasted:
        name = block.split(":", 1)[0]
        assert block == sections[name], f"{page}: the `{name}:` block differs from params.yaml"
