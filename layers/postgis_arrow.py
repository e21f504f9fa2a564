"""Query results of a PostGIS park straight into Arrow, in the snapshot of a psycopg transaction.

psycopg hands a ``COPY … TO STDOUT`` over one Python chunk per row (≈2 µs a row before any
parsing: most of a 10⁶-parcel park's load time). The ADBC PostgreSQL driver
(``adbc-driver-postgresql``) runs binary COPY in C and returns Arrow arrays: no Python per row.
It needs connections of its own, so a read joins the snapshot of the caller's REPEATABLE READ
transaction (``pg_export_snapshot`` there, ``SET TRANSACTION SNAPSHOT`` here): the trust stamp
the caller read and the rows read here come from one snapshot, as on a single connection.

Without the driver (or on a hot standby, which cannot export snapshots) :func:`arrow_reader`
answers None and the store reads through psycopg's COPY as before.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa

log = logging.getLogger(__name__)


def driver_available() -> bool:
    """Whether the ADBC PostgreSQL driver is installed."""
    try:
        import adbc_driver_postgresql.dbapi  # noqa: F401
    except ImportError:
        return False
    return True


class ArrowReader:
    """Pooled ADBC connections (at most ``size`` idle) to the server at libpq URL ``url``.

    Each connection serves one thread at a time; one that failed is closed, not pooled again.
    """

    def __init__(self, url: str, size: int):
        self.url = url
        self.size = size
        self._idle: list = []
        self._lock = threading.Lock()

    @contextmanager
    def _connection(self) -> Iterator:
        import adbc_driver_postgresql.dbapi as dbapi

        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            # Autocommit: the driver sends no BEGIN of its own, so ours can import the snapshot first.
            conn = dbapi.connect(self.url, autocommit=True)
        try:
            yield conn
        except BaseException:
            conn.close()
            raise
        with self._lock:
            if len(self._idle) < self.size:
                self._idle.append(conn)
                return
        conn.close()

    def read(self, conn, query: str) -> pa.Table:
        """The result of ``query`` (SQL text, values inlined) as Arrow, in the snapshot of psycopg connection
        ``conn``'s transaction (REPEATABLE READ, open: the snapshot lives as long as it does)."""
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        with self._connection() as adbc, adbc.cursor() as cur:
            cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            try:
                cur.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")  # an identifier the server made
                cur.execute(query)
                table = cur.fetch_arrow_table()
            finally:
                cur.execute("ROLLBACK")
        return table

    def close(self) -> None:
        """Close the idle connections (the reader can be used again afterwards)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


def plain_column(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """``column`` without the driver's extension type: PostGIS ``geometry`` comes as an opaque extension
    over binary (its EWKB, PostGIS's binary output)."""
    if isinstance(column.type, pa.BaseExtensionType):
        return pa.chunked_array([chunk.storage for chunk in column.chunks], type=column.type.storage_type)
    return column
