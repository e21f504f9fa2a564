"""Which records count: the records in force on a day, the statuses of land supplied, the key of missing codes.

Every analysis (land, infrastructure, the KPI summary, expansion) starts from here, so
this module imports no other analysis: it is the floor of ``geo``'s import graph.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd

from geo.reasons import date_column
from layers import landuse
from layers.registry import get_layer
from layers.text_keys import positions
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

#: Fields that describe a record without any analysis computing with them: its name, a note, what the source file
#: held beside the fields it was mapped to, and when the register last changed it (transaction time).
DESCRIPTION_FIELDS = ("name", "note", "source_attributes", "last_updated")


def described_fields(layers) -> dict[str, frozenset[str]]:
    """Per layer of ``layers``, the :data:`DESCRIPTION_FIELDS` it declares."""
    return {name: frozenset(DESCRIPTION_FIELDS) & set(get_layer(name).field_names) for name in layers}


def with_layer_fields(result: Mapping, layer: str, records: pd.DataFrame, id_field: str, fields) -> Mapping:
    """A result that holds the records it judged by layer (``result["layers"]``) with ``fields`` of ``layer`` as
    ``records`` hold them (:func:`with_fields_of`); ``result`` itself is left as it was (returned when it holds
    none of them)."""
    held = result["layers"].get(layer)
    patched = held if held is None else with_fields_of(held, records, id_field, fields)
    return result if patched is held else {**result, "layers": {**result["layers"], layer: patched}}


def with_fields_of(frame: pd.DataFrame, records: pd.DataFrame, id_field: str, fields) -> pd.DataFrame:
    """``frame`` (records of a layer, ids in the column ``id_field`` or an index of them) with ``fields`` as
    ``records`` of the same layer hold them, in its rows of those records; ``frame`` itself is left as it was (a
    kept result's frames are shared), and returned as it is when it lists none of them."""
    fields = [name for name in fields if name in records.columns and name in frame.columns]
    if not fields or not len(records) or not len(frame):
        return frame
    ids = frame[id_field] if id_field in frame.columns else frame.index.to_series()
    where = positions(ids, records[id_field])  # (ids are unique within a layer)
    rows = np.flatnonzero(where >= 0)
    if not len(rows):
        return frame
    patched = frame.copy(deep=False)
    for name in fields:
        column = frame[name].copy()
        column.iloc[rows] = records[name].iloc[where[rows]].to_numpy()
        patched[name] = column
    return patched


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


def supplied_parcels(parcels: pd.DataFrame, *, as_of: dt.date | None = None,
                     supplied_date: str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which ``parcels`` are supplied (供地) on ``as_of`` (today without a day): (supplied, by_date, untold).

    By status (:data:`SUPPLIED_STATUSES`); a parcel **without a status** by its ``supplied_date`` field (the
    evaluation rules' ``status.supplied_date_without_status``: the contract date) on or before the day
    (:func:`dated_without_status`: ``by_date``); one with neither is ``untold`` (and not supplied). Without
    ``supplied_date`` nothing is inferred. The one answer the overview, the evaluation and 七通一平 give."""
    status = parcels["status"] if "status" in parcels.columns else pd.Series(pd.NA, index=parcels.index, dtype=object)
    by_date = untold = np.zeros(len(parcels), dtype=bool)
    if supplied_date is not None and len(parcels):
        by_date, untold = dated_without_status(status, date_column(parcels, supplied_date), as_of or dt.date.today())
    return status.isin(SUPPLIED_STATUSES).to_numpy(dtype=bool) | by_date, by_date, untold


def dated_without_status(status: pd.Series, dates: pd.Series, day) -> tuple[np.ndarray, np.ndarray]:
    """For parcels **without a status**: (reached, untold) — whose ``dates`` are on or before ``day`` (the day
    itself included), and which have no date at all. A parcel with a status is in neither: its status decides.

    The one rule behind counting a surveyor's parcels as supplied by their contract date (``geo.evaluation``, the
    overview's land supplied); which date field is configuration (``data/evaluation.yaml``,
    ``status.supplied_date_without_status`` and ``built_date_without_status``).
    """
    no_status = status.isna().to_numpy(dtype=bool)
    day = pd.Timestamp(day)
    return (no_status & (dates <= day).to_numpy(dtype=bool), no_status & dates.isna().to_numpy(dtype=bool))


__all__ = ["DESCRIPTION_FIELDS", "SUPPLIED_STATUSES", "UNKNOWN", "dated_without_status", "described_fields",
           "in_force", "is_industrial", "supplied_parcels", "with_fields_of", "with_layer_fields", "with_values"]
