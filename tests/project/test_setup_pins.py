"""`make setup` installs torch's CPU build only, at the version the constraints file pins."""

from __future__ import annotations

import re

from tests.helpers.imports import ROOT


def _make_variable(name: str) -> str:
    match = re.search(rf"^{name} := (.+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert match, f"the Makefile defines no {name}"
    return match.group(1).strip()


def test_torch_is_pinned_to_the_cpu_build_of_the_constrained_version() -> None:
    # PyPI's Linux torch wheel of the same version is the CUDA build (several GB of nvidia-*
    # wheels); only the `+cpu` local label cannot resolve to it.
    torch = _make_variable("TORCH")
    constrained = re.search(
        r"^torch==(\S+)$", (ROOT / ".ci" / "constraints.txt").read_text(), re.MULTILINE
    )
    assert constrained, "the constraints file pins no torch"
    assert torch == f"torch=={constrained.group(1)}+cpu"
    assert _make_variable("TORCH_INDEX") == "https://download.pytorch.org/whl/cpu"
