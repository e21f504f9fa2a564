"""Revitalisation: candidates, the case ledger with its history, and the year's figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.revitalisation import (
    CaseError,
    candidates,
    case_history,
    close_case,
    create_case,
    next_case_id,
    update_case,
    year_figures,
)
from layers.registry import get_layer
from layers.rules import default_rules
from layers.store import GeoPackageStore
from layers.validate import validate_layer

TODAY = "2026-06-30"


def table(layer: str, rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows) if rows else pd.DataFrame({f.name: [] for f in get_layer(layer).fields})
    return validate_layer(frame, get_layer(layer), source="test")[0]


def empty_ledger():
    return table("cases", []), table("case_events", [])


def test_candidates_ranked_within_kind():
    parcels = pd.DataFrame({"parcel_id": ["A", "B", "C", "D"], "enterprise_id": ["E1", "E2", "E3", "E4"],
                            "area_name": ["一期", "二期", "二期", "二期"]})
    analysis = pd.DataFrame({
        "area_m2": [2000.0, 8000.0, 4000.0, 5000.0],
        "idle_status": pd.Series(["idle_fee", "idle_reclaim", "stalled_idle", "started"], dtype="str"),
        "idle_since": pd.to_datetime(["2025-01-01", "2024-01-01", "2025-03-01", None]),
        "idle_days": pd.array([545, 911, 486, pd.NA], dtype="Int64"),
    })
    vacancy = pd.DataFrame({"vacancy_rate": [0.5, 0.49, 1.0], "vacant_m2": [600.0, 900.0, 300.0],
                            "days_vacant_max": [100.0, 50.0, 400.0]}, index=["SF1", "SF2", "SF3"])
    buildings = pd.DataFrame({"building_id": ["SF1", "SF2", "SF3"], "parcel_id": ["A", "A", "B"]})
    firms = pd.DataFrame({"grade": pd.array(["D", "A", "D"], dtype="str"), "land_m2": [3000.0, 1.0, 6000.0]},
                         index=["E1", "E2", "E3"])
    cases = table("cases", [{"case_id": "C-1", "parcel_id": "B", "problem": "idle_land", "status": "in_progress"},
                            {"case_id": "C-2", "building_id": "SF3", "problem": "vacant_factory",
                             "status": "done"}])
    out = candidates(parcels, analysis=analysis, buildings=buildings, building_vacancy=vacancy, firms=firms,
                     cases=cases, rules=default_rules())
    assert out[["kind", "rank"]].values.tolist() == [
        ["idle_land", 1], ["idle_land", 2], ["stalled", 1], ["vacant_factory", 1], ["vacant_factory", 2],
        ["zombie_enterprise", 1], ["zombie_enterprise", 2]]
    assert out["parcel_id"].tolist()[:3] == ["B", "A", "C"]
    assert out.loc[0, "area_mu"] == pytest.approx(12.0)
    assert out.loc[0, "duration_days"] == 911
    assert out["building_id"].tolist()[3:5] == ["SF1", "SF3"]  # SF2 is below the 50 % vacancy threshold
    assert out.loc[3, "area_name"] == "一期"
    assert out["enterprise_id"].tolist()[5:] == ["E3", "E1"]
    # Only the open case counts: B has one in progress; SF3's is done.
    assert out["open_case"].tolist() == [True, False, False, False, False, False, False]


def test_create_update_close_keeps_history():
    cases, events = empty_ledger()
    cases, events, case_id = create_case(cases, events, {"parcel_id": "P1", "problem": "闲置土地",
                                                         "area_m2": "6666.7", "notes": "<b>约谈</b>"},
                                         today=TODAY, parcel_ids=["P1", "P2"])
    assert case_id == "C-2026-0001"
    record = cases.iloc[0]
    assert (record["problem"], record["status"], record["opened"]) == ("idle_land", "identified",
                                                                       pd.Timestamp(TODAY))
    assert record["notes"] == "<b>约谈</b>"  # kept as typed; pages escape it
    cases, events = update_case(cases, events, case_id, {"status": "in_progress", "method": "再履约",
                                                         "notes": "<b>约谈</b>"}, today="2026-07-10")
    cases, events = close_case(cases, events, case_id, today="2026-09-01")
    record = cases.iloc[0]
    assert (record["status"], record["method"], record["closed"]) == ("done", "re_perform",
                                                                      pd.Timestamp("2026-09-01"))
    history = case_history(events, case_id)
    shown = history[["action", "field", "old_value", "new_value"]].astype(object)
    assert shown.where(shown.notna(), None).values.tolist() == [
        ["create", "parcel_id", None, "P1"], ["create", "problem", None, "idle_land"],
        ["create", "status", None, "identified"], ["create", "opened", None, "2026-06-30"],
        ["create", "area_m2", None, "6666.7"], ["create", "notes", None, "<b>约谈</b>"],
        ["update", "status", "identified", "in_progress"], ["update", "method", None, "re_perform"],
        ["close", "status", "in_progress", "done"], ["close", "closed", None, "2026-09-01"]]
    assert history["event_id"].is_unique
    # Both frames pass the registry's validation, so the store can save them.
    validate_layer(cases, get_layer("cases"), source="test")
    validate_layer(events, get_layer("case_events"), source="test")
    with pytest.raises(CaseError, match="already closed"):
        close_case(cases, events, case_id, today="2026-09-02")
    with pytest.raises(CaseError, match="is closed"):
        update_case(cases, events, case_id, {"notes": "x"}, today="2026-09-02")


def test_bad_requests_name_field_value_and_allowed():
    cases, events = empty_ledger()
    with pytest.raises(CaseError) as caught:
        create_case(cases, events, {"problem": "lazy", "method": "magic", "opened": "yesterday",
                                    "area_m2": "-5", "parcel_id": "P9", "case_id": "X"},
                    today=TODAY, parcel_ids=["P1"])
    problems = caught.value.problems
    assert any(p.startswith("field problem: got 'lazy'; allowed: one of idle_land, stalled") for p in problems)
    assert any(p.startswith("field method: got 'magic'; allowed: one of re_perform") for p in problems)
    assert "field opened: got 'yesterday'; allowed: a date YYYY-MM-DD" in problems
    assert "field area_m2: got '-5'; allowed: a number ≥ 0" in problems
    assert "field parcel_id: got 'P9'; allowed: a parcel id of this park" in problems
    assert any("field 'case_id' cannot be set" in p for p in problems)
    with pytest.raises(CaseError, match="field problem: required"):
        create_case(cases, events, {"notes": "x"}, today=TODAY)
    with pytest.raises(CaseError, match="allowed for a new case"):
        create_case(cases, events, {"problem": "stalled", "status": "done"}, today=TODAY)
    cases, events, case_id = create_case(cases, events, {"problem": "stalled"}, today=TODAY)
    with pytest.raises(CaseError, match="method: required to close a case as done"):
        close_case(cases, events, case_id, today=TODAY)
    with pytest.raises(CaseError, match="close a case with the close action"):
        update_case(cases, events, case_id, {"status": "done"}, today=TODAY)
    with pytest.raises(KeyError, match="no case 'C-404'"):
        update_case(cases, events, "C-404", {"notes": "x"}, today=TODAY)
    dropped, _ = close_case(cases, events, case_id, today=TODAY, outcome="dropped")
    assert dropped.iloc[0]["status"] == "dropped"


def test_case_ids_continue_the_year():
    cases = table("cases", [{"case_id": "C-2026-0007"}, {"case_id": "C-2025-0100"}, {"case_id": "old"}])
    assert next_case_id(cases, today="2026-01-01") == "C-2026-0008"
    assert next_case_id(cases, today="2027-01-01") == "C-2027-0001"


def test_ledger_round_trip_through_the_store(tiny_park: GeoPackageStore):
    cases, events = tiny_park.load("cases"), tiny_park.load("case_events")
    cases, events, case_id = create_case(cases, events, {"problem": "vacant_factory", "building_id": "B1"},
                                         today=TODAY, building_ids=["B1"])
    tiny_park.save("cases", cases)
    tiny_park.save("case_events", events)
    assert tiny_park.load("cases")["case_id"].tolist() == [case_id]
    assert len(tiny_park.load("case_events")) == 4


def test_year_figures():
    parcels = pd.DataFrame({
        "contract_date": pd.to_datetime(["2025-03-01", "2025-11-30", "2024-12-31"]),
        "actual_start_date": pd.to_datetime(["2025-05-01", None, "2025-01-02"]),
        "actual_completion_date": pd.to_datetime([None, None, "2025-12-31"]),
    })
    analysis = pd.DataFrame({"area_m2": [6000.0, 3000.0, 9000.0], "is_industrial": [True, False, True]})
    cases = table("cases", [
        {"case_id": "a", "problem": "idle_land", "opened": "2025-02-01", "status": "done", "closed": "2025-10-01",
         "method": "reclaim", "area_m2": 4000.0},
        {"case_id": "b", "problem": "stalled", "opened": "2024-02-01", "status": "done", "closed": "2025-12-01",
         "method": "graft", "area_m2": 2000.0},
        {"case_id": "c", "problem": "idle_land", "opened": "2025-06-01", "status": "in_progress",
         "area_m2": 1000.0},
        {"case_id": "d", "problem": "vacant_factory", "opened": "2025-01-01", "status": "done",
         "closed": "2025-05-01", "method": "lease", "floor_area_m2": 1200.0},
        {"case_id": "e", "problem": "idle_land", "opened": "2025-01-01", "status": "dropped",
         "closed": "2025-05-01", "area_m2": 500.0},
    ])
    figures = year_figures(parcels, analysis=analysis, cases=cases, year=2025)
    assert figures["supplied_mu"] == pytest.approx(13.5)
    assert figures["supplied_industrial_mu"] == pytest.approx(9.0)
    assert (figures["started_parcels"], figures["completed_parcels"]) == (2, 1)
    assert figures["idle_found_mu"] == pytest.approx((4000 + 1000 + 500) / (2000 / 3))
    assert figures["idle_revitalised_mu"] == pytest.approx(9.0)
    assert figures["idle_revitalised_mu_by_method"] == {"graft": pytest.approx(3.0), "reclaim": pytest.approx(6.0)}
    assert figures["vacant_factory_revitalised_m2"] == 1200.0
    assert (figures["cases_opened"], figures["cases_closed"]) == (4, 4)
    assert np.isfinite(figures["idle_found_mu"])
