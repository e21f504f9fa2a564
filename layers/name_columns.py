"""Names beside codes in the tables people read: 用地性质 ``100102`` with 用地性质名称 二类工业用地 after it.

Coded fields declared with their values (status, tenure …) are written by their
labels in CSV and XLSX already (``layers.io.write.attribute_table``). Some fields
hold codes whose names live elsewhere: a land-use code is named by the table of
its classification (:mod:`layers.landuse`), a logged layer or field by the
registry, a logged value by its layer and field. For those, the human exports
keep the code column as it is (it is what a re-import reads) and add a column of
names right after it, declared here once (:data:`NAME_COLUMNS`).

The added column restates its code, so it is no data: an import of such an
export recognises it (:func:`restating_columns`: its header is the name column
of a field the import maps, and every value is empty or the name of its row's
code, in Chinese or English) and ignores it, saying why. A column edited to say
something else is kept as a source attribute, as any other field would be.

Industry codes (GB/T 4754) get no name column: the project has no table of
their names.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from layers import landuse
from layers.audit import GEOMETRY, WHOLE_RECORD
from layers.registry import REGISTRY
from layers.schema import SOURCE_ATTRIBUTES, LayerSpec
from layers.values import normalise_text, present

LANGS = ("zh", "en")


def _missing(value: object) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _land_use_name(code: object, context: tuple, lang: str) -> str | None:
    """The class name of land-use ``code`` in its classification (``context``: the system; its nearest parent
    class's name where the code itself is not in the table); None without a known classification or class."""
    standard, = context
    if _missing(code) or _missing(standard) or str(standard) not in landuse.CLASSES_BY_STANDARD:
        return None
    found = landuse.land_use_class(str(code).strip(), str(standard))
    return None if found is None else (found.label_en if lang == "en" else found.label_zh)


@functools.cache
def _land_use_names() -> frozenset[str]:
    """The name of every land-use class of every classification, in Chinese and English."""
    return frozenset(name for table in landuse.CLASSES_BY_STANDARD.values() for c in table.values()
                     for name in (c.label_zh, c.label_en))


def _layer_name(layer: object, _context: tuple, lang: str) -> str | None:
    spec = None if _missing(layer) else REGISTRY.get(str(layer))
    return None if spec is None else spec.label(lang)


def _declared(layer: object, field_name: object):
    """The registry's field ``field_name`` of ``layer``, or None."""
    spec = None if _missing(layer) else REGISTRY.get(str(layer))
    if spec is None or _missing(field_name) or str(field_name) not in spec.field_names:
        return None
    return spec.field(str(field_name))


def _field_name(field_name: object, context: tuple, lang: str) -> str | None:
    """A logged field's label (``context``: its layer)."""
    declared = _declared(context[0], field_name)
    return None if declared is None else (declared.label_en if lang == "en" else declared.label_zh)


#: A logged yes/no value (canonical text of the audit trail) as people read it.
_YES_NO = {"true": ("是", "yes"), "false": ("否", "no")}


def _value_name(value: object, context: tuple, lang: str) -> str | None:
    """A logged value's name (``context``: its layer and field): a declared code's label, yes/no, a land-use
    class (用地用海2023 first, as the history pages name it), a whole record's fields; None for other values,
    which read as they are."""
    if not _missing(value) and context[1] == WHOLE_RECORD:
        return _record_name(str(value), context[0], lang)
    declared = _declared(*context)
    if declared is None or _missing(value):
        return None
    text, en = str(value), lang == "en"
    if declared.codes:
        return next((c.label_en if en else c.label_zh for c in declared.codes if c.value == text), None)
    if declared.kind == "bool":
        names = _YES_NO.get(text)
        return None if names is None else names[1 if en else 0]
    if declared.name in ("land_use", "land_use_original"):
        return next(filter(None, (_land_use_name(text, (std,), lang) for std in landuse.LAND_USE_STANDARDS)), None)
    return None


def _record_name(text: str, layer: object, lang: str) -> str | None:
    """A whole logged record (JSON of field → canonical text) as its fields read: ``地块编号：P1；用地性质：一类工业用地；…``
    (empty fields, the geometry and the kept source attributes left out); None when it is not such a record."""
    try:
        record = json.loads(text)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    separator, between = ("; ", ": ") if lang == "en" else ("；", "：")
    parts = []
    for name, value in record.items():
        if _missing(value) or name in (GEOMETRY, SOURCE_ATTRIBUTES):
            continue
        label = _field_name(name, (layer,), lang) or name
        parts.append(f"{label}{between}{_value_name(value, (layer, name), lang) or value}")
    return separator.join(parts)


def _in_layer(name, layer: str):
    """``name`` of a log whose records are all of ``layer`` (a case's history): the layer comes first in context."""
    return lambda code, context, lang: name(code, (layer, *context), lang)


@dataclass(frozen=True)
class NameColumn:
    """A column of names after the code field ``field`` of ``layer``.

    ``name(code, context, lang)`` names one code; ``context`` holds the row's values
    of ``context_fields`` (the code's classification; a logged value's layer and field).
    """

    layer: str
    field: str
    label_zh: str
    label_en: str
    name: Callable[[object, tuple, str], str | None]
    context_fields: tuple[str, ...] = ()
    #: Every name ``name`` gives, in any language, where a name that is not its record's code's still tells
    #: that the column was made from codes (a land-use class's); nothing where it would not.
    vocabulary: Callable[[], frozenset[str]] = frozenset

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_zh

    def names(self, frame: pd.DataFrame, lang: str) -> pd.Series:
        """The name of every record's code in ``lang`` (None where the code, or its name, is not known)."""
        return _names(frame[self.field], [frame[c] for c in self.context_fields], self.name, lang)


def _names(codes: pd.Series, context: list[pd.Series], name, lang: str) -> pd.Series:
    """``name`` of each code in its context, each distinct (code, context) looked up once."""
    rows = list(zip(*(s.astype(object).where(s.notna(), None).tolist() for s in (codes, *context))))
    where, distinct = pd.factorize(pd.Series(rows, dtype=object)) if rows else (np.array([], dtype=int), [])
    named = np.array([name(row[0], row[1:], lang) for row in distinct] + [None], dtype=object)[:-1]
    return pd.Series(named[where], index=codes.index, dtype=object)


#: Every name column, in the order of the layers' fields.
NAME_COLUMNS = (
    NameColumn("parcels", "land_use", "用地性质名称", "Land-use name", _land_use_name, ("land_use_std",),
               vocabulary=_land_use_names),
    NameColumn("parcels", "land_use_original", "原用地名称", "Original land-use name", _land_use_name,
               ("land_use_original_std",), vocabulary=_land_use_names),
    NameColumn("audit_events", "layer", "图层名称", "Layer name", _layer_name),
    NameColumn("audit_events", "field", "字段名称", "Field name", _field_name, ("layer",)),
    NameColumn("audit_events", "old_value", "原值名称", "Old value name", _value_name, ("layer", "field")),
    NameColumn("audit_events", "new_value", "新值名称", "New value name", _value_name, ("layer", "field")),
    NameColumn("case_events", "field", "字段名称", "Field name", _in_layer(_field_name, "cases")),
    NameColumn("case_events", "old_value", "原值名称", "Old value name", _in_layer(_value_name, "cases"), ("field",)),
    NameColumn("case_events", "new_value", "新值名称", "New value name", _in_layer(_value_name, "cases"), ("field",)),
)


def name_columns(spec: LayerSpec) -> dict[str, NameColumn]:
    """Code field → its name column, for layer ``spec``."""
    return {c.field: c for c in NAME_COLUMNS if c.layer == spec.name and c.field in spec.field_names}


@dataclass
class Restating:
    """What an import makes of the name columns in its source: those not to keep, with why (zh, en), and notes
    (column, message, value) on names that no longer name their records' codes."""

    columns: dict[str, tuple[str, str]] = field(default_factory=dict)
    notes: list[tuple[str, str, object]] = field(default_factory=list)


def restating_columns(source: pd.DataFrame, renames: dict[str, str], candidates: list[str],
                      spec: LayerSpec) -> Restating:
    """The name columns among ``candidates`` (source fields no registry field takes): those headed as the name
    column of a code field the import maps (``renames``: source column → field) whose every value names its
    row's code (in Chinese or English), or, for land use, names some class (a code changed in the spreadsheet
    after the export leaves the old name beside it: the code is imported, and a note says how many)."""
    declared = name_columns(spec)
    source_of = {target: column for column, target in renames.items()}
    out = Restating()
    for candidate in candidates:
        key = normalise_text(candidate)
        column = next((c for c in declared.values() if c.field in source_of
                       and key in {normalise_text(c.label(lang)) for lang in LANGS}), None)
        if column is None or any(c not in source_of for c in column.context_fields):
            continue
        given = present(source[candidate]).to_numpy(dtype=bool)
        text = source[candidate][given].astype(object).map(lambda v: str(v).strip())
        codes = source[source_of[column.field]][given]
        context = [source[source_of[c]][given] for c in column.context_fields]
        named = np.zeros(len(text), dtype=bool)
        for lang in LANGS:
            named |= (text == _names(codes, context, column.name, lang)).to_numpy(dtype=bool)
        stale = ~named & text.isin(column.vocabulary()).to_numpy(dtype=bool)
        if not (named | stale).all():
            continue
        code = spec.field(column.field)
        out.columns[candidate] = (f"由{code.label_zh}得出的名称", f"names derived from {code.label_en}")
        if stale.any():
            out.notes.append((candidate, f"{int(stale.sum())} value(s) name a class other than the record's "
                                         f"{column.field}: the {column.field} code is imported, the names are "
                                         "not kept", text[stale].iloc[0]))
    return out


__all__ = ["NAME_COLUMNS", "NameColumn", "Restating", "name_columns", "restating_columns"]
