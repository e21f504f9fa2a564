"""A throw-away PostgreSQL + PostGIS server on loopback, for tests, benchmarks and trying things out.

:func:`ensure_postgis` installs Debian's ``postgresql`` and ``postgresql-<N>-postgis-3``
when they are absent (``apt-get`` as root, ``sudo -n apt-get`` otherwise).
:class:`ThrowawayCluster` runs ``initdb`` in a temporary directory, starts the server
on a free port listening on 127.0.0.1 only (trust authentication for the one local
user it creates), creates a database with the PostGIS extension, and removes it all
on :meth:`~ThrowawayCluster.stop`. PostgreSQL refuses to run as root, so as root the
server runs as Debian's ``postgres`` system user.

Run ``python -m layers.pgcluster`` (or ``scripts/postgis.sh``) to get a server in the
foreground: it prints the ``PARKATLAS_DATABASE_URL`` to use and stops on Ctrl-C.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

#: Debian 12's PostgreSQL major version, used when none is installed yet.
DEFAULT_PG_MAJOR = "15"
DEFAULT_USER = "parkatlas"
DEFAULT_DATABASE = "parkatlas"
#: Settings of every cluster started here: loopback only, enough connections for the concurrency tests.
CLUSTER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "max_connections": "60",
}
#: Settings for a disposable cluster: durability is pointless, speed is not. A ``durable`` cluster keeps
#: PostgreSQL's defaults (every commit flushed to disk), as a deployment must: a benchmark of commit latency
#: against a server that does not flush would compare with a configuration nobody should run.
THROWAWAY_SETTINGS = {
    **CLUSTER_SETTINGS,
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}


class ClusterError(RuntimeError):
    """PostgreSQL/PostGIS could not be installed, started or prepared."""


def _pg_bindirs() -> list[Path]:
    """Debian's per-version binary folders, newest first."""
    found = [p / "bin" for p in Path("/usr/lib/postgresql").glob("*") if (p / "bin" / "initdb").exists()]
    return sorted(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, reverse=True)


def find_bindir() -> Path | None:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``, or ``None`` when not installed."""
    dirs = _pg_bindirs()
    if dirs:
        return dirs[0]
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _sharedir(bindir: Path) -> Path:
    result = subprocess.run([str(bindir / "pg_config"), "--sharedir"], capture_output=True, text=True)
    if result.returncode == 0 and result.stdout.strip():
        return Path(result.stdout.strip())
    return Path("/usr/share/postgresql") / bindir.parent.name


def postgis_installed(bindir: Path | None = None) -> bool:
    """Whether PostgreSQL and the PostGIS extension files are installed."""
    bindir = bindir or find_bindir()
    return bindir is not None and (_sharedir(bindir) / "extension" / "postgis.control").exists()


def _run(command: list[str], *, what: str, env: dict | None = None) -> str:
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip().splitlines()[-15:]
        msg = f"{what} failed (exit {result.returncode}): {' '.join(command)}\n" + "\n".join(output)
        raise ClusterError(msg)
    return result.stdout


def ensure_postgis() -> Path:
    """Install PostgreSQL and PostGIS from Debian when absent; the server binaries' folder.

    Raises
    ------
    ClusterError
        When they are absent and cannot be installed (no root and no password-less sudo,
        or no Debian package repository), with the command that failed and its output.
    """
    bindir = find_bindir()
    if bindir is not None and postgis_installed(bindir):
        return bindir
    major = bindir.parent.name if bindir is not None and bindir.parent.name.isdigit() else DEFAULT_PG_MAJOR
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    _run([*prefix, "apt-get", "update", "-qq"], what="apt-get update", env=env)
    _run([*prefix, "apt-get", "install", "-y", "-qq", "postgresql", f"postgresql-{major}-postgis-3"],
         what="installing PostgreSQL/PostGIS from Debian", env=env)
    bindir = find_bindir()
    if bindir is None or not postgis_installed(bindir):
        msg = "PostgreSQL/PostGIS packages were installed but initdb or postgis.control is still missing"
        raise ClusterError(msg)
    return bindir


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ThrowawayCluster:
    """A PostgreSQL cluster in a temporary directory, listening on 127.0.0.1 only.

    Parameters
    ----------
    user, database
        The trusted local user and the database created for it (with PostGIS).
    install
        Install PostgreSQL/PostGIS from Debian when absent.
    durable
        Keep PostgreSQL's default durability (``fsync``, ``synchronous_commit``, ``full_page_writes`` on) instead
        of :data:`THROWAWAY_SETTINGS`: for benchmarks that compare with a commit as a deployment makes it.

    Examples
    --------
    >>> with ThrowawayCluster() as cluster:  # doctest: +SKIP
    ...     PostGISStore(cluster.url).save_park(frames, meta)
    """

    def __init__(self, *, user: str = DEFAULT_USER, database: str = DEFAULT_DATABASE, install: bool = True,
                 durable: bool = False):
        self.user = user
        self.durable = durable
        self.database = database
        self.bindir = ensure_postgis() if install else find_bindir()
        if self.bindir is None:
            msg = "PostgreSQL is not installed (initdb not found); install postgresql and postgresql-15-postgis-3"
            raise ClusterError(msg)
        self.directory: Path | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        """The connection URL (``postgresql://user@127.0.0.1:PORT/database``)."""
        if self.port is None:
            msg = "the cluster is not running"
            raise ClusterError(msg)
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{self.database}"

    def _as_server_user(self, command: list[str]) -> list[str]:
        # initdb and postgres refuse to run as root; Debian's package creates 'postgres'.
        return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command

    def start(self) -> str:
        """Create, start and prepare the cluster; returns its URL."""
        self.directory = Path(tempfile.mkdtemp(prefix="parkatlas-pg-"))
        data = self.directory / "data"
        if os.geteuid() == 0:
            shutil.chown(self.directory, user="postgres", group="postgres")
        _run(
            self._as_server_user([
                str(self.bindir / "initdb"), "-D", str(data), "-U", self.user, "--auth=trust",
                "--encoding=UTF8", "--no-locale", "--no-sync",
            ]),
            what="initdb",
        )
        last_error: ClusterError | None = None
        for _ in range(3):  # the free port can be taken between probing and binding
            self.port = free_port()
            settings = CLUSTER_SETTINGS if self.durable else THROWAWAY_SETTINGS
            options = " ".join(f"-c {k}={v}" for k, v in settings.items())
            options += f" -p {self.port} -c unix_socket_directories={self.directory}"
            try:
                _run(
                    self._as_server_user([
                        str(self.bindir / "pg_ctl"), "-D", str(data), "-l", str(self.directory / "server.log"),
                        "-w", "-t", "60", "-o", options, "start",
                    ]),
                    what="starting PostgreSQL",
                )
                break
            except ClusterError as exc:
                last_error = exc
        else:
            self._remove()
            raise last_error  # type: ignore[misc]
        try:
            self._prepare_database()
        except Exception:
            self.stop()
            raise
        return self.url

    def _prepare_database(self) -> None:
        import psycopg
        from psycopg import sql

        admin = f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.database)))
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")

    def stop(self) -> None:
        """Stop the server and delete its files (safe to call twice)."""
        if self.directory is None:
            return
        data = self.directory / "data"
        if (data / "postmaster.pid").exists():
            subprocess.run(
                self._as_server_user([str(self.bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                capture_output=True,
            )
        self._remove()

    def _remove(self) -> None:
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
        self.directory = None
        self.port = None

    def __enter__(self) -> ThrowawayCluster:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


def main() -> None:
    """Run a throw-away server in the foreground until interrupted (Ctrl-C or SIGTERM)."""
    import signal

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    with ThrowawayCluster() as cluster:
        print(f"PARKATLAS_DATABASE_URL={cluster.url}", flush=True)
        print("throw-away PostGIS server running on 127.0.0.1; Ctrl-C stops it and deletes its data", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
