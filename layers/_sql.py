"""SQL building blocks shared by the PostGIS store and its tile queries (private to ``layers``)."""

from __future__ import annotations


def identifier(name: str):
    """``name`` quoted as an SQL identifier (psycopg is imported only where a database is used)."""
    from psycopg import sql

    return sql.Identifier(name)
