"""The scripts under docs/ (labs.py, outputs.py), loaded from their files (not a package)."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from tests.helpers.params import ROOT


def docs_script(name: str) -> ModuleType:
    """docs/<name>.py as a module (loaded once, then shared)."""
    module_name = f"docs_{name}"  # not a name an installed package could have
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, ROOT / "docs" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module
