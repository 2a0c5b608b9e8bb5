"""In-memory stand-ins for the rollout tests: a challenger source, and models that answer wrong."""

from __future__ import annotations

from typing import Any

from lifecycle.serving.champion import Champion


class Pair:
    """A ChallengerSource in memory: champion v1 and challengers by version, the alias set
    by hand (`alias`), rollbacks recorded (`rolled_back`), loads counted; `failing`: versions
    whose load raises OSError (the store is down)."""

    def __init__(self, champion: Champion, **challengers: Champion) -> None:
        self.models = {"1": champion, **challengers}
        self.alias: str | None = next(iter(challengers), None)
        self.failing: set[str] = set()
        self.loads: dict[str, int] = {}
        self.rolled_back: list[tuple[str, str]] = []

    def latest(self) -> str:
        """Always v1."""
        return "1"

    def challenger(self) -> str | None:
        """The version `alias` names."""
        return self.alias

    def load(self, version: str) -> Champion:
        """The model of `version` (OSError for a `failing` one)."""
        self.loads[version] = self.loads.get(version, 0) + 1
        if version in self.failing:
            raise OSError(f"the store is down (v{version})")
        return self.models[version]

    def roll_back(self, version: str, reason: str) -> object:
        """Record the rollback."""
        self.rolled_back.append((version, reason))
        return True


def as_version(model: Any, champion: Champion, version: str, fast: bool = False) -> Champion:
    """`model` served as `version`, with the champion's lineage and classes (no fast path
    unless `fast`: then the champion's own)."""
    info = champion.info.model_copy(update={"version": version})
    return Champion(model, info, champion.classes, champion.fast if fast else None)


class Broken:
    """A model answering `inner`'s predictions broken as `mode` says: short (one value fewer),
    nan (the first value NaN), wide (two values per record); for its first `until` calls
    only (None: always)."""

    def __init__(self, inner: Any, mode: str, until: int | None = None) -> None:
        self.inner, self.mode, self.until, self.calls = inner, mode, until, 0

    def _broken(self, out: Any) -> Any:
        import numpy as np

        self.calls += 1
        if self.until is not None and self.calls > self.until:
            return out
        out = np.array(out, dtype="float64")
        if self.mode == "short":
            return out[:-1]
        if self.mode == "wide":
            return np.stack([out, out], axis=-1)
        out.reshape(-1)[0] = np.nan
        return out

    def predict(self, frame: Any) -> Any:
        """The inner model's values, broken."""
        return self._broken(self.inner.predict(frame))

    def predict_proba(self, frame: Any) -> Any:
        """The inner classifier's probabilities, broken."""
        return self._broken(self.inner.predict_proba(frame))
