"""国土 TXT (界址点坐标交换格式): the reader, the zone ↔ EPSG table and the writer, on hand-made files.

Expectations are computed by hand: plots are squares of whole metres near
N 3 171 000, E 636 000 (CGCS2000 3° zone 40, CM 120°E), 100 m × 100 m = 1 公顷.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import gtxt_samples as gs
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import CRS

from layers.io import formats, gk_zones
from layers.io.gtxt import GtxtChecks, GtxtError, looks_like_gtxt, read_gtxt
from layers.io.gtxt_write import GtxtExportError, encoding_of, export_zone, gtxt_text, write_gtxt
from layers.io.read import read_source
from layers.io.uploads import SourceError
from layers.registry import get_layer
from layers.validate import validate_layer

PARCELS = get_layer("parcels")


def box_en(de: float, dn: float, size: float, *, prefix: bool = False) -> shapely.Polygon:
    """The expected polygon, in (easting, northing) order; a declared CRS is the form without the zone prefix."""
    e0 = gs.E0 + (gs.PREFIX if prefix else 0)
    return shapely.box(e0 + de, gs.N0 + dn, e0 + de + size, gs.N0 + dn + size)


def values(column) -> list:
    """A column's values with every kind of missing value as None."""
    return [None if v is None or (not isinstance(v, str) and np.all(pd.isna(v))) else v for v in column]


def notes_of(content) -> str:
    return "\n".join(content.notes + [message for _, message in content.fixes])


# -- the zone table ------------------------------------------------------------------------------------

def _params(epsg: int) -> tuple[str, float, float]:
    crs = CRS.from_epsg(epsg)
    values = {p.name: p.value for p in crs.coordinate_operation.params}
    return crs.datum.name, values["Longitude of natural origin"], values["False easting"]


PROJ_DATUMS = {"cgcs2000": "China 2000", "xian80": "Xian 1980", "beijing54": "Beijing 1954"}


@pytest.mark.parametrize("datum", list(gk_zones.DATUMS))
@pytest.mark.parametrize(("width", "prefixed"), [(3, True), (3, False), (6, True), (6, False)])
def test_every_zone_is_the_epsg_code_proj_knows(datum, width, prefixed):
    """All 192 codes: PROJ's datum, central meridian and false easting are the zone's."""
    for zone in gk_zones.ZONES[width]:
        found = gk_zones.gk_zone(datum, width, zone, prefixed=prefixed)
        datum_name, meridian, false_easting = _params(found.epsg)
        assert datum_name == PROJ_DATUMS[datum]
        assert meridian == (3 * zone if width == 3 else 6 * zone - 3) == found.central_meridian
        assert false_easting == (zone * 1_000_000 if prefixed else 0) + 500_000 == found.false_easting
        assert gk_zones.zone_of_epsg(found.epsg) == found


def test_zone_examples_from_the_brief_and_the_domain_report():
    assert gk_zones.gk_zone("cgcs2000", 3, 40, prefixed=True).epsg == 4528
    assert gk_zones.gk_zone("cgcs2000", 3, 40, prefixed=False).epsg == 4549
    assert gk_zones.gk_zone("xian80", 3, 25, prefixed=True).epsg == 2349
    assert gk_zones.gk_zone("xian80", 3, 45, prefixed=False).epsg == 2390
    assert gk_zones.gk_zone("beijing54", 3, 25, prefixed=True).epsg == 2401
    assert gk_zones.gk_zone("beijing54", 3, 45, prefixed=False).epsg == 2442
    assert gk_zones.gk_zone("beijing54", 6, 14, prefixed=False).epsg == 21454  # CM 81°E, confirmed by EPSG
    assert gk_zones.zone_of_epsg(32651) is None and gk_zones.zone_of_epsg(4326) is None


@pytest.mark.parametrize(("text", "datum"), [
    ("2000国家大地坐标系", "cgcs2000"), ("CGCS2000", "cgcs2000"), ("国家2000坐标系", "cgcs2000"),
    ("80国家大地坐标系", "xian80"), ("1980西安坐标系", "xian80"), ("1980西安国家大地坐标系", "xian80"),
    ("西安80", "xian80"), ("1954北京坐标系", "beijing54"), ("北京54", "beijing54"), ("54北京坐标系", "beijing54"),
])
def test_datum_names_as_files_write_them(text, datum):
    assert gk_zones.datum_from_name(text).key == datum


def test_unknown_datum_names_are_none():
    assert gk_zones.datum_from_name("WGS84") is None
    assert gk_zones.datum_from_name("") is None
    assert gk_zones.datum_from_name(None) is None


# -- reading: layout, fields, CRS -----------------------------------------------------------------------

def test_a_standard_file_one_record_per_plot_with_the_header_fields_as_columns():
    content = read_gtxt(gs.gtxt([gs.one_hectare(), gs.holed_plot()]))
    frame = content.frame
    assert list(frame.columns) == ["界址点数", "地块面积", "地块编号", "地块名称", "图形属性", "图幅号", "地块用途",
                                   "地类编码", "geometry"]
    assert frame["地块编号"].tolist() == ["DK-1", "DK-2"]
    assert frame["地块名称"].tolist() == ["一号地块", "带扣除地块"]
    assert frame["界址点数"].tolist() == [5, 10]
    assert frame["地块面积"].tolist() == [1.0, 0.96]
    assert frame["图幅号"].isna().all()
    # Zone 40 with the prefix (EPSG:4528) is read as the same projection without it (EPSG:4549), exactly.
    assert content.crs.to_epsg() == 4549
    assert "eastings, with the zone prefix 40 (EPSG:4528), read without it (the prefix digits dropped, exactly): " \
           "EPSG:4549 CGCS2000 3° Gauss-Krüger CM 120°E" in notes_of(content)
    # X is the northing, Y the easting: geometry is (easting, northing).
    assert frame.geometry[0].equals(box_en(0, 0, 100))
    assert frame.geometry[1].area == 10_000 - 400
    assert len(frame.geometry[1].interiors) == 1
    assert content.damaged == {} and content.fixes == []
    text = notes_of(content)
    assert "格式版本号=1.01" in text and "数据产生单位=某某测绘院" in text and "带号=40" in text


def test_unprefixed_eastings_declare_the_central_meridian_form():
    content = read_gtxt(gs.gtxt([gs.one_hectare(prefix=False)]))
    assert content.crs.to_epsg() == 4549
    assert content.frame.geometry[0].equals(box_en(0, 0, 100))
    assert "eastings, without the zone prefix: EPSG:4549" in notes_of(content)


def test_prefixes_are_dropped_from_the_digits_not_subtracted():
    """40636400.123 − 4·10⁷ in floating point is not 636400.123; the reader's value is, bit for bit."""
    lines = gs.plot(["5", "0.0050", "DK-1", "", "面", "", "", ""],
                    ["J1,1,3171000.001,40636400.123", "J2,1,3171000.001,40636500.123", "J3,1,3171000.501,40636500.123",
                     "J4,1,3171000.501,40636400.123", "J1,1,3171000.001,40636400.123"])
    geometry = read_gtxt(gs.gtxt([lines])).frame.geometry[0]
    assert float("40636400.123") - 40_000_000 != 636400.123
    assert shapely.get_coordinates(geometry)[0].tolist() == [636400.123, 3171000.001]


@pytest.mark.parametrize(("name", "width", "zone", "prefixed_epsg", "cm_epsg"), [
    ("1980西安坐标系", "3", "40", 2364, 2385), ("80国家大地坐标系", "3", "40", 2364, 2385),
    ("1954北京坐标系", "3", "40", 2416, 2437), ("北京54", "3", "40", 2416, 2437),
    ("2000国家大地坐标系", "6", "21", 4499, 4510), ("1980西安坐标系", "6", "21", 2335, 2346),
    ("1954北京坐标系", "6", "21", 21421, 21461),
])
@pytest.mark.parametrize("prefix", [True, False])
def test_datums_widths_and_zones_map_to_epsg(name, width, zone, prefixed_epsg, cm_epsg, prefix):
    header = {**gs.STANDARD_HEADER, "坐标系": name, "几度分带": width, "带号": zone}
    shift = (int(zone) - gs.ZONE) * 1_000_000 if prefix else 0  # the samples carry zone 40's prefix
    content = read_gtxt(gs.gtxt([gs.one_hectare(prefix=prefix, de=shift)], header=header))
    assert content.crs.to_epsg() == cm_epsg
    assert content.damaged == {}
    assert (f"with the zone prefix {zone} (EPSG:{prefixed_epsg})" in notes_of(content)) is prefix
    assert content.frame.geometry[0].equals(box_en(0, 0, 100))


def test_width_is_told_from_the_zone_and_the_zone_from_the_prefix():
    header = {k: v for k, v in gs.STANDARD_HEADER.items() if k not in ("几度分带", "带号")}
    content = read_gtxt(gs.gtxt([gs.one_hectare()], header=header))
    assert content.crs.to_epsg() == 4549
    assert "zone 40 from the eastings' prefix" in notes_of(content)


def test_non_standard_keys_and_regional_templates_are_read():
    header = {"坐标系": "2000国家大地坐标系", "分带": "3度带", "投影类型": "高斯克吕格", "带号": "第40带"}
    content = read_gtxt(gs.gtxt([gs.one_hectare()], header=header))
    assert content.crs.to_epsg() == 4549
    assert "keys outside the standard's ten, kept in this report: 分带" in notes_of(content)


def test_a_width_that_contradicts_the_zone_is_refused_naming_both():
    header = {**gs.STANDARD_HEADER, "几度分带": "6"}
    with pytest.raises(GtxtError, match=r"header: 带号 40 is not a 6° zone of China \(allowed: 13–23\); 40 is a 3° zone"):
        read_gtxt(gs.gtxt([gs.one_hectare()], header=header))


def test_without_a_datum_the_crs_is_left_to_the_coordinates():
    header = {k: v for k, v in gs.STANDARD_HEADER.items() if k != "坐标系"}
    content = read_gtxt(gs.gtxt([gs.one_hectare()], header=header))
    assert content.crs is None
    assert "the header names no 坐标系" in notes_of(content)
    # Left with the prefix, for the importer to tell the zone from it.
    assert content.frame.geometry[0].equals(box_en(0, 0, 100, prefix=True))


def test_plain_eastings_without_a_zone_leave_the_crs_open():
    header = {k: v for k, v in gs.STANDARD_HEADER.items() if k != "带号"}
    content = read_gtxt(gs.gtxt([gs.one_hectare(prefix=False)], header=header))
    assert content.crs is None
    assert "neither a 带号 nor zone-prefixed eastings say the zone: give the CRS with --crs" in notes_of(content)


def test_extra_sections_leading_spaces_full_width_commas_and_a_file_of_plots_alone():
    text = gs.gtxt([gs.one_hectare()], before=["[项目信息]", "项目名称=某产业园一期"],
                   after_header=["备注=报部"]).replace("[属性描述]", " [属性描述]")
    text = text.replace("J2,1,", "J2，1，").replace("3171000.000,4", "3171000.000，4")
    content = read_gtxt(text)
    assert content.frame.geometry[0].equals(box_en(0, 0, 100))
    notes = notes_of(content)
    assert "[项目信息] 项目名称=某产业园一期" in notes and "备注=报部" in notes
    assert "line(s) written with full-width punctuation" in notes
    bare = "\r\n".join(gs.one_hectare()) + "\r\n"  # no sections at all: the plots are still plots
    assert read_gtxt(bare).frame["地块编号"].tolist() == ["DK-1"]


def test_header_variants_more_and_fewer_fields():
    extra = gs.plot(["5", "1.0000", "DK-9", "九号", "面", "", "农用地", "0101", "旱地", "六等", "备注文字"],
                    gs.ring_lines(gs.square(0, 0, 100), 1))
    short = gs.plot(["5", "1.0000", "DK-8", "八号", "面"], gs.ring_lines(gs.square(200, 0, 100), 1))
    frame = read_gtxt(gs.gtxt([extra, short])).frame
    assert frame[["字段9", "字段10", "字段11"]].iloc[0].tolist() == ["旱地", "六等", "备注文字"]
    assert frame[["地类编码", "字段9"]].iloc[1].isna().all()
    only_short = read_gtxt(gs.gtxt([short])).frame
    assert "地类编码" not in only_short.columns and "图形属性" in only_short.columns


def test_text_that_is_no_number_keeps_its_column_as_written():
    odd = gs.plot(["5", "约1公顷", "DK-7", "七号", "面", "", "", ""], gs.ring_lines(gs.square(0, 0, 100), 1))
    content = read_gtxt(gs.gtxt([odd, gs.one_hectare("DK-1", dn=200)]))
    assert content.frame["地块面积"].tolist() == ["约1公顷", "1.0000"]
    assert "地块面积 '约1公顷' is not a number; not checked" in notes_of(content)


def test_no_plot_at_all_is_refused():
    with pytest.raises(GtxtError, match="no plot"):
        read_gtxt(gs.gtxt([]))


# -- rings ---------------------------------------------------------------------------------------------

def test_rings_by_containment_holes_parts_and_holes_listed_first():
    content = read_gtxt(gs.gtxt([gs.holed_plot(), gs.two_part_plot()]))
    holed, parts = content.frame.geometry
    assert holed.geom_type == "Polygon" and holed.area == 9_600
    assert parts.geom_type == "MultiPolygon" and parts.area == 5_000
    assert "rings read by containment: outer ring(s) 圈号 1, 2 (2 part(s))" in notes_of(content)
    first_hole = gs.plot(["10", "0.9600", "DK-5", "", "面", "", "", ""],
                         gs.ring_lines(gs.square(240, 40, 20), 1), gs.ring_lines(gs.square(200, 0, 100), 2))
    content = read_gtxt(gs.gtxt([first_hole]))
    assert content.frame.geometry[0].equals(holed)
    assert "outer ring(s) 圈号 2, hole(s) 圈号 1" in notes_of(content)


def test_rings_of_different_sizes():
    triangle_hole = ["J1,2,3171220.000,40636020.000", "J2,2,3171220.000,40636060.000", "J3,2,3171260.000,40636020.000",
                     "J1,2,3171220.000,40636020.000"]
    holed = gs.plot(["9", "0.9200", "DK-4", "", "面", "", "", ""], gs.ring_lines(gs.square(200, 0, 100), 1),
                    triangle_hole)
    geometry = read_gtxt(gs.gtxt([holed])).frame.geometry[0]
    assert geometry.area == 10_000 - 800 and len(geometry.interiors) == 1


def test_a_new_ring_starts_after_a_closed_one_even_with_the_same_ring_number():
    same_number = gs.plot(["10", "0.9600", "DK-6", "", "面", "", "", ""],
                          gs.ring_lines(gs.square(200, 0, 100), 1), gs.ring_lines(gs.square(240, 40, 20), 1))
    geometry = read_gtxt(gs.gtxt([same_number])).frame.geometry[0]
    assert geometry.area == 9_600 and len(geometry.interiors) == 1


def test_an_unclosed_ring_is_closed_and_said_by_plot_and_point():
    content = read_gtxt(gs.gtxt([gs.one_hectare(count="4", close=False)]))
    assert content.frame.geometry[0].equals(box_en(0, 0, 100))
    assert content.fixes == [(0, "plot DK-1 (line 13): ring 圈号 1 is not closed (last point J4, line 17, is not "
                                 "the first point J1); closed")]


def test_parts_touching_at_a_corner_under_one_ring_number():
    """The second part starts where the first closed: a ring of its own, not a doubled closing point."""
    first = gs.ring_lines([(100, 100), (100, 0), (0, 0), (0, 100)], 1)
    second = gs.ring_lines([(100, 100), (100, 200), (200, 200), (200, 100)], 1)
    assert first[-1].split(",")[2:] == second[0].split(",")[2:]
    content = read_gtxt(gs.gtxt([gs.plot(["10", "2.0000", "DK-7", "", "面", "", "", ""], first, second)]))
    geometry = content.frame.geometry[0]
    assert geometry.geom_type == "MultiPolygon" and geometry.area == 20_000
    assert "repeats the closing point" not in notes_of(content)


def test_a_doubled_closing_point_is_dropped():
    lines = gs.one_hectare(count="6")
    content = read_gtxt(gs.gtxt([[*lines, lines[-1]]]))
    assert content.frame.geometry[0].equals(box_en(0, 0, 100))
    assert "point J1 (line 19) repeats the closing point; dropped" in notes_of(content)


def _closing_off_by(metres: float) -> str:
    lines = gs.one_hectare()
    number, ring, x, y = lines[-1].split(",")
    lines[-1] = f"{number},{ring},{float(x) + metres:.3f},{y}"
    return gs.gtxt([lines, gs.one_hectare("DK-2", dn=200)])


def test_closure_tolerance_both_sides():
    within = read_gtxt(_closing_off_by(0.009), checks=GtxtChecks(closure_tolerance_m=0.01))
    assert within.damaged == {} and within.frame.geometry[0].equals(box_en(0, 0, 100))
    beyond = read_gtxt(_closing_off_by(0.011), checks=GtxtChecks(closure_tolerance_m=0.01))
    assert beyond.damaged == {0: "plot DK-1 (line 13): ring 圈号 1: closing point J1 (line 18) lies 0.011 m from "
                                 "the first point J1 (line 14); they must be the same point (within 0.01 m)"}
    assert beyond.frame.geometry[1].equals(box_en(0, 200, 100))  # the other plot is whole


def test_lines_that_are_not_points_and_too_few_points_damage_their_plot():
    broken = gs.one_hectare()
    broken[2] = "J2,1,3171000.000"
    bad_number = gs.one_hectare("DK-2", dn=200)
    bad_number[3] = "J3,1,31711OO.000,40636100.000"
    thin = gs.plot(["3", "0", "DK-3", "", "面", "", "", ""], ["J1,1,3171500.000,40636000.000",
                                                            "J2,1,3171500.000,40636050.000",
                                                            "J1,1,3171500.000,40636000.000"])
    content = read_gtxt(gs.gtxt([broken, bad_number, thin]))
    assert content.damaged == {
        0: "plot DK-1 (line 13): line 15 is not a point line 点号,圈号,X,Y (it has 3 fields)",
        1: "plot DK-2 (line 19): line 22: coordinate '31711OO.000' is not a number",
        2: "plot DK-3 (line 25): ring 圈号 1 (line 26) has 2 distinct point(s); a ring needs at least 3"}


# -- axes and zones ------------------------------------------------------------------------------------

@pytest.mark.parametrize("prefix", [True, False])
def test_swapped_x_and_y_are_exchanged_and_said(prefix):
    content = read_gtxt(gs.gtxt([gs.one_hectare(swap=True, prefix=prefix), gs.one_hectare("DK-2", dn=200,
                                                                                           prefix=prefix)]))
    assert content.frame.geometry[0].equals(box_en(0, 0, 100))
    assert content.fixes == [(0, "plot DK-1 (line 13): X holds the eastings and Y the northings (X must be the "
                                 "northing); exchanged")]


def test_a_zone_prefix_that_contradicts_the_header_damages_the_plot():
    wrong = gs.one_hectare("DK-2", dn=200, de=-1_000_000)  # prefix 39 under 带号=40
    content = read_gtxt(gs.gtxt([gs.one_hectare(), wrong]))
    assert content.damaged == {1: "plot DK-2 (line 19): zone mismatch: the header's 带号 is 40, but the eastings "
                                  "carry zone prefix 39 (Y = 39,636,000.000 at point J1); correct the 带号 or the "
                                  "coordinates"}
    assert content.crs.to_epsg() == 4549


@pytest.mark.parametrize("datum", ["2000国家大地坐标系", None])
def test_a_plot_in_another_form_than_the_others_is_brought_into_theirs(datum):
    header = {**gs.STANDARD_HEADER, "坐标系": datum} if datum else \
        {k: v for k, v in gs.STANDARD_HEADER.items() if k != "坐标系"}
    content = read_gtxt(gs.gtxt([gs.one_hectare(), gs.one_hectare("DK-2", dn=200),
                                 gs.one_hectare("DK-3", dn=400, prefix=False)], header=header))
    # With a datum: the CRS without the prefix for all; without one: the file's majority form, prefixed.
    assert (content.crs.to_epsg() if content.crs else None) == (4549 if datum else None)
    assert content.frame.geometry[2].equals(box_en(0, 400, 100, prefix=datum is None))
    assert content.frame.geometry[0].equals(box_en(0, 0, 100, prefix=datum is None))
    line = 25 if datum else 24  # the header has one key less
    assert f"plot DK-3 (line {line}): eastings without the zone prefix, unlike the file's other plots; read in " \
           "their form" in notes_of(content)


# -- counts and areas ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("count", "flagged"), [("5", False), ("4", False), ("6", True), ("3", True)])
def test_point_count_with_or_without_closing_points(count, flagged):
    content = read_gtxt(gs.gtxt([gs.one_hectare(count=count)]))
    message = f"plot DK-1 (line 13): 界址点数 is {count}, but the plot has 5 point line(s) (4 without the closing points)"
    assert (message in notes_of(content)) is flagged


@pytest.mark.parametrize(("area", "flagged"), [("1.0000", False), ("1.0100", False), ("0.9900", False),
                                               ("1.0101", True), ("0.9899", True)])
def test_header_area_both_sides_of_the_default_tolerance(area, flagged):
    content = read_gtxt(gs.gtxt([gs.one_hectare(area=area)]))
    assert ("地块面积" in notes_of(content)) is flagged


def test_header_area_tolerance_from_the_environment(monkeypatch):
    text = gs.gtxt([gs.one_hectare(area="1.0150")])
    assert "地块面积 1.0150 公顷 in the header, 1.0000 公顷 from the coordinates (+1.50 %; tolerance 1 %)" \
        in notes_of(read_gtxt(text))
    monkeypatch.setenv("PARKATLAS_GTXT_AREA_TOLERANCE_PCT", "2")
    assert "地块面积" not in notes_of(read_gtxt(text, checks=GtxtChecks.from_environ()))
    monkeypatch.setenv("PARKATLAS_GTXT_AREA_TOLERANCE_PCT", "two")
    with pytest.raises(ValueError, match=r"PARKATLAS_GTXT_AREA_TOLERANCE_PCT='two' is not a number ≥ 0 \(default 1.0\)"):
        GtxtChecks.from_environ()


def test_header_area_in_the_wrong_unit_is_named():
    content = read_gtxt(gs.gtxt([gs.one_hectare(area="10000.0000"), gs.one_hectare("DK-2", dn=200, area="15.0000")]))
    notes = notes_of(content)
    assert "plot DK-1 (line 13): 地块面积 10000.0000 公顷 in the header, 1.0000 公顷 from the coordinates " \
           "(+999900.00 %; tolerance 1 %); it matches the coordinates if read as 平方米, not 公顷" in notes
    assert "it matches the coordinates if read as 亩, not 公顷" in notes


def test_an_area_unit_declared_in_the_header_is_used():
    header = {**gs.STANDARD_HEADER, "面积单位": "亩"}
    assert "地块面积" not in notes_of(read_gtxt(gs.gtxt([gs.one_hectare(area="15.0000")], header=header)))
    assert "地块面积 1.0000 亩" in notes_of(read_gtxt(gs.gtxt([gs.one_hectare(area="1.0000")], header=header)))
    with pytest.raises(GtxtError, match="面积单位='英亩' is not an area unit; allowed: 公顷, 亩, 平方米"):
        read_gtxt(gs.gtxt([gs.one_hectare()], header={**gs.STANDARD_HEADER, "面积单位": "英亩"}))


@pytest.mark.parametrize(("area", "flagged"), [("0.0009", False), ("0.001", False), ("0.0010", True),
                                               ("0.002", True)])
def test_the_rounding_of_a_small_plots_header_area_is_allowed(area, flagged):
    """A 3 m square is 9 m²: '0.001' 公顷 claims ±5 m² (half its last decimal), '0.0010' only ±0.5 m²."""
    tiny = gs.plot(["5", area, "DK-1", "", "面", "", "", ""], gs.ring_lines(gs.square(0, 0, 3.0), 1))
    assert ("地块面积" in notes_of(read_gtxt(gs.gtxt([tiny])))) is flagged


# -- encodings and telling the format ------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["gbk", "utf-8", "utf-8-sig", "utf-16", "utf-16-le-nobom"])
def test_encodings_read_the_same(tmp_path, encoding):
    path = gs.write(tmp_path, gs.gtxt([gs.one_hectare(name="一号·地块")]), encoding=encoding)
    assert formats.identify(path).key == "gtxt"
    data = read_source(path, PARCELS)
    assert data.frame["地块名称"].tolist() == ["一号·地块"]
    assert data.declared_crs.to_epsg() == 4549 and data.driver == "国土 TXT"
    if encoding == "utf-16-le-nobom":
        assert data.encoding.how.startswith("UTF-16 without a byte-order mark")


def test_a_txt_is_csv_unless_it_is_a_gtxt_and_a_gtxt_named_csv_is_refused(tmp_path):
    table = tmp_path / "table.txt"
    table.write_text("name,lon,lat\na,121.4,28.6\n", encoding="utf-8")
    assert formats.identify(table).key == "csv"
    plots_only = gs.write(tmp_path, "\r\n".join(gs.one_hectare()) + "\r\n", name="plots.txt")
    assert formats.identify(plots_only).key == "gtxt"
    misnamed = gs.write(tmp_path, gs.gtxt([gs.one_hectare()]), name="报批.csv")
    with pytest.raises(SourceError, match=r"报批.csv is not CSV text: its content is a 国土 boundary-coordinate TXT"):
        formats.identify(misnamed)
    assert looks_like_gtxt("[属性描述]\n") and looks_like_gtxt("5,1.0,DK,名,面,,,,@")
    assert looks_like_gtxt("5,1.0,DK,名,面,,工业用地,1001@")  # eight fields: the terminator needs no comma
    assert not looks_like_gtxt("id,name,email\n1,x,someone@\n") and not looks_like_gtxt("a,b\n")


def test_a_gtxt_is_for_polygon_layers(tmp_path):
    path = gs.write(tmp_path, gs.gtxt([gs.one_hectare()]))
    with pytest.raises(SourceError, match="a 国土 TXT holds land plots \\(polygons\\); layer 'roads' is not"):
        read_source(path, get_layer("roads"))


# -- writing -------------------------------------------------------------------------------------------

def _layer(geometries, ids, *, crs=4549, names=None, land_use=None):
    frame = gpd.GeoDataFrame({"parcel_id": ids, "name": names or [None] * len(ids),
                              "land_use": land_use or [None] * len(ids)}, geometry=geometries, crs=crs)
    return validate_layer(frame, PARCELS, source="test")[0]


def _local(de, dn, size):
    return shapely.box(gs.E0 + de, gs.N0 + dn, gs.E0 + de + size, gs.N0 + dn + size)


def test_the_written_file_header_plots_rings_and_points():
    holed = shapely.Polygon(_local(0, 0, 100).exterior.coords, [_local(40, 40, 20).exterior.coords])
    parts = shapely.MultiPolygon([_local(0, 200, 50), _local(150, 200, 50)])
    frame = _layer([holed, parts], ["A1", "A2"], names=["甲,地块", "乙\n地块"], land_use=["100101", None])
    written = gtxt_text(frame, PARCELS, zone=export_zone(frame.crs), producer="测试园区", date=dt.date(2025, 6, 15))
    lines = written.text.split("\r\n")
    assert lines[:12] == ["[属性描述]", "格式版本号=1.01", "数据产生单位=测试园区", "数据产生日期=2025-06-15",
                          "坐标系=2000国家大地坐标系", "几度分带=3", "投影类型=高斯克吕格", "计量单位=米", "带号=40",
                          "精度=0.001", "转换参数=,,,,,,", "[地块坐标]"]
    assert lines[12] == "10,0.9600,A1,甲，地块,面,,一类工业用地,100101,@"
    ring1, ring2 = lines[13:18], lines[18:23]
    assert [line.split(",")[:2] for line in ring1] == [["J1", "1"], ["J2", "1"], ["J3", "1"], ["J4", "1"], ["J1", "1"]]
    assert ring1[0] == ring1[-1] and ring2[0] == ring2[-1] and ring2[0].startswith("J1,2,")
    northing, easting = map(float, ring1[0].split(",")[2:])
    assert northing == gs.N0 and easting - gs.PREFIX in (gs.E0, gs.E0 + 100)  # X north, Y east with prefix 40
    assert lines[23] == "10,0.5000,A2,乙 地块,面,,,,@"
    assert {line.split(",")[1] for line in lines[24:34]} == {"1", "2"}
    assert lines[-1] == "" and len(lines) == 35
    assert written.notes == ["2 value(s) held ',' or line breaks, which separate a 国土 TXT's fields: written "
                             "with '，' and spaces"]


def test_written_files_read_back_to_the_millimetre():
    odd = shapely.Polygon([(gs.E0 + 0.1234, gs.N0 + 0.0006), (gs.E0 + 80.5555, gs.N0 + 1.2),
                           (gs.E0 + 40.0004, gs.N0 + 70.9999)])
    holed = shapely.Polygon(_local(0, 200, 100).exterior.coords, [_local(40, 240, 20).exterior.coords])
    parts = shapely.MultiPolygon([_local(0, 400, 50), _local(150, 400, 50)])
    frame = _layer([odd, holed, parts], ["B1", "B2", "B3"], names=["一", "二", None], land_use=["1001", "0901", None])
    content = read_gtxt(gtxt_text(frame, PARCELS, zone=export_zone(frame.crs)).text)
    assert content.damaged == {}
    assert [m.split(": ", 1)[1] for _, m in content.fixes] == [
        "rings read by containment: outer ring(s) 圈号 1, 2 (2 part(s))"]  # the two parts, nothing else
    back = gpd.GeoSeries(content.frame.geometry, crs=content.crs).to_crs(4549).to_numpy()
    # Coordinates are written to the millimetre: the odd one moves by at most half of it, the others not at all.
    assert shapely.equals_exact(back[0], odd, tolerance=0.0005 * 2**0.5 + 1e-9)
    assert not shapely.equals_exact(back[0], odd, tolerance=0.0003)
    assert shapely.equals_exact(back[1], holed, tolerance=1e-6) and shapely.equals_exact(back[2], parts, tolerance=1e-6)
    assert content.frame["地块编号"].tolist() == ["B1", "B2", "B3"]
    assert values(content.frame["地块名称"]) == ["一", "二", None]
    assert values(content.frame["地类编码"]) == ["1001", "0901", None]
    assert content.frame["地块面积"].tolist() == [round(odd.area / 1e4, 4), 0.96, 0.5]


def test_xian80_and_beijing54_parks_write_their_datum_and_zone():
    for epsg, name, width, zone, read_as in ((2383, "1980西安坐标系", "3", "38", 2383),
                                             (21460, "1954北京坐标系", "6", "20", 21460),
                                             (4528, "2000国家大地坐标系", "3", "40", 4549)):
        square = _local(0, 0, 100) if epsg != 4528 else shapely.affinity.translate(_local(0, 0, 100), gs.PREFIX)
        frame = _layer([square], ["C1"], crs=epsg)
        text = gtxt_text(frame, PARCELS, zone=export_zone(frame.crs)).text
        assert f"坐标系={name}\r\n几度分带={width}\r\n" in text and f"带号={zone}\r\n" in text
        assert read_gtxt(text).crs.to_epsg() == read_as
        easting = float(text.split("\r\n")[13].split(",")[3])
        assert easting // 1_000_000 == int(zone)


def test_a_park_crs_a_gtxt_cannot_declare_is_refused_naming_what_is_allowed(tmp_path):
    frame = _layer([_local(0, 0, 100)], ["D1"]).to_crs(32651)
    with pytest.raises(GtxtExportError) as caught:
        write_gtxt(frame, PARCELS, tmp_path / "x.txt")
    assert "the park's working CRS (EPSG:32651) is not a Gauss-Krüger zone of CGCS2000, Xi'an 1980 or Beijing " \
           "1954" in str(caught.value)
    assert "allowed: CGCS2000 EPSG:4491–4501, 4502–4512, 4513–4533, 4534–4554; Xi'an 1980 EPSG:2327–2337, " \
           "2338–2348, 2349–2369, 2370–2390; Beijing 1954 EPSG:2401–2421, 2422–2442, 21413–21423, 21453–21463" \
        in str(caught.value)
    assert caught.value.zh.startswith("园区工作坐标系（EPSG:32651）不是")
    assert not (tmp_path / "x.txt").exists()
    with pytest.raises(GtxtExportError, match="a 国土 TXT lists land plots"):
        write_gtxt(frame, get_layer("roads"), tmp_path / "x.txt")


def test_encodings_of_the_written_file(tmp_path):
    frame = _layer([_local(0, 0, 100)], ["E1"], names=["一号地块"])
    assert write_gtxt(frame, PARCELS, tmp_path / "g.txt") == []
    data = (tmp_path / "g.txt").read_bytes()
    assert "一号地块".encode("gbk") in data and b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    write_gtxt(frame, PARCELS, tmp_path / "u.txt", encoding="UTF-8")
    assert "一号地块".encode("utf-8") in (tmp_path / "u.txt").read_bytes()
    rare = _layer([_local(0, 0, 100)], ["E2"], names=["𠀾地块"])  # outside GBK
    notes = write_gtxt(rare, PARCELS, tmp_path / "r.txt")
    assert notes == ["'𠀾' is not in GBK: the file is written in GB18030, GBK's superset"]
    assert (tmp_path / "r.txt").read_bytes().decode("gb18030").count("𠀾地块") == 1
    with pytest.raises(GtxtExportError, match="text encoding 'latin-1' for a 国土 TXT; allowed: gbk, utf-8"):
        encoding_of("latin-1")


def test_records_without_geometry_are_left_out_and_said():
    frame = _layer([_local(0, 0, 100), _local(0, 200, 100)], ["F1", "F2"])
    frame.loc[frame.index[1], "geometry"] = None  # a validated layer has none; a frame from elsewhere may
    written = gtxt_text(frame, PARCELS, zone=export_zone(frame.crs))
    assert written.plots == 1 and ",F2," not in written.text
    assert written.notes == ["1 record(s) without geometry left out (a 国土 TXT lists plots by their boundary)"]
    assert np.isclose(read_gtxt(written.text).frame.geometry[0].area, 10_000)
