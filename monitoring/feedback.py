"""Deliver ground truth for a period, as it would arrive late in real life: here the labels
come from the source table and go to the feedback store, where monitoring joins them to the
logged predictions by row key (the event time, for a table keyed by it)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lifecycle.entry import context, run
from lifecycle.monitoring.feedback import deliver_from_source
from lifecycle.monitoring.window import add_window_args, window_arg
from lifecycle.source import read_source
from lifecycle.store import label


def main(argv: list[str] | None = None) -> int:
    """Copy the labels of the window's source rows into the feedback store."""
    parser = argparse.ArgumentParser(description=__doc__)
    add_window_args(parser)
    parser.add_argument("--store", type=Path, help="feedback store (default: settings)")
    parser.add_argument("--params", default="params.yaml")
    args = parser.parse_args(argv)
    window = window_arg(parser, args)
    ctx = context(args.params)
    store = args.store or ctx.settings.feedback_store
    count = deliver_from_source(read_source(ctx.spec), ctx.spec, window, store)
    where = label(store)
    print(f"delivered {count} labels for [{window.start}, {window.end}) into {where}")
    return 0


if __name__ == "__main__":
    sys.exit(run("feedback", main))
