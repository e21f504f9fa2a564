"""The demo park's expansion area (拓展区): areas against an independent overlay, plot invariants, costs.

The independent figures are computed here another way: GeoPandas ``overlay`` on
dissolved frames (instead of the module's shapely unions and sequential
differences), with the road reserve rebuilt from the roads' widths.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from expansion_helpers import check_plot_invariants

from geo.scenarios import plan_expansion
from geo.units import M2_PER_MU
from layers.expansion_rules import default_expansion_rules
from layers.infra_rules import default_infra_rules

RULES = default_expansion_rules()
INFRA = default_infra_rules()


@pytest.fixture(scope="module")
def demo(demo_park):
    layers = demo_park.load_all()
    zones = layers["zones"]
    area = zones[zones["kind"] == "expansion_area"].geometry
    plan = plan_expansion(area, layers, rules=RULES, infra_rules=INFRA,
                          as_of=demo_park.read_meta()["reference_date"])
    return layers, area, plan


def dissolved(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return frame[["geometry"]].dissolve() if len(frame) else frame[["geometry"]]


def overlay_area(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame, how: str) -> float:
    if not len(b):
        return float(a.area.sum()) if how == "difference" else 0.0
    return float(gpd.overlay(a, b, how=how, keep_geom_type=True).area.sum())


def reserve_frame(roads: gpd.GeoDataFrame, grades=None) -> gpd.GeoDataFrame:
    chosen = roads[roads["status"].isin(RULES.constraints.road_reserve_statuses)]
    if grades is not None:
        chosen = chosen[chosen["grade"].isin(grades)]
    defaults = dict(INFRA.roads.default_width_m)
    width = chosen["width_m"].fillna(chosen["grade"].map(defaults)).fillna(defaults["unknown"])
    strip = chosen["grade"].map(dict(RULES.constraints.road_control_strip_m)).fillna(0.0)
    # Round ends drawn with 8 segments per quarter circle, as a red line is drawn in the module (shapely's default).
    return gpd.GeoDataFrame(geometry=chosen.geometry.buffer(width / 2 + strip, quad_segs=8), crs=roads.crs)


def test_gross_excluded_and_net_match_an_independent_overlay(demo):
    layers, area, plan = demo
    zones, parcels, roads = layers["zones"], layers["parcels"], layers["roads"]
    gross = dissolved(gpd.GeoDataFrame(geometry=area, crs=zones.crs))
    expected = {kind: overlay_area(gross, dissolved(zones[zones["kind"] == kind]), "intersection")
                for kind in RULES.constraints.hard_zone_kinds}
    urban = dissolved(zones[zones["kind"] == "urban_dev_boundary"])
    expected["outside_urban_boundary"] = overlay_area(gross, urban, "difference")
    taken = parcels[parcels["status"].isin(RULES.constraints.existing_parcel_statuses)]
    expected["existing_parcels"] = overlay_area(gross, dissolved(taken), "intersection")
    expected["road_reserve"] = overlay_area(gross, dissolved(reserve_frame(roads)), "intersection")

    hard = pd.concat([zones[zones["kind"].isin(RULES.constraints.hard_zone_kinds)][["geometry"]],
                      gpd.overlay(gross, urban, how="difference")[["geometry"]], taken[["geometry"]],
                      reserve_frame(roads)], ignore_index=True)
    net_m2 = overlay_area(gross, dissolved(gpd.GeoDataFrame(hard, crs=zones.crs)), "difference")

    land = plan.land
    assert land.gross_m2 == pytest.approx(float(gross.area.sum()), rel=1e-9)
    for name, value in expected.items():
        assert land.excluded.loc[name, "excluded_m2"] == pytest.approx(value, rel=1e-6, abs=0.01), name
    assert land.net_m2 == pytest.approx(net_m2, rel=1e-6)
    summary = land.summary()
    assert summary["net"]["mu"] == pytest.approx(net_m2 / M2_PER_MU, abs=0.01)
    assert summary["gross"]["mu"] == pytest.approx(float(gross.area.sum()) / M2_PER_MU, abs=0.01)
    # the demo's constraints do press on the expansion area
    for name in ("basic_farmland", "eco_redline", "outside_urban_boundary", "existing_parcels", "road_reserve"):
        assert expected[name] > 0, name
    assert 0 < land.net_m2 < land.gross_m2
    soft = land.soft["area_m2"]
    assert soft["forest_other"] > 0 and soft["flood"] > 0 and soft["geohazard_prone"] > 0
    assert land.approval["level"] in ("provincial", "state_council")


def test_plots_pass_the_invariants(demo):
    layers, _, plan = demo
    parcelling = plan.parcelling
    assert len(parcelling.plots) > 10
    access = dissolved(reserve_frame(layers["roads"], RULES.parcelling.access_grades)).geometry.union_all()
    check_plot_invariants(parcelling, plan.land.net, access, rules=RULES)
    assert parcelling.plots["suitability"].between(0, 10).all()


def test_infrastructure_is_costed(demo):
    _, _, plan = demo
    needs = plan.needs
    roads = needs.roads
    assert len(roads) > 0
    unit = roads["grade"].map(dict(RULES.costs.road_wan_per_km))
    share = roads["status"].map(dict(RULES.costs.road_remaining_share)).fillna(1.0)
    np.testing.assert_allclose(roads["cost_wan"], roads["length_m"] / 1000 * unit * share)
    pipes = needs.pipes
    assert pipes["total_km"].sum() > 0
    costs = pipes["total_km"] * pipes.index.map(dict(RULES.costs.pipe_wan_per_km))
    np.testing.assert_allclose(pipes["cost_wan"], costs)
    assert needs.total_cost_wan == pytest.approx(roads["cost_wan"].sum() + pipes["cost_wan"].sum())
    capacity = needs.capacity
    assert capacity.loc["sewage_plant", "capacity"] == pytest.approx(50_000)
    assert capacity.loc["substation", "capacity"] == pytest.approx(160)  # the planned 126 MVA one is left out
    figures = plan.figures()
    assert figures["cost_wan"] == pytest.approx(round(needs.total_cost_wan, 1))
    assert figures["plots"] == len(plan.parcelling.plots)
