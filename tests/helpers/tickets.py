"""Params for the shipped event-level example (tests/datasets/tickets.yaml): support tickets."""

from __future__ import annotations

from typing import Any

from tests.helpers.params import CLASSIFICATION, SHRUNKEN, deep_merge

DATASET = "tests/datasets/tickets.yaml"
MODEL = "support-sla-breach"  # its own registered model, never shared with another table

# The classification overrides (CLASSIFICATION), moved to the tickets table: June has not
# arrived, so the test window is the second half of May, when the `payments` team is new.
TICKETS: dict[str, Any] = deep_merge(
    CLASSIFICATION,
    {
        "data": {"dataset": DATASET, "start": "2024-01-01", "as_of": "2024-06-01"},
        "split": {"test_days": 14, "val_days": 14, "train_days": 90},
        "gate": {"min_roc_auc": 0.65, "max_log_loss": 0.6},
        "registry": {"model_name": MODEL},
    },
)

# TICKETS with the shrunken training of tests/helpers/params.py: a `dvc repro` in seconds.
TICKETS_SHRUNKEN: dict[str, Any] = deep_merge(SHRUNKEN, TICKETS)
