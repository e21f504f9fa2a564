"""``cast_layer`` takes a frame already in the declared form as it is, and casts every other one."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal

from layers import validate
from layers.registry import REGISTRY, get_layer
from layers.store import read_layer
from layers.validate import cast_layer, in_declared_form
from layers.values import STRING_DTYPE


def cast_the_long_way(frame: pd.DataFrame, spec, monkeypatch) -> pd.DataFrame:
    with monkeypatch.context() as patched:
        patched.setattr(validate, "in_declared_form", lambda frame, spec: False)
        return cast_layer(frame, spec)


def assert_same(fast: pd.DataFrame, slow: pd.DataFrame) -> None:
    if isinstance(slow, gpd.GeoDataFrame):
        assert_geodataframe_equal(fast, slow)
    else:
        assert not isinstance(fast, gpd.GeoDataFrame)
        pd.testing.assert_frame_equal(fast, slow)


def test_every_layer_the_store_wrote_is_taken_as_it_is_and_equals_its_cast(demo_park, monkeypatch):
    names = [name for name in REGISTRY if name in demo_park.layer_names()]
    assert {"parcels", "buildings", "units", "leases", "enterprises", "cases"} <= set(names)
    for name in names:
        spec = get_layer(name)
        raw = read_layer(demo_park.path, name)
        assert in_declared_form(raw, spec), name
        assert_same(cast_layer(raw, spec), cast_the_long_way(raw, spec, monkeypatch))


@pytest.mark.parametrize("change", ["extra column", "reordered", "other dtype", "missing field", "index"])
def test_a_frame_not_in_declared_form_is_cast(tiny_park, change, monkeypatch):
    spec = get_layer("parcels")
    frame = read_layer(tiny_park.path, "parcels")
    if change == "extra column":
        frame = frame.assign(surveyor="王工")
        frame = frame[[*spec.field_names, "surveyor", "geometry"]]
    elif change == "reordered":
        frame = frame[["name", *[n for n in spec.field_names if n != "name"], "geometry"]]
    elif change == "other dtype":
        frame["far_max"] = frame["far_max"].astype(object)
    elif change == "missing field":
        frame = frame.drop(columns="delay_cause")
    else:
        frame.index = frame.index + 10
    assert in_declared_form(frame, spec) == (change == "index")  # the index is reset before the check
    out = cast_layer(frame, spec)
    assert list(out.columns) == [*spec.field_names, "geometry"]
    assert list(out.index) == list(range(len(frame)))
    assert out["far_max"].dtype == "float64" and out["delay_cause"].dtype == STRING_DTYPE
    assert_same(out, cast_the_long_way(frame, spec, monkeypatch))


def test_a_table_in_a_geodataframe_or_a_layer_in_a_plain_frame_is_cast(tiny_park):
    units = read_layer(tiny_park.path, "units")
    assert in_declared_form(units, get_layer("units"))
    assert not in_declared_form(gpd.GeoDataFrame(units), get_layer("units"))
    parcels = read_layer(tiny_park.path, "parcels")
    assert not in_declared_form(pd.DataFrame(parcels), get_layer("parcels"))
