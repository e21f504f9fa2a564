"""Edits of layer records as pure frame operations, for :func:`layers.audit.commit` to save.

Each function takes the current layer(s) and returns new frames; values arrive
as the user typed them and are typed and checked by the same validation as an
import (``layers.validate``) when the change is committed. Records are never
dropped: "deleting" is retiring (``retired_on``, system time), which also ends the
record's valid time (``valid_to``, "no longer true from"). The optimistic-locking check
(:func:`check_version`) compares the version and fingerprint the user's form was
built from with the current ones, under the write lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from layers.audit import ChangeConflict, changes_since, fingerprint, record_version
from layers.polygon_edits import merge_polygons, split_polygon
from layers.schema import SOURCE_ATTRIBUTES, VALID_TIME_FIELD_NAMES, Field, LayerSpec
from layers.valid_time import VALID_FROM, VALID_TO

#: Fields a form never sets directly: the log stamps them, retiring is its own action.
BOOKKEEPING = ("first_added", "last_updated", "retired_on")
#: Fields that describe a parcel's extent and do not carry over to the pieces of a split or a merge.
EXTENT_FIELDS = ("registered_area_m2", "developed_area_m2", "green_area_m2", "admin_area_m2")
LINEAGE_FIELD = "previously_part_of"


class EditError(ValueError):
    """An edit refused before validation; ``problems`` are (field, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems))


def form_fields(spec: LayerSpec, *, creating: bool = False) -> list[Field]:
    """The fields an edit form shows: every declared field but bookkeeping and the kept source attributes (shown
    as they came, not edited), and the id only when creating."""
    return [f for f in spec.fields if f.name not in (*BOOKKEEPING, SOURCE_ATTRIBUTES)
            and (creating or f.name != spec.id_field)]


def locate(frame: pd.DataFrame, spec: LayerSpec, record_id: str) -> int:
    """Row position of ``record_id``; ``KeyError`` naming layer and id when absent."""
    rows = np.flatnonzero((frame[spec.id_field] == record_id).fillna(False).to_numpy(dtype=bool))
    if len(rows) == 0:
        raise KeyError(f"{spec.name}: no record {record_id!r}")
    return int(rows[0])


def check_version(frame: pd.DataFrame, log: pd.DataFrame, spec: LayerSpec, record_id: str, *,
                  version: int | None, seen_fingerprint: str | None) -> None:
    """Refuse (``ChangeConflict``) an edit built from an older state of the record.

    ``version`` is the record's number of changes when the form was built;
    ``seen_fingerprint`` the digest of its values then (catches writes that
    bypass the log). ``None`` skips a check (API clients that send no version
    are refused by the caller, not here).
    """
    if version is not None:
        current = record_version(log, spec.name, record_id)
        if current != version:
            missed = changes_since(log, spec.name, record_id, version)
            msg = (f"{spec.name} {record_id} was changed by someone else since you opened it "
                   f"(version {version} → {current}); review their change and edit again")
            raise ChangeConflict(msg, missed)
    if seen_fingerprint is not None and fingerprint(frame, spec, record_id) != seen_fingerprint:
        msg = (f"{spec.name} {record_id} was changed outside the editor (an import or another tool) since you "
               "opened it; reload it and edit again")
        raise ChangeConflict(msg)


def _editable(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """A copy whose ``columns`` accept raw text (validation types them again)."""
    out = frame.copy()
    for name in columns:
        out[name] = out[name].astype(object)
    return out


def _check_names(spec: LayerSpec, values: Mapping[str, object], allowed: Iterable[str]) -> None:
    allowed = set(allowed)
    unknown = [name for name in values if name not in allowed]
    if unknown:
        raise EditError([(name, f"cannot be set here; fields: {', '.join(sorted(allowed))}") for name in unknown])


def update_record(frame: pd.DataFrame, spec: LayerSpec, record_id: str, values: Mapping[str, object]) -> pd.DataFrame:
    """``frame`` with the fields in ``values`` of one record set (raw text; blank = missing)."""
    _check_names(spec, values, (f.name for f in form_fields(spec)))
    row = locate(frame, spec, record_id)
    out = _editable(frame, values)
    for name, value in values.items():
        out.iat[row, out.columns.get_loc(name)] = _blank_to_none(value)
    return out


def create_record(frame: pd.DataFrame, spec: LayerSpec, values: Mapping[str, object], *, geometry=None) -> pd.DataFrame:
    """``frame`` with a new record (its id required and unused, also by retired records)."""
    _check_names(spec, values, (f.name for f in form_fields(spec, creating=True)))
    new_id = _blank_to_none(values.get(spec.id_field))
    if new_id is None:
        raise EditError([(spec.id_field, "required: give the new record an id")])
    if (frame[spec.id_field] == str(new_id).strip()).any():
        raise EditError([(spec.id_field, f"{new_id!r} is taken (ids stay taken after a record is retired)")])
    if spec.geometry is not None and geometry is None:
        raise EditError([("geometry", f"draw the new {spec.label_en.lower()} on the map")])
    record = {name: _blank_to_none(value) for name, value in values.items()}
    return _append(frame, spec, [record], [geometry])


def _append(frame: pd.DataFrame, spec: LayerSpec, records: list[dict], geometries: list) -> pd.DataFrame:
    names = {name for record in records for name in record}
    out = _editable(frame, names)
    added = pd.DataFrame(records, columns=list(out.columns.drop("geometry", errors="ignore")), dtype=object)
    if spec.geometry is not None:
        import geopandas as gpd

        added = gpd.GeoDataFrame(added, geometry=list(geometries), crs=frame.crs)
    return pd.concat([out, added], ignore_index=True)


def set_retired(frame: pd.DataFrame, spec: LayerSpec, record_id: str, day, *, no_longer_true_from=None,
                restored_on=None) -> pd.DataFrame:
    """Retire a record on ``day`` (``None`` restores it).

    Retiring is system time (the register stops holding the record on ``day``); the
    record is no longer true in the world from ``no_longer_true_from`` (its ``valid_to``;
    default ``day``). Restoring on ``restored_on`` (default today) makes it true again:
    a ``valid_to`` on or before that day is cleared, a later one kept.
    """
    row = locate(frame, spec, record_id)
    current = frame["retired_on"].iloc[row]
    if day is not None and pd.notna(current):
        raise EditError([("retired_on", f"{record_id} is already retired (on {pd.Timestamp(current).date()})")])
    if day is None and pd.isna(current):
        raise EditError([("retired_on", f"{record_id} is not retired")])
    out = frame.copy()
    out.iat[row, out.columns.get_loc("retired_on")] = pd.NaT if day is None else pd.Timestamp(day)
    if VALID_TO not in out.columns:
        return out
    if day is not None:
        ended = _date(day if no_longer_true_from is None else no_longer_true_from)
        if ended is None:
            raise EditError([(VALID_TO, f"got {no_longer_true_from!r}; allowed: a date YYYY-MM-DD, the first "
                                        "day the record is no longer true")])
        out[VALID_TO] = out[VALID_TO].astype("datetime64[ms]")
        out.iat[row, out.columns.get_loc(VALID_TO)] = ended
    elif out[VALID_TO].iloc[row] <= pd.Timestamp(restored_on or pd.Timestamp.today()).normalize():
        out.iat[row, out.columns.get_loc(VALID_TO)] = pd.NaT
    return out


def set_geometry(frame: pd.DataFrame, spec: LayerSpec, record_id: str, geometry) -> pd.DataFrame:
    """Replace one record's geometry (working CRS)."""
    row = locate(frame, spec, record_id)
    out = frame.copy()
    geometries = out.geometry.to_numpy().copy()
    geometries[row] = geometry
    out = out.set_geometry(geometries, crs=frame.crs)
    return out


def _free_ids(taken: pd.Series, stem: str, count: int) -> list[str]:
    existing = set(taken.dropna())
    ids, n = [], 1
    while len(ids) < count:
        candidate = f"{stem}-{n}"
        if candidate not in existing:
            ids.append(candidate)
        n += 1
    return ids


def split_parcel(parcels: pd.DataFrame, spec: LayerSpec, record_id: str, line, *, day) -> tuple[pd.DataFrame, list[str]]:
    """Split a live parcel along ``line``: the parent is retired, the pieces are new parcels.

    Each piece keeps the parent's attributes except its extent fields and gets
    ``previously_part_of`` = the parent's id. Returns (parcels, new ids, largest piece first).
    """
    row = locate(parcels, spec, record_id)
    parent = parcels.iloc[row]
    if pd.notna(parent["retired_on"]):
        raise EditError([("retired_on", f"{record_id} is retired; only live parcels can be split")])
    pieces = split_polygon(parent.geometry, line)
    new_ids = _free_ids(parcels[spec.id_field], record_id, len(pieces))
    base = _inherited(parent, spec, since=day)
    records = [{**base, spec.id_field: new_id, LINEAGE_FIELD: record_id} for new_id in new_ids]
    out = set_retired(parcels, spec, record_id, day)  # the parent is no longer true from the split day
    return _append(out, spec, records, pieces), new_ids


def merge_parcels(parcels: pd.DataFrame, spec: LayerSpec, record_ids: list[str], *, new_id: str | None = None,
                  day) -> tuple[pd.DataFrame, str]:
    """Merge adjacent live parcels into a new one (attributes of the first); the parents are retired.

    ``previously_part_of`` of the new parcel lists the parents' ids, comma-separated.
    """
    ids = list(dict.fromkeys(record_ids))
    rows = [locate(parcels, spec, record_id) for record_id in ids]
    retired = [record_id for record_id, row in zip(ids, rows) if pd.notna(parcels["retired_on"].iloc[row])]
    if retired:
        raise EditError([("retired_on", f"retired parcels cannot be merged: {', '.join(retired)}")])
    merged = merge_polygons(parcels.geometry.iloc[rows].to_numpy(), names=ids)
    new_id = (new_id or "").strip() or _free_ids(parcels[spec.id_field], ids[0] + "-M", 1)[0]
    if (parcels[spec.id_field] == new_id).any():
        raise EditError([(spec.id_field, f"{new_id!r} is taken (ids stay taken after a record is retired)")])
    record = {**_inherited(parcels.iloc[rows[0]], spec, since=day), spec.id_field: new_id,
              LINEAGE_FIELD: ",".join(ids)}
    out = parcels
    for record_id in ids:
        out = set_retired(out, spec, record_id, day)
    return _append(out, spec, [record], [merged]), new_id


def _inherited(parent: pd.Series, spec: LayerSpec, *, since) -> dict:
    """The attributes a piece of a split (or a merge) takes from ``parent``; it is true from ``since``."""
    skip = {spec.id_field, LINEAGE_FIELD, *BOOKKEEPING, *EXTENT_FIELDS, *VALID_TIME_FIELD_NAMES}
    inherited = {f.name: parent[f.name] for f in spec.fields if f.name not in skip}
    return {**inherited, VALID_FROM: pd.Timestamp(since)} if VALID_FROM in spec.field_names else inherited


def add_lease(leases: pd.DataFrame, spec: LayerSpec, values: Mapping[str, object], *,
              unit_ids: Iterable[str]) -> pd.DataFrame:
    """A new lease: its unit must exist, its start come before its end, and no live lease of the unit overlap it."""
    problems = []
    unit = _blank_to_none(values.get("unit_id"))
    if unit is None or unit not in set(unit_ids):
        problems.append(("unit_id", f"got {unit!r}; allowed: a unit id of this park"))
    start, end = (_date(values.get(name)) for name in ("start", "end"))
    if start is None:
        problems.append(("start", "required: the first day of the lease (YYYY-MM-DD)"))
    if start is not None and end is not None and end < start:
        problems.append(("end", f"{end.date()} is before the start {start.date()}"))
    if not problems and unit is not None:
        live = leases[(leases["unit_id"] == unit).fillna(False) & leases["retired_on"].isna()]
        far = pd.Timestamp.max
        overlaps = live[(live["start"].fillna(pd.Timestamp.min) <= (end or far))
                        & (live["end"].fillna(far) >= start)]
        if len(overlaps):
            problems.append(("start", f"unit {unit} is already leased then: {', '.join(overlaps['lease_id'])}"))
    if problems:
        raise EditError(problems)
    return create_record(leases, spec, values)


def end_lease(leases: pd.DataFrame, spec: LayerSpec, lease_id: str, end) -> pd.DataFrame:
    """End a lease on ``end`` (its last day): not before its start, not after its current end."""
    row = locate(leases, spec, lease_id)
    day = _date(end)
    if day is None:
        raise EditError([("end", f"got {end!r}; allowed: a date YYYY-MM-DD")])
    start, current_end = leases["start"].iloc[row], leases["end"].iloc[row]
    if pd.notna(start) and day < start:
        raise EditError([("end", f"{day.date()} is before the lease's start {pd.Timestamp(start).date()}")])
    if pd.notna(current_end) and day > current_end:
        raise EditError([("end", f"{day.date()} is after the lease's end {pd.Timestamp(current_end).date()}; "
                                 "extend a lease by editing it")])
    out = leases.copy()
    out.iat[row, out.columns.get_loc("end")] = day
    return out


def _blank_to_none(value):
    if value is None:
        return None
    if isinstance(value, str) and value.strip() == "":
        return None
    return value


def _date(value) -> pd.Timestamp | None:
    value = _blank_to_none(value)
    if value is None:
        return None
    try:
        return pd.Timestamp(str(value).strip()).normalize()
    except ValueError:
        return None
