"""Choices for coded fields in the editor: names to pick, codes as the values saved (issue 17 §2).

A land-use code is picked among the classes of the record's classification system
(工业用地 (1001), 二类工业用地 (100102) …); an enterprise among the park's enterprises by name; the
parcel, building or unit a record belongs to among that layer's records in force, by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from layers.landuse import CLASSES_BY_STANDARD, STD_2023, land_use_class


def land_use_options(standard: str | None, lang: str = "zh", current: str | None = None) -> list[tuple[str, str]]:
    """(code, ``name (code)``) of every class of ``standard`` (the 2023 system when unknown or missing), in
    the system's order (a class before its sub-classes); a ``current`` code the list lacks (a sub-code the
    table does not name) first, with the name of its nearest named class."""
    standard = standard if standard in CLASSES_BY_STANDARD else STD_2023
    options = [(code, f"{c.label_en if lang == 'en' else c.label_zh} ({code})")
               for code, c in CLASSES_BY_STANDARD[standard].items()]
    if current and current not in CLASSES_BY_STANDARD[standard]:
        found = land_use_class(current, standard)
        named = (found.label_en if lang == "en" else found.label_zh) if found else None
        options.insert(0, (current, f"{named} ({current})" if named else current))
    return options


def enterprise_options(names: Mapping[str, str]) -> list[tuple[str, str]]:
    """(id, ``name (id)``) of the park's enterprises, by name (those without a name by id, last)."""
    return sorted(((eid, f"{name} ({eid})" if name else eid) for eid, name in names.items()),
                  key=lambda pair: (pair[1] == pair[0], pair[1]))


def record_options(records: Iterable[tuple[str, str | None]]) -> list[tuple[str, str]]:
    """(id, ``name (id)``) of the records another field refers to (a building's parcel, a lease's unit),
    by name, those without a name by id, last."""
    return enterprise_options(dict(records))


__all__ = ["enterprise_options", "land_use_options", "record_options"]
