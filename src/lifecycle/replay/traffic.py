"""Send a month of hourly records to the live service, concurrently, as clients would."""

from __future__ import annotations

import random
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from lifecycle.dataset import DatasetSpec
from lifecycle.monitoring.frames import positive_class
from lifecycle.serving.client import records_from_frame


@dataclass
class Traffic:
    """What the service answered for a month: one prediction per row (NaN where it failed);
    a classifier's prediction is its probability of the positive class, as the log keeps it."""

    predictions: pd.Series
    requests: int
    failed: int
    seconds: float
    answered_by: dict[str, int] = field(default_factory=dict)  # answers per "variant vN"


# A client that meets 503 ("overloaded, retry with backoff") or a dropped connection keeps
# retrying with capped, jittered exponential backoff until this deadline; a request that still
# has no answer then is counted as failed (never dropped silently).
DEADLINE_SECONDS = 120.0
FIRST_DELAY, MAX_DELAY = 0.05, 2.0  # seconds between tries: 0.05, 0.1, 0.2 … at most 2
_jitter = random.Random(0)  # spreads retries so clients do not come back all at once


def post_with_retry(
    http: httpx.Client, payload: dict[str, Any], deadline: float = DEADLINE_SECONDS
) -> Any | None:
    """POST /predict; retry 503s and failed connections with backoff until `deadline` s.

    Returns the decoded answer, or None when there was still no answer at the deadline
    (or the answer is not retryable, such as a 4xx: sending it again cannot help).
    """
    give_up, delay = time.monotonic() + deadline, FIRST_DELAY
    while True:
        try:
            answer = http.post("/predict", json=payload)
            if answer.status_code != 503:
                answer.raise_for_status()
                return answer.json()
        except httpx.ReadTimeout:
            return None  # the server may have answered and logged it: sending again would double it
        except httpx.TransportError:
            pass  # the request never got through (refused, dropped): safe to send again
        except (httpx.HTTPStatusError, ValueError):
            return None
        if time.monotonic() + delay > give_up:
            return None
        time.sleep(delay * _jitter.uniform(0.5, 1.5))
        delay = min(2 * delay, MAX_DELAY)


def answered_value(answer: dict[str, Any], positive: int | str | None) -> float:
    """The number a record's answer scores by: the value, or P(positive) of a classifier."""
    if positive is None:
        return float(answer["prediction"])
    return float(answer["probabilities"][str(positive)])  # keyed by class, as JSON keys are


def answered_as(answer: dict[str, Any]) -> str:
    """Which model answered a record, as "variant vN" (a service without variants: champion)."""
    return f"{answer.get('variant', 'champion')} v{answer.get('model_version', '?')}"


def send_month(url: str, rows: pd.DataFrame, spec: DatasetSpec, clients: int) -> Traffic:
    """POST each row as its own request from `clients` threads; never raises on a bad answer."""
    clock = time.perf_counter()
    records = records_from_frame(rows, spec)
    out = np.full(len(records), np.nan)
    who: list[str | None] = [None] * len(records)
    positive = positive_class(spec)
    with httpx.Client(
        base_url=url, timeout=30, limits=httpx.Limits(max_connections=clients)
    ) as http:

        def one(i: int) -> bool:
            body = post_with_retry(http, {"records": [records[i]]})
            if body is None:
                return False
            out[i], who[i] = answered_value(body[0], positive), answered_as(body[0])
            return True

        with ThreadPoolExecutor(clients) as pool:
            ok = list(
                tqdm(
                    pool.map(one, range(len(records))),
                    total=len(records),
                    desc="  requests",
                    unit="req",
                    leave=False,
                )
            )
    seconds = time.perf_counter() - clock
    by = dict(sorted(Counter(w for w in who if w is not None).items()))
    return Traffic(pd.Series(out, index=rows.index), len(ok), ok.count(False), seconds, by)
