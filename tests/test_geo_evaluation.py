"""The national land-use evaluation (开发区土地集约利用评价) on small parks computed by hand.

The park: a boundary of 500 m × 100 m (5 ha) whose east 100 m is water (不可建设), and parcels
of 100 m × 100 m (1 ha = 10 000 m² = 15 亩) side by side, evaluated for 2025 (31 December).
"""

from __future__ import annotations

import json
import math

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo.evaluation import evaluate_land_use, standardised, zone_type_of
from layers.evaluation_rules import default_evaluation_rules, load_evaluation_rules
from layers.registry import get_layer
from layers.rules import load_rules
from layers.validate import validate_layer

#: The rules in force: the national defaults (the park service passes a park's own).
EVALUATION = default_evaluation_rules()
LAND = load_rules()

EPSG = 4549
X0, Y0 = 636_000.0, 3_171_000.0
HA = 10_000.0


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def layer(name: str, rows: list[dict], geoms=None):
    spec = get_layer(name)
    if geoms is None:
        return validate_layer(pd.DataFrame(rows), spec, source="test")[0]
    frame = gpd.GeoDataFrame(rows, geometry=geoms, crs=EPSG)
    return validate_layer(frame, spec, source="test")[0]


def parcels(*rows: dict):
    """Parcels of 100 m × 100 m in a row from x = 0; industrial (100101) unless a row says otherwise."""
    base = {"land_use": "100101", "land_use_std": "用地用海2023", "tenure": "granted"}
    return layer("parcels", [{"parcel_id": f"P{i + 1}", **base, **row} for i, row in enumerate(rows)],
                 [box(i * 100, 0, i * 100 + 100, 100) for i in range(len(rows))])


def zones():
    return layer("zones", [{"zone_id": "Z1", "kind": "park_boundary"}, {"zone_id": "Z2", "kind": "water"}],
                 [box(0, 0, 500, 100), box(400, 0, 500, 100)])


def buildings():
    # B1 on P1: 50 m × 50 m = 2500 m² footprint, 7500 m² floor area, completed in 2025.
    # B2 on P1: planned (not counted). B3 on P2: under construction (not counted).
    return layer("buildings", [
        {"building_id": "B1", "status": "completed", "gfa_m2": 7500.0, "floors": 3, "completion_year": 2025},
        {"building_id": "B2", "status": "planned", "gfa_m2": 1000.0, "floors": 1},
        {"building_id": "B3", "status": "under_construction", "gfa_m2": 2000.0, "floors": 2},
    ], [box(10, 10, 60, 60), box(70, 70, 90, 90), box(110, 10, 150, 60)])


def enterprise_years():
    return layer("enterprise_years", [
        {"record_id": "E1-2025", "enterprise_id": "E1", "year": 2025, "tax_wan": 200.0},
        {"record_id": "E9-2025", "enterprise_id": "E9", "year": 2025, "tax_wan": 100.0},  # a firm without land
        {"record_id": "E1-2024", "enterprise_id": "E1", "year": 2024, "tax_wan": 50.0},
    ])


def the_parcels():
    return parcels(
        # P1: supplied on 1 January and completed on 31 December of the year: supplied and built in 2025.
        {"status": "operating", "contract_date": "2025-01-01", "actual_completion_date": "2025-12-31",
         "enterprise_id": "E1", "investment_done_wan": 3000.0},
        # P2: contract on 31 December: supplied in 2025, not built.
        {"status": "supplied", "contract_date": "2025-12-31", "enterprise_id": "E2", "investment_done_wan": 0.0},
        # P3: approved, not supplied: 尚可供应 (E, and E21 as industrial).
        {"status": "approved_unsupplied"},
        # P4: retired on 30 June 2025 (built since 2020): in force at the end of 2024, not of 2025.
        {"status": "operating", "contract_date": "2020-05-01", "actual_completion_date": "2021-06-30",
         "retired_on": "2025-06-30", "enterprise_id": "E4", "investment_done_wan": 1000.0},
        # P5 (on the water): contract on 1 January 2026, after the day: not supplied in 2025.
        {"status": "supplied", "contract_date": "2026-01-01"},
    )


def park(**overrides):
    frames = {"parcels": the_parcels(), "buildings": buildings(), "zones": zones(),
              "enterprise_years": enterprise_years()}
    frames.update(overrides)
    return {name: frame for name, frame in frames.items() if frame is not None}


IDEALS = {  # an override with every weighted ideal set, for a score computed by hand
    "supply_rate": 0.8, "built_rate": 1.0, "industrial_rate": 0.5, "comprehensive_far": 1.0,
    "building_density": 0.5, "industrial_far": 1.5, "industrial_building_coef": 0.5,
    "industrial_investment_intensity": 6000, "industrial_tax_per_ha": 400, "idle_rate": 0,
}


@pytest.fixture(scope="module")
def rules_with_ideals(tmp_path_factory):
    import yaml

    table = {key: {"direction": r.direction, "ideal": dict(r.ideal), "weight": dict(r.weight), "source": r.source,
                   "status": r.status, "ideal_status": r.ideal_status}
             for key, r in default_evaluation_rules().indicators.definitions.items()}
    for key, ideal in IDEALS.items():
        table[key]["ideal"]["industrial"] = ideal
    path = tmp_path_factory.mktemp("rules") / "park.evaluation.yaml"
    path.write_text(yaml.safe_dump({"indicators": {"definitions": table}}, allow_unicode=True), encoding="utf-8")
    return load_evaluation_rules(path)


@pytest.fixture(scope="module")
def result(rules_with_ideals):
    return evaluate_land_use(park(), year=2025, rules=rules_with_ideals, land_rules=LAND)


def test_status_areas_by_hand(result):
    areas = {s.key: s.area_m2 for s in result.statuses}
    assert areas["evaluation_area"] == pytest.approx(50_000)  # 500 × 100
    assert areas["not_buildable"] == pytest.approx(10_000)    # the water, 100 × 100
    assert areas["developable"] == pytest.approx(40_000)      # 50 000 − 10 000
    assert areas["supplied"] == pytest.approx(20_000)         # P1 (1 January) + P2 (31 December); not P5, not P4
    assert areas["built"] == pytest.approx(10_000)            # P1, completed on the day itself
    assert areas["industrial"] == pytest.approx(10_000)       # P1 is industrial
    assert areas["supplyable"] == pytest.approx(10_000)       # P3
    assert areas["supplyable_industrial"] == pytest.approx(10_000)
    assert areas["ready"] == pytest.approx(30_000)            # D + E
    assert areas["idle"] == pytest.approx(0)
    built = result.status("built")
    assert built.area_ha == pytest.approx(1.0) and built.area_mu == pytest.approx(15.0)  # 10 000 m² ÷ 2000/3


def test_indicators_by_hand(result):
    value = {i.key: i.value for i in result.indicators}
    assert value["development_rate"] == pytest.approx(0.75)       # 30 000 ÷ 40 000
    assert value["supply_rate"] == pytest.approx(2 / 3)           # 20 000 ÷ 30 000
    assert value["built_rate"] == pytest.approx(0.5)              # 10 000 ÷ 20 000
    assert value["industrial_rate"] == pytest.approx(1.0)         # 10 000 ÷ 10 000
    assert value["comprehensive_far"] == pytest.approx(0.75)      # 7500 (B1 only) ÷ 10 000
    assert value["building_density"] == pytest.approx(0.25)       # 2500 ÷ 10 000
    assert value["industrial_far"] == pytest.approx(0.75)
    assert value["industrial_building_coef"] == pytest.approx(0.25)
    assert value["industrial_investment_intensity"] == pytest.approx(3000)  # 3000 万元 ÷ 1 ha
    assert value["industrial_tax_per_ha"] == pytest.approx(200)   # E1's 2025 tax ÷ 1 ha (not its 2024 tax)
    assert value["comprehensive_tax_per_ha"] == pytest.approx(300)  # (200 + 100) ÷ 1 ha of built land
    assert value["idle_rate"] == pytest.approx(0)
    assert value["population_density"] is None
    assert "常住人口" in result.indicator("population_density").reason.zh
    supply = result.indicator("supply_rate")
    assert (supply.numerator, supply.denominator) == (pytest.approx(20_000), pytest.approx(30_000))


def test_zone_type_scores_and_the_weighted_score_by_hand(result):
    assert result.zone_type == "industrial"  # 工矿仓储 10 000 ÷ 10 000 > 30 %, 住宅 0 < 25 %
    score = {i.key: i.score for i in result.indicators}
    assert score["supply_rate"] == pytest.approx(250 / 3)   # (2/3) ÷ 0.8 × 100
    assert score["built_rate"] == pytest.approx(50)         # 0.5 ÷ 1.0
    assert score["industrial_rate"] == pytest.approx(100)   # 1.0 ÷ 0.5 = 200 %, capped at 100
    assert score["comprehensive_far"] == pytest.approx(75)
    assert score["industrial_investment_intensity"] == pytest.approx(50)  # 3000 ÷ 6000
    assert score["idle_rate"] == pytest.approx(100)         # (1 − 0) ÷ (1 − 0)
    assert score["development_rate"] is None                # no ideal (W15 uses it in 发展方向区 only)
    # 7/80·250/3 + 7/80·50 + 7/40·100 + 7/80·75 + 77/1000·50 + 7/80·50 + 49/500·50 + 0.1·50 + 0.1·50 + 0.1·100
    # = 7.291667 + 4.375 + 17.5 + 6.5625 + 3.85 + 4.375 + 4.9 + 5 + 5 + 10 = 68.854167
    assert result.score.value == pytest.approx(68.854167, abs=1e-5)
    assert result.score.left_out == ()


def test_potentials_and_years_of_supply_by_hand(result):
    assert result.potential("expansion").area_m2 == pytest.approx(10_000)       # E
    assert result.potential("structure").area_m2 == pytest.approx(0)            # 1.0 is above the ideal 0.5
    assert result.potential("intensity.industrial_far").area_m2 == pytest.approx(5000)  # 10 000 × (1 − 0.75/1.5)
    assert result.potential("management").area_m2 == pytest.approx(0)
    years = result.years_of_supply_left
    # 2023–2025 supplied P1 + P2 = 20 000 m², 6666.67 a year; 10 000 ÷ 6666.67 = 1.5 years.
    assert (years.first_year, years.window_years) == (2023, 3)
    assert years.supplied_in_window_m2 == pytest.approx(20_000)
    assert years.years == pytest.approx(1.5)


def test_the_year_before_sees_the_retired_parcel_and_not_the_2025_contracts(rules_with_ideals):
    before = evaluate_land_use(park(), year=2024, rules=rules_with_ideals, land_rules=LAND)
    assert before.status("supplied").area_m2 == pytest.approx(10_000)   # P4 only (retired in 2025)
    assert before.status("built").area_m2 == pytest.approx(10_000)
    # No contract in 2022–2024 of a parcel in force at the end of 2024 but P4's (2020): not judged.
    assert before.years_of_supply_left.years is None
    assert "2022–2024" in before.years_of_supply_left.reason.zh


def test_the_default_rules_leave_unset_ideals_out_of_the_score_and_say_which():
    result = evaluate_land_use(park(), year=2025, rules=EVALUATION, land_rules=LAND)
    assert result.score.value is None
    assert set(result.score.left_out) == {"industrial_far", "industrial_building_coef",
                                          "industrial_investment_intensity", "industrial_tax_per_ha"}
    assert "未设理想值" in result.score.reason.zh and "no ideal value set" in result.score.reason.en
    assert 0 < result.score.partial <= 100
    assert result.score.judged_weight == pytest.approx(1 - 7 / 80 - 49 / 500 - 0.1 - 0.1)


def test_missing_layers_are_not_judged_with_the_layer_named():
    result = evaluate_land_use(park(zones=None, buildings=None, enterprise_years=None), year=2025, rules=EVALUATION,
                               land_rules=LAND)
    dev = result.indicator("development_rate")
    assert dev.value is None and "zones" in dev.reason.missing and "zones" in dev.reason.en
    for key in ("comprehensive_far", "building_density", "industrial_far", "industrial_building_coef"):
        indicator = result.indicator(key)
        assert indicator.value is None and indicator.reason.missing == ("buildings",), key
        assert "建筑图层" in indicator.reason.zh
    for key in ("industrial_tax_per_ha", "comprehensive_tax_per_ha"):
        assert result.indicator(key).reason.missing == ("enterprise_years",)
        assert "2025" in result.indicator(key).reason.en
    assert result.status("developable").area_m2 is None
    # What needs only the parcels is still judged.
    assert result.indicator("built_rate").value == pytest.approx(0.5)
    nothing = evaluate_land_use({}, year=2025, rules=EVALUATION, land_rules=LAND)
    assert nothing.status("supplied").reason.missing == ("parcels",)
    assert nothing.zone_type is None and nothing.score.value is None and nothing.score.partial is None
    assert nothing.years_of_supply_left.reason.missing == ("parcels",)


def test_a_boundary_zone_is_needed_for_the_evaluation_area():
    water_only = layer("zones", [{"zone_id": "Z2", "kind": "water"}], [box(400, 0, 500, 100)])
    result = evaluate_land_use(park(zones=water_only), year=2025, rules=EVALUATION, land_rules=LAND)
    assert result.status("evaluation_area").reason.missing == ("zones.kind",)
    reason_zh = result.status("evaluation_area").reason.zh
    assert "园区范围" in reason_zh and "park_boundary" not in reason_zh  # (the kind by its name, not its code)


def test_missing_fields_are_not_judged_with_the_field_named():
    frame = the_parcels()
    frame.loc[frame["parcel_id"] == "P1", "investment_done_wan"] = None
    frame.loc[frame["parcel_id"] == "P2", "contract_date"] = pd.NaT  # P2 supplied but undated
    result = evaluate_land_use(park(parcels=frame), year=2025, rules=EVALUATION, land_rules=LAND)
    invest = result.indicator("industrial_investment_intensity")
    assert invest.value is None and invest.reason.missing == ("parcels.investment_done_wan",)
    assert "1 of 1 industrial parcels" in invest.reason.en
    years = result.years_of_supply_left
    assert years.years is None and years.reason.missing == ("parcels.contract_date",)
    no_gfa = layer("buildings", [{"building_id": "B1", "status": "completed"}], [box(10, 10, 60, 60)])
    result = evaluate_land_use(park(buildings=no_gfa), year=2025, rules=EVALUATION, land_rules=LAND)
    assert result.indicator("comprehensive_far").reason.missing == ("buildings.gfa_m2", "buildings.floors")
    assert result.indicator("building_density").value == pytest.approx(0.25)  # the footprint is known
    no_use = the_parcels()
    no_use.loc[no_use["parcel_id"] == "P1", "land_use"] = None
    result = evaluate_land_use(park(parcels=no_use), year=2025, rules=EVALUATION, land_rules=LAND)
    assert result.indicator("industrial_rate").reason.missing == ("parcels.land_use", "parcels.land_use_std")
    assert result.zone_type is None and result.score.reason is not None


def test_a_firm_without_its_year_on_industrial_land_leaves_the_industrial_tax_not_judged():
    years = layer("enterprise_years", [{"record_id": "E9-2025", "enterprise_id": "E9", "year": 2025,
                                        "tax_wan": 100.0}])
    result = evaluate_land_use(park(enterprise_years=years), year=2025, rules=EVALUATION, land_rules=LAND)
    tax = result.indicator("industrial_tax_per_ha")
    assert tax.value is None and "E1" in tax.reason.en
    assert result.indicator("comprehensive_tax_per_ha").value == pytest.approx(100)


@pytest.mark.parametrize(("industrial", "residential", "expected", "basis"), [
    (3000.01, 0, "industrial", "shares"),    # just above 30 %
    (3000.0, 0, "integrated", "other"),      # exactly 30 % is not above; 住宅 0 < 25 %: neither → other_as
    (3000.0, 2500.0, "integrated", "shares"),  # ≤ 30 % and 住宅 exactly 25 %
    (4000.0, 2499.99, "industrial", "shares"),  # 住宅 just below 25 %
    (4000.0, 2500.0, "integrated", "other"),   # above 30 % but 住宅 not below 25 %
])
def test_zone_type_on_both_sides_of_each_threshold(industrial, residential, expected, basis):
    assert zone_type_of(10_000.0, industrial, residential, None, rules=default_evaluation_rules())[:2] == \
        (expected, basis)


def test_a_fixed_zone_type_wins(tmp_path):
    path = tmp_path / "park.evaluation.yaml"
    path.write_text("zone_type:\n  fixed: integrated\n", encoding="utf-8")
    result = evaluate_land_use(park(), year=2025, rules=load_evaluation_rules(path), land_rules=LAND)
    assert (result.zone_type, result.zone_type_basis) == ("integrated", "fixed")
    assert result.indicator("industrial_rate").weight == 0
    assert result.indicator("comprehensive_tax_per_ha").weight == pytest.approx(0.1)


def test_residential_built_land_makes_an_integrated_zone():
    frame = parcels(
        {"status": "operating", "contract_date": "2020-01-01", "land_use": "070101"},
        {"status": "operating", "contract_date": "2020-01-01", "land_use": "070101"},
        {"status": "operating", "contract_date": "2020-01-01", "land_use": "0901"},
        {"status": "operating", "contract_date": "2020-01-01"},
    )
    result = evaluate_land_use({"parcels": frame}, year=2025, rules=EVALUATION, land_rules=LAND)
    # 工矿仓储 10 000 ÷ 40 000 = 25 % ≤ 30 %, 住宅 20 000 ÷ 40 000 = 50 % ≥ 25 %.
    assert result.zone_type == "integrated"
    assert (result.industrial_share, result.residential_share) == (pytest.approx(0.25), pytest.approx(0.5))
    assert result.indicator("industrial_rate").value == pytest.approx(0.25)


def test_standardisation():
    assert standardised(0.5, 0.8, direction="positive") == pytest.approx(62.5)
    assert standardised(2.0, 1.0, direction="positive") == 100
    assert standardised(0.1, 0.0, direction="negative") == pytest.approx(90)
    assert standardised(0.1, 0.05, direction="negative") == pytest.approx(0.9 / 0.95 * 100)


def test_as_dict_is_plain_json_in_both_languages(result):
    for lang in ("zh", "en"):
        data = json.loads(json.dumps(result.as_dict(lang)))
        assert {"indicators", "score", "potential", "years_of_supply_left"} <= set(data)
        assert data["score"]["value"] == pytest.approx(68.854167, abs=1e-5)
    assert result.as_dict("zh")["zone_type_label"] == "工业主导型"
    supply = next(i for i in result.as_dict("en")["indicators"] if i["key"] == "supply_rate")
    assert supply["value_percent"] == pytest.approx(200 / 3) and supply["label"] == "land supply rate"


def test_the_demo_park_in_sane_ranges(demo_park):
    from layers.registry import REGISTRY

    layers = {name: demo_park.load(name) for name in REGISTRY}
    result = evaluate_land_use(layers, year=2025, rules=EVALUATION, land_rules=LAND)
    area = {s.key: s.area_m2 for s in result.statuses}
    assert 0 < area["built"] <= area["supplied"] <= area["ready"] <= area["developable"] + 1e-6
    assert area["industrial"] <= area["built"] and area["idle"] <= area["supplied"]
    for key in ("development_rate", "supply_rate", "built_rate", "industrial_rate", "building_density",
                "industrial_building_coef", "idle_rate"):
        assert 0 <= result.indicator(key).value <= 1, key
    assert 0.1 < result.indicator("comprehensive_far").value < 5
    assert result.zone_type == "industrial"
    assert 0 < result.score.partial <= 100 and not math.isnan(result.score.partial)
    json.dumps(result.as_dict("zh"))


def test_idle_land_that_cannot_be_judged_makes_the_idle_area_a_lower_bound(result):
    # P2 is granted and supplied without an agreed start date: geo.idle cannot judge it.
    note = result.status("idle").note
    assert note is not None and "1 supplied parcels (15.00 mu)" in note.en
    assert result.indicator("idle_rate").note == note
    leased = the_parcels()
    leased.loc[leased["parcel_id"] == "P2", "tenure"] = "leased"  # 租赁 land is outside 53号令: not unknown
    leased_result = evaluate_land_use(park(parcels=leased), year=2025, rules=EVALUATION, land_rules=LAND)
    assert leased_result.status("idle").note is None


def test_idle_land_by_hand():
    frame = parcels(
        # Agreed start 2023-06-30: two full years passed on 2025-06-30 → idle_reclaim by the end of 2025.
        {"status": "supplied", "contract_date": "2023-01-10", "agreed_start_date": "2023-06-30"},
        # Agreed start 2025-06-30: not yet a full year late on 2025-12-31 → not idle.
        {"status": "supplied", "contract_date": "2025-01-10", "agreed_start_date": "2025-06-30"},
    )
    result = evaluate_land_use({"parcels": frame}, year=2025, rules=EVALUATION, land_rules=LAND)
    assert result.status("idle").area_m2 == pytest.approx(10_000)
    assert result.indicator("idle_rate").value == pytest.approx(0.5)  # 10 000 ÷ 20 000
    assert result.potential("management").area_mu == pytest.approx(15)


def test_an_unknown_land_use_on_land_still_to_supply_leaves_e21_not_judged():
    frame = the_parcels()
    frame.loc[frame["parcel_id"] == "P3", "land_use"] = None
    result = evaluate_land_use(park(parcels=frame), year=2025, rules=EVALUATION, land_rules=LAND)
    assert result.status("supplyable").area_m2 == pytest.approx(10_000)
    assert result.status("supplyable_industrial").area_m2 is None
    assert result.potential("expansion_industrial").reason.missing == ("parcels.land_use", "parcels.land_use_std")


@pytest.mark.parametrize("year", [1899, 2101, "2025", 2025.0, True])
def test_a_bad_year_is_refused_naming_it(year):
    with pytest.raises(ValueError, match=r"evaluation year: got .*allowed: a whole year from 1900 to 2100"):
        evaluate_land_use({}, year=year, rules=EVALUATION, land_rules=LAND)


@pytest.mark.parametrize("year", [1900, 2100])
def test_the_first_and_last_year_are_allowed(year):
    assert evaluate_land_use({}, year=year, rules=EVALUATION, land_rules=LAND).as_of.year == year


@pytest.mark.parametrize("emptied", ["parcels", "buildings", "zones", "enterprise_years", None])
def test_the_any_park_frames_with_one_layer_empty(emptied):
    """Every layer of the rich tiny park validated, one left with no records: the evaluation still answers."""
    from tests.anypark_helpers import rich_frames

    frames = {name: validate_layer(frame, get_layer(name), source="test")[0] for name, frame in rich_frames().items()}
    if emptied is not None:
        frames[emptied] = frames[emptied].iloc[0:0]
    result = evaluate_land_use(frames, year=2026, rules=EVALUATION, land_rules=LAND)
    data = json.loads(json.dumps(result.as_dict("en")))
    missing = {m for item in data["indicators"] if item["not_judged"] for m in item["not_judged"]["missing"]}
    if emptied is not None:
        assert emptied in missing
    for item in data["indicators"]:  # a value or a reason, never neither
        assert (item["value"] is None) == (item["not_judged"] is not None), item["key"]


# -- parcels without a status (a surveyor's file has no status column) ------------------------------------------------


def statusless_park(*rows: dict):
    """The park's boundary and water with the parcels ``rows`` (1 ha each, from x = 0), nothing else."""
    return {"parcels": parcels(*rows), "zones": zones()}


def test_a_parcel_without_a_status_is_supplied_by_its_contract_on_or_before_the_day():
    result = evaluate_land_use(statusless_park(
        # P1: no status, contract the day before, completed in June: supplied and built by its dates.
        {"contract_date": "2025-12-30", "actual_completion_date": "2025-06-30"},
        # P2: no status, contract on the day itself: supplied; completed the day after: not built.
        {"contract_date": "2025-12-31", "actual_completion_date": "2026-01-01"},
        # P3: a status contradicting its date: approved, not supplied, with a contract in June: the status wins (E).
        {"status": "approved_unsupplied", "contract_date": "2025-06-01"},
        # P4: operating without dates: supplied and built by its status (as before).
        {"status": "operating"},
    ), year=2025, rules=EVALUATION, land_rules=LAND)
    supplied, built = result.status("supplied"), result.status("built")
    assert supplied.area_m2 == pytest.approx(30_000)           # P1 + P2 + P4
    assert built.area_m2 == pytest.approx(20_000)              # P1 + P4
    assert result.status("supplyable").area_m2 == pytest.approx(10_000)  # P3
    assert result.indicator("supply_rate").value == pytest.approx(0.75)  # 30 000 ÷ (30 000 + 10 000)
    assert result.indicator("built_rate").value == pytest.approx(2 / 3)  # 20 000 ÷ 30 000
    # The report says for how many parcels the status was inferred, and how.
    assert supplied.note.zh == "其中 2 个地块（30.00 亩）没有状态，按合同签订日期（不晚于评价日）计为已供应"
    assert supplied.note.en == ("2 parcels (30.00 mu) of it have no status and are counted as supplied by their "
                                "contract date (on or before the day judged)")
    assert built.note.zh == "其中 1 个地块（15.00 亩）没有状态，按实际竣工日期（不晚于评价日）计为已建成"
    assert supplied.reason is None and built.reason is None
    assert result.status("supplyable").note is None


def test_a_parcel_without_a_status_and_a_contract_after_the_day_is_not_supplied_and_e_is_not_judged():
    result = evaluate_land_use(statusless_park(
        {"status": "operating", "contract_date": "2020-01-01"},
        {"contract_date": "2026-01-01"},  # the day after: not supplied on the day; still to supply or not is unknown
    ), year=2025, rules=EVALUATION, land_rules=LAND)
    assert result.status("supplied").area_m2 == pytest.approx(10_000)  # P1 only
    assert result.status("supplied").note is None                      # nobody counted by a date
    for key in ("supplyable", "ready", "supplyable_industrial"):
        status = result.status(key)
        assert status.area_m2 is None, key
        assert status.reason.zh == ("2 个地块中有 1 个没有状态，且评价日前没有合同签订日期，无法判断是否为尚可供应土地")
        assert status.reason.missing == ("parcels.status", "parcels.contract_date")
    assert result.indicator("supply_rate").value is None and result.indicator("supply_rate").reason is not None
    assert result.indicator("built_rate").value == pytest.approx(1.0)  # what needs D and A alone is judged
    assert result.years_of_supply_left.years is None
    assert "1 of 2 parcels have no status" in result.years_of_supply_left.reason.en


def test_parcels_with_neither_status_nor_contract_date_leave_every_figure_resting_on_them_not_judged():
    result = evaluate_land_use(statusless_park(
        {"status": "operating", "contract_date": "2020-01-01"},
        {"contract_date": "2025-03-01"},
        {}, {},  # neither a status nor a contract date
    ), year=2025, rules=EVALUATION, land_rules=LAND)
    expected_zh = "4 个地块中有 2 个既没有状态也没有合同签订日期，无法判断是否已供应"
    expected_en = "2 of 4 parcels have neither a status nor a contract date: whether they are supplied could not be judged"
    for key in ("ready", "supplied", "built", "industrial", "supplyable", "supplyable_industrial", "idle"):
        status = result.status(key)
        assert status.area_m2 is None and status.note is None, key
        assert (status.reason.zh, status.reason.en) == (expected_zh, expected_en), key
        assert status.reason.missing == ("parcels.status", "parcels.contract_date")
    # The boundary does not rest on the parcels.
    assert result.status("developable").area_m2 == pytest.approx(40_000)
    for indicator in result.indicators:
        assert indicator.value is None and indicator.reason is not None, indicator.key
    assert result.indicator("supply_rate").reason.zh == expected_zh
    assert result.zone_type is None and result.score.value is None and result.score.partial is None
    assert result.potential("management").area_m2 is None


def test_when_every_parcel_lacks_both_no_ratio_pretends_to_be_a_figure():
    result = evaluate_land_use(statusless_park({}, {}, {}), year=2025, rules=EVALUATION, land_rules=LAND)
    assert result.status("supplied").reason.en.startswith("3 of 3 parcels have neither a status nor a contract date")
    for indicator in result.indicators:
        assert indicator.value is None and indicator.score is None, indicator.key
        assert "为零" not in indicator.reason.zh and "is zero" not in indicator.reason.en, indicator.key
    assert result.years_of_supply_left.years is None
    assert result.years_of_supply_left.supplyable_m2 is None


def test_a_parcel_supplied_by_its_contract_without_a_completion_date_leaves_built_land_not_judged():
    result = evaluate_land_use(statusless_park(
        {"status": "operating", "contract_date": "2020-01-01"},
        {"contract_date": "2025-03-01"},  # supplied by its contract; built or not is not told
    ), year=2025, rules=EVALUATION, land_rules=LAND)
    assert result.status("supplied").area_m2 == pytest.approx(20_000)
    built = result.status("built")
    assert built.area_m2 is None and built.reason.missing == ("parcels.status", "parcels.actual_completion_date")
    assert built.reason.zh == ("2 个地块中有 1 个没有状态、按合同签订日期计为已供应，但没有实际竣工日期，无法判断是否已建成")
    assert result.status("industrial").area_m2 is None
    assert result.indicator("built_rate").value is None and result.indicator("built_rate").reason == built.reason
    assert result.indicator("supply_rate").value == pytest.approx(1.0)  # 20 000 ÷ (20 000 + 0)


def test_the_date_that_supplies_a_parcel_without_a_status_is_the_rules_not_the_codes(tmp_path):
    path = tmp_path / "park.evaluation.yaml"
    path.write_text("status:\n  supplied_date_without_status: {value: agreed_start_date, source: 园区约定}\n",
                    encoding="utf-8")
    frames = statusless_park({"contract_date": "2025-03-01", "agreed_start_date": "2026-03-01",
                              "actual_completion_date": "2025-09-01"})
    by_start = evaluate_land_use(frames, year=2025, rules=load_evaluation_rules(path), land_rules=LAND)
    assert by_start.status("supplied").area_m2 == pytest.approx(0)  # its agreed start is after the day
    by_contract = evaluate_land_use(frames, year=2025, rules=EVALUATION, land_rules=LAND)
    assert by_contract.status("supplied").area_m2 == pytest.approx(10_000)
    assert by_contract.status("built").area_m2 == pytest.approx(10_000)
