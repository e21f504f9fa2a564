"""Validation of a whole layer at the boundary, reporting every problem at once.

:func:`validate_layer` checks and types a frame against its declaration: CRS
present, geometry type, empty or invalid geometry, ids present and unique, codes
known, numbers and dates parseable and within bounds. It gathers every problem
and raises one :class:`LayerValidationError` naming source, record, field, the
bad value and what is allowed. Fixes that lose nothing (generated ids, code
aliases, a defaulted classification system) are listed as notices.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers import credit_code, landuse, source_attributes
from layers.schema import SOURCE_ATTRIBUTES, VALID_TIME_FIELD_NAMES, Field, LayerSpec
from layers.values import FEW_VALUES, KIND_DESCRIPTIONS, STRING_DTYPE, as_declared, convert, empty_column, is_missing

#: Geometry types a declared geometry kind accepts (multi-parts are kept as they come).
ACCEPTED_GEOMETRY_TYPES = {
    "Polygon": ("Polygon", "MultiPolygon"),
    "LineString": ("LineString", "MultiLineString"),
    "Point": ("Point", "MultiPoint"),
}

#: How many problems the error message spells out; all stay in ``.problems``.
MESSAGE_PROBLEM_LIMIT = 50
#: How many record labels one aggregated notice names before "… and N more".
NOTICE_EXAMPLES = 3


@dataclass(frozen=True)
class Problem:
    """One problem (or notice) with one record and field.

    An aggregated notice stands for ``count`` records: ``record`` then names the
    first few and how many more (see :func:`aggregated`).
    """

    record: str
    field: str
    value: object
    message: str
    count: int = 1

    def __str__(self) -> str:
        shown = "" if self.value is None else f" (got {_short_repr(self.value)})"
        records = f"records {self.record} ({self.count} in all)" if self.count > 1 else f"record {self.record}"
        return f"{records}, field {self.field}: {self.message}{shown}"


def aggregated(labels, rows: np.ndarray, field_name: str, message: str, value: object = None) -> Problem:
    """One notice for every record at ``rows`` (positions), naming the first few by ``labels[row]``.

    A fix applied to 10⁵ records is one line with its count, not 10⁵ lines: that
    many notices cost more time than the import and bury the rest of the report.
    """
    shown = [labels[row] for row in rows[:NOTICE_EXAMPLES]]
    more = len(rows) - len(shown)
    record = ", ".join(shown) + (f" … and {more} more" if more > 0 else "")
    return Problem(record, field_name, value, message, count=len(rows))


@dataclass
class ValidationReport:
    """What validation did to a layer that passed: its notices and record count."""

    layer: str
    source: str
    records: int
    notices: list[Problem] = field(default_factory=list)


class LayerValidationError(ValueError):
    """A layer failed validation; ``problems`` lists every problem found."""

    def __init__(self, source: str, layer: str, problems: list[Problem]):
        self.source = source
        self.layer = layer
        self.problems = problems
        lines = [f"{source}: layer {layer!r} has {len(problems)} problem(s):"]
        lines += [f"  - {problem}" for problem in problems[:MESSAGE_PROBLEM_LIMIT]]
        if len(problems) > MESSAGE_PROBLEM_LIMIT:
            lines.append(f"  … and {len(problems) - MESSAGE_PROBLEM_LIMIT} more")
        super().__init__("\n".join(lines))


def _short_repr(value: object, limit: int = 80) -> str:
    if hasattr(value, "item") and callable(value.item):
        value = value.item()  # numpy scalar → plain Python for a readable message
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _RecordLabels:
    """'row 7 (parcel_id=P-001)' where the record has an id, else 'row 7' (1-based rows).

    Built on demand: only records with a problem are ever labelled, so a valid
    layer of a million records costs nothing here.
    """

    def __init__(self, frame: pd.DataFrame, id_field: str):
        self._ids = frame[id_field] if id_field in frame.columns else None
        self._id_field = id_field

    def __getitem__(self, row: int) -> str:
        label = f"row {row + 1}"
        if self._ids is not None:
            value = self._ids.iloc[row]
            if pd.notna(value) and str(value).strip():
                label += f" ({self._id_field}={value})"
        return label


def _allowed_text(spec_field: Field) -> str:
    if spec_field.kind == "code":
        return "unknown value; allowed: " + ", ".join(spec_field.allowed_values)
    bounds = []
    if spec_field.min_value is not None:
        bounds.append(f"≥ {spec_field.min_value:g}")
    if spec_field.max_value is not None:
        bounds.append(f"≤ {spec_field.max_value:g}")
    expected = KIND_DESCRIPTIONS[spec_field.kind]
    return f"expected {expected}" + (f" {' and '.join(bounds)}" if bounds else "")


def _out_of_range_text(spec_field: Field) -> str:
    return "out of range; " + _allowed_text(spec_field)


def _generate_ids(frame: pd.DataFrame, spec: LayerSpec, labels: _RecordLabels, notices: list[Problem]) -> pd.Series:
    """Fill missing ids with 'AUTO-<layer>-<row>' and say so for each record."""
    if spec.id_field in frame.columns:
        ids, _ = convert(frame[spec.id_field], spec.field(spec.id_field))
    else:
        ids = empty_column(spec.field(spec.id_field), frame.index)
    missing = ids.isna().to_numpy()
    if missing.any():
        rows = np.flatnonzero(missing)
        generated = [f"AUTO-{spec.name}-{row + 1}" for row in rows]
        ids = ids.copy()
        ids.iloc[rows] = generated
        if spec.id_field not in frame.columns:
            notices.append(Problem("all", spec.id_field, None,
                                   f"the source has no {spec.id_field} column; generated ids "
                                   f"{generated[0]} … {generated[-1]}"))
        elif len(rows) == 1:
            notices.append(Problem(labels[rows[0]], spec.id_field, None, f"no id; generated {generated[0]}"))
        else:
            notices.append(aggregated(labels, rows, spec.id_field,
                                      f"no id; generated AUTO-{spec.name}-<row> ({generated[0]} … {generated[-1]})"))
    return ids


def _check_geometry(frame: gpd.GeoDataFrame, spec: LayerSpec, labels: _RecordLabels, problems: list[Problem]) -> None:
    if frame.crs is None:
        problems.append(Problem("all", "geometry", None,
                                "the layer has no CRS; give the source CRS (for import: --crs EPSG:…)"))
    geoms = frame.geometry.to_numpy()
    missing = shapely.is_missing(geoms)
    empty = ~missing & shapely.is_empty(geoms)
    problems += [Problem(labels[i], "geometry", None, "geometry is missing") for i in np.flatnonzero(missing)]
    problems += [Problem(labels[i], "geometry", None, "geometry is empty") for i in np.flatnonzero(empty)]
    usable = ~missing & ~empty
    types = shapely.get_type_id(geoms)
    accepted = ACCEPTED_GEOMETRY_TYPES[spec.geometry]
    accepted_ids = [shapely.GeometryType[name.upper()].value for name in accepted]
    wrong = usable & ~np.isin(types, accepted_ids)
    problems += [
        Problem(labels[i], "geometry", geoms[i].geom_type, f"wrong geometry type; allowed: {', '.join(accepted)}")
        for i in np.flatnonzero(wrong)
    ]
    check = usable & ~wrong
    invalid = np.zeros(len(geoms), dtype=bool)
    invalid[check] = ~shapely.is_valid(geoms[check])
    problems += [
        Problem(labels[i], "geometry", None, f"invalid geometry: {shapely.is_valid_reason(geoms[i])}")
        for i in np.flatnonzero(invalid)
    ]


def _check_land_use(out: pd.DataFrame, labels: _RecordLabels, problems: list[Problem], notices: list[Problem]) -> None:
    """Land-use codes are checked against the classification system named beside them."""
    if len(out) <= FEW_VALUES:  # (a few records, an edit's: looked at value by value first)
        pairs = set(zip(out["land_use"].tolist(), out["land_use_std"].tolist()))
        if all(is_missing(code) or (not is_missing(std) and landuse.is_known_code(code, std)) for code, std in pairs):
            return  # every code has its system and is known in it: nothing to assume, nothing to report
    codes = out["land_use"]
    has_code = codes.notna()
    no_std = has_code & out["land_use_std"].isna()
    if no_std.any():
        out.loc[no_std, "land_use_std"] = landuse.STD_2023
        notices.append(aggregated(labels, np.flatnonzero(no_std.to_numpy()), "land_use_std",
                                  f"no classification given; assumed {landuse.STD_2023}"))
    pairs = out.loc[has_code, ["land_use", "land_use_std"]]
    if len(pairs) <= FEW_VALUES and all(landuse.is_known_code(code, std) for code, std in
                                        set(zip(pairs["land_use"].tolist(), pairs["land_use_std"].tolist()))):
        return  # a few records with known codes (an edit's): nothing to group
    for (code, std), rows in pairs.groupby(["land_use", "land_use_std"]).groups.items():
        if not landuse.is_known_code(code, std):
            positions = out.index.get_indexer(rows)
            allowed = (f"not a land-use code of {std}; allowed: a class of {std} or a sub-code of one, "
                       f"first-level classes {', '.join(landuse.top_classes(std))}")
            problems += [Problem(labels[i], "land_use", code, allowed) for i in positions]


def _check_valid_interval(out: pd.DataFrame, labels: _RecordLabels, problems: list[Problem]) -> None:
    """A record cannot stop being true before it starts: valid_to must not come before valid_from.

    (The same day is allowed: a record that was never true on any day, e.g. the pieces of a
    split merged again the day they were made.)
    """
    start, end = out["valid_from"], out["valid_to"]
    for i in np.flatnonzero((end < start).to_numpy(dtype=bool, na_value=False)):
        problems.append(Problem(labels[i], "valid_to", end.iloc[i].date().isoformat(),
                                f"before valid_from {start.iloc[i].date().isoformat()}; allowed: valid_from or a "
                                "later day (valid_to is the first day the record is no longer true), or empty"))


def validate_layer(
    frame: pd.DataFrame, spec: LayerSpec, *, source: str, checked: Collection[str] = ()
) -> tuple[pd.DataFrame, ValidationReport]:
    """Check and type ``frame`` against ``spec``.

    Parameters
    ----------
    frame
        GeoDataFrame for spatial layers, DataFrame for tables; any index.
    spec
        The layer declaration.
    source
        What the data came from (file name, ``park.gpkg:parcels``), named in messages.
    checked
        Fields whose column is already of its declared dtype and holds values validated before (records
        read from the store that a change left as they were): taken as they are. The checks across fields
        (ids, land use, valid interval) still see them.

    Returns
    -------
    (typed frame, report)
        Columns in declaration order (plus ``geometry``), a fresh RangeIndex,
        dtypes of the declared kinds; the report lists notices.

    Raises
    ------
    LayerValidationError
        With every problem found, when any is.
    """
    frame = frame.reset_index(drop=True)
    labels = _RecordLabels(frame, spec.id_field)
    problems: list[Problem] = []
    notices: list[Problem] = []

    if spec.geometry is not None:
        if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
            problems.append(Problem("all", "geometry", type(frame).__name__,
                                    f"layer {spec.name!r} needs geometries ({spec.geometry})"))
            raise LayerValidationError(source, spec.name, problems)
        _check_geometry(frame, spec, labels, problems)

    columns: dict[str, pd.Series] = {}
    for spec_field in spec.fields:
        if spec_field.name == spec.id_field:
            columns[spec_field.name] = _generate_ids(frame, spec, labels, notices)
            continue
        if spec_field.name not in frame.columns:
            if spec_field.required:
                problems.append(Problem("all", spec_field.name, None, "required field is missing"))
            columns[spec_field.name] = empty_column(spec_field, frame.index)
            continue
        raw = frame[spec_field.name]
        if spec_field.name in checked:
            columns[spec_field.name] = raw
            continue
        values = as_declared(raw, spec_field)
        if values is not None:  # (in declared form already, a few values: checked one by one, not converted)
            problems += _value_problems(values, spec_field, labels)
            if spec_field.form is not None:
                notices += _form_notices(raw, spec_field, labels)
            columns[spec_field.name] = raw
            continue
        typed, bad = convert(raw, spec_field)
        for i in np.flatnonzero(bad.to_numpy()):
            problems.append(Problem(labels[i], spec_field.name, raw.iloc[i], _allowed_text(spec_field)))
        if spec_field.kind in ("float", "int"):
            too_low = typed.notna() & (typed < spec_field.min_value) if spec_field.min_value is not None else None
            too_high = typed.notna() & (typed > spec_field.max_value) if spec_field.max_value is not None else None
            for mask in (too_low, too_high):
                if mask is not None:
                    for i in np.flatnonzero(mask.to_numpy(dtype=bool)):
                        problems.append(Problem(labels[i], spec_field.name, raw.iloc[i],
                                                _out_of_range_text(spec_field)))
        if spec_field.form is not None:
            notices += _form_notices(typed, spec_field, labels)
        if spec_field.required:
            for i in np.flatnonzero(typed.isna().to_numpy() & ~bad.to_numpy()):
                problems.append(Problem(labels[i], spec_field.name, None, "required value is missing"))
        columns[spec_field.name] = typed

    out = pd.DataFrame(columns, index=frame.index)
    ids = out[spec.id_field]
    if not ids.is_unique:  # a hash set answers the common case; marking the duplicates costs 3× more
        problems += [
            Problem(f"row {i + 1}", spec.id_field, ids.iloc[i], "duplicate id; ids must be unique within the layer")
            for i in np.flatnonzero(ids.duplicated(keep=False).to_numpy())
        ]
    if "land_use" in out.columns and "land_use_std" in out.columns:
        _check_land_use(out, labels, problems, notices)
    if set(VALID_TIME_FIELD_NAMES) <= set(out.columns):
        _check_valid_interval(out, labels, problems)
    if SOURCE_ATTRIBUTES in out.columns:
        problems += [Problem(labels[i], SOURCE_ATTRIBUTES, out[SOURCE_ATTRIBUTES].iloc[i], message)
                     for i, message in source_attributes.document_problems(out[SOURCE_ATTRIBUTES])]

    extra = [c for c in frame.columns if c not in spec.field_names and c != getattr(frame, "_geometry_column_name", None)]
    notices += [Problem("all", column, None, f"not a field of layer {spec.name!r}; ignored") for column in extra]

    if problems:
        raise LayerValidationError(source, spec.name, problems)
    if spec.geometry is not None:
        out = geo_frame(out, frame.geometry.to_numpy(), frame.crs)
    return out, ValidationReport(spec.name, source, len(out), notices)


#: The checks of a field's declared form (``Field.form``): (value → why it is not of the form, else None;
#: (value, why) → the notice).
FORM_CHECKS = {credit_code.FORM: (credit_code.credit_code_fault, credit_code.fault_message)}


def _form_notices(typed: pd.Series, spec_field: Field, labels: _RecordLabels) -> list[Problem]:
    """A notice per record whose text is not of the field's declared form, naming the value and why (the value is
    kept: a code to correct at its source is still the record's)."""
    check, message = FORM_CHECKS[spec_field.form]
    positions, distinct = pd.factorize(typed, use_na_sentinel=True)  # each distinct value judged once
    faults = [check(str(value)) for value in distinct]
    return [Problem(labels[i], spec_field.name, None, message(str(distinct[k]), faults[k]))
            for i, k in enumerate(positions) if k >= 0 and faults[k] is not None]


def geo_frame(frame: pd.DataFrame, geometries: np.ndarray, crs) -> gpd.GeoDataFrame:
    """``frame`` (without a ``geometry`` column) with ``geometries`` (shapely objects) in ``crs`` as its geometry
    column ``geometry``: ``GeoDataFrame(frame, geometry=geometries, crs=crs)``, built a third faster (the column
    added first: geopandas then finds it by name, not by looking at every column's dtype again)."""
    return gpd.GeoDataFrame(frame.assign(geometry=gpd.array.from_shapely(geometries, crs=crs)), geometry="geometry")


def _value_problems(values: list, spec_field: Field, labels: _RecordLabels) -> list[Problem]:
    """The problems :func:`validate_layer` finds in a column in declared form (``values``, ``as_declared``): out
    of range (below, then above), then required and missing, in the same order and words."""
    present = [(i, v) for i, v in enumerate(values) if not is_missing(v)]
    problems = []
    if spec_field.kind in ("float", "int"):
        low, high = spec_field.min_value, spec_field.max_value
        for outside in ([(i, v) for i, v in present if low is not None and v < low],
                        [(i, v) for i, v in present if high is not None and v > high]):
            problems += [Problem(labels[i], spec_field.name, v, _out_of_range_text(spec_field)) for i, v in outside]
    if spec_field.required:
        taken = {i for i, _ in present}
        problems += [Problem(labels[i], spec_field.name, None, "required value is missing")
                     for i in range(len(values)) if i not in taken]
    return problems


def cast_layer(frame: pd.DataFrame, spec: LayerSpec) -> pd.DataFrame:
    """``frame`` in the declared dtypes and column order, without checking a value.

    For a layer the store validated when writing it and that nothing changed
    since: the result equals what :func:`validate_layer` returns for it, at the
    cost of a few dtype casts (mostly none: the stores read Arrow into these
    dtypes). Fields declared after the layer was written come as empty columns.
    """
    frame = frame.reset_index(drop=True)
    if in_declared_form(frame, spec):  # as the stores read a layer they wrote: nothing to cast or reorder
        return frame
    columns = {
        f.name: _cast(frame[f.name], f) if f.name in frame.columns else empty_column(f, frame.index)
        for f in spec.fields
    }
    out = pd.DataFrame(columns, index=frame.index)
    if spec.geometry is not None:
        out = geo_frame(out, frame.geometry.to_numpy(), frame.crs)
    return out


def cast_fields(frame: pd.DataFrame, spec: LayerSpec, names: Sequence[str]) -> pd.DataFrame:
    """Fields ``names`` of ``frame`` (a trusted layer's, read without the others) in their declared dtypes, as
    :func:`cast_layer` casts them; no geometry."""
    frame = frame.reset_index(drop=True)
    return pd.DataFrame({name: _cast(frame[name], spec.field(name)) for name in names}, index=frame.index)


def in_declared_form(frame: pd.DataFrame, spec: LayerSpec) -> bool:
    """Whether ``frame`` is already what :func:`cast_layer` makes of it: the declared fields in declaration order,
    each of its dtype, then (a spatial layer) a GeoDataFrame's ``geometry``, and nothing else."""
    spatial = spec.geometry is not None
    if list(frame.columns) != [*spec.field_names, *(["geometry"] if spatial else [])]:
        return False
    if isinstance(frame, gpd.GeoDataFrame) != spatial or (spatial and frame.geometry.name != "geometry"):
        return False
    dtypes = frame.dtypes.tolist()  # one look at the dtypes: a column lookup per field costs ~50 µs
    return all(dtype == _CAST_DTYPES.get(f.kind, "datetime64[ms]") for dtype, f in zip(dtypes, spec.fields))


_CAST_DTYPES = {"str": STRING_DTYPE, "code": STRING_DTYPE, "float": "float64", "int": "Int64", "bool": "boolean"}


def _cast(series: pd.Series, spec_field: Field) -> pd.Series:
    target = _CAST_DTYPES.get(spec_field.kind, "datetime64[ms]")
    if series.dtype == target:  # as the stores mostly read it: no copy
        return series
    if spec_field.kind != "date":
        return series.astype(target)
    if not pd.api.types.is_datetime64_any_dtype(series.dtype):
        series = pd.to_datetime(series)
    return series.astype(target)
