"""Fixtures of the core tests: a real PostgreSQL server (tests.helpers.postgres), and a
prediction log location on each back end the project supports."""

from __future__ import annotations

from pathlib import Path

import pytest

from lifecycle.store import Location
from tests.helpers.postgres import own_postgres, postgres_server  # noqa: F401 (fixtures)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Location:
    """Where a test's log lives: a new SQLite file, or a new database on the session's server."""
    if request.param == "sqlite":
        return tmp_path / "p.sqlite"
    return str(request.getfixturevalue("postgres_server").create_database())
