"""GeoJSON text from frames: JSON-native values, ids, geometry, rounding, script safety."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.geojson import dumps, feature_collection_text, feature_texts, json_ready, script_safe


def frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "fid": pd.array(["a", "b"], dtype="str"),
            "n": pd.array([1, None], dtype="Int64"),
            "ok": pd.array([True, None], dtype="boolean"),
            "x": [1.25, np.nan],
            "inf": [np.inf, -np.inf],
            "day": pd.to_datetime(["2024-02-29", None]).astype("datetime64[ms]"),
            "name": pd.array(["甲 <b>", None], dtype="str"),
        },
        geometry=[shapely.Point(121.123456789, 28.987654321), None],
        crs=4326,
    )


def test_values_become_json_native_with_nulls():
    records = json_ready(frame()).to_dict("records")
    assert records[0] == {"fid": "a", "n": 1, "ok": True, "x": 1.25, "inf": None, "day": "2024-02-29",
                          "name": "甲 <b>"}
    assert records[1] == {"fid": "b", "n": None, "ok": None, "x": None, "inf": None, "day": None, "name": None}
    assert [type(v) for v in records[0].values()] == [str, int, bool, float, type(None), str, str]
    # Nothing that strict JSON refuses.
    dumps(records)


def test_json_ready_keeps_the_index_and_the_chosen_columns():
    source = frame().set_index(pd.Index([10, 20]))
    out = json_ready(source, ["x", "day"])
    assert list(out.columns) == ["x", "day"] and list(out.index) == [10, 20]


def test_features_have_ids_geometry_and_properties():
    texts = feature_texts(frame(), id_field="fid", properties=["n", "name"])
    first, second = (json.loads(text) for text in texts)
    assert first == {"type": "Feature", "id": "a",
                     "geometry": {"type": "Point", "coordinates": [121.123456789, 28.987654321]},
                     "properties": {"n": 1, "name": "甲 <b>"}}
    assert second["geometry"] is None and second["properties"] == {"n": None, "name": None}


def test_coordinates_can_be_rounded():
    (text,) = feature_texts(frame().iloc[:1], id_field="fid", properties=[], precision=6)
    assert json.loads(text)["geometry"]["coordinates"] == [121.123457, 28.987654]


def test_tables_get_null_geometry():
    table = pd.DataFrame({"uid": ["u1"], "area_m2": [12.5]})
    (text,) = feature_texts(table, id_field="uid")
    assert json.loads(text) == {"type": "Feature", "id": "u1", "geometry": None, "properties": {"uid": "u1",
                                                                                                 "area_m2": 12.5}}


def test_collection_of_nothing():
    text = feature_collection_text(feature_texts(frame().iloc[0:0], id_field="fid"), {"numberMatched": 0})
    assert json.loads(text) == {"type": "FeatureCollection", "numberMatched": 0, "features": []}


def test_script_safe_text_cannot_close_a_script_element_and_means_the_same():
    text = dumps({"name": "</script><script>alert('x') & more"})
    safe = script_safe(text)
    assert "<" not in safe and ">" not in safe and "&" not in safe and "'" not in safe
    assert json.loads(safe) == json.loads(text)
