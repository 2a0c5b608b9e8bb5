"""Send a period of the source table to the running service, one HTTP request per row, as
clients would: what `make serve` answers is logged, and shadowed or canaried if the rollout
says so. Labels come later (make feedback), then make monitor judges the period.

    make serve                                          # in another terminal
    make traffic START=2011-05-01 END=2011-06-01
"""

from __future__ import annotations

import argparse
import sys

import httpx

from lifecycle.dataset import EVENT_TIME
from lifecycle.entry import context, run
from lifecycle.monitoring.window import add_window_args, window_arg
from lifecycle.replay.traffic import send_month
from lifecycle.source import read_source


def ready(url: str) -> bool:
    """True when the service answers /readyz with 200."""
    try:
        return httpx.get(f"{url}/readyz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def main(argv: list[str] | None = None) -> int:
    """POST every source row of the window; print who answered. Exit 1 if none was answered."""
    parser = argparse.ArgumentParser(description=__doc__)
    add_window_args(parser)
    parser.add_argument(
        "--url", help="the service (default: http://127.0.0.1:<PORT>, PORT from the environment)"
    )
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--params", default="params.yaml")
    args = parser.parse_args(argv)
    window = window_arg(parser, args)
    ctx = context(args.params)
    url = args.url or f"http://127.0.0.1:{ctx.settings.port}"
    source = read_source(ctx.spec)
    when = source[EVENT_TIME]
    rows = source[(when >= window.start) & (when < window.end)].reset_index(drop=True)
    if rows.empty:
        print(f"traffic: no source rows in [{window.start}, {window.end})", file=sys.stderr)
        return 1
    if not ready(url):  # the clients retry a refused connection for minutes: ask once first
        print(f"traffic: no answer from {url}/readyz: is `make serve` running?", file=sys.stderr)
        return 1
    sent = send_month(url, rows, ctx.spec, args.clients)
    answered = ", ".join(f"{who}: {n}" for who, n in sent.answered_by.items()) or "nobody"
    print(
        f"sent {sent.requests} requests to {url} in {sent.seconds:.1f} s: "
        f"{sent.failed} failed; answered by {answered}"
    )
    if sent.failed == sent.requests:
        print(f"traffic: no answer from {url}: is `make serve` running?", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(run("traffic", main))
