"""Land rules: the national defaults of ``data/rules.yaml`` with per-park overrides.

:func:`load_rules` reads the defaults, merges an optional override file over them,
validates every parameter (all problems at once, each naming file, key path, bad
value and what is allowed) and returns a typed, immutable :class:`LandRules`. The
``geo`` land analyses take it as their ``rules=`` keyword argument; nothing in
``geo`` reads the files itself.

Override files have the shape of the defaults; a parameter may be a bare value or
a mapping with ``value`` (and its own ``source``). They are found, in order, as the
path passed in, the file named by ``PARKATLAS_RULES``, or ``<park>.rules.yaml``
beside the park's GeoPackage.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

import yaml

from layers.catalog import buildings as buildings_catalog
from layers.catalog import parcels as parcels_catalog
from layers.catalog import units as units_catalog
from layers.catalog._common import DELAY_CAUSES, INDUSTRY_CODE_STANDARDS
from layers.landuse import LAND_USE_STANDARDS

DEFAULT_RULES_PATH = Path(__file__).resolve().parents[1] / "data" / "rules.yaml"
#: The safe YAML loader, libyaml's when PyYAML has it: the pure-Python one takes 0.4 s to read the rule files,
#: which a cold report or first page waits for.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
ENV_VAR = "PARKATLAS_RULES"
SCHEMA = "parkatlas-land-rules/1"

MUJU_INDICATORS = (
    "tax_per_mu_wan",
    "value_added_per_mu_wan",
    "revenue_per_mu_wan",
    "output_per_mu_wan",
    "value_added_per_tce_wan",
    "value_added_per_t_emission_wan",
    "labour_productivity_wan",
    "rd_share",
)
GRADES = ("A", "B", "C", "D")
BELOW_TARGET_INDICATORS = ("investment", "output_per_mu", "tax_per_mu")


class RulesError(ValueError):
    """A rules file is unreadable or holds bad values; ``problems`` lists each one."""

    #: Which family of rules the message says was rejected (subclasses name theirs).
    what = "land rules"

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(f"{self.what} rejected:\n" + "\n".join(f"  - {p}" for p in problems))


# -- typed rules ----------------------------------------------------------------


@dataclass(frozen=True)
class ControlRules:
    """工业项目建设用地控制指标 (DOMAIN.md §3)."""

    edition: str
    building_coef_min: float
    admin_share_max: float
    green_ratio_max: float
    double_count_storey_height_m: float
    industrial_land_use: Mapping[str, tuple[str, ...]]
    admin_building_uses: tuple[str, ...]
    investment_includes_land_price: bool
    compliance_statuses: tuple[str, ...]
    far_min_by_industry: Mapping[str, Mapping[str, float]]


@dataclass(frozen=True)
class IdleRules:
    """闲置土地处置办法 (DOMAIN.md §1)."""

    tenures: tuple[str, ...]
    fee_after_years: int
    reclaim_after_years: int
    fee_rate: float
    stalled_fee: bool
    stalled_developed_share_min: float
    stalled_invested_share_min: float
    stalled_suspension_years: int
    developed_area_basis: str
    estimate_building_statuses: tuple[str, ...]
    exempt_causes: tuple[str, ...]
    missing_anniversary_day: str


@dataclass(frozen=True)
class InefficiencyRules:
    """五类低效用地 triggers (DOMAIN.md §2.2)."""

    supplied_unused_grace_days: int
    underused_far_below_required: bool
    underused_coef_below_min: bool
    built_not_operating_grace_days: int
    below_target_share: float
    below_target_indicators: tuple[str, ...]


@dataclass(frozen=True)
class Indicator:
    """One 亩均 indicator: its weight (points) and fixed benchmark (``None``: park mean × multiple)."""

    name: str
    weight: float
    benchmark: float | None


@dataclass(frozen=True)
class MujuRules:
    """亩均效益评价 (DOMAIN.md §4)."""

    evaluation_year_offset: int
    indicators: Mapping[str, tuple[Indicator, ...]]
    benchmark_multiple: float
    score_cap_ratio: float | None
    missing_indicator: str
    bands: Mapping[str, float]
    new_firm_years: int
    utility_divisions: tuple[str, ...]
    min_land_mu: float
    tenant_land_basis: str


@dataclass(frozen=True)
class VacancyRules:
    """Leasing metrics of standard factories (DOMAIN.md §10.3)."""

    leasable_unit_statuses: tuple[str, ...]
    trend_months: int


@dataclass(frozen=True)
class ParkRatioRules:
    """Statuses behind the 开发区土地集约利用评价 ratios (DOMAIN.md §2.3)."""

    ready_statuses: tuple[str, ...]
    supplied_statuses: tuple[str, ...]
    built_statuses: tuple[str, ...]


@dataclass(frozen=True)
class RevitalisationRules:
    """Thresholds for 盘活 candidates."""

    vacant_building_min_rate: float


@dataclass(frozen=True)
class LandRules:
    """Every land rule in force, with where each value came from.

    ``sources`` maps a key path (``idle.fee_rate``) to its source text; ``files``
    lists the files merged, defaults first.
    """

    control: ControlRules
    idle: IdleRules
    inefficiency: InefficiencyRules
    muju: MujuRules
    vacancy: VacancyRules
    park_ratios: ParkRatioRules
    revitalisation: RevitalisationRules
    sources: Mapping[str, str]
    files: tuple[str, ...]


# -- parameter checks -------------------------------------------------------------

Check = Callable[[object], tuple[object, str | None]]


def check_number(low: float | None = None, high: float | None = None, *, integer: bool = False,
            nullable: bool = False) -> Check:
    what = "a whole number" if integer else "a number"
    if low is not None and high is not None:
        what += f" in [{low:g}, {high:g}]"
    elif low is not None:
        what += f" ≥ {low:g}"
    if nullable:
        what += " or null"

    def check(value):
        if value is None and nullable:
            return None, None
        if isinstance(value, str) and "/" in value:  # "1/3" keeps the exact third
            try:
                value = float(Fraction(value.strip()))
            except (ValueError, ZeroDivisionError):
                return None, what
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None, what
        if integer and value != int(value):
            return None, what
        if (low is not None and value < low) or (high is not None and value > high):
            return None, what
        return (int(value) if integer else float(value)), None

    return check


def check_flag(value):
    return (value, None) if isinstance(value, bool) else (None, "true or false")


def check_choice(*allowed: str) -> Check:
    def check(value):
        return (value, None) if value in allowed else (None, "one of " + ", ".join(allowed))

    return check


def check_subset(allowed: tuple[str, ...], *, what: str) -> Check:
    def check(value):
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            return None, f"a list of {what}: " + ", ".join(allowed)
        unknown = [v for v in value if v not in allowed]
        if unknown:
            return None, f"a list of {what} ({', '.join(map(repr, unknown))} unknown): " + ", ".join(allowed)
        return tuple(value), None

    return check


def _text_list(value):
    if isinstance(value, list | tuple) and all(isinstance(v, str | int) for v in value):
        return tuple(str(v) for v in value), None
    return None, "a list of texts"


def _text(value):
    return (str(value), None) if isinstance(value, str | int | float) and not isinstance(value, bool) else (
        None, "a text")


def check_industrial_land_use(value):
    allowed = "a mapping {classification: [code prefixes]} with classifications " + ", ".join(LAND_USE_STANDARDS)
    if not isinstance(value, Mapping) or not set(value) <= set(LAND_USE_STANDARDS):
        return None, allowed
    out = {}
    for std, prefixes in value.items():
        checked, problem = _text_list(prefixes)
        if problem:
            return None, allowed
        out[std] = checked
    return MappingProxyType(out), None


def _far_table(value):
    stds = tuple(code.value for code in INDUSTRY_CODE_STANDARDS)
    allowed = ("a mapping {industry classification: {division: FAR ≥ 0}} with classifications "
               + ", ".join(stds))
    if not isinstance(value, Mapping) or not set(value) <= set(stds):
        return None, allowed
    out = {}
    for std, table in value.items():
        if not isinstance(table, Mapping):
            return None, allowed
        rows = {}
        for division, far in table.items():
            checked, problem = check_number(0, 20)(far)
            if problem:
                return None, f"{allowed}; {std} division {division!r} has {far!r}"
            rows[str(division).zfill(2)] = checked
        out[std] = MappingProxyType(rows)
    return MappingProxyType(out), None


def _indicators(value):
    allowed = ("a mapping {above_scale|below_scale: {indicator: {weight: number > 0, benchmark: number > 0 "
               "or null}}} with indicators " + ", ".join(MUJU_INDICATORS))
    if not isinstance(value, Mapping) or not value or not set(value) <= {"above_scale", "below_scale"}:
        return None, allowed
    out = {}
    for group, table in value.items():
        if not isinstance(table, Mapping) or not table:
            return None, allowed
        entries = []
        for name, spec in table.items():
            if name not in MUJU_INDICATORS or not isinstance(spec, Mapping) or set(spec) - {"weight", "benchmark"}:
                return None, f"{allowed}; got {group}.{name}"
            weight, problem_w = check_number(0)(spec.get("weight"))
            benchmark, problem_b = check_number(0, nullable=True)(spec.get("benchmark"))
            if problem_w or problem_b or weight == 0 or benchmark == 0:
                return None, f"{allowed}; got {group}.{name} = {dict(spec)!r}"
            entries.append(Indicator(name, weight, benchmark))
        out[group] = tuple(entries)
    return MappingProxyType(out), None


def _bands(value):
    allowed = "a mapping {A, B, C, D: cumulative share in (0, 1]} increasing from A to D, D = 1"
    if not isinstance(value, Mapping) or set(value) != set(GRADES):
        return None, allowed
    shares = []
    for grade in GRADES:
        share, problem = check_number(0, 1)(value[grade])
        if problem:
            return None, allowed
        shares.append(share)
    if any(b <= a for a, b in zip(shares, shares[1:])) or shares[-1] != 1.0 or shares[0] <= 0:
        return None, allowed
    return MappingProxyType(dict(zip(GRADES, shares))), None


_PARCEL_STATUSES = parcels_catalog.LAYER.field("status").allowed_values
_TENURES = parcels_catalog.LAYER.field("tenure").allowed_values
_BUILDING_USES = buildings_catalog.LAYER.field("use").allowed_values
_BUILDING_STATUSES = buildings_catalog.LAYER.field("status").allowed_values
_UNIT_STATUSES = units_catalog.LAYER.field("status").allowed_values
_CAUSES = tuple(code.value for code in DELAY_CAUSES if code.value != "none")

#: Every parameter: key path → check. The defaults file must define all of them.
PARAMETERS: dict[str, Check] = {
    "control.edition": _text,
    "control.building_coef_min": check_number(0, 1),
    "control.admin_share_max": check_number(0, 1),
    "control.green_ratio_max": check_number(0, 1),
    "control.double_count_storey_height_m": check_number(0, 100),
    "control.industrial_land_use": check_industrial_land_use,
    "control.admin_building_uses": check_subset(_BUILDING_USES, what="building uses"),
    "control.investment_includes_land_price": check_flag,
    "control.compliance_statuses": check_subset(_PARCEL_STATUSES, what="parcel statuses"),
    "control.far_min_by_industry": _far_table,
    "idle.tenures": check_subset(_TENURES, what="tenures"),
    "idle.fee_after_years": check_number(1, 50, integer=True),
    "idle.reclaim_after_years": check_number(1, 50, integer=True),
    "idle.fee_rate": check_number(0, 1),
    "idle.stalled_fee": check_flag,
    "idle.stalled_developed_share_min": check_number(0, 1),
    "idle.stalled_invested_share_min": check_number(0, 1),
    "idle.stalled_suspension_years": check_number(1, 50, integer=True),
    "idle.developed_area_basis": check_choice("land_area", "floor_area"),
    "idle.estimate_building_statuses": check_subset(_BUILDING_STATUSES, what="building statuses"),
    "idle.exempt_causes": check_subset(_CAUSES, what="delay causes"),
    "idle.missing_anniversary_day": check_choice("month_end", "next_day"),
    "inefficiency.supplied_unused_grace_days": check_number(0, 36500, integer=True),
    "inefficiency.underused_far_below_required": check_flag,
    "inefficiency.underused_coef_below_min": check_flag,
    "inefficiency.built_not_operating_grace_days": check_number(0, 36500, integer=True),
    "inefficiency.below_target_share": check_number(0, 10),
    "inefficiency.below_target_indicators": check_subset(BELOW_TARGET_INDICATORS, what="targets"),
    "muju.evaluation_year_offset": check_number(-10, 0, integer=True),
    "muju.indicators": _indicators,
    "muju.benchmark_multiple": check_number(0.01, 100),
    "muju.score_cap_ratio": check_number(0.01, 1000, nullable=True),
    "muju.missing_indicator": check_choice("average", "zero"),
    "muju.bands": _bands,
    "muju.new_firm_years": check_number(0, 50, integer=True),
    "muju.utility_divisions": _text_list,
    "muju.min_land_mu": check_number(0),
    "muju.tenant_land_basis": check_choice("unit_floor_area", "total_floor_area"),
    "vacancy.leasable_unit_statuses": check_subset(_UNIT_STATUSES, what="unit statuses"),
    "vacancy.trend_months": check_number(1, 600, integer=True),
    "park_ratios.ready_statuses": check_subset(_PARCEL_STATUSES, what="parcel statuses"),
    "park_ratios.supplied_statuses": check_subset(_PARCEL_STATUSES, what="parcel statuses"),
    "park_ratios.built_statuses": check_subset(_PARCEL_STATUSES, what="parcel statuses"),
    "revitalisation.vacant_building_min_rate": check_number(0, 1),
}

_PARAM_KEYS = {"value", "unit", "source", "status"}


# -- reading and merging ---------------------------------------------------------


@dataclass(frozen=True)
class InlineRules:
    """An override kept in the park itself (its ``parkatlas_meta`` ``rules`` entry), named like a file in messages."""

    label: str
    data: Mapping

    @property
    def name(self) -> str:
        return self.label

    def __str__(self) -> str:
        return self.label


#: Where rules come from: a YAML file, or an override the park keeps.
RuleSource = Path | InlineRules


def read_source(source: RuleSource) -> Mapping:
    """The mapping a rules source holds: a file read (:func:`read_yaml`), or the park's own override checked."""
    if isinstance(source, InlineRules):
        if not isinstance(source.data, Mapping):
            raise RulesError([f"{source}: must be a mapping of sections, got {type(source.data).__name__}"])
        return source.data
    return read_yaml(source)


def read_yaml(path: Path) -> Mapping:
    """The mapping a rules file holds (empty for an empty file); :class:`RulesError` naming the file otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesError([f"{path}: cannot be read ({exc.strerror or exc})"]) from exc
    try:
        data = yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise RulesError([f"{path}: not valid YAML ({exc})"]) from exc
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise RulesError([f"{path}: the top level must be a mapping of sections, got {type(data).__name__}"])
    return data


def _flatten(data: Mapping, path: Path, problems: list[str], *, override: bool,
             parameters: Mapping[str, Check] = PARAMETERS, schema: str = SCHEMA) -> dict[str, tuple[object, str]]:
    """``{key path: (value, source)}`` from a rules file; unknown keys become problems.

    ``parameters`` and ``schema`` default to the land rules'; the infrastructure
    rules (:mod:`layers.infra_rules`) pass their own.
    """
    out: dict[str, tuple[object, str]] = {}
    sections = sorted({key.split(".")[0] for key in parameters})
    for section, body in data.items():
        if section == "schema":
            if body != schema:
                problems.append(f"{path}: schema: got {body!r}; allowed: {schema!r}")
            continue
        if section not in sections:
            problems.append(f"{path}: {section}: unknown section; allowed: schema, {', '.join(sections)}")
            continue
        if not isinstance(body, Mapping):
            problems.append(f"{path}: {section}: must be a mapping of parameters, got {body!r}")
            continue
        for name, entry in body.items():
            key = f"{section}.{name}"
            if key not in parameters:
                known = ", ".join(k.split(".", 1)[1] for k in parameters if k.startswith(section + "."))
                problems.append(f"{path}: {key}: unknown parameter; allowed: {known}")
                continue
            if isinstance(entry, Mapping) and "value" in entry and set(entry) <= _PARAM_KEYS:
                source = str(entry.get("source") or (f"override in {path.name}" if override else ""))
                out[key] = (entry["value"], source)
            elif override:
                out[key] = (entry, f"override in {path.name}")
            else:
                problems.append(f"{path}: {key}: must be a mapping with value, unit, source, status; got {entry!r}")
    return out


def marks_of(data: Mapping) -> dict[str, str]:
    """``{key path: research mark}`` of the parameters a file gives as full mappings (``status``, default ❓)."""
    return {f"{section}.{name}": str(entry.get("status", "❓"))
            for section, body in data.items() if isinstance(body, Mapping)
            for name, entry in body.items() if isinstance(entry, Mapping) and "value" in entry}


@dataclass(frozen=True)
class MergedRules:
    """Rule files merged and checked: typed ``values``, each key's ``source`` text, ``origin`` file and
    research ``marks``, and the ``problems`` found (empty when every value passed)."""

    values: dict[str, object]
    sources: dict[str, str]
    origin: dict[str, Path]
    marks: dict[str, str]
    problems: list[str]


def merge_rule_files(paths: list[RuleSource], *, parameters: Mapping[str, Check], schema: str,
                     error: type[RulesError]) -> MergedRules:
    """Read rule files (the defaults first, then overrides), merge them and check every parameter.

    Used by the infrastructure and expansion rules, whose files have this file's
    shape; an unreadable file raises ``error`` at once, every other problem is
    collected in the result for the caller to add its cross-checks to.
    """
    problems: list[str] = []
    merged: dict[str, tuple[object, str]] = {}
    origin: dict[str, Path] = {}
    marks: dict[str, str] = {}
    for number, path in enumerate(paths):
        try:
            data = read_source(path)
        except RulesError as exc:
            raise error(exc.problems) from exc
        given = _flatten(data, path, problems, override=number > 0, parameters=parameters, schema=schema)
        if number == 0:
            problems += [f"{path}: {key}: missing; every parameter needs a default"
                         for key in parameters if key not in given]
        merged.update(given)
        origin.update(dict.fromkeys(given, path))
        in_file = marks_of(data)
        marks.update({key: in_file.get(key, "❓") for key in given})
    values: dict[str, object] = {}
    for key, (raw, _) in merged.items():
        values[key], allowed = parameters[key](raw)
        if allowed:
            problems.append(f"{origin[key]}: {key}: got {raw!r}; allowed: {allowed}")
    return MergedRules(values, {key: source for key, (_, source) in merged.items()}, origin,
                       {key: marks.get(key, "❓") for key in merged}, problems)


def check_rule_files(paths: list[RuleSource], *, parameters: Mapping[str, Check], schema: str, error: type[RulesError],
                     cross_check: Callable[[Mapping[str, object], Mapping[str, Path]], list[str]] | None = None,
                     ) -> MergedRules:
    """Merge and check rule files, then run ``cross_check(values, origin)`` once every value passed.

    Raises ``error`` with every problem found; the land, infrastructure and
    expansion rules all load through here.
    """
    merged = merge_rule_files(paths, parameters=parameters, schema=schema, error=error)
    problems = list(merged.problems)
    if not problems and cross_check is not None:
        problems = cross_check(merged.values, merged.origin)
    if problems:
        raise error(problems)
    return merged


def rule_section(values: Mapping[str, object], name: str, cls):
    """The typed section ``name`` (a dataclass ``cls``) from checked ``{key path: value}``."""
    return cls(**{key.split(".", 1)[1]: value for key, value in values.items() if key.startswith(name + ".")})


def _build(values: Mapping[str, object], sources: Mapping[str, str], files: tuple[str, ...]) -> LandRules:
    return LandRules(
        control=rule_section(values, "control", ControlRules),
        idle=rule_section(values, "idle", IdleRules),
        inefficiency=rule_section(values, "inefficiency", InefficiencyRules),
        muju=rule_section(values, "muju", MujuRules),
        vacancy=rule_section(values, "vacancy", VacancyRules),
        park_ratios=rule_section(values, "park_ratios", ParkRatioRules),
        revitalisation=rule_section(values, "revitalisation", RevitalisationRules),
        sources=MappingProxyType(dict(sources)),
        files=files,
    )


def override_path_for_park(park_path: str | os.PathLike | None, *, env_var: str = ENV_VAR,
                           suffix: str = ".rules.yaml") -> Path | None:
    """The override file in force for a park: ``PARKATLAS_RULES``, else ``<park>.rules.yaml`` if it exists.

    ``env_var`` and ``suffix`` name another family of rules files (infrastructure rules).
    """
    env = os.environ.get(env_var)
    if env:
        return Path(env)
    if park_path is None:
        return None
    candidate = Path(park_path).with_suffix(suffix)
    return candidate if candidate.is_file() else None


def file_version(path: Path | None) -> tuple[int, int] | None:
    """(modification time, size) of a file, to key a cache on; ``None`` without a file."""
    if path is None or not path.is_file():
        return None
    stat = path.stat()
    return (stat.st_mtime_ns, stat.st_size)


def rule_sources(defaults: str | os.PathLike, override: str | os.PathLike | None, inline: Mapping | None, *,
                 family: str) -> list[RuleSource]:
    """The sources of one family in merge order: the national defaults, the park's own override (kept in the
    park), then the override file (beside a GeoPackage, or named by the environment) — the later wins."""
    return ([Path(defaults)]
            + ([InlineRules(f"park rules ({family})", inline)] if inline is not None else [])
            + ([Path(override)] if override is not None else []))


def load_rules(override: str | os.PathLike | None = None, *,
               defaults: str | os.PathLike = DEFAULT_RULES_PATH, inline: Mapping | None = None) -> LandRules:
    """Read the default rules, merge the park's own override and ``override`` over them, validate, and type.

    Parameters
    ----------
    override
        A park's rules file (same shape as the defaults; bare values allowed).
    defaults
        The national defaults (``data/rules.yaml``).
    inline
        The override the park keeps itself (same shape), merged before ``override``.

    Raises
    ------
    RulesError
        Naming file, key path, bad value and what is allowed, for every problem.
    """
    paths = rule_sources(defaults, override, inline, family="land")
    merged = check_rule_files(paths, parameters=PARAMETERS, schema=SCHEMA, error=RulesError,
                              cross_check=_cross_check)
    return _build(merged.values, merged.sources, tuple(str(p) for p in paths))


def _cross_check(values: Mapping[str, object], origin: Mapping[str, Path]) -> list[str]:
    """Checks across parameters, once each passed on its own."""
    fee, reclaim = values["idle.fee_after_years"], values["idle.reclaim_after_years"]
    if reclaim <= fee:
        return [f"{origin['idle.reclaim_after_years']}: idle.reclaim_after_years: got {reclaim!r}; "
                f"allowed: more than idle.fee_after_years ({fee})"]
    return []


# -- rule families: one way to find, load and cache every family's rules for a park ------------------------


@dataclass(frozen=True)
class RuleFamily:
    """One family of rules: its name (the key of the park's own ``rules`` entry), the environment variable and
    the file suffix of its override, and its loader ``load(override, inline=…)``."""

    name: str
    env_var: str
    suffix: str
    load: Callable[..., object]


#: Every rule family by name (each family's module registers its own).
FAMILIES: dict[str, RuleFamily] = {}


def register_family(family: RuleFamily) -> RuleFamily:
    FAMILIES[family.name] = family
    return family


LAND = register_family(RuleFamily("land", ENV_VAR, ".rules.yaml", load_rules))


def park_rules_entry(entry: object) -> dict[str, Mapping]:
    """The park's own overrides (its metadata's ``rules``: family name → override mapping), checked."""
    if entry is None:
        return {}
    if not isinstance(entry, Mapping):
        raise RulesError([f"park rules: must be a mapping of rule families, got {type(entry).__name__}"])
    unknown = [name for name in entry if name not in FAMILIES]
    if unknown:
        raise RulesError([f"park rules: {', '.join(map(str, unknown))}: unknown rule family; "
                          f"allowed: {', '.join(sorted(FAMILIES))}"])
    return dict(entry)


def family_override(family: RuleFamily, park_path: str | os.PathLike | None) -> Path | None:
    """The override file of ``family`` in force for a park: its environment variable, else the file beside."""
    return override_path_for_park(park_path, env_var=family.env_var, suffix=family.suffix)


def family_stamp(family: RuleFamily, park_path: str | os.PathLike | None, inline: Mapping | None) -> tuple:
    """What ``family``'s rules for a park depend on: the override file, its version, the park's own override."""
    override = family_override(family, park_path)
    return (None if override is None else str(override), file_version(override),
            None if inline is None else json.dumps(inline, sort_keys=True, ensure_ascii=False, default=str))


def family_rules(family: RuleFamily, park_path: str | os.PathLike | None = None, inline: Mapping | None = None):
    """``family``'s rules in force for a park (defaults + its own override + the file), cached per version."""
    return _cached_family(family.name, *family_stamp(family, park_path, inline))


@lru_cache(maxsize=24)
def _cached_family(name: str, override: str | None, stamp: tuple | None, inline: str | None):
    return FAMILIES[name].load(override, inline=None if inline is None else json.loads(inline))


def park_rules_with_files(park_path: str | os.PathLike | None, own: object = None) -> dict[str, dict]:
    """The park's own overrides (its metadata's ``rules``) with the override files beside it folded in, the
    files winning parameter by parameter: what a copy of the park keeps so it is judged as the original
    (``copy-park`` to PostGIS, where no file lies beside the park)."""
    folded = {name: {section: dict(body) for section, body in entry.items()}
              for name, entry in park_rules_entry(own).items()}
    for name, family in FAMILIES.items():
        override = family_override(family, park_path)
        if override is None:
            continue
        for section, body in read_yaml(override).items():
            target = folded.setdefault(name, {})
            if isinstance(body, Mapping):
                target.setdefault(section, {}).update(body)
            else:
                target[section] = body
    return folded


def family_defaults(family: RuleFamily):
    """``family``'s national defaults alone (cached)."""
    return _cached_family(family.name, None, None, None)


def rules_for_park(park_path: str | os.PathLike | None = None) -> LandRules:
    """The rules in force for a park (defaults + its override), cached per file version."""
    return family_rules(LAND, park_path)


def default_rules() -> LandRules:
    """The national defaults alone (cached)."""
    return family_defaults(LAND)
