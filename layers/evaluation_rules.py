"""Evaluation rules: the defaults of ``data/evaluation.yaml`` with per-park overrides.

The national land-use evaluation (开发区土地集约利用评价, TD/T 1029; DOMAIN-REPORTS.md §1):
which parcel statuses make each land-use status category, the zone-typing thresholds,
every indicator's direction, ideal value and weight per zone type with its source and
research mark, and the window of 尚可供地年数. :func:`load_evaluation_rules` reads the
defaults, merges an optional override over them, validates every parameter (all
problems at once, each naming file, key path, bad value and what is allowed) and
returns a typed, immutable :class:`EvaluationRules`; ``geo.evaluation`` takes it as
its ``rules=`` keyword argument and reads no file itself.

The file has the shape of ``data/rules.yaml``; the value checks, the YAML reader and
the merge are shared with :mod:`layers.rules`. Overrides are found as the path passed
in, the file named by ``PARKATLAS_EVALUATION_RULES``, or ``<park>.evaluation.yaml``
beside the park.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from layers.registry import get_layer
from layers.rules import (
    Check,
    RuleFamily,
    RulesError,
    check_choice,
    check_industrial_land_use,
    check_number,
    check_rule_files,
    check_subset,
    family_defaults,
    family_override,
    family_rules,
    register_family,
    rule_section,
    rule_sources,
)
from layers.schema import HISTORY_FIELD_NAMES

DEFAULT_EVALUATION_RULES_PATH = Path(__file__).resolve().parents[1] / "data" / "evaluation.yaml"
ENV_VAR = "PARKATLAS_EVALUATION_RULES"
SCHEMA = "parkatlas-evaluation-rules/1"
SUFFIX = ".evaluation.yaml"

#: Zone types (开发区类型): 工业主导型 and 产城融合型.
ZONE_TYPES = ("industrial", "integrated")
#: Every indicator the evaluation computes (DOMAIN-REPORTS.md §1.4), in report order.
INDICATORS = (
    "development_rate", "supply_rate", "built_rate", "industrial_rate", "comprehensive_far", "building_density",
    "industrial_far", "industrial_building_coef", "industrial_investment_intensity", "industrial_tax_per_ha",
    "comprehensive_tax_per_ha", "population_density", "idle_rate",
)
DIRECTIONS = ("positive", "negative")
MARKS = ("✅", "◐", "❓")
#: Indicators that are rates (0–1), whose negative standardisation is (1 − value) ÷ (1 − ideal).
RATE_INDICATORS = ("development_rate", "supply_rate", "built_rate", "industrial_rate", "building_density",
                   "industrial_building_coef", "idle_rate")
#: Idle statuses of ``geo.idle`` (kept here so that the rules do not import ``geo``).
IDLE_STATUSES = ("not_supplied", "on_track", "overdue", "idle_fee", "idle_reclaim", "stalled_idle", "exempt",
                 "started", "completed")
#: Weights of a zone type must sum to 1 within this (fractions in the file are exact; decimals are not).
WEIGHT_SUM_TOLERANCE = 1e-6


class EvaluationRulesError(RulesError):
    """An evaluation rules file is unreadable or holds bad values; ``problems`` lists each one."""

    what = "evaluation rules"


# -- typed rules ----------------------------------------------------------------


@dataclass(frozen=True)
class StatusRules:
    """Which register records make each land-use status category (DOMAIN-REPORTS.md §1.2)."""

    supplied_statuses: tuple[str, ...]
    built_statuses: tuple[str, ...]
    supplyable_statuses: tuple[str, ...]
    idle_statuses: tuple[str, ...]
    not_buildable_zone_kinds: tuple[str, ...]
    industrial_land_use: Mapping[str, tuple[str, ...]]
    residential_land_use: Mapping[str, tuple[str, ...]]
    counted_building_statuses: tuple[str, ...]
    #: The parcel date that makes a parcel *without a status* 已供应 (D) once it is on or before the day judged.
    supplied_date_without_status: str
    #: The parcel date that makes such a supplied parcel 已建成 (A) once it is on or before the day judged.
    built_date_without_status: str


@dataclass(frozen=True)
class ZoneTypeRules:
    """开发区类型 thresholds (DOMAIN-REPORTS.md §1.3)."""

    industrial_share_above: float
    residential_share_below: float
    other_as: str
    fixed: str | None


@dataclass(frozen=True)
class IndicatorRule:
    """One indicator: direction, ideal value and weight per zone type, source and research marks."""

    key: str
    direction: str
    ideal: Mapping[str, float | None]
    weight: Mapping[str, float]
    source: str
    status: str
    ideal_status: str


@dataclass(frozen=True)
class IndicatorRules:
    definitions: Mapping[str, IndicatorRule]


@dataclass(frozen=True)
class SupplyRules:
    years_of_supply_window: int


@dataclass(frozen=True)
class EvaluationRules:
    """Every evaluation rule in force; ``sources``/``marks`` by key path, ``files`` merged (defaults first)."""

    status: StatusRules
    zone_type: ZoneTypeRules
    indicators: IndicatorRules
    supply: SupplyRules
    sources: Mapping[str, str]
    marks: Mapping[str, str]
    files: tuple[str, ...]

    def indicator(self, key: str) -> IndicatorRule:
        return self.indicators.definitions[key]


# -- checks -----------------------------------------------------------------------


def _per_type(value, *, nullable: bool, low: float, high: float) -> tuple[dict | None, str | None]:
    what = f"{{industrial: x, integrated: x}} with x a number in [{low:g}, {high:g}]" + (" or null" if nullable else "")
    if not isinstance(value, Mapping) or set(value) != set(ZONE_TYPES):
        return None, what
    out = {}
    for zone_type in ZONE_TYPES:
        number, problem = check_number(low, high, nullable=nullable)(value[zone_type])
        if problem:
            return None, f"{what}; {zone_type} is {value[zone_type]!r}"
        out[zone_type] = number
    return out, None


def _definitions(value):
    keys = {"direction", "ideal", "weight", "source", "status", "ideal_status"}
    allowed = ("a mapping {indicator: {direction, ideal, weight, source, status, ideal_status}} with every "
               "indicator of " + ", ".join(INDICATORS) + "; direction one of " + ", ".join(DIRECTIONS)
               + "; status and ideal_status one of " + " ".join(MARKS))
    if not isinstance(value, Mapping) or set(value) != set(INDICATORS):
        missing = sorted(set(INDICATORS) - set(value)) if isinstance(value, Mapping) else []
        unknown = sorted(set(value) - set(INDICATORS)) if isinstance(value, Mapping) else []
        return None, f"{allowed} (missing: {', '.join(missing) or '—'}; unknown: {', '.join(unknown) or '—'})"
    out = {}
    for key in INDICATORS:
        spec = value[key]
        if not isinstance(spec, Mapping) or set(spec) != keys:
            return None, f"{allowed}; {key} is {spec!r}"
        if spec["direction"] not in DIRECTIONS:
            return None, f"{allowed}; {key}.direction is {spec['direction']!r}"
        for mark in ("status", "ideal_status"):
            if spec[mark] not in MARKS:
                return None, f"{allowed}; {key}.{mark} is {spec[mark]!r}"
        high = 1.0 if key in RATE_INDICATORS else 1e9
        ideal, problem = _per_type(spec["ideal"], nullable=True, low=0, high=high)
        if problem:
            return None, f"{key}.ideal: {problem}"
        if spec["direction"] == "positive" and any(v == 0 for v in ideal.values()):
            return None, f"{key}.ideal: a positive indicator's ideal above 0 (S = value ÷ ideal); got {ideal!r}"
        if spec["direction"] == "negative" and (key not in RATE_INDICATORS or any(v == 1 for v in ideal.values())):
            return None, (f"{key}.direction: negative only for a rate ({', '.join(RATE_INDICATORS)}) with ideal "
                          f"below 1 (S = (1 − value) ÷ (1 − ideal)); got ideal {ideal!r}")
        weight, problem = _per_type(spec["weight"], nullable=False, low=0, high=1)
        if problem:
            return None, f"{key}.weight: {problem}"
        out[key] = IndicatorRule(key, spec["direction"], MappingProxyType(ideal), MappingProxyType(weight),
                                 str(spec["source"]), spec["status"], spec["ideal_status"])
    return MappingProxyType(out), None


def _zone_type_or_null(value):
    return (value, None) if value is None or value in ZONE_TYPES else (None, "null or one of " + ", ".join(ZONE_TYPES))


_PARCEL_STATUSES = get_layer("parcels").field("status").allowed_values
_BUILDING_STATUSES = get_layer("buildings").field("status").allowed_values
_ZONE_KINDS = get_layer("zones").field("kind").allowed_values
#: The parcel dates a status may be told by: days in the world, never the register's own (first_added, last_updated,
#: retired_on: when the register learnt or changed a record, not when land was supplied or built).
PARCEL_WORLD_DATES = tuple(f.name for f in get_layer("parcels").fields
                           if f.kind == "date" and f.name not in HISTORY_FIELD_NAMES)

#: Every parameter: key path → check. The defaults file must define all of them.
PARAMETERS: dict[str, Check] = {
    "status.supplied_statuses": check_subset(_PARCEL_STATUSES, what="parcel statuses"),
    "status.built_statuses": check_subset(_PARCEL_STATUSES, what="parcel statuses"),
    "status.supplyable_statuses": check_subset(_PARCEL_STATUSES, what="parcel statuses"),
    "status.idle_statuses": check_subset(IDLE_STATUSES, what="idle statuses"),
    "status.not_buildable_zone_kinds": check_subset(_ZONE_KINDS, what="zone kinds"),
    "status.industrial_land_use": check_industrial_land_use,
    "status.residential_land_use": check_industrial_land_use,
    "status.counted_building_statuses": check_subset(_BUILDING_STATUSES, what="building statuses"),
    "status.supplied_date_without_status": check_choice(*PARCEL_WORLD_DATES),
    "status.built_date_without_status": check_choice(*PARCEL_WORLD_DATES),
    "zone_type.industrial_share_above": check_number(0, 1),
    "zone_type.residential_share_below": check_number(0, 1),
    "zone_type.other_as": check_choice(*ZONE_TYPES),
    "zone_type.fixed": _zone_type_or_null,
    "indicators.definitions": _definitions,
    "supply.years_of_supply_window": check_number(1, 50, integer=True),
}


def _cross_check(values: Mapping[str, object], origin: Mapping[str, Path]) -> list[str]:
    """Problems between parameters: nested categories, and each zone type's weights summing to 1."""
    problems = []
    status = values
    if not set(status["status.built_statuses"]) <= set(status["status.supplied_statuses"]):
        problems.append(f"{origin['status.built_statuses']}: status.built_statuses: got "
                        f"{list(status['status.built_statuses'])!r}; allowed: statuses among status.supplied_statuses "
                        f"(已建成 ⊂ 已供应, DOMAIN-REPORTS.md §1.2)")
    both = set(status["status.supplyable_statuses"]) & set(status["status.supplied_statuses"])
    if both:
        problems.append(f"{origin['status.supplyable_statuses']}: status.supplyable_statuses: got "
                        f"{sorted(both)!r} also in status.supplied_statuses; allowed: statuses not supplied")
    definitions = values["indicators.definitions"]
    for zone_type in ZONE_TYPES:
        total = sum(rule.weight[zone_type] for rule in definitions.values())
        if not math.isclose(total, 1.0, abs_tol=WEIGHT_SUM_TOLERANCE):
            weights = {key: rule.weight[zone_type] for key, rule in definitions.items() if rule.weight[zone_type]}
            problems.append(f"{origin['indicators.definitions']}: indicators.definitions: the {zone_type} weights "
                            f"sum to {total:.6g} ({weights}); allowed: weights summing to 1")
    return problems


def load_evaluation_rules(override: str | os.PathLike | None = None, *, inline: Mapping | None = None,
                          defaults: str | os.PathLike = DEFAULT_EVALUATION_RULES_PATH) -> EvaluationRules:
    """Read the default evaluation rules, merge the park's own ``inline`` override and ``override`` over them,
    validate, and type (the same machinery as every rule family, :class:`layers.rules.RuleFamily`).

    Raises
    ------
    EvaluationRulesError
        Naming file, key path, bad value and what is allowed, for every problem.
    """
    paths = rule_sources(defaults, override, inline, family="evaluation")
    merged = check_rule_files(paths, parameters=PARAMETERS, schema=SCHEMA, error=EvaluationRulesError,
                              cross_check=_cross_check)
    values = merged.values
    return EvaluationRules(
        status=rule_section(values, "status", StatusRules),
        zone_type=rule_section(values, "zone_type", ZoneTypeRules),
        indicators=rule_section(values, "indicators", IndicatorRules),
        supply=rule_section(values, "supply", SupplyRules),
        sources=MappingProxyType(merged.sources),
        marks=MappingProxyType(merged.marks),
        files=tuple(str(p) for p in paths),
    )


FAMILY = register_family(RuleFamily("evaluation", ENV_VAR, SUFFIX, load_evaluation_rules))


def override_path_for_park(park_path: str | os.PathLike | None) -> Path | None:
    """The override in force: ``PARKATLAS_EVALUATION_RULES``, else ``<park>.evaluation.yaml`` if it exists."""
    return family_override(FAMILY, park_path)


def evaluation_rules_for_park(park_path: str | os.PathLike | None = None) -> EvaluationRules:
    """The evaluation rules in force for a park (defaults + its override), cached per file version."""
    return family_rules(FAMILY, park_path)


def default_evaluation_rules() -> EvaluationRules:
    """The national defaults alone (cached)."""
    return family_defaults(FAMILY)
