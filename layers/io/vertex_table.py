"""Boundary-point tables (界址点坐标表): a spreadsheet or CSV of a plot's boundary points, one row per point, made
into one polygon per plot.

A surveyor's coordinate table lists each plot's boundary points in order: 点号 (J1, J2 …), X and Y, often a 圈号
for the ring, and the plot's number (地块编号, 宗地号) on every row of its block or only on the first one (a
merged cell reads blank below it). Imported into a polygon layer point by point, no record would fit. A table is
read this way when the layer takes polygons, the table has a coordinate pair (:data:`layers.io.tables.
COORDINATE_PAIRS`) and either a point-number column (:data:`POINT_COLUMNS`) or a plot-id column whose every
plot has three rows or more.

* **Plots**: rows are grouped by the column the layer's id maps to (blank cells take the plot of the row above:
  merged cells; the report says how many); without one the table is one plot. Plots come in the order they first
  appear, their points in the order of the rows.
* **Rings and polygons**: as a 国土 TXT's (:mod:`layers.io.gtxt`, the same functions): a new ring where the 圈号
  changes or after a ring closes, an unclosed ring closed with a note, holes and parts told by containment.
  A point without both coordinates damages its plot (the row, column and value said).
* **Axes**: the polygon keeps the table's x and y as written; the importer tells surveyors' X = north from the
  magnitudes, as for any table of points (:mod:`layers.io.crs_detect`).
* **Nothing lost**: a column with one value on every row of each plot is the plot's; a column whose values vary
  along a plot's points (点号, 圈号, 边长 …) is kept on the plot as its values in point order joined with
  :data:`JOIN`; the coordinates are the geometry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from layers.io import tables
from layers.io.gtxt import GtxtChecks, Plot, PointLine, assemble, close_ring, split_rings
from layers.io.mapping import match_columns
from layers.schema import LayerSpec
from layers.values import present

#: Header names (normalised, units stripped) of a boundary-point table's point-number column.
POINT_COLUMNS = ("点号", "界址点号", "界址点", "界址点编号", "点名", "点位号", "point", "pointno", "point_no", "pt",
                 "vertex")
#: Header names of its ring-number column.
RING_COLUMNS = ("圈号", "环号", "ring", "ringno", "ring_no")
#: A plot needs three points: a plot-id column makes a boundary-point table (without a point-number column) only
#: when every plot has this many rows or more.
MIN_POINTS = 3
#: What joins the values of a column that varies along a plot's points.
JOIN = "；"


@dataclass
class VertexPlots:
    """A boundary-point table read as plots: one row per plot (its attributes and polygon, in the table's x/y),
    plots damaged and fixed by position, notes for the report, and the columns the geometry was made of."""

    frame: gpd.GeoDataFrame
    coordinate_columns: tuple[str, str]
    damaged: dict[int, str] = field(default_factory=dict)
    fixes: list[tuple[int, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _id_column(columns: list[str], spec: LayerSpec) -> str | None:
    """The column the layer's id maps to by its aliases (地块编号, 宗地号 … for parcels)."""
    renames = match_columns(columns, spec).renames
    return next((column for column, name in renames.items() if name == spec.id_field), None)


def _rows_text(rows: np.ndarray, unit: str) -> str:
    first, last = int(rows[0]), int(rows[-1])
    return f"{unit} {first}" if first == last else f"{unit}s {first}–{last}"


def is_vertex_table(frame: pd.DataFrame, spec: LayerSpec) -> bool:
    """Whether ``frame`` is read as a boundary-point table for ``spec`` (the module docstring says when)."""
    columns = list(frame.columns)
    if spec.geometry != "Polygon" or not len(frame) or tables.coordinate_pair(columns) is None:
        return False
    if tables.find_column(columns, POINT_COLUMNS) is not None:
        return True
    id_column = _id_column(columns, spec)
    if id_column is None:
        return False
    ids = frame[id_column]
    return bool(present(ids).all()) and int(ids.value_counts().min()) >= MIN_POINTS


def _plot_keys(frame: pd.DataFrame, id_column: str | None) -> tuple[np.ndarray, int]:
    """Each row's plot (its id, blank cells filled from the row above; "" before the first id or without an id
    column) and how many rows were filled."""
    if id_column is None:
        return np.full(len(frame), "", dtype=object), 0
    ids = frame[id_column].where(present(frame[id_column]))
    filled = ids.ffill()
    taken = int((ids.isna() & filled.notna()).sum())
    return filled.fillna("").astype(str).to_numpy(dtype=object), taken


def _texts(frame: pd.DataFrame, column: str | None) -> list[str | None]:
    """``column``'s cells as text (``str`` of each value), None where blank or without the column."""
    if column is None:
        return [None] * len(frame)
    cells = frame[column]
    return [str(value) if filled else None for value, filled in zip(cells, present(cells).to_numpy(dtype=bool))]


def _attribute(values: pd.Series) -> tuple[object, bool]:
    """A column over one plot's rows: its one value (None when blank throughout), or its values in point order
    joined with :data:`JOIN` (blank cells as empty text) when they vary; and whether they vary."""
    filled = present(values)
    if len(pd.unique(values[filled].astype(str))) <= 1:
        return (values[filled].iloc[0] if filled.any() else None), False
    return JOIN.join(str(value) if ok else "" for value, ok in zip(values, filled)), True


def vertex_plots(table: tables.Table, spec: LayerSpec, checks: GtxtChecks = GtxtChecks()) -> VertexPlots:
    """``table`` (a boundary-point table: :func:`is_vertex_table`) as one record per plot; its points are named by
    the file's rows (or lines)."""
    frame, unit, file_rows = table.frame, table.unit, table.file_rows()
    columns = list(frame.columns)
    x_column, y_column = tables.coordinate_pair(columns)
    point_column = tables.find_column(columns, POINT_COLUMNS)
    ring_column = tables.find_column(columns, RING_COLUMNS)
    id_column = _id_column(columns, spec)
    keys, filled = _plot_keys(frame, id_column)
    x, _ = tables.to_coordinate(frame[x_column])
    y, _ = tables.to_coordinate(frame[y_column])
    x, y = x.to_numpy(dtype=float), y.to_numpy(dtype=float)
    others = [c for c in columns if c not in (x_column, y_column)]
    records: list[dict] = []
    geometries: list = []
    damaged: dict[int, str] = {}
    fixes: list[tuple[int, str]] = []
    varying: set[str] = set()
    # Each row's point number and ring as text (None where blank), and which coordinate cells are blank: read once
    # for the table, not per point.
    point_labels, ring_numbers = _texts(frame, point_column), _texts(frame, ring_column)
    blank = {name: ~present(frame[name]).to_numpy(dtype=bool) for name in (x_column, y_column)}
    by_plot = pd.Series(np.arange(len(keys))).groupby(keys, sort=False).indices
    for number, key in enumerate(pd.unique(keys)):
        positions = by_plot[key]
        plot = Plot(["", "", key], int(file_rows[positions[0]]), unit=unit)
        for position in positions:
            row = int(file_rows[position])
            if not (np.isfinite(x[position]) and np.isfinite(y[position])):
                which = x_column if not np.isfinite(x[position]) else y_column
                raw = frame[which].iloc[position]
                said = "coordinate missing" if blank[which][position] else f"{raw!r} is not a number"
                plot.damage.append(f"{unit} {row}, {which}: {said}")
                continue
            # PointLine holds surveying axes (x = the northing) and gives (y, x) back: the table's y goes in x.
            plot.points.append(PointLine(point_labels[position] or f"({unit} {row})", ring_numbers[position] or "1",
                                         float(y[position]), float(x[position]), row))
        geometry = None
        if not plot.damage:
            rings = split_rings(plot, checks)
            closed = [close_ring(ring, plot, checks) for ring in rings]
            if not plot.damage:
                geometry = assemble(closed, [ring.number for ring in rings], plot)
        if plot.damage:
            damaged[number] = f"plot {plot.plot_id} ({_rows_text(file_rows[positions], unit)}): " + "; ".join(plot.damage)
        fixes += [(number, note) for note in plot.notes]
        record = {}
        for column in others:
            record[column], varies = _attribute(frame[column].iloc[positions])
            if varies:
                varying.add(column)
        records.append(record)
        geometries.append(geometry)
    out = gpd.GeoDataFrame(pd.DataFrame(records, columns=others), geometry=gpd.GeoSeries(geometries))
    plots = len(records)
    by = f"one per {id_column}" if id_column else "the whole table one plot (no plot-id column)"
    notes = [f"boundary-point table: {len(frame)} {unit}s made into {plots} plot(s), {by}; points in the order of "
             f"the {unit}s, coordinates from {x_column}/{y_column}"]
    if filled:
        notes.append(f"{id_column} blank on {filled} {unit}(s) (merged cells): each taken from the {unit} above")
    if varying:
        shown = ", ".join(c for c in others if c in varying)
        notes.append(f"column(s) {shown} vary along a plot's points: kept on the plot as the points' values in "
                     f"order, joined with '{JOIN}'")
    return VertexPlots(out, (x_column, y_column), damaged, fixes, notes)


__all__ = ["JOIN", "MIN_POINTS", "POINT_COLUMNS", "RING_COLUMNS", "VertexPlots", "is_vertex_table", "vertex_plots"]
