"""The change map's features (geo.year_changes) on the small park of tests/test_geo_annual.py, by hand.

2025 in that park (see tests/test_geo_annual.py's table): supplied A, B, E, G (B on 31 December, A on 1 January;
C's contract of 31 December 2024 belongs to 2024); started A, E; completed C, E; G ended (split on
2025-09-01: its last true day is 31 August), F never (entered in error: never true); I revitalised (case K1
closed as done on 31 December; K3 closes on 1 January 2026, K4 was dropped); H newly idle; road R1 completed;
pipeline W1 built. Added here: road R4, recorded changing from subgrade to completed on 2025-05-01 (audit
trail), and R1 recorded once more on 2024-12-31 (the year before) and with its status unchanged in 2025.
"""

from __future__ import annotations

import pandas as pd
import pytest
from annual_samples import RULES, annual_park, line, typed

from geo.analysis import analyse_land
from geo.annual import year_end
from geo.year_changes import CHANGES, COLUMNS, change_counts, change_label, ended_in, first_year, year_changes


@pytest.fixture(scope="module")
def park():
    layers = annual_park()
    extra = typed("roads", [{"road_id": "R4", "status": "completed", "year": 2024}], [line(0, 100, y=-140)])
    layers["roads"] = pd.concat([layers["roads"], extra], ignore_index=True)
    layers["audit_events"] = pd.DataFrame({
        "layer": ["roads", "roads", "roads", "parcels"], "record_id": ["R4", "R1", "R1", "A"],
        "field": ["status", "status", "status", "status"],
        "old_value": ["subgrade", "approved", "completed", "supplied"],
        "new_value": ["completed", "subgrade", "completed", "under_construction"],
        "date": pd.to_datetime(["2025-05-01", "2024-12-31", "2025-03-01", "2025-04-01"])})
    return layers


def changes_of(layers, year):
    end = analyse_land(layers, as_of=year_end(year), rules=RULES)
    start = analyse_land(layers, as_of=year_end(year - 1), rules=RULES)
    return year_changes(layers, year, end=end, start=start)


@pytest.fixture(scope="module")
def y2025(park):
    return changes_of(park, 2025)


def ids(changes, change):
    return sorted(changes.loc[changes["change"] == change, "record_id"])


def test_parcel_changes_of_the_year_by_hand(y2025):
    assert ids(y2025, "supplied") == ["A", "B", "E", "G"]
    assert ids(y2025, "started") == ["A", "E"]
    assert ids(y2025, "completed") == ["C", "E"]
    assert ids(y2025, "ended") == ["G"]
    assert ids(y2025, "revitalised") == ["I"]
    assert ids(y2025, "became_idle") == ["H"]


def test_network_changes_of_the_year_by_hand(y2025):
    assert ids(y2025, "road_completed") == ["R1"]
    assert ids(y2025, "road_stage") == ["R4"]
    assert ids(y2025, "pipeline_built") == ["W1"]
    assert ids(y2025, "building_completed") == []


def test_year_boundaries_belong_to_their_own_year(park):
    y2024 = changes_of(park, 2024)
    assert ids(y2024, "supplied") == ["C"]  # contract on 31 December 2024; A's of 1 January 2025 is not here
    assert ids(y2024, "started") == ["C"]
    assert ids(y2024, "road_stage") == ["R1"] and ids(y2024, "pipeline_built") == ["S1"]
    assert ids(y2024, "revitalised") == []  # K2 closed on 1 January 2025 and has no parcel anyway


def test_rows_are_in_drawing_order_with_the_park_crs(y2025, park):
    assert tuple(y2025.columns) == COLUMNS
    order = [list(CHANGES).index(change) for change in y2025["change"]]
    assert order == sorted(order)
    assert y2025.crs == park["parcels"].crs
    supplied_g = y2025[(y2025["change"] == "supplied") & (y2025["record_id"] == "G")]
    assert supplied_g.geometry.area.iloc[0] == pytest.approx(10_000.0)  # G as it was, not its halves
    assert change_counts(y2025)["supplied"] == 4 and change_counts(y2025)["building_completed"] == 0


def test_ended_needs_a_true_day_and_a_last_day_in_the_year():
    frame = pd.DataFrame({"valid_from": pd.to_datetime(["2025-01-01", "2025-03-01", None, None]),
                          "valid_to": pd.to_datetime(["2025-01-01", "2025-03-02", "2026-01-01", "2026-01-02"]),
                          "retired_on": pd.to_datetime([None, None, None, None])})
    # never true; last true day 1 March; last true day 31 December 2025; last true day 1 January 2026
    assert ended_in(frame, 2025).tolist() == [False, True, True, False]


def test_a_park_without_layers_has_no_changes():
    changes = year_changes({}, 2025, end=None, start=None)  # no parcels: the land analyses are not read
    assert len(changes) == 0 and tuple(changes.columns) == COLUMNS


def test_a_park_of_networks_only_has_their_changes(park):
    changes = year_changes({"roads": park["roads"], "pipelines": park["pipelines"]}, 2025, end=None, start=None)
    assert sorted(changes["record_id"]) == ["R1", "W1"] and changes.crs == park["roads"].crs


def test_every_change_has_both_names():
    assert change_label("became_idle") == "新增闲置地块"
    assert change_label("became_idle", "en") == "Parcels newly idle"
    assert all(zh and en and colour.startswith("#") for zh, en, colour in CHANGES.values())


def test_history_begins_with_the_earliest_dated_record(park):
    assert first_year(park) == 2023  # H and I, contracts of 1 January 2023; roads and pipes from 2024
    roads_only = {"roads": park["roads"]}
    assert first_year(roads_only) == 2024 and first_year({}) is None
