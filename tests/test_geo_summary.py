"""KPI figures on the tiny park, computed by hand (see tests/conftest.py for its layout)."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo import summary
from geo.units import M2_PER_MU
from layers.infra_rules import default_infra_rules
from layers.registry import get_layer
from layers.rules import default_rules
from layers.validate import validate_layer
from tests.conftest import WORKING_EPSG, X0, Y0, tiny_frames


def park_figures(layers, day=None) -> dict:
    """The summary under the national defaults (these tests are about counting, not about rules)."""
    return summary.park_summary(layers, as_of=day, rules=default_rules(), infra_rules=default_infra_rules())


#: Every layer the summary reads.
SUMMARY_LAYERS = summary.SUMMARY_LAYERS


def typed(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Validated layers; absent ones as empty typed frames."""
    out = {}
    for name in SUMMARY_LAYERS:
        spec = get_layer(name)
        frame = frames.get(name)
        if frame is None:
            frame = pd.DataFrame({spec.id_field: pd.Series([], dtype=object)})
            if spec.geometry is not None:
                frame = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=WORKING_EPSG))
        out[name] = validate_layer(frame, spec, source=f"test:{name}")[0]
    return out


@pytest.fixture
def tiny():
    return typed(tiny_frames())


def test_park_area_is_the_park_boundary_zone(tiny):
    # Z1 is box(-20, -20, 320, 220): 340 m × 240 m.
    figures = summary.park_area(tiny["zones"], tiny["parcels"])
    assert figures["source"] == "park_boundary"
    assert figures["area_m2"] == pytest.approx(81_600.0)
    assert figures["area_km2"] == pytest.approx(0.0816)
    assert figures["area_mu"] == pytest.approx(81_600.0 / M2_PER_MU)
    assert figures["area_mu"] == pytest.approx(122.4)


def test_park_area_unions_overlapping_boundaries(tiny):
    zones = tiny_frames()["zones"]
    extra = zones.copy()
    extra["zone_id"] = ["Z2"]
    # Overlaps Z1 on x in [300, 320]: the union adds 100 m × 240 m, not 120 m.
    extra.geometry = [shapely.box(X0 + 300, Y0 - 20, X0 + 420, Y0 + 220)]
    both = typed({"zones": pd.concat([zones, extra], ignore_index=True)})["zones"]
    assert summary.park_area(both, tiny["parcels"])["area_m2"] == pytest.approx(81_600.0 + 100 * 240)


def test_park_area_falls_back_to_the_parcel_union_without_a_boundary(tiny):
    zones = tiny["zones"].iloc[0:0]
    figures = summary.park_area(zones, tiny["parcels"])
    # P1 100×100 + P2 200×100 + P3 100×100.
    assert figures == {"area_m2": pytest.approx(40_000.0), "area_km2": pytest.approx(0.04),
                       "area_mu": pytest.approx(60.0), "source": "parcels", "parcels_mu": pytest.approx(60.0),
                       "parcels_outside_mu": 0.0}


def test_park_area_says_the_parcels_total_and_the_part_outside_the_boundary(tiny):
    """The boundary box(-20, -20, 320, 220) holds all three parcels (60 亩): nothing outside. Moved 100 m east,
    P2 (x 200–400) crosses it at x = 320: 80 m × 100 m = 8 000 m² = 12 亩 lie outside; the parcels still total
    60 亩 and the park area stays the boundary's 122.4 亩."""
    figures = summary.park_area(tiny["zones"], tiny["parcels"])
    assert figures["parcels_mu"] == pytest.approx(60.0) and figures["parcels_outside_mu"] == 0.0
    moved = tiny["parcels"].copy()
    moved.loc[moved["parcel_id"] == "P2", "geometry"] = shapely.box(X0 + 200, Y0, X0 + 400, Y0 + 100)
    figures = summary.park_area(tiny["zones"], moved)
    assert figures["parcels_mu"] == pytest.approx(60.0)
    assert figures["parcels_outside_mu"] == pytest.approx(12.0)
    assert figures["area_mu"] == pytest.approx(122.4)


def test_park_area_of_an_empty_park_is_zero(tiny):
    figures = summary.park_area(tiny["zones"].iloc[0:0], tiny["parcels"].iloc[0:0])
    assert figures["area_m2"] == 0.0 and figures["source"] == "none"


def test_boundary_zones_of_another_kind_do_not_count(tiny):
    zones = tiny["zones"].copy()
    zones["kind"] = "expansion_area"
    assert summary.park_area(zones, tiny["parcels"])["source"] == "parcels"


def test_land_supply_counts_supplied_statuses_and_industrial_codes(tiny):
    # P1 operating (15 亩, 100101), P2 supplied (30 亩, 100102), P3 planned (not supplied).
    figures = summary.land_supply(tiny["parcels"])
    assert figures["supplied_m2"] == pytest.approx(30_000.0)
    assert figures["supplied_mu"] == pytest.approx(45.0)
    assert figures["industrial_mu"] == pytest.approx(45.0)
    assert figures["supplied_parcels"] == 2
    assert figures["land_use_unknown"] == 0


@pytest.mark.parametrize(
    ("status", "supplied"),
    [("planned", False), ("approved_unsupplied", False), ("supplied", True), ("under_construction", True),
     ("completed", True), ("operating", True), ("reclaimed", False), (None, False)],
)
def test_each_status_is_supplied_or_not(tiny, status, supplied):
    parcels = tiny["parcels"].copy()
    parcels["status"] = pd.array([status, "planned", "planned"], dtype="str")
    # Only P1 (15 亩) can be supplied.
    assert summary.land_supply(parcels)["supplied_mu"] == pytest.approx(15.0 if supplied else 0.0)


@pytest.mark.parametrize(
    ("code", "standard", "industrial"),
    [("100101", "用地用海2023", True), ("1001", "用地用海2023", True), ("100103", "用地用海2023", True),
     ("1101", "用地用海2023", False), ("10", "用地用海2023", False), ("1002", "用地用海2023", False),
     ("M2", "GB50137-2011", True), ("M", "GB50137-2011", True), ("W1", "GB50137-2011", False),
     ("0601", "GB/T21010-2017", True), ("1001", "GB/T21010-2017", False), ("0602", "GB/T21010-2017", False)],
)
def test_industrial_land_is_read_in_each_parcels_own_system(tiny, code, standard, industrial):
    parcels = tiny["parcels"].copy()
    parcels["land_use"] = pd.array([code, "1101", "1101"], dtype="str")
    parcels["land_use_std"] = pd.array([standard, "用地用海2023", "用地用海2023"], dtype="str")
    assert summary.is_industrial(parcels).tolist() == [industrial, False, False]
    # P1 is operating: it is industrial supplied land or not.
    assert summary.land_supply(parcels)["industrial_mu"] == pytest.approx(15.0 if industrial else 0.0)


def test_supplied_land_without_a_code_is_counted_and_reported(tiny):
    parcels = tiny["parcels"].copy()
    parcels["land_use"] = pd.array([None, "100102", "1101"], dtype="str")
    figures = summary.land_supply(parcels)
    assert figures["supplied_mu"] == pytest.approx(45.0)
    assert figures["industrial_mu"] == pytest.approx(30.0)
    assert figures["land_use_unknown"] == 1


def test_parcel_counts_by_status_list_every_declared_status(tiny):
    figures = summary.parcel_counts(tiny["parcels"])
    assert figures["total"] == 3
    assert figures["by_status"] == {"planned": 1, "approved_unsupplied": 0, "supplied": 1, "under_construction": 0,
                                    "completed": 0, "operating": 1, "reclaimed": 0, "unknown": 0}


def test_parcels_without_status_are_counted_as_unknown(tiny):
    parcels = tiny["parcels"].copy()
    parcels["status"] = pd.array([None, None, "planned"], dtype="str")
    assert summary.parcel_counts(parcels)["by_status"]["unknown"] == 2


def factory_frames():
    frames = tiny_frames()
    buildings = frames["buildings"]
    box = shapely.box
    more = gpd.GeoDataFrame(
        {"building_id": ["S1", "S2", "S3", "D1"], "parcel_id": ["P2"] * 4,
         "use": ["standard_factory", "standard_factory", "standard_factory", "standard_factory"],
         "gfa_m2": [6000.0, 4500.0, None, 9000.0], "status": ["completed", None, "completed", "demolished"]},
        geometry=[box(X0 + 110 + 40 * i, Y0 + 10, X0 + 140 + 40 * i, Y0 + 40) for i in range(4)],
        crs=WORKING_EPSG,
    )
    frames["buildings"] = pd.concat([buildings, more], ignore_index=True)
    frames["units"] = pd.DataFrame({"unit_id": ["U1", "U2", "U3", "U4", "U5"],
                                    "building_id": ["B1", "S1", "S1", "S2", None],
                                    "area_m2": [2000.0, 3000.0, 3000.0, 4500.0, 100.0]})
    return typed(frames)


def test_factory_space_of_standard_factories():
    layers = factory_frames()
    figures = summary.factory_space(layers["buildings"], layers["units"])
    # S1 6000 + S2 4500 (status unknown still stands); S3 has no GFA; D1 is demolished.
    assert figures["standard_factory_gfa_m2"] == pytest.approx(10_500.0)
    assert figures["standard_factory_buildings"] == 3
    assert figures["standard_factory_gfa_unknown"] == 1
    # U2, U3 in S1 and U4 in S2; U1 is in the self-built factory B1, U5 has no building.
    assert figures["standard_factory_units"] == 3
    assert figures["units_total"] == 5
    # All standing buildings: B1 4000 + S1 + S2.
    assert figures["buildings"] == 4
    assert figures["gfa_m2"] == pytest.approx(14_500.0)
    assert figures["gfa_unknown"] == 1
    assert figures["gfa_by_use_m2"]["factory"] == pytest.approx(4000.0)
    assert figures["gfa_by_use_m2"]["standard_factory"] == pytest.approx(10_500.0)
    assert figures["gfa_by_use_m2"]["warehouse"] == 0.0


def test_road_km_by_status_and_grade(tiny):
    # R1: 300 m completed secondary; R2: 100 m subgrade branch.
    figures = summary.road_lengths(tiny["roads"])
    assert figures["total_km"] == pytest.approx(0.4)
    assert figures["by_status_km"] == {"planned": 0.0, "approved": 0.0, "subgrade": pytest.approx(0.1),
                                       "temporary_surface": 0.0, "completed": pytest.approx(0.3), "unknown": 0.0}
    assert figures["by_grade_km"]["secondary"] == pytest.approx(0.3)
    assert figures["by_grade_km"]["branch"] == pytest.approx(0.1)
    assert figures["by_grade_km"]["arterial"] == 0.0


def test_roads_without_status_are_unknown_km(tiny):
    roads = tiny["roads"].copy()
    roads["status"] = pd.array([None, "subgrade"], dtype="str")
    assert summary.road_lengths(roads)["by_status_km"]["unknown"] == pytest.approx(0.3)


def test_pipeline_km_by_network_and_status(tiny):
    # W1: 300 m of water supply (imported as the CJJ 61 code JS), in service.
    figures = summary.pipeline_lengths(tiny["pipelines"])
    assert figures["total_km"] == pytest.approx(0.3)
    assert figures["by_network_km"]["water_supply"] == pytest.approx(0.3)
    assert sum(figures["by_network_km"].values()) == pytest.approx(0.3)
    assert figures["by_status_km"]["in_service"] == pytest.approx(0.3)


def test_lengths_refuse_a_geographic_crs(tiny):
    with pytest.raises(ValueError, match="refusing to measure in geographic CRS"):
        summary.road_lengths(tiny["roads"].to_crs(4326))


def _days(*values) -> pd.Series:
    return pd.to_datetime(list(values)).astype("datetime64[ms]")


def test_a_day_is_judged_in_valid_time_not_by_when_the_register_learnt_it(tiny):
    roads = tiny["roads"].copy()  # R1 300 m, R2 100 m
    # R1 true from 2020-01-01 up to 2024-12-31 (no longer true from 2025-01-01), retired in the register in 2026;
    # R2 true from 2026-01-01; the register learnt of both only on 2026-05-01 (an import that day).
    roads["valid_from"] = _days("2020-01-01", "2026-01-01")
    roads["valid_to"] = _days("2025-01-01", None)
    roads["retired_on"] = _days("2026-03-01", None)
    roads["first_added"] = _days("2026-05-01", "2026-05-01")
    layers = {**tiny, "roads": roads}

    def km(day=None):
        return park_figures(layers, day)["roads"]["total_km"]

    assert km() == pytest.approx(0.1)  # now: what the register holds, R1 retired
    assert km(dt.date(2019, 12, 31)) is None  # neither was true yet: no road in force, road km not judged (not 0)
    assert km(dt.date(2020, 1, 1)) == pytest.approx(0.3)  # R1 from its first day, learnt of years later
    assert km(dt.date(2024, 12, 31)) == pytest.approx(0.3)
    assert km(dt.date(2025, 1, 1)) is None  # no longer true from valid_to: none in force, not judged
    assert km(dt.date(2026, 1, 1)) == pytest.approx(0.1)  # R2 from valid_from, not from first_added


def test_a_retired_record_without_valid_to_ends_the_day_it_was_retired(tiny):
    roads = tiny["roads"].copy()
    roads["retired_on"] = _days("2025-01-01", None)
    roads["first_added"] = _days("2025-06-01", "2026-01-01")  # system time plays no part
    layers = {**tiny, "roads": roads}
    assert park_figures(layers, dt.date(2024, 12, 31))["roads"]["total_km"] == pytest.approx(0.4)
    assert park_figures(layers, dt.date(2025, 1, 1))["roads"]["total_km"] == pytest.approx(0.1)


def test_park_summary_has_every_figure_group_in_order(tiny):
    figures = park_figures(tiny)
    assert list(figures) == [name for name, _, _ in summary.FIGURE_GROUPS] + ["land_use_efficiency", "infrastructure"]
    assert figures["land_supply"]["supplied_mu"] == pytest.approx(45.0)


def test_park_summary_does_not_modify_its_input(tiny):
    before = {name: frame.copy() for name, frame in tiny.items()}
    park_figures(tiny)
    for name, frame in tiny.items():
        pd.testing.assert_frame_equal(frame, before[name])


def test_the_infrastructure_figures_count_the_land_analysis_readiness_as_judging_again_would(demo_park):
    # The summary counts the readiness flags the land analysis of the same day judged; judged again by the
    # infrastructure figures alone they are the same, and the land analysis's parcels keep only the served flags
    # and the label, as before.
    from geo.analysis import analyse_land
    from geo.infrastructure_summary import overview_figures
    from geo.records import in_force
    from layers.registry import REGISTRY

    layers = {name: demo_park.load(name) for name in REGISTRY}
    day = dt.date(2025, 12, 31)
    land = analyse_land(layers, as_of=day, rules=default_rules(), infra_rules=default_infra_rules())
    assert {"road", "ready"} <= set(land.readiness_flags.columns)
    assert not {"road", "ready"} & set(land.parcels.columns) and "readiness_label" in land.parcels.columns
    figures = summary.park_summary(layers, as_of=day, rules=default_rules(), infra_rules=default_infra_rules(),
                                   land=land)["infrastructure"]
    current = [in_force(layers[name], as_of=day) for name in ("parcels", "roads", "pipelines", "buildings")]
    assert figures == overview_figures(*current, rules=default_infra_rules())
    assert figures["supplied_parcels"] > 0 and sum(figures["served_share"].values()) > 0
    # Flags of other parcels (another day's, say) are not counted: they are judged again.
    other = land.readiness_flags.iloc[1:]
    assert overview_figures(*current, rules=default_infra_rules(), ready=other) == figures


# -- parcels without a status: supplied by their contract date (the evaluation's rule, data/evaluation.yaml) ----------


@pytest.mark.parametrize(("contract", "supplied"), [("2026-06-29", True), ("2026-06-30", True), ("2026-07-01", False)])
def test_a_parcel_without_a_status_is_supplied_by_its_contract_on_or_before_the_day(tiny, contract, supplied):
    parcels = tiny["parcels"].copy()
    parcels["status"] = pd.array([None, "supplied", "planned"], dtype="str")  # P1 (15 亩) has no status
    parcels["contract_date"] = pd.to_datetime([contract, "2024-03-01", None])
    figures = summary.land_supply(parcels, as_of=dt.date(2026, 6, 30), supplied_date="contract_date")
    assert figures["supplied_mu"] == pytest.approx(45.0 if supplied else 30.0)  # P2 (30 亩) by its status
    assert (figures["supplied_parcels"], figures["supplied_by_date"]) == ((2, 1) if supplied else (1, 0))
    assert figures["supply_unknown"] == 0
    # Without the rule nothing is inferred (the status alone, as before).
    assert summary.land_supply(parcels)["supplied_mu"] == pytest.approx(30.0)


def test_a_status_wins_over_the_contract_date(tiny):
    parcels = tiny["parcels"].copy()
    parcels["contract_date"] = pd.to_datetime(["2019-05-01", "2024-03-01", "2020-01-01"])  # P3 planned, dated
    figures = summary.land_supply(parcels, as_of=dt.date(2026, 6, 30), supplied_date="contract_date")
    assert figures["supplied_mu"] == pytest.approx(45.0) and figures["supplied_by_date"] == 0


def test_a_parcel_with_neither_status_nor_contract_date_leaves_land_supplied_not_judged(tiny):
    parcels = tiny["parcels"].copy()
    parcels["status"] = pd.array([None, None, "planned"], dtype="str")
    parcels["contract_date"] = pd.to_datetime(["2019-05-01", None, None])  # P2 has neither
    figures = summary.land_supply(parcels, as_of=dt.date(2026, 6, 30), supplied_date="contract_date")
    assert figures["supplied_mu"] is None and figures["industrial_mu"] is None and figures["supplied_parcels"] is None
    assert (figures["supplied_by_date"], figures["supply_unknown"]) == (1, 1)


def test_the_summary_supplies_parcels_without_a_status_by_the_evaluation_rules(tiny, tmp_path):
    from layers.evaluation_rules import load_evaluation_rules

    layers = dict(tiny)
    parcels = tiny["parcels"].copy()
    parcels["status"] = pd.array([None, "supplied", "planned"], dtype="str")
    parcels["agreed_start_date"] = pd.to_datetime(["2027-01-01", None, None])
    layers["parcels"] = parcels
    day = dt.date(2026, 6, 30)
    by_contract = summary.park_summary(layers, as_of=day, rules=default_rules(), infra_rules=default_infra_rules())
    assert by_contract["land_supply"]["supplied_mu"] == pytest.approx(45.0)  # P1's contract 2019-05-01
    path = tmp_path / "park.evaluation.yaml"
    path.write_text("status:\n  supplied_date_without_status: agreed_start_date\n", encoding="utf-8")
    by_start = summary.park_summary(layers, as_of=day, rules=default_rules(), infra_rules=default_infra_rules(),
                                    evaluation_rules=load_evaluation_rules(path))
    assert by_start["land_supply"]["supplied_mu"] == pytest.approx(30.0)  # P1's agreed start is after the day


def test_pipelines_are_counted_by_network_with_those_of_no_cjj_61_type_as_unknown(tiny):
    pipes = tiny["pipelines"].copy()
    pipes = pd.concat([pipes, pipes.assign(pipe_id="K1", network=pd.array([None], dtype="str"))], ignore_index=True)
    counts = summary.pipeline_lengths(pipes)["by_network_count"]
    assert counts["water_supply"] == 1 and counts["unknown"] == 1 and sum(counts.values()) == 2


@pytest.mark.parametrize(("holding", "blank"), [
    ({"roads"}, {("land_supply", "supplied_mu"), ("pipelines", "total_km"), ("infrastructure", "conflicts")}),
    ({"pipelines"}, {("roads", "total_km"), ("land_supply", "supplied_mu"), ("park_area", "area_km2")}),
])
def test_figures_of_topics_the_park_cannot_judge_are_none(holding, blank):
    figures = {group: {key: 0.0 for key in ("total_km", "supplied_mu", "area_km2", "conflicts")}
               for group in ("roads", "pipelines", "land_supply", "park_area", "infrastructure",
                             "land_use_efficiency", "factory_space")}
    states = {name: "records" if name in holding else "absent" for name in SUMMARY_LAYERS}
    out = summary.without_unjudged(figures, states)
    for group, key in blank:
        assert out[group][key] is None, (group, key)
    kept = next(iter(holding))
    assert out[kept]["total_km"] == 0.0  # judged: a 0 stays a 0
    assert figures["roads"]["total_km"] == 0.0  # the input is not changed
