"""PostgreSQL for the stack, run from pgserver's binaries (PyPI; no OS package, no Docker).

One cluster under `<stack dir>/postgres/data`, listening on 127.0.0.1 only (no Unix socket),
password authentication (scram-sha-256) for the superuser `lifecycle`, and two databases:
`mlflow` (the tracking server's runs and registry) and `lifecycle` (the prediction log, feedback
store and promotion log every replica and the monitor share). Stopped and started again, it
keeps its data and port (the fault tests stop it for a while).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import stat
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lifecycle.stack.daemon import Daemon, MissingTool

USER = "lifecycle"  # the database superuser the stack's clients log in as
DATABASES = ("mlflow", "lifecycle")
SYSTEM_USER = "pgserver"  # PostgreSQL refuses to run as root; pgserver's own choice of user
MAX_CONNECTIONS = 200  # every replica and worker keeps a pool; the default 100 is tight


def postgres_bin() -> Path:
    """The folder of pgserver's PostgreSQL programs (found without importing pgserver, whose
    import does work: it scans its binaries and reads platform folders)."""
    spec = importlib.util.find_spec("pgserver")
    folders = list(spec.submodule_search_locations or []) if spec else []
    found = [Path(f) / "pginstall" / "bin" for f in folders]
    if not found or not (found[0] / "postgres").exists():
        raise MissingTool(
            "PostgreSQL's binaries come from the Python package pgserver, which is not "
            "installed: `make setup` installs the stack extra (pip install -e '.[stack]')"
        )
    return found[0]


def system_user() -> str | None:
    """The user to run PostgreSQL as: None (ourselves) unless we are root, which it refuses;
    then `pgserver`, created like pgserver does it if it does not exist."""
    if os.geteuid() != 0:
        return None
    import pwd

    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(  # a system account that cannot log in
            ["useradd", "--system", "-s", "/usr/sbin/nologin", SYSTEM_USER],
            check=True,
            capture_output=True,
        )
    return SYSTEM_USER


def make_traversable(path: Path) -> list[Path]:
    """Let other users pass through every folder above `path` (execute bit only, no listing):
    the PostgreSQL user must reach its data folder and binaries. Returns the folders changed."""
    changed = []
    for folder in path.resolve().parents:
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            folder.chmod(mode | stat.S_IXOTH)
            changed.append(folder)
    return changed


@dataclass(kw_only=True)
class Postgres(Daemon):
    """The stack's PostgreSQL server."""

    name: str = "postgres"
    password: str = field(repr=False)  # never in a traceback or a test's failure output

    @property
    def folder(self) -> Path:
        """Its folder: the data directory and nothing else (owned by the PostgreSQL user)."""
        return self.home / "postgres"

    @property
    def data(self) -> Path:
        """The data directory (PGDATA)."""
        return self.folder / "data"

    @property
    def url(self) -> str:
        """The server's address, without credentials."""
        return f"postgresql://127.0.0.1:{self.port}"

    def database_url(self, database: str) -> str:
        """A SQLAlchemy URL for one database, with the password (psycopg 3 named: SQLAlchemy
        2.1 would pick it anyway, but a reader should not have to know that)."""
        return f"postgresql+psycopg://{USER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def command(self) -> list[str]:
        """`postgres` in the foreground: its log goes to our log file, its pid is its group's."""
        return [
            str(postgres_bin() / "postgres"),
            *("-D", str(self.data), "-p", str(self.port)),
            *("-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="),
            *("-c", f"max_connections={MAX_CONNECTIONS}"),
        ]

    def popen_options(self) -> dict[str, Any]:
        """Run as the PostgreSQL user when we are root (and drop root's groups)."""
        user = system_user()
        return {"user": user, "group": user, "extra_groups": []} if user else {}

    def prepare(self) -> None:
        """Create the cluster on first start (initdb); later starts reuse its data. As root,
        on every start: the PostgreSQL user must reach its folder (someone may have closed a
        parent since; pytest does that to its temporary folders)."""
        user = system_user()
        self.folder.mkdir(parents=True, exist_ok=True)
        if user:
            self._let_in(user)
        if (self.data / "PG_VERSION").exists():
            return
        self.folder.chmod(0o700)
        if user:
            shutil.chown(self.folder, user, user)
        self._initdb()

    def _let_in(self, user: str) -> None:
        """Open the way to the data folder and binaries for `user`, and log what changed."""
        changed = make_traversable(self.folder) + make_traversable(postgres_bin())
        if changed:
            folders = ", ".join(map(str, changed))
            self.log.parent.mkdir(parents=True, exist_ok=True)
            with self.log.open("a") as out:
                out.write(f"[stack] {user} may now pass through (o+x): {folders}\n")

    def _initdb(self) -> None:
        pwfile = self.folder / "initdb.password"  # read by initdb, as the PostgreSQL user
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(self.password + "\n")
        options = self.popen_options()
        if options:
            shutil.chown(pwfile, options["user"], options["group"])
        cmd = [str(postgres_bin() / "initdb"), "-D", str(self.data), "-U", USER]
        cmd += ["--auth=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8", "--no-locale"]
        self.log.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self.log.open("ab") as sink:
                done = subprocess.run(cmd, stdout=sink, stderr=subprocess.STDOUT, **options)
        finally:
            pwfile.unlink()
        if done.returncode != 0:
            raise self.failure(f"initdb failed with code {done.returncode}")

    def healthy(self) -> bool:
        """True once the server accepts our password."""
        import psycopg

        try:
            with self.connect("postgres"):
                return True
        except psycopg.OperationalError:
            return False

    def connect(self, database: str, password: str | None = None) -> Any:
        """A psycopg connection (autocommit) as `lifecycle`, with our password unless given."""
        import psycopg

        given = self.password if password is None else password
        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=USER,
            password=given,
            dbname=database,
            connect_timeout=3,
            autocommit=True,
        )

    def after_ready(self) -> None:
        """Create the stack's databases that do not exist yet."""
        from psycopg import sql

        with self.connect("postgres") as conn:
            for name in DATABASES:
                found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
                if found.fetchone() is None:
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def terminate(self) -> None:
        """`pg_ctl stop -m fast`: roll back open transactions, checkpoint, exit."""
        cmd = [str(postgres_bin() / "pg_ctl"), "stop", "-D", str(self.data), "-m", "fast", "-w"]
        with contextlib.suppress(OSError), self.log.open("ab") as sink:
            subprocess.run(cmd, stdout=sink, stderr=subprocess.STDOUT, **self.popen_options())
