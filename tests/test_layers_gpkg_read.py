"""A few records read through plain SQLite (``layers.gpkg_read``) are the frame GDAL reads, or GDAL reads them."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from real_data import REAL

from layers import gpkg_read
from layers.gpkg_blob import register_functions
from layers.gpkg_rows import primary_key
from layers.io import ImportOptions, import_layer
from layers.registry import REGISTRY
from layers.store import GeoPackageStore, read_few_stamped, read_layer, trusted_stamp

PRAGUE = REAL / "momepy_bubenec_prague" / "bubenec.gpkg"
KOTKA = REAL / "osm_karhula_kotka" / "derived" / "karhula_kotka_etrs_tm35fin.gpkg"


def feature_tables(path: Path) -> list[str]:
    with closing(sqlite3.connect(path)) as conn:
        return [row[0] for row in conn.execute("SELECT table_name FROM gpkg_contents WHERE data_type IN "
                                               "('features', 'attributes') ORDER BY table_name")]


def some_fids(path: Path, table: str, count: int = 9) -> list[int]:
    with closing(sqlite3.connect(path)) as conn:
        key = primary_key(conn, table)
        fids = [row[0] for row in conn.execute(f'SELECT "{key}" FROM "{table}" ORDER BY 1')]
    step = max(1, len(fids) // count)
    return fids[::step][:count][::-1]  # asked out of order: both readers answer in stored order


def assert_same_frame(fast: pd.DataFrame, slow: pd.DataFrame) -> None:
    assert list(fast.columns) == list(slow.columns)
    assert dict(fast.dtypes.astype(str)) == dict(slow.dtypes.astype(str))
    if isinstance(slow, gpd.GeoDataFrame):
        assert isinstance(fast, gpd.GeoDataFrame)
        assert fast.crs == slow.crs
        assert shapely.equals_exact(fast.geometry.to_numpy(), slow.geometry.to_numpy(), tolerance=0).all()
        fast, slow = pd.DataFrame(fast.drop(columns="geometry")), pd.DataFrame(slow.drop(columns="geometry"))
    pd.testing.assert_frame_equal(fast, slow)


@pytest.fixture(scope="module")
def prague_park(tmp_path_factory) -> Path:
    """A park imported from a real cadastre (parcels, buildings, streets)."""
    park = tmp_path_factory.mktemp("prague") / "park.gpkg"
    for layer, source_layer in (("parcels", "plots"), ("buildings", "buildings"), ("roads", "streets")):
        import_layer(PRAGUE, layer, park=park, options=ImportOptions(source_layer=source_layer))
    return park


def test_every_layer_of_the_demo_park_reads_as_gdal_reads_it(demo_park):
    tables = [t for t in feature_tables(demo_park.path) if t in REGISTRY]
    assert {"parcels", "buildings", "leases", "units", "enterprises", "cases", "roads", "pipelines"} <= set(tables)
    for table in tables:
        fids = some_fids(demo_park.path, table)
        few = read_few_stamped(demo_park.path, table, fids=fids)
        assert few is not None, table
        assert len(few[0]) == len(fids)
        assert_same_frame(few[0], read_layer(demo_park.path, table, fids=fids))


def test_a_park_imported_from_real_files_reads_as_gdal_reads_it(prague_park):
    for table in ("parcels", "buildings", "roads"):
        fids = some_fids(prague_park, table)
        few = read_few_stamped(prague_park, table, fids=fids)
        assert few is not None, table
        assert_same_frame(few[0], read_layer(prague_park, table, fids=fids))
        where = "fid IN (2, 3, 5)"
        few = read_few_stamped(prague_park, table, where=where)
        assert few is not None and len(few[0]) == 3
        assert_same_frame(few[0], read_layer(prague_park, table, where=where))


@pytest.mark.parametrize("source", [PRAGUE, KOTKA], ids=["prague", "kotka"])
def test_a_geopackage_nobody_here_made_reads_as_gdal_or_through_gdal(source, tmp_path):
    """Files from elsewhere hold types the store never writes (DATETIME, MEDIUMINT…): where read here, the
    same frame; where not, None (the store then reads them through GDAL)."""
    path = tmp_path / source.name
    shutil.copy(source, path)
    read_here = []
    for table in feature_tables(path):
        fids = some_fids(path, table)
        few = read_few_stamped(path, table, fids=fids)
        if few is not None:
            read_here.append(table)
            assert_same_frame(few[0], read_layer(path, table, fids=fids))
    assert read_here  # the check above ran on something


def write_outside(path: Path, sql: str, *args) -> None:
    """A write as QGIS makes it (its SQLite has the R-tree triggers' ST_* functions)."""
    with closing(register_functions(sqlite3.connect(path))) as conn, conn:
        conn.execute(sql, args)


def test_the_stamp_is_read_with_the_records(tiny_park):
    path = tiny_park.path
    frame, stamp = read_few_stamped(path, "parcels", fids=[1])
    assert stamp == trusted_stamp(path, "parcels") and stamp is not None
    write_outside(path, "UPDATE parcels SET name = 'outside' WHERE fid = 1")  # its trigger counts it
    frame, stamp = read_few_stamped(path, "parcels", fids=[1])
    assert stamp is None
    assert frame["name"].tolist() == ["outside"]


@pytest.mark.parametrize(("sql", "args"), [
    ("UPDATE parcels SET name = ? WHERE fid = 1", (b"\x00\xff",)),             # bytes in a TEXT column
    ("UPDATE parcels SET contract_date = ? WHERE fid = 1", ("2021/3/1",)),     # not YYYY-MM-DD
    ("UPDATE parcels SET contract_date = ? WHERE fid = 1", ("20210301",)),     # Python reads it, GDAL does not
    ("UPDATE parcels SET land_price_wan = ? WHERE fid = 1", ("many",)),        # text in a REAL column
    ("UPDATE parcels SET site_levelled = ? WHERE fid = 1", (2,)),              # a BOOLEAN neither 0 nor 1
    ("UPDATE parcels SET geom = ? WHERE fid = 1", (b"GP\x00\x11\x00\x00\x00\x00",)),  # an empty geometry
])
def test_values_gdal_reads_otherwise_are_read_through_gdal(tiny_park, sql, args):
    path = tiny_park.path
    fids = [1, 2]
    assert read_few_stamped(path, "parcels", fids=fids) is not None
    write_outside(path, sql, *args)
    assert read_few_stamped(path, "parcels", fids=fids) is None
    assert read_few_stamped(path, "parcels", fids=[2]) is not None  # the other record is plain


def test_a_declared_type_gdal_reads_otherwise_is_read_through_gdal(tiny_park):
    write_outside(tiny_park.path, "ALTER TABLE parcels ADD COLUMN surveyed DATETIME")
    assert read_few_stamped(tiny_park.path, "parcels", fids=[1]) is None


def test_more_than_a_few_records_are_read_through_gdal(tiny_park, monkeypatch):
    path = tiny_park.path
    count = len(pyogrio.read_dataframe(path, layer="parcels", read_geometry=False))
    monkeypatch.setattr(gpkg_read, "FEW_RECORDS", count)
    assert len(read_few_stamped(path, "parcels", where="1 = 1")[0]) == count
    assert len(read_few_stamped(path, "parcels", fids=list(range(1, count + 1)))[0]) == count
    monkeypatch.setattr(gpkg_read, "FEW_RECORDS", count - 1)
    assert read_few_stamped(path, "parcels", where="1 = 1") is None
    assert read_few_stamped(path, "parcels", fids=list(range(1, count + 1))) is None


@pytest.mark.filterwarnings("ignore:Non-conformant content:RuntimeWarning")  # GDAL's, on 2021/3/1
def test_the_store_reads_a_record_edited_outside_as_gdal_types_it(tiny_park):
    """The fallback end to end: a date written outside as 2021/3/1 is read through GDAL, which takes it (this
    module's reader would not), as the whole layer's read gives it."""
    write_outside(tiny_park.path, "UPDATE parcels SET contract_date = ? WHERE parcel_id = 'P1'", "2021/3/1")
    assert read_few_stamped(tiny_park.path, "parcels", fids=[1]) is None
    store = GeoPackageStore(tiny_park.path)
    record = store.read_rows("parcels", ["P1"])
    assert record["parcel_id"].tolist() == ["P1"]
    assert record["contract_date"].tolist() == [pd.Timestamp("2021-03-01")]
    assert_same_frame(record, store.load("parcels").query("parcel_id == 'P1'").reset_index(drop=True))
