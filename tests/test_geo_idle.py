"""Idle land by 闲置土地处置办法: every boundary on both sides, computed by hand."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.idle import STATUSES, add_years, idle_land
from layers.registry import get_layer
from layers.rules import load_rules
from layers.validate import validate_layer

EPSG = 4549
X0, Y0 = 636_000.0, 3_171_000.0
RULES = load_rules()
AS_OF = "2026-06-30"


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def parcels(*rows: dict) -> gpd.GeoDataFrame:
    """Parcels of 100 m × 30 m (3000 m²) in a row, granted and supplied unless a row says otherwise."""
    defaults = {"status": "supplied", "tenure": "granted", "land_use": "100101", "land_use_std": "用地用海2023",
                "contract_date": "2024-01-10", "land_price_wan": 500.0}
    frame = gpd.GeoDataFrame([{"parcel_id": f"P{i}", **defaults, **row} for i, row in enumerate(rows)],
                             geometry=[box(0, i * 40, 100, i * 40 + 30) for i in range(len(rows))], crs=EPSG)
    return validate_layer(frame, get_layer("parcels"), source="test")[0]


def judge(*rows: dict, as_of=AS_OF, buildings=None, rules=RULES) -> pd.DataFrame:
    return idle_land(parcels(*rows), buildings, as_of=as_of, rules=rules)


def test_add_years_is_calendar_exact():
    dates = pd.Series(pd.to_datetime(["2024-02-29", "2023-03-31", None, "2023-12-31"]))
    assert add_years(dates, 1).tolist()[:2] == [pd.Timestamp("2025-02-28"), pd.Timestamp("2024-03-31")]
    assert pd.isna(add_years(dates, 1)[2])
    assert add_years(dates, 4)[0] == pd.Timestamp("2028-02-29")  # a leap year has the day
    assert add_years(dates, 1, missing_day="next_day")[0] == pd.Timestamp("2025-03-01")
    assert add_years(dates, 2)[3] == pd.Timestamp("2025-12-31")


@pytest.mark.parametrize(("as_of", "status", "days_left"), [
    ("2025-06-29", "on_track", 366),
    ("2025-06-30", "on_track", 365),   # the agreed day itself: not yet late
    ("2025-07-01", "overdue", 364),
    ("2026-06-29", "overdue", 1),      # the day before one full year
    ("2026-06-30", "idle_fee", 365),   # the day of one full year
    ("2027-06-29", "idle_fee", 1),
    ("2027-06-30", "idle_reclaim", None),
])
def test_idle_a_one_and_two_full_years(as_of, status, days_left):
    result = judge({"agreed_start_date": "2025-06-30"}, as_of=as_of).iloc[0]
    assert result["idle_status"] == status
    if days_left is None:
        assert pd.isna(result["days_to_next_threshold"])
    else:
        assert result["days_to_next_threshold"] == days_left
    if status in ("idle_fee", "idle_reclaim"):
        assert result["idle_clause"] == "IDLE-A"
        assert result["idle_fee_wan"] == pytest.approx(100.0)  # 20 % of 500 万元
    else:
        assert pd.isna(result["idle_clause"])
        assert np.isnan(result["idle_fee_wan"])


@pytest.mark.parametrize(("missing_day", "as_of", "status"), [
    ("month_end", "2025-02-27", "overdue"),
    ("month_end", "2025-02-28", "idle_fee"),
    ("next_day", "2025-02-28", "overdue"),
    ("next_day", "2025-03-01", "idle_fee"),
])
def test_29_february(missing_day, as_of, status):
    rules = dataclasses.replace(RULES, idle=dataclasses.replace(RULES.idle, missing_anniversary_day=missing_day))
    assert judge({"agreed_start_date": "2024-02-29"}, as_of=as_of, rules=rules).loc[0, "idle_status"] == status


def test_idle_since_and_days_count_from_the_agreed_start():
    result = judge({"agreed_start_date": "2025-01-01"}).iloc[0]
    assert result["idle_since"] == pd.Timestamp("2025-01-01")
    assert result["idle_days"] == 545
    assert result["next_threshold"] == "idle_reclaim"
    assert result["next_threshold_date"] == pd.Timestamp("2027-01-01")


def test_fee_needs_the_land_price():
    result = judge({"agreed_start_date": "2025-01-01", "land_price_wan": None}).iloc[0]
    assert result["idle_status"] == "idle_fee"
    assert np.isnan(result["idle_fee_wan"])
    assert "land price unknown" in result["idle_note"]


@pytest.mark.parametrize("cause", ["GOV-1", "GOV-2", "GOV-3", "GOV-4", "GOV-5", "GOV-6", "FM"])
def test_exemption_codes(cause):
    result = judge({"agreed_start_date": "2024-01-01", "delay_cause": cause}).iloc[0]
    assert result["idle_status"] == "exempt"
    assert result["exempt_code"] == cause
    assert result["idle_clause"] == "IDLE-A"
    assert np.isnan(result["idle_fee_wan"])


def test_delay_cause_none_is_no_exemption_and_young_delays_stay_overdue():
    rows = judge({"agreed_start_date": "2024-01-01", "delay_cause": "none"},
                 {"agreed_start_date": "2026-01-01", "delay_cause": "GOV-2"})
    assert rows.loc[0, "idle_status"] == "idle_reclaim"
    assert rows.loc[1, "idle_status"] == "overdue"
    assert rows.loc[1, "next_threshold"] == "exempt"
    assert "exempt once a full year has passed" in rows.loc[1, "idle_note"]


def stalled_row(**extra) -> dict:
    row = {"status": "under_construction", "agreed_start_date": "2023-03-01", "actual_start_date": "2023-03-01",
           "suspended_since": "2025-06-30", "investment_planned_wan": 10_000.0, "investment_done_wan": 5_000.0,
           "developed_area_m2": 500.0}
    row.update(extra)
    return row


@pytest.mark.parametrize(("developed_m2", "status"), [
    (1000.0, "started"),       # exactly 1/3 of 3000 m²: not below
    (999.9, "stalled_idle"),
])
def test_idle_b_exactly_one_third_developed(developed_m2, status):
    result = judge(stalled_row(developed_area_m2=developed_m2)).iloc[0]
    assert result["idle_status"] == status
    assert result["developed_source"] == "surveyed"


@pytest.mark.parametrize(("done_wan", "status"), [
    (2500.0, "started"),       # exactly 25 % invested: not below
    (2499.0, "stalled_idle"),
])
def test_idle_b_exactly_25_percent_invested(done_wan, status):
    result = judge(stalled_row(developed_area_m2=2000.0, investment_done_wan=done_wan)).iloc[0]
    assert result["idle_status"] == status


@pytest.mark.parametrize(("as_of", "status"), [("2026-06-29", "started"), ("2026-06-30", "stalled_idle")])
def test_idle_b_one_full_year_of_suspension(as_of, status):
    result = judge(stalled_row(), as_of=as_of).iloc[0]
    assert result["idle_status"] == status
    if status == "stalled_idle":
        assert result["idle_clause"] == "IDLE-B"
        assert result["idle_since"] == pd.Timestamp("2025-06-30")
        assert result["idle_days"] == 365
        assert result["idle_fee_wan"] == pytest.approx(100.0)
    else:
        assert result["next_threshold"] == "stalled_idle"
        assert result["days_to_next_threshold"] == 1


def test_stalled_land_with_government_cause_is_exempt():
    result = judge(stalled_row(delay_cause="GOV-4")).iloc[0]
    assert (result["idle_status"], result["idle_clause"], result["exempt_code"]) == ("exempt", "IDLE-B", "GOV-4")


def test_stalled_fee_can_be_switched_off():
    rules = dataclasses.replace(RULES, idle=dataclasses.replace(RULES.idle, stalled_fee=False))
    assert np.isnan(judge(stalled_row(), rules=rules).loc[0, "idle_fee_wan"])


def test_developed_area_estimated_from_footprints_and_labelled():
    buildings = gpd.GeoDataFrame(
        {"building_id": ["B1", "B2"], "status": ["under_construction", "planned"], "floors": [1, 1]},
        geometry=[box(0, 0, 30, 30), box(40, 0, 90, 30)], crs=EPSG)
    buildings = validate_layer(buildings, get_layer("buildings"), source="test")[0]
    # 900 m² standing (the planned one does not count) < 1000 m² = 1/3 of 3000 m².
    result = judge(stalled_row(developed_area_m2=None), buildings=buildings).iloc[0]
    assert result["developed_share"] == pytest.approx(0.3)
    assert result["developed_source"] == "estimated_footprint"
    assert result["idle_status"] == "stalled_idle"
    assert "estimated from building footprints" in result["idle_note"]


def test_without_any_building_in_the_park_the_developed_share_is_unknown_not_0():
    # Suspended a full year, invested 50 % (not below 25 %), no surveyed developed area. A park imported without its
    # buildings tells nothing of what was built: not judged, never idle on a 0 % read from an absent layer.
    no_buildings = judge(stalled_row(developed_area_m2=None)).iloc[0]
    assert np.isnan(no_buildings["developed_share"]) and pd.isna(no_buildings["developed_source"])
    assert pd.isna(no_buildings["idle_status"])
    # The investment alone still judges it when it is below its share (24.99 %).
    by_investment = judge(stalled_row(developed_area_m2=None, investment_done_wan=2499.0)).iloc[0]
    assert by_investment["idle_status"] == "stalled_idle"
    # The other side: a park with buildings (none on this parcel) — nothing built here, 0 %: idle.
    elsewhere = gpd.GeoDataFrame({"building_id": ["B1"], "status": ["completed"], "floors": [1]},
                                 geometry=[box(0, 500, 30, 530)], crs=EPSG)
    elsewhere = validate_layer(elsewhere, get_layer("buildings"), source="test")[0]
    built_elsewhere = judge(stalled_row(developed_area_m2=None), buildings=elsewhere).iloc[0]
    assert built_elsewhere["developed_share"] == 0.0 and built_elsewhere["idle_status"] == "stalled_idle"


def test_floor_area_basis():
    rules = dataclasses.replace(RULES, idle=dataclasses.replace(RULES.idle, developed_area_basis="floor_area"))
    buildings = gpd.GeoDataFrame({"building_id": ["B1"], "status": ["completed"], "floors": [2]},
                                 geometry=[box(0, 0, 20, 30)], crs=EPSG)
    buildings = validate_layer(buildings, get_layer("buildings"), source="test")[0]
    # 1200 m² built of 3000 m² × FAR 1.0 planned = 0.4 ≥ 1/3.
    result = judge(stalled_row(far_min=1.0), buildings=buildings, rules=rules).iloc[0]
    assert result["developed_share"] == pytest.approx(0.4)
    assert result["idle_status"] == "started"


def test_unjudgeable_records_say_why():
    rows = judge(
        {"agreed_start_date": None},
        {"tenure": "leased", "agreed_start_date": "2024-01-01"},
        {"tenure": None, "agreed_start_date": "2024-01-01"},
        stalled_row(developed_area_m2=2000.0, investment_planned_wan=None),
    )
    assert rows["idle_status"].isna().all()
    assert rows.loc[0, "idle_not_judged"] == "no agreed start date (约定动工日期)"
    assert "outside 53号令" in rows.loc[1, "idle_not_judged"]
    assert "no tenure" in rows.loc[2, "idle_not_judged"]
    assert "investment share unknown" in rows.loc[3, "idle_not_judged"]


def test_supply_start_and_completion():
    rows = judge(
        {"status": "planned", "tenure": None, "contract_date": None},
        {"status": "approved_unsupplied", "tenure": None, "contract_date": None},
        {"agreed_start_date": "2026-09-01", "contract_date": "2026-08-01"},  # contracted after as_of
        {"status": "completed", "actual_start_date": "2024-05-01", "actual_completion_date": "2025-12-01",
         "agreed_start_date": "2024-04-01"},
        {"status": "operating", "agreed_start_date": "2020-01-01"},  # no dates: judged from its status
        {"status": "under_construction", "actual_start_date": "2026-07-15", "agreed_start_date": "2026-05-01"},
    )
    assert rows["idle_status"].tolist() == ["not_supplied", "not_supplied", "not_supplied", "completed",
                                            "completed", "overdue"]
    assert "started according to the parcel status" in rows.loc[4, "idle_note"]
    assert rows["development_stage"].tolist() == ["unsupplied", "unsupplied", "unsupplied", "completed",
                                                  "completed", "not_started"]


@settings(max_examples=60, deadline=None)
@given(
    agreed=st.dates(min_value=pd.Timestamp("2018-01-01").date(), max_value=pd.Timestamp("2028-01-01").date()),
    started=st.one_of(st.none(), st.dates(min_value=pd.Timestamp("2018-01-01").date(),
                                          max_value=pd.Timestamp("2028-01-01").date())),
    suspended=st.one_of(st.none(), st.dates(min_value=pd.Timestamp("2018-01-01").date(),
                                            max_value=pd.Timestamp("2028-01-01").date())),
    cause=st.sampled_from([None, "none", "GOV-3", "FM"]),
    label=st.integers(-50, 50),
)
def test_properties_status_is_one_of_the_nine_and_index_is_kept(agreed, started, suspended, cause, label):
    frame = parcels({"agreed_start_date": agreed, "actual_start_date": started, "suspended_since": suspended,
                     "delay_cause": cause, "developed_area_m2": 100.0, "investment_planned_wan": 100.0,
                     "investment_done_wan": 10.0})
    frame.index = [label]
    result = idle_land(frame, as_of=AS_OF, rules=RULES)
    assert result.index.equals(frame.index)
    status = result["idle_status"].iloc[0]
    assert status in STATUSES
    assert (result["idle_days"].fillna(0) >= 0).all()
    if status in ("idle_fee", "idle_reclaim", "stalled_idle"):
        assert result["idle_fee_wan"].iloc[0] == pytest.approx(0.2 * 500.0)
