"""The audit trail: every change to the park is an event, written with the change, atomically.

A *change* is one user action (an attribute edit, a split, an undo …); it
writes one event per changed field of an existing record (``op=update``) and one
per record that appears (``op=create``, the whole record as JSON in
``new_value``) or disappears (``op=delete``, the whole record in ``old_value``).
Values are canonical text (:func:`value_text`), so the log reads the same in a
GeoPackage, in PostGIS, in a CSV export and on screen.

:func:`commit` is the one way the application writes data: under the store's
write lock it reads the current layers, lets the caller build the new ones
(where optimistic-locking checks happen, against the same state that is then
saved), validates them exactly as an import is validated, stamps
``last_updated``, diffs, and saves the changed layers together with the new
events in one atomic write. Because the log is complete, a record's *version*
is simply the number of changes that touched it (:func:`record_versions`), the
state on any earlier moment is the current state with the later events undone
(:func:`as_known_on`), and replaying the log forward from that state gives the
current state back (:func:`replay`).

Nothing here imports the web side; who is acting comes from :func:`set_actor`
(the web layer sets it per request; command-line tools default to ``cli:<login>``).
"""

from __future__ import annotations

import contextvars
import csv
import datetime as dt
import getpass
import io
import json
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.cells import neutralise_formulas
from layers.contract import ParkStore, StoreCapabilities, row_store
from layers.registry import get_layer
from layers.schema import LayerSpec
from layers.store import AUDIT_LAYER, checked_frame
from layers.valid_time import fill_valid_time
from layers.validate import LayerValidationError, Problem, validate_layer
from layers.values import STRING_DTYPE
from layers.workbook_style import Sheet, styled_workbook

WHOLE_RECORD = "*"
GEOMETRY = "geometry"
DEFAULT_TIMEZONE = "Asia/Shanghai"
#: Events of the log shown and exported, in this order.
LOG_COLUMNS = ("seq", "at", "user", "action", "op", "layer", "record_id", "field", "old_value", "new_value",
               "reason", "change_id", "undoes", "event_id")

try:
    _DEFAULT_ACTOR = f"cli:{getpass.getuser()}"
except (KeyError, OSError):  # no user name in a bare container
    _DEFAULT_ACTOR = "cli"
_ACTOR: contextvars.ContextVar[str] = contextvars.ContextVar("parkatlas_actor", default=_DEFAULT_ACTOR)


def set_actor(name: str) -> None:
    """Name who is acting in this context (thread / request) for the changes it commits."""
    _ACTOR.set(name)


def current_actor() -> str:
    return _ACTOR.get()


class AuditError(RuntimeError):
    """The log and the data disagree (a replay cannot be carried out)."""


class ChangeConflict(Exception):
    """A change refused because the data changed since the user read it (HTTP 409).

    ``events`` holds the other changes (log rows) the user has not seen; ``message``
    says what to do.
    """

    def __init__(self, message: str, events: pd.DataFrame | None = None):
        self.message = message
        self.events = events if events is not None else pd.DataFrame(columns=list(LOG_COLUMNS))
        super().__init__(message)


@dataclass(frozen=True)
class Change:
    """Who does what, when and why: shared by every event of one change."""

    change_id: str
    user: str
    at: str
    date: pd.Timestamp
    action: str
    reason: str | None = None
    undoes: str | None = None


def new_change(action: str, *, user: str | None = None, reason: str | None = None, undoes: str | None = None,
               now: dt.datetime | None = None, timezone: str = DEFAULT_TIMEZONE) -> Change:
    """A change made now (UTC time, and the day in the park's ``timezone``)."""
    moment = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    local_day = moment.astimezone(ZoneInfo(timezone)).date()
    change_id = f"CH-{moment:%Y%m%dT%H%M%S%f}-{secrets.token_hex(3)}"
    reason = (reason or "").strip() or None
    return Change(change_id, user or current_actor(), moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                  pd.Timestamp(local_day), action, reason, undoes)


# -- canonical text of values -----------------------------------------------------------------


def _missing(value) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def value_text(value, kind: str) -> str | None:
    """``value`` of a field of ``kind`` as canonical text (``None`` when missing).

    Dates ``YYYY-MM-DD``; floats the shortest text that reads back to the same
    number; ints plain; bools ``true``/``false``; geometry full-precision WKT.
    """
    if _missing(value):
        return None
    if kind == GEOMETRY:
        return shapely.to_wkt(value, rounding_precision=-1)
    if kind == "date":
        return pd.Timestamp(value).date().isoformat()
    if kind == "float":
        return repr(float(value))
    if kind == "int":
        return str(int(value))
    if kind == "bool":
        return "true" if bool(value) else "false"
    return str(value)


def _kinds(spec: LayerSpec) -> dict[str, str]:
    kinds = {f.name: f.kind for f in spec.fields}
    if spec.geometry is not None:
        kinds[GEOMETRY] = GEOMETRY
    return kinds


def record_texts(frame: pd.DataFrame, spec: LayerSpec) -> list[dict[str, str | None]]:
    """Every record of ``frame`` as a dict of canonical texts (fields, then ``geometry``)."""
    kinds = _kinds(spec)
    if 0 < len(frame) <= FEW_RECORDS and frame.columns.is_unique and set(kinds) <= set(frame.columns):
        # (a few records: their values converted at once, not a pandas call per field; the same values)
        values = _object_values(frame, list(kinds), np.arange(len(frame)))
        return [{name: value_text(value, kind) for (name, kind), value in zip(kinds.items(), row)} for row in values]
    columns = {name: [value_text(v, kind) for v in frame[name].tolist()] if len(frame) else []
               for name, kind in kinds.items()}
    return [dict(zip(kinds, values)) for values in zip(*columns.values())] if len(frame) else []


def texts_to_frame(records: list[dict[str, str | None]], spec: LayerSpec, *, crs, source: str) -> pd.DataFrame:
    """Typed layer frame from canonical-text records, through the import validation."""
    names = list(spec.field_names)
    raw = pd.DataFrame({name: pd.Series([r.get(name) for r in records], dtype=object) for name in names})
    if spec.geometry is not None:
        wkt = np.array([r.get(GEOMETRY) for r in records], dtype=object)
        raw = gpd.GeoDataFrame(raw, geometry=shapely.from_wkt(wkt), crs=crs)
    typed, _ = validate_layer(raw, spec, source=source)
    return typed


# -- diffs ------------------------------------------------------------------------------------


#: Up to this many records a comparison runs value by value: pandas' per-column overhead would cost more
#: than the comparisons (a change of one record compares some 45 fields).
FEW_RECORDS = 32


#: The fields :func:`stamp` sets: whether a record changed is judged without them (``changed_ids(ignore=)``).
STAMPED = ("first_added", "last_updated")


#: Fields fewer than 1/this of a frame's columns are converted column by column (:func:`_object_values`): a column
#: costs ~30 µs alone, converting all of a record's 45 columns at once ~0.4 ms.
FEW_FIELDS_SHARE = 8


def _same_value(old, new) -> bool:
    old_missing, new_missing = _missing(old), _missing(new)
    if old_missing or new_missing:
        return old_missing and new_missing
    if isinstance(old, shapely.Geometry) or isinstance(new, shapely.Geometry):
        return shapely.to_wkb(old) == shapely.to_wkb(new)
    return bool(old == new)


def _differs(old: pd.Series, new: pd.Series) -> np.ndarray:
    """Element-wise 'value changed', treating two missing values as equal (vectorised: for many records)."""
    both_missing = old.isna().to_numpy() & new.isna().to_numpy()
    if isinstance(old.dtype, gpd.array.GeometryDtype) or old.name == GEOMETRY:
        a, b = old.to_numpy(), new.to_numpy()
        same = np.zeros(len(a), dtype=bool)
        present = ~(shapely.is_missing(a) | shapely.is_missing(b))
        same[present] = shapely.to_wkb(a[present]) == shapely.to_wkb(b[present])
        return ~(same | both_missing)
    equal = (old.reset_index(drop=True) == new.reset_index(drop=True)).fillna(False).to_numpy(dtype=bool)
    return ~(equal | both_missing)


def _aligned(old: pd.DataFrame, new: pd.DataFrame, id_field: str):
    old_ids, new_ids = old[id_field].astype(object), new[id_field].astype(object)
    common = pd.Index(new_ids[new_ids.isin(old_ids)])
    old_pos = pd.Index(old_ids).get_indexer(common)
    new_pos = pd.Index(new_ids).get_indexer(common)
    created = np.flatnonzero(~new_ids.isin(old_ids).to_numpy())
    deleted = np.flatnonzero(~old_ids.isin(new_ids).to_numpy())
    return common, old_pos, new_pos, created, deleted


def _event_rows(change: Change, layer: str, record_ids, fields, olds, news, ops) -> pd.DataFrame:
    """Events as a frame, each column made in one go in the dtype the audit trail declares (text, days): the
    validation then takes them as they are. ``olds``/``news`` stay Python objects (None: no value)."""
    n = len(record_ids)

    def text(values) -> pd.api.extensions.ExtensionArray:
        return pd.array(list(values), dtype=STRING_DTYPE)

    return pd.DataFrame({
        "change_id": text([change.change_id] * n),
        "at": text([change.at] * n),
        "date": np.full(n, change.date.to_datetime64(), dtype="datetime64[ms]"),
        "user": text([change.user] * n),
        "action": text([change.action] * n),
        "op": text(ops),
        "layer": text([layer] * n),
        "record_id": text(record_ids),
        "field": text(fields),
        "old_value": pd.Series(list(olds), dtype=object),  # (None for no value, as the caller gave it)
        "new_value": pd.Series(list(news), dtype=object),
        "reason": text([change.reason] * n),
        "undoes": text([change.undoes] * n),
    })


def _differences(old: pd.DataFrame, new: pd.DataFrame, old_pos: np.ndarray, new_pos: np.ndarray,
                 names: list[str]) -> dict[str, np.ndarray]:
    """Per field of ``names``: which aligned records (``old_pos[i]`` ↔ ``new_pos[i]``) differ. A few records
    are compared as Python values in one pass (no pandas call per field)."""
    if len(old_pos) > FEW_RECORDS:
        return {name: _differs(old[name].iloc[old_pos], new[name].iloc[new_pos]) for name in names}
    return _value_differences(_object_values(old, names, old_pos), _object_values(new, names, new_pos), names)


def _value_differences(before: np.ndarray, after: np.ndarray, names: list[str]) -> dict[str, np.ndarray]:
    """Per field of ``names`` (the columns of both object arrays, records × fields): which records differ."""
    return {name: np.array([not _same_value(a, b) for a, b in zip(before[:, j], after[:, j])], dtype=bool)
            for j, name in enumerate(names)}


def _object_values(frame: pd.DataFrame, names: list[str], positions: np.ndarray) -> np.ndarray:
    """Fields ``names`` of the records of ``frame`` at ``positions`` as Python values (records × fields).

    Most fields: the records' every column converted at once and the fields picked after (selecting the
    columns first builds a frame, which costs ~4× the conversion of a few records' 45 fields); a few fields:
    column by column (the same conversion of each)."""
    if not frame.columns.is_unique:  # (picking columns by position needs unique names)
        return frame[names].to_numpy(dtype=object)[positions]
    if len(names) * FEW_FIELDS_SHARE < len(frame.columns):
        out = np.empty((len(positions), len(names)), dtype=object)
        for j, name in enumerate(names):
            out[:, j] = frame[name].to_numpy(dtype=object)[positions]
        return out
    if len(frame) > FEW_RECORDS:  # (a few records of a large frame: taken before converting)
        frame, positions = frame.iloc[positions], np.arange(len(positions))
    return frame.to_numpy(dtype=object)[positions][:, frame.columns.get_indexer(names)]


def changed_ids(old: pd.DataFrame, new: pd.DataFrame, spec: LayerSpec, *, ignore: Iterable[str] = ()) -> set[str]:
    """Ids of records created, deleted or with any field (bar ``ignore``) changed from ``old`` to ``new``."""
    common, old_pos, new_pos, created, deleted = _aligned(old, new, spec.id_field)
    out = set(new[spec.id_field].iloc[created]) | set(old[spec.id_field].iloc[deleted])
    names = [name for name in _kinds(spec) if name not in set(ignore)]
    for differs in _differences(old, new, old_pos, new_pos, names).values():
        out |= set(common[differs])
    return out


def changed_fields(old: pd.DataFrame, new: pd.DataFrame, spec: LayerSpec) -> set[str]:
    """The fields of ``spec`` (and ``geometry``) in which the records of ``new`` differ from the same records (by
    id) in ``old``: every one of them when a record is in only one of the two (created, or left out)."""
    kinds = _kinds(spec)
    common, old_pos, new_pos, created, deleted = _aligned(old, new, spec.id_field)
    compared = [name for name in kinds if name in old.columns and name in new.columns]
    if len(created) or len(deleted) or len(compared) < len(kinds):
        return set(kinds)
    return {name for name, differs in _differences(old, new, old_pos, new_pos, compared).items() if differs.any()}


def diff_events(old: pd.DataFrame, new: pd.DataFrame, spec: LayerSpec, change: Change) -> pd.DataFrame:
    """The events that turn layer ``old`` into ``new`` (both typed), in record then field order."""
    common, old_pos, new_pos, created, deleted = _aligned(old, new, spec.id_field)
    differences = _differences(old, new, old_pos, new_pos, list(_kinds(spec)))
    return _events(old, new, spec, change, (common, old_pos, new_pos, created, deleted), differences)


def _events(old: pd.DataFrame, new: pd.DataFrame, spec: LayerSpec, change: Change, aligned,
            differences: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """:func:`diff_events` from the records matched (:func:`_aligned`) and their ``differences`` per field.

    The events' columns are gathered as lists and made a frame once, in record then field order (a frame per
    changed field, joined and sorted, costs ~0.5 ms a field for an edit of one record)."""
    common, old_pos, new_pos, created, deleted = aligned
    kinds = _kinds(spec)
    rows_of: list[tuple[tuple[int, int], object, str, str | None, str | None, str]] = []  # (order, id, field, …)
    for rank, (name, kind) in enumerate(kinds.items()):
        differs = differences[name]
        if not differs.any():
            continue
        rows = np.flatnonzero(differs)
        olds = [value_text(v, kind) for v in old[name].iloc[old_pos[rows]].tolist()]
        news = [value_text(v, kind) for v in new[name].iloc[new_pos[rows]].tolist()]
        rows_of += [((int(position), rank), record_id, name, before, after, "update") for position, record_id, before,
                    after in zip(new_pos[rows].tolist(), common[rows].tolist(), olds, news)]
    if len(created):
        texts = record_texts(new.iloc[created], spec)
        rows_of += [((int(position), -1), record_id, WHOLE_RECORD, None, json.dumps(t, ensure_ascii=False), "create")
                    for position, record_id, t in zip(created.tolist(), new[spec.id_field].iloc[created].tolist(),
                                                      texts)]
    if len(deleted):
        texts = record_texts(old.iloc[deleted], spec)
        rows_of += [((len(new) + int(position), -1), record_id, WHOLE_RECORD, json.dumps(t, ensure_ascii=False), None,
                     "delete")
                    for position, record_id, t in zip(deleted.tolist(), old[spec.id_field].iloc[deleted].tolist(),
                                                      texts)]
    rows_of.sort(key=lambda row: row[0])  # (stable: as the frames were ordered before)
    _, record_ids, fields, olds, news, ops = zip(*rows_of) if rows_of else ((),) * 6
    return _event_rows(change, spec.name, record_ids, fields, olds, news, ops)


def stamp(old: pd.DataFrame, new: pd.DataFrame, spec: LayerSpec, change: Change,
          touched: set[str] | None = None) -> pd.DataFrame:
    """``new`` with ``last_updated`` set to the change's day on every record that changed
    (``touched``, found here when not given), ``first_added`` on new records that have none,
    and valid dates from their own dates on new records without them (``layers.valid_time``)."""
    if touched is None:
        touched = changed_ids(old, new, spec, ignore=STAMPED)
    if not touched:
        return new
    out = new.copy()
    mask = out[spec.id_field].isin(touched).to_numpy()
    out.loc[mask, "last_updated"] = change.date
    created = mask & ~out[spec.id_field].isin(set(old[spec.id_field])).to_numpy()
    out.loc[created & out["first_added"].isna().to_numpy(), "first_added"] = change.date
    return fill_valid_time(out, spec, today=change.date, rows=np.flatnonzero(created)) if created.any() else out


def number_events(events: pd.DataFrame, *, start_seq: int) -> pd.DataFrame:
    """``events`` with their log position (``seq``), ids and record history fields (made in their declared dtypes,
    and the frame once: the validation then checks them without converting)."""
    seqs = range(start_seq, start_seq + len(events))
    day = events["date"].to_numpy().astype("datetime64[ms]")
    columns = {name: events[name].array for name in events.columns}
    columns.update({
        "date": day,
        "seq": pd.array(list(seqs), dtype="Int64"),
        "event_id": pd.array([f"E{seq:012d}" for seq in seqs], dtype=STRING_DTYPE),
        "first_added": day,
        "last_updated": day,
        "retired_on": np.full(len(events), np.datetime64("NaT"), dtype="datetime64[ms]"),
    })
    return pd.DataFrame(columns)


def next_seq(log: pd.DataFrame) -> int:
    return int(log["seq"].max()) + 1 if len(log) and log["seq"].notna().any() else 1


# -- committing a change -----------------------------------------------------------------------


Build = Callable[[dict[str, pd.DataFrame], pd.DataFrame], Mapping[str, pd.DataFrame]]


@dataclass(frozen=True)
class Scope:
    """The records a change reads and may change, so a store that writes records in place
    (``layers.contract.RowStore``) reads and writes just those.

    ``build`` then gets, per layer, only the records named here (by id, or by id prefix: a split
    names its pieces' ids ``<parent>-1``…, so it reads those taken already), and as the log only
    their events and those of ``changes`` (and of changes undoing them). Every check a build makes
    of a record (its version, its fingerprint) reads the same there as in the whole layer; a
    record it adds must have an id the layer does not hold (refused otherwise, as a duplicate).
    """

    records: Mapping[str, tuple[str, ...]]
    prefixes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    changes: tuple[str, ...] = ()

    @classmethod
    def of(cls, layer: str, *record_ids: str, prefixes: tuple[str, ...] = ()) -> Scope:
        return cls({layer: tuple(str(i) for i in record_ids)}, {layer: prefixes} if prefixes else {})


#: Called with (store version before, after, {layer: (old records, new records)}) once a change is written
#: record by record, under the write lock (``service.park.ParkService.note_rows`` patches its caches with it).
RowsWritten = Callable[[str, str, Mapping[str, tuple[pd.DataFrame, pd.DataFrame]]], None]


def commit(store, change: Change, build: Build, *, layers: Iterable[str],
           load: Callable[[str], pd.DataFrame] | None = None, scope: Scope | None = None,
           on_rows: RowsWritten | None = None) -> pd.DataFrame:
    """Make one change: read, build, validate, stamp, diff, and save it with its events atomically.

    Parameters
    ----------
    store
        A park store with ``write_lock()``, ``load(name)`` and ``save_layers(frames, append=)``.
    change
        Who, when, what and why (:func:`new_change`).
    build
        ``build(current, log) -> {layer: new frame}``: called under the write lock with
        the current layers named in ``layers`` and the log; raises (e.g.
        :class:`ChangeConflict`) to refuse the change. Layers it returns unchanged are not written.
    layers
        The layers ``build`` reads.
    load
        How to read a layer (default ``store.load``; the web passes its version-checked cache).
    scope
        The records ``build`` reads and changes: where the store writes records in place and holds every
        layer concerned, only those are read, validated and written (:class:`Scope`); otherwise the
        layers are read and saved whole, with the same result.
    on_rows
        Told of a change written record by record (:data:`RowsWritten`).

    Returns
    -------
    The events written (empty when nothing changed).

    Raises
    ------
    LayerValidationError
        When a new layer fails the import validation; nothing is written.
    """
    layers = list(layers)
    # The park's layers looked up under the lock: where the store lends the lock's connection (PostGIS), on it.
    with write_lock(store):
        rows = row_store(store, layers) if scope is not None else None  # (the store adds the audit trail if absent)
        if rows is not None:
            return _commit_rows(store, rows, change, build, layers=layers, scope=scope, on_rows=on_rows)
        return _commit_layers(store, change, build, layers=layers, load=load or store.load)


def _commit_layers(store, change: Change, build: Build, *, layers: list[str], load: Callable[[str], pd.DataFrame]
                   ) -> pd.DataFrame:
    """:func:`commit` layer by layer: the layers read, built, validated, diffed and saved whole (under the write
    lock :func:`commit` holds)."""
    crs = store.working_crs()
    current = {name: load(name) for name in layers}
    log = load(AUDIT_LAYER)
    built = build(current, log)
    frames, events = {}, []
    for name, frame in built.items():
        if name == AUDIT_LAYER:
            msg = "the audit trail is append-only; it cannot be saved as a layer"
            raise ValueError(msg)
        spec = get_layer(name)
        old = current[name] if name in current else load(name)
        typed = checked_frame(name, frame, crs, source=f"{change.action}:{name}")
        touched = changed_ids(old, typed, spec, ignore=STAMPED)
        typed = stamp(old, typed, spec, change, touched)
        # Only the touched records can differ now: diff just those (a large layer is compared once).
        ids = spec.id_field
        layer_events = diff_events(old[old[ids].isin(touched)], typed[typed[ids].isin(touched)], spec, change)
        if len(layer_events):
            frames[name] = typed
            events.append(layer_events)
    if not events:
        return number_events(_event_rows(change, "", [], [], [], [], []), start_seq=1)
    numbered = number_events(pd.concat(events, ignore_index=True), start_seq=next_seq(log))
    numbered = checked_frame(AUDIT_LAYER, numbered, crs, source=f"{change.action}:{AUDIT_LAYER}")
    save_layers(store, {**frames, AUDIT_LAYER: numbered}, append=(AUDIT_LAYER,), checked=True)
    return numbered


def _commit_rows(store, rows, change: Change, build: Build, *, layers: list[str], scope: Scope,
                 on_rows: RowsWritten | None) -> pd.DataFrame:
    """:func:`commit` record by record: the scope's records read, built, validated, diffed and written in place
    (under the write lock :func:`commit` holds)."""
    before = store.version()
    crs = store.working_crs()
    current = {name: rows.read_rows(name, scope.records.get(name, ()), id_prefixes=scope.prefixes.get(name, ()))
               for name in layers}
    keys = [(name, record_id) for name, frame in current.items() for record_id in frame[get_layer(name).id_field]]
    trail = rows.read_events(records=keys, change_ids=scope.changes, undoes=scope.changes)
    built = build(current, trail)
    updated, created, written, events = {}, {}, {}, []
    for name, frame in built.items():
        if name not in current:
            msg = f"a change in place builds only the layers it read ({', '.join(current)}), not {name!r}"
            raise ValueError(msg)
        spec = get_layer(name)
        old = current[name]
        few = FewRecordDiff.compare(old, frame, spec)
        typed = checked_frame(name, frame, crs, source=f"{change.action}:{name}",
                              checked=few.unchanged if few is not None else [])
        ids = spec.id_field
        gone = set(old[ids]) - set(typed[ids])
        if gone:
            msg = f"{name}: records are retired, never deleted ({', '.join(sorted(map(str, gone)))})"
            raise ValueError(msg)
        added = set(typed[ids]) - set(old[ids])
        _refuse_taken(name, ids, rows.ids_present(name, sorted(added)), source=f"{change.action}:{name}")
        judged = few.judge(old, typed, spec) if few is not None and not added else None
        touched = judged.changed() if judged is not None else changed_ids(old, typed, spec, ignore=STAMPED)
        typed = stamp(old, typed, spec, change, touched)
        before_rows, after_rows = _records_of(old, ids, touched), _records_of(typed, ids, touched)
        layer_events = (judged.events(old, typed, spec, change, touched) if judged is not None
                        else diff_events(before_rows, after_rows, spec, change))
        if len(layer_events):
            updated[name] = after_rows if not added else after_rows[~after_rows[ids].isin(added).to_numpy()]
            created[name] = after_rows.iloc[:0] if not added else after_rows[after_rows[ids].isin(added).to_numpy()]
            written[name] = (before_rows, after_rows)
            events.append(layer_events)
    if not events:
        return number_events(_event_rows(change, "", [], [], [], [], []), start_seq=1)
    numbered = number_events(pd.concat(events, ignore_index=True), start_seq=rows.next_seq())
    numbered = checked_frame(AUDIT_LAYER, numbered, crs, source=f"{change.action}:{AUDIT_LAYER}")
    rows.save_rows(updated, created, numbered)
    if on_rows is not None:
        on_rows(before, store.version(), {**written, AUDIT_LAYER: (numbered.iloc[:0], numbered)})
    numbered.attrs["saved"] = _saved_state(written, (trail, numbered))
    return numbered


def _records_of(frame: pd.DataFrame, id_field: str, record_ids: set) -> pd.DataFrame:
    """The records of ``frame`` whose id is one of ``record_ids``: ``frame`` itself when they are all of its records
    (an edit's, mostly: no mask, no new frame)."""
    ids = frame[id_field].tolist()
    if all(record_id in record_ids for record_id in ids):
        return frame
    return frame[[record_id in record_ids for record_id in ids]]


def _saved_state(written: Mapping[str, tuple[pd.DataFrame, pd.DataFrame]], logs: Sequence[pd.DataFrame]
                 ) -> dict[tuple[str, str], tuple[str | None, int]]:
    """Per (layer, id) of a record a change wrote in place: its fingerprint as saved and its version (the events
    read for the change and those it wrote, ``logs``, hold its whole history), so the caller need not read either
    again (plain values: pandas compares a frame's ``attrs`` when frames are joined)."""
    out = {}
    for name, (_, after) in written.items():
        spec = get_layer(name)
        texts = record_texts(after, spec)
        versions = _versions_of(logs, name, {str(t[spec.id_field]) for t in texts})
        for record in texts:
            record_id = str(record[spec.id_field])
            out[(name, record_id)] = (texts_fingerprint(record), versions.get(record_id, 0))
    return out


def _versions_of(logs: pd.DataFrame | Sequence[pd.DataFrame], layer: str, record_ids: set[str]) -> dict[str, int]:
    """:func:`record_versions` of these records of ``layer`` (those with events) in a log, or in the events of
    several ``logs`` taken together: a few records' versions counted in Python, without joining or grouping."""
    logs = [logs] if isinstance(logs, pd.DataFrame) else list(logs)
    if len(record_ids) > FEW_RECORDS or sum(len(log) for log in logs) > FEW_EVENTS:
        versions = record_versions(pd.concat(logs, ignore_index=True), layer)
        return {record_id: int(versions[record_id]) for record_id in record_ids if record_id in versions.index}
    changes: dict[str, set] = {}
    for log in logs:
        for event_layer, record_id, change_id in zip(log["layer"].tolist(), log["record_id"].tolist(),
                                                     log["change_id"].tolist()):
            if event_layer == layer and record_id in record_ids and not _missing(change_id):
                changes.setdefault(record_id, set()).add(change_id)
    return {record_id: len(ids) for record_id, ids in changes.items()}


def unchanged(old: pd.DataFrame, new: pd.DataFrame, spec: LayerSpec) -> list[str]:
    """Fields of ``spec`` a build left as they were in every record of ``new`` (all of them read before, as
    ``old``, typed and validated): same dtype, same values. Their values need no validation again.

    (A change in place finds them with :class:`FewRecordDiff`, which reuses the comparison; this is the
    comparison of the frames alone, its reference.)"""
    matched = _matched_fields(old, new, spec)
    if matched is None:
        return []
    names, position = matched
    differences = _differences(old, new, position, np.arange(len(new)), names)
    return [name for name in names if not differences[name].any()]


def _matched_fields(old: pd.DataFrame, new: pd.DataFrame, spec: LayerSpec) -> tuple[list[str], np.ndarray] | None:
    """The fields :func:`unchanged` compares (bar the id, of the same dtype in both) and where each record of
    ``new`` is in ``old``; ``None`` unless ``new`` holds 1 to :data:`FEW_RECORDS` records, all in ``old``."""
    ids = spec.id_field
    if len(new) > FEW_RECORDS or not len(new):
        return None
    position = _positions_in(old[ids], new[ids])
    if position is None:
        return None
    old_dtype, new_dtype = _dtypes(old), _dtypes(new)
    names = [f.name for f in spec.fields if f.name != ids and f.name in new.columns
             and new_dtype(f.name) == old_dtype(f.name)]
    return names, position


def _positions_in(old_ids: pd.Series, new_ids: pd.Series) -> np.ndarray | None:
    """Where each of ``new_ids`` is in ``old_ids``; None unless every one is there. Distinct text ids (an edit's)
    are looked up in a dictionary; others the pandas way (missing ids match each other, duplicates raise)."""
    olds, news = old_ids.tolist(), new_ids.tolist()
    if len(set(olds)) == len(olds) and all(type(i) is str for i in (*olds, *news)):
        where = {record_id: position for position, record_id in enumerate(olds)}
        return np.array([where[i] for i in news], dtype=np.intp) if all(i in where for i in news) else None
    if not new_ids.isin(set(old_ids)).all():
        return None
    return pd.Index(old_ids).get_indexer(new_ids)


@dataclass(frozen=True)
class FewRecordDiff:
    """The few records a change in place built (up to :data:`FEW_RECORDS`, every one read before) against the
    same records as read: what :func:`unchanged`, :func:`changed_ids` and :func:`diff_events` give
    (:func:`_commit_rows`), the old records converted to Python values once and each field compared once a stage.

    :meth:`compare`: the build's frame against them, the fields it left as they were (not validated again).
    :meth:`judge`: the validated records against them, every field, the records changed (compared, not assumed
    from the first stage: the validation may fill a value a build left, e.g. a land-use standard).
    :meth:`events`: the events of the records once stamped (the :data:`STAMPED` fields compared again).
    Where it cannot be sure of the same answer (more records, new or left-out records, ids the validation
    changed) it gives ``None`` and the caller runs the three comparisons on the frames.
    """

    record_ids: list
    old_pos: np.ndarray
    old_values: np.ndarray
    old_columns: pd.Index
    unchanged: list[str]
    differences: Mapping[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def compare(cls, old: pd.DataFrame, new: pd.DataFrame, spec: LayerSpec) -> FewRecordDiff | None:
        """``new`` (a build's frame) against ``old``: ``None`` unless it holds 1 to :data:`FEW_RECORDS` records,
        every one read before (then no field is known unchanged)."""
        matched = _matched_fields(old, new, spec)
        if matched is None:
            return None
        names, position = matched
        old_values = _object_values(old, list(old.columns), position) if old.columns.is_unique else None
        if old_values is None:
            differences = _differences(old, new, position, np.arange(len(new)), names)
        else:
            differences = _value_differences(old_values[:, old.columns.get_indexer(names)],
                                             _object_values(new, names, np.arange(len(new))), names)
        return cls(new[spec.id_field].tolist(), position, old_values, old.columns,
                   [name for name in names if not differences[name].any()])

    def judge(self, old: pd.DataFrame, typed: pd.DataFrame, spec: LayerSpec) -> FewRecordDiff | None:
        """The validated records against the old ones, every field: what :func:`changed_ids` compares. ``None``
        when they are not the build's records in its order, or not all of ``old``, or not comparable at once."""
        kinds = list(_kinds(spec))
        if (self.old_values is None or len(typed) != len(old) or not typed.columns.is_unique
                or not set(kinds) <= set(typed.columns) or typed[spec.id_field].tolist() != self.record_ids):
            return None
        before = self.old_values[:, self.old_columns.get_indexer(kinds)]
        after = _object_values(typed, kinds, np.arange(len(typed)))
        return FewRecordDiff(self.record_ids, self.old_pos, self.old_values, self.old_columns, self.unchanged,
                             _value_differences(before, after, kinds))

    def changed(self) -> set[str]:
        """Ids of the records with a field bar :data:`STAMPED` changed (``changed_ids(..., ignore=STAMPED)``)."""
        out: set[str] = set()
        for name, differs in self.differences.items():
            if name not in STAMPED:
                out.update(self.record_ids[i] for i in np.flatnonzero(differs))
        return out

    def events(self, old: pd.DataFrame, stamped: pd.DataFrame, spec: LayerSpec, change: Change,
               touched: set[str]) -> pd.DataFrame:
        """``diff_events`` of the ``touched`` records of ``old`` and ``stamped`` (:func:`stamp` of the judged
        records, which sets only :data:`STAMPED` fields of records read before: those are compared again)."""
        rows = np.array([i for i, record_id in enumerate(self.record_ids) if record_id in touched], dtype=np.intp)
        old_pos = self.old_pos[rows]
        differences = {name: differs[rows] for name, differs in self.differences.items()}
        differences.update(_differences(old, stamped, old_pos, rows, [n for n in STAMPED if n in differences]))
        common = pd.Index(stamped[spec.id_field].astype(object).iloc[rows])
        nothing = np.zeros(0, dtype=np.intp)
        return _events(old, stamped, spec, change, (common, old_pos, rows, nothing, nothing), differences)


def _dtypes(frame: pd.DataFrame) -> Callable[[str], object]:
    """The dtype of a column of ``frame`` by name, all looked at once (a column lookup per field costs ~30 µs)."""
    if not frame.columns.is_unique:
        return lambda name: frame[name].dtype
    return dict(zip(frame.columns, frame.dtypes.tolist())).__getitem__


def _refuse_taken(layer: str, id_field: str, taken: set[str], *, source: str) -> None:
    """Refuse new records whose ids the layer holds already, as the whole layer's validation would."""
    if taken:
        problems = [Problem(f"id {record_id}", id_field, record_id, "duplicate id; ids must be unique within the layer")
                    for record_id in sorted(taken)]
        raise LayerValidationError(source, layer, problems)



# -- reading the log ----------------------------------------------------------------------------

#: Fields the store keeps itself (stamped on every change): logged, so that replay and "as known on"
#: rebuild them, but not a change of their own to a person reading the history.
BOOKKEEPING_FIELDS = frozenset({"last_updated"})


def bookkeeping(events: pd.DataFrame) -> np.ndarray:
    """Which ``events`` are bookkeeping folded into a change: an update of a :data:`BOOKKEEPING_FIELDS` field
    of a record the same change also changed otherwise (alone, such an update is shown: it is all there is)."""
    if events.empty:
        return np.zeros(0, dtype=bool)
    kept = (events["op"] == "update").fillna(False) & events["field"].isin(BOOKKEEPING_FIELDS)
    record = events["change_id"].astype(str) + "\x1f" + events["layer"].astype(str) + "\x1f" + \
        events["record_id"].astype(str)
    real = set(record[~kept])
    return (kept & record.isin(real)).to_numpy(dtype=bool)


def shown_events(events: pd.DataFrame) -> pd.DataFrame:
    """``events`` as a person reads them: one per field the user changed (bookkeeping folded in)."""
    return events[~bookkeeping(events)]



def history(log: pd.DataFrame, *, layer: str | None = None, record_id: str | None = None,
            user: str | None = None, change_id: str | None = None) -> pd.DataFrame:
    """Events matching every filter given, in log order."""
    mask = pd.Series(True, index=log.index)
    for column, value in (("layer", layer), ("record_id", record_id), ("user", user), ("change_id", change_id)):
        if value is not None:
            mask &= (log[column] == value).fillna(False)
    return log[mask].sort_values("seq", kind="stable")


def record_versions(log: pd.DataFrame, layer: str) -> pd.Series:
    """Version of each record of ``layer`` that has events: the number of changes that touched it."""
    rows = log[(log["layer"] == layer).fillna(False)]
    return rows.groupby("record_id")["change_id"].nunique().astype("int64")


#: Up to this many events a log is searched value by value (a record's events, as an edit reads them): three
#: columns' values cost less than pandas' masks and grouping (~1 ms whatever the length).
FEW_EVENTS = 2048


def record_version(log: pd.DataFrame, layer: str, record_id: str) -> int:
    """Version of one record (0 for a record no change has touched yet)."""
    if len(log) <= FEW_EVENTS:
        return _versions_of(log, layer, {record_id}).get(record_id, 0)
    rows = log[((log["layer"] == layer) & (log["record_id"] == record_id)).fillna(False)]
    return int(rows["change_id"].nunique())


def changes_since(log: pd.DataFrame, layer: str, record_id: str, version: int) -> pd.DataFrame:
    """Events of the changes to a record after its ``version``-th change (what a stale editor missed)."""
    rows = history(log, layer=layer, record_id=record_id)
    order = rows["change_id"].drop_duplicates().tolist()
    later = set(order[version:])
    return rows[rows["change_id"].isin(later)]


def fingerprint(frame: pd.DataFrame, spec: LayerSpec, record_id: str) -> str | None:
    """A short digest of the record's stored values (``None`` when absent).

    Catches a change the log cannot show: a write by a tool outside the
    application (e.g. a command-line import while the server runs).
    """
    texts = record_texts_of(frame, spec, record_id)
    return None if texts is None else texts_fingerprint(texts)


def record_texts_of(frame: pd.DataFrame, spec: LayerSpec, record_id: str) -> dict[str, str | None] | None:
    """:func:`record_texts` of the (first) record ``record_id`` of ``frame``; ``None`` when absent. In a frame of a
    few records it is found and converted value by value (no mask, no frame of it)."""
    if len(frame) <= FEW_RECORDS and frame.columns.is_unique and set(_kinds(spec)) <= set(frame.columns):
        found = [i for i, value in enumerate(frame[spec.id_field].tolist()) if value == record_id][:1]
        if not found:
            return None
        kinds = _kinds(spec)
        row = _object_values(frame, list(kinds), np.array(found))[0]
        return {name: value_text(value, kind) for (name, kind), value in zip(kinds.items(), row)}
    rows = frame[(frame[spec.id_field] == record_id).fillna(False)]
    return record_texts(rows.iloc[:1], spec)[0] if len(rows) else None


def texts_fingerprint(texts: Mapping[str, str | None]) -> str:
    """:func:`fingerprint` of a record from its canonical texts (:func:`record_texts`, geometry included)."""
    import hashlib

    text = json.dumps(texts, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def seq_at(log: pd.DataFrame, moment: str | dt.date | dt.datetime) -> int:
    """The last log position at ``moment``: a day (its end, park time) or a UTC ISO time."""
    if isinstance(moment, dt.datetime):
        moment = moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(moment, dt.date):
        done = log["date"] <= pd.Timestamp(moment)
    else:
        done = log["at"] <= str(moment)
    done = done.fillna(False).to_numpy(dtype=bool)
    return int(log["seq"][done].max()) if done.any() else 0


# -- replay -----------------------------------------------------------------------------------


def apply_events(frame: pd.DataFrame, spec: LayerSpec, events: pd.DataFrame, *, forward: bool) -> pd.DataFrame:
    """``frame`` with ``events`` (of this layer) applied forward, or undone backward (newest first).

    Records untouched by the events keep their typed values; touched ones go
    through the import validation again. Records keep their order; records that
    reappear are appended.

    Raises
    ------
    AuditError
        When an event names a record or value the frame does not hold.
    """
    events = events[(events["layer"] == spec.name).fillna(False)].sort_values("seq", ascending=forward)
    if events.empty:
        return frame
    id_field = spec.id_field
    affected = set(events["record_id"])
    touched = frame[id_field].isin(affected).to_numpy()
    records = {t[id_field]: t for t in record_texts(frame[touched], spec)}
    order = list(records)
    for event in events.itertuples(index=False):
        key = event.record_id
        if event.op == "update":
            if key not in records:
                msg = f"event {event.event_id}: {spec.name} record {key!r} is absent when its {event.field} changes"
                raise AuditError(msg)
            records[key][event.field] = event.new_value if forward else event.old_value
        elif (event.op == "create") == forward:
            if key in records:
                msg = f"event {event.event_id}: {spec.name} record {key!r} already exists"
                raise AuditError(msg)
            records[key] = json.loads(event.new_value if forward else event.old_value)
            if key not in order:
                order.append(key)
        else:
            if records.pop(key, None) is None:
                msg = f"event {event.event_id}: {spec.name} record {key!r} is absent when it is removed"
                raise AuditError(msg)
    rebuilt = texts_to_frame([records[k] for k in order if k in records], spec,
                             crs=getattr(frame, "crs", None), source=f"replay:{spec.name}")
    kept = frame[~touched]
    pieces = [piece for piece in (kept, rebuilt) if len(piece)]
    if not pieces:
        return frame.iloc[:0]
    out = pd.concat(pieces, ignore_index=True) if len(pieces) > 1 else pieces[0].reset_index(drop=True)
    if spec.geometry is not None:
        out = gpd.GeoDataFrame(out, geometry=GEOMETRY, crs=frame.crs)
    # Original order of the records still present, then those that reappeared.
    position = {key: i for i, key in enumerate(frame[id_field])}
    position.update({key: len(position) + i for i, key in enumerate(k for k in order if k not in position)})
    ranks = out[id_field].map(position)
    return out.iloc[np.argsort(ranks.to_numpy(), kind="stable")].reset_index(drop=True)


def as_known_on(frame: pd.DataFrame, log: pd.DataFrame, layer: str, *, seq: int,
                day: dt.date | None = None) -> pd.DataFrame:
    """Layer ``layer`` as the register knew it when the log ended at position ``seq`` (system time).

    Later events are undone. With ``day`` (the day of ``seq``), records added after it by
    writes the log does not hold (command-line imports) are left out too (their
    ``first_added`` is later). What was true in the world on a day is valid time, another
    question: ``geo.records.in_force``.
    """
    later = log[(log["seq"] > seq).fillna(False)]
    rebuilt = apply_events(frame, get_layer(layer), later, forward=False)
    if day is None or "first_added" not in rebuilt.columns:
        return rebuilt
    added = ~(rebuilt["first_added"] > pd.Timestamp(day)).to_numpy(dtype=bool)
    return rebuilt if added.all() else rebuilt[added].reset_index(drop=True)


def replay(base: pd.DataFrame, log: pd.DataFrame, layer: str, *, after_seq: int = 0) -> pd.DataFrame:
    """``base`` (the layer at position ``after_seq``) with every later event applied in order."""
    later = log[(log["seq"] > after_seq).fillna(False)]
    return apply_events(base, get_layer(layer), later, forward=True)


# -- undo -------------------------------------------------------------------------------------


def undo_frames(current: Mapping[str, pd.DataFrame], log: pd.DataFrame, change_id: str, *,
                day: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """The layers with change ``change_id`` undone, for :func:`commit` to save as a new change.

    Field changes go back to their old values; records the change created are
    retired on ``day`` (records are never deleted) and given an empty valid time (never
    true: ``valid_to`` = ``valid_from``); records it removed come back.

    Raises
    ------
    ChangeConflict
        When a value the change set was changed again since (the later events are attached),
        or the change is unknown or already undone.
    """
    events = history(log, change_id=change_id)
    if events.empty:
        raise ChangeConflict(f"no change {change_id!r} in the audit trail")
    undone = log[(log["undoes"] == change_id).fillna(False)]
    if len(undone):
        raise ChangeConflict(f"change {change_id} was already undone by {undone['change_id'].iloc[0]}", undone)
    out: dict[str, pd.DataFrame] = {}
    conflicts = []
    for layer, layer_events in events.groupby("layer", sort=False):
        spec = get_layer(layer)
        frame = current[layer]
        texts = {t[spec.id_field]: t for t in record_texts(frame, spec)}
        inverse = []
        for event in layer_events.sort_values("seq", ascending=False).itertuples(index=False):
            now = texts.get(event.record_id)
            if event.op == "update":
                if event.field == "last_updated":
                    continue  # bookkeeping: the undo stamps it again
                if now is None or now.get(event.field) != event.new_value:
                    conflicts.append(event.seq)
                    continue
                inverse.append(("update", event.record_id, event.field, event.old_value))
            elif event.op == "create":
                if now is not None and now.get("retired_on") is None:
                    inverse.append(("update", event.record_id, "retired_on", value_text(day, "date")))
                    if "valid_to" in now:  # and it was never true: an empty valid interval, on no day
                        start = now.get("valid_from") or value_text(day, "date")
                        inverse += [("update", event.record_id, name, start) for name in ("valid_from", "valid_to")]
            elif now is None:
                inverse.append(("create", event.record_id, WHOLE_RECORD, event.old_value))
            else:
                conflicts.append(event.seq)
        if conflicts:
            continue
        for op, record_id, field_name, value in inverse:
            if op == "update":
                texts[record_id][field_name] = value
            else:
                texts[record_id] = json.loads(value)
        out[layer] = texts_to_frame(list(texts.values()), spec, crs=getattr(frame, "crs", None),
                                    source=f"undo:{layer}")
    if conflicts:
        firsts = log[log["seq"].isin(conflicts)]
        later = pd.concat([
            history(log, layer=e.layer, record_id=e.record_id).query("seq > @e.seq") for e in firsts.itertuples()
        ]) if len(firsts) else firsts
        raise ChangeConflict(f"change {change_id} cannot be undone: its records were changed again since", later)
    return out


# -- export -------------------------------------------------------------------------------------


def log_table(log: pd.DataFrame) -> pd.DataFrame:
    """The log as plain columns (text, ints, no dtypes a spreadsheet cannot take), in log order."""
    rows = log.sort_values("seq", kind="stable")[list(LOG_COLUMNS)]
    return rows.astype({"seq": "int64"}).astype(object).where(rows.notna(), None)


def log_csv_bytes(log: pd.DataFrame) -> bytes:
    """The log as UTF-8 CSV with a BOM (Excel opens Chinese text correctly), formulas neutralised."""
    buffer = io.StringIO()
    neutralise_formulas(log_table(log)).to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def log_xlsx_bytes(log: pd.DataFrame) -> bytes:
    """The log as logged (codes, UTC text times), as an XLSX workbook through the one workbook writer; text
    that looks like a formula is kept as text. (People download ``/history/export.xlsx``: names, park time.)"""
    return styled_workbook([Sheet(AUDIT_LAYER, log_table(log))])


# -- the application's store ------------------------------------------------------------------


class AuditedStore:
    """A park store whose every save is a change in the audit trail.

    The web application wraps its store in this. Its writers change the park
    through :meth:`commit_change`: ``build`` runs under the write lock against
    the layers as they are now, so no acknowledged write is overwritten by a
    frame someone built from an older state. ``save``/``save_layers`` store whole
    frames built elsewhere (scripts, tests) and are logged as action ``save`` by
    the current actor; application code does not use them, because frames read
    before the lock can undo another user's change. ``save_park`` (a whole new
    park) keeps the existing log. Everything else is the wrapped store's.
    """

    def __init__(self, inner, *, timezone: str = DEFAULT_TIMEZONE,
                 load: Callable[[str], pd.DataFrame] | None = None, on_rows: RowsWritten | None = None):
        self._inner = inner
        self.timezone = timezone
        self._load = load
        self._on_rows = on_rows

    def __repr__(self) -> str:
        return f"AuditedStore({self._inner!r})"

    @property
    def inner(self) -> ParkStore:
        """The wrapped store (for writes that must not be audited: backups, restores)."""
        return self._inner

    @property
    def unaudited(self) -> ParkStore:
        return self._inner.unaudited

    @property
    def capabilities(self) -> StoreCapabilities:
        """The wrapped store's: auditing adds no capability and takes none away."""
        return self._inner.capabilities

    @property
    def path(self):
        """The park's file (None for a database). Kept for the rule-file lookups of ``web/`` until the park
        service owns the rules; new code asks ``capabilities.file``."""
        return self._inner.capabilities.file

    # -- reading and housekeeping: the wrapped store's ------------------------------------------------

    def exists(self) -> bool:
        return self._inner.exists()

    def layer_names(self) -> list[str]:
        return self._inner.layer_names()

    def read_meta(self) -> dict[str, object]:
        return self._inner.read_meta()

    def working_crs(self):
        return self._inner.working_crs()

    def version(self) -> str:
        return self._inner.version()

    def load(self, name: str, *, bbox: tuple[float, float, float, float] | None = None) -> pd.DataFrame:
        return self._inner.load(name, bbox=bbox)

    def load_all(self) -> dict[str, pd.DataFrame]:
        return self._inner.load_all()

    def missing_layers(self) -> list[str]:
        return self._inner.missing_layers()

    def missing_layer_message(self, name: str) -> str:
        return self._inner.missing_layer_message(name)

    def is_trusted(self, name: str) -> bool:
        return self._inner.is_trusted(name)

    def migrate(self) -> bool:
        return self._inner.migrate()

    def close(self) -> None:
        self._inner.close()

    def write_lock(self):
        return self._inner.write_lock()

    # -- writing: every save is a change in the trail ----------------------------------------------------

    def commit_change(self, action: str, build: Build, *, layers: Iterable[str], reason: str | None = None,
                      undoes: str | None = None, scope: Scope | None = None) -> pd.DataFrame:
        """Make one change as ``action`` by the current actor (:func:`commit`); the events written."""
        change = new_change(action, reason=reason, undoes=undoes, timezone=self.timezone)
        return commit(self._inner, change, build, layers=layers, load=self._load, scope=scope, on_rows=self._on_rows)

    def save(self, name: str, frame: pd.DataFrame) -> None:
        self.save_layers({name: frame})

    def save_layers(self, frames: Mapping[str, pd.DataFrame], *, append: tuple[str, ...] = (),
                    checked: bool = False) -> None:
        """Save ``frames`` as one change ``save`` (``checked`` frames are validated again all the same)."""
        if append:
            msg = "only the audit trail is appended to, and it is written by layers.audit.commit"
            raise ValueError(msg)
        self.commit_change("save", lambda current, log: frames, layers=list(frames))

    def save_park(self, frames: Mapping[str, pd.DataFrame], meta: Mapping[str, object]) -> None:
        with write_lock(self._inner):
            frames = dict(frames)
            if AUDIT_LAYER not in frames and self._inner.exists():
                log = self._inner.load(AUDIT_LAYER)
                if len(log):
                    frames[AUDIT_LAYER] = log
            self._inner.save_park(frames, meta)


def read_modify_write(store, action: str, build: Build, *, layers: Iterable[str],
                      scope: Scope | None = None) -> pd.DataFrame | None:
    """Change ``layers`` of ``store`` from the state they are in now, under the park's write lock.

    How every writer outside the editor changes the park (imports, command-line
    tools): ``build(current, log)`` gets the layers as they are at the moment of
    writing, so it can never save over a change made since its caller last read
    them. An :class:`AuditedStore` commits it as ``action`` by the current actor
    and returns the events; any other store (a command-line tool's, which keeps no
    log) is read, built and saved under its write lock, and ``build`` gets
    ``log=None``. ``scope``: the records concerned (:class:`Scope`), for an audited store that writes
    records in place.
    """
    if isinstance(store, AuditedStore):
        return store.commit_change(action, build, layers=layers, scope=scope)
    with write_lock(store):
        built = build({name: store.load(name) for name in layers}, None)
        if built:
            save_layers(store, dict(built))
    return None


def write_lock(store: ParkStore):
    """The store's writer lock (every store has one: :class:`layers.contract.ParkStore`)."""
    return store.write_lock()


def save_layers(store: ParkStore, frames: Mapping[str, pd.DataFrame], *, append: tuple[str, ...] = (),
                checked: bool = False) -> None:
    """Save several layers in one atomic write (every store can: :class:`layers.contract.ParkStore`)."""
    store.save_layers(frames, append=append, checked=checked)
