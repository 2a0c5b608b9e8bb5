"""`hey`, the HTTP load generator of the serving benchmark: run it and read its summary."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

HEY_MISSING = (
    "`hey` (the HTTP load generator) is not installed. On Debian/Ubuntu: "
    "`sudo apt-get install hey` (or `make bench-deps`); elsewhere: "
    "https://github.com/rakyll/hey"
)


@dataclass(frozen=True)
class HeySummary:
    """One `hey` run: successful requests per second, latency percentiles, failures."""

    ok_per_s: float
    p50_ms: float
    p99_ms: float
    ok: int
    failed: int  # non-200 answers plus requests that got no answer
    rows_per_request: int

    @property
    def rows_per_s(self) -> float:
        """Predictions per second."""
        return self.ok_per_s * self.rows_per_request


def parse_hey(text: str, rows_per_request: int) -> HeySummary:
    """Read hey's summary (pure): status counts, total time, latency percentiles."""
    total = float(re.search(r"Total:\s+([\d.]+) secs", text).group(1))  # type: ignore[union-attr]
    answered, _, unanswered = text.partition("Error distribution:")
    statuses = {int(c): int(n) for c, n in re.findall(r"\[(\d+)\]\s+(\d+) responses", answered)}
    errors = sum(int(n) for n in re.findall(r"\[(\d+)\]\t", unanswered))
    pct = {int(p): float(s) * 1000 for p, s in re.findall(r"(\d+)%+ in ([\d.]+) secs", text)}
    ok = statuses.get(200, 0)
    failed = sum(n for code, n in statuses.items() if code != 200) + errors
    return HeySummary(
        round(ok / total, 1),
        round(pct.get(50, float("nan")), 2),
        round(pct.get(99, float("nan")), 2),
        ok,
        failed,
        rows_per_request,
    )


def run_hey(url: str, body: Path, seconds: float, clients: int, rows: int) -> HeySummary:
    """Run hey: `clients` concurrent clients POSTing `body` for `seconds`."""
    cmd = [
        "hey",
        "-z",
        f"{seconds}s",
        "-c",
        str(clients),
        "-m",
        "POST",
        "-T",
        "application/json",
        "-D",
        str(body),
        url,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return parse_hey(done.stdout, rows)


def hey_installed() -> bool:
    """Whether `hey` is on PATH."""
    return shutil.which("hey") is not None
