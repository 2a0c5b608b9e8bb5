"""Spill files: the prediction log's rows a database outage kept it from writing by shutdown.

One JSON-lines file per spill, `<pid>-<time>-<random>.jsonl`: a header naming the location
(the URL with its password hidden), then one object per row with its `kind` (its table). It is
written whole under a `.part` name and renamed, so a replica starting meanwhile never reads half
a file. The next log opened for the same location writes the rows and deletes the file; the
inserts skip rows already there, so a file replayed twice (two replicas starting at once) is
harmless.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa

from lifecycle import store
from lifecycle.settings import SPILL_FOLDER, get_settings


class SpillWriter(Protocol):
    """What replaying needs of the log's writer (lifecycle.log_writer.Writer)."""

    location: store.Location
    spill_dir: Path
    where: str
    error: Exception | None

    def expect(self, count: int) -> None:
        """Count rows about to be held."""

    def hold(self, tables: Sequence[sa.Table], rows: Sequence[Any]) -> None:
        """Keep rows to write."""

    def flush(self, wait: bool = True) -> bool:
        """Write what is held; False when the database cannot be reached."""


log = logging.getLogger("lifecycle.prediction_log")


def default_folder(location: store.Location) -> Path:
    """Where a location's spills go: next to an SQLite file; for a server, under state/."""
    if store.is_file(location):
        database = sa.engine.make_url(store.url_of(location)).database
        if database and database != ":memory:":
            return Path(database).parent / SPILL_FOLDER
    return get_settings().log_spill


def _header(location: store.Location) -> dict[str, str]:
    return {"kind": "location", "location": store.label(store.url_of(location))}


def write_spill(folder: Path, location: store.Location, rows: Sequence[Any]) -> Path:
    """Write rows (dataclasses with a `kind`) to a new spill file for `location`; its path."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    handle, name = tempfile.mkstemp(".jsonl.part", f"{os.getpid()}-{stamp}-", folder)
    with os.fdopen(handle, "w") as out:
        out.write(json.dumps(_header(location)) + "\n")
        out.writelines(json.dumps({"kind": row.kind, **vars(row)}) + "\n" for row in rows)
        out.flush()
        os.fsync(out.fileno())  # on disk before it is named
    path = Path(name).with_suffix("")  # .jsonl.part -> .jsonl
    os.replace(name, path)
    return path


def spills(folder: Path, location: store.Location) -> Iterator[Path]:
    """The finished spill files in `folder` written for `location`."""
    header = json.dumps(_header(location))
    for path in sorted(folder.glob("*.jsonl")):
        try:
            with path.open() as lines:
                first = lines.readline().strip()
        except FileNotFoundError:  # replayed and deleted meanwhile by another replica
            continue
        if first == header:
            yield path


def read_spill(path: Path) -> Iterator[dict[str, Any]]:
    """The rows of a spill file, each a dict of its columns and `kind`."""
    with path.open() as lines:
        next(lines)  # the header
        for line in lines:
            if line.strip():
                yield json.loads(line)


def replay_spills(
    writer: SpillWriter, tables: Sequence[sa.Table], types: Mapping[str, type], chunk: int = 10_000
) -> None:
    """Write the rows spilled for the writer's location, then delete their files (`types`:
    the row class of each kind). store.StoreUnavailable: the database went away meanwhile."""
    if not writer.spill_dir.is_dir():
        return
    for path in spills(writer.spill_dir, writer.location):
        lines = read_spill(path)
        while part := list(itertools.islice(lines, chunk)):  # a long outage: a big file
            rows = [types[line.pop("kind")](**line) for line in part]
            writer.expect(len(rows))
            writer.hold(tables, rows)
            if not writer.flush(wait=False):
                raise store.unavailable(writer.location, writer.error or RuntimeError(path))
        path.unlink(missing_ok=True)
        log.info("prediction log %s: wrote the rows spilled to %s", writer.where, path)
