"""What a source file is, told from its bytes, and the one reader that may open it.

Uploaded files are data, never instructions. Several formats GDAL opens are
instructions: an OGR VRT names other files and URLs, an SQLite database can
hold views over attached databases and virtual tables over other files, a
GeoJSON ``crs`` of type ``link`` or ``URL`` is fetched. So ParkAtlas imports
only the formats its import page lists (:data:`FORMATS`), and:

* :func:`identify` tells a file's format from its first bytes and structure,
  and refuses a file whose content is not what its name says (a VRT named
  ``.geojson``), or that is none of the formats;
* :func:`check_geopackage` opens a GeoPackage read-only with SQLite first and
  refuses one that is a plain SQLite database, holds virtual tables other than
  its spatial index, or views that read outside the file or call functions
  SQLite does not know; :func:`count_rows` bounds the rows a layer (a view
  above all) produces before anything is read;
* :func:`check_geojson_crs` refuses ``crs`` members GDAL would fetch;
* :func:`gdal_view` hands GDAL the file under a plain name in a private folder,
  with its one driver named where GDAL takes a prefix, so no file name is read
  as a path instruction (``!``, ``;``, ``/vsi…``, ``zip://``).

GDAL itself only has the four drivers ParkAtlas uses (:mod:`layers.gdal_guard`).
"""

from __future__ import annotations

import codecs
import json
import os
import re
import sqlite3
import struct
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from layers.io.encoding import utf16_parity
from layers.io.gtxt import looks_like_gtxt
from layers.io.source_error import SourceError

SQLITE_MAGIC = b"SQLite format 3\x00"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
#: Big-endian file code at the start of a ``.shp`` and ``.shx``.
SHP_FILE_CODE = 9994
#: dBASE version bytes GDAL and ArcGIS write (III, III with memo, FoxPro, Visual FoxPro, dBASE IV/7).
DBF_VERSIONS = frozenset({0x02, 0x03, 0x04, 0x05, 0x30, 0x31, 0x43, 0x63, 0x83, 0x8B, 0x8E, 0xCB, 0xF5, 0xFB})
#: GeoPackage ``application_id`` values (1.2+ 'GPKG', 1.0 'GP10', 1.1 'GP11').
GPKG_APPLICATION_IDS = frozenset({0x47504B47, 0x47503130, 0x47503131})
#: Bytes read to identify a file.
_HEAD_BYTES = 4096


@dataclass(frozen=True)
class SourceFormat:
    """A format ParkAtlas imports: its name, file endings, and the reader allowed to open it.

    ``driver`` is the one GDAL driver for it (None: ParkAtlas's own reader);
    ``prefix`` is GDAL's connection prefix that restricts opening to that
    driver, where the driver has one.
    """

    key: str
    label: str
    noun: str
    suffixes: tuple[str, ...]
    driver: str | None = None
    prefix: str = ""


FORMATS: dict[str, SourceFormat] = {f.key: f for f in (
    SourceFormat("shapefile", "Shapefile", "a Shapefile", (".shp",), "ESRI Shapefile"),
    SourceFormat("dbf", "dBASE table", "a dBASE table", (".dbf",), "ESRI Shapefile"),
    SourceFormat("geopackage", "GeoPackage", "a GeoPackage", (".gpkg",), "GPKG", "GPKG:"),
    SourceFormat("geojson", "GeoJSON", "GeoJSON", (".geojson", ".json"), "GeoJSON", "GeoJSON:"),
    SourceFormat("osm", "OSM PBF", "an OSM PBF extract", (".pbf",), "OSM"),
    SourceFormat("kml", "KML", "KML", (".kml",)),
    SourceFormat("kmz", "KMZ", "a KMZ", (".kmz",)),
    SourceFormat("dxf", "DXF", "a text DXF", (".dxf",)),
    SourceFormat("csv", "CSV", "CSV text", (".csv", ".txt")),
    SourceFormat("gtxt", "国土 TXT (界址点坐标)", "a 国土 boundary-coordinate TXT", (".txt",)),
    SourceFormat("xlsx", "XLSX", "an XLSX workbook", (".xlsx",)),
    SourceFormat("zip", "zip", "a zip archive", (".zip",)),
)}
#: What each format's content must be (see :func:`content_kind`).
_CONTENT = {"shapefile": "shapefile", "dbf": "dbf", "geopackage": "sqlite", "geojson": "json", "osm": "osm",
            "kml": "kml", "kmz": "zip", "dxf": "dxf", "csv": "text", "gtxt": "gtxt", "xlsx": "zip", "zip": "zip"}
#: How a content kind is described in a refusal.
_DESCRIBED = {
    "shapefile": "a Shapefile geometry file (.shp)",
    "dbf": "a dBASE table (.dbf)",
    "sqlite": "an SQLite database",
    "json": "JSON",
    "osm": "an OSM PBF extract",
    "kml": "KML",
    "zip": "a zip archive",
    "dxf": "a text DXF drawing",
    "dxf-binary": "a binary DXF drawing (save it from CAD as ASCII DXF)",
    "vrt": "an OGR virtual dataset (VRT): a list of other files and URLs for GDAL to open, not data",
    "xml": "an XML document that is not KML (GML, GPX, VRT and other XML formats are not imported)",
    "gtxt": "a 国土 boundary-coordinate TXT (界址点坐标交换格式; name it .txt)",
    "text": "plain text",
    "binary": "binary data of no format ParkAtlas imports",
    "empty": "empty",
}


def accepted_formats() -> str:
    """The accepted formats and their endings, for messages."""
    return ", ".join(f"{f.label} ({'/'.join(f.suffixes)})" for f in FORMATS.values())


def format_for_name(name: str) -> SourceFormat | None:
    """The format a file name promises (by its ending, any letter case), or None."""
    lower = name.lower()
    for fmt in FORMATS.values():
        if lower.endswith(fmt.suffixes):
            return fmt
    return None


def _text_head(head: bytes) -> bytes:
    """The first bytes as text would start: BOM and white space dropped, UTF-16 narrowed to ASCII."""
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if head.startswith(bom):
            return head[len(bom):].decode(codec, errors="replace").encode("ascii", errors="replace").lstrip()
    codec = utf16_parity(head)
    if codec is not None:  # UTF-16 without a byte-order mark
        return head.decode(codec, errors="replace").encode("ascii", errors="replace").lstrip()
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8):]
    return head.lstrip(b" \t\r\n")


def _is_dbf(head: bytes) -> bool:
    """A dBASE header: known version byte, a plausible date, header and record lengths."""
    if len(head) < 32 or head[0] not in DBF_VERSIONS:
        return False
    month, day = head[2], head[3]
    header_bytes, record_bytes = struct.unpack("<HH", head[8:12])
    return 1 <= month <= 12 and 1 <= day <= 31 and header_bytes >= 33 and record_bytes >= 1


def _is_osm_pbf(head: bytes) -> bool:
    """An OSM PBF starts with a 4-byte length and a BlobHeader whose type is 'OSMHeader'."""
    if len(head) < 16:
        return False
    length = struct.unpack(">I", head[:4])[0]
    return 0 < length < 64 * 1024 and head[4:15] == b"\x0a\x09OSMHeader"


_DXF_START = re.compile(rb"\A(?:\s*999\s*\r?\n[^\n]*\n)*\s*0\s*\r?\n\s*SECTION\s*\r?\n", re.IGNORECASE)


def _is_gtxt(head: bytes) -> bool:
    """A 国土 TXT: its [属性描述]/[地块坐标] section or a plot line ending in '@', in GBK, UTF-8 or UTF-16."""
    codecs_tried = ("utf-16",) if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else \
        ("utf-16-le", "utf-16-be") if b"\x00" in head else ("utf-8", "gb18030")
    return any(looks_like_gtxt(head.decode(codec, errors="ignore")) for codec in codecs_tried)


def content_kind(head: bytes) -> str:
    """What the first bytes of a file are (one of the keys of the refusal descriptions)."""
    if not head:
        return "empty"
    if head[:4] in ZIP_MAGICS:
        return "zip"
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if len(head) >= 100 and struct.unpack(">i", head[:4])[0] == SHP_FILE_CODE:
        return "shapefile"
    if _is_osm_pbf(head):
        return "osm"
    if head.startswith(b"AutoCAD Binary DXF"):
        return "dxf-binary"
    if _is_dbf(head):
        return "dbf"
    if _is_gtxt(head):  # before JSON: its first line is "[属性描述]"
        return "gtxt"
    text = _text_head(head)
    if text[:1] in (b"{", b"["):
        return "json"
    if text[:1] == b"<":
        lower = head.lower()
        if b"ogrvrtdatasource" in lower:
            return "vrt"
        return "kml" if b"<kml" in lower else "xml"
    if _DXF_START.match(text):
        return "dxf"
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) \
            and utf16_parity(head) is None:
        return "binary"
    return "text"


def sniff(path: Path) -> str:
    """:func:`content_kind` of the file at ``path``."""
    with open(path, "rb") as handle:
        return content_kind(handle.read(_HEAD_BYTES))


#: Files park offices often have that ParkAtlas does not read, and how to make one it reads (said after the refusal).
CONVERT_FIRST = {
    ".dwg": "a DWG drawing: save it as DXF in the CAD program (Save As → DXF) and import the DXF",
    ".xls": "an Excel 97–2003 workbook: save it as .xlsx (or .csv) and import that",
    ".et": "a WPS spreadsheet: save it as .xlsx (or .csv) and import that",
    ".mdb": "a personal geodatabase: export the layer to a Shapefile or a GeoPackage (ArcGIS, QGIS) and import that",
    ".gdb": "a file geodatabase: export the layer to a Shapefile or a GeoPackage (ArcGIS, QGIS) and import that",
    ".tab": "a MapInfo table: export it to a Shapefile or a GeoPackage (MapInfo, QGIS) and import that",
    ".mif": "a MapInfo interchange file: export it to a Shapefile or a GeoPackage (MapInfo, QGIS) and import that",
    ".ovobj": "an 奥维互动地图 object: export it from 奥维 as KML or KMZ and import that",
    ".ovjsn": "an 奥维互动地图 object: export it from 奥维 as KML or KMZ and import that",
    ".rar": "a RAR archive: unpack it, or pack its files as a zip, and import that",
    ".7z": "a 7-Zip archive: unpack it, or pack its files as a zip, and import that",
}


def identify(path: Path, *, name: str | None = None) -> SourceFormat:
    """The format of the file at ``path`` (named ``name``), checked against its content.

    Raises
    ------
    SourceError
        When the name promises no accepted format, or the content is not what
        the name promises (the message says what the content is).
    """
    name = name or path.name
    fmt = format_for_name(name)
    if fmt is None:
        msg = (f"{name}: ParkAtlas does not import this kind of file (its name ends in "
               f"{Path(name).suffix or 'nothing'!r}); accepted: {accepted_formats()}")
        hint = CONVERT_FIRST.get(Path(name).suffix.lower())
        raise SourceError(msg + (f"; {hint}" if hint else ""))
    with open(path, "rb") as handle:
        head = handle.read(_HEAD_BYTES)
    kind = content_kind(head)
    if kind == "gtxt" and fmt.key == "csv" and name.lower().endswith(".txt"):
        fmt = FORMATS["gtxt"]  # a .txt is CSV text unless its content is a 国土 TXT
    if kind != _CONTENT[fmt.key]:
        msg = f"{name} is not {fmt.noun}: its content is {_DESCRIBED[kind]} (first bytes {head[:8].hex() or 'none'})"
        if kind == "vrt":
            msg += "; such a file is never opened"
        raise SourceError(msg)
    return fmt


def refuse_virtual_path(text: str) -> None:
    """Refuse a source path that is a GDAL virtual path or a URL rather than a file on this computer."""
    lowered = str(text).strip().lower()
    # GDAL reads "/vsi…" prefixes and "<driver>:" connection strings; pyogrio turns "scheme://" into /vsi paths
    # ("http:/" is what pathlib leaves of "http://").
    if lowered.startswith("/vsi") or re.match(r"^[a-z][a-z0-9+.-]*:/", lowered) or lowered.startswith(("pg:", "gpkg:")):
        msg = (f"{text}: a GDAL virtual path or URL, not a file; ParkAtlas imports files on this computer "
               "(download or unpack the data first)")
        raise SourceError(msg)


# -- GeoPackage -------------------------------------------------------------------------------------

#: SQL functions a GeoPackage view may call that SQLite alone does not know: the GeoPackage
#: standard's and GDAL's geometry functions (they read only the row's own geometry blob). A view
#: calling anything else (``gdal_get_layer_pixel_value`` opens arbitrary files) is refused.
GEOPACKAGE_FUNCTIONS = {
    "st_minx": 1, "st_maxx": 1, "st_miny": 1, "st_maxy": 1, "st_isempty": 1, "st_geometrytype": 1,
    "st_srid": 1, "st_area": 1, "st_makevalid": 1, "st_transform": 2, "setsrid": 2,
    "st_envintersects": 5, "st_envelopesintersects": 5, "gpkg_isassignable": 2,
}
_VIRTUAL = re.compile(r"^\s*CREATE\s+VIRTUAL\s+TABLE\s+.*?\bUSING\s+\"?(\w+)", re.IGNORECASE | re.DOTALL)
_DENIED_FUNCTIONS = frozenset({"load_extension", "readfile", "writefile", "edit", "fts3_tokenizer"})


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _read_only(path: Path) -> sqlite3.Connection:
    """``path`` opened read-only and immutable (no journal, no lock, nothing written beside it)."""
    return sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1", uri=True)


def _guarded(conn: sqlite3.Connection, refused: list[str]) -> None:
    """Deny, and note, anything that reaches outside the file while SQL is compiled."""
    def authorizer(action, arg1, arg2, database, _source):
        if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
            refused.append(f"attaches the database {arg1!r}")
            return sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_READ and database not in (None, "main"):
            refused.append(f"reads {arg1!r} of the database {database!r}")
            return sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_FUNCTION and str(arg2).lower() in _DENIED_FUNCTIONS:
            refused.append(f"calls {arg2}()")
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK

    conn.set_authorizer(authorizer)
    for function, arity in GEOPACKAGE_FUNCTIONS.items():
        conn.create_function(function, arity, lambda *args: None, deterministic=True)


def check_geopackage(path: Path, *, view_rows: int, max_steps: int, name: str | None = None) -> None:
    """Refuse an SQLite file that is not a self-contained GeoPackage (see the module docstring).

    Every view is also counted (:func:`count_rows`, at most ``view_rows`` rows in
    ``max_steps`` SQLite steps) before GDAL sees the file: GDAL evaluates views
    when it merely lists the layers.
    """
    name = name or path.name
    try:
        with closing(_read_only(path)) as conn:
            application_id = conn.execute("PRAGMA application_id").fetchone()[0]
            objects = conn.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
            tables = {row[1] for row in objects if row[0] == "table"}
            if "gpkg_contents" not in tables or (application_id and application_id not in GPKG_APPLICATION_IDS):
                msg = (f"{name} is an SQLite database but not a GeoPackage (no gpkg_contents table or another "
                       "application id); ParkAtlas imports GeoPackages only")
                raise SourceError(msg)
            for kind, object_name, sql in objects:
                module = _VIRTUAL.match(sql or "")
                if kind == "table" and module and module.group(1).lower() != "rtree":
                    msg = (f"{name}: table {object_name!r} is a virtual table of module {module.group(1)!r}, whose "
                           "rows come from outside the file; refused (only R-tree spatial indexes are accepted)")
                    raise SourceError(msg)
            refused: list[str] = []
            _guarded(conn, refused)
            for kind, object_name, _sql in objects:
                if kind != "view":
                    continue
                try:
                    conn.execute(f"EXPLAIN SELECT * FROM {_quoted(object_name)}").fetchall()
                except sqlite3.DatabaseError as exc:
                    reason = "; ".join(refused) or str(exc)
                    msg = (f"{name}: view {object_name!r} {reason}; a view may read only this file's tables; "
                           "refused")
                    raise SourceError(msg) from None
    except sqlite3.DatabaseError as exc:
        msg = f"{name}: not a readable GeoPackage ({exc})"
        raise SourceError(msg) from None
    for kind, object_name, _sql in objects:
        if kind == "view":
            check_rows(path, object_name, at_most=view_rows, max_steps=max_steps, what="view", name=name)


def check_rows(path: Path, layer: str, *, at_most: int, max_steps: int, what: str, name: str,
               why: str | None = None) -> None:
    """Refuse ``layer`` when it has more than ``at_most`` rows or takes more than ``max_steps`` to count."""
    rows = count_rows(path, layer, at_most=at_most, max_steps=max_steps)
    if rows is None:
        msg = f"{name}: {what} {layer!r} takes too long to count (more than {max_steps:,} SQLite steps); refused"
        raise SourceError(msg)
    if rows > at_most:
        why = why or f"a view of a {path.stat().st_size:,}-byte file may compute at most {at_most:,} rows"
        msg = f"{name}: {what} {layer!r} has more than {at_most:,} rows; {why}"
        raise SourceError(msg)


def is_view(path: Path, layer: str) -> bool:
    """Whether ``layer`` of the GeoPackage at ``path`` is a view (its rows are computed, not stored)."""
    with closing(_read_only(path)) as conn:
        row = conn.execute("SELECT type FROM sqlite_master WHERE name = ?", (layer,)).fetchone()
    return row is not None and row[0] == "view"


def count_rows(path: Path, layer: str, *, at_most: int, max_steps: int) -> int | None:
    """Rows of ``layer``, counted up to ``at_most + 1``; None when counting takes more than ``max_steps``.

    ``max_steps`` bounds SQLite's virtual-machine steps (about 10⁷ a second), so a
    view that computes forever (a recursive one, a cross join) is stopped.
    """
    steps = [0]

    def progress() -> int:
        steps[0] += 1000
        return 1 if steps[0] > max_steps else 0

    refused: list[str] = []
    with closing(_read_only(path)) as conn:
        _guarded(conn, refused)
        conn.set_progress_handler(progress, 1000)
        try:
            return int(conn.execute(f"SELECT count(*) FROM (SELECT 1 FROM {_quoted(layer)} LIMIT ?)",
                                    (at_most + 1,)).fetchone()[0])
        except sqlite3.OperationalError as exc:
            if steps[0] > max_steps:
                return None
            msg = f"layer {layer!r} cannot be read ({'; '.join(refused) or exc})"
            raise SourceError(msg) from None


# -- GeoJSON ----------------------------------------------------------------------------------------

#: A ``crs`` member name however it is written: any letter case, letters as \\u escapes.
_CRS_KEY = re.compile(rb'"(?:c|\\u00[46]3)(?:r|\\u00[57]2)(?:s|\\u00[57]3)"\s*:\s*', re.IGNORECASE)
#: Bytes after a ``crs`` name in which its object must end (real ones are under 200 bytes).
_CRS_WINDOW = 64 * 1024
#: CRS types GDAL fetches over the network (``STARTS_WITH_CI`` in ``OGRGeoJSONReadSpatialReference``).
_FETCHED_CRS_TYPES = ("url", "link")


def check_geojson_crs(path: Path, *, name: str | None = None) -> None:
    """Refuse a GeoJSON whose ``crs`` members GDAL would fetch from a URL (types ``link``, ``URL``)."""
    name = name or path.name
    data = path.read_bytes()
    decoder = json.JSONDecoder(object_pairs_hook=list)
    for match in _CRS_KEY.finditer(data):
        window = data[match.end(): match.end() + _CRS_WINDOW]
        if not window.startswith(b"{"):
            continue  # a crs that is not an object (a property holding a code) is not read as one
        try:
            pairs, _ = decoder.raw_decode(window.decode("utf-8", errors="replace"))
        except ValueError:
            msg = f"{name}: a 'crs' member at byte {match.start():,} cannot be checked (longer than 64 KB or broken)"
            raise SourceError(msg) from None
        kinds = [str(value) for key, value in pairs if str(key).lower() == "type"]
        fetched = [kind for kind in kinds if kind.lower().startswith(_FETCHED_CRS_TYPES)]
        if fetched:
            msg = (f"{name}: its 'crs' (at byte {match.start():,}) is of type {fetched[0]!r}, which names a URL to "
                   "fetch; ParkAtlas fetches nothing. Give the CRS by name ({\"type\": \"name\", \"properties\": "
                   "{\"name\": \"EPSG:4490\"}}) or choose it on the import page")
            raise SourceError(msg)


# -- handing a file to GDAL -------------------------------------------------------------------------

#: Files GDAL reads beside a Shapefile or dBASE table.
SHAPEFILE_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qpj")


def _members(dataset: Path, fmt: SourceFormat) -> list[Path]:
    if fmt.key not in ("shapefile", "dbf"):
        return [dataset]
    return [p for p in dataset.parent.iterdir()
            if p.stem == dataset.stem and p.suffix.lower() in SHAPEFILE_SIDECARS and p.is_file()]


@contextmanager
def gdal_view(dataset: Path, fmt: SourceFormat) -> Iterator[str]:
    """The name under which GDAL opens ``dataset``: a link in a private folder, its driver's prefix first.

    The link's plain name (``source.shp``) keeps GDAL's and pyogrio's path parsing
    from reading anything in the user's file name (``!``, ``;``, ``?``, ``:``) as
    an instruction; only the dataset's own files are beside it.
    """
    if fmt.driver is None:
        msg = f"{fmt.label} is read by ParkAtlas itself, not GDAL"
        raise ValueError(msg)
    main_suffix = ".osm.pbf" if fmt.key == "osm" else fmt.suffixes[0] if fmt.key != "geojson" else ".geojson"
    with tempfile.TemporaryDirectory(prefix="parkatlas-gdal-") as folder:
        for member in _members(dataset, fmt):
            suffix = main_suffix if member == dataset else member.suffix.lower()
            os.symlink(member.resolve(), Path(folder) / ("source" + suffix))
        yield fmt.prefix + str(Path(folder) / ("source" + main_suffix))


__all__ = [
    "FORMATS",
    "SourceFormat",
    "accepted_formats",
    "check_geojson_crs",
    "check_geopackage",
    "check_rows",
    "content_kind",
    "count_rows",
    "format_for_name",
    "gdal_view",
    "identify",
    "is_view",
    "refuse_virtual_path",
    "sniff",
]
