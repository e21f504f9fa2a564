"""Text keys matched through Arrow's hash tables: where each key sits in a table, whether it is among values.

Shared by the importer (which ids a file brings) and the analyses (``geo.reasons``); 10⁵ ids take milliseconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def arrow_text(values) -> pa.Array | pa.ChunkedArray:
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
    found = pc.index_in(arrow_text(keys), value_set=arrow_text(table_keys))
    return np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def isin(keys, values) -> np.ndarray:
    """Whether each key is among ``values`` (missing keys: False)."""
    found = pc.is_in(arrow_text(keys), value_set=arrow_text(values))
    return np.asarray(pc.fill_null(found, False).to_numpy(zero_copy_only=False), dtype=bool)
