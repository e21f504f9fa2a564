"""KML/KMZ read and write, keeping ExtendedData fields whatever their names.

GDAL's LIBKML driver turns Chinese ExtendedData names into underscores and its
KML driver drops ExtendedData altogether, so KML (small files from phones and
Google Earth) is parsed here with the standard XML pull parser: Placemarks in
any Folder depth, their ``name``, ``description``, folder path, ``Data`` and
``SimpleData`` fields and geometry (Point, LineString, LinearRing, Polygon,
MultiGeometry). A file that breaks off keeps the Placemarks read before the
break, and the report says where it broke. KML coordinates are lon/lat (WGS84)
by definition.

Written KML carries a typed ``<Schema>`` (read back by GDAL and QGIS with the
field types) and a ``<StyleMap>`` per style class, so Google Earth and QGIS draw
the layer as the map does.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.styles import Symbol

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


@dataclass(frozen=True)
class KmlField:
    """A typed ExtendedData field: ``kind`` is a KML ``SimpleField`` type (string, int, double, bool)."""

    name: str
    kind: str
    display_name: str


#: A highlighted placemark (the mouse over it in Google Earth) is drawn this much bolder.
HIGHLIGHT_SCALE = 1.5
#: Pixels of Google Earth's default icon at scale 1; points are scaled to their symbol's diameter.
ICON_PX = 32.0


def kml_color(color: str, opacity: float = 1.0) -> str:
    """``#rrggbb`` and an opacity as KML's ``aabbggrr``."""
    value = color.lstrip("#").lower()
    return f"{round(opacity * 255):02x}{value[4:6]}{value[2:4]}{value[0:2]}"


def _style_element(document: ET.Element, style_id: str, symbol: Symbol, scale: float) -> None:
    style = ET.SubElement(document, "Style", id=style_id)
    if symbol.radius_px:
        icon = ET.SubElement(style, "IconStyle")
        ET.SubElement(icon, "color").text = kml_color(symbol.fill, symbol.fill_opacity)
        ET.SubElement(icon, "scale").text = f"{2 * symbol.radius_px * scale / ICON_PX:.2f}"
        return
    line = ET.SubElement(style, "LineStyle")
    ET.SubElement(line, "color").text = kml_color(symbol.stroke, symbol.stroke_opacity)
    ET.SubElement(line, "width").text = f"{symbol.stroke_width_px * scale:g}"
    if symbol.fill is not None:
        poly = ET.SubElement(style, "PolyStyle")
        opacity = min(1.0, symbol.fill_opacity * scale)
        ET.SubElement(poly, "color").text = kml_color(symbol.fill, opacity)
        ET.SubElement(poly, "fill").text = "1" if symbol.fill_opacity > 0 else "0"
        ET.SubElement(poly, "outline").text = "1"


def _style_map(document: ET.Element, style_id: str, symbol: Symbol) -> None:
    """``<StyleMap id=style_id>``: the normal style and a bolder one for the highlighted placemark."""
    _style_element(document, f"{style_id}-normal", symbol, 1.0)
    _style_element(document, f"{style_id}-highlight", symbol, HIGHLIGHT_SCALE)
    style_map = ET.SubElement(document, "StyleMap", id=style_id)
    for key in ("normal", "highlight"):
        pair = ET.SubElement(style_map, "Pair")
        ET.SubElement(pair, "key").text = key
        ET.SubElement(pair, "styleUrl").text = f"#{style_id}-{key}"


def _schema(document: ET.Element, schema_id: str, fields: Sequence[KmlField]) -> None:
    schema = ET.SubElement(document, "Schema", name=schema_id, id=schema_id)
    for kml_field in fields:
        simple = ET.SubElement(schema, "SimpleField", name=kml_field.name, type=kml_field.kind)
        ET.SubElement(simple, "displayName").text = kml_field.display_name


def write_kml(frame: gpd.GeoDataFrame, path: Path, *, title: str, name_field: str | None,
              text_columns: dict[str, pd.Series], fields: Sequence[KmlField] = (),
              styles: Mapping[str, Symbol] | None = None, style_ids: Sequence[str] | None = None) -> None:
    """Write ``frame`` (EPSG:4326) as KML; each column of ``text_columns`` becomes an ExtendedData field.

    With ``fields`` the data is typed: a ``<Schema>`` declares each field's type and
    display name, and placemarks carry ``SchemaData``/``SimpleData`` (GDAL and QGIS read
    the types from it); without, untyped ``Data`` elements. ``styles`` (id → symbol)
    become a ``StyleMap`` each, and ``style_ids`` gives each placemark's.
    """
    root = ET.Element("kml", xmlns=KML_NAMESPACE)
    document = ET.SubElement(root, "Document")
    ET.SubElement(document, "name").text = title
    schema_id = f"{path.stem}_schema"
    if fields:
        _schema(document, schema_id, fields)
    for style_id, symbol in (styles or {}).items():
        _style_map(document, style_id, symbol)
    names = text_columns.get(name_field) if name_field else None
    geometries = frame.geometry.to_numpy()
    for i, geom in enumerate(geometries):
        placemark = ET.SubElement(document, "Placemark")
        if names is not None and isinstance(names.iloc[i], str):
            ET.SubElement(placemark, "name").text = names.iloc[i]
        if style_ids is not None:
            ET.SubElement(placemark, "styleUrl").text = f"#{style_ids[i]}"
        extended = ET.SubElement(placemark, "ExtendedData")
        if fields:
            extended = ET.SubElement(extended, "SchemaData", schemaUrl=f"#{schema_id}")
        for column, values in text_columns.items():
            value = values.iloc[i]
            if isinstance(value, str) and fields:
                ET.SubElement(extended, "SimpleData", name=column).text = value
            elif isinstance(value, str):
                data = ET.SubElement(extended, "Data", name=column)
                ET.SubElement(data, "value").text = value
        if geom is not None and not shapely.is_empty(geom):
            _geometry_element(geom, placemark)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
