"""A few records of a GeoPackage table read through plain SQLite, exactly as GDAL reads them.

An edit reads one record and its events; opening the file through GDAL costs 5–13 ms a read (the
driver parses the whole GeoPackage's metadata), the record itself microseconds. For the tables the
store writes — columns declared ``TEXT``, ``INTEGER``, ``REAL``, ``BOOLEAN``, ``DATE`` and one
geometry column in a GeoPackage blob with a plain WKB body — :func:`read_few` reads the rows with
``sqlite3`` and builds the same Arrow table GDAL would (same column order, same types), so the
frame made from it is the one :func:`layers.store.read_layer` makes.

Anything else answers None and the caller reads through GDAL: another declared type (``DATETIME``,
``FLOAT``, ``TEXT(20)``…), a value SQLite's dynamic typing kept in a column of another type
(bytes in a ``TEXT`` column, text in a ``REAL`` one, written outside the store), a date that is
not ``YYYY-MM-DD`` (GDAL takes ``2021/3/1``, with a warning), a ``BOOLEAN`` neither 0 nor 1, an
empty or extended geometry blob, a CRS not named by EPSG, or more records than
:data:`FEW_RECORDS` (GDAL's Arrow reader is faster in bulk).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence

import pyarrow as pa

from layers import gpkg_blob
from layers.gpkg_rows import quoted

#: Most records read here; a larger read goes through GDAL (vectorised, faster in bulk).
FEW_RECORDS = 256

#: Declared column type → the Arrow type GDAL reads it as, and the Python types SQLite may hand back for it.
_COLUMN_TYPES: dict[str, tuple[pa.DataType, tuple[type, ...]]] = {
    "TEXT": (pa.string(), (str,)),
    "INTEGER": (pa.int64(), (int,)),
    "REAL": (pa.float64(), (float, int)),
    "BOOLEAN": (pa.bool_(), (int,)),
    "DATE": (pa.date32(), (str,)),
}
_EXTENDED_FLAG = 0b10_0000


class _NotPlain(Exception):
    """A value GDAL would read differently from what this module does: read through GDAL instead."""


def _column_array(values: list, declared: str) -> pa.Array:
    arrow_type, python_types = _COLUMN_TYPES[declared]
    present = [v for v in values if v is not None]
    if not all(type(v) in python_types for v in present):
        raise _NotPlain
    if declared == "BOOLEAN":
        if not all(v in (0, 1) for v in present):
            raise _NotPlain
        values = [None if v is None else bool(v) for v in values]
    elif declared == "DATE":
        try:
            values = [None if v is None else dt.date.fromisoformat(v) for v in values]
        except ValueError as exc:
            raise _NotPlain from exc
        if not all(len(v) == 10 for v in present):  # fromisoformat takes 20210301 too; GDAL does not
            raise _NotPlain
    return pa.array(values, type=arrow_type)


def _wkb(blob) -> bytes | None:
    """The WKB body of a GeoPackage geometry blob (None for NULL); an empty or extended one is not plain."""
    if blob is None:
        return None
    if not isinstance(blob, bytes):
        raise _NotPlain
    try:
        flags = gpkg_blob.header_flags(blob)
        kind = gpkg_blob.envelope_kind(flags)
    except gpkg_blob.GeometryBlobError as exc:
        raise _NotPlain from exc
    if flags & (gpkg_blob.EMPTY_FLAG | _EXTENDED_FLAG):
        raise _NotPlain
    return blob[gpkg_blob.HEADER_BYTES + 8 * gpkg_blob.ENVELOPE_DOUBLES[kind]:]


def _crs(conn: sqlite3.Connection, srs_id: int) -> str:
    """The CRS as pyogrio names it for an authority's code (``EPSG:4549``)."""
    row = conn.execute("SELECT organization, organization_coordsys_id FROM gpkg_spatial_ref_sys WHERE srs_id = ?",
                       (srs_id,)).fetchone()
    if row is None or str(row[0]).upper() != "EPSG" or row[1] is None:
        raise _NotPlain
    return f"EPSG:{int(row[1])}"


def read_few(conn: sqlite3.Connection, table: str, *, fids: Sequence[int] | None = None, where: str | None = None
             ) -> tuple[pa.Table, dict] | None:
    """Records of ``table`` stored at ``fids`` (in the order they are stored, as GDAL returns them), or matching the SQL
    ``where``, as GDAL's Arrow reader gives them: (table, meta with ``geometry_name``, ``geometry_type``
    and ``crs``); None when they are not plain (see the module) or more than :data:`FEW_RECORDS`."""
    columns = conn.execute(f"PRAGMA table_info({quoted(table)})").fetchall()
    geometry = conn.execute("SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?",
                            (table,)).fetchone()
    key = [c[1] for c in columns if c[5]]
    if len(key) != 1:
        return None
    names = [c[1] for c in columns if c[1] != key[0] and (geometry is None or c[1] != geometry[0])]
    declared = {c[1]: str(c[2]).upper() for c in columns}
    if any(declared[name] not in _COLUMN_TYPES for name in names):
        return None
    selected = ", ".join(quoted(n) for n in [key[0], *names, *([geometry[0]] if geometry else [])])
    if fids is not None:
        wanted = [int(f) for f in fids]
        if len(wanted) > FEW_RECORDS:
            return None
        rows = conn.execute(f"SELECT {selected} FROM {quoted(table)} WHERE {quoted(key[0])} IN "
                            f"({', '.join('?' * len(wanted))}) ORDER BY {quoted(key[0])}", wanted).fetchall()
    else:
        condition = f" WHERE {where}" if where else ""
        rows = conn.execute(f"SELECT {selected} FROM {quoted(table)}{condition} ORDER BY {quoted(key[0])} "
                            f"LIMIT {FEW_RECORDS + 1}").fetchall()
        if len(rows) > FEW_RECORDS:
            return None
    values = list(zip(*rows)) if rows else [()] * (len(names) + 1 + bool(geometry))
    try:
        arrays = {name: _column_array(list(values[1 + i]), declared[name]) for i, name in enumerate(names)}
        meta: dict = {"geometry_name": None, "geometry_type": None, "crs": None}
        if geometry is not None:
            arrays[geometry[0]] = pa.array([_wkb(b) for b in values[-1]], type=pa.binary())
            meta = {"geometry_name": geometry[0], "geometry_type": "geometry", "crs": _crs(conn, int(geometry[1]))}
    except _NotPlain:
        return None
    return pa.table(arrays), meta
