"""What the service's Swagger page at `/` says: its own title, description, version and examples.

BentoML's dev server describes a service with boilerplate (badges from the internet, version
"None"); `DocumentedService` (given to `@bentoml.service(service_class=...)`) puts the project's
own text and version there instead. The example request bodies are derived from the request
model of the served table, so a fork's page shows a valid record of its own table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import attrs
import bentoml
from pydantic import BaseModel, ValidationError

from lifecycle.dataset import DatasetSpec

TITLE = "lifecycle: the champion service"
EXAMPLE_DAY = dt.date(2012, 6, 1)  # any date passes a record model that bounds none
EXAMPLE_HOUR = 8  # of a whole timestamp (an hour field gets the middle of its bounds)


class DocumentedService(bentoml.Service):
    """A BentoML service whose OpenAPI document has our title, description and version."""

    @property
    def doc(self) -> str:
        """The description on the Swagger page (BentoML's own is its README boilerplate)."""
        return str(self.description or "")

    @property
    def openapi_spec(self) -> Any:
        """BentoML's OpenAPI document with the project's title and package version."""
        spec = super().openapi_spec
        # BentoML names itself as the contact; this service's contact is its own repository
        info = attrs.evolve(spec.info, title=TITLE, version=package_version(), contact=None)
        return attrs.evolve(spec, info=info)


def package_version() -> str:
    """This package's version; "unknown" where it runs without its metadata (a Bento imports
    it from its source folder, not an installed distribution)."""
    try:
        return version("lifecycle")
    except PackageNotFoundError:
        return "unknown"


def service_description(spec: DatasetSpec, max_records: int) -> str:
    """The Swagger page's text: what is served, every route, and what a bad record gets."""
    return f"""Predicts `{spec.target}` of the **{spec.name}** table ({spec.task}) with the model
version that holds the `champion` alias in the MLflow registry. A new champion is picked up while
the service runs, without a restart.

- `POST /predict`: one record or up to {max_records}, as `{{"records": [...]}}`. Concurrent
  requests are batched into one model call.
- `POST /predict_columns`: up to {max_records} records sent column by column,
  `{{"columns": {{field: [one value per record]}}}}`: one request, one model call (faster for big
  requests). Same fields and checks as `/predict`.
- `GET /model`: the served version, its MLflow run, git commit, data hashes and validation
  metrics, and what this worker does with a challenger (shadow, canary share).
- `POST /admin/reload`: check the registry now (`Authorization: Bearer` the admin token).
- `GET /livez`, `GET /readyz`, `GET /metrics` (Prometheus).

Every answer names the model version and the variant (champion or canary) that made it, and the
request id under which it is in the prediction log. A record that does not fit the table is
answered 400 with every field at fault and its problem; the service goes on serving.
"""


def example_record(
    record: type[BaseModel], known: Mapping[str, Any] | None = None
) -> dict[str, Any] | None:
    """A record the request model accepts, built from its JSON schema; None if none is found.
    `known`: values to use for some fields (e.g. a category the served model learnt)."""
    schema = record.model_json_schema()
    defs, props = schema.get("$defs", {}), schema.get("properties", {})
    parts = [n for n, prop in props.items() if n != "event_time" and _is_time(prop)]
    for zone in ("Z", ""):  # a zoned timestamp first; a naive one if the table refuses zones
        full = {name: _value(prop, defs, zone) for name, prop in props.items()} | dict(known or {})
        full = {name: value for name, value in full.items() if value is not None}
        # Time may be given whole or in parts (e.g. event_time, or dteday + hr): try each way.
        for drop in ([], ["event_time"], parts):
            candidate = {k: v for k, v in full.items() if k not in drop}
            try:
                record.model_validate(candidate)
            except ValidationError:
                continue
            return candidate
    return None


def as_records(example: Callable[[], dict[str, Any] | None]) -> Callable[[dict[str, Any]], None]:
    """The `records` field's JSON-schema hook: its example, computed whenever the OpenAPI
    document is (so it uses the categories of the model served then)."""

    def extra(schema: dict[str, Any]) -> None:
        if (record := example()) is not None:
            schema["example"] = [record]  # OpenAPI 3.0's `example` (BentoML refuses `examples`)

    return extra


def as_columns(example: Callable[[], dict[str, Any] | None]) -> Callable[[dict[str, Any]], None]:
    """The `columns` field's hook: the same example record, one list per field."""

    def extra(schema: dict[str, Any]) -> None:
        if (record := example()) is not None:
            schema["example"] = {name: [value] for name, value in record.items()}

    return extra


def _is_time(prop: dict[str, Any]) -> bool:
    options = prop.get("anyOf", [prop])
    return any(o.get("format") in ("date", "date-time") for o in options)


def _value(prop: dict[str, Any], defs: dict[str, Any], zone: str) -> Any:
    """A valid value for one property: its first allowed value, or one within its bounds."""
    if "$ref" in prop:
        return _value(defs[prop["$ref"].rsplit("/", 1)[-1]], defs, zone)
    if "anyOf" in prop:  # e.g. a nullable field: the first option that is not null
        options = [o for o in prop["anyOf"] if o.get("type") != "null"]
        return _value(options[0], defs, zone) if options else None
    if "enum" in prop or "const" in prop:
        return prop["enum"][0] if "enum" in prop else prop["const"]
    kind = prop.get("type")
    if kind in ("integer", "number"):
        return _number(prop, kind == "integer")
    if kind == "boolean":
        return False
    if kind == "string":
        return _text(prop, zone)
    return None


def _number(prop: dict[str, Any], integer: bool) -> float | int:
    low = prop.get("minimum", prop.get("exclusiveMinimum"))
    high = prop.get("maximum", prop.get("exclusiveMaximum"))
    if low is not None and high is not None:
        middle = (low + high) / 2
        return int(middle) if integer else round(middle, 4)
    if low is not None:
        return int(low) + 1 if integer else low + 1
    if high is not None:
        return int(high) - 1 if integer else high - 1
    return 1 if integer else 0.5


def _text(prop: dict[str, Any], zone: str) -> str:
    fmt = prop.get("format")
    if fmt == "date":
        return EXAMPLE_DAY.isoformat()
    if fmt == "date-time":
        return f"{EXAMPLE_DAY.isoformat()}T{EXAMPLE_HOUR:02d}:00:00{zone}"
    return "example".ljust(int(prop.get("minLength", 1)), "x")


def swagger_page() -> str:
    """The page at `/`: Swagger UI from the files BentoML bundles, nothing fetched from the web.

    BentoML's own page also loads Google Tag Manager and links out to GitHub; this one loads
    only the service's own static files and its OpenAPI document (`validatorUrl: null` keeps
    Swagger UI from asking validator.swagger.io about it)."""
    return f"""<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <title>{TITLE}</title>
    <link rel="stylesheet" type="text/css" href="./static_content/swagger-ui.css" />
    <link rel="icon" type="image/png" href="./static_content/favicon-light-32x32.png" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="./static_content/swagger-ui-bundle.js" charset="UTF-8"></script>
    <script>
      window.onload = function () {{
        window.ui = SwaggerUIBundle({{
          url: "./docs.json", dom_id: "#swagger-ui", deepLinking: true, validatorUrl: null,
          presets: [SwaggerUIBundle.presets.apis], layout: "BaseLayout",
        }});
      }};
    </script>
  </body>
</html>
"""
