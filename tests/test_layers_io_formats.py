"""Formats built by the tests: a CAD plan (DXF), KML from a phone, a CSV in GCJ-02, XLSX with surveyors' X/Y."""

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
import shapely
from io_samples import EPSG_CM120, FACILITY_WGS84, X0, Y0, cad_plan, gcj02_csv, phone_kml
from pyproj import Transformer

from layers.io import ImportOptions, ImportRejected, import_layer
from layers.store import GeoPackageStore

TODAY = dt.date(2026, 6, 30)


def _import(source, layer, park, **options):
    return import_layer(source, layer, park=park, options=ImportOptions(today=TODAY, **options))


def test_cad_plan_polygons_by_layer_name_with_labels_as_ids(tmp_path):
    plan_file = cad_plan(tmp_path / "规划图.dxf")
    mapping = tmp_path / "cad.yaml"
    mapping.write_text(
        "fields:\n  text: parcel_id\n  layer: land_use\n"
        "values:\n  land_use: {地块-M1: M1, 地块-W1: W1}\n",
        encoding="utf-8",
    )
    park = tmp_path / "cad.gpkg"
    plan = _import(plan_file, "parcels", park, mapping_path=str(mapping))
    report = plan.report.text()
    assert plan.report.driver == "DXF (ezdxf)"
    assert "zone prefix 40" in plan.report.crs_how  # no CRS in CAD: inferred from the 8-digit eastings
    assert "dropped 1 closed polyline(s) that only outline a hatch on the same layer" in report
    parcels = GeoPackageStore(park).load("parcels").set_index("parcel_id")
    assert sorted(parcels.index) == ["DK-01", "DK-02"]
    assert parcels.loc["DK-01", "land_use"] == "100101" and parcels.loc["DK-01", "land_use_original"] == "M1"
    assert parcels.loc["DK-02", "land_use"] == "110101"
    assert parcels.loc["DK-01", "geometry"].area == pytest.approx(10_000, rel=1e-6)
    # 100 × 100 m plus a semicircular bulge of radius 50 m, linearised to 1 cm chords.
    assert parcels.loc["DK-02", "geometry"].area == pytest.approx(10_000 + math.pi * 50**2 / 2, rel=1e-4)


def test_cad_plan_road_centrelines(tmp_path):
    plan_file = cad_plan(tmp_path / "plan.dxf")
    mapping = tmp_path / "roads.yaml"
    mapping.write_text("include:\n  layer: [道路中线]\n", encoding="utf-8")
    park = tmp_path / "roads.gpkg"
    _import(plan_file, "roads", park, mapping_path=str(mapping))
    roads = GeoPackageStore(park).load("roads")
    assert len(roads) == 1
    assert roads.geometry.iloc[0].length == pytest.approx(300, rel=1e-6)


def test_phone_kml_keeps_chinese_extended_data_and_drops_heights(tmp_path):
    park = tmp_path / "kml.gpkg"
    plan = _import(phone_kml(tmp_path / "外业.kml"), "parcels", park)
    text = plan.report.text()
    assert "row 1 · geometry: Z (height) coordinates dropped" in text
    assert "宗地号 → parcel_id" in text and "用地性质 → land_use" in text
    parcels = GeoPackageStore(park).load("parcels").set_index("parcel_id")
    assert list(parcels.index) == ["KML-1", "KML-2"]
    assert parcels.loc["KML-1", "name"] == "东门地块"
    assert parcels.loc["KML-2", "geometry"].geom_type == "Polygon"  # a MultiGeometry of one polygon
    # 0.001° × 0.001° at 28.65°N: about 97.7 m × 110.9 m.
    assert parcels.loc["KML-1", "geometry"].area == pytest.approx(97.7 * 110.9, rel=0.01)
    assert "folder" in plan.report.kept  # the placemarks' folder, kept as it is


def test_csv_from_amap_in_gcj02_and_gb18030(tmp_path):
    park = tmp_path / "f.gpkg"
    plan = _import(gcj02_csv(tmp_path / "设施.csv"), "facilities", park, crs="gcj02")
    assert plan.report.encoding.startswith("GB18030")
    assert "GCJ-02" in plan.report.source_crs
    facilities = GeoPackageStore(park).load("facilities").set_index("facility_id")
    assert list(facilities["kind"]) == ["substation", "sewage_plant", "park_gate"]
    assert list(facilities["name"]) == ["东区变电站", "污水处理厂", "园区南门"]
    to_park = Transformer.from_crs(4326, EPSG_CM120, always_xy=True)
    expected = np.column_stack(to_park.transform(*np.array(FACILITY_WGS84).T))
    got = shapely.get_coordinates(facilities.geometry.to_numpy())
    assert np.abs(got - expected).max() < 0.01  # metres: the exact inverse, not a 1–2 m shortcut


def test_csv_in_gcj02_without_crs_is_read_as_wgs84_and_lands_hundreds_of_metres_off(tmp_path):
    park = tmp_path / "f.gpkg"
    plan = _import(gcj02_csv(tmp_path / "f.csv"), "facilities", park)
    assert "give --crs gcj02 or bd09" in plan.report.crs_how
    got = shapely.get_coordinates(GeoPackageStore(park).load("facilities").geometry.to_numpy())
    to_park = Transformer.from_crs(4326, EPSG_CM120, always_xy=True)
    expected = np.column_stack(to_park.transform(*np.array(FACILITY_WGS84).T))
    offsets = np.hypot(*(got - expected).T)
    assert (offsets > 100).all() and (offsets < 1000).all()


def test_xlsx_with_surveyors_x_north_y_east(tmp_path):
    """Chinese surveying writes X = northing; zone-prefixed eastings in Y reveal the swap."""
    path = tmp_path / "测量成果.xlsx"
    pd.DataFrame({"编号": ["F-1", "F-2"], "名称": ["一号门", "二号门"], "类型": ["大门", "大门"],
                  "X坐标": [Y0 + 10.0, Y0 + 20.0], "Y坐标": [X0 + 30.0, X0 + 40.0]}).to_excel(path, index=False)
    mapping = tmp_path / "m.yaml"
    mapping.write_text("fields:\n  编号: facility_id\n", encoding="utf-8")
    park = tmp_path / "x.gpkg"
    plan = _import(path, "facilities", park, mapping_path=str(mapping))
    assert "X and Y were swapped" in plan.report.crs_how
    got = shapely.get_coordinates(GeoPackageStore(park).load("facilities").geometry.to_numpy())
    assert got[0] == pytest.approx([X0 - 40_000_000 + 30.0, Y0 + 10.0], abs=1e-6)  # 4528 → 4549: false easting


def test_xlsx_text_that_reads_like_a_missing_marker_is_kept(tmp_path, tiny_park):
    """"NA", "NaN", "null" in a cell are names, not empty cells (pandas' default would drop them)."""
    path = tmp_path / "企业.xlsx"
    pd.DataFrame({"enterprise_id": ["E7", "E8", "E9", "E10"], "name": ["NA", "NaN", "null", None]}).to_excel(
        path, index=False)
    import_layer(path, "enterprises", park=tiny_park, options=ImportOptions(mode="upsert"))
    names = tiny_park.load("enterprises").set_index("enterprise_id")["name"]
    assert names[["E7", "E8", "E9"]].tolist() == ["NA", "NaN", "null"]
    assert pd.isna(names["E10"])  # an empty cell is still missing


def test_gbk_geojson_is_decoded(tmp_path):
    text = ('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"宗地号":"G-1","名称":"甲地块"},'
            '"geometry":{"type":"Polygon","coordinates":[[[120.1,28.65],[120.101,28.65],[120.101,28.651],'
            '[120.1,28.65]]]}}]}')
    path = tmp_path / "gbk.geojson"
    path.write_bytes(text.encode("gbk"))
    park = tmp_path / "g.gpkg"
    plan = _import(path, "parcels", park)
    assert plan.report.encoding.startswith("GB18030")
    assert GeoPackageStore(park).load("parcels")["name"].tolist() == ["甲地块"]


def test_geopackage_layer_choice_by_option(tmp_path):
    import geopandas as gpd

    path = tmp_path / "two.gpkg"
    for name, x in (("甲", 0), ("乙", 200)):
        gpd.GeoDataFrame({"宗地号": [f"{name}-1"]}, geometry=[shapely.box(X0 + x, Y0, X0 + x + 50, Y0 + 50)],
                         crs=4528).to_file(path, layer=name, engine="pyogrio")
    with pytest.raises(ImportRejected, match=r"several layers \(甲, 乙\); choose one with --source-layer"):
        _import(path, "parcels", tmp_path / "p.gpkg")
    _import(path, "parcels", tmp_path / "p.gpkg", source_layer="乙")
    assert GeoPackageStore(tmp_path / "p.gpkg").load("parcels")["parcel_id"].tolist() == ["乙-1"]


def test_kmz_is_unpacked_safely(tmp_path):
    import zipfile

    kml = phone_kml(tmp_path / "doc.kml")
    kmz = tmp_path / "外业.kmz"
    with zipfile.ZipFile(kmz, "w") as archive:
        archive.write(kml, "doc.kml")
        archive.writestr("files/photo.jpg", b"\xff\xd8\xff")
    plan = _import(kmz, "parcels", tmp_path / "k.gpkg")
    assert plan.report.records_imported == 2
    assert "files/photo.jpg" in plan.report.text()  # left packed, named in the report


def test_curved_geometries_are_linearised_and_listed(tmp_path):
    """A GeoPackage CurvePolygon (ISO WKB type 10), written byte by byte as CAD exporters do."""
    import sqlite3
    import struct

    import geopandas as gpd

    path = tmp_path / "curves.gpkg"
    square = shapely.box(500_100, 3_170_000, 500_200, 3_170_100)
    gpd.GeoDataFrame({"parcel_id": ["C1", "C2"]}, geometry=[square, square],
                     crs=EPSG_CM120).to_file(path, layer="parcels", engine="pyogrio", SPATIAL_INDEX="NO",
                                             geometry_type="Unknown")
    centre = (500_000.0, 3_170_000.0)
    points = [(centre[0] - 50, centre[1]), (centre[0], centre[1] + 50), (centre[0] + 50, centre[1]),
              (centre[0], centre[1] - 50), (centre[0] - 50, centre[1])]
    ring = struct.pack("<BII", 1, 8, len(points)) + b"".join(struct.pack("<dd", *p) for p in points)
    blob = b"GP" + bytes([0, 1]) + struct.pack("<i", EPSG_CM120) + struct.pack("<BII", 1, 10, 1) + ring
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE parcels SET geom = ? WHERE fid = 2", (blob,))
    connection.close()
    park = tmp_path / "p.gpkg"
    plan = _import(path, "parcels", park)
    assert "row 2 · geometry: curved geometry linearised" in plan.report.text()
    circle = GeoPackageStore(park).load("parcels").set_index("parcel_id").loc["C2", "geometry"]
    assert circle.area == pytest.approx(math.pi * 50**2, rel=0.01)


@pytest.mark.parametrize(("name", "advice"), [
    ("总图.dwg", "a DWG drawing: save it as DXF in the CAD program (Save As → DXF) and import the DXF"),
    ("企业名录.xls", "an Excel 97–2003 workbook: save it as .xlsx (or .csv) and import that"),
    ("地块.TAB", "a MapInfo table: export it to a Shapefile or a GeoPackage (MapInfo, QGIS) and import that"),
])
def test_a_file_to_convert_first_is_refused_with_how_to_convert_it(tmp_path, name, advice):
    from layers.io.formats import identify
    from layers.io.source_error import SourceError

    path = tmp_path / name
    path.write_bytes(b"AC1032\x00\x00binary")
    with pytest.raises(SourceError) as refused:
        identify(path)
    assert str(refused.value).endswith(f"; {advice}")


def test_a_file_of_no_known_kind_is_refused_without_advice(tmp_path):
    from layers.io.formats import identify
    from layers.io.source_error import SourceError

    path = tmp_path / "说明.docx"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(SourceError) as refused:
        identify(path)
    assert str(refused.value).endswith("XLSX (.xlsx), zip (.zip)")


def test_every_advice_is_said_in_chinese():
    from layers.import_text import CONVERT_FIRST_ZH, chinese
    from layers.io.formats import CONVERT_FIRST

    assert set(CONVERT_FIRST_ZH) == set(CONVERT_FIRST)
    refusal = ("总图.dwg: ParkAtlas does not import this kind of file (its name ends in '.dwg'); accepted: DXF (.dxf), "
               f"zip (.zip); {CONVERT_FIRST['.dwg']}")
    assert chinese(refusal) == ("总图.dwg：不能导入这类文件（文件名以 '.dwg' 结尾）；可导入：DXF (.dxf)、压缩包 zip (.zip)；"
                                "这是 DWG 图纸：请在 CAD 软件中另存为 DXF 后导入")
