"""Field mapping, value normalisation and geometry repair, with hand-computed expectations."""

import numpy as np
import pandas as pd
import pytest
import shapely

from geo.units import M2_PER_HA, M2_PER_MU
from layers.io.geometry import prepare_geometries, topology_flags
from layers.io.mapping import MappingError, load_mapping, match_columns, parse_mapping, split_unit
from layers.io.normalise import normalise_dates, normalise_land_use, normalise_network, normalise_quantity
from layers.io.options import ImportLimits, TopologyTolerances
from layers.io.report import ImportReport
from layers.io.write import shapefile_names
from layers.registry import get_layer

PARCELS = get_layer("parcels")
PIPES = get_layer("pipelines")

# -- mapping ------------------------------------------------------------------------------------------------


def test_aliases_are_case_and_width_insensitive():
    match = match_columns(["ＤＫＢＨ", "ydxz", "地块名称", "OBJECTID"], PARCELS)
    assert match.renames == {"ＤＫＢＨ": "parcel_id", "ydxz": "land_use", "地块名称": "name"}
    assert match.kept == ["OBJECTID"]


def test_labels_and_units_in_headers():
    match = match_columns(["出让面积(亩)", "已开发面积（公顷）", "土地价款(元)", "登记面积(m²)"], PARCELS)
    assert match.renames == {"出让面积(亩)": "registered_area_m2", "已开发面积（公顷）": "developed_area_m2",
                             "土地价款(元)": "land_price_wan"}
    assert match.units == {"registered_area_m2": "亩", "developed_area_m2": "公顷", "land_price_wan": "元"}
    assert any("登记面积(m²)" in note[1] for note in match.notes)  # second source for registered_area_m2


def test_a_unit_of_the_wrong_kind_is_a_problem():
    match = match_columns(["土地价款(平方米)"], PARCELS)
    assert match.problems == [("land_price_wan", "source field '土地价款(平方米)': unit '平方米' cannot be "
                               "converted to land_price_wan (万元; a unit of money)", "平方米")]


def test_split_unit():
    assert split_unit("出让面积(亩)") == ("出让面积", "亩")
    assert split_unit("面积_公顷") == ("面积", "公顷")
    assert split_unit("land_use") == ("land_use", None)
    assert split_unit("Shape_Area") == ("shape_area", None)


def test_mapping_file_is_checked(tmp_path):
    path = tmp_path / "m.yaml"
    for text, message in [
        ("fields: {宗地号: plot_id}", r"fields\.宗地号: no field of layer 'parcels'.*\(got 'plot_id'\)"),
        ("colours: {}", r"colours: unknown key; allowed: fields, keep, links, values"),
        ("units: {面积: acres}", r"units\.面积: unknown unit; known: .*亩"),
        ("fields: [a, b]", r"fields: must be a mapping"),
        ("links: [所在地块]", r"links: layer 'parcels' links no other layer's records"),
        ("fields: {a: : b", r"not valid YAML"),
    ]:
        path.write_text(text, encoding="utf-8")
        with pytest.raises(MappingError, match=message):
            load_mapping(path, PARCELS)
    with pytest.raises(MappingError, match="cannot read the mapping file"):
        load_mapping(tmp_path / "absent.yaml", PARCELS)


def test_mapping_overrides_aliases_and_can_ignore():
    mapping = parse_mapping({"fields": {"宗地号": None, "OBJECTID": "parcel_id"}}, PARCELS)
    match = match_columns(["宗地号", "OBJECTID"], PARCELS, mapping)
    assert match.renames == {"OBJECTID": "parcel_id"}


# -- normalisation ------------------------------------------------------------------------------------------


def test_land_use_crosswalk_keeps_the_original_and_flags_review():
    frame = pd.DataFrame({"land_use": ["M1", "m2", "W3", "B11", "E2", "0601", "1001", "100101", "1001"],
                          "land_use_std": [None, None, None, None, None, "三调", None, None, "GB/T 21010-2017"]})
    notes = normalise_land_use(frame)
    assert list(frame["land_use"]) == ["100101", "100102", "110103", "0901", "E2", "1001", "1001", "100101", "1201"]
    assert list(frame["land_use_std"].fillna("-")) == ["用地用海2023"] * 4 + ["GB50137-2011", "用地用海2023", "-", "-",
                                                                              "用地用海2023"]
    assert list(frame["land_use_original"].fillna("-")) == ["M1", "M2", "W3", "B11", "E2", "0601", "-", "-", "1001"]
    assert list(frame["land_use_review"].fillna(False)) == [True] * 7 + [False, True]
    messages = {row: message for row, _, message, _ in notes}
    assert "no 用地用海2023 equivalent for E2 (GB50137-2011); kept in GB50137-2011, review" == messages[4]
    assert "in GB/T21010-2017 1001 means 铁路用地: review" in messages[6]


def test_land_use_class_names_are_read_as_their_codes_and_kept_as_written():
    # 二类工业用地 and 工业用地 name classes of all three systems (the same land): read as the 2023 class. 城市道路用地
    # and 商务用地 are GB 50137 names only (S1, B2), 铁路用地 a GB/T 21010 one (1001): crosswalked then as their codes
    # are. 二類工業用地 is written in traditional characters. 二类工业 names no class (the validator refuses it).
    frame = pd.DataFrame({"land_use": ["二类工业用地", "工业用地", "城市道路用地", " 商务 用地 ", "二類工業用地",
                                       "二类工业", "M1", "铁路用地"]})
    notes = normalise_land_use(frame)
    assert list(frame["land_use"]) == ["100102", "1001", "1207", "0902", "100102", "二类工业", "100101", "1201"]
    assert list(frame["land_use_std"].fillna("-")) == ["用地用海2023"] * 5 + ["-"] + ["用地用海2023"] * 2
    assert list(frame["land_use_original"].fillna("-")) == ["二类工业用地", "工业用地", "城市道路用地", "商务用地",
                                                            "二類工業用地", "-", "M1", "铁路用地"]
    assert list(frame["land_use_original_std"].fillna("-")) == ["用地用海2023", "用地用海2023", "GB50137-2011",
                                                                "GB50137-2011", "用地用海2023", "-", "GB50137-2011",
                                                                "GB/T21010-2017"]
    # An exact 2023 name means what it says: no review; a crosswalked one is reviewed as its code would be.
    assert list(frame["land_use_review"].fillna(False)) == [False, False, True, True, False, False, True, True]
    named = {row: message for row, _, message, _ in notes if message.startswith("class name")}
    assert named == {0: "class name read as its code 100102 (用地用海2023)",
                     1: "class name read as its code 1001 (用地用海2023)",
                     2: "class name read as its code S1 (GB50137-2011)",
                     3: "class name read as its code B2 (GB50137-2011)",
                     4: "class name read as its code 100102 (用地用海2023)",
                     7: "class name read as its code 1001 (GB/T21010-2017)"}


def test_dates_excel_serials_compact_and_day_month_order():
    out, notes = normalise_dates(pd.Series(["44256", "20210301", "20000", "73050", "19999", "2021/3/1"]))
    assert out.iloc[0] == pd.Timestamp("2021-03-01") and out.iloc[1] == pd.Timestamp("2021-03-01")
    assert out.iloc[2] == pd.Timestamp("1954-10-03") and out.iloc[3] == pd.Timestamp("2099-12-31")
    assert out.iloc[4] == "19999" and out.iloc[5] == "2021/3/1"  # left for the validator
    assert [row for row, _, _ in notes] == [0, 2, 3]
    uk, notes = normalise_dates(pd.Series(["31/12/2017", "01/02/2018"]))
    assert list(uk) == [pd.Timestamp("2017-12-31"), pd.Timestamp("2018-02-01")]
    assert notes[0][1] == "date read as day/month/year"
    us, _ = normalise_dates(pd.Series(["12/31/2017", "01/02/2018"]))
    assert list(us) == [pd.Timestamp("2017-12-31"), pd.Timestamp("2018-01-02")]
    unsure, notes = normalise_dates(pd.Series(["01/02/2018"]))
    assert unsure.iloc[0] == pd.Timestamp("2018-02-01") and "no value proves the order" in notes[0][1]


def test_quantities_in_mu_hectares_and_written_with_units():
    area = PARCELS.field("registered_area_m2")
    out, _ = normalise_quantity(pd.Series(["1.5", "2", None]), area, "亩")
    assert list(out[:2]) == pytest.approx([1.5 * M2_PER_MU, 2 * M2_PER_MU])
    assert pd.isna(out.iloc[2])
    out, notes = normalise_quantity(pd.Series(["12.5亩", "1.2公顷", "1,234.5", "800㎡", "3 acres"]), area, None)
    assert list(out[:4]) == pytest.approx([12.5 * M2_PER_MU, 1.2 * M2_PER_HA, 1234.5, 800.0])
    assert out.iloc[4] == "3 acres"  # not converted: the validator reports it
    assert len(notes) == 3
    money, _ = normalise_quantity(pd.Series([50000.0]), PARCELS.field("land_price_wan"), "元")
    assert money.iloc[0] == pytest.approx(5.0)


def test_cjj61_network_codes():
    out, notes = normalise_network(pd.Series(["JS", "YS12", "WS-300", "污水管线", "JP", "给水管", "GY", None]),
                                   PIPES.field("network"))
    assert list(out[:6]) == ["JS", "rain", "sewer", "sewer", "water_supply", "water_supply"]
    assert out.iloc[6] == "GY" and pd.isna(out.iloc[7])  # industrial pipes have no network here: reported later
    assert len(notes) == 5


# -- geometry -----------------------------------------------------------------------------------------------


def test_geometry_repairs_are_listed_by_record():
    geoms = np.array([
        shapely.box(0, 0, 10, 10),
        shapely.from_wkt("POLYGON ((0 0, 10 10, 10 0, 0 10, 0 0))"),  # bow-tie
        shapely.from_wkt("LINESTRING (0 0, 1 0, 1 1, 0 0)"),  # closed ring from CAD
        shapely.from_wkt("POLYGON Z ((0 0 5, 1 0 5, 1 1 5, 0 0 5))"),
        shapely.from_wkt("GEOMETRYCOLLECTION (POLYGON ((0 0, 1 0, 1 1, 0 0)), POINT (3 3))"),
        shapely.from_wkt("MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)))"),
    ], dtype=object)
    result = prepare_geometries(geoms, "Polygon")
    fixes = {row: message for row, message, _ in result.fixes}
    assert fixes[1].startswith("invalid geometry (Self-intersection") and fixes[1].endswith("repaired with make_valid")
    assert fixes[2] == "closed line turned into a polygon"
    assert fixes[3] == "Z (height) coordinates dropped"
    assert fixes[4] == "geometry collection read as Polygon; 1 part(s) of another kind dropped"
    assert 0 not in fixes and not result.problems
    types = shapely.get_type_id(result.geometries)
    assert list(types) == [3, 6, 3, 3, 3, 3]  # the bow-tie stays one record of two triangles; 1-part multi → single
    assert shapely.area(result.geometries[1]) == pytest.approx(50.0)


def test_explode_suffixes_parts():
    geoms = np.array([shapely.MultiPoint([(0, 0), (1, 1)]), shapely.Point(5, 5)], dtype=object)
    result = prepare_geometries(geoms, "Point", multipart="explode")
    assert list(result.rows) == [0, 0, 1] and list(result.part) == [1, 2, 0]


def test_vertex_limit_and_non_finite_coordinates():
    ring = shapely.Polygon([(0, 0), (1, 0), (1, 1), (0, 1)])  # 5 coordinates with the closing one
    limits = ImportLimits(max_vertices_per_feature=5)
    assert not prepare_geometries(np.array([ring], dtype=object), "Polygon", limits=limits).problems
    limits = ImportLimits(max_vertices_per_feature=4)
    (problem,) = prepare_geometries(np.array([ring], dtype=object), "Polygon", limits=limits).problems
    assert problem[1].startswith("5 vertices; at most 4 per feature")
    with np.errstate(invalid="ignore"):
        nan = shapely.Polygon([(0, 0), (1, 0), (1, np.nan), (0, 0)])
    (problem,) = prepare_geometries(np.array([nan], dtype=object), "Polygon").problems
    assert problem[1] == "coordinates are not finite numbers (NaN or infinity)"


def test_topology_overlaps_slivers_and_gaps_by_hand():
    import geopandas as gpd

    frame = gpd.GeoDataFrame(geometry=[
        shapely.box(0, 0, 10, 10),
        shapely.box(9, 0, 20, 10),  # overlaps the first by 1 × 10 = 10 m²
        shapely.box(20, 0, 30, 10).difference(shapely.box(24, 4, 26, 6)),  # a 4 m² gap inside
        shapely.box(40, 0, 40.9, 100),  # mean width 2·90/201.8 = 0.892 m: a sliver
        shapely.box(60, 0, 63, 3),  # 9 m² < 10 m²: a sliver
        shapely.box(0, 20, 10.25, 24), shapely.box(10, 20, 20, 24),  # overlap 0.25 × 4 = 1 m²: at the limit, flagged
        shapely.box(0, 40, 10.125, 44), shapely.box(10, 40, 20, 44),  # overlap 0.5 m²: noise
    ], crs=4549)
    flags = topology_flags(frame, tolerances=TopologyTolerances())
    overlaps = {(a, b): round(area, 6) for a, b, area in flags.overlaps}
    assert overlaps == {(0, 1): 10.0, (5, 6): 1.0}
    assert [(i, round(area, 3)) for i, area, _ in flags.slivers] == [(3, 90.0), (4, 9.0)]
    assert [(x, y, area) for x, y, area in flags.gaps] == [(25.0, 5.0, 4.0)]


# -- small pieces -------------------------------------------------------------------------------------------


def test_shapefile_names_are_cut_the_same_way_every_time():
    names = ["agreed_start_date", "agreed_completion_date", "actual_start_date", "actual_completion_date",
             "far_min", "investment_planned_wan", "investment_done_wan"]
    short = shapefile_names(names)
    assert short == {"agreed_start_date": "agreed_sta", "agreed_completion_date": "agreed_com",
                     "actual_start_date": "actual_sta", "actual_completion_date": "actual_com", "far_min": "far_min",
                     "investment_planned_wan": "investment", "investment_done_wan": "investme01"}
    assert shapefile_names(names) == short
    assert all(len(v) <= 10 for v in short.values()) and len(set(short.values())) == len(names)


def test_report_groups_records_and_says_what_it_got():
    report = ImportReport(layer="parcels", source="x.shp")
    for i in range(15):
        report.problem(f"row {i + 1}", "status", "unknown value; allowed: planned, supplied", "批而未供2")
    text = report.text()
    assert "row 1, row 2" in text and "… and 3 more · status: unknown value; allowed: planned, supplied" in text
    assert "(got '批而未供2')" in text
    assert report.to_dict()["problems"][0] == {"record": "row 1", "field": "status",
                                               "message": "unknown value; allowed: planned, supplied",
                                               "value": "'批而未供2'"}


# -- days written as text (layers.values.to_date) -----------------------------------------------------------


@pytest.mark.parametrize(("text", "day"), [
    ("2021-03-01", "2021-03-01"), ("2021/3/1", "2021-03-01"), ("2021.3.1", "2021-03-01"),
    ("2021年3月1日", "2021-03-01"), ("2021年3月1", "2021-03-01"), ("20210301", "2021-03-01"),
    (" 2021 / 3 / 1 ", "2021-03-01"), ("２０２１年３月１日", "2021-03-01"),  # full-width digits, as typed in Chinese
    ("2021-03-01 23:59", "2021-03-01"), ("2021-03-01T23:59:59.5+08:00", "2021-03-01"),  # the time is dropped
    ("2020-02-29", "2020-02-29"), ("1960-12-31", "1960-12-31"),
])
def test_a_day_written_year_first_is_read(text, day):
    from layers.values import to_date

    out, bad = to_date(pd.Series([text], dtype=object))
    assert out.iloc[0] == pd.Timestamp(day) and not bad.iloc[0]


@pytest.mark.parametrize("text", [
    "2021年", "2021", "2021-3", "2021年3月", "2021.03",  # a year or a month alone: no day is guessed
    "1/3/2021", "3/1/2021",  # day or month first: January or March? (an import reads such columns beforehand)
    "21-3-1", "Mar 2021", "二〇二一年三月一日", "2021-03-01 noon",
    "2019-02-29", "2021-13-01", "2021-04-31", "202103011",  # no such day; nine digits
])
def test_text_that_is_not_a_whole_day_written_year_first_is_refused(text):
    from layers.values import to_date

    out, bad = to_date(pd.Series([text, "2021-03-01", None], dtype=object))
    assert out.isna().tolist() == [True, False, True] and bad.tolist() == [True, False, False]


def test_an_import_refuses_a_year_alone_naming_the_record_field_value_and_the_allowed_forms(tmp_path, tiny_park):
    from layers.import_text import chinese
    from layers.io import ImportOptions, ImportRejected, import_layer

    source = tmp_path / "企业.csv"
    source.write_text("企业编号,企业名称,成立日期\nE1,甲公司,2019年\nE2,乙公司,2019年3月1日\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        import_layer(source, "enterprises", park=tiny_park, options=ImportOptions(mode="upsert", dry_run=True))
    text = caught.value.report.text()
    assert ("row 1 (enterprise_id=E1) · established: expected a date, year first (YYYY-MM-DD, YYYY/M/D, YYYY.M.D, "
            "YYYYMMDD or YYYY年M月D日) (got '2019年')") in text
    assert "row 2" not in text
    assert (chinese("expected a date, year first (YYYY-MM-DD, YYYY/M/D, YYYY.M.D, YYYYMMDD or YYYY年M月D日)")
            == "应为日期，年份在前（YYYY-MM-DD、YYYY/M/D、YYYY.M.D、YYYYMMDD 或 YYYY年M月D日）")


def test_a_class_name_read_as_its_code_says_so_in_chinese_and_supply_dates_map_to_the_contract_date():
    from layers.import_text import chinese

    assert chinese("class name read as its code 100102 (用地用海2023)") == "地类名称已按其代码 100102（用地用海2023）读取"
    for header in ("出让时间", "出让日期", "供地日期", "供地时间", "签订日期", "合同签订日期"):
        assert match_columns([header], PARCELS).renames == {header: "contract_date"}
    assert match_columns(["出让面积"], PARCELS).renames == {"出让面积": "registered_area_m2"}  # (not a date)
