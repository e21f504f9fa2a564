"""PostGIS layer reads into Arrow through the ADBC driver (layers/postgis_arrow.py) give exactly the frames of the
COPY-as-CSV read (``PostGISStore._read_table``), in the snapshot of the reading transaction.

Every test runs against a real PostgreSQL + PostGIS (``postgis_store``) holding the tiny park of tests/conftest.py
with awkward values written through the store (and a few only psql can write).
"""

from __future__ import annotations

import pandas as pd
import pytest
import shapely
from conftest import TINY_META, X0, Y0, tiny_frames
from conftest_postgis import psql
from psycopg import sql

import layers.postgis as postgis_module
from layers.postgis_arrow import ArrowReader
from layers.registry import REGISTRY

#: Text a CSV reader could get wrong: separators, quotes, line breaks, Chinese, CSV's NULL spellings.
AWKWARD_NAMES = ['a,b "c"\n第二行', "-", "NA", "null", "\\N", '"', "逗号，分号；\t制表"]
MULTI = shapely.MultiPolygon([shapely.box(X0 + 400, Y0, X0 + 450, Y0 + 50),
                              shapely.box(X0 + 500, Y0, X0 + 550, Y0 + 50)])


def awkward_frames() -> dict[str, pd.DataFrame]:
    """The tiny park plus parcels whose names are :data:`AWKWARD_NAMES` (and one NULL name), one a multipolygon."""
    frames = tiny_frames()
    parcels = frames["parcels"]
    extra = parcels.iloc[[1] * (len(AWKWARD_NAMES) + 1)].copy()
    extra["parcel_id"] = [f"X{i}" for i in range(len(extra))]
    extra["name"] = [*AWKWARD_NAMES, None]
    extra["land_use_review"] = [True, False, None, True, False, None, True, False]
    extra["contract_date"] = pd.to_datetime(["2024-02-29", None, "1970-01-01", "1899-12-31", "2099-12-31",
                                             None, "2000-01-01", "2024-03-01"])
    extra["land_price_wan"] = [0.1, None, -0.0, 1e300, 5e-324, 123456789.123456789, 2.5, None]
    extra.geometry = [MULTI, *[shapely.box(X0 + 600 + 10 * i, Y0, X0 + 605 + 10 * i, Y0 + 5)
                               for i in range(len(extra) - 1)]]
    frames["parcels"] = pd.concat([parcels, extra], ignore_index=True)
    frames["buildings"] = pd.concat([frames["buildings"]] * 3, ignore_index=True)
    frames["buildings"]["building_id"] = ["B1", "B2", "B3"]
    frames["buildings"]["floors"] = pd.array([2, None, 9_000_000_000], dtype="Int64")
    return frames


@pytest.fixture
def awkward_pg(postgis_store):
    postgis_store.save_park(awkward_frames(), TINY_META)
    return postgis_store


@pytest.fixture
def arrow_reads(monkeypatch):
    """How many reads went through the ADBC driver (the test fails if the Arrow path was never taken)."""
    reads = []
    original = ArrowReader.read

    def counting(self, conn, query):
        reads.append(query)
        return original(self, conn, query)

    monkeypatch.setattr(ArrowReader, "read", counting)
    return reads


@pytest.fixture
def copy_reads(monkeypatch):
    """The queries read through COPY as CSV (``_read_csv``), for ``_read_table`` or as the Arrow read's fallback."""
    reads = []
    original = postgis_module.PostGISStore._read_csv

    def counting(self, conn, select, epsg):
        reads.append(select)
        return original(self, conn, select, epsg)

    monkeypatch.setattr(postgis_module.PostGISStore, "_read_csv", counting)
    return reads


def both_reads(store, name: str, bbox=None, where=None, only=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(COPY CSV frame, Arrow frame) of one read, in one REPEATABLE READ transaction."""
    with store.connection() as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        epsg = store._epsg(conn)
        old = store._read_table(conn, REGISTRY[name], epsg, bbox, where, only=only)
        new = store._read_snapshot(conn, REGISTRY[name], epsg, bbox, where, only=only)
    return old, new


def test_every_layer_reads_the_same_frame_through_arrow_as_through_copy(awkward_pg, arrow_reads, copy_reads):
    read = []
    for name in REGISTRY:
        if name not in awkward_pg.layer_names():
            continue
        read.append(name)
        old, new = both_reads(awkward_pg, name)
        pd.testing.assert_frame_equal(new, old, check_exact=True)
        assert len(new) == {"parcels": 11, "buildings": 3}.get(name, len(tiny_frames().get(name, [])))
    assert len(arrow_reads) == len(read) >= 8
    assert len(copy_reads) == len(read)  # the comparison's own reads: the Arrow read never fell back to COPY


def test_awkward_values_load_as_they_were_written(awkward_pg, arrow_reads):
    parcels = awkward_pg.load("parcels").set_index("parcel_id")
    names = [parcels.at[f"X{i}", "name"] for i in range(len(AWKWARD_NAMES))]
    assert names == AWKWARD_NAMES  # '' stays empty text, 'NA'/'null'/'\N' stay text
    assert pd.isna(parcels.at["X7", "name"])
    assert parcels.loc[["X0", "X1", "X2"], "land_use_review"].tolist() == [True, False, pd.NA]
    assert parcels.at["X0", "contract_date"] == pd.Timestamp("2024-02-29")
    assert parcels.at["X3", "contract_date"] == pd.Timestamp("1899-12-31")
    assert pd.isna(parcels.at["X1", "contract_date"])
    assert parcels.at["X5", "land_price_wan"] == 123456789.123456789
    assert parcels.at["X4", "land_price_wan"] == 5e-324
    assert str(parcels.at["X2", "land_price_wan"]) == "-0.0"
    assert pd.isna(parcels.at["X1", "land_price_wan"])
    assert shapely.equals_exact(parcels.at["X0", "geometry"], MULTI, tolerance=0)
    assert parcels.crs.to_epsg() == TINY_META["working_epsg"]
    floors = awkward_pg.load("buildings")["floors"]
    assert str(floors.dtype) == "Int64" and floors.tolist()[0] == 2 and floors.isna().tolist() == [False, True, False]
    assert floors.tolist()[2] == 9_000_000_000  # beyond int32
    assert arrow_reads


def test_values_only_psql_writes_read_the_same_both_ways(awkward_pg):
    psql(awkward_pg, "UPDATE {}.{} SET land_price_wan = 'NaN' WHERE parcel_id = 'X6'", awkward_pg.schema, "parcels")
    psql(awkward_pg, "UPDATE {}.{} SET land_price_wan = '-Infinity' WHERE parcel_id = 'X5'", awkward_pg.schema,
         "parcels")
    # The store writes an empty text as NULL; another client can store '' (the CSV tells them apart by quotes).
    psql(awkward_pg, "UPDATE {}.{} SET name = '' WHERE parcel_id = 'X1'", awkward_pg.schema, "parcels")
    old, new = both_reads(awkward_pg, "parcels")
    pd.testing.assert_frame_equal(new, old, check_exact=True)
    row = new.set_index("parcel_id")
    assert pd.isna(row.at["X6", "land_price_wan"]) and row.at["X5", "land_price_wan"] == float("-inf")
    assert row.at["X1", "name"] == "" and pd.isna(row.at["X7", "name"])


def test_box_condition_and_field_reads_are_the_same_both_ways(awkward_pg, arrow_reads):
    box = (X0 + 390, Y0 - 1, X0 + 560, Y0 + 60)  # the multipolygon only
    old, new = both_reads(awkward_pg, "parcels", bbox=box)
    pd.testing.assert_frame_equal(new, old, check_exact=True)
    assert new["parcel_id"].tolist() == ["X0"]
    assert awkward_pg.load("parcels", bbox=box)["parcel_id"].tolist() == ["X0"]
    ids = ['X1', 'X3', "no such, \"id'"]
    where = (sql.SQL("parcel_id = ANY(%s::text[]) OR name LIKE %s"), [ids, 'a,b "c"%'])
    old, new = both_reads(awkward_pg, "parcels", where=where)
    pd.testing.assert_frame_equal(new, old, check_exact=True)
    assert new["parcel_id"].tolist() == ["X0", "X1", "X3"]
    assert awkward_pg.read_rows("parcels", ids, id_prefixes=["P"])["parcel_id"].tolist() == [
        "P1", "P2", "P3", "X1", "X3"]
    old, new = both_reads(awkward_pg, "parcels", only=["parcel_id", "name", "contract_date"])
    pd.testing.assert_frame_equal(new, old, check_exact=True)
    assert list(new.columns) == ["parcel_id", "name", "contract_date"]
    fields = awkward_pg.load_fields("parcels", ["name", "land_use_review"])
    assert fields["name"].tolist()[3:10] == AWKWARD_NAMES
    empty_old, empty_new = both_reads(awkward_pg, "parcels", where=(sql.SQL("false"), []))
    pd.testing.assert_frame_equal(empty_new, empty_old, check_exact=True)
    assert len(empty_new) == 0 and str(empty_new["contract_date"].dtype) == "datetime64[ms]"
    assert len(arrow_reads) >= 6


def test_rows_come_from_the_snapshot_of_the_reading_transaction(awkward_pg, arrow_reads):
    """An edit committed after the transaction's first statement is not seen, as the trust stamp read then is not."""
    with awkward_pg.connection() as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        epsg = awkward_pg._epsg(conn)  # the snapshot is taken here
        psql(awkward_pg, "DELETE FROM {}.{} WHERE parcel_id = 'P2'", awkward_pg.schema, "parcels")
        before = awkward_pg._read_snapshot(conn, REGISTRY["parcels"], epsg, None)
    assert "P2" in before["parcel_id"].tolist() and arrow_reads
    assert "P2" not in awkward_pg.load("parcels")["parcel_id"].tolist()


def test_without_the_driver_the_store_reads_through_copy(awkward_pg, arrow_reads, monkeypatch):
    expected = awkward_pg.load("parcels")
    assert len(arrow_reads) == 1
    without = postgis_module.PostGISStore(awkward_pg.url, schema=awkward_pg.schema)
    monkeypatch.setattr(postgis_module, "driver_available", lambda: False)
    try:
        pd.testing.assert_frame_equal(without.load("parcels"), expected, check_exact=True)
    finally:
        without.close()
    assert len(arrow_reads) == 1


def test_a_column_of_another_type_is_read_through_copy(awkward_pg, arrow_reads, copy_reads):
    """int4 comes out of the driver as int32: the read goes through COPY, which types it as the registry says."""
    psql(awkward_pg, "UPDATE {}.{} SET floors = 3 WHERE building_id = 'B3'", awkward_pg.schema, "buildings")
    psql(awkward_pg, "ALTER TABLE {}.{} ALTER COLUMN floors TYPE integer", awkward_pg.schema, "buildings")
    old, new = both_reads(awkward_pg, "buildings")
    pd.testing.assert_frame_equal(new, old, check_exact=True)
    assert str(new["floors"].dtype) == "Int64"
    assert len(arrow_reads) == 1 and len(copy_reads) == 2  # the comparison's and the fallback
