"""Served flags and N通一平 labels on hand-built sites with known distances.

The site: road R1 along y = 0 (red line 20 m wide, so its edge is at y = 10) and
parcel P of 100 m × 100 m touching that edge (y = 10 … 110). The served limit is
half the width + 10 m = 20 m from the parcel's red line, i.e. a main at y = -10.

A main serves only from a road that borders the parcel (DOMAIN.md §8.6): it must lie
between that road's red lines and within that road's limit. Both sides of both
conditions are built below, each at its exact boundary.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.readiness import eligible_mains, readiness
from layers.infra_rules import default_infra_rules
from tests.infra_helpers import box, layer, line, rules_with

RULES = default_infra_rules()
FULL_SERVICE = [
    {"network": "water_supply", "diameter_mm": 300.0},
    {"network": "rain", "diameter_mm": 600.0},
    {"network": "sewer", "diameter_mm": 400.0},
    {"network": "power", "voltage_kv": 10.0},
    {"network": "telecom"},
    {"network": "gas", "pressure_class": "medium_b", "diameter_mm": 160.0},
    {"network": "heat", "diameter_mm": 200.0},
]


def parcels(levelled=True, index=None):
    frame = layer("parcels", [{"parcel_id": "P", "status": "operating", "site_levelled": levelled,
                               "geometry": box(0, 10, 100, 110)}])
    if index is not None:
        frame.index = pd.Index(index)
    return frame


def roads(*extra, status="completed"):
    rows = [{"road_id": "R1", "grade": "secondary", "width_m": 20.0, "status": status,
             "geometry": line((-100, 0), (300, 0))}]
    return layer("roads", rows + list(extra))


def mains(*specs, y=0.0):
    """Pipes along the road at ``y`` (in service unless a spec says otherwise)."""
    rows = [{"pipe_id": f"M{i}", "status": "in_service", **spec,
             "geometry": spec.get("geometry", line((-100, y), (300, y)))} for i, spec in enumerate(specs)]
    return layer("pipelines", rows)


def judge(pipes, *, site=None, road_layer=None, rules=RULES, **options):
    return readiness(site if site is not None else parcels(), road_layer if road_layer is not None else roads(),
                     pipes, rules=rules, **options).iloc[0]


@pytest.mark.parametrize(("main_y", "served"), [(-10.0, True), (-10.01, False)])
def test_served_exactly_at_the_limit_and_just_beyond(main_y, served):
    result = judge(mains({"network": "water_supply", "diameter_mm": 200.0}, y=main_y))
    assert result["serve_limit_m"] == 20.0
    assert result["water_supply_distance_m"] == pytest.approx(10.0 - main_y)
    assert bool(result["served_water_supply"]) is served



@pytest.mark.parametrize(("main_y", "served"), [(-10.0, True), (-10.01, False)])
def test_a_short_main_nearest_to_the_middle_of_a_side_is_measured_to_that_side(main_y, served):
    # x = 40 … 60: the parcel's corners lie √(40² + 20²) ≈ 44.7 m from it, its side (y = 10) 20 m at the limit.
    short = line((40, main_y), (60, main_y))
    result = judge(mains({"network": "water_supply", "diameter_mm": 200.0, "geometry": short}), distances=False)
    assert bool(result["served_water_supply"]) is served


WIDE = {"road_id": "R2", "grade": "arterial", "width_m": 40.0, "status": "completed",
        "geometry": line((-20, -100), (-20, 200))}


@pytest.mark.parametrize(("distance_m", "served"), [(29.99, True), (30.0, True), (30.01, False)])
def test_a_main_crossing_the_wider_road_is_judged_by_that_roads_limit(distance_m, served):
    # R2 (40 m red line, x = -40 … 0) runs along the parcel's west side: its limit is 20 + 10 = 30 m. The main runs
    # east-west south of R1's red lines (in no part of R1) and crosses R2: its part in R2 comes nearest the parcel's
    # corner (0, 10), at the distance.
    result = judge(mains({"network": "telecom"}, y=10.0 - distance_m), road_layer=roads(WIDE))
    assert result["serve_limit_m"] == 30.0  # the farthest any serving main may lie
    assert bool(result["served_telecom"]) is served


@pytest.mark.parametrize(("main_y", "served"), [(-5.0, True), (-5.01, False)])
def test_each_bordering_road_has_its_own_limit(main_y, served):
    # The parcel is set back 5 m from R1's red line (y = 15 … 115): R1 still borders it (within the 10 m frontage
    # tolerance), and a main in R1 serves within R1's limit, 10 + 10 = 20 m, i.e. down to y = -5, although the wider
    # R2 beside it would allow 30 m: R1's limit is R1's own.
    site = layer("parcels", [{"parcel_id": "P", "status": "operating", "site_levelled": True,
                              "geometry": box(0, 15, 100, 115)}])
    result = judge(mains({"network": "telecom", "geometry": line((10, main_y), (300, main_y))}), site=site,
                   road_layer=roads(WIDE))
    assert result["serve_limit_m"] == 30.0
    assert result["telecom_distance_m"] == pytest.approx(15.0 - main_y)
    assert bool(result["served_telecom"]) is served


# A narrow road: R3 along y = 0 with a red line 8 m wide (y = -4 … 4); the parcel touches it (y = 4 … 104). Its limit
# is 4 + 10 = 14 m, beyond its far red line (8 m away): there the red line, not the limit, decides.
NARROW = [{"road_id": "R3", "grade": "branch", "width_m": 8.0, "status": "completed",
           "geometry": line((-100, 0), (300, 0))}]


@pytest.mark.parametrize(("main_y", "served"), [(-4.0, True), (-4.01, False), (-10.0, False)])
def test_a_main_must_lie_between_the_red_lines_of_the_road(main_y, served):
    # On the far red line (8 m from the parcel) the main lies in the road; 1 cm beyond it, in the green strip, it
    # lies in no road, although it is well within 14 m of the parcel.
    site = layer("parcels", [{"parcel_id": "P", "status": "operating", "site_levelled": True,
                              "geometry": box(0, 4, 100, 104)}])
    road_layer = layer("roads", NARROW)
    pipes = mains({"network": "telecom"}, y=main_y)
    result = judge(pipes, site=site, road_layer=road_layer)
    assert result["serve_limit_m"] == 14.0
    assert result["telecom_distance_m"] == pytest.approx(4.0 - main_y)
    assert bool(result["served_telecom"]) is served
    flags = judge(pipes, site=site, road_layer=road_layer, distances=False)
    assert bool(flags["served_telecom"]) is served


@pytest.mark.parametrize("main_y", [115.0, 60.0])
def test_a_main_behind_the_parcel_in_no_road_does_not_serve(main_y):
    # A telecom main 5 m behind the parcel's back side (y = 115), running through the neighbouring parcels, or
    # straight across the parcel itself (y = 60): within 20 m of it, but in no road.
    pipes = mains({"network": "telecom"}, y=main_y)
    result = judge(pipes)
    assert result["telecom_distance_m"] == pytest.approx(max(0.0, main_y - 110.0))
    assert not result["served_telecom"]
    assert not judge(pipes, distances=False)["served_telecom"]


def test_a_main_in_a_road_along_the_back_serves():
    # The same main at y = 115 lies in R4 (20 m red line, y = 110 … 130) when R4 runs along the parcel's back side.
    back = {"road_id": "R4", "grade": "branch", "width_m": 20.0, "status": "completed",
            "geometry": line((-100, 120), (300, 120))}
    result = judge(mains({"network": "telecom"}, y=115.0), road_layer=roads(back))
    assert bool(result["served_telecom"])


@pytest.mark.parametrize(("end_x", "borders"), [(-8.0, False), (60.0, True)])
def test_a_main_in_a_road_that_does_not_border_the_parcel_does_not_serve(end_x, borders):
    # R5 (20 m red line, y = -40 … -20) comes from the west along y = -30 and ends at x = end_x, a main on its
    # centreline; the parcel's south side is 5 m from R5's red line (y = -15 … 85). Ending 8 m short of the parcel,
    # R5 borders no side of it (its corridor has flat ends), and its main, 17 m from the parcel's corner
    # (√(8² + 15²)), within R5's 20 m limit, serves nothing. Drawn on to x = 60, R5 borders the parcel over 60 m.
    site = layer("parcels", [{"parcel_id": "P", "status": "operating", "site_levelled": True,
                              "geometry": box(0, -15, 100, 85)}])
    side = layer("roads", [{"road_id": "R5", "grade": "branch", "width_m": 20.0, "status": "completed",
                            "geometry": line((-300, -30), (end_x, -30))}])
    pipes = mains({"network": "telecom", "geometry": line((-300, -30), (end_x, -30))})
    result = judge(pipes, site=site, road_layer=side)
    assert result["telecom_distance_m"] == pytest.approx(17.0 if end_x < 0 else 15.0)
    assert bool(result["road_access"]) is borders
    assert bool(result["served_telecom"]) is borders


@pytest.mark.parametrize(("main_x", "served"), [(-18.0, False), (-10.0, True)])
def test_a_main_in_a_neighbouring_road_serves_only_once_that_road_borders(main_x, served):
    # R1 borders the parcel's south side (limit 20 m). R7 (20 m red line) runs north-south along x = -28, its red line
    # 18 m west of the parcel: beyond the 10 m frontage tolerance, it does not border the parcel. A main on R7's
    # eastern red line (x = -18) lies in R7 within 20 m of the parcel, in no bordering road: it does not serve.
    # Moved to x = -20 with its main at x = -10, R7 borders the parcel and its main serves.
    centre = main_x - 10.0
    beside = {"road_id": "R7", "grade": "branch", "width_m": 20.0, "status": "completed",
              "geometry": line((centre, 20), (centre, 300))}
    result = judge(mains({"network": "telecom", "geometry": line((main_x, 20), (main_x, 300))}),
                   road_layer=roads(beside))
    assert result["telecom_distance_m"] == pytest.approx(-main_x)
    assert bool(result["served_telecom"]) is served


def test_a_main_in_a_road_ending_at_the_parcels_corner_does_not_serve():
    # R6 runs north-south and ends 5 m short of the parcel's south-west corner (its red line, 20 m wide, reaches
    # x = -10 … 10 and ends at y = 5): it borders no side of the parcel. Its main, on the centreline, comes within
    # 5 m of the corner, well within a 20 m limit, and serves nothing; R1 along y = 0 is left out.
    corner = layer("roads", [{"road_id": "R6", "grade": "branch", "width_m": 20.0, "status": "completed",
                              "geometry": line((0, -300), (0, 5))}])
    site = layer("parcels", [{"parcel_id": "P", "status": "operating", "site_levelled": True,
                              "geometry": box(0, 10, 100, 110)}])
    result = judge(mains({"network": "telecom", "geometry": line((0, -300), (0, 5))}), site=site, road_layer=corner)
    assert result["telecom_distance_m"] == pytest.approx(5.0)
    assert not result["road_access"] and not result["served_telecom"]


@pytest.mark.parametrize(("pressure", "served"), [
    ("low", False), ("medium_b", True), ("medium_a", True), ("subhigh_b", False), ("subhigh_a", False),
    ("high_a", False), (None, False),
])
def test_gas_is_served_only_from_the_medium_pressure_network(pressure, served):
    result = judge(mains({"network": "gas", "pressure_class": pressure}))
    assert result["gas_distance_m"] == (10.0 if served else pytest.approx(np.nan, nan_ok=True))
    assert bool(result["served_gas"]) is served


@pytest.mark.parametrize(("diameter_mm", "served"), [(149.0, False), (150.0, True), (None, False)])
def test_water_main_must_be_at_least_dn150(diameter_mm, served):
    assert bool(judge(mains({"network": "water_supply", "diameter_mm": diameter_mm}))["served_water_supply"]) is served


def test_unknown_capacity_counts_when_configured(tmp_path):
    lenient = rules_with(tmp_path, {"served": {"unknown_attribute_serves": True}})
    pipes = mains({"network": "water_supply"}, {"network": "gas"}, {"network": "power"})
    result = judge(pipes, rules=lenient)
    assert result[["served_water_supply", "served_gas", "served_power"]].tolist() == [True, True, True]
    strict = judge(pipes)
    assert strict[["served_water_supply", "served_gas", "served_power"]].tolist() == [False, False, False]


@pytest.mark.parametrize(("voltage_kv", "served"), [(0.4, False), (10.0, True), (35.0, False)])
def test_power_is_served_from_a_10_kv_feeder(voltage_kv, served):
    assert bool(judge(mains({"network": "power", "voltage_kv": voltage_kv}))["served_power"]) is served


@pytest.mark.parametrize("status", ["planned", "under_construction", "abandoned", None])
def test_only_mains_in_service_serve(status):
    result = judge(mains({"network": "telecom", "status": status}))
    assert not result["served_telecom"]
    assert np.isnan(result["telecom_distance_m"])


def test_a_combined_sewer_serves_rain_and_sewer():
    result = judge(mains({"network": "combined", "diameter_mm": 800.0}))
    assert bool(result["served_rain"]) and bool(result["served_sewer"])


@pytest.mark.parametrize(("distance_m", "served"), [(9.99, True), (10.01, False)])
def test_without_a_bordering_road_nothing_is_served_unless_configured(tmp_path, distance_m, served):
    # The only road is 290 m north of the parcel; a telecom line runs just north of it.
    far_road = layer("roads", [{"road_id": "RF", "grade": "branch", "width_m": 20.0, "status": "completed",
                                "geometry": line((-100, 400), (300, 400))}])
    pipe = mains({"network": "telecom"}, y=110.0 + distance_m)
    strict = judge(pipe, road_layer=far_road)
    assert not strict["road_access"] and not strict["served_telecom"] and np.isnan(strict["serve_limit_m"])
    assert strict["telecom_distance_m"] == pytest.approx(distance_m)
    lenient = rules_with(tmp_path, {"served": {"require_bordering_road": False}})
    result = judge(pipe, road_layer=far_road, rules=lenient)
    assert result["serve_limit_m"] == 10.0
    assert bool(result["served_telecom"]) is served


@pytest.mark.parametrize(("status", "road"), [
    ("planned", False), ("approved", False), ("subgrade", False), ("temporary_surface", True), ("completed", True),
])
def test_road_connection_needs_a_finished_or_temporary_surface(status, road):
    result = judge(mains(), road_layer=roads(status=status))
    assert bool(result["road_access"]) is True
    assert bool(result["road"]) is road


def test_fully_served_levelled_parcel_is_seven_connections_and_levelled():
    result = judge(mains(*FULL_SERVICE))
    assert result["readiness_label"] == "七通一平"
    assert bool(result["ready"]) is True
    assert result["missing"] == ""
    with_tv = judge(mains(*FULL_SERVICE, {"network": "cable_tv"}))
    assert with_tv["readiness_label"] == "九通一平"


@pytest.mark.parametrize("levelled", [False, None])
def test_an_unlevelled_or_unknown_site_is_not_ready(levelled):
    result = judge(mains(*FULL_SERVICE), site=parcels(levelled=levelled))
    assert not result["site_levelled"]
    assert pd.isna(result["readiness_label"])
    assert result["missing"] == "site_levelled"


def test_label_is_the_richest_template_met_and_missing_lists_the_target():
    basic = [FULL_SERVICE[0], FULL_SERVICE[3]]  # water and power
    result = judge(mains(*basic))
    assert result["readiness_label"] == "三通一平"
    assert not result["ready"]
    assert result["missing"] == "rain,sewer,telecom,gas,heat"
    five = [*basic, FULL_SERVICE[4], FULL_SERVICE[5]]  # + telecom, gas
    assert judge(mains(*five))["readiness_label"] == "五通一平"
    as_target = judge(mains(*five), template="五通一平")
    assert bool(as_target["ready"]) and as_target["missing"] == ""


def test_no_road_no_label():
    result = judge(mains(*FULL_SERVICE), road_layer=roads(status="subgrade"))
    assert pd.isna(result["readiness_label"])
    assert result["missing"] == "road"


def test_result_is_indexed_like_the_parcels_and_typed():
    site = parcels(index=["a"])
    result = readiness(site, roads(), mains(*FULL_SERVICE), rules=RULES)
    assert list(result.index) == ["a"]
    assert result["served_gas"].dtype == "boolean"
    assert result["readiness_label"].dtype == "str"
    expected = {"road_access", "road", "serve_limit_m", "site_levelled", "readiness_label", "ready", "missing"}
    expected |= {f"served_{n}" for n in RULES.served.networks} | {f"{n}_distance_m" for n in RULES.served.networks}
    assert set(result.columns) == expected


def test_eligible_mains_mask_follows_the_rules():
    pipes = mains({"network": "gas", "pressure_class": "medium_a"}, {"network": "gas", "pressure_class": "low"},
                  {"network": "water_supply", "diameter_mm": 150.0})
    assert eligible_mains(pipes, RULES.served.sources["gas"], rules=RULES).tolist() == [True, False, False]
    assert eligible_mains(pipes, RULES.served.sources["water_supply"], rules=RULES).tolist() == [False, False, True]


def test_geographic_input_is_refused():
    with pytest.raises(ValueError, match="readiness: refusing to measure in geographic CRS"):
        readiness(parcels().to_crs(4326), roads(), mains(), rules=RULES)


@pytest.mark.parametrize(("main_y", "served"), [(-10.0, True), (-10.01, False)])
def test_flags_only_judges_the_limit_the_same_on_both_sides(main_y, served):
    result = judge(mains({"network": "water_supply", "diameter_mm": 200.0}, y=main_y), distances=False)
    assert bool(result["served_water_supply"]) is served
    assert "water_supply_distance_m" not in result.index


@pytest.mark.parametrize(("distance_m", "served"), [(29.99, True), (30.01, False)])
def test_flags_only_judges_each_road_and_each_network_separately(distance_m, served):
    # Telecom at the distance, crossing R2; a gas main of the low-pressure network (not eligible) beside it.
    pipes = mains({"network": "telecom"}, {"network": "gas", "pressure_class": "low"}, y=10.0 - distance_m)
    result = judge(pipes, road_layer=roads(WIDE), distances=False)
    assert bool(result["served_telecom"]) is served
    assert not result["served_gas"] and not result["served_water_supply"]


def test_flags_only_without_a_bordering_road_serves_nothing(tmp_path):
    far_road = layer("roads", [{"road_id": "RF", "grade": "branch", "width_m": 20.0, "status": "completed",
                                "geometry": line((-100, 400), (300, 400))}])
    pipe = mains({"network": "telecom"}, y=115.0)
    assert not judge(pipe, road_layer=far_road, distances=False)["served_telecom"]
    lenient = rules_with(tmp_path, {"served": {"require_bordering_road": False}})
    assert judge(pipe, road_layer=far_road, rules=lenient, distances=False)["served_telecom"]


def test_flags_only_equals_the_full_result_on_a_row_of_sites():
    # Ten parcels along a long R1, their red lines 10 … 28 m from its centreline (the last ones too far to border
    # it); mains of every network at various offsets, so the limit falls between mains differently for each.
    sites = layer("parcels", [{"parcel_id": f"P{k}", "status": "operating", "site_levelled": k % 3 > 0,
                               "geometry": box(110 * k, 10 + 2 * k, 110 * k + 100, 110 + 2 * k)} for k in range(10)])
    long_road = roads()
    long_road["geometry"] = [line((-100, 0), (1200, 0))]
    offsets = [0, -5, -12, 3, -20, -9, -30]
    pipes = mains(*[dict(spec, geometry=line((-100, y), (1200, y))) for spec, y in zip(FULL_SERVICE, offsets)])
    full = readiness(sites, long_road, pipes, rules=RULES)
    flags = readiness(sites, long_road, pipes, rules=RULES, distances=False)
    assert flags.columns.tolist() == [c for c in full.columns if not c.endswith("_distance_m")]
    pd.testing.assert_frame_equal(flags, full[flags.columns])
    served = full[[f"served_{n}" for n in RULES.served.networks]].to_numpy(dtype=bool)
    assert 0 < served.sum(axis=0)[0] < len(sites) and 0 < served.sum(axis=1)[0] < served.shape[1]  # not all alike
    assert full["serve_limit_m"].isna().any() and full["serve_limit_m"].notna().any()


@pytest.mark.parametrize("threads", [1, 2])
def test_served_flags_of_blocks_in_threads_are_those_of_one_block(monkeypatch, threads):
    # The same park as above with one road line per block, the blocks judged in one thread or two: each block
    # marks its own flags and the parcel is served where any block serves it, as with all lines in one block.
    monkeypatch.setattr("geo.threads.block_threads", lambda: threads)
    test_served_flags_in_blocks_of_road_lines(monkeypatch, 1)


@pytest.mark.parametrize("lines_per_block", [1, 2, 50_000])
def test_served_flags_in_blocks_of_road_lines(monkeypatch, lines_per_block):
    # P borders R1 (south, y = 0) and R4 (north, y = 120; both 20 m red lines, limits 20 m). Telecom runs in R4 only
    # (y = 115), water in R1 only (y = -5), power in R1 but beyond its limit (y = -10.01); R8 far away (x = 5000)
    # borders nothing. With one line per block each main is judged in a block of its own road, and the parcel is
    # served by either block: the same flags as with all lines in one block.
    monkeypatch.setattr("geo.readiness._LINES_PER_BLOCK", lines_per_block)
    back = {"road_id": "R4", "grade": "branch", "width_m": 20.0, "status": "completed",
            "geometry": line((-100, 120), (300, 120))}
    far = {"road_id": "R8", "grade": "branch", "width_m": 20.0, "status": "completed",
           "geometry": line((5000, 0), (5000, 300))}
    pipes = mains({"network": "telecom", "geometry": line((-100, 115), (300, 115))},
                  {"network": "water_supply", "diameter_mm": 300.0, "geometry": line((-100, -5), (300, -5))},
                  {"network": "power", "voltage_kv": 10.0, "geometry": line((-100, -10.01), (300, -10.01))},
                  {"network": "power", "voltage_kv": 10.0, "geometry": line((4990, 0), (4990, 300))})
    result = judge(pipes, road_layer=roads(back, far), distances=False)
    assert bool(result["served_telecom"]) and bool(result["served_water_supply"])
    assert not bool(result["served_power"]) and not bool(result["served_gas"])
