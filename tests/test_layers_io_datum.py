"""A source's datum on import (layers/io/datum.py): parameters the user gives are applied; a conversion PROJ can
only make without a datum shift (1980西安, 1954北京 → CGCS2000) is said, in English and Chinese."""

from __future__ import annotations

import math
import warnings

import geopandas as gpd
import pytest
import shapely
from pyproj import CRS, Transformer

from layers.import_text import chinese
from layers.io.crs_detect import CrsChoice
from layers.io.datum import approximate_message, route
from layers.io.messy import SourceCoordinates
from layers.store import GeoPackageStore

#: CGCS2000 3° GK CM 114°E, the park's working CRS in these tests (Wuhan).
WORKING = CRS.from_epsg(4547)
#: The same projection on GRS 1980 (CGCS2000's ellipsoid to 0.1 mm) with a datum 100 m along the geocentric X axis
#: from WGS 84: a shift whose effect on the map is worked out by hand below.
SHIFTED_100M = ("+proj=tmerc +lat_0=0 +lon_0=114 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +towgs84=100,0,0,0,0,0,0 "
                "+units=m +no_defs")
EASTING, NORTHING = 502_000.0, 3_378_000.0  # ≈ 114.02°E, 30.52°N


def test_the_old_chinese_datums_reach_cgcs2000_only_approximately():
    cgcs2000 = "China Geodetic Coordinate System 2000"
    assert route(CRS.from_epsg(2383), WORKING).approximate == ("Xian 1980", cgcs2000)  # Xi'an 1980 3° GK CM 114°E
    assert route(CRS.from_epsg(2401), WORKING).approximate == ("Beijing 1954", cgcs2000)  # Beijing 1954 3° zone 25
    # A park kept in Xi'an 1980 (its working CRS may be one): CGCS2000 data reaches it only approximately too.
    assert route(WORKING, CRS.from_epsg(2383)).approximate == (cgcs2000, "Xian 1980")
    assert route(CRS.from_epsg(2383), CRS.from_epsg(2383)).approximate is None


@pytest.mark.parametrize("epsg", [4326, 4490, 4549, 32650, 3857])
def test_wgs84_and_cgcs2000_sources_are_not_flagged(epsg):
    # WGS 84 and CGCS2000 agree to centimetres: PROJ's ballpark step between them is no approximation that matters.
    assert route(CRS.from_epsg(epsg), WORKING).approximate is None


def test_parameters_given_with_the_crs_are_applied_through_wgs84():
    path = route(CRS.from_proj4(SHIFTED_100M), WORKING)
    assert path.hub is not None and path.approximate is None
    series = gpd.GeoSeries([shapely.Point(EASTING, NORTHING)], crs=CRS.from_proj4(SHIFTED_100M))
    moved = path.transform(series).iloc[0]
    # By hand: a point moved by (dX, dY, dZ) = (100, 0, 0) m moves east by −dX·sin λ and north by −dX·sin φ·cos λ.
    lon, lat = Transformer.from_crs(WORKING, 4326, always_xy=True).transform(EASTING, NORTHING)
    east = -100 * math.sin(math.radians(lon))  # ≈ −91.4 m
    north = -100 * math.sin(math.radians(lat)) * math.cos(math.radians(lon))  # ≈ +20.7 m
    assert moved.x - EASTING == pytest.approx(east, abs=0.5)
    assert moved.y - NORTHING == pytest.approx(north, abs=0.5)
    # Straight to CGCS2000, PROJ would have dropped the parameters (its ballpark step from an unknown datum).
    straight = series.to_crs(WORKING).iloc[0]
    assert abs(straight.x - EASTING) < 0.01 and abs(straight.y - NORTHING) < 0.01


def test_messages_give_points_back_in_the_files_coordinates_through_the_same_route():
    choice = CrsChoice(CRS.from_proj4(SHIFTED_100M), "test")
    moved = route(choice.crs, WORKING).transform(gpd.GeoSeries([shapely.Point(EASTING, NORTHING)], crs=choice.crs))
    back = SourceCoordinates(choice, WORKING)(moved.iloc[0].x, moved.iloc[0].y)
    assert back == pytest.approx((EASTING, NORTHING), abs=1e-3)  # (the messages print millimetres; 2D: no height)


def test_the_warning_in_chinese_names_the_datum_and_the_form_field():
    message = approximate_message(("Beijing 1954", "China Geodetic Coordinate System 2000"), 4547)
    assert message.startswith("no published transformation leads from the file's datum (Beijing 1954) to the park's "
                              "(CGCS2000, EPSG:4547)")
    assert chinese(message) == (
        "文件的坐标基准（1954北京坐标系）到园区的坐标基准（2000国家大地坐标系，EPSG:4547）没有公开的转换参数：坐标未做基准转换，"
        "与园区其他数据相比位置可能相差数十米；如测绘单位提供了转换参数（七参数或三参数），请在上传表单的“坐标系”一栏填写"
        "带参数的坐标系（含 +towgs84=dx,dy,dz,rx,ry,rz,ds 的 PROJ 字符串）后重新导入")


def test_the_warning_on_the_upload_page_names_the_form_field_in_english():
    from layers.io.report import message_for_web

    message = approximate_message(("Xian 1980", "China Geodetic Coordinate System 2000"), 4547)
    assert message_for_web(message, "en").endswith(
        "import again with the CRS written with them (a PROJ string with +towgs84=dx,dy,dz,rx,ry,rz,ds) given on the "
        "upload form")
    assert "--" not in message_for_web(message, "zh")


def _plots(path, crs):
    frame = gpd.GeoDataFrame(
        {"parcel_id": ["WH-1", "WH-2"], "land_use": ["M1", "M2"]},
        geometry=[shapely.box(EASTING, NORTHING, EASTING + 200, NORTHING + 150),
                  shapely.box(EASTING + 300, NORTHING, EASTING + 500, NORTHING + 150)], crs=crs)
    with warnings.catch_warnings():  # (a file without a CRS is the point of some tests)
        warnings.filterwarnings("ignore", "'crs' was not provided", UserWarning)
        frame.to_file(path, encoding="UTF-8")
    return path


@pytest.fixture
def run(tiny_app):
    runner = tiny_app.test_cli_runner()
    return lambda *args: runner.invoke(args=[str(a) for a in args])


def test_a_xian80_shapefile_is_imported_with_the_warning(tmp_path, run):
    park = tmp_path / "wuhan.gpkg"
    result = run("import", "parcels", _plots(tmp_path / "xian80.shp", 2383), "--park", park, "--park-name", "武汉")
    assert result.exit_code == 0, result.output
    assert ("all · geometry: no published transformation leads from the file's datum (Xi'an 1980) to the park's "
            "(CGCS2000, EPSG:4547)") in result.output
    parcels = GeoPackageStore(park).load("parcels")
    assert len(parcels) == 2 and parcels.crs.to_epsg() == 4547


def test_the_same_plots_with_the_surveyors_parameters_are_moved_and_not_flagged(tmp_path, run):
    park = tmp_path / "wuhan.gpkg"
    source = _plots(tmp_path / "plain.shp", None)
    result = run("import", "parcels", source, "--park", park, "--park-name", "武汉", "--crs", SHIFTED_100M)
    assert result.exit_code == 0, result.output
    assert "datum" not in result.output
    corner = shapely.get_coordinates(GeoPackageStore(park).load("parcels").geometry.iloc[0]).min(axis=0)
    assert corner[0] - EASTING == pytest.approx(-91.4, abs=1.0)
    assert corner[1] - NORTHING == pytest.approx(20.7, abs=1.0)


def test_a_cgcs2000_shapefile_is_not_flagged(tmp_path, run):
    park = tmp_path / "wuhan.gpkg"
    result = run("import", "parcels", _plots(tmp_path / "cgcs.shp", 4547), "--park", park, "--park-name", "武汉")
    assert result.exit_code == 0, result.output
    assert "datum" not in result.output
