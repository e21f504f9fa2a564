"""Infrastructure rules: the defaults of ``data/infrastructure.yaml`` with per-park overrides.

:func:`load_infra_rules` reads the defaults, merges an optional override file over
them, validates every parameter (all problems at once, each naming file, key path,
bad value and what is allowed) and returns a typed, immutable :class:`InfraRules`.
The ``geo`` readiness, road-network and clearance functions take it as their
``rules=`` keyword argument; nothing in ``geo`` reads the file itself.

The file has the shape of ``data/rules.yaml`` (land rules, :mod:`layers.rules`),
and the small value checks and the YAML reader are shared with that module.
Override files are found, in order, as the path passed in, the file named by
``PARKATLAS_INFRA_RULES``, or ``<park>.infrastructure.yaml`` beside the park.
"""

from __future__ import annotations

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

DEFAULT_INFRA_RULES_PATH = Path(__file__).resolve().parents[1] / "data" / "infrastructure.yaml"
ENV_VAR = "PARKATLAS_INFRA_RULES"
SCHEMA = "parkatlas-infrastructure-rules/1"

#: Connections judged from pipelines, one boolean each (DOMAIN.md §5).
CONNECTIONS = ("water_supply", "rain", "sewer", "power", "telecom", "gas", "heat", "cable_tv")
#: Everything a readiness template may require.
READINESS_ITEMS = (*CONNECTIONS, "road", "site_levelled")
#: Research marks of DOMAIN.md's legend.
MARKS = ("✅", "◐", "❓")

_PIPES = get_layer("pipelines")
_NETWORK_CODES = _PIPES.field("network").allowed_values
_PRESSURE_CODES = _PIPES.field("pressure_class").allowed_values
_LAYING_CODES = _PIPES.field("laying").allowed_values
_PIPE_STATUSES = _PIPES.field("status").allowed_values
_ROAD_STATUSES = get_layer("roads").field("status").allowed_values
_ROAD_GRADES = get_layer("roads").field("grade").allowed_values
_FACILITY_KINDS = get_layer("facilities").field("kind").allowed_values
_FACILITY_STATUSES = get_layer("facilities").field("status").allowed_values
_BUILDING_STATUSES = get_layer("buildings").field("status").allowed_values


class InfraRulesError(RulesError):
    """An infrastructure rules file is unreadable or holds bad values; ``problems`` lists each one."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        ValueError.__init__(self, "infrastructure rules rejected:\n" + "\n".join(f"  - {p}" for p in problems))


# -- typed rules ----------------------------------------------------------------


@dataclass(frozen=True)
class ServedSource:
    """Which mains can serve one connection: their networks and what they must have."""

    connection: str
    networks: tuple[str, ...]
    min_diameter_mm: float | None = None
    voltage_kv: tuple[float, ...] | None = None
    pressure_classes: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ServedRules:
    """"Served by network X" heuristics (DOMAIN.md §8.6)."""

    networks: tuple[str, ...]
    extra_distance_m: float
    require_bordering_road: bool
    pipe_statuses: tuple[str, ...]
    unknown_attribute_serves: bool
    sources: Mapping[str, ServedSource]


@dataclass(frozen=True)
class RoadRules:
    """Road frontage, the road connection and the road-network graph."""

    ready_statuses: tuple[str, ...]
    frontage_tolerance_m: float
    min_frontage_m: float
    default_width_m: Mapping[str, float]
    network_statuses: tuple[str, ...]
    planned_statuses: tuple[str, ...]
    node_grid_m: float
    facility_snap_max_m: float
    destinations: tuple[str, ...]
    destination_statuses: tuple[str, ...]


@dataclass(frozen=True)
class Template:
    """One N通一平 label and the connections it requires."""

    label: str
    label_en: str
    requires: tuple[str, ...]
    status: str


@dataclass(frozen=True)
class ReadinessRules:
    """Readiness templates (DOMAIN.md §5), fewest connections first, and the park's target."""

    templates: tuple[Template, ...]
    default_template: str

    def template(self, label: str | None = None) -> Template:
        """The template called ``label`` (default: the park's target); ``KeyError`` listing the labels otherwise."""
        label = self.default_template if label is None else label
        for template in self.templates:
            if template.label == label:
                return template
        msg = f"unknown readiness template {label!r}; allowed: {', '.join(t.label for t in self.templates)}"
        raise KeyError(msg)


@dataclass(frozen=True)
class PipeClass:
    """A row/column of the clearance tables; a pipe takes the first class it matches."""

    name: str
    networks: tuple[str, ...]
    layings: tuple[str, ...] | None = None
    pressure_classes: tuple[str, ...] | None = None
    diameter_mm_max: float | None = None
    diameter_mm_over: float | None = None


@dataclass(frozen=True)
class BuildingClearance:
    """Minimum horizontal clearance from pipes of ``classes`` to a building."""

    classes: tuple[str, ...]
    min_m: float
    status: str
    source: str


@dataclass(frozen=True)
class PipeClearance:
    """Minimum horizontal clearance between a pipe of a class in ``a`` and one in ``b`` (symmetric)."""

    a: tuple[str, ...]
    b: tuple[str, ...]
    min_m: float
    status: str
    source: str


@dataclass(frozen=True)
class ClearanceRules:
    """GB 50289 clearance checks (DOMAIN.md §8.3–8.4)."""

    measure_from: str
    pipe_statuses: tuple[str, ...]
    building_statuses: tuple[str, ...]
    shared_structure_layings: tuple[str, ...]
    classes: tuple[PipeClass, ...]
    pipe_building: tuple[BuildingClearance, ...]
    pipe_pipe: tuple[PipeClearance, ...]

    @property
    def class_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.classes)


@dataclass(frozen=True)
class DiameterBand:
    """A diameter band of the pipeline km table: up to ``max_mm`` inclusive (``None``: no bound)."""

    band: str
    max_mm: float | None


@dataclass(frozen=True)
class ReportingRules:
    diameter_bands_mm: tuple[DiameterBand, ...]


@dataclass(frozen=True)
class InfraRules:
    """Every infrastructure rule in force, with where each value came from.

    ``sources`` and ``marks`` map a key path (``served.extra_distance_m``) to its
    source text and research mark (✅/◐/❓); ``files`` lists the files merged,
    defaults first.
    """

    served: ServedRules
    roads: RoadRules
    readiness: ReadinessRules
    clearance: ClearanceRules
    reporting: ReportingRules
    sources: Mapping[str, str]
    marks: Mapping[str, str]
    files: tuple[str, ...]


# -- checks of the structured parameters ---------------------------------------------


def _codes(value, allowed: tuple[str, ...], what: str) -> tuple[tuple[str, ...] | None, str | None]:
    checked, problem = check_subset(allowed, what=what)(value)
    if problem is None and not checked:
        return None, f"a non-empty list of {what}: " + ", ".join(allowed)
    return checked, problem


def _entries(value, *, required: set[str], optional: set[str], what: str):
    """A list of mappings with exactly the named keys; (entries, problem)."""
    keys = ", ".join(sorted(required)) + (" and optionally " + ", ".join(sorted(optional)) if optional else "")
    allowed = f"a non-empty list of {what}, each a mapping with {keys}"
    if not isinstance(value, list) or not value:
        return None, allowed
    for i, entry in enumerate(value):
        if not isinstance(entry, Mapping) or not required <= set(entry) or set(entry) - required - optional:
            return None, f"{allowed}; entry {i + 1} is {entry!r}"
    return value, None


def _entry_problem(i: int, key: str, got: object, allowed: str) -> str:
    return f"entry {i + 1}, {key}: got {got!r}; allowed: {allowed}"


def _served_sources(value):
    allowed_keys = {"networks", "min_diameter_mm", "voltage_kv", "pressure_classes"}
    allowed = (f"a mapping {{connection: {{networks: [...], min_diameter_mm, voltage_kv: [...], "
               f"pressure_classes: [...]}}}} with connections {', '.join(CONNECTIONS)}")
    if not isinstance(value, Mapping) or not value or not set(value) <= set(CONNECTIONS):
        return None, allowed
    out = {}
    for connection, spec in value.items():
        if not isinstance(spec, Mapping) or "networks" not in spec or set(spec) - allowed_keys:
            return None, f"{allowed}; {connection} is {spec!r}"
        networks, problem = _codes(spec["networks"], _NETWORK_CODES, "pipeline networks")
        diameter, problem_d = check_number(0, nullable=True)(spec.get("min_diameter_mm"))
        pressures, problem_p = (None, None)
        if spec.get("pressure_classes") is not None:
            pressures, problem_p = _codes(spec["pressure_classes"], _PRESSURE_CODES, "pressure classes")
        voltages, problem_v = (None, None)
        if spec.get("voltage_kv") is not None:
            raw = spec["voltage_kv"]
            checks = [check_number(0)(v) for v in raw] if isinstance(raw, list) and raw else [(None, "x")]
            problem_v = "a non-empty list of numbers ≥ 0" if any(p for _, p in checks) else None
            voltages = tuple(v for v, _ in checks)
        for key, bad in (("networks", problem), ("min_diameter_mm", problem_d),
                         ("pressure_classes", problem_p), ("voltage_kv", problem_v)):
            if bad:
                return None, f"{connection}.{key}: got {spec.get(key)!r}; {bad}"
        out[connection] = ServedSource(connection, networks, diameter, voltages, pressures)
    return MappingProxyType(out), None


def _widths(value):
    names = (*_ROAD_GRADES, "unknown")
    allowed = "a mapping {grade: width in m > 0} with grades " + ", ".join(names) + " (unknown required)"
    if not isinstance(value, Mapping) or "unknown" not in value or not set(value) <= set(names):
        return None, allowed
    out = {}
    for grade, width in value.items():
        checked, problem = check_number(0)(width)
        if problem or checked == 0:
            return None, f"{allowed}; {grade} is {width!r}"
        out[grade] = checked
    return MappingProxyType(out), None


def _templates(value):
    entries, problem = _entries(value, required={"label", "requires"}, optional={"label_en", "status"},
                                what="templates")
    if problem:
        return None, problem
    out = []
    for i, entry in enumerate(entries):
        if not isinstance(entry["label"], str) or not entry["label"].strip():
            return None, _entry_problem(i, "label", entry["label"], "a text")
        requires, bad = _codes(entry["requires"], READINESS_ITEMS, "connections")
        if bad:
            return None, _entry_problem(i, "requires", entry["requires"], bad)
        status = entry.get("status", "❓")
        if status not in MARKS:
            return None, _entry_problem(i, "status", status, ", ".join(MARKS))
        out.append(Template(entry["label"].strip(), str(entry.get("label_en") or entry["label"]), requires, status))
    labels = [t.label for t in out]
    if len(set(labels)) != len(labels):
        return None, f"templates with distinct labels; got {labels!r}"
    return tuple(out), None


def _classes(value):
    entries, problem = _entries(value, required={"class", "networks"},
                                optional={"layings", "pressure_classes", "diameter_mm_max", "diameter_mm_over"},
                                what="pipe classes")
    if problem:
        return None, problem
    out = []
    for i, entry in enumerate(entries):
        fields = {"networks": (_NETWORK_CODES, "pipeline networks"), "layings": (_LAYING_CODES, "layings"),
                  "pressure_classes": (_PRESSURE_CODES, "pressure classes")}
        parsed = {}
        for key, (allowed, what) in fields.items():
            if key in entry:
                parsed[key], bad = _codes(entry[key], allowed, what)
                if bad:
                    return None, _entry_problem(i, key, entry[key], bad)
        for key in ("diameter_mm_max", "diameter_mm_over"):
            if key in entry:
                parsed[key], bad = check_number(0)(entry[key])
                if bad:
                    return None, _entry_problem(i, key, entry[key], bad)
        out.append(PipeClass(name=str(entry["class"]), **parsed))
    names = [c.name for c in out]
    if len(set(names)) != len(names):
        return None, f"pipe classes with distinct names; got {names!r}"
    return tuple(out), None


def _clearance_entry(entry, i: int, keys: tuple[str, ...]):
    """The class lists, min_m, status and source of one clearance entry; (values, problem)."""
    lists = []
    for key in keys:
        names = entry[key]
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            return None, _entry_problem(i, key, names, "a non-empty list of pipe class names")
        lists.append(tuple(names))
    min_m, bad = check_number(0, 100)(entry["min_m"])
    if bad:
        return None, _entry_problem(i, "min_m", entry["min_m"], bad)
    status = entry.get("status", "❓")
    if status not in MARKS:
        return None, _entry_problem(i, "status", status, ", ".join(MARKS))
    return (*lists, min_m, status, str(entry.get("source", ""))), None


def _pipe_building(value):
    entries, problem = _entries(value, required={"classes", "min_m"}, optional={"status", "source"},
                                what="pipe–building clearances")
    if problem:
        return None, problem
    out = []
    for i, entry in enumerate(entries):
        parsed, bad = _clearance_entry(entry, i, ("classes",))
        if bad:
            return None, bad
        out.append(BuildingClearance(*parsed))
    return tuple(out), None


def _pipe_pipe(value):
    entries, problem = _entries(value, required={"a", "b", "min_m"}, optional={"status", "source"},
                                what="pipe–pipe clearances")
    if problem:
        return None, problem
    out = []
    for i, entry in enumerate(entries):
        parsed, bad = _clearance_entry(entry, i, ("a", "b"))
        if bad:
            return None, bad
        out.append(PipeClearance(*parsed))
    return tuple(out), None


def _bands(value):
    entries, problem = _entries(value, required={"band", "max_mm"}, optional=set(), what="diameter bands")
    if problem:
        return None, problem
    allowed = "bands with increasing max_mm, only the last one null"
    bounds = [entry["max_mm"] for entry in entries]
    if bounds[-1] is not None or any(b is None for b in bounds[:-1]):
        return None, f"{allowed}; got {bounds!r}"
    checked = [check_number(0)(b) for b in bounds[:-1]]
    numbers = [b for b, _ in checked]
    if any(p for _, p in checked) or any(b <= a for a, b in zip(numbers, numbers[1:])):
        return None, f"{allowed}; got {bounds!r}"
    return tuple(DiameterBand(str(e["band"]), None if e["max_mm"] is None else float(e["max_mm"]))
                 for e in entries), None


def _text_choice(value):
    return (value, None) if isinstance(value, str) and value.strip() else (None, "a template label")


#: Every parameter: key path → check. The defaults file must define all of them.
PARAMETERS: dict[str, Check] = {
    "served.networks": check_subset(CONNECTIONS, what="connections"),
    "served.extra_distance_m": check_number(0, 1000),
    "served.require_bordering_road": check_flag,
    "served.pipe_statuses": check_subset(_PIPE_STATUSES, what="pipeline statuses"),
    "served.unknown_attribute_serves": check_flag,
    "served.sources": _served_sources,
    "roads.ready_statuses": check_subset(_ROAD_STATUSES, what="road statuses"),
    "roads.frontage_tolerance_m": check_number(0, 1000),
    "roads.min_frontage_m": check_number(0, 10000),
    "roads.default_width_m": _widths,
    "roads.network_statuses": check_subset(_ROAD_STATUSES, what="road statuses"),
    "roads.planned_statuses": check_subset(_ROAD_STATUSES, what="road statuses"),
    "roads.node_grid_m": check_number(0.000001, 100),
    "roads.facility_snap_max_m": check_number(0.001, 100000),
    "roads.destinations": check_subset(_FACILITY_KINDS, what="facility kinds"),
    "roads.destination_statuses": check_subset(_FACILITY_STATUSES, what="facility statuses"),
    "readiness.templates": _templates,
    "readiness.default_template": _text_choice,
    "clearance.measure_from": check_choice("outer_wall", "centreline"),
    "clearance.pipe_statuses": check_subset(_PIPE_STATUSES, what="pipeline statuses"),
    "clearance.building_statuses": check_subset(_BUILDING_STATUSES, what="building statuses"),
    "clearance.shared_structure_layings": check_subset(_LAYING_CODES, what="layings"),
    "clearance.classes": _classes,
    "clearance.pipe_building": _pipe_building,
    "clearance.pipe_pipe": _pipe_pipe,
    "reporting.diameter_bands_mm": _bands,
}

SUFFIX = ".infrastructure.yaml"


# -- reading and merging ---------------------------------------------------------


def _cross_check(values: Mapping[str, object], origin: Mapping[str, Path]) -> list[str]:
    """Problems between parameters: names one parameter uses that another must define."""
    problems = []

    def bad(key: str, got: object, allowed: str) -> None:
        problems.append(f"{origin[key]}: {key}: got {got!r}; allowed: {allowed}")

    missing = [n for n in values["served.networks"] if n not in values["served.sources"]]
    if missing:
        bad("served.networks", missing, "connections listed in served.sources: " + ", ".join(values["served.sources"]))
    labels = [t.label for t in values["readiness.templates"]]
    if values["readiness.default_template"] not in labels:
        bad("readiness.default_template", values["readiness.default_template"], ", ".join(labels))
    names = [c.name for c in values["clearance.classes"]]
    seen_building: set[str] = set()
    for rule in values["clearance.pipe_building"]:
        unknown = [n for n in rule.classes if n not in names]
        twice = [n for n in rule.classes if n in seen_building]
        if unknown or twice:
            bad("clearance.pipe_building", rule.classes,
                "class names from clearance.classes, each in one entry: " + ", ".join(names))
        seen_building.update(rule.classes)
    seen_pairs: set[frozenset] = set()
    for rule in values["clearance.pipe_pipe"]:
        unknown = [n for n in (*rule.a, *rule.b) if n not in names]
        pairs = {frozenset((a, b)) for a in rule.a for b in rule.b}
        if unknown or pairs & seen_pairs:
            bad("clearance.pipe_pipe", {"a": list(rule.a), "b": list(rule.b)},
                "class names from clearance.classes, each pair of classes in one entry: " + ", ".join(names))
        seen_pairs |= pairs
    return problems


def override_path_for_park(park_path: str | os.PathLike | None) -> Path | None:
    """The override in force for a park: ``PARKATLAS_INFRA_RULES``, else ``<park>.infrastructure.yaml`` if it exists."""
    return _override_path(park_path, env_var=ENV_VAR, suffix=SUFFIX)


def load_infra_rules(override: str | os.PathLike | None = None, *, inline: Mapping | None = None,
                     defaults: str | os.PathLike = DEFAULT_INFRA_RULES_PATH) -> InfraRules:
    """Read the default infrastructure rules, merge ``override`` over them, validate, and type.

    Parameters
    ----------
    override
        A park's rules file (same shape as the defaults; bare values allowed).
    inline
        The override the park keeps itself (same shape), merged before ``override``.
    defaults
        The national defaults (``data/infrastructure.yaml``).

    Raises
    ------
    InfraRulesError
        Naming file, key path, bad value and what is allowed, for every problem.
    """
    paths = rule_sources(defaults, override, inline, family="infrastructure")
    merged = check_rule_files(paths, parameters=PARAMETERS, schema=SCHEMA, error=InfraRulesError,
                              cross_check=_cross_check)
    values = merged.values
    return InfraRules(
        served=rule_section(values, "served", ServedRules),
        roads=rule_section(values, "roads", RoadRules),
        readiness=rule_section(values, "readiness", ReadinessRules),
        clearance=rule_section(values, "clearance", ClearanceRules),
        reporting=rule_section(values, "reporting", ReportingRules),
        sources=MappingProxyType(merged.sources),
        marks=MappingProxyType(merged.marks),
        files=tuple(str(p) for p in paths),
    )


FAMILY = register_family(RuleFamily("infrastructure", ENV_VAR, SUFFIX, load_infra_rules))


def infra_rules_for_park(park_path: str | os.PathLike | None = None) -> InfraRules:
    """The infrastructure rules in force for a park (defaults + its override), cached per file version."""
    return family_rules(FAMILY, park_path)


def default_infra_rules() -> InfraRules:
    """The national defaults alone (cached)."""
    return family_defaults(FAMILY)
