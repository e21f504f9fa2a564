"""Names, not codes: what a person reads for a coded value, in Chinese or English.

Coded fields name their values in the layer declarations (``layers/catalog/*.py``: code →
中文 / English); land-use classes in :mod:`layers.landuse`; the kinds of inefficient land
and the 亩均 grades here. Every table shown or exported in a language passes its code
columns through :func:`code_name` (or :func:`named`) so that 供地方式 reads 出让, not ``granted``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

from geo.inefficiency import LABELS_ZH as INEFFICIENCY_ZH
from layers.landuse import LAND_USE_STANDARDS, STD_2023, land_use_class
from layers.registry import REGISTRY, get_layer

#: Kinds of inefficient land (低效用地) in English; Chinese in ``geo.inefficiency.LABELS_ZH``.
INEFFICIENCY_EN = {
    "approved_unsupplied": "approved, not supplied",
    "supplied_unused": "supplied, not used",
    "underused": "underused",
    "built_not_operating": "built, not operating",
    "below_target": "below contracted targets",
}
#: 亩均 grades (亩均效益综合评价): A–D by the park's percentile bands, T not graded (exempt or lacking figures).
GRADE_NAMES = {
    "A": ("A类", "grade A"),
    "B": ("B类", "grade B"),
    "C": ("C类", "grade C"),
    "D": ("D类", "grade D"),
    "T": ("暂不评价", "not graded"),
}

#: Idle-land clauses of 闲置土地处置办法 (原国土资源部令第53号) 第二条, as the idle analysis names them:
#: IDLE-A the first case (not started), IDLE-B the second (started, then suspended).
CLAUSE_NAMES = {
    "IDLE-A": ("超约定动工日期满一年未动工", "not started a full year after the agreed start"),
    "IDLE-B": ("已动工但开发不足、中止满一年", "started, under-developed and suspended a full year"),
}


def _missing(value) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def code_names(layer: str, field: str, lang: str = "zh") -> dict[str, str]:
    """Code → name of a coded field of ``layer`` in ``lang``."""
    en = lang == "en"
    return {c.value: (c.label_en if en else c.label_zh) for c in get_layer(layer).field(field).codes}


def code_name(layer: str, field: str, lang: str = "zh") -> Callable[[object], object]:
    """A function giving a value's name (unknown values unchanged, missing stays missing)."""
    names = code_names(layer, field, lang)
    return lambda value: None if _missing(value) else names.get(value, value)


def land_use_name(code, standard: str | None = None, lang: str = "zh"):
    """The class name of a land-use ``code`` (in ``standard``; without one, the first system that knows it)."""
    if _missing(code):
        return None
    standards = (standard,) if isinstance(standard, str) and standard else (STD_2023, *LAND_USE_STANDARDS)
    for std in standards:
        found = land_use_class(str(code), std)
        if found is not None:
            return found.label_en if lang == "en" else found.label_zh
    return str(code)


def inefficiency_name(kind, lang: str = "zh"):
    """The name of a kind of inefficient land."""
    if _missing(kind):
        return None
    return (INEFFICIENCY_EN if lang == "en" else INEFFICIENCY_ZH).get(kind, kind)


def grade_name(grade, lang: str = "zh"):
    """The name of a 亩均 grade (A–D, T)."""
    if _missing(grade):
        return None
    names = GRADE_NAMES.get(str(grade))
    return str(grade) if names is None else names[1 if lang == "en" else 0]


def clause_name(clause, lang: str = "zh"):
    """What an idle-land clause code (IDLE-A, IDLE-B) says."""
    if _missing(clause):
        return None
    names = CLAUSE_NAMES.get(str(clause))
    return str(clause) if names is None else names[1 if lang == "en" else 0]


def named_value(layer: str, field: str, text, lang: str = "zh",
                enterprises: Mapping[str, str] | None = None) -> tuple[str | None, str | None]:
    """A stored value as a person reads it, with the code to keep on hover: ``("在建", "under_construction")``
    for a declared code, a land-use class's name for its number, an enterprise's name for its id; other
    values (and unknown codes) as stored, with no code beside them. ``(None, None)`` when missing."""
    if _missing(text):
        return None, None
    text = str(text)
    found = None
    if field == "land_use":
        found = land_use_name(text, lang=lang)
    elif field == "enterprise_id":
        found = (enterprises or {}).get(text)
    else:
        spec = REGISTRY.get(layer)
        if spec is not None and field in spec.field_names and spec.field(field).codes:
            found = code_names(layer, field, lang).get(text)
    return (found, text) if found and found != text else (text, None)


def named(values: pd.Series, name: Callable[[object], object]) -> pd.Series:
    """``values`` with each replaced by its name (object dtype; missing stays None)."""
    return values.astype(object).map(name)


__all__ = ["CLAUSE_NAMES", "GRADE_NAMES", "clause_name", "INEFFICIENCY_EN", "code_name", "code_names", "grade_name", "inefficiency_name",
           "land_use_name", "named", "named_value"]
