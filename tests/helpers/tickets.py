"""Params for the shipped event-level example (tests/datasets/tickets.yaml): support tickets.

The overrides live in tests/datasets/tickets.params.yaml, the file a fork would write; chapter
10 includes it, so the docs and the tests cannot disagree about them.
"""

from __future__ import annotations

from typing import Any

import yaml

from tests.helpers.params import ROOT, SHRUNKEN, deep_merge

OVERRIDES = ROOT / "tests/datasets/tickets.params.yaml"
TICKETS: dict[str, Any] = yaml.safe_load(OVERRIDES.read_text())
DATASET: str = TICKETS["data"]["dataset"]
MODEL: str = TICKETS["registry"]["model_name"]  # its own registered model

# TICKETS with the shrunken training of tests/helpers/params.py: a `dvc repro` in seconds.
TICKETS_SHRUNKEN: dict[str, Any] = deep_merge(SHRUNKEN, TICKETS)
