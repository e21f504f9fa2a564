"""Developable land on a hand-built 1 km × 1 km expansion area with known overlaps.

Gross 1 000 000 m² (1 500 亩). Hard constraints, in attribution order:

* basic farmland x 0–200: 200 000 m²;
* eco red line x 150–250: 100 000 m², of which 50 000 overlap the farmland;
* outside the urban boundary (which covers y < 900): 100 000 m², of which 25 000 lie on farmland/red line;
* an existing supplied parcel 100 × 100: 10 000 m² (a planned parcel is not excluded);
* a completed 20 m road along y = 300: 20 000 m² inside the area, 5 000 of it over farmland/red line.

Net = 1 000 000 − 200 000 − 50 000 − 75 000 − 10 000 − 15 000 = 650 000 m².
"""

from __future__ import annotations

import pytest
import shapely
from expansion_helpers import layer

from geo.constraints import approval_level, developable_land
from geo.units import M2_PER_HA, M2_PER_MU
from layers.expansion_rules import default_expansion_rules, load_expansion_rules
from layers.infra_rules import default_infra_rules

CRS = 4549
X0, Y0 = 600_000.0, 3_170_000.0


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)




def fixture_layers(*, urban=True, water_buffer=False):
    zone_rows = [("Z1", "basic_farmland", box(0, 0, 200, 1000)),
                 ("Z2", "eco_redline", box(150, 0, 250, 1000)),
                 ("Z4", "forest_other", box(700, 0, 800, 100)),
                 ("Z5", "flood", box(900, 400, 1100, 500)),
                 ("Z6", "expansion_area", box(0, 0, 1000, 1000))]
    if urban:
        zone_rows.append(("Z3", "urban_dev_boundary", box(-100, -100, 1100, 900)))
    if water_buffer:
        zone_rows.append(("Z7", "water", box(1000, 0, 1050, 1000)))
    zones = layer("zones", {"zone_id": [r[0] for r in zone_rows], "kind": [r[1] for r in zone_rows]},
                  [r[2] for r in zone_rows])
    parcels = layer("parcels", {"parcel_id": ["P1", "P2"], "status": ["supplied", "planned"]},
                    [box(500, 500, 600, 600), box(600, 600, 700, 700)])
    roads = layer("roads", {"road_id": ["R1"], "grade": ["branch"], "width_m": [20.0], "status": ["completed"]},
                  [shapely.LineString([(X0 - 100, Y0 + 300), (X0 + 1100, Y0 + 300)])])
    return zones, parcels, roads


def run(zones, parcels, roads, rules=None):
    area = zones[zones["kind"] == "expansion_area"].geometry
    return developable_land(area, zones=zones, parcels=parcels, roads=roads,
                            rules=rules or default_expansion_rules(), infra_rules=default_infra_rules())


def test_gross_excluded_and_net_areas():
    land = run(*fixture_layers())
    assert land.gross_m2 == pytest.approx(1_000_000)
    ex = land.excluded
    assert ex.loc["basic_farmland", "excluded_m2"] == pytest.approx(200_000)
    assert ex.loc["eco_redline", "excluded_m2"] == pytest.approx(100_000)
    assert ex.loc["eco_redline", "attributed_m2"] == pytest.approx(50_000)
    assert ex.loc["outside_urban_boundary", "excluded_m2"] == pytest.approx(100_000)
    assert ex.loc["outside_urban_boundary", "attributed_m2"] == pytest.approx(75_000)
    assert ex.loc["existing_parcels", "attributed_m2"] == pytest.approx(10_000)
    # the road's round caps lie outside the area: exactly 20 m × 1 000 m inside
    assert ex.loc["road_reserve", "excluded_m2"] == pytest.approx(20_000, rel=1e-9)
    assert ex.loc["road_reserve", "attributed_m2"] == pytest.approx(15_000, rel=1e-9)
    for kind in ("forest_i", "geohazard_danger", "water"):
        assert ex.loc[kind, "excluded_m2"] == 0
    assert land.net_m2 == pytest.approx(650_000, rel=1e-9)
    # overlaps counted once: attributed rows add up to gross − net; own overlaps add up to more
    assert ex["attributed_m2"].sum() == pytest.approx(land.gross_m2 - land.net_m2)
    assert ex["excluded_m2"].sum() - ex["attributed_m2"].sum() == pytest.approx(80_000)
    summary = land.summary()
    assert summary["net"]["mu"] == pytest.approx(650_000 / M2_PER_MU, abs=0.01)
    assert summary["gross"]["km2"] == pytest.approx(1.0)


def test_soft_constraints_inside_net_land_with_their_approvals():
    land = run(*fixture_layers())
    assert land.soft.loc["forest_other", "area_m2"] == pytest.approx(10_000)
    assert land.soft.loc["flood", "area_m2"] == pytest.approx(10_000)  # only the half inside the area
    assert land.soft.loc["mineral", "area_m2"] == 0
    kinds = [s["kind"] for s in land.summary()["soft"]]
    assert kinds == ["forest_other", "flood"]
    assert "洪水影响评价" in land.summary()["soft"][1]["approval"]
    assert "Flood impact" in land.summary(lang="en")["soft"][1]["approval"]


def test_water_is_buffered_into_a_river_zone_where_none_is_mapped():
    land = run(*fixture_layers(water_buffer=True))
    # 30 m strip x 970–1000 over y 0–1000, minus the part outside the boundary (y ≥ 900) and the road (20 m)
    assert land.soft.loc["river_zone", "area_m2"] == pytest.approx(30 * 1000 - 30 * 100 - 30 * 20, rel=1e-6)
    assert land.excluded.loc["water", "excluded_m2"] == 0  # the water itself lies outside the area


def test_without_an_urban_boundary_nothing_is_excluded_for_it_and_a_warning_says_so():
    land = run(*fixture_layers(urban=False))
    assert "outside_urban_boundary" not in land.excluded.index
    assert land.warnings and "urban_dev_boundary" in land.warnings[0]
    assert land.net_m2 == pytest.approx(650_000 + 75_000, rel=1e-9)


def test_approval_level_of_the_fixture():
    approval = run(*fixture_layers()).approval
    assert approval["level"] == "provincial"  # 65 ha of other land ≤ 70 ha
    assert approval["cultivated_known"] is False
    assert approval["level_if_all_cultivated"] == "state_council"  # 65 ha > 35 ha
    assert approval["basic_farmland_in_area_ha"] == pytest.approx(20.0)


@pytest.mark.parametrize(
    ("net_ha", "cultivated_ha", "level"),
    [
        (70.0, 0.0, "provincial"),          # exactly 70 ha of other land: not "more than"
        (70.001, 0.0, "state_council"),
        (40.0, 35.0, "provincial"),         # exactly 35 ha cultivated
        (40.0, 35.001, "state_council"),
        (105.0, 35.0, "provincial"),        # 35 cultivated + 70 other, both at their limits
    ],
)
def test_approval_level_boundaries(net_ha, cultivated_ha, level):
    result = approval_level(net_ha * M2_PER_HA, cultivated_m2=cultivated_ha * M2_PER_HA, basic_farmland_m2=0.0,
                            rules=default_expansion_rules())
    assert result["level"] == level
    assert result["cultivated_known"] is True


def test_mapped_cultivated_land_sets_the_level(tmp_path):
    override = tmp_path / "x.expansion.yaml"
    override.write_text("approval:\n  cultivated_zone_kinds: [forest_other]\n  state_council_cultivated_ha: 0.5\n",
                        encoding="utf-8")
    rules = load_expansion_rules(override)
    approval = run(*fixture_layers(), rules=rules).approval
    assert approval["cultivated_ha"] == pytest.approx(1.0)  # the 10 000 m² forest block stands in for cultivated land
    assert approval["level"] == "state_council"


def test_geographic_area_is_refused():
    zones, parcels, roads = fixture_layers()
    area = zones[zones["kind"] == "expansion_area"].geometry.to_crs(4326)
    with pytest.raises(ValueError, match="geographic CRS"):
        developable_land(area, zones=zones, parcels=parcels, roads=roads, rules=default_expansion_rules(),
                         infra_rules=default_infra_rules())
