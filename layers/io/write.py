"""Exports of a validated layer: GeoPackage, GeoJSON, zipped Shapefile, KML, CSV, XLSX.

Every export re-imports without loss (tests round-trip random layers through
each format):

* GeoPackage — a one-layer park file in the working CRS, registry types kept.
* GeoJSON — EPSG:4326 (RFC 7946), coordinates to 1e-9°.
* Shapefile — zipped, working CRS, UTF-8 with ``.cpg``; field names cut to the
  format's 10 characters by one rule (first 10, or first 8 + a 2-digit counter
  on a clash) and written with ``<layer>.fields.csv``, the table from short
  names back to field names that the importer reads, and ``<layer>.qml``, the
  QGIS style QGIS loads with the layer (full names and labels as aliases, the
  map style).
* KML — EPSG:4326, each field as typed ExtendedData named after the field, a style
  per class of the layer's map style (``layers.io.kml_styles``).
* CSV / XLSX — attribute tables with Chinese headers (label and unit), codes as
  their Chinese labels, yes/no as 是/否, and a column of names after each code
  the registry does not name (用地性质名称 after 用地性质, :mod:`layers.name_columns`;
  the importer ignores it as restating the code); spatial layers carry their
  geometry as WKT in EPSG:4326. CSV is UTF-8 with a BOM so Excel shows Chinese.
* 国土 TXT — polygon layers as the boundary-coordinate exchange file of land
  approvals (:mod:`layers.io.gtxt_write`), in the park's Gauss-Krüger zone; it
  carries the id, name and land-use code, and re-imports to the millimetre.

Records retired from the register (``retired_on`` set) are left out unless asked
for (``include_retired``: ``--include-retired``, ``?retired=1``): an export is the
register as it stands, and a retired parcel in it reads as one in force. Asked
for, they come with their ``retired_on`` date, and the file re-imports as it was.

Source attributes kept by an import (``source_attributes``) are spread into
columns of their own names after the registry's, typed where the format has
types; a name an export already uses gets ``_源`` appended. Every format but
the Shapefile also carries the per-record column ``source_field_types`` (源字段类型)
naming each kept column's type (and original name), in words in CSV and XLSX
(``容积率：数值；…``); the Shapefile's
``.fields.csv`` says it in its ``source_type`` column. The importer reads them
back, so kept attributes round-trip with their names and types.

Files are written beside the destination under a temporary name and moved into
place, so a failed export never leaves half a file.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import shapely
from pyproj import CRS

from geo.crs import to_web
from layers import source_attributes as kept_attributes
from layers._arrow_columns import arrow_column
from layers.cells import neutralise_formulas
from layers.io import tables
from layers.io.gtxt_write import write_gtxt
from layers.io.kml import write_kml
from layers.io.kml_styles import kml_fields, kml_styles
from layers.io.mapping import split_unit
from layers.io.uploads import FIELD_TABLE_SUFFIX
from layers.name_columns import name_columns
from layers.qgis.layer_styles import style_documents
from layers.schema import SOURCE_ATTRIBUTES, VALID_TIME_FIELD_NAMES, LayerSpec, code_label
from layers.store import checked_frame, frame_to_arrow, write_layer_file
from layers.values import normalise_text
from layers.workbook_style import DATE_FORMATS

#: Destination suffix → format.
FORMATS = {".gpkg": "gpkg", ".geojson": "geojson", ".json": "geojson", ".zip": "shp", ".kml": "kml",
           ".csv": "csv", ".xlsx": "xlsx", ".txt": "gtxt"}
#: Download formats offered by the web page, with their file suffix.
DOWNLOADS = {"gpkg": ".gpkg", "geojson": ".geojson", "shp": ".shp.zip", "kml": ".kml", "csv": ".csv",
             "xlsx": ".xlsx", "gtxt": ".txt"}
#: Formats that need geometry, and those that need polygons (a 国土 TXT lists land plots).
SPATIAL_FORMATS = ("geojson", "kml", "gtxt")
POLYGON_FORMATS = ("gtxt",)
SHAPEFILE_NAME_LENGTH = 10
#: dBASE stores at most 254 bytes of text per value.
SHAPEFILE_TEXT_BYTES = 254
#: Excel holds at most 32 767 characters in a cell.
XLSX_CELL_CHARS = 32_767
#: Decimal places of lon/lat in GeoJSON and WKT (1e-9° ≈ 0.1 mm).
LONLAT_DECIMALS = 9
WKT_HEADER = "WKT"
#: Columns a KML reader makes from a placemark's structure: kept attributes of these names are renamed.
KML_STRUCTURE = ("name", "description", "folder")
YES_NO = {"zh": ("是", "否"), "en": ("yes", "no")}


class ExportError(ValueError):
    """A layer that cannot be written in the format asked for; ``str()`` is English, ``.zh`` Chinese."""

    def __init__(self, message: str, zh: str):
        super().__init__(message)
        self.zh = zh


@dataclass
class ExportResult:
    path: Path
    format: str
    records: int
    notes: list[str] = field(default_factory=list)


def export_format(dest: str | Path) -> str:
    """The format a destination's name asks for; ``ValueError`` listing the choices otherwise."""
    suffix = Path(dest).suffix.lower()
    if suffix not in FORMATS:
        choices = ", ".join(sorted(FORMATS))
        hint = " (Shapefiles are exported zipped: name it .zip)" if suffix == ".shp" else ""
        msg = f"{dest}: cannot tell the export format from {suffix or 'no suffix'!r}{hint}; use one of {choices}"
        raise ValueError(msg)
    return FORMATS[suffix]


def shapefile_names(names: list[str]) -> dict[str, str]:
    """Field name → Shapefile name (≤ 10 bytes of UTF-8, unique, case-insensitively).

    The first 10 bytes when they are free (whole characters: a Chinese name keeps
    its first three); otherwise the first 8 bytes and a two-digit counter. The
    same names always give the same result.
    """
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        short = _cut_utf8(name, SHAPEFILE_NAME_LENGTH)
        counter = 1
        while short.lower() in used:
            short = f"{_cut_utf8(name, SHAPEFILE_NAME_LENGTH - 2)}{counter:02d}"
            counter += 1
        used.add(short.lower())
        out[name] = short
    return out


def _move_into_place(temporary: Path, dest: Path) -> None:
    os.replace(temporary, dest)


def _with_web_geometry(frame: pd.DataFrame) -> pd.DataFrame:
    return to_web(frame) if len(frame) else frame.set_crs(4326, allow_override=True)


@dataclass
class KeptExport:
    """The kept source attributes of a frame as an export writes them: spread columns, their names in the file
    (``columns``: original → column) and the per-record types column (None when the layer has none)."""

    spread: kept_attributes.Spread
    columns: dict[str, str]
    manifest: pd.Series | None

    def items(self):
        """(column in the file, kept type, typed values) of each kept attribute."""
        return [(self.columns[name], self.spread.types[name], self.spread.columns[name]) for name in self.spread.names]


def kept_export(frame: pd.DataFrame, taken, reserved=None) -> KeptExport:
    """``frame``'s kept source attributes for an export whose other columns are named ``taken`` (and whose reader
    would take names ``reserved`` says for something else)."""
    spread = kept_attributes.spread(frame)
    columns = kept_attributes.export_names(spread.names, set(taken), reserved)
    manifest = kept_attributes.manifest(spread, columns) if spread else None
    return KeptExport(spread, columns, manifest)


_KEPT_ARROW_TYPES = {"text": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_()}


def _kept_array(values: pd.Series, kind: str, *, datetime_as_text: bool = False) -> pa.Array:
    if kind == "date":
        return arrow_column(values, "date")
    if kind == "datetime":
        if datetime_as_text or not pd.api.types.is_datetime64_any_dtype(values.dtype):
            return pa.array(kept_attributes.text_column(values), type=pa.string(), from_pandas=True)
        return pa.array(values, type=pa.timestamp("ms"), from_pandas=True)
    return pa.array(values, type=_KEPT_ARROW_TYPES[kind], from_pandas=True)


def _registry_columns(spec: LayerSpec) -> list[str]:
    """The columns an Arrow export writes before the kept ones (GDAL takes a column "fid" as the feature id)."""
    names = [name for name in spec.field_names if name != SOURCE_ATTRIBUTES]
    return names + (["geometry"] if spec.geometry is not None else []) + ["fid"]


def export_arrow(frame: pd.DataFrame, spec: LayerSpec, *, names: dict[str, str] | None = None,
                 manifest: bool = True, datetime_as_text: bool = False) -> tuple[pa.Table, KeptExport]:
    """The Arrow table an export writes: registry columns, the kept source attributes spread after them, and
    (``manifest``) the types column; ``names`` renames columns at the end (a Shapefile's short names)."""
    table = frame_to_arrow(frame, spec)
    if SOURCE_ATTRIBUTES in table.column_names:
        table = table.drop_columns([SOURCE_ATTRIBUTES])
    kept = kept_export(frame, _registry_columns(spec))
    for column, kind, values in kept.items():
        table = table.append_column(column, _kept_array(values, kind, datetime_as_text=datetime_as_text))
    if manifest and kept.manifest is not None:
        table = table.append_column(kept_attributes.TYPES_COLUMN, pa.array(kept.manifest, type=pa.string(),
                                                                           from_pandas=True))
    if names:
        table = table.rename_columns([names.get(c, c) for c in table.column_names])
    return table, kept


def _write_geojson(frame, spec: LayerSpec, path: Path) -> None:
    web = _with_web_geometry(frame)
    table, _ = export_arrow(web, spec)
    pyogrio.write_arrow(table, path, driver="GeoJSON", geometry_name="geometry", geometry_type="Unknown",
                        crs="EPSG:4326", layer_options={"RFC7946": "YES", "COORDINATE_PRECISION": LONLAT_DECIMALS,
                                       # text that looks like JSON stays text (GDAL would nest it as an object)
                                       "AUTODETECT_JSON_STRINGS": "NO"})


def _cut_utf8(value: str, limit: int) -> str:
    """``value`` cut to at most ``limit`` bytes of UTF-8, never inside a character."""
    return value.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def _cut_long_text(values: pd.Series, name: str, notes: list[str]) -> pd.Series:
    """Text values cut to the Shapefile's 254 bytes, with a note naming the field when any is."""
    too_long = values.map(lambda v: isinstance(v, str) and len(v.encode("utf-8")) > SHAPEFILE_TEXT_BYTES)
    if not too_long.any():
        return values
    notes.append(f"{name}: {int(too_long.sum())} value(s) longer than the Shapefile's {SHAPEFILE_TEXT_BYTES} bytes "
                 "are cut; use GeoPackage to keep them whole")
    values = values.copy()
    values[too_long] = values[too_long].map(lambda v: _cut_utf8(v, SHAPEFILE_TEXT_BYTES))
    return values


def _write_shapefile(frame, spec: LayerSpec, path: Path, notes: list[str], lang: str = "zh") -> None:
    registry = [name for name in spec.field_names if name != SOURCE_ATTRIBUTES]
    frame = frame.copy()
    for f in spec.fields:
        if f.kind in ("str", "code") and f.name != SOURCE_ATTRIBUTES:
            frame[f.name] = _cut_long_text(frame[f.name], f.name, notes)
    kept = kept_export(frame, _registry_columns(spec))
    names = shapefile_names(registry + [kept.columns[n] for n in kept.spread.names])
    table, _ = export_arrow(frame, spec, names=names, manifest=False, datetime_as_text=True)
    for column, kind, values in kept.items():
        if kind in ("text", "datetime"):
            values = _cut_long_text(kept_attributes.text_column(values), column, notes)
            position = table.column_names.index(names[column])
            table = table.set_column(position, names[column], pa.array(values, type=pa.string(), from_pandas=True))
    with tempfile.TemporaryDirectory(prefix="parkatlas-shp-") as workdir:
        shp = Path(workdir) / f"{spec.name}.shp"
        options = {"ENCODING": "UTF-8"}
        if spec.geometry is None:
            pyogrio.write_arrow(table, shp.with_suffix(".dbf"), driver="ESRI Shapefile", layer_options=options)
        else:
            declared = {"Polygon": "MultiPolygon", "LineString": "MultiLineString", "Point": "Point"}[spec.geometry]
            multi_points = spec.geometry == "Point" and bool(
                (shapely.get_type_id(frame.geometry.to_numpy()) == shapely.GeometryType.MULTIPOINT.value).any())
            pyogrio.write_arrow(table, shp, driver="ESRI Shapefile", geometry_name="geometry",
                                geometry_type="MultiPoint" if multi_points else declared,
                                crs=frame.crs.to_wkt(), layer_options=options)
        original = {kept.columns[name]: name for name in kept.spread.names}
        rows = [{"shapefile_field": short, "field": name, "label_zh": spec.field(name).label_zh,
                 "label_en": spec.field(name).label_en, "type": spec.field(name).kind,
                 "unit": spec.field(name).unit or "", "source_type": ""} for name, short in names.items()
                if name in spec.field_names]
        rows += [{"shapefile_field": names[column], "field": original[column], "label_zh": "", "label_en": "",
                  "type": "", "unit": "", "source_type": kind} for column, kind, _ in kept.items()]
        table_path = Path(workdir) / f"{spec.name}{FIELD_TABLE_SUFFIX}"
        pd.DataFrame(rows).to_csv(table_path, index=False, encoding="utf-8-sig")
        # QGIS loads <layer>.qml beside <layer>.shp as the layer's style: full names as aliases, the map style.
        qml_text, _ = style_documents(spec, frame, lang, names=names)
        (Path(workdir) / f"{spec.name}.qml").write_text(qml_text, encoding="utf-8")
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
            for member in sorted(Path(workdir).iterdir()):
                bundle.write(member, arcname=member.name)


def _text_value(value: object) -> str | None:
    """A value as KML text that the registry's converters read back exactly."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"  # xsd:boolean as GDAL's KML readers parse it (they take 'true' for 0)
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return str(value)


def _write_kml(frame, spec: LayerSpec, path: Path, lang: str) -> None:
    web = _with_web_geometry(frame)
    columns = {name: frame[name].astype(object).map(_text_value) for name in spec.field_names
               if name != SOURCE_ATTRIBUTES}
    for name in VALID_TIME_FIELD_NAMES:  # written even empty: a file with the field states it (unknown = always)
        if name in columns:
            columns[name] = columns[name].fillna("")
    kept = kept_export(frame, [*columns, *KML_STRUCTURE, "geometry"])
    columns.update({column: kept_attributes.text_column(values).set_axis(frame.index)
                    for column, _, values in kept.items()})
    # Always written (empty objects where nothing is kept): it tells the importer the file is a ParkAtlas export,
    # whose placemark folders are the export's structure, not data to keep.
    manifest = kept.manifest if kept.manifest is not None else pd.Series(None, index=range(len(frame)), dtype=object)
    columns[kept_attributes.TYPES_COLUMN] = manifest.fillna("{}").set_axis(frame.index)
    # Placemark names are what Google Earth shows; a layer's own name field fills them (never the id, which
    # would come back as a name on import).
    name_field = "name" if "name" in spec.field_names else spec.id_field
    styles, style_ids = kml_styles(frame, spec)
    write_kml(web, path, title=spec.label(lang), name_field=name_field, text_columns=columns,
              fields=kml_fields(spec, lang), styles=styles, style_ids=style_ids)


def _names_a_crs(header: str) -> bool:
    """Whether a table reader would take column ``header`` for the CRS of the coordinates."""
    return split_unit(header)[0] in {normalise_text(n) for n in tables.CRS_COLUMNS}


def attribute_table(frame: pd.DataFrame, spec: LayerSpec, *, lang: str = "zh", wkt_decimals: int = LONLAT_DECIMALS,
                    max_wkt_chars: int | None = None, notes: list[str] | None = None,
                    kept_types: bool = False, real_dates: bool = False) -> pd.DataFrame:
    """The layer as a table for people: labelled headers (with units), code labels, 是/否, ISO dates, and after
    each code whose names the registry does not declare (a land-use code) a column of their names
    (:mod:`layers.name_columns`).

    Kept source attributes follow the registry's columns under their own names;
    ``kept_types`` adds the types column that lets an import read them back (exports);
    ``real_dates`` keeps date fields as dates (a workbook's date cells) instead of ISO text.
    """
    yes, no = YES_NO["en" if lang == "en" else "zh"]
    headers: dict[str, str] = {}
    named = name_columns(spec)
    out = {}
    for f in spec.fields:
        if f.name == SOURCE_ATTRIBUTES:
            continue
        label = f.label_en if lang == "en" else f.label_zh
        header = f"{label}({f.unit})" if f.unit else label
        if header in headers.values():
            header = f"{header} [{f.name}]"
        headers[f.name] = header
        column = frame[f.name]
        if f.kind == "code":
            labels = {c.value: code_label(c, lang) for c in f.codes}
            values = column.map(lambda v, labels=labels: labels.get(v, v) if isinstance(v, str) else None)
        elif f.kind == "bool":
            values = column.map(lambda v: None if pd.isna(v) else (yes if v else no))
        elif f.kind == "date" and real_dates:
            values = pd.Series([None if pd.isna(v) else pd.Timestamp(v).to_pydatetime() for v in column],
                               index=column.index, dtype=object)
        elif f.kind == "date":
            values = column.dt.strftime("%Y-%m-%d").where(column.notna(), None)
        else:
            values = column.astype(object).where(column.notna(), None)
        out[header] = values.astype(object)
        if f.name in named:  # the name of each code right after it (the code column is what a re-import reads)
            out[named[f.name].label(lang)] = named[f.name].names(frame, lang)
    # "geometry" too: readers name the geometry they build so.
    kept = kept_export(frame, [*out, WKT_HEADER, "geometry"], reserved=_names_a_crs)
    for column, kind, values in kept.items():
        if kind == "bool":
            values = values.map(lambda v: None if pd.isna(v) else (yes if v else no))
        elif kind in ("date", "datetime", "text"):
            values = kept_attributes.text_column(values)
        out[column] = values.astype(object).where(values.notna(), None).set_axis(frame.index)
    if kept_types and kept.manifest is not None:
        readable = kept_attributes.manifest(kept.spread, kept.columns, "en" if lang == "en" else "zh")
        out[kept_attributes.TYPES_HEADERS["en" if lang == "en" else "zh"]] = readable.set_axis(frame.index)
    table = pd.DataFrame(out, index=frame.index)
    if spec.geometry is not None:
        web = _with_web_geometry(frame)
        wkt = pd.Series(shapely.to_wkt(web.geometry.to_numpy(), rounding_precision=wkt_decimals, trim=True),
                        index=frame.index, dtype=object)
        if max_wkt_chars is not None:
            too_long = wkt.str.len() > max_wkt_chars
            if too_long.any() and notes is not None:
                notes.append(f"{int(too_long.sum())} geometr(y/ies) longer than a spreadsheet cell holds were left "
                             "out of the WKT column; export GeoPackage or GeoJSON to keep them")
            wkt = wkt.where(~too_long, None)
        table[WKT_HEADER] = wkt
    return table.reset_index(drop=True)


def _write_xlsx(table: pd.DataFrame, sheet: str, path: Path, lang: str = "zh") -> None:
    """One sheet, header frozen, dates as date cells in the language's format (``layers.workbook_style``)."""
    buffer = io.BytesIO()
    day = DATE_FORMATS["en" if lang == "en" else "zh"]
    dated = [i for i, name in enumerate(table.columns, start=1)
             if table[name].map(lambda v: isinstance(v, dt.date)).any()]
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        table.to_excel(writer, sheet_name=sheet[:31], index=False)
        worksheet = writer.sheets[sheet[:31]]
        worksheet.freeze_panes = "A2"
        for column in dated:  # pandas gives every date its own fixed format; the language's is wanted
            for (cell,) in worksheet.iter_rows(min_row=2, min_col=column, max_col=column):
                if cell.value is not None:
                    cell.number_format = day
    path.write_bytes(buffer.getvalue())


def formats_for(spec: LayerSpec) -> list[str]:
    """The download formats (keys of :data:`DOWNLOADS`) a layer can be written in."""
    return [fmt for fmt in DOWNLOADS if not (spec.is_table and fmt in SPATIAL_FORMATS)
            and not (spec.geometry != "Polygon" and fmt in POLYGON_FORMATS)]


def without_retired(frame: pd.DataFrame, *, include_retired: bool) -> tuple[pd.DataFrame, int]:
    """The records an export writes (those not retired from the register), and how many retired ones it leaves out."""
    if include_retired or "retired_on" not in frame.columns:
        return frame, 0
    retired = frame["retired_on"].notna().to_numpy()
    return (frame[~retired] if retired.any() else frame), int(retired.sum())


def export_layer(frame: pd.DataFrame, spec: LayerSpec, dest: str | Path, *, lang: str = "zh",
                 meta: dict | None = None, encoding: str | None = None,
                 include_retired: bool = False) -> ExportResult:
    """Write ``frame`` (validated, in the park's working CRS) to ``dest`` in the format its name says.

    ``meta`` is the park's metadata (a GeoPackage export is a one-layer park
    file carrying its ``working_epsg`` and name); ``encoding`` is the text
    encoding of a 国土 TXT (GBK by default, or UTF-8). Retired records are left
    out unless ``include_retired``; the result's notes say how many.
    """
    dest = Path(dest)
    fmt = export_format(dest)
    if fmt in ("geojson", "kml") and spec.geometry is None:
        msg = f"layer {spec.name!r} is a table without geometry; export it as CSV, XLSX, GeoPackage or Shapefile"
        raise ExportError(msg, f"{spec.label_zh}是没有几何的属性表，不能导出为 {fmt.upper()}；"
                               "请导出为 CSV、XLSX、GeoPackage 或 Shapefile")
    if encoding is not None and fmt != "gtxt":
        msg = f"a text encoding is chosen for a 国土 TXT only; {dest.name} is written as {fmt}"
        raise ValueError(msg)
    notes: list[str] = []
    frame, left_out = without_retired(frame, include_retired=include_retired)
    if left_out:
        notes.append(f"{left_out} retired record(s) left out (the export holds the records in force)")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".parkatlas-export-") as workdir:
        temporary = Path(workdir) / dest.name
        if fmt == "gpkg":
            park_meta = {k: v for k, v in (meta or {}).items() if k in ("working_epsg", "park_name")}
            if "working_epsg" not in park_meta:
                if getattr(frame, "crs", None) is None:
                    msg = "a GeoPackage export of a table needs the park's metadata (its working_epsg)"
                    raise ValueError(msg)
                park_meta["working_epsg"] = int(frame.crs.to_epsg())
            park_meta["exported_layer"] = spec.name
            crs = CRS.from_epsg(int(park_meta["working_epsg"]))
            typed = checked_frame(spec.name, frame, crs, source=f"{dest.name}:{spec.name}")
            write_layer_file(temporary, spec, typed, export_arrow(typed, spec)[0], park_meta)
        elif fmt == "geojson":
            _write_geojson(frame, spec, temporary)
        elif fmt == "shp":
            _write_shapefile(frame, spec, temporary, notes, lang)
        elif fmt == "kml":
            _write_kml(frame, spec, temporary, lang)
        elif fmt == "gtxt":
            notes += write_gtxt(frame, spec, temporary, meta=meta, encoding=encoding)
        elif fmt == "csv":
            neutralise_formulas(attribute_table(frame, spec, lang=lang, kept_types=True)).to_csv(
                temporary, index=False, encoding="utf-8-sig")
        else:
            table = attribute_table(frame, spec, lang=lang, max_wkt_chars=XLSX_CELL_CHARS, notes=notes,
                                    kept_types=True, real_dates=True)
            _write_xlsx(neutralise_formulas(table), spec.label_en if lang == "en" else spec.label_zh, temporary,
                        lang)
        _move_into_place(temporary, dest)
    return ExportResult(dest, fmt, len(frame), notes)


#: Media types of the downloads.
MEDIA_TYPES = {"gpkg": "application/geopackage+sqlite3", "geojson": "application/geo+json",
               "shp": "application/zip", "kml": "application/vnd.google-earth.kml+xml",
               "csv": "text/csv", "gtxt": "text/plain",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def export_bytes(frame: pd.DataFrame, spec: LayerSpec, fmt: str, *, lang: str = "zh",
                 meta: dict | None = None, encoding: str | None = None,
                 include_retired: bool = False) -> tuple[bytes, str, str]:
    """One download: (content, file name, media type) for ``fmt`` (a key of :data:`DOWNLOADS`)."""
    if fmt not in DOWNLOADS:
        msg = f"unknown export format {fmt!r}; allowed: {', '.join(DOWNLOADS)}"
        raise ValueError(msg)
    name = f"{spec.name}{DOWNLOADS[fmt]}"
    with tempfile.TemporaryDirectory(prefix="parkatlas-download-") as workdir:
        dest = Path(workdir) / (name if fmt != "shp" else f"{spec.name}.zip")
        export_layer(frame, spec, dest, lang=lang, meta=meta, encoding=encoding, include_retired=include_retired)
        return dest.read_bytes(), name, MEDIA_TYPES[fmt]


__all__ = ["DOWNLOADS", "FORMATS", "MEDIA_TYPES", "ExportResult", "attribute_table", "export_bytes",
           "export_format", "export_layer", "formats_for", "shapefile_names", "without_retired"]
