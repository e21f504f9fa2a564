"""The infrastructure analysis on the demo park reproduces every case the generator constructed.

The manifest (``demo_manifest`` in the park's metadata) lists the deliberate GB 50289
conflicts, the parcels without road access and the supplied parcels each network
leaves unserved. The analysis must find every deliberate conflict and no other,
and the same gaps.

The manifest's ``actual_m`` is the spacing of the centrelines (pipe–pipe) or from
the pipe's end to the wall (pipe–building); GB 50289 measures from the pipe's outer
wall (DOMAIN.md §8.3), which is what the analysis reports by default: the two
differ by the pipes' radii, and agree exactly when the rules say ``centreline``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import shapely

from geo.infrastructure_summary import infrastructure_analysis
from geo.records import SUPPLIED_STATUSES
from layers.infra_rules import default_infra_rules
from tests.infra_helpers import rules_with

LAYERS = ("parcels", "roads", "pipelines", "buildings", "facilities")


@pytest.fixture(scope="module")
def demo(demo_park):
    meta = demo_park.read_meta()
    layers = {name: demo_park.load(name) for name in LAYERS}
    as_of = dt.date.fromisoformat(meta["reference_date"])
    result = infrastructure_analysis(layers, rules=default_infra_rules(), as_of=as_of)
    return meta["demo_manifest"], layers, result, as_of


def conflicts_of(result, kind):
    found = result["conflicts"]
    return found[(found["kind"] == kind).to_numpy()]


def radius_m(pipes, pipe_id):
    return float(pipes.loc[pipes["pipe_id"] == pipe_id, "diameter_mm"].iloc[0]) / 2000.0


def test_every_deliberate_pipe_pipe_conflict_and_no_other(demo):
    manifest, layers, result, _ = demo
    expected = {frozenset((c["a"], c["b"])): c for c in manifest["pipe_conflicts"]["pipe_pipe"]}
    found = conflicts_of(result, "pipe_pipe")
    pairs = {frozenset((a, b)): row for a, b, row in zip(found["id_a"], found["id_b"],
                                                          found.itertuples(index=False))}
    assert expected, "the demo constructs pipe–pipe conflicts"
    assert set(pairs) == set(expected)
    for pair, case in expected.items():
        row = pairs[pair]
        assert row.required_m == case["required_m"]
        walls = case["actual_m"] - radius_m(layers["pipelines"], case["a"]) - radius_m(layers["pipelines"], case["b"])
        assert row.actual_m == pytest.approx(walls, abs=1e-6)
        assert row.actual_m < row.required_m


def test_every_deliberate_pipe_building_conflict_and_no_other(demo):
    manifest, layers, result, _ = demo
    expected = {(c["pipe_id"], c["building_id"]): c for c in manifest["pipe_conflicts"]["pipe_building"]}
    found = conflicts_of(result, "pipe_building")
    rows = {(a, b): row for a, b, row in zip(found["id_a"], found["id_b"], found.itertuples(index=False))}
    assert expected
    assert set(rows) == set(expected)
    for key, case in expected.items():
        assert rows[key].required_m == case["required_m"]
        assert rows[key].actual_m == pytest.approx(case["actual_m"] - radius_m(layers["pipelines"], key[0]),
                                                   abs=1e-6)


def test_every_pipe_under_a_building_and_no_other(demo):
    manifest, layers, result, _ = demo
    expected = {(c["pipe_id"], c["building_id"]) for c in manifest["pipe_conflicts"]["pipe_under_building"]}
    found = conflicts_of(result, "pipe_under_building")
    assert expected
    assert set(zip(found["id_a"], found["id_b"])) == expected
    footprints = layers["buildings"].set_index("building_id").geometry
    for building_id, where in zip(found["id_b"], found.geometry):
        assert shapely.intersects(footprints[building_id], where)


def test_centreline_measurement_matches_the_manifest_exactly(demo, tmp_path):
    manifest, layers, _, as_of = demo
    rules = rules_with(tmp_path, {"clearance": {"measure_from": "centreline"}})
    found = infrastructure_analysis(layers, rules=rules, as_of=as_of)["conflicts"]
    measured = {frozenset((a, b)): m for a, b, m in zip(found["id_a"], found["id_b"], found["actual_m"])}
    for case in manifest["pipe_conflicts"]["pipe_pipe"]:
        assert measured[frozenset((case["a"], case["b"]))] == pytest.approx(case["actual_m"], abs=1e-6)
    for case in manifest["pipe_conflicts"]["pipe_building"]:
        assert measured[frozenset((case["pipe_id"], case["building_id"]))] == pytest.approx(case["actual_m"],
                                                                                           abs=1e-6)


def test_parcels_without_road_access_match(demo):
    manifest, _, result, _ = demo
    parcels = result["parcels"]
    no_access = set(parcels["parcel_id"][~parcels["road_access"].to_numpy(dtype=bool)])
    assert manifest["no_road_access"]
    assert no_access == set(manifest["no_road_access"])


def test_unserved_parcels_match_per_network(demo):
    manifest, layers, result, _ = demo
    parcels = result["parcels"]
    supplied = layers["parcels"]["status"].isin(SUPPLIED_STATUSES).to_numpy()
    for network, expected in manifest["unserved"].items():
        unserved = set(parcels["parcel_id"][supplied & ~parcels[f"served_{network}"].to_numpy(dtype=bool)])
        assert unserved == set(expected), network


def test_readiness_labels_follow_the_served_flags(demo):
    _, _, result, _ = demo
    parcels = result["parcels"]
    seven = default_infra_rules().readiness.template("七通一平").requires
    connections = parcels[[f"served_{c}" if c not in ("road", "site_levelled") else c for c in seven]]
    assert (parcels["ready"].to_numpy(dtype=bool) == connections.to_numpy(dtype=bool).all(axis=1)).all()
    assert (parcels["missing"] == "").to_numpy().sum() == parcels["ready"].to_numpy(dtype=bool).sum()
    assert result["coverage"]["ready_parcels"] > 0


def test_network_distances_reach_every_parcel_on_a_built_road(demo):
    manifest, layers, result, _ = demo
    parcels = result["parcels"]
    access = parcels["network_access"].to_numpy(dtype=bool)
    for kind in ("park_gate", "highway_exit"):
        distance = parcels[f"to_{kind}_m"].to_numpy()
        assert np.isfinite(distance[access]).all()
        assert np.isnan(distance[~access]).all()
    # Along roads is never shorter than the straight line, less the legs to the centrelines (≤ 35 m).
    exit_point = layers["facilities"].geometry[(layers["facilities"]["kind"] == "highway_exit").to_numpy()].iloc[0]
    straight = shapely.distance(layers["parcels"].geometry.to_numpy(), exit_point)
    assert (parcels["to_highway_exit_m"].to_numpy()[access] >= straight[access] - 35.0).all()
    # Landlocked plots have no access at all.
    assert not parcels.set_index("parcel_id").loc[manifest["no_road_access"], "network_access"].any()


def test_the_page_and_its_twin_show_the_deliberate_conflicts(demo_park, demo):
    from app import create_app

    manifest = demo[0]
    client = create_app({"TESTING": True, "PARK_PATH": str(demo_park.path), "SECRET_KEY": "t"}).test_client()
    as_of = demo[3].isoformat()
    body = client.get(f"/api/infrastructure?as_of={as_of}").get_json()
    deliberate = manifest["pipe_conflicts"]
    assert body["conflict_counts"] == {
        "total": sum(len(v) for v in deliberate.values()), "pipe_pipe": len(deliberate["pipe_pipe"]),
        "pipe_building": len(deliberate["pipe_building"]), "pipe_under_building": len(deliberate["pipe_under_building"])}
    page = client.get(f"/infrastructure?as_of={as_of}").get_data(as_text=True)
    for case in deliberate["pipe_under_building"]:
        assert f"<td>{case['pipe_id']}</td>" in page and f"<td>{case['building_id']}</td>" in page
