"""Park integrity checks, backups with a checksum, and restores.

* :func:`check_park` finds damage before anything is served: a GeoPackage whose
  header, SQLite structure (``PRAGMA quick_check``), metadata or layer tables
  cannot be read, a layer dropped outside the store, a layer edited outside it
  that no longer validates; with ``deep=True`` every layer is read and validated.
* :func:`backup_park` writes a consistent copy of the park (taken under the
  park's write lock, so no save is half in it) and a manifest beside it
  (``<backup>.sha256.json``: SHA-256, size, park name, layer counts, last log
  position).
* :func:`restore_park` verifies the checksum and the backup's integrity, keeps
  the current park as ``<park>.before-restore-<time>.gpkg``, and swaps the
  backup in atomically under the park's write lock, carrying the audit trail
  over with the restore as one more change (``restore_backup``).

A PostGIS park is backed up into a GeoPackage (``layers.stores.copy_park``) and
restored from one the same way.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import sqlite3
import tempfile
import warnings
from pathlib import Path

import pandas as pd
import pyogrio

from layers._atomic_files import fsync_and_replace
from layers.audit import (
    AUDIT_LAYER,
    DEFAULT_TIMEZONE,
    Change,
    changed_ids,
    diff_events,
    new_change,
    next_seq,
    number_events,
    write_lock,
)
from layers.gpkg_rows import file_access
from layers.io.archive import sha256_of as sha256_file
from layers.registry import REGISTRY
from layers.store import GeoPackageStore, ParkStoreError, checked_frame
from layers.validate import LayerValidationError

MANIFEST_SUFFIX = ".sha256.json"


class BackupError(RuntimeError):
    """A backup that cannot be made, verified or restored; the message says why."""


def check_park(store, *, deep: bool = False, load=None) -> list[str]:
    """Problems that make the park unfit to serve (empty when it is sound).

    The quick check reads the structure (file header, ``PRAGMA quick_check``,
    metadata, every layer table), finds layers the park records but whose table
    was dropped, and validates every layer that was changed outside the store
    since the store last validated it (its trust stamp is gone: a QGIS or sqlite3
    edit), so a bad code or a duplicate id written there is found before a page
    meets it. Layers the store wrote and nothing touched since are not re-read.

    Parameters
    ----------
    store
        A park store (GeoPackage or PostGIS; an audited wrapper is looked through).
    deep
        Read and validate every layer (slow for large parks).
    load
        Reads and validates one layer by name (default ``store.load``); the server
        passes its layer cache, so the layers validated here are not read again.
    """
    store = store.unaudited
    load = load or store.load
    if store.capabilities.file is not None:
        problems = _file_problems(store)
        if problems:
            return problems
    try:
        store.read_meta()
    except ParkStoreError as exc:
        return [str(exc)]
    problems = [store.missing_layer_message(name) for name in store.missing_layers()]
    if problems:
        return problems  # a park short of a layer is refused as it is: its other layers are not the point
    present = [name for name in store.layer_names() if name in REGISTRY]
    checked = list(REGISTRY) if deep else [name for name in present if not store.is_trusted(name)]
    for name in checked:
        try:
            load(name)
        except Exception as exc:  # validation errors and I/O errors alike mean "do not serve"
            invalid = exc if isinstance(exc, LayerValidationError) else exc.__cause__
            if isinstance(invalid, LayerValidationError):
                problems.append(_invalid_layer_text(store, name, invalid))
            else:
                problems.append(f"layer {name!r}: {exc}")
    return problems


def _invalid_layer_text(store, name: str, exc: LayerValidationError) -> str:
    """The problems of a layer that no longer validates, under a line naming the park and the layer."""
    where = store.capabilities.file or repr(store)
    lines = str(exc).splitlines()
    lines[0] = (f"{where}: layer {name!r} was changed outside ParkAtlas and no longer validates "
                f"({len(exc.problems)} problem(s)):")
    return "\n  ".join(lines)


def _file_problems(store: GeoPackageStore) -> list[str]:
    """Structural problems of a GeoPackage park: header, SQLite structure, unreadable layer tables."""
    try:
        names = store.layer_names()  # checks the file header first
    except ParkStoreError as exc:
        return [str(exc)]
    try:
        conn = sqlite3.connect(f"file:{store.path}?mode=ro", uri=True)
        try:
            result = [row[0] for row in conn.execute("PRAGMA quick_check").fetchall()]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return [f"{store.path}: the database structure cannot be read ({exc}); restore it from a backup"]
    if result != ["ok"]:
        shown = "; ".join(result[:5])
        return [f"{store.path}: the file is damaged (SQLite quick_check: {shown}); restore it from a backup"]
    problems: list[str] = []
    for name in (n for n in names if n in REGISTRY):
        try:
            with warnings.catch_warnings(), file_access(store.path).reading():
                warnings.simplefilter("ignore", RuntimeWarning)
                pyogrio.read_info(store.path, layer=name)
        except Exception as exc:  # GDAL raises several types for damaged tables
            problems.append(f"{store.path}: layer {name!r} cannot be read ({exc})")
    return problems


def recovery_hint(location: str) -> str:
    """How to recover a park that :func:`check_park` refused (``location``: the park's file or URL)."""
    return ("How to recover:\n"
            "  - a value written outside ParkAtlas (QGIS, sqlite3, psql): correct it there, then run "
            "'flask --app app check-park' (exit 0 when sound);\n"
            "  - a dropped layer or a damaged file: restore the last backup with "
            "'flask --app app restore BACKUP.gpkg';\n"
            f"  - the demo park: rebuild it with 'flask --app app demo --park {location}'.")


#: Names of our own temporary files and folders: saves and restores (``.parkatlas-*`` beside the park,
#: see ``layers.store``), archived import originals not yet committed (``*.partial``, ``layers.io.archive``).
LEFTOVER_PREFIX = ".parkatlas-"
LEFTOVER_SUFFIX = ".partial"


def clean_leftovers(folders, *, older_than: float, keep: os.PathLike | None = None, lock=None) -> list[Path]:
    """Remove what crashed saves and imports left in ``folders``; returns what was removed.

    Only our own names are touched (:data:`LEFTOVER_PREFIX` entries, :data:`LEFTOVER_SUFFIX`
    files), only those last modified before ``older_than`` (a POSIX time: the server's
    start, so nothing of a save of this process), never the park ``keep`` nor what
    bears its name (its lock, import archive, tile cache, kept copies — even for a
    park named like a leftover) and never a symbolic link. ``lock`` (the park's writer
    lock factory) is held while removing, so a save of another process, which holds
    it while its temporary copy exists, is never cut short.
    """
    keep_stem = Path(keep).stem if keep is not None else None
    removed: list[Path] = []
    with (lock() if lock is not None else contextlib.nullcontext()):
        for folder in dict.fromkeys(Path(f) for f in folders):
            if not folder.is_dir():
                continue
            for entry in folder.iterdir():
                ours = entry.name.startswith(LEFTOVER_PREFIX) or (
                    entry.name.endswith(LEFTOVER_SUFFIX) and entry.is_file())
                if not ours or entry.is_symlink() or (keep_stem and entry.name.startswith(keep_stem)):
                    continue
                try:
                    if entry.lstat().st_mtime >= older_than:
                        continue
                    if entry.is_dir():
                        shutil.rmtree(entry)
                    else:
                        entry.unlink()
                except OSError:
                    continue  # removed meanwhile by its owner, or not ours to remove (permissions)
                removed.append(entry)
    return removed


def manifest_path(backup: str | os.PathLike) -> Path:
    return Path(str(backup) + MANIFEST_SUFFIX)


def _layer_counts(path: Path) -> dict[str, int]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return {str(name): int(pyogrio.read_info(path, layer=str(name))["features"])
                for name, _ in pyogrio.list_layers(path) if str(name) in REGISTRY}


def backup_park(store, dest: str | os.PathLike) -> dict:
    """Copy the park to ``dest`` (a ``.gpkg``) with its checksum manifest; returns the manifest.

    Refuses a park that fails :func:`check_park` (a backup of damage is no backup)
    and an existing ``dest``.
    """
    dest = Path(dest)
    if dest.suffix.lower() != ".gpkg":
        raise BackupError(f"{dest}: a backup is a GeoPackage; name it *.gpkg")
    if dest.exists() or manifest_path(dest).exists():
        raise BackupError(f"{dest}: exists already; choose a new name (backups are never overwritten)")
    inner = store.unaudited
    problems = check_park(inner)
    if problems:
        raise BackupError("the park is damaged; not backed up:\n  " + "\n  ".join(problems))
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".parkatlas-backup-") as workdir:
        temporary = Path(workdir) / dest.name
        if inner.capabilities.file is not None:
            # Saves swap whole files under this lock, so the file copied is one complete state.
            with inner.write_lock():
                shutil.copyfile(inner.capabilities.file, temporary)
        else:
            from layers.stores import copy_park

            # Layer by layer, under the lock: no change lands between two of them (a case without its history).
            with write_lock(inner):
                copy_park(inner, GeoPackageStore(temporary))
        meta = GeoPackageStore(temporary).read_meta()
        manifest = {
            "file": dest.name,
            "sha256": sha256_file(temporary),
            "bytes": temporary.stat().st_size,
            "created_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "source": repr(inner),
            "park_name": meta.get("park_name"),
            "schema_version": meta.get("schema_version"),
            "layers": _layer_counts(temporary),
        }
        fsync_and_replace(temporary, dest)
    text = json.dumps(manifest, ensure_ascii=False, indent=2)
    with open(manifest_path(dest), "w", encoding="utf-8") as handle:
        handle.write(text + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return manifest


def verify_backup(backup: str | os.PathLike) -> dict:
    """The backup's manifest, once its checksum and integrity are confirmed; :class:`BackupError` otherwise."""
    backup = Path(backup)
    if not backup.is_file():
        raise BackupError(f"{backup}: no such backup file")
    try:
        with open(manifest_path(backup), encoding="utf-8") as handle:
            manifest = json.load(handle)
    except FileNotFoundError:
        raise BackupError(f"{backup}: its manifest {manifest_path(backup).name} is missing; "
                          "without the checksum the backup cannot be trusted") from None
    except json.JSONDecodeError as exc:
        raise BackupError(f"{manifest_path(backup)}: the manifest is damaged ({exc})") from None
    actual = sha256_file(backup)
    if actual != manifest.get("sha256"):
        raise BackupError(f"{backup}: checksum mismatch (manifest {manifest.get('sha256')}, file {actual}); "
                          "the backup is damaged or was changed")
    problems = check_park(GeoPackageStore(backup), deep=True)
    if problems:
        raise BackupError(f"{backup}: the backup is not a sound park:\n  " + "\n  ".join(problems))
    return manifest


def restore_park(backup: str | os.PathLike, store) -> tuple[dict, Path | None]:
    """Replace the park with a verified backup; returns (manifest, where the previous park was kept).

    Runs under the park's write lock, so it never lands in the middle of a change.
    When the current park can be read, its audit trail is carried into the restored
    one and the restore is itself a change (action ``restore_backup``) whose events
    turn every record back to the backup's state: a write acknowledged after the
    backup was taken is reverted in the open — its own events stay in the trail,
    and the restore can be undone — never silently. The manifest returned then
    says so under ``restore`` (``change_id``, ``events``, ``records``). A park that
    is absent, damaged or in another working CRS is replaced as the backup is.
    """
    manifest = verify_backup(backup)
    inner = store.unaudited
    source = GeoPackageStore(backup)
    if inner.capabilities.file is not None:
        inner.capabilities.file.parent.mkdir(parents=True, exist_ok=True)
    with write_lock(inner):
        change = new_change("restore_backup", reason=f"restored from backup {Path(backup).name} "
                                                     f"(sha256 {manifest['sha256'][:16]}…)",
                            timezone=getattr(store, "timezone", DEFAULT_TIMEZONE))
        carried = _carried_trail(inner, source, change)
        kept = None
        if inner.capabilities.file is not None:
            kept = _swap_in(backup, inner, manifest, None if carried is None else carried[0])
        else:
            frames = {name: source.load(name) for name in source.layer_names() if name in REGISTRY}
            if carried is not None:
                frames[AUDIT_LAYER] = carried[0]
            inner.save_park(frames, source.read_meta())
    if carried is not None and len(carried[1]):
        events = carried[1]
        manifest = {**manifest, "restore": {"change_id": str(events["change_id"].iloc[0]), "events": len(events),
                                            "records": int(events[["layer", "record_id"]].drop_duplicates().shape[0])}}
    return manifest, kept


def _carried_trail(inner, source: GeoPackageStore, change: Change) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """(the current trail followed by the restore's events, those events); ``None`` when there is none to carry."""
    if not inner.exists() or check_park(inner):
        return None
    try:
        if inner.working_crs() != source.working_crs():
            return None
        log = inner.load(AUDIT_LAYER)
        parts = []
        for name, spec in REGISTRY.items():
            if name == AUDIT_LAYER:
                continue
            now, then = inner.load(name), source.load(name)
            touched = changed_ids(now, then, spec)
            if touched:
                ids = spec.id_field
                parts.append(diff_events(now[now[ids].isin(touched)], then[then[ids].isin(touched)], spec, change))
    except (ParkStoreError, ValueError):  # a layer the current park cannot give: replace it as the backup is
        return None
    if not parts:
        return log, log.iloc[:0]
    events = checked_frame(AUDIT_LAYER, number_events(pd.concat(parts, ignore_index=True), start_seq=next_seq(log)),
                           source.working_crs(), source=f"restore:{AUDIT_LAYER}")
    return pd.concat([log, events], ignore_index=True), events


def _swap_in(backup, inner: GeoPackageStore, manifest: dict, trail: pd.DataFrame | None) -> Path | None:
    """Keep the current park beside it, then swap the backup in (with ``trail`` as its audit trail when given)."""
    with tempfile.TemporaryDirectory(dir=inner.path.parent, prefix=".parkatlas-") as workdir:
        kept = None
        if inner.path.exists():
            stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            kept = inner.path.with_name(f"{inner.path.stem}.before-restore-{stamp}.gpkg")
            shutil.copyfile(inner.path, kept)
        temporary = Path(workdir) / inner.path.name
        shutil.copyfile(backup, temporary)
        if sha256_file(temporary) != manifest["sha256"]:
            raise BackupError(f"{backup}: the copy does not match the checksum; the park was not changed")
        if trail is not None:
            GeoPackageStore(temporary).save_layers({AUDIT_LAYER: trail})
        fsync_and_replace(temporary, inner.path)
    return kept
