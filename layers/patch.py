"""Cached layers brought up to date by a change's records instead of read again (the cost of the change)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def patch_records(frame: pd.DataFrame, records: pd.DataFrame, id_field: str) -> pd.DataFrame:
    """``frame`` with ``records`` in it: a record whose id ``frame`` holds replaces it where it stands, the
    others are added at the end (the order a store keeps: updated rows in place, inserted ones last).

    ``records`` must have ``frame``'s columns and dtypes (both typed by the same layer validation).
    ``frame`` itself is left as it is (it may be shared).
    """
    if not len(records):
        return frame
    records = records.drop_duplicates(id_field, keep="last")
    position = pd.Index(frame[id_field]).get_indexer(records[id_field])
    held = position >= 0
    out = frame.copy()
    if held.any():
        rows = np.flatnonzero(held)
        for j, column in enumerate(out.columns):
            out.iloc[position[rows], j] = records[column].iloc[rows].array
    if held.all():
        return out
    added = records.iloc[np.flatnonzero(~held)]
    return pd.concat([out, added[list(out.columns)]], ignore_index=True)
