"""Small vectorised helpers the analyses share: per-record reasons and fast key lookups.

Analyses do not guess: where a needed value is missing they leave the result NaN
and say why in a text column. :func:`join_reasons` turns (mask, text) pairs into
one '; '-joined reason per record.

Ids are text columns; matching them through pandas' string index is slow for
10⁵–10⁶ keys, so :func:`isin`, :func:`positions` and :func:`lookup` hash them
with Arrow compute kernels instead.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

TEXT_DTYPE = pd.StringDtype(na_value=np.nan)


def join_reasons(index: pd.Index, pairs: Iterable[tuple[object, str]]) -> pd.Series:
    """One reason text per record: the texts whose masks are true, joined by '; ' (NaN when none).

    Parameters
    ----------
    index
        Index of the result (the records).
    pairs
        ``(mask, text)``: boolean array-likes aligned with ``index`` and the text to add where true.
    """
    out = np.full(len(index), "", dtype=object)
    for mask, text in pairs:
        flags = as_bool(mask, index)
        if not flags.any():
            continue
        has = flags & (out != "")
        out[flags & ~has] = text
        out[has] = out[has] + "; " + text
    series = pd.Series(out, index=index, dtype=object)
    return series.where(series != "", np.nan).astype(TEXT_DTYPE)


def as_bool(values, index: pd.Index) -> np.ndarray:
    """A plain boolean array from a nullable mask (missing → False)."""
    if isinstance(values, pd.Series):
        return values.fillna(False).to_numpy(dtype=bool)
    array = np.asarray(values)
    if array.dtype == object:
        return pd.Series(array, index=index).fillna(False).to_numpy(dtype=bool)
    return array.astype(bool)


def _arrow_text(values) -> pa.Array | pa.ChunkedArray:
    """Text keys as an Arrow string array (zero-copy for pandas' Arrow-backed ``str``)."""
    array = getattr(values, "array", None)
    if array is not None and hasattr(array, "__arrow_array__") and isinstance(values.dtype, pd.StringDtype):
        arrow = array.__arrow_array__()
        return arrow.cast(pa.large_string()) if arrow.type != pa.large_string() else arrow
    plain = np.asarray(values, dtype=object)
    plain = np.where(pd.isna(plain), None, plain.astype(str).astype(object)) if len(plain) else plain
    return pa.array(plain, type=pa.large_string())


def positions(keys, table_keys) -> np.ndarray:
    """Position of each key in ``table_keys`` (first occurrence), -1 where absent or missing."""
    found = pc.index_in(_arrow_text(keys), value_set=_arrow_text(table_keys))
    return np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def isin(keys, values) -> np.ndarray:
    """Whether each key is among ``values`` (missing keys: False)."""
    found = pc.is_in(_arrow_text(keys), value_set=_arrow_text(values))
    return np.asarray(pc.fill_null(found, False).to_numpy(zero_copy_only=False), dtype=bool)


def lookup(keys: pd.Series, table: pd.Series) -> pd.Series:
    """``table``'s value for each key (by ``table``'s index), indexed like ``keys``; NaN/NaT where absent.

    Keeps the table's dtype, also when the table is empty.
    """
    where = positions(keys, table.index)
    out = table.iloc[np.maximum(where, 0)] if len(table) else pd.Series(
        np.full(len(keys), np.nan), dtype=table.dtype)
    out = pd.Series(out.to_numpy(), index=keys.index, dtype=table.dtype)
    return out.where(where >= 0)


def align(table: pd.DataFrame | pd.Series, ids: pd.Index) -> pd.DataFrame | pd.Series:
    """``table`` reindexed to the text keys ``ids`` (rows absent from it are missing), via :func:`positions`."""
    where = positions(pd.Series(ids), table.index)
    absent = where < 0
    if len(table) == 0:
        taken = table.reindex(range(len(ids)))
    else:
        taken = table.iloc[np.maximum(where, 0)].copy()
        if absent.any():
            if isinstance(taken, pd.DataFrame):
                taken.iloc[np.flatnonzero(absent), :] = np.nan
            else:
                taken.iloc[np.flatnonzero(absent)] = np.nan
    taken.index = ids
    return taken


def text_column(frame: pd.DataFrame | None, name: str, index: pd.Index | None = None) -> pd.Series:
    """``frame[name]`` as text (all missing when the frame or column is absent)."""
    if frame is None or name not in frame:
        return pd.Series(np.nan, index=frame.index if index is None else index, dtype=TEXT_DTYPE)
    return frame[name].astype(TEXT_DTYPE)


def date_column(frame: pd.DataFrame | None, name: str, index: pd.Index | None = None) -> pd.Series:
    """``frame[name]`` as dates (datetime64[ms]; NaT when absent)."""
    if frame is None or name not in frame:
        return pd.Series(pd.NaT, index=frame.index if index is None else index, dtype="datetime64[ms]")
    return pd.to_datetime(frame[name]).astype("datetime64[ms]")


def float_column(frame: pd.DataFrame | None, name: str, index: pd.Index | None = None) -> np.ndarray:
    """``frame[name]`` as a float array, aligned to ``index`` when given (NaN when absent)."""
    if frame is None or name not in frame:
        return np.full(len(frame) if index is None else len(index), np.nan)
    column = frame[name] if index is None else frame[name].reindex(index)
    return column.to_numpy(dtype=float, na_value=np.nan)
