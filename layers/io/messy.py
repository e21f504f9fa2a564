"""Messy files: the judgements an import makes about data that is readable but not what it seems.

* **Where a problem is** — points in messages are given in the coordinates the
  file holds (:class:`SourceCoordinates`), never in the park's working CRS the
  user has never seen.
* **Geometry of another kind** — the points of a layer that mixes points and
  polygons are named by record with the layers they would fit
  (:func:`other_kind_notes`); the records of the layer's kind are imported.
* **An id column that is not one** — a column with one value on every row, or
  with duplicates, keys nothing (:func:`id_column_fault`); fields that could be
  the id instead are offered (:func:`id_candidates`).
* **Data far from the park** — records farther than a configured distance from
  the park's boundary zone, else from the extent of its layers
  (:func:`park_reference`, :func:`far_records`), are flagged and need an
  explicit confirmation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo import gcj02
from layers.io import datum
from layers.io.crs_detect import CrsChoice
from layers.io.geometry import kind_of
from layers.registry import REGISTRY
from layers.validate import Problem, aggregated
from layers.values import to_text

#: GEOS puts the point a validity reason concerns in brackets: ``Self-intersection[636010.5 3171020.25]``.
_GEOS_POINT = re.compile(r"\[(-?\d[\d.eE+-]*) (-?\d[\d.eE+-]*)\]")
#: The value an id choice takes to generate ids whatever the source holds.
GENERATE_IDS = "AUTO"


def _point_text(x: float, y: float, geographic: bool) -> str:
    digits = 8 if geographic else 3  # 1 mm either way (1e-8° ≈ 1 mm)
    return f"({x:.{digits}f}, {y:.{digits}f})"


def in_file_coordinates(message: str, *, geographic: bool) -> str:
    """A GEOS reason whose point is already in the file's coordinates, written as people read it."""
    return _GEOS_POINT.sub(lambda m: " at " + _point_text(float(m.group(1)), float(m.group(2)), geographic),
                           message)


@dataclass(frozen=True)
class SourceCoordinates:
    """Working-CRS points as the file holds them: back through the transformation, the offset and the swap."""

    choice: CrsChoice
    park_crs: CRS

    @property
    def geographic(self) -> bool:
        return bool(self.choice.crs.is_geographic)

    def __call__(self, x: float, y: float) -> tuple[float, float]:
        sx, sy = datum.route(self.choice.crs, self.park_crs).to_source(x, y)
        if self.choice.offset == "gcj02":
            sx, sy = gcj02.wgs84_to_gcj02(sx, sy)
        elif self.choice.offset == "bd09":
            sx, sy = gcj02.wgs84_to_bd09(sx, sy)
        if self.choice.swap_xy:
            sx, sy = sy, sx
        return float(sx), float(sy)

    def at(self, point: tuple[float, float]) -> str:
        """`` at (x, y) in the source's coordinates (CRS)`` for a working-CRS point."""
        return f" at {_point_text(*self(*point), self.geographic)} in the source's coordinates ({self.choice.label})"

    def rewrite(self, message: str) -> str:
        """A message with GEOS's bracketed working-CRS points given in the source's coordinates."""
        if not _GEOS_POINT.search(message):
            return message
        text = _GEOS_POINT.sub(lambda m: " at " + _point_text(*self(float(m.group(1)), float(m.group(2))),
                                                              self.geographic), message)
        return f"{text} (the source's coordinates, {self.choice.label})"


# -- geometry of another kind --------------------------------------------------------------------------------


def fitting_layers(kind: str | None) -> list[str]:
    """The layers whose geometry is ``kind`` (Polygon, LineString, Point)."""
    return [name for name, spec in REGISTRY.items() if kind is not None and spec.geometry == kind]


_KIND_WORDS = {"Polygon": "polygons", "LineString": "lines", "Point": "points"}


def other_kind_notes(other_kind: list[tuple[int, str]], rows: np.ndarray, declared: str, layer: str) -> list[Problem]:
    """One notice per geometry type set aside: its records, and the layers it would fit."""
    labels = np.char.add("row ", (rows + 1).astype(str)).astype(object)
    by_type: dict[str, list[int]] = {}
    for position, geom_type in other_kind:
        by_type.setdefault(geom_type, []).append(position)
    notes = []
    for geom_type, positions in by_type.items():
        fits = fitting_layers(kind_of(geom_type))
        where = (f"; {_KIND_WORDS[kind_of(geom_type)]} fit layer(s) {', '.join(fits)}: import the file into one of "
                 "them for these records") if fits else ""
        message = (f"{geom_type}, not a {declared.lower()}: not imported (layer {layer!r} holds "
                   f"{_KIND_WORDS[declared]}){where}")
        notes.append(aggregated(labels, np.asarray(positions), "geometry", message))
    return notes


def no_kind_message(other_kind: list[tuple[int, str]], declared: str, layer: str) -> str:
    """Why a source with no geometry of the layer's kind is refused, and where it would fit."""
    counts = pd.Series([t for _, t in other_kind]).value_counts()
    held = ", ".join(f"{n} {t}" for t, n in counts.items())
    fits = sorted({name for t in counts.index for name in fitting_layers(kind_of(t))})
    message = f"no {declared.lower()} in the source ({held}): layer {layer!r} holds {_KIND_WORDS[declared]}"
    return message + (f"; the records fit layer(s) {', '.join(fits)}" if fits else "")


# -- ids -----------------------------------------------------------------------------------------------------


def id_column_fault(values: pd.Series) -> str | None:
    """Why a column cannot be the records' ids (one value on every row, or duplicates); None when it can.

    ``values`` are the ids one per source record (present ones only count).
    """
    present = values.dropna().astype(str)
    if len(present) < 2:
        return None
    counts = present.value_counts()
    if len(counts) == 1:
        return f"holds one value on every row ({counts.index[0]!r})"
    repeated = counts[counts > 1]
    if repeated.empty:
        return None
    shown = ", ".join(f"{value!r} ×{n}" for value, n in repeated.head(5).items())
    more = f" and {len(repeated) - 5} more" if len(repeated) > 5 else ""
    return f"holds duplicates ({shown}{more}; {len(counts)} distinct values on {len(present)} rows)"


def id_candidates(frame: pd.DataFrame, rows: np.ndarray) -> list[str]:
    """Source fields that could be the id: a value on every imported row, each value once."""
    source = frame.iloc[rows]
    out = []
    for column in source.columns:
        if column == "geometry":
            continue
        values = source[column]
        if values.isna().any() or len(values) < 2:
            continue
        text = to_text(values)[0]  # as the ids would read: 1001.0 is 1001
        if text.notna().all() and not text.duplicated().any():
            out.append(str(column))
    return out


# -- far from the park ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParkReference:
    """What "the park" is when judging how far data lies: a geometry in the working CRS and its name."""

    geometry: object
    label: str


def park_reference(load, names: list[str]) -> ParkReference | None:
    """The park's boundary zones (``zones`` of kind ``park_boundary``), else the extent of its layers' records.

    ``load(name)`` gives a spatial layer of the park, ``names`` are those it
    holds (records in force only count); the boundary is looked at first, so a
    park that has one loads nothing else. None when the park holds no geometry
    yet (a park this import creates).
    """
    def live(frame: pd.DataFrame) -> np.ndarray:
        geoms = frame.geometry.to_numpy()
        if "retired_on" in frame:
            geoms = geoms[frame["retired_on"].isna().to_numpy()]
        return geoms[~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)]

    if "zones" in names:
        zones = load("zones")
        if len(zones) and "kind" in zones:
            boundary = live(zones[(zones["kind"] == "park_boundary").to_numpy()])
            if len(boundary):
                return ParkReference(shapely.union_all(boundary), "the park boundary (zones, kind park_boundary)")
    held = {name: live(load(name)) for name in names}
    held = {name: geoms for name, geoms in held.items() if len(geoms)}
    if not held:
        return None
    bounds = np.array([shapely.total_bounds(geoms) for geoms in held.values()])
    extent = shapely.box(bounds[:, 0].min(), bounds[:, 1].min(), bounds[:, 2].max(), bounds[:, 3].max())
    return ParkReference(extent, f"the extent of the park's layers ({', '.join(held)})")


def km_text(km: float) -> str:
    """A distance in km as the report gives it: 2 decimals near the threshold, 1 beyond 100 km."""
    return f"{km:,.2f}" if km < 100 else f"{km:,.1f}"


def far_records(geoms: np.ndarray, reference: ParkReference, *, far_km: float) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the geometries farther than ``far_km`` from ``reference``, and their distances in km."""
    usable = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    distance_km = np.zeros(len(geoms))
    distance_km[usable] = shapely.distance(geoms[usable], reference.geometry) / 1000.0
    far = np.flatnonzero(distance_km > far_km)
    return far, distance_km[far]


__all__ = ["GENERATE_IDS", "ParkReference", "SourceCoordinates", "far_records", "fitting_layers", "id_candidates", "km_text",
           "id_column_fault", "in_file_coordinates", "no_kind_message", "other_kind_notes", "park_reference"]
