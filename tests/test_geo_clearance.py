"""Clearance conflicts (GB 50289, DOMAIN.md §8.3–8.4) on hand-built pipes and buildings."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geo.clearance import (
    COLUMNS,
    clearance_conflicts,
    pipe_building_conflicts,
    pipe_classes,
    pipe_pipe_conflicts,
    unchecked_pipes,
)
from layers.infra_rules import default_infra_rules
from tests.infra_helpers import box, layer, line, rules_with

RULES = default_infra_rules()


def pipes(*rows):
    return layer("pipelines", [{"status": "in_service", **row} for row in rows])


def buildings(*rows):
    return layer("buildings", [{"status": "completed", **row} for row in rows])


def along(y, x0=0.0, x1=100.0):
    return line((x0, y), (x1, y))


NO_BUILDINGS = buildings({"building_id": "far", "geometry": box(5000, 5000, 5010, 5010)})


@pytest.mark.parametrize(("wall_gap_m", "conflict"), [(0.49, True), (0.51, False), (0.50, False)])
def test_parallel_pipes_either_side_of_half_a_metre(wall_gap_m, conflict):
    # Water DN200 (radius 0.10 m) beside medium-pressure gas DN100 (radius 0.05 m): 0.5 m required.
    centre_gap = wall_gap_m + 0.10 + 0.05
    found = pipe_pipe_conflicts(pipes(
        {"pipe_id": "W", "network": "water_supply", "diameter_mm": 200.0, "geometry": along(0.0)},
        {"pipe_id": "G", "network": "gas", "pressure_class": "medium_b", "diameter_mm": 100.0,
         "geometry": along(centre_gap)},
    ), rules=RULES)
    assert len(found) == int(conflict)
    if conflict:
        row = found.iloc[0]
        assert (row["id_a"], row["id_b"], row["class_a"], row["class_b"]) == ("W", "G", "water_small", "gas_medium_b")
        assert row["required_m"] == 0.5
        assert row["actual_m"] == pytest.approx(0.49, abs=1e-6)
        assert row["status"] == "◐"
        # Located between the two pipes.
        assert shapely.distance(row.geometry, along(0.0)) == pytest.approx(centre_gap / 2, abs=1e-6)


def test_centreline_measurement_when_configured(tmp_path):
    rows = ({"pipe_id": "W", "network": "water_supply", "diameter_mm": 200.0, "geometry": along(0.0)},
            {"pipe_id": "G", "network": "gas", "pressure_class": "medium_b", "diameter_mm": 100.0,
             "geometry": along(0.64)})
    assert len(pipe_pipe_conflicts(pipes(*rows), rules=RULES)) == 1  # 0.49 m wall to wall
    centreline = rules_with(tmp_path, {"clearance": {"measure_from": "centreline"}})
    assert pipe_pipe_conflicts(pipes(*rows), rules=centreline).empty  # 0.64 m ≥ 0.5 m


def test_crossing_same_network_and_unlisted_pairs_are_not_conflicts():
    found = pipe_pipe_conflicts(pipes(
        {"pipe_id": "W1", "network": "water_supply", "diameter_mm": 300.0, "geometry": along(0.0)},
        {"pipe_id": "W2", "network": "water_supply", "diameter_mm": 100.0, "geometry": along(0.2)},  # same network
        {"pipe_id": "E", "network": "power", "geometry": line((50, -20), (50, 20))},  # crosses W1 and W2
        {"pipe_id": "R", "network": "rain", "geometry": along(30.0)},
        {"pipe_id": "S", "network": "sewer", "geometry": along(30.3)},  # rain/sewer: no table entry
    ), rules=RULES)
    assert found.empty


def test_pipes_sharing_a_utility_tunnel_are_not_checked_against_each_other():
    rows = [{"pipe_id": "W", "network": "water_supply", "diameter_mm": 150.0, "laying": "tunnel",
             "geometry": along(0.0)},
            {"pipe_id": "E", "network": "power", "laying": "tunnel", "geometry": along(0.3)}]
    assert pipe_pipe_conflicts(pipes(*rows), rules=RULES).empty
    rows[1]["laying"] = "duct"
    assert len(pipe_pipe_conflicts(pipes(*rows), rules=RULES)) == 1


def test_abandoned_pipes_are_ignored_and_planned_ones_checked():
    rows = [{"pipe_id": "W", "network": "water_supply", "diameter_mm": 150.0, "geometry": along(0.0)},
            {"pipe_id": "T", "network": "telecom", "status": "abandoned", "geometry": along(0.5)}]
    assert pipe_pipe_conflicts(pipes(*rows), rules=RULES).empty
    rows[1]["status"] = "planned"
    found = pipe_pipe_conflicts(pipes(*rows), rules=RULES)
    assert found[["required_m", "actual_m"]].iloc[0].tolist() == pytest.approx([1.0, 0.425])


@pytest.mark.parametrize(("network", "extra", "required_m"), [
    ("water_supply", {"diameter_mm": 200.0}, 1.0),
    ("water_supply", {"diameter_mm": 201.0}, 3.0),
    ("water_supply", {}, 3.0),  # unknown diameter: the stricter class
    ("sewer", {}, 2.5),
    ("gas", {"pressure_class": "low"}, 0.7),
    ("gas", {"pressure_class": "medium_a"}, 1.5),
    ("gas", {"pressure_class": "subhigh_a"}, 13.5),
    ("power", {}, 0.6),
    ("telecom", {"laying": "duct"}, 1.5),
    ("telecom", {}, 1.0),
    ("heat", {"laying": "trench"}, 0.5),
])
def test_pipe_building_minimum_on_both_sides(network, extra, required_m):
    radius = extra.get("diameter_mm", 0.0) / 2000.0
    footprint = box(0, 10, 40, 40)  # its south wall is the line y = 10
    for gap, conflict in ((required_m - 0.01, True), (required_m + 0.01, False)):
        pipe = pipes({"pipe_id": "P", "network": network, **extra, "geometry": along(10.0 - gap - radius)})
        found = pipe_building_conflicts(pipe, buildings({"building_id": "B", "geometry": footprint}), rules=RULES)
        assert len(found) == int(conflict), (network, extra, gap)
        if conflict:
            assert found.iloc[0][["kind", "id_a", "id_b"]].tolist() == ["pipe_building", "P", "B"]
            assert found.iloc[0]["required_m"] == required_m
            assert found.iloc[0]["actual_m"] == pytest.approx(gap, abs=1e-6)


def test_a_pipe_crossing_under_a_building_is_reported_once_as_under():
    footprint = box(20, -10, 60, 10)
    found = clearance_conflicts(
        pipes({"pipe_id": "S", "network": "sewer", "diameter_mm": 400.0, "geometry": along(0.0)}),
        buildings({"building_id": "B", "geometry": footprint}), rules=RULES)
    assert found["kind"].tolist() == ["pipe_under_building"]
    row = found.iloc[0]
    assert (row["id_a"], row["id_b"], row["actual_m"], row["required_m"]) == ("S", "B", 0.0, 2.5)
    assert shapely.contains(footprint, row.geometry) or shapely.touches(footprint, row.geometry)


def test_demolished_buildings_are_ignored():
    pipe = pipes({"pipe_id": "S", "network": "sewer", "geometry": along(0.0)})
    found = pipe_building_conflicts(pipe, buildings({"building_id": "B", "status": "demolished",
                                                     "geometry": box(20, -10, 60, 10)}), rules=RULES)
    assert found.empty


def test_unclassified_pipes_are_unchecked_but_still_found_under_buildings():
    network = pipes(
        {"pipe_id": "G?", "network": "gas", "geometry": along(0.0)},  # pressure unknown
        {"pipe_id": "GH", "network": "gas", "pressure_class": "high_a", "geometry": along(50.0)},
        {"pipe_id": "W", "network": "water_supply", "diameter_mm": 100.0, "geometry": along(0.1)},
    )
    assert pipe_classes(network, rules=RULES).isna().tolist() == [True, True, False]
    assert unchecked_pipes(network, rules=RULES)["pipe_id"].tolist() == ["G?", "GH"]
    found = clearance_conflicts(network, buildings({"building_id": "B", "geometry": box(80, 40, 90, 60)}),
                                rules=RULES)
    assert found[["kind", "id_a", "id_b"]].values.tolist() == [["pipe_under_building", "GH", "B"]]
    assert np.isnan(found["required_m"].iloc[0])


def test_all_kinds_together_sorted_with_fixed_columns():
    network = pipes(
        {"pipe_id": "W", "network": "water_supply", "diameter_mm": 150.0, "geometry": along(0.0)},
        {"pipe_id": "E", "network": "power", "geometry": along(0.3, x1=200.0)},  # 0.225 m from W's wall
        {"pipe_id": "S", "network": "sewer", "geometry": along(-50.0)},
    )
    found = clearance_conflicts(network, buildings(
        {"building_id": "B1", "geometry": box(150, 0.85, 160, 10)},  # 0.55 m from E (0.6 required), far from W
        {"building_id": "B2", "geometry": box(40, -60, 60, -40)},  # S runs under it
    ), rules=RULES)
    assert list(found.columns) == [*COLUMNS, "geometry"]
    assert found[["kind", "id_a", "id_b"]].values.tolist() == [
        ["pipe_pipe", "W", "E"], ["pipe_building", "E", "B1"], ["pipe_under_building", "S", "B2"]]
    assert found["actual_m"].tolist() == pytest.approx([0.225, 0.55, 0.0])
    assert found.crs == network.crs


def test_nothing_to_check_gives_an_empty_typed_frame():
    found = clearance_conflicts(pipes({"pipe_id": "W", "network": "water_supply", "geometry": along(0.0)}),
                                NO_BUILDINGS, rules=RULES)
    assert found.empty
    assert list(found.columns) == [*COLUMNS, "geometry"]


@pytest.mark.parametrize(("wall_gap_m", "conflict"), [(0.49, True), (0.51, False)])
def test_pipes_whose_envelopes_overlap_are_judged_by_their_distance(wall_gap_m, conflict):
    # Two diagonal pipes side by side: their envelopes overlap (gap 0) whatever the distance between the lines, so
    # the envelope test passes both and only the measured distance decides. Water DN200 beside gas DN100: 0.5 m.
    offset = (wall_gap_m + 0.10 + 0.05) * np.sqrt(2.0)  # perpendicular distance of y = x and y = x - offset
    found = pipe_pipe_conflicts(pipes(
        {"pipe_id": "W", "network": "water_supply", "diameter_mm": 200.0, "geometry": line((0, 0), (100, 100))},
        {"pipe_id": "G", "network": "gas", "pressure_class": "medium_b", "diameter_mm": 100.0,
         "geometry": line((offset, 0), (100 + offset, 100))},
    ), rules=RULES)
    assert len(found) == int(conflict)
    if conflict:
        assert found.iloc[0]["actual_m"] == pytest.approx(0.49, abs=1e-6)


@pytest.mark.parametrize(("end_gap_m", "conflict"), [(0.49, True), (0.51, False)])
def test_pipes_end_to_end_are_judged_across_the_gap_between_their_envelopes(end_gap_m, conflict):
    # End to end on one line: the envelope gap is the distance itself, so the envelope test must keep the pair just
    # inside the minimum (and the distance then finds it) and may drop the one just outside. Water DN200 then gas
    # DN100 along y = 0, the gas starting end_gap_m + both radii after the water ends (measured as the rule does:
    # the distance minus both radii).
    start = 100.0 + end_gap_m + 0.10 + 0.05
    found = pipe_pipe_conflicts(pipes(
        {"pipe_id": "W", "network": "water_supply", "diameter_mm": 200.0, "geometry": along(0.0)},
        {"pipe_id": "G", "network": "gas", "pressure_class": "medium_b", "diameter_mm": 100.0,
         "geometry": along(0.0, start, start + 100.0)},
    ), rules=RULES)
    assert len(found) == int(conflict)
