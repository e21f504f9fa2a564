"""The land rules file: national defaults with sources, park overrides, validation messages."""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from layers.rules import (
    DEFAULT_RULES_PATH,
    PARAMETERS,
    RulesError,
    load_rules,
    override_path_for_park,
    rules_for_park,
)


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_hold_the_national_numbers_of_domain_md():
    rules = load_rules()
    assert rules.control.building_coef_min == 0.30
    assert rules.control.admin_share_max == 0.07
    assert rules.control.green_ratio_max == 0.20
    assert rules.control.double_count_storey_height_m == 8.0
    assert rules.idle.fee_after_years == 1
    assert rules.idle.reclaim_after_years == 2
    assert rules.idle.fee_rate == 0.20
    assert rules.idle.stalled_developed_share_min == 1 / 3  # "1/3" is read as the exact third
    assert rules.idle.stalled_invested_share_min == 0.25
    assert rules.idle.stalled_suspension_years == 1
    assert rules.idle.exempt_causes == ("GOV-1", "GOV-2", "GOV-3", "GOV-4", "GOV-5", "GOV-6", "FM")
    assert dict(rules.muju.bands) == {"A": 0.20, "B": 0.60, "C": 0.95, "D": 1.00}
    weights = {i.name: i.weight for i in rules.muju.indicators["above_scale"]}
    assert weights == {"tax_per_mu_wan": 30, "value_added_per_mu_wan": 20, "value_added_per_tce_wan": 20,
                       "value_added_per_t_emission_wan": 10, "labour_productivity_wan": 10, "rd_share": 10}


def test_far_table_is_edition_aware():
    tables = load_rules().control.far_min_by_industry
    # 2002 division 30 is plastics (1.0); in 2017 division 30 is non-metallic minerals (2002's 31, 0.7).
    assert tables["GB/T4754-2002"]["30"] == 1.0
    assert tables["GB/T4754-2017"]["30"] == 0.7
    assert tables["GB/T4754-2002"]["25"] == 0.5
    assert "38" not in tables["GB/T4754-2002"]  # GB/T 4754-2002 has no division 38
    assert "43" not in tables["GB/T4754-2017"]  # repair services: no 2008 row


def test_every_parameter_has_a_default_with_a_source_unit_and_status():
    data = yaml.safe_load(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    for key in PARAMETERS:
        section, name = key.split(".")
        entry = data[section][name]
        assert entry.get("source"), f"{key} has no source"
        assert entry.get("unit"), f"{key} has no unit"
        assert entry.get("status") in ("✅", "◐", "❓"), f"{key} has no research status"
    assert load_rules().sources["idle.fee_rate"].startswith("53号令")


def test_rules_are_immutable():
    rules = load_rules()
    with pytest.raises(dataclasses.FrozenInstanceError):
        rules.idle.fee_rate = 0.5
    with pytest.raises(TypeError):
        rules.control.far_min_by_industry["GB/T4754-2017"]["13"] = 0.1


def test_override_with_bare_value_and_with_mapping(tmp_path):
    park_rules = write(tmp_path / "park.rules.yaml", """
idle:
  fee_rate: 0.15
control:
  building_coef_min: {value: 0.40, source: "2023 revision as adopted by the city"}
""")
    rules = load_rules(park_rules)
    assert rules.idle.fee_rate == 0.15
    assert rules.control.building_coef_min == 0.40
    assert rules.idle.reclaim_after_years == 2  # untouched defaults stay
    assert rules.sources["idle.fee_rate"] == "override in park.rules.yaml"
    assert rules.sources["control.building_coef_min"] == "2023 revision as adopted by the city"
    assert rules.files == (str(DEFAULT_RULES_PATH), str(park_rules))


def test_bad_override_reports_every_problem_with_file_key_value_and_allowed(tmp_path):
    park_rules = write(tmp_path / "bad.yaml", """
idle:
  fee_rate: 1.5
  developed_area_basis: footprint
  tenures: [granted, bought]
muju:
  bands: {A: 0.5, B: 0.4, C: 0.95, D: 1.0}
vacancy:
  trend_monthz: 12
zoning:
  x: 1
""")
    with pytest.raises(RulesError) as caught:
        load_rules(park_rules)
    problems = caught.value.problems
    text = str(caught.value)
    assert len(problems) == 6
    assert f"{park_rules}: idle.fee_rate: got 1.5; allowed: a number in [0, 1]" in problems
    assert any("idle.developed_area_basis: got 'footprint'; allowed: one of land_area, floor_area" in p
               for p in problems)
    assert "'bought' unknown" in text
    assert "muju.bands" in text and "increasing from A to D" in text
    assert "vacancy.trend_monthz: unknown parameter; allowed: leasable_unit_statuses, trend_months" in text
    assert "zoning: unknown section" in text


def test_reclaim_period_must_exceed_fee_period(tmp_path):
    park_rules = write(tmp_path / "p.yaml", "idle:\n  reclaim_after_years: 1\n")
    with pytest.raises(RulesError, match="idle.reclaim_after_years: got 1; allowed: more than idle.fee_after_years"):
        load_rules(park_rules)


def test_unreadable_and_malformed_files_are_named(tmp_path):
    with pytest.raises(RulesError, match="missing.yaml: cannot be read"):
        load_rules(tmp_path / "missing.yaml")
    broken = write(tmp_path / "broken.yaml", "idle: [fee_rate: 0.2\n")
    with pytest.raises(RulesError, match="broken.yaml: not valid YAML"):
        load_rules(broken)
    listed = write(tmp_path / "list.yaml", "- 1\n- 2\n")
    with pytest.raises(RulesError, match="the top level must be a mapping"):
        load_rules(listed)


def test_defaults_file_must_define_every_parameter(tmp_path):
    data = yaml.safe_load(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    del data["idle"]["fee_rate"]
    partial = write(tmp_path / "defaults.yaml", yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(RulesError, match="idle.fee_rate: missing; every parameter needs a default"):
        load_rules(defaults=partial)


def test_muju_indicator_table_is_checked(tmp_path):
    park_rules = write(tmp_path / "p.yaml", """
muju:
  indicators:
    above_scale:
      tax_per_acre: {weight: 30}
""")
    with pytest.raises(RulesError, match="got above_scale.tax_per_acre"):
        load_rules(park_rules)
    fixed = write(tmp_path / "q.yaml", """
muju:
  indicators:
    above_scale:
      tax_per_mu_wan: {weight: 60, benchmark: 20}
      rd_share: {weight: 40, benchmark: null}
""")
    rules = load_rules(fixed)
    assert [(i.name, i.weight, i.benchmark) for i in rules.muju.indicators["above_scale"]] == [
        ("tax_per_mu_wan", 60.0, 20.0), ("rd_share", 40.0, None)]


def test_override_found_beside_the_park_or_through_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("PARKATLAS_RULES", raising=False)
    park = tmp_path / "east.gpkg"
    assert override_path_for_park(park) is None
    beside = write(tmp_path / "east.rules.yaml", "idle:\n  fee_rate: 0.1\n")
    assert override_path_for_park(park) == beside
    assert rules_for_park(park).idle.fee_rate == 0.1
    elsewhere = write(tmp_path / "other.yaml", "idle:\n  fee_rate: 0.05\n")
    monkeypatch.setenv("PARKATLAS_RULES", str(elsewhere))
    assert override_path_for_park(park) == elsewhere
    assert rules_for_park(park).idle.fee_rate == 0.05
    # An edited override is read again (cached per file version).
    write(elsewhere, "idle:\n  fee_rate: 0.07\n  fee_after_years: 1\n")
    assert rules_for_park(park).idle.fee_rate == 0.07
