"""The GeoPackage blob functions: GDAL's R-tree triggers run in plain SQLite and keep the index true."""

from __future__ import annotations

import sqlite3
import struct

import geopandas as gpd
import pyogrio
import pytest
import shapely

from layers.gpkg_blob import GeometryBlobError, envelope, is_empty, register_functions


def blob(geometry, *, flags: int, srs_id: int = 4549, header_envelope: tuple = ()) -> bytes:
    """A GeoPackage blob written by hand: magic, version 0, flags, srs id, envelope, WKB."""
    little = flags & 1
    order = "<" if little else ">"
    return (b"GP" + bytes([0, flags]) + struct.pack(f"{order}i", srs_id)
            + struct.pack(f"{order}{len(header_envelope)}d", *header_envelope)
            + shapely.to_wkb(geometry, byte_order=little))


@pytest.fixture
def park(tmp_path):
    """A GeoPackage written by GDAL (pyogrio): two boxes, with GDAL's R-tree and its triggers."""
    path = tmp_path / "park.gpkg"
    frame = gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=[shapely.box(0, 0, 10, 5), shapely.box(20, 20, 30, 40)],
                             crs=4549)
    frame.to_file(path, layer="parcels")
    return path


def test_without_the_functions_a_plain_update_fails(park):
    """The reason the module exists: GDAL's triggers call ST_IsEmpty, which plain SQLite lacks."""
    with sqlite3.connect(park) as conn, pytest.raises(sqlite3.OperationalError, match="ST_IsEmpty"):
        conn.execute("UPDATE parcels SET name = 'x' WHERE fid = 1")


def test_updates_and_inserts_keep_the_rtree_true(park):
    conn = register_functions(sqlite3.connect(park))
    with conn:
        conn.execute("UPDATE parcels SET name = '改名' WHERE fid = 1")
        moved = blob(shapely.box(100, 200, 150, 260), flags=0b011, header_envelope=(100, 150, 200, 260))
        conn.execute("UPDATE parcels SET geom = ? WHERE fid = 2", (moved,))
        # No envelope in the header: the bounds come from the WKB.
        conn.execute("INSERT INTO parcels (name, geom) VALUES ('c', ?)",
                     (blob(shapely.box(-5, -6, 7, 8), flags=0b001),))
    index = {row[0]: row[1:] for row in conn.execute("SELECT id, minx, maxx, miny, maxy FROM rtree_parcels_geom")}
    conn.close()
    assert index == {1: (0.0, 10.0, 0.0, 5.0), 2: (100.0, 150.0, 200.0, 260.0), 3: (-5.0, 7.0, -6.0, 8.0)}
    # GDAL reads the edited file back, the spatial filter through the updated index included.
    frame = pyogrio.read_dataframe(park, layer="parcels", bbox=(90, 190, 160, 270))
    assert frame["name"].tolist() == ["b"]
    assert pyogrio.read_dataframe(park, layer="parcels")["name"].tolist() == ["改名", "b", "c"]


def test_envelope_and_emptiness_from_the_header_or_the_wkb():
    box = shapely.box(1, 2, 3, 4)
    assert envelope(blob(box, flags=0b011, header_envelope=(1, 3, 2, 4))) == (1, 3, 2, 4)
    # Big-endian header numbers (flags bit 0 clear).
    assert envelope(blob(box, flags=0b010, header_envelope=(1, 3, 2, 4))) == (1, 3, 2, 4)
    assert envelope(blob(box, flags=0b001)) == (1, 3, 2, 4)
    assert is_empty(blob(box, flags=0b001)) == 0
    empty = blob(shapely.Polygon(), flags=0b1_0001)
    assert is_empty(empty) == 1 and envelope(empty) is None
    assert is_empty(blob(shapely.Polygon(), flags=0b001)) == 1
    assert is_empty(None) is None and envelope(None) is None


@pytest.mark.parametrize(("value", "words"), [
    (b"XY\x00\x01\x00\x00\x00\x00", "expected b'GP'"), (b"GP", "not a GeoPackage geometry blob"),
    (b"GP\x00" + bytes([0b1011]) + b"\x00" * 4, "unknown envelope kind 5")])
def test_a_value_that_is_not_a_blob_is_refused_with_what_was_expected(value, words):
    with pytest.raises(GeometryBlobError, match=words):
        envelope(value)
