"""How each layer is drawn, described once for every renderer: the web map, QGIS (QML), SLD and KML.

The registry's :class:`layers.schema.Style` says which field a layer is coloured by
and its opacity and weights; the field's :class:`layers.schema.Code` entries (or the
land-use planning palette, :mod:`layers.landuse`) give each class its colour and
labels. :func:`layer_style` turns that into a renderer-neutral :class:`LayerStyle`:
one :class:`Symbol` per class plus one for values outside them, so the browser map,
the QGIS legend and the KML placemarks cannot disagree.

Sizes are screen pixels, as Leaflet draws them; encoders convert (QGIS millimetres
at 96 dpi: :func:`px_to_mm`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from layers import landuse
from layers.schema import LayerSpec

#: Road line weight in pixels by grade (a drawing choice, not a rule).
ROAD_WEIGHT_PX = {"expressway": 6.0, "arterial": 5.0, "secondary": 4.0, "branch": 3.0, "internal": 2.0}

#: Zones that mark an extent rather than a constraint: outlines only, so they do not tint what lies inside.
OUTLINE_ONLY_ZONES = ("park_boundary", "expansion_area", "urban_dev_boundary")

#: Lines are drawn slightly transparent so crossings stay readable.
LINE_OPACITY = 0.9
#: Points are filled circles with a white ring, so they stand out on any fill.
POINT_OUTLINE_COLOR = "#ffffff"
POINT_OUTLINE_PX = 1.5
#: Constraint zones are dashed outlines over the other layers (dash, gap in pixels).
ZONE_DASH_PX = (6.0, 4.0)

#: Screen pixels per inch Leaflet and browsers assume (CSS pixel): 1 px = 25.4 / 96 mm.
CSS_DPI = 96.0

#: The label of the catch-all class (values the registry does not list, or none).
OTHER_LABELS = ("其他/未知", "Other / unknown")


def px_to_mm(px: float) -> float:
    """A size in CSS pixels as millimetres (QGIS's default unit), rounded to 0.01 mm."""
    return round(px * 25.4 / CSS_DPI, 2)


@dataclass(frozen=True)
class Symbol:
    """How one class is drawn.

    ``fill`` is ``None`` for lines; ``fill_opacity`` 0 draws an outline only.
    ``radius_px`` is set for points (a circle of that radius).
    """

    fill: str | None
    fill_opacity: float
    stroke: str
    stroke_width_px: float
    stroke_opacity: float = 1.0
    dash_px: tuple[float, ...] = ()
    radius_px: float = 0.0


@dataclass(frozen=True)
class StyleClass:
    """One legend entry: the value(s) it matches, its labels and its symbol.

    ``standard`` is set for land-use classes: the same code means different things in
    different classification systems, so a class matches the code within its system.
    """

    value: str
    label_zh: str
    label_en: str
    symbol: Symbol
    standard: str | None = None

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_zh


@dataclass(frozen=True)
class LayerStyle:
    """A layer's style: the field it is classified by, its classes, and the symbol of every other value.

    ``standard_field`` names the field giving the classification system of ``field``
    (land use); its empty values mean :data:`layers.landuse.STD_2023`.
    ``width_field``/``widths_px`` vary line widths by another field (roads by grade);
    values outside ``widths_px`` keep the symbol's width.
    """

    layer: str
    geometry: str
    field: str | None
    classes: tuple[StyleClass, ...]
    other: Symbol
    standard_field: str | None = None
    width_field: str | None = None
    widths_px: dict[str, float] = field(default_factory=dict)

    @property
    def mixed_standards(self) -> bool:
        """Whether the classes span several classification systems (a class then matches system and code)."""
        return len({c.standard for c in self.classes if c.standard is not None}) > 1


def base_symbol(spec: LayerSpec, color: str) -> Symbol:
    """The symbol of layer ``spec`` for features of colour ``color`` (the class colour)."""
    style = spec.style
    if spec.geometry == "LineString":
        return Symbol(fill=None, fill_opacity=0.0, stroke=color, stroke_width_px=style.weight,
                      stroke_opacity=LINE_OPACITY)
    if spec.geometry == "Point":
        return Symbol(fill=color, fill_opacity=style.fill_opacity, stroke=POINT_OUTLINE_COLOR,
                      stroke_width_px=POINT_OUTLINE_PX, radius_px=style.radius_px)
    if spec.name == "zones":
        # Constraint zones are outlines over other layers; a faint fill shows their extent.
        return Symbol(fill=color, fill_opacity=style.fill_opacity, stroke=color, stroke_width_px=style.weight,
                      dash_px=ZONE_DASH_PX)
    return Symbol(fill=color, fill_opacity=style.fill_opacity, stroke=style.color, stroke_width_px=style.weight)


def _code_classes(spec: LayerSpec) -> tuple[StyleClass, ...]:
    codes = spec.field(spec.style.by_field).codes
    classes = []
    for code in codes:
        symbol = base_symbol(spec, code.color or spec.style.color)
        if spec.name == "zones" and code.value in OUTLINE_ONLY_ZONES:
            symbol = replace(symbol, fill_opacity=0.0)
        classes.append(StyleClass(code.value, code.label_zh, code.label_en, symbol))
    return tuple(classes)


def land_use_pairs(parcels: pd.DataFrame | None) -> list[tuple[str, str]]:
    """The (classification system, code) pairs present in ``parcels``, sorted; every 2023 class when None."""
    if parcels is None:
        return [(landuse.STD_2023, code) for code in landuse.CLASSES_2023]
    pairs = parcels[["land_use", "land_use_std"]].dropna(subset=["land_use"]).drop_duplicates()
    standards = pairs["land_use_std"].astype(object).where(pairs["land_use_std"].notna(), landuse.STD_2023)
    return sorted(set(zip(standards, pairs["land_use"].astype(str))))


def _land_use_classes(spec: LayerSpec, parcels: pd.DataFrame | None) -> tuple[StyleClass, ...]:
    classes = []
    for standard, code in land_use_pairs(parcels):
        found = landuse.land_use_class(code, standard)
        if found is None:
            label_zh = label_en = code
            color = landuse.UNKNOWN_COLOR
        else:
            label_zh, label_en, color = f"{code} {found.label_zh}", f"{code} {found.label_en}", found.color
        classes.append(StyleClass(code, label_zh, label_en, base_symbol(spec, color), standard=standard))
    return tuple(classes)


def layer_style(spec: LayerSpec, frame: pd.DataFrame | None = None) -> LayerStyle:
    """The style of spatial layer ``spec`` from the registry; ``frame`` gives the land-use classes present.

    Coded fields list every declared code (the legend is the registry's); land use lists
    the (system, code) pairs of ``frame`` (every 2023 class when ``frame`` is None),
    coloured from the planning palette with parent-class fallback, as the web map does.
    """
    if spec.is_table:
        msg = f"layer {spec.name!r} is a table without geometry; it has no map style"
        raise ValueError(msg)
    by_field = spec.style.by_field
    other = base_symbol(spec, landuse.UNKNOWN_COLOR if by_field else spec.style.color)
    if by_field is None:
        return LayerStyle(spec.name, spec.geometry, None, (), other)
    if by_field == "land_use":
        return LayerStyle(spec.name, spec.geometry, by_field, _land_use_classes(spec, frame), other,
                          standard_field="land_use_std")
    widths = ROAD_WEIGHT_PX if spec.name == "roads" else {}
    return LayerStyle(spec.name, spec.geometry, by_field, _code_classes(spec), other,
                      width_field="grade" if widths else None, widths_px=dict(widths))


def feature_classes(frame: pd.DataFrame, style: LayerStyle) -> np.ndarray:
    """Each feature's class in ``style.classes`` (its position), or -1 for the "other" class."""
    if style.field is None or not len(frame):
        return np.full(len(frame), -1, dtype=np.int64)
    values = frame[style.field].astype(object)
    if style.standard_field is not None:
        standards = frame[style.standard_field].astype(object).where(frame[style.standard_field].notna(),
                                                                     landuse.STD_2023)
        keys = standards.astype(str) + "|" + values.astype(str)
        lookup = {f"{c.standard}|{c.value}": i for i, c in enumerate(style.classes)}
    else:
        keys = values
        lookup = {c.value: i for i, c in enumerate(style.classes)}
    found = keys.map(lookup).where(values.notna())
    return found.fillna(-1).astype(np.int64).to_numpy()


def other_label(lang: str) -> str:
    zh, en = OTHER_LABELS
    return en if lang == "en" else zh


__all__ = ["CSS_DPI", "LINE_OPACITY", "LayerStyle", "OTHER_LABELS", "OUTLINE_ONLY_ZONES", "POINT_OUTLINE_COLOR",
           "POINT_OUTLINE_PX", "ROAD_WEIGHT_PX", "StyleClass", "Symbol", "ZONE_DASH_PX", "base_symbol",
           "feature_classes", "land_use_pairs", "layer_style", "other_label", "px_to_mm"]
