"""QGIS layer styles (QML) generated from the registry's styles (:mod:`layers.styles`).

A QML document is what QGIS stores in a GeoPackage's or PostGIS's ``layer_styles``
table and reads from a ``<layer>.qml`` beside a Shapefile. Each spatial layer gets a
categorised renderer over its style field with one category per class (labels in
the chosen language) and an "all other values" category; every layer gets field
aliases (label and unit) and, for coded fields, value maps that show the code
labels in forms and the attribute table; land use gets one too (``100102 二类工业用地``)
where the layer's codes are all of one classification. Symbol sizes are millimetres (QGIS's
default unit), converted from the web map's pixels at 96 dpi.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping

from layers import landuse
from layers.schema import LayerSpec, code_label, field_label
from layers.styles import LayerStyle, Symbol, other_label, px_to_mm

#: The QGIS version whose QML layout this follows (3.22 LTR reads it; later versions too).
QGIS_VERSION = "3.22.0"
DOCTYPE = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
#: What a QML from here sets; QGIS leaves the rest of a layer's settings alone when loading it.
STYLE_CATEGORIES = "Symbology|Fields|Forms|AttributeTable"
#: QGIS's data-defined property key of a line's width.
STROKE_WIDTH_PROPERTY = "outlineWidth"
#: QGIS's expression property type.
EXPRESSION_PROPERTY_TYPE = "3"


def rgba(color: str, opacity: float = 1.0) -> str:
    """``#rrggbb`` as QGIS's ``r,g,b,a`` (alpha 0–255 from ``opacity``)."""
    value = color.lstrip("#")
    red, green, blue = (int(value[i:i + 2], 16) for i in (0, 2, 4))
    return f"{red},{green},{blue},{round(opacity * 255)}"


def _options(parent: ET.Element, values: Mapping[str, str], name: str | None = None) -> ET.Element:
    """A QGIS ``<Option type="Map">`` of string values under ``parent``."""
    element = ET.SubElement(parent, "Option", type="Map", **({"name": name} if name else {}))
    for key, value in values.items():
        ET.SubElement(element, "Option", type="QString", name=key, value=value)
    return element


def _data_defined(parent: ET.Element, properties: Mapping[str, str]) -> None:
    """``<data_defined_properties>``: each property (QGIS key → expression) switched on."""
    holder = ET.SubElement(ET.SubElement(parent, "data_defined_properties"), "Option", type="Map")
    ET.SubElement(holder, "Option", type="QString", name="name", value="")
    listed = ET.SubElement(holder, "Option", type="Map", name="properties")
    for key, expression in properties.items():
        prop = ET.SubElement(listed, "Option", type="Map", name=key)
        ET.SubElement(prop, "Option", type="bool", name="active", value="true")
        ET.SubElement(prop, "Option", type="QString", name="expression", value=expression)
        ET.SubElement(prop, "Option", type="int", name="type", value=EXPRESSION_PROPERTY_TYPE)
    ET.SubElement(holder, "Option", type="QString", name="type", value="collection")


def _symbol_layer(symbol_element: ET.Element, kind: str, values: Mapping[str, str],
                  data_defined: Mapping[str, str] | None = None) -> None:
    layer = ET.SubElement(symbol_element, "layer", {"class": kind, "enabled": "1", "locked": "0", "pass": "0"})
    _options(layer, values)
    if data_defined:
        _data_defined(layer, data_defined)


def _line_values(symbol: Symbol) -> dict[str, str]:
    values = {"line_color": rgba(symbol.stroke, symbol.stroke_opacity), "line_style": "solid",
              "line_width": f"{px_to_mm(symbol.stroke_width_px)}", "line_width_unit": "MM",
              "capstyle": "round", "joinstyle": "round"}
    if symbol.dash_px:
        values.update(use_custom_dash="1", customdash=";".join(f"{px_to_mm(px)}" for px in symbol.dash_px),
                      customdash_unit="MM")
    return values


def symbol_element(parent: ET.Element, name: str, geometry: str, symbol: Symbol,
                   width_expression: str | None = None) -> ET.Element:
    """A QGIS ``<symbol>`` (fill, line or marker) drawing ``symbol``; ``width_expression`` sets line widths."""
    kind = {"Polygon": "fill", "LineString": "line", "Point": "marker"}[geometry]
    element = ET.SubElement(parent, "symbol", type=kind, name=name, alpha="1", clip_to_extent="1", force_rhr="0")
    if geometry == "LineString":
        _symbol_layer(element, "SimpleLine", _line_values(symbol),
                      {STROKE_WIDTH_PROPERTY: width_expression} if width_expression else None)
    elif geometry == "Point":
        _symbol_layer(element, "SimpleMarker", {
            "name": "circle", "color": rgba(symbol.fill, symbol.fill_opacity),
            "outline_color": rgba(symbol.stroke, symbol.stroke_opacity), "outline_style": "solid",
            "outline_width": f"{px_to_mm(symbol.stroke_width_px)}", "outline_width_unit": "MM",
            "size": f"{px_to_mm(2 * symbol.radius_px)}", "size_unit": "MM"})
    else:
        # A dashed outline needs a line layer of its own (a simple fill draws solid or preset dashes only).
        separate_outline = bool(symbol.dash_px)
        _symbol_layer(element, "SimpleFill", {
            "color": rgba(symbol.fill, symbol.fill_opacity),
            "style": "solid" if symbol.fill_opacity > 0 else "no",
            "outline_color": rgba(symbol.stroke, symbol.stroke_opacity),
            "outline_style": "no" if separate_outline else "solid",
            "outline_width": f"{px_to_mm(symbol.stroke_width_px)}", "outline_width_unit": "MM"})
        if separate_outline:
            _symbol_layer(element, "SimpleLine", _line_values(symbol))
    return element


def quoted_field(name: str) -> str:
    """A field reference in a QGIS expression."""
    return '"' + name.replace('"', '""') + '"'


def quoted_text(value: str) -> str:
    """A string literal in a QGIS expression."""
    return "'" + value.replace("'", "''") + "'"


def class_attribute(style: LayerStyle, names: Mapping[str, str]) -> str:
    """What the renderer classifies by: the style field, or (several land-use systems) system and code."""
    if not style.mixed_standards:
        return names.get(style.field, style.field)
    return (f"concat(coalesce({quoted_field(names.get(style.standard_field, style.standard_field))}, "
            f"{quoted_text(landuse.STD_2023)}), '|', {quoted_field(names.get(style.field, style.field))})")


def class_value(style: LayerStyle, value: str, standard: str | None) -> str:
    """A class's category value as :func:`class_attribute` computes it."""
    return f"{standard}|{value}" if style.mixed_standards else value


def width_expression(style: LayerStyle, names: Mapping[str, str], base_px: float) -> str | None:
    """A ``CASE`` giving each feature's line width in mm from ``style.width_field`` (None: constant width)."""
    if not style.width_field:
        return None
    column = quoted_field(names.get(style.width_field, style.width_field))
    cases = " ".join(f"WHEN {column} = {quoted_text(value)} THEN {px_to_mm(px)}"
                     for value, px in style.widths_px.items())
    return f"CASE {cases} ELSE {px_to_mm(base_px)} END"


def _renderer(root: ET.Element, style: LayerStyle, lang: str, names: Mapping[str, str]) -> None:
    if style.field is None:
        renderer = ET.SubElement(root, "renderer-v2", type="singleSymbol", symbollevels="0", forceraster="0",
                                 enableorderby="0")
        symbol_element(ET.SubElement(renderer, "symbols"), "0", style.geometry, style.other)
        return
    renderer = ET.SubElement(root, "renderer-v2", type="categorizedSymbol", attr=class_attribute(style, names),
                             symbollevels="0", forceraster="0", enableorderby="0")
    categories = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    entries = [(class_value(style, c.value, c.standard), c.label(lang), c.symbol) for c in style.classes]
    entries.append(("", other_label(lang), style.other))  # QGIS: the empty value stands for all other values
    for index, (value, label, symbol) in enumerate(entries):
        ET.SubElement(categories, "category", render="true", symbol=str(index), value=value, label=label)
        symbol_element(symbols, str(index), style.geometry, symbol,
                       width_expression(style, names, symbol.stroke_width_px))


def alias(spec_field, lang: str) -> str:
    """The field's label with its unit: what QGIS shows as the column name."""
    label = field_label(spec_field, lang)
    return f"{label} ({spec_field.unit})" if spec_field.unit else label


def land_use_value_map(style: LayerStyle | None, lang: str) -> dict[str, str] | None:
    """Label → code of every land-use class of the one classification a layer's land uses are in (``100102
    二类工业用地``), and of the codes present that its table names by a parent class; None when the layer is
    not classified by land use or mixes classifications (the same code would then name several classes)."""
    if style is None or style.field != "land_use" or style.mixed_standards:
        return None
    standard = next((c.standard for c in style.classes if c.standard), landuse.STD_2023)
    found = {f"{code} {c.label_en if lang == 'en' else c.label_zh}": code
             for code, c in landuse.CLASSES_BY_STANDARD.get(standard, {}).items()}
    found.update({c.label(lang): c.value for c in style.classes if c.value not in found.values()})
    return found


def _value_map(configuration: ET.Element, column: str, labelled: Mapping[str, str]) -> None:
    """A ValueMap editor widget on ``column``: QGIS shows the label of each stored value (label → value)."""
    field_element = ET.SubElement(configuration, "field", name=column, configurationFlags="None")
    widget = ET.SubElement(field_element, "editWidget", type="ValueMap")
    config = ET.SubElement(ET.SubElement(widget, "config"), "Option", type="Map")
    entries = ET.SubElement(config, "Option", type="List", name="map")
    for label, value in labelled.items():
        _options(entries, {label: value})


def _fields(root: ET.Element, spec: LayerSpec, lang: str, names: Mapping[str, str],
            style: LayerStyle | None = None) -> None:
    configuration = ET.SubElement(root, "fieldConfiguration")
    for spec_field in spec.fields:
        if spec_field.codes:  # label → stored value, in the registry's order
            _value_map(configuration, names.get(spec_field.name, spec_field.name),
                       {code_label(code, lang): code.value for code in spec_field.codes})
    land_use = land_use_value_map(style, lang)
    if land_use is not None:  # the attribute table reads 100102 二类工业用地; the file keeps the code
        _value_map(configuration, names.get("land_use", "land_use"), land_use)
    aliases = ET.SubElement(root, "aliases")
    for index, spec_field in enumerate(spec.fields):
        ET.SubElement(aliases, "alias", field=names.get(spec_field.name, spec_field.name), index=str(index),
                      name=alias(spec_field, lang))


def qml(spec: LayerSpec, style: LayerStyle | None, *, lang: str = "zh",
        names: Mapping[str, str] | None = None) -> str:
    """The QML of layer ``spec``: renderer from ``style`` (spatial layers), aliases and value maps in ``lang``.

    ``names`` maps registry field names to the columns of the data source where they
    differ (a Shapefile's 10-character names).
    """
    names = dict(names or {})
    root = ET.Element("qgis", version=QGIS_VERSION, styleCategories=STYLE_CATEGORIES)
    if style is not None:
        _renderer(root, style, lang, names)
    _fields(root, spec, lang, names, style)
    name_column = names.get("name", "name") if "name" in spec.field_names else None
    id_column = quoted_field(names.get(spec.id_field, spec.id_field))
    preview = f"coalesce({quoted_field(name_column)}, {id_column})" if name_column else id_column
    ET.SubElement(root, "previewExpression").text = preview
    ET.indent(root, space=" ")
    return f"{DOCTYPE}\n{ET.tostring(root, encoding='unicode')}\n"


__all__ = ["DOCTYPE", "QGIS_VERSION", "alias", "class_attribute", "class_value", "qml", "quoted_field",
           "quoted_text", "rgba", "symbol_element", "width_expression"]
