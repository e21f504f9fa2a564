"""What a KML export of a registry layer declares: typed fields and a style per class of the map style."""

from __future__ import annotations

import pandas as pd

from layers.io.kml import KmlField
from layers.schema import LayerSpec, field_label
from layers.styles import Symbol, feature_classes, layer_style

#: KML ``SimpleField`` type of each registry kind; KML has no date type, dates are ISO text.
KML_TYPES = {"str": "string", "code": "string", "date": "string", "int": "int", "float": "double", "bool": "bool"}


def kml_fields(spec: LayerSpec, lang: str) -> list[KmlField]:
    """The layer's fields, typed, with their labels (in ``lang``) as display names."""
    return [KmlField(f.name, KML_TYPES[f.kind], field_label(f, lang)) for f in spec.fields]


def kml_styles(frame: pd.DataFrame, spec: LayerSpec) -> tuple[dict[str, Symbol], list[str]]:
    """(style id → symbol for every class and the catch-all, each feature's style id)."""
    style = layer_style(spec, frame)
    ids = [f"{spec.name}-{i}" for i in range(len(style.classes))]
    other = f"{spec.name}-other"
    styles = {**dict(zip(ids, (c.symbol for c in style.classes))), other: style.other}
    return styles, [ids[i] if i >= 0 else other for i in feature_classes(frame, style)]
