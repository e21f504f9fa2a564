"""The park store: one GeoPackage holds every layer and table of a park.

Writes build an Arrow table with an explicit schema from the layer registry
(text, float64, int64, bool, date32; geometry as WKB), so types survive even in
columns that are entirely empty. Every write goes to a temporary file beside the
park and replaces it atomically: a failed save leaves the previous file intact.
Reads go through pyogrio with Arrow. A layer is validated against the registry
when read unless the store validated it when writing it and nothing changed it
since: every write stamps its layers in ``parkatlas_trust`` and puts SQLite
triggers on them that count any later insert, update or delete (QGIS, sqlite3,
ogr2ogr all edit through SQL); a layer replaced outside the store loses the
triggers. A stamped, unchanged layer is only cast to the registry's types.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import errno
import fcntl
import functools
import json
import logging
import os
import shutil
import sqlite3
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import TypeVar

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyogrio
import shapely
from pyproj import CRS

from layers import gpkg_read, gpkg_rows
from layers._arrow_columns import arrow_column, geometry_type_name
from layers._atomic_files import fsync_and_replace
from layers.contract import StoreCapabilities
from layers.patch import patch_records
from layers.qgis.layer_styles import STYLE_TABLE, register_gpkg_table, write_gpkg_styles
from layers.registry import REGISTRY, get_layer
from layers.schema import LayerSpec
from layers.valid_time import derive_for_older_park, has_valid_time
from layers.validate import LayerValidationError, cast_fields, cast_layer, geo_frame, in_declared_form, validate_layer
from layers.values import STRING_DTYPE

log = logging.getLogger(__name__)
T = TypeVar("T")

META_TABLE = "parkatlas_meta"
#: Per layer: edits counted by triggers since the store stamped it, and the count it stamped (equal = trusted).
TRUST_TABLE = "parkatlas_trust"
#: The trust table as an attributes table of the GeoPackage (integer key, listed in gpkg_contents): QGIS lists
#: every table of a file, and one it cannot load shows as a broken layer.
_TRUST_TABLE_SQL = ("CREATE TABLE {table} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, layer TEXT NOT NULL UNIQUE, "
                    "edits INTEGER NOT NULL, validated_edits INTEGER NOT NULL)")
#: Tables of a park file that are not layers: the store's own and QGIS's styles.
INTERNAL_TABLES = (TRUST_TABLE, STYLE_TABLE)
#: GeoPackage version of new files. 1.4 (GDAL's default since 3.8) declares R-tree triggers that GDAL 3.6,
#: QGIS 3.22 and their validator do not know (they warn, and validate_gpkg.py fails requirement 75);
#: 1.3 files are read by every GDAL since 2.2 and by later ones alike.
GPKG_VERSION = "1.3"
#: Dataset options of every GeoPackage ParkAtlas creates (ignored when adding to an existing file).
GPKG_OPTIONS = {"VERSION": GPKG_VERSION}
_EDIT_EVENTS = ("INSERT", "UPDATE", "DELETE")
#: The audit trail's layer (``layers.audit``): written with every change, looked up by record and by change.
AUDIT_LAYER = "audit_events"
#: A GeoPackage is an SQLite file whose header says so, with application_id 'GPKG' at byte 68.
SQLITE_MAGIC = b"SQLite format 3\x00"
GPKG_APPLICATION_ID = b"GPKG"
#: Version of the park's layout. 2: every layer but the audit trail carries valid time
#: (``valid_from``/``valid_to``), derived once from the records' own dates when an older park is opened.
SCHEMA_VERSION = 2
#: The first schema version with valid time.
VALID_TIME_SCHEMA = 2

class ParkStoreError(RuntimeError):
    """The park file is missing, unreadable or not a ParkAtlas park."""


class StorageFullError(ParkStoreError):
    """A save refused because the disk holding the park is full; the park is unchanged (saves are atomic)."""


def frame_to_arrow(frame: pd.DataFrame, spec: LayerSpec) -> pa.Table:
    """An Arrow table of ``frame`` (already typed by validation) with the registry's schema."""
    arrays = [arrow_column(frame[f.name], f.kind) for f in spec.fields]
    names = list(spec.field_names)
    if spec.geometry is not None:
        wkb = shapely.to_wkb(frame.geometry.to_numpy(), flavor="iso")
        arrays.append(pa.array(wkb, type=pa.binary()))
        names.append("geometry")
    return pa.Table.from_arrays(arrays, names=names)


def _write_frame(path: Path, spec: LayerSpec, frame: pd.DataFrame, crs: CRS | None, *, append: bool = False,
                 table: pa.Table | None = None) -> None:
    """Write ``frame`` as layer ``spec`` (``table``: its Arrow table with other columns, as exports make it)."""
    table = frame_to_arrow(frame, spec) if table is None else table
    layer_options = {"DESCRIPTION": spec.description[:250]} if spec.description and not append else {}
    if spec.geometry is None:
        pyogrio.write_arrow(table, path, layer=spec.name, driver="GPKG", layer_options=layer_options, append=append)
        return
    geometry_type = geometry_type_name(frame.geometry.to_numpy(), spec.geometry)
    pyogrio.write_arrow(
        table,
        path,
        layer=spec.name,
        driver="GPKG",
        geometry_name="geometry",
        geometry_type=geometry_type,
        crs=(crs or frame.crs).to_wkt(),
        layer_options={} if append else {**layer_options, "SPATIAL_INDEX": "YES"},
        append=append,
    )


def _append_fits(path: Path, spec: LayerSpec, frame: pd.DataFrame) -> bool:
    """Whether ``frame``'s rows can be appended to the layer in ``path`` without breaking its geometry type."""
    if spec.geometry is None or not len(frame):
        return True
    declared = pyogrio.read_info(path, layer=spec.name)["geometry_type"]
    return declared == "Unknown" or geometry_type_name(frame.geometry.to_numpy(), spec.geometry) == declared


def _trigger(layer: str, event: str) -> str:
    return f"parkatlas_edit_{layer}_{event.lower()}"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _ensure_trust_table(conn: sqlite3.Connection) -> None:
    """Create the trust table, or bring one of the first layout (text key, unlisted) to the current one."""
    columns = [row[1] for row in conn.execute(f"PRAGMA table_info({TRUST_TABLE})")]
    if "fid" not in columns:
        if columns:
            # Legacy renaming: the edit triggers of every layer name the table in their text and must keep
            # finding it under its old name (a modern RENAME would rewrite or refuse them).
            conn.execute("PRAGMA legacy_alter_table = ON")
            conn.execute(_TRUST_TABLE_SQL.format(table=f"{TRUST_TABLE}_new"))
            conn.execute(f"INSERT INTO {TRUST_TABLE}_new (layer, edits, validated_edits) "
                         f"SELECT layer, edits, validated_edits FROM {TRUST_TABLE}")
            conn.execute(f"DROP TABLE {TRUST_TABLE}")
            conn.execute(f"ALTER TABLE {TRUST_TABLE}_new RENAME TO {TRUST_TABLE}")
            conn.execute("PRAGMA legacy_alter_table = OFF")
        else:
            conn.execute(_TRUST_TABLE_SQL.format(table=TRUST_TABLE))
    register_gpkg_table(conn, TRUST_TABLE, "ParkAtlas: edits counted per layer since the store validated it")


def stamp_layers(path: Path, names: Iterable[str], *, trusted: bool = True) -> None:
    """Stamp layers ``names`` of the GeoPackage at ``path`` as validated by the store (``trusted=False``: not).

    Puts the edit-counting triggers on each layer (again: replacing a layer drops
    them) and records the current count as the validated one.
    """
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("BEGIN")
        stamp_in(conn, names, trusted=trusted)
        conn.execute("COMMIT")


def stamp_in(conn: sqlite3.Connection, names: Iterable[str], *, trusted: bool = True) -> None:
    """:func:`stamp_layers` inside the caller's transaction on ``conn``."""
    _ensure_trust_table(conn)
    for name in names:
        for event in _EDIT_EVENTS:
            conn.execute(f"DROP TRIGGER IF EXISTS {_quoted(_trigger(name, event))}")
            conn.execute(
                f"CREATE TRIGGER {_quoted(_trigger(name, event))} AFTER {event} ON {_quoted(name)} BEGIN "
                f"UPDATE {TRUST_TABLE} SET edits = edits + 1 WHERE layer = '{name.replace(chr(39), chr(39) * 2)}'; "
                "END")
        conn.execute(f"INSERT INTO {TRUST_TABLE} (layer, edits, validated_edits) VALUES (?, 0, ?) "
                     "ON CONFLICT (layer) DO UPDATE SET edits = 0, validated_edits = excluded.validated_edits",
                     (name, 0 if trusted else -1))
        if name == AUDIT_LAYER:
            gpkg_rows.ensure_indexes(conn, name, AUDIT_LOOKUPS)


#: The audit trail's SQL indexes: events are looked up by record, by change, by the change they undo and by
#: log position. (The store's own table: layers people edit in QGIS get no SQL index, see gpkg_rows.IdIndex.)
AUDIT_LOOKUPS = (("layer", "record_id"), ("change_id",), ("undoes",), ("seq",))
#: Lookups of a layer's records a store answers by one bounded scan of its table (``gpkg_rows.IdIndex.lookup``)
#: before it builds the whole layer's id index (which costs ~10 such scans: a dictionary of every id) and keeps
#: it, patched by its own writes. A store made for one change (a command-line import or edit) pays one scan, not
#: the index; a long-lived one (the web app's) builds the index at its second lookup and answers from it since.
BOUNDED_ID_LOOKUPS = 1


def _numbered(frame: pd.DataFrame) -> bool:
    """Whether ``frame``'s index is the one ``reset_index(drop=True)`` gives (0, 1, 2 …): resetting it would only copy."""
    index = frame.index
    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1 and index.name is None


def _read_only(path: Path) -> contextlib.AbstractContextManager[sqlite3.Connection]:
    """A read-only connection to the park at ``path`` for a ``with`` block (reused, ``gpkg_rows.reader``)."""
    return gpkg_rows.reader(path)


def missing_layers(path: Path) -> list[str]:
    """Registry layers the park file records but whose table is gone (dropped outside the store).

    A layer is recorded when the GeoPackage's ``gpkg_contents`` lists it or the
    store stamped it in ``parkatlas_trust`` (every save does). A layer the park
    never had is not missing: parks may lack layers (they load empty).
    """
    recorded: set[str] = set()
    with _read_only(path) as conn:
        # One snapshot: read statement by statement, a layer created in place between them (the audit trail, by
        # a park's first change) was listed as recorded but without its table, and so reported dropped.
        conn.execute("BEGIN")
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
        if "gpkg_contents" in tables:
            recorded |= {row[0] for row in conn.execute("SELECT table_name FROM gpkg_contents")}
        if TRUST_TABLE in tables:
            recorded |= {row[0] for row in conn.execute(f"SELECT layer FROM {TRUST_TABLE}")}
        conn.execute("COMMIT")
    return [name for name in REGISTRY if name in recorded and name not in tables]


def missing_layer_message(where: str, name: str, *, park_option: str = "") -> str:
    """What to tell about layer ``name`` recorded in the park ``where`` but gone, and how to recover.

    ``park_option`` is the ``--park …`` that names this park to the import command (empty: the served park).
    """
    return (f"{where}: layer {name!r} is recorded in the park but its table is gone (dropped outside ParkAtlas); "
            "restore the last backup with 'flask --app app restore BACKUP.gpkg', or import the layer again with "
            f"'flask --app app import {name} FILE{park_option}'")


#: SQLite's and GDAL's words for a write refused by a full disk (SQLITE_FULL, ENOSPC, EDQUOT).
_STORAGE_FULL_TEXTS = ("database or disk is full", "no space left on device", "disk quota exceeded")
#: errno values of a full disk or an exhausted quota (EDQUOT is not defined everywhere).
_STORAGE_FULL_ERRNOS = frozenset(e for e in (errno.ENOSPC, getattr(errno, "EDQUOT", None)) if e is not None)
#: PostgreSQL's SQLSTATE for a full disk (class 53, insufficient resources).
_PG_DISK_FULL = "53100"


def is_storage_full(exc: BaseException) -> bool:
    """Whether ``exc`` (or an exception it was raised from) is a write refused because the disk is full.

    Saves write through Python (``OSError`` ENOSPC/EDQUOT), SQLite (``database or
    disk is full``), GDAL (its message quotes the OS error) or PostgreSQL
    (SQLSTATE 53100); each says "full" its own way.
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, StorageFullError):
            return True
        if isinstance(exc, OSError) and exc.errno in _STORAGE_FULL_ERRNOS:
            return True
        if getattr(exc, "sqlstate", None) == _PG_DISK_FULL:
            return True
        if any(text in str(exc).lower() for text in _STORAGE_FULL_TEXTS):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


@contextmanager
def saving_beside(park: Path, lock) -> Iterator[Path]:
    """A temporary folder beside ``park`` for a save's copy, held under ``lock`` (the park's writer lock).

    A failure of the save for want of space is raised as :class:`StorageFullError`:
    either an error that says so (:func:`is_storage_full`), or any write error while
    less space is left than the park's size — GDAL reports a full disk in a GeoPackage
    only as the next step failing ("layer already exists" after a drop it could not
    write). The copy is removed either way; the park was never touched.
    """
    with lock, tempfile.TemporaryDirectory(dir=park.parent, prefix=".parkatlas-") as workdir:
        try:
            yield Path(workdir)
        except StorageFullError:
            raise
        except Exception as exc:
            needed = park.stat().st_size if park.exists() else 0
            free = shutil.disk_usage(park.parent).free
            if is_storage_full(exc) or free < needed:
                raise disk_full(park, free, needed) from exc
            raise


def disk_full(park: Path, free: int, needed: int) -> StorageFullError:
    """The error of a save refused for want of room beside ``park`` (``free`` bytes, ``needed`` for a copy)."""
    return StorageFullError(f"{park.parent}: the disk is full ({free} bytes free; a save needs room for a copy of "
                            f"the park, {needed} bytes, and its changes); nothing was saved and the park is unchanged")


#: Room a save in place keeps free beyond a copy of the park (bytes). A park must stay copyable — backups,
#: whole-layer saves, imports that replace a layer all copy it — so every save, in place or not, needs room for
#: a copy and its changes, and a disk too full for one refuses them all alike (507) rather than some.
SAVE_HEADROOM_BYTES = 1 << 20


def require_room_for_a_copy(park: Path) -> None:
    """Refuse (:class:`StorageFullError`) a save while the disk cannot take a copy of ``park`` and its changes."""
    needed = park.stat().st_size + SAVE_HEADROOM_BYTES
    free = shutil.disk_usage(park.parent).free
    if free < needed:
        raise disk_full(park, free, needed)


def log_migration(where: str, frames: Mapping[str, pd.DataFrame], skipped: list[str]) -> None:
    """The log line of a migration to valid time: per layer, how many records got a valid_from / valid_to."""
    counts = ", ".join(f"{name} {int(frame['valid_from'].notna().sum())}/{int(frame['valid_to'].notna().sum())}"
                       f" of {len(frame)}" for name, frame in frames.items())
    log.warning("%s: park migrated to schema %d (valid time): valid_from/valid_to derived from the records' own "
                "dates (data/valid_time.yaml) — %s%s", where, SCHEMA_VERSION, counts or "no layer to derive",
                f"; left for later, does not validate: {', '.join(skipped)}" if skipped else "")


def trusted_stamp(path: Path, name: str) -> int | None:
    """The edit count of layer ``name`` when the store's stamp says it is unchanged since validated, else None.

    None for a park written before stamps, a layer edited outside the store (the
    triggers counted it) or replaced outside it (its triggers are gone).
    """
    try:
        with _read_only(path) as conn:
            return trusted_stamp_in(conn, name)
    except sqlite3.Error:
        return None


def trusted_stamp_in(conn: sqlite3.Connection, name: str) -> int | None:
    """:func:`trusted_stamp` on an open connection (raises ``sqlite3.Error`` for a park without stamps)."""
    row = conn.execute(f"SELECT edits, validated_edits FROM {TRUST_TABLE} WHERE layer = ?", (name,)).fetchone()
    triggers = conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? AND name IN (?, ?, ?)",
        (name, *(_trigger(name, event) for event in _EDIT_EVENTS))).fetchone()[0]
    if row is None or row[0] != row[1] or triggers != len(_EDIT_EVENTS):
        return None
    return int(row[0])


_ARROW_PANDAS_TYPES = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype(), pa.string(): STRING_DTYPE,
                       pa.large_string(): STRING_DTYPE}


def read_layer(path: Path, name: str, *, bbox=None, where: str | None = None, fids=None) -> pd.DataFrame:
    """One layer as pyogrio reads it through Arrow, with nullable dtypes and dates as datetime64 (no checks);
    ``bbox``: only the records whose box meets it, in the order they are stored (as the whole layer comes);
    ``where``: only the records matching this attribute filter (SQL); ``fids``: only those stored there."""
    with gpkg_rows.file_access(path).reading():
        meta, table = pyogrio.read_arrow(path, layer=name, bbox=bbox, where=where, fids=fids,
                                         return_fids=bbox is not None)
    if bbox is not None:  # the R-tree hands the records over in its own order: put them in the stored order
        fid = meta["fid_column"]
        table = table.sort_by(fid).drop_columns([fid])
    return _arrow_frame(_text_copied(table), meta)


def _arrow_frame(table: pa.Table, meta: Mapping) -> pd.DataFrame:
    """A layer read through Arrow (``meta`` as pyogrio gives it) as a frame: nullable dtypes, dates as datetime64."""
    geometry_name = meta.get("geometry_name") or "wkb_geometry"
    has_geometry = meta.get("geometry_type") is not None and geometry_name in table.column_names
    wkb = table.column(geometry_name) if has_geometry else None
    if has_geometry:
        table = table.drop_columns([geometry_name])
    frame = table.to_pandas(types_mapper=_ARROW_PANDAS_TYPES.get, date_as_object=False)
    if wkb is None:
        return frame
    return geo_frame(frame, shapely.from_wkb(wkb.to_numpy(zero_copy_only=False)), _crs(meta.get("crs")))


def _text_copied(table: pa.Table) -> pa.Table:
    """``table`` with its text columns copied into Arrow's own memory, each as one chunk.

    GDAL hands each record batch over as one block of memory, freed when the last of
    its buffers is let go. pandas keeps text columns as they come (zero copy), so the
    frame's text columns held every batch whole: the WKB of the geometries and every
    column already converted stayed resident beside the frame (a third of a loaded
    park; bench/README.md, session 11). Numbers and dates are converted, not kept.
    """
    text = [i for i, column in enumerate(table.columns) if pa.types.is_string(column.type)
            or pa.types.is_large_string(column.type)]
    for i in text:
        column = table.column(i)
        copied = pa.chunked_array([pa.concat_arrays(column.chunks)] if column.num_chunks else [], type=column.type)
        table = table.set_column(i, table.field(i), copied)
    return table


@functools.lru_cache(maxsize=64)
def _crs(user_input: str | None) -> CRS | None:
    """The CRS a reader names (``EPSG:4549`` or WKT), parsed once: parsing costs ~1 ms, a record read ~2 ms."""
    return None if user_input is None else CRS.from_user_input(user_input)


def read_few_stamped(path: Path, name: str, *, where: str | None = None, fids=None
                     ) -> tuple[pd.DataFrame, int | None] | None:
    """A few records read through SQLite as GDAL reads them (:mod:`layers.gpkg_read`), with the layer's
    :func:`trusted_stamp` read in the same snapshot (no edit can fall between them); None when they are not
    plain or not few: read them through GDAL."""
    try:
        with _read_only(path) as conn:
            conn.execute("BEGIN")
            few = gpkg_read.read_few(conn, name, fids=fids, where=where)
            if few is None:
                return None
            try:
                stamp = trusted_stamp_in(conn, name)
            except sqlite3.Error:  # a park from before stamps
                stamp = None
            conn.execute("COMMIT")
    except sqlite3.Error:  # not a table SQLite reads here (a view, a file being replaced): GDAL says why
        return None
    return _arrow_frame(*few), stamp


def _write_meta(path: Path, meta: Mapping[str, object]) -> None:
    keys = sorted(meta)
    table = pa.table(
        {"key": pa.array(keys, type=pa.string()),
         "value": pa.array([json.dumps(meta[k], ensure_ascii=False) for k in keys], type=pa.string())}
    )
    # The first write of a park file creates it: the GeoPackage version is chosen here.
    pyogrio.write_arrow(table, path, layer=META_TABLE, driver="GPKG", dataset_options=GPKG_OPTIONS)


class _WriteLock:
    """One writer at a time for a park file: a thread lock plus ``flock`` on ``<park>.lock``.

    Re-entrant within a thread (a change that reads, checks and saves holds it
    across all three), exclusive across threads and processes (flock conflicts
    between separately opened descriptors, even in one process).
    """

    _registry: dict[Path, _WriteLock] = {}
    _registry_lock = threading.Lock()

    def __init__(self, path: Path, park: Path | None = None):
        self.path = path
        self.park = park
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    @classmethod
    def for_park(cls, park: Path) -> _WriteLock:
        key = park.resolve()
        with cls._registry_lock:
            return cls._registry.setdefault(key, cls(key.with_name(key.name + ".lock"), key))

    def __enter__(self) -> _WriteLock:
        self._thread_lock.acquire()
        if self._depth == 0:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except BaseException:
                os.close(fd)
                self._thread_lock.release()
                raise
            self._fd = fd
            if self.park is not None:
                try:  # a writer killed mid-transaction left a hot journal: roll it back before anyone writes
                    gpkg_rows.recover(self.park)
                except BaseException:
                    self._release()
                    raise
        self._depth += 1
        return self

    def recover_if_free(self) -> None:
        """Roll back a hot journal now if no writer holds the lock (one that does is writing: its journal is
        not hot, and it must not be waited for here — a reader may hold what that writer waits for)."""
        if not self._thread_lock.acquire(blocking=False):
            return
        try:
            if self._depth or self.park is None:
                return
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return
            try:
                gpkg_rows.recover(self.park)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
        finally:
            self._thread_lock.release()

    def _release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
        self._thread_lock.release()

    def __exit__(self, *exc_info) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._release()
        else:
            self._thread_lock.release()


def write_layer_file(path: Path, spec: LayerSpec, frame: pd.DataFrame, table: pa.Table,
                     meta: Mapping[str, object]) -> None:
    """A new one-layer park file at ``path``: ``meta``, and layer ``spec`` written from ``table`` (its Arrow table,
    which may carry columns the registry does not declare, e.g. an export's source attributes)."""
    _write_meta(path, park_meta(meta))
    _write_frame(path, spec, frame, CRS.from_epsg(int(meta["working_epsg"])), table=table)
    stamp_layers(path, [spec.name])
    write_gpkg_styles(path, [spec.name])  # an exported layer opens in QGIS styled, as the park's does


def park_meta(meta: Mapping[str, object]) -> dict[str, object]:
    """The metadata a store records for a new park: ``meta`` with the schema version.

    Raises ``ValueError`` when ``working_epsg`` (the park's projected CRS) is missing.
    """
    if "working_epsg" not in meta:
        msg = "park metadata must include 'working_epsg' (the park's projected CRS)"
        raise ValueError(msg)
    return {"schema_version": SCHEMA_VERSION, **meta}


def checked_frame(name: str, frame: pd.DataFrame, crs: CRS, *, source: str, checked=()) -> pd.DataFrame:
    """``frame`` validated as layer ``name`` and refused unless it is in the park's ``crs`` (any store);
    ``checked``: fields already typed and valid (``layers.validate.validate_layer``)."""
    spec = get_layer(name)
    # (``checked`` only when there are such fields: the validation of whole layers is called as it always was.)
    typed, _ = validate_layer(frame, spec, source=source, **({"checked": checked} if checked else {}))
    if spec.geometry is not None and typed.crs is not None and CRS.from_user_input(typed.crs) != crs:
        msg = (
            f"{source}: layer is in {typed.crs.to_string()} but the park works in "
            f"EPSG:{crs.to_epsg()}; transform it with geo.crs.to_working() before saving"
        )
        raise ValueError(msg)
    return typed


def empty_frame(spec: LayerSpec, crs: CRS) -> pd.DataFrame:
    """An empty frame of layer ``spec`` with the declared dtypes (and ``crs`` for spatial layers)."""
    return _typed_empty(spec.name, crs.to_wkt()).copy()


@functools.lru_cache(maxsize=64)
def _typed_empty(name: str, crs_wkt: str) -> pd.DataFrame:
    """:func:`empty_frame`, typed once per layer and CRS: a park lacking layers loads each of them on every
    version, and typing an empty frame through the validator costs as much as a small layer's."""
    spec = get_layer(name)
    frame = pd.DataFrame({f.name: pd.Series(dtype="object") for f in spec.fields})
    if spec.geometry is not None:
        frame = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=CRS.from_wkt(crs_wkt)))
    typed, _ = validate_layer(frame, spec, source=f"empty {name}")
    return typed


def declared_fields(spec: LayerSpec, fields: Sequence[str]) -> list[str]:
    """``fields`` as a list, each a declared field of ``spec`` (else ValueError naming it): no name reaches SQL
    that the registry did not declare."""
    unknown = [name for name in fields if name not in spec.field_names]
    if unknown:
        msg = f"layer {spec.name!r} declares no field {', '.join(map(repr, unknown))}"
        raise ValueError(msg)
    return list(dict.fromkeys(fields))


def equal_condition(spec: LayerSpec, where: Mapping[str, str | None]) -> tuple[str, list]:
    """An SQLite condition (with its parameters) that a record's fields equal ``where``'s values, ``None`` being
    empty (NULL); ``""`` for no condition."""
    names = declared_fields(spec, list(where))
    terms = [f"{gpkg_rows.quoted(n)} IS NULL" if where[n] is None else f"{gpkg_rows.quoted(n)} = ?" for n in names]
    return " AND ".join(terms), [where[n] for n in names if where[n] is not None]


def _fid_column(conn: sqlite3.Connection, table: str) -> str:
    """The quoted integer primary key of a GeoPackage table (``fid`` as GDAL writes it)."""
    for _, column, _, _, _, primary in conn.execute(f"PRAGMA table_info({gpkg_rows.quoted(table)})"):
        if primary:
            return gpkg_rows.quoted(column)
    return "rowid"


class GeoPackageStore:
    """A park kept in one GeoPackage file.

    Parameters
    ----------
    path
        The ``.gpkg`` file. It need not exist until :meth:`save_park` creates it.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._memos: dict[str, tuple[str, object]] = {}
        #: Per layer: (version, where each record is stored) for reading and writing records in place.
        self._id_indexes: dict[str, tuple[str, gpkg_rows.IdIndex]] = {}
        #: Per layer: how many lookups were answered by a bounded scan (:data:`BOUNDED_ID_LOOKUPS`).
        self._bounded_lookups: dict[str, int] = {}
        #: Per layer: (version, records not retired), counted by a bounded lookup's scan or :meth:`count_live`.
        self._live_counts: dict[str, tuple[str, int]] = {}
        self._index_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"GeoPackageStore({str(self.path)!r})"

    @property
    def capabilities(self) -> StoreCapabilities:
        """A file: files beside it, backups by copy; tiles are cut in Python; records written in place
        (:mod:`layers.contract`)."""
        return StoreCapabilities(file=self.path, rows=self, fields=self)

    @property
    def unaudited(self) -> GeoPackageStore:
        return self

    def close(self) -> None:
        """Nothing to release: every read and write opens the file and closes it again."""

    def _per_version(self, key: str, read: Callable[[], T]) -> T:
        """``read()`` once per version of the file (:meth:`version`).

        The metadata and the list of layers are asked for many times per request (each absent
        layer's empty frame needs the working CRS); through GDAL each asking costs some 10 ms.
        """
        version = self.version()
        found = self._memos.get(key)
        if found is not None and found[0] == version:
            return found[1]
        value = read()
        self._memos[key] = (version, value)
        return value

    # -- reading ---------------------------------------------------------------

    def exists(self) -> bool:
        return self.path.is_file()

    def _require(self) -> None:
        if not self.exists():
            msg = f"{self.path}: no park file here; build one with 'flask --app app demo --park {self.path}'"
            raise ParkStoreError(msg)

    def _check_header(self) -> None:
        """Refuse a file that is not a GeoPackage before GDAL tries to make sense of it."""
        with open(self.path, "rb") as handle:
            header = handle.read(72)
        if not header.startswith(SQLITE_MAGIC) or header[68:72] != GPKG_APPLICATION_ID:
            msg = (
                f"{self.path}: cannot be read as a GeoPackage (the file header is not that of a GeoPackage; "
                "the file is damaged or of another format). Restore it from a backup or rebuild it."
            )
            raise ParkStoreError(msg)

    def layer_names(self) -> list[str]:
        """Names of the layers and tables present in the file."""
        self._require()
        return list(self._per_version("layer_names", self._read_layer_names))

    def _read_layer_names(self) -> list[str]:
        self._check_header()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # GDAL's notes on odd files; errors still raise
                with gpkg_rows.file_access(self.path).reading():
                    names = pyogrio.list_layers(self.path)
                return [str(name) for name, _ in names if name not in INTERNAL_TABLES]
        except Exception as exc:  # GDAL raises several types for damaged files
            msg = f"{self.path}: cannot be read as a GeoPackage ({exc})"
            raise ParkStoreError(msg) from exc

    def read_meta(self) -> dict[str, object]:
        """The park's metadata: name, working CRS, schema version, reference date, …"""
        if META_TABLE not in self.layer_names():
            msg = f"{self.path}: not a ParkAtlas park (no {META_TABLE} table)"
            raise ParkStoreError(msg)
        return copy.deepcopy(self._per_version("meta", self._read_meta))

    def _read_meta(self) -> dict[str, object]:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # GDAL's notes on odd files; errors still raise
                with gpkg_rows.file_access(self.path).reading():
                    table = pyogrio.read_dataframe(self.path, layer=META_TABLE, use_arrow=True)
            return {str(k): json.loads(v) for k, v in zip(table["key"], table["value"])}
        except Exception as exc:
            msg = f"{self.path}: the park metadata cannot be read ({exc})"
            raise ParkStoreError(msg) from exc

    def working_crs(self) -> CRS:
        """The park's projected working CRS, as recorded in its metadata (once per version: no copy of the
        metadata, whose rules can be large, is made to read one number)."""
        if META_TABLE not in self.layer_names():
            self.read_meta()  # says why there is none
        return self._per_version("working_crs", lambda: CRS.from_epsg(
            int(self._per_version("meta", self._read_meta)["working_epsg"])))

    def version(self) -> str:
        """An opaque token that changes whenever the park file changes.

        Saves swap in a new file, whose inode differs from the one it replaces; row writes change
        the file in place and bump SQLite's change counter, so two saves within the file system's
        clock resolution still differ. A hot journal (a writer killed mid-transaction) is rolled
        back first: the version is that of the park as it stands.
        """
        self._require()
        if gpkg_rows.journal_path(self.path).exists():
            self.write_lock().recover_if_free()
        stat = self.path.stat()
        return f"{stat.st_ino}-{stat.st_mtime_ns}-{stat.st_size}-{gpkg_rows.change_counter(self.path)}"

    def load(self, name: str, *, bbox: tuple[float, float, float, float] | None = None) -> pd.DataFrame:
        """Read one layer, validated unless stamped unchanged; an absent layer loads as an empty, typed frame.

        A layer the park records but whose table was dropped outside the store is
        damage, not absence: :class:`ParkStoreError` says so (see :func:`missing_layers`).

        Parameters
        ----------
        name
            Layer name from the registry.
        bbox
            Optional (minx, miny, maxx, maxy) filter in the park's working CRS.
        """
        spec = get_layer(name)
        stamp = trusted_stamp(self.path, name) if self.exists() else None
        # A stamped layer is there; only other cases ask GDAL for the layers (and check the file header).
        if stamp is None and name not in self.layer_names():
            if name in self.missing_layers():
                raise ParkStoreError(self.missing_layer_message(name))
            return self._empty(spec)
        return self._read(spec, stamp, bbox=bbox)

    def _read(self, spec: LayerSpec, stamp: int | None, *, bbox=None, where: str | None = None,
              fids: list[int] | None = None) -> pd.DataFrame:
        """Layer ``spec`` read (its records matching ``where``, or stored at ``fids``), cast when stamped ``stamp``
        still, else validated."""
        try:
            raw = read_layer(self.path, spec.name, bbox=bbox, where=where, fids=fids)
        except Exception as exc:
            msg = f"{self.path}: layer {spec.name!r} cannot be read ({exc})"
            raise ParkStoreError(msg) from exc
        # Stamped before and after the read: an edit during it (another process) gets it validated.
        return self._typed(spec, raw, stamp is not None and trusted_stamp(self.path, spec.name) == stamp)

    def _read_some(self, spec: LayerSpec, *, where: str | None = None, fids: list[int] | None = None
                   ) -> pd.DataFrame:
        """:meth:`_read` of a few records: through SQLite with the stamp in the same snapshot when they are plain."""
        few = read_few_stamped(self.path, spec.name, where=where, fids=fids)
        if few is None:
            return self._read(spec, trusted_stamp(self.path, spec.name), where=where, fids=fids)
        raw, stamp = few
        return self._typed(spec, raw, stamp is not None)

    def _typed(self, spec: LayerSpec, raw: pd.DataFrame, trusted: bool) -> pd.DataFrame:
        """``raw`` cast when its layer was ``trusted`` (validated since its last change), else validated. Columns
        dropped or renamed outside the store fire no trigger: a layer short of a field is validated too."""
        if trusted and set(spec.field_names) <= set(raw.columns):
            if _numbered(raw) and in_declared_form(raw, spec):  # (as read: nothing to cast, no copy to make)
                return raw
            return cast_layer(raw, spec)
        frame, _ = validate_layer(raw, spec, source=f"{self.path.name}:{spec.name}")
        return frame

    # -- fields without geometry (layers.contract.FieldReader) ---------------------------------------

    def load_fields(self, name: str, fields: Sequence[str]) -> pd.DataFrame | None:
        """Fields ``fields`` of every record of ``name``, typed, without geometry, when the layer is trusted (the
        stamp the same before and after the read) and has them all; else None: load the layer."""
        spec = get_layer(name)
        fields = declared_fields(spec, fields)
        stamp = trusted_stamp(self.path, name) if self.exists() else None
        if stamp is None:
            return None
        try:
            with gpkg_rows.file_access(self.path).reading():
                meta, table = pyogrio.read_arrow(self.path, layer=name, columns=fields, read_geometry=False)
        except Exception:  # noqa: BLE001 — whatever it was, the whole layer's read says it properly
            return None
        if not set(fields) <= set(table.column_names) or trusted_stamp(self.path, name) != stamp:
            return None
        return cast_fields(_arrow_frame(_text_copied(table), meta), spec, fields)

    def extent(self, name: str, *, where: Mapping[str, str | None] | None = None
               ) -> tuple[float, float, float, float] | None:
        """The box of the records of ``name`` matching ``where`` from the layer's R-tree (its single-precision
        boxes, rounded outwards); None when none matches or the layer has no R-tree."""
        spec = get_layer(name)
        condition, params = equal_condition(spec, where or {})
        if spec.geometry is None or not self._holds(name):
            return None
        with _read_only(self.path) as conn:
            geometry = gpkg_rows.geometry_column(conn, name)
            rtree = f"rtree_{name}_{geometry[0]}" if geometry is not None else None
            if rtree is None or conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
                                             (rtree,)).fetchone()[0] == 0:
                return None
            # The records left out, not those kept: a park's held-now filter leaves few out, and the R-tree is
            # aggregated whole (a join on a million kept ids costs several times more).
            left_out = "" if not condition else (
                f" WHERE id NOT IN (SELECT {_fid_column(conn, name)} FROM {gpkg_rows.quoted(name)} "
                f"WHERE ({condition}) IS NOT 1)")
            box = conn.execute(f"SELECT min(minx), min(miny), max(maxx), max(maxy) FROM {gpkg_rows.quoted(rtree)}"
                               f"{left_out}", params).fetchone()
        return None if box[0] is None else tuple(float(v) for v in box)

    # -- records one by one (layers.contract.RowStore) --------------------------------------------

    def _holds(self, name: str) -> bool:
        return self.exists() and name in self.layer_names()

    @contextmanager
    def _reading(self, conn: sqlite3.Connection | None) -> Iterator[sqlite3.Connection]:
        """``conn`` (a write transaction's), else a read-only connection to the park closed after the block."""
        if conn is not None:
            yield conn
            return
        with _read_only(self.path) as reader:
            yield reader

    def _id_index(self, name: str, conn: sqlite3.Connection | None = None, *, fresh: bool = False
                  ) -> gpkg_rows.IdIndex:
        """Where each record of ``name`` is stored, read once per version of the file (``fresh``: read now)."""
        version = self.version()
        with self._index_lock:
            found = self._id_indexes.get(name)
        if found is not None and found[0] == version and not fresh:
            return found[1]
        with self._reading(conn) as reader:
            index = gpkg_rows.IdIndex.read(reader, name, get_layer(name).id_field)
        with self._index_lock:
            self._id_indexes[name] = (version, index)
        return index

    def _id_lookup(self, name: str, ids, prefixes=(), conn: sqlite3.Connection | None = None, *,
                   fresh: bool = False) -> gpkg_rows.IdIndex:
        """An id index of ``name`` that knows where the records ``ids`` and those with ``prefixes`` are stored:
        the index held for this version when it covers them, else a bounded scan for just those (the first
        :data:`BOUNDED_ID_LOOKUPS` times), else the whole layer's index (``fresh``: read now, not held)."""
        ids, prefixes = [str(i) for i in ids], [p for p in prefixes if p]
        version = self.version()
        with self._index_lock:
            found = self._id_indexes.get(name)
            held = found[1] if found is not None and found[0] == version and not fresh else None
            bounded = self._bounded_lookups.get(name, 0)
        if held is not None and held.covers(ids, prefixes):
            return held
        asking = bool(ids or prefixes)  # (nothing asked: no scan, and no lookup counted)
        if asking and bounded >= BOUNDED_ID_LOOKUPS:
            return self._id_index(name, conn, fresh=True)
        # The scan also counts the live records (what an import's report asks next), unless it runs in a write
        # transaction, which may count its own rows.
        counting = "retired_on" if asking and conn is None and "retired_on" in get_layer(name).field_names else None
        with self._reading(conn) as reader:
            index = gpkg_rows.IdIndex.lookup(reader, name, get_layer(name).id_field, ids, prefixes,
                                             count_empty=counting)
        with self._index_lock:
            if index.empty_count is not None:
                self._live_counts[name] = (version, index.empty_count)
            self._bounded_lookups[name] = self._bounded_lookups.get(name, 0) + asking
            found = self._id_indexes.get(name)
            if found is not None and found[0] == version and not fresh:  # what else is known of this version
                index = found[1].merged(index)
            self._id_indexes[name] = (version, index)
        return index

    def read_rows(self, name: str, ids, *, id_prefixes=()) -> pd.DataFrame:
        """The records of ``name`` with these ids or id prefixes, typed as :meth:`load` types them."""
        spec = get_layer(name)
        if not self._holds(name):
            return self._empty(spec)
        for fresh in (False, True):  # the index is a hint: a record not where it says is looked up again
            index = self._id_lookup(name, ids, id_prefixes, fresh=fresh)
            wanted = list(dict.fromkeys([*map(str, ids), *index.with_prefixes(list(id_prefixes))]))
            keys = [index.position[i] for i in wanted if i in index.position]
            if not keys:
                return self._empty(spec)
            frame = self._read_some(spec, fids=keys)
            read = [str(i) for i in frame[spec.id_field].tolist()]
            if set(read) == {i for i in wanted if i in index.position}:
                break
        if set(read) <= set(wanted):  # (every record read is wanted, as the index said: no mask, no new frame)
            return frame if _numbered(frame) else frame.reset_index(drop=True)
        keep = set(wanted)
        return frame[[record_id in keep for record_id in read]].reset_index(drop=True)

    def ids_present(self, name: str, ids) -> set[str]:
        """Which of ``ids`` layer ``name`` holds (retired records too)."""
        if not ids or not self._holds(name):
            return set()
        index = self._id_lookup(name, ids)
        return {str(i) for i in ids if str(i) in index.position}

    def read_events(self, *, records=(), change_ids=(), undoes=()) -> pd.DataFrame:
        """The audit events of these records, changes or undone changes, in log order."""
        spec = get_layer(AUDIT_LAYER)
        where = gpkg_rows.events_filter(list(records), list(change_ids), list(undoes))
        if where is None or not self._holds(AUDIT_LAYER):
            return self._empty(spec)
        events = self._read_some(spec, where=where)
        seqs = events["seq"].tolist()
        if all(type(a) is int and type(b) is int and a < b for a, b in zip(seqs, seqs[1:])):  # (appended in order)
            return events if _numbered(events) else events.reset_index(drop=True)
        return events.sort_values("seq", kind="stable").reset_index(drop=True)

    def count_live(self, name: str) -> int:
        """How many records of ``name`` the register holds now (not retired); 0 for a layer the park lacks."""
        if not self._holds(name):
            return 0
        version = self.version()
        with self._index_lock:
            found = self._live_counts.get(name)
        if found is not None and found[0] == version:
            return found[1]
        with _read_only(self.path) as conn:
            live = int(conn.execute(f"SELECT count(*) FROM {gpkg_rows.quoted(name)} WHERE retired_on IS NULL"
                                    ).fetchone()[0])
        with self._index_lock:
            self._live_counts[name] = (version, live)
        return live

    def next_seq(self) -> int:
        """The log position of the next event."""
        if not self._holds(AUDIT_LAYER):
            return 1
        with _read_only(self.path) as conn:
            last = conn.execute(f"SELECT max(seq) FROM {gpkg_rows.quoted(AUDIT_LAYER)}").fetchone()[0]
        return int(last) + 1 if last is not None else 1

    def save_rows(self, updated: Mapping[str, pd.DataFrame], created: Mapping[str, pd.DataFrame],
                  events: pd.DataFrame) -> None:
        """Replace and add records and append ``events``, in place, in one SQLite transaction.

        Every layer written must be in the park (a change to a layer it lacks is saved whole).
        """
        self._require()
        writes = [(name, frame, False) for name, frame in updated.items() if len(frame)]
        writes += [(name, frame, True) for name, frame in created.items() if len(frame)]
        if len(events):
            writes.append((AUDIT_LAYER, events, True))
        if not writes:
            return
        with self.write_lock():
            require_room_for_a_copy(self.path)
            misfits = self._misfits(writes)
            if misfits:  # geometries of another type than the table declares: the layers are saved whole
                self._save_whole(misfits, updated, created, events)
                return
            before_version = self.version()
            created_log = AUDIT_LAYER not in self.layer_names() and len(events) > 0  # the park's first change
            try:
                with gpkg_rows.transaction(self.path) as conn:
                    if created_log:
                        gpkg_rows.create_attributes_table(conn, get_layer(AUDIT_LAYER))
                        stamp_in(conn, [AUDIT_LAYER])
                    before = gpkg_rows.trust_counts(conn, TRUST_TABLE, sorted({name for name, _, _ in writes}))
                    for name, frame, insert in writes:
                        self._write_rows(conn, get_layer(name), frame, insert=insert)
                    gpkg_rows.keep_trust(conn, TRUST_TABLE, before)
            except BaseException as exc:
                with self._index_lock:  # the indexes of the layers written may name rows rolled back
                    for name, _, _ in writes:
                        self._id_indexes.pop(name, None)
                if isinstance(exc, Exception) and is_storage_full(exc):  # rolled back: the park is as it was
                    raise disk_full(self.path, shutil.disk_usage(self.path.parent).free,
                                    self.path.stat().st_size + SAVE_HEADROOM_BYTES) from exc
                raise
            after_version = self.version()
            with self._index_lock:  # every index of the version written from is the new version's (patched)
                for name, (version, index) in list(self._id_indexes.items()):
                    if version == before_version:
                        self._id_indexes[name] = (after_version, index)
            # Records written in place change no metadata and no list of layers (unless the log was just made):
            # what was read of those holds.
            for key, (version, value) in list(self._memos.items()):
                if version == before_version and not created_log:
                    self._memos[key] = (after_version, value)

    def _misfits(self, writes) -> list[str]:
        """The layers of ``writes`` whose new geometries do not fit the geometry type their table declares."""
        with _read_only(self.path) as conn:
            declared = {name: gpkg_rows.geometry_column(conn, name) for name, _, _ in writes
                        if get_layer(name).geometry is not None}
        return sorted({name for name, frame, _ in writes if declared.get(name) is not None
                       and not gpkg_rows.fits_declared_type(declared[name][2], frame.geometry.to_numpy())})

    def _save_whole(self, names: list[str], updated, created, events: pd.DataFrame) -> None:
        """The records of layers ``names`` saved by rewriting those layers (the others' too, in the same swap)."""
        frames = {}
        for name in {*updated, *created}:
            records = [f for f in (updated.get(name), created.get(name)) if f is not None and len(f)]
            if records:
                frames[name] = patch_records(self.load(name), pd.concat(records, ignore_index=True),
                                             get_layer(name).id_field)
        self.save_layers({**frames, AUDIT_LAYER: events}, append=(AUDIT_LAYER,))
        log.info("%s: %s saved whole (new geometries of another type than the table declares)", self.path,
                 ", ".join(names))

    def _write_rows(self, conn: sqlite3.Connection, spec: LayerSpec, frame: pd.DataFrame, *, insert: bool) -> None:
        added = gpkg_rows.add_missing_columns(conn, spec)
        if added:
            log.info("%s: layer %s gained the column(s) of fields declared since it was written: %s", self.path,
                     spec.name, ", ".join(added))
        geometry = gpkg_rows.geometry_column(conn, spec.name) if spec.geometry is not None else None
        names, rows = gpkg_rows.row_values(frame, spec, geometry)
        ids = frame[spec.id_field].astype(str).tolist()
        if spec.name == AUDIT_LAYER:
            gpkg_rows.ensure_indexes(conn, spec.name, AUDIT_LOOKUPS)
            gpkg_rows.append_rows(conn, spec.name, names, rows)
        elif insert:
            gpkg_rows.insert_rows(conn, spec.name, names, rows, ids, self._id_lookup(spec.name, ids, (), conn))
        else:
            written = gpkg_rows.update_rows(conn, spec.name, spec.id_field, names, rows, ids,
                                            self._id_lookup(spec.name, ids, (), conn))
            if written != len(ids):  # the index was out of date (a write outside the store): look again
                written = gpkg_rows.update_rows(conn, spec.name, spec.id_field, names, rows, ids,
                                                self._id_lookup(spec.name, ids, (), conn, fresh=True))
            if written != len(ids):
                msg = (f"{self.path}: layer {spec.name!r} does not hold every record of the change "
                       f"({written} of {len(ids)})")
                raise ParkStoreError(msg)
        if geometry is None:
            gpkg_rows.touch_contents(conn, [spec.name])
            return
        gpkg_rows.widen_extent(conn, spec.name, frame.geometry.to_numpy())

    def is_trusted(self, name: str) -> bool:
        """Whether layer ``name`` loads without value checks (stamped by the store, unchanged since)."""
        return self.exists() and trusted_stamp(self.path, name) is not None

    def missing_layers(self) -> list[str]:
        """Registry layers the park records but whose table was dropped outside the store (see :func:`missing_layers`)."""
        return missing_layers(self.path)

    def missing_layer_message(self, name: str) -> str:
        return missing_layer_message(str(self.path), name, park_option=f" --park {self.path}")

    def load_all(self) -> dict[str, pd.DataFrame]:
        """Every registered layer, validated (absent ones empty)."""
        return {name: self.load(name) for name in REGISTRY}

    def _empty(self, spec: LayerSpec) -> pd.DataFrame:
        return empty_frame(spec, self.working_crs())

    # -- writing ---------------------------------------------------------------

    def save_park(self, frames: Mapping[str, pd.DataFrame], meta: Mapping[str, object]) -> None:
        """Write a whole park into a new file and swap it in atomically.

        Every frame is validated first; nothing is written unless all pass.
        ``meta`` must name ``working_epsg``; spatial layers must be in that CRS.
        """
        full_meta = park_meta(meta)
        crs = CRS.from_epsg(int(meta["working_epsg"]))
        typed = {name: self._checked(name, frame, crs) for name, frame in frames.items()}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with saving_beside(self.path, self.write_lock()) as workdir:
            temporary = workdir / self.path.name
            _write_meta(temporary, full_meta)
            for name, frame in typed.items():
                _write_frame(temporary, get_layer(name), frame, crs)
            stamp_layers(temporary, typed)
            write_gpkg_styles(temporary, typed)
            fsync_and_replace(temporary, self.path)

    def save(self, name: str, frame: pd.DataFrame) -> None:
        """Replace one layer, atomically: the park is copied, changed, then swapped in."""
        self.save_layers({name: frame})

    def save_layers(self, frames: Mapping[str, pd.DataFrame], *, append: tuple[str, ...] = (),
                    checked: bool = False) -> None:
        """Replace several layers (or append rows to those named in ``append``) in one atomic swap.

        Every frame is validated first (``checked=True``: the caller has just run
        :func:`checked_frame` on each); nothing is written unless all pass. Either
        all the changes are in the park afterwards or none is (a crash or ``kill -9``
        leaves the previous file: the copy is swapped in only when complete).
        """
        self._require()
        crs = self.working_crs()
        typed = dict(frames) if checked else {name: self._checked(name, frame, crs) for name, frame in frames.items()}
        with saving_beside(self.path, self.write_lock()) as workdir:
            present = set(self.layer_names())
            temporary = workdir / self.path.name
            shutil.copy2(self.path, temporary)
            # Appended rows are validated, the rows already there only if they were: keep their trust as it is.
            untrusted = {name for name in typed if name in append and name in present
                         and trusted_stamp(temporary, name) is None}
            stamp_layers(temporary, untrusted, trusted=False)  # our own append is not an outside edit
            for name, frame in typed.items():
                # Writing a layer that exists replaces it (pyogrio overwrites by name); appending adds rows.
                if name in append and name in present and _append_fits(temporary, get_layer(name), frame):
                    _write_frame(temporary, get_layer(name), frame, crs, append=True)
                elif name in append and name in present:
                    # The new rows' geometry type does not fit the layer's declared type (say,
                    # MultiPolygons into a Polygon layer): rewrite the layer whole rather than
                    # write a GeoPackage that breaks its own declaration.
                    existing = checked_frame(name, read_layer(temporary, name), crs,
                                             source=f"{self.path.name}:{name}")
                    combined = gpd.GeoDataFrame(pd.concat([existing, frame], ignore_index=True), crs=crs)
                    _write_frame(temporary, get_layer(name), combined, crs)
                    untrusted.discard(name)  # every row validated just now
                else:
                    _write_frame(temporary, get_layer(name), frame, crs)
                    untrusted.discard(name)
            stamp_layers(temporary, [name for name in typed if name not in untrusted])
            stamp_layers(temporary, untrusted, trusted=False)
            write_gpkg_styles(temporary, typed)
            fsync_and_replace(temporary, self.path)

    def write_lock(self) -> _WriteLock:
        """The park's writer lock (re-entrant; hold it across read-check-save to make a change atomic)."""
        return _WriteLock.for_park(self.path)

    def migrate(self) -> bool:
        """Bring a park written by an older version up to :data:`SCHEMA_VERSION`; True when it changed.

        Schema 2 adds valid time: every layer with valid time is rewritten with its empty
        ``valid_from``/``valid_to`` derived once from its records' own dates (:func:`layers.valid_time.derive_for_older_park`),
        all in one atomic swap with the new schema version, stamped as validated. A layer that
        does not validate (changed outside ParkAtlas) is left as it is and the version is not
        raised, so the next opening tries again once it is repaired (``check-park`` names it).
        A park that cannot be read or written here (damaged, a read-only or full disk) is left
        as it is, with a log line: it is served as before, every record's valid time unknown.
        """
        try:
            return self._migrate()
        except (ParkStoreError, OSError) as exc:
            log.warning("%s: not migrated to schema %d (valid time): %s", self.path, SCHEMA_VERSION, exc)
            return False

    def _migrate(self) -> bool:
        if not self.exists() or int(self.read_meta().get("schema_version", 0)) >= SCHEMA_VERSION:
            return False
        with saving_beside(self.path, self.write_lock()) as workdir:
            meta = self.read_meta()  # again under the lock: another process may have migrated it meanwhile
            if int(meta.get("schema_version", 0)) >= SCHEMA_VERSION:
                return False
            crs = self.working_crs()
            present = set(self.layer_names())
            frames, skipped = {}, []
            for name, spec in REGISTRY.items():
                if name not in present or not has_valid_time(spec):
                    continue
                try:
                    frame = self.load(name)
                except LayerValidationError as exc:
                    skipped.append(f"{name} ({len(exc.problems)} problem(s))")
                    continue
                frames[name] = derive_for_older_park(frame, spec, today=dt.date.today())
            temporary = workdir / self.path.name
            shutil.copy2(self.path, temporary)
            for name, frame in frames.items():
                _write_frame(temporary, get_layer(name), frame, crs)
            stamp_layers(temporary, frames)
            if not skipped:
                _write_meta(temporary, {**meta, "schema_version": SCHEMA_VERSION})
            fsync_and_replace(temporary, self.path)
        log_migration(str(self.path), frames, skipped)
        return True

    def _checked(self, name: str, frame: pd.DataFrame, crs: CRS) -> pd.DataFrame:
        return checked_frame(name, frame, crs, source=f"{self.path.name}:{name}")

