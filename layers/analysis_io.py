"""Writing analysis results: ``parcel_analysis`` files and XLSX workbooks of result tables.

Analysis frames are not registry layers, so they are written as they are: GeoJSON
in EPSG:4326 (RFC 7946), GeoPackage in the park's working CRS, CSV (UTF-8 with BOM
so Excel shows Chinese) and XLSX with the geometry as WKT left out. Files are
written to a temporary name beside the target and moved into place.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from layers.cells import neutralise_formulas
from layers.store import GPKG_OPTIONS
from layers.workbook_style import plain_sheets, styled_workbook

FORMATS = (".geojson", ".csv", ".xlsx", ".gpkg")


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns Excel and CSV writers take: nullable types to objects, no geometry, no time zones."""
    out = frame.drop(columns=[c for c in frame.columns if c == "geometry"])
    out = pd.DataFrame(out)
    for name in out.columns:
        column = out[name]
        if pd.api.types.is_datetime64_any_dtype(column):
            out[name] = column.dt.date.astype(object).where(column.notna(), None)
        elif isinstance(column.dtype, pd.BooleanDtype | pd.Int64Dtype | pd.StringDtype):
            out[name] = column.astype(object).where(column.notna(), None)
    return out


def xlsx_bytes(sheets: Mapping[str, pd.DataFrame], *, headers: Mapping[str, str] | None = None) -> bytes:
    """An XLSX workbook with one sheet per frame (index written when it is named), in the one convention of
    ``layers.workbook_style`` (frozen header, fitted columns, date cells, formats from the headers' units).

    Parameters
    ----------
    sheets
        Sheet name → frame (names are cut to Excel's 31 characters).
    headers
        Column name → header text (e.g. Chinese labels); other columns keep their names.
    """
    tables = {}
    for name, frame in sheets.items():
        table = _plain(frame)
        if table.index.name is not None:
            table = table.reset_index()
        tables[name] = table.rename(columns=dict(headers)) if headers else table
    return styled_workbook(plain_sheets(tables))


def write_analysis(frame: gpd.GeoDataFrame, path: str | os.PathLike) -> Path:
    """Write an analysis frame to ``path``; the format follows the suffix (.geojson, .csv, .xlsx, .gpkg).

    Raises
    ------
    ValueError
        For another suffix, naming the allowed ones.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        msg = f"{path}: cannot write {suffix or 'a file without suffix'!r}; allowed: {', '.join(FORMATS)}"
        raise ValueError(msg)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".parkatlas-", suffix=suffix)
    os.close(handle)
    os.unlink(temporary)  # writers create the file themselves
    try:
        if suffix == ".csv":
            neutralise_formulas(_plain(frame)).to_csv(temporary, index=False, encoding="utf-8-sig")
        elif suffix == ".xlsx":
            Path(temporary).write_bytes(xlsx_bytes({"parcel_analysis": frame}))
        else:
            out = frame.to_crs(4326) if suffix == ".geojson" else frame
            out = out.copy()
            for name in out.columns:
                if name == out.geometry.name:
                    continue
                column = out[name]
                if isinstance(column.dtype, pd.BooleanDtype):
                    out[name] = column.astype(object).where(column.notna(), None)
                elif pd.api.types.is_datetime64_any_dtype(column):
                    out[name] = column.dt.strftime("%Y-%m-%d").where(column.notna(), None)
                elif isinstance(column.dtype, pd.StringDtype):
                    out[name] = column.astype(object).where(column.notna(), None)
                elif isinstance(column.dtype, pd.Int64Dtype):
                    out[name] = column.astype("float64").where(column.notna(), np.nan)
            driver = "GeoJSON" if suffix == ".geojson" else "GPKG"
            layer = None if suffix == ".geojson" else "parcel_analysis"
            pyogrio.write_dataframe(out, temporary, driver=driver, layer=layer,
                                    dataset_options=GPKG_OPTIONS if driver == "GPKG" else None)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return path
