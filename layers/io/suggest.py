"""The mapping step's suggestions: which registry field a source field fits, judged from its values.

The automatic matching (:func:`layers.io.mapping.match_columns`) goes by field
names. A field the names do not place may still hold what a registry field
holds: land-use codes of 用地用海 2023, of GB/T 21010 (三调) or GB 50137, the
Chinese names of those classes, zoning classes of a plan (工業區, 住宅區 …), or
the labels of a coded field (状态, 管线类别 …), in simplified or traditional
characters. :func:`suggest` looks at a field's distinct values
(:class:`FieldProfile`) and proposes a target with the value crosswalk that
makes its values the registry's, and says why. Nothing here changes an import:
the mapping step shows the suggestion, the user accepts or edits it, and only
the mapping it posts is applied.

Traditional characters are folded to simplified ones by the table in
``data/traditional_chinese.txt``; value crosswalks come from
``data/value_crosswalks.yaml`` (or the file ``PARKATLAS_VALUE_CROSSWALKS``
names).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from layers import landuse
from layers.schema import Field, LayerSpec
from layers.values import normalise_text, present

DATA = Path(__file__).resolve().parents[2] / "data"
TRADITIONAL_TABLE = DATA / "traditional_chinese.txt"
CROSSWALKS = DATA / "value_crosswalks.yaml"
#: The share of a field's distinct values that must fit a target before it is suggested: below it, a few
#: matching values in a column of free text (names, remarks) would suggest nonsense.
SUGGEST_MIN_SHARE = 0.8


@functools.lru_cache(maxsize=4)
def _traditional(path: Path = TRADITIONAL_TABLE) -> dict[int, str]:
    pairs: dict[int, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        for entry in line.split():
            if len(entry) == 2 and entry[0] != entry[1]:
                pairs[ord(entry[0])] = entry[1]
    return pairs


def fold(text: object) -> str:
    """``text`` for comparing labels: traditional characters as simplified, width and case folded."""
    return normalise_text(str(text).translate(_traditional()))


@dataclass(frozen=True)
class Crosswalk:
    """One table of ``data/value_crosswalks.yaml``: source labels → values of registry field ``field``."""

    name: str
    label_zh: str
    label_en: str
    field: str
    values: dict[str, str]
    defaults: dict[str, str] = field(default_factory=dict)
    source: str = ""

    def lookup(self) -> dict[str, str]:
        return {fold(k): str(v) for k, v in self.values.items()}


class CrosswalkError(ValueError):
    """The value-crosswalk file is unreadable or malformed; the message names the file, table and key."""


def load_crosswalks(path: str | Path | None = None) -> list[Crosswalk]:
    """The value crosswalks of ``path`` (default ``data/value_crosswalks.yaml``), checked."""
    path = Path(path or CROSSWALKS)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        msg = f"{path}: the value crosswalks cannot be read ({exc})"
        raise CrosswalkError(msg) from None
    tables = (data or {}).get("tables") if isinstance(data, dict) else None
    if not isinstance(tables, list):
        msg = f"{path}: expected a list 'tables:' of crosswalk tables"
        raise CrosswalkError(msg)
    out = []
    for i, table in enumerate(tables):
        where = f"{path}: tables[{i}]"
        if not isinstance(table, dict) or not isinstance(table.get("values"), dict) or not table.get("field"):
            msg = f"{where}: each table needs 'field' and a mapping 'values' of source label → value"
            raise CrosswalkError(msg)
        out.append(Crosswalk(str(table.get("name") or f"table {i + 1}"), str(table.get("label_zh") or ""),
                             str(table.get("label_en") or ""), str(table["field"]),
                             {str(k): str(v) for k, v in table["values"].items()},
                             {str(k): str(v) for k, v in (table.get("defaults") or {}).items()},
                             str(table.get("source") or "")))
    return out


# -- what a source field holds ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldProfile:
    """A source field's values as the mapping step shows them: the most frequent distinct ones with counts."""

    source: str
    present: int
    distinct: int
    top: tuple[tuple[str, int], ...]

    @property
    def complete(self) -> bool:
        """Whether ``top`` lists every distinct value."""
        return len(self.top) == self.distinct

    def to_dict(self) -> dict:
        return {"source": self.source, "present": self.present, "distinct": self.distinct,
                "values": [{"value": v, "count": c} for v, c in self.top]}


def _as_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def profile_columns(source: pd.DataFrame, columns: list[str], *, limit: int) -> list[FieldProfile]:
    """A profile of each of ``columns`` of ``source``: the ``limit`` most frequent distinct values as text."""
    out = []
    for column in columns:
        series = source[column]
        if series.dtype == object and series.map(lambda v: isinstance(v, bytes | dict | list)).any():
            out.append(FieldProfile(column, int(series.notna().sum()), 0, ()))
            continue
        values = series[present(series)].map(_as_text)
        counts = values.value_counts(sort=True)
        out.append(FieldProfile(column, int(len(values)), int(len(counts)),
                                tuple((str(v), int(c)) for v, c in counts.head(limit).items())))
    return out


# -- suggestions --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """A target for a source field judged from its values, the value crosswalk that goes with it, and why."""

    target: str
    share: float
    why: tuple[str, str]
    values: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"target": self.target, "share": round(self.share, 3), "why_zh": self.why[0], "why_en": self.why[1],
                "values": self.values, "defaults": self.defaults}


_STANDARD_NAMES = {landuse.STD_2023: ("用地用海 2023 代码", "用地用海 2023 codes"),
                   landuse.STD_GBT21010: ("三调（GB/T 21010）代码", "三调 (GB/T 21010) codes"),
                   landuse.STD_GBT21010_2007: ("二调（GB/T 21010-2007）代码", "二调 (GB/T 21010-2007) codes"),
                   landuse.STD_GB50137: ("GB 50137 代码", "GB 50137 codes")}


def _canonical_code(value: str) -> str:
    return re.sub(r"\s+", "", normalise_text(value)).upper()


#: What a code of each system looks like (a known class prefix alone would make any word starting with R or M a
#: GB 50137 code): two, four or six digits; a capital letter and up to three digits.
CODE_PATTERNS = {landuse.STD_2023: re.compile(r"^\d{2}(?:\d{2}){0,2}$"),
                 landuse.STD_GBT21010: re.compile(r"^\d{2}(?:\d{2})?$"),
                 landuse.STD_GBT21010_2007: re.compile(r"^\d{2}\d?$"),
                 landuse.STD_GB50137: re.compile(r"^[A-Z]\d{0,3}$")}


def _land_use_codes(values: list[str]) -> Suggestion | None:
    """Land-use codes of one classification: the system most values are codes of (exact codes break ties)."""
    best = None
    for std, table in landuse.CLASSES_BY_STANDARD.items():
        codes = [_canonical_code(v) for v in values]
        known = sum(bool(CODE_PATTERNS[std].match(c)) and landuse.is_known_code(c, std) for c in codes) / len(codes)
        exact = sum(c in table for c in codes) / len(codes)
        if best is None or (known, exact) > best[0]:
            best = ((known, exact), std)
    (share, _), std = best
    if share == 0:
        return None
    zh, en = _STANDARD_NAMES[std]
    return Suggestion("land_use", share, (f"值为{zh}", f"the values are {en}"), defaults={"land_use_std": std})


def _land_use_labels(values: list[str]) -> Suggestion | None:
    """Names of land-use classes (工业用地, 二类工业用地 …) of any system, crosswalked to their 2023 codes."""
    found = {v: named for v in values if (named := landuse.code_of_name(v, fold)) is not None}
    if not found:
        return None
    in_2023 = {v: code for v, (code, std) in found.items() if std == landuse.STD_2023}
    return Suggestion("land_use", len(in_2023) / len(values),
                      ("值为用地用海 2023 地类名称", "the values are names of 用地用海 2023 classes"),
                      values=in_2023, defaults={"land_use_std": landuse.STD_2023})


def _crosswalk(values: list[str], table: Crosswalk) -> Suggestion | None:
    lookup = table.lookup()
    found = {v: lookup[fold(v)] for v in values if fold(v) in lookup}
    if not found:
        return None
    return Suggestion(table.field, len(found) / len(values),
                      (f"值见对照表“{table.label_zh or table.name}”", f"the values are in the table "
                                                                      f"'{table.label_en or table.name}'"),
                      values=found, defaults=dict(table.defaults))


def code_lookup(spec_field: Field) -> dict[str, str]:
    """Folded value, label and alias → code of a coded field."""
    lookup: dict[str, str] = {}
    for code in spec_field.codes:
        for name in (code.value, code.label_zh, code.label_en, *code.aliases):
            lookup.setdefault(fold(name), code.value)
    return lookup


def _coded(values: list[str], spec_field: Field) -> Suggestion | None:
    lookup = code_lookup(spec_field)
    found = {v: lookup[fold(v)] for v in values if fold(v) in lookup}
    if not found:
        return None
    return Suggestion(spec_field.name, len(found) / len(values),
                      (f"值为“{spec_field.label_zh}”的代码或名称", f"the values are codes or labels of "
                                                                f"'{spec_field.label_en}'"),
                      values={v: c for v, c in found.items() if v != c})


def suggest(profile: FieldProfile, spec: LayerSpec, crosswalks: list[Crosswalk], *,
            min_share: float = SUGGEST_MIN_SHARE, taken: set[str] = frozenset()) -> Suggestion | None:
    """The registry field ``profile``'s values fit best (at least ``min_share`` of its distinct values), or None.

    Fields in ``taken`` (mapped from other source fields already) are not suggested.
    """
    values = [v for v, _ in profile.top]
    if not values:
        return None
    candidates: list[Suggestion | None] = []
    if "land_use" in spec.field_names:
        candidates += [_land_use_codes(values), _land_use_labels(values)]
    candidates += [_crosswalk(values, t) for t in crosswalks if t.field in spec.field_names]
    candidates += [_coded(values, f) for f in spec.fields if f.codes and f.name != spec.id_field]
    usable = [c for c in candidates if c is not None and c.share >= min_share and c.target not in taken]
    # The best share wins; on a tie the earlier kind (codes, class names, tables, coded fields) does.
    return max(usable, key=lambda c: c.share, default=None)


def value_suggestions(values: list[str], target: Field, crosswalks: list[Crosswalk]) -> dict[str, str]:
    """Source value → suggested registry value for the value editor of a field mapped onto ``target``."""
    out: dict[str, str] = {}
    if target.name == "land_use":
        for candidate in (_land_use_labels(values), *[_crosswalk(values, t) for t in crosswalks
                                                       if t.field == "land_use"]):
            if candidate is not None:
                for value, code in candidate.values.items():
                    out.setdefault(value, code)
    if target.codes:
        lookup = code_lookup(target)
        out.update({v: lookup[fold(v)] for v in values if fold(v) in lookup and v not in out})
    for table in crosswalks:
        if table.field == target.name and target.name != "land_use":
            lookup = table.lookup()
            out.update({v: lookup[fold(v)] for v in values if fold(v) in lookup and v not in out})
    return out


__all__ = ["Crosswalk", "CrosswalkError", "FieldProfile", "Suggestion", "code_lookup", "fold", "load_crosswalks",
           "profile_columns", "suggest", "value_suggestions"]
