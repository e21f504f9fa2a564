"""The year's report reads land analyses without readiness: ``ParkService.land(day, readiness=False)``.

The report uses idle land, inefficient land, vacancy and 亩均 grades of the year ends, never the served flags,
which cost about half of a large park's analysis. Without readiness the analysis is its own cached result; a full
analysis of the same day, when kept, is given instead (its other columns are the same); pages keep the full one.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from layers.store import GeoPackageStore
from service.park import ParkService

DAY = dt.date(2025, 12, 31)


def test_without_readiness_the_analysis_has_no_served_flags_and_the_same_land_columns(tiny_park: GeoPackageStore):
    service = ParkService(tiny_park)
    figures = service.land(DAY, readiness=False)
    assert figures.readiness is False
    assert not [c for c in figures.parcels.columns if c.startswith("served_") or c == "readiness_label"]
    full = ParkService(tiny_park).land(DAY)
    assert full.readiness is True and "readiness_label" in full.parcels.columns
    land_columns = list(figures.parcels.columns)
    pd.testing.assert_frame_equal(figures.parcels, full.parcels[land_columns], check_exact=True)
    assert figures.park_vacancy == full.park_vacancy


def test_a_kept_full_analysis_is_given_and_none_is_computed_twice(tiny_park: GeoPackageStore):
    service = ParkService(tiny_park)
    full = service.land(DAY)
    assert service.land(DAY, readiness=False) is full
    other_day = dt.date(2024, 12, 31)
    figures = service.land(other_day, readiness=False)
    assert figures.readiness is False
    assert service.land(other_day, readiness=False) is figures  # cached
    assert service.land(other_day).readiness is True  # a page still gets the full analysis


def test_the_report_asks_for_the_year_ends_without_readiness(tiny_park: GeoPackageStore):
    service = ParkService(tiny_park)
    service.report(2025)
    for year in (2025, 2024, 2023):
        assert service.land(dt.date(year, 12, 31), readiness=False).readiness is False
