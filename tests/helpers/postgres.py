"""A real PostgreSQL server for tests, from pgserver's binaries: password authentication
(scram-sha-256) on a free TCP port of 127.0.0.1, its own temporary data folder, stopped and
started at will (a database outage, for real).

PostgreSQL refuses to run as root: as root, the server runs as the system user `pgserver`
(created if missing, as pgserver itself does), which owns the data folder.

Use the fixtures from a conftest.py or a test module: `from tests.helpers.postgres import
postgres_server` (one server for the session; `postgres_server.create_database()` gives each
test a fresh database) or `own_postgres` (a server of the test's own, to stop and start).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

USER = PASSWORD = "lifecycle"  # the server's superuser
ADMIN_DATABASE = "postgres"  # the database initdb creates, to create the others from
SYSTEM_USER = "pgserver"  # who runs the server when the tests run as root


def _bin_path() -> Path:
    """pgserver's folder of PostgreSQL binaries (initdb, pg_ctl, postgres)."""
    # Importing pgserver asks platformdirs for a runtime folder at class definition, which
    # warns when XDG_RUNTIME_DIR is unset (as under root); the folder is not used here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver.postgres_server import POSTGRES_BIN_PATH
    return Path(POSTGRES_BIN_PATH)


def _as_root() -> bool:
    return os.geteuid() == 0


def _prepare(folder: Path) -> None:
    """As root: the system user exists, can run the binaries and owns the folder."""
    if not _as_root():
        return
    import pwd
    import stat

    binaries = _bin_path()  # first: it imports pgserver quietly
    from pgserver.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    ensure_user_exists(SYSTEM_USER)
    ensure_prefix_permissions(folder)  # the server must traverse the folders above its data
    ensure_prefix_permissions(binaries)
    read = stat.S_IRGRP | stat.S_IROTH
    ensure_folder_permissions(binaries, read | stat.S_IXGRP | stat.S_IXOTH)
    ensure_folder_permissions(binaries.parent / "lib", read)
    owner = pwd.getpwnam(SYSTEM_USER)
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, owner.pw_uid, owner.pw_gid)


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL binary (as the system user when root); its output in the error."""
    command = [str(_bin_path() / args[0]), *map(str, args[1:])]
    user = SYSTEM_USER if _as_root() else None
    # Output to a file, not a pipe: the server pg_ctl starts would inherit the pipe and keep
    # it open, and reading it would never end.
    log = cwd / "commands.log"
    with log.open("a") as out:
        done = subprocess.run(command, cwd=cwd, user=user, stdout=out, stderr=out, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{log.read_text()[-3000:]}")
    return subprocess.CompletedProcess(command, 0, "", "")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Postgres:
    """One PostgreSQL server: its data folder and port, stopped and started at will."""

    folder: Path
    port: int
    running: bool = False

    @property
    def data(self) -> Path:
        """The server's data folder (PGDATA)."""
        return self.folder / "data"

    @classmethod
    def create(cls) -> Postgres:
        """A new server in a new temporary folder (initdb: user lifecycle, password lifecycle),
        started."""
        # Not under pytest's tmp_path: every pytest session resets its root to 0700, which
        # would lock the server's user out of its own data at the next start.
        folder = Path(tempfile.mkdtemp(prefix="lifecycle-postgres-"))
        (folder / "password").write_text(PASSWORD)
        _prepare(folder)
        _run(
            "initdb", "-D", folder / "data", "-U", USER, f"--pwfile={folder / 'password'}",
            "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8",
            cwd=folder,
        )  # fmt: skip
        server = cls(folder, free_port())
        server.start()
        return server

    def url(self, database: str = ADMIN_DATABASE, password: str = PASSWORD) -> str:
        """A SQLAlchemy URL of a database on this server (over TCP, with a password)."""
        return f"postgresql+psycopg://{USER}:{password}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """A new, empty database (default: a unique name); its URL."""
        import psycopg
        from psycopg import sql

        name = name or f"test_{uuid.uuid4().hex[:12]}"
        where = f"host=127.0.0.1 port={self.port} dbname={ADMIN_DATABASE}"
        with psycopg.connect(where, user=USER, password=PASSWORD, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def start(self) -> None:
        """Start the server (same data, same port); returns once it accepts connections."""
        options = f"-h 127.0.0.1 -p {self.port} -k {self.data}"  # the Unix socket in the data
        _run("pg_ctl", "-D", self.data, "-l", self.folder / "server.log", "-o", options,
             "-w", "-t", "60", "start", cwd=self.folder)  # fmt: skip
        self.running = True

    def stop(self) -> None:
        """Stop the server now (fast: open connections are cut, as in a real outage)."""
        _run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "-t", "60", "stop", cwd=self.folder)
        self.running = False

    def close(self) -> None:
        """Stop the server if it runs, and delete its folder."""
        if self.running:
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Postgres]:
    """One PostgreSQL server for the session (never stopped by a test: see `own_postgres`)."""
    server = Postgres.create()
    yield server
    server.close()


@pytest.fixture
def own_postgres() -> Iterator[Postgres]:
    """A PostgreSQL server of the test's own, which the test may stop and start."""
    server = Postgres.create()
    yield server
    server.close()
