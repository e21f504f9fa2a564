"""Wide yearly columns of a list (``2024年营业收入（万元）``, ``营业收入2024``, ``2024营收``) → one record per
record of the list and year, as the layer's yearly table declares them (``LayerSpec.yearly_layer``).

A park office keeps its enterprise list wide: one row per enterprise, a column per
figure and year. The yearly table (``enterprise_years``) wants one record per
enterprise and year. :func:`yearly_columns` reads the headers: a year (1990–2100,
written ``2024``, ``2024年`` or ``2024年度``, before or after the name, or in brackets
after it: ``营业收入（2024年）``) beside a measure the yearly table declares (its field
names, aliases and labels: 营业收入, 税收, 从业人员 …), with an optional unit in
brackets. The unit is converted to the field's declared one (元 → 万元 × 0.0001, 亿元 →
万元 × 10⁴); a header without a unit is read in the declared unit. A header with a year
and no known measure, with a known measure and no year, or with a unit that cannot be
converted stays a plain attribute of the list, and the report says why.
:func:`reshape_years` turns the rows into the yearly records: an empty cell gives no
value for that figure (an existing value of the yearly record is kept), and a year
with no figure on a row gives no record for it.

Pure: frames in, frames out; nothing here reads a file or a park.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from layers.io.mapping import field_dimension, name_lookup, split_unit, unit_dimension, unit_factor
from layers.schema import LayerSpec
from layers.values import normalise_text, present, to_float

#: The field of a yearly table holding the year.
YEAR_FIELD = "year"
_YEAR = r"(?P<year>(?:19|20|21)\d{2})"
#: A year first: ``2024年营业收入``, ``2024年度税收``, ``2024营收``, ``2024_revenue`` (a digit straight after the year
#: without 年 is no name: ``20240101``).
_YEAR_FIRST = re.compile(rf"^{_YEAR}(?:\s*(?:年度|年)[\s_\-.]*(?P<named>.+)|[\s_\-.]*(?P<measure>[^\d年].*))$")
_YEAR_LAST = re.compile(rf"^(?P<measure>.*\D)[\s_\-.]*{_YEAR}\s*(?:年度|年)?$")
_YEAR_ONLY = re.compile(rf"^{_YEAR}\s*(?:年度|年)?$")


@dataclass(frozen=True)
class YearlyColumn:
    """A source column holding one figure (``field`` of the yearly table) of one year, and its unit."""

    column: str
    year: int
    field: str
    #: The unit the header gives (None: read in the field's unit).
    unit: str | None
    #: Values × factor are in the field's declared unit.
    factor: float = 1.0


@dataclass
class YearlyColumns:
    """What :func:`yearly_columns` made of a list's headers: the columns reshaped, and those with a year or a
    measure that stay attributes, with why (English, as the report says it)."""

    columns: list[YearlyColumn] = field(default_factory=list)
    left: list[tuple[str, str]] = field(default_factory=list)


def measure_fields(spec: LayerSpec, key: str) -> dict[str, str]:
    """Normalised names (field names, aliases, labels) → the yearly table's numeric fields, but its id, ``key``
    and the year."""
    numeric = {f.name for f in spec.fields if f.kind in ("float", "int")} - {spec.id_field, key, YEAR_FIELD}
    return {name: target for name, target in name_lookup(spec).items() if target in numeric}


def _year_and_measure(header: str) -> tuple[int, str, str | None] | None:
    """(year, measure text, unit) a header writes, or None when it writes no year beside a name."""
    base, unit = split_unit(header)
    if unit is not None and _YEAR_ONLY.match(unit):  # 营业收入（2024年）: the year in brackets, no unit
        base, unit = f"{base}{unit}", None
    found = _YEAR_FIRST.match(base) or _YEAR_LAST.match(base)
    if found is None:
        return None
    measure = (found.groupdict().get("named") or found["measure"] or "").strip(" _-.")
    return (int(found["year"]), measure, unit) if measure else None


def yearly_columns(columns: list[str], spec: LayerSpec, *, key: str) -> YearlyColumns:
    """Which of a list's ``columns`` hold a figure of the yearly table ``spec`` for a year (see the module).

    ``key`` is the yearly table's field naming the list's record (``enterprise_id``).
    Columns without a year are not looked at (they are the list's own fields or
    attributes); one with a year is reshaped, or left with the reason.
    """
    measures = measure_fields(spec, key)
    year_field = spec.field(YEAR_FIELD)
    out = YearlyColumns()
    taken: dict[tuple[int, str], str] = {}
    for column in columns:
        read = _year_and_measure(str(column))
        if read is None:
            continue
        year, measure, unit = read
        target = measures.get(normalise_text(measure))
        if target is None:
            out.left.append((column, f"a year ({year}) and no figure of {spec.name} ({measure!r} is none of "
                                     f"{', '.join(sorted(set(measures.values())))}): kept as an attribute"))
            continue
        if not (year_field.min_value or 0) <= year <= (year_field.max_value or 9999):
            out.left.append((column, f"year {year} is outside {year_field.min_value:g}–{year_field.max_value:g}: "
                                     "kept as an attribute"))
            continue
        spec_field = spec.field(target)
        factor = 1.0
        if unit is not None:
            try:
                factor = unit_factor(unit, spec_field)
            except ValueError as exc:
                if field_dimension(spec_field) is not None or unit_dimension(unit) is not None:
                    out.left.append((column, f"{exc}: kept as an attribute"))
                    continue
                # A word beside a count (从业人员（人）): nothing to convert.
        if (year, target) in taken:
            out.left.append((column, f"{target} of {year} is taken from {taken[year, target]!r} already: kept as "
                                     "an attribute"))
            continue
        taken[year, target] = column
        out.columns.append(YearlyColumn(column, year, target, unit, factor))
    return out


@dataclass
class YearlyRows:
    """The yearly records :func:`reshape_years` made: ``frame`` (the yearly table's id, ``key``, year and the
    figures, raw but for unit conversion), ``provided`` (per record, which figures the source gives: the
    others are not the file's to change) and ``source`` (per record, the position of the row it came from)."""

    frame: pd.DataFrame
    provided: pd.DataFrame
    source: np.ndarray


def record_ids(owners, years) -> list[str]:
    """The yearly records' ids, ``<owner id>-<year>`` (``enterprise_years.record_id``)."""
    return [f"{owner}-{int(year)}" for owner, year in zip(owners, years, strict=True)]


def rekeyed(records: pd.DataFrame, ids_now: dict[str, str], spec: LayerSpec, *, key: str) -> pd.DataFrame:
    """``records`` (:func:`reshape_years`'s, in their order) of the owners ``ids_now`` names under their ids now
    (the generated ids an import numbered again at its write), their own ids following."""
    if not ids_now:
        return records
    out = records.copy()
    out[key] = [ids_now.get(owner, owner) for owner in records[key]]
    out[spec.id_field] = record_ids(out[key], out[YEAR_FIELD])
    return out


def reshape_years(rows: pd.DataFrame, ids: pd.Series, columns: list[YearlyColumn], spec: LayerSpec, *,
                  key: str) -> YearlyRows:
    """One record per row of ``rows`` and year of ``columns`` with a figure, keyed ``<id>-<year>``.

    ``rows`` are the list's rows (positions 0…n−1), ``ids`` their ids (text,
    aligned). A figure in another unit is converted (× the column's factor); a
    value that is not a number is passed on as it is, for validation to name.
    Records come by year, then by row.
    """
    figures = sorted({c.field for c in columns}, key=spec.field_names.index)
    frames, provided, source = [], [], []
    ids = pd.Series(ids.to_numpy(dtype=object), index=rows.index)
    for year in sorted({c.year for c in columns}):
        mine = [c for c in columns if c.year == year]
        values = {c.field: _in_unit(rows[c.column], c.factor) for c in mine}
        has = pd.DataFrame({name: present(values[name]) if name in values else pd.Series(False, index=rows.index)
                            for name in figures})
        any_figure = has.any(axis=1).to_numpy()
        if not any_figure.any():
            continue
        chosen = rows.index[any_figure]
        frame = pd.DataFrame({spec.id_field: record_ids(ids[chosen], [year] * len(chosen)), key: ids[chosen].to_numpy(),
                              YEAR_FIELD: year})
        for name in figures:
            frame[name] = values[name][chosen].to_numpy() if name in values else None
        frames.append(frame)
        provided.append(has[any_figure].reset_index(drop=True))
        source.append(np.flatnonzero(any_figure))
    if not frames:
        empty = pd.DataFrame(columns=[spec.id_field, key, YEAR_FIELD, *figures])
        return YearlyRows(empty, pd.DataFrame(columns=figures, dtype=bool), np.zeros(0, dtype=np.int64))
    return YearlyRows(pd.concat(frames, ignore_index=True), pd.concat(provided, ignore_index=True),
                      np.concatenate(source))


def _in_unit(values: pd.Series, factor: float) -> pd.Series:
    """``values`` × ``factor`` where they are numbers; as they are elsewhere (missing, or text that is not a number:
    validation names it), and all as they are when there is nothing to convert."""
    if factor == 1.0:
        return values
    numbers, bad = to_float(values)
    divisor = 1 / factor  # 元 → 万元 divides by 10 000: 12 345 678 元 is 1 234.5678 万元, not 1 234.5678000000001
    converted = numbers / round(divisor) if abs(divisor - round(divisor)) < 1e-9 else numbers * factor
    return values.astype(object).where(bad | numbers.isna(), converted)


def unit_text(column: YearlyColumn, spec: LayerSpec) -> str:
    """How a column's unit was read (English, for the report)."""
    declared = spec.field(column.field).unit
    if column.unit is None:
        return f"no unit in the header: read in {declared}" if declared else "no unit"
    if column.factor != 1.0:
        return f"{column.unit} converted to {declared}, × {column.factor:g}"
    return f"in {column.unit}"


__all__ = ["YEAR_FIELD", "YearlyColumn", "YearlyColumns", "YearlyRows", "measure_fields", "reshape_years",
           "unit_text", "yearly_columns"]
