"""GeoJSON text from validated layers, for the API, the map pages and exports.

Pure: frames in, JSON text or JSON-ready values out; nothing is read or written.
A record's kept source attributes (``source_attributes``) become one object
property ``{name: value}``.
Values become what JSON can carry: dates as ISO strings (``YYYY-MM-DD``),
missing values and non-finite numbers as ``null``, pandas integers and booleans
as plain ones. Frames must already be in EPSG:4326 (``geo.crs.to_web``) when
the result is meant for the browser; this module does not reproject.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import shapely

from layers.schema import SOURCE_ATTRIBUTES
from layers.source_attributes import json_values

#: Characters that must not appear literally when JSON is embedded in an HTML
#: <script> element (a name such as "</script><script>…" would end it).
_SCRIPT_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027"}


def json_ready(frame: pd.DataFrame, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """An object-dtype copy of ``frame[columns]`` holding only JSON-native values.

    Dates become ``YYYY-MM-DD`` strings, missing values and non-finite floats
    ``None``; the index is kept.
    """
    return pd.DataFrame(_json_columns(frame, columns), index=frame.index, dtype=object)


def _json_columns(frame: pd.DataFrame, columns: Sequence[str] | None) -> dict[str, np.ndarray]:
    """JSON-native object arrays per column. NumPy throughout: an API page of one feature
    would otherwise spend most of its time in pandas' per-column overhead."""
    names = [c for c in frame.columns if c != "geometry"] if columns is None else list(columns)
    out = {}
    for name in names:
        column = frame[name]
        if name == SOURCE_ATTRIBUTES:
            # Kept source attributes as an object {name: value}, not as the JSON text they are stored in.
            values = np.empty(len(column), dtype=object)
            values[:] = [json_values(text) for text in column.tolist()]
        elif pd.api.types.is_datetime64_any_dtype(column.dtype):
            values = column.dt.strftime("%Y-%m-%d").to_numpy(dtype=object, na_value=None)
        elif pd.api.types.is_float_dtype(column.dtype):
            numbers = column.to_numpy(dtype=float, na_value=np.nan)
            values = np.empty(len(numbers), dtype=object)
            values[:] = numbers.tolist()  # plain Python floats
            values[~np.isfinite(numbers)] = None
        else:
            values = column.to_numpy(dtype=object, na_value=None)
        out[name] = values
    return out


def dumps(value: object) -> str:
    """Compact JSON text of a JSON-ready value (UTF-8 kept, no NaN allowed)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


#: Jinja's opening delimiters. Folium (branca) renders a map element's script, then
#: parses the result *again* as a Jinja template: "{{ … }}" in a parcel's name would be
#: evaluated on the server (template injection). Compact JSON never has these pairs
#: outside strings, so escaping the brace inside strings changes nothing else.
_TEMPLATE_OPENERS = {"{{": "\\u007b\\u007b", "{%": "\\u007b%", "{#": "\\u007b#"}


def script_safe(text: str) -> str:
    """JSON text made safe to embed inside an HTML ``<script>`` element (and a folium template).

    The replaced characters only occur inside JSON strings, where the ``\\u``
    escapes mean the same thing.
    """
    for char, escape in _SCRIPT_UNSAFE.items():
        text = text.replace(char, escape)
    for opener, escape in _TEMPLATE_OPENERS.items():
        text = text.replace(opener, escape)
    return text


def _geometry_texts(geometries: np.ndarray, precision: int | None) -> list[str]:
    """GeoJSON geometry text of each geometry (``null`` for missing ones), vectorised."""
    if not len(geometries):
        return []
    if precision is not None:
        geometries = shapely.transform(geometries, lambda xy: np.round(xy, precision))
    return ["null" if text is None else text for text in shapely.to_geojson(geometries)]


def feature_texts(
    frame: pd.DataFrame,
    *,
    id_field: str,
    properties: Sequence[str] | None = None,
    precision: int | None = None,
) -> list[str]:
    """One GeoJSON Feature text per record of ``frame``, in its order.

    Parameters
    ----------
    frame
        A layer (GeoDataFrame, or a plain frame for tables: ``geometry`` null).
    id_field
        Column whose value becomes the feature ``id``.
    properties
        Columns to include as properties (default: every column but the geometry).
    precision
        Decimal places to round coordinates to (``None`` keeps them as they are;
        6 places of a degree are about 0.1 m).
    """
    props = _json_columns(frame, properties)
    ids = _json_columns(frame, [id_field])[id_field].tolist()
    names = list(props)
    records = [dict(zip(names, row)) for row in zip(*(values.tolist() for values in props.values()))] \
        if names else [{} for _ in range(len(frame))]
    if "geometry" in frame.columns:
        geometries = _geometry_texts(frame.geometry.to_numpy(), precision)
    else:
        geometries = ["null"] * len(frame)
    return [
        f'{{"type":"Feature","id":{dumps(feature_id)},"geometry":{geometry},"properties":{dumps(record)}}}'
        for feature_id, geometry, record in zip(ids, geometries, records)
    ]


def feature_collection_text(features: Sequence[str], members: Mapping[str, object] | None = None) -> str:
    """A FeatureCollection text from feature texts, with extra top-level ``members`` first."""
    head = "".join(f"{dumps(key)}:{dumps(value)}," for key, value in (members or {}).items())
    return f'{{"type":"FeatureCollection",{head}"features":[{",".join(features)}]}}'
