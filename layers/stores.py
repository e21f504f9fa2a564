"""Open a park store from where it lives: a GeoPackage path or a PostgreSQL URL.

Both stores keep one contract, :class:`layers.contract.ParkStore`; what only one can do
is in its ``capabilities``, so callers never branch on the backend.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from layers.contract import ParkStore
from layers.postgis import DEFAULT_SCHEMA, PostGISStore, safe_url, split_schema
from layers.store import GeoPackageStore

_URL_SCHEMES = ("postgresql://", "postgres://")


def is_database_url(location: str | os.PathLike) -> bool:
    """Whether ``location`` names a PostgreSQL database rather than a file."""
    return str(location).startswith(_URL_SCHEMES)


def open_store(location: str | os.PathLike, *, schema: str | None = None) -> ParkStore:
    """The park store at ``location``.

    Parameters
    ----------
    location
        A ``.gpkg`` path, or ``postgresql://user[:password]@host[:port]/database[?schema=NAME]``.
    schema
        The park's PostgreSQL schema; overrides ``?schema=`` in the URL (default ``park``).

    Raises
    ------
    ValueError
        For another URL scheme or a file that is not named ``.gpkg``.
    """
    text = str(location)
    if is_database_url(text):
        url, url_schema = split_schema(text)
        return PostGISStore(url, schema=schema or url_schema or DEFAULT_SCHEMA)
    if "://" in text:
        msg = f"{text}: unsupported park location; use a .gpkg file or a postgresql:// URL"
        raise ValueError(msg)
    if Path(text).suffix.lower() != ".gpkg":
        msg = f"{text}: a park file must be a GeoPackage named *.gpkg (or give a postgresql:// URL)"
        raise ValueError(msg)
    return GeoPackageStore(text)


def describe(location: str | os.PathLike) -> str:
    """``location`` fit for messages and logs (a URL's password hidden)."""
    return safe_url(str(location)) if is_database_url(location) else str(location)


def open_park(location: str | os.PathLike) -> ParkStore:
    """The park store at ``location`` (see :func:`open_store`), brought up to this version's layout when it
    holds a park of an older one (:func:`migrate_store`): what a command reading or changing a park opens."""
    store = open_store(location)
    if not is_database_url(location) and not store.exists():
        return store
    migrate_store(store)
    return store


def migrate_store(store: ParkStore) -> bool:
    """Bring the store's layout up to date where the backend has one to migrate; True when it changed.

    Asks the store itself (not its type), so wrappers such as ``layers.audit.AuditedStore`` pass it on.
    """
    return bool(store.migrate())


def close_store(store: ParkStore) -> None:
    """Release the store's connections (nothing to do for a file)."""
    store.close()


def copy_park(source: ParkStore, dest: ParkStore, *, replace: bool = False,
              meta_changes: Mapping[str, object] | None = None) -> dict[str, int]:
    """Copy every layer present in ``source``, its metadata and saved import mappings into ``dest``; records per layer.

    The destination is written in one atomic ``save_park``; layers absent from the
    source stay absent. ``meta_changes`` replace metadata entries in the copy. A park already at ``dest`` is refused unless ``replace``.

    Raises
    ------
    ParkStoreError
        When the source holds no park or the destination holds one and ``replace`` is false.
    """
    from layers.registry import REGISTRY
    from layers.saved_mappings import copy_mappings
    from layers.store import ParkStoreError

    names = [name for name in source.layer_names() if name in REGISTRY]
    meta = {**source.read_meta(), **(meta_changes or {})}
    if dest.exists() and not replace:
        msg = f"{dest!r} already holds a park; pass --replace to overwrite it"
        raise ParkStoreError(msg)
    frames = {name: source.load(name) for name in names}
    dest.save_park(frames, meta)
    copy_mappings(source, dest)
    return {name: len(frame) for name, frame in frames.items()}
