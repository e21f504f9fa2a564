"""Registry columns as Arrow arrays, and the geometry type a layer declares: shared by both park stores
and the file writers (private to ``layers``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

#: The Arrow type of each registry field kind.
ARROW_TYPES = {
    "str": pa.string(),
    "code": pa.string(),
    "float": pa.float64(),
    "int": pa.int64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
}


def arrow_column(series: pd.Series, kind: str) -> pa.Array:
    """``series`` (validated, of registry field ``kind``) as an Arrow array of that kind's type."""
    arrow_type = ARROW_TYPES[kind]
    if kind == "date":
        values = pd.to_datetime(series).astype("datetime64[ms]")
        mask = values.isna().to_numpy()
        days = values.to_numpy().astype("datetime64[D]").astype("int64")
        return pa.array(days.astype("int32"), type=pa.int32(), mask=mask).cast(pa.date32())
    # Text columns are Arrow-backed after validation: handed over without a trip through Python objects.
    return pa.array(series, type=arrow_type, from_pandas=True)


def geometry_type_name(geoms: np.ndarray, declared: str) -> str:
    """The layer type to declare: single or multi when uniform, 'Unknown' when mixed.

    Keeping mixed single/multi layers as 'Unknown' preserves each feature's type
    on the round trip instead of promoting everything to multi.
    """
    types = set(shapely.get_type_id(geoms[~shapely.is_missing(geoms)]).tolist())
    single = shapely.GeometryType[declared.upper()].value
    multi = shapely.GeometryType[f"MULTI{declared.upper()}"].value
    if types <= {single}:
        return declared
    if types == {multi}:
        return f"Multi{declared}"
    return "Unknown"
