"""Source fields → the layer's canonical fields: registry aliases, or a YAML mapping file.

Matching is case- and width-insensitive (``layers.values.normalise_text``:
``ＤＫＢＨ`` = ``dkbh``) against each field's name, aliases and labels. A unit
written in the header (``出让面积(亩)``, ``用地面积（公顷）``, ``土地价款(元)``) is
recognised, stripped for matching and turned into a conversion factor to the
field's unit.

A mapping file (YAML) says what aliases cannot::

    fields:            # source field → layer field (null: ignore the source field)
      宗地号: parcel_id
      layer: land_use  # DXF: the CAD layer name holds the land-use code
    keep: [区划类别]    # source fields kept as they are even where an alias would map them
    links: [土地坐落]   # kept too, and their ids link the records of the layer's link (an enterprise list's parcels)
    values:            # per layer field: source value → value
      land_use: {地块-M1: M1}
    defaults:          # constants for layer fields the source lacks
      land_use_std: GB50137-2011
    units:             # unit of a source field, when its header does not say
      AREA: mu
    include:           # keep only records whose source field has one of these values
      layer: [地块-M1, 地块-M2]
    source_layer: plots
    crs: EPSG:4528
    encoding: GBK
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from geo.units import M2_PER_HA, M2_PER_KM2, M2_PER_MU
from layers.schema import Field, LayerSpec
from layers.values import normalise_text

MAPPING_KEYS = ("fields", "keep", "links", "values", "defaults", "units", "include", "source_layer", "crs",
                "encoding")

#: Units by dimension: factor to the dimension's base unit (m², 万元, m, ratio).
UNIT_FACTORS: dict[str, dict[str, float]] = {
    "area": {"m2": 1.0, "平方米": 1.0, "平米": 1.0, "sqm": 1.0, "亩": M2_PER_MU, "mu": M2_PER_MU,
             "公顷": M2_PER_HA, "ha": M2_PER_HA, "hectare": M2_PER_HA, "hectares": M2_PER_HA,
             "km2": M2_PER_KM2, "平方公里": M2_PER_KM2, "平方千米": M2_PER_KM2},
    "money": {"万元": 1.0, "元": 1e-4, "千元": 0.1, "亿元": 1e4},
    "length": {"m": 1.0, "米": 1.0, "mm": 1e-3, "毫米": 1e-3, "cm": 1e-2, "厘米": 1e-2,
               "km": 1e3, "公里": 1e3, "千米": 1e3},
    "ratio": {"%": 1e-2, "％": 1e-2},
    "energy": {"tce": 1.0, "吨标准煤": 1.0, "吨标煤": 1.0, "万吨标准煤": 1e4, "kgce": 1e-3, "千克标准煤": 1e-3},
    "mass": {"t": 1.0, "吨": 1.0, "万吨": 1e4, "kg": 1e-3, "千克": 1e-3, "公斤": 1e-3},
}
#: The dimension and factor of each field unit declared in the registry.
FIELD_UNITS = {"m²": ("area", 1.0), "万元": ("money", 1.0), "m": ("length", 1.0), "mm": ("length", 1e-3),
               "tce": ("energy", 1.0), "t": ("mass", 1.0)}

_UNIT_IN_HEADER = re.compile(r"^(?P<base>.*?)[\s_]*[(\[{](?P<unit>[^()\[\]{}]{1,12})[)\]}]\s*$")
_UNIT_SUFFIX = re.compile(r"^(?P<base>.+?)_(?P<unit>[^_]{1,6})$")


class MappingError(ValueError):
    """The mapping file is unreadable or names fields, keys or values that do not exist."""


@dataclass(frozen=True)
class FieldMapping:
    """A parsed mapping file (all parts optional)."""

    fields: dict[str, str | None] = field(default_factory=dict)
    keep: tuple[str, ...] = ()
    values: dict[str, dict[str, object]] = field(default_factory=dict)
    defaults: dict[str, object] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    include: dict[str, tuple[str, ...]] = field(default_factory=dict)
    source_layer: str | None = None
    crs: str | None = None
    encoding: str | None = None
    path: str | None = None
    #: Source fields kept as they are whose ids link the records of the layer's link (``LayerSpec.links``:
    #: an enterprise list's parcels), whatever their header; a link column the mapping keeps links nothing.
    links: tuple[str, ...] = ()


def unit_dimension(unit: str) -> tuple[str, float] | None:
    key = normalise_text(unit)
    for dimension, table in UNIT_FACTORS.items():
        for name, factor in table.items():
            if normalise_text(name) == key:
                return dimension, factor
    return None


def field_dimension(spec_field: Field) -> tuple[str, float] | None:
    """(dimension, factor to base) of a field's declared unit; ratios for unitless 0–1 floats."""
    if spec_field.unit in FIELD_UNITS:
        return FIELD_UNITS[spec_field.unit]
    if spec_field.unit is None and spec_field.kind == "float" and spec_field.max_value == 1:
        return "ratio", 1.0
    return None


def unit_factor(unit: str, spec_field: Field) -> float:
    """Factor turning values in ``unit`` into ``spec_field``'s unit; ``ValueError`` when impossible."""
    target = field_dimension(spec_field)
    source = unit_dimension(unit)
    if target is None or source is None or source[0] != target[0]:
        expected = f"a unit of {target[0]}" if target else "no unit"
        msg = f"unit {unit!r} cannot be converted to {spec_field.name} ({spec_field.unit or 'no unit'}; {expected})"
        raise ValueError(msg)
    return source[1] / target[1]


def split_unit(header: str) -> tuple[str, str | None]:
    """``'出让面积(亩)'`` → (``'出让面积'``, ``'亩'``); headers without a unit come back unchanged."""
    text = normalise_text(header)
    match = _UNIT_IN_HEADER.match(text)
    if match and match.group("base"):
        return match.group("base"), match.group("unit").strip()
    match = _UNIT_SUFFIX.match(text)
    if match and unit_dimension(match.group("unit")):
        return match.group("base"), match.group("unit")
    return text, None


def name_lookup(spec: LayerSpec) -> dict[str, str]:
    """Normalised name → field, in precedence order: names, aliases, Chinese labels, English labels."""
    table: dict[str, str] = {}
    for f in spec.fields:
        table.setdefault(normalise_text(f.name), f.name)
    for f in spec.fields:
        for alias in f.aliases:
            table.setdefault(normalise_text(alias), f.name)
    for f in spec.fields:
        table.setdefault(normalise_text(f.label_zh), f.name)
    for f in spec.fields:
        table.setdefault(normalise_text(f.label_en), f.name)
    return table


@dataclass
class ColumnMatch:
    """How the source columns map onto the layer.

    ``renames`` maps source column → field; ``units`` holds the header unit of
    a mapped field; ``kept`` are the source columns no field takes (kept as they
    are), ``ignored`` those the mapping drops; ``notes``/``problems`` are
    (field, message, value) triples.
    """

    renames: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    notes: list[tuple[str, str, object]] = field(default_factory=list)
    problems: list[tuple[str, str, object]] = field(default_factory=list)


def match_columns(columns: list[str], spec: LayerSpec, mapping: FieldMapping | None = None) -> ColumnMatch:
    """Map source ``columns`` to ``spec``'s fields (explicit mapping first, then aliases)."""
    mapping = mapping or FieldMapping()
    lookup = name_lookup(spec)
    explicit = {normalise_text(k): v for k, v in mapping.fields.items()}
    keep = {normalise_text(k) for k in mapping.keep}
    explicit_units = {normalise_text(k): v for k, v in mapping.units.items()}
    result = ColumnMatch()
    taken: dict[str, str] = {}
    for column in columns:
        key = normalise_text(column)
        base, unit = split_unit(column)
        if key in keep:
            result.kept.append(column)
            continue
        if key in explicit:
            target = explicit[key]
            if target is None:
                result.ignored.append(column)
                continue
            if not _UNIT_IN_HEADER.match(key):
                unit = None  # named exactly: only a bracketed unit (面积(亩)) says anything about units
        else:
            target = lookup.get(key) or lookup.get(base)
            if target is None:
                result.kept.append(column)
                continue
            if lookup.get(key):
                unit = None  # the whole header is a name (e.g. an alias that contains brackets)
        unit = explicit_units.get(key, unit)
        if target in taken:
            result.notes.append((target, f"source field {column!r} also matches; kept as it is "
                                         f"(the field is taken from {taken[target]!r})", None))
            result.kept.append(column)
            continue
        taken[target] = column
        result.renames[column] = target
        if unit is not None:
            spec_field = spec.field(target)
            try:
                factor = unit_factor(unit, spec_field)
            except ValueError as exc:
                if field_dimension(spec_field) is None and unit_dimension(unit) is None:
                    continue  # a qualifier such as 名称(中文): nothing to convert
                result.problems.append((target, f"source field {column!r}: {exc}", unit))
                continue
            if factor != 1.0:
                result.units[target] = unit
    missing = [f.name for f in spec.fields if f.required and f.name not in taken and f.name != spec.id_field]
    result.problems += [(name, "required field is missing from the source", None) for name in missing]
    return result


def _fail(path: str, key: str, message: str, value: object = None) -> MappingError:
    shown = "" if value is None else f" (got {value!r})"
    return MappingError(f"{path}: {key}: {message}{shown}")


def _check_field(path: str, key: str, name: object, spec: LayerSpec) -> str:
    if name not in spec.field_names:
        raise _fail(path, key, f"no field of layer {spec.name!r}; fields: {', '.join(spec.field_names)}", name)
    return str(name)


def parse_mapping(data: object, spec: LayerSpec, *, path: str = "mapping") -> FieldMapping:
    """Check a mapping document against ``spec`` and return it typed."""
    if data is None:
        return FieldMapping(path=path)
    if not isinstance(data, dict):
        raise _fail(path, "(top)", "must be a mapping of keys (fields, values, defaults, …)", type(data).__name__)
    unknown = [k for k in data if k not in MAPPING_KEYS]
    if unknown:
        raise _fail(path, str(unknown[0]), f"unknown key; allowed: {', '.join(MAPPING_KEYS)}")

    def section(name: str) -> dict:
        value = data.get(name) or {}
        if not isinstance(value, dict):
            raise _fail(path, name, "must be a mapping", value)
        return value

    fields = {}
    for source, target in section("fields").items():
        fields[str(source)] = None if target in (None, "") else _check_field(path, f"fields.{source}", target, spec)
    keep = data.get("keep") or []
    if not isinstance(keep, list) or not all(isinstance(k, str | int) for k in keep):
        raise _fail(path, "keep", "must be a list of source field names", keep)
    both = [str(k) for k in keep if str(k) in fields]
    if both:
        raise _fail(path, "keep", f"source field {both[0]!r} is also under fields; say one of the two")
    links = data.get("links") or []
    if not isinstance(links, list) or not all(isinstance(k, str | int) for k in links):
        raise _fail(path, "links", "must be a list of source field names", links)
    if links and not spec.links:
        raise _fail(path, "links", f"layer {spec.name!r} links no other layer's records", links)
    both = [str(k) for k in links if str(k) in fields or k in keep]
    if both:
        raise _fail(path, "links", f"source field {both[0]!r} is also under fields or keep; say one of the two")
    values = {}
    for target, table in section("values").items():
        _check_field(path, f"values.{target}", target, spec)
        if not isinstance(table, dict):
            raise _fail(path, f"values.{target}", "must map source values to values", table)
        values[str(target)] = {str(k): v for k, v in table.items()}
    defaults = {_check_field(path, f"defaults.{k}", k, spec): v for k, v in section("defaults").items()}
    units = {}
    for source, unit in section("units").items():
        if unit_dimension(str(unit)) is None:
            known = ", ".join(sorted({u for table in UNIT_FACTORS.values() for u in table}))
            raise _fail(path, f"units.{source}", f"unknown unit; known: {known}", unit)
        units[str(source)] = str(unit)
    include = {}
    for source, allowed in section("include").items():
        allowed = allowed if isinstance(allowed, list) else [allowed]
        include[str(source)] = tuple(str(v) for v in allowed)
    scalars = {}
    for key in ("source_layer", "crs", "encoding"):
        value = data.get(key)
        if value is not None and not isinstance(value, str | int):
            raise _fail(path, key, "must be text", value)
        scalars[key] = None if value is None else str(value)
    return FieldMapping(fields, tuple(str(k) for k in keep), values, defaults, units, include, path=path,
                        links=tuple(str(k) for k in links), **scalars)


def load_mapping(path: str | Path, spec: LayerSpec) -> FieldMapping:
    """Read and check a YAML mapping file."""
    return read_mapping_file(path, spec)[0]


def read_mapping_file(path: str | Path, spec: LayerSpec) -> tuple[FieldMapping, str]:
    """Read and check a YAML mapping file; the mapping and its text (to save it by name)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        msg = f"{path}: cannot read the mapping file ({exc.strerror or exc})"
        raise MappingError(msg) from None
    except UnicodeDecodeError:
        msg = f"{path}: the mapping file must be UTF-8 text"
        raise MappingError(msg) from None
    return read_mapping_text(text, spec, path=str(path)), text


def mapping_document(mapping: FieldMapping) -> dict:
    """``mapping`` as the YAML document :func:`parse_mapping` reads (empty parts left out)."""
    document = {"fields": dict(mapping.fields), "keep": list(mapping.keep), "links": list(mapping.links),
                "values": {k: dict(v) for k, v in mapping.values.items()}, "defaults": dict(mapping.defaults),
                "units": dict(mapping.units), "include": {k: list(v) for k, v in mapping.include.items()},
                "source_layer": mapping.source_layer, "crs": mapping.crs, "encoding": mapping.encoding}
    return {key: value for key, value in document.items() if value not in (None, {}, [])}


def dump_mapping(mapping: FieldMapping) -> str:
    """YAML text of ``mapping`` (UTF-8, Chinese kept, keys in the documented order)."""
    return yaml.safe_dump(mapping_document(mapping), allow_unicode=True, sort_keys=False)


def read_mapping_text(text: str, spec: LayerSpec, *, path: str) -> FieldMapping:
    """Parse and check mapping YAML ``text`` (named ``path`` in messages)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        msg = f"{path}: not valid YAML ({exc})"
        raise MappingError(msg) from None
    return parse_mapping(data, spec, path=path)
