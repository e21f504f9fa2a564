"""A land register as a park office has it (GeoJSON in lon/lat, Chinese field names), with the idle list and
fees it gives for the end of 2025 worked out by hand, and a park written before valid time (schema 1).

Six 100 m × 100 m parcels near 121.4°E, all 出让 (granted). Judged as of 2025-12-31 with the national
rules (idle fee after one full year past the agreed start, 20 % of the land price; taken back after two):

=====  ==========  ============  ============  =======  =============================================
id     contract    agreed start  actual start  price    as of 2025-12-31
=====  ==========  ============  ============  =======  =============================================
A      2022-03-01  2022-09-01    —             500      idle_reclaim (2 years passed 2024-09-01), fee 100
B      2024-01-10  2024-07-01    —             300      idle_fee (1 year passed 2025-07-01), fee 60
C      2024-06-01  2025-03-01    2026-02-01    200      overdue (started only in 2026), no fee
D      2023-05-01  2023-11-01    2024-01-15    400      started, no fee
E      2026-03-01  2026-09-01    —             250      not yet true (valid from its contract): left out
F      —           —             —             —        planned, no own date: always true → not_supplied
=====  ==========  ============  ============  =======  =============================================

Idle since / days on 2025-12-31: A 2022-09-01, 1 217 days (1 096 to 2025-09-01, then 121);
B 2024-07-01, 548 days (365 + 183); C 2025-03-01, 305 days. Fees due: 100 + 60 = 160 万元.

Beside it, a buildings file (JZ1, a standard factory on D completed in 2025: true from 2025-01-01;
JZ2 on A, completed 2026: not yet there at the end of 2025) and a units table (U1 of 500 m² in JZ1,
never leased, no date of its own: vacant, since when unknown on a day before the import).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from contextlib import closing
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from tests.conftest import WORKING_EPSG, X0, Y0

LAST_YEAR_END = dt.date(2025, 12, 31)
#: The day the register is imported in the tests that fix it (ImportOptions(today=…)).
IMPORT_DAY = dt.date(2026, 6, 30)

REGISTER = pd.DataFrame({
    "宗地号": ["A", "B", "C", "D", "E", "F"],
    "供地方式": ["出让", "出让", "出让", "出让", "出让", None],
    "状态": ["supplied", "supplied", "under_construction", "under_construction", "supplied", "planned"],
    "用地性质": ["100101"] * 6,
    "合同签订日期": ["2022-03-01", "2024-01-10", "2024-06-01", "2023-05-01", "2026-03-01", None],
    "约定动工日期": ["2022-09-01", "2024-07-01", "2025-03-01", "2023-11-01", "2026-09-01", None],
    "实际动工日期": [None, None, "2026-02-01", "2024-01-15", None, None],
    "土地价款": [500.0, 300.0, 200.0, 400.0, 250.0, None],
})
#: What the analysis says of each parcel on 2025-12-31 (E is not in force).
IDLE_AT_LAST_YEAR_END = {"A": "idle_reclaim", "B": "idle_fee", "C": "overdue", "D": "started", "F": "not_supplied"}
FEES_AT_LAST_YEAR_END = {"A": 100.0, "B": 60.0}
IDLE_SINCE = {"A": ("2022-09-01", 1217), "B": ("2024-07-01", 548), "C": ("2025-03-01", 305)}


def register_geojson(path: Path) -> Path:
    """The register as GeoJSON in lon/lat (what a desktop GIS exports), one 100 m square per parcel."""
    squares = [shapely.box(X0 + 150 * i, Y0, X0 + 150 * i + 100, Y0 + 100) for i in range(len(REGISTER))]
    frame = gpd.GeoDataFrame(REGISTER, geometry=squares, crs=WORKING_EPSG).to_crs(4326)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_file(path, driver="GeoJSON")
    return path


def make_older_park(path: Path) -> None:
    """Turn the park at ``path`` into one written before valid time: no valid_from/valid_to, schema 1.

    Done with SQL as an older ParkAtlas left it: ``ALTER TABLE`` fires no trigger, so the
    layers keep their stamps (trusted loads need every declared column, so they validate).
    """
    with closing(sqlite3.connect(path)) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for table in sorted(tables):
            columns = {row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')}
            for column in ("valid_from", "valid_to"):
                if column in columns:
                    conn.execute(f'ALTER TABLE "{table}" DROP COLUMN {column}')
        conn.execute("UPDATE parkatlas_meta SET value = '1' WHERE key = 'schema_version'")
        conn.commit()


def buildings_geojson(path: Path) -> Path:
    """JZ1 (on D, completed 2025) and JZ2 (on A, completed 2026), 40 m × 40 m each, lon/lat."""
    def on(i: int):
        return shapely.box(X0 + 150 * i + 30, Y0 + 30, X0 + 150 * i + 70, Y0 + 70)

    frame = gpd.GeoDataFrame({"建筑编号": ["JZ1", "JZ2"], "用途": ["标准厂房", "厂房"], "状态": ["completed"] * 2,
                              "竣工年份": [2025, 2026], "层数": [2, 1], "建筑面积": [3200.0, 1600.0]},
                             geometry=[on(3), on(0)], crs=WORKING_EPSG).to_crs(4326)
    frame.to_file(path, driver="GeoJSON")
    return path


def units_csv(path: Path) -> Path:
    """U1: 500 m² of JZ1, leasable, never leased."""
    path.write_text("单元编号,建筑编号,面积,状态\nU1,JZ1,500,可租赁\n", encoding="utf-8")
    return path


def import_register(folder: Path, park, options) -> None:
    """The register, its buildings and units imported into ``park`` (created by the first import)."""
    from layers.io import import_layer

    import_layer(register_geojson(folder / "register.geojson"), "parcels", park=park, options=options)
    import_layer(buildings_geojson(folder / "buildings.geojson"), "buildings", park=park, options=options)
    import_layer(units_csv(folder / "units.csv"), "units", park=park, options=options)
