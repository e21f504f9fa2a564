"""The buildings the vacancy tables draw: each id's first row, taken without deduplicating every building."""

from __future__ import annotations

import pandas as pd

from geo.analysis import first_rows_of
from geo.reasons import TEXT_DTYPE


def test_first_row_of_each_id_asked_for_and_nothing_else():
    buildings = pd.DataFrame({"building_id": ["B3", "B1", "B2", "B1", "B4"],
                              "name": ["three", "one, first", "two", "one, second", "four"]})
    # B1 twice among the ids and in the layer; B9 in no building; a missing id; B3 and B4 not asked for.
    ids = pd.Series(["B2", "B1", "B9", None, "B1"], dtype=TEXT_DTYPE)
    rows = first_rows_of(buildings, ids)
    assert rows.index.tolist() == ["B1", "B2"]  # in the layer's order
    assert rows["name"].tolist() == ["one, first", "two"]
    assert rows.index.dtype == TEXT_DTYPE
    expected = buildings.drop_duplicates("building_id").set_index(
        buildings.drop_duplicates("building_id")["building_id"].astype(TEXT_DTYPE))
    pd.testing.assert_frame_equal(rows, expected.loc[["B1", "B2"]])


def test_no_ids_no_rows():
    buildings = pd.DataFrame({"building_id": ["B1"], "name": ["one"]})
    rows = first_rows_of(buildings, pd.Series([], dtype=TEXT_DTYPE))
    assert len(rows) == 0 and rows.columns.tolist() == ["building_id", "name"]
