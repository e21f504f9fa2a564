"""DXF (CAD drawings): polylines, hatches and points by CAD layer name, read with ezdxf.

Park plans come from CAD as closed polylines and hatches on layers named after
what they show (``地块-M1``, ``道路中线``). GDAL's DXF driver decodes the layer
names of AutoCAD 2007+ files with the drawing's ANSI code page and garbles
Chinese; ezdxf reads them right, recovers damaged files entity by entity
(``ezdxf.recover``), and its ``geo`` add-on turns entities into GeoJSON-like
geometries with arcs and bulges linearised.

Columns: ``layer`` (CAD layer), ``entity`` (LWPOLYLINE, HATCH …), ``handle``,
``text`` (for polygons: the one TEXT/MTEXT label inside, often the parcel
number), ``block`` (for block references read as points).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import shape

#: Largest chord error (drawing units, metres in park plans) when arcs are linearised.
ARC_TOLERANCE_M = 0.01
_AREAL = ("HATCH", "MPOLYGON", "LWPOLYLINE", "POLYLINE", "CIRCLE", "ELLIPSE", "SOLID")
_LINEAR = ("LINE", "LWPOLYLINE", "POLYLINE", "ARC", "SPLINE", "ELLIPSE", "CIRCLE")
_PUNCTUAL = ("POINT", "INSERT")
_LABELS = ("TEXT", "MTEXT")


class DxfError(ValueError):
    """The file is not a DXF drawing ezdxf can read."""


#: A group-code-0 record: a line "0", then the record's type name (SECTION, POINT, VERTEX …). Values are
#: always followed by a group code (digits), so a value "0" never matches.
_RECORD_START = re.compile(rb"^[ \t]*0[ \t]*\r?\n[ \t]*[A-Za-z_][A-Za-z0-9_]*[ \t]*\r?$", re.MULTILINE)


def check_entity_count(path: Path, *, max_entities: int) -> int:
    """Count the drawing's records from its text, before ezdxf parses it; refuse more than ``max_entities``.

    Counting is a regular-expression pass (≈ 0.1 s for 40 MB); parsing the same
    file entity by entity takes minutes, so a drawing of 10⁶ points is refused
    before it is parsed.
    """
    count = len(_RECORD_START.findall(path.read_bytes()))
    if count > max_entities:
        msg = (f"{path.name}: about {count:,} DXF entities; at most {max_entities:,} are read from one drawing "
               "(split it by layer or area in CAD)")
        raise DxfError(msg)
    return count


@dataclass
class DxfContent:
    frame: gpd.GeoDataFrame
    damaged: dict[int, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _read_document(path: Path):
    import ezdxf
    from ezdxf import recover

    try:
        document, auditor = recover.readfile(str(path))
    except IOError as exc:
        msg = f"{path.name}: not a DXF file ezdxf can read ({exc})"
        raise DxfError(msg) from None
    except ezdxf.DXFStructureError as exc:
        msg = f"{path.name}: the DXF structure is broken beyond repair ({exc})"
        raise DxfError(msg) from None
    return document, auditor


def _label_points(texts: list[tuple[str, tuple[float, float]]]) -> tuple[np.ndarray, np.ndarray]:
    if not texts:
        return np.array([], dtype=object), np.array([], dtype=object)
    labels = np.array([t for t, _ in texts], dtype=object)
    points = shapely.points(np.array([p for _, p in texts], dtype="float64"))
    return labels, points


def read_dxf(path: Path, *, geometry: str) -> DxfContent:
    """Entities of the model space that can carry a ``geometry`` (Polygon, LineString, Point).

    Polygons come from hatches and closed polylines (a closed polyline that
    only outlines a hatch of the same layer is dropped as a duplicate); lines
    from open and closed polylines, lines, arcs and splines; points from POINT
    entities and block insertions.
    """
    from ezdxf.addons import geo

    document, auditor = _read_document(path)
    wanted = {"Polygon": _AREAL, "LineString": _LINEAR, "Point": _PUNCTUAL}[geometry]
    rows: list[dict] = []
    geometries: list[object] = []
    damaged: dict[int, str] = {}
    ignored: Counter[str] = Counter()
    texts: list[tuple[str, tuple[float, float]]] = []
    for entity in document.modelspace():
        kind = entity.dxftype()
        if kind in _LABELS:
            try:
                text = entity.plain_text() if kind == "MTEXT" else entity.dxf.text
                insert = entity.dxf.insert
                texts.append((str(text).strip(), (float(insert.x), float(insert.y))))
            except Exception:  # noqa: BLE001 — a label that cannot be read is simply not used
                pass
            continue
        if kind not in wanted:
            ignored[kind] += 1
            continue
        row = {"layer": entity.dxf.get("layer"), "entity": kind, "handle": entity.dxf.get("handle"), "block": None}
        try:
            if kind == "INSERT":
                point = entity.dxf.insert
                geom = shapely.Point(float(point.x), float(point.y))
                row["block"] = entity.dxf.get("name")
            else:
                proxy = geo.proxy(entity, distance=ARC_TOLERANCE_M, force_line_string=geometry == "LineString")
                geom = shape(proxy.__geo_interface__)
        except Exception as exc:  # noqa: BLE001 — ezdxf raises many types for odd entities; report by record
            damaged[len(rows)] = f"{kind} entity {row['handle']} on layer {row['layer']!r} cannot be converted ({exc})"
            geom = None
        if geom is not None and geometry == "Polygon" and geom.geom_type in ("LineString", "MultiLineString"):
            ignored[f"open {kind}"] += 1
            continue
        rows.append(row)
        geometries.append(geom)
    frame = gpd.GeoDataFrame(pd.DataFrame(rows, columns=["layer", "entity", "handle", "block"]),
                             geometry=gpd.GeoSeries(geometries, crs=None))
    notes = [f"ignored {count} {kind} entit{'y' if count == 1 else 'ies'} (not a {geometry.lower()})"
             for kind, count in sorted(ignored.items())]
    if auditor.has_errors or auditor.has_fixes:
        notes.append(f"ezdxf repaired the drawing on reading: {len(auditor.fixes)} fix(es), "
                     f"{len(auditor.errors)} error(s)")
    if geometry == "Polygon" and len(frame):
        frame, dropped = _drop_hatch_outlines(frame)
        if dropped:
            notes.append(f"dropped {dropped} closed polyline(s) that only outline a hatch on the same layer")
        frame["text"] = _labels_inside(frame, texts)
        damaged = {frame.index.get_loc(i): reason for i, reason in damaged.items() if i in frame.index}
        frame = frame.reset_index(drop=True)
    return DxfContent(frame, damaged, notes)


def _drop_hatch_outlines(frame: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, int]:
    geoms = frame.geometry.to_numpy()
    valid = ~shapely.is_missing(geoms)
    normalised = np.full(len(geoms), None, dtype=object)
    normalised[valid] = shapely.to_wkb(shapely.normalize(shapely.set_precision(geoms[valid], 1e-6)))
    key = pd.Series(list(zip(frame["layer"], normalised)), index=frame.index)
    hatch_keys = set(key[(frame["entity"] == "HATCH") & valid])
    outline = (frame["entity"] != "HATCH") & valid & key.isin(hatch_keys)
    return frame[~outline], int(outline.sum())


def _labels_inside(frame: gpd.GeoDataFrame, texts: list[tuple[str, tuple[float, float]]]) -> pd.Series:
    """The single text label inside each polygon (None when there is none or more than one)."""
    labels, points = _label_points(texts)
    out = pd.Series(None, index=frame.index, dtype=object)
    if not len(points):
        return out
    geoms = frame.geometry.to_numpy()
    usable = np.flatnonzero(~shapely.is_missing(geoms) & shapely.is_valid(geoms))
    tree = shapely.STRtree(points)
    polygon_index, point_index = tree.query(geoms[usable], predicate="contains")
    polygon_index = usable[polygon_index]
    counts = np.bincount(polygon_index, minlength=len(frame))
    single = counts[polygon_index] == 1
    out.iloc[polygon_index[single]] = labels[point_index[single]]
    return out
