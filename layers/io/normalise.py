"""Value normalisation on import: land-use codes, dates, units, CJJ 61 pipeline codes.

Runs on the mapped frame (canonical column names, raw values) before
validation, and only rewrites what it recognises with certainty; anything else
is left as it came so the validator reports it with the original value.

Land use (DOMAIN.md §6): GB 50137 and GB/T 21010 codes are crosswalked to the
2023 用地用海 classification. The same digits mean different things in
different systems (1001 = 工业用地 in 2023, 铁路用地 in GB/T 21010), so every
crosswalked record keeps its original code and system and is flagged for review.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from layers import landuse
from layers.io.mapping import UNIT_FACTORS, field_dimension, unit_factor
from layers.io.suggest import fold
from layers.schema import Field, LayerSpec
from layers.values import STRING_DTYPE, normalise_text, present, to_float

#: GB 50137-2011 → 用地用海 2023, DOMAIN.md §6.4 (◐/❓: every crosswalked record is flagged for review).
CROSSWALK_GB50137 = {
    "M": "1001", "M1": "100101", "M2": "100102", "M3": "100103",
    "W": "1101", "W1": "110101", "W2": "110102", "W3": "110103",
    "S": "12", "S1": "1207", "S2": "1206", "S4": "1208", "S41": "120802", "S42": "120803",
    "U": "13", "U11": "1301", "U21": "1302", "U12": "1303", "U13": "1304", "U14": "1305", "U15": "1306",
    "U16": "1308", "U22": "1309", "U31": "1310", "U32": "1311",
    "G": "14", "G1": "1401", "G2": "1402", "G3": "1403",
    "B": "09", "B1": "0901", "B2": "0902", "B41": "090105",
    "R": "07", "E1": "17",
}
#: GB/T 21010-2017 (三调) → 用地用海 2023: the pairs DOMAIN.md §6.4 confirms, plus farmland whose
#: numbers are the same in both (§6.3). Codes not listed have no safe equivalent and stay in GB/T 21010.
CROSSWALK_GBT21010 = {
    "0601": "1001", "0602": "1002", "0508": "1101", "1001": "1201", "1004": "1207", "0809": "13",
    "01": "01", "0101": "0101", "0102": "0102", "0103": "0103",
}
CROSSWALKS = {landuse.STD_GB50137: CROSSWALK_GB50137, landuse.STD_GBT21010: CROSSWALK_GBT21010}

#: How people write the classification systems, normalised → the registry's name.
STANDARD_NAMES = {
    **{normalise_text(n): landuse.STD_2023 for n in (
        landuse.STD_2023, "用地用海", "用地用海分类", "2023", "国土空间用地用海分类", "国土空间调查、规划、用途管制用地用海分类")},
    **{normalise_text(n): landuse.STD_GB50137 for n in (
        landuse.STD_GB50137, "GB50137", "GB 50137", "GB 50137-2011", "城市用地分类", "城市用地分类与规划建设用地标准")},
    **{normalise_text(n): landuse.STD_GBT21010 for n in (
        landuse.STD_GBT21010, "GB/T21010", "GB/T 21010", "GB/T 21010-2017", "GBT21010", "21010", "三调",
        "土地利用现状分类")},
    **{normalise_text(n): landuse.STD_GBT21010_2007 for n in (
        landuse.STD_GBT21010_2007, "GB/T 21010-2007", "GBT21010-2007", "二调", "土地利用现状分类（2007）")},
}
#: A GB/T 21010-2007 second-level code: three digits, its first two a first-level class (01–12).
_CODE_2007 = re.compile(r"^(0[1-9]|1[0-2])\d$")

#: Excel stores dates as days since 1899-12-30; serials in this range are 1954–2099.
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
EXCEL_SERIAL_RANGE = (20_000, 73_050)
_YYYYMMDD = re.compile(r"^(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$")
_YEAR_LAST = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_NUMBER_WITH_UNIT = re.compile(r"^\s*([-+]?(?:\d[\d,]*)?\.?\d+(?:[eE][-+]?\d+)?)\s*(\S.*?)?\s*$")

#: CJJ 61-2017 Appendix B sub-type codes → the network they belong to (DOMAIN.md §8.1).
CJJ61_SUBTYPES = {
    "JY": "water_supply", "SS": "water_supply", "JP": "water_supply", "JZ": "water_supply",
    "XS": "water_supply", "LS": "water_supply", "JH": "water_supply",
    "MQ": "gas", "YH": "gas", "TR": "gas", "RS": "heat", "ZQ": "heat",
    "GD": "power", "LD": "power", "XH": "power", "DC": "power", "GG": "power",
    "DH": "telecom", "XX": "telecom",
}
_PIPE_WORDS = ("管线", "管道", "管网", "管")


def _text(series: pd.Series) -> pd.Series:
    out = series.astype(STRING_DTYPE).str.strip()
    return out.where(out != "", np.nan)


# -- land use ----------------------------------------------------------------------------------------


def _standard_of(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return STANDARD_NAMES.get(normalise_text(value), str(value))


def _canonical_code(code: str) -> str:
    """Codes as the tables write them: NFKC, no spaces, letters upper-case (m1 → M1)."""
    return re.sub(r"\s+", "", normalise_text(code)).upper()


def _crosswalk(code: str, standard: str) -> str | None:
    table = CROSSWALKS.get(standard, {})
    candidate = code
    while candidate:
        if candidate in table:
            return table[candidate]
        candidate = candidate[:-2] if candidate.isdigit() else candidate[:-1]
    return None


def normalise_land_use(frame: pd.DataFrame) -> list[tuple[int, str, str, object]]:
    """Crosswalk ``land_use`` to 用地用海 2023 in place; returns notices (row, field, message, value).

    Adds ``land_use_original``, ``land_use_original_std`` and ``land_use_review``.
    """
    notes: list[tuple[int, str, str, object]] = []
    if "land_use" not in frame.columns:
        return notes
    codes = _text(frame["land_use"])
    has = codes.notna()
    # A park has a handful of distinct codes and systems: canonicalise each once.
    distinct = {code: _canonical_code(code) for code in codes[has].unique()}
    codes = codes.where(~has, codes[has].map(distinct) if has.any() else codes)
    stds = frame["land_use_std"] if "land_use_std" in frame.columns else pd.Series(np.nan, index=frame.index)
    stds = stds.map({std: _standard_of(std) for std in stds.dropna().unique()}).where(stds.notna(), None)
    out_code = codes.astype(object).copy()
    out_std = stds.astype(object).copy()
    def column(name: str) -> pd.Series:
        # What the source says (a re-imported export carries these), overridden where a code is crosswalked.
        if name in frame.columns:
            return frame[name].astype(object).copy()
        return pd.Series(np.nan, index=frame.index, dtype=object)

    original, original_std, review = column("land_use_original"), column("land_use_original_std"), \
        column("land_use_review")
    pairs = pd.DataFrame({"code": codes, "std": stds})[has]
    for (code, std), rows in pairs.groupby(["code", "std"], dropna=False).groups.items():
        positions = frame.index.get_indexer(rows)
        std = None if (std is None or (isinstance(std, float) and np.isnan(std))) else std
        written, written_std = code, std
        named = landuse.code_of_name(code, fold) if std is None else None
        if named is not None:  # a class's name (二类工业用地) in place of its code: the class it names
            code, std = named
            out_code.iloc[positions] = code
            out_std.iloc[positions] = std
            original.iloc[positions] = written  # (the name as written is kept, as a crosswalked code is)
            original_std.iloc[positions] = std
            notes += [(p, "land_use", f"class name read as its code {code} ({std})", written) for p in positions]
        elif std == landuse.STD_GBT21010_2007 or (std is None and _CODE_2007.match(code)):
            # A cadastral file's GB/T 21010-2007 code (061): re-coded to 2017 (0601), then crosswalked from there;
            # the code as written stays the original.
            recoded = landuse.recode_gbt21010_2007(code)
            if recoded is None:  # (a 2007 classification named, the code none of its classes: the validator says)
                continue
            written_std = std = landuse.STD_GBT21010_2007
            name = landuse.land_use_class(code, std).label_zh
            found = landuse.land_use_class(recoded, landuse.STD_GBT21010)
            notes += [(p, "land_use", f"{code} {name} read as {std} (二调) and re-coded to {landuse.STD_GBT21010} "
                       f"{recoded}{' ' + found.label_zh if found else ''}", code) for p in positions]
            out_code.iloc[positions] = code = recoded
            out_std.iloc[positions] = std = landuse.STD_GBT21010
            original.iloc[positions] = written
            original_std.iloc[positions] = written_std
            review.iloc[positions] = True
        if std is None:
            if re.fullmatch(r"[A-Z][A-Z0-9]*", code):
                std, how = landuse.STD_GB50137, "letters: read as GB 50137-2011"
                out_std.iloc[positions] = std
                notes += [(p, "land_use_std", how, code) for p in positions]
            else:
                other = landuse.CLASSES_GBT21010.get(code)
                mine = landuse.land_use_class(code, landuse.STD_2023)
                if other is not None and (mine is None or mine.label_zh != other.label_zh):
                    notes += [(p, "land_use", f"no classification given; read as {landuse.STD_2023}, but in "
                               f"{landuse.STD_GBT21010} {code} means {other.label_zh}: review", code)
                              for p in positions]
                    review.iloc[positions] = True
                continue  # the validator assumes 2023 and says so
        if std not in CROSSWALKS:
            continue
        target = _crosswalk(code, std)
        original.iloc[positions] = written
        original_std.iloc[positions] = written_std or std
        review.iloc[positions] = True
        if target is None:
            out_std.iloc[positions] = std
            notes += [(p, "land_use", f"no 用地用海2023 equivalent for {code} ({std}); kept in {std}, review", written)
                      for p in positions]
            continue
        out_code.iloc[positions] = target
        out_std.iloc[positions] = landuse.STD_2023
        found = landuse.land_use_class(target, landuse.STD_2023)
        name = found.label_zh if found else ""
        notes += [(p, "land_use", f"crosswalked {code} ({std}) → {target} {name} ({landuse.STD_2023}); "
                   "original kept, flagged for review", written) for p in positions]
    frame["land_use"] = out_code
    frame["land_use_std"] = out_std
    frame["land_use_original"] = original
    frame["land_use_original_std"] = original_std
    frame["land_use_review"] = review
    return notes


# -- dates -------------------------------------------------------------------------------------------


def normalise_dates(series: pd.Series) -> tuple[pd.Series, list[tuple[int, str, object]]]:
    """Excel serials, YYYYMMDD and day/month/year columns as Timestamps; the rest unchanged.

    Day-first or month-first is decided per column: a first number above 12
    proves day-first (31/12/2017), a second above 12 month-first; a column with
    neither is read day-first (the international order) and says so.
    """
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return series, []
    notes: list[tuple[int, str, object]] = []
    out = series.astype(object).copy()
    if pd.api.types.is_numeric_dtype(series.dtype):
        numbers = series.astype("float64")
    else:
        numbers = pd.to_numeric(_text(series), errors="coerce")
    whole = numbers.notna() & (numbers == np.round(numbers))
    text = _text(series.astype(object))
    if whole.any():  # 20210301.0 read from a DBF is the text 20210301
        text[whole] = numbers[whole].astype("int64").astype(str)
    compact = whole & text.str.fullmatch(_YYYYMMDD).fillna(False).astype(bool)
    if compact.any():
        out[compact] = pd.to_datetime(text[compact], format="%Y%m%d")
    serial = whole & ~compact & numbers.between(*EXCEL_SERIAL_RANGE)
    if serial.any():
        out[serial] = EXCEL_EPOCH + pd.to_timedelta(numbers[serial], unit="D")
        notes += [(int(p), "Excel serial day number read as a date", series.iloc[p])
                  for p in np.flatnonzero(serial.to_numpy())]
    parts = text.str.extract(_YEAR_LAST)
    year_last = parts[0].notna().to_numpy() & ~compact.to_numpy() & ~serial.to_numpy()
    if year_last.any():
        first = parts[0].astype("float64")[year_last]
        second = parts[1].astype("float64")[year_last]
        if (first > 12).any() and (second > 12).any():
            return out, notes  # mixed orders: leave them for the validator to report
        day_first = not (second > 12).any()
        day, month = (parts[0], parts[1]) if day_first else (parts[1], parts[0])
        iso = parts[2] + "-" + month.str.zfill(2) + "-" + day.str.zfill(2)
        parsed = pd.to_datetime(iso[year_last], format="%Y-%m-%d", errors="coerce")
        ok = parsed.notna()
        out.loc[parsed[ok].index] = parsed[ok]
        if not (first > 12).any() and day_first:
            order = "day/month/year (no value proves the order; read day first)"
        else:
            order = "day/month/year" if day_first else "month/day/year"
        notes += [(int(p), f"date read as {order}", series.iloc[p]) for p in np.flatnonzero(year_last)]
    return out, notes


# -- quantities --------------------------------------------------------------------------------------


def normalise_quantity(series: pd.Series, spec_field: Field, header_unit: str | None) -> tuple[pd.Series, list]:
    """Numbers in ``spec_field``'s unit: a header unit applies to plain numbers, ``12.5亩`` to itself."""
    notes: list[tuple[int, str, object]] = []
    numbers, bad = to_float(series)
    factor = unit_factor(header_unit, spec_field) if header_unit else 1.0
    out = (numbers * factor).astype(object)
    if header_unit and factor != 1.0:
        notes += [(int(p), f"converted from {header_unit} (× {factor:g})", series.iloc[p])
                  for p in np.flatnonzero(numbers.notna().to_numpy())]
    if field_dimension(spec_field) is not None and bad.any():
        parts = _text(series[bad]).str.extract(_NUMBER_WITH_UNIT)
        for label, (number, unit) in parts.iterrows():
            if pd.isna(number) or pd.isna(unit):
                continue
            try:
                value_factor = unit_factor(unit, spec_field)
            except ValueError:
                continue
            position = series.index.get_loc(label)
            out.iloc[position] = float(str(number).replace(",", "")) * value_factor
            notes.append((int(position), f"value with unit {unit} converted (× {value_factor:g})",
                          series.iloc[position]))
    out[~present(series)] = np.nan
    return out.where(pd.notna(out), series.where(bad, np.nan)), notes


# -- pipeline networks -------------------------------------------------------------------------------


def normalise_network(series: pd.Series, spec_field: Field) -> tuple[pd.Series, list]:
    """CJJ 61 codes and Chinese names in their common variants → the registry's network codes.

    ``JS``, ``给水`` and the like are registry aliases already; this adds sub-type
    codes (``JP`` 配水 → water supply), codes followed by numbers (``YS12``,
    ``WS-300``) and names followed by 管/管线/管道 (``污水管线``).
    """
    lookup = {}
    for code in spec_field.codes:
        for name in (code.value, code.label_zh, code.label_en, *code.aliases):
            lookup.setdefault(normalise_text(name), code.value)
    notes = []
    text = _text(series)
    out = series.astype(object).copy()
    for value in text.dropna().unique():
        key = normalise_text(value)
        if key in lookup:
            continue
        resolved = None
        letters = re.match(r"^([a-z]{2})(?:[\s_\-/(（]?[\w.]*\)?)?$", key)
        if letters:
            prefix = letters.group(1)
            resolved = lookup.get(prefix) or CJJ61_SUBTYPES.get(prefix.upper())
        if resolved is None:
            for word in _PIPE_WORDS:
                if key.endswith(word) and key[: -len(word)] in lookup:
                    resolved = lookup[key[: -len(word)]]
                    break
        if resolved is not None:
            rows = np.flatnonzero((text == value).fillna(False).to_numpy())
            out.iloc[rows] = resolved
            notes += [(int(p), f"read as CJJ 61 network {resolved}", value) for p in rows]
    return out, notes


def normalise_frame(frame: pd.DataFrame, spec: LayerSpec, *,
                    units: dict[str, str]) -> list[tuple[int, str, str, object]]:
    """Normalise every recognised field of ``frame`` in place; returns notices (row, field, message, value)."""
    notes: list[tuple[int, str, str, object]] = []
    for spec_field in spec.fields:
        name = spec_field.name
        if name not in frame.columns:
            continue
        if spec_field.kind == "date":
            frame[name], found = normalise_dates(frame[name])
        elif spec_field.kind in ("float", "int") and (name in units or field_dimension(spec_field)):
            frame[name], found = normalise_quantity(frame[name], spec_field, units.get(name))
        elif spec.name == "pipelines" and name == "network":
            frame[name], found = normalise_network(frame[name], spec_field)
        else:
            continue
        notes += [(row, name, message, value) for row, message, value in found]
    if "land_use" in spec.field_names:
        notes += normalise_land_use(frame)
    return notes


__all__ = ["CROSSWALKS", "UNIT_FACTORS", "normalise_dates", "normalise_frame", "normalise_land_use",
           "normalise_network", "normalise_quantity"]
