"""The annual report's charts: PNG drawn on the server, the year beside the year before, absent never 0.

The figures are those of the park of tests/test_geo_annual.py (worked out by hand there): in 2025, 4 parcels
supplied (3 granted, 45 亩; 1 allocated, 15 亩), 2 projects started and 2 completed; in 2024, 1 parcel.
"""

from __future__ import annotations

import io
import logging

import numpy as np
import pytest
from PIL import Image

from geo.annual import FIGURES, YearFigures
from layers import charts
from layers.charts import DPI, BarChart, Series, bar_chart_png, scale_length

CHART_PIXELS = (round(charts.CHART_SIZE_IN[0] * DPI), round(charts.CHART_SIZE_IN[1] * DPI))


def figures(year: int, **values) -> YearFigures:
    return YearFigures(year, {key: values.get(key, 0) for key in FIGURES})


def opened(png: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return np.asarray(image.convert("RGB"))


def bar_heights(pixels: np.ndarray, colour: str) -> list[int]:
    """Heights in pixels of the vertical bars of ``colour``, left to right (runs of columns holding it)."""
    rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
    mask = (np.abs(pixels.astype(int) - rgb).sum(axis=2) <= 6)
    per_column = mask.sum(axis=0)
    heights, run = [], []
    for count in per_column:
        if count > 0:
            run.append(count)
        elif run:
            heights.append(max(run))
            run = []
    return heights + ([max(run)] if run else [])


def test_a_chart_is_a_png_of_the_fixed_size_and_the_same_bytes_each_time():
    chart = BarChart("供地", ["甲", "乙"], [Series("2025年", [4, 2])])
    png = bar_chart_png(chart)
    assert opened(png).shape[:2] == (CHART_PIXELS[1], CHART_PIXELS[0])  # 540 rows × 945 columns
    assert bar_chart_png(chart) == png
    assert b"matplotlib" not in png and b"Software" not in png  # no version nor time stamp in the metadata


def test_bars_are_as_tall_as_their_values():
    pixels = opened(bar_chart_png(BarChart("t", ["a", "b"], [Series("s", [4, 2])])))
    first, second = bar_heights(pixels, charts.SERIES_COLOURS[0])
    assert first / second == pytest.approx(2.0, rel=0.03)


def test_a_value_not_judged_has_no_bar_and_is_not_drawn_as_zero():
    absent = opened(bar_chart_png(BarChart("t", ["a", "b"], [Series("s", [None, 2])], absent_note="无法判断")))
    zero = opened(bar_chart_png(BarChart("t", ["a", "b"], [Series("s", [0, 2])], absent_note="无法判断")))
    assert len(bar_heights(absent, charts.SERIES_COLOURS[0])) == 1
    # The two drawings differ where the note stands: absent is said, not drawn as an empty bar of 0.
    assert (np.abs(absent.astype(int) - zero.astype(int)).sum(axis=2) > 0).any()
    grey = np.array([int(charts.ABSENT_COLOUR[i:i + 2], 16) for i in (1, 3, 5)])
    note_pixels = lambda image: int((np.abs(image.astype(int) - grey).sum(axis=2) <= 30).sum())  # noqa: E731
    assert note_pixels(absent) > 20 and note_pixels(zero) == 0


def test_the_report_charts_hold_the_years_figures():
    from geo.report_charts import land_chart, space_chart, tenure_chart

    current, previous = figures(2025, land_supplied_parcels=4, projects_started=2, projects_completed=2), \
        figures(2024, land_supplied_parcels=1, projects_started=1, projects_completed=0)
    land = land_chart(current, previous, "zh")
    assert land.categories == ["供地宗数", "开工项目（宗地）", "竣工项目（宗地）"]
    assert [s.name for s in land.series] == ["2025年", "2024年"]
    assert list(land.series[0].values) == [4, 2, 2] and list(land.series[1].values) == [1, 1, 0]
    english = land_chart(current, previous, "en")
    assert english.categories[0] == "Parcels supplied" and english.series[0].name == "2025"
    space = space_chart(figures(2025, factory_leasable_m2_start=1500.0, factory_let_m2_start=1000.0,
                                factory_vacant_m2_start=500.0, factory_leasable_m2_end=1500.0,
                                factory_let_m2_end=1500.0, factory_vacant_m2_end=0.0), "zh")
    assert [list(s.values) for s in space.series] == [[1500.0, 1000.0, 500.0], [1500.0, 1500.0, 0.0]]
    assert list(space.series[0].labels) == ["1,500", "1,000", "500"]
    assert tenure_chart(figures(2025), figures(2024), "zh").categories == []  # nothing supplied in either year


def test_figures_not_judged_are_absent_in_the_charts():
    from geo.report_charts import land_chart, tenure_chart

    lacking = YearFigures(2025, {key: None for key in FIGURES})
    land = land_chart(lacking, lacking, "zh")
    assert list(land.series[0].values) == [None, None, None] and land.absent_note == "无法判断"
    assert land_chart(lacking, lacking, "en").absent_note == "not judged"
    assert opened(bar_chart_png(land)).shape[:2] == (CHART_PIXELS[1], CHART_PIXELS[0])
    assert tenure_chart(lacking, lacking, "zh").series[0].values == []


def test_without_a_cjk_font_the_chart_is_drawn_and_the_log_says_so_once(monkeypatch, caplog):
    monkeypatch.setattr(charts, "CJK_FONTS", ("No Such Font",))
    charts.cjk_font_file.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="layers.charts"):
            for _ in range(2):
                assert opened(bar_chart_png(BarChart("供地", ["甲"], [Series("2025年", [1])]))).size > 0
        assert sum("no CJK font" in record.getMessage() for record in caplog.records) == 1
    finally:
        charts.cjk_font_file.cache_clear()


def test_a_cjk_font_is_found_on_this_machine():
    # `make browser` installs fonts-wqy-microhei; the tests' machine has it.
    assert charts.cjk_font() is not None


@pytest.mark.parametrize(("span", "length"), [(1000.0, 200.0), (4300.0, 500.0), (999.0, 100.0), (50.0, 10.0)])
def test_the_scale_bar_is_a_round_fifth_of_the_map(span, length):
    assert scale_length(span) == length


def has_colour(pixels: np.ndarray, colour: str, tolerance: int = 6) -> int:
    rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(pixels.astype(int) - rgb).sum(axis=2) <= tolerance).sum())


def hand_made_changes():
    """Three parcels of 100 m in a row (EPSG:4549), the first supplied, the third supplied and completed, and a
    road built along them: the shape of geo.year_changes.year_changes."""
    import geopandas as gpd
    import shapely

    parcels = gpd.GeoDataFrame({"parcel_id": ["A", "B", "C"]},
                               geometry=[shapely.box(i * 200, 0, i * 200 + 100, 100) for i in range(3)], crs=4549)
    changes = gpd.GeoDataFrame(
        {"layer": ["parcels", "parcels", "parcels", "roads"], "record_id": ["A", "C", "C", "R1"],
         "name": [None, None, None, "一路"], "change": ["supplied", "supplied", "completed", "road_completed"]},
        geometry=[parcels.geometry[0], parcels.geometry[2], parcels.geometry[2],
                  shapely.LineString([(0, -50), (500, -50)])], crs=4549)
    return changes, parcels


def test_the_change_map_draws_each_change_present_in_its_colour_over_grey_parcels():
    from geo.report_charts import change_map_description, change_map_png
    from geo.year_changes import CHANGES

    changes, parcels = hand_made_changes()
    description = change_map_description(changes, parcels, 2025, "zh")
    assert description.title == "2025年园区变化图"
    assert [layer.label for layer in description.layers] == ["新供地块", "新竣工地块", "新建成道路"]
    assert [len(layer.geometries) for layer in description.layers] == [2, 1, 1]
    pixels = opened(change_map_png(changes, parcels, 2025, "zh"))
    assert pixels.shape[:2] == (round(charts.MAP_SIZE_IN[1] * DPI), round(charts.MAP_SIZE_IN[0] * DPI))
    assert has_colour(pixels, charts.BACKGROUND_COLOUR) > 500  # parcel B, unchanged, is grey
    assert has_colour(pixels, CHANGES["supplied"][2]) > 500 and has_colour(pixels, CHANGES["completed"][2]) > 500
    assert has_colour(pixels, CHANGES["became_idle"][2]) == 0  # no change of that kind, no red
    english = change_map_description(changes, parcels, 2025, "en")
    assert english.title == "Changes in the park, 2025" and english.layers[0].label == "Parcels supplied"


def test_a_year_without_change_draws_the_grey_park_and_says_so():
    from geo.report_charts import change_map_description

    changes, parcels = hand_made_changes()
    nothing = changes.iloc[0:0]
    description = change_map_description(nothing, parcels, 2025, "zh")
    assert description.layers == [] and description.empty_note == "本年无变化"
    pixels = opened(charts.map_png(description))
    assert has_colour(pixels, charts.BACKGROUND_COLOUR) > 500 and has_colour(pixels, charts.ABSENT_COLOUR, 30) > 20


def test_the_map_extent_fits_the_box_at_one_scale():
    # 300 × 100 m with a 6 % margin of the longer side (18 m): 336 × 136, widened to height × 1.5 → 336 × 224.
    x0, y0, x1, y1 = charts.fit_bounds((0.0, 0.0, 300.0, 100.0), 1.5)
    assert (x1 - x0, y1 - y0) == (pytest.approx(336.0), pytest.approx(224.0))
    assert ((x0 + x1) / 2, (y0 + y1) / 2) == (pytest.approx(150.0), pytest.approx(50.0))
