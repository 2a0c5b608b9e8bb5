"""Small event-level tables for tests: a definition, seeded rows read back as the pipeline reads
them, and a model fitted on them with the project's own feature pipeline.

The table, `orders`: one row per order of a food-delivery shop, stamped with a timestamp that
carries its UTC offset (zone Europe/Paris, so the DST change of 31 March is inside), keyed by
an order id. It has one column of every kind the dataset definition knows:

    city     closed text (values)               shop    open text, unseen: refuse
    size     closed text with gaps              coupon  open text with gaps, unseen: other
    basket   float with gaps                    items   int (numeric)
    express  bool with gaps                     member  bool
    rush     int categories (values)            minutes the target (float; `late` for
                                                        classification: minutes > 40)

    spec = table_spec()                                  # or table_spec(task="classification")
    frame = table_frame(tmp_path, spec, rows=400)        # CSV written, then dataset.read_source
    model = fit_table_model(spec, frame)                 # build_features + HGB, seeded

`table_spec(**changes)` deep-merges changes into the definition, e.g.
`table_spec(time={"zone": None})` for naive timestamps or `table_spec(key=["event_time"])`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.pipeline import Pipeline

from lifecycle.dataset import DatasetSpec, model_frame
from lifecycle.features import build_features
from lifecycle.source import read_source
from tests.helpers.params import deep_merge

SHOPS = ["bistro", "burger-bar", "dumpling-house", "green-bowl", "pizza-nova", "taqueria"]
COUPONS = ["WELCOME", "SPRING", "VIP,GOLD"]  # a comma inside a value: the log must cope
DEFINITION: dict[str, Any] = {
    "name": "test_orders",
    "source": "orders.csv",
    "task": "regression",
    "target": "minutes",
    "time": {"timestamp": "placed_at", "zone": "Europe/Paris"},
    "key": ["order_id"],
    "columns": {
        "order_id": {"dtype": "str", "doc": "Order number."},
        "placed_at": {"dtype": "timestamp", "doc": "When the order was placed, with its offset."},
        "city": {"dtype": "str", "values": ["Lyon", "Nantes", "Paris"], "feature": True,
                 "kind": "categorical", "doc": "Where the shop is."},
        "size": {"dtype": "str", "values": ["S", "M", "L"], "max_missing": 0.3, "feature": True,
                 "kind": "categorical", "doc": "Basket size class; empty when unknown."},
        "shop": {"dtype": "str", "unseen": "refuse", "feature": True, "kind": "categorical",
                 "doc": "The shop; a shop the model never saw is refused."},
        "coupon": {"dtype": "str", "unseen": "other", "max_missing": 0.6, "feature": True,
                   "kind": "categorical", "doc": "Coupon code used, if any."},
        "basket": {"dtype": "float", "min": 0.0, "max": 500.0, "max_missing": 0.3,
                   "feature": True, "kind": "numeric", "doc": "Basket value in euros."},
        "items": {"dtype": "int", "min": 1, "max": 50, "feature": True, "kind": "numeric",
                  "doc": "Items in the basket."},
        "express": {"dtype": "bool", "max_missing": 0.3, "feature": True, "kind": "binary",
                    "doc": "Express delivery asked for; empty on old app versions."},
        "member": {"dtype": "bool", "feature": True, "kind": "binary", "doc": "Loyalty member."},
        "rush": {"dtype": "int", "values": [0, 1, 2], "feature": True, "kind": "categorical",
                 "doc": "Kitchen load: 0 calm, 1 busy, 2 overrun."},
        "minutes": {"dtype": "float", "min": 0.0, "doc": "Minutes to deliver: the target."},
        "late": {"dtype": "int", "values": [0, 1], "doc": "1 if delivered after 40 minutes."},
    },
}  # fmt: skip


def table_spec(**changes: Any) -> DatasetSpec:
    """The `orders` definition with `changes` deep-merged in (task, time, key, columns...)."""
    raw = deep_merge(DEFINITION, changes)
    if raw["task"] == "classification" and "target" not in changes:
        raw["target"] = "late"
    raw["time"] = {k: v for k, v in raw["time"].items() if v is not None}
    return DatasetSpec.model_validate(raw)


def _gaps(rng: np.random.Generator, values: np.ndarray, share: float) -> np.ndarray:
    """`values` as objects with about `share` of them replaced by None (an empty CSV cell)."""
    out = values.astype(object)
    out[rng.random(len(values)) < share] = None
    return out


def _stamps(rng: np.random.Generator, rows: int, zone: str | None) -> list[str]:
    """Order times over March-April 2024 (the DST change inside), as the CSV writes them."""
    minutes = np.sort(rng.integers(0, 61 * 24 * 60, rows))
    naive = pd.Timestamp("2024-03-01") + pd.to_timedelta(minutes, unit="min")
    if zone is None:
        return [t.isoformat() for t in naive]
    local = pd.DatetimeIndex(naive).tz_localize(zone, nonexistent="shift_forward", ambiguous=True)
    return [t.isoformat() for t in local]


def table_rows(spec: DatasetSpec, rows: int = 400, seed: int = 0) -> pd.DataFrame:
    """Seeded source rows as the CSV holds them (None for an empty cell)."""
    rng = np.random.default_rng(seed)
    basket = np.round(rng.gamma(3.0, 15.0, rows).clip(1, 500), 2)
    items = rng.integers(1, 15, rows)
    rush = rng.integers(0, 3, rows)
    express = rng.random(rows) < 0.3
    minutes = np.round(15 + 0.1 * basket + 2 * items + 9 * rush - 8 * express
                       + rng.normal(0, 5, rows), 1).clip(1)  # fmt: skip
    return pd.DataFrame(
        {
            "order_id": [f"O{i:06d}" for i in range(1, rows + 1)],
            "placed_at": _stamps(rng, rows, spec.time.zone),
            "city": rng.choice(["Lyon", "Nantes", "Paris"], rows),
            "size": _gaps(rng, rng.choice(["S", "M", "L"], rows), 0.15),
            "shop": rng.choice(SHOPS, rows),
            "coupon": _gaps(rng, rng.choice(COUPONS, rows), 0.5),
            "basket": _gaps(rng, basket, 0.15),
            "items": items,
            "express": _gaps(rng, np.where(express, "true", "false"), 0.15),
            "member": np.where(rng.random(rows) < 0.4, "1", "0"),
            "rush": rush,
            "minutes": minutes,
            "late": (minutes > 40).astype(int),
        }
    )


def table_frame(folder: Path, spec: DatasetSpec, rows: int = 400, seed: int = 0) -> pd.DataFrame:
    """Write the seeded rows as the definition's CSV under `folder`, then read them back with
    `dataset.read_source` (so every dtype is what the pipeline really sees)."""
    path = folder / spec.source
    path.parent.mkdir(parents=True, exist_ok=True)
    table_rows(spec, rows, seed).to_csv(path, index=False)
    return read_source(spec, folder)


def fit_table_model(spec: DatasetSpec, frame: pd.DataFrame, learner: Any = None) -> Pipeline:
    """`build_features(spec)` plus `learner` (default: a small seeded HGB of the spec's task)."""
    if learner is None:
        kind = HistGradientBoostingClassifier if spec.task == "classification" else (
            HistGradientBoostingRegressor)  # fmt: skip
        learner = kind(max_iter=20, random_state=0)
    model = Pipeline([("features", build_features(spec)), ("model", learner)])
    return model.fit(model_frame(frame, spec), frame[spec.target].to_numpy())
