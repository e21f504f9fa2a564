"""Road frontage and network distance on a small road network checked by hand.

The network (red lines 20 m wide, metres from the origin)::

    (500,600) ──R4── (1000,600) ← highway exit H (1000,605)
        │                │
        R2               R3 (planned)
        │                │
 (0,0)──┼──────R1────────(1000,0)        gate G at (0,-5); substation S at (50,5)
        │                                sewage plant W at (200,8)
    (500,-300)

R2 crosses R1 at (500,0) without being split there; the graph must node it.
"""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from real_data import REAL as REAL_DATA

from geo.roadnet import build_road_graph, network_distances, road_frontage
from layers.infra_rules import default_infra_rules
from layers.registry import get_layer
from layers.validate import validate_layer
from tests.infra_helpers import box, layer, line, point, rules_with

RULES = default_infra_rules()


def road(road_id, *points, status="completed", width=20.0, grade="secondary"):
    return {"road_id": road_id, "grade": grade, "width_m": width, "status": status, "geometry": line(*points)}


ROADS = layer("roads", [
    road("R1", (0, 0), (1000, 0)),
    road("R2", (500, -300), (500, 600)),
    road("R3", (1000, 0), (1000, 600), status="planned"),
    road("R4", (500, 600), (1000, 600)),
])
FACILITIES = layer("facilities", [
    {"facility_id": "G", "kind": "park_gate", "status": "in_service", "geometry": point(0, -5)},
    {"facility_id": "H", "kind": "highway_exit", "status": "in_service", "geometry": point(1000, 605)},
    {"facility_id": "S", "kind": "substation", "status": "in_service", "geometry": point(50, 5)},
    {"facility_id": "W", "kind": "sewage_plant", "status": None, "geometry": point(200, 8)},
    {"facility_id": "X", "kind": "substation", "status": "planned", "geometry": point(600, -8)},
])
PARCELS = layer("parcels", [
    {"parcel_id": "P1", "geometry": box(600, 10, 900, 300)},     # borders R1 only
    {"parcel_id": "P2", "geometry": box(510, 100, 580, 560)},    # borders R2 only
    {"parcel_id": "P3", "geometry": box(2000, 2000, 2100, 2100)},  # no road
    {"parcel_id": "P4", "geometry": box(1010, 200, 1100, 400)},  # borders planned R3 only
    {"parcel_id": "P5", "geometry": box(100, -200, 300, -10)},   # south of R1, west of R2
])


def test_graph_is_noded_at_the_crossing():
    graph = build_road_graph(ROADS, rules=RULES)
    assert graph.graph.number_of_nodes() == 6
    assert graph.graph.number_of_edges() == 5
    assert graph.length_m == pytest.approx(2400.0)
    weights = sorted(w for _, _, w in graph.graph.edges(data="weight"))
    assert weights == pytest.approx([300.0, 500.0, 500.0, 500.0, 600.0])
    with_planned = build_road_graph(ROADS, rules=RULES, include_planned=True)
    assert with_planned.graph.number_of_edges() == 6
    assert with_planned.length_m == pytest.approx(3000.0)


def test_prenoded_and_unnoded_roads_give_the_same_graph():
    split = layer("roads", [road("A", (0, 0), (500, 0)), road("B", (500, 0), (1000, 0)),
                            road("C", (500, -300), (500, 0)), road("D", (500, 0), (500, 600))])
    whole = layer("roads", [road("A", (0, 0), (1000, 0)), road("C", (500, -300), (500, 600))])
    for roads in (split, whole):
        graph = build_road_graph(roads, rules=RULES)
        assert (graph.graph.number_of_nodes(), graph.graph.number_of_edges()) == (5, 4)
        assert graph.length_m == pytest.approx(1900.0)


def test_network_distances_by_hand():
    result = network_distances(PARCELS, ROADS, FACILITIES, rules=RULES).set_index(PARCELS["parcel_id"])
    assert result["network_access"].tolist() == [True, True, False, False, True]
    assert result["access_road_id"].tolist()[:2] == ["R1", "R2"]
    # P1 fronts R1 from x = 600 to 900: 600 m west to the gate; to the exit 100 m west to
    # the crossing, 600 m north on R2, 500 m east on R4 (R3 is only planned).
    assert result.loc["P1", "to_park_gate_m"] == pytest.approx(600.0)
    assert result.loc["P1", "to_highway_exit_m"] == pytest.approx(1200.0)
    # P2 fronts R2 from y = 100 to 560: 100 m south then 500 m west; 40 m north then 500 m east.
    assert result.loc["P2", "to_park_gate_m"] == pytest.approx(600.0)
    assert result.loc["P2", "to_highway_exit_m"] == pytest.approx(540.0)
    # P5 fronts R1 from x = 100 to 300; the substation S sits on the same stretch of R1 at
    # x = 50 (reached directly, 50 m, not through the node at the origin), the sewage plant at x = 200.
    assert result.loc["P5", "to_substation_m"] == pytest.approx(50.0)
    assert result.loc["P5", "to_sewage_plant_m"] == pytest.approx(0.0)
    assert result.loc["P1", "to_sewage_plant_m"] == pytest.approx(400.0)
    # The planned substation X is not a destination: P1 reaches S (550 m), not X.
    assert result.loc["P1", "to_substation_m"] == pytest.approx(550.0)
    for parcel in ("P3", "P4"):
        assert np.isnan(result.loc[parcel, ["to_park_gate_m", "to_highway_exit_m"]].to_numpy(dtype=float)).all()


def test_planned_roads_only_when_asked():
    result = network_distances(PARCELS, ROADS, FACILITIES, rules=RULES,
                               include_planned=True).set_index(PARCELS["parcel_id"])
    assert result.loc["P4", "network_access"]
    # P4 fronts R3 from y = 200 to 400: 200 m north to the exit; 200 m south and 1000 m west to the gate.
    assert result.loc["P4", "to_highway_exit_m"] == pytest.approx(200.0)
    assert result.loc["P4", "to_park_gate_m"] == pytest.approx(1200.0)
    # P1 now also goes 100 m east and 600 m north along R3.
    assert result.loc["P1", "to_highway_exit_m"] == pytest.approx(700.0)


def test_facility_beyond_the_snap_distance_is_unreachable(tmp_path):
    # G and S lie 5 m from R1, W 8 m: with a 6 m snap distance W is off the network.
    near_only = rules_with(tmp_path, {"roads": {"facility_snap_max_m": 6}})
    result = network_distances(PARCELS, ROADS, FACILITIES, rules=near_only).set_index(PARCELS["parcel_id"])
    assert result.loc["P1", "to_park_gate_m"] == pytest.approx(600.0)
    assert result.loc["P1", "to_substation_m"] == pytest.approx(550.0)
    assert np.isnan(result.loc["P1", "to_sewage_plant_m"])


def test_result_is_indexed_like_the_parcels():
    shuffled = PARCELS.iloc[::-1].set_axis(["e", "d", "c", "b", "a"])
    result = network_distances(shuffled, ROADS, FACILITIES, rules=RULES)
    assert list(result.index) == ["e", "d", "c", "b", "a"]
    assert result.loc["e", "to_substation_m"] == pytest.approx(50.0)  # P5
    assert result["access_road_id"].dtype == "str"


def test_a_t_junction_across_the_street_does_not_border():
    roads = layer("roads", [road("R", (-100, 0), (500, 0)), road("S", (300, -200), (300, 0))])
    parcels = layer("parcels", [
        {"parcel_id": "north", "geometry": box(250, 10, 350, 100)},  # faces the end of S across R
        {"parcel_id": "south", "geometry": box(310, -100, 400, -10)},  # on the corner of R and S
    ])
    fronts = road_frontage(parcels, roads, rules=RULES)
    assert sorted(zip(fronts["parcel_id"], fronts["road_id"])) == [("north", "R"), ("south", "R"), ("south", "S")]
    south_s = fronts[(fronts["parcel_id"] == "south") & (fronts["road_id"] == "S")].iloc[0]
    # West side (y = -100 … -10, 90 m) plus 10 m of the north and of the south side inside S's corridor.
    assert south_s["frontage_m"] == pytest.approx(110.0)
    assert south_s["distance_m"] == pytest.approx(10.0)


@pytest.mark.parametrize(("bottom_y", "borders"), [(95.1, False), (94.9, True)])
def test_minimum_frontage_on_both_sides(bottom_y, borders):
    # S's corridor is x = -20 … 20 (10 m half width + 10 m tolerance) and ends at y = 100 (flat end):
    # the parcel's west side lies on its edge for 100 - bottom_y metres, just under or over 5 m.
    roads = layer("roads", [road("S", (0, 0), (0, 100))])
    parcels = layer("parcels", [{"parcel_id": "P", "geometry": box(20, bottom_y, 60, 150)}])
    fronts = road_frontage(parcels, roads, rules=RULES)
    assert (len(fronts) == 1) is borders
    if borders:
        assert fronts["frontage_m"].iloc[0] == pytest.approx(5.1)


@pytest.mark.parametrize("threads", [1, 2])
def test_frontage_of_blocks_in_threads_is_that_of_all_at_once(monkeypatch, threads):
    # The test below with its blocks of parcels shared among one thread or two: the blocks come back in order.
    monkeypatch.setattr("geo.threads.block_threads", lambda: threads)
    test_frontage_in_blocks_of_parcels_is_that_of_all_at_once(monkeypatch)


def test_frontage_in_blocks_of_parcels_is_that_of_all_at_once(monkeypatch):
    # Blocks of one and of two parcels (P1 | P2 … : a block with no bordering road, P3, in between) against one
    # block of all: the same pairs in the same order and the same figures, bit for bit.
    import geo.roadnet as roadnet

    whole = roadnet.frontage(PARCELS, ROADS, rules=RULES)
    assert sorted(zip(whole.parcel.tolist(), whole.line_road[whole.line].tolist())) == [(0, 0), (1, 1), (3, 2),
                                                                                        (4, 0)]
    for size in (1, 2):
        monkeypatch.setattr(roadnet, "_PARCELS_PER_BLOCK", size)
        blocks = roadnet.frontage(PARCELS, ROADS, rules=RULES)
        for field in ("parcel", "line", "frontage_m", "distance_m", "start_m", "end_m"):
            assert getattr(blocks, field).tolist() == getattr(whole, field).tolist(), (size, field)
    nowhere = roadnet.frontage(PARCELS.iloc[[2]], ROADS, rules=RULES)  # P3 alone: no pair, typed empty arrays
    assert len(nowhere.parcel) == 0 and nowhere.parcel.dtype == whole.parcel.dtype
    assert nowhere.frontage_m.dtype == np.float64


def test_missing_width_falls_back_to_the_grade_default():
    # An arterial without a width is taken as 40 m: reach = 20 m half width + 10 m tolerance.
    roads = layer("roads", [road("A", (0, 0), (100, 0), width=None, grade="arterial")])
    parcels = layer("parcels", [{"parcel_id": "in", "geometry": box(0, 29.9, 50, 80)},
                                {"parcel_id": "out", "geometry": box(60, 30.1, 100, 80)}])
    fronts = road_frontage(parcels, roads, rules=RULES)
    assert fronts["parcel_id"].tolist() == ["in"]
    assert fronts["width_m"].tolist() == [40.0]


REAL = REAL_DATA / "momepy_bubenec_prague" / "bubenec.gpkg"


@pytest.fixture(scope="module")
def bubenec():
    """Real street centrelines and cadastral plots (Bubeneč, Prague; momepy example data) in S-JTSK metres."""
    streets = gpd.read_file(REAL, layer="streets").to_crs(5514)
    roads, _ = validate_layer(streets.assign(road_id=[f"S{i}" for i in range(len(streets))], status="completed"),
                              get_layer("roads"), source="bubenec:streets")
    plots = gpd.read_file(REAL, layer="plots").to_crs(5514)
    parcels, _ = validate_layer(plots.assign(parcel_id=plots["ID"].astype(str)), get_layer("parcels"),
                                source="bubenec:plots")
    return roads, parcels


def test_real_streets_make_one_connected_network(bubenec):
    roads, _ = bubenec
    graph = build_road_graph(roads, rules=RULES)
    assert nx.number_connected_components(graph.graph) == 1
    # Noding neither loses nor adds centreline: 3.8 km in, the same out.
    assert graph.length_m == pytest.approx(float(roads.geometry.length.sum()))
    assert sum(w for _, _, w in graph.graph.edges(data="weight")) == pytest.approx(graph.length_m)


def test_real_plots_are_never_closer_along_streets_than_in_a_straight_line(bubenec):
    roads, parcels = bubenec
    start = shapely.get_point(roads.geometry.iloc[0], 0)
    gate = layer_from(roads.crs, start)
    result = network_distances(parcels, roads, gate, rules=RULES)
    access = result["network_access"].to_numpy(dtype=bool)
    distance = result["to_park_gate_m"].to_numpy()
    assert access.sum() > len(parcels) / 2
    assert np.isfinite(distance[access]).all() and np.isnan(distance[~access]).all()
    # The access point lies within a red line's reach (6 m half width + 10 m) of the plot.
    straight = shapely.distance(parcels.geometry.to_numpy(), start)
    assert (distance[access] >= straight[access] - 16.0 - 1e-6).all()


def layer_from(crs, where) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame({"facility_id": ["G"], "kind": ["park_gate"]}, geometry=[where], crs=crs)
    typed, _ = validate_layer(frame, get_layer("facilities"), source="test:gate")
    return typed
