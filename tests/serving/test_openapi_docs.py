"""The Swagger page's example record is a valid request for every kind of table."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from lifecycle.dataset import DatasetSpec, load_spec
from lifecycle.serving.openapi_docs import example_record, package_version, service_description
from lifecycle.serving.schemas import record_model
from lifecycle.serving.vocabulary import Learnt, Vocabulary, refused_columns
from tests.helpers.params import ROOT
from tests.helpers.tables import table_spec

TABLES = {  # time whole or in parts, zoned or naive, text, flags, gaps, keys, both tasks
    "bike": lambda: load_spec(ROOT / "data/datasets/bike_sharing.yaml"),
    "tickets": lambda: load_spec(ROOT / "tests/datasets/tickets.yaml"),
    "deliveries": lambda: load_spec(ROOT / "tests/datasets/deliveries.yaml"),
    "orders": table_spec,
    "orders-naive": lambda: table_spec(time={"zone": None}, source="naive.csv"),
}


@pytest.mark.parametrize("table", TABLES)
def test_the_example_record_is_accepted_by_its_tables_request_model(table: str) -> None:
    spec: DatasetSpec = TABLES[table]()
    record: type[BaseModel] = record_model(spec)
    example = example_record(record)
    assert example is not None
    record.model_validate(example)  # raises if the example is not a valid request
    assert set(spec.features) <= set(example)  # every feature shown, not only the required
    assert spec.target not in example


def test_no_example_when_no_value_fits() -> None:
    class Impossible(BaseModel):
        x: int

        def model_post_init(self, _: object) -> None:
            raise ValueError("never valid")

    assert example_record(Impossible) is None


def test_the_description_names_the_table_and_every_route() -> None:
    text = service_description(table_spec(), 500)
    for route in ("/predict`", "/predict_columns`", "/model`", "/admin/reload`", "/metrics`"):
        assert route in text
    assert "up to 500" in text and table_spec().target in text


def test_a_refused_column_gets_a_category_the_served_model_knows() -> None:
    spec = table_spec()  # `shop` refuses categories the served model never saw
    assert refused_columns(spec) == ["shop"]
    vocabulary = Vocabulary()
    record = record_model(spec, vocabulary)
    vocabulary.follow(lambda: Learnt("3", {"shop": frozenset({"taqueria", "bistro"})}))
    assert example_record(record) is None  # an invented category is refused: no example
    example = example_record(record, vocabulary.examples())
    assert example is not None and example["shop"] == "bistro"
    record.model_validate(example)


def test_the_version_is_the_packages_or_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib.metadata import PackageNotFoundError

    from lifecycle.serving import openapi_docs

    assert package_version() not in ("", "unknown")

    def missing(name: str) -> str:
        raise PackageNotFoundError(name)

    monkeypatch.setattr(openapi_docs, "version", missing)  # a Bento: no installed metadata
    assert package_version() == "unknown"
