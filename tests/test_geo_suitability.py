"""Suitability on tiny grids computed by hand.

The area is 60 m × 40 m at 20 m cells: six cells with centres (10|30|50, 10|30).
A completed road runs along y = 0, so the road distance of a cell is its centre's y.
Other forest (penalty 6) covers the column x 40–60; the cell at (10, 30) is outside
the net land (restricted).
"""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from expansion_helpers import layer

from geo.constraints import DevelopableLand
from geo.suitability import reclassify, suitability_grid, zonal_mean
from layers.expansion_rules import Criterion, default_expansion_rules
from layers.infra_rules import default_infra_rules
from layers.registry import get_layer

CRS = 4549
X0, Y0 = 600_000.0, 3_170_000.0


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def line(*points):
    return shapely.LineString([(X0 + a, Y0 + b) for a, b in points])




def empty(name):
    return layer(name, {get_layer(name).id_field: []}, [])


def land(gross, net) -> DevelopableLand:
    none = gpd.GeoDataFrame({"constraint": []}, geometry=[], crs=CRS)
    return DevelopableLand(crs=CRS, gross=gross, net=net, excluded=pd.DataFrame(), pieces=none, soft=pd.DataFrame(),
                           soft_pieces=none, approval={}, reserve=shapely.Polygon())


def rules_with(*criteria, radius_m=200.0):
    rules = default_expansion_rules()
    return replace(rules, suitability=replace(rules.suitability, criteria=tuple(criteria), cell_m=20.0,
                                              industrial_radius_m=radius_m))


ROAD = Criterion(name="road", measure="road_distance", influence="inverse", low=0, high=100, weight=1)
SOFT = Criterion(name="soft", measure="soft_penalty", influence="inverse", low=0, high=10, weight=3)


def test_tiny_grid_by_hand():
    gross = box(0, 0, 60, 40)
    net = shapely.difference(gross, box(0, 20, 20, 40))
    zones = layer("zones", {"zone_id": ["F"], "kind": ["forest_other"]}, [box(40, 0, 60, 40)])
    roads = layer("roads", {"road_id": ["R"], "status": ["completed"], "grade": ["branch"]}, [line((-100, 0), (200, 0))])
    grid = suitability_grid(land(gross, net), zones=zones, parcels=empty("parcels"), roads=roads,
                            pipelines=empty("pipelines"), facilities=empty("facilities"),
                            rules=rules_with(ROAD, SOFT), infra_rules=default_infra_rules())
    cells = grid.cells.sort_values(["y", "x"]).reset_index(drop=True)
    assert list(zip(cells["x"] - X0, cells["y"] - Y0)) == [(10, 10), (30, 10), (50, 10), (10, 30), (30, 30), (50, 30)]
    np.testing.assert_allclose(cells["road_value"], [10, 10, 10, 30, 30, 30])
    np.testing.assert_allclose(cells["road_score"], [9, 9, 9, 7, 7, 7])
    np.testing.assert_allclose(cells["soft_value"], [0, 0, 6, 0, 0, 6])
    np.testing.assert_allclose(cells["soft_score"], [10, 10, 4, 10, 10, 4])
    assert cells["restricted"].tolist() == [False, False, False, True, False, False]
    # score = (1 × road + 3 × soft) / 4
    np.testing.assert_allclose(cells["score"], [9.75, 9.75, 5.25, np.nan, 9.25, 4.75])
    assert grid.mean_score() == pytest.approx((9.75 + 9.75 + 5.25 + 9.25 + 4.75) / 5)
    hist = grid.histogram().set_index("from")["cells"]
    assert hist[4] == 1 and hist[5] == 1 and hist[9] == 3 and hist.sum() == 5
    assert grid.histogram()["area_m2"].sum() == 5 * 400
    summary = grid.summary()
    assert summary["restricted_cells"] == 1 and summary["scored_cells"] == 5


def test_network_distance_to_a_facility_runs_along_the_road():
    # Road along y = 0 from x 0 to 1000, highway exit at its east end; cell (10, 10) joins at (10, 0).
    gross = box(0, 0, 20, 20)
    roads = layer("roads", {"road_id": ["R"], "status": ["completed"], "grade": ["branch"]}, [line((0, 0), (1000, 0))])
    exit_ = layer("facilities", {"facility_id": ["H"], "kind": ["highway_exit"], "status": ["in_service"]},
                  [shapely.Point(X0 + 1000, Y0 + 5)])
    crit = Criterion(name="hw", measure="facility_distance", facility="highway_exit", influence="inverse", low=0,
                     high=2000, weight=1)
    grid = suitability_grid(land(gross, gross), zones=empty("zones"), parcels=empty("parcels"), roads=roads,
                            pipelines=empty("pipelines"), facilities=exit_, rules=rules_with(crit),
                            infra_rules=default_infra_rules())
    assert grid.cells["hw_value"].iloc[0] == pytest.approx(10 + 990)
    assert grid.cells["hw_score"].iloc[0] == pytest.approx(5.0)
    assert grid.notes == []


def test_straight_distance_where_the_graph_does_not_reach():
    gross = box(0, 0, 20, 20)
    exit_ = layer("facilities", {"facility_id": ["H"], "kind": ["highway_exit"], "status": ["in_service"]},
                  [shapely.Point(X0 + 10, Y0 + 310)])
    crit = Criterion(name="hw", measure="facility_distance", facility="highway_exit", influence="inverse", low=0,
                     high=1000, weight=1)
    grid = suitability_grid(land(gross, gross), zones=empty("zones"), parcels=empty("parcels"),
                            roads=empty("roads"), pipelines=empty("pipelines"), facilities=exit_,
                            rules=rules_with(crit), infra_rules=default_infra_rules())
    assert grid.cells["hw_value"].iloc[0] == pytest.approx(300)
    assert "straight distance for 1 cells" in grid.notes[0]


def test_industrial_share_of_the_neighbourhood_is_positive():
    # An operating industrial parcel x −60–0 beside the area; radius 20 m → 3 × 3 windows.
    gross = box(0, 0, 60, 20)
    parcels = layer("parcels", {"parcel_id": ["I"], "status": ["operating"], "land_use": ["100101"],
                                "land_use_std": ["用地用海2023"]}, [box(-60, -60, 0, 80)])
    crit = Criterion(name="ind", measure="industrial_share", influence="positive", low=0, high=0.5, weight=1)
    grid = suitability_grid(land(gross, gross), zones=empty("zones"), parcels=parcels, roads=empty("roads"),
                            pipelines=empty("pipelines"), facilities=empty("facilities"),
                            rules=rules_with(crit, radius_m=20.0), infra_rules=default_infra_rules())
    cells = grid.cells.sort_values("x")
    np.testing.assert_allclose(cells["ind_value"], [1 / 3, 0, 0])
    np.testing.assert_allclose(cells["ind_score"], [20 / 3, 0, 0])


def test_missing_sources_score_zero_with_a_note():
    gross = box(0, 0, 20, 20)
    crit = Criterion(name="gas", measure="pipe_distance", connection="gas", influence="inverse", low=0, high=100,
                     weight=1)
    grid = suitability_grid(land(gross, gross), zones=empty("zones"), parcels=empty("parcels"),
                            roads=empty("roads"), pipelines=empty("pipelines"), facilities=empty("facilities"),
                            rules=rules_with(crit), infra_rules=default_infra_rules())
    assert grid.cells["gas_score"].iloc[0] == 0
    assert "nothing to measure from" in grid.notes[0]


@pytest.mark.parametrize(
    ("value", "score"),
    [(0, 0.0), (500, 5.0), (1000, 10.0), (3000, 10.0), (5000, 10.0), (10000, 5.0), (15000, 0.0), (20000, 0.0),
     (np.nan, 0.0)],
)
def test_ideal_influence(value, score):
    crit = Criterion(name="h", measure="facility_distance", facility="highway_exit", influence="ideal", low=0,
                     high=15000, ideal_from=1000, ideal_to=5000, weight=1)
    assert reclassify(np.array([value]), crit)[0] == pytest.approx(score)


def test_ideal_range_starting_at_low_has_no_rising_slope():
    crit = Criterion(name="h", measure="road_distance", influence="ideal", low=0, high=100, ideal_from=0,
                     ideal_to=50, weight=1)
    np.testing.assert_allclose(reclassify(np.array([-1.0, 0.0, 50.0, 75.0]), crit), [0, 10, 10, 5])


def test_positive_and_inverse_clip_at_both_ends():
    pos = Criterion(name="p", measure="industrial_share", influence="positive", low=0.1, high=0.5, weight=1)
    inv = Criterion(name="i", measure="road_distance", influence="inverse", low=100, high=300, weight=1)
    np.testing.assert_allclose(reclassify(np.array([0.0, 0.1, 0.3, 0.5, 0.9]), pos), [0, 0, 5, 10, 10])
    np.testing.assert_allclose(reclassify(np.array([0, 100, 200, 300, 400]), inv), [10, 10, 5, 0, 0])


def test_zonal_mean_of_plots():
    gross = box(0, 0, 60, 40)
    roads = layer("roads", {"road_id": ["R"], "status": ["completed"], "grade": ["branch"]}, [line((-100, 0), (200, 0))])
    grid = suitability_grid(land(gross, gross), zones=empty("zones"), parcels=empty("parcels"), roads=roads,
                            pipelines=empty("pipelines"), facilities=empty("facilities"), rules=rules_with(ROAD),
                            infra_rules=default_infra_rules())
    means = zonal_mean(grid.cells, np.array([box(0, 0, 60, 20), box(0, 0, 60, 40), box(100, 100, 120, 120)]))
    np.testing.assert_allclose(means, [9, 8, np.nan])
