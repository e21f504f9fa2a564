"""Trusted loads of a GeoPackage park: a layer the store validated and nothing changed since is only cast;
any edit made behind the store's back (sqlite3, pyogrio, a replaced layer) gets the layer validated again."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from conftest import TINY_META, tiny_frames

import layers.store as store_module
from layers.registry import REGISTRY
from layers.store import GeoPackageStore, read_layer
from layers.validate import LayerValidationError, validate_layer

_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def _geometry(blob: bytes):
    """A GeoPackage geometry blob's shape: 8 header bytes, the envelope its flags announce, then WKB."""
    return shapely.from_wkb(blob[8 + _ENVELOPE_BYTES[(blob[3] >> 1) & 7]:])


def sql(store: GeoPackageStore, statement: str, params=()) -> None:
    """Run ``statement`` with plain sqlite3, as a user would; the GeoPackage's R-tree triggers need
    the ST_ functions that GDAL or SpatiaLite otherwise provide."""
    with closing(sqlite3.connect(store.path)) as conn, conn:
        conn.create_function("ST_IsEmpty", 1, lambda b: int(bool((b[3] >> 4) & 1)), deterministic=True)
        for position, name in enumerate(("ST_MinX", "ST_MinY", "ST_MaxX", "ST_MaxY")):
            conn.create_function(name, 1, lambda b, i=position: float(_geometry(b).bounds[i]), deterministic=True)
        conn.execute(statement, params)


@pytest.fixture
def validations(monkeypatch):
    """Names of the layers the store validated value by value while loading."""
    seen = []

    def counting(frame, spec, *, source):
        seen.append(spec.name)
        return validate_layer(frame, spec, source=source)

    monkeypatch.setattr(store_module, "validate_layer", counting)
    return seen


def test_an_untouched_layer_loads_trusted_and_equal_to_a_full_validation(tiny_park, validations):
    for name in tiny_frames():
        assert tiny_park.is_trusted(name)
        loaded = tiny_park.load(name)
        full, _ = validate_layer(read_layer(tiny_park.path, name), REGISTRY[name], source="x")
        pd.testing.assert_frame_equal(loaded, full, check_exact=True)
        if "geometry" in full:
            assert loaded.crs == full.crs
    assert validations == []


def test_a_value_changed_with_sqlite3_is_validated_and_reported(tiny_park, validations):
    sql(tiny_park, "UPDATE parcels SET status = 'bogus' WHERE parcel_id = 'P2'")
    assert not tiny_park.is_trusted("parcels")
    assert tiny_park.is_trusted("buildings")  # the stamp is per layer
    with pytest.raises(LayerValidationError) as caught:
        tiny_park.load("parcels")
    assert [(p.record, p.field, p.value) for p in caught.value.problems] == [
        ("row 2 (parcel_id=P2)", "status", "bogus")]
    assert validations == ["parcels"]


def test_a_valid_outside_edit_is_validated_too(tiny_park, validations):
    sql(tiny_park, "UPDATE parcels SET name = '  改名地块  ', status = '批而未供' WHERE parcel_id = 'P1'")
    parcels = tiny_park.load("parcels").set_index("parcel_id")
    assert validations == ["parcels"]
    assert parcels.loc["P1", "name"] == "改名地块"  # stripped and the alias mapped: validation ran
    assert parcels.loc["P1", "status"] == "approved_unsupplied"


def test_rows_deleted_or_added_with_pyogrio_are_validated(tiny_park, validations):
    sql(tiny_park, "DELETE FROM units WHERE rowid = 1")
    assert not tiny_park.is_trusted("units")
    extra = gpd.GeoDataFrame({"parcel_id": ["P9"], "status": ["nonsense"]},
                             geometry=[shapely.box(0, 0, 1, 1)], crs=4549)
    pyogrio.write_dataframe(extra, tiny_park.path, layer="parcels", append=True)
    assert not tiny_park.is_trusted("parcels")
    with pytest.raises(LayerValidationError, match="nonsense"):
        tiny_park.load("parcels")


def test_a_layer_replaced_outside_the_store_loses_its_stamp(tiny_park, validations):
    frame = tiny_park.load("roads")
    pyogrio.write_dataframe(frame, tiny_park.path, layer="roads")  # drops and recreates the table
    assert not tiny_park.is_trusted("roads")
    tiny_park.load("roads")
    assert validations == ["roads"]


def test_a_column_dropped_outside_the_store_gets_the_layer_validated(tiny_park, validations):
    sql(tiny_park, "ALTER TABLE parcels DROP COLUMN parcel_id")  # DDL fires no trigger
    parcels = tiny_park.load("parcels")
    assert validations == ["parcels"]
    assert list(parcels["parcel_id"]) == ["AUTO-parcels-1", "AUTO-parcels-2", "AUTO-parcels-3"]


def test_saving_through_the_store_stamps_again(tiny_park, validations):
    sql(tiny_park, "UPDATE parcels SET name = 'x' WHERE parcel_id = 'P1'")
    edited = tiny_park.load("parcels")
    assert validations == ["parcels"]
    tiny_park.save("parcels", edited)
    assert tiny_park.is_trusted("parcels")
    validations.clear()  # the save validated what it wrote
    assert tiny_park.load("parcels").set_index("parcel_id").loc["P1", "name"] == "x"
    assert validations == []


def test_appending_keeps_trust_only_where_there_was_trust(tiny_park, validations):
    more = tiny_frames()["enterprises"].assign(enterprise_id=lambda f: f["enterprise_id"] + "-2")
    tiny_park.save_layers({"enterprises": more}, append=("enterprises",))
    assert tiny_park.is_trusted("enterprises")
    validations.clear()
    assert len(tiny_park.load("enterprises")) == 2 * len(more)
    assert validations == []
    sql(tiny_park, "UPDATE enterprises SET name = 'outside' WHERE rowid = 1")
    again = more.assign(enterprise_id=lambda f: f["enterprise_id"] + "-3")
    tiny_park.save_layers({"enterprises": again}, append=("enterprises",))
    assert not tiny_park.is_trusted("enterprises")  # the outside edit was never validated
    validations.clear()  # the saves validated the appended rows
    assert len(tiny_park.load("enterprises")) == 3 * len(more)
    assert validations == ["enterprises"]


def test_a_park_written_before_stamps_is_validated(tmp_path, validations):
    park = GeoPackageStore(tmp_path / "old.gpkg")
    park.save_park(tiny_frames(), TINY_META)
    sql(park, f"DROP TABLE {store_module.TRUST_TABLE}")
    sql(park, f"DELETE FROM gpkg_contents WHERE table_name = '{store_module.TRUST_TABLE}'")
    validations.clear()
    assert not park.is_trusted("parcels")
    assert len(park.load("parcels")) == 3
    assert validations == ["parcels"]
    assert store_module.TRUST_TABLE not in park.layer_names()


def _first_layout_trust(store: GeoPackageStore) -> None:
    """Turn the park's trust table into the first layout's: a text key, not listed in gpkg_contents."""
    with closing(sqlite3.connect(store.path)) as conn, conn:
        conn.execute("PRAGMA legacy_alter_table = ON")  # the layers' triggers keep naming the table
        conn.execute("DELETE FROM gpkg_contents WHERE table_name = 'parkatlas_trust'")
        conn.execute("CREATE TABLE first_trust (layer TEXT PRIMARY KEY, edits INTEGER NOT NULL, "
                     "validated_edits INTEGER NOT NULL)")
        conn.execute("INSERT INTO first_trust SELECT layer, edits, validated_edits FROM parkatlas_trust")
        conn.execute("DROP TABLE parkatlas_trust")
        conn.execute("ALTER TABLE first_trust RENAME TO parkatlas_trust")


def _trust_layout(store: GeoPackageStore) -> tuple[list[str], bool]:
    with closing(sqlite3.connect(store.path)) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(parkatlas_trust)")]
        listed = conn.execute("SELECT data_type FROM gpkg_contents WHERE table_name = 'parkatlas_trust'").fetchone()
    return columns, listed == ("attributes",)


def test_the_trust_table_is_an_attributes_table_with_an_integer_key(tiny_park):
    assert _trust_layout(tiny_park) == (["fid", "layer", "edits", "validated_edits"], True)


def test_a_trust_table_of_the_first_layout_is_migrated_on_save_and_keeps_counting(tmp_path, validations):
    park = GeoPackageStore(tmp_path / "first.gpkg")
    park.save_park(tiny_frames(), TINY_META)
    _first_layout_trust(park)
    assert _trust_layout(park) == (["layer", "edits", "validated_edits"], False)
    assert park.is_trusted("parcels")
    park.save("enterprises", tiny_frames()["enterprises"])
    assert _trust_layout(park) == (["fid", "layer", "edits", "validated_edits"], True)
    assert park.is_trusted("parcels") and park.is_trusted("enterprises")  # stamps carried over
    sql(park, "UPDATE parcels SET name = 'outside' WHERE parcel_id = 'P2'")  # a trigger written before the move
    assert not park.is_trusted("parcels")
    assert park.is_trusted("enterprises")
