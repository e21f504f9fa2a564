"""The store contract, run against both backends: GeoPackage and PostGIS behave the same.

Each test gets an empty store of each kind (``park_store``); what one backend
guarantees — lossless round trips, atomic saves, CRS refusal, typed empty layers,
a version that changes with every save — the other must too.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import TINY_META, WORKING_EPSG, X0, Y0, tiny_frames

import layers.store as store_module
from layers.postgis import PostGISStore
from layers.registry import REGISTRY
from layers.store import META_TABLE, GeoPackageStore, ParkStoreError
from layers.validate import LayerValidationError, validate_layer


@pytest.fixture(params=["gpkg", "postgis"])
def park_store(request, tmp_path):
    """An empty store (no park yet) of each backend."""
    if request.param == "gpkg":
        return GeoPackageStore(tmp_path / "park.gpkg")
    return request.getfixturevalue("postgis_store")


@pytest.fixture
def tiny_store(park_store):
    park_store.save_park(tiny_frames(), TINY_META)
    return park_store


def fail_after_writing(store, monkeypatch) -> None:
    """Make the store's layer writer raise after it has written (a disk or network failure mid-save)."""
    if isinstance(store, PostGISStore):
        real = PostGISStore._write_layer

        def write_then_fail(self, *args, **kwargs):
            real(self, *args, **kwargs)
            raise OSError("connection lost")

        monkeypatch.setattr(PostGISStore, "_write_layer", write_then_fail)
    else:
        real = store_module._write_frame

        def write_then_fail(*args, **kwargs):
            real(*args, **kwargs)
            raise OSError("connection lost")

        monkeypatch.setattr(store_module, "_write_frame", write_then_fail)


def assert_same_layer(loaded: pd.DataFrame, expected: pd.DataFrame) -> None:
    if "geometry" in expected:
        assert loaded.crs.to_epsg() == WORKING_EPSG
        assert list(loaded.geometry.geom_type) == list(expected.geometry.geom_type)
        assert shapely.equals_exact(loaded.geometry.to_numpy(), expected.geometry.to_numpy(), tolerance=0).all()
        expected, loaded = pd.DataFrame(expected.drop(columns="geometry")), pd.DataFrame(loaded.drop(columns="geometry"))
    pd.testing.assert_frame_equal(loaded, expected, check_exact=True)


def snapshot(store) -> dict[str, pd.DataFrame]:
    return store.load_all()


def assert_same_park(store, before: dict[str, pd.DataFrame]) -> None:
    after = snapshot(store)
    for name, frame in before.items():
        assert_same_layer(after[name], frame)


def test_every_layer_of_the_tiny_park_round_trips_exactly(tiny_store):
    for name, frame in tiny_frames().items():
        expected, _ = validate_layer(frame, REGISTRY[name], source="memory")
        assert_same_layer(tiny_store.load(name), expected)


def test_layer_names_are_the_saved_layers_and_the_metadata(tiny_store):
    assert set(tiny_store.layer_names()) == {*tiny_frames(), META_TABLE}


def hard_parcels() -> gpd.GeoDataFrame:
    """Values that break naive stores: CJK and quotes, text that looks like NULL, NULLs of every kind."""
    return gpd.GeoDataFrame(
        {
            "parcel_id": ["甲-001", "乙-002", "丙-003", "NA"],
            "name": ["浙江省台州湾新区·一号地块", None, "含'引号'与\"双引号\",逗号\n换行\\反斜杠 <b>标签</b>", "NULL"],
            "area_name": ["null", "N/A", "nan", "\\N"],
            "contract_date": pd.to_datetime(["2020-02-29", None, "1999-12-31", "1900-01-01"]),
            "land_price_wan": [0.1 + 0.2, np.nan, 1e-12, 1.7976931348623157e308],
            "developed_area_m2": [123456789.12345679, 0.0, 2.0**-40, np.nan],
            "site_levelled": pd.array([True, None, False, None], dtype="boolean"),
        },
        geometry=[
            shapely.box(0, 0, 10.123456789012, 10),
            shapely.MultiPolygon([shapely.box(20, 0, 30, 10), shapely.box(40, 0, 50, 10)]),
            shapely.Polygon([(60, 0), (70, 0), (70, 10), (60, 10)], holes=[[(62, 2), (64, 2), (64, 4), (62, 2)]]),
            shapely.box(X0 + 0.000001, Y0 + 1 / 3, X0 + 7.0000000001, Y0 + 2 / 3),
        ],
        crs=WORKING_EPSG,
    )


def test_chinese_text_nulls_dates_multipolygons_and_float_precision_survive(park_store):
    parcels = hard_parcels()
    park_store.save_park({"parcels": parcels}, {"working_epsg": WORKING_EPSG})
    loaded = park_store.load("parcels")
    assert list(loaded["parcel_id"]) == ["甲-001", "乙-002", "丙-003", "NA"]
    assert list(loaded["name"].fillna("<missing>")) == [
        "浙江省台州湾新区·一号地块", "<missing>", "含'引号'与\"双引号\",逗号\n换行\\反斜杠 <b>标签</b>", "NULL"]
    assert list(loaded["area_name"]) == ["null", "N/A", "nan", "\\N"]  # text, not NULL
    assert list(loaded["contract_date"]) == [pd.Timestamp("2020-02-29"), pd.NaT, pd.Timestamp("1999-12-31"),
                                             pd.Timestamp("1900-01-01")]
    prices = loaded["land_price_wan"].to_numpy()
    assert prices[0] == 0.1 + 0.2 and prices[2] == 1e-12 and prices[3] == 1.7976931348623157e308  # bit-exact
    assert np.isnan(prices[1])
    developed = loaded["developed_area_m2"].to_numpy()
    assert developed[0] == 123456789.12345679 and developed[2] == 2.0**-40 and np.isnan(developed[3])
    assert list(loaded["site_levelled"].astype(object).fillna("NA")) == [True, "NA", False, "NA"]
    assert list(loaded.geometry.geom_type) == ["Polygon", "MultiPolygon", "Polygon", "Polygon"]
    assert shapely.equals_exact(loaded.geometry.to_numpy(), parcels.geometry.to_numpy(), tolerance=0).all()
    assert len(loaded.geometry.iloc[2].interiors) == 1


def test_integers_at_their_bounds_and_missing_survive(park_store):
    units = pd.DataFrame({"unit_id": ["U1", "U2", "U3"], "floor": [-5, None, 200]})
    park_store.save_park({"units": units}, {"working_epsg": WORKING_EPSG})
    floors = park_store.load("units")["floor"]
    assert str(floors.dtype) == "Int64"
    assert floors.iloc[0] == -5 and pd.isna(floors.iloc[1]) and floors.iloc[2] == 200


def test_meta_is_kept_with_schema_version(tiny_store):
    assert tiny_store.read_meta() == {**TINY_META, "schema_version": store_module.SCHEMA_VERSION}
    assert tiny_store.working_crs().to_epsg() == WORKING_EPSG


def test_absent_layer_loads_empty_and_typed(tiny_store):
    leases = tiny_store.load("leases")
    assert len(leases) == 0
    assert str(leases["start"].dtype) == "datetime64[ms]"
    assert str(leases["rent_yuan_m2_month"].dtype) == "float64"
    cases = tiny_store.load("cases")
    assert list(cases.columns) == list(REGISTRY["cases"].field_names)
    assert len(tiny_store.load("pipelines")) == 1
    empty_spatial = tiny_store.load("cases")
    assert not isinstance(empty_spatial, gpd.GeoDataFrame)


def test_absent_spatial_layer_is_empty_in_the_working_crs(park_store):
    park_store.save_park({"units": tiny_frames()["units"]}, TINY_META)
    parcels = park_store.load("parcels")
    assert len(parcels) == 0 and parcels.crs.to_epsg() == WORKING_EPSG
    assert str(parcels["site_levelled"].dtype) == "boolean"


def test_save_replaces_one_layer_keeps_the_others_and_changes_the_version(tiny_store):
    version = tiny_store.version()
    assert tiny_store.version() == version  # stable while nothing changes
    roads = tiny_store.load("roads")
    roads.loc[roads["road_id"] == "R2", "status"] = "completed"
    tiny_store.save("roads", roads)
    assert list(tiny_store.load("roads")["status"]) == ["completed", "completed"]
    assert len(tiny_store.load("parcels")) == 3
    assert tiny_store.version() != version


def test_save_park_replaces_the_whole_park(tiny_store):
    version = tiny_store.version()
    tiny_store.save_park({"parcels": tiny_frames()["parcels"].iloc[:1]}, {"working_epsg": WORKING_EPSG})
    assert set(tiny_store.layer_names()) == {"parcels", META_TABLE}
    assert list(tiny_store.load("parcels")["parcel_id"]) == ["P1"]
    assert len(tiny_store.load("roads")) == 0
    assert tiny_store.read_meta() == {"working_epsg": WORKING_EPSG, "schema_version": store_module.SCHEMA_VERSION}
    assert tiny_store.version() != version


def test_failed_save_leaves_the_previous_state(tiny_store, monkeypatch):
    before, version = snapshot(tiny_store), tiny_store.version()
    fail_after_writing(tiny_store, monkeypatch)
    with pytest.raises(OSError, match="connection lost"):
        tiny_store.save("roads", tiny_store.load("roads").iloc[:1])
    with pytest.raises(OSError, match="connection lost"):
        tiny_store.save_park({"parcels": tiny_frames()["parcels"].iloc[:1]}, TINY_META)
    monkeypatch.undo()
    assert tiny_store.version() == version
    assert_same_park(tiny_store, before)


def test_invalid_layer_is_not_written(tiny_store):
    before, version = snapshot(tiny_store), tiny_store.version()
    roads = tiny_store.load("roads")
    roads["status"] = roads["status"].astype(object)
    roads.loc[0, "status"] = "paved"
    with pytest.raises(LayerValidationError, match="field status: unknown value"):
        tiny_store.save("roads", roads)
    bad_park = {**tiny_frames(), "roads": roads}
    with pytest.raises(LayerValidationError, match="field status: unknown value"):
        tiny_store.save_park(bad_park, TINY_META)
    assert tiny_store.version() == version
    assert_same_park(tiny_store, before)


def test_layer_in_another_crs_is_refused(tiny_store):
    roads = tiny_store.load("roads").to_crs(4326)
    with pytest.raises(ValueError, match="layer is in EPSG:4326 but the park works in EPSG:4549"):
        tiny_store.save("roads", roads)
    frames = {**tiny_frames(), "roads": roads}
    with pytest.raises(ValueError, match="layer is in EPSG:4326 but the park works in EPSG:4549"):
        tiny_store.save_park(frames, TINY_META)
    assert tiny_store.load("roads").crs.to_epsg() == WORKING_EPSG


def test_save_park_requires_working_crs_and_creates_nothing(park_store):
    with pytest.raises(ValueError, match="must include 'working_epsg'"):
        park_store.save_park({}, {})
    assert not park_store.exists()


def test_reading_where_there_is_no_park_is_an_error_that_says_so(park_store):
    assert not park_store.exists()
    with pytest.raises(ParkStoreError, match="flask --app app"):
        park_store.load("parcels")
    with pytest.raises(ParkStoreError):
        park_store.version()


def test_empty_spatial_layer_round_trips(tiny_store):
    tiny_store.save("pipelines", tiny_store.load("pipelines").iloc[0:0])
    loaded = tiny_store.load("pipelines")
    assert len(loaded) == 0 and loaded.crs.to_epsg() == WORKING_EPSG


def test_bbox_returns_features_whose_geometry_intersects_it(tiny_store):
    # A diagonal road whose envelope covers the box's corner although the line misses the box.
    roads = tiny_store.load("roads")
    diagonal = gpd.GeoDataFrame(
        {"road_id": ["R3"], "status": ["planned"]},
        geometry=[shapely.LineString([(X0 + 150, Y0 + 500), (X0 + 600, Y0 + 50)])], crs=WORKING_EPSG)
    tiny_store.save("roads", pd.concat([roads, diagonal], ignore_index=True))
    box = (X0 + 120, Y0 + 40, X0 + 170, Y0 + 120)  # inside P2, touching P3's edge? no: P3 spans x 0–100
    assert list(tiny_store.load("parcels", bbox=box)["parcel_id"]) == ["P2"]
    assert list(tiny_store.load("roads", bbox=box)["road_id"]) == []
    touching = (X0 + 100, Y0 + 100, X0 + 150, Y0 + 150)  # shares only the corner point with P1 and P2
    assert list(tiny_store.load("parcels", bbox=touching)["parcel_id"]) == ["P1", "P2", "P3"]
    assert list(tiny_store.load("roads", bbox=(X0 + 350, Y0 + 250, X0 + 450, Y0 + 350))["road_id"]) == ["R3"]


def test_save_layers_replaces_several_layers_at_once_or_none(tiny_store, monkeypatch):
    roads, pipelines = tiny_store.load("roads").iloc[:1], tiny_store.load("pipelines").iloc[0:0]
    version = tiny_store.version()
    tiny_store.save_layers({"roads": roads, "pipelines": pipelines})
    assert list(tiny_store.load("roads")["road_id"]) == ["R1"] and len(tiny_store.load("pipelines")) == 0
    assert tiny_store.version() != version
    before, version = snapshot(tiny_store), tiny_store.version()
    fail_after_writing(tiny_store, monkeypatch)
    with pytest.raises(OSError, match="connection lost"):
        tiny_store.save_layers({"units": tiny_store.load("units").iloc[0:0], "roads": tiny_store.load("roads")})
    monkeypatch.undo()
    assert tiny_store.version() == version
    assert_same_park(tiny_store, before)


def test_save_layers_appends_rows_to_the_layers_named(tiny_store):
    more = pd.DataFrame({"enterprise_id": ["E3"], "name": ["丙公司"]})
    plot = gpd.GeoDataFrame({"parcel_id": ["P4"], "status": ["planned"]},
                            geometry=[shapely.box(X0 + 400, Y0, X0 + 450, Y0 + 50)], crs=WORKING_EPSG)
    tiny_store.save_layers({"enterprises": more, "parcels": plot}, append=("enterprises", "parcels"))
    assert list(tiny_store.load("enterprises")["name"]) == ["甲公司", "乙公司", "丙公司"]
    parcels = tiny_store.load("parcels")
    assert list(parcels["parcel_id"]) == ["P1", "P2", "P3", "P4"]
    assert parcels.geometry.iloc[3].equals(plot.geometry.iloc[0])
    tiny_store.save_layers({"enterprises": more.assign(enterprise_id="E4")}, append=("enterprises",))
    assert list(tiny_store.load("enterprises")["enterprise_id"]) == ["E1", "E2", "E3", "E4"]


def test_write_lock_is_reentrant_and_keeps_other_writers_out(tiny_store):
    import threading

    lock = tiny_store.write_lock()
    acquired = threading.Event()

    def other_writer():
        with tiny_store.write_lock():
            acquired.set()

    with lock, tiny_store.write_lock():  # re-entrant in one thread
        thread = threading.Thread(target=other_writer)
        thread.start()
        assert not acquired.wait(0.5)  # kept out while held
        tiny_store.save("roads", tiny_store.load("roads"))  # the holder can still save
    assert acquired.wait(10)
    thread.join(10)


# -- the typed contract (layers.contract) ---------------------------------------------------------------------


def every_protocol_member() -> set[str]:
    from layers.contract import ParkStore

    return {name for name in vars(ParkStore) if not name.startswith("_")}


def test_both_stores_and_the_audited_wrapper_keep_the_contract(tiny_store):
    from layers.audit import AuditedStore
    from layers.contract import DatabasePark, ParkStore, TileMaker

    audited = AuditedStore(tiny_store)
    for store in (tiny_store, audited):
        assert isinstance(store, ParkStore)
        missing = [name for name in every_protocol_member() if not callable(getattr(type(store), name, None))
                   and not isinstance(getattr(type(store), name, None), property)]
        assert missing == [], f"{type(store).__name__} lacks {missing}"
    # The wrapper passes its store's capabilities on, and looks through to the store itself.
    assert audited.capabilities == tiny_store.capabilities and audited.unaudited is tiny_store
    assert audited.read_meta() == tiny_store.read_meta() and audited.version() == tiny_store.version()
    capabilities = tiny_store.capabilities
    if isinstance(tiny_store, PostGISStore):
        assert capabilities.file is None and capabilities.database is tiny_store and capabilities.tiles is tiny_store
        assert isinstance(capabilities.database, DatabasePark) and isinstance(capabilities.tiles, TileMaker)
    else:
        assert capabilities.file == tiny_store.path and capabilities.database is None and capabilities.tiles is None
        assert not isinstance(tiny_store, TileMaker)  # a GeoPackage park's tiles are cut in Python


def test_the_audited_wrapper_forwards_no_attribute_it_does_not_declare(tiny_store):
    from layers.audit import AuditedStore

    with pytest.raises(AttributeError):
        AuditedStore(tiny_store).connection  # noqa: B018 (the database is reached through capabilities.database)
    with pytest.raises(AttributeError):
        AuditedStore(tiny_store).mvt_tile  # noqa: B018


def test_close_and_migrate_are_asked_of_every_store(tiny_store):
    from layers.stores import close_store, migrate_store

    assert migrate_store(tiny_store) is False  # written by this version: nothing to migrate
    close_store(tiny_store)
    assert tiny_store.read_meta()["park_name"] == TINY_META["park_name"]  # usable again after close
