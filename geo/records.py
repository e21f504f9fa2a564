"""Which records count: the records in force on a day, the statuses of land supplied, the key of missing codes.

Every analysis (land, infrastructure, the KPI summary, expansion) starts from here, so
this module imports no other analysis: it is the floor of ``geo``'s import graph.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd

from layers import landuse
from layers.valid_time import held_now, valid_on

#: Parcel statuses that count as land supplied (供地): the land has been granted,
#: allocated or leased to a user, whatever stage its construction has reached.
SUPPLIED_STATUSES = ("supplied", "under_construction", "completed", "operating")

#: Key used for records whose coded value is missing.
UNKNOWN = "unknown"


def in_force(frame: pd.DataFrame, *, as_of: dt.date | None = None) -> pd.DataFrame:
    """The records of ``frame`` true in the world on ``as_of`` (valid time); without a day, those the
    register holds now (not retired).

    On a day: ``valid_from`` ≤ day < ``valid_to``, unknown dates being always, and a retired
    record without a ``valid_to`` ending the day it was retired (:func:`layers.valid_time.valid_on`).
    When the register learnt of a record (``first_added``) plays no part: that is the history
    pages' "as known on" (system time, ``layers.audit.as_known_on``).
    """
    keep = held_now(frame) if as_of is None else valid_on(frame, as_of)
    return frame if keep.all() else frame[keep]


def with_values(frame: pd.DataFrame, values: Mapping[str, object]) -> np.ndarray:
    """Which records of ``frame`` have every field of ``values`` at its value (``None``: empty), as a store's
    ``extent(where=)`` selects them; a record with an empty field does not have a value."""
    keep = np.ones(len(frame), dtype=bool)
    for name, value in values.items():
        column = frame[name]
        keep &= (column.isna() if value is None else (column == value).fillna(False)).to_numpy(dtype=bool)
    return keep


def is_industrial(parcels: pd.DataFrame) -> np.ndarray:
    """Whether each parcel's land use is industrial (工业用地) in its own classification system."""
    codes = parcels["land_use"].fillna("")
    standards = parcels["land_use_std"]
    out = np.zeros(len(parcels), dtype=bool)
    for standard, prefix in landuse.INDUSTRIAL_CLASS_BY_STANDARD.items():
        out |= ((standards == standard) & codes.str.startswith(prefix)).to_numpy()
    return out


__all__ = ["SUPPLIED_STATUSES", "UNKNOWN", "in_force", "is_industrial", "with_values"]
