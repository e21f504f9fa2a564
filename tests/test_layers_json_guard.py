"""JSON parsed within limits: nesting measured on the bytes, GeoJSON vertices and features counted while parsing."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from layers.json_guard import JsonLimitError, JsonLimits, count_positions, nesting_depth, parse_json


def depth_of(value) -> int:
    """Nesting of a Python value as JSON, by recursion (the reference)."""
    if isinstance(value, list):
        return 1 + max((depth_of(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth_of(v) for v in value.values()), default=0)
    return 0


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        (b"3", 0),
        (b'"[[["', 0),
        (b"[]", 1),
        (b'{"a":[{}]}', 3),
        (b'["[[[", "\\"[", "]"]', 1),        # brackets and escaped quotes inside strings do not count
        (b'["\\\\", "[[", {"k]": []}]', 3),  # an escaped backslash ends before the quote that closes the string
        (b"[" * 100_000 + b"]" * 100_000, 100_000),
    ],
)
def test_nesting_depth(text, depth):
    assert nesting_depth(text) == depth


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab,:'),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(alphabet='[]{}"\\k'), inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_nesting_depth_matches_the_parsed_value(value):
    for text in (json.dumps(value), json.dumps(value, ensure_ascii=False, indent=1)):
        assert nesting_depth(text.encode()) == depth_of(value)


def test_a_100000_deep_document_is_refused_in_milliseconds_not_a_recursion_error():
    started = time.perf_counter()
    with pytest.raises(JsonLimitError) as refused:
        parse_json(b"[" * 100_000 + b"]" * 100_000, JsonLimits(max_depth=64))
    assert time.perf_counter() - started < 0.5
    assert (refused.value.limit_name, refused.value.limit, refused.value.seen) == ("depth", 64, 100_000)
    assert parse_json(b"[" * 64 + b"]" * 64, JsonLimits(max_depth=64)) is not None
    with pytest.raises(JsonLimitError):
        parse_json(b"[" * 65 + b"]" * 65, JsonLimits(max_depth=64))


@pytest.mark.parametrize(
    ("kind", "coordinates", "positions"),
    [
        ("Point", [1, 2], 1),
        ("MultiPoint", [[1, 2], [3, 4], [5, 6]], 3),
        ("LineString", [[0, 0], [1, 1]], 2),
        ("Polygon", [[[0, 0], [1, 0], [1, 1], [0, 0]], [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]], 9),
        ("MultiPolygon", [[[[0, 0], [1, 0], [1, 1], [0, 0]]], [[[5, 5], [6, 5], [6, 6], [5, 5]]]], 8),
        ("Polygon", "nonsense", 0),
        ("Polygon", [[1, 2, "x"]], 0),
        ("Circle", [[0, 0]], 0),
    ],
)
def test_count_positions(kind, coordinates, positions):
    assert count_positions(coordinates, kind) == positions


def ring(n):
    """A closed ring of ``n`` positions."""
    return [[float(i), float(i % 2)] for i in range(n - 1)] + [[0.0, 0.0]]


def test_vertices_at_the_limit_and_one_over():
    limits = JsonLimits(max_depth=64, max_vertices=10)
    at_limit = {"type": "Polygon", "coordinates": [ring(10)]}
    assert parse_json(json.dumps(at_limit), limits) == at_limit
    with pytest.raises(JsonLimitError) as refused:
        parse_json(json.dumps({"type": "Polygon", "coordinates": [ring(11)]}), limits)
    assert (refused.value.limit_name, refused.value.limit, refused.value.seen) == ("vertices", 10, 11)


def test_vertices_add_up_over_features_and_collections_and_parsing_stops_at_the_geometry_over_the_limit():
    limits = JsonLimits(max_depth=64, max_vertices=12)
    collection = {"type": "GeometryCollection", "geometries": [
        {"type": "Polygon", "coordinates": [ring(5)]}, {"type": "LineString", "coordinates": ring(4)}]}
    features = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"coordinates": "not counted"}, "geometry": collection},
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [0, 0]}}]}
    assert parse_json(json.dumps(features), limits) == features  # 5 + 4 + 1 = 10
    features["features"].append({"type": "Feature", "geometry": {"type": "MultiPoint", "coordinates": ring(3)}})
    with pytest.raises(JsonLimitError) as refused:
        parse_json(json.dumps(features), limits)
    assert refused.value.seen == 13
    features["features"].insert(0, {"type": "Feature", "geometry": {"type": "LineString", "coordinates": ring(20)}})
    with pytest.raises(JsonLimitError) as refused:
        parse_json(json.dumps(features), limits)
    assert refused.value.seen == 20  # stopped at the first geometry: the rest was never counted


def test_features_at_the_limit_and_one_over():
    limits = JsonLimits(max_depth=64, max_features=2)

    def collection(n):
        return {"type": "FeatureCollection",
                "features": [{"type": "Feature", "properties": {}, "geometry": None}] * n}

    assert len(parse_json(json.dumps(collection(2)), limits)["features"]) == 2
    with pytest.raises(JsonLimitError) as refused:
        parse_json(json.dumps(collection(3)), limits)
    assert (refused.value.limit_name, refused.value.seen) == ("features", 3)


def test_not_json_is_a_value_error_and_limits_are_value_errors_too():
    with pytest.raises(ValueError):
        parse_json(b"{not json", JsonLimits(max_depth=64))
    with pytest.raises(ValueError):
        parse_json(b"\xff\xfe[", JsonLimits(max_depth=64, max_vertices=5))
    assert issubclass(JsonLimitError, ValueError)
