"""SQL building blocks shared by the PostGIS store and its tile queries, and SQLite transactions (private to
``layers``)."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator


@contextlib.contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``conn`` (autocommit, ``isolation_level=None``) inside ``BEGIN IMMEDIATE`` — SQLite's write lock taken
    before the first read — committed when the block ends, rolled back when it raises, closed either way."""
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        conn.close()


def identifier(name: str):
    """``name`` quoted as an SQL identifier (psycopg is imported only where a database is used)."""
    from psycopg import sql

    return sql.Identifier(name)
