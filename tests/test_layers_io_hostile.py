"""Hostile and broken files: each is rejected with a clear report, and the park is unchanged."""

import datetime as dt
import shutil
import struct

import geopandas as gpd
import pytest
import shapely
from io_samples import (
    PHONE_KML,
    cad_plan,
    file_digest,
    gbk_shapefile,
    huge_polygon_geopackage,
    mixed_geometry_geojson,
    nan_coordinates_shapefile,
    points_geojson,
    shapefile_files,
    truncate,
    zip_bomb,
    zip_files,
    zip_slip,
)

from layers.io import ImportLimits, ImportOptions, ImportRejected, import_layer
from layers.io.archive import archive_folder_for
from layers.store import GeoPackageStore

TODAY = dt.date(2026, 6, 30)


@pytest.fixture
def guarded(tiny_park):
    """The tiny park, checked after the test to be byte-for-byte unchanged and without archive entries."""
    before = file_digest(tiny_park.path)
    yield tiny_park
    assert file_digest(tiny_park.path) == before
    assert not archive_folder_for(tiny_park.path).exists()


def rejected(source, layer, park, **options) -> str:
    with pytest.raises(ImportRejected) as caught:
        import_layer(source, layer, park=park, options=ImportOptions(today=TODAY, mode="upsert", **options))
    report = caught.value.report
    assert report.problems and not report.committed
    return report.text()


def test_truncated_shapefile(tmp_path, guarded):
    shp = gbk_shapefile(tmp_path / "src")
    truncate(shp, shp.stat().st_size - 60)
    text = rejected(shp, "parcels", guarded)
    assert "地块.shp is truncated: its header declares" in text


def test_truncated_dbf_names_the_missing_records(tmp_path, guarded):
    shp = gbk_shapefile(tmp_path / "src")
    dbf = shp.with_suffix(".dbf")
    truncate(dbf, dbf.stat().st_size - 40)
    text = rejected(shp, "parcels", guarded)
    assert "row 3 · record: damaged: attributes missing: 地块.dbf ends before this record" in text
    assert "2 record(s) read whole; to import them without the damaged ones, repeat with --accept-damaged" in text


def test_truncated_dbf_imports_the_whole_records_when_asked(tmp_path, tiny_park):
    shp = gbk_shapefile(tmp_path / "src")
    dbf = shp.with_suffix(".dbf")
    truncate(dbf, dbf.stat().st_size - 40)
    # The sample lies 126 km from the tiny park: confirmed (data far from the park is not this test's subject).
    plan = import_layer(shp, "parcels", park=tiny_park,
                        options=ImportOptions(today=TODAY, mode="upsert", accept_damaged=True, accept_far=True))
    assert plan.report.counts["added"] == 2
    assert {"ZD-001", "ZD-002"} <= set(tiny_park.load("parcels")["parcel_id"])


@pytest.mark.parametrize(("name", "content", "message"), [
    ("parcels.shp", b"\x00\x00\x00\x01" + b"\x00" * 200,
     "parcels.shp is not a Shapefile: its content is binary data of no format ParkAtlas imports "
     "(first bytes 0000000100000000)"),
    ("parcels.gpkg", b"this is text, not SQLite" * 10, "parcels.gpkg is not a GeoPackage"),
    ("parcels.geojson", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "parcels.geojson is not GeoJSON"),
    ("parcels.xlsx", b"<html>not a workbook</html>", "parcels.xlsx is not an XLSX workbook: its content is an XML "
                                                     "document that is not KML"),
    ("parcels.dxf", b"\x00\x01\x02 AutoCAD Binary DXF" + b"\x00" * 30, "parcels.dxf is not a text DXF"),
    ("parcels.kml", b"", "parcels.kml: the file is empty"),
])
def test_wrong_magic_bytes(tmp_path, guarded, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    if name.endswith(".shp"):
        for ext in (".shx", ".dbf"):
            shutil.copy(path, path.with_suffix(ext))
    assert message in rejected(path, "parcels", guarded)


def test_shp_without_dbf(tmp_path, guarded):
    shp = gbk_shapefile(tmp_path / "src")
    shp.with_suffix(".dbf").unlink()
    text = rejected(shp, "parcels", guarded)
    assert "地块.shp has no 地块.dbf beside it: a Shapefile needs .shp, .shx and .dbf" in text


def test_zipped_shp_without_dbf(tmp_path, guarded):
    shp = gbk_shapefile(tmp_path / "src")
    files = [f for f in shapefile_files(shp) if f.suffix != ".dbf"]
    text = rejected(zip_files(files, tmp_path / "no_dbf.zip"), "parcels", guarded)
    assert "has no 地块.dbf beside it" in text


def test_mismatched_record_counts(tmp_path, guarded):
    shp = gbk_shapefile(tmp_path / "a")
    other = tmp_path / "b" / "other.shp"
    other.parent.mkdir()
    gpd.GeoDataFrame({"x": [1]}, geometry=[shapely.box(0, 0, 1, 1)], crs=4528).to_file(other, engine="pyogrio")
    shutil.copy(other.with_suffix(".dbf"), shp.with_suffix(".dbf"))
    text = rejected(shp, "parcels", guarded)
    assert "record counts disagree: 地块.shx indexes 3 shapes but 地块.dbf declares 1 records" in text


def test_zip_slip(tmp_path, guarded):
    text = rejected(zip_slip(tmp_path / "slip.zip"), "parcels", guarded)
    assert "member '../../outside.txt' would be written outside the folder it is unpacked to (zip-slip)" in text
    assert not (tmp_path.parent / "outside.txt").exists()


def test_absolute_member_path(tmp_path, guarded):
    import zipfile

    path = tmp_path / "abs.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("/etc/parkatlas.geojson", "{}")
    assert "zip-slip" in rejected(path, "parcels", guarded)


def test_zip_bomb(tmp_path, guarded):
    bomb = zip_bomb(tmp_path / "bomb.zip")
    assert bomb.stat().st_size < 200_000
    text = rejected(bomb, "parcels", guarded)
    assert "member 'parcels.geojson' expands" in text and "(zip bomb); refused" in text


def test_zip_bomb_by_total_size(tmp_path, guarded):
    bomb = zip_bomb(tmp_path / "bomb.zip", megabytes=8)
    limits = ImportLimits(max_unpacked_bytes=4 * 1024 * 1024, max_compression_ratio=1e9)
    text = rejected(bomb, "parcels", guarded, limits=limits)
    assert "unpacks to 8,388,608 bytes, more than the 4,194,304 allowed" in text


def test_zip_member_that_lies_about_its_size(tmp_path, guarded):
    """A header that declares less than the member inflates to is caught while unpacking."""
    import zipfile

    path = tmp_path / "liar.zip"
    payload = b'{"type":"FeatureCollection","features":[]}' + b" " * 5000
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("parcels.geojson", payload)
    data = bytearray(path.read_bytes())
    # Patch the uncompressed size in the central directory (signature PK\x01\x02, offset 24).
    central = data.rfind(b"PK\x01\x02")
    data[central + 24:central + 28] = struct.pack("<I", 100)
    local = data.find(b"PK\x03\x04")
    data[local + 22:local + 26] = struct.pack("<I", 100)
    path.write_bytes(bytes(data))
    text = rejected(path, "parcels", guarded)
    assert "member 'parcels.geojson' is damaged and cannot be unpacked (Bad CRC-32" in text


def test_mixed_geometry_types(tmp_path):
    """The polygon is imported; the point and the line are named with the layers they would fit."""
    park = tmp_path / "mixed.gpkg"
    plan = import_layer(mixed_geometry_geojson(tmp_path / "mixed.geojson"), "parcels", park=park,
                        options=ImportOptions(today=TODAY))
    text = plan.report.text()
    assert ("row 2 · geometry: Point, not a polygon: not imported (layer 'parcels' holds polygons); points fit "
            "layer(s) facilities: import the file into one of them for these records") in text
    assert ("row 3 · geometry: LineString, not a polygon: not imported (layer 'parcels' holds polygons); lines fit "
            "layer(s) roads, pipelines") in text
    assert list(GeoPackageStore(park).load("parcels")["parcel_id"]) == ["A"]


def test_a_source_with_no_geometry_of_the_layers_kind_is_refused(tmp_path, guarded):
    text = rejected(points_geojson(tmp_path / "points.geojson"), "parcels", guarded)
    assert ("all · geometry: no polygon in the source (2 Point): layer 'parcels' holds polygons; the records fit "
            "layer(s) facilities") in text


def test_million_vertex_polygon(tmp_path, guarded):
    text = rejected(huge_polygon_geopackage(tmp_path / "huge.gpkg"), "parcels", guarded)
    assert "row 1 · geometry: 1,000,001 vertices; at most 200,000 per feature are accepted" in text


def test_vertex_limit_boundary(tmp_path, guarded):
    path = huge_polygon_geopackage(tmp_path / "huge.gpkg", vertices=999)  # 1 000 with the closing vertex
    at_limit = ImportOptions(today=TODAY, mode="upsert", dry_run=True, accept_far=True,
                             limits=ImportLimits(max_vertices_per_feature=1000))
    import_layer(path, "parcels", park=guarded, options=at_limit)
    text = rejected(path, "parcels", guarded, limits=ImportLimits(max_vertices_per_feature=999))
    assert "1,000 vertices; at most 999 per feature" in text


def test_nan_coordinates(tmp_path, guarded):
    text = rejected(nan_coordinates_shapefile(tmp_path / "src"), "parcels", guarded)
    assert "row 2 · geometry: coordinates are not finite numbers (NaN or infinity)" in text


def test_dbf_record_with_undecodable_bytes_is_read_around(tmp_path, guarded):
    """The bulk read fails on the bad record; fiona reads the rest and the report names it."""
    shp = gbk_shapefile(tmp_path / "src", name="bad")
    gpd.GeoDataFrame({"宗地号": ["A1", "A2", "A3"], "名称": ["一", "二", "三"]},
                     geometry=[shapely.box(40_509_790 + i * 20, 3_170_000, 40_509_800 + i * 20, 3_170_010)
                               for i in range(3)], crs=4528).to_file(shp, encoding="UTF-8", engine="pyogrio")
    shp.with_suffix(".cpg").write_text("UTF-8")
    dbf = shp.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    header, record = struct.unpack("<HH", data[8:12])
    start = header + record * 1 + 1  # record 2, first field
    data[start:start + 2] = b"\xff\xfe"
    dbf.write_bytes(bytes(data))
    text = rejected(shp, "parcels", guarded)
    assert "row 2 · record: damaged: text does not decode as UTF-8" in text


def test_kml_that_breaks_off(tmp_path, guarded):
    path = tmp_path / "broken.kml"
    cut = PHONE_KML.index("<Placemark><name>西门地块")
    path.write_text(PHONE_KML[: cut + 40], encoding="utf-8")
    text = rejected(path, "parcels", guarded)
    assert "the file breaks off or is malformed at line" in text
    assert "1 placemark(s) before it were read, any after it are lost" in text


def test_truncated_dxf(tmp_path, guarded):
    path = cad_plan(tmp_path / "plan.dxf")
    truncate(path, path.stat().st_size // 3)
    text = rejected(path, "parcels", guarded)
    assert "plan.dxf holds no polygon entities in the model space; nothing to import" in text


def test_wrong_layer_name_and_unknown_crs_and_encoding(tmp_path, guarded):
    shp = gbk_shapefile(tmp_path / "src")
    with pytest.raises(ImportRejected, match="unknown layer 'plots'"):
        import_layer(shp, "plots", park=guarded, options=ImportOptions())
    assert "--crs 'EPSG:99999999' is not a CRS" in rejected(shp, "parcels", guarded, crs="EPSG:99999999")
    assert "unknown text encoding 'klingon'" in rejected(shp, "parcels", guarded, encoding="klingon")


def test_missing_source_file(tmp_path, guarded):
    assert "no-such.shp: no such file" in rejected(tmp_path / "no-such.shp", "parcels", guarded)


def test_park_that_is_not_a_park(tmp_path):
    shp = gbk_shapefile(tmp_path / "src")
    park = tmp_path / "fake.gpkg"
    park.write_bytes(b"not a geopackage at all")
    text = rejected(shp, "parcels", park)
    assert "the park cannot be read" in text
    assert park.read_bytes() == b"not a geopackage at all"


def test_temp_files_are_removed_even_when_rejected(tmp_path, guarded, monkeypatch):
    import tempfile

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    rejected(zip_slip(tmp_path / "slip.zip"), "parcels", guarded)
    shp = gbk_shapefile(tmp_path / "src")
    import_layer(zip_files(shapefile_files(shp), tmp_path / "ok.zip"), "parcels", park=guarded,
                 options=ImportOptions(today=TODAY, dry_run=True, accept_far=True))
    assert list(scratch.iterdir()) == []


def test_no_geometry_columns_in_a_table(tmp_path, guarded):
    path = tmp_path / "plain.csv"
    path.write_text("宗地号,名称\nA,甲\n", encoding="utf-8")
    text = rejected(path, "parcels", guarded)
    assert "the table has no WKT column and no coordinate pair" in text


def test_bad_wkt_and_bad_coordinates_are_named_by_row(tmp_path, guarded):
    path = tmp_path / "bad.csv"
    path.write_text("宗地号,WKT\nA,\"POLYGON((0 0,1 0,1 1,0 0))\"\nB,POLYGON((oops\n", encoding="utf-8")
    assert "row 2 · WKT: not valid WKT (got 'POLYGON((oops')" in rejected(path, "parcels", guarded,
                                                                         crs="EPSG:4549")
    path.write_text("设施编号,经度,纬度\nF1,120.1,28.6\nF2,东经120,28.6\n", encoding="utf-8")
    assert "row 2 · 经度: not a number (got '东经120')" in rejected(path, "facilities", guarded)


def test_every_hostile_file_through_the_cli_exits_2(tmp_path, tiny_park):
    from app import create_app

    app = create_app({"TESTING": True, "PARK_PATH": str(tiny_park.path)})
    runner = app.test_cli_runner()
    before = file_digest(tiny_park.path)
    sources = [zip_slip(tmp_path / "slip.zip"), zip_bomb(tmp_path / "bomb.zip", megabytes=4),
               mixed_geometry_geojson(tmp_path / "mixed.geojson")]
    for source in sources:
        result = runner.invoke(args=["import", "parcels", str(source), "--mode", "upsert"])
        assert result.exit_code == 2, result.output
        assert "rejected" in result.output
    assert file_digest(tiny_park.path) == before
    assert not archive_folder_for(tiny_park.path).exists()
