"""Validation at the layer boundary: every problem at once, each message pinned."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from layers.registry import get_layer
from layers.validate import LayerValidationError, validate_layer
from layers.values import FEW_VALUES

EPSG = 4549
PARCELS = get_layer("parcels")


def parcels_frame(**columns) -> gpd.GeoDataFrame:
    n = len(next(iter(columns.values()))) if columns else 2
    geometry = columns.pop("geometry", [shapely.box(i * 100, 0, i * 100 + 90, 90) for i in range(n)])
    crs = columns.pop("crs", EPSG)
    return gpd.GeoDataFrame(columns, geometry=geometry, crs=crs)


def problems_of(frame, spec=PARCELS, source="plots.shp") -> list[str]:
    with pytest.raises(LayerValidationError) as caught:
        validate_layer(frame, spec, source=source)
    return [str(p) for p in caught.value.problems]


def test_valid_frame_is_typed_and_keeps_values():
    frame = parcels_frame(
        parcel_id=["A", "B"],
        status=["operating", "批而未供"],
        tenure=["出让", None],
        contract_date=["2021/3/1", "2021年3月2日"],
        land_price_wan=["1,200.5", None],
        floors=[1, 2],
    )
    typed, report = validate_layer(frame, PARCELS, source="plots.shp")
    assert list(typed["status"]) == ["operating", "approved_unsupplied"]
    assert typed["tenure"].iloc[0] == "granted" and pd.isna(typed["tenure"].iloc[1])
    assert list(typed["contract_date"]) == [pd.Timestamp("2021-03-01"), pd.Timestamp("2021-03-02")]
    assert typed["land_price_wan"].iloc[0] == 1200.5
    assert typed.crs.to_epsg() == EPSG
    assert list(typed.columns) == [*PARCELS.field_names, "geometry"]
    assert [str(n) for n in report.notices] == ["record all, field floors: not a field of layer 'parcels'; ignored"]


def test_missing_crs_is_reported():
    frame = parcels_frame(parcel_id=["A"], crs=None)
    assert problems_of(frame) == [
        "record all, field geometry: the layer has no CRS; give the source CRS (for import: --crs EPSG:…)"
    ]


def test_wrong_geometry_type_names_the_type_and_what_is_allowed():
    frame = parcels_frame(parcel_id=["A"], geometry=[shapely.LineString([(0, 0), (1, 1)])])
    assert problems_of(frame) == [
        "record row 1 (parcel_id=A), field geometry: wrong geometry type; allowed: Polygon, MultiPolygon "
        "(got 'LineString')"
    ]


def test_missing_and_empty_geometries_are_reported_by_record():
    frame = parcels_frame(parcel_id=["A", "B"], geometry=[None, shapely.Polygon()])
    assert problems_of(frame) == [
        "record row 1 (parcel_id=A), field geometry: geometry is missing",
        "record row 2 (parcel_id=B), field geometry: geometry is empty",
    ]


def test_invalid_geometry_gives_the_geos_reason():
    bowtie = shapely.Polygon([(0, 0), (10, 10), (10, 0), (0, 10), (0, 0)])
    problems = problems_of(parcels_frame(parcel_id=["A"], geometry=[bowtie]))
    assert len(problems) == 1
    assert problems[0].startswith("record row 1 (parcel_id=A), field geometry: invalid geometry: Self-intersection[")


def test_nan_coordinates_are_rejected():
    with np.errstate(invalid="ignore"):  # building the bad polygon is the test's business, not the validator's
        polygon = shapely.Polygon([(0, 0), (np.nan, 1), (1, 1), (0, 0)])
    frame = parcels_frame(parcel_id=["A"], geometry=[polygon])
    problems = problems_of(frame)
    assert len(problems) == 1 and "field geometry: invalid geometry" in problems[0]


def test_unknown_code_lists_allowed_values():
    frame = parcels_frame(parcel_id=["A"], status=["idle"])
    assert problems_of(frame) == [
        "record row 1 (parcel_id=A), field status: unknown value; allowed: planned, approved_unsupplied, supplied, "
        "under_construction, completed, operating, reclaimed (got 'idle')"
    ]


def test_bad_number_and_out_of_range_number():
    frame = parcels_frame(parcel_id=["A", "B"], land_price_wan=["lots", -5])
    assert problems_of(frame) == [
        "record row 1 (parcel_id=A), field land_price_wan: expected a number ≥ 0 (got 'lots')",
        "record row 2 (parcel_id=B), field land_price_wan: out of range; expected a number ≥ 0 (got -5)",
    ]


def test_upper_bound_is_inclusive_on_both_sides():
    frame = parcels_frame(parcel_id=["A", "B"], building_coef_min=[1.0, 1.0001])
    assert problems_of(frame) == [
        "record row 2 (parcel_id=B), field building_coef_min: out of range; expected a number ≥ 0 and ≤ 1 "
        "(got 1.0001)"
    ]


def test_whole_number_field_rejects_fractions():
    spec = get_layer("buildings")
    frame = gpd.GeoDataFrame({"building_id": ["B"], "floors": [2.5]}, geometry=[shapely.box(0, 0, 1, 1)], crs=EPSG)
    assert problems_of(frame, spec) == ["record row 1 (building_id=B), field floors: expected a whole number ≥ 0 (got 2.5)"]


def test_bad_date_and_bad_boolean():
    frame = parcels_frame(parcel_id=["A"], contract_date=["next spring"], site_levelled=["maybe"])
    assert problems_of(frame) == [
        "record row 1 (parcel_id=A), field contract_date: expected a date, year first (YYYY-MM-DD, YYYY/M/D, YYYY.M.D, YYYYMMDD or YYYY年M月D日) "
        "(got 'next spring')",
        "record row 1 (parcel_id=A), field site_levelled: expected yes/no (true/false, 是/否, 1/0) (got 'maybe')",
    ]


def test_duplicate_ids_are_reported_for_every_copy():
    frame = parcels_frame(parcel_id=["A", "A", "B"])
    assert problems_of(frame) == [
        "record row 1, field parcel_id: duplicate id; ids must be unique within the layer (got 'A')",
        "record row 2, field parcel_id: duplicate id; ids must be unique within the layer (got 'A')",
    ]


def test_land_use_code_is_checked_in_its_own_system():
    # 1001 is 工业用地 in 用地用海2023 and 铁路用地 in GB/T 21010: both exist; M9 exists in neither table.
    frame = parcels_frame(
        parcel_id=["A", "B", "C"],
        land_use=["1001", "1001", "Q7"],
        land_use_std=["用地用海2023", "GB/T21010-2017", "GB50137-2011"],
    )
    # The message names what is allowed: GB 50137's first-level classes (B41 is under B, U11 under U).
    assert problems_of(frame) == [
        "record row 3 (parcel_id=C), field land_use: not a land-use code of GB50137-2011; allowed: a class of "
        "GB50137-2011 or a sub-code of one, first-level classes R, A, B, M, W, S, U, G, E (got 'Q7')"]


@pytest.mark.parametrize("count", [FEW_VALUES, FEW_VALUES + 1])  # value by value, then grouped
def test_land_use_codes_are_checked_alike_for_a_few_records_and_for_many(count):
    ids = [f"P{i}" for i in range(count)]
    known = parcels_frame(parcel_id=ids, land_use=["1001"] * (count - 1) + ["0101"],
                          land_use_std=["用地用海2023"] * (count - 1) + ["GB/T21010-2017"])
    typed, _ = validate_layer(known, PARCELS, source="x")
    assert typed["land_use"].tolist()[-2:] == ["1001", "0101"]
    one_unknown = parcels_frame(parcel_id=ids, land_use=["1001"] * (count - 1) + ["Q7"],
                                land_use_std=["用地用海2023"] * count)
    found = [p for p in problems_of(one_unknown) if "land_use" in p]
    assert len(found) == 1 and f"parcel_id=P{count - 1}" in found[0] and "not a land-use code of 用地用海2023" in found[0]


def test_land_use_without_system_defaults_to_2023_with_a_notice():
    typed, report = validate_layer(parcels_frame(parcel_id=["A"], land_use=["100102"]), PARCELS, source="x")
    assert typed["land_use_std"].iloc[0] == "用地用海2023"
    assert [str(n) for n in report.notices] == [
        "record row 1 (parcel_id=A), field land_use_std: no classification given; assumed 用地用海2023"
    ]


def test_missing_ids_are_generated_and_said_so():
    typed, report = validate_layer(parcels_frame(parcel_id=["A", None]), PARCELS, source="x")
    assert list(typed["parcel_id"]) == ["A", "AUTO-parcels-2"]
    assert [str(n) for n in report.notices] == ["record row 2, field parcel_id: no id; generated AUTO-parcels-2"]


def test_a_notice_for_many_records_is_one_line_with_its_count_and_first_records():
    ids = ["A", "B", "C", "D", "E"]
    typed, report = validate_layer(parcels_frame(parcel_id=ids, land_use=["100102"] * 5), PARCELS, source="x")
    assert list(typed["land_use_std"]) == ["用地用海2023"] * 5
    assert [str(n) for n in report.notices] == [
        "records row 1 (parcel_id=A), row 2 (parcel_id=B), row 3 (parcel_id=C) … and 2 more (5 in all), "
        "field land_use_std: no classification given; assumed 用地用海2023"
    ]
    assert report.notices[0].count == 5


def test_exactly_the_shown_records_need_no_more_clause():
    typed, report = validate_layer(parcels_frame(parcel_id=["A", "B", "C"], land_use=["100102"] * 3), PARCELS,
                                   source="x")
    assert report.notices[0].record == "row 1 (parcel_id=A), row 2 (parcel_id=B), row 3 (parcel_id=C)"
    assert report.notices[0].count == 3


def test_several_missing_ids_are_one_notice():
    typed, report = validate_layer(parcels_frame(parcel_id=[None, "B", None]), PARCELS, source="x")
    assert list(typed["parcel_id"]) == ["AUTO-parcels-1", "B", "AUTO-parcels-3"]
    assert [str(n) for n in report.notices] == [
        "records row 1, row 3 (2 in all), field parcel_id: no id; generated AUTO-parcels-<row> "
        "(AUTO-parcels-1 … AUTO-parcels-3)"
    ]


def test_missing_id_column_generates_all_ids():
    typed, report = validate_layer(parcels_frame(name=["x", "y"]), PARCELS, source="x")
    assert list(typed["parcel_id"]) == ["AUTO-parcels-1", "AUTO-parcels-2"]
    assert str(report.notices[0]) == (
        "record all, field parcel_id: the source has no parcel_id column; generated ids AUTO-parcels-1 … AUTO-parcels-2"
    )


def test_every_problem_is_reported_at_once_with_the_source_named():
    frame = parcels_frame(
        parcel_id=["A", "A"], status=["bad", "operating"], land_price_wan=[1, "x"],
        geometry=[shapely.Point(0, 0), shapely.box(0, 0, 1, 1)],
    )
    with pytest.raises(LayerValidationError) as caught:
        validate_layer(frame, PARCELS, source="survey/地块.shp")
    message = str(caught.value)
    assert message.startswith("survey/地块.shp: layer 'parcels' has 5 problem(s):")
    assert len(caught.value.problems) == 5


def test_long_problem_lists_are_cut_in_the_message_but_kept():
    frame = parcels_frame(parcel_id=[f"P{i}" for i in range(60)], status=["bad"] * 60)
    with pytest.raises(LayerValidationError) as caught:
        validate_layer(frame, PARCELS, source="x")
    assert len(caught.value.problems) == 60
    assert str(caught.value).endswith("… and 10 more")


def test_table_without_geometry_is_validated_as_table():
    units = pd.DataFrame({"unit_id": ["U1"], "floor": ["3"], "status": ["可租"], "area_m2": ["120.5"]})
    typed, _ = validate_layer(units, get_layer("units"), source="units.xlsx")
    assert typed["floor"].iloc[0] == 3 and typed["status"].iloc[0] == "leasable"
    assert not isinstance(typed, gpd.GeoDataFrame)


def test_spatial_layer_without_geometries_is_refused():
    with pytest.raises(LayerValidationError, match=re.escape("layer 'parcels' needs geometries (Polygon)")):
        validate_layer(pd.DataFrame({"parcel_id": ["A"]}), PARCELS, source="x.csv")


def test_input_frame_is_not_modified():
    frame = parcels_frame(parcel_id=["A"], status=["已投产"])
    before = frame.copy()
    validate_layer(frame, PARCELS, source="x")
    pd.testing.assert_frame_equal(frame, before)
