"""KML/KMZ read and write, keeping ExtendedData fields whatever their names.

GDAL's LIBKML driver turns Chinese ExtendedData names into underscores and its
KML driver drops ExtendedData altogether, so KML (small files from phones and
Google Earth) is parsed here with the standard XML pull parser: Placemarks in
any Folder depth, their ``name``, ``description``, folder path, ``Data`` and
``SimpleData`` fields and geometry (Point, LineString, LinearRing, Polygon,
MultiGeometry). A file that breaks off keeps the Placemarks read before the
break, and the report says where it broke. KML coordinates are lon/lat (WGS84)
by definition.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

KML_NAMESPACE = "http://www.opengis.net/kml/2.2"
#: Decimal places written for lon/lat (1e-9° ≈ 0.1 mm): exports round-trip without loss.
COORDINATE_DECIMALS = 9
_GEOMETRY_TAGS = ("Point", "LineString", "LinearRing", "Polygon", "MultiGeometry")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: ET.Element, name: str) -> ET.Element | None:
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _coordinates(element: ET.Element | None, heights: list[bool]) -> np.ndarray:
    """lon,lat pairs; ``heights`` gets True appended when an altitude is dropped (park layers are 2D)."""
    if element is None or not (element.text or "").strip():
        msg = "geometry without coordinates"
        raise ValueError(msg)
    tuples = element.text.split()
    rows = []
    for item in tuples:
        parts = item.split(",")
        if len(parts) < 2:
            msg = f"coordinate {item!r} is not lon,lat[,alt]"
            raise ValueError(msg)
        if len(parts) > 2 and parts[2].strip() not in ("", "0", "0.0"):
            heights.append(True)
        rows.append((float(parts[0]), float(parts[1])))
    return np.array(rows, dtype="float64")


def _geometry(element: ET.Element, heights: list[bool]) -> shapely.Geometry:
    kind = _local(element.tag)
    if kind == "Point":
        return shapely.points(_coordinates(_child(element, "coordinates"), heights)[0])
    if kind == "LineString":
        return shapely.linestrings(_coordinates(_child(element, "coordinates"), heights))
    if kind == "LinearRing":
        return shapely.linestrings(_coordinates(_child(element, "coordinates"), heights))
    if kind == "Polygon":
        outer = _child(element, "outerBoundaryIs")
        ring = _child(outer, "LinearRing") if outer is not None else None
        if ring is None:
            msg = "Polygon without outerBoundaryIs/LinearRing"
            raise ValueError(msg)
        shell = _coordinates(_child(ring, "coordinates"), heights)
        holes = []
        for inner in element:
            if _local(inner.tag) == "innerBoundaryIs":
                inner_ring = _child(inner, "LinearRing")
                if inner_ring is not None:
                    holes.append(_coordinates(_child(inner_ring, "coordinates"), heights))
        return shapely.Polygon(shell, holes)
    parts = [_geometry(child, heights) for child in element if _local(child.tag) in _GEOMETRY_TAGS]
    if not parts:
        return shapely.GeometryCollection()
    kinds = {p.geom_type for p in parts}
    if kinds == {"Polygon"}:
        return shapely.MultiPolygon(parts)
    if kinds == {"LineString"}:
        return shapely.MultiLineString(parts)
    if kinds == {"Point"}:
        return shapely.MultiPoint(parts)
    return shapely.GeometryCollection(parts)


def _extended_data(placemark: ET.Element) -> dict[str, str | None]:
    values: dict[str, str | None] = {}
    data = _child(placemark, "ExtendedData")
    if data is None:
        return values
    for element in data.iter():
        tag = _local(element.tag)
        if tag == "Data" and element.get("name"):
            value = _child(element, "value")
            values[element.get("name")] = value.text if value is not None else None
        elif tag == "SimpleData" and element.get("name"):
            values[element.get("name")] = element.text
    return values


@dataclass
class KmlContent:
    """Placemarks as a GeoDataFrame (EPSG:4326) and the records that could not be read (0-based → reason)."""

    frame: gpd.GeoDataFrame
    damaged: dict[int, str] = field(default_factory=dict)
    fixes: list[tuple[int, str]] = field(default_factory=list)


def read_kml(text: str, *, name: str = "KML") -> KmlContent:
    """Parse KML text into one frame: ``name``, ``description``, ``folder`` and every ExtendedData field."""
    parser = ET.XMLPullParser(events=("start", "end"))
    records: list[dict] = []
    geometries: list[object] = []
    damaged: dict[int, str] = {}
    fixes: list[tuple[int, str]] = []
    folders: list[str | None] = []
    stack: list[str] = []
    try:
        parser.feed(text)
        parser.close()
        events = list(parser.read_events())
        broken = None
    except ET.ParseError as exc:
        events = list(parser.read_events())
        line, column = exc.position
        broken = f"the file breaks off or is malformed at line {line}, column {column}"
    for event, element in events:
        tag = _local(element.tag)
        if event == "start":
            stack.append(tag)
            if tag in ("Folder", "Document"):
                folders.append(None)
            continue
        stack.pop()
        if tag == "name" and stack and stack[-1] in ("Folder", "Document") and folders:
            folders[-1] = (element.text or "").strip() or None
        elif tag in ("Folder", "Document") and folders:
            folders.pop()
        elif tag == "Placemark":
            index = len(records)
            name_el, desc_el = _child(element, "name"), _child(element, "description")
            record = {
                "name": name_el.text.strip() if name_el is not None and name_el.text else None,
                "description": desc_el.text if desc_el is not None else None,
                "folder": "/".join(f for f in folders if f) or None,
                **_extended_data(element),
            }
            geometry = None
            heights: list[bool] = []
            for child in element:
                if _local(child.tag) in _GEOMETRY_TAGS:
                    try:
                        geometry = _geometry(child, heights)
                        if heights:
                            fixes.append((index, "Z (height) coordinates dropped"))
                    except (ValueError, TypeError, shapely.errors.GEOSException) as exc:
                        damaged[index] = f"geometry cannot be read ({exc})"
                    break
            records.append(record)
            geometries.append(geometry)
            element.clear()
    if broken:
        damaged[len(records)] = f"{broken}; {len(records)} placemark(s) before it were read, any after it are lost"
    frame = gpd.GeoDataFrame(pd.DataFrame.from_records(records) if records else pd.DataFrame(),
                             geometry=gpd.GeoSeries(geometries, crs=4326))
    return KmlContent(frame, damaged, fixes)


# -- writing -----------------------------------------------------------------------------------------


def _coordinate_text(coords: np.ndarray) -> str:
    return " ".join(f"{x:.{COORDINATE_DECIMALS}f},{y:.{COORDINATE_DECIMALS}f}" for x, y in coords)


def _geometry_element(geom: shapely.Geometry, parent: ET.Element) -> None:
    kind = geom.geom_type
    if kind == "Point":
        ET.SubElement(ET.SubElement(parent, "Point"), "coordinates").text = _coordinate_text(
            shapely.get_coordinates(geom))
    elif kind == "LineString":
        ET.SubElement(ET.SubElement(parent, "LineString"), "coordinates").text = _coordinate_text(
            shapely.get_coordinates(geom))
    elif kind == "Polygon":
        polygon = ET.SubElement(parent, "Polygon")
        rings = [("outerBoundaryIs", geom.exterior)] + [("innerBoundaryIs", ring) for ring in geom.interiors]
        for tag, ring in rings:
            linear = ET.SubElement(ET.SubElement(polygon, tag), "LinearRing")
            ET.SubElement(linear, "coordinates").text = _coordinate_text(shapely.get_coordinates(ring))
    else:
        multi = ET.SubElement(parent, "MultiGeometry")
        for part in shapely.get_parts(geom):
            _geometry_element(part, multi)


def write_kml(frame: gpd.GeoDataFrame, path: Path, *, title: str, name_field: str | None,
              text_columns: dict[str, pd.Series]) -> None:
    """Write ``frame`` (EPSG:4326) as KML; each column of ``text_columns`` becomes an ExtendedData field."""
    root = ET.Element("kml", xmlns=KML_NAMESPACE)
    document = ET.SubElement(root, "Document")
    ET.SubElement(document, "name").text = title
    names = text_columns.get(name_field) if name_field else None
    geometries = frame.geometry.to_numpy()
    for i, geom in enumerate(geometries):
        placemark = ET.SubElement(document, "Placemark")
        if names is not None and isinstance(names.iloc[i], str):
            ET.SubElement(placemark, "name").text = names.iloc[i]
        extended = ET.SubElement(placemark, "ExtendedData")
        for column, values in text_columns.items():
            value = values.iloc[i]
            if isinstance(value, str):
                data = ET.SubElement(extended, "Data", name=column)
                ET.SubElement(data, "value").text = value
        if geom is not None and not shapely.is_empty(geom):
            _geometry_element(geom, placemark)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
