"""One building–parcel overlay of all records serves every day: ``geo.utilisation.overlay`` and ``pairs_among``.

A park's records of different days overlap (a parcel and the halves it was split into, a building later
demolished); the pairs taken from the overlay of them all must be those a fresh overlay of a day's records gives.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from test_geo_utilisation import box, buildings_frame, parcels_frame

from geo.utilisation import building_parcel_pairs, overlay, pairs_among


def test_one_overlay_of_all_records_gives_each_days_pairs():
    # W and E side by side; W was split on a day into W-A (x 0–50) and W-B (x 50–100): all three are records.
    parcels = parcels_frame([{"parcel_id": "W"}, {"parcel_id": "E"}, {"parcel_id": "W-A"}, {"parcel_id": "W-B"}],
                            [box(0, 0, 100, 100), box(100, 0, 200, 100), box(0, 0, 50, 100), box(50, 0, 100, 100)])
    buildings = buildings_frame(
        [{"building_id": "inside-A", "floors": 1}, {"building_id": "across-split", "floors": 1},
         {"building_id": "across-W-E", "floors": 1}, {"building_id": "alone", "floors": 1}],
        [box(10, 10, 30, 30), box(40, 40, 60, 50), box(90, 60, 110, 80), box(120, 10, 140, 20)])
    whole = overlay(parcels, buildings)
    before_split = np.array([True, True, False, False])  # W and E
    after_split = np.array([False, True, True, True])  # E, W-A, W-B
    every_building = np.ones(4, dtype=bool)
    got = pairs_among(whole, before_split, every_building)
    # Before the split inside-A, across-split and half of across-W-E lie in W (row 0), the rest in E (row 1).
    assert list(zip(got["building"], got["parcel"], got["inside_m2"])) == [
        (0, 0, 400.0), (1, 0, 200.0), (2, 0, 200.0), (2, 1, 200.0), (3, 1, 200.0)]
    got = pairs_among(whole, after_split, every_building)
    # After it the rows are E 0, W-A 1, W-B 2: across-split is cut in two halves of 100 m².
    assert list(zip(got["building"], got["parcel"], got["inside_m2"], got["share"])) == [
        (0, 1, 400.0, 1.0), (1, 1, 100.0, 0.5), (1, 2, 100.0, 0.5), (2, 0, 200.0, 0.5), (2, 2, 200.0, 0.5),
        (3, 0, 200.0, 1.0)]
    # Without the demolished building "alone" its pairs go and the others' positions close up.
    got = pairs_among(whole, after_split, np.array([True, True, True, False]))
    assert list(zip(got["building"], got["parcel"])) == [(0, 1), (1, 1), (1, 2), (2, 0), (2, 2)]


def test_pairs_from_the_overlay_equal_a_fresh_overlay_of_any_subset():
    rng = np.random.default_rng(11)
    cells = [box(x * 100, y * 100, x * 100 + 100, y * 100 + 100) for x in range(4) for y in range(4)]
    halves = [box(x * 100, y * 100, x * 100 + 50, y * 100 + 100) for x in range(4) for y in range(4)]
    parcels = parcels_frame([{"parcel_id": f"P{i}"} for i in range(32)], cells + halves)
    xy = rng.uniform(0, 380, size=(120, 2))
    size = rng.uniform(5, 40, size=(120, 2))
    buildings = buildings_frame([{"building_id": f"B{i}", "floors": 1} for i in range(120)],
                                [box(x, y, x + w, y + h) for (x, y), (w, h) in zip(xy, size)])
    whole = overlay(parcels, buildings)
    for _ in range(20):
        parcel_rows, building_rows = rng.random(32) < 0.6, rng.random(120) < 0.7
        fresh = building_parcel_pairs(parcels[parcel_rows], buildings[building_rows])
        expected = fresh.sort_values(["building", "parcel"], kind="stable", ignore_index=True)
        pd.testing.assert_frame_equal(pairs_among(whole, parcel_rows, building_rows), expected, check_exact=True)
