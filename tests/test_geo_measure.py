"""Measuring drawn lines and polygons in the working CRS (geo.measure): figures built in Gauss-Krüger by hand."""

from __future__ import annotations

import numpy as np
import pytest
from map_tools_helpers import lonlat
from pyproj import CRS

from geo.measure import MeasureError, area_text, length_text, measure, measurement_text, parse_vertices

GK = CRS.from_epsg(4549)  # CGCS2000 / 3-degree Gauss-Kruger CM 120E, the tiny park's working CRS


def measured(points, kind, max_vertices=1000):
    return measure(parse_vertices(lonlat(points), kind=kind, max_vertices=max_vertices), kind=kind, working_crs=GK)


def test_a_square_of_100_m_measures_10_000_m2_15_mu_to_the_mm2():
    result = measured([(0, 0), (100, 0), (100, 100), (0, 100)], "polygon")
    assert result.area_m2 == pytest.approx(10_000.0, abs=1e-6)  # 1 mm² = 1e-6 m²
    assert result.area_mu == pytest.approx(15.0, abs=1e-9)  # 10 000 ÷ (2000/3)
    assert result.area_ha == pytest.approx(1.0, abs=1e-10)
    assert result.length_m == pytest.approx(400.0, abs=1e-6)
    assert result.epsg == 4549


def test_a_closed_ring_measures_as_the_open_one():
    square = [(0, 0), (250, 0), (250, 40), (0, 40)]
    assert measured([*square, square[0]], "polygon").area_m2 == pytest.approx(10_000.0, abs=1e-6)


def test_a_3_4_5_line_is_12_m_long_and_has_no_area():
    result = measured([(0, 0), (3, 4), (3, 0), (0, 0)], "line")  # 5 + 4 + 3
    assert result.length_m == pytest.approx(12.0, abs=1e-6)
    assert result.area_m2 is None


def test_texts_in_both_languages():
    assert length_text(1234.5, "zh") == "1,234.5 米"
    assert length_text(1234.5, "en") == "1,234.5 m"
    # 23 466.6 m² = 2.35 ha = 35.2 亩 (23 466.6 ÷ 666.667 = 35.19999)
    assert area_text(23_466.6, "zh") == "2.35 公顷 / 35.2 亩"
    assert area_text(23_466.6, "en") == "2.35 ha / 35.2 mu"
    square = measured([(0, 0), (100, 0), (100, 100), (0, 100)], "polygon")
    assert measurement_text(square, "zh") == "1.00 公顷 / 15.0 亩（10,000.0 平方米；周长 400.0 米）"


def test_a_self_intersecting_polygon_is_refused_saying_where():
    bow_tie = [(0, 0), (100, 100), (100, 0), (0, 100)]  # edges cross at (50, 50)
    with pytest.raises(MeasureError) as caught:
        measured(bow_tie, "polygon")
    assert "自相交" in caught.value.zh and "self-intersection" in caught.value.en
    lon, lat = lonlat([(50, 50)])[0]
    assert f"{lon:.6f}, {lat:.6f}" in caught.value.en


@pytest.mark.parametrize(("coordinates", "kind", "field", "words"), [
    ([[121.4, 28.65], [121.41, 28.65]], "circle", "kind", "kind must be one of line, polygon"),
    ("121.4,28.65", "line", "coordinates", "must be a list"),
    ([[121.4, "28.65"], [121.41, 28.65]], "line", "coordinates", "vertex 1: the latitude is not a finite number"),
    ([[121.4, 28.65], [121.41, float("nan")]], "line", "coordinates", "vertex 2: the latitude"),
    ([[121.4, 28.65], [True, 28.65]], "line", "coordinates", "vertex 2: the longitude"),
    ([[121.4, 28.65, 3]], "line", "coordinates", "vertex 1 must be [longitude, latitude]"),
    ([[121.4, 28.65], [121.4, 28.65]], "line", "coordinates", "at least 2 distinct vertices, got 1"),
    ([[121.4, 28.65], [121.41, 28.65], [121.4, 28.65]], "polygon", "coordinates", "at least 3 distinct"),
])
def test_bad_input_names_the_field(coordinates, kind, field, words):
    with pytest.raises(MeasureError) as caught:
        parse_vertices(coordinates, kind=kind, max_vertices=10)
    assert caught.value.field == field and words in caught.value.en, caught.value.en
    assert caught.value.zh != caught.value.en


def test_the_vertex_cap_both_sides():
    line = lonlat([(i, 0) for i in range(10)])
    assert len(parse_vertices(line, kind="line", max_vertices=10)) == 10
    with pytest.raises(MeasureError, match="11 vertices; at most 10"):
        parse_vertices([*line, line[0]], kind="line", max_vertices=10)


def test_a_point_outside_the_zone_is_refused():
    with pytest.raises(MeasureError, match="outside the area of the park's coordinate system EPSG:4549"):
        measure(np.array([[121.4, 28.65], [130.0, 28.65]]), kind="line", working_crs=GK)
