"""亩均 evaluation: tenant land apportionment, weighted scores, percentile grades with ties, T — by hand."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

import numpy as np
import pandas as pd
import pytest

from geo.muju import building_parcel, grade_by_percentile, land_records, muju_evaluation
from layers.registry import get_layer
from layers.rules import Indicator, load_rules
from layers.validate import validate_layer

RULES = load_rules()
AS_OF = "2026-06-30"  # evaluates 2025


def table(layer: str, rows: list[dict]) -> pd.DataFrame:
    return validate_layer(pd.DataFrame(rows), get_layer(layer), source="test")[0]


def with_indicators(**groups) -> object:
    muju = dataclasses.replace(RULES.muju, indicators=MappingProxyType(groups))
    return dataclasses.replace(RULES, muju=muju)


PARCELS = pd.DataFrame({"parcel_id": ["P1", "P2", "SF"], "enterprise_id": ["E1", "E2", "OWN"],
                        "status": ["operating", "operating", "operating"]})
AREA = np.array([10_000.0, 20_000.0, 30_000.0])  # 15, 30 and 45 亩
UNITS = table("units", [{"unit_id": "U1", "area_m2": 1000.0}, {"unit_id": "U2", "area_m2": 1000.0},
                        {"unit_id": "U3", "area_m2": 2000.0}])
UNIT_PARCEL = pd.Series({"U1": "SF", "U2": "SF", "U3": "SF"})


def leases(*rows) -> pd.DataFrame:
    return table("leases", [{"lease_id": f"L{i}", "unit_id": u, "enterprise_id": e, "start": s, "end": t}
                            for i, (u, e, s, t) in enumerate(rows)])


def test_tenants_land_adds_up_to_the_parcel_when_fully_let():
    full = leases(("U1", "T1", "2024-01-01", "2027-01-01"), ("U2", "T2", "2025-01-01", "2025-12-31"),
                  ("U3", "T3", "2023-06-01", None))
    land = land_records(PARCELS, area_m2=AREA, units=UNITS, leases=full, unit_parcel=UNIT_PARCEL, year=2025,
                        rules=RULES)
    on_sf = land[land["parcel_id"] == "SF"].set_index("enterprise_id")["land_m2"]
    assert on_sf.to_dict() == {"T1": 7500.0, "T2": 7500.0, "T3": 15000.0}
    assert on_sf.sum() == 30_000.0
    assert land.groupby("parcel_id")["land_m2"].sum().to_dict() == {"P1": 10_000.0, "P2": 20_000.0, "SF": 30_000.0}


def test_part_year_leases_leave_the_rest_with_the_owner():
    part = leases(("U1", "T1", "2025-07-02", "2027-01-01"), ("U3", "T3", "2025-01-01", "2025-12-31"))
    land = land_records(PARCELS, area_m2=AREA, units=UNITS, leases=part, unit_parcel=UNIT_PARCEL, year=2025,
                        rules=RULES)
    on_sf = land[land["parcel_id"] == "SF"].set_index("enterprise_id")["land_m2"]
    assert on_sf["T1"] == pytest.approx(7500.0 * 183 / 365)
    assert on_sf["T3"] == 15_000.0
    assert on_sf["OWN"] == pytest.approx(30_000.0 - 15_000.0 - 7500.0 * 183 / 365)
    assert on_sf.sum() == pytest.approx(30_000.0)


def test_overlapping_leases_never_hand_out_more_than_the_parcel():
    double = leases(("U3", "T3", "2025-01-01", "2025-12-31"), ("U3", "T4", "2025-01-01", "2025-12-31"),
                    ("U1", "T1", "2025-01-01", "2025-12-31"), ("U2", "T2", "2025-01-01", "2025-12-31"))
    land = land_records(PARCELS, area_m2=AREA, units=UNITS, leases=double, unit_parcel=UNIT_PARCEL, year=2025,
                        rules=RULES)
    assert land[land["parcel_id"] == "SF"]["land_m2"].sum() == pytest.approx(30_000.0)


def test_total_floor_area_basis():
    rules = dataclasses.replace(RULES, muju=dataclasses.replace(RULES.muju, tenant_land_basis="total_floor_area"))
    one = leases(("U3", "T3", "2025-01-01", "2025-12-31"))
    land = land_records(PARCELS, area_m2=AREA, units=UNITS, leases=one, unit_parcel=UNIT_PARCEL, year=2025,
                        parcel_floor_m2=pd.Series({"SF": 8000.0}), rules=rules)
    assert land.set_index("enterprise_id").loc["T3", "land_m2"] == 7500.0  # 2000 of 8000 m²


def test_grade_bands_with_ties():
    bands = {"A": 0.20, "B": 0.60, "C": 0.95, "D": 1.00}
    scores = pd.Series([10, 9, 9, 8, 7, 6, 5, 4, 3, 2], dtype=float)
    # Ranks 1, 2, 2 (tie), 4 … 10; share = rank / 10.
    assert grade_by_percentile(scores, bands=bands).tolist() == list("AAABBBCCCD")
    straddle = pd.Series([10, 9, 8, 8, 7, 6, 5, 4, 3, 2], dtype=float)
    # 8 and 8 share rank 3 (0.3): both B, none A beyond the top two.
    assert grade_by_percentile(straddle, bands=bands).tolist() == list("AABBBBCCCD")
    last_tie = pd.Series([5, 4, 3, 2, 1, 1], dtype=float)
    # The two last share rank 5 (0.83): both C, so nobody is D.
    assert grade_by_percentile(last_tie, bands=bands).tolist() == list("ABBCCC")
    twenty = pd.Series(np.arange(20, 0, -1), dtype=float)
    grades = grade_by_percentile(twenty, bands=bands).value_counts().to_dict()
    assert grades == {"A": 4, "B": 8, "C": 7, "D": 1}
    assert grade_by_percentile(pd.Series([np.nan, 1.0]), bands=bands).isna().tolist() == [True, False]


def firms_and_years():
    enterprises = table("enterprises", [
        {"enterprise_id": "E1", "above_scale": True, "industry_code": "C3311", "established": "2010-01-01"},
        {"enterprise_id": "E2", "above_scale": True, "industry_code": "C3411", "established": "2012-01-01"},
        {"enterprise_id": "OWN", "above_scale": False, "industry_code": "K7010", "established": "2015-01-01"},
    ])
    years = table("enterprise_years", [
        {"record_id": "E1-2025", "enterprise_id": "E1", "year": 2025, "tax_wan": 300.0, "rd_wan": 50.0,
         "revenue_wan": 1000.0},
        {"record_id": "E2-2025", "enterprise_id": "E2", "year": 2025, "tax_wan": 300.0, "revenue_wan": 3000.0},
        {"record_id": "E1-2024", "enterprise_id": "E1", "year": 2024, "tax_wan": 9999.0},
    ])
    return enterprises, years


def evaluate(rules, *, lease_rows=(), parcels=PARCELS, enterprises=None, years=None):
    base_enterprises, base_years = firms_and_years()
    return muju_evaluation(parcels, area_m2=AREA, enterprises=base_enterprises if enterprises is None else enterprises,
                           enterprise_years=base_years if years is None else years, units=UNITS,
                           leases=leases(*lease_rows) if lease_rows else leases(("U1", "X", "2020-01-01",
                                                                                  "2020-12-31")),
                           unit_parcel=UNIT_PARCEL, as_of=AS_OF, rules=rules)


def test_scores_against_the_park_mean():
    rules = with_indicators(above_scale=(Indicator("tax_per_mu_wan", 100.0, None),),
                            below_scale=(Indicator("tax_per_mu_wan", 100.0, None),))
    result = evaluate(rules)
    assert result.year == 2025
    firms = result.firms
    # E1: 300 万元 / 15 亩 = 20; E2: 300 / 30 = 10; mean 15 → 133.3 and 66.7.
    assert firms.loc["E1", "tax_per_mu_wan"] == 20.0
    assert firms.loc["E2", "tax_per_mu_wan"] == 10.0
    assert firms.loc["E1", "score"] == pytest.approx(100 * 20 / 15)
    assert firms.loc["E2", "score"] == pytest.approx(100 * 10 / 15)
    assert (firms.loc["E1", "grade"], firms.loc["E2", "grade"]) == ("B", "D")  # ranks 1/2 = 0.5 and 2/2 = 1.0
    assert firms.loc["OWN", "grade"] == "T"
    assert "no figures for 2025" in firms.loc["OWN", "grade_reason"]
    parcels = result.parcels
    assert parcels["tax_per_mu_wan"].tolist()[:2] == [20.0, 10.0]
    assert parcels["mu_grade"].tolist() == ["B", "D", "T"]


def test_fixed_benchmarks_and_missing_indicator_gets_the_average():
    rules = with_indicators(above_scale=(Indicator("tax_per_mu_wan", 50.0, 10.0), Indicator("rd_share", 50.0, 0.1)))
    firms = evaluate(rules).firms
    # E1: 50 × 20/10 + 50 × 0.05/0.1 = 125. E2 has no R&D: the average ratio of the others (0.5) → 50 × 1 + 25.
    assert firms.loc["E1", "score"] == pytest.approx(125.0)
    assert firms.loc["E2", "score"] == pytest.approx(75.0)
    zero = dataclasses.replace(rules, muju=dataclasses.replace(rules.muju, missing_indicator="zero"))
    assert evaluate(zero).firms.loc["E2", "score"] == pytest.approx(50.0)


def test_ungraded_firms_are_t_with_their_reason():
    enterprises = table("enterprises", [
        {"enterprise_id": "E1", "above_scale": True, "industry_code": "D4411", "established": "2000-01-01"},
        {"enterprise_id": "E2", "above_scale": True, "industry_code": "C3411", "established": "2024-06-01"},
        {"enterprise_id": "E3", "above_scale": True, "industry_code": "C3411", "established": "2000-01-01"},
    ])
    years = table("enterprise_years", [
        {"record_id": f"{e}-2025", "enterprise_id": e, "year": 2025, "tax_wan": 10.0} for e in ("E1", "E2", "E3")])
    parcels = pd.DataFrame({"parcel_id": ["P1", "P2", "SF"], "enterprise_id": ["E1", "E2", "E3"],
                            "status": ["operating", "operating", "under_construction"]})
    firms = evaluate(RULES, parcels=parcels, enterprises=enterprises, years=years).firms
    assert firms["grade"].tolist() == ["T", "T", "T"]
    assert "utility" in firms.loc["E1", "grade_reason"]
    assert "new firm" in firms.loc["E2", "grade_reason"]
    assert "under construction" in firms.loc["E3", "grade_reason"]


def test_multi_tenant_parcel_is_graded_on_its_tenants():
    rules = with_indicators(above_scale=(Indicator("tax_per_mu_wan", 100.0, None),),
                            below_scale=(Indicator("tax_per_mu_wan", 100.0, None),))
    enterprises, years = firms_and_years()
    tenants = table("enterprises", [{"enterprise_id": t, "above_scale": True, "established": "2010-01-01"}
                                    for t in ("T1", "T3")])
    tenant_years = table("enterprise_years", [
        {"record_id": "T1-2025", "enterprise_id": "T1", "year": 2025, "tax_wan": 225.0},
        {"record_id": "T3-2025", "enterprise_id": "T3", "year": 2025, "tax_wan": 150.0}])
    result = evaluate(rules, enterprises=pd.concat([enterprises, tenants], ignore_index=True),
                      years=pd.concat([years, tenant_years], ignore_index=True),
                      lease_rows=[("U1", "T1", "2025-01-01", "2025-12-31"), ("U3", "T3", "2025-01-01",
                                                                              "2025-12-31")])
    firms = result.firms
    # T1 holds 1000/4000 of 45 亩 = 11.25 亩 → 20 万元/亩; T3 22.5 亩 → 6.67.
    assert firms.loc["T1", "land_mu"] == pytest.approx(11.25)
    assert firms.loc["T1", "tax_per_mu_wan"] == pytest.approx(20.0)
    sf = result.parcels.iloc[2]
    assert sf["tax_wan"] == pytest.approx(375.0)  # the owner has no figures
    assert sf["tax_per_mu_wan"] == pytest.approx(375.0 / 45.0)
    assert sf["mu_users"] == 3
    # Firms (mean 14.17): E1 and T1 141 (rank 1 of 4 = 0.25 → B), E2 70.6 (C), T3 47.1 (D).
    assert firms.loc[["E1", "T1", "E2", "T3"], "grade"].tolist() == ["B", "B", "C", "D"]
    # The parcel scores 100 × 8.33 / 14.17 = 58.8: below C's lowest score (70.6) → D.
    assert sf["mu_score"] == pytest.approx(100 * (375 / 45) / ((20 + 10 + 20 + 150 / 22.5) / 4))
    assert sf["mu_grade"] == "D"


def test_building_parcel_is_the_largest_share_then_the_later_parcel_then_its_own():
    parcels = pd.DataFrame({"parcel_id": ["P1", "P2", "P3"]})
    buildings = pd.DataFrame({"building_id": ["B1", "B2", "B3", "B4"], "parcel_id": ["X", "X", "P1", None]})
    # B1: 60 m² in P1, 40 in P3; B2: 50/50 in P1 and P2; B3, B4 on no parcel.
    pairs = pd.DataFrame({"building": [0, 0, 1, 1], "parcel": [0, 2, 0, 1], "inside_m2": [60.0, 40.0, 50.0, 50.0]})
    out = building_parcel(pairs, buildings, parcels)
    assert out.index.tolist() == ["B1", "B2", "B3", "B4"]
    assert out.iloc[:3].tolist() == ["P1", "P2", "P1"] and pd.isna(out["B4"])
    # Swapping B1's shares moves it; a building listed twice keeps its first row.
    swapped = pairs.assign(inside_m2=[40.0, 60.0, 50.0, 50.0])
    assert building_parcel(swapped, buildings, parcels)["B1"] == "P3"
    twice = pd.concat([buildings, buildings.iloc[[0]]], ignore_index=True)
    assert building_parcel(pairs, twice, parcels).index.tolist() == ["B1", "B2", "B3", "B4"]
