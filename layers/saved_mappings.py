"""Named import mappings kept in the park: saved from the web's mapping step, used by name on the web and the CLI.

A mapping says how one kind of register comes in (which source field is which
registry field, which are kept as they are, value crosswalks). It belongs with
the park whose registers it describes, not with one server: so it is a table of
the park, ``parkatlas_mappings`` (name, layer, the mapping's YAML text, who
saved it and when), in the GeoPackage file or the PostGIS schema alike. It
travels with the park in backups (the file), ``copy-park`` and restores, and
every server and command line that opens the park sees the same mappings. The
text is the format of a ``--mapping`` file (docs/import.md), so a saved mapping
can be written out and edited, and a file can be saved under a name.

Writes take the park's writer lock; in a GeoPackage they are one SQLite
transaction in place (copying a large park to save a few hundred bytes would
be absurd); the registry's layers and their trust stamps are not touched.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import unicodedata
from contextlib import closing
from dataclasses import dataclass

TABLE = "parkatlas_mappings"
#: Longest mapping name (it is shown in a select and typed on the command line).
NAME_MAX_CHARS = 60
#: Largest mapping text: a mapping of a few hundred fields and value crosswalks is well under this.
TEXT_MAX_BYTES = 256 * 1024


@dataclass(frozen=True)
class SavedMapping:
    name: str
    layer: str
    text: str
    saved_by: str | None = None
    saved_at: str | None = None

    def to_dict(self) -> dict:
        return {"name": self.name, "layer": self.layer, "saved_by": self.saved_by, "saved_at": self.saved_at}


class MappingNameError(ValueError):
    """A mapping name that cannot be used; the message says what is allowed."""


def check_name(name: object) -> str:
    """``name`` trimmed, or :class:`MappingNameError`: 1–60 characters, no control characters or slashes."""
    text = unicodedata.normalize("NFC", str(name or "")).strip()
    if not text or len(text) > NAME_MAX_CHARS:
        msg = f"a mapping name has 1 to {NAME_MAX_CHARS} characters (got {len(text)})"
        raise MappingNameError(msg)
    if any(unicodedata.category(ch)[0] == "C" for ch in text) or "/" in text or "\\" in text:
        msg = f"a mapping name has no control characters and no slashes (got {text!r})"
        raise MappingNameError(msg)
    return text


def _postgis(store) -> bool:
    return store.capabilities.database is not None


_CREATE = (f"CREATE TABLE IF NOT EXISTS {TABLE} (name TEXT PRIMARY KEY, layer TEXT NOT NULL, "
           "mapping TEXT NOT NULL, saved_by TEXT, saved_at TEXT)")


def list_mappings(store, *, layer: str | None = None) -> list[SavedMapping]:
    """The park's saved mappings (of ``layer`` only, when given), by name."""
    if not store.exists():
        return []
    rows = _pg_rows(store.capabilities.database) if _postgis(store) else _gpkg_rows(store.capabilities.file)
    found = [SavedMapping(*row) for row in rows]
    return sorted((m for m in found if layer is None or m.layer == layer), key=lambda m: m.name)


def get_mapping(store, name: str) -> SavedMapping:
    """The saved mapping ``name``; ``KeyError`` naming the saved ones otherwise."""
    saved = list_mappings(store)
    for mapping in saved:
        if mapping.name == name:
            return mapping
    known = ", ".join(m.name for m in saved) or "none saved yet"
    msg = f"no saved mapping {name!r} in this park (saved: {known})"
    raise KeyError(msg)


def save_mapping(store, name: str, layer: str, text: str, *, saved_by: str | None = None) -> SavedMapping:
    """Save (or replace) mapping ``name`` for ``layer``; returns it."""
    name = check_name(name)
    if len(text.encode("utf-8")) > TEXT_MAX_BYTES:
        msg = f"the mapping is larger than {TEXT_MAX_BYTES // 1024} KB"
        raise MappingNameError(msg)
    mapping = SavedMapping(name, layer, text, saved_by, dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    with store.write_lock():
        _save(store, mapping)
    return mapping


def copy_mappings(source, dest) -> int:
    """Copy every saved mapping of ``source`` into ``dest`` (``copy-park``); how many."""
    saved = list_mappings(source)
    for mapping in saved:
        with dest.write_lock():
            _save(dest, mapping)
    return len(saved)


def _save(store, mapping: SavedMapping) -> None:
    if _postgis(store):
        _pg_save(store.capabilities.database, mapping)
    else:
        _gpkg_save(store.capabilities.file, mapping)


# -- GeoPackage ----------------------------------------------------------------------------------------------------


def _gpkg_rows(path) -> list[tuple]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)).fetchone():
            return []
        return conn.execute(f"SELECT name, layer, mapping, saved_by, saved_at FROM {TABLE}").fetchall()


def _gpkg_save(path, mapping: SavedMapping) -> None:
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(_CREATE)
        conn.execute(f"INSERT OR REPLACE INTO {TABLE} VALUES (?, ?, ?, ?, ?)",
                     (mapping.name, mapping.layer, mapping.text, mapping.saved_by, mapping.saved_at))
        conn.execute("COMMIT")


# -- PostGIS -------------------------------------------------------------------------------------------------------


def _pg_rows(store) -> list[tuple]:
    from psycopg import sql

    with store.connection() as conn:
        exists = conn.execute("SELECT 1 FROM pg_tables WHERE schemaname = %s AND tablename = %s",
                              (store.schema, TABLE)).fetchone()
        if not exists:
            return []
        return conn.execute(sql.SQL("SELECT name, layer, mapping, saved_by, saved_at FROM {}.{}").format(
            sql.Identifier(store.schema), sql.Identifier(TABLE))).fetchall()


def _pg_save(store, mapping: SavedMapping) -> None:
    from psycopg import sql

    table = sql.SQL("{}.{}").format(sql.Identifier(store.schema), sql.Identifier(TABLE))
    with store.connection() as conn:
        conn.execute(sql.SQL(_CREATE.replace(TABLE, "{}")).format(table))
        conn.execute(sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s, %s) ON CONFLICT (name) DO UPDATE SET "
                             "layer = excluded.layer, mapping = excluded.mapping, saved_by = excluded.saved_by, "
                             "saved_at = excluded.saved_at").format(table),
                     (mapping.name, mapping.layer, mapping.text, mapping.saved_by, mapping.saved_at))


__all__ = ["NAME_MAX_CHARS", "TABLE", "MappingNameError", "SavedMapping", "check_name", "copy_mappings",
           "get_mapping", "list_mappings", "save_mapping"]
