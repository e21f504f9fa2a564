"""Road and pipeline km tables, coverage ratios and the assembled infrastructure analysis."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from geo.infrastructure_summary import (
    conflict_counts,
    coverage,
    diameter_bands,
    infrastructure_analysis,
    pipeline_km,
    road_km,
)
from layers.infra_rules import default_infra_rules
from layers.registry import get_layer
from layers.validate import validate_layer
from tests.conftest import tiny_frames
from tests.infra_helpers import layer, line

RULES = default_infra_rules()


def test_road_km_by_status_and_grade():
    roads = layer("roads", [
        {"road_id": "A", "grade": "arterial", "status": "completed", "geometry": line((0, 0), (1500, 0))},
        {"road_id": "B", "grade": "arterial", "status": "completed", "geometry": line((0, 50), (500, 50))},
        {"road_id": "C", "grade": "branch", "status": "subgrade", "geometry": line((0, 100), (250, 100))},
        {"road_id": "D", "grade": None, "status": None, "geometry": line((0, 200), (100, 200))},
    ])
    table = road_km(roads)
    assert list(table.index) == ["planned", "approved", "subgrade", "temporary_surface", "completed", "unknown"]
    assert list(table.columns) == ["expressway", "arterial", "secondary", "branch", "internal", "unknown"]
    assert table.loc["completed", "arterial"] == pytest.approx(2.0)
    assert table.loc["subgrade", "branch"] == pytest.approx(0.25)
    assert table.loc["unknown", "unknown"] == pytest.approx(0.1)
    assert table.to_numpy().sum() == pytest.approx(2.35)


@pytest.mark.parametrize(("diameter_mm", "band"), [
    (100.0, "≤DN100"), (100.5, "DN100–300"), (300.0, "DN100–300"), (600.0, "DN300–600"), (601.0, ">DN600"),
    (None, "unknown"),
])
def test_diameter_band_upper_bounds_are_inclusive(diameter_mm, band):
    pipes = layer("pipelines", [{"pipe_id": "p", "network": "rain", "diameter_mm": diameter_mm,
                                 "geometry": line((0, 0), (10, 0))}])
    assert diameter_bands(pipes, rules=RULES).tolist() == [band]


def test_pipeline_km_by_network_status_and_band():
    pipes = layer("pipelines", [
        {"pipe_id": "1", "network": "water_supply", "status": "in_service", "diameter_mm": 200.0,
         "geometry": line((0, 0), (1200, 0))},
        {"pipe_id": "2", "network": "water_supply", "status": "in_service", "diameter_mm": 300.0,
         "geometry": line((0, 10), (800, 10))},
        {"pipe_id": "3", "network": "gas", "status": "planned", "diameter_mm": 160.0,
         "geometry": line((0, 20), (500, 20))},
    ])
    table = pipeline_km(pipes, rules=RULES).set_index(["network", "status", "diameter_band"])["km"]
    assert table.to_dict() == pytest.approx({("water_supply", "in_service", "DN100–300"): 2.0,
                                             ("gas", "planned", "DN100–300"): 0.5})


def test_coverage_counts_supplied_parcels_only():
    parcels = pd.DataFrame({"status": ["operating", "supplied", "completed", "planned", None]})
    ready = pd.DataFrame({f"served_{n}": [True, False, True, True, True] for n in RULES.served.networks})
    ready["served_gas"] = [True, False, False, True, True]
    ready["road"] = [True, True, True, False, False]
    ready["ready"] = [True, False, False, True, True]
    figures = coverage(parcels, ready, rules=RULES)
    assert figures["supplied_parcels"] == 3
    assert figures["served_parcels"]["water_supply"] == 2
    assert figures["served_share"]["water_supply"] == pytest.approx(2 / 3)
    assert figures["served_share"]["gas"] == pytest.approx(1 / 3)
    assert figures["road_share"] == 1.0
    assert figures["ready_parcels"] == 1 and figures["ready_share"] == pytest.approx(1 / 3)


def test_coverage_without_supplied_parcels_has_no_shares():
    figures = coverage(pd.DataFrame({"status": ["planned"]}),
                       pd.DataFrame({**{f"served_{n}": [True] for n in RULES.served.networks},
                                     "road": [True], "ready": [True]}), rules=RULES)
    assert figures["supplied_parcels"] == 0 and figures["ready_share"] is None


def test_conflict_counts_lists_every_kind():
    counts = conflict_counts(pd.DataFrame({"kind": ["pipe_pipe", "pipe_pipe", "pipe_under_building"]}))
    assert counts == {"total": 3, "pipe_pipe": 2, "pipe_building": 0, "pipe_under_building": 1}


def tiny_layers() -> dict:
    return {name: validate_layer(frame, get_layer(name), source=name)[0] for name, frame in tiny_frames().items()}


def test_analysis_of_the_tiny_park():
    result = infrastructure_analysis(tiny_layers(), rules=RULES)
    parcels = result["parcels"].set_index("parcel_id")
    # W1 (DN300 water, in service) runs 4 m south of P1 and P2 along R1 (20 m wide): served.
    assert parcels["served_water_supply"].tolist() == [True, True, False]
    assert parcels["water_supply_distance_m"].tolist()[:2] == [6.0, 6.0]
    assert parcels["road"].tolist() == [True, True, False]
    assert parcels["road_access"].tolist() == [True, True, False]
    # The gate F1 sits at R1's east end (x = 300): P1 fronts R1 up to x = 100.
    assert parcels.loc["P1", "to_park_gate_m"] == pytest.approx(200.0)
    assert parcels.loc["P2", "to_park_gate_m"] == pytest.approx(0.0)
    assert result["template"] == "七通一平"
    assert result["coverage"]["supplied_parcels"] == 2
    assert result["coverage"]["served_share"]["water_supply"] == 1.0
    assert result["coverage"]["ready_share"] == 0.0
    assert result["conflict_counts"]["total"] == 0
    assert result["road_km"].loc["completed", "secondary"] == pytest.approx(0.3)
    assert result["road_km"].loc["subgrade", "branch"] == pytest.approx(0.1)


def test_analysis_as_of_leaves_retired_records_out():
    layers = tiny_layers()
    pipelines = layers["pipelines"].copy()
    pipelines["retired_on"] = pd.to_datetime(["2025-01-01"]).astype("datetime64[ms]")
    layers["pipelines"] = pipelines
    before = infrastructure_analysis(layers, rules=RULES, as_of=dt.date(2024, 12, 31))
    after = infrastructure_analysis(layers, rules=RULES, as_of=dt.date(2025, 1, 1))
    assert before["parcels"]["served_water_supply"].tolist() == [True, True, False]
    assert after["parcels"]["served_water_supply"].tolist() == [False, False, False]
    assert after["pipeline_km"].empty


def test_overview_figures_in_the_park_summary():
    from geo.infrastructure_summary import overview_figures

    layers = tiny_layers()
    figures = overview_figures(*(layers[name] for name in ("parcels", "roads", "pipelines", "buildings")),
                               rules=default_infra_rules())
    assert figures["template"] == "七通一平"
    assert figures["supplied_parcels"] == 2 and figures["ready_parcels"] == 0
    assert figures["served_share"]["water_supply"] == 1.0 and figures["served_share"]["gas"] == 0.0
    assert figures["road_share"] == 1.0
    assert figures["conflicts"] == {"total": 0, "pipe_pipe": 0, "pipe_building": 0, "pipe_under_building": 0}


def test_the_overview_figures_count_the_flags_the_full_readiness_gives(demo_park):
    # The overview judges readiness without network distances; on the demo park its figures are those of the full
    # readiness (distances searched), network by network.
    from geo.infrastructure_summary import coverage, overview_figures
    from geo.readiness import readiness
    from geo.records import in_force

    layers = {name: in_force(demo_park.load(name)) for name in ("parcels", "roads", "pipelines", "buildings")}
    rules = default_infra_rules()
    figures = overview_figures(*layers.values(), rules=rules)
    full = coverage(layers["parcels"], readiness(layers["parcels"], layers["roads"], layers["pipelines"], rules=rules),
                    rules=rules)
    assert figures["supplied_parcels"] == full["supplied_parcels"] > 0
    assert (figures["ready_parcels"], figures["road_share"]) == (full["ready_parcels"], full["road_share"])
    assert figures["served_share"] == full["served_share"]
    assert 0 < sum(full["served_parcels"].values())  # the demo park's mains serve some parcels: the test can fail


def test_parcels_without_a_status_are_supplied_by_their_contract_date_as_the_overview_counts_them():
    """A surveyor's parcels (no status): 七通一平's supplied parcels by the contract date on the day, both sides of it;
    one with neither is counted apart, never as supplied (geo.records.supplied_parcels, the overview's rule)."""
    day = dt.date(2025, 6, 30)
    layers = tiny_layers()
    parcels = layers["parcels"].copy()
    parcels["status"] = pd.Series([None, None, None], index=parcels.index, dtype=parcels["status"].dtype)
    parcels["contract_date"] = pd.to_datetime(["2025-06-29", "2025-06-30", "2025-07-01"]).astype("datetime64[ms]")
    layers["parcels"] = parcels
    by_date = infrastructure_analysis(layers, rules=RULES, as_of=day, supplied_date="contract_date")
    assert by_date["coverage"]["supplied_parcels"] == 2  # P1 the day before, P2 on the day; P3 the day after: not
    assert by_date["coverage"]["supply_unknown"] == 0
    assert by_date["supplied"].tolist() == [True, True, False]
    assert by_date["coverage"]["served_share"]["water_supply"] == 1.0  # W1 serves P1 and P2
    parcels.loc[parcels.index[2], "contract_date"] = pd.NaT
    untold = infrastructure_analysis(layers, rules=RULES, as_of=day, supplied_date="contract_date")
    assert untold["coverage"]["supplied_parcels"] == 2 and untold["coverage"]["supply_unknown"] == 1
    by_status_only = infrastructure_analysis(layers, rules=RULES, as_of=day)
    assert by_status_only["coverage"]["supplied_parcels"] == 0 and by_status_only["supplied"].tolist() == [False] * 3
