"""The park store in PostgreSQL/PostGIS: one schema per park, same interface as the GeoPackage store.

Tables are created from the layer registry with proper types (text, double
precision, bigint, boolean, date, ``geometry(<type>, <EPSG>)`` with a GiST index),
a ``fid`` identity that keeps the row order and a unique id column. The schema also
holds ``parkatlas_meta`` (key → JSON value, as in the GeoPackage) and
``parkatlas_state`` (the park's identity and a change counter that every save
increments: :meth:`PostGISStore.version` for caches and tile ETags).

Every save runs in one transaction: new tables are built in a staging schema and
moved in place only at the end, so a failed save leaves the previous state and
readers keep seeing it while a large save runs. Bulk data moves as CSV through
``COPY``, written and parsed by Arrow's C++ CSV code (no per-row Python), with
geometries as hex EWKB. Reads are validated against the registry exactly like
GeoPackage reads, except for a layer the store validated when writing it and
that nothing changed since: a statement-level trigger on every layer table counts
each insert, update, delete or truncate into ``parkatlas_trust``, and a layer
whose count is the one the store stamped (read in the same snapshot as its rows)
is only cast to the registry's types.

Single records (:class:`layers.contract.RowStore`) are read and written in place,
through the unique id index (and a ``text_pattern_ops`` index for id prefixes; the audit
log is indexed by record, change, undone change and position): :meth:`PostGISStore.save_rows`
costs what the change is, not the park.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re
import threading
import uuid
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import shapely
from pyproj import CRS

from layers._arrow_columns import ARROW_TYPES, arrow_column, geometry_type_name
from layers._sql import identifier as _identifier
from layers.contract import StoreCapabilities
from layers.gpkg_rows import FEW_ROWS
from layers.postgis_arrow import ArrowReader, driver_available, plain_column
from layers.qgis import layer_styles
from layers.registry import REGISTRY, get_layer
from layers.saved_mappings import TABLE as SAVED_MAPPINGS
from layers.schema import LayerSpec
from layers.store import (
    META_TABLE,
    SCHEMA_VERSION,
    VALID_TIME_SCHEMA,
    ParkStoreError,
    checked_frame,
    declared_fields,
    empty_frame,
    frame_to_arrow,
    log_migration,
    missing_layer_message,
    park_meta,
)
from layers.valid_time import derive_for_older_park, has_valid_time
from layers.validate import cast_fields, cast_layer, geo_frame, in_declared_form
from layers.values import STRING_DTYPE

log = logging.getLogger(__name__)

STATE_TABLE = "parkatlas_state"
#: Per layer: edits counted by the trigger, and the count the store stamped after validating (equal = trusted).
TRUST_TABLE = "parkatlas_trust"
#: The trigger on every layer table, and its function (one per park schema).
EDIT_TRIGGER = "parkatlas_count_edit"
DEFAULT_SCHEMA = "park"
#: Layout of the tables in a park schema; :meth:`PostGISStore.migrate` brings older ones up to date.
LAYOUT_VERSION = 2
#: Schema names we create and quote; '__staging' is appended during saves (PostgreSQL allows 63 bytes).
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,49}$")
_STAGING_SUFFIX = "__staging"
#: A geometry column's declared type as ``format_type`` writes it: ``geometry(MultiPolygon,4547)``, ``geometry``.
_GEOMETRY_TYPMOD = re.compile(r"^geometry(?:\((\w+)(?:,\d+)?\))?$")
#: Rows per COPY chunk: bounds the memory of the CSV text for 10⁶-row layers.
COPY_BATCH_ROWS = 100_000
#: Most appended records written by INSERT statements: for a few, building COPY's Arrow CSV costs more
#: (≈10 ms a frame of a wide layer) than the statements; for many, COPY is faster.
ROW_STATEMENTS_MAX = 1_000
#: Most parameters of one statement: the protocol counts them in 16 bits.
STATEMENT_PARAMETERS_MAX = 65_535
#: Most rows a few-record read (:meth:`PostGISStore.read_rows`, :meth:`PostGISStore.read_events`) fetches through
#: psycopg; a larger answer is read again through the ADBC driver, whose fixed cost (≈2 ms: a snapshot exported and
#: imported on a connection of its own) is less than psycopg's Python per value from a few hundred rows on.
FEW_ROWS_MAX = 200

_PG_TYPES = {
    "str": "text",
    "code": "text",
    "float": "double precision",
    "int": "bigint",
    "bool": "boolean",
    "date": "date",
}
_PANDAS_TYPES = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype(), pa.string(): STRING_DTYPE}
#: The audit log's indexes besides its id's: a record's history, a change's events, the undo of a change, the
#: log's end (:meth:`PostGISStore.read_events`, :meth:`PostGISStore.next_seq`).
AUDIT_LAYER = "audit_events"
_AUDIT_INDEXES = {
    "audit_events_record": (("layer", ""), ("record_id", "")),
    "audit_events_change": (("change_id", ""),),
    "audit_events_undoes": (("undoes", ""),),
    "audit_events_seq": (("seq", ""),),
}


def row_indexes(spec: LayerSpec) -> dict[str, tuple[tuple[str, str], ...]]:
    """Index name → ((column, operator class), …) a layer's table has besides its unique id.

    The id's own unique index serves equality; ``text_pattern_ops`` serves id prefixes
    (``LIKE 'P12-%'``) in any collation.
    """
    indexes = {f"{spec.name}_id_prefix": ((spec.id_field, "text_pattern_ops"),)}
    return {**indexes, **_AUDIT_INDEXES} if spec.name == AUDIT_LAYER else indexes


def safe_url(url: str) -> str:
    """``url`` with any password replaced by ``***``, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def split_schema(url: str) -> tuple[str, str | None]:
    """Take a ``schema=`` query parameter (ours, not libpq's) out of a connection URL.

    Returns
    -------
    (url without it, schema or None)
    """
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = next((value for key, value in query if key == "schema"), None)
    rest = [(key, value) for key, value in query if key != "schema"]
    return urlunsplit(parts._replace(query=urlencode(rest))), schema


class PostGISStore:
    """A park kept in one PostgreSQL schema with PostGIS.

    Parameters
    ----------
    url
        ``postgresql://user[:password]@host[:port]/database`` (any libpq URL).
    schema
        The park's schema: lower-case letters, digits and ``_``, at most 50 characters.
    pool_size
        Most connections kept open to the server (threads of the web server share them).
    """

    def __init__(self, url: str, *, schema: str = DEFAULT_SCHEMA, pool_size: int = 8):
        if not _SCHEMA_NAME.match(schema):
            msg = (
                f"invalid park schema name {schema!r}: use lower-case letters, digits and '_', "
                "starting with a letter or '_', at most 50 characters"
            )
            raise ValueError(msg)
        self.url = url
        self.schema = schema
        self.pool_size = pool_size
        self._pool = None
        self._pool_lock = threading.Lock()
        self._writer: _AdvisoryLock | None = None
        #: Reads into Arrow (:meth:`_arrow_reader`): None until the first read, False when unusable.
        self._arrow: ArrowReader | bool | None = None
        #: Layers whose row indexes are known to be there (:meth:`_ensure_row_indexes`).
        self._indexed: set[str] = set()
        #: Statements (and parts) made once as SQL text (:meth:`_statement`).
        self._statements: dict[tuple, str] = {}

    def __repr__(self) -> str:
        return f"PostGISStore({safe_url(self.url)!r}, schema={self.schema!r})"

    @property
    def capabilities(self) -> StoreCapabilities:
        """A database schema that cuts its own vector tiles and writes single records (:mod:`layers.contract`)."""
        return StoreCapabilities(database=self, tiles=self, rows=self, fields=self)

    @property
    def unaudited(self) -> PostGISStore:
        return self

    @property
    def label(self) -> str:
        """How messages name this park: ``schema@host/database``."""
        parts = urlsplit(self.url)
        return f"{self.schema}@{parts.hostname or 'localhost'}{parts.path or ''}"

    # -- connections -------------------------------------------------------------

    @staticmethod
    def _configure(conn) -> None:
        # Fixed output formats whatever the server's defaults: ISO dates, shortest exact floats.
        conn.execute("SET DateStyle = ISO, YMD; SET extra_float_digits = 1")
        conn.commit()

    def _get_pool(self):
        with self._pool_lock:
            if self._pool is None:
                import psycopg
                from psycopg_pool import ConnectionPool

                try:  # one direct attempt first, so an unreachable server fails at once and says why
                    psycopg.connect(self.url, connect_timeout=10).close()
                except psycopg.Error as exc:
                    msg = f"cannot connect to PostgreSQL at {safe_url(self.url)}: {str(exc).strip()}"
                    raise ParkStoreError(msg) from exc
                self._pool = ConnectionPool(
                    self.url, min_size=1, max_size=self.pool_size, open=True, timeout=30,
                    configure=self._configure, check=ConnectionPool.check_connection, name=f"parkatlas-{self.schema}",
                )
            return self._pool

    @contextmanager
    def connection(self) -> Iterator:
        """A connection in a transaction that commits on success and rolls back on error.

        Pooled; in the thread holding :meth:`write_lock`, the lock's own connection (a change's reads, its write
        and its version checks then take no connection from the pool, nor the pool's check of it, each).
        """
        import psycopg

        lent = self._writer.lend() if self._writer is not None else None
        try:
            with lent if lent is not None else self._get_pool().connection() as conn:
                yield conn
        except psycopg.OperationalError as exc:
            msg = f"{self.label}: database error ({str(exc).strip()})"
            raise ParkStoreError(msg) from exc

    def close(self) -> None:
        """Close the pooled connections (the store can be used again afterwards)."""
        with self._pool_lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None
            if self._arrow:
                self._arrow.close()

    def __enter__(self) -> PostGISStore:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- reading -----------------------------------------------------------------

    def _tables(self, conn, schema: str | None = None) -> set[str]:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema or self.schema,)
        ).fetchall()
        return {row[0] for row in rows}

    def exists(self) -> bool:
        """Whether the schema holds a ParkAtlas park."""
        with self.connection() as conn:
            return META_TABLE in self._tables(conn)

    def _require(self, conn) -> set[str]:
        tables = self._tables(conn)
        if META_TABLE not in tables:
            schema_there = conn.execute(
                "SELECT 1 FROM pg_namespace WHERE nspname = %s", (self.schema,)
            ).fetchone()
            if schema_there:
                msg = f"{self.label}: not a ParkAtlas park (schema has no {META_TABLE} table)"
            else:
                msg = (
                    f"{self.label}: no park in this database; copy one in with "
                    f"'flask --app app copy-park PARK.gpkg {safe_url(self.url)}'"
                )
            raise ParkStoreError(msg)
        return tables

    def layer_names(self) -> list[str]:
        """Names of the park's layers and tables present (with the metadata table, as in a GeoPackage)."""
        with self.connection() as conn:
            tables = self._require(conn)
        return [name for name in (*REGISTRY, META_TABLE) if name in tables]

    def read_meta(self) -> dict[str, object]:
        """The park's metadata: name, working CRS, schema version, reference date, …"""
        with self.connection() as conn:
            return self._read_meta(conn)

    def _read_meta(self, conn) -> dict[str, object]:
        from psycopg import sql

        self._require(conn)
        rows = conn.execute(
            sql.SQL("SELECT key, value FROM {}.{} ORDER BY key").format(_identifier(self.schema), _identifier(META_TABLE))
        ).fetchall()
        try:
            return {str(key): json.loads(value) for key, value in rows}
        except json.JSONDecodeError as exc:
            msg = f"{self.label}: the park metadata cannot be read ({exc})"
            raise ParkStoreError(msg) from exc

    def working_crs(self) -> CRS:
        """The park's projected working CRS, as recorded in its metadata (its EPSG code read alone: every change
        asks)."""
        import psycopg

        with self.connection() as conn:
            try:  # one round trip when the metadata is there; the checks only when it is not
                with conn.transaction():
                    epsg = self._epsg(conn)
            except psycopg.errors.UndefinedTable:
                self._require(conn)
                raise
        return CRS.from_epsg(epsg)

    def version(self) -> str:
        """An opaque token that changes with every save (park identity and change counter)."""
        import psycopg
        from psycopg import sql

        query = sql.SQL("SELECT park_uuid, change_counter FROM {}.{}").format(
            _identifier(self.schema), _identifier(STATE_TABLE))
        with self.connection() as conn:
            try:  # one round trip on the hot path (every page and tile asks); the checks only when it fails
                with conn.transaction():
                    row = conn.execute(query).fetchone()
            except psycopg.errors.UndefinedTable:
                self._require(conn)
                raise
        return f"{row[0]}.{row[1]}"

    def load(self, name: str, *, bbox: tuple[float, float, float, float] | None = None) -> pd.DataFrame:
        """Read and validate one layer; an absent layer loads as an empty, typed frame.

        Parameters
        ----------
        name
            Layer name from the registry.
        bbox
            Optional (minx, miny, maxx, maxy) in the park's working CRS: features whose
            geometry intersects the box (uses the GiST index).
        """
        return self._load(name, bbox=bbox)

    def _load(self, name: str, *, bbox: tuple[float, float, float, float] | None = None,
              where: tuple | None = None) -> pd.DataFrame:
        """Layer ``name`` (its rows in ``bbox`` and matching ``where``, see :meth:`_read_table`), typed as
        :meth:`load` types it: cast when trusted, validated otherwise; empty and typed when absent."""
        spec = get_layer(name)
        with self.connection() as conn:
            # One snapshot for the stamp and the rows: an edit committed in between cannot slip in trusted.
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            tables = self._require(conn)
            epsg = self._epsg(conn)
            if name not in tables:
                if name in self._missing(conn, tables):
                    raise ParkStoreError(self.missing_layer_message(name))
                return empty_frame(spec, CRS.from_epsg(epsg))
            trusted = self._trusted(conn, name, tables)
            raw = self._read_snapshot(conn, spec, epsg, bbox, where)
        return self._typed(spec, raw, trusted, epsg)

    def _typed(self, spec: LayerSpec, raw: pd.DataFrame, trusted: bool, epsg: int) -> pd.DataFrame:
        """Rows of layer ``spec`` as read (:meth:`_read_table`), typed as :meth:`load` types them."""
        # A column dropped or renamed outside the store fires no trigger: a layer short of a field is validated.
        if trusted and set(spec.field_names) <= set(raw.columns):
            # Rows as read are numbered 0…n-1 (:func:`_rows_frame`): in declared form, nothing to cast, no copy.
            return raw if in_declared_form(raw, spec) else cast_layer(raw, spec)
        return checked_frame(spec.name, raw, CRS.from_epsg(epsg), source=f"{self.label}:{spec.name}")

    def _load_few(self, name: str, where: tuple) -> pd.DataFrame:
        """:meth:`_load` of the few rows matching ``where`` (a record's, its events'), in two statements of one
        snapshot: the layer's state (:meth:`_layer_state`), then its rows through psycopg (:meth:`_read_few`).

        The general :meth:`_load` answers (with its checks and messages) when the park lacks its metadata or
        trust table, or the layer its table.
        """
        import psycopg

        spec = get_layer(name)
        try:
            with self.connection() as conn:
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                state = self._layer_state(conn, name)
                if state is not None:
                    raw = self._read_few(conn, spec, state, where)
        except psycopg.errors.UndefinedTable:
            state = None
        if state is None:
            return self._load(name, where=where)
        return self._typed(spec, raw, state.trusted, state.epsg)

    def _layer_state(self, conn, name: str) -> _LayerState | None:
        """What reading layer ``name`` needs to know, in one statement: the working EPSG code, whether the layer
        is trusted (as :meth:`_trusted`), its columns (as :meth:`_columns`); None when the metadata has no EPSG
        code or the layer no table. Raises ``UndefinedTable`` when the park lacks its metadata or trust table."""
        row = conn.execute(self._sql(
            "SELECT (SELECT value FROM {}.{} WHERE key = 'working_epsg'), "
            "(SELECT t.edits = t.validated_edits FROM {}.{} AS t WHERE t.layer = %(layer)s AND EXISTS ("
            "SELECT 1 FROM pg_trigger WHERE tgrelid = c.oid AND tgname = %(trigger)s AND tgenabled <> 'D')), "
            "ARRAY(SELECT a.attname FROM pg_attribute AS a WHERE a.attrelid = c.oid AND a.attnum > 0 "
            "AND NOT a.attisdropped ORDER BY a.attnum), "
            "ARRAY(SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute AS a WHERE a.attrelid = c.oid "
            "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) "
            "FROM pg_class AS c WHERE c.oid = to_regclass(quote_ident(%(schema)s) || '.' || quote_ident(%(layer)s)) "
            "AND c.relkind IN ('r', 'p')", self.schema, META_TABLE, self.schema, TRUST_TABLE),
            {"layer": name, "schema": self.schema, "trigger": EDIT_TRIGGER}).fetchone()
        if row is None or row[0] is None:
            return None
        return _LayerState(int(json.loads(row[0])), bool(row[1]), dict(zip(row[2], row[3], strict=True)))

    def _read_few(self, conn, spec: LayerSpec, state: _LayerState, where: tuple) -> pd.DataFrame:
        """:meth:`_read_snapshot`'s frame of the rows matching ``where``, fetched through psycopg in binary (the
        values the ADBC driver gets, geometry as the same EWKB) into the same Arrow types: a few rows cost a
        statement, not the driver's snapshot import. More than :data:`FEW_ROWS_MAX` rows, or a column not of its
        registry type, are read by :meth:`_read_snapshot` in the same snapshot."""
        from psycopg import sql

        select = self._select(conn, spec, state.epsg, None, where, None, present=state.columns)
        if not select.types or not _registry_typed(state.columns, select.types, spec):
            return self._read_snapshot(conn, spec, state.epsg, None, where)
        limited = sql.SQL("{} LIMIT {}").format(select.query, sql.Literal(FEW_ROWS_MAX + 1))
        with conn.cursor(binary=True) as cur:
            rows = cur.execute(limited, select.params or None).fetchall()
        if len(rows) > FEW_ROWS_MAX:
            return self._read_snapshot(conn, spec, state.epsg, None, where)
        values = list(zip(*rows, strict=True)) if rows else [()] * len(select.types)
        table = pa.table([pa.array(column, type=kind) for column, kind in zip(values, select.types.values(),
                                                                               strict=True)],
                         names=list(select.types))
        return _rows_frame(table, select.geometry, state.epsg)

    def load_fields(self, name: str, fields: Sequence[str]) -> pd.DataFrame | None:
        """Fields ``fields`` of every row of ``name`` (``fid`` order), typed, without geometry, when the layer is
        trusted and has them all (one snapshot for the stamp and the rows); else None: load the layer."""
        spec = get_layer(name)
        fields = declared_fields(spec, fields)
        with self.connection() as conn:
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            tables = self._require(conn)
            if name not in tables or not self._trusted(conn, name, tables):
                return None
            raw = self._read_snapshot(conn, spec, self._epsg(conn), None, only=fields)
        return cast_fields(raw, spec, fields) if set(fields) <= set(raw.columns) else None

    def extent(self, name: str, *, where: Mapping[str, str | None] | None = None
               ) -> tuple[float, float, float, float] | None:
        """The box (``ST_Extent``) of the rows of ``name`` matching ``where``; None when none does."""
        from psycopg import sql

        spec = get_layer(name)
        where = where or {}
        terms = [sql.SQL("{} IS NULL").format(_identifier(n)) if where[n] is None
                 else sql.SQL("{} = %s").format(_identifier(n)) for n in declared_fields(spec, list(where))]
        if spec.geometry is None:
            return None
        with self.connection() as conn:
            if name not in self._require(conn):
                return None
            query = sql.SQL("SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM "
                            "(SELECT ST_Extent(geometry) AS b FROM {}.{}{}) AS e").format(
                _identifier(self.schema), _identifier(name),
                sql.SQL(" WHERE ") + sql.SQL(" AND ").join(terms) if terms else sql.SQL(""))
            box = conn.execute(query, [where[n] for n in where if where[n] is not None]).fetchone()
        return None if box is None or box[0] is None else tuple(float(v) for v in box)

    def missing_layers(self) -> list[str]:
        """Registry layers the store stamped (``parkatlas_trust``) whose table was dropped outside it."""
        with self.connection() as conn:
            return self._missing(conn, self._require(conn))

    def _missing(self, conn, tables: set[str]) -> list[str]:
        if TRUST_TABLE not in tables:
            return []
        stamped = {row[0] for row in conn.execute(self._sql("SELECT layer FROM {}.{}", self.schema, TRUST_TABLE))}
        return [name for name in REGISTRY if name in stamped and name not in tables]

    def missing_layer_message(self, name: str) -> str:
        return missing_layer_message(self.label, name)

    def is_trusted(self, name: str) -> bool:
        """Whether layer ``name`` loads without value checks (stamped by the store, unchanged since)."""
        with self.connection() as conn:
            return self._trusted(conn, name, self._require(conn))

    def _edits(self, conn, name: str, tables: set[str], *, for_update: bool = False) -> tuple[int, int] | None:
        """(edits counted, edits stamped as validated) of layer ``name``; None when it has no live trigger.

        ``for_update`` locks the layer's trust row until the transaction ends: an outside edit
        committed meanwhile waits to be counted until after a re-stamp (:meth:`save_rows`).
        """
        if TRUST_TABLE not in tables or name not in tables:
            return None
        return self._trust_rows(conn, [name], for_update=for_update).get(name)

    def _trust_rows(self, conn, names: Sequence[str], *, for_update: bool = False) -> dict[str, tuple[int, int]]:
        """:meth:`_edits` of several layers in one statement; a layer without a live trigger (or table) is left out."""
        lock = " FOR UPDATE OF t" if for_update else ""
        rows = conn.execute(self._sql(
            "SELECT t.layer, t.edits, t.validated_edits FROM {}.{} AS t WHERE t.layer = ANY(%s) AND EXISTS ("
            "SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass(quote_ident(%s) || '.' || quote_ident(t.layer)) "
            "AND tgname = %s AND tgenabled <> 'D')" + lock, self.schema, TRUST_TABLE),
            (list(names), self.schema, EDIT_TRIGGER)).fetchall()
        return {row[0]: (int(row[1]), int(row[2])) for row in rows}

    def _trusted(self, conn, name: str, tables: set[str]) -> bool:
        edits = self._edits(conn, name, tables)
        return edits is not None and edits[0] == edits[1]

    def _columns(self, conn, table: str) -> dict[str, str]:
        """Column → declared type (``format_type``: ``text``, ``geometry(Polygon,4547)``…) of ``table``, in order.

        From the catalogue directly: ``information_schema`` views cost milliseconds, and
        single-record writes ask on every save.
        """
        return self._columns_of(conn, [table]).get(table, {})

    def _columns_of(self, conn, tables: Sequence[str]) -> dict[str, dict[str, str]]:
        """:meth:`_columns` of several tables in one statement (absent ones left out)."""
        rows = conn.execute(
            "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute AS a "
            "JOIN pg_class AS c ON c.oid = a.attrelid JOIN pg_namespace AS n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relname = ANY(%s) AND c.relkind IN ('r', 'p') AND a.attnum > 0 "
            "AND NOT a.attisdropped ORDER BY c.relname, a.attnum", (self.schema, list(tables)),
        ).fetchall()
        columns: dict[str, dict[str, str]] = {}
        for table, column, declared in rows:
            columns.setdefault(table, {})[column] = declared
        return columns

    def _epsg(self, conn) -> int:
        """The park's working EPSG code, read alone (the whole metadata is larger)."""
        row = conn.execute(self._sql("SELECT value FROM {}.{} WHERE key = 'working_epsg'", self.schema, META_TABLE)
                           ).fetchone()
        if row is None:
            return int(self._read_meta(conn)["working_epsg"])  # raises the metadata's own error
        return int(json.loads(row[0]))

    def _select(self, conn, spec: LayerSpec, epsg: int, bbox, where: tuple | None, only: Sequence[str] | None, *,
                present: Mapping[str, str] | None = None) -> _Select:
        """The ``SELECT`` of :meth:`_read_table`'s rows, and the Arrow type of each of its columns (``present``:
        the table's columns when already read, :meth:`_columns`)."""
        from psycopg import sql

        present = set(self._columns(conn, spec.name) if present is None else present)
        # Fields added to the registry after the table was written load as empty (validation fills them).
        fields = [f for f in spec.fields if f.name in present and (only is None or f.name in only)]
        geometry = spec.geometry is not None and only is None
        types = {f.name: ARROW_TYPES[f.kind] for f in fields}
        if geometry:
            types["geometry"] = pa.binary()
        conditions, params = [], []
        if bbox is not None and spec.geometry is not None:
            conditions.append(sql.SQL("ST_Intersects(geometry, ST_MakeEnvelope(%s, %s, %s, %s, %s))"))
            params += [*map(float, bbox), epsg]
        if where is not None:
            conditions.append(sql.SQL("({})").format(where[0]))
            params += list(where[1])
        filtered = sql.SQL(" WHERE {}").format(sql.SQL(" AND ").join(conditions)) if conditions else sql.SQL("")
        selected = self._statement(conn, ("select", spec.name, *types), lambda: sql.SQL("SELECT {} FROM {}.{}").format(
            sql.SQL(", ").join(map(_identifier, types)), _identifier(self.schema), _identifier(spec.name)))
        return _Select(sql.SQL("{}{} ORDER BY fid").format(selected, filtered), params, types, geometry)

    def _statement(self, conn, key: tuple, compose) -> object:
        """``compose()`` (a ``psycopg.sql`` statement or part of one) as SQL text, composed once per ``key`` and
        store: the ~40 quoted columns of a wide layer cost ~0.3 ms to compose, on every read and write of an edit."""
        from psycopg import sql

        text = self._statements.get(key)
        if text is None:
            text = self._statements[key] = compose().as_string(conn)
        return sql.SQL(text)

    def _read_table(self, conn, spec: LayerSpec, epsg: int, bbox, where: tuple | None = None, *,
                    only: Sequence[str] | None = None) -> pd.DataFrame:
        """The rows of layer ``spec`` as stored (in ``fid`` order), typed by Arrow, not validated.

        ``bbox`` keeps the features intersecting it; ``where`` is ``(condition, params)``, a
        ``psycopg.sql`` condition the rows must also meet; ``only``: just these fields, without geometry.
        Read through psycopg's COPY as CSV: the rows as ``conn``'s transaction sees them, its own writes
        included (:meth:`_read_snapshot` reads faster what a read-only transaction sees).
        """
        return self._read_csv(conn, self._select(conn, spec, epsg, bbox, where, only), epsg)

    def _read_csv(self, conn, select: _Select, epsg: int) -> pd.DataFrame:
        """The rows of ``select`` through psycopg's ``COPY … TO STDOUT (FORMAT csv)``, parsed by Arrow."""
        from psycopg import sql

        buffer = io.BytesIO()
        query = sql.SQL("COPY ({}) TO STDOUT WITH (FORMAT csv)").format(select.query)
        with conn.cursor() as cur, cur.copy(query, select.params or None) as copy:
            for chunk in copy:
                buffer.write(chunk)
        buffer.seek(0)
        # Geometry comes as hex EWKB text in CSV.
        types = {name: pa.string() if name == "geometry" else kind for name, kind in select.types.items()}
        if not buffer.getbuffer().nbytes:  # Arrow refuses an empty CSV; no rows is a valid answer
            table = pa.table({name: pa.array([], type=kind) for name, kind in types.items()})
        else:
            table = self._parse_csv(buffer, list(types), types)
        return _rows_frame(table, select.geometry, epsg)

    def _read_snapshot(self, conn, spec: LayerSpec, epsg: int, bbox, where: tuple | None = None, *,
                       only: Sequence[str] | None = None) -> pd.DataFrame:
        """:meth:`_read_table`'s frame, read into Arrow by the ADBC driver (no Python per row) in the snapshot of
        ``conn``'s open REPEATABLE READ transaction; through :meth:`_read_csv` when the driver is absent,
        fails, or a column is not of its registry type (the CSV parse then converts or refuses it as before)."""
        import psycopg

        reader = self._arrow_reader(conn)
        select = self._select(conn, spec, epsg, bbox, where, only)
        if reader is None or not select.types:
            return self._read_csv(conn, select, epsg)
        from adbc_driver_manager import Error as DriverError

        try:
            table = reader.read(conn, psycopg.ClientCursor(conn).mogrify(select.query, select.params or None))
        except DriverError as exc:
            log.warning("%s: Arrow read of %s failed, reading through COPY: %s", self.label, spec.name, exc)
            return self._read_csv(conn, select, epsg)
        columns = [plain_column(column) for column in table.columns]
        if [column.type for column in columns] != list(select.types.values()):
            return self._read_csv(conn, select, epsg)
        return _rows_frame(pa.table(columns, names=list(select.types)), select.geometry, epsg)

    def _arrow_reader(self, conn) -> ArrowReader | None:
        """This store's :class:`layers.postgis_arrow.ArrowReader`; None without the driver or on a hot standby."""
        with self._pool_lock:
            if self._arrow is None:
                usable = driver_available() and not conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]
                self._arrow = ArrowReader(self.url, self.pool_size) if usable else False
                if usable:  # a store dropped without close() closes its driver connections quietly
                    weakref.finalize(self, self._arrow.close)
            return self._arrow or None

    @staticmethod
    def _parse_csv(buffer: io.BytesIO, names: list[str], types: dict[str, pa.DataType]) -> pa.Table:
        return pacsv.read_csv(
            buffer,
            read_options=pacsv.ReadOptions(column_names=names, autogenerate_column_names=False),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            # Only an unquoted empty field is NULL in PostgreSQL's CSV; 'NA' or 'null' are text.
            convert_options=pacsv.ConvertOptions(
                column_types=types, null_values=[""], strings_can_be_null=True,
                quoted_strings_can_be_null=False, true_values=["t"], false_values=["f"],
            ),
        )

    def count(self, name: str) -> int:
        """Number of records of layer ``name`` (0 when absent), without loading it."""
        get_layer(name)
        with self.connection() as conn:
            if name not in self._require(conn):
                return 0
            return int(conn.execute(self._sql("SELECT count(*) FROM {}.{}", self.schema, name)).fetchone()[0])

    def mvt_tile(
        self, name: str, z: int, x: int, y: int, *, columns: list[str], extent: int = 4096, buffer: int = 64,
        area_column: str | None = None, m2_per_area_unit: float = 1.0, layer_column: str | None = None,
    ) -> bytes:
        """Mapbox Vector Tile (z, x, y) of layer ``name`` made by PostGIS (``ST_AsMVT``); empty bytes when none.

        One layer of :func:`layers.postgis_tiles.mvt_tiles` (which makes several in one
        statement); the arguments are those of :class:`layers.postgis_tiles.LayerRequest`.
        """
        from layers.postgis_tiles import LayerRequest, mvt_tiles

        request = LayerRequest(name, tuple(columns), area_column, m2_per_area_unit, layer_column)
        return mvt_tiles(self, [request], z, x, y, extent=extent, buffer=buffer)[name]

    def load_all(self) -> dict[str, pd.DataFrame]:
        """Every registered layer, validated (absent ones empty)."""
        return {name: self.load(name) for name in REGISTRY}

    # -- single records (layers.contract.RowStore) ---------------------------------

    def read_rows(self, name: str, ids: Sequence[str], *, id_prefixes: Sequence[str] = ()) -> pd.DataFrame:
        """The records of layer ``name`` whose id is in ``ids`` or starts with one of ``id_prefixes``.

        Typed as :meth:`load` types them (cast when the layer is trusted, validated
        otherwise), in stored order; an empty typed frame when none is there or the layer
        is absent. Uses the id's unique index and its prefix index.
        """
        from psycopg import sql

        spec = get_layer(name)
        ids, id_prefixes = [str(i) for i in ids], [str(p) for p in id_prefixes]
        column = _identifier(spec.id_field)
        conditions = [sql.SQL("{} = ANY(%s::text[])").format(column)] if ids else []
        conditions += [sql.SQL("{} LIKE %s").format(column)] * len(id_prefixes)
        if not conditions:
            return self._load(name, where=(sql.SQL("false"), []))
        self._ensure_row_indexes(name)
        params = ([ids] if ids else []) + [_like_prefix(prefix) for prefix in id_prefixes]
        return self._load_few(name, (sql.SQL(" OR ").join(conditions), params))

    def ids_present(self, name: str, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` layer ``name`` holds (retired records included: ids stay taken)."""
        spec = get_layer(name)
        ids = [str(i) for i in ids]
        with self.connection() as conn:
            if not ids or name not in self._require(conn):
                return set()
            rows = conn.execute(self._sql("SELECT {} FROM {}.{} WHERE {} = ANY(%s)", spec.id_field, self.schema,
                                          name, spec.id_field), (ids,)).fetchall()
        return {row[0] for row in rows}

    def read_events(self, *, records: Sequence[tuple[str, str]] = (), change_ids: Sequence[str] = (),
                    undoes: Sequence[str] = ()) -> pd.DataFrame:
        """The audit events of any of the ``(layer, record_id)`` pairs, of any of ``change_ids``, or undoing any
        of ``undoes``; typed as ``load("audit_events")``, in log (``seq``) order."""
        from psycopg import sql

        by_layer: dict[str, list[str]] = {}
        for layer, record_id in records:
            by_layer.setdefault(str(layer), []).append(str(record_id))
        conditions = [sql.SQL("(layer = %s AND record_id = ANY(%s::text[]))")] * len(by_layer)
        params: list = [value for layer, record_ids in by_layer.items() for value in (layer, record_ids)]
        for column, values in (("change_id", change_ids), ("undoes", undoes)):
            if len(values):
                conditions.append(sql.SQL("{} = ANY(%s::text[])").format(_identifier(column)))
                params.append([str(value) for value in values])
        if not conditions:
            return self._load(AUDIT_LAYER, where=(sql.SQL("false"), []))
        self._ensure_row_indexes(AUDIT_LAYER)
        events = self._load_few(AUDIT_LAYER, (sql.SQL(" OR ").join(conditions), params))
        # Stored order is log order unless the log was rewritten whole in another order: sorted when it is not.
        seqs = events["seq"].tolist()
        if all(type(a) is int and type(b) is int and a < b for a, b in zip(seqs, seqs[1:])):
            return events  # (numbered 0…n-1 as read)
        return events.sort_values("seq", kind="stable").reset_index(drop=True)

    def count_live(self, name: str) -> int:
        """How many records of ``name`` are held now (not retired); 0 for a layer the park lacks."""
        with self.connection() as conn:
            if name not in self._tables(conn):
                return 0
            return int(conn.execute(self._sql("SELECT count(*) FROM {}.{} WHERE retired_on IS NULL", self.schema,
                                              name)).fetchone()[0])

    def next_seq(self) -> int:
        """The log position the next event takes (1 for an empty log); the seq index makes it O(log n)."""
        import psycopg

        with self.connection() as conn:
            try:  # one round trip when the log is there; the checks only when it is not
                with conn.transaction():
                    last = conn.execute(self._sql("SELECT max(seq) FROM {}.{}", self.schema, AUDIT_LAYER)
                                        ).fetchone()[0]
            except psycopg.errors.UndefinedTable:
                self._require(conn)
                return 1
        return 1 if last is None else int(last) + 1

    def save_rows(self, updated: Mapping[str, pd.DataFrame], created: Mapping[str, pd.DataFrame],
                  events: pd.DataFrame) -> None:
        """In one transaction: UPDATE the records of ``updated[name]`` (by id; every registry field and the
        geometry), INSERT those of ``created[name]`` and the audit ``events``, and count a new version.

        Every frame is validated by the caller. A layer trusted before stays trusted (its
        trust row is locked first and re-stamped after our own writes); one that was not
        stays not. A layer first given records here is created. Raises
        :class:`ParkStoreError` naming the layer and ids when an updated record is not
        there or an inserted id (or event) is taken; nothing is written then.
        """
        updates = {name: frame for name, frame in updated.items() if len(frame)}
        inserts = {name: frame for name, frame in created.items() if len(frame)}
        if len(events):
            inserts[AUDIT_LAYER] = pd.concat([inserts[AUDIT_LAYER], events]) if AUDIT_LAYER in inserts else events
        if not updates and not inserts:
            return
        with self.connection() as conn:
            tables = self._require(conn)
            epsg = self._epsg(conn)
            self._lock(conn)  # queue behind whole-layer saves, which swap tables
            if TRUST_TABLE not in tables:
                self._create_trust(conn, self.schema)  # a park of layout 1 (not migrated yet)
                tables = tables | {TRUST_TABLE}
            touched = list(dict.fromkeys([*updates, *inserts]))
            for name in touched:
                if name not in tables and name in self._missing(conn, tables):
                    raise ParkStoreError(self.missing_layer_message(name))
                if name not in tables and name in updates:
                    ids = ", ".join(map(str, updates[name][get_layer(name).id_field]))
                    raise ParkStoreError(f"{self.label}:{name}: the layer is absent, records {ids} cannot be updated")
            present = [name for name in touched if name in tables]
            # Trust rows locked before our first write, and all layers' columns, in a statement each.
            edits = self._trust_rows(conn, present, for_update=True)
            trusted = {name: name in edits and edits[name][0] == edits[name][1] for name in present}
            columns = self._columns_of(conn, present)
            for name in present:
                self._ensure_row_indexes(name, conn)
                frames = [frame for frame in (updates.get(name), inserts.get(name)) if frame is not None]
                self._fit_rows(conn, get_layer(name), pd.concat(frames) if len(frames) > 1 else frames[0],
                               columns.get(name, {}), epsg)
            for name, frame in updates.items():
                self._update_rows(conn, get_layer(name), frame, epsg)
            created_layers = []
            for name, frame in inserts.items():
                if name in tables:
                    self._append_rows(conn, get_layer(name), frame, epsg)
                else:
                    self._write_layer(conn, self.schema, get_layer(name), frame, epsg)
                    self._stamp(conn, self.schema, self.schema, name)
                    created_layers.append(name)
            if created_layers:
                self._write_styles(conn, created_layers)
            # Our own writes of validated records were counted by the trigger: those layers are as validated.
            # With the version in one statement (one round trip less on every edit).
            conn.execute(self._sql("WITH restamp AS (UPDATE {}.{} SET validated_edits = edits WHERE layer = ANY(%s)) "
                                   "UPDATE {}.{} SET change_counter = change_counter + 1", self.schema, TRUST_TABLE,
                                   self.schema, STATE_TABLE), ([name for name, was in trusted.items() if was],))
        self._indexed.update(trusted)  # committed: the row indexes made above are there

    def _update_rows(self, conn, spec: LayerSpec, frame: pd.DataFrame, epsg: int) -> None:
        """UPDATE the stored records of ``frame`` by id, every field and the geometry (pipelined statements)."""
        from psycopg import sql

        values = _python_columns(frame, spec, epsg)
        columns = [name for name in values if name != spec.id_field]
        query = self._statement(conn, ("update", spec.name, *columns), lambda: sql.SQL(
            "UPDATE {}.{} SET {} WHERE {} = %s").format(
            _identifier(self.schema), _identifier(spec.name),
            sql.SQL(", ").join(sql.SQL("{} = %s").format(_identifier(column)) for column in columns),
            _identifier(spec.id_field)))
        ids = values[spec.id_field]
        rows = list(zip(*(values[column] for column in columns), ids, strict=True))
        with conn.cursor() as cur:
            cur.executemany(query, rows)
            matched = cur.rowcount
        if matched != len(rows):
            present = {row[0] for row in conn.execute(self._sql(
                "SELECT {} FROM {}.{} WHERE {} = ANY(%s)", spec.id_field, self.schema, spec.name, spec.id_field),
                (ids,)).fetchall()}
            absent = ", ".join(str(i) for i in ids if i not in present)
            msg = f"{self.label}:{spec.name}: records not in the layer, nothing saved: {absent}"
            raise ParkStoreError(msg)

    def _fit_rows(self, conn, spec: LayerSpec, frame: pd.DataFrame, present: Mapping[str, str], epsg: int) -> None:
        """Make layer ``spec``'s table (its ``present`` columns, :meth:`_columns`) take ``frame``'s records in
        place: columns of fields declared since it was written, and a generic geometry column when their geometry
        type is not the declared one."""
        from psycopg import sql

        if not set(spec.field_names) <= set(present):
            self._add_missing_columns(conn, spec)
        if not _geometry_fits(present, spec, frame):
            # Rewrites the table once (O(layer)); a mixed single/multi layer is declared so anyway.
            conn.execute(sql.SQL("ALTER TABLE {}.{} ALTER COLUMN geometry TYPE geometry(Geometry, {})").format(
                _identifier(self.schema), _identifier(spec.name), sql.Literal(epsg)))

    def _ensure_row_indexes(self, name: str, conn=None) -> None:
        """Create the row indexes of a table written before they were (once per layer and store object).

        In ``conn``'s transaction when given (a writer's, which records the layer once it
        commits), else in one of its own under the park's lock; a role that may not create
        them is logged and reads on without.
        """
        import psycopg

        if name in self._indexed:
            return
        if conn is not None:  # known to be there once the caller's transaction commits (it records so)
            self._create_row_indexes(conn, self.schema, get_layer(name), missing_only=True)
            return
        try:
            with self.connection() as own:
                if name not in self._tables(own):
                    return
                self._lock(own)
                self._create_row_indexes(own, self.schema, get_layer(name), missing_only=True)
        except psycopg.Error as exc:
            log.warning("%s:%s: row indexes not created (%s)", self.label, name, str(exc).strip())
        self._indexed.add(name)

    # -- writing -----------------------------------------------------------------

    def _lock(self, conn) -> None:
        # Writers to one park queue up; readers are never blocked until the final swap.
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"parkatlas:{self.schema}",))

    def _ensure_postgis(self, conn) -> None:
        if conn.execute("SELECT to_regtype('geometry')").fetchone()[0] is not None:
            return
        try:
            with conn.transaction():
                conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        except Exception as exc:
            msg = (
                f"{self.label}: PostGIS is not installed in this database and cannot be created here "
                f"({str(exc).strip()}); ask its administrator to run 'CREATE EXTENSION postgis'"
            )
            raise ParkStoreError(msg) from exc

    def save_park(self, frames: Mapping[str, pd.DataFrame], meta: Mapping[str, object]) -> None:
        """Write a whole park into the schema, replacing what was there, in one transaction.

        Every frame is validated first; nothing is written unless all pass. ``meta``
        must name ``working_epsg``; spatial layers must be in that CRS. A schema that
        exists but is not a ParkAtlas park is refused rather than overwritten.
        """
        full_meta = park_meta(meta)
        crs = CRS.from_epsg(int(full_meta["working_epsg"]))
        typed = {name: checked_frame(name, frame, crs, source=f"{self.label}:{name}") for name, frame in frames.items()}
        staging = self.schema + _STAGING_SUFFIX
        with self.connection() as conn:
            self._ensure_postgis(conn)
            self._lock(conn)
            tables = self._tables(conn)
            if tables and META_TABLE not in tables:
                msg = (
                    f"{self.label}: schema {self.schema!r} holds tables but no ParkAtlas park; "
                    "choose another schema (?schema=NAME in the URL) instead of overwriting it"
                )
                raise ParkStoreError(msg)
            counter = self._counter(conn) if tables else 0
            conn.execute(self._sql("DROP SCHEMA IF EXISTS {} CASCADE", staging))
            conn.execute(self._sql("CREATE SCHEMA {}", staging))
            self._create_park_tables(conn, staging, full_meta, counter + 1)
            for name, frame in typed.items():
                self._write_layer(conn, staging, get_layer(name), frame, crs.to_epsg())
                self._stamp(conn, staging, staging, name)
            if SAVED_MAPPINGS in tables:  # the park's saved import mappings are not layers: they stay
                conn.execute(self._sql("CREATE TABLE {}.{} (LIKE {}.{} INCLUDING ALL)", staging, SAVED_MAPPINGS,
                                       self.schema, SAVED_MAPPINGS))
                conn.execute(self._sql("INSERT INTO {}.{} SELECT * FROM {}.{}", staging, SAVED_MAPPINGS,
                                       self.schema, SAVED_MAPPINGS))
            conn.execute(self._sql("DROP SCHEMA IF EXISTS {} CASCADE", self.schema))
            conn.execute(self._sql("ALTER SCHEMA {} RENAME TO {}", staging, self.schema))
            self._write_styles(conn, list(typed), replace_all=True)

    def save(self, name: str, frame: pd.DataFrame) -> None:
        """Replace one layer in one transaction; readers see the old table until it commits."""
        self.save_layers({name: frame})

    def save_layers(self, frames: Mapping[str, pd.DataFrame], *, append: tuple[str, ...] = (),
                    checked: bool = False) -> None:
        """Replace several layers (or append rows to those named in ``append``) in one transaction.

        Every frame is validated first (``checked=True``: the caller has just run
        ``checked_frame`` on each); nothing is written unless all pass, and either
        all the changes are in the park afterwards or none is. Replaced tables are
        built in the staging schema and swapped in at the end; appended rows are
        copied into the existing table (rebuilt instead when their geometry type
        does not fit its column).
        """
        staging = self.schema + _STAGING_SUFFIX
        with self.connection() as conn:
            tables = self._require(conn)
            crs = CRS.from_epsg(int(self._read_meta(conn)["working_epsg"]))
            epsg = crs.to_epsg()
            typed = dict(frames) if checked else {
                name: checked_frame(name, frame, crs, source=f"{self.label}:{name}") for name, frame in frames.items()}
            self._lock(conn)
            if TRUST_TABLE not in tables:
                self._create_trust(conn, self.schema)  # a park of layout 1 (not migrated yet)
                tables = tables | {TRUST_TABLE}
            conn.execute(self._sql("DROP SCHEMA IF EXISTS {} CASCADE", staging))
            conn.execute(self._sql("CREATE SCHEMA {}", staging))
            for name, frame in typed.items():
                spec = get_layer(name)
                if name in append and name in tables:
                    if self._fits(conn, spec, frame):
                        # Appended rows are validated, the rows there only if they were: keep their trust.
                        trusted = self._trusted(conn, name, tables)
                        self._append_rows(conn, spec, frame, epsg)
                        if trusted:
                            self._stamp(conn, self.schema, self.schema, name)
                        continue
                    frame = pd.concat([self._read_table(conn, spec, epsg, None), frame], ignore_index=True)
                    frame = checked_frame(name, frame, crs, source=f"{self.label}:{name}")
                self._write_layer(conn, staging, spec, frame, epsg)
                self._stamp(conn, self.schema, staging, name)
                conn.execute(self._sql("DROP TABLE IF EXISTS {}.{}", self.schema, name))
                conn.execute(self._sql("ALTER TABLE {}.{} SET SCHEMA {}", staging, name, self.schema))
            conn.execute(self._sql("DROP SCHEMA {}", staging))
            self._write_styles(conn, list(typed))
            self._bump(conn)

    def _append_rows(self, conn, spec: LayerSpec, frame: pd.DataFrame, epsg: int) -> None:
        """Add ``frame``'s records to the layer's table: by INSERT statements when few, else by COPY."""
        import psycopg

        try:  # no savepoint: the error ends the caller's transaction, which rolls back whole
            if len(frame) <= ROW_STATEMENTS_MAX:
                self._insert_rows(conn, spec, frame, epsg)
            else:
                self._copy_rows(conn, self.schema, spec, frame, epsg)
        except psycopg.errors.UniqueViolation as exc:
            detail = (exc.diag.message_detail or str(exc)).strip()
            msg = f"{self.label}:{spec.name}: appended rows refused, ids must be unique within the layer ({detail})"
            raise ParkStoreError(msg) from exc

    def _insert_rows(self, conn, spec: LayerSpec, frame: pd.DataFrame, epsg: int) -> None:
        """INSERT ``frame``'s records, as many a statement as its parameters allow (an edit's events in one: the
        layer's trigger fires once)."""
        from psycopg import sql

        values = _python_columns(frame, spec, epsg)
        rows = list(zip(*values.values(), strict=True))
        per_statement = max(1, STATEMENT_PARAMETERS_MAX // len(values))
        for start in range(0, len(rows), per_statement):
            chunk = rows[start:start + per_statement]
            into = self._statement(conn, ("insert", spec.name, *values), lambda: sql.SQL("INSERT INTO {}.{} ({})").format(
                _identifier(self.schema), _identifier(spec.name), sql.SQL(", ").join(map(_identifier, values))))
            row = "(" + ", ".join(["%s"] * len(values)) + ")"
            conn.execute(sql.SQL("{} VALUES {}").format(into, sql.SQL(", ".join([row] * len(chunk)))),
                         [value for record in chunk for value in record])

    def _fits(self, conn, spec: LayerSpec, frame: pd.DataFrame) -> bool:
        """Whether ``frame``'s rows can be copied into the existing table as it is declared."""
        present = self._columns(conn, spec.name)
        if not set(spec.field_names) <= set(present):
            return False  # a field declared since the table was written: rebuild it (or migrate first)
        return _geometry_fits(present, spec, frame)

    def write_lock(self) -> _AdvisoryLock:
        """The park's writer lock: re-entrant in this process, exclusive across processes.

        Hold it across read–check–save to make a change atomic (``layers.audit.commit``
        does). It is a PostgreSQL session advisory lock on a connection of its own;
        saves take a different, transaction-level lock, so a holder can save.
        """
        with self._pool_lock:
            if self._writer is None:
                self._writer = _AdvisoryLock(self, f"parkatlas-writer:{self.schema}")
            return self._writer

    def drop(self) -> None:
        """Delete the park (its whole schema); refuses a schema that is not a ParkAtlas park."""
        with self.connection() as conn:
            self._require(conn)
            self._lock(conn)
            conn.execute(self._sql("DROP SCHEMA {} CASCADE", self.schema))
            self._write_styles(conn, [], replace_all=True)

    def migrate(self) -> bool:
        """Bring an existing park schema up to this version's layout; True when anything changed.

        Adds columns for fields declared in the registry since a table was written,
        GiST indexes that are missing, and the state table of layout 1; a park from before
        valid time (schema 1) gets ``valid_from``/``valid_to`` derived once from its
        records' own dates (:func:`layers.valid_time.derive_for_older_park`), in the same
        transaction, with a log line; records the current ``schema_version``. A schema
        without a park is left alone.
        """
        changed = False
        with self.connection() as conn:
            self._lock(conn)
            tables = self._tables(conn)
            if META_TABLE not in tables:
                return False
            if STATE_TABLE not in tables:
                self._create_state(conn, self.schema, 1)
                changed = True
            meta = self._read_meta(conn)
            before_valid_time = int(meta.get("schema_version", 0)) < VALID_TIME_SCHEMA
            derived = {}
            for name in tables & set(REGISTRY):
                spec = REGISTRY[name]
                trusted = self._trusted(conn, name, tables)
                changed = self._add_missing_columns(conn, spec) or changed
                # Indexes are not data: a park written before them gets them without a new version.
                self._create_row_indexes(conn, self.schema, spec, missing_only=True)
                if before_valid_time and has_valid_time(spec):
                    derived[name] = self._derive_valid_time(conn, spec, int(meta["working_epsg"]))
                    if trusted:  # our own update of values derived from validated ones: still validated
                        self._stamp(conn, self.schema, self.schema, name)
                    changed = True
                if spec.geometry is not None:
                    indexes = {row[0] for row in conn.execute(
                        "SELECT indexname FROM pg_indexes WHERE schemaname = %s AND tablename = %s", (self.schema, name)
                    ).fetchall()}
                    if f"{name}_geometry_gist" not in indexes:
                        conn.execute(self._sql("CREATE INDEX {} ON {}.{} USING gist (geometry)",
                                               f"{name}_geometry_gist", self.schema, name))
                        changed = True
                    if f"{name}_geometry_3857_gist" not in indexes:
                        self._create_tile_index(conn, self.schema, name)
                        changed = True
            if int(meta.get("schema_version", 0)) < SCHEMA_VERSION:
                self._write_meta(conn, self.schema, {**meta, "schema_version": SCHEMA_VERSION})
                changed = True
            if before_valid_time:
                log_migration(self.label, derived, [])
            layout = conn.execute(self._sql("SELECT layout_version FROM {}.{}", self.schema, STATE_TABLE)).fetchone()[0]
            if layout < 2 and TRUST_TABLE not in tables:
                # Layout 2: edit counting for trusted loads. The tables written before have no trigger
                # and load validated until the store next writes them.
                self._create_trust(conn, self.schema)
            if layout < LAYOUT_VERSION:
                # Later layouts add their steps here, in order, before the version is recorded.
                conn.execute(self._sql("UPDATE {}.{} SET layout_version = %s", self.schema, STATE_TABLE),
                             (LAYOUT_VERSION,))
                changed = True
            if changed:
                self._bump(conn)
            if not self._has_styles(conn):
                # Styles are not data: a park saved before they were written gets them without a new version.
                self._write_styles(conn, sorted(tables & set(REGISTRY)))
        return changed

    def _add_missing_columns(self, conn, spec: LayerSpec) -> bool:
        """Add the columns of fields declared since layer ``spec``'s table was written; whether any was."""
        from psycopg import sql

        present = set(self._columns(conn, spec.name))
        missing = [f for f in spec.fields if f.name not in present]
        for spec_field in missing:
            conn.execute(sql.SQL("ALTER TABLE {}.{} ADD COLUMN {} {}").format(
                _identifier(self.schema), _identifier(spec.name), _identifier(spec_field.name),
                sql.SQL(_PG_TYPES[spec_field.kind])))
        return bool(missing)

    def _write_styles(self, conn, names: list[str], *, replace_all: bool = False) -> None:
        """Put the QGIS styles of layers ``names`` into ``public.layer_styles`` (QGIS opens them styled).

        ``replace_all`` first removes every ParkAtlas style of this schema (a park written
        or dropped whole). A role that may not create or write that table gets the park
        saved without styles, and a warning in the log: styles are a convenience, the data
        is not to be refused for them.
        """
        import psycopg

        ours = list(layer_styles.STYLE_NAMES.values())
        try:
            with conn.transaction():
                conn.execute(layer_styles.POSTGIS_STYLE_TABLE_SQL)
                if replace_all:
                    conn.execute(layer_styles.POSTGIS_DELETE_SQL, (self.schema, None, None, ours))
                for name in names:
                    spec = get_layer(name)
                    conn.execute(layer_styles.POSTGIS_DELETE_SQL, (self.schema, name, name, ours))
                    rows = layer_styles.style_rows(spec, self._style_frame(conn, spec),
                                                   "geometry" if spec.geometry else None)
                    with conn.cursor() as cur:
                        cur.executemany(layer_styles.POSTGIS_INSERT_SQL,
                                        layer_styles.postgis_insert_params(rows, self.schema))
        except psycopg.errors.InsufficientPrivilege as exc:
            log.warning("%s: QGIS styles not saved, the role may not write %s.%s (%s)", self.label,
                        layer_styles.POSTGIS_STYLE_SCHEMA, layer_styles.STYLE_TABLE, str(exc).strip())

    def _has_styles(self, conn) -> bool:
        """Whether ``public.layer_styles`` holds ParkAtlas styles of this park."""
        table = f"{layer_styles.POSTGIS_STYLE_SCHEMA}.{layer_styles.STYLE_TABLE}"
        if conn.execute("SELECT to_regclass(%s)", (table,)).fetchone()[0] is None:
            return False
        return conn.execute(
            f"SELECT EXISTS (SELECT 1 FROM {table} WHERE f_table_catalog = current_database() "
            "AND f_table_schema = %s AND stylename = ANY(%s))",
            (self.schema, list(layer_styles.STYLE_NAMES.values()))).fetchone()[0]

    def _style_frame(self, conn, spec: LayerSpec) -> pd.DataFrame | None:
        """The distinct values of the columns ``spec``'s style depends on (the land-use classes present)."""
        from psycopg import sql

        columns = layer_styles.style_columns(spec)
        if not columns:
            return None
        rows = conn.execute(sql.SQL("SELECT DISTINCT {} FROM {}.{}").format(
            sql.SQL(", ").join(map(_identifier, columns)), _identifier(self.schema), _identifier(spec.name))).fetchall()
        return pd.DataFrame(rows, columns=columns, dtype=object)

    def _derive_valid_time(self, conn, spec: LayerSpec, epsg: int) -> pd.DataFrame:
        """Fill ``valid_from``/``valid_to`` of layer ``spec`` from its records' own dates (the migration).

        Returns the layer as derived (for the log line). The rows that gain a date are
        copied into a temporary table and updated in one statement.
        """
        frame = self._read_table(conn, spec, epsg, None)
        derived = derive_for_older_park(frame, spec, today=dt.date.today())
        gained = ((derived["valid_from"].notna() & frame["valid_from"].isna())
                  | (derived["valid_to"].notna() & frame["valid_to"].isna())).to_numpy()
        if not gained.any():
            return derived
        rows = derived.loc[gained, [spec.id_field, "valid_from", "valid_to"]]
        table = pa.table({"id": pa.array(rows[spec.id_field], type=pa.string(), from_pandas=True),
                          "valid_from": arrow_column(rows["valid_from"], "date"),
                          "valid_to": arrow_column(rows["valid_to"], "date")})
        conn.execute("CREATE TEMPORARY TABLE parkatlas_valid_time (id text PRIMARY KEY, valid_from date, "
                     "valid_to date) ON COMMIT DROP")
        buffer = io.BytesIO()
        pacsv.write_csv(table, buffer, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
        with conn.cursor() as cur, cur.copy("COPY parkatlas_valid_time FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(buffer.getbuffer())
        conn.execute(self._sql("UPDATE {}.{} AS t SET valid_from = v.valid_from, valid_to = v.valid_to "
                               "FROM parkatlas_valid_time AS v WHERE t.{} = v.id", self.schema, spec.name,
                               spec.id_field))
        conn.execute("DROP TABLE parkatlas_valid_time")
        return derived

    # -- SQL helpers ---------------------------------------------------------------

    @staticmethod
    def _sql(template: str, *names: str):
        from psycopg import sql

        return sql.SQL(template).format(*map(_identifier, names))

    def _counter(self, conn) -> int:
        if STATE_TABLE not in self._tables(conn):
            return 0
        row = conn.execute(self._sql("SELECT change_counter FROM {}.{}", self.schema, STATE_TABLE)).fetchone()
        return int(row[0]) if row else 0

    def _bump(self, conn) -> None:
        conn.execute(self._sql("UPDATE {}.{} SET change_counter = change_counter + 1", self.schema, STATE_TABLE))

    def _create_state(self, conn, schema: str, counter: int) -> None:
        conn.execute(self._sql(
            "CREATE TABLE {}.{} (singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton), "
            "park_uuid uuid NOT NULL, change_counter bigint NOT NULL, layout_version integer NOT NULL)",
            schema, STATE_TABLE))
        conn.execute(self._sql("INSERT INTO {}.{} (park_uuid, change_counter, layout_version) VALUES (%s, %s, %s)",
                               schema, STATE_TABLE), (uuid.uuid4(), counter, LAYOUT_VERSION))

    def _write_meta(self, conn, schema: str, meta: Mapping[str, object]) -> None:
        conn.execute(self._sql("DELETE FROM {}.{}", schema, META_TABLE))
        with conn.cursor() as cur:
            cur.executemany(
                self._sql("INSERT INTO {}.{} (key, value) VALUES (%s, %s)", schema, META_TABLE),
                [(key, json.dumps(meta[key], ensure_ascii=False)) for key in sorted(meta)],
            )

    def _create_park_tables(self, conn, schema: str, meta: Mapping[str, object], counter: int) -> None:
        conn.execute(self._sql("CREATE TABLE {}.{} (key text PRIMARY KEY, value text NOT NULL)", schema, META_TABLE))
        self._write_meta(conn, schema, meta)
        self._create_state(conn, schema, counter)
        self._create_trust(conn, schema)

    def _create_trust(self, conn, schema: str) -> None:
        """The trust table and the trigger function that counts edits of a layer table into it."""
        conn.execute(self._sql("CREATE TABLE IF NOT EXISTS {}.{} (layer text PRIMARY KEY, edits bigint NOT NULL, "
                               "validated_edits bigint NOT NULL)", schema, TRUST_TABLE))
        # Schema and table come from the trigger's own table, so the function keeps working when the
        # staging schema of a new park is renamed into place.
        conn.execute(self._sql(
            "CREATE OR REPLACE FUNCTION {}.{}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "EXECUTE format('UPDATE %I.parkatlas_trust SET edits = edits + 1 WHERE layer = %L', "
            "TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL; END $$", schema, EDIT_TRIGGER))

    def _stamp(self, conn, trust_schema: str, table_schema: str, name: str) -> None:
        """Stamp layer ``name`` (in ``table_schema``) as validated: its trigger on, its edit count recorded.

        ``trust_schema`` holds the trust table and the function, and is where the table will live.
        """
        conn.execute(self._sql("DROP TRIGGER IF EXISTS {} ON {}.{}", EDIT_TRIGGER, table_schema, name))
        conn.execute(self._sql(
            "CREATE TRIGGER {} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {}.{} "
            "FOR EACH STATEMENT EXECUTE FUNCTION {}.{}()",
            EDIT_TRIGGER, table_schema, name, trust_schema, EDIT_TRIGGER))
        conn.execute(self._sql(
            "INSERT INTO {}.{} (layer, edits, validated_edits) VALUES (%s, 0, 0) ON CONFLICT (layer) "
            "DO UPDATE SET validated_edits = {}.edits", trust_schema, TRUST_TABLE, TRUST_TABLE), (name,))

    def _write_layer(self, conn, schema: str, spec: LayerSpec, frame: pd.DataFrame, epsg: int) -> None:
        """Create ``schema.<layer>`` from the registry, fill it with COPY, index and analyse it."""
        from psycopg import sql

        columns = [sql.SQL("fid bigint GENERATED ALWAYS AS IDENTITY")]
        columns += [
            sql.SQL("{} {}{}").format(
                _identifier(f.name), sql.SQL(_PG_TYPES[f.kind]),
                sql.SQL(" NOT NULL") if f.name == spec.id_field else sql.SQL(""))
            for f in spec.fields
        ]
        if spec.geometry is not None:
            geometry_type = geometry_type_name(frame.geometry.to_numpy(), spec.geometry)
            geometry_type = "Geometry" if geometry_type == "Unknown" else geometry_type
            columns.append(sql.SQL("geometry geometry({}, {}) NOT NULL").format(sql.SQL(geometry_type), sql.Literal(epsg)))
        conn.execute(sql.SQL("CREATE TABLE {}.{} ({})").format(
            _identifier(schema), _identifier(spec.name), sql.SQL(", ").join(columns)))
        self._comment(conn, schema, spec)
        self._copy_rows(conn, schema, spec, frame, epsg, freeze=True)
        # Keys are built once over the loaded rows: sorting them all is cheaper than a row-by-row index insert.
        conn.execute(self._sql("ALTER TABLE {}.{} ADD PRIMARY KEY (fid), ADD UNIQUE ({})",
                               schema, spec.name, spec.id_field))
        self._create_row_indexes(conn, schema, spec)
        if spec.geometry is not None:
            conn.execute(self._sql("CREATE INDEX {} ON {}.{} USING gist (geometry)",
                                   f"{spec.name}_geometry_gist", schema, spec.name))
            self._create_tile_index(conn, schema, spec.name)
        conn.execute(self._sql("ANALYZE {}.{}", schema, spec.name))

    def _copy_rows(self, conn, schema: str, spec: LayerSpec, frame: pd.DataFrame, epsg: int, *,
                   freeze: bool = False) -> None:
        """Append ``frame`` (validated) to ``schema.<layer>`` through COPY, as Arrow-written CSV.

        ``freeze=True`` for a table created in this transaction: rows are written frozen,
        sparing the later rewrite of every page to set hint bits (and a vacuum).
        """
        from psycopg import sql

        table = self._rows_table(frame, spec, epsg)
        names = table.column_names
        copy_sql = sql.SQL("COPY {}.{} ({}) FROM STDIN WITH (FORMAT csv{})").format(
            _identifier(schema), _identifier(spec.name), sql.SQL(", ").join(map(_identifier, names)),
            sql.SQL(", FREEZE") if freeze else sql.SQL(""))
        # Arrow quotes every text value and leaves NULLs as bare empty fields: PostgreSQL's CSV convention.
        options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
        with conn.cursor() as cur, cur.copy(copy_sql) as copy:
            for batch in table.to_batches(max_chunksize=COPY_BATCH_ROWS):
                buffer = io.BytesIO()
                pacsv.write_csv(batch, buffer, options)
                copy.write(buffer.getbuffer())

    @staticmethod
    def _rows_table(frame: pd.DataFrame, spec: LayerSpec, epsg: int) -> pa.Table:
        """``frame`` (validated) as Arrow columns the way the server reads them: geometry as hex EWKB text."""
        table = frame_to_arrow(frame, spec)
        if spec.geometry is not None:
            geoms = shapely.set_srid(frame.geometry.to_numpy(), epsg)
            hex_ewkb = shapely.to_wkb(geoms, hex=True, flavor="extended", include_srid=True)
            table = table.set_column(table.schema.get_field_index("geometry"), "geometry",
                                     pa.array(hex_ewkb, type=pa.string()))
        return table

    def _create_row_indexes(self, conn, schema: str, spec: LayerSpec, *, missing_only: bool = False) -> None:
        """The indexes that make reads and writes of single records O(log n) (:func:`row_indexes`).

        ``missing_only``: those the table lacks (looked up first, so a table that has them all
        is not locked by ``CREATE INDEX``).
        """
        from psycopg import sql

        indexes = row_indexes(spec)
        if missing_only:
            present = {row[0] for row in conn.execute(
                "SELECT indexname FROM pg_indexes WHERE schemaname = %s AND tablename = %s", (schema, spec.name))}
            indexes = {index: columns for index, columns in indexes.items() if index not in present}
        for index, columns in indexes.items():
            conn.execute(sql.SQL("CREATE INDEX {}{} ON {}.{} ({})").format(
                sql.SQL("IF NOT EXISTS ") if missing_only else sql.SQL(""), _identifier(index),
                _identifier(schema), _identifier(spec.name),
                sql.SQL(", ").join(sql.SQL("{} {}").format(_identifier(column), sql.SQL(opclass))
                                   for column, opclass in columns)))

    def _create_tile_index(self, conn, schema: str, table: str) -> None:
        # Tiles select by Web Mercator envelope: an index on the transformed geometry avoids
        # transforming tile envelopes into the working CRS, which fails far outside its zone.
        conn.execute(self._sql("CREATE INDEX {} ON {}.{} USING gist (ST_Transform(geometry, 3857))",
                               f"{table}_geometry_3857_gist", schema, table))

    def _comment(self, conn, schema: str, spec: LayerSpec) -> None:
        """Labels and units as comments, so QGIS and psql users see what a column means."""
        from psycopg import sql

        statements = [sql.SQL("COMMENT ON TABLE {}.{} IS {}").format(
            _identifier(schema), _identifier(spec.name), sql.Literal(f"{spec.label_zh} {spec.label_en}"))]
        for f in spec.fields:
            unit = f" [{f.unit}]" if f.unit else ""
            statements.append(sql.SQL("COMMENT ON COLUMN {}.{}.{} IS {}").format(
                _identifier(schema), _identifier(spec.name), _identifier(f.name),
                sql.Literal(f"{f.label_zh} {f.label_en}{unit}")))
        conn.execute(sql.SQL("; ").join(statements))


def _geometry_fits(columns: Mapping[str, str], spec: LayerSpec, frame: pd.DataFrame) -> bool:
    """Whether ``frame``'s geometries fit the geometry column declared in ``columns`` (:meth:`PostGISStore._columns`)."""
    if spec.geometry is None or not len(frame):
        return True
    declared = _GEOMETRY_TYPMOD.match(columns.get("geometry", ""))
    wanted = geometry_type_name(frame.geometry.to_numpy(), spec.geometry).upper()
    return declared is not None and (declared.group(1) or "GEOMETRY").upper() in ("GEOMETRY", wanted)


def _python_columns(frame: pd.DataFrame, spec: LayerSpec, epsg: int) -> dict[str, list]:
    """``frame`` (validated) as column → Python values the driver sends: None for any missing value,
    dates as ``datetime.date``, geometry as hex EWKB with the park's SRID (as COPY gets it).

    For the few records of an edit much cheaper than Arrow tables: up to :data:`layers.gpkg_rows.FEW_ROWS`
    records every value converted at once (a column lookup costs ~25 µs, 40 of them a wide layer's record),
    more records one ``tolist`` per column.
    """
    names = list(spec.field_names)
    if len(frame) <= FEW_ROWS and frame.columns.is_unique and set(names) <= set(frame.columns):
        matrix = frame.to_numpy(dtype=object)[:, frame.columns.get_indexer(names)]
        columns = {f.name: [_python_value(value, f.kind) for value in matrix[:, j]] for j, f in enumerate(spec.fields)}
    else:
        columns = {f.name: [_python_value(value, f.kind) for value in frame[f.name].tolist()] for f in spec.fields}
    if spec.geometry is not None:
        geoms = shapely.set_srid(frame.geometry.to_numpy(), epsg)
        columns["geometry"] = shapely.to_wkb(geoms, hex=True, flavor="extended", include_srid=True).tolist()
    return columns


def _registry_typed(columns: Mapping[str, str], types: Mapping[str, pa.DataType], spec: LayerSpec) -> bool:
    """Whether the columns read (``types``, :class:`_Select`) are declared in ``columns`` (:meth:`PostGISStore._columns`)
    as the store creates them: each field of its registry type, the geometry a ``geometry`` column."""
    kinds = {f.name: f.kind for f in spec.fields}
    return all(_GEOMETRY_TYPMOD.match(columns.get(name, "")) if name == "geometry"
               else columns.get(name) == _PG_TYPES[kinds[name]] for name in types)


def _python_value(value, kind: str):
    """One value of a validated frame as psycopg sends it: None when missing, a date as ``datetime.date``."""
    if pd.isna(value):
        return None
    return pd.Timestamp(value).date() if kind == "date" else value


class _LayerState(NamedTuple):
    """A layer as :meth:`PostGISStore._layer_state` finds it: the park's EPSG code, whether the layer is trusted,
    its columns (name → declared type)."""

    epsg: int
    trusted: bool
    columns: dict[str, str]


class _Select(NamedTuple):
    """A layer read (:meth:`PostGISStore._select`): the query, its parameters, column → Arrow type."""

    query: object
    params: list
    types: dict[str, pa.DataType]
    geometry: bool


def _rows_frame(table: pa.Table, geometry: bool, epsg: int) -> pd.DataFrame:
    """Rows read as Arrow, as pandas (Arrow-backed text, nullable integers and booleans); with ``geometry``, a
    GeoDataFrame whose geometry is parsed from the last column's EWKB (hex text or bytes)."""
    if not geometry:
        return table.to_pandas(types_mapper=_PANDAS_TYPES.get, date_as_object=False)
    ewkb = table.column("geometry").to_numpy(zero_copy_only=False)
    frame = table.drop_columns(["geometry"]).to_pandas(types_mapper=_PANDAS_TYPES.get, date_as_object=False)
    return geo_frame(frame, shapely.from_wkb(ewkb), CRS.from_epsg(epsg))


def _like_prefix(prefix: str) -> str:
    """A LIKE pattern matching the texts that start with ``prefix`` (its ``%``, ``_`` and ``\\`` taken literally)."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


class _AdvisoryLock:
    """A re-entrant writer lock: a thread lock in this process plus a PostgreSQL session advisory lock."""

    def __init__(self, store: PostGISStore, key: str):
        self.store = store
        self.key = key
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._conn = None
        #: The thread holding the lock (its ident), and whether its connection is in a transaction lent out.
        self._owner: int | None = None
        self._lent = False

    def __enter__(self) -> _AdvisoryLock:
        self._thread_lock.acquire()
        if self._depth == 0:
            try:
                pool = self.store._get_pool()
                self._conn = pool.getconn()
                self._conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (self.key,))
                self._conn.commit()
            except BaseException:
                if self._conn is not None:
                    pool.putconn(self._conn)
                    self._conn = None
                self._thread_lock.release()
                raise
            self._owner = threading.get_ident()
        self._depth += 1
        return self

    def __exit__(self, *exc_info) -> None:
        self._depth -= 1
        if self._depth == 0 and self._conn is not None:
            self._owner = None
            try:
                self._conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (self.key,))
                self._conn.commit()
            finally:
                self.store._get_pool().putconn(self._conn)
                self._conn = None
        self._thread_lock.release()

    def lend(self) -> AbstractContextManager | None:
        """The lock's connection in a transaction of its own, for the thread holding the lock (its reads and
        writes need no connection of the pool); None in any other thread, and while it is lent already (a
        transaction begun inside another takes a pooled connection, as it always did)."""
        if self._owner != threading.get_ident() or self._lent:
            return None
        return self._lent_transaction()

    @contextmanager
    def _lent_transaction(self) -> Iterator:
        """The lock's connection in a transaction that commits on success and rolls back on error (as a pooled
        connection's does); the session, and so the lock, stays."""
        self._lent = True
        try:
            yield self._conn
        except BaseException:
            try:
                self._conn.rollback()
            except Exception as exc:  # a broken connection: the error that broke it is the one to raise
                log.warning("%s: rollback failed (%s)", self.store.label, str(exc).strip())
            raise
        else:
            self._conn.commit()
        finally:
            self._lent = False
