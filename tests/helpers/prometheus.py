"""Helpers for the alerting tests: Debian's Prometheus tools, a real Pushgateway, samples."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from lifecycle.serving import process

INSTALL = "make stack-deps (as root: apt-get install prometheus prometheus-pushgateway)"


def tool(name: str) -> str:
    """The path of a Prometheus tool (promtool, prometheus-pushgateway). Missing: the test is
    skipped, except under CI, which must run it (`make test` installs them first)."""
    found = shutil.which(name)
    if found:
        return found
    message = f"{name} is not on PATH: install it with {INSTALL}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def pushgateway(tmp: Path) -> Iterator[str]:
    """A real `prometheus-pushgateway` on a free localhost port, for the block; its URL."""
    port = process.free_port()
    cmd = [tool("prometheus-pushgateway"), f"--web.listen-address=127.0.0.1:{port}"]
    url = f"http://127.0.0.1:{port}"
    with process.running(cmd, {}, f"{url}/-/ready", tmp / "pushgateway.out"):
        yield url


def samples(text: str, name: str) -> dict[frozenset[tuple[str, str]], float]:
    """Every sample of one metric in Prometheus text format, by its label set."""
    from prometheus_client.parser import text_string_to_metric_families

    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[frozenset(sample.labels.items())] = sample.value
    return found


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of the one sample of `name` whose labels include `labels` (None: none)."""
    hits = [v for k, v in samples(text, name).items() if set(labels.items()) <= k]
    assert len(hits) <= 1, f"{len(hits)} samples of {name} match {labels}"
    return hits[0] if hits else None


def scrape(url: str) -> str:
    """GET /metrics of a server."""
    return httpx.get(f"{url}/metrics", timeout=10).text
