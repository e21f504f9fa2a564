"""Small vectorised helpers the analyses share: per-record reasons and fast key lookups.

Analyses do not guess: where a needed value is missing they leave the result NaN
and say why in a text column. :func:`join_reasons` turns (mask, text) pairs into
one '; '-joined reason per record.

Ids are text columns; matching them through pandas' string index is slow for
10⁵–10⁶ keys, so :func:`isin`, :func:`positions` and :func:`lookup` hash them
with Arrow compute kernels instead. An analysis that matches the same ids many
times codes them once (:func:`key_codes`) and joins and groups integers.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from layers.text_keys import arrow_text, isin, positions  # noqa: F401 (isin: the analyses import it from here)

TEXT_DTYPE = pd.StringDtype(na_value=np.nan)
#: Reasons at most whose combinations :func:`join_reasons` counts in a table (2¹⁶ entries) instead of sorting.
_COUNTED_REASONS = 16


def join_reasons(index: pd.Index, pairs: Iterable[tuple[object, str]], *, separator: str = "; ") -> pd.Series:
    """One reason text per record: the texts whose masks are true, joined by ``separator`` (NaN when none).

    Parameters
    ----------
    index
        Index of the result (the records).
    pairs
        ``(mask, text)``: boolean array-likes aligned with ``index`` and the text to add where true.
    """
    masks, texts = [], []
    for mask, text in pairs:
        flags = as_bool(mask, index)
        if flags.any():
            masks.append(flags)
            texts.append(text)
    if not masks:
        return pd.Series(take_text([], np.full(len(index), -1)), index=index)
    # Records share a few combinations of reasons: each combination's text is joined once, then taken per record.
    # A combination is the bits of its reasons in a Python int (any number of reasons), grouped by NumPy.
    bits = np.zeros(len(index), dtype=object) if len(masks) > 62 else np.zeros(len(index), dtype=np.int64)
    for j, flags in enumerate(masks):
        bits[flags] += 1 << j
    if len(masks) <= _COUNTED_REASONS:
        # Few reasons: the combinations present counted in a table of all of them (``np.unique``'s sorted
        # combinations and inverse, without sorting 10⁶ records).
        present = np.bincount(bits, minlength=1 << len(masks)) > 0
        combinations, which = np.flatnonzero(present), (np.cumsum(present) - 1)[bits]
    else:
        combinations, which = np.unique(bits, return_inverse=True)
    joined = [separator.join(text for j, text in enumerate(texts) if int(combination) >> j & 1) or np.nan
              for combination in combinations]
    return pd.Series(pd.array(np.array(joined, dtype=object), dtype=TEXT_DTYPE).take(which.reshape(-1)),
                     index=index)


def labelled(n: int, pairs: Iterable[tuple[np.ndarray, str | None]]) -> pd.api.extensions.ExtensionArray:
    """Per record (``n``) the label of the last of ``pairs`` (``(mask, label)``) whose mask holds it, as a ``str``
    array; missing where no mask does or that label is ``None``.

    Filled as integer codes and taken from the few labels: a text array made from 10⁶ Python strings took
    0.1–0.3 s each.
    """
    names: list[str] = []
    codes = np.full(n, -1, dtype=np.int64)
    for mask, label in pairs:
        if label is not None and label not in names:
            names.append(label)
        codes[mask] = -1 if label is None else names.index(label)
    return take_text([pd.Series(names, dtype=TEXT_DTYPE)], codes)


def as_bool(values, index: pd.Index) -> np.ndarray:
    """A plain boolean array from a nullable mask (missing → False)."""
    if isinstance(values, pd.Series):
        return values.fillna(False).to_numpy(dtype=bool)
    array = np.asarray(values)
    if array.dtype == object:
        return pd.Series(array, index=index).fillna(False).to_numpy(dtype=bool)
    return array.astype(bool)


def lookup(keys: pd.Series, table: pd.Series) -> pd.Series:
    """``table``'s value for each key (by ``table``'s index), indexed like ``keys``; NaN/NaT where absent.

    Keeps the table's dtype, also when the table is empty.
    """
    where = positions(keys, table.index)
    out = table.iloc[np.maximum(where, 0)] if len(table) else pd.Series(
        np.full(len(keys), np.nan), dtype=table.dtype)
    out = pd.Series(out.to_numpy(), index=keys.index, dtype=table.dtype)
    return out.where(where >= 0)


def all_distinct(keys) -> bool:
    """Whether no text key repeats (one missing key is distinct, two are not): ``pd.Index(keys).is_unique`` by
    Arrow's hash table (for 2·10⁶ building ids 0.3 s against pandas' 1.1 s and ``count_distinct``'s 2 s)."""
    array = arrow_text(keys)
    return len(pc.unique(array)) == len(array)


def same_keys(a, b) -> bool:
    """Whether two columns of text keys hold the same keys in the same order (missing where the other is)."""
    def chunked(values) -> pa.ChunkedArray:
        array = arrow_text(values)
        return pa.chunked_array([array]) if isinstance(array, pa.Array) else array

    return chunked(a).equals(chunked(b))


def key_codes(*columns) -> tuple[list[np.ndarray], pa.Array]:
    """One integer code space over text key columns that are matched against each other.

    Codes follow the keys' sorted (binary UTF-8) order, so grouping by codes orders the
    groups as grouping by the text does; missing keys get -1.

    Returns
    -------
    The codes of each column (int64 arrays, aligned with it) and the keys as an Arrow
    array (code ``i`` is ``keys[i]``; see :func:`key_labels`).
    """
    arrays = [arrow_text(column) for column in columns]
    chunks = [chunk for array in arrays for chunk in (array.chunks if isinstance(array, pa.ChunkedArray) else [array])]
    joined = pa.chunked_array(chunks, type=pa.large_string()).combine_chunks() if chunks else pa.array(
        [], type=pa.large_string())
    encoded = pc.dictionary_encode(joined)
    order = np.asarray(pc.array_sort_indices(encoded.dictionary), dtype=np.int64)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    found = np.asarray(pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    codes = np.where(found >= 0, rank[np.maximum(found, 0)] if len(rank) else -1, -1)
    bounds = np.cumsum([0] + [len(array) for array in arrays])
    return [codes[a:b] for a, b in zip(bounds[:-1], bounds[1:])], encoded.dictionary.take(pa.array(order))


def key_labels(keys: pa.Array, codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """The text keys of ``codes`` (from :func:`key_codes`) as a ``str`` array; missing where the code is -1."""
    return take_text([keys], codes)


def take_text(columns, rows: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Rows of text ``columns`` (taken as one column, end to end) as a ``str`` array; missing where ``rows`` is -1.

    An Arrow take: no Python string is made, unlike going through object arrays.
    """
    rows = np.asarray(rows, dtype=np.int64)
    chunks = [chunk for column in columns for array in [arrow_text(column) if not isinstance(
        column, (pa.Array, pa.ChunkedArray)) else column] for chunk in (
        array.chunks if isinstance(array, pa.ChunkedArray) else [array])]
    joined = pa.chunked_array(chunks, type=pa.large_string())
    if len(joined) == 0:
        return pd.array(pa.nulls(len(rows), type=pa.large_string()), dtype=TEXT_DTYPE)
    taken = joined.take(pa.array(np.maximum(rows, 0), mask=rows < 0))
    return pd.array(taken, dtype=TEXT_DTYPE)


def first_rows(codes: np.ndarray, n_keys: int) -> np.ndarray:
    """For each of ``n_keys`` codes the first row holding it (-1 where none), like a text index's first match."""
    rows = np.full(n_keys, len(codes), dtype=np.int64)
    valid = codes >= 0
    np.minimum.at(rows, codes[valid], np.flatnonzero(valid))
    rows[rows == len(codes)] = -1
    return rows


def take_at(values: np.ndarray, rows: np.ndarray, fill=np.nan) -> np.ndarray:
    """``values[rows]`` with ``fill`` where ``rows`` is -1.

    The result keeps the type ``values[rows]`` would have (widened to hold ``fill``), also
    when ``values`` is empty: positions taken from an empty table are still positions.
    """
    values = np.asarray(values)
    rows = np.asarray(rows, dtype=np.int64)
    if not len(values):
        dtype = object if values.dtype == object else np.result_type(values.dtype, np.asarray(fill).dtype)
        return np.full(len(rows), fill, dtype=dtype)
    out = values[np.maximum(rows, 0)]
    if (rows < 0).any():
        out = out.astype(np.result_type(out.dtype, np.asarray(fill).dtype) if out.dtype != object else object)
        out[rows < 0] = fill
    return out


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
