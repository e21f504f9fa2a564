"""Expansion rules: defaults load, overrides merge, every bad value is named with file, key and what is allowed."""

from __future__ import annotations

import pytest

from layers.expansion_rules import (
    DEFAULT_EXPANSION_RULES_PATH,
    ExpansionRulesError,
    default_expansion_rules,
    expansion_rules_for_park,
    load_expansion_rules,
)


def write(tmp_path, text: str):
    path = tmp_path / "park.expansion.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_carry_the_domain_values_with_sources():
    rules = default_expansion_rules()
    assert rules.constraints.hard_zone_kinds == ("basic_farmland", "eco_redline", "forest_i", "geohazard_danger",
                                                 "water")
    assert set(rules.constraints.soft) == {"forest_other", "geohazard_prone", "mineral", "flood", "river_zone"}
    assert rules.approval.state_council_cultivated_ha == 35
    assert rules.approval.state_council_other_ha == 70
    assert rules.parcelling.targets_mu == (30.0, 50.0, 100.0)
    assert "Art. 46" in rules.sources["approval.state_council_other_ha"]
    assert rules.marks["approval.state_council_other_ha"] == "✅"
    assert rules.files == (str(DEFAULT_EXPANSION_RULES_PATH),)


def test_override_with_bare_and_sourced_values(tmp_path):
    path = write(tmp_path, "parcelling:\n  road_spacing_m: 300\n"
                           "costs:\n  main_cover_share: {value: 0.8, source: 本地规定}\n")
    rules = load_expansion_rules(path)
    assert rules.parcelling.road_spacing_m == 300
    assert rules.costs.main_cover_share == 0.8
    assert rules.sources["costs.main_cover_share"] == "本地规定"
    assert rules.sources["parcelling.road_spacing_m"] == f"override in {path.name}"
    # untouched values keep their defaults
    assert rules.parcelling.road_width_m == 24


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        ("parcelling:\n  area_tolerance: 0.0\n", "parcelling.area_tolerance", "in [0.01, 0.9]"),
        ("parcelling:\n  layout: spiral\n", "parcelling.layout", "one of grid, planned_roads"),
        ("parcelling:\n  targets_mu: [50, 30]\n", "parcelling.targets_mu", "increasing"),
        ("constraints:\n  hard_zone_kinds: [basic_farmland, moon]\n", "constraints.hard_zone_kinds", "'moon'"),
        ("costs:\n  pipe_wan_per_km: {oil: 3}\n", "costs.pipe_wan_per_km", "networks"),
        ("suitability:\n  criteria: [{name: a, measure: pipe_distance, influence: inverse, low: 0, high: 10,"
         " weight: 1}]\n", "suitability.criteria", "needs a connection"),
        ("suitability:\n  criteria: [{name: a, measure: road_distance, influence: ideal, low: 0, high: 10,"
         " weight: 1, ideal_from: 5, ideal_to: 11}]\n", "suitability.criteria", "ideal_from ≤ ideal_to"),
        ("suitability:\n  criteria: [{name: a, measure: road_distance, influence: inverse, low: 5, high: 5,"
         " weight: 1}]\n", "suitability.criteria", "entry 1"),
        ("demand:\n  default_industry: mining\n", "demand.default_industry", "general, light, heavy, logistics"),
        ("parcelling:\n  min_plot_mu: 30\n", "parcelling.min_plot_mu", "less than the smallest target (30 亩)"),
        ("parcelling:\n  spacing: 3\n", "parcelling.spacing", "unknown parameter"),
    ],
)
def test_bad_values_are_named(tmp_path, text, key, fragment):
    path = write(tmp_path, text)
    with pytest.raises(ExpansionRulesError) as caught:
        load_expansion_rules(path)
    problem = next(p for p in caught.value.problems if f": {key}:" in p)
    assert str(path) in problem
    assert fragment in problem


def test_boundaries_are_inclusive_where_the_file_says_so(tmp_path):
    # min_plot_mu just below the smallest target passes; equal to it fails (test above)
    rules = load_expansion_rules(write(tmp_path, "parcelling:\n  min_plot_mu: 29.99\n  area_tolerance: 0.01\n"))
    assert rules.parcelling.min_plot_mu == 29.99
    assert rules.parcelling.area_tolerance == 0.01


def test_every_problem_is_reported_at_once(tmp_path):
    path = write(tmp_path, "parcelling:\n  road_spacing_m: -1\n  max_aspect: 0\n")
    with pytest.raises(ExpansionRulesError) as caught:
        load_expansion_rules(path)
    assert len(caught.value.problems) == 2


def test_park_override_is_found_beside_the_park(tmp_path, monkeypatch):
    monkeypatch.delenv("PARKATLAS_EXPANSION_RULES", raising=False)
    park = tmp_path / "p.gpkg"
    assert expansion_rules_for_park(park).parcelling.road_spacing_m == 400
    (tmp_path / "p.expansion.yaml").write_text("parcelling:\n  road_spacing_m: 350\n", encoding="utf-8")
    assert expansion_rules_for_park(park).parcelling.road_spacing_m == 350
