"""Fields without geometry and extents from the spatial index (``layers.contract.FieldReader``), on both stores.

What a large park's tiled overview reads instead of whole layers: it must give the very values a whole load
gives, refuse (None) whenever a whole load would validate, and never let a name the registry did not declare
reach SQL. The tiny park: P1 = box(0, 0, 100, 100), P2 = box(100, 0, 300, 100), P3 = box(0, 100, 100, 200),
offset by (X0, Y0), in EPSG:4549.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pandas as pd
import pytest
from conftest import TINY_META, X0, Y0, tiny_frames
from conftest_postgis import psql

from layers.contract import FieldReader
from layers.gpkg_blob import register_functions
from layers.store import GeoPackageStore
from layers.valid_time import HELD_NOW_FIELD

#: The R-tree keeps single-precision boxes rounded outwards: at Gauss-Krüger coordinates (≈ 3·10⁶ m) one step of
#: float32 is 0.25 m, so a box from it is never inside the exact one and at most this far outside it.
INDEX_ROUNDING_M = 0.5


@pytest.fixture(params=["gpkg", "postgis"])
def tiny_store(request, tmp_path):
    store = GeoPackageStore(tmp_path / "park.gpkg") if request.param == "gpkg" else \
        request.getfixturevalue("postgis_store")
    store.save_park(tiny_frames(), TINY_META)
    return store


def outside_edit(store, statement: str) -> None:
    """An edit made outside ParkAtlas (sqlite3 or psql): the layer is no longer trusted."""
    if isinstance(store, GeoPackageStore):
        with closing(register_functions(sqlite3.connect(store.path))) as conn, conn:  # R-tree triggers need ST_*
            conn.execute(statement)
    else:
        psql(store, statement.replace("UPDATE parcels", "UPDATE {}.parcels"), store.schema)


def assert_box_near(box, expected) -> None:
    """``box`` covers ``expected`` and exceeds it by no more than the index's rounding."""
    assert box is not None
    minx, miny, maxx, maxy = expected
    assert box[0] <= minx and box[1] <= miny and box[2] >= maxx and box[3] >= maxy, (box, expected)
    assert max(minx - box[0], miny - box[1], box[2] - maxx, box[3] - maxy) <= INDEX_ROUNDING_M, (box, expected)


def test_every_store_says_it_reads_fields(tiny_store):
    assert isinstance(tiny_store.capabilities.fields, FieldReader)


@pytest.mark.parametrize(("layer", "fields"), [
    ("parcels", ["land_use", "land_use_std", "retired_on"]),
    ("parcels", ["contract_date", "land_price_wan", "status", "parcel_id"]),
    ("buildings", ["use", "floors"]),
    ("roads", ["status"]),
    ("enterprises", ["name"]),
])
def test_fields_read_alone_equal_those_of_the_whole_layer(tiny_store, layer, fields):
    alone = tiny_store.load_fields(layer, fields)
    whole = tiny_store.load(layer)
    assert list(alone.columns) == fields
    assert "geometry" not in alone
    pd.testing.assert_frame_equal(alone, pd.DataFrame(whole[fields]).reset_index(drop=True), check_exact=True)


def test_a_field_asked_twice_comes_once(tiny_store):
    assert list(tiny_store.load_fields("parcels", ["status", "status", "land_use"]).columns) == ["status", "land_use"]


def test_a_layer_edited_outside_is_not_read_alone_but_whole_loads_validate_it(tiny_store):
    outside_edit(tiny_store, "UPDATE parcels SET status = 'bogus' WHERE parcel_id = 'P2'")
    assert tiny_store.load_fields("parcels", ["status"]) is None
    assert tiny_store.load_fields("roads", ["status"]) is not None  # the other layers are still trusted


def test_an_absent_layer_has_no_fields_and_no_extent(tmp_path):
    frames = {name: frame for name, frame in tiny_frames().items() if name != "facilities"}
    store = GeoPackageStore(tmp_path / "park.gpkg")
    store.save_park(frames, TINY_META)
    assert "facilities" not in store.layer_names()
    assert store.load_fields("facilities", ["kind"]) is None
    assert store.extent("facilities") is None


@pytest.mark.parametrize("name", ['status" FROM parcels; --', "geometry", "fid", "no_such_field"])
def test_only_declared_fields_reach_sql(tiny_store, name):
    with pytest.raises(ValueError, match="declares no field"):
        tiny_store.load_fields("parcels", [name])
    with pytest.raises(ValueError, match="declares no field"):
        tiny_store.extent("parcels", where={name: "x"})


def test_the_extent_of_a_layer_covers_its_records(tiny_store):
    assert_box_near(tiny_store.extent("parcels"), (X0, Y0, X0 + 300, Y0 + 200))


@pytest.mark.parametrize(("where", "expected"), [
    ({"parcel_id": "P3"}, (0, 100, 100, 200)),
    ({"parcel_id": "P2"}, (100, 0, 300, 100)),
    ({"tenure": None}, (0, 100, 100, 200)),  # only P3 has no tenure
    ({"tenure": "granted"}, (0, 0, 300, 100)),  # P1 and P2; a NULL tenure is not "granted"
    ({"tenure": "granted", "parcel_id": "P1"}, (0, 0, 100, 100)),
    ({HELD_NOW_FIELD: None}, (0, 0, 300, 200)),  # nothing retired yet
])
def test_the_extent_of_the_records_with_given_values(tiny_store, where, expected):
    minx, miny, maxx, maxy = expected
    assert_box_near(tiny_store.extent("parcels", where=where), (X0 + minx, Y0 + miny, X0 + maxx, Y0 + maxy))


@pytest.mark.parametrize("where", [{"parcel_id": "P9"}, {"tenure": "leased"}, {"tenure": "granted", "parcel_id": "P3"}])
def test_no_extent_when_no_record_has_the_values(tiny_store, where):
    assert tiny_store.extent("parcels", where=where) is None


def test_a_retired_record_leaves_the_extent_of_those_held_now(tiny_store):
    parcels = tiny_store.load("parcels")
    parcels.loc[parcels["parcel_id"] == "P2", HELD_NOW_FIELD] = pd.Timestamp("2026-01-05")
    tiny_store.save("parcels", parcels)
    assert_box_near(tiny_store.extent("parcels", where={HELD_NOW_FIELD: None}), (X0, Y0, X0 + 100, Y0 + 200))
    assert_box_near(tiny_store.extent("parcels"), (X0, Y0, X0 + 300, Y0 + 200))  # retired records are still there


def test_a_table_has_no_extent(tiny_store):
    assert tiny_store.extent("enterprises") is None
