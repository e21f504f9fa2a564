"""What only the PostGIS store has: typed tables and indexes, migration, isolation, connection errors.

The behaviour shared with the GeoPackage store is in test_layers_store_contract.py.
"""

from __future__ import annotations

import os
import threading

import pytest
from conftest import TINY_META, WORKING_EPSG, tiny_frames

from layers.postgis import STATE_TABLE, PostGISStore, safe_url, split_schema
from layers.store import META_TABLE, SCHEMA_VERSION, GeoPackageStore, ParkStoreError
from layers.stores import describe, open_store


@pytest.fixture
def tiny_pg(postgis_store):
    postgis_store.save_park(tiny_frames(), TINY_META)
    return postgis_store


def column_types(store: PostGISStore, table: str) -> dict[str, str]:
    with store.connection() as conn:
        rows = conn.execute(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
            "WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped",
            (f"{store.schema}.{table}",),
        ).fetchall()
    return dict(rows)


def test_tables_have_the_registry_types_and_the_park_crs(tiny_pg):
    types = column_types(tiny_pg, "parcels")
    assert types["parcel_id"] == "text"
    assert types["status"] == "text"
    assert types["land_price_wan"] == "double precision"
    assert types["contract_date"] == "date"
    assert types["site_levelled"] == "boolean"
    assert types["geometry"] == f"geometry(Polygon,{WORKING_EPSG})"
    assert column_types(tiny_pg, "units")["floor"] == "bigint"
    assert column_types(tiny_pg, "roads")["geometry"] == f"geometry(LineString,{WORKING_EPSG})"
    assert column_types(tiny_pg, "facilities")["geometry"] == f"geometry(Point,{WORKING_EPSG})"


def test_mixed_single_and_multi_parts_get_a_generic_geometry_column(tiny_pg):
    import shapely

    parcels = tiny_pg.load("parcels")
    parcels.loc[2, "geometry"] = shapely.MultiPolygon([parcels.geometry.iloc[2]])
    tiny_pg.save("parcels", parcels)
    assert column_types(tiny_pg, "parcels")["geometry"] == f"geometry(Geometry,{WORKING_EPSG})"
    assert list(tiny_pg.load("parcels").geometry.geom_type) == ["Polygon", "Polygon", "MultiPolygon"]


def test_spatial_tables_have_a_gist_index_and_ids_are_unique(tiny_pg):
    with tiny_pg.connection() as conn:
        indexes = dict(conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s", (tiny_pg.schema,)).fetchall())
    for layer in ("parcels", "buildings", "roads", "pipelines", "facilities", "zones"):
        assert "USING gist (geometry)" in indexes[f"{layer}_geometry_gist"]
    assert any("UNIQUE" in d and "(parcel_id)" in d for d in indexes.values())
    assert not any("gist" in d for name, d in indexes.items() if name.startswith("units"))


def test_every_save_bumps_the_counter_and_a_new_park_keeps_counting(tiny_pg):
    park_uuid, counter = tiny_pg.version().split(".")
    tiny_pg.save("roads", tiny_pg.load("roads"))
    assert tiny_pg.version() == f"{park_uuid}.{int(counter) + 1}"
    tiny_pg.save_park(tiny_frames(), TINY_META)
    new_uuid, new_counter = tiny_pg.version().split(".")
    assert new_uuid != park_uuid and int(new_counter) == int(counter) + 2


def test_schema_that_is_not_a_park_is_neither_read_nor_overwritten(postgis_store):
    with postgis_store.connection() as conn:
        conn.execute(postgis_store._sql("CREATE SCHEMA {}", postgis_store.schema))
        conn.execute(postgis_store._sql("CREATE TABLE {}.{} (x int)", postgis_store.schema, "payroll"))
    with pytest.raises(ParkStoreError, match="not a ParkAtlas park"):
        postgis_store.read_meta()
    with pytest.raises(ParkStoreError, match="holds tables but no ParkAtlas park"):
        postgis_store.save_park(tiny_frames(), TINY_META)
    with postgis_store.connection() as conn:
        assert conn.execute("SELECT to_regclass(%s)", (f"{postgis_store.schema}.payroll",)).fetchone()[0]


def test_migration_adds_missing_columns_indexes_and_records_versions(tiny_pg):
    with tiny_pg.connection() as conn:
        conn.execute(tiny_pg._sql("ALTER TABLE {}.{} DROP COLUMN far_max", tiny_pg.schema, "parcels"))
        conn.execute(tiny_pg._sql("DROP INDEX {}.{}", tiny_pg.schema, "roads_geometry_gist"))
        conn.execute(tiny_pg._sql("UPDATE {}.{} SET value = '0' WHERE key = 'schema_version'",
                                  tiny_pg.schema, META_TABLE))
        conn.execute(tiny_pg._sql("UPDATE {}.{} SET layout_version = 0", tiny_pg.schema, STATE_TABLE))
    # A table written before a field was declared still loads; the field comes back empty.
    assert tiny_pg.load("parcels")["far_max"].isna().all()
    version = tiny_pg.version()
    assert tiny_pg.migrate() is True
    assert column_types(tiny_pg, "parcels")["far_max"] == "double precision"
    with tiny_pg.connection() as conn:
        assert conn.execute("SELECT 1 FROM pg_indexes WHERE schemaname = %s AND indexname = 'roads_geometry_gist'",
                            (tiny_pg.schema,)).fetchone()
        layout = conn.execute(tiny_pg._sql("SELECT layout_version FROM {}.{}", tiny_pg.schema, STATE_TABLE)).fetchone()
    assert layout[0] == 2
    assert tiny_pg.read_meta()["schema_version"] == SCHEMA_VERSION
    assert tiny_pg.version() != version
    assert tiny_pg.migrate() is False  # idempotent


def test_migration_leaves_a_schema_without_a_park_alone(postgis_store):
    assert postgis_store.migrate() is False
    assert not postgis_store.exists()


def test_readers_see_the_previous_layer_while_a_save_runs(tiny_pg, monkeypatch):
    written, release = threading.Event(), threading.Event()
    real = PostGISStore._write_layer

    def slow_write(self, *args, **kwargs):
        real(self, *args, **kwargs)
        written.set()
        release.wait(20)

    monkeypatch.setattr(PostGISStore, "_write_layer", slow_write)
    roads = tiny_pg.load("roads").iloc[:1]
    saver = threading.Thread(target=tiny_pg.save, args=("roads", roads))
    saver.start()
    try:
        assert written.wait(20)
        assert list(tiny_pg.load("roads")["road_id"]) == ["R1", "R2"]  # not blocked, not half-written
    finally:
        release.set()
        saver.join(20)
    assert list(tiny_pg.load("roads")["road_id"]) == ["R1"]


def test_unreachable_server_is_named_without_its_password(free_port_url):
    store = PostGISStore(free_port_url)
    with pytest.raises(ParkStoreError, match=r"cannot connect to PostgreSQL at postgresql://u:\*\*\*@127\.0\.0\.1"):
        store.read_meta()


@pytest.fixture
def free_port_url():
    from layers.pgcluster import free_port

    return f"postgresql://u:secret@127.0.0.1:{free_port()}/nowhere?connect_timeout=2"


def test_bad_schema_names_are_refused():
    for name in ("Park", "1park", "park;drop", "p" * 51, ""):
        with pytest.raises(ValueError, match="invalid park schema name"):
            PostGISStore("postgresql://localhost/x", schema=name)
    PostGISStore("postgresql://localhost/x", schema="p" * 50)


def test_open_store_picks_the_backend_from_the_location(tmp_path):
    gpkg = open_store(tmp_path / "a.gpkg")
    assert isinstance(gpkg, GeoPackageStore) and gpkg.path == tmp_path / "a.gpkg"
    pg = open_store("postgresql://me:pw@db.example:5433/gis?schema=zone_7&sslmode=require")
    assert isinstance(pg, PostGISStore)
    assert pg.schema == "zone_7" and pg.url == "postgresql://me:pw@db.example:5433/gis?sslmode=require"
    assert open_store("postgres://db/gis").schema == "park"
    assert open_store("postgresql://db/gis?schema=a", schema="b").schema == "b"
    with pytest.raises(ValueError, match="unsupported park location"):
        open_store("mysql://db/gis")
    with pytest.raises(ValueError, match=r"must be a GeoPackage named \*\.gpkg"):
        open_store(tmp_path / "park.shp")


def test_passwords_never_reach_messages():
    assert safe_url("postgresql://me:s3cret@h:5/d") == "postgresql://me:***@h:5/d"
    assert safe_url("postgresql://me@h/d") == "postgresql://me@h/d"
    assert describe("postgresql://me:s3cret@h/d?schema=x") == "postgresql://me:***@h/d?schema=x"
    assert split_schema("postgresql://h/d?schema=x") == ("postgresql://h/d", "x")
    assert "s3cret" not in repr(PostGISStore("postgresql://me:s3cret@h/d"))


def test_appending_multipolygons_to_a_polygon_table_rebuilds_it_with_a_generic_column(tiny_pg):
    import geopandas as gpd
    import shapely
    from conftest import X0, Y0

    multi = gpd.GeoDataFrame({"parcel_id": ["P4"], "status": ["planned"]},
                             geometry=[shapely.MultiPolygon([shapely.box(X0 + 400, Y0, X0 + 450, Y0 + 50),
                                                             shapely.box(X0 + 460, Y0, X0 + 500, Y0 + 50)])],
                             crs=WORKING_EPSG)
    tiny_pg.save_layers({"parcels": multi}, append=("parcels",))
    assert column_types(tiny_pg, "parcels")["geometry"] == f"geometry(Geometry,{WORKING_EPSG})"
    parcels = tiny_pg.load("parcels")
    assert list(parcels.geometry.geom_type) == ["Polygon", "Polygon", "Polygon", "MultiPolygon"]
    assert list(parcels["parcel_id"]) == ["P1", "P2", "P3", "P4"]


def test_appending_a_duplicate_id_is_refused_and_changes_nothing(tiny_pg):
    import pandas as pd

    version = tiny_pg.version()
    with pytest.raises(ParkStoreError, match=r"enterprises: appended rows refused, ids must be unique.*\(enterprise_id\)=\(E1\) already exists"):
        tiny_pg.save_layers({"enterprises": pd.DataFrame({"enterprise_id": ["E1"], "name": ["重复"]})},
                            append=("enterprises",))
    assert tiny_pg.version() == version and list(tiny_pg.load("enterprises")["name"]) == ["甲公司", "乙公司"]


def _durability(url: str) -> dict[str, str]:
    import psycopg

    with psycopg.connect(url) as conn:
        return {name: conn.execute(f"SHOW {name}").fetchone()[0]
                for name in ("fsync", "synchronous_commit", "full_page_writes")}


def test_a_durable_cluster_flushes_its_commits_and_the_throwaway_one_does_not(postgis_url):
    """The benchmark's PostGIS (``durable=True``) commits as a deployment does; the tests' cluster does not."""
    from layers.pgcluster import ThrowawayCluster

    if not os.environ.get("PARKATLAS_TEST_DATABASE_URL"):  # (an outside server's settings are its own)
        assert _durability(postgis_url) == {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
    durable = ThrowawayCluster(durable=True)
    durable.start()
    try:
        assert _durability(durable.url) == {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
    finally:
        durable.stop()
