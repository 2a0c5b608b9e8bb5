"""Files handed between stages: Parquet frames and stable JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd


def read_frame(path: str | Path) -> pd.DataFrame:
    """Read a Parquet file written by an earlier stage."""
    return pd.read_parquet(path)


def write_frame(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a frame as Parquet, creating the folder."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False)


def write_json(obj: Any, path: str | Path) -> None:
    """Write pretty, key-sorted JSON (stable bytes, so DVC sees no spurious change)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")
