"""Fixtures of the monitoring tests: a real PostgreSQL (pgserver's binaries) for the readers of
the shared state, with a fresh database per test."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def postgres() -> Iterator[Any]:
    """A PostgreSQL server for the session, on a Unix socket in its data directory (as root,
    pgserver runs it as its own system user: PostgreSQL refuses root)."""
    import pgserver

    # Not under pytest's tmp_path: each pytest session that starts makes pytest-of-<user>
    # private again (mode 0700), and a server running as another user then loses its files.
    folder = Path(tempfile.mkdtemp(prefix="monitoring-postgres-"))
    server = pgserver.get_server(folder / "data", cleanup_mode="stop")
    yield server
    server.cleanup()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg_url(postgres: Any) -> Iterator[str]:
    """The SQLAlchemy URL of a new, empty database (dropped after the test)."""
    import sqlalchemy as sa

    from lifecycle import store

    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(_url(postgres, "postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    url = _url(postgres, name)
    yield url
    store.engine(url).dispose()  # the process's pool would keep the database open
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
    admin.dispose()


def _url(server: Any, database: str) -> str:
    return f"postgresql+psycopg://postgres:@/{database}?host={server.pgdata}"
