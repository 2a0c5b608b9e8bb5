"""The serving benchmark reads hey's report right, and judges the targets from the numbers."""

from __future__ import annotations

from benchmarks.hey import HeySummary, parse_hey
from benchmarks.serving_report import ratios, verdicts

HEY = """
Summary:
  Total:\t10.0000 secs
  Slowest:\t0.2000 secs
  Requests/sec:\t103.0000

Latency distribution:
  10%% in 0.0100 secs
  50%% in 0.0250 secs
  99%% in 0.1500 secs

Status code distribution:
  [200]\t1000 responses
  [503]\t20 responses

Error distribution:
  [10]\tPost "http://127.0.0.1:3000/predict": EOF
"""


def test_parse_hey_counts_only_200_as_served() -> None:
    load = parse_hey(HEY.replace("%%", "%"), rows_per_request=1000)
    assert load == HeySummary(
        ok_per_s=100.0, p50_ms=25.0, p99_ms=150.0, ok=1000, failed=30, rows_per_request=1000
    )
    assert load.rows_per_s == 100_000


def test_ratios_and_verdicts_come_from_the_same_run() -> None:
    def server(rps: float, p99: float = 50.0, failed: int = 0, rows: float = 1.0) -> dict:
        single = {"ok_per_s": rps, "p99_ms": p99, "failed": failed}
        return {"single": single, "batch": {"failed": 0}, "batch_rows_per_s": rows}

    ours = {**server(900, rows=150_000), "columns": {"failed": 2}, "columns_rows_per_s": 140_000}
    got = ratios(
        {"service": ours, "mlflow": server(100), "starlette": server(1000, rows=200_000)},
        model_rows_per_s=100_000,
        workers=2,
    )
    assert got == {
        "vs_mlflow": 9.0,
        "vs_starlette": 0.9,
        "p99_ms": 50.0,
        "rows_per_s": 150_000,
        "rows_vs_model": 0.75,
        "columns_rows_per_s": 140_000,
        "columns_vs_starlette": 0.7,
        "columns_vs_model": 0.7,
        "failed": 2,
    }
    assert verdicts(got) == {
        "vs_mlflow": True,
        "vs_starlette": False,
        "p99_ms": True,
        "rows_per_s": True,
        "columns_vs_starlette": False,
        "columns_vs_model": True,
        "zero_failed": False,
    }
