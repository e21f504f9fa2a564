"""The five kinds of inefficient land, each trigger on both sides, by hand."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo.idle import idle_land
from geo.inefficiency import CATEGORIES, inefficient_land
from geo.utilisation import utilisation
from layers.registry import get_layer
from layers.rules import load_rules
from layers.validate import validate_layer

EPSG = 4549
X0, Y0 = 636_000.0, 3_171_000.0
RULES = load_rules()
AS_OF = "2026-06-30"


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def run(rows: list[dict], *, coverage_m: list[float], per_mu: pd.DataFrame | None = None, rules=RULES):
    """Parcels of 100 m × 100 m, each with one single-storey building of width coverage_m × 100 m."""
    defaults = {"status": "operating", "tenure": "granted", "land_use": "100101", "land_use_std": "用地用海2023",
                "industry_code": "33", "industry_code_std": "GB/T4754-2017", "contract_date": "2020-01-01",
                "agreed_start_date": "2020-06-01", "actual_start_date": "2020-06-01",
                "actual_completion_date": "2021-06-01"}
    parcels = gpd.GeoDataFrame([{"parcel_id": f"P{i}", **defaults, **row} for i, row in enumerate(rows)],
                               geometry=[box(i * 200, 0, i * 200 + 100, 100) for i in range(len(rows))], crs=EPSG)
    parcels = validate_layer(parcels, get_layer("parcels"), source="test")[0]
    widths = [(i, w) for i, w in enumerate(coverage_m) if w > 0]
    buildings = gpd.GeoDataFrame(
        {"building_id": [f"B{i}" for i, _ in widths], "floors": [2] * len(widths), "status": ["completed"] * len(
            widths)},
        geometry=[box(i * 200, 0, i * 200 + w, 100) for i, w in widths], crs=EPSG)
    buildings = validate_layer(buildings, get_layer("buildings"), source="test")[0]
    util = utilisation(parcels, buildings, rules=rules)
    idle = idle_land(parcels, buildings, as_of=AS_OF, rules=rules)
    return inefficient_land(parcels, util=util, idle=idle, per_mu=per_mu, as_of=AS_OF, rules=rules)


def test_each_category_with_its_reason():
    rows = [
        {"status": "approved_unsupplied", "tenure": None, "contract_date": None, "actual_start_date": None,
         "actual_completion_date": None},
        {"status": "supplied", "actual_start_date": None, "actual_completion_date": None,
         "agreed_start_date": "2026-12-01", "contract_date": "2026-05-01"},
        {},                        # 40 m wide building: coefficient 0.40, FAR 0.80 ≥ 0.7 → efficient
        {},                        # 34 m: coefficient 0.34 ≥ 0.30, FAR 0.68 < 0.7 → underused
        {"status": "completed"},   # built, not in production
    ]
    result = run(rows, coverage_m=[0, 0, 40, 34, 40])
    assert result["inefficiency"].tolist()[:2] == ["approved_unsupplied", "supplied_unused"]
    assert pd.isna(result.loc[2, "inefficiency"])
    assert result.loc[3, "inefficiency"] == "underused"
    assert result.loc[3, "inefficiency_reason"] == "用而未尽: FAR 0.68 < 0.70"
    assert result.loc[4, "inefficiency"] == "built_not_operating"
    assert list(result.columns[:5]) == list(CATEGORIES)


@pytest.mark.parametrize(("width", "underused"), [(30.0, False), (29.5, True)])
def test_underused_at_the_building_coefficient_boundary(width, underused):
    # Two storeys keep the FAR (2 × width / 100) above 0.7 on both sides; only the coefficient decides.
    rows = [{"far_min": 0.5, "industry_code": None}]
    result = run(rows, coverage_m=[width])
    assert bool(result.loc[0, "underused"]) is underused


def test_supplied_unused_grace_period():
    rows = [{"status": "supplied", "actual_start_date": None, "actual_completion_date": None,
             "contract_date": "2026-06-01", "agreed_start_date": "2026-12-01"}]
    assert bool(run(rows, coverage_m=[0]).loc[0, "supplied_unused"]) is True
    rules = dataclasses.replace(RULES, inefficiency=dataclasses.replace(RULES.inefficiency,
                                                                        supplied_unused_grace_days=30))
    assert bool(run(rows, coverage_m=[0], rules=rules).loc[0, "supplied_unused"]) is False  # 29 days


def test_below_contracted_targets():
    rows = [
        {"investment_planned_wan": 10_000.0, "investment_done_wan": 9_999.0},
        {"investment_planned_wan": 10_000.0, "investment_done_wan": 10_000.0, "contract_tax_per_mu_wan": 20.0},
        {"contract_output_per_mu_wan": 300.0, "contract_tax_per_mu_wan": 20.0},
        {"contract_tax_per_mu_wan": 20.0},
    ]
    per_mu = pd.DataFrame({"tax_per_mu_wan": [50.0, 20.0, 19.9, float("nan")],
                           "output_per_mu_wan": [500.0, 500.0, 300.0, float("nan")]})
    result = run(rows, coverage_m=[40, 40, 40, 40], per_mu=per_mu)
    assert result["below_target"].tolist() == [True, False, True, False]
    assert result.loc[0, "inefficiency_reason"] == "投而未达标: investment 9999.00 < contracted 10000.00 万元"
    assert result.loc[2, "inefficiency_reason"] == "投而未达标: tax 19.90 < contracted 20.00 万元/亩"
    assert "figures are unknown" in result.loc[3, "inefficiency_not_judged"]


def test_a_parcel_can_be_in_several_categories():
    rows = [{"status": "operating", "investment_planned_wan": 100.0, "investment_done_wan": 50.0}]
    result = run(rows, coverage_m=[20])
    assert result.loc[0, "inefficiency"] == "underused,below_target"
    assert result.loc[0, "inefficiency_reason"].count("; ") == 2  # FAR, coefficient and investment reasons


@pytest.mark.parametrize(("row", "unused"), [
    ({"status": None, "contract_date": None}, None),  # a zoning polygon: never known to be supplied
    ({"status": None, "contract_date": "2020-01-01"}, True),  # a contract: supplied
    ({"status": "supplied", "contract_date": None}, True),  # the status says so
])
def test_supplied_unused_needs_the_supply_to_be_known(row, unused):
    rows = [{"actual_start_date": None, "actual_completion_date": None, "agreed_start_date": None, **row}]
    result = run(rows, coverage_m=[0])
    if unused is None:
        assert not result.loc[0, "supplied_unused"] and pd.isna(result.loc[0, "inefficiency"])
        assert result.loc[0, "inefficiency_not_judged"] == (
            "supply unknown: neither a status nor a contract date (供而未用 not judged)")
    else:
        assert bool(result.loc[0, "supplied_unused"]) is unused
        assert pd.isna(result.loc[0, "inefficiency_not_judged"])
