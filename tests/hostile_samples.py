"""Hostile uploads that cost time or memory rather than reach other files: built at any size.

Shared by the regression tests (small sizes that still cross each limit) and by
``bench/bench_hostile.py`` (the sizes of the issue's corpus).
"""

from __future__ import annotations

import sqlite3
import zipfile
from pathlib import Path

import geopandas as gpd
import shapely

#: Where the samples' geometries lie: CGCS2000 3° GK CM 120°E, as the tiny park.
EPSG = 4549
X0, Y0 = 636_000.0, 3_171_000.0


def csv_columns(path: Path, columns: int) -> Path:
    """A CSV whose header has ``columns`` columns, and one row (10⁶ columns ≈ 9.9 MB)."""
    header = ",".join(f"c{i}" for i in range(columns))
    path.write_text(header + "\n" + ",".join("1" for _ in range(columns)) + "\n", encoding="utf-8")
    return path


def xlsx_bomb_in_zip(path: Path, *, inflated_mb: int) -> Path:
    """A zip holding one workbook whose sheet inflates to ``inflated_mb`` MB of repeated cells."""
    workbook = path.with_suffix(".inner.xlsx")
    with zipfile.ZipFile(workbook, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        book.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                      'package/2006/content-types"/>')
        book.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        with book.open("xl/worksheets/sheet1.xml", "w") as sheet:
            row = b'<row><c t="inlineStr"><is><t>1</t></is></c></row>' * 1000
            written = 0
            while written < inflated_mb * 1024 * 1024:
                sheet.write(row)
                written += len(row)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as outer:
        outer.write(workbook, "enterprises.xlsx")
    workbook.unlink()
    return path


def _one_parcel_geopackage(path: Path) -> None:
    gpd.GeoDataFrame({"parcel_id": ["X1"]}, geometry=[shapely.box(X0, Y0, X0 + 50, Y0 + 50)],
                     crs=EPSG).to_file(path, layer="seed", engine="pyogrio")


def _add_view(path: Path, name: str, select: str) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute(f"CREATE VIEW {name} AS {select}")
        conn.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier) VALUES (?, 'attributes', ?)",
                     (name, name))


def recursive_view_geopackage(path: Path, *, rows: int | None) -> Path:
    """A small GeoPackage whose layer ``parcels`` is a recursive view of ``rows`` rows (None: endless)."""
    _one_parcel_geopackage(path)
    bound = f" WHERE n < {rows}" if rows is not None else ""
    _add_view(path, "parcels", f"WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c{bound}) "
                               "SELECT 'P' || n AS parcel_id FROM c")
    return path


def busy_view_geopackage(path: Path) -> Path:
    """A small GeoPackage whose layer ``parcels`` is a view that computes for minutes and yields one row."""
    _one_parcel_geopackage(path)
    _add_view(path, "parcels", "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 100000000) "
                               "SELECT 'P' || max(n) AS parcel_id FROM c")
    return path


def dxf_points(path: Path, points: int) -> Path:
    """An ASCII DXF of ``points`` POINT entities (10⁶ ≈ 37 MB)."""
    entity = "0\nPOINT\n8\n0\n10\n{x:.3f}\n20\n{y:.3f}\n30\n0.0\n"
    with open(path, "w", encoding="ascii") as handle:
        handle.write("0\nSECTION\n2\nENTITIES\n")
        for i in range(points):
            handle.write(entity.format(x=X0 + i % 1000, y=Y0 + i // 1000))
        handle.write("0\nENDSEC\n0\nEOF\n")
    return path


def zip_many_members(path: Path, *, members: int, member_bytes: int) -> Path:
    """A zip of ``members`` CSV members of ``member_bytes`` each, all compressing to almost nothing."""
    block = b"0" * member_bytes
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for i in range(members):
            archive.writestr(f"part{i:04d}.csv", block)
    return path
