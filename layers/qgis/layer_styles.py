"""The ``layer_styles`` table: QGIS's place for a layer's styles in a GeoPackage or a PostGIS database.

QGIS opens a layer with the style its data source marks ``useAsDefault`` (the most
recent one when several are), and lists the others under *Styles → Load style*.
Every layer ParkAtlas writes gets two rows: the Chinese style (default) and the
English one, each with its QML (what QGIS draws with) and, for spatial layers, its
SLD (for other OGC clients). Rows are keyed by table, geometry column and style
name; saving a layer replaces its two rows and leaves any style a user saved under
another name alone.

In a GeoPackage the table lives in the file (registered in ``gpkg_contents`` as an
attributes table, as QGIS does). For PostGIS, QGIS reads ``layer_styles`` from the
connection's search path (``public``), keyed by database and schema.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from layers.qgis.qml import qml
from layers.qgis.sld import sld
from layers.registry import get_layer
from layers.schema import LayerSpec
from layers.styles import layer_style

STYLE_TABLE = "layer_styles"
#: Style names by language (QGIS keeps at most 30 characters); the first is the default.
STYLE_NAMES = {"zh": "ParkAtlas 中文", "en": "ParkAtlas English"}
DEFAULT_STYLE_LANG = "zh"
#: GeoPackage column types of the table as QGIS creates it (gpkg data types, so validators accept it).
GPKG_STYLE_TABLE_SQL = (
    f"CREATE TABLE IF NOT EXISTS {STYLE_TABLE} ("
    "id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, f_table_catalog TEXT(256), f_table_schema TEXT(256), "
    "f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT, "
    "useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30), "
    "update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"
)
_NOW_GPKG = "strftime('%Y-%m-%dT%H:%M:%fZ','now')"


@dataclass(frozen=True)
class StyleRow:
    """One row of ``layer_styles`` (catalog and schema are the store's to fill)."""

    table: str
    geometry_column: str | None
    name: str
    qml: str
    sld: str
    default: bool
    description: str


def style_columns(spec: LayerSpec) -> list[str]:
    """The columns a layer's style depends on (the land-use classes present), empty for the others."""
    return ["land_use", "land_use_std"] if spec.style.by_field == "land_use" else []


def style_documents(spec: LayerSpec, frame: pd.DataFrame | None, lang: str,
                    names: Mapping[str, str] | None = None) -> tuple[str, str]:
    """(QML, SLD) of layer ``spec`` in ``lang``; SLD is empty for tables. ``frame`` holds :func:`style_columns`."""
    style = None if spec.is_table else layer_style(spec, frame if style_columns(spec) else None)
    return qml(spec, style, lang=lang, names=names), ("" if style is None else sld(spec, style, lang=lang))


def style_rows(spec: LayerSpec, frame: pd.DataFrame | None, geometry_column: str | None) -> list[StyleRow]:
    """The rows of layer ``spec``: one per language, Chinese the default."""
    rows = []
    for lang, name in STYLE_NAMES.items():
        qml_text, sld_text = style_documents(spec, frame, lang)
        rows.append(StyleRow(spec.name, geometry_column, name, qml_text, sld_text, lang == DEFAULT_STYLE_LANG,
                             f"{spec.label(lang)} — ParkAtlas ({lang})"))
    return rows


# -- GeoPackage -----------------------------------------------------------------------------------------


def _gpkg_geometry_columns(conn: sqlite3.Connection) -> dict[str, str]:
    return {str(table): str(column) for table, column in
            conn.execute("SELECT table_name, column_name FROM gpkg_geometry_columns")}


def _gpkg_style_frame(conn: sqlite3.Connection, spec: LayerSpec) -> pd.DataFrame | None:
    columns = style_columns(spec)
    if not columns:
        return None
    listed = ", ".join(f'"{c}"' for c in columns)
    rows = conn.execute(f'SELECT DISTINCT {listed} FROM "{spec.name}"').fetchall()
    return pd.DataFrame(rows, columns=columns, dtype=object)


def register_gpkg_table(conn: sqlite3.Connection, table: str, description: str = "") -> None:
    """List ``table`` in ``gpkg_contents`` as an attributes table (QGIS then loads it like any table)."""
    conn.execute(
        "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, last_change) "
        f"VALUES (?, 'attributes', ?, ?, {_NOW_GPKG})", (table, table, description))


def write_gpkg_styles(path: Path, names: Iterable[str]) -> None:
    """Write the styles of layers ``names`` of the GeoPackage at ``path`` into its ``layer_styles`` table.

    The styles are made from the layers as they are in the file (the land-use classes
    present), so call it after the layers are written.
    """
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("BEGIN")
        geometry_columns = _gpkg_geometry_columns(conn)
        conn.execute(GPKG_STYLE_TABLE_SQL)
        register_gpkg_table(conn, STYLE_TABLE, "QGIS layer styles")
        for name in names:
            spec = get_layer(name)
            rows = style_rows(spec, _gpkg_style_frame(conn, spec), geometry_columns.get(name))
            conn.execute(f"DELETE FROM {STYLE_TABLE} WHERE f_table_name = ? AND styleName IN (?, ?)",
                         (name, *STYLE_NAMES.values()))
            conn.executemany(
                f"INSERT INTO {STYLE_TABLE} (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
                "styleName, styleQML, styleSLD, useAsDefault, description, owner, ui) "
                "VALUES ('', '', ?, ?, ?, ?, ?, ?, ?, 'ParkAtlas', '')",
                # QGIS matches a table's styles on an empty geometry column, not NULL.
                [(row.table, row.geometry_column or "", row.name, row.qml, row.sld, int(row.default),
                  row.description) for row in rows])
        conn.execute("COMMIT")


# -- PostGIS --------------------------------------------------------------------------------------------

#: Where QGIS looks for styles of a PostgreSQL layer: ``layer_styles`` on the connection's search path.
POSTGIS_STYLE_SCHEMA = "public"
#: The table as QGIS (3.14 and later) creates it; QML and SLD are ``xml``.
POSTGIS_STYLE_TABLE_SQL = (
    f"CREATE TABLE IF NOT EXISTS {POSTGIS_STYLE_SCHEMA}.{STYLE_TABLE} ("
    "id serial PRIMARY KEY, f_table_catalog varchar, f_table_schema varchar, f_table_name varchar, "
    "f_geometry_column varchar, stylename text, styleqml xml, stylesld xml, useasdefault boolean, "
    "description text, owner varchar(63) DEFAULT CURRENT_USER, ui xml, "
    "update_time timestamp DEFAULT CURRENT_TIMESTAMP, type varchar)"
)
POSTGIS_DELETE_SQL = (
    f"DELETE FROM {POSTGIS_STYLE_SCHEMA}.{STYLE_TABLE} WHERE f_table_catalog = current_database() "
    "AND f_table_schema = %s AND (%s::text IS NULL OR f_table_name = %s) AND stylename = ANY(%s)"
)
# QML carries a DOCTYPE, which only an XML document (not XML content) may have.
POSTGIS_INSERT_SQL = (
    f"INSERT INTO {POSTGIS_STYLE_SCHEMA}.{STYLE_TABLE} (f_table_catalog, f_table_schema, f_table_name, "
    "f_geometry_column, stylename, styleqml, stylesld, useasdefault, description, ui) "
    "VALUES (current_database(), %s, %s, %s, %s, XMLPARSE(DOCUMENT %s), XMLPARSE(DOCUMENT NULLIF(%s, '')), %s, %s, "
    "NULL)"
)


def postgis_insert_params(rows: Iterable[StyleRow], schema: str) -> list[tuple]:
    """Parameters of :data:`POSTGIS_INSERT_SQL` for ``rows`` of park schema ``schema``."""
    return [(schema, row.table, row.geometry_column, row.name, row.qml, row.sld, row.default, row.description)
            for row in rows]


__all__ = ["DEFAULT_STYLE_LANG", "POSTGIS_DELETE_SQL", "POSTGIS_INSERT_SQL", "POSTGIS_STYLE_SCHEMA",
           "POSTGIS_STYLE_TABLE_SQL", "STYLE_NAMES", "STYLE_TABLE", "StyleRow", "postgis_insert_params",
           "register_gpkg_table", "style_columns", "style_documents", "style_rows", "write_gpkg_styles"]
