"""Utilisation: FAR with the 8 m rule, building coefficient, compliance and area ratios, computed by hand."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.utilisation import (
    area_ratios,
    building_floor_areas,
    building_parcel_pairs,
    contains_pairs,
    industry_division,
    storey_counts,
    utilisation,
)
from layers.registry import get_layer
from layers.rules import load_rules
from layers.validate import validate_layer

EPSG = 4549
X0, Y0 = 636_000.0, 3_171_000.0
RULES = load_rules()


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def parcels_frame(rows: list[dict], geoms) -> gpd.GeoDataFrame:
    defaults = {"land_use": "100101", "land_use_std": "用地用海2023", "status": "operating", "tenure": "granted"}
    frame = gpd.GeoDataFrame([{**defaults, **row} for row in rows], geometry=list(geoms), crs=EPSG)
    return validate_layer(frame, get_layer("parcels"), source="test")[0]


def buildings_frame(rows: list[dict], geoms) -> gpd.GeoDataFrame:
    defaults = {"status": "completed", "use": "factory"}
    frame = gpd.GeoDataFrame([{**defaults, **row} for row in rows], geometry=list(geoms), crs=EPSG)
    return validate_layer(frame, get_layer("buildings"), source="test")[0]


@pytest.mark.parametrize(("heights", "counted"), [("7.9", 1000.0), ("8.0", 1000.0), ("8.1", 2000.0)])
def test_a_storey_higher_than_8_m_counts_twice(heights, counted):
    # "Higher than 8 m": 7.9 m and exactly 8.0 m count once, 8.1 m twice.
    shed = buildings_frame([{"building_id": "B", "floors": 1, "floor_heights_m": heights, "gfa_m2": 1000.0}],
                           [box(0, 0, 50, 20)])
    areas = building_floor_areas(shed, rules=RULES)
    assert areas.loc[0, "far_gfa_m2"] == counted
    assert areas.loc[0, "gfa_m2"] == 1000.0
    assert areas.loc[0, "footprint_m2"] == 1000.0


def test_floor_area_counting_variants():
    frame = buildings_frame(
        [
            {"building_id": "multi", "floors": 3, "floor_heights_m": "8.5,5,5", "gfa_m2": 3000.0},
            {"building_id": "chinese-commas", "floor_heights_m": "9，4.5；4.5"},
            {"building_id": "height-only", "floors": 1, "height_m": 10.0, "gfa_m2": 500.0},
            {"building_id": "height-two-floors", "floors": 2, "height_m": 12.0, "gfa_m2": 500.0},
            {"building_id": "floors-only", "floors": 2},
            {"building_id": "nothing"},
            {"building_id": "garbled", "floors": 2, "floor_heights_m": "9,x", "gfa_m2": 800.0},
        ],
        [box(0, 0, 10, 100)] * 7,
    )
    areas = building_floor_areas(frame, rules=RULES)
    # 3 storeys of 1000 m², the 8.5 m ground floor counts twice: 4000.
    assert areas.loc[0, "far_gfa_m2"] == 4000.0
    # No GFA: 1000 m² footprint × 3 storeys = 3000, the 9 m storey once more: 4000.
    assert areas.loc[1, "gfa_m2"] == 3000.0 and areas.loc[1, "far_gfa_m2"] == 4000.0
    assert "floor area estimated" in areas.loc[1, "floor_area_note"]
    # Only the height: 10 m single storey counts twice (estimate, noted); 12 m over 2 floors = 6 m each.
    assert areas.loc[2, "far_gfa_m2"] == 1000.0
    assert "estimated from building height" in areas.loc[2, "floor_area_note"]
    assert areas.loc[3, "far_gfa_m2"] == 500.0
    # Floors without heights: every storey once, noted.
    assert areas.loc[4, "far_gfa_m2"] == 2000.0
    assert "no storey heights" in areas.loc[4, "floor_area_note"]
    assert np.isnan(areas.loc[5, "far_gfa_m2"])
    assert areas.loc[5, "floor_area_note"] == "no floors or floor area"
    # A garbled height list is not trusted: the GFA counts once.
    assert areas.loc[6, "far_gfa_m2"] == 800.0


def test_storey_counts_parse_distinct_strings_only():
    listed, tall = storey_counts(pd.Series(["8.5,5", None, "8.5,5", "12"], dtype="str"), tall_above_m=8.0)
    assert listed.tolist() == [2, 0, 2, 1]
    assert tall.tolist() == [1, 0, 1, 1]


def test_building_on_a_parcel_edge_is_split_by_area():
    parcels = parcels_frame([{"parcel_id": "W"}, {"parcel_id": "E"}], [box(0, 0, 100, 100), box(100, 0, 200, 100)])
    buildings = buildings_frame(
        [{"building_id": "inside", "floors": 1, "gfa_m2": 400.0},
         {"building_id": "across", "floors": 2, "gfa_m2": 1600.0},
         {"building_id": "outside", "floors": 1, "gfa_m2": 100.0}],
        [box(10, 10, 30, 30), box(80, 10, 120, 30), box(300, 300, 310, 310)])
    pairs = building_parcel_pairs(parcels, buildings)
    assert sorted(zip(pairs["building"], pairs["parcel"], pairs["inside_m2"])) == [
        (0, 0, 400.0), (1, 0, 400.0), (1, 1, 400.0)]
    util = utilisation(parcels, buildings, rules=RULES, pairs=pairs)
    # W: 400 + half of 800 m² footprint; floor area 400 + half of 1600.
    assert util.loc[0, "footprint_m2"] == 800.0
    assert util.loc[0, "gfa_m2"] == 1200.0
    assert util.loc[1, "footprint_m2"] == 400.0
    assert util.loc[1, "gfa_m2"] == 800.0


def test_fast_path_matches_full_overlay():
    rng = np.random.default_rng(7)
    parcels = parcels_frame([{"parcel_id": f"P{i}"} for i in range(16)],
                            [box(x * 100, y * 100, x * 100 + 100, y * 100 + 100) for x in range(4) for y in range(4)])
    xy = rng.uniform(0, 380, size=(80, 2))
    size = rng.uniform(5, 40, size=(80, 2))
    geoms = [box(x, y, x + w, y + h) for (x, y), (w, h) in zip(xy, size)]
    buildings = buildings_frame([{"building_id": f"B{i}", "floors": 1} for i in range(80)], geoms)
    util = utilisation(parcels, buildings, rules=RULES)
    overlay = gpd.overlay(buildings[["building_id", "geometry"]], parcels[["parcel_id", "geometry"]],
                          how="intersection", keep_geom_type=True)
    expected = overlay.area.groupby(overlay["parcel_id"]).sum().reindex(parcels["parcel_id"]).fillna(0.0)
    np.testing.assert_allclose(util["footprint_m2"].to_numpy(), expected.to_numpy(), rtol=1e-9, atol=1e-6)


def test_compliance_against_industry_minimum_and_planning_conditions():
    # 100 m × 100 m parcels; one building of 50 m × 90 m (coefficient 0.45) with varying floor area.
    rows = [
        # GB/T 4754-2017 division 33 (metal products): national FAR ≥ 0.7.
        {"parcel_id": "ok", "industry_code": "C3311", "industry_code_std": "GB/T4754-2017"},
        {"parcel_id": "low", "industry_code": "3311", "industry_code_std": "GB/T4754-2017"},
        # The parcel's own planning minimum (1.2) is stricter than the national one.
        {"parcel_id": "own", "industry_code": "33", "industry_code_std": "GB/T4754-2017", "far_min": 1.2},
        {"parcel_id": "over", "industry_code": "33", "industry_code_std": "GB/T4754-2017", "far_max": 1.0},
        {"parcel_id": "building", "industry_code": "33", "industry_code_std": "GB/T4754-2017",
         "status": "under_construction"},
        {"parcel_id": "unknown", "industry_code": "33"},
        # 2002 edition division 30 (plastics) needs 1.0.
        {"parcel_id": "plastics", "industry_code": "30", "industry_code_std": "GB/T4754-2002"},
        {"parcel_id": "shop", "land_use": "0901", "far_min": 1.0},
    ]
    gfa = [7100.0, 6900.0, 11000.0, 10500.0, 0.0, 9000.0, 9000.0, 9000.0]
    parcels = parcels_frame(rows, [box(i * 100, 0, i * 100 + 100, 100) for i in range(len(rows))])
    buildings = buildings_frame([{"building_id": f"B{i}", "floors": 1, "gfa_m2": g} for i, g in enumerate(gfa)],
                                [box(i * 100 + 10, 10, i * 100 + 60, 110 - 10) for i in range(len(rows))])
    util = utilisation(parcels, buildings, rules=RULES).set_index(parcels["parcel_id"])
    assert util.loc["ok", "far"] == pytest.approx(0.71)
    assert util.loc["ok", "far_required"] == 0.7
    assert bool(util.loc["ok", "far_ok"]) is True
    assert bool(util.loc["low", "far_ok"]) is False
    assert util.loc["own", "far_required"] == 1.2
    assert bool(util.loc["own", "far_ok"]) is False
    assert bool(util.loc["over", "far_ok"]) is False  # above the planning maximum
    assert util.loc["over", "far_headroom_m2"] == 0.0
    assert pd.isna(util.loc["building", "far_ok"])  # not judged while under construction
    assert pd.isna(util.loc["unknown", "far_ok"])
    assert "GB/T 4754 edition unknown" in util.loc["unknown", "utilisation_note"]
    assert util.loc["plastics", "far_required"] == 1.0
    assert bool(util.loc["plastics", "far_ok"]) is False
    # Commercial land: no national minimum, its planning condition applies; no building coefficient rule.
    assert util.loc["shop", "far_required"] == 1.0
    assert bool(util.loc["shop", "far_ok"]) is False
    assert pd.isna(util.loc["shop", "building_coef_ok"])
    assert util["building_coef"].eq(0.45).all()
    assert util.loc["ok", "area_mu"] == 15.0


@pytest.mark.parametrize(("width", "ok"), [(30.0, True), (29.9, False)])
def test_building_coefficient_boundary_30_percent(width, ok):
    parcels = parcels_frame([{"parcel_id": "P"}], [box(0, 0, 100, 100)])
    buildings = buildings_frame([{"building_id": "B", "floors": 1}], [box(0, 0, width, 100)])
    util = utilisation(parcels, buildings, rules=RULES)
    assert bool(util.loc[0, "building_coef_ok"]) is ok


def test_green_admin_and_investment():
    parcels = parcels_frame(
        [{"parcel_id": "P", "green_area_m2": 2100.0, "investment_done_wan": 3000.0, "land_price_wan": 600.0},
         {"parcel_id": "Q", "admin_area_m2": 700.0}],
        [box(0, 0, 100, 100), box(100, 0, 200, 100)])
    buildings = buildings_frame(
        [{"building_id": "F", "floors": 1, "gfa_m2": 3000.0},
         {"building_id": "O", "use": "office", "floors": 4, "gfa_m2": 1000.0}],
        [box(0, 0, 60, 50), box(70, 70, 80, 95)])
    util = utilisation(parcels, buildings, rules=RULES)
    assert util.loc[0, "green_ratio"] == pytest.approx(0.21)
    assert bool(util.loc[0, "green_ratio_ok"]) is False
    # Admin share estimated from floor area: 1000 of 4000 m² (noted), above 7 %.
    assert util.loc[0, "admin_share"] == pytest.approx(0.25)
    assert bool(util.loc[0, "admin_share_ok"]) is False
    assert "admin share estimated" in util.loc[0, "utilisation_note"]
    assert util.loc[1, "admin_share"] == pytest.approx(0.07)
    assert bool(util.loc[1, "admin_share_ok"]) is True
    # (3000 + 600) 万元 over 15 亩.
    assert util.loc[0, "investment_intensity_wan_per_mu"] == pytest.approx(240.0)


def test_retired_and_planned_buildings_do_not_count():
    parcels = parcels_frame([{"parcel_id": "P"}], [box(0, 0, 100, 100)])
    buildings = buildings_frame(
        [{"building_id": "old", "floors": 1, "retired_on": "2025-01-01"},
         {"building_id": "plan", "floors": 1, "status": "planned"},
         {"building_id": "now", "floors": 1}],
        [box(0, 0, 10, 10), box(20, 0, 30, 10), box(40, 0, 50, 10)])
    assert utilisation(parcels, buildings, rules=RULES, as_of="2026-06-30").loc[0, "footprint_m2"] == 100.0
    assert utilisation(parcels, buildings, rules=RULES, as_of="2024-06-30").loc[0, "footprint_m2"] == 200.0


def test_geographic_crs_is_refused():
    parcels = parcels_frame([{"parcel_id": "P"}], [box(0, 0, 100, 100)]).to_crs(4326)
    buildings = buildings_frame([{"building_id": "B"}], [box(0, 0, 10, 10)]).to_crs(4326)
    with pytest.raises(ValueError, match="refusing to measure in geographic CRS"):
        utilisation(parcels, buildings, rules=RULES)


def test_industry_division():
    codes = pd.Series(["C3311", "3311", "33", "c13", None, "X"], dtype="str")
    assert industry_division(codes).tolist()[:4] == ["33", "33", "33", "13"]
    assert industry_division(codes).isna().tolist()[4:] == [True, True]


def test_area_ratios_by_hand():
    rows = [
        {"parcel_id": "a", "area_name": "一期", "status": "operating"},
        {"parcel_id": "b", "area_name": "一期", "status": "supplied"},
        {"parcel_id": "c", "area_name": "二期", "status": "approved_unsupplied", "land_use": "1101"},
        {"parcel_id": "d", "area_name": "二期", "status": "planned", "land_use": "1101"},
    ]
    parcels = parcels_frame(rows, [box(0, 0, 100, 100), box(100, 0, 200, 100), box(200, 0, 300, 100),
                                   box(300, 0, 400, 100)])
    buildings = buildings_frame([{"building_id": "B", "floors": 2, "gfa_m2": 8000.0}], [box(0, 0, 80, 50)])
    util = utilisation(parcels, buildings, rules=RULES)
    tax = pd.Series([150.0, 0.0, 0.0, 0.0], index=parcels.index)
    ratios = area_ratios(parcels, util, tax_wan=tax, rules=RULES)
    park = ratios.loc["全园区"]
    assert park["development_rate"] == 0.75  # 3 of 4 ha ready
    assert park["supply_rate"] == pytest.approx(2 / 3)
    assert park["built_rate"] == 0.5
    assert park["comprehensive_far"] == pytest.approx(0.4)  # 8000 m² over 2 ha supplied
    assert park["industrial_building_coef"] == pytest.approx(0.2)
    assert park["tax_per_ha_wan"] == pytest.approx(75.0)
    assert ratios.loc["二期", "supply_rate"] == 0.0
    assert np.isnan(ratios.loc["二期", "built_rate"])


def test_area_ratios_of_parcels_without_a_status_count_them_by_their_dates_or_judge_nothing():
    # 一期: a 1 ha parcel supplied by status; a 1 ha parcel without a status contracted on the day itself (supplied,
    # the day included) and completed the year before (built); a 1 ha one contracted the day after (not supplied).
    # 二期: a 1 ha parcel with neither a status nor a contract date: its area's and the park's figures resting on
    # supply are not judged (NaN, never 0); its land is still counted.
    day = dt.date(2025, 12, 31)
    rows = [
        {"parcel_id": "a", "area_name": "一期", "status": "supplied"},
        {"parcel_id": "b", "area_name": "一期", "status": None, "contract_date": "2025-12-31",
         "actual_completion_date": "2024-06-30"},
        {"parcel_id": "c", "area_name": "一期", "status": None, "contract_date": "2026-01-01"},
        {"parcel_id": "d", "area_name": "二期", "status": None},
    ]
    parcels = parcels_frame(rows, [box(0, 0, 100, 100), box(100, 0, 200, 100), box(200, 0, 300, 100),
                                   box(300, 0, 400, 100)])
    util = utilisation(parcels, gpd.GeoDataFrame({"building_id": pd.Series([], dtype="str"), "status": [],
                                                  "floors": []}, geometry=[], crs=EPSG), rules=RULES)
    ratios = area_ratios(parcels, util, rules=RULES, as_of=day, supplied_date="contract_date",
                         built_date="actual_completion_date")
    first = ratios.loc["一期"]
    assert first["supplied_m2"] == 20_000.0 and first["supplied_mu"] == pytest.approx(30.0)  # 2 ha = 30 亩
    assert first["development_rate"] == pytest.approx(2 / 3)  # ready: a (status) and b (by its date)
    assert first["supply_rate"] == 1.0 and first["built_rate"] == 0.5  # b built of a and b supplied
    assert first["supply_unknown"] == 0
    second, park = ratios.loc["二期"], ratios.loc["全园区"]
    assert second["supply_unknown"] == 1 and park["supply_unknown"] == 1
    for figure in ("supplied_mu", "development_rate", "supply_rate", "built_rate", "comprehensive_far"):
        assert np.isnan(second[figure]) and np.isnan(park[figure]), figure
    assert park["land_mu"] == pytest.approx(60.0)  # the land is counted all the same
    # Without the date rule, a parcel without a status cannot be counted by status at all.
    plain = area_ratios(parcels, util, rules=RULES, as_of=day)
    assert plain.loc["一期", "supply_unknown"] == 2 and np.isnan(plain.loc["一期", "supply_rate"])


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.tuples(st.floats(1, 60), st.floats(1, 60), st.floats(0, 140), st.floats(0, 40)),
                   min_size=0, max_size=8),
    labels=st.lists(st.integers(-1000, 1000), min_size=3, max_size=3, unique=True),
)
def test_properties_coefficient_non_negative_and_index_kept(sizes, labels):
    parcels = parcels_frame([{"parcel_id": f"P{i}"} for i in range(3)],
                            [box(0, 0, 50, 50), box(50, 0, 100, 50), box(100, 0, 180, 50)])
    parcels.index = labels
    geoms = [box(x, y, x + w, y + h) for w, h, x, y in sizes]
    buildings = buildings_frame([{"building_id": f"B{i}", "floors": 1} for i in range(len(sizes))], geoms) \
        if sizes else gpd.GeoDataFrame({"building_id": pd.Series([], dtype="str"), "status": [], "floors": []},
                                       geometry=[], crs=EPSG)
    util = utilisation(parcels, buildings, rules=RULES)
    assert util.index.equals(parcels.index)
    assert (util["building_coef"] >= 0).all()
    assert (util["far"] >= 0).all()
    # Footprint can never exceed the parcel (buildings may overlap each other, so compare by parcel union).
    total = sum(shapely.area(shapely.intersection(shapely.union_all(geoms), g)) for g in parcels.geometry) \
        if geoms else 0.0
    assert util["footprint_m2"].sum() >= total - 1e-6


@pytest.mark.parametrize("elsewhere", [False, True])
def test_a_park_without_any_building_judges_no_compliance(elsewhere):
    """An operating parcel with no building on it: its coverage is 0 (not compliant) when the park records
    buildings elsewhere, and not judged when the park has no building at all."""
    parcels = parcels_frame([{"parcel_id": "P", "industry_code": "33", "industry_code_std": "GB/T4754-2017"}],
                            [box(0, 0, 100, 100)])
    rows, geoms = ([{"building_id": "B", "floors": 1, "gfa_m2": 100.0}], [box(500, 0, 510, 10)]) if elsewhere \
        else ([], [])
    buildings = buildings_frame(rows, geoms) if elsewhere else validate_layer(
        gpd.GeoDataFrame({"building_id": pd.Series(dtype=object)}, geometry=gpd.GeoSeries([], crs=EPSG)),
        get_layer("buildings"), source="test")[0]
    result = utilisation(parcels, buildings, rules=RULES)
    assert bool(result.loc[0, "compliance_judged"]) is elsewhere
    if elsewhere:
        assert result.loc[0, "building_coef"] == 0.0 and result.loc[0, "building_coef_ok"] is np.False_
    else:
        assert pd.isna(result.loc[0, "building_coef_ok"]) and pd.isna(result.loc[0, "far_ok"])
        assert "the park has no buildings: FAR and site coverage not judged" in result.loc[0, "utilisation_note"]
        # The area ratios resting on floor area are unknown (shown "—"), not 0 (geo.analysis gives the parcels'
        # own FAR and coverage as unknown too: tests/test_geo_empty_inputs.py).
        ratios = area_ratios(parcels, result, rules=RULES, buildings_known=False).loc["全园区"]
        assert np.isnan(ratios["comprehensive_far"]) and np.isnan(ratios["industrial_building_coef"])
        assert ratios["supply_rate"] == 1.0  # (what rests on the parcels alone stays)


def test_contains_pairs_answers_as_contains_and_leaves_the_containers_as_they_were():
    # Parcel 0 is 0…10 square, parcel 1 the same shifted 20 m east and already prepared by its owner.
    parcels = np.array([shapely.box(0, 0, 10, 10), shapely.box(20, 0, 30, 10)])
    shapely.prepare(parcels[1])
    buildings = np.array([shapely.box(0, 0, 4, 4),      # on parcel 0's corner, inside: contained
                          shapely.box(8, 2, 10.5, 4),   # 0.5 m across parcel 0's east side: not contained
                          shapely.box(22, 2, 24, 4),    # inside parcel 1
                          shapely.box(10, 2, 12, 4)])   # touches parcel 0 from outside: not contained
    at, of = np.array([0, 0, 1, 0, 1]), np.array([0, 1, 2, 3, 0])
    assert contains_pairs(parcels, at, buildings, of).tolist() == [True, False, True, False, False]
    assert shapely.contains(parcels[at], buildings[of]).tolist() == [True, False, True, False, False]
    assert shapely.is_prepared(parcels).tolist() == [False, True]
