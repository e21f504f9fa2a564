"""Vectorised conversion of raw column values to the registry's field kinds.

Each converter returns the typed Series and a boolean mask of the values that
were present but could not be converted, so the validator can report them by
record. Nothing here raises on bad data.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata

import numpy as np
import pandas as pd

from layers.schema import Field

STRING_DTYPE = pd.StringDtype(na_value=np.nan)

_TRUE_WORDS = {"true", "t", "yes", "y", "1", "是", "有", "√", "✓"}
_FALSE_WORDS = {"false", "f", "no", "n", "0", "否", "无", "×", "✗"}


def normalise_text(value: str) -> str:
    """Fold full-width characters and case for matching names and codes (NFKC, casefold, strip)."""
    return unicodedata.normalize("NFKC", str(value)).strip().casefold()


def present(series: pd.Series) -> pd.Series:
    """Mask of values that are not missing and not blank text."""
    mask = series.notna()
    if series.dtype == object or isinstance(series.dtype, pd.StringDtype):
        text = series.astype(STRING_DTYPE)
        mask &= text.str.strip().fillna("") != ""
    return mask


#: Up to this many values, a column that needs no conversion is recognised value by value and taken as it is
#: (a record an edit changed, its audit events): pandas' string and date operations cost ~0.1 ms a call
#: whatever the length, Python's a microsecond a value.
FEW_VALUES = 64
_EXACT_FLOAT_INT = 2**53


def text_as_it_is(series: pd.Series) -> pd.Series | None:
    """``series`` as text when :func:`to_text` would return it unchanged, judged value by value (at most
    :data:`FEW_VALUES` of them); else None."""
    if len(series) > FEW_VALUES or not (series.dtype == object or series.dtype == STRING_DTYPE):
        return None
    for value in series.tolist():
        if isinstance(value, str):
            if not value or value[0].isspace() or value[-1].isspace():
                return None
        elif not (value is None or value is pd.NA or (isinstance(value, float) and value != value)):
            return None
    return series.astype(STRING_DTYPE)


def to_text(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Text; whole floats (13.0 read from a DBF) become '13', not '13.0', value by value: a column of ids read as
    numbers with one fraction among them (1001.0, 1001.5) reads '1001' and '1001.5'."""
    plain = text_as_it_is(series)
    if plain is not None:
        return plain, pd.Series(False, index=series.index)
    if pd.api.types.is_bool_dtype(series.dtype):
        series = series.astype(object)
    out = series.astype(STRING_DTYPE).str.strip()
    whole = _whole_floats(series)
    if whole is not None:
        out[whole] = series[whole].astype("float64").astype("Int64").astype(STRING_DTYPE)
    out = out.where(out != "", np.nan)
    return out, pd.Series(False, index=series.index)


def _whole_floats(series: pd.Series) -> np.ndarray | None:
    """Mask of the float values of ``series`` that are whole numbers a float holds exactly (|x| ≤ 2⁵³), which
    read as integers; None when there is none."""
    if pd.api.types.is_float_dtype(series.dtype):
        numbers = series.to_numpy(dtype="float64", na_value=np.nan)
    elif series.dtype == object:
        floats = np.fromiter((isinstance(v, float | np.floating) for v in series.tolist()), dtype=bool,
                             count=len(series))
        if not floats.any():
            return None
        numbers = np.where(floats, series.to_numpy(), np.nan).astype("float64")
    else:
        return None
    with np.errstate(invalid="ignore"):
        whole = np.isfinite(numbers) & (numbers == np.round(numbers)) & (np.abs(numbers) <= _EXACT_FLOAT_INT)
    return whole if whole.any() else None


def to_float(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Numbers of ``series`` (text read without thousands separators; full-width digits, as a Chinese input method
    types them, read as digits) and which present values are not numbers."""
    if series.dtype == object or isinstance(series.dtype, pd.StringDtype):
        text = series.astype(STRING_DTYPE).str.strip().str.replace(",", "", regex=False)
        numbers = pd.to_numeric(text, errors="coerce")
    else:
        numbers = pd.to_numeric(series, errors="coerce")
    numbers = numbers.astype("float64")
    bad = present(series) & numbers.isna()
    if bad.any() and (series.dtype == object or isinstance(series.dtype, pd.StringDtype)):
        # Only the values that failed: NFKC makes ０-９, ．, －, ＋ and ， the ASCII ones.
        again = pd.to_numeric(series[bad].map(lambda v: unicodedata.normalize("NFKC", str(v)).strip()
                                              .replace(",", "")), errors="coerce").astype("float64")
        numbers[bad.to_numpy()] = again.to_numpy()
        bad = present(series) & numbers.isna()
    return numbers, bad


def to_int(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    if series.dtype in ("Int64", "int64") and len(series) <= FEW_VALUES and all(
            abs(v) <= _EXACT_FLOAT_INT for v in series.dropna().tolist()):  # what the float round trip returns
        return series.astype("Int64"), pd.Series(False, index=series.index)
    numbers, bad = to_float(series)
    not_whole = numbers.notna() & (numbers != np.round(numbers))
    out = numbers.where(~not_whole).round().astype("Int64")
    return out, bad | not_whole


def to_bool(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype("boolean"), pd.Series(False, index=series.index)
    if series.dtype == object and pd.api.types.infer_dtype(series, skipna=True) in ("boolean", "empty"):
        # Stores hand back nullable booleans as objects (True/False/None): take them whole.
        return series.astype("boolean"), pd.Series(False, index=series.index)
    words = series.map(lambda v: normalise_text(v) if pd.notna(v) else None)
    out = pd.Series(pd.NA, index=series.index, dtype="boolean")
    out[words.isin(_TRUE_WORDS)] = True
    out[words.isin(_FALSE_WORDS)] = False
    bad = present(series) & out.isna()
    return out, bad


def dates_as_they_are(series: pd.Series) -> pd.Series | None:
    """``series`` as datetime64[ms] when :func:`to_date` would change nothing but the unit, judged value by value
    (at most :data:`FEW_VALUES`): ``datetime.date`` objects and missing values, or tz-naive midnights; else None."""
    if len(series) > FEW_VALUES:
        return None
    if series.dtype == object:
        values = series.tolist()
        if not all(type(v) is dt.date or v is None or v is pd.NaT or (isinstance(v, float) and v != v)
                   for v in values):
            return None
        days = np.array([np.datetime64(v, "D") if type(v) is dt.date else np.datetime64("NaT", "D") for v in values],
                        dtype="datetime64[D]")
        return pd.Series(days.astype("datetime64[ms]"), index=series.index, name=series.name)
    if not pd.api.types.is_datetime64_dtype(series.dtype) or isinstance(series.dtype, pd.DatetimeTZDtype):
        return None
    moments = series.to_numpy()
    present = moments[~np.isnat(moments)]
    if (present != present.astype("datetime64[D]")).any():  # a time of day: normalised by the vectorised way
        return None
    return series.astype("datetime64[ms]")


def to_date(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Dates as datetime64[ms] at midnight; accepts ISO, 2021/3/1 and 2021年3月1日."""
    plain = dates_as_they_are(series)
    if plain is not None:
        return plain, pd.Series(False, index=series.index)
    if not pd.api.types.is_datetime64_any_dtype(series.dtype) and pd.api.types.infer_dtype(
            series, skipna=True) in ("date", "datetime", "empty"):
        # Date objects only (as a GeoPackage read gives them): one vectorised conversion.
        series = pd.to_datetime(series, errors="coerce")
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        out = series.dt.tz_localize(None) if series.dt.tz is not None else series
        return out.dt.normalize().astype("datetime64[ms]"), pd.Series(False, index=series.index)
    text = series.map(lambda v: v.isoformat() if hasattr(v, "isoformat") else v).astype(STRING_DTYPE)
    # Each distinct text is read once (a column of 10⁶ dates holds a few thousand days).
    positions, distinct = pd.factorize(text, use_na_sentinel=True)
    days = np.array([_day_of_text(v) for v in distinct] + [np.datetime64("NaT", "D")], dtype="datetime64[D]")
    out = pd.Series(days[positions].astype("datetime64[ms]"), index=series.index, name=series.name)
    bad = present(series) & out.isna()
    return out, bad


#: A day written year first, as the allowed forms say (:data:`KIND_DESCRIPTIONS`): 2021-03-01, 2021/3/1, 2021.3.1,
#: 2021年3月1日 or 20210301, optionally with a time of day (ISO 8601, an offset or Z), which is dropped. Anything
#: else — a year or a month alone (2021年, 2021-3), two-digit years (21-3-1), day or month first (1/3/2021: is it
#: January or March?), month names — is not a day and is refused, never completed with a guessed day or month.
#: (An import reads day/month/year columns and Excel serials before this: ``layers.io.normalise.normalise_dates``.)
_DAY_TEXT = re.compile(
    r"(?P<year>\d{4})(?:\s*[-/.年]\s*(?P<month>\d{1,2})\s*[-/.月]\s*(?P<day>\d{1,2})\s*日?"
    r"|(?P<month8>\d{2})(?P<day8>\d{2}))"
    r"(?:(?:\s+|T)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?)?")


def _day_of_text(text: str) -> np.datetime64:
    """The day ``text`` writes in an allowed form (full-width digits and marks read as ASCII), else NaT."""
    found = _DAY_TEXT.fullmatch(unicodedata.normalize("NFKC", text).strip())
    if found is None:
        return np.datetime64("NaT", "D")
    month, day = (found["month"], found["day"]) if found["month"] is not None else (found["month8"], found["day8"])
    try:
        return np.datetime64(dt.date(int(found["year"]), int(month), int(day)), "D")
    except ValueError:  # no such day (2019-02-29, month 13)
        return np.datetime64("NaT", "D")


def to_code(series: pd.Series, spec_field: Field) -> tuple[pd.Series, pd.Series]:
    """Codes mapped to canonical values through the declared values and aliases."""
    lookup: dict[str, str] = {}
    for code in spec_field.codes:
        for name in (code.value, code.label_zh, code.label_en, *code.aliases):
            lookup.setdefault(normalise_text(name), code.value)
    text, _ = to_text(series)
    # Each distinct value is looked up once: a column of 10⁶ codes holds a handful of them.
    positions, distinct = pd.factorize(text, use_na_sentinel=True)
    canonical = np.array([lookup.get(normalise_text(v)) for v in distinct] + [None], dtype=object)
    out = pd.Series(canonical[positions], index=series.index).astype(STRING_DTYPE)
    bad = text.notna() & out.isna()
    return out, bad


_DECLARED_DTYPES = {"str": STRING_DTYPE, "code": STRING_DTYPE, "float": np.dtype("float64"), "int": pd.Int64Dtype(),
                    "bool": pd.BooleanDtype(), "date": np.dtype("datetime64[ms]")}


def as_declared(series: pd.Series, spec_field: Field) -> list | None:
    """The values of ``series`` (Python objects) when :func:`convert` would return it as it is with no value bad:
    of the field's declared dtype, and, judged value by value (at most :data:`FEW_VALUES`), text without blanks
    around it, canonical codes, whole numbers a float holds exactly, dates at midnight; else None."""
    if len(series) > FEW_VALUES or series.dtype != _DECLARED_DTYPES[spec_field.kind]:
        return None
    values = series.tolist()
    present = [v for v in values if not is_missing(v)]
    kind = spec_field.kind
    if kind == "str" and not all(type(v) is str and v and not v[0].isspace() and not v[-1].isspace()
                                 for v in present):
        return None
    if kind == "code" and not all(type(v) is str and v in _canonical_codes(spec_field) for v in present):
        return None
    if kind == "int" and not all(abs(v) <= _EXACT_FLOAT_INT for v in present):
        return None
    if kind == "date" and not all(v == v.normalize() for v in present):
        return None
    return values


def is_missing(value) -> bool:
    """Whether one value is missing (None, NA, NaT, NaN), judged without pandas."""
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value)


@functools.lru_cache(maxsize=256)
def _canonical_codes(spec_field: Field) -> frozenset[str]:
    """The codes :func:`to_code` maps to themselves: each declared value whose folded text no earlier code (or its
    names and aliases) claims."""
    lookup: dict[str, str] = {}
    for code in spec_field.codes:
        for name in (code.value, code.label_zh, code.label_en, *code.aliases):
            lookup.setdefault(normalise_text(name), code.value)
    return frozenset(code.value for code in spec_field.codes if lookup.get(normalise_text(code.value)) == code.value)


def convert(series: pd.Series, spec_field: Field) -> tuple[pd.Series, pd.Series]:
    """Convert ``series`` to ``spec_field``'s kind; returns (typed values, mask of bad values)."""
    if spec_field.kind == "str":
        return to_text(series)
    if spec_field.kind == "float":
        return to_float(series)
    if spec_field.kind == "int":
        return to_int(series)
    if spec_field.kind == "bool":
        return to_bool(series)
    if spec_field.kind == "date":
        return to_date(series)
    return to_code(series, spec_field)


def empty_column(spec_field: Field, index: pd.Index) -> pd.Series:
    """An all-missing column of the field's dtype."""
    dtype = {
        "str": STRING_DTYPE,
        "code": STRING_DTYPE,
        "float": "float64",
        "int": "Int64",
        "bool": "boolean",
        "date": "datetime64[ms]",
    }[spec_field.kind]
    return pd.Series(pd.NA if dtype in ("Int64", "boolean") else None, index=index, dtype=dtype)


KIND_DESCRIPTIONS = {
    "str": "text",
    "float": "a number",
    "int": "a whole number",
    "bool": "yes/no (true/false, 是/否, 1/0)",
    "date": "a date, year first (YYYY-MM-DD, YYYY/M/D, YYYY.M.D, YYYYMMDD or YYYY年M月D日)",
}
