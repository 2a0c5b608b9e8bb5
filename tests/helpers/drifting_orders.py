"""A small synthetic event-level table for monitoring tests: many orders per timestamp, a text
row key, a closed and an open text category, a bool, gaps, a late-delivery label, and a
`shift` that makes it drift. (tests/helpers/tables.py has the table with every column kind.)"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lifecycle.dataset import DatasetSpec

CHANNELS = ["web", "app", "phone"]
PER_TIME = 10  # orders placed at each timestamp: a join on event time cannot tell them apart


def orders_spec(source: Path) -> DatasetSpec:
    """The table's definition: keyed by order id, one timestamp column, classification."""
    return DatasetSpec.model_validate(
        dict(
            name="orders",
            source=source,
            task="classification",
            target="late",
            time={"timestamp": "placed_at"},
            key=["order_id"],
            columns={
                "order_id": {"dtype": "str"},
                "placed_at": {"dtype": "timestamp"},
                "channel": {"dtype": "str", "values": CHANNELS, "max_missing": 0.2,
                            "feature": True, "kind": "categorical"},
                "city": {"dtype": "str", "unseen": "other", "feature": True,
                         "kind": "categorical"},
                "distance": {"dtype": "float", "min": 0, "max_missing": 0.3, "feature": True,
                             "kind": "numeric"},
                "express": {"dtype": "bool", "feature": True, "kind": "binary"},
                "late": {"dtype": "int", "values": [0, 1]},
            },
        )
    )  # fmt: skip


def orders(
    start: str, days: int, seed: int, first_id: int = 0, shift: bool = False
) -> pd.DataFrame:
    """`days` of hourly timestamps, PER_TIME orders at each, as the source CSV holds them.

    `shift`: other channels and cities, longer distances, and lateness that no longer follows
    distance the way it did: drift, and a model that has become wrong.
    """
    rng = np.random.default_rng(seed)
    times = pd.date_range(start, periods=days * 24, freq="h").repeat(PER_TIME)
    n = len(times)
    channel = rng.choice(CHANNELS, n, p=[0.1, 0.2, 0.7] if shift else [0.6, 0.3, 0.1])
    cities = [f"city{i}" for i in (range(8, 16) if shift else range(8))]
    distance = rng.gamma(2.0, 3.0 if shift else 1.5, n)
    express = rng.random(n) < 0.3
    effect = -0.6 if shift else 0.8  # per km; shifted: long trips are no longer the late ones
    logit = effect * (distance - 3.0) + 1.2 * (channel == "phone") - 1.5 * express
    frame = pd.DataFrame(
        {
            "order_id": [f"o{first_id + i:06d}" for i in range(n)],
            "placed_at": times.strftime("%Y-%m-%dT%H:%M:%S"),
            "channel": np.where(rng.random(n) < 0.1, None, channel),
            "city": rng.choice(cities, n),
            "distance": np.where(rng.random(n) < 0.15, np.nan, distance.round(2)),
            "express": np.where(express, "true", "false"),
            "late": (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int),
        }
    )
    return frame


def write_orders(path: Path, *parts: pd.DataFrame) -> Path:
    """Write the parts as one source CSV (gaps as empty fields, like a real export)."""
    pd.concat(parts, ignore_index=True).to_csv(path, index=False)
    return path
