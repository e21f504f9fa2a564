"""Per-record reasons: why an analysis could not judge a record, built without loops.

Analyses do not guess: where a needed value is missing they leave the result NaN
and say why in a text column. :func:`join_reasons` turns (mask, text) pairs into
one '; '-joined reason per record.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

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


def lookup(keys: pd.Series, table: pd.Series) -> pd.Series:
    """``table``'s value for each key, indexed like ``keys`` (NaN/NaT where absent).

    Unlike ``Series.map`` this keeps the table's dtype when the table is empty.
    """
    table = table[~table.index.duplicated()]
    return pd.Series(table.reindex(keys.to_numpy()).to_numpy(), index=keys.index, dtype=table.dtype)
