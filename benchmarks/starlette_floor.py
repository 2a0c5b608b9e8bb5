"""The serving benchmark's floor: a bare Starlette endpoint that calls the model once per request.

No validation, no batching, no log, no metrics: what the service must at least match while
doing all of those. Run by the benchmark under uvicorn, from the repository root, with
BASELINE_MODEL_URI set:

    BASELINE_MODEL_URI=models:/bike-demand/1 uvicorn --factory benchmarks.starlette_floor:create_app
"""

from __future__ import annotations

import os

import pandas as pd
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from lifecycle.dataset import EVENT_TIME
from lifecycle.settings import get_settings
from lifecycle.tracking import configure, load_model


def create_app() -> Starlette:
    """Load the model named by BASELINE_MODEL_URI and serve POST /predict with it."""
    configure(get_settings())
    model = load_model(os.environ["BASELINE_MODEL_URI"])
    columns = list(model.feature_names_in_)

    async def ping(_: Request) -> JSONResponse:
        """Readiness: the app is up once the model is loaded."""
        return JSONResponse({"ok": True})

    async def predict(request: Request) -> JSONResponse:
        """The records of the body as one frame, one model call, the predictions as a list."""
        frame = pd.DataFrame((await request.json())["records"], columns=columns)
        frame[EVENT_TIME] = pd.to_datetime(frame[EVENT_TIME])
        return JSONResponse({"predictions": model.predict(frame).tolist()})

    return Starlette(routes=[Route("/predict", predict, methods=["POST"]), Route("/ping", ping)])
