"""A persistent vector-tile cache: one SQLite file of encoded tiles per park, keyed by data version.

Why SQLite (MBTiles-like, beside the GeoPackage or in the instance folder for a
PostGIS park) rather than a table in the database: a tile look-up is a local
primary-key read of a few tens of microseconds that takes no connection from the
database pool (which the tiles made on demand and the pages need), needs no server
round trip, and survives restarts; several web processes share it (WAL mode,
writers serialised by SQLite). Each web server keeps its own file; correctness does
not depend on sharing it, because every key carries the data version.

Keys and versions
-----------------
A tile row is (layer, token, z, x, y) → bytes and ETag. A layer's *token* is a
digest of its content: the fingerprints of every feature's geometry and tile
attributes, in order, plus the tile settings. Rows are only ever read under the
current token, so a tile made from other data — an older version, another park,
another process's half-finished work — can never be served.

Tile rows are filed under the layer's *key*, which stays while its token changes by
edits: a token is only ever read or written through the layer's state (a row is
found for the current token only, and a tile made for a superseded token is not
kept), so tiles no edit reached stay where they are and stay found.

Carrying tiles over an edit (:meth:`TileCacheFile.sync`): when the park's version
changes, each layer's new fingerprints are compared with those recorded for the
cached token (vectorised, by fingerprint). The features that left and those that
came (an edited feature is both, with its old and new box) give, with the tile
buffer, the dirty tiles; those rows are deleted in one transaction. Nothing is
carried when the settings changed. The park version → token of each layer is
remembered, so a restart with unchanged data reads no layer at all.

After a change written row by row (:meth:`TileCacheFile.advance`) the caller knows
the changed records: the new token is derived from the previous one and the change,
and the dirty tiles come from the changed records' boxes alone, at the cost of the
change. The recorded fingerprints then describe an older state: the boxes of every
record changed since are kept as *pending* and count as changed at the next full
sync.

*Seeded* zooms: when every tile of a layer at zoom z that holds features has a row,
a missing row means an empty tile. Dirty tiles of a seeded zoom become *holes*
(rows without bytes: encode on demand, then fill), so the zoom stays complete.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from geo.tile_grid import DEFAULT_BUFFER, DEFAULT_EXTENT, tiles_touched

#: Layout of the cache file; a file of another layout is emptied and rebuilt.
CACHE_LAYOUT = "2"
#: Seconds a writer waits for another one (a seeding process, another web server).
BUSY_TIMEOUT_S = 30
#: Idle connections kept open (more concurrent readers open and close their own).
POOL_SIZE = 16

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cache_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tiles (
    layer TEXT NOT NULL, key TEXT NOT NULL, z INTEGER NOT NULL, x INTEGER NOT NULL, y INTEGER NOT NULL,
    data BLOB, etag TEXT, PRIMARY KEY (layer, key, z, x, y));
CREATE TABLE IF NOT EXISTS layer_state (
    layer TEXT PRIMARY KEY, token TEXT NOT NULL, key TEXT NOT NULL, settings TEXT NOT NULL, count INTEGER NOT NULL,
    digests BLOB NOT NULL, bounds BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS pending (layer TEXT NOT NULL, bounds BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS seeded (layer TEXT NOT NULL, key TEXT NOT NULL, z INTEGER NOT NULL,
    PRIMARY KEY (layer, key, z));
CREATE TABLE IF NOT EXISTS versions (park_version TEXT NOT NULL, layer TEXT NOT NULL, token TEXT NOT NULL,
    settings TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (park_version, layer));
"""


def tile_etag(data: bytes) -> str:
    """The validator of one layer's tile: a digest of its bytes (equal bytes, equal ETag)."""
    return hashlib.blake2b(data, digest_size=10).hexdigest()


@dataclass
class LayerState:
    """What one layer's cached tiles were made from.

    Attributes
    ----------
    token
        Digest of ``settings`` and ``digests`` (the layer's data version for tile keys).
    settings
        Everything besides the features that shapes the tiles (format, extent, zooms, columns…).
    digests
        Per-feature fingerprints (uint64, :func:`geo.tiles.feature_digests`), in layer order.
    bounds
        (n, 4) Web Mercator box of each feature.
    """

    token: str
    settings: str
    digests: np.ndarray
    bounds: np.ndarray

    @classmethod
    def make(cls, settings: str, digests: np.ndarray, bounds: np.ndarray) -> LayerState:
        digests = np.ascontiguousarray(digests, dtype="<u8")
        token = hashlib.blake2b(settings.encode() + b"\0" + digests.tobytes(), digest_size=16).hexdigest()
        return cls(token, settings, digests, np.ascontiguousarray(bounds, dtype="<f8").reshape(-1, 4))


def known_bounds(old: LayerState | None, digests: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Boxes of the features whose fingerprints ``old`` already has, and a mask of those it has not.

    Equal fingerprints mean equal geometries, so their boxes need not be computed again.
    """
    bounds = np.full((len(digests), 4), np.nan)
    if old is None or not len(old.digests):
        return bounds, np.ones(len(digests), dtype=bool)
    order = np.argsort(old.digests, kind="stable")
    ranked = old.digests[order]
    where = np.clip(np.searchsorted(ranked, digests), 0, len(ranked) - 1)
    found = ranked[where] == digests
    bounds[found] = old.bounds[order[where[found]]]
    return bounds, ~found


def changed_bounds(old: LayerState, new: LayerState) -> np.ndarray:
    """Boxes of the features in ``old`` but not in ``new`` and of those in ``new`` but not in ``old``."""
    gone = ~np.isin(old.digests, new.digests)
    came = ~np.isin(new.digests, old.digests)
    return np.concatenate([old.bounds[gone], new.bounds[came]])


class TileCacheFile:
    """The tile cache of one park in the SQLite file ``path`` (created when absent).

    Parameters
    ----------
    path
        The cache file.
    extent, buffer
        The tile grid of the cached tiles (to find the tiles an edit reaches).
    """

    def __init__(self, path: str | Path, *, extent: int = DEFAULT_EXTENT, buffer: int = DEFAULT_BUFFER):
        self.path = Path(path)
        self.extent = extent
        self.buffer = buffer
        self._pool: list[sqlite3.Connection] = []
        self._init_lock = threading.Lock()
        self._ready = False

    def __repr__(self) -> str:
        return f"TileCacheFile({str(self.path)!r})"

    # -- connections ---------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit: reads see the latest commit; writes open explicit transactions.
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        with self._init_lock:
            if not self._ready:
                self._create(conn)
                self._ready = True
        return conn

    @contextmanager
    def _conn(self) -> Iterator[sqlite3.Connection]:
        """A pooled connection (web servers start a thread per request: a connection each would cost more)."""
        with self._init_lock:
            conn = self._pool.pop() if self._pool else None
        if conn is None:
            conn = self._open()
        try:
            yield conn
        finally:
            with self._init_lock:
                if len(self._pool) < POOL_SIZE:
                    self._pool.append(conn)
                    conn = None
            if conn is not None:
                conn.close()

    def _create(self, conn: sqlite3.Connection) -> None:
        with _Transaction(conn):
            conn.execute("CREATE TABLE IF NOT EXISTS cache_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            row = conn.execute("SELECT value FROM cache_meta WHERE key = 'layout'").fetchone()
            if row is not None and row[0] != CACHE_LAYOUT:  # another layout: its tables go, with their tiles
                for table in ("tiles", "layer_state", "pending", "seeded", "versions"):
                    conn.execute(f"DROP TABLE IF EXISTS {table}")  # noqa: S608 (fixed names)
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute("INSERT OR REPLACE INTO cache_meta (key, value) VALUES ('layout', ?)", (CACHE_LAYOUT,))

    def usable(self) -> bool:
        """Whether the file can be opened (created when absent) and written here."""
        try:
            with self._write() as conn:
                conn.execute("SELECT count(*) FROM cache_meta").fetchone()
        except (sqlite3.Error, OSError):
            return False
        return True

    def close(self) -> None:
        """Close the pooled connections."""
        with self._init_lock:
            pool, self._pool = self._pool, []
        for conn in pool:
            conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._conn() as conn, _Transaction(conn):
            yield conn

    # -- reading -------------------------------------------------------------------

    def token_for(self, park_version: str, layer: str) -> tuple[str, str] | None:
        """The layer's (token, settings) recorded for this park version, if any process has worked it out."""
        known = self.version_state(park_version, layer)
        return (known[0], known[1]) if known else None

    def version_state(self, park_version: str, layer: str) -> tuple[str, str, int] | None:
        """The layer's (token, settings, features) recorded for this park version, if any."""
        with self._conn() as conn:
            row = conn.execute("SELECT token, settings, count FROM versions WHERE park_version = ? AND layer = ?",
                               (park_version, layer)).fetchone()
        return (row[0], row[1], int(row[2])) if row else None

    def state(self, layer: str) -> LayerState | None:
        """What the layer's cached tiles were made from (None before the first sync); its fingerprints and
        boxes are those of the last full sync (see :meth:`reach` for every box since)."""
        with self._conn() as conn:
            return self._state(conn, layer)

    @staticmethod
    def _state(conn: sqlite3.Connection, layer: str) -> LayerState | None:
        row = conn.execute("SELECT token, settings, digests, bounds FROM layer_state WHERE layer = ?",
                           (layer,)).fetchone()
        if row is None:
            return None
        digests = np.frombuffer(row[2], dtype="<u8")
        return LayerState(row[0], row[1], digests, np.frombuffer(row[3], dtype="<f8").reshape(-1, 4))

    def reach(self, layer: str) -> np.ndarray:
        """(n, 4) boxes of every feature the layer's tiles may hold: those of the last full sync and of every
        record changed row by row since (what seeding must cover)."""
        with self._conn() as conn:
            state = self._state(conn, layer)
            pending = self._pending(conn, layer)
        return np.concatenate([state.bounds if state is not None else np.empty((0, 4)), pending])

    @staticmethod
    def _pending(conn: sqlite3.Connection, layer: str) -> np.ndarray:
        rows = conn.execute("SELECT bounds FROM pending WHERE layer = ?", (layer,)).fetchall()
        return np.concatenate([np.empty((0, 4)), *(np.frombuffer(b, dtype="<f8").reshape(-1, 4) for (b,) in rows)])

    @staticmethod
    def _keys(conn: sqlite3.Connection, tokens: dict[str, str]) -> dict[str, str]:
        """The key the tiles of each layer's ``token`` are filed under: the layer's key while the token is its
        current one; the token itself for a layer without a state (nothing for a superseded token)."""
        marks = ",".join("?" * len(tokens))
        states = {layer: (token, key) for layer, token, key in conn.execute(
            f"SELECT layer, token, key FROM layer_state WHERE layer IN ({marks})", list(tokens))}  # noqa: S608
        keys = {}
        for layer, token in tokens.items():
            current, key = states.get(layer, (token, token))
            if current == token:
                keys[layer] = key
        return keys

    @contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: the key and the tiles read in it come from one state of the file."""
        with self._conn() as conn:
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                conn.execute("COMMIT")

    def tile(self, layer: str, token: str, z: int, x: int, y: int) -> tuple[bytes | None, str | None] | None:
        """(bytes, ETag) of a cached tile; (None, None) for a hole; None when there is no row."""
        return self.tiles({layer: token}, z, x, y).get(layer)

    def tiles(self, tokens: dict[str, str], z: int, x: int, y: int) -> dict[str, tuple[bytes | None, str | None]]:
        """Tile (z, x, y) of each layer in ``tokens`` (layer → token) that has a row, in one query.

        Values as :meth:`tile`: (bytes, ETag), or (None, None) for a hole.
        """
        if not tokens:
            return {}
        with self._snapshot() as conn:
            keys = self._keys(conn, tokens)
            if not keys:
                return {}
            pairs = " OR ".join(["(layer = ? AND key = ?)"] * len(keys))
            params = [value for pair in keys.items() for value in pair]
            rows = conn.execute(f"SELECT layer, data, etag FROM tiles WHERE z = ? AND x = ? AND y = ? AND ({pairs})",  # noqa: S608
                                (z, x, y, *params)).fetchall()
        return {layer: (bytes(data), etag) if data is not None else (None, None) for layer, data, etag in rows}

    def seeded_zooms(self, layer: str, token: str) -> set[int]:
        """Zooms at which every tile of the layer holding features has a row (a missing one is empty)."""
        with self._snapshot() as conn:
            key = self._keys(conn, {layer: token}).get(layer)
            rows = conn.execute("SELECT z FROM seeded WHERE layer = ? AND key = ?", (layer, key)).fetchall()
        return {int(z) for (z,) in rows}

    def present(self, layer: str, token: str, z: int) -> set[tuple[int, int]]:
        """(x, y) of the tiles with bytes at zoom ``z`` (holes excluded)."""
        with self._snapshot() as conn:
            key = self._keys(conn, {layer: token}).get(layer)
            rows = conn.execute("SELECT x, y FROM tiles WHERE layer = ? AND key = ? AND z = ? AND data IS NOT NULL",
                                (layer, key, z)).fetchall()
        return {(int(x), int(y)) for x, y in rows}

    def stats(self) -> dict[str, int]:
        """Tiles with bytes, their total size in bytes, holes, and the file's size."""
        with self._conn() as conn:
            tiles, size, holes = conn.execute(
                "SELECT count(data), coalesce(sum(length(data)), 0), count(*) - count(data) FROM tiles").fetchone()
        files = [self.path, self.path.with_name(self.path.name + "-wal")]
        return {"tiles": int(tiles), "bytes": int(size), "holes": int(holes),
                "file_bytes": sum(p.stat().st_size for p in files if p.exists())}

    # -- writing -------------------------------------------------------------------

    def put_tiles(self, layer: str, token: str, tiles: Iterable[tuple[int, int, int, bytes]]) -> int:
        """Store encoded tiles (z, x, y, bytes) under ``token``, in one transaction; returns how many.

        Nothing is stored when ``token`` is no longer the layer's (a save came in while they were made).
        """
        with self._write() as conn:
            key = self._keys(conn, {layer: token}).get(layer)
            if key is None:
                return 0
            rows = [(layer, key, int(z), int(x), int(y), data, tile_etag(data)) for z, x, y, data in tiles]
            conn.executemany("INSERT OR REPLACE INTO tiles VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        return len(rows)

    def try_put_tile(self, layer: str, token: str, z: int, x: int, y: int, data: bytes) -> bool:
        """Store one tile made on demand (unless its token was superseded meanwhile); False when the file cannot
        take it now (busy beyond the timeout, read-only, disk full): the caller serves it anyway."""
        try:
            self.put_tiles(layer, token, [(z, x, y, data)])
        except sqlite3.Error:
            return False
        return True

    def mark_seeded(self, layer: str, token: str, zooms: Iterable[int]) -> None:
        """Record that the layer's tiles at ``zooms`` are all stored (missing rows are empty tiles)."""
        with self._write() as conn:
            key = self._keys(conn, {layer: token}).get(layer)
            if key is not None:
                conn.executemany("INSERT OR IGNORE INTO seeded VALUES (?, ?, ?)",
                                 [(layer, key, int(z)) for z in zooms])

    def sync(self, layer: str, park_version: str,
             build: Callable[[LayerState | None], LayerState]) -> tuple[str, str]:
        """The layer's token at ``park_version``, bringing the cached tiles over to it.

        ``build(old_state)`` fingerprints the layer as it is now (it is only called
        when no process has recorded this park version yet). Tiles that no changed
        feature reaches stay; the others are deleted (holes in seeded zooms). Returns
        the new (token, settings).
        """
        known = self.token_for(park_version, layer)
        if known is not None:
            return known
        new = build(self.state(layer))
        with self._write() as conn:
            old = self._state(conn, layer)  # again inside the transaction: another process may have moved it
            row = conn.execute("SELECT key FROM layer_state WHERE layer = ?", (layer,)).fetchone()
            key = new.token
            if old is None or old.settings != new.settings:
                conn.execute("DELETE FROM tiles WHERE layer = ?", (layer,))
                conn.execute("DELETE FROM seeded WHERE layer = ?", (layer,))
            else:
                key = row[0]
                if old.token != new.token:
                    self._drop_dirty(conn, layer, key, np.concatenate([changed_bounds(old, new),
                                                                       self._pending(conn, layer)]))
            conn.execute("DELETE FROM pending WHERE layer = ?", (layer,))
            conn.execute("INSERT OR REPLACE INTO layer_state VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (layer, new.token, key, new.settings, len(new.digests), new.digests.tobytes(),
                          new.bounds.tobytes()))
            self._record_version(conn, layer, park_version, new.token, new.settings, len(new.digests))
        return new.token, new.settings

    def advance(self, layer: str, park_version: str, *, previous: str, token: str, settings: str, count: int,
                bounds: np.ndarray) -> tuple[str, str, int] | None:
        """Bring the layer from token ``previous`` to ``token`` (a change written row by row), at the cost of the
        change: the tiles the changed records' boxes ``bounds`` (old and new) reach are dropped (holes in seeded
        zooms), every other tile stays found under ``token``.

        Returns the (token, settings, features) in force at ``park_version``: another process's when it has
        recorded that version already. None when the file's layer is not at ``previous`` with ``settings``
        (never synced, moved on by another process, other settings): then :meth:`sync` must work it out.
        """
        known = self.version_state(park_version, layer)
        if known is not None:
            return known
        bounds = np.ascontiguousarray(bounds, dtype="<f8").reshape(-1, 4)
        with self._write() as conn:
            row = conn.execute("SELECT token, key, settings FROM layer_state WHERE layer = ?", (layer,)).fetchone()
            if row is None or row[0] != previous or row[2] != settings:
                return None
            if token != previous:
                self._drop_dirty(conn, layer, row[1], bounds)
                if len(bounds):
                    conn.execute("INSERT INTO pending VALUES (?, ?)", (layer, bounds.tobytes()))
                conn.execute("UPDATE layer_state SET token = ?, count = ? WHERE layer = ?", (token, count, layer))
            self._record_version(conn, layer, park_version, token, settings, count)
        return token, settings, count

    @staticmethod
    def _record_version(conn: sqlite3.Connection, layer: str, park_version: str, token: str, settings: str,
                        count: int) -> None:
        conn.execute("DELETE FROM versions WHERE layer = ? AND token != ?", (layer, token))
        conn.execute("INSERT OR REPLACE INTO versions VALUES (?, ?, ?, ?, ?)",
                     (park_version, layer, token, settings, count))

    @staticmethod
    def _zooms(conn: sqlite3.Connection, layer: str, key: str) -> list[int]:
        """The zooms the layer's tiles of ``key`` are cached at: one index seek per zoom, not a scan of every
        tile (a seeded park has hundreds of thousands)."""
        zooms: list[int] = []
        while True:
            row = conn.execute("SELECT min(z) FROM tiles WHERE layer = ? AND key = ? AND z > ?",
                               (layer, key, zooms[-1] if zooms else -1)).fetchone()
            if row[0] is None:
                return zooms
            zooms.append(int(row[0]))

    def _drop_dirty(self, conn: sqlite3.Connection, layer: str, key: str, bounds: np.ndarray) -> None:
        """Delete the tiles of ``key`` that ``bounds`` reach (with the buffer) at every zoom cached or seeded;
        in seeded zooms they become holes, so the zoom stays complete."""
        zooms = self._zooms(conn, layer, key)
        seeded = [z for (z,) in conn.execute("SELECT z FROM seeded WHERE layer = ? AND key = ?", (layer, key))]
        dirty = tiles_touched(bounds, sorted(set(zooms) | set(seeded)), extent=self.extent, buffer=self.buffer)
        conn.executemany("DELETE FROM tiles WHERE layer = ? AND key = ? AND z = ? AND x = ? AND y = ?",
                         [(layer, key, *map(int, row)) for row in dirty])
        holes = [(layer, key, *map(int, row)) for row in dirty if int(row[0]) in seeded]
        conn.executemany("INSERT OR REPLACE INTO tiles VALUES (?, ?, ?, ?, ?, NULL, NULL)", holes)

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the file (after seeding: the log is as large as what was written)."""
        with self._conn() as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on error): one writer at a time across processes."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, *exc_info) -> None:
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")


def default_cache_path(store, instance_path: str | Path, kind: str = "tiles") -> Path:
    """Where a park's cache of ``kind`` (tiles; results: ``layers.results_cache``) lives: beside its GeoPackage
    (``park.gpkg.tiles.sqlite``), or for a PostGIS park in ``instance_path`` under the schema's name and a digest
    of the server's URL."""
    path, database = store.capabilities.file, store.capabilities.database
    if path is not None:
        return Path(path).with_name(f"{Path(path).name}.{kind}.sqlite")
    server = hashlib.blake2b(str(database.url).encode(), digest_size=4).hexdigest()
    return Path(instance_path) / f"{kind}-{database.schema}-{server}.sqlite"
