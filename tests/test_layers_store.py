"""The GeoPackage park store: lossless round trips and atomic writes."""

from __future__ import annotations

import hashlib

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import TINY_META, tiny_frames

import layers.store as store_module
from layers.registry import REGISTRY
from layers.store import GeoPackageStore, ParkStoreError
from layers.validate import LayerValidationError, validate_layer


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_layer_round_trips_exactly(tiny_park):
    for name, frame in tiny_frames().items():
        expected, _ = validate_layer(frame, REGISTRY[name], source="memory")
        loaded = tiny_park.load(name)
        if "geometry" in expected:
            assert loaded.crs.to_epsg() == 4549
            assert list(loaded.geometry.geom_type) == list(expected.geometry.geom_type)
            assert shapely.equals_exact(loaded.geometry.to_numpy(), expected.geometry.to_numpy(), tolerance=0).all()
            expected, loaded = pd.DataFrame(expected.drop(columns="geometry")), pd.DataFrame(loaded.drop(columns="geometry"))
        pd.testing.assert_frame_equal(loaded, expected, check_exact=True)


def test_chinese_text_nulls_dates_bools_and_float_precision_survive(tmp_path):
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": ["甲-001", "乙-002", "丙-003"],
            "name": ["浙江省台州湾新区·一号地块", None, "含'引号'与\"双引号\"及 <b>标签</b>"],
            "contract_date": pd.to_datetime(["2020-02-29", None, "1999-12-31"]),
            "land_price_wan": [0.1 + 0.2, np.nan, 1e-12],
            "site_levelled": pd.array([True, None, False], dtype="boolean"),
        },
        geometry=[
            shapely.box(0, 0, 10.123456789012, 10),
            shapely.MultiPolygon([shapely.box(20, 0, 30, 10), shapely.box(40, 0, 50, 10)]),
            shapely.Polygon([(60, 0), (70, 0), (70, 10), (60, 10)], holes=[[(62, 2), (64, 2), (64, 4), (62, 2)]]),
        ],
        crs=4549,
    )
    store = GeoPackageStore(tmp_path / "p.gpkg")
    store.save_park({"parcels": parcels}, {"working_epsg": 4549})
    loaded = store.load("parcels")
    assert list(loaded["name"].fillna("<NA>")) == ["浙江省台州湾新区·一号地块", "<NA>", "含'引号'与\"双引号\"及 <b>标签</b>"]
    assert loaded["contract_date"].iloc[0] == pd.Timestamp("2020-02-29")
    assert pd.isna(loaded["contract_date"].iloc[1])
    assert loaded["land_price_wan"].iloc[0] == 0.1 + 0.2  # bit-exact, not 0.3
    assert loaded["land_price_wan"].iloc[2] == 1e-12
    assert pd.isna(loaded["land_price_wan"].iloc[1])
    assert list(loaded["site_levelled"].astype(object).fillna("NA")) == [True, "NA", False]
    assert list(loaded.geometry.geom_type) == ["Polygon", "MultiPolygon", "Polygon"]
    assert loaded.geometry.iloc[0].bounds[2] == 10.123456789012
    assert len(loaded.geometry.iloc[2].interiors) == 1


def test_meta_is_kept_with_schema_version(tiny_park):
    meta = tiny_park.read_meta()
    assert meta == {**TINY_META, "schema_version": store_module.SCHEMA_VERSION}
    assert tiny_park.working_crs().to_epsg() == 4549


def test_absent_layer_loads_empty_and_typed(tiny_park):
    leases = tiny_park.load("leases")
    assert len(leases) == 0
    assert str(leases["start"].dtype) == "datetime64[ms]"
    cases = tiny_park.load("cases")
    assert list(cases.columns) == list(REGISTRY["cases"].field_names)


def test_save_replaces_one_layer_and_keeps_the_others(tiny_park):
    roads = tiny_park.load("roads")
    roads.loc[roads["road_id"] == "R2", "status"] = "completed"
    tiny_park.save("roads", roads)
    assert list(tiny_park.load("roads")["status"]) == ["completed", "completed"]
    assert len(tiny_park.load("parcels")) == 3


def test_failed_save_leaves_the_previous_file_intact(tiny_park, monkeypatch):
    before = digest(tiny_park.path)
    real_write = store_module._write_frame

    def write_then_fail(path, spec, frame, crs):
        real_write(path, spec, frame, crs)
        raise OSError("disk full")

    monkeypatch.setattr(store_module, "_write_frame", write_then_fail)
    with pytest.raises(OSError, match="disk full"):
        tiny_park.save("roads", tiny_park.load("roads").iloc[:1])
    assert digest(tiny_park.path) == before
    assert not [p for p in tiny_park.path.parent.iterdir() if p.name.startswith(".parkatlas-")]


def test_invalid_layer_is_not_written(tiny_park):
    before = digest(tiny_park.path)
    roads = tiny_park.load("roads")
    roads["status"] = roads["status"].astype(object)
    roads.loc[0, "status"] = "paved"
    with pytest.raises(LayerValidationError, match="field status: unknown value"):
        tiny_park.save("roads", roads)
    assert digest(tiny_park.path) == before


def test_layer_in_another_crs_is_refused(tiny_park):
    roads = tiny_park.load("roads").to_crs(4326)
    with pytest.raises(ValueError, match="layer is in EPSG:4326 but the park works in EPSG:4549"):
        tiny_park.save("roads", roads)


def test_save_park_requires_working_crs(tmp_path):
    with pytest.raises(ValueError, match="must include 'working_epsg'"):
        GeoPackageStore(tmp_path / "x.gpkg").save_park({}, {})
    assert not (tmp_path / "x.gpkg").exists()


def test_missing_file_says_how_to_build_one(tmp_path):
    store = GeoPackageStore(tmp_path / "none.gpkg")
    with pytest.raises(ParkStoreError, match="no park file here; build one with 'flask --app app demo"):
        store.load("parcels")


def test_corrupted_file_is_refused_with_the_path_named(tmp_path):
    path = tmp_path / "broken.gpkg"
    path.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    with pytest.raises(ParkStoreError, match="broken.gpkg: cannot be read as a GeoPackage"):
        GeoPackageStore(path).read_meta()


def test_truncated_park_is_refused_not_served_partially(tiny_park):
    data = tiny_park.path.read_bytes()
    tiny_park.path.write_bytes(data[: len(data) // 3])
    with pytest.raises(ParkStoreError, match="tiny.gpkg"):
        tiny_park.load_all()


def test_geopackage_without_park_metadata_is_not_a_park(tmp_path):
    path = tmp_path / "plain.gpkg"
    gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(0, 0)], crs=4549).to_file(path, layer="x")
    with pytest.raises(ParkStoreError, match="not a ParkAtlas park"):
        GeoPackageStore(path).read_meta()


def test_empty_spatial_layer_round_trips(tiny_park):
    empty = tiny_park.load("pipelines").iloc[0:0]
    tiny_park.save("pipelines", empty)
    loaded = tiny_park.load("pipelines")
    assert len(loaded) == 0 and loaded.crs.to_epsg() == 4549


def test_appending_multipolygons_to_a_polygon_layer_keeps_a_conformant_file(tiny_park):
    extra = tiny_park.load("parcels").iloc[:1].copy()
    extra["parcel_id"] = "P9"
    extra.geometry = [shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(2, 2, 3, 3)])]
    extra = extra.set_crs(4549, allow_override=True)
    tiny_park.save_layers({"parcels": extra}, append=("parcels",))  # warnings are errors in tests
    loaded = tiny_park.load("parcels")
    assert list(loaded["parcel_id"]) == ["P1", "P2", "P3", "P9"]
    assert list(loaded.geometry.geom_type) == ["Polygon", "Polygon", "Polygon", "MultiPolygon"]


def test_appending_rows_of_the_same_type_appends(tiny_park):
    extra = tiny_park.load("roads").iloc[:1].copy()
    extra["road_id"] = "R9"
    tiny_park.save_layers({"roads": extra}, append=("roads",))
    assert list(tiny_park.load("roads")["road_id"]) == ["R1", "R2", "R9"]


def test_metadata_and_layer_list_follow_changes_made_outside_the_store(tiny_park):
    """Read once per version of the file, they still see an edit made by another program (QGIS, sqlite3)."""
    import json
    import sqlite3
    from contextlib import closing

    assert tiny_park.read_meta()["park_name"] == "测试园区"
    assert "facilities" in tiny_park.layer_names()
    with closing(sqlite3.connect(tiny_park.path)) as db, db:
        db.execute("UPDATE parkatlas_meta SET value = ? WHERE key = 'park_name'", (json.dumps("改名园区"),))
    assert tiny_park.read_meta()["park_name"] == "改名园区"
    # A caller changing the dict it got back changes nothing in the store.
    tiny_park.read_meta()["park_name"] = "别的"
    assert tiny_park.read_meta()["park_name"] == "改名园区"
    # A layer the park lacked is listed once a save has added it.
    assert "leases" not in tiny_park.layer_names()
    tiny_park.save_layers({"leases": tiny_park.load("leases")})
    assert "leases" in tiny_park.layer_names()
