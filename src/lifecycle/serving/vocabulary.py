"""Open-vocabulary text with `unseen: refuse`: what the served model learnt, and the check that
refuses any other category.

The check runs while BentoML parses one request's body, before the batcher merges it with other
requests: a refused request gets its 400 alone, nothing of it reaches the model or the log, and
the requests it would have shared a batch with are served. It reads the champion being served at
that moment, so the vocabulary follows hot reloads. (A request parsed just before a swap is then
predicted by the new model; a category that model never saw goes to its "other" column.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic_core import PydanticCustomError

from lifecycle.dataset import DatasetSpec

SHOWN_VALUES = 10  # a refusal lists this many known categories, then "(+N more)"


@dataclass(frozen=True)
class Learnt:
    """The categories one model version learnt for the columns it refuses unseen values of."""

    version: str
    known: Mapping[str, frozenset[str]]


def refused_columns(spec: DatasetSpec) -> list[str]:
    """The open-vocabulary features whose unseen categories are refused (`unseen: refuse`)."""
    return [n for n, c in spec.features.items() if c.open_vocabulary and c.unseen == "refuse"]


def open_categories(model: Any) -> dict[str, list[str]]:
    """Each open-vocabulary column of a fitted pipeline -> the categories it learnt (sorted)."""
    from lifecycle.features import OpenCategories  # scikit-learn: only once a model is loaded

    steps = getattr(model, "steps", None)
    features = steps[0][1] if steps else model
    found: dict[str, list[str]] = {}
    for _, transformer, _ in getattr(features, "transformers_", []):
        inner = getattr(transformer, "steps", [(None, transformer)])  # a Pipeline, or itself
        for _, step in inner:
            if isinstance(step, OpenCategories):
                found.update(zip(step.columns_, step.categories_, strict=True))
    return found


def learnt_vocabulary(model: Any, spec: DatasetSpec, version: str) -> Learnt | None:
    """What `model` learnt for the refused columns; None when the table refuses nothing.

    ValueError when a refused column has no learnt categories: the model was not built by
    lifecycle.features, and the service could not say what it accepts."""
    refused = refused_columns(spec)
    if not refused:
        return None
    found = open_categories(model)
    missing = [name for name in refused if name not in found]
    if missing:
        raise ValueError(
            f"model v{version} learnt no categories for {missing}, which the dataset definition "
            "marks `unseen: refuse`: build its features with lifecycle.features.build_features"
        )
    return Learnt(version, {name: frozenset(found[name]) for name in refused})


def _shown(values: frozenset[str]) -> str:
    ordered = sorted(values)
    more = len(ordered) - SHOWN_VALUES
    return ", ".join(ordered[:SHOWN_VALUES]) + (f" (+{more} more)" if more > 0 else "")


class Vocabulary:
    """The request-side check of `unseen: refuse` columns against the served model."""

    def __init__(self) -> None:
        self._served: Callable[[], Learnt | None] = lambda: None  # nothing served: no check

    def follow(self, served: Callable[[], Learnt | None]) -> None:
        """Check each request against what `served()` returns then (the current champion's)."""
        self._served = served

    def examples(self) -> dict[str, str]:
        """A category of each refused column that the served model knows (none served: {})."""
        learnt = self._served()
        return (
            {name: min(values) for name, values in learnt.known.items() if values} if learnt else {}
        )

    def checker(self, column: str) -> Callable[[str], str]:
        """The AfterValidator of one refused column: a known category passes, any other is
        refused naming (some of) the known ones."""

        def known(value: str) -> str:
            learnt = self._served()
            if learnt is None or value in learnt.known[column]:
                return value
            raise PydanticCustomError(
                "unseen_category",
                "{value} was never seen in training by the served model (v{version}): "
                "send one of {known}",
                {
                    "value": repr(value),
                    "version": learnt.version,
                    "known": _shown(learnt.known[column]),
                },
            )

        return known
