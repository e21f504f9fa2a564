"""Expansion rules: the defaults of ``data/expansion.yaml`` with per-park overrides.

:func:`load_expansion_rules` reads the defaults, merges an optional override file
over them, validates every parameter (all problems at once, each naming file, key
path, bad value and what is allowed) and returns a typed, immutable
:class:`ExpansionRules`. The ``geo`` expansion functions (constraints,
suitability, parcelling, infrastructure needs, site search) take it as their
``rules=`` keyword argument; nothing in ``geo`` reads the file itself.

The file has the shape of ``data/rules.yaml`` and ``data/infrastructure.yaml``;
the value checks, the YAML reader and the file merge are shared with
:mod:`layers.rules`. Override files are found, in order, as the path passed in,
the file named by ``PARKATLAS_EXPANSION_RULES``, or ``<park>.expansion.yaml``
beside the park.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from layers.infra_rules import CONNECTIONS, MARKS
from layers.landuse import LAND_USE_STANDARDS
from layers.registry import get_layer
from layers.rules import (
    Check,
    RuleFamily,
    RulesError,
    check_choice,
    check_flag,
    check_number,
    check_rule_files,
    check_subset,
    family_defaults,
    family_rules,
    register_family,
    rule_section,
    rule_sources,
)
from layers.rules import override_path_for_park as _override_path

DEFAULT_EXPANSION_RULES_PATH = Path(__file__).resolve().parents[1] / "data" / "expansion.yaml"
ENV_VAR = "PARKATLAS_EXPANSION_RULES"
SCHEMA = "parkatlas-expansion-rules/1"
SUFFIX = ".expansion.yaml"

#: How a criterion's raw value becomes a 0–10 score.
INFLUENCES = ("positive", "inverse", "ideal")
#: What a criterion measures per grid cell.
MEASURES = ("road_distance", "pipe_distance", "facility_distance", "industrial_share", "soft_penalty")
LAYOUTS = ("grid", "planned_roads")
SOFT_KINDS = ("forest_other", "geohazard_prone", "mineral", "flood", "river_zone")
SITE_WEIGHTS = ("area", "connections", "highway")

_ZONE_KINDS = get_layer("zones").field("kind").allowed_values
_PARCEL_STATUSES = get_layer("parcels").field("status").allowed_values
_ROAD_STATUSES = get_layer("roads").field("status").allowed_values
_ROAD_GRADES = get_layer("roads").field("grade").allowed_values
_FACILITY_KINDS = get_layer("facilities").field("kind").allowed_values
_NETWORKS = get_layer("pipelines").field("network").allowed_values


class ExpansionRulesError(RulesError):
    """An expansion rules file is unreadable or holds bad values; ``problems`` lists each one."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        ValueError.__init__(self, "expansion rules rejected:\n" + "\n".join(f"  - {p}" for p in problems))


# -- typed rules ----------------------------------------------------------------


@dataclass(frozen=True)
class SoftConstraint:
    """A zone kind that warns: the approval or assessment it needs and its suitability penalty (0–10)."""

    kind: str
    approval_zh: str
    approval_en: str
    penalty: float
    source: str
    status: str


@dataclass(frozen=True)
class ConstraintRules:
    """Hard and soft constraints of an expansion area (DOMAIN.md §7)."""

    hard_zone_kinds: tuple[str, ...]
    outside_urban_boundary: bool
    existing_parcel_statuses: tuple[str, ...]
    road_reserve_statuses: tuple[str, ...]
    road_control_strip_m: Mapping[str, float]
    soft: Mapping[str, SoftConstraint]
    water_buffer_m: float


@dataclass(frozen=True)
class ApprovalRules:
    """Who approves an expropriation (土地管理法 Art. 46)."""

    state_council_cultivated_ha: float
    state_council_other_ha: float
    cultivated_zone_kinds: tuple[str, ...]


@dataclass(frozen=True)
class Criterion:
    """One suitability criterion: what it measures and how the value becomes 0–10."""

    name: str
    measure: str
    influence: str
    low: float
    high: float
    weight: float
    ideal_from: float | None = None
    ideal_to: float | None = None
    connection: str | None = None
    facility: str | None = None


@dataclass(frozen=True)
class SuitabilityRules:
    cell_m: float
    include_planned_roads: bool
    industrial_radius_m: float
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class ParcellingRules:
    layout: str
    road_spacing_m: float
    road_width_m: float
    road_grade: str
    targets_mu: tuple[float, ...]
    area_tolerance: float
    min_plot_mu: float
    max_aspect: float
    min_fill: float
    min_frontage_m: float
    access_grades: tuple[str, ...]
    drop_parallel_share: float


@dataclass(frozen=True)
class CostRules:
    road_wan_per_km: Mapping[str, float]
    road_remaining_share: Mapping[str, float]
    pipe_wan_per_km: Mapping[str, float]
    main_cover_share: float


@dataclass(frozen=True)
class Demand:
    """Demand per 亩 of plot for one industry."""

    industry: str
    label_zh: str
    label_en: str
    sewage_m3_d: float
    power_mva: float


@dataclass(frozen=True)
class DemandRules:
    per_mu: Mapping[str, Demand]
    default_industry: str
    existing_statuses: tuple[str, ...]
    capacity_units: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class LandUseClass:
    """A land-use class an investor asks for: code prefixes per classification system."""

    name: str
    label_zh: str
    label_en: str
    prefixes: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class SiteSearchRules:
    land_statuses: tuple[str, ...]
    land_use_classes: Mapping[str, LandUseClass]
    include_planned_roads: bool
    weights: Mapping[str, float]
    max_results: int


@dataclass(frozen=True)
class ExpansionRules:
    """Every expansion rule in force, with where each value came from.

    ``sources`` and ``marks`` map a key path (``parcelling.road_spacing_m``) to its
    source text and research mark (✅/◐/❓); ``files`` lists the files merged, defaults first.
    """

    constraints: ConstraintRules
    approval: ApprovalRules
    suitability: SuitabilityRules
    parcelling: ParcellingRules
    costs: CostRules
    demand: DemandRules
    site_search: SiteSearchRules
    sources: Mapping[str, str]
    marks: Mapping[str, str]
    files: tuple[str, ...]


# -- checks of the structured parameters ---------------------------------------------


def _number_map(keys: tuple[str, ...], *, required: tuple[str, ...] = (), low: float = 0,
                high: float | None = None, what: str) -> Check:
    """A mapping {key: number in [low, high]} over ``keys`` that holds every ``required`` key."""
    bound = f"a number ≥ {low:g}" if high is None else f"a number in [{low:g}, {high:g}]"
    allowed = f"a mapping {{{what}: {bound}}} with {what}s " + ", ".join(keys)
    if required:
        allowed += " (" + ", ".join(required) + " required)"

    def check(value):
        if not isinstance(value, Mapping) or not set(value) <= set(keys) or not set(required) <= set(value):
            return None, allowed
        out = {}
        for key, raw in value.items():
            number, problem = check_number(low, high)(raw)
            if problem:
                return None, f"{allowed}; {key} is {raw!r}"
            out[key] = number
        return MappingProxyType(out), None

    return check


def _text_field(entry: Mapping, key: str) -> str | None:
    value = entry.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _soft(value):
    allowed = ("a mapping {zone kind: {approval_zh, approval_en, penalty 0–10, source, status}} with kinds "
               + ", ".join(SOFT_KINDS))
    if not isinstance(value, Mapping) or not set(value) <= set(SOFT_KINDS):
        return None, allowed
    out = {}
    for kind, spec in value.items():
        keys = {"approval_zh", "approval_en", "penalty", "source", "status"}
        if not isinstance(spec, Mapping) or not {"approval_zh", "approval_en", "penalty"} <= set(spec) \
                or set(spec) - keys:
            return None, f"{allowed}; {kind} is {spec!r}"
        penalty, problem = check_number(0, 10)(spec["penalty"])
        texts = [_text_field(spec, k) for k in ("approval_zh", "approval_en")]
        status = spec.get("status", "❓")
        if problem or None in texts or status not in MARKS:
            return None, f"{allowed}; {kind} is {dict(spec)!r}"
        out[kind] = SoftConstraint(kind, texts[0], texts[1], penalty, str(spec.get("source", "")), status)
    return MappingProxyType(out), None


def _criteria(value):
    allowed = ("a non-empty list of criteria, each {name, measure, influence, low, high, weight > 0} with measure one "
               "of " + ", ".join(MEASURES) + ", influence one of " + ", ".join(INFLUENCES)
               + " (ideal also ideal_from ≤ ideal_to inside [low, high]); pipe_distance needs a connection ("
               + ", ".join(CONNECTIONS) + "), facility_distance a facility kind (" + ", ".join(_FACILITY_KINDS) + ")")
    if not isinstance(value, list) or not value:
        return None, allowed
    out = []
    keys = {"name", "measure", "influence", "low", "high", "weight", "ideal_from", "ideal_to", "connection",
            "facility"}
    for i, entry in enumerate(value):
        where = f"{allowed}; entry {i + 1} is {entry!r}"
        if not isinstance(entry, Mapping) or set(entry) - keys or not {"name", "measure", "influence", "low", "high",
                                                                         "weight"} <= set(entry):
            return None, where
        numbers = {}
        for key in ("low", "high", "weight", "ideal_from", "ideal_to"):
            if key in entry:
                numbers[key], problem = check_number()(entry[key])
                if problem:
                    return None, where
        name = _text_field(entry, "name")
        bad = (name is None or entry["measure"] not in MEASURES or entry["influence"] not in INFLUENCES
               or numbers["weight"] <= 0 or numbers["low"] >= numbers["high"])
        if entry["influence"] == "ideal":
            a, b = numbers.get("ideal_from"), numbers.get("ideal_to")
            bad = bad or a is None or b is None or not numbers["low"] <= a <= b <= numbers["high"]
        if entry["measure"] == "pipe_distance":
            bad = bad or entry.get("connection") not in CONNECTIONS
        if entry["measure"] == "facility_distance":
            bad = bad or entry.get("facility") not in _FACILITY_KINDS
        if bad:
            return None, where
        out.append(Criterion(name=name, measure=entry["measure"], influence=entry["influence"], low=numbers["low"],
                             high=numbers["high"], weight=numbers["weight"], ideal_from=numbers.get("ideal_from"),
                             ideal_to=numbers.get("ideal_to"), connection=entry.get("connection"),
                             facility=entry.get("facility")))
    names = [c.name for c in out]
    if len(set(names)) != len(names):
        return None, f"criteria with distinct names; got {names!r}"
    return tuple(out), None


def _targets(value):
    allowed = "a non-empty list of distinct plot sizes in 亩 > 0, increasing"
    if not isinstance(value, list) or not value:
        return None, allowed
    checked = [check_number(0)(v) for v in value]
    numbers = [v for v, _ in checked]
    if any(p for _, p in checked) or numbers[0] <= 0 or any(b <= a for a, b in zip(numbers, numbers[1:])):
        return None, allowed
    return tuple(numbers), None


def _demand(value):
    allowed = "a mapping {industry: {label_zh, label_en, sewage_m3_d ≥ 0, power_mva ≥ 0}}"
    if not isinstance(value, Mapping) or not value:
        return None, allowed
    out = {}
    for industry, spec in value.items():
        keys = {"label_zh", "label_en", "sewage_m3_d", "power_mva"}
        if not isinstance(spec, Mapping) or set(spec) != keys:
            return None, f"{allowed}; {industry} is {spec!r}"
        sewage, p1 = check_number(0)(spec["sewage_m3_d"])
        power, p2 = check_number(0)(spec["power_mva"])
        labels = [_text_field(spec, k) for k in ("label_zh", "label_en")]
        if p1 or p2 or None in labels:
            return None, f"{allowed}; {industry} is {dict(spec)!r}"
        out[str(industry)] = Demand(str(industry), labels[0], labels[1], sewage, power)
    return MappingProxyType(out), None


def _capacity_units(value):
    kinds = ("sewage_plant", "substation")
    allowed = "a mapping {facility kind: [unit texts]} with kinds " + ", ".join(kinds)
    if not isinstance(value, Mapping) or not set(value) <= set(kinds):
        return None, allowed
    out = {}
    for kind, units in value.items():
        if not isinstance(units, list) or not all(isinstance(u, str) and u.strip() for u in units):
            return None, f"{allowed}; {kind} is {units!r}"
        out[kind] = tuple(u.strip() for u in units)
    return MappingProxyType(out), None


def _land_use_classes(value):
    allowed = ("a mapping {class: {label_zh, label_en, <classification>: [code prefixes]}} with classifications "
               + ", ".join(LAND_USE_STANDARDS))
    if not isinstance(value, Mapping) or not value:
        return None, allowed
    out = {}
    for name, spec in value.items():
        if not isinstance(spec, Mapping) or set(spec) - {"label_zh", "label_en", *LAND_USE_STANDARDS}:
            return None, f"{allowed}; {name} is {spec!r}"
        labels = [_text_field(spec, k) for k in ("label_zh", "label_en")]
        prefixes = {}
        for std in LAND_USE_STANDARDS:
            if std in spec:
                codes = spec[std]
                if not isinstance(codes, list) or not all(isinstance(c, str | int) for c in codes):
                    return None, f"{allowed}; {name}.{std} is {codes!r}"
                prefixes[std] = tuple(str(c) for c in codes)
        if None in labels or not prefixes:
            return None, f"{allowed}; {name} is {dict(spec)!r}"
        out[str(name)] = LandUseClass(str(name), labels[0], labels[1], MappingProxyType(prefixes))
    return MappingProxyType(out), None


def _positive_int(value):
    return check_number(1, 10000, integer=True)(value)


_GRADES_U = (*_ROAD_GRADES, "unknown")

#: Every parameter: key path → check. The defaults file must define all of them.
PARAMETERS: dict[str, Check] = {
    "constraints.hard_zone_kinds": check_subset(_ZONE_KINDS, what="zone kinds"),
    "constraints.outside_urban_boundary": check_flag,
    "constraints.existing_parcel_statuses": check_subset(_PARCEL_STATUSES, what="parcel statuses"),
    "constraints.road_reserve_statuses": check_subset(_ROAD_STATUSES, what="road statuses"),
    "constraints.road_control_strip_m": _number_map(_GRADES_U, required=("unknown",), high=500, what="grade"),
    "constraints.soft": _soft,
    "constraints.water_buffer_m": check_number(0, 1000),
    "approval.state_council_cultivated_ha": check_number(0),
    "approval.state_council_other_ha": check_number(0),
    "approval.cultivated_zone_kinds": check_subset(_ZONE_KINDS, what="zone kinds"),
    "suitability.cell_m": check_number(1, 1000),
    "suitability.include_planned_roads": check_flag,
    "suitability.industrial_radius_m": check_number(0, 10000),
    "suitability.criteria": _criteria,
    "parcelling.layout": check_choice(*LAYOUTS),
    "parcelling.road_spacing_m": check_number(50, 5000),
    "parcelling.road_width_m": check_number(4, 200),
    "parcelling.road_grade": check_choice(*_ROAD_GRADES),
    "parcelling.targets_mu": _targets,
    "parcelling.area_tolerance": check_number(0.01, 0.9),
    "parcelling.min_plot_mu": check_number(0),
    "parcelling.max_aspect": check_number(1, 100),
    "parcelling.min_fill": check_number(0, 1),
    "parcelling.min_frontage_m": check_number(0, 10000),
    "parcelling.access_grades": check_subset(_ROAD_GRADES, what="road grades"),
    "parcelling.drop_parallel_share": check_number(0, 1),
    "costs.road_wan_per_km": _number_map(_GRADES_U, required=("unknown",), what="grade"),
    "costs.road_remaining_share": _number_map(_ROAD_STATUSES, high=1, what="road status"),
    "costs.pipe_wan_per_km": _number_map(_NETWORKS, what="network"),
    "costs.main_cover_share": check_number(0, 1),
    "demand.per_mu": _demand,
    "demand.default_industry": lambda v: (v, None) if isinstance(v, str) and v.strip() else (None, "an industry"),
    "demand.existing_statuses": check_subset(_PARCEL_STATUSES, what="parcel statuses"),
    "demand.capacity_units": _capacity_units,
    "site_search.land_statuses": check_subset(_PARCEL_STATUSES, what="parcel statuses"),
    "site_search.land_use_classes": _land_use_classes,
    "site_search.include_planned_roads": check_flag,
    "site_search.weights": _number_map(SITE_WEIGHTS, required=SITE_WEIGHTS, what="part"),
    "site_search.max_results": _positive_int,
}


def _cross_check(values: Mapping[str, object], origin: Mapping[str, Path]) -> list[str]:
    """Problems between parameters."""
    problems = []

    def bad(key: str, got: object, allowed: str) -> None:
        problems.append(f"{origin[key]}: {key}: got {got!r}; allowed: {allowed}")

    industries = values["demand.per_mu"]
    if values["demand.default_industry"] not in industries:
        bad("demand.default_industry", values["demand.default_industry"], ", ".join(industries))
    targets = values["parcelling.targets_mu"]
    if values["parcelling.min_plot_mu"] >= targets[0]:
        bad("parcelling.min_plot_mu", values["parcelling.min_plot_mu"],
            f"less than the smallest target ({targets[0]:g} 亩)")
    if values["parcelling.road_width_m"] >= values["parcelling.road_spacing_m"]:
        bad("parcelling.road_width_m", values["parcelling.road_width_m"], "less than parcelling.road_spacing_m")
    if not any(values["site_search.weights"].values()):
        bad("site_search.weights", dict(values["site_search.weights"]), "at least one weight above 0")
    return problems


def override_path_for_park(park_path: str | os.PathLike | None) -> Path | None:
    """The override in force for a park: ``PARKATLAS_EXPANSION_RULES``, else ``<park>.expansion.yaml`` if it exists."""
    return _override_path(park_path, env_var=ENV_VAR, suffix=SUFFIX)


def load_expansion_rules(override: str | os.PathLike | None = None, *, inline: Mapping | None = None,
                         defaults: str | os.PathLike = DEFAULT_EXPANSION_RULES_PATH) -> ExpansionRules:
    """Read the default expansion rules, merge ``override`` over them, validate, and type.

    Parameters
    ----------
    override
        A park's rules file (same shape as the defaults; bare values allowed).
    inline
        The override the park keeps itself (same shape), merged before ``override``.
    defaults
        The national defaults (``data/expansion.yaml``).

    Raises
    ------
    ExpansionRulesError
        Naming file, key path, bad value and what is allowed, for every problem.
    """
    paths = rule_sources(defaults, override, inline, family="expansion")
    merged = check_rule_files(paths, parameters=PARAMETERS, schema=SCHEMA, error=ExpansionRulesError,
                              cross_check=_cross_check)
    values = merged.values
    return ExpansionRules(
        constraints=rule_section(values, "constraints", ConstraintRules),
        approval=rule_section(values, "approval", ApprovalRules),
        suitability=rule_section(values, "suitability", SuitabilityRules),
        parcelling=rule_section(values, "parcelling", ParcellingRules),
        costs=rule_section(values, "costs", CostRules),
        demand=rule_section(values, "demand", DemandRules),
        site_search=rule_section(values, "site_search", SiteSearchRules),
        sources=MappingProxyType(merged.sources),
        marks=MappingProxyType(merged.marks),
        files=tuple(str(p) for p in paths),
    )


FAMILY = register_family(RuleFamily("expansion", ENV_VAR, SUFFIX, load_expansion_rules))


def expansion_rules_for_park(park_path: str | os.PathLike | None = None) -> ExpansionRules:
    """The expansion rules in force for a park (defaults + its override), cached per file version."""
    return family_rules(FAMILY, park_path)


def default_expansion_rules() -> ExpansionRules:
    """The national defaults alone (cached)."""
    return family_defaults(FAMILY)
