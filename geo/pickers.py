"""Choices for coded fields in the editor: names to pick, codes as the values saved (issue 17 §2).

A land-use code is picked among the classes of the record's classification system
(工业用地 (1001), 二类工业用地 (100102) …); an enterprise among the park's enterprises by name.
"""

from __future__ import annotations

from collections.abc import Mapping

from layers.landuse import CLASSES_BY_STANDARD, STD_2023


def land_use_options(standard: str | None, lang: str = "zh") -> list[tuple[str, str]]:
    """(code, ``name (code)``) of every class of ``standard`` (the 2023 system when unknown or missing), in
    the system's order (a class before its sub-classes)."""
    table = CLASSES_BY_STANDARD.get(standard or STD_2023) or CLASSES_BY_STANDARD[STD_2023]
    return [(code, f"{c.label_en if lang == 'en' else c.label_zh} ({code})") for code, c in table.items()]


def enterprise_options(names: Mapping[str, str]) -> list[tuple[str, str]]:
    """(id, ``name (id)``) of the park's enterprises, by name (those without a name by id, last)."""
    return sorted(((eid, f"{name} ({eid})" if name else eid) for eid, name in names.items()),
                  key=lambda pair: (pair[1] == pair[0], pair[1]))


__all__ = ["enterprise_options", "land_use_options"]
