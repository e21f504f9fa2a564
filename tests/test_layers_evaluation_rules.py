"""The evaluation rules (data/evaluation.yaml): the defaults load, bad values are refused naming them."""

from __future__ import annotations

import math

import pytest

from layers.evaluation_rules import (
    INDICATORS,
    EvaluationRulesError,
    default_evaluation_rules,
    load_evaluation_rules,
)


def test_the_defaults_load_with_every_indicator_and_weights_summing_to_one():
    rules = default_evaluation_rules()
    assert set(rules.indicators.definitions) == set(INDICATORS)
    for zone_type in ("industrial", "integrated"):
        assert math.isclose(sum(r.weight[zone_type] for r in rules.indicators.definitions.values()), 1.0)
    # W15's example set: 0.7 × 0.25 × 0.5 for the supply rate of an industry-led zone.
    assert rules.indicator("supply_rate").weight["industrial"] == pytest.approx(0.0875)
    assert rules.zone_type.industrial_share_above == 0.30
    assert rules.zone_type.residential_share_below == 0.25
    assert rules.supply.years_of_supply_window == 3
    # Every ideal value is a placeholder: the marks say so.
    assert {r.ideal_status for r in rules.indicators.definitions.values()} == {"❓"}
    assert rules.marks["status.supplyable_statuses"] == "❓"
    # A parcel without a status is supplied by its contract date, built by its completion date (an inference: ❓).
    assert (rules.status.supplied_date_without_status, rules.status.built_date_without_status) == (
        "contract_date", "actual_completion_date")
    assert rules.marks["status.supplied_date_without_status"] == "❓"


def write(tmp_path, text: str):
    path = tmp_path / "park.evaluation.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def refused(tmp_path, text: str) -> str:
    with pytest.raises(EvaluationRulesError) as caught:
        load_evaluation_rules(write(tmp_path, text))
    return str(caught.value)


def test_an_override_replaces_a_value_and_keeps_its_source(tmp_path):
    rules = load_evaluation_rules(write(tmp_path, "supply:\n  years_of_supply_window: {value: 5, source: KFQ24}\n"
                                                  "zone_type:\n  fixed: industrial\n"))
    assert rules.supply.years_of_supply_window == 5
    assert rules.sources["supply.years_of_supply_window"] == "KFQ24"
    assert rules.zone_type.fixed == "industrial"


def test_a_share_outside_zero_to_one_is_refused_naming_file_key_value_and_range(tmp_path):
    message = refused(tmp_path, "zone_type:\n  industrial_share_above: 1.5\n")
    assert "park.evaluation.yaml" in message
    assert "zone_type.industrial_share_above" in message
    assert "1.5" in message and "[0, 1]" in message


@pytest.mark.parametrize(("text", "named"), [
    ("supply:\n  years_of_supply_window: 0\n", "supply.years_of_supply_window: got 0"),
    ("zone_type:\n  fixed: mixed\n", "zone_type.fixed: got 'mixed'; allowed: null or one of industrial, integrated"),
    ("status:\n  supplied_statuses: [supplied, sold]\n", "'sold'"),
    ("status:\n  built_statuses: [completed, approved_unsupplied]\n", "已建成 ⊂ 已供应"),
    ("status:\n  supplyable_statuses: [supplied]\n", "also in status.supplied_statuses"),
    ("supply:\n  horizon: 3\n", "supply.horizon: unknown parameter"),
    ("status:\n  supplied_date_without_status: status\n",
     "status.supplied_date_without_status: got 'status'; allowed: one of contract_date, agreed_start_date"),
    ("status:\n  built_date_without_status: 2025-12-31\n", "status.built_date_without_status: got"),
])
def test_bad_values_are_refused_naming_them(tmp_path, text, named):
    assert named in refused(tmp_path, text)


def indicators_with(change: dict) -> str:
    """An override of the whole indicator table (a mapping value is replaced as a whole) with ``change``."""
    import yaml

    table = {key: {"direction": r.direction, "ideal": dict(r.ideal), "weight": dict(r.weight), "source": r.source,
                   "status": r.status, "ideal_status": r.ideal_status}
             for key, r in default_evaluation_rules().indicators.definitions.items()}
    for key, spec in change.items():
        table[key] = {**table[key], **spec}
    return yaml.safe_dump({"indicators": {"definitions": table}}, allow_unicode=True)


def test_weights_not_summing_to_one_are_refused_with_the_sum(tmp_path):
    message = refused(tmp_path, indicators_with({"idle_rate": {"weight": {"industrial": 0.2, "integrated": 0.1}}}))
    assert "the industrial weights sum to 1.1" in message and "allowed: weights summing to 1" in message


@pytest.mark.parametrize(("change", "named"), [
    ({"idle_rate": {"direction": "downward"}}, "idle_rate.direction is 'downward'"),
    ({"supply_rate": {"ideal": {"industrial": 1.2, "integrated": 0.9}}}, "supply_rate.ideal"),
    ({"supply_rate": {"ideal": {"industrial": 0, "integrated": 0.9}}}, "positive indicator's ideal above 0"),
    ({"comprehensive_far": {"direction": "negative"}}, "negative only for a rate"),
    ({"built_rate": {"status": "sure"}}, "built_rate.status is 'sure'"),
])
def test_a_bad_indicator_is_refused_naming_it(tmp_path, change, named):
    message = refused(tmp_path, indicators_with(change))
    assert "indicators.definitions" in message and named in message


def test_every_problem_is_reported_at_once_and_bad_yaml_names_the_file(tmp_path):
    with pytest.raises(EvaluationRulesError) as caught:
        load_evaluation_rules(write(tmp_path, "zone_type:\n  industrial_share_above: -1\n  other_as: mixed\n"))
    assert len(caught.value.problems) == 2
    assert str(caught.value).startswith("evaluation rules rejected")
    assert "not valid YAML" in refused(tmp_path, "zone_type: [unclosed\n")
    assert "schema: got 'parkatlas-land-rules/1'" in refused(tmp_path, "schema: parkatlas-land-rules/1\n")


def test_the_park_override_is_found_beside_the_park_or_by_the_environment(tmp_path, monkeypatch):
    from layers.evaluation_rules import evaluation_rules_for_park

    monkeypatch.delenv("PARKATLAS_EVALUATION_RULES", raising=False)
    park = tmp_path / "p.gpkg"
    assert evaluation_rules_for_park(park).supply.years_of_supply_window == 3
    (tmp_path / "p.evaluation.yaml").write_text("supply:\n  years_of_supply_window: 5\n", encoding="utf-8")
    assert evaluation_rules_for_park(park).supply.years_of_supply_window == 5
    elsewhere = tmp_path / "other.yaml"
    elsewhere.write_text("supply:\n  years_of_supply_window: 4\n", encoding="utf-8")
    monkeypatch.setenv("PARKATLAS_EVALUATION_RULES", str(elsewhere))
    assert evaluation_rules_for_park(park).supply.years_of_supply_window == 4
