"""The keeping step of an import: source fields no registry field takes, kept as they came.

:func:`keep_columns` turns the source columns the mapping left over into the
records' ``source_attributes`` (:mod:`layers.source_attributes`) and says per
column what became of it. A column keeps its name and the type it was read
with; where the source is one of ParkAtlas's own exports, the export's types
column (CSV, XLSX, KML, GeoJSON, GeoPackage) or its ``.fields.csv`` (Shapefile)
gives each kept column its original type and name back. A value that does not
read as the type it is said to have is kept as text, and the report says so.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from layers.source_attributes import KeptColumn, column_type, encode, read_manifest, typed_values
from layers.values import present


@dataclass
class Kept:
    """What the keeping step made: the documents per record, the outcome per column, notices.

    ``kinds`` is the type each kept column was kept with (``mixed`` when its
    records differ); ``unreadable`` maps a column to why it could not be kept
    (zh, en); ``notes`` are (source column, message, value) triples.
    """

    documents: pd.Series
    names: dict[str, str] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    unreadable: dict[str, tuple[str, str]] = field(default_factory=dict)
    notes: list[tuple[str, str, object]] = field(default_factory=list)


def manifest_entries(frame: pd.DataFrame, column: str | None) -> list[dict[str, tuple[str, str]]] | None:
    """Per source record, the export's {column: (type, original name)}; None without a types column."""
    return None if column is None else read_manifest(frame[column])


def _typed(series: pd.Series, kinds: np.ndarray, column: str, notes: list) -> tuple[pd.Series, np.ndarray]:
    """Values of ``series`` read record by record as ``kinds``; those that do not read so are kept as text."""
    values = pd.Series(None, index=series.index, dtype=object)
    kinds = kinds.astype(object).copy()
    for kind in pd.unique(kinds):
        rows = np.flatnonzero(kinds == kind)
        typed, bad = typed_values(series.iloc[rows], kind)
        values.iloc[rows] = typed.to_numpy(dtype=object)
        if bad.any():
            wrong = rows[bad]
            text, _ = typed_values(series.iloc[wrong], "text")
            values.iloc[wrong] = text.to_numpy(dtype=object)
            kinds[wrong] = "text"
            notes.append((column, f"{len(wrong)} value(s) do not read as {kind}; kept as text",
                          series.iloc[wrong[0]]))
    return values, kinds


def keep_columns(source: pd.DataFrame, columns: list[str], *, manifest: list[dict] | None = None,
                 declared: dict[str, str] | None = None) -> Kept:
    """Keep ``columns`` of ``source`` (the records imported, in order) as each record's source attributes.

    Parameters
    ----------
    manifest
        Per record of ``source``, an export's {column: (type, original name)}.
    declared
        Column → (type, original name) said by a Shapefile's ``.fields.csv``.
    """
    declared = declared or {}
    kept: list[KeptColumn] = []
    result = Kept(pd.Series(dtype=object))
    for column in columns:
        series = source[column].reset_index(drop=True)
        listed = [entry.get(column) for entry in manifest] if manifest is not None else None
        if listed is not None and any(listed):
            counts = Counter(kind for kind, _ in filter(None, listed))
            default = counts.most_common(1)[0][0]
            name = next(original for _, original in filter(None, listed))
            kinds = np.array([entry[0] if entry else default for entry in listed], dtype=object)
            # A record whose manifest does not list the column has it only where a value was added since.
            has = np.array([entry is not None for entry in listed]) | present(series).to_numpy(dtype=bool)
        else:
            (kind, name), why = (declared[column], None) if column in declared else (
                (column_type(series)[0], column), column_type(series)[1])
            if kind is None:
                result.unreadable[column] = why
                continue
            kinds, has = np.full(len(series), kind, dtype=object), None
        values, kinds = _typed(series, kinds, column, result.notes)
        distinct = set(kinds[has] if has is not None else kinds)
        # No record holds a value (or there are no records): the column's one declared or detected type.
        result.kinds[column] = distinct.pop() if len(distinct) == 1 else (
            "mixed" if distinct else (kinds[0] if len(kinds) else column_type(series)[0] or "text"))
        result.names[column] = name
        kept.append(KeptColumn(name, kinds[0] if len(set(kinds)) == 1 else kinds, values, has))
    result.documents = encode(kept, len(source))
    return result


__all__ = ["Kept", "keep_columns", "manifest_entries"]
