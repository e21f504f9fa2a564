"""The infrastructure rules file: national defaults, park overrides, and clear rejections."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from layers.infra_rules import (
    DEFAULT_INFRA_RULES_PATH,
    ENV_VAR,
    InfraRulesError,
    default_infra_rules,
    infra_rules_for_park,
    load_infra_rules,
    override_path_for_park,
)
from layers.rules import RulesError


def write(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def defaults_without(tmp_path: Path, section: str, key: str) -> Path:
    data = yaml.safe_load(DEFAULT_INFRA_RULES_PATH.read_text(encoding="utf-8"))
    del data[section][key]
    return write(tmp_path, "defaults.yaml", data)


def test_defaults_carry_the_domain_numbers():
    rules = default_infra_rules()
    assert rules.served.extra_distance_m == 10.0
    assert rules.served.pipe_statuses == ("in_service",)
    assert rules.served.sources["water_supply"].min_diameter_mm == 150.0
    assert rules.served.sources["gas"].pressure_classes == ("medium_b", "medium_a")
    assert rules.served.sources["power"].voltage_kv == (10.0,)
    assert rules.served.sources["sewer"].networks == ("sewer", "combined")
    assert rules.readiness.default_template == "七通一平"
    assert [t.label for t in rules.readiness.templates] == ["三通一平", "四通一平", "五通一平", "七通一平", "九通一平"]
    seven = rules.readiness.template()
    assert set(seven.requires) == {"water_supply", "rain", "sewer", "power", "telecom", "road", "gas", "heat",
                                   "site_levelled"}
    assert set(rules.readiness.template("三通一平").requires) == {"water_supply", "power", "road", "site_levelled"}
    assert rules.roads.ready_statuses == ("temporary_surface", "completed")
    assert "planned" not in rules.roads.network_statuses


@pytest.mark.parametrize(("classes", "expected_m"), [
    ("water_small", 1.0), ("water_large", 3.0), ("drain", 2.5), ("gas_low", 0.7), ("gas_medium_b", 1.0),
    ("gas_medium_a", 1.5), ("gas_subhigh_b", 5.0), ("gas_subhigh_a", 13.5), ("power", 0.6), ("telecom", 1.0),
    ("telecom_duct", 1.5),
])
def test_pipe_building_table_matches_domain_8_3(classes, expected_m):
    rules = default_infra_rules()
    entries = [rule for rule in rules.clearance.pipe_building if classes in rule.classes]
    assert len(entries) == 1
    assert entries[0].min_m == expected_m


@pytest.mark.parametrize(("a", "b", "expected_m"), [
    ("water_small", "drain", 1.0), ("water_large", "drain", 1.5), ("water_small", "gas_medium_b", 0.5),
    ("water_large", "gas_subhigh_b", 1.0), ("water_small", "gas_subhigh_a", 1.5), ("water_small", "heat", 1.5),
    ("water_small", "power", 0.5), ("water_small", "telecom", 1.0), ("drain", "gas_low", 1.0),
    ("drain", "gas_medium_a", 1.2), ("drain", "gas_subhigh_b", 1.5), ("drain", "gas_subhigh_a", 2.0),
    ("drain", "heat", 1.5), ("drain", "power", 0.5), ("drain", "telecom", 1.0), ("gas_medium_b", "heat", 1.0),
    ("gas_low", "power", 0.5), ("gas_medium_a", "telecom", 0.5), ("gas_subhigh_b", "heat", 1.5),
    ("gas_subhigh_b", "power", 1.0), ("gas_subhigh_a", "heat", 2.0), ("gas_subhigh_a", "telecom", 1.5),
    ("heat", "power", 2.0), ("heat", "telecom", 1.0), ("power", "telecom", 0.5),
])
def test_pipe_pipe_table_matches_domain_8_4_both_ways(a, b, expected_m):
    rules = default_infra_rules()
    for first, second in ((a, b), (b, a)):
        found = [r.min_m for r in rules.clearance.pipe_pipe
                 if (first in r.a and second in r.b) or (first in r.b and second in r.a)]
        assert found == [expected_m]


def test_every_parameter_keeps_its_source_and_mark():
    rules = default_infra_rules()
    assert rules.sources["served.extra_distance_m"].startswith("DOMAIN.md §8.6")
    assert rules.marks["served.extra_distance_m"] == "❓"
    assert rules.marks["readiness.default_template"] == "✅"
    assert all(rules.sources.values())
    assert rules.files == (str(DEFAULT_INFRA_RULES_PATH),)


def test_override_with_bare_value_and_with_source(tmp_path):
    override = write(tmp_path, "park.infrastructure.yaml", {
        "served": {"extra_distance_m": 15},
        "readiness": {"default_template": {"value": "五通一平", "source": "某园区招商手册"}},
        "roads": {"destinations": ["park_gate"]},
    })
    rules = load_infra_rules(override)
    # A local value carries no national research mark.
    assert default_infra_rules().marks["roads.destinations"] == "✅"
    assert rules.marks["roads.destinations"] == "❓"
    assert rules.marks["readiness.default_template"] == "❓"
    assert rules.roads.destinations == ("park_gate",)
    assert rules.served.extra_distance_m == 15.0
    assert rules.sources["served.extra_distance_m"] == "override in park.infrastructure.yaml"
    assert rules.readiness.default_template == "五通一平"
    assert rules.sources["readiness.default_template"] == "某园区招商手册"
    # Untouched parameters keep their defaults.
    assert rules.served.sources["gas"].pressure_classes == ("medium_b", "medium_a")
    assert rules.files == (str(DEFAULT_INFRA_RULES_PATH), str(override))


def test_override_list_replaces_the_whole_list(tmp_path):
    override = write(tmp_path, "o.yaml", {"readiness": {"templates": [
        {"label": "三通一平", "requires": ["water_supply", "power", "road"]}],
        "default_template": "三通一平"}})
    rules = load_infra_rules(override)
    assert [t.label for t in rules.readiness.templates] == ["三通一平"]
    assert rules.readiness.template().requires == ("water_supply", "power", "road")


def test_every_problem_is_reported_with_file_key_value_and_allowed(tmp_path):
    override = write(tmp_path, "bad.yaml", {
        "served": {"extra_distance_m": "ten", "sources": {"gas": {"networks": ["natural_gas"]}}},
        "roads": {"ready_statuses": ["paved"], "colour": "red"},
        "pipes": {},
    })
    with pytest.raises(InfraRulesError) as caught:
        load_infra_rules(override)
    problems = caught.value.problems
    text = "\n".join(problems)
    assert len(problems) == 5
    assert f"{override}: served.extra_distance_m: got 'ten'; allowed: a number in [0, 1000]" in text
    assert "served.sources: got" in text and "'natural_gas'" in text and "water_supply" in text
    assert "roads.ready_statuses: got ['paved']" in text and "temporary_surface" in text
    assert "roads.colour: unknown parameter; allowed: ready_statuses" in text
    assert "pipes: unknown section; allowed: schema, clearance, readiness, reporting, roads, served" in text
    assert isinstance(caught.value, RulesError)
    assert str(caught.value).startswith("infrastructure rules rejected:")


@pytest.mark.parametrize(("override", "expected"), [
    ({"readiness": {"default_template": "十通一平"}},
     "readiness.default_template: got '十通一平'; allowed: 三通一平, 四通一平"),
    ({"readiness": {"templates": [{"label": "三通一平", "requires": ["water", "power"]}]}},
     "entry 1, requires: got ['water', 'power']"),
    ({"clearance": {"pipe_building": [{"classes": ["steam"], "min_m": 1.0}]}},
     "clearance.pipe_building: got ('steam',); allowed: class names from clearance.classes"),
    ({"clearance": {"pipe_pipe": [{"a": ["drain"], "b": ["power"], "min_m": 0.5},
                                  {"a": ["power"], "b": ["drain"], "min_m": 0.6}]}},
     "each pair of classes in one entry"),
    ({"clearance": {"pipe_pipe": [{"a": ["drain"], "b": ["power"], "min_m": -1}]}},
     "entry 1, min_m: got -1; allowed: a number in [0, 100]"),
    ({"clearance": {"measure_from": "inner_wall"}},
     "clearance.measure_from: got 'inner_wall'; allowed: one of outer_wall, centreline"),
    ({"reporting": {"diameter_bands_mm": [{"band": "a", "max_mm": 300}, {"band": "b", "max_mm": 100},
                                          {"band": "c", "max_mm": None}]}},
     "bands with increasing max_mm"),
    ({"roads": {"default_width_m": {"arterial": 40}}},
     "roads.default_width_m: got {'arterial': 40}; allowed: a mapping {grade: width in m > 0}"),
    ({"served": {"networks": ["water_supply", "steam"]}},
     "served.networks: got ['water_supply', 'steam']"),
    ({"schema": "parkatlas-land-rules/1"}, "schema: got 'parkatlas-land-rules/1'"),
])
def test_bad_values_are_named(tmp_path, override, expected):
    path = write(tmp_path, "bad.yaml", override)
    with pytest.raises(InfraRulesError) as caught:
        load_infra_rules(path)
    assert expected in str(caught.value)
    assert str(path) in str(caught.value)


def test_network_listed_without_a_source_is_rejected(tmp_path):
    path = write(tmp_path, "o.yaml", {"served": {"sources": {"water_supply": {"networks": ["water_supply"]}}}})
    with pytest.raises(InfraRulesError, match="served.networks: got .*allowed: connections listed in served.sources"):
        load_infra_rules(path)


def test_defaults_must_define_every_parameter(tmp_path):
    defaults = defaults_without(tmp_path, "served", "extra_distance_m")
    with pytest.raises(InfraRulesError, match="served.extra_distance_m: missing; every parameter needs a default"):
        load_infra_rules(defaults=defaults)


def test_defaults_need_full_parameter_mappings(tmp_path):
    data = yaml.safe_load(DEFAULT_INFRA_RULES_PATH.read_text(encoding="utf-8"))
    data["served"]["extra_distance_m"] = 10
    path = write(tmp_path, "defaults.yaml", data)
    with pytest.raises(InfraRulesError, match="must be a mapping with value, unit, source, status; got 10"):
        load_infra_rules(defaults=path)


def test_unreadable_and_invalid_files_are_named(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("served: [unclosed", encoding="utf-8")
    with pytest.raises(InfraRulesError, match="broken.yaml: not valid YAML"):
        load_infra_rules(broken)
    with pytest.raises(InfraRulesError, match="absent.yaml: cannot be read"):
        load_infra_rules(tmp_path / "absent.yaml")


def test_park_override_beside_the_park_and_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    park = tmp_path / "park.gpkg"
    assert override_path_for_park(park) is None
    assert infra_rules_for_park(park).served.extra_distance_m == 10.0
    beside = write(tmp_path, "park.infrastructure.yaml", {"served": {"extra_distance_m": 12}})
    assert override_path_for_park(park) == beside
    assert infra_rules_for_park(park).served.extra_distance_m == 12.0
    elsewhere = write(tmp_path, "elsewhere.yaml", {"served": {"extra_distance_m": 7}})
    monkeypatch.setenv(ENV_VAR, str(elsewhere))
    assert infra_rules_for_park(park).served.extra_distance_m == 7.0


def test_unknown_template_is_a_key_error_listing_labels():
    with pytest.raises(KeyError, match="unknown readiness template '十通一平'; allowed: 三通一平"):
        default_infra_rules().readiness.template("十通一平")
