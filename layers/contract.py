"""The park store contract: what every store does, and what some can do besides, said by the store itself.

Every store — :class:`layers.store.GeoPackageStore`, :class:`layers.postgis.PostGISStore`
and the application's :class:`layers.audit.AuditedStore` around either — keeps
:class:`ParkStore`. What only some can do is in :attr:`ParkStore.capabilities`
(:class:`StoreCapabilities`): the file the park is, the database holding it, vector
tiles cut by the store. Callers ask that, never the store's type or attributes
(``hasattr``/``isinstance``), so a wrapper passes a capability on by passing on its
store's :class:`StoreCapabilities`, and a new backend says what it can in one place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import pandas as pd
from pyproj import CRS


@runtime_checkable
class TileMaker(Protocol):
    """A store that cuts Mapbox Vector Tiles itself (PostGIS ``ST_AsMVT``), not from frames in Python."""

    def mvt_tile(self, name: str, z: int, x: int, y: int, *, columns: list[str], extent: int = 4096,
                 buffer: int = 64, area_column: str | None = None, m2_per_area_unit: float = 1.0,
                 layer_column: str | None = None) -> bytes:
        """Tile (z, x, y) of layer ``name``; empty bytes when no feature reaches it."""


@runtime_checkable
class DatabasePark(Protocol):
    """A park kept in a database schema: tables of its own beside the layers (saved mappings, tile digests)."""

    schema: str
    url: str

    def connection(self) -> AbstractContextManager:
        """A connection in a transaction (committed when the block ends without an error)."""


@runtime_checkable
class RowStore(Protocol):
    """A store that reads and writes single records in place: an edit costs what it changes, not the park.

    Every method keeps the guarantees of whole-layer saves: :meth:`save_rows` is one
    transaction (all or nothing, ``kill -9`` included), under the caller's
    :meth:`ParkStore.write_lock`, and changes :meth:`ParkStore.version`. Records are
    found by their layer's id field (indexed by the store).
    """

    def read_rows(self, name: str, ids: Sequence[str], *, id_prefixes: Sequence[str] = ()) -> pd.DataFrame:
        """The records of layer ``name`` whose id is in ``ids`` or starts with one of ``id_prefixes``, typed
        as :meth:`ParkStore.load` types them (validated unless the layer is trusted); an empty typed frame when
        none is there or the layer is absent. Order: as stored."""

    def ids_present(self, name: str, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` layer ``name`` holds (retired records included: ids stay taken)."""

    def read_events(self, *, records: Sequence[tuple[str, str]] = (), change_ids: Sequence[str] = (),
                    undoes: Sequence[str] = ()) -> pd.DataFrame:
        """The audit events (typed as ``load("audit_events")``) of any of the ``(layer, record_id)`` pairs, of
        any of the changes ``change_ids``, or undoing any of ``undoes``; in log (``seq``) order."""

    def next_seq(self) -> int:
        """The log position the next event takes (1 for an empty log)."""

    def count_live(self, name: str) -> int:
        """How many records of layer ``name`` are held now (``retired_on`` empty); 0 when the layer is absent."""

    def save_rows(self, updated: Mapping[str, pd.DataFrame], created: Mapping[str, pd.DataFrame],
                  events: pd.DataFrame) -> None:
        """In one transaction: replace the stored records of ``updated[name]`` (matched by id; every registry
        field and the geometry written), insert the records of ``created[name]``, append ``events`` (numbered
        audit rows, as ``layers.audit.number_events`` makes them). Every frame is validated by the caller. A
        layer trusted before stays trusted; one that was not stays not."""


@runtime_checkable
class FieldReader(Protocol):
    """A store that reads some fields of a layer without its geometry, and the box of its records from its spatial
    index: what a large park's tiled map asks (its geometry goes to the browser as tiles, cut elsewhere)."""

    def load_fields(self, name: str, fields: Sequence[str]) -> pd.DataFrame | None:
        """Fields ``fields`` of every record of layer ``name`` in store order, typed as :meth:`ParkStore.load` types
        them, without geometry; None when they cannot be read so: the layer is absent, lacks one of them, or must
        be validated whole first (not trusted). Then load the layer."""

    def extent(self, name: str, *, where: Mapping[str, str | None] | None = None
               ) -> tuple[float, float, float, float] | None:
        """``(minx, miny, maxx, maxy)`` in the working CRS of the records of layer ``name`` whose fields equal
        ``where``'s values (``None``: empty); None when no record does or the layer is absent. From the spatial
        index: it may exceed the records' exact box by its rounding (single precision: under a metre)."""


@dataclass(frozen=True)
class StoreCapabilities:
    """What a store can do beyond :class:`ParkStore`; each is ``None`` where the store cannot.

    Attributes
    ----------
    file
        The GeoPackage file the park is: files beside it (rule overrides, import archive, tile cache,
        scenarios), backups by copying the file, opening it in QGIS directly.
    database
        The database store holding the park (its connection, schema and URL).
    tiles
        The store that cuts vector tiles itself.
    rows
        The store that reads and writes single records in place (:class:`RowStore`); without it a change
        rewrites the layers it touches whole.
    fields
        The store that reads fields without geometry and extents from its index (:class:`FieldReader`).
    """

    file: Path | None = None
    database: DatabasePark | None = None
    tiles: TileMaker | None = None
    rows: RowStore | None = None
    fields: FieldReader | None = None


@runtime_checkable
class ParkStore(Protocol):
    """What every park store does: read and write validated layers and the park's metadata, atomically."""

    @property
    def capabilities(self) -> StoreCapabilities:
        """What the store can do besides (:class:`StoreCapabilities`)."""

    @property
    def unaudited(self) -> ParkStore:
        """The store itself, under any wrapper: writes to it leave no audit trail (backups, restores)."""

    def exists(self) -> bool:
        """Whether a park is there."""

    def layer_names(self) -> list[str]:
        """The layers the park holds."""

    def read_meta(self) -> dict[str, object]:
        """The park's metadata (name, working CRS, reference date…)."""

    def working_crs(self) -> CRS:
        """The park's projected working CRS."""

    def version(self) -> str:
        """A token that changes with every save (caches key on it)."""

    def load(self, name: str, *, bbox: tuple[float, float, float, float] | None = None) -> pd.DataFrame:
        """Layer ``name``, validated (empty when absent)."""

    def load_all(self) -> dict[str, pd.DataFrame]:
        """Every registered layer, validated."""

    def missing_layers(self) -> list[str]:
        """Layers the park records but whose table is gone."""

    def missing_layer_message(self, name: str) -> str:
        """What to tell an administrator about missing layer ``name``."""

    def is_trusted(self, name: str) -> bool:
        """Whether layer ``name`` is as the store last validated it (not changed outside ParkAtlas)."""

    def save_park(self, frames: Mapping[str, pd.DataFrame], meta: Mapping[str, object]) -> None:
        """Write a whole park in one atomic step."""

    def save(self, name: str, frame: pd.DataFrame) -> None:
        """Replace one layer."""

    def save_layers(self, frames: Mapping[str, pd.DataFrame], *, append: tuple[str, ...] = (),
                    checked: bool = False) -> None:
        """Replace (or append to, for ``append``) several layers in one atomic write."""

    def write_lock(self) -> AbstractContextManager:
        """The park's one-writer-at-a-time lock (re-entrant within a thread)."""

    def migrate(self) -> bool:
        """Bring the layout up to this version's; whether it changed."""

    def close(self) -> None:
        """Release connections (nothing to do for a file)."""


def row_store(store: ParkStore, names) -> RowStore | None:
    """The store's in-place record reader and writer when it has one and holds every layer of ``names``, else
    None (then a change reads and saves those layers whole)."""
    rows = store.capabilities.rows
    return rows if rows is not None and set(names) <= set(store.layer_names()) else None


__all__ = ["DatabasePark", "FieldReader", "ParkStore", "RowStore", "StoreCapabilities", "TileMaker", "row_store"]
