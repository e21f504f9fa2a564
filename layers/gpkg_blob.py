"""The GeoPackage geometry blob, read in plain SQLite: the ``ST_*`` functions a GeoPackage's triggers call.

GDAL keeps a GeoPackage's R-tree spatial index up to date with triggers that call ``ST_IsEmpty``,
``ST_MinX``, ``ST_MaxX``, ``ST_MinY`` and ``ST_MaxY`` (GeoPackage 1.3 §F.3, "RTree Spatial Indexes").
Those functions exist only inside GDAL's (or SpatiaLite's) SQLite: a write through Python's ``sqlite3``
fails with "no such function: ST_IsEmpty". :func:`register_functions` registers them on a connection,
reading the envelope from the blob's header (GeoPackage 1.3 §2.1.3), and only when a blob carries no
envelope, its WKB through shapely.

Header: ``GP``, version, flags, srs_id (int32), envelope, then WKB. Flags: bit 0 the byte order of
the header's numbers (1 = little endian), bits 1–3 the envelope's kind (0 none, 1 xy, 2 xyz, 3 xym,
4 xyzm; x and y always first, as min x, max x, min y, max y), bit 4 set for an empty geometry.
"""

from __future__ import annotations

import sqlite3
import struct

import shapely

#: Envelope kinds (flags bits 1–3) → how many doubles the envelope holds.
ENVELOPE_DOUBLES = {0: 0, 1: 4, 2: 6, 3: 6, 4: 8}
HEADER_BYTES = 8
EMPTY_FLAG = 0b1_0000


class GeometryBlobError(ValueError):
    """A value that is not a GeoPackage geometry blob."""


def header_flags(blob: bytes) -> int:
    if len(blob) < HEADER_BYTES or blob[:2] != b"GP":
        msg = f"not a GeoPackage geometry blob (starts {bytes(blob[:4])!r}, expected b'GP')"
        raise GeometryBlobError(msg)
    return blob[3]


def envelope_kind(flags: int) -> int:
    kind = (flags >> 1) & 0b111
    if kind not in ENVELOPE_DOUBLES:
        msg = f"GeoPackage geometry blob with an unknown envelope kind {kind} (allowed 0–4)"
        raise GeometryBlobError(msg)
    return kind


def is_empty(blob: bytes | None) -> int | None:
    """``ST_IsEmpty``: 1 for an empty geometry, 0 otherwise, NULL for NULL."""
    if blob is None:
        return None
    flags = header_flags(blob)
    if flags & EMPTY_FLAG:
        return 1
    if envelope_kind(flags):
        return 0
    return int(shapely.from_wkb(bytes(blob[HEADER_BYTES:])).is_empty)


def envelope(blob: bytes | None) -> tuple[float, float, float, float] | None:
    """``(min x, max x, min y, max y)`` of a blob: from its header, else from its WKB; None for NULL or empty."""
    if blob is None:
        return None
    flags = header_flags(blob)
    if flags & EMPTY_FLAG:
        return None
    kind = envelope_kind(flags)
    if kind:
        order = "<" if flags & 1 else ">"
        return struct.unpack_from(f"{order}4d", blob, HEADER_BYTES)
    geometry = shapely.from_wkb(bytes(blob[HEADER_BYTES:]))
    if geometry.is_empty:
        return None
    min_x, min_y, max_x, max_y = geometry.bounds
    return (min_x, max_x, min_y, max_y)


def _bound(index: int):
    def bound(blob):
        box = envelope(blob)
        return None if box is None else box[index]
    return bound


def register_functions(conn: sqlite3.Connection) -> sqlite3.Connection:
    """Register ``ST_IsEmpty``, ``ST_MinX``, ``ST_MaxX``, ``ST_MinY``, ``ST_MaxY`` on ``conn`` (deterministic)."""
    conn.create_function("ST_IsEmpty", 1, is_empty, deterministic=True)
    for index, name in enumerate(("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY")):
        conn.create_function(name, 1, _bound(index), deterministic=True)
    return conn
