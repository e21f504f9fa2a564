"""Park-wide results that outlive the process: one small SQLite file of JSON values per park.

The overview's figures of a large park take seconds to minutes to compute (13 s at 10⁵
parcels, ~96 s at 10⁶) and were kept in memory only, so every restart computed them
again. The park service files them here (``service.park``) and reads them back where it
would otherwise compute them, so a restart with unchanged data, rules and code serves
them at once.

Like the tile cache (``layers.tile_cache``) the file lies beside the GeoPackage
(``park.gpkg.results.sqlite``) or, for a PostGIS park, in the instance folder; several
processes share it (WAL mode, writers serialised by SQLite).

Keys
----
A row is found only under its exact key: the kind of result, the store version, the
rules version, the day judged and :func:`code_digest` (the source of the code that
computes it, so an upgrade never serves the figures of the old code). Only the
:data:`KEYS_KEPT` most recently written rows are kept.

Values
------
JSON only, never pickle: the file sits beside the user's data, and reading a crafted
file must execute nothing. :func:`encode` writes dicts with text keys, lists, text,
``None``, booleans, integers and finite floats as JSON does (floats by their shortest
exact form), and tags what JSON has no word for (``{"$tuple": […]}``, ``{"$date":
"2026-06-30"}``, ``{"$float": "nan"}``); a value holding anything else (a numpy number,
say) raises :class:`NotStorable` and is not filed. :func:`decode` gives back equal
values of the same types. Whatever cannot be read — a damaged file, a row that does not
decode, another layout — is a miss: the caller computes, and the next write makes a
damaged file anew (a file named ``*.sqlite`` only) and drops another layout's rows.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
import math
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

from layers._sql import immediate
from layers.tile_cache import default_cache_path

log = logging.getLogger(__name__)

#: Layout of the file; a file of another layout has its rows dropped.
RESULTS_LAYOUT = "1"
#: Seconds a writer waits for another process's write (each is one row of a few KB: milliseconds); short, as a
#: write happens after computing figures in a request, which must not wait long for a cache.
BUSY_TIMEOUT_S = 2
#: Rows kept: the park's day under the current data and rules, a few other days asked (``?as_of=``) and the
#: versions just before (a restart serves the newest; older ones only tell of data since changed).
KEYS_KEPT = 8
#: The ending of a cache file's name: a damaged file is made anew only when it has it (the default names have;
#: another file a wrong setting points at is never removed).
CACHE_SUFFIX = ".sqlite"
#: The tag of each value JSON has no word for.
_TUPLE, _DATE, _FLOAT = "$tuple", "$date", "$float"
_SPECIAL_FLOATS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cache_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, value TEXT NOT NULL, written REAL NOT NULL);
"""


class NotStorable(ValueError):
    """A value :func:`encode` cannot write so that :func:`decode` gives it back exactly."""


class NotDecodable(ValueError):
    """Text that is not a value :func:`encode` wrote."""


class NotOurs(sqlite3.DatabaseError):
    """A database at the cache's path that is not a results cache: never written to."""


def _plain(value: object) -> object:
    """``value`` as plain JSON data (tags for tuples, dates and non-finite floats)."""
    kind = type(value)  # exact types: a subclass (an int enum, a numpy float) would come back as its base
    if value is None or kind in (str, bool, int):
        return value
    if kind is float:
        return value if math.isfinite(value) else {_FLOAT: repr(value)}
    if kind is dt.date:
        return {_DATE: value.isoformat()}
    if kind is list:
        return [_plain(item) for item in value]
    if kind is tuple:
        return {_TUPLE: [_plain(item) for item in value]}
    if kind is dict:
        if not all(type(key) is str and not key.startswith("$") for key in value):
            raise NotStorable("dict keys must be text not starting with '$'")
        return {key: _plain(item) for key, item in value.items()}
    raise NotStorable(f"cannot store a {kind.__module__}.{kind.__qualname__}")


def encode(value: object) -> str:
    """``value`` as JSON text (:class:`NotStorable` when it holds a type :func:`decode` would not give back)."""
    return json.dumps(_plain(value), ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _tagged(value: dict) -> object:
    """The value a tagged object stands for (:class:`NotDecodable` for any other object with a ``$`` key)."""
    tag, inner = next(iter(value.items())) if len(value) == 1 else (None, None)
    if tag == _TUPLE and type(inner) is list:
        return tuple(_restored(item) for item in inner)
    if tag == _DATE and type(inner) is str:
        try:
            return dt.date.fromisoformat(inner)
        except ValueError:
            pass
    if tag == _FLOAT and inner in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[inner]
    raise NotDecodable(f"not a value of this cache: {str(value)[:80]}")


def _restored(value: object) -> object:
    if type(value) is list:
        return [_restored(item) for item in value]
    if type(value) is dict:
        if any(key.startswith("$") for key in value):
            return _tagged(value)
        return {key: _restored(item) for key, item in value.items()}
    return value


def _refuse_constant(name: str) -> float:
    raise NotDecodable(f"{name} is not JSON")


def decode(text: str) -> object:
    """The value :func:`encode` wrote as ``text`` (:class:`NotDecodable` for anything else)."""
    try:
        return _restored(json.loads(text, parse_constant=_refuse_constant))
    except (ValueError, TypeError, RecursionError) as exc:  # json's errors are ValueErrors
        raise NotDecodable(str(exc)[:200]) from None


@functools.cache
def code_digest(folders: tuple[Path, ...], patterns: tuple[str, ...] = ("*.py",)) -> str:
    """A digest of the files matching ``patterns`` below ``folders`` (their paths and bytes): what a stored result was
    computed by. Computed once per process (the source does not change under a running server)."""
    digest = hashlib.blake2b(digest_size=16)
    for folder in folders:
        files = sorted(path for pattern in patterns for path in Path(folder).rglob(pattern)
                       if "__pycache__" not in path.parts)
        for path in files:
            digest.update(str(path.relative_to(folder.parent)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def result_key(parts: Iterable[object]) -> str:
    """The text a result is filed under: its key parts (text, dates, numbers, ``None``) encoded."""
    return encode(list(parts))


class ResultsCacheFile:
    """The stored results of one park in the SQLite file ``path`` (created when first written).

    Every failure to read or write is logged and answered as a miss (:meth:`get` gives ``None``, :meth:`put`
    ``False``): a cache never breaks the page that uses it.
    """

    def __init__(self, path: str | Path, *, kept: int = KEYS_KEPT):
        self.path = Path(path)
        self.kept = kept

    def __repr__(self) -> str:
        return f"ResultsCacheFile({str(self.path)!r})"

    def _connect(self) -> sqlite3.Connection:
        # Autocommit: writes open their own immediate transaction (one writer at a time across processes).
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error:
            conn.close()
            raise
        return conn

    def get(self, key: str) -> object | None:
        """The value filed under exactly ``key``, else ``None`` (no file, no row, a row or file that cannot be
        read: then nothing is served and the caller computes)."""
        if not self.path.exists():
            return None
        try:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S)  # (it exists: nothing is created)
            try:
                layout = conn.execute("SELECT value FROM cache_meta WHERE key = 'layout'").fetchone()
                if layout is None or layout[0] != RESULTS_LAYOUT:
                    return None
                row = conn.execute("SELECT value FROM results WHERE key = ?", (key,)).fetchone()
            finally:
                conn.close()
            return None if row is None or type(row[0]) is not str else decode(row[0])
        except (sqlite3.Error, OSError, NotDecodable) as exc:
            log.warning("results cache %s: %s; computing instead", self.path, exc)
            return None

    def put(self, key: str, value: object) -> bool:
        """File ``value`` under ``key``, keeping the :attr:`kept` newest rows; whether it was written (a value that
        cannot be stored exactly, a read-only folder, a busy or damaged file: not, logged)."""
        try:
            text = encode(value)
        except NotStorable as exc:
            log.warning("results cache: %s; not stored", exc)
            return False
        for attempt in ("first", "anew"):
            try:
                self._write(key, text)
                return True
            except sqlite3.DatabaseError as exc:
                if attempt == "anew" or not self._damaged(exc) or self.path.suffix != CACHE_SUFFIX:
                    log.warning("results cache %s cannot be written (%s); results are kept in memory", self.path, exc)
                    return False
                log.warning("results cache %s is damaged (%s); making it anew", self.path, exc)
                if not self._remove():
                    return False
            except OSError as exc:
                log.warning("results cache %s cannot be written (%s); results are kept in memory", self.path, exc)
                return False
        return False

    def _write(self, key: str, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)  # (the instance folder of a PostGIS park, say)
        with immediate(self._connect()) as conn:
            self._prepare(conn)
            conn.execute("INSERT OR REPLACE INTO results (key, value, written) VALUES (?, ?, ?)",
                         (key, text, time.time()))
            # Newest by row id: a row replaced is inserted anew, with the highest id.
            conn.execute("DELETE FROM results WHERE rowid NOT IN "
                         "(SELECT rowid FROM results ORDER BY rowid DESC LIMIT ?)", (self.kept,))

    @staticmethod
    def _prepare(conn: sqlite3.Connection) -> None:
        """The tables, of this layout (another layout's rows are dropped: they may mean something else).

        A database holding tables but no ``cache_meta`` is not a cache (a setting pointing at the park, say): it is
        left alone (:class:`NotOurs`)."""
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if tables and "cache_meta" not in tables:
            raise NotOurs(f"it holds tables of another program ({', '.join(sorted(tables)[:3])}…)")
        conn.execute("CREATE TABLE IF NOT EXISTS cache_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        row = conn.execute("SELECT value FROM cache_meta WHERE key = 'layout'").fetchone()
        if row is None or row[0] != RESULTS_LAYOUT:
            conn.execute("DROP TABLE IF EXISTS results")
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute("INSERT OR REPLACE INTO cache_meta (key, value) VALUES ('layout', ?)", (RESULTS_LAYOUT,))

    @staticmethod
    def _damaged(exc: sqlite3.DatabaseError) -> bool:
        """Whether ``exc`` says the file is not a database or is damaged (then it is made anew), rather than busy,
        read-only or of a table another program made."""
        text = str(exc).lower()
        return "not a database" in text or "malformed" in text or "corrupt" in text

    def _remove(self) -> bool:
        """Remove the damaged file and its write-ahead log; whether it is gone."""
        try:
            for path in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm")):
                path.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("results cache %s cannot be removed (%s); results are kept in memory", self.path, exc)
            return False
        return True


def results_cache_for(store, configured: str | None, instance_path: str | Path) -> ResultsCacheFile | None:
    """The park's results cache: at ``configured`` (``"none"``: none, the results are kept in memory only), else
    beside the GeoPackage (``park.gpkg.results.sqlite``) or in ``instance_path`` for a PostGIS park."""
    if configured and str(configured).lower() == "none":
        return None
    return ResultsCacheFile(configured or default_cache_path(store, instance_path, "results"))


__all__ = ["BUSY_TIMEOUT_S", "KEYS_KEPT", "RESULTS_LAYOUT", "NotDecodable", "NotStorable", "ResultsCacheFile",
           "code_digest", "decode", "encode", "result_key", "results_cache_for"]
