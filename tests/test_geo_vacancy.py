"""Vacancy of factory units as of a date, overlapping leases, monthly trend — by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.vacancy import lease_blocks, overlapping_leases, park_vacancy, unit_vacancy, vacancy_by, vacancy_trend
from layers.registry import get_layer
from layers.rules import load_rules
from layers.validate import validate_layer

RULES = load_rules()
AS_OF = "2026-06-30"


def table(layer: str, rows: list[dict]) -> pd.DataFrame:
    return validate_layer(pd.DataFrame(rows), get_layer(layer), source="test")[0]


def units_frame() -> pd.DataFrame:
    return table("units", [
        {"unit_id": "U1", "building_id": "B1", "area_m2": 100.0, "status": "leasable"},
        {"unit_id": "U2", "building_id": "B1", "area_m2": 200.0, "status": "leasable"},
        {"unit_id": "U3", "building_id": "B2", "area_m2": 300.0, "status": "self_used"},
        {"unit_id": "U4", "building_id": "B2", "area_m2": 400.0, "status": "leasable", "first_added": "2025-06-30"},
        {"unit_id": "U5", "building_id": "B2", "area_m2": 500.0, "status": "under_renovation"},
    ])


def leases_frame() -> pd.DataFrame:
    return table("leases", [
        {"lease_id": "L1", "unit_id": "U1", "enterprise_id": "E1", "start": "2024-07-01", "end": "2026-06-29"},
        {"lease_id": "L2", "unit_id": "U2", "enterprise_id": "E2", "start": "2025-01-01", "end": "2026-06-30"},
        {"lease_id": "L3", "unit_id": "U2", "enterprise_id": "E3", "start": "2026-03-01", "end": "2027-02-28"},
        {"lease_id": "L4", "unit_id": "U3", "enterprise_id": "E4", "start": "2025-01-01", "end": "2027-12-31"},
    ])


def test_a_lease_ending_the_day_before_leaves_the_unit_vacant():
    units = unit_vacancy(units_frame(), leases_frame(), as_of=AS_OF, rules=RULES).set_index("unit_id")
    assert not units.loc["U1", "leased"]
    assert units.loc["U1", "vacant_since"] == pd.Timestamp("2026-06-30")
    assert units.loc["U1", "days_vacant"] == 0
    # A lease ending on the day itself still covers it.
    assert units.loc["U2", "leased"]
    yesterday = unit_vacancy(units_frame(), leases_frame(), as_of="2026-06-29", rules=RULES).set_index("unit_id")
    assert yesterday.loc["U1", "leased"]


def test_overlapping_leases_are_reported_and_counted_once():
    overlaps = overlapping_leases(leases_frame())
    assert overlaps[["unit_id", "lease_a", "lease_b"]].values.tolist() == [["U2", "L2", "L3"]]
    assert overlaps.loc[0, "overlap_start"] == pd.Timestamp("2026-03-01")
    assert overlaps.loc[0, "overlap_end"] == pd.Timestamp("2026-06-30")
    assert overlaps.loc[0, "overlap_days"] == 122
    units = unit_vacancy(units_frame(), leases_frame(), as_of=AS_OF, rules=RULES).set_index("unit_id")
    assert units.loc["U2", "leased_m2"] == 200.0  # not 400
    assert units.loc["U2", "overlapping_now"]
    assert "overlapping leases" in units.loc["U2", "vacancy_note"]


def test_per_unit_building_and_park_figures():
    units = unit_vacancy(units_frame(), leases_frame(), as_of=AS_OF, rules=RULES)
    by_unit = units.set_index("unit_id")
    # Self-used and under-renovation units are not leasable (DOMAIN.md §10.3), even if leased.
    assert not by_unit.loc["U3", "leasable"] and by_unit.loc["U3", "leased_m2"] == 0.0
    assert not by_unit.loc["U5", "leasable"]
    # Never leased: vacant since it was added.
    assert by_unit.loc["U4", "vacant_since"] == pd.Timestamp("2025-06-30")
    assert by_unit.loc["U4", "days_vacant"] == 365
    buildings = vacancy_by(units, by="building_id")
    assert buildings.loc["B1", "vacancy_rate"] == pytest.approx(100 / 300)
    assert buildings.loc["B2", "vacancy_rate"] == 1.0
    assert buildings.loc["B2", "leasable_m2"] == 400.0
    park = park_vacancy(units)
    assert park == {"units": 5, "leasable_units": 3, "vacant_units": 2, "leasable_m2": 700.0, "leased_m2": 200.0,
                    "vacant_m2": 500.0, "vacancy_rate": pytest.approx(500 / 700)}


def test_unknown_vacancy_start_is_said():
    units = table("units", [{"unit_id": "U9", "area_m2": 50.0, "status": "leasable"}])
    result = unit_vacancy(units, leases_frame(), as_of=AS_OF, rules=RULES).iloc[0]
    assert pd.isna(result["days_vacant"])
    assert "days vacant unknown" in result["vacancy_note"]


def test_monthly_trend():
    trend = vacancy_trend(units_frame(), leases_frame(), as_of=AS_OF, months=4, rules=RULES)
    assert list(trend.index) == list(pd.to_datetime(["2026-03-31", "2026-04-30", "2026-05-31", "2026-06-30"]))
    # U1 and U2 leased through June 29; on June 30 only U2: leased 300 then 200 of 700 leasable.
    assert trend["leased_m2"].tolist() == [300.0, 300.0, 300.0, 200.0]
    assert trend["vacancy_rate"].iloc[-1] == pytest.approx(500 / 700)
    mid_month = vacancy_trend(units_frame(), leases_frame(), as_of="2026-06-15", months=2, rules=RULES)
    assert list(mid_month.index) == list(pd.to_datetime(["2026-05-31", "2026-06-15"]))


def test_lease_blocks_merge_overlaps():
    blocks = lease_blocks(leases_frame())
    u2 = blocks[blocks["unit_id"] == "U2"]
    assert len(u2) == 1
    assert u2.iloc[0]["start"] == pd.Timestamp("2025-01-01") and u2.iloc[0]["end"] == pd.Timestamp("2027-02-28")


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(-900, 900), st.integers(0, 700)), max_size=12),
       st.lists(st.integers(-100, 100), min_size=5, max_size=5, unique=True))
def test_properties_vacancy_in_unit_interval_and_index_kept(leases, labels):
    units = units_frame()
    units.index = labels
    base = pd.Timestamp(AS_OF)
    lease_rows = [{"lease_id": f"L{i}", "unit_id": f"U{u + 1}", "start": base + pd.Timedelta(days=s),
                   "end": base + pd.Timedelta(days=s + d)} for i, (u, s, d) in enumerate(leases)]
    lease_table = table("leases", lease_rows) if lease_rows else leases_frame().iloc[0:0]
    result = unit_vacancy(units, lease_table, as_of=AS_OF, rules=RULES)
    assert result.index.equals(units.index)
    rates = vacancy_by(result, by="building_id")["vacancy_rate"].dropna()
    assert ((rates >= 0) & (rates <= 1)).all()
    trend = vacancy_trend(units, lease_table, as_of=AS_OF, months=30, rules=RULES)
    assert ((trend["vacancy_rate"] >= -1e-12) & (trend["vacancy_rate"] <= 1 + 1e-12)).all()
    # The trend's last point is the as-of figure.
    assert trend["leased_m2"].iloc[-1] == pytest.approx(result["leased_m2"].sum())
    assert np.all(result["vacant_m2"] >= 0)
