"""Reading a staged source into a raw frame: pyogrio + Arrow in bulk, fiona record by record when that fails.

Bulk reads go through pyogrio with Arrow (20–60× faster than record-by-record
reading). When a damaged file makes the bulk read fail (a record whose text
does not decode, a feature GDAL cannot turn into Arrow), fiona reads it record
by record: the good records are kept and each bad one is reported by number.
Shapefile damage GDAL would hide (a truncated ``.shp`` or ``.dbf``) is found
from the files' headers first (:mod:`layers.io.shapefile`).

Formats: Shapefile, GeoPackage (choose the layer), GeoJSON, OSM PBF, KML (own
parser, :mod:`layers.io.kml`), DXF (ezdxf, :mod:`layers.io.dxf`), CSV/XLSX
(:mod:`layers.io.tables`), 国土 TXT (own parser, :mod:`layers.io.gtxt`) — the formats of :data:`layers.io.formats.FORMATS`,
each told from its content and opened by its one reader. GDAL sees a file only
through :func:`layers.io.formats.gdal_view` (a plain name, its one driver).
"""

from __future__ import annotations

import csv
import io
import re
import struct
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from layers.io import dxf, formats, gtxt, kml, tables, vertex_table
from layers.io.encoding import (
    DEFAULT_MIN_CONFIDENCE,
    EncodingChoice,
    choose_dbf_encoding,
    decode_text,
    field_name,
    read_cpg,
    resolve_codec,
)
from layers.io.formats import FORMATS, SourceFormat, gdal_view
from layers.io.options import ImportLimits
from layers.io.shapefile import check_shapefile, read_dbf_layout, sidecar, with_field_names
from layers.io.uploads import FIELD_TABLE_SUFFIX, SourceError, inspect_zip
from layers.schema import LayerSpec
from layers.values import normalise_text

#: ISO WKB type codes of curved geometries (2D, Z, M, ZM variants), which shapely cannot hold.
_CURVE_TYPES = {8, 9, 10, 11, 12, 13, 14, 15, 16, 17}
#: Tables a ParkAtlas GeoPackage carries besides data (metadata, trust stamps, QGIS styles).
_SKIPPED_LAYERS = ("parkatlas_meta", "parkatlas_trust", "layer_styles")


@dataclass
class SourceData:
    """A source read as it is: raw columns (geometry in ``geometry`` for spatial sources)."""

    frame: pd.DataFrame
    driver: str
    declared_crs: CRS | None = None
    source_layer: str | None = None
    encoding: EncodingChoice | None = None
    damaged: dict[int, str] = field(default_factory=dict)
    fixes: list[tuple[int, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    field_table: dict[str, str] = field(default_factory=dict)
    #: Shapefile name → type of a kept source attribute, from ``<layer>.fields.csv``.
    field_types: dict[str, str] = field(default_factory=dict)
    geometry_columns: tuple[str, ...] = ()
    row_problems: dict[int, tuple[str, str, object]] = field(default_factory=dict)
    table_crs_name: str | None = None
    #: Columns the reader makes from the format's structure (a KML placemark's name, folder), not its fields.
    structure_columns: tuple[str, ...] = ()
    #: Columns that restate what the record has anyway (a 国土 TXT's point count and area, checked against the
    #: coordinates): not data to keep. Column → why, in Chinese and English (the report's "ignored" line).
    derived_columns: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: Values the file tells for every record without a field of its own (a 国土 TXT's land-use classification, told
    #: by its class names): set where the record has none, unless the user's mapping gives a default.
    defaults: dict[str, object] = field(default_factory=dict)

    @property
    def has_geometry(self) -> bool:
        return isinstance(self.frame, gpd.GeoDataFrame)


#: A floating-point warning of NumPy (``invalid value encountered in from_wkb``): raised while the geometries are
#: decoded (Shapely), not by GDAL.
_DECODING_WARNING = re.compile(r"^(invalid value|overflow|divide by zero) encountered in ")


def _warning_notes(caught) -> list[str]:
    """The warnings raised while reading, each said with where it comes from: GDAL, or the geometries' decoding."""
    return [f"{'geometry decoding' if _DECODING_WARNING.match(str(w.message)) else 'GDAL'}: {w.message}"
            for w in caught]


def _wkb_type(value: bytes | None) -> int:
    if not value or len(value) < 5:
        return 0
    order = "<" if value[0] == 1 else ">"
    code = struct.unpack(order + "I", value[1:5])[0]
    return (code & 0xFFFF) % 1000


def _curved_records(source: str, layer: str | None, encoding: str | None) -> list[int]:
    """Positions of curved geometries (read raw, as WKB)."""
    _, table = pyogrio.read_arrow(source, layer=layer, encoding=encoding, columns=[])
    column = table.column(table.column_names[-1])
    return [i for i, value in enumerate(column.to_pylist()) if _wkb_type(value) in _CURVE_TYPES]


def _fiona_read(source: str, fmt: SourceFormat, name: str, layer: str | None, encoding: str | None,
                error: Exception) -> SourceData:
    """Read record by record; keep what reads, report the rest by number (fiona, the format's one driver)."""
    import fiona
    from shapely.geometry import shape

    path = source.removeprefix(fmt.prefix)  # fiona takes the driver as a parameter, not a prefix
    options = {"encoding": encoding, "driver": fmt.driver, "enabled_drivers": [fmt.driver]}
    try:
        collection = fiona.open(path, layer=layer, **options) if layer is not None else fiona.open(path, **options)
    except Exception as exc:  # noqa: BLE001 — fiona/GDAL raise many types; the message is what matters
        msg = f"{name}: cannot be read ({error}; record by record: {exc})"
        raise SourceError(msg) from None
    records, geometries, damaged = [], [], {}
    with collection:
        crs = CRS.from_user_input(collection.crs_wkt) if collection.crs_wkt else None
        iterator = iter(collection)
        index = 0
        while True:
            try:
                feature = next(iterator)
            except StopIteration:
                break
            except Exception as exc:  # noqa: BLE001 — one bad record must not stop the others
                damaged[index] = f"record cannot be read ({exc})"
                records.append({})
                geometries.append(None)
            else:
                records.append(dict(feature.properties or {}))
                geometries.append(shape(feature.geometry) if feature.geometry else None)
            index += 1
            if index > 10_000_000:
                break
    frame = gpd.GeoDataFrame(pd.DataFrame.from_records(records), geometry=gpd.GeoSeries(geometries, crs=crs))
    note = f"the bulk read failed ({type(error).__name__}: {error}); read record by record with fiona"
    return SourceData(frame, "fiona", crs, layer, damaged=damaged, notes=[note])


def _lenient_arrow_read(source: str, layer: str | None, encoding: str | None, error: Exception) -> SourceData:
    """Arrow again, decoding the geometries one by one: a geometry GEOS refuses spoils only its record."""
    import pyarrow as pa

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        meta, table = pyogrio.read_arrow(source, layer=layer, encoding=encoding)
    table.validate(full=True)  # text that is not UTF-8 is for the record-by-record reader to sort out
    geometry_name = meta.get("geometry_name") or "wkb_geometry"
    wkb = table.column(geometry_name).to_numpy(zero_copy_only=False)
    attributes = table.drop_columns([geometry_name])
    frame = attributes.to_pandas(types_mapper={pa.string(): pd.StringDtype(na_value=np.nan)}.get)
    geometries = np.full(len(wkb), None, dtype=object)
    damaged: dict[int, str] = {}
    for i, blob in enumerate(wkb):
        if blob is None:
            continue
        try:
            geometries[i] = shapely.from_wkb(blob)
        except shapely.errors.GEOSException as exc:
            damaged[i] = f"geometry cannot be decoded ({exc})"
    crs = CRS.from_user_input(meta["crs"]) if meta.get("crs") else None
    frame = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometries, crs=crs))
    note = f"the bulk read failed ({type(error).__name__}: {error}); geometries decoded one by one"
    return SourceData(frame, "pyogrio", crs, layer, damaged=damaged, notes=[note, *_warning_notes(caught)])


def _check_text(frame: pd.DataFrame) -> None:
    """Raise when a text column holds bytes that are not UTF-8 (GDAL passes them through when told so)."""
    import pyarrow as pa

    for name in frame.columns:
        if isinstance(frame[name].dtype, pd.StringDtype) and frame[name].dtype.storage == "pyarrow":
            pa.array(frame[name]).validate(full=True)


def bulk_read(path: Path, fmt: SourceFormat, *, layer: str | None = None, encoding: str | None = None) -> SourceData:
    """pyogrio + Arrow; curved geometries are linearised by GDAL; failures fall back to fiona.

    GDAL opens ``path`` only through :func:`gdal_view`, with ``fmt``'s one driver.
    """
    with gdal_view(path, fmt) as source:
        return _bulk_read(source, fmt, path.name, layer=layer, encoding=encoding)


def _bulk_read(source: str, fmt: SourceFormat, name: str, *, layer: str | None, encoding: str | None) -> SourceData:
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            frame = pyogrio.read_dataframe(source, layer=layer, encoding=encoding, use_arrow=True)
        _check_text(frame)
        notes = _warning_notes(caught)
        fixes: list[tuple[int, str]] = []
    except NotImplementedError:
        # Shapely cannot hold curves; GDAL's non-Arrow path hands them over linearised.
        curved = _curved_records(source, layer, encoding)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            frame = pyogrio.read_dataframe(source, layer=layer, encoding=encoding, use_arrow=False)
        notes = _warning_notes(caught)
        fixes = [(i, "curved geometry linearised") for i in curved]
    except Exception as exc:  # noqa: BLE001 — any failure of the bulk path sends us record by record
        try:
            return _lenient_arrow_read(source, layer, encoding, exc)
        except Exception:  # noqa: BLE001 — the attributes do not read in bulk either
            return _fiona_read(source, fmt, name, layer, encoding, exc)
    crs = frame.crs if isinstance(frame, gpd.GeoDataFrame) else None
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name != "geometry":
        frame = frame.rename_geometry("geometry")
    return SourceData(frame, "pyogrio", CRS.from_user_input(crs) if crs else None, layer, fixes=fixes, notes=notes)


def choose_layer(layers: list[tuple[str, str]], spec: LayerSpec, *, wanted: str | None, source: str,
                 prefer_spatial: bool = True) -> str:
    """Pick the source layer (or sheet): ``wanted``, the only one, or the one named like the target layer."""
    names = [name for name, _ in layers if name not in _SKIPPED_LAYERS]
    if wanted is not None:
        for name in names:
            if normalise_text(name) == normalise_text(wanted):
                return name
        msg = f"{source}: no layer {wanted!r}; layers: {', '.join(names)}"
        raise SourceError(msg)
    if spec.geometry is not None and prefer_spatial:
        spatial = [name for name, kind in layers if name in names and kind not in (None, "", "None")]
        names = spatial or names
    if len(names) == 1:
        return names[0]
    keys = {normalise_text(spec.name), normalise_text(spec.label_zh), normalise_text(spec.label_en)}
    matches = [name for name in names if normalise_text(name) in keys]
    if len(matches) == 1:
        return matches[0]
    msg = f"{source}: several layers ({', '.join(names)}); choose one with --source-layer"
    raise SourceError(msg)


def _list_layers(path: Path, fmt: SourceFormat) -> list[tuple[str, str]]:
    try:
        with warnings.catch_warnings(), gdal_view(path, fmt) as source:
            warnings.simplefilter("ignore")
            return [(str(name), str(kind)) for name, kind in pyogrio.list_layers(source)]
    except Exception as exc:  # noqa: BLE001
        msg = f"{path.name}: cannot be opened as {fmt.label} ({exc})"
        raise SourceError(msg) from None


def _read_field_table(shp: Path) -> tuple[dict[str, str], dict[str, str]]:
    """ParkAtlas's own ``<stem>.fields.csv``, when present: short Shapefile name → field (or original name of a
    kept source attribute), and short name → the kept attribute's type (its ``source_type`` column)."""
    for candidate in shp.parent.iterdir():
        if candidate.name.lower() == (shp.stem + FIELD_TABLE_SUFFIX).lower():
            text, _ = decode_text(candidate.read_bytes(), name=candidate.name)
            rows = [row for row in csv.DictReader(io.StringIO(text)) if row.get("shapefile_field")]
            return ({row["shapefile_field"]: row["field"] for row in rows},
                    {row["shapefile_field"]: row["source_type"] for row in rows if row.get("source_type")})
    return {}, {}


def read_dbf(path: Path, *, encoding: str | None, min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> SourceData:
    """A lone ``.dbf`` (an attribute table exported as a Shapefile without geometry)."""
    try:
        layout = read_dbf_layout(path)
    except ValueError as exc:
        raise SourceError(str(exc)) from None
    choice = choose_dbf_encoding(layout, override=encoding, cpg_text=read_cpg(sidecar(path, ".cpg")),
                                 min_confidence=min_confidence)
    data = bulk_read(path, FORMATS["dbf"], encoding=choice.gdal_name)
    data.driver, data.encoding = "dBASE table", choice
    data.damaged.update({i: f"text does not decode as {choice.gdal_name}" for i in choice.bad_records})
    data.field_table, data.field_types = _read_field_table(path)
    return data


def read_shapefile(path: Path, *, encoding: str | None, min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> SourceData:
    check = check_shapefile(path)
    if check.errors:
        raise SourceError("; ".join(check.errors))
    cpg = read_cpg(sidecar(path, ".cpg"))
    choice = choose_dbf_encoding(check.dbf, override=encoding, cpg_text=cpg, min_confidence=min_confidence)
    names, notes = whole_field_names(check.dbf, choice.codec)
    if names is None:
        data = bulk_read(path, FORMATS["shapefile"], encoding=choice.gdal_name)
    else:  # GDAL refuses names cut inside a character: it reads a copy whose names lack the cut character
        with tempfile.TemporaryDirectory(prefix="parkatlas-shp-") as workdir:
            data = bulk_read(_with_names(path, check.dbf.path, names, Path(workdir)), FORMATS["shapefile"],
                             encoding=choice.gdal_name)
        data.notes += notes
    data.driver = "ESRI Shapefile" + (" (record by record)" if data.driver == "fiona" else "")
    data.encoding = choice
    for index in choice.bad_records:  # the precise reason, whatever the reader said
        data.damaged[index] = f"text does not decode as {choice.gdal_name}"
    data.damaged.update(check.damaged_records)
    data.field_table, data.field_types = _read_field_table(path)
    return data


def whole_field_names(layout, codec: str) -> tuple[list[bytes] | None, list[str]]:
    """The field names of the ``.dbf`` of ``layout`` without a character cut at the 10-byte limit (each made unique
    again with a digit when that makes two the same) and a note per name so read; (None, []) when no name is cut
    (or a name does not decode at all: the reader says so)."""
    try:
        decoded = [field_name(f.name_bytes, codec) for f in layout.fields]
    except UnicodeDecodeError:
        return None, []
    if not any(cut for _, cut in decoded):
        return None, []
    taken: set[str] = set()
    names, notes = [], []
    for name, cut in decoded:
        unique = name
        for digit in range(2, 10):
            if unique.casefold() not in taken:
                break
            unique = f"{name}{digit}"
        taken.add(unique.casefold())
        names.append(unique.encode(codec))
        if cut:
            notes.append(f"field name cut inside a character at the Shapefile's 10-byte limit: read as {unique!r}")
    return names, notes


def _with_names(shp: Path, dbf: Path, names: list[bytes], folder: Path) -> Path:
    """The Shapefile ``shp`` in ``folder``: its files linked there, its ``.dbf`` a copy with field names ``names``."""
    for part in shp.parent.iterdir():
        if part.stem == shp.stem and part != dbf:
            (folder / part.name).symlink_to(part.resolve())
    with_field_names(dbf, names, folder / dbf.name)
    return folder / shp.name


def _read_geojson(path: Path, *, encoding: str | None) -> SourceData:
    data = path.read_bytes()
    text, choice = decode_text(data, override=encoding, name=path.name)
    fmt = FORMATS["geojson"]
    if choice.codec in ("utf-8", "utf-8-sig") or data.isascii():
        formats.check_geojson_crs(path)
        result = bulk_read(path, fmt)
    else:
        # GDAL reads GeoJSON as UTF-8 only: hand it a UTF-8 copy (checked, as GDAL reads that one).
        with tempfile.TemporaryDirectory(prefix="parkatlas-json-") as workdir:
            copy = Path(workdir) / (path.stem + ".geojson")
            copy.write_text(text, encoding="utf-8")
            formats.check_geojson_crs(copy, name=path.name)
            result = bulk_read(copy, fmt)
    result.driver = "GeoJSON" + (" (record by record)" if result.driver == "fiona" else "")
    result.encoding = choice
    return result


def _read_table(table: tables.Table, spec: LayerSpec, *, driver: str, choice: EncodingChoice | None,
                sheet: str | None) -> SourceData:
    frame = table.frame
    data = SourceData(frame, driver, source_layer=sheet, encoding=choice, notes=list(table.notes))
    if spec.geometry is None:
        return data
    if vertex_table.is_vertex_table(frame, spec):
        plots = vertex_table.vertex_plots(table, spec, gtxt.GtxtChecks.from_environ())
        data.frame, data.geometry_columns = plots.frame, plots.coordinate_columns
        data.damaged, data.fixes = plots.damaged, plots.fixes
        data.table_crs_name = tables.declared_crs(frame)
        data.notes += plots.notes
        return data
    geometry = tables.table_geometry(frame)
    if geometry.geometries is None:
        msg = (f"layer {spec.name!r} needs geometry, and the table has no WKT column and no coordinate pair "
               f"(looked for {', '.join(tables.WKT_COLUMNS[:4])} …, lon/lat, 经度/纬度, X/Y, GeoX/GeoY)")
        raise SourceError(msg)
    data.frame = gpd.GeoDataFrame(frame.drop(columns=list(geometry.columns)),
                                  geometry=gpd.GeoSeries(geometry.geometries, index=frame.index))
    data.geometry_columns = geometry.columns
    data.row_problems = geometry.problems
    data.table_crs_name = geometry.declared_crs
    data.notes.append(f"geometry from column(s) {' + '.join(geometry.columns)} ({geometry.kind})")
    return data


def _read_csv(path: Path, spec: LayerSpec, *, encoding: str | None, limits: ImportLimits) -> SourceData:
    text, choice = decode_text(path.read_bytes(), override=encoding, name=path.name)
    text = tables.universal_newlines(text)
    tables.check_table_size(text, name=path.name, max_columns=limits.max_columns, max_cells=limits.max_table_cells)
    try:
        table = tables.read_csv_text(text)
    except (pd.errors.ParserError, csv.Error, ValueError) as exc:
        msg = f"{path.name}: not a well-formed CSV table ({exc})"
        raise SourceError(msg) from None
    return _read_table(table, spec, driver="CSV", choice=choice, sheet=None)


def _read_xlsx(path: Path, spec: LayerSpec, *, source_layer: str | None, limits: ImportLimits) -> SourceData:
    inspect_zip(path, limits=limits)  # a workbook is a zip: no bomb, at whatever depth it was found
    try:
        sheets = tables.sheet_names(path)
    except Exception as exc:  # noqa: BLE001 — openpyxl raises many types for damaged workbooks
        msg = f"{path.name}: not a readable XLSX workbook ({exc})"
        raise SourceError(msg) from None
    sheet = choose_layer([(s, "None") for s in sheets], spec, wanted=source_layer, source=path.name,
                         prefer_spatial=False)
    tables.check_sheet_size(path, sheet, max_columns=limits.max_columns, max_cells=limits.max_table_cells)
    return _read_table(tables.read_xlsx(path, sheet=sheet), spec, driver="XLSX", choice=None, sheet=sheet)


def _read_dxf(path: Path, spec: LayerSpec, *, limits: ImportLimits) -> SourceData:
    if spec.geometry is None:
        msg = f"{path.name}: a DXF drawing holds geometry only; layer {spec.name!r} is a table"
        raise SourceError(msg)
    dxf.check_entity_count(path, max_entities=limits.max_dxf_entities)
    content = dxf.read_dxf(path, geometry=spec.geometry)
    return SourceData(content.frame, "DXF (ezdxf)", None, damaged=content.damaged, notes=content.notes)


def _read_gtxt(path: Path, spec: LayerSpec, *, encoding: str | None, limits: ImportLimits) -> SourceData:
    """A 国土 TXT (:mod:`layers.io.gtxt`): one record per plot, the CRS its header and eastings say."""
    if spec.geometry != "Polygon":
        msg = f"{path.name}: a 国土 TXT holds land plots (polygons); layer {spec.name!r} is not a polygon layer"
        raise SourceError(msg)
    data = path.read_bytes()
    try:
        gtxt.check_line_count(data, max_lines=limits.max_gtxt_lines)
        unmarked = None if encoding else gtxt.utf16_without_bom(data)
        text, choice = decode_text(data, override=encoding or unmarked, name=path.name)
        if unmarked:
            choice.how = "UTF-16 without a byte-order mark (a zero byte beside every ASCII character)"
        content = gtxt.read_gtxt(text, checks=gtxt.GtxtChecks.from_environ(), max_plots=limits.max_features)
    except gtxt.GtxtError as exc:
        raise SourceError(f"{path.name}: {exc}") from None
    notes, defaults = list(content.notes), {}
    told = gtxt.told_classification(content.frame)
    if told is not None:  # each plot's 地块用途 is its 地类编码's class name in one classification: the codes are of it
        defaults["land_use_std"] = told
        notes.append(f"land-use classification told by 地块用途: every plot's 地块用途 is the class name its 地类编码 "
                     f"has in {told}")
    return SourceData(content.frame, "国土 TXT", content.crs, encoding=choice, damaged=content.damaged,
                      fixes=content.fixes, notes=notes, derived_columns=gtxt.derived_columns(content.frame),
                      defaults=defaults)


def _check_layer_rows(path: Path, layer: str, limits: ImportLimits) -> None:
    """Count the rows of the GeoPackage table to read before reading it (views were counted by the check)."""
    if not formats.is_view(path, layer):
        formats.check_rows(path, layer, at_most=limits.max_features, max_steps=limits.max_sql_steps, what="layer",
                           name=path.name, why=f"at most {limits.max_features:,} records are imported at once")


def _read_layers(path: Path, fmt: SourceFormat, spec: LayerSpec, *, source_layer: str | None,
                 encoding: str | None, limits: ImportLimits) -> SourceData:
    """A multi-layer source GDAL reads (GeoPackage, OSM PBF): choose the layer, then read it."""
    if fmt.key == "geopackage":
        formats.check_geopackage(path, view_rows=limits.view_rows_for(path.stat().st_size),
                                 max_steps=limits.max_sql_steps)
    layers = _list_layers(path, fmt)
    if not layers:
        msg = f"{path.name}: holds no layers"
        raise SourceError(msg)
    layer = choose_layer(layers, spec, wanted=source_layer, source=path.name)
    if fmt.key == "geopackage":
        _check_layer_rows(path, layer, limits)
    data = bulk_read(path, fmt, layer=layer, encoding=encoding)
    data.source_layer = layer
    data.driver = fmt.driver + (" (record by record)" if data.driver == "fiona" else "")
    return data


def read_source(path: Path, spec: LayerSpec, *, source_layer: str | None = None,
                encoding: str | None = None, limits: ImportLimits = ImportLimits(),
                min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> SourceData:
    """Read ``path`` (a staged dataset file) as it is; see the module docstring for formats.

    The format is told from the content (:func:`layers.io.formats.identify`);
    anything else is refused before any reader opens it.
    """
    if encoding:
        resolve_codec(encoding)  # an unknown name is the user's error: say so before reading
    fmt = formats.identify(path)
    if fmt.key == "shapefile":
        return read_shapefile(path, encoding=encoding, min_confidence=min_confidence)
    if fmt.key == "dbf":
        return read_dbf(path, encoding=encoding, min_confidence=min_confidence)
    if fmt.key == "geojson":
        return _read_geojson(path, encoding=encoding)
    if fmt.key == "kml":
        text, choice = decode_text(path.read_bytes(), override=encoding, name=path.name)
        content = kml.read_kml(text, name=path.name)
        return SourceData(content.frame, "KML", CRS.from_epsg(4326), encoding=choice, damaged=content.damaged,
                          fixes=content.fixes, structure_columns=("name", "description", "folder"))
    if fmt.key == "dxf":
        return _read_dxf(path, spec, limits=limits)
    if fmt.key == "csv":
        return _read_csv(path, spec, encoding=encoding, limits=limits)
    if fmt.key == "gtxt":
        return _read_gtxt(path, spec, encoding=encoding, limits=limits)
    if fmt.key == "xlsx":
        return _read_xlsx(path, spec, source_layer=source_layer, limits=limits)
    if fmt.key in ("geopackage", "osm"):
        return _read_layers(path, fmt, spec, source_layer=source_layer, encoding=encoding, limits=limits)
    msg = f"{path.name}: {fmt.label} is unpacked before it is read"  # zip/KMZ: staging's job
    raise SourceError(msg)


__all__ = ["SourceData", "bulk_read", "choose_layer", "read_shapefile", "read_source"]
