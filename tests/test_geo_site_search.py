"""Site search ranking on a hand-made set of parcels and units.

Needs: 25–60 亩 of industrial land with road and sewer, at most 5 km from a highway exit.

======  ====================  ====  =========  ========  ==========  ===============================
parcel  status                亩    land use   sewer     highway km  expected
======  ====================  ====  =========  ========  ==========  ===============================
A       planned               30    100101     yes       3           meets, score 1
B       approved_unsupplied   60    100102     no        8           (3·1 + 3·½ + 2·0.4) / 8 = 0.6625
C       reclaimed             15    1101       no road   —           (3·0.6) / 8 = 0.225
D       operating             30    100101     —         —           not offered
E       supplied, idle        50    100101     yes       4           meets (revitalisation), score 1
F       planned               45    (unset)    no        2           (3 + 3·½ + 2) / 8 = 0.8125
======  ====================  ====  =========  ========  ==========  ===============================
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from expansion_helpers import layer

from geo.site_search import InvestorNeeds, search_land, search_space
from layers.expansion_rules import default_expansion_rules
from layers.registry import get_layer
from layers.validate import validate_layer

CRS = 4549
X0, Y0 = 600_000.0, 3_170_000.0
RULES = default_expansion_rules()




def box(x, w, h):
    return shapely.box(X0 + x, Y0, X0 + x + w, Y0 + h)


@pytest.fixture
def land():
    parcels = layer("parcels", {
        "parcel_id": list("ABCDEF"),
        "status": ["planned", "approved_unsupplied", "reclaimed", "operating", "supplied", "planned"],
        "land_use": ["100101", "100102", "1101", "100101", "100101", None],
        "land_use_std": ["用地用海2023"] * 6,
    }, [box(0, 100, 200), box(1000, 200, 200), box(2000, 100, 100), box(3000, 100, 200),
        box(4000, 100, 1000 / 3), box(5000, 100, 300)])
    readiness = pd.DataFrame({
        "road": [True, True, False, True, True, True],
        "served_sewer": [True, False, False, True, True, False],
        "readiness_label": ["七通一平", None, None, "七通一平", "五通一平", None],
    }, index=parcels.index)
    distances = pd.DataFrame({"to_highway_exit_m": [3000, 8000, np.nan, 1000, 4000, 2000]}, index=parcels.index)
    revitalisation = pd.Series([False, False, False, False, True, False], index=parcels.index)
    return parcels, readiness, distances, revitalisation


NEEDS = InvestorNeeds(kind="land", area_min_mu=25, area_max_mu=60, land_use_class="industrial",
                      connections=("road", "sewer"), max_highway_m=5000)


def test_land_ranking(land):
    parcels, readiness, distances, revitalisation = land
    result = search_land(parcels, needs=NEEDS, readiness=readiness, distances=distances,
                         revitalisation=revitalisation, rules=RULES)
    assert result["parcel_id"].tolist() == ["A", "E", "F", "B", "C"]
    assert result["meets"].tolist() == [True, True, False, False, False]
    np.testing.assert_allclose(result["score"], [1, 1, 0.8125, 0.6625, 0.225])
    assert result["rank"].tolist() == [1, 2, 3, 4, 5]
    by_id = result.set_index("parcel_id")
    assert by_id.loc["E", "offer"] == "revitalisation"
    assert by_id.loc["B", "offer"] == "approved_unsupplied"
    assert by_id.loc["A", "area_mu"] == pytest.approx(30)


def test_reasons_in_both_languages(land):
    parcels, readiness, distances, revitalisation = land
    by_id = search_land(parcels, needs=NEEDS, readiness=readiness, distances=distances,
                        revitalisation=revitalisation, rules=RULES).set_index("parcel_id")
    assert by_id.loc["A", "shortfalls_zh"] == ""
    assert "面积 30.0 亩 符合" in by_id.loc["A", "fits_zh"]
    assert "3.00 km to a highway exit by road" in by_id.loc["A", "fits_en"]
    assert by_id.loc["B", "shortfalls_zh"] == "未通污水；距高速出入口 8.00 公里，超过 5 公里"
    assert by_id.loc["B", "shortfalls_en"] == "no sewer connection; 8.00 km to a highway exit, more than 5 km"
    assert "area 15.0 亩, below the 25 亩 asked" in by_id.loc["C", "shortfalls_en"]
    assert "land use 1101 is not industrial" in by_id.loc["C", "shortfalls_en"]
    assert "no road route to a highway exit" in by_id.loc["C", "shortfalls_en"]
    assert "可按工业用地规划" in by_id.loc["F", "fits_zh"]


def test_area_bounds_are_inclusive(land):
    parcels, readiness, distances, revitalisation = land
    exact = InvestorNeeds(area_min_mu=60, area_max_mu=60)
    result = search_land(parcels, needs=exact, readiness=readiness, distances=distances, rules=RULES)
    assert result[result["meets"]]["parcel_id"].tolist() == ["B"]
    just_above = InvestorNeeds(area_min_mu=60.01)
    result = search_land(parcels, needs=just_above, readiness=readiness, distances=distances, rules=RULES)
    assert not result["meets"].any()


def test_without_revitalisation_the_idle_parcel_is_not_offered(land):
    parcels, readiness, distances, _ = land
    result = search_land(parcels, needs=NEEDS, readiness=readiness, distances=distances, rules=RULES)
    assert "E" not in set(result["parcel_id"])


def test_unknown_land_use_class_is_refused(land):
    parcels, readiness, distances, _ = land
    with pytest.raises(ValueError, match="land-use class 'farm' unknown; allowed: industrial, logistics"):
        search_land(parcels, needs=InvestorNeeds(land_use_class="farm"), readiness=readiness, distances=distances,
                    rules=RULES)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "office"}, "kind must be one of land, space"),
        ({"connections": ("wifi",)}, "connections ['wifi'] unknown"),
        ({"area_min_mu": 50, "area_max_mu": 40}, "area_min_mu (50) is more than area_max_mu (40)"),
        ({"max_highway_m": -1.0}, "max_highway_m must be a number ≥ 0"),
    ],
)
def test_bad_needs_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")
                       .replace("]", r"\]")):
        InvestorNeeds(**kwargs)


def test_factory_space_ranking():
    buildings = layer("buildings", {"building_id": ["B1", "B2"], "name": ["1号标准厂房", "2号标准厂房"],
                                    "use": ["standard_factory"] * 2, "floors": [1, 4],
                                    "floor_load_kn_m2": [30.0, 20.0], "clear_height_m": [8.0, None]},
                      [box(0, 50, 50), box(100, 50, 50)])
    units = validate_layer(pd.DataFrame({
        "unit_id": ["U1", "U2", "U3"], "building_id": ["B1", "B2", "B1"], "floor": [1, 3, 1],
        "area_m2": [1000.0, 800.0, 1500.0], "status": ["leasable"] * 3,
        "floor_load_kn_m2": [None, 8.0, None], "clear_height_m": [None, 5.0, None]}), get_layer("units"),
        source="test")[0]
    vacancy = pd.DataFrame({"vacant_m2": [1000.0, 800.0, 0.0], "days_vacant": [30, 200, None]}, index=units.index)
    needs = InvestorNeeds(kind="space", floor_area_min_m2=800, floor_area_max_m2=1200, max_floor=2,
                          min_floor_load_kn_m2=20, min_clear_height_m=6)
    result = search_space(units, needs=needs, vacancy=vacancy, buildings=buildings, rules=RULES)
    assert result["unit_id"].tolist() == ["U1", "U2"]  # U3 is leased
    assert result["meets"].tolist() == [True, False]
    u1, u2 = result.iloc[0], result.iloc[1]
    assert u1["floor_load_kn_m2"] == 30 and u1["clear_height_m"] == 8  # taken from the building
    assert u2["shortfalls_en"] == ("floor 3 above the 2 asked; floor load 8.0 kN/m² below the 20 kN/m² asked; "
                                   "clear height 5.0 m below the 6 m asked")
    assert "楼层 3 高于所需 2" in u2["shortfalls_zh"]
    # area fits (1), none of three specifications (0), no highway need (1): (3 + 0 + 2) / 8
    assert u2["score"] == pytest.approx(5 / 8)
