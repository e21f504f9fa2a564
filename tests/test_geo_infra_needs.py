"""Infrastructure needs and their cost on the 800 m × 400 m case, by hand.

Roads: R0 completed along y = 0 (1 000 m), R1 subgrade along x = −10 (400 m), the new
road at x = 400 (390 m inside the net land). A DN300 water main runs along R0 only.

* new road: 0.39 km × 1 500 万元/km (branch) × 1.0 = 585; R1: 0.4 km × 1 500 × 0.5 (subgrade) = 300.
* water: R0 carries it; mains needed along the new road (390 m) and R1 (400 m): 0.79 km × 150 = 118.5.
* the six other networks of 七通一平 have no main at all: 1.79 km each, trunk unknown.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from expansion_helpers import layer

from geo.constraints import DevelopableLand
from geo.infra_needs import capacity_checks, infrastructure_needs
from geo.parcelling import parcel_land
from geo.units import M2_PER_MU
from layers.expansion_rules import default_expansion_rules
from layers.infra_rules import default_infra_rules

CRS = 4549
X0, Y0 = 600_000.0, 3_170_000.0
RULES = default_expansion_rules()




def line(*points):
    return shapely.LineString([(X0 + x, Y0 + y) for x, y in points])


@pytest.fixture(scope="module")
def case():
    roads = layer("roads", {"road_id": ["R0", "R1"], "grade": ["branch", "branch"], "width_m": [20.0, 20.0],
                            "status": ["completed", "subgrade"]},
                  [line((-100, 0), (900, 0)), line((-10, 0), (-10, 400))])
    pipelines = layer("pipelines", {"pipe_id": ["W"], "network": ["water_supply"], "diameter_mm": [300.0],
                                    "status": ["in_service"]}, [line((-100, -4), (900, -4))])
    facilities = layer("facilities", {
        "facility_id": ["S", "T1", "T2"], "kind": ["sewage_plant", "substation", "substation"],
        "capacity": [1000.0, 50.0, 40000.0], "capacity_unit": ["m³/d", "MVA", "kVA"],
        "status": ["in_service"] * 3}, [shapely.Point(X0 + 3000, Y0)] * 3)
    parcels = layer("parcels", {"parcel_id": ["OLD"], "status": ["operating"]},
                    [shapely.box(X0 + 2000, Y0, X0 + 2100, Y0 + 100)])
    gross = shapely.box(X0, Y0, X0 + 800, Y0 + 400)
    net = shapely.difference(gross, shapely.buffer(roads.geometry.iloc[0], 10))
    none = gpd.GeoDataFrame({"constraint": []}, geometry=[], crs=CRS)
    land = DevelopableLand(crs=CRS, gross=gross, net=net, excluded=pd.DataFrame(), pieces=none,
                           soft=pd.DataFrame(), soft_pieces=none, approval={}, reserve=shapely.Polygon())
    plots = parcel_land(land, roads=roads, rules=RULES, infra_rules=default_infra_rules())
    return plots, roads, pipelines, facilities, parcels


def needs(case, **options):
    plots, roads, pipelines, facilities, parcels = case
    return infrastructure_needs(plots, roads=roads, pipelines=pipelines, facilities=facilities, parcels=parcels,
                                rules=RULES, infra_rules=default_infra_rules(), **options)


def test_roads_to_build_and_their_cost(case):
    result = needs(case)
    roads = result.roads.set_index("road_id")
    assert sorted(roads.index) == ["EXP-R01", "R1"]  # R0 is completed: nothing to do
    assert roads.loc["EXP-R01", "length_m"] == pytest.approx(390)
    assert roads.loc["EXP-R01", "cost_wan"] == pytest.approx(585)
    assert roads.loc["R1", "length_m"] == pytest.approx(400)
    assert roads.loc["R1", "cost_wan"] == pytest.approx(300)
    by_grade = result.roads_by_grade()
    assert by_grade.loc["branch", "km"] == pytest.approx(0.79)
    assert result.road_cost_wan == pytest.approx(885)


def test_pipes_by_network_and_their_cost(case):
    pipes = needs(case).pipes
    assert list(pipes.index) == ["water_supply", "rain", "sewer", "power", "telecom", "gas", "heat"]
    assert pipes.loc["water_supply", "along_roads_m"] == pytest.approx(790)
    assert pipes.loc["water_supply", "trunk_m"] == 0
    assert pipes.loc["water_supply", "cost_wan"] == pytest.approx(118.5)
    expected = {"rain": 300, "sewer": 350, "power": 400, "telecom": 80, "gas": 200, "heat": 500}
    for network, unit in expected.items():
        assert pipes.loc[network, "total_km"] == pytest.approx(1.79)
        assert pipes.loc[network, "cost_wan"] == pytest.approx(1.79 * unit)
        assert np.isnan(pipes.loc[network, "trunk_m"])
        assert "no in-service main" in pipes.loc[network, "note"]


def test_total_cost_and_summary(case):
    result = needs(case)
    pipe_cost = 118.5 + 1.79 * (300 + 350 + 400 + 80 + 200 + 500)
    assert result.pipe_cost_wan == pytest.approx(pipe_cost)
    assert result.total_cost_wan == pytest.approx(885 + pipe_cost)
    summary = result.summary()
    assert summary["total_cost_wan"] == pytest.approx(round(885 + pipe_cost, 1))
    assert summary["road_km"] == pytest.approx(0.79)
    assert set(result.lines["need"]) == {"road", "water_supply", "rain", "sewer", "power", "telecom", "gas", "heat"}


def test_a_main_outside_the_red_lines_carries_nothing(case):
    # The water main 15 m south of R0's centreline: 5 m beyond its red line (half of 20 m), in the green strip,
    # within half the red line + 10 m but in no road. No road carries water: mains are needed along all 1 790 m,
    # and a 15 m trunk from the main to R0's centreline.
    plots, roads, pipelines, facilities, parcels = case
    outside = pipelines.assign(geometry=[line((-100, -15), (900, -15))])
    result = infrastructure_needs(plots, roads=roads, pipelines=outside, facilities=facilities, parcels=parcels,
                                  rules=RULES, infra_rules=default_infra_rules())
    assert result.pipes.loc["water_supply", "along_roads_m"] == pytest.approx(1790)
    assert result.pipes.loc["water_supply", "trunk_m"] == pytest.approx(15)
    # On the red line it lies in the road, and R0 carries it as before.
    on_line = pipelines.assign(geometry=[line((-100, -10), (900, -10))])
    result = infrastructure_needs(plots, roads=roads, pipelines=on_line, facilities=facilities, parcels=parcels,
                                  rules=RULES, infra_rules=default_infra_rules())
    assert result.pipes.loc["water_supply", "along_roads_m"] == pytest.approx(790)


def test_a_trunk_is_added_where_no_serving_road_carries_the_network(case):
    plots, roads, pipelines, facilities, parcels = case
    far_gas = layer("pipelines", {"pipe_id": ["G"], "network": ["gas"], "pressure_class": ["medium_b"],
                                  "status": ["in_service"]}, [line((1500, 0), (1500, 400))])
    result = infrastructure_needs(plots, roads=roads, pipelines=pd.concat([pipelines, far_gas]),
                                  facilities=facilities, parcels=parcels, rules=RULES,
                                  infra_rules=default_infra_rules())
    # R0 ends at x = 900, so its centreline lies 600 m from the gas main
    assert result.pipes.loc["gas", "trunk_m"] == pytest.approx(600)
    assert result.pipes.loc["gas", "total_km"] == pytest.approx(1.79 + 0.6)


def test_capacity_checks_of_the_case(case):
    plots = case[0]
    plots_mu = plots.plots["area_m2"].sum() / M2_PER_MU
    capacity = needs(case).capacity
    existing_mu = 10_000 / M2_PER_MU  # the operating 100 m × 100 m parcel
    assert capacity.loc["sewage_plant", "existing"] == pytest.approx(existing_mu * 4.0)
    assert capacity.loc["sewage_plant", "scenario"] == pytest.approx(plots_mu * 4.0)
    assert capacity.loc["sewage_plant", "headroom"] == pytest.approx(1000 - existing_mu * 4.0 - plots_mu * 4.0)
    assert capacity.loc["sewage_plant", "ok"] is not None and not capacity.loc["sewage_plant", "ok"]
    # the kVA substation is left out, with a note
    assert capacity.loc["substation", "capacity"] == pytest.approx(50)
    assert "left out" in capacity.loc["substation", "note"]
    assert capacity.loc["substation", "ok"]
    logistics = needs(case, industry="logistics").capacity
    assert logistics.loc["sewage_plant", "scenario"] == pytest.approx(plots_mu * 0.5)
    assert logistics.loc["sewage_plant", "ok"]


@pytest.mark.parametrize(("capacity", "ok"), [(400.0, True), (399.99, False)])
def test_capacity_boundary(capacity, ok):
    facilities = layer("facilities", {"facility_id": ["S"], "kind": ["sewage_plant"], "capacity": [capacity],
                                      "capacity_unit": ["m3/d"], "status": ["in_service"]}, [shapely.Point(X0, Y0)])
    parcels = layer("parcels", {"parcel_id": []}, [])
    result = capacity_checks(100.0, parcels=parcels, facilities=facilities, rules=RULES, industry="general")
    assert bool(result.loc["sewage_plant", "ok"]) is ok
    assert result.loc["substation", "ok"] is None
    assert "no in-service substation" in result.loc["substation", "note"]


def test_unknown_industry_is_refused(case):
    with pytest.raises(ValueError, match="industry 'mining' unknown; allowed: general, light, heavy, logistics"):
        needs(case, industry="mining")
