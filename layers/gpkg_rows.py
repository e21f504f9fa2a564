"""Records of a GeoPackage park read and written one by one, in place, through SQLite (private to ``layers``).

A whole-layer save copies the park and swaps it in; an edit of one record need not:
SQLite's rollback journal makes an in-place transaction as atomic as the swap (a
``kill -9`` leaves a *hot journal*, rolled back by the next writer or reader, see
:func:`recover`), at the cost of the rows changed. The transaction begins
``IMMEDIATE`` (a RESERVED lock: readers — GDAL, QGIS — go on reading the previous
state) and holds SQLite's EXCLUSIVE lock only for the commit; the writer waits for
a long reader (a whole-layer read) for up to :data:`BUSY_TIMEOUT_S`. Journal mode stays
``DELETE``, not WAL: the park is copied as one file by backups and exports, and a copy
of a WAL-mode file without its ``-wal`` loses acknowledged writes.

Values are stored as GDAL stores them (GeoPackage 1.3): text, REAL, INTEGER, booleans
0/1, dates ``YYYY-MM-DD``, geometries as GeoPackage blobs (header with the envelope,
then ISO WKB). GDAL's R-tree triggers call ``ST_*`` functions that plain SQLite lacks:
``layers.gpkg_blob`` registers them.
"""

from __future__ import annotations

import bisect
import json
import math
import os
import sqlite3
import struct
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pandas as pd
import shapely

from layers.gpkg_blob import register_functions
from layers.schema import LayerSpec

#: How long a row write waits for readers to finish before SQLite's commit (a whole-layer read of a
#: 10⁶-record park takes seconds; a reader is never refused, a writer waits), and so how long a reader waits for a
#: commit to end: the commit holds its lock while it waits for those readers and syncs the file (sqlite3's
#: default, 5 s, refused a record's read behind a commit slowed so: "database is locked", a 500).
BUSY_TIMEOUT_S = 60.0
#: GeoPackage blob flags: little-endian header numbers (bit 0) with an xy envelope (bits 1–3 = 1).
_FLAGS_XY_LITTLE = 0b0000_0011
#: … and of an empty geometry (bit 4), without an envelope.
_FLAGS_EMPTY_LITTLE = 0b0001_0001
#: Where SQLite's header keeps the file change counter, bumped by every committed write (rollback journal).
CHANGE_COUNTER_OFFSET = 24


def quoted(name: str) -> str:
    """An SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """An SQL text literal (for GDAL's attribute filters, which take no parameters)."""
    return "'" + str(text).replace("'", "''") + "'"


def id_index_name(table: str, column: str) -> str:
    return f"parkatlas_idx_{table}_{column}"


def change_counter(path: Path) -> int | None:
    """SQLite's file change counter of ``path`` (four bytes of its header; None for a short or missing file)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        header = os.pread(fd, 4, CHANGE_COUNTER_OFFSET)
    finally:
        os.close(fd)
    return int.from_bytes(header, "big") if len(header) == 4 else None


def journal_path(path: Path) -> Path:
    return path.with_name(path.name + "-journal")


def recover(path: Path) -> bool:
    """Roll back the hot journal a writer killed mid-transaction left beside ``path``; True when one was there.

    A read-only opener (GDAL reading the park) cannot roll it back and fails; a
    read-write connection rolls it back on its first read. Call it under the park's
    writer lock, so the journal of a write in progress is not taken for a hot one
    (SQLite checks that too: a journal whose writer still holds its lock is not hot).
    """
    if not journal_path(path).exists() or not path.exists():
        return False
    with closing(sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)) as conn:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    return True


class FileAccess:
    """Readers and the in-place writer of one park file within this process.

    GDAL (through pyogrio) links its own SQLite, apart from Python's ``sqlite3``. SQLite locks
    with POSIX advisory locks, which a process does not see among its own and which any close of
    the file by the process drops: a GDAL read in this process during a ``sqlite3`` write would
    take the writer's journal for a hot one (and fail: "attempt to write a readonly database")
    and its close would drop the writer's locks. So within a process GDAL reads the park under
    :meth:`reading` (many at once) and a write in place runs under :meth:`writing` (alone; it
    waits for the reads, new reads wait for it). Other processes are kept apart by SQLite itself.
    """

    def __init__(self):
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0
        self._local = threading.local()

    @contextmanager
    def reading(self) -> Iterator[None]:
        depth = getattr(self._local, "depth", 0)
        shared = depth == 0 and not getattr(self._local, "writer", False)
        if shared:
            with self._cond:
                while self._writing or self._writers_waiting:
                    self._cond.wait()
                self._readers += 1
        self._local.depth = depth + 1
        try:
            yield
        finally:
            self._local.depth = depth
            if shared:
                with self._cond:
                    self._readers -= 1
                    self._cond.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        if getattr(self._local, "depth", 0):
            msg = "a write in place cannot start inside a read of the same file (it would wait for itself)"
            raise RuntimeError(msg)
        with self._cond:
            self._writers_waiting += 1
            try:
                while self._writing or self._readers:
                    self._cond.wait()
            finally:
                self._writers_waiting -= 1
            self._writing = True
        self._local.writer = True
        try:
            yield
        finally:
            self._local.writer = False
            with self._cond:
                self._writing = False
                self._cond.notify_all()


_ACCESS: dict[Path, FileAccess] = {}
_ACCESS_GUARD = threading.Lock()


def file_access(path: str | os.PathLike) -> FileAccess:
    """The one :class:`FileAccess` of the file at ``path`` in this process."""
    key = Path(path).resolve()
    with _ACCESS_GUARD:
        return _ACCESS.setdefault(key, FileAccess())


#: Idle SQLite connections kept per park file and kind (read-only, read-write). Opening one parses the
#: GeoPackage's schema (~1 ms: more than reading a record), and an edit reads and writes through several.
IDLE_CONNECTIONS = 4


class _Connections:
    """Idle connections to one park file, reused: a connection is handed to one thread at a time, and only
    while the file at the path is the one it opened (same inode: a whole-park save swaps in a new file).

    Reusing a connection changes nothing SQLite guarantees: every read transaction checks the file's change
    counter and drops its page cache when another connection (or process) wrote. A connection is given back
    only when its block ended without error and outside a transaction; otherwise it is closed.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._idle: dict[tuple[Path, bool], tuple[int, list[sqlite3.Connection]]] = {}

    @contextmanager
    def connection(self, path: str | os.PathLike, *, writer: bool) -> Iterator[sqlite3.Connection]:
        key = (Path(path).resolve(), writer)
        inode = os.stat(key[0]).st_ino
        conn = self._take(key, inode)
        keep = True
        if conn is None:
            conn = _open(key[0], writer=writer)
            # A file swapped in between the look and the open is the one this connection reads: it is not kept under
            # the inode of the file before, whose number a later file may get (ext4 gives freed numbers again).
            keep = os.stat(key[0]).st_ino == inode
        clean = False
        try:
            yield conn
            clean = keep and not conn.in_transaction
        finally:
            if clean:
                self._give_back(key, inode, conn)
            else:
                conn.close()  # (an open transaction is rolled back by the close)

    def _take(self, key, inode: int) -> sqlite3.Connection | None:
        stale: list[sqlite3.Connection] = []
        with self._lock:
            held = self._idle.get(key)
            if held is not None and held[0] != inode:  # the file was swapped: the connections read the old one
                stale = held[1]
                del self._idle[key]
                held = None
            conn = held[1].pop() if held and held[1] else None
        for old in stale:
            old.close()
        return conn

    def _give_back(self, key, inode: int, conn: sqlite3.Connection) -> None:
        with self._lock:
            held = self._idle.setdefault(key, (inode, []))
            if held[0] == inode and len(held[1]) < IDLE_CONNECTIONS:
                held[1].append(conn)
                return
        conn.close()


def _open(path: Path, *, writer: bool) -> sqlite3.Connection:
    if writer:  # (GDAL's R-tree triggers call the ST_* functions)
        return register_functions(sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_S,
                                                  check_same_thread=False))
    return sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S,
                           check_same_thread=False)


_CONNECTIONS = _Connections()


def reader(path: str | os.PathLike):
    """A read-only connection to the GeoPackage at ``path`` for the block (reused: see :class:`_Connections`).
    A transaction the block leaves open is rolled back."""
    return _CONNECTIONS.connection(path, writer=False)


@contextmanager
def transaction(path: Path) -> Iterator[sqlite3.Connection]:
    """A write transaction on the GeoPackage at ``path``: committed when the block ends, rolled back on error
    (under :meth:`FileAccess.writing`: no GDAL read of the file in this process meanwhile)."""
    with file_access(path).writing(), _CONNECTIONS.connection(path, writer=True) as conn:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


def ensure_indexes(conn: sqlite3.Connection, table: str, columns: Iterable[Sequence[str]]) -> None:
    """Indexes on ``columns`` of ``table`` (each a tuple of column names), made once: lookups by id stay
    O(log n). A plain SQLite index is allowed in a GeoPackage and ignored by readers that do not use it."""
    for cols in columns:
        name = id_index_name(table, "_".join(cols))
        conn.execute(f"CREATE INDEX IF NOT EXISTS {quoted(name)} ON {quoted(table)} "
                     f"({', '.join(quoted(c) for c in cols)})")


#: The SQLite column type GDAL declares for each registry field kind (GeoPackage 1.3 §1.1.1.1.3).
SQL_TYPES = {"str": "TEXT", "code": "TEXT", "float": "REAL", "int": "INTEGER", "bool": "BOOLEAN", "date": "DATE"}


def add_missing_columns(conn: sqlite3.Connection, spec: LayerSpec) -> list[str]:
    """Add to layer ``spec``'s table, in the caller's transaction, the columns of fields declared since it was written
    (a park older than a field: ``parcels.land_user``), as GDAL would declare them; their names. A record written in
    place carries every declared field, and the records already there read the new ones as empty, as before."""
    present = {row[1] for row in conn.execute(f"PRAGMA table_info({quoted(spec.name)})")}
    missing = [f for f in spec.fields if f.name not in present]
    for spec_field in missing:
        conn.execute(f"ALTER TABLE {quoted(spec.name)} ADD COLUMN {quoted(spec_field.name)} {SQL_TYPES[spec_field.kind]}")
    return [f.name for f in missing]


def create_attributes_table(conn: sqlite3.Connection, spec: LayerSpec) -> None:
    """Create the GeoPackage attributes table (no geometry) of layer ``spec`` in the caller's transaction, as
    GDAL would: an integer ``fid`` key, a column per field of its declared type, listed in ``gpkg_contents``."""
    columns = ", ".join(['"fid" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL',
                         *(f"{quoted(f.name)} {SQL_TYPES[f.kind]}" for f in spec.fields)])
    conn.execute(f"CREATE TABLE {quoted(spec.name)} ({columns})")
    conn.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) "
                 "VALUES (?, 'attributes', ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
                 (spec.name, spec.name, (spec.description or "")[:250]))


def geometry_blobs(geometries: np.ndarray, srs_id: int) -> list[bytes | None]:
    """GeoPackage geometry blobs of ``geometries`` (None stays NULL)."""
    missing = shapely.is_missing(geometries)
    wkb = shapely.to_wkb(geometries, flavor="iso", byte_order=1)
    bounds = shapely.bounds(geometries)
    out: list[bytes | None] = []
    for geometry_wkb, box, absent in zip(wkb, bounds, missing):
        if absent:
            out.append(None)
        elif any(math.isnan(v) for v in box):
            out.append(struct.pack("<2sBBi", b"GP", 0, _FLAGS_EMPTY_LITTLE, srs_id) + geometry_wkb)
        else:
            min_x, min_y, max_x, max_y = box
            out.append(struct.pack("<2sBBi4d", b"GP", 0, _FLAGS_XY_LITTLE, srs_id, min_x, max_x, min_y, max_y)
                       + geometry_wkb)
    return out


#: Up to this many records a column is converted value by value (pandas' per-call overhead costs more).
FEW_ROWS = 256


def _python_value(value, kind: str):
    """One typed value as SQLite stores it the way GDAL does (None for a missing one)."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if kind == "date":
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    if kind == "float":
        return float(value)
    if kind == "int":
        return int(value)
    if kind == "bool":
        return int(bool(value))
    return str(value)


def _column_values(series: pd.Series, kind: str) -> list:
    """A typed column as the Python values SQLite stores the way GDAL does."""
    if len(series) <= FEW_ROWS:
        return [_python_value(value, kind) for value in series.tolist()]
    missing = series.isna().to_numpy()
    if kind == "date":
        days = pd.to_datetime(series).dt.strftime("%Y-%m-%d").tolist()
        return [None if gone else day for day, gone in zip(days, missing)]
    values = series.astype(object).tolist()
    if kind == "float":
        return [None if gone else float(v) for v, gone in zip(values, missing)]
    if kind == "int":
        return [None if gone else int(v) for v, gone in zip(values, missing)]
    if kind == "bool":
        return [None if gone else int(bool(v)) for v, gone in zip(values, missing)]
    return [None if gone else str(v) for v, gone in zip(values, missing)]


def row_values(frame: pd.DataFrame, spec: LayerSpec, geometry: tuple[str, int, str] | None
               ) -> tuple[list[str], list[tuple]]:
    """The stored columns of layer ``spec`` and, per record of ``frame``, their values in that order
    (``geometry``: the table's geometry column and SRS, :func:`geometry_column`)."""
    names = list(spec.field_names)
    if len(frame) <= FEW_ROWS and frame.columns.is_unique and set(names) <= set(frame.columns):
        # (a few records: every value converted at once, then value by value; a column lookup costs ~25 µs)
        values = frame.to_numpy(dtype=object)[:, frame.columns.get_indexer(names)]
        columns = [[_python_value(value, f.kind) for value in values[:, j]] for j, f in enumerate(spec.fields)]
    else:
        columns = [_column_values(frame[f.name], f.kind) for f in spec.fields]
    if spec.geometry is not None and geometry is not None:
        names.append(geometry[0])
        columns.append(geometry_blobs(frame.geometry.to_numpy(), geometry[1]))
    return names, list(zip(*columns)) if len(frame) else []


def geometry_column(conn: sqlite3.Connection, table: str) -> tuple[str, int, str] | None:
    """(column, srs_id, declared geometry type) of a GeoPackage feature table; None for an attributes table."""
    row = conn.execute("SELECT column_name, srs_id, geometry_type_name FROM gpkg_geometry_columns "
                       "WHERE table_name = ?", (table,)).fetchone()
    return None if row is None else (row[0], int(row[1]), str(row[2]))


def fits_declared_type(declared: str, geometries: np.ndarray) -> bool:
    """Whether ``geometries`` all are of the ``declared`` geometry type of a table (GEOMETRY takes any). A
    MultiPolygon does not fit a Polygon table, and SQLite cannot change a column's declared type in place."""
    if declared.upper() == "GEOMETRY":
        return True
    present = geometries[~shapely.is_missing(geometries)]
    types = {shapely.GeometryType(t).name.replace("_", "").upper() for t in shapely.get_type_id(present).tolist()}
    return types <= {declared.upper()}


def primary_key(conn: sqlite3.Connection, table: str) -> str:
    """The integer primary key of a GeoPackage table (``fid`` when GDAL made it)."""
    for row in conn.execute(f"PRAGMA table_info({quoted(table)})"):
        if row[5]:
            return str(row[1])
    return "rowid"


class IdIndex:
    """Where each record of a layer is stored (its primary key), by id, and its ids in order for prefixes.

    Kept in memory, not as an SQLite index: an index on a column stops SQLite (and QGIS through it)
    from dropping or renaming that column. It is a hint: every write through it also checks the id
    (``WHERE pk = ? AND id = ?``) and rebuilds it when a record is not where it says.

    A *bounded* index (:meth:`lookup`) knows only the ids it was asked for (present or not) and every
    id starting with the prefixes it was asked for: one scan of the table, no dictionary of the whole
    layer; :meth:`covers` says whether it can answer a question.
    """

    def __init__(self, key: str, pairs: Iterable[tuple[str, int]], *, asked: Iterable[str] | None = None,
                 prefixes: Iterable[str] = ()):
        self.key = key
        self.position = {str(record_id): int(pk) for record_id, pk in pairs if record_id is not None}
        self.ordered = sorted(self.position)
        #: The ids a bounded index was asked for (None: the whole layer's index).
        self.asked = None if asked is None else {*map(str, asked), *self.position}
        self.prefixes = frozenset(p for p in prefixes if p)
        #: Records whose ``count_empty`` column was empty when :meth:`lookup` read this index (None: not counted).
        self.empty_count: int | None = None

    @classmethod
    def read(cls, conn: sqlite3.Connection, table: str, id_field: str) -> IdIndex:
        key = primary_key(conn, table)
        return cls(key, conn.execute(f"SELECT {quoted(id_field)}, {quoted(key)} FROM {quoted(table)}"))

    @classmethod
    def lookup(cls, conn: sqlite3.Connection, table: str, id_field: str, ids: Sequence[str],
               prefixes: Sequence[str] = (), *, count_empty: str | None = None) -> IdIndex:
        """The bounded index of the records ``ids`` and those whose id starts with one of ``prefixes``: one
        scan of the table (the ids are one JSON parameter, however many), whatever the layer's size.

        ``count_empty``: a column whose empty (NULL) values the same scan counts, kept as :attr:`empty_count`
        (a second scan would cost as much again).
        """
        pk = primary_key(conn, table)
        key, column = quoted(pk), quoted(id_field)
        prefixes = [p for p in prefixes if p]
        ranges = [prefix_range(p) for p in prefixes]
        where = " OR ".join([f"{column} IN (SELECT value FROM json_each(?))",
                             *(f"({column} >= ? AND {column} < ?)" for _ in ranges)])
        parameters = [json.dumps([str(i) for i in ids]), *(bound for pair in ranges for bound in pair)]
        empty_count = None
        if count_empty is not None:
            empty_count, found = conn.execute(
                f"SELECT count(*) FILTER (WHERE {quoted(count_empty)} IS NULL), json_group_array(json_array("
                f"CAST({column} AS TEXT), {key})) FILTER (WHERE {where}) FROM {quoted(table)}", parameters).fetchone()
            pairs = json.loads(found)
        elif ids or prefixes:
            pairs = conn.execute(f"SELECT {column}, {key} FROM {quoted(table)} WHERE {where}", parameters)
        else:
            pairs = ()
        index = cls(pk, pairs, asked=ids, prefixes=prefixes)
        index.empty_count = empty_count
        return index

    @property
    def whole(self) -> bool:
        return self.asked is None

    def covers(self, ids: Iterable[str], prefixes: Iterable[str] = ()) -> bool:
        """Whether this index knows where each of ``ids`` is (or that it is absent) and every id with ``prefixes``."""
        if self.asked is None:
            return True
        return (all(str(i) in self.asked for i in ids)
                and all(any(p.startswith(known) for known in self.prefixes) for p in prefixes if p))

    def merged(self, other: IdIndex) -> IdIndex:
        """One bounded index answering what this one and ``other`` (of the same version of the layer) answer."""
        if self.whole or other.whole:
            return self if self.whole else other
        return IdIndex(self.key, {**self.position, **other.position}.items(), asked=self.asked | other.asked,
                       prefixes=self.prefixes | other.prefixes)

    def with_prefixes(self, prefixes: Sequence[str]) -> list[str]:
        """The ids starting with any of ``prefixes``."""
        found = []
        for prefix in prefixes:
            if not prefix:
                continue
            if not self.covers((), [prefix]):
                msg = f"this bounded id index was not asked for the ids starting with {prefix!r}"
                raise ValueError(msg)
            low, high = prefix_range(prefix)
            found += self.ordered[bisect.bisect_left(self.ordered, low):bisect.bisect_left(self.ordered, high)]
        return found

    def add(self, record_id: str, pk: int) -> None:
        if record_id not in self.position:
            bisect.insort(self.ordered, record_id)
        self.position[record_id] = pk
        if self.asked is not None:
            self.asked.add(record_id)


def update_rows(conn: sqlite3.Connection, table: str, id_field: str, names: list[str], rows: list[tuple],
                ids: list[str], index: IdIndex) -> int:
    """Replace the stored values of the records ``ids`` (one row of ``rows`` each), found through ``index``;
    the number replaced (fewer when the index is out of date)."""
    assignments = ", ".join(f"{quoted(n)} = ?" for n in names)
    cursor = conn.executemany(
        f"UPDATE {quoted(table)} SET {assignments} WHERE {quoted(index.key)} = ? AND {quoted(id_field)} = ?",
        [(*row, index.position.get(record_id, -1), record_id) for row, record_id in zip(rows, ids)])
    return cursor.rowcount


def append_rows(conn: sqlite3.Connection, table: str, names: list[str], rows: list[tuple]) -> None:
    """Add rows to a table looked up by its SQL indexes (the audit trail)."""
    columns = ", ".join(quoted(n) for n in names)
    conn.executemany(f"INSERT INTO {quoted(table)} ({columns}) VALUES ({', '.join('?' for _ in names)})", rows)


def insert_rows(conn: sqlite3.Connection, table: str, names: list[str], rows: list[tuple], ids: list[str],
                index: IdIndex) -> None:
    """Add the records ``ids`` (one row of ``rows`` each), noting where each is stored in ``index``."""
    columns = ", ".join(quoted(n) for n in names)
    marks = ", ".join("?" for _ in names)
    statement = f"INSERT INTO {quoted(table)} ({columns}) VALUES ({marks})"
    for row, record_id in zip(rows, ids):
        index.add(record_id, conn.execute(statement, row).lastrowid)


def widen_extent(conn: sqlite3.Connection, table: str, geometries: np.ndarray) -> None:
    """Grow ``gpkg_contents``' extent of ``table`` to take in ``geometries`` and stamp its ``last_change``."""
    present = geometries[~(shapely.is_missing(geometries) | shapely.is_empty(geometries))]
    if len(present):
        min_x, min_y, max_x, max_y = shapely.total_bounds(present)
        conn.execute("UPDATE gpkg_contents SET min_x = min(coalesce(min_x, ?), ?), min_y = min(coalesce(min_y, ?), ?), "
                     "max_x = max(coalesce(max_x, ?), ?), max_y = max(coalesce(max_y, ?), ?) WHERE table_name = ?",
                     (min_x, min_x, min_y, min_y, max_x, max_x, max_y, max_y, table))
    touch_contents(conn, [table])


def touch_contents(conn: sqlite3.Connection, tables: Sequence[str]) -> None:
    """Stamp ``last_change`` of ``tables`` in ``gpkg_contents`` (GeoPackage 1.3 §1.1.3.1.1: UTC, ISO 8601)."""
    conn.executemany("UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
                     "WHERE table_name = ?", [(t,) for t in tables])


def prefix_range(prefix: str) -> tuple[str, str]:
    """The bounds ``[low, high)`` of every text starting with ``prefix`` (an index range, unlike LIKE, which
    SQLite matches case-insensitively and so cannot answer from a binary index)."""
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


def events_filter(records: Sequence[tuple[str, str]], change_ids: Sequence[str], undoes: Sequence[str]) -> str | None:
    """A GDAL attribute filter for audit events of ``records``, of ``change_ids`` or undoing ``undoes``."""
    parts = []
    by_layer: dict[str, list[str]] = {}
    for layer, record_id in records:
        by_layer.setdefault(layer, []).append(record_id)
    for layer, ids in by_layer.items():
        parts.append(f'("layer" = {literal(layer)} AND "record_id" IN '
                     f'({", ".join(literal(i) for i in dict.fromkeys(ids))}))')
    if change_ids:
        parts.append(f'"change_id" IN ({", ".join(literal(i) for i in dict.fromkeys(change_ids))})')
    if undoes:
        parts.append(f'"undoes" IN ({", ".join(literal(i) for i in dict.fromkeys(undoes))})')
    return " OR ".join(parts) or None


def trust_counts(conn: sqlite3.Connection, trust_table: str, names: Sequence[str]) -> dict[str, tuple[int, int]]:
    """(edits, validated edits) of ``names`` in the store's trust table (layers without a stamp left out)."""
    marks = ", ".join("?" for _ in names)
    try:
        rows = conn.execute(f"SELECT layer, edits, validated_edits FROM {quoted(trust_table)} "
                            f"WHERE layer IN ({marks})", list(names)).fetchall()
    except sqlite3.OperationalError:  # a park written before stamps
        return {}
    return {row[0]: (int(row[1]), int(row[2])) for row in rows}


def keep_trust(conn: sqlite3.Connection, trust_table: str, before: Mapping[str, tuple[int, int]]) -> None:
    """Layers trusted before this transaction (their edit count was the validated one) stay trusted: the rows it
    wrote were validated, and the triggers counted them as edits."""
    trusted = [name for name, (edits, validated) in before.items() if edits == validated]
    conn.executemany(f"UPDATE {quoted(trust_table)} SET validated_edits = edits WHERE layer = ?",
                     [(name,) for name in trusted])
