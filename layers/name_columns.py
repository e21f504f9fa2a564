"""Names beside codes in the tables people read: 用地性质 ``100102`` with 用地性质名称 二类工业用地 after it.

Coded fields declared with their values (status, tenure …) are written by their
labels in CSV and XLSX already (``layers.io.write.attribute_table``). Some fields
hold codes whose names live elsewhere: a land-use code is named by the table of
its classification (:mod:`layers.landuse`), a logged layer or field by the
registry. For those, the human exports keep the code column as it is (it is what
a re-import reads) and add a column of names right after it, declared here once
(:data:`NAME_COLUMNS`).

The added column restates its code, so it is no data: an import of such an
export recognises it (:func:`restating_columns`: its header is the name column
of a field the import maps, and every value is empty or the name of its row's
code, in Chinese or English) and ignores it, saying why. A column edited to say
something else is kept as a source attribute, as any other field would be.

Industry codes (GB/T 4754) get no name column: the project has no table of
their names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from layers import landuse
from layers.registry import REGISTRY
from layers.schema import LayerSpec
from layers.values import normalise_text, present

LANGS = ("zh", "en")


def _missing(value: object) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _land_use_name(code: object, standard: object, lang: str) -> str | None:
    """The class name of land-use ``code`` in ``standard`` (its nearest parent class's where the code itself is
    not in the table); None without a known classification or class."""
    if _missing(code) or _missing(standard) or str(standard) not in landuse.CLASSES_BY_STANDARD:
        return None
    found = landuse.land_use_class(str(code).strip(), str(standard))
    return None if found is None else (found.label_en if lang == "en" else found.label_zh)


def _layer_name(layer: object, _context: object, lang: str) -> str | None:
    spec = None if _missing(layer) else REGISTRY.get(str(layer))
    return None if spec is None else spec.label(lang)


def _field_name(field_name: object, layer: object, lang: str) -> str | None:
    spec = None if _missing(layer) else REGISTRY.get(str(layer))
    if spec is None or _missing(field_name) or str(field_name) not in spec.field_names:
        return None
    declared = spec.field(str(field_name))
    return declared.label_en if lang == "en" else declared.label_zh


@dataclass(frozen=True)
class NameColumn:
    """A column of names after the code field ``field`` of ``layer``.

    ``name(code, context, lang)`` names one code; ``context`` is the row's value of
    ``context_field`` (the code's classification, the logged layer), or the fixed
    ``context_value`` where the layer has no such field.
    """

    layer: str
    field: str
    label_zh: str
    label_en: str
    name: Callable[[object, object, str], str | None]
    context_field: str | None = None
    context_value: str | None = None

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_zh

    def names(self, frame: pd.DataFrame, lang: str) -> pd.Series:
        """The name of every record's code in ``lang`` (None where the code, or its name, is not known)."""
        return _names(frame[self.field], self.context(frame), self.name, lang)

    def context(self, frame: pd.DataFrame) -> pd.Series:
        """Each record's context of its code (``context_field``'s values, or ``context_value`` on every record)."""
        if self.context_field is not None:
            return frame[self.context_field]
        return pd.Series(self.context_value, index=frame.index, dtype=object)


def _names(codes: pd.Series, context: pd.Series, name, lang: str) -> pd.Series:
    """``name`` of each (code, context) pair, each distinct pair looked up once."""
    cache: dict[tuple, str | None] = {}
    out = []
    for pair in zip(codes.astype(object).tolist(), context.astype(object).tolist()):
        key = tuple(None if _missing(v) else v for v in pair)
        if key not in cache:
            cache[key] = name(key[0], key[1], lang)
        out.append(cache[key])
    return pd.Series(out, index=codes.index, dtype=object)


#: Every name column, in the order of the layers' fields.
NAME_COLUMNS = (
    NameColumn("parcels", "land_use", "用地性质名称", "Land-use name", _land_use_name, context_field="land_use_std"),
    NameColumn("parcels", "land_use_original", "原用地名称", "Original land-use name", _land_use_name,
               context_field="land_use_original_std"),
    NameColumn("audit_events", "layer", "图层名称", "Layer name", _layer_name),
    NameColumn("audit_events", "field", "字段名称", "Field name", _field_name, context_field="layer"),
    NameColumn("case_events", "field", "字段名称", "Field name", _field_name, context_value="cases"),
)


def name_columns(spec: LayerSpec) -> dict[str, NameColumn]:
    """Code field → its name column, for layer ``spec``."""
    return {c.field: c for c in NAME_COLUMNS if c.layer == spec.name and c.field in spec.field_names}


def headers(spec: LayerSpec) -> set[str]:
    """Every header a name column of ``spec`` has, in any language."""
    return {c.label(lang) for c in name_columns(spec).values() for lang in LANGS}


def restating_columns(source: pd.DataFrame, renames: dict[str, str], candidates: list[str],
                      spec: LayerSpec) -> dict[str, tuple[str, str]]:
    """Columns among ``candidates`` (source fields no registry field takes) that are the name column of a code
    field the import maps (``renames``: source column → field) and hold nothing but the names of their rows' codes
    (in Chinese or English), with why they are not kept (zh, en)."""
    declared = name_columns(spec)
    source_of = {target: column for column, target in renames.items()}
    out: dict[str, tuple[str, str]] = {}
    for candidate in candidates:
        key = normalise_text(candidate)
        column = next((c for c in declared.values() if c.field in source_of
                       and key in {normalise_text(c.label(lang)) for lang in LANGS}), None)
        if column is None:
            continue
        if column.context_field is not None and column.context_field not in source_of:
            continue
        codes = source[source_of[column.field]]
        context = (source[source_of[column.context_field]] if column.context_field is not None
                   else column.context(source))
        values = source[candidate]
        given = present(values).to_numpy(dtype=bool)
        if _restates(values[given], codes[given], context[given], column.name):
            code = spec.field(column.field)
            out[candidate] = (f"由{code.label_zh}得出的名称", f"names derived from {code.label_en}")
    return out


def _restates(values: pd.Series, codes: pd.Series, context: pd.Series, name) -> bool:
    """Whether every value is the name of its row's code in one of the languages."""
    text = values.astype(object).map(lambda v: str(v).strip())
    named = [(text == _names(codes, context, name, lang)).to_numpy(dtype=bool) for lang in LANGS]
    return bool((named[0] | named[1]).all())


__all__ = ["NAME_COLUMNS", "NameColumn", "headers", "name_columns", "restating_columns"]
