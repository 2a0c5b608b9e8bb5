"""What POST /predict_columns answers: /predict's per-record answers, column by column.

The same fields as schemas.Prediction (or ClassPrediction), each a list in the request's record
order, except the request id, which the records of one request share, and `row`, which is the
position in the lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import Field
from typing_extensions import TypedDict  # pydantic needs this one on Python < 3.12

from lifecycle.dataset import DatasetSpec
from lifecycle.serving.schemas import VARIANT_DOC, Variant

REQUEST_ID = "Shared by the records of this request; with a record's position, its key in the log."
VERSIONS = "The model version that answered each record."


class ColumnPredictions(TypedDict):
    """The predictions of one column request, one list entry per record (regression)."""

    request_id: Annotated[str, Field(description=REQUEST_ID)]
    prediction: list[float]
    model_name: list[str]
    model_version: Annotated[list[str], Field(description=VERSIONS)]
    variant: Annotated[list[Variant], Field(description=VARIANT_DOC)]


class ColumnClassPredictions(TypedDict):
    """The predicted classes of one column request, one list entry per record (classification)."""

    request_id: Annotated[str, Field(description=REQUEST_ID)]
    label: Annotated[list[int], Field(description="The predicted class of each record.")]
    probabilities: Annotated[
        dict[str, list[float]],
        Field(description='Per class, its probability for each record (e.g. {"0": [0.8, 0.3]}).'),
    ]
    model_name: list[str]
    model_version: Annotated[list[str], Field(description=VERSIONS)]
    variant: Annotated[list[Variant], Field(description=VARIANT_DOC)]


def column_answer_type(spec: DatasetSpec) -> type:
    """What /predict_columns answers: values (regression) or classes and probabilities."""
    return ColumnClassPredictions if spec.task == "classification" else ColumnPredictions


def _column(answers: Sequence[Any], field: str) -> list[Any]:
    return [answer[field] for answer in answers]


def to_columns(answers: Sequence[Any], request_id: str) -> dict[str, Any]:
    """Per-record answers (schemas.Prediction or ClassPrediction, in record order) as columns."""
    shared = {name: _column(answers, name) for name in ("model_name", "model_version", "variant")}
    if "label" not in answers[0]:
        return {"request_id": request_id, "prediction": _column(answers, "prediction"), **shared}
    classes = list(answers[0]["probabilities"])
    probabilities = {c: [answer["probabilities"][c] for answer in answers] for c in classes}
    return {
        "request_id": request_id,
        "label": _column(answers, "label"),
        "probabilities": probabilities,
        **shared,
    }
