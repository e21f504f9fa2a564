"""Parcelling: a case worked by hand, and the invariants over random rectangles and L-shapes (Hypothesis)."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from expansion_helpers import check_plot_invariants
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.constraints import DevelopableLand
from geo.parcelling import parcel_land
from layers.expansion_rules import default_expansion_rules
from layers.infra_rules import default_infra_rules
from layers.registry import get_layer
from layers.validate import validate_layer

CRS = 4549
X0, Y0 = 600_000.0, 3_170_000.0
RULES = default_expansion_rules()
P = RULES.parcelling


def roads_layer(lines, widths):
    frame = gpd.GeoDataFrame({"road_id": [f"R{i}" for i in range(len(lines))], "grade": "branch",
                              "width_m": widths, "status": "completed"}, geometry=lines, crs=CRS)
    return validate_layer(frame, get_layer("roads"), source="test")[0]


def land_of(gross, net) -> DevelopableLand:
    none = gpd.GeoDataFrame({"constraint": []}, geometry=[], crs=CRS)
    return DevelopableLand(crs=CRS, gross=gross, net=net, excluded=pd.DataFrame(), pieces=none, soft=pd.DataFrame(),
                           soft_pieces=none, approval={}, reserve=shapely.Polygon())


def test_a_case_worked_by_hand():
    """800 m × 400 m with a 20 m road along the bottom: net 800 × 390.

    One new road at x = 400 (24 m corridor, 390 m long); two blocks of 388 × 390 m whose
    only long side on a road is the new road's, so one row each. 30 and 50 亩 plots would be
    too narrow (aspect 7.96, 4.97 > 3), so each block takes two 100 亩 plots of 388 × 195 m
    (75 660 m² = 113.5 亩, within the 20 % tolerance).
    """
    gross = shapely.box(X0, Y0, X0 + 800, Y0 + 400)
    road = shapely.LineString([(X0 - 100, Y0), (X0 + 900, Y0)])
    net = shapely.difference(gross, shapely.buffer(road, 10))
    result = parcel_land(land_of(gross, net), roads=roads_layer([road], [20.0]), rules=RULES,
                         infra_rules=default_infra_rules())
    assert len(result.roads) == 1
    assert result.roads["length_m"].iloc[0] == pytest.approx(390)
    assert shapely.area(result.road_land) == pytest.approx(24 * 390)
    assert len(result.blocks) == 2
    assert len(result.plots) == 4
    np.testing.assert_allclose(result.plots["area_m2"], 388 * 195)
    assert set(result.plots["target_mu"]) == {100.0}
    assert len(result.leftovers) == 0
    assert result.plots["plot_id"].tolist() == ["EXP-001", "EXP-002", "EXP-003", "EXP-004"]
    summary = result.summary()
    assert summary["plots"] == 4 and summary["new_road_km"] == pytest.approx(0.39)
    parcels = result.planned_parcels()
    typed, _ = validate_layer(parcels, get_layer("parcels"), source="plots")
    assert (typed["status"] == "planned").all()


def test_plots_line_up_along_the_side_with_the_road():
    """A 480 m × 300 m strip fronting a road on its long south side only: one row of plots facing it.

    300 m deep, the block's preferred 30 亩 plots would be too narrow (66.7 m, aspect 4.5); 50 亩
    and 100 亩 fit equally well (four of 120 m or two of 240 m, both 8 % over) and the first,
    50 亩, is taken: four plots of 120 m × 300 m = 36 000 m², each 120 m on the road.
    """
    gross = shapely.box(X0, Y0, X0 + 480, Y0 + 310)
    road = shapely.LineString([(X0 - 100, Y0), (X0 + 600, Y0)])
    net = shapely.difference(gross, shapely.buffer(road, 10))
    result = parcel_land(land_of(gross, net), roads=roads_layer([road], [20.0]), rules=RULES,
                         infra_rules=default_infra_rules(), layout="planned_roads")
    assert len(result.plots) == 4
    np.testing.assert_allclose(result.plots["area_m2"], 120 * 300)
    assert set(result.plots["target_mu"]) == {50.0}
    assert (result.plots["frontage_m"] >= 120).all()
    check_invariants(result, net, road, 20.0)


def test_planned_roads_layout_lays_no_road():
    gross = shapely.box(X0, Y0, X0 + 800, Y0 + 400)
    road = shapely.LineString([(X0 - 100, Y0), (X0 + 900, Y0)])
    net = shapely.difference(gross, shapely.buffer(road, 10))
    result = parcel_land(land_of(gross, net), roads=roads_layer([road], [20.0]), rules=RULES,
                         infra_rules=default_infra_rules(), layout="planned_roads")
    assert len(result.roads) == 0 and shapely.is_empty(result.road_land)
    check_invariants(result, net, road, 20.0)


def test_a_new_road_beside_a_planned_one_is_not_laid():
    # A planned road runs north–south at x = 420, 20 m from where the grid would put one (x = 400).
    gross = shapely.box(X0, Y0, X0 + 800, Y0 + 400)
    bottom = shapely.LineString([(X0 - 100, Y0), (X0 + 900, Y0)])
    planned = shapely.LineString([(X0 + 420, Y0 - 50), (X0 + 420, Y0 + 450)])
    net = shapely.difference(gross, shapely.buffer(shapely.union(bottom, planned), 10))
    result = parcel_land(land_of(gross, net), roads=roads_layer([bottom, planned], [20.0, 20.0]), rules=RULES,
                         infra_rules=default_infra_rules())
    assert len(result.roads) == 0


def test_no_land_no_plots():
    gross = shapely.box(X0, Y0, X0 + 100, Y0 + 100)
    result = parcel_land(land_of(gross, shapely.Polygon()), roads=roads_layer([], []), rules=RULES,
                         infra_rules=default_infra_rules())
    assert len(result.plots) == 0 and len(result.leftovers) == 0 and result.summary()["plots"] == 0


def check_invariants(result, net, road, road_width):
    """The shared invariants, with the existing road's red line as the other road land."""
    check_plot_invariants(result, net, shapely.buffer(road, road_width / 2), rules=RULES)
    assert (result.plots["area_mu"] >= P.min_plot_mu).all()
    assert set(result.leftovers["reason"]) <= {"below_minimum", "no_frontage", "off_target", "proportions"}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    width=st.floats(200, 1600),
    height=st.floats(200, 1200),
    cut=st.one_of(st.none(), st.tuples(st.floats(0.2, 0.8), st.floats(0.2, 0.8))),
    angle=st.floats(0, 180),
    spacing=st.sampled_from([300.0, 400.0, 500.0]),
)
def test_invariants_on_random_rectangles_and_l_shapes(width, height, cut, angle, spacing):
    gross = shapely.box(0, 0, width, height)
    if cut is not None:  # an L-shape: the top-right corner taken away
        gross = shapely.difference(gross, shapely.box(width * cut[0], height * cut[1], width + 1, height + 1))
    road = shapely.LineString([(-50, 0), (width + 50, 0)])
    # Turn and place the whole set-up; parcelling must find the orientation itself.
    turn = math.radians(angle)

    def place(geom):
        return shapely.transform(geom, lambda xy: np.column_stack([
            X0 + xy[:, 0] * math.cos(turn) - xy[:, 1] * math.sin(turn),
            Y0 + xy[:, 0] * math.sin(turn) + xy[:, 1] * math.cos(turn)]))

    gross, road = place(gross), place(road)
    net = shapely.difference(gross, shapely.buffer(road, 10))
    result = parcel_land(land_of(gross, net), roads=roads_layer([road], [20.0]), rules=RULES,
                         infra_rules=default_infra_rules(), spacing_m=spacing)
    check_invariants(result, net, road, 20.0)
