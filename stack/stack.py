"""A team's stack on localhost, without Docker: PostgreSQL, an S3-compatible store (moto), an
MLflow server on both, Prometheus and its Pushgateway, the Evidently UI, and service replicas.

    python stack/stack.py up                 # make stack
    python stack/stack.py serve --replicas 2 # make stack-serve REPLICAS=2 (needs a champion)
    python stack/stack.py status             # make stack-status (exit 1 if anything is down)
    python stack/stack.py down               # make stack-stop (deletes the stack's data)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from lifecycle.settings import quiet_telemetry
from lifecycle.stack.daemon import StackError
from lifecycle.stack.guide import next_steps, replicas_text, started_text, status_text
from lifecycle.stack.team import NoStack, Stack


def up(args: argparse.Namespace) -> int:
    """Start the infrastructure and say how to use it."""
    began = time.monotonic()
    stack = Stack.start(args.dir, args.project, scrape_seconds=args.scrape_seconds)
    print(started_text(stack))
    print(f"up in {time.monotonic() - began:.1f} s\n")
    print(next_steps(stack))
    return 0


def serve(args: argparse.Namespace) -> int:
    """Start the replicas (replacing any that run) against the stack's champion."""
    stack = Stack.load(args.dir)
    if stack.replicas:
        print(f"stopping the {len(stack.replicas)} replicas that run")
        stack.stop_replicas()
    stack.start_replicas(args.replicas, reload_seconds=args.reload_seconds)
    print(replicas_text(stack))
    return 0


def status(args: argparse.Namespace) -> int:
    """One line per process; exit code 1 if any is down or not answering."""
    statuses = Stack.load(args.dir).status()
    print(status_text(statuses))
    return 0 if all(s.healthy for s in statuses) else 1


def down(args: argparse.Namespace) -> int:
    """Stop every process of the stack (and delete its data unless --keep-data)."""
    try:
        stack = Stack.load(args.dir)
    except NoStack:
        print(f"no stack runs from {args.dir}: nothing to stop")
        return 0
    began, count = time.monotonic(), len(stack.components) + len(stack.replicas)
    stack.stop(purge=not args.keep_data)
    kept = "data kept" if args.keep_data else "data deleted, logs kept"
    print(f"stopped {count} processes in {time.monotonic() - began:.1f} s ({kept})")
    return 0


def parser() -> argparse.ArgumentParser:
    """The subcommands and their options."""
    top = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    top.add_argument("--dir", type=Path, default=Path("state/stack"), help="the stack's folder")
    commands = top.add_subparsers(required=True, metavar="COMMAND")
    start = commands.add_parser("up", help="start the infrastructure")
    start.add_argument("--project", type=Path, default=Path.cwd(), help="the project root")
    start.add_argument("--scrape-seconds", type=float, default=15.0, help="Prometheus interval")
    start.set_defaults(run=up)
    replicas = commands.add_parser("serve", help="start service replicas (after `make repro`)")
    replicas.add_argument("--replicas", type=int, default=2, help="how many")
    replicas.add_argument("--reload-seconds", type=float, default=10.0, help="alias polling")
    replicas.set_defaults(run=serve)
    commands.add_parser("status", help="is every process up?").set_defaults(run=status)
    stop = commands.add_parser("down", help="stop everything (replicas first, PostgreSQL last)")
    stop.add_argument("--keep-data", action="store_true", help="keep PostgreSQL's data")
    stop.set_defaults(run=down)
    return top


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; a StackError is a message on stderr and exit code 1."""
    quiet_telemetry()
    args = parser().parse_args(argv)
    try:
        return int(args.run(args))
    except StackError as err:
        print(f"stack: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
