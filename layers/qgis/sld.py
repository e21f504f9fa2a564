"""OGC Styled Layer Descriptor 1.1 (Symbology Encoding) of a layer's registry style (:mod:`layers.styles`).

One rule per class, filtered on the style field (and on the land-use system when a
layer mixes several), and an ``ElseFilter`` rule for every other value; rule titles
are the class labels in the chosen language. Sizes are pixels, SLD's default unit,
as on the web map. SLD has no per-feature width, so roads keep one width here (the
QML draws them wider by grade).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from layers import landuse
from layers.schema import LayerSpec
from layers.styles import LayerStyle, Symbol, other_label

SLD = "http://www.opengis.net/sld"
SE = "http://www.opengis.net/se"
OGC = "http://www.opengis.net/ogc"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{SLD} http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd"

for prefix, uri in (("sld", SLD), ("se", SE), ("ogc", OGC), ("xsi", XSI)):
    ET.register_namespace(prefix, uri)


def _se(parent: ET.Element, tag: str, text: str | None = None, **attributes) -> ET.Element:
    element = ET.SubElement(parent, f"{{{SE}}}{tag}", attributes)
    if text is not None:
        element.text = text
    return element


def _parameters(parent: ET.Element, tag: str, values: dict[str, str]) -> None:
    holder = _se(parent, tag)
    for name, value in values.items():
        _se(holder, "SvgParameter", value, name=name)


def _number(value: float) -> str:
    return f"{value:g}"


def _stroke(parent: ET.Element, symbol: Symbol) -> None:
    values = {"stroke": symbol.stroke, "stroke-width": _number(symbol.stroke_width_px),
              "stroke-opacity": _number(symbol.stroke_opacity), "stroke-linejoin": "round",
              "stroke-linecap": "round"}
    if symbol.dash_px:
        values["stroke-dasharray"] = " ".join(_number(px) for px in symbol.dash_px)
    _parameters(parent, "Stroke", values)


def symbolizer(parent: ET.Element, geometry: str, symbol: Symbol) -> None:
    """The SE symbolizer of ``symbol`` for a layer of ``geometry``."""
    if geometry == "LineString":
        _stroke(_se(parent, "LineSymbolizer"), symbol)
    elif geometry == "Point":
        graphic = _se(_se(parent, "PointSymbolizer"), "Graphic")
        mark = _se(graphic, "Mark")
        _se(mark, "WellKnownName", "circle")
        _parameters(mark, "Fill", {"fill": symbol.fill, "fill-opacity": _number(symbol.fill_opacity)})
        _stroke(mark, symbol)
        _se(graphic, "Size", _number(2 * symbol.radius_px))
    else:
        polygon = _se(parent, "PolygonSymbolizer")
        if symbol.fill_opacity > 0:
            _parameters(polygon, "Fill", {"fill": symbol.fill, "fill-opacity": _number(symbol.fill_opacity)})
        _stroke(polygon, symbol)


def _equal(parent: ET.Element, name: str, value: str) -> None:
    comparison = ET.SubElement(parent, f"{{{OGC}}}PropertyIsEqualTo")
    ET.SubElement(comparison, f"{{{OGC}}}PropertyName").text = name
    ET.SubElement(comparison, f"{{{OGC}}}Literal").text = value


def class_filter(parent: ET.Element, style: LayerStyle, value: str, standard: str | None) -> None:
    """``<ogc:Filter>`` matching a class: its value, within its land-use system when the layer mixes systems."""
    element = ET.SubElement(parent, f"{{{OGC}}}Filter")
    if not style.mixed_standards:
        _equal(element, style.field, value)
        return
    both = ET.SubElement(element, f"{{{OGC}}}And")
    if standard == landuse.STD_2023:  # an empty system means the 2023 one
        either = ET.SubElement(both, f"{{{OGC}}}Or")
        empty = ET.SubElement(either, f"{{{OGC}}}PropertyIsNull")
        ET.SubElement(empty, f"{{{OGC}}}PropertyName").text = style.standard_field
        _equal(either, style.standard_field, standard)
    else:
        _equal(both, style.standard_field, standard)
    _equal(both, style.field, value)


def _rule(parent: ET.Element, name: str, title: str) -> ET.Element:
    rule = _se(parent, "Rule")
    _se(rule, "Name", name)
    _se(_se(rule, "Description"), "Title", title)
    return rule


def sld(spec: LayerSpec, style: LayerStyle, *, lang: str = "zh") -> str:
    """The SLD 1.1 document of layer ``spec`` drawn with ``style``, titles in ``lang``."""
    root = ET.Element(f"{{{SLD}}}StyledLayerDescriptor",
                      {"version": "1.1.0", f"{{{XSI}}}schemaLocation": SCHEMA_LOCATION})
    layer = ET.SubElement(root, f"{{{SLD}}}NamedLayer")
    _se(layer, "Name", spec.name)
    user_style = ET.SubElement(layer, f"{{{SLD}}}UserStyle")
    _se(user_style, "Name", spec.name)
    _se(_se(user_style, "Description"), "Title", spec.label(lang))
    feature_style = _se(user_style, "FeatureTypeStyle")
    for style_class in style.classes:
        name = f"{style_class.standard}|{style_class.value}" if style.mixed_standards else style_class.value
        rule = _rule(feature_style, name, style_class.label(lang))
        class_filter(rule, style, style_class.value, style_class.standard)
        symbolizer(rule, style.geometry, style_class.symbol)
    rule = _rule(feature_style, "other", other_label(lang))
    if style.field is not None:
        _se(rule, "ElseFilter")
    symbolizer(rule, style.geometry, style.other)
    ET.indent(root, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


__all__ = ["class_filter", "sld", "symbolizer"]
