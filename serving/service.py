"""The BentoML service: the registry's champion behind a typed HTTP API.

    make serve                      # = bentoml serve serving.service:ChampionService
    curl -s localhost:3000/predict -H 'Content-Type: application/json' -d @request.json

Routes: POST /predict (one record or many, adaptive batching), POST /predict_columns (many
records sent column by column: one request, one model call; faster for big requests), GET /model
(what is served), POST /admin/reload (every worker checks the registry now; needs
LIFECYCLE_ADMIN_TOKEN), BentoML's /livez, /readyz, /metrics, and Swagger UI at /. The work
happens in lifecycle.serving.
"""

import logging
import os
from typing import Annotated, Any

# One OpenMP thread per model call in EVERY thread of this process, set before scikit-learn loads
# OpenMP: BentoML predicts in worker threads, which start from this variable (threadpoolctl's limit
# only holds in the thread that sets it). Batches are small, and a second spinning OpenMP thread
# fought the HTTP work for the cores: server CPU per request was 5-20x higher on 2 busy cores.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import bentoml
from bentoml.validators import ContentType
from fastapi import FastAPI, Header, HTTPException
from fastapi.responses import HTMLResponse
from pydantic import Field

from lifecycle.serving import client_key
from lifecycle.serving.champion import BentoSource, ModelSource, RegistrySource
from lifecycle.serving.column_answers import column_answer_type, to_columns
from lifecycle.serving.columnar import ColumnForm, ColumnsRefused
from lifecycle.serving.fleet import FleetTimeout
from lifecycle.serving.openapi_docs import (
    DocumentedService,
    as_columns,
    as_records,
    example_record,
    service_description,
    swagger_page,
)
from lifecycle.serving.prometheus import count_rejection
from lifecycle.serving.request_guard import RequestGuard, quiet_client_errors
from lifecycle.serving.runtime import AdminRefused, Runtime, check_admin, service_config
from lifecycle.serving.schemas import (
    ModelInfo,
    ReloadResult,
    answer_type,
    record_model,
    records_type,
)
from lifecycle.serving.vocabulary import Vocabulary
from lifecycle.settings import get_settings, quiet_telemetry

quiet_telemetry()
SETTINGS = get_settings()  # ports, limits, batching: fixed when the class below is defined
CONFIG = service_config(SETTINGS)
# `unseen: refuse` columns are checked against the champion being served (set in __init__)
VOCABULARY = Vocabulary()
Record = record_model(CONFIG.spec, VOCABULARY)  # request fields, types, ranges, docs: the dataset


def example() -> dict[str, Any] | None:
    """A valid record of this table for the Swagger page, with categories the served model knows."""
    return example_record(Record, VOCABULARY.examples())


Records = records_type(Record, SETTINGS.max_records, as_records(example))
# A fixed content type spares BentoML rebuilding the JSON schema of a list on every response.
Answer = answer_type(CONFIG.spec)  # per record: a value, or a label and class probabilities
Answers = Annotated[list[Answer], ContentType("application/json")]  # type: ignore[valid-type]
# POST /predict_columns: the same fields, one list per field, checked column by column
FORM = ColumnForm(CONFIG.spec, Record, SETTINGS.max_records, VOCABULARY)
Columns = Annotated[
    dict[str, list[Any]],
    Field(
        description="Each field of a /predict record, as a list with one value per record "
        f"(1 to {SETTINGS.max_records} records; null for a gap).",
        json_schema_extra=as_columns(example),
    ),
]
ColumnAnswer = Annotated[column_answer_type(CONFIG.spec), ContentType("application/json")]  # type: ignore[valid-type]

extra = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)  # GET routes BentoML lacks
SWAGGER_PAGE = swagger_page()
TIMEOUT_SECONDS = 30  # BentoML answers 504 for any request still running after this


@bentoml.service(
    name="champion",
    # our title, description and version on the Swagger page at / (not BentoML's boilerplate)
    service_class=DocumentedService,
    description=service_description(CONFIG.spec, SETTINGS.max_records),
    workers=SETTINGS.serve_workers,
    http={"port": SETTINGS.port},
    traffic={"timeout": TIMEOUT_SECONDS},
    # One line per rejected request comes from RequestGuard; served ones go to the prediction log.
    logging={"access": {"enabled": False}},
    # BentoML opens an OpenTelemetry span per request even with no exporter configured (this
    # project configures none). On /predict that cost ~25% of the throughput on 2 cores, so it is
    # left out unless LIFECYCLE_TRACE_PREDICT=true (set it when you configure an exporter).
    tracing={} if SETTINGS.trace_predict else {"excluded_urls": ["/predict"]},
)
@bentoml.asgi_app(extra, path="/")
class ChampionService:
    """Predicts with the champion of the MLflow registry and logs every prediction."""

    if SETTINGS.model_source == "bento":  # `make bento` packs the champion into the Bento
        bento_model = bentoml.models.BentoModel(f"{CONFIG.model_name}:latest")

    def __init__(self) -> None:
        quiet_client_errors()
        # BentoML's root logger is at WARNING: our INFO lines (which path serves the model, and
        # why) would not show.
        logging.getLogger("lifecycle.serving").setLevel(logging.INFO)
        self.settings = get_settings()  # read again: log path, token, reload interval may differ
        source: ModelSource
        if SETTINGS.model_source == "bento":
            source = BentoSource(self.bento_model, CONFIG.spec)
        else:
            source = RegistrySource(self.settings, CONFIG.model_name, CONFIG.spec)
        worker = bentoml.server_context.worker_index  # 1..workers under `bentoml serve`
        self.runtime = Runtime.start(
            self.settings, CONFIG.spec, source, worker, VOCABULARY, CONFIG.rollout
        )

    @bentoml.api(
        batchable=True,  # concurrent requests are merged into one model call
        max_batch_size=SETTINGS.max_batch_size,
        max_latency_ms=SETTINGS.max_latency_ms,
    )
    def predict(self, records: Records) -> Answers:  # type: ignore[valid-type]
        """Predict for one record or many. Each answer names the model version that made it,
        its variant (champion, or canary: send `X-Client-Key` to stay on one variant) and the
        request id under which it is in the prediction log."""
        return self.runtime.predict(records)

    @bentoml.api(route="/predict_columns")
    def predict_columns(self, columns: Columns, ctx: bentoml.Context) -> ColumnAnswer:  # type: ignore[valid-type]
        """Predict for many records sent column by column, e.g. {"columns": {"hr": [8, 9],
        ...}}: the fields of /predict's records, each a list. One request is one model call;
        the answer has /predict's fields as lists in record order, and one request id."""
        key = client_key.clean(ctx.request.headers.get(client_key.HEADER.decode()))
        try:
            batch = FORM.batch(columns, key)
        except ColumnsRefused as refused:  # BentoML answers a ValidationError 400 with its list
            raise refused.validation_error() from None
        return to_columns(self.runtime.predict_batch(batch), batch.stamps[0].request_id)

    @extra.get("/", include_in_schema=False)
    def index(self) -> HTMLResponse:
        """The Swagger page, with no call out to the internet (BentoML's own loads a tracker)."""
        return HTMLResponse(SWAGGER_PAGE)

    @extra.get("/model", tags=["Service APIs"])
    def model(self) -> ModelInfo:
        """The served model: name, version, run, git commit, data hashes, validation metrics,
        and what the answering worker does with the challenger (shadow, canary share)."""
        return self.runtime.model_info()

    @extra.post("/admin/reload", tags=["Admin"])
    def reload(self, authorization: str | None = Header(default=None)) -> ReloadResult:
        """Check the registry now instead of at the next poll; answers once every worker
        process serves what the registry names (504 naming any that does not confirm)."""
        try:
            check_admin(self.settings.admin_token, authorization)
        except AdminRefused as refused:
            raise HTTPException(refused.status, refused.detail) from None
        try:
            # 5 s short of BentoML's own timeout, so the 504 can say which worker was late
            return self.runtime.reload(timeout=TIMEOUT_SECONDS - 5)
        except FleetTimeout as late:
            raise HTTPException(504, str(late)) from None

    @bentoml.on_shutdown
    def close(self) -> None:
        """Graceful shutdown: stop polling and write every queued prediction-log row."""
        self.runtime.close()


# `@bentoml.service` returns a Service object (its type hints say: the class).
ChampionService.add_asgi_middleware(  # type: ignore[attr-defined]
    RequestGuard,
    paths=("/predict", "/predict_columns"),
    max_body_bytes=SETTINGS.max_body_bytes,
    on_reject=count_rejection,
)
