"""Source attributes no registry field takes, kept on the record with their original names and types.

An import maps what it can onto the registry's fields and keeps every other
source field as it came, in the record's ``source_attributes`` field: one JSON
text per record, ::

    {"types": {"分區類": "text", "容积率": "float"}, "values": {"分區類": "工業區", "容积率": 2.0}}

Names and their order are the source's. Types are :data:`KEPT_TYPES`; values are
JSON-native (dates as ``YYYY-MM-DD``, date-times in ISO 8601), missing ones
``null``. One text column means a GeoPackage and a PostGIS park store it alike,
edits, audit diffs and trust stamps treat it as any text field, and validation
checks its shape (:func:`document_problems`).

Exports spread the attributes back into columns of their own names
(:func:`spread`); formats whose cells do not say their type (CSV, KML, GeoJSON
dates, …) also carry a per-record column :data:`TYPES_COLUMN` naming each kept
column's type (and its original name where a registry column took it), which
the importer reads back (:func:`read_manifest`), so a re-import of any export
gives the same attributes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from layers.schema import SOURCE_ATTRIBUTES, LayerSpec
from layers.values import STRING_DTYPE, normalise_text, present, to_bool, to_date, to_float, to_int

#: The types a kept attribute may have.
KEPT_TYPES = ("text", "int", "float", "bool", "date", "datetime")
#: The per-record column of an export naming the type of each kept column (JSON), and its headers.
TYPES_COLUMN = "source_field_types"
TYPES_HEADERS = {"zh": "源字段类型", "en": "Source field types"}
#: How a kept column whose name an export already uses is renamed (the manifest says its original name).
CLASH_SUFFIX = "_源"  # not bracketed: "WKT [源]" would read as WKT with a unit

_NULL = "null"


def is_types_column(name: object) -> bool:
    """Whether a source column is an export's per-record types column (any of its names)."""
    key = normalise_text(name)
    return key in {normalise_text(n) for n in (TYPES_COLUMN, *TYPES_HEADERS.values())}


def carries(spec: LayerSpec) -> bool:
    """Whether layer ``spec`` has the source-attributes field."""
    return SOURCE_ATTRIBUTES in spec.field_names


# -- reading source columns -----------------------------------------------------------------------------------


def column_type(series: pd.Series) -> tuple[str | None, tuple[str, str] | None]:
    """The kept type of a source column as read, or (None, why it cannot be kept, in Chinese and English).

    Booleans, integers, floats and date-times by their dtype (a date-time column
    whose every value is at midnight is a date); objects by their values: text,
    dates, date-times, numbers; binary data cannot be kept.
    """
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "bool", None
    if pd.api.types.is_integer_dtype(dtype):
        return "int", None
    if pd.api.types.is_float_dtype(dtype):
        return "float", None
    if pd.api.types.is_datetime64_any_dtype(dtype):
        values = series.dropna()
        if getattr(dtype, "tz", None) is None and (values == values.dt.normalize()).all():
            return "date", None
        return "datetime", None
    if isinstance(dtype, pd.StringDtype):
        return "text", None
    inferred = pd.api.types.infer_dtype(series, skipna=True)
    if inferred in ("bytes",) or series.map(lambda v: isinstance(v, bytes | bytearray | memoryview)).any():
        return None, ("二进制数据（BLOB），没有文字形式", "binary data (BLOB), which has no text form")
    return {"boolean": "bool", "integer": "int", "floating": "float", "mixed-integer-float": "float",
            "date": "date", "datetime64": "datetime", "datetime": "datetime"}.get(inferred, "text"), None


def _text_of(value: object) -> str:
    """A value read as text: whole floats without '.0', dates in ISO, nested values as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.isoformat() if (value.hour, value.minute, value.second, value.microsecond) != (0, 0, 0, 0) \
            else value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _missing(values: pd.Series) -> np.ndarray:
    """Missing values and blank text (a DBF pads text with blanks: nothing was written there)."""
    if values.dtype == object and values.map(lambda v: isinstance(v, dict | list | tuple)).any():
        return values.isna().to_numpy(dtype=bool, na_value=True)  # nested values: present() cannot strip them
    return ~present(values).to_numpy(dtype=bool)


def typed_values(series: pd.Series, kind: str) -> tuple[pd.Series, np.ndarray]:
    """``series`` as JSON-ready values of ``kind`` (object, None where missing) and a mask of values that do not
    read as ``kind`` (kept as text by the caller)."""
    missing = _missing(series)
    if kind == "text":
        if isinstance(series.dtype, pd.StringDtype) or pd.api.types.infer_dtype(series, skipna=True) == "string":
            out = series.to_numpy(dtype=object, na_value=None).copy()  # text already: no value-by-value pass
        else:
            out = np.empty(len(series), dtype=object)
            out[:] = [_text_of(v) for v in series.tolist()]
        out[missing] = None
        return pd.Series(out, index=series.index, dtype=object), np.zeros(len(series), dtype=bool)
    if kind == "float":
        numbers, bad = to_float(series)
        # + 0.0 turns -0.0 into 0.0: files store them alike (SQLite keeps an integral REAL as an integer).
        finite = numbers.where(np.isfinite(numbers.to_numpy(dtype=float, na_value=np.nan))) + 0.0
        out = finite.astype(object).where(finite.notna(), None)
        return out, bad.to_numpy(dtype=bool) | (numbers.notna() & finite.isna()).to_numpy()
    if kind == "int":
        numbers, bad = to_int(series)
        return _objects(numbers, int), bad.to_numpy(dtype=bool)
    if kind == "bool":
        flags, bad = to_bool(series)
        return _objects(flags, bool), bad.to_numpy(dtype=bool)
    if kind == "date":
        dates, bad = to_date(series)
        out = dates.dt.strftime("%Y-%m-%d").astype(object).where(dates.notna(), None)
        return out, bad.to_numpy(dtype=bool)
    if kind == "datetime":
        return _datetimes(series, missing)
    msg = f"unknown kept type {kind!r}; allowed: {', '.join(KEPT_TYPES)}"
    raise ValueError(msg)


def _objects(values: pd.Series, kind) -> pd.Series:
    """Plain Python values of a nullable column, None where missing (no dtype inference: 0 stays an int)."""
    out = np.empty(len(values), dtype=object)
    out[:] = [None if pd.isna(v) else kind(v) for v in values.tolist()]
    return pd.Series(out, index=values.index, dtype=object)


def _datetimes(series: pd.Series, missing: np.ndarray) -> tuple[pd.Series, np.ndarray]:
    out = pd.Series(None, index=series.index, dtype=object)
    bad = np.zeros(len(series), dtype=bool)
    for position, value in enumerate(series.tolist()):
        if missing[position]:
            continue
        try:
            stamp = pd.Timestamp(value)
        except (ValueError, TypeError):
            bad[position] = True
            continue
        out.iloc[position] = stamp.isoformat()
    return out, bad


# -- encoding ---------------------------------------------------------------------------------------------------


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _fragments(values: pd.Series, prefix: str = "") -> np.ndarray:
    """``prefix`` + the JSON text of each value (``null`` for None), each distinct value encoded once."""
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    encoded = np.array([prefix + _json(v.item() if hasattr(v, "item") else v) for v in uniques] + [prefix + _NULL],
                       dtype=object)
    return encoded[codes]


@dataclass
class KeptColumn:
    """One source column kept on the records: its original name, the type of each record's value, the values.

    ``types`` is one type for the whole column or one per record; ``present`` marks
    the records that have the attribute at all (a record of an export whose
    manifest does not list it has not); ``values`` are JSON-ready.
    """

    name: str
    types: str | np.ndarray
    values: pd.Series
    present: np.ndarray | None = None


def encode(columns: list[KeptColumn], length: int) -> pd.Series:
    """The ``source_attributes`` text of each of ``length`` records from the kept columns (None: nothing kept)."""
    if not columns:
        return pd.Series(None, index=pd.RangeIndex(length), dtype=object)
    if all(isinstance(c.types, str) and c.present is None for c in columns):
        # Every record has every attribute with the column's type (an import): one types text, values joined
        # column by column (object arrays concatenate in C).
        types = ",".join(_json(c.name) + ":" + _json(c.types) for c in columns)
        head = '{"types":{' + types + '},"values":{'
        parts = [_fragments(c.values.reset_index(drop=True), ("," if k else "") + _json(c.name) + ":")
                 for k, c in enumerate(columns)]
        return pd.Series([head + "".join(row) + "}}" for row in zip(*parts)], dtype=object)
    type_parts, value_parts = [], []
    for column in columns:
        key = _json(column.name) + ":"
        if isinstance(column.types, str):
            types = np.full(length, key + _json(column.types), dtype=object)
        else:
            types = np.array([key + _json(t) for t in column.types], dtype=object)
        values = key + _fragments(column.values.reset_index(drop=True))
        if column.present is not None:
            types = np.where(column.present, types, "")
            values = np.where(column.present, values, "")
        type_parts.append(types)
        value_parts.append(values)
    documents = [
        '{"types":{' + ",".join(filter(None, t)) + '},"values":{' + ",".join(filter(None, v)) + "}}"
        if any(t) else None
        for t, v in zip(zip(*type_parts), zip(*value_parts))
    ]
    return pd.Series(documents, dtype=object)


def merge_documents(first: pd.Series, second: pd.Series) -> pd.Series:
    """Per record, the attributes of ``first`` with those of ``second`` added (``second`` wins on a name)."""
    out = []
    for a, b in zip(first.tolist(), second.tolist()):
        if not isinstance(a, str) or not a.strip():
            out.append(b)
            continue
        if not isinstance(b, str):
            out.append(a)
            continue
        left, right = json.loads(a), json.loads(b)
        out.append(_json({"types": {**left["types"], **right["types"]},
                          "values": {**left["values"], **right["values"]}}))
    return pd.Series(out, index=first.index, dtype=object)


# -- decoding and checking --------------------------------------------------------------------------------------


def decode(text: object) -> dict | None:
    """One record's attributes as {"types": …, "values": …}, or None when it has none."""
    if not isinstance(text, str) or not text.strip():
        return None
    return json.loads(text)


def _value_fits(kind: str, value: object) -> bool:
    if value is None:
        return True
    if kind == "text":
        return isinstance(value, str)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "float":
        return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "date":
        try:
            return isinstance(value, str) and dt.date.fromisoformat(value).isoformat() == value
        except ValueError:
            return False
    try:
        return isinstance(value, str) and bool(dt.datetime.fromisoformat(value))
    except ValueError:
        return False


def document_problem(text: str) -> str | None:
    """What is wrong with one ``source_attributes`` text, or None when it is well formed."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        return f"not JSON ({exc.args[0] if exc.args else exc})"
    if not isinstance(document, dict) or set(document) != {"types", "values"}:
        return 'expected a JSON object {"types": {name: type}, "values": {name: value}}'
    types, values = document["types"], document["values"]
    if not isinstance(types, dict) or not isinstance(values, dict) or list(types) != list(values):
        return "types and values must be objects naming the same attributes in the same order"
    for name, kind in types.items():
        if kind not in KEPT_TYPES:
            return f"attribute {name!r}: unknown type {kind!r}; allowed: {', '.join(KEPT_TYPES)}"
        if not _value_fits(kind, values[name]):
            return f"attribute {name!r}: value {values[name]!r} is not of its type {kind}"
    return None


def document_problems(series: pd.Series) -> list[tuple[int, str]]:
    """(position, message) of every record whose ``source_attributes`` is not a well-formed document.

    Validation runs on every save of a layer, so the common case is checked in bulk:
    all documents parsed as one JSON array, then per group of documents with the same
    types each attribute's values at once. Only a group that fails is checked record
    by record, to name the records and say what is wrong.
    """
    present = series.notna().to_numpy()
    positions = np.flatnonzero(present)
    texts = series[present].tolist()
    if not texts:
        return []
    digest = _digest(texts)
    if digest in _VALID:  # the same documents, checked a moment ago (an import checks, then saves them)
        return []
    suspects = positions if not all(isinstance(t, str) for t in texts) else _bulk_suspects(texts, positions)
    if not len(suspects):
        _VALID[digest] = None
        while len(_VALID) > VALID_CACHE:
            _VALID.pop(next(iter(_VALID)))
    text_at = dict(zip(positions.tolist(), texts))
    problems = [(int(p), document_problem(text_at[int(p)]) if isinstance(text_at[int(p)], str)
                 else "expected JSON text") for p in suspects]
    return [(p, m) for p, m in problems if m is not None]


#: Digests of document columns found well formed lately: an import validates its records, then the save
#: validates the layer holding them again. A cryptographic digest of the texts: the same texts, the same answer.
_VALID: dict[bytes, None] = {}
VALID_CACHE = 16


def _digest(texts: list) -> bytes:
    hasher = hashlib.blake2b(digest_size=32)
    for text in texts:
        hasher.update(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else repr(text).encode())
        hasher.update(b"\x00")
    return hasher.digest()


def _bulk_suspects(texts: list[str], positions: np.ndarray) -> np.ndarray:
    """Positions of documents that may be malformed (all of them when the bulk parse cannot tell)."""
    try:
        documents = json.loads("[" + ",".join(texts) + "]")
    except ValueError:
        return positions
    if len(documents) != len(texts):  # malformed texts joined into other values: check each
        return positions
    groups: dict[tuple, list[int]] = {}
    for i, document in enumerate(documents):
        if type(document) is not dict or len(document) != 2 or type(document.get("types")) is not dict \
                or type(document.get("values")) is not dict:
            groups.setdefault(("bad",), []).append(i)
            continue
        groups.setdefault(tuple(document["types"].items()), []).append(i)
    suspect: list[int] = groups.pop(("bad",), [])
    for signature, members in groups.items():
        if not _group_fits(signature, [documents[i]["values"] for i in members]):
            suspect += members
    return positions[np.sort(np.asarray(suspect, dtype=int))]


_PLAIN_TYPES = {"text": {str}, "int": {int}, "float": {int, float}, "bool": {bool}, "date": {str}, "datetime": {str}}


def _group_fits(signature: tuple, values: list[dict]) -> bool:
    """Whether documents of one types ``signature`` all hold values of their types under the same names."""
    names = [name for name, _ in signature]
    if any(kind not in KEPT_TYPES for _, kind in signature):
        return False
    if any(list(v) != names for v in values):
        return False
    for name, kind in signature:
        column = [v[name] for v in values]
        if not set(map(type, column)) <= _PLAIN_TYPES[kind] | {type(None)}:
            return False
        if kind == "float" and not np.isfinite(np.array([x for x in column if x is not None], dtype=float)).all():
            return False
        if kind in ("date", "datetime") and not all(_value_fits(kind, x) for x in set(column)):
            return False
    return True


# -- spreading into columns (exports, tables, the preview) ----------------------------------------------------------


_COLUMN_DTYPES = {"text": STRING_DTYPE, "int": "Int64", "float": "float64", "bool": "boolean"}


@dataclass
class Spread:
    """The kept attributes of a frame as columns: names in first-seen order, one type per column.

    ``columns`` holds typed values (a column whose records disagree on the type is
    text); ``record_types`` each record's own {name: type} (None: no attributes),
    which :func:`manifest` writes for formats whose cells do not say their type.
    """

    names: list[str] = field(default_factory=list)
    types: dict[str, str] = field(default_factory=dict)
    columns: dict[str, pd.Series] = field(default_factory=dict)
    record_types: list[dict | None] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.names)


def spread(frame: pd.DataFrame) -> Spread:
    """The kept attributes of ``frame`` (a layer with the ``source_attributes`` field) as typed columns."""
    if SOURCE_ATTRIBUTES not in frame.columns or not frame[SOURCE_ATTRIBUTES].notna().any():
        return Spread(record_types=[None] * len(frame))
    documents = [decode(text) for text in frame[SOURCE_ATTRIBUTES].tolist()]
    names: dict[str, set[str]] = {}
    for document in documents:
        for name, kind in (document or {}).get("types", {}).items():
            names.setdefault(name, set()).add(kind)
    out = Spread(record_types=[None if d is None else d["types"] for d in documents])
    for name, kinds in names.items():
        kind = next(iter(kinds)) if len(kinds) == 1 else "text"
        raw = [None if d is None else d["values"].get(name) for d in documents]
        out.names.append(name)
        out.types[name] = kind
        out.columns[name] = _typed_column(raw, kind, frame.index)
    return out


def _typed_column(raw: list, kind: str, index: pd.Index) -> pd.Series:
    if kind in _COLUMN_DTYPES:
        if kind == "text":
            raw = [None if v is None else _text_of(v) for v in raw]
        return pd.Series(raw, index=index, dtype=object).astype(_COLUMN_DTYPES[kind])
    if kind == "date":
        return pd.Series(pd.to_datetime(pd.Series(raw, dtype=object), format="%Y-%m-%d").to_numpy(),
                         index=index).astype("datetime64[ms]")
    stamps = [None if v is None else pd.Timestamp(v) for v in raw]
    if any(s is not None and s.tzinfo is not None for s in stamps):
        return pd.Series(raw, index=index, dtype=object).astype(STRING_DTYPE)  # offsets kept as written
    return pd.Series(pd.to_datetime(pd.Series(stamps, dtype=object)).to_numpy(), index=index).astype("datetime64[ms]")


def text_column(values: pd.Series) -> pd.Series:
    """A spread column as text cells that read back as the same values (CSV, KML): ISO dates, true/false."""
    return values.astype(object).map(lambda v: None if v is None or (not isinstance(v, str) and pd.isna(v))
                                     else _text_of(v))


def export_names(names: list[str], taken: set[str], reserved=None) -> dict[str, str]:
    """Original name → column name in an export whose other columns are ``taken`` (case-insensitively).

    ``reserved`` says which further names a reader of the format would take for
    something else (a CSV's CRS column); those are renamed too.
    """
    used = {normalise_text(n) for n in taken}
    out = {}
    for name in names:
        column = name
        while normalise_text(column) in used or is_types_column(column) or (reserved and reserved(column)):
            column += CLASH_SUFFIX
        used.add(normalise_text(column))
        out[name] = column
    return out


def manifest(kept: Spread, columns: dict[str, str], lang: str | None = None) -> pd.Series:
    """Per record, what type each of its kept columns in the export has; None for records without attributes.

    Without ``lang`` (the machine formats) JSON: ``{column: type}``, or ``{column: [type, original name]}`` where
    the column was renamed. With one (CSV, XLSX) the same as a person reads it: ``容积率：数值；status_源：文本（原名
    status）`` / ``容积率: number; status_源: text (originally status)``; a record whose names hold the separators
    is written as JSON. :func:`read_manifest` reads both.
    """
    out = []
    for types in kept.record_types:
        if types is None:
            out.append(None)
            continue
        entry = {columns[name]: kind if columns[name] == name else [kind, name] for name, kind in types.items()}
        readable = lang is not None and not any(_SEPARATORS.search(n) or n != n.strip() or not n
                                                for name in types for n in (name, columns[name]))
        out.append(_readable(entry, lang) if readable else _json(entry))
    return pd.Series(out, dtype=object)


#: The kept types as a person reads them (zh, en), in readable types columns (and the import's messages).
KEPT_TYPE_NAMES = {"text": ("文本", "text"), "int": ("整数", "whole number"), "float": ("数值", "number"),
                   "bool": ("是/否", "yes/no"), "date": ("日期", "date"), "datetime": ("日期时间", "date and time")}
#: Between a readable manifest's entries, between a column and its type, around an original name (zh, en).
_ENTRY_SEPARATORS = {"zh": "；", "en": "; "}
_TYPE_SEPARATORS = {"zh": "：", "en": ": "}
_ORIGINAL = {"zh": "（原名 {}）", "en": " (originally {})"}
_SEPARATORS = re.compile(r"[；;：:（）(){}\n]")
_KIND_OF_NAME = {normalise_text(word): kind for kind, words in KEPT_TYPE_NAMES.items() for word in (*words, kind)}
_READABLE_TYPE = re.compile(r"^(?P<kind>[^（(]+?)\s*(?:（原名\s*(?P<zh>.+)）|\(originally\s+(?P<en>.+)\))?$")


def _readable(entry: dict, lang: str) -> str:
    lang = "en" if lang == "en" else "zh"
    parts = []
    for column, kind in entry.items():
        kind, original = (kind, None) if isinstance(kind, str) else kind
        word = KEPT_TYPE_NAMES[kind][1 if lang == "en" else 0]
        parts.append(column + _TYPE_SEPARATORS[lang] + word + (_ORIGINAL[lang].format(original) if original else ""))
    return _ENTRY_SEPARATORS[lang].join(parts)


def _parse_readable(text: str, position: int) -> dict[str, tuple[str, str]]:
    """{column: (type, original name)} of a readable manifest (``容积率：数值；status_源：文本（原名 status）``)."""
    entries = {}
    for part in filter(None, (p.strip() for p in re.split(r"[；;]", text))):
        pieces = re.split(r"[：:]", part, maxsplit=1)
        column = pieces[0].strip()
        found = _READABLE_TYPE.match(pieces[1].strip()) if len(pieces) == 2 and column else None
        kind = _KIND_OF_NAME.get(normalise_text(found["kind"])) if found else None
        if kind is None:
            msg = (f"row {position + 1}: {TYPES_COLUMN}: {part!r} does not say a column and its type "
                   f"(column{_TYPE_SEPARATORS['en']}type, types: {', '.join(w for _, w in KEPT_TYPE_NAMES.values())})")
            raise ValueError(msg)
        entries[column] = (kind, (found["zh"] or found["en"] or column).strip())
    return entries


def read_manifest(series: pd.Series) -> list[dict[str, tuple[str, str]]]:
    """Per record, {column: (type, original name)} from an export's types column ({} where it has none).

    Raises ``ValueError`` naming the record for text that is not such a manifest.
    """
    out = []
    cache: dict[str, dict] = {}
    for position, text in enumerate(series.tolist()):
        if isinstance(text, dict):  # a GeoJSON whose writer nested the JSON text as an object
            out.append(_parse_manifest(text, position))
            continue
        if text is None or (not isinstance(text, str) and pd.isna(text)) or not str(text).strip():
            out.append({})
            continue
        text = str(text)
        if text not in cache:
            cache[text] = _parse_manifest(text, position)
        out.append(cache[text])
    return out


def _parse_manifest(text: str | dict, position: int) -> dict[str, tuple[str, str]]:
    if isinstance(text, str) and not text.lstrip().startswith("{"):
        return _parse_readable(text, position)
    try:
        document = text if isinstance(text, dict) else json.loads(text)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        msg = f"row {position + 1}: {TYPES_COLUMN} is not a JSON object of column → type"
        raise ValueError(msg)
    entries = {}
    for column, entry in document.items():
        kind, original = (entry, column) if isinstance(entry, str) else (tuple(entry) + (None, None))[:2]
        if kind not in KEPT_TYPES or not isinstance(original, str):
            msg = f"row {position + 1}: {TYPES_COLUMN}: column {column!r} has an unknown type {entry!r}"
            raise ValueError(msg)
        entries[column] = (kind, original)
    return entries


def display_items(text: object) -> list[tuple[str, object]]:
    """(name, value) of a record's kept attributes for people: values JSON-native, missing ones None."""
    document = decode(text)
    return [] if document is None else list(document["values"].items())


def json_values(text: object) -> dict | None:
    """A record's kept attributes as {name: value} (the API's and the popups' form), None when it has none."""
    document = decode(text)
    return None if document is None else document["values"]


__all__ = ["CLASH_SUFFIX", "KEPT_TYPE_NAMES", "KEPT_TYPES", "TYPES_COLUMN", "TYPES_HEADERS", "KeptColumn", "Spread", "carries",
           "column_type", "decode", "display_items", "document_problem", "document_problems", "encode",
           "export_names", "is_types_column", "json_values", "manifest", "merge_documents", "read_manifest",
           "spread", "text_column", "typed_values"]
