"""The value-by-value paths an edit of one record takes give what the general (pandas) paths give.

Each fast path runs on a few records read from the demo park as an edit reads them, with awkward values
put in (NULLs, Chinese text, dates, Int64 numbers, geometries), and is compared with the general path of the
same function, forced by setting the bound it checks to 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from layers import audit, gpkg_rows
from layers.registry import get_layer


def first_of(spec, kind: str) -> str:
    return next(f.name for f in spec.fields if f.kind == kind and f.name != spec.id_field)


@pytest.fixture(scope="module", params=["buildings", "parcels"])
def awkward(demo_park, request):
    """Three records of a demo layer as ``read_rows`` gives them, with awkward values in every kind of field it
    has (buildings: whole numbers; parcels: yes/no)."""
    spec = get_layer(request.param)
    ids = demo_park.load(spec.name)[spec.id_field].tolist()[:3]
    frame = demo_park.read_rows(spec.name, ids).copy()
    kinds = {f.kind for f in spec.fields}
    frame.loc[0, first_of(spec, "str")] = "东区 3号地块（“测试”）"
    frame.loc[1, first_of(spec, "str")] = np.nan
    frame.loc[0, first_of(spec, "float")] = np.nan
    frame.loc[1, first_of(spec, "float")] = 0.1 + 0.2
    frame.loc[0, first_of(spec, "date")] = pd.NaT
    frame.loc[1, first_of(spec, "date")] = pd.Timestamp("1999-12-31")
    if "int" in kinds:
        frame.loc[0, first_of(spec, "int")] = pd.NA
        frame.loc[1, first_of(spec, "int")] = 2**40 + 3
    if "bool" in kinds:
        frame.loc[0, first_of(spec, "bool")] = pd.NA
        frame.loc[1, first_of(spec, "bool")] = True
    frame.loc[2, "geometry"] = shapely.Polygon([(0, 0), (10.123456789, 0), (10, 7.000000001), (0, 0)])
    return spec, frame


def test_a_records_texts_found_value_by_value_are_those_of_its_rows(awkward, monkeypatch):
    spec, frame = awkward
    for record_id in frame[spec.id_field]:
        fast = audit.record_texts_of(frame, spec, record_id)
        rows = frame[frame[spec.id_field] == record_id]
        assert fast == audit.record_texts(rows, spec)[0]
        monkeypatch.setattr(audit, "FEW_RECORDS", 0)
        assert audit.record_texts_of(frame, spec, record_id) == fast
        monkeypatch.undo()
    first, second = (audit.record_texts_of(frame, spec, i) for i in frame[spec.id_field].iloc[:2])
    assert first[first_of(spec, "date")] is None and second[first_of(spec, "date")] == "1999-12-31"
    assert first[first_of(spec, "str")] == "东区 3号地块（“测试”）" and second[first_of(spec, "str")] is None
    assert second[first_of(spec, "float")] == "0.30000000000000004"
    assert audit.record_texts_of(frame, spec, "no such record") is None
    assert audit.fingerprint(frame, spec, "no such record") is None


def test_a_fingerprint_found_value_by_value_is_the_general_ones(awkward, monkeypatch):
    spec, frame = awkward
    fast = [audit.fingerprint(frame, spec, i) for i in frame[spec.id_field]]
    monkeypatch.setattr(audit, "FEW_RECORDS", 0)
    assert [audit.fingerprint(frame, spec, i) for i in frame[spec.id_field]] == fast
    assert len(set(fast)) == 3
    # (the editor's page and JSON take it from the texts they show: the same digest)
    assert [audit.texts_fingerprint(audit.record_texts_of(frame, spec, i)) for i in frame[spec.id_field]] == fast


def log_of(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["layer", "record_id", "change_id"])


@pytest.mark.parametrize(("record_id", "expected"), [("P1", 2), ("地块一", 1), ("P9", 0)])
def test_a_version_counted_value_by_value_is_the_general_one(monkeypatch, record_id, expected):
    log = log_of([
        ("parcels", "P1", "CH-1"), ("parcels", "P1", "CH-1"),  # two fields of one change: one version
        ("parcels", "P1", "CH-2"),
        ("parcels", "P1", None),  # an event without a change counts for nothing
        ("buildings", "P1", "CH-3"),  # the same id in another layer
        ("parcels", "地块一", "CH-3"),
    ])
    assert audit.record_version(log, "parcels", record_id) == expected
    monkeypatch.setattr(audit, "FEW_EVENTS", 0)
    assert audit.record_version(log, "parcels", record_id) == expected
    assert audit.record_version(log.iloc[:0], "parcels", record_id) == 0


def test_few_records_stored_values_are_those_converted_column_by_column(awkward, monkeypatch):
    spec, frame = awkward
    geometry = ("geom", 4549, "POLYGON")
    names, fast = gpkg_rows.row_values(frame, spec, geometry)
    monkeypatch.setattr(gpkg_rows, "FEW_ROWS", 0)
    general_names, general = gpkg_rows.row_values(frame, spec, geometry)
    assert names == general_names and fast == general
    first, second = dict(zip(names, fast[0])), dict(zip(names, fast[1]))
    assert first[first_of(spec, "date")] is None and second[first_of(spec, "date")] == "1999-12-31"
    assert second[first_of(spec, "float")] == 0.1 + 0.2 and first[first_of(spec, "float")] is None
    for kind, value in (("int", 2**40 + 3), ("bool", 1)):
        if any(f.kind == kind for f in spec.fields):
            assert first[first_of(spec, kind)] is None
            assert second[first_of(spec, kind)] == value and type(second[first_of(spec, kind)]) is int


def test_versions_counted_over_two_logs_are_those_of_the_logs_joined(monkeypatch):
    read = log_of([("parcels", "P1", "CH-1"), ("parcels", "P1", "CH-2"), ("parcels", "P2", "CH-2")])
    written = log_of([("parcels", "P1", "CH-3"), ("parcels", "P1", "CH-3"), ("parcels", "P2", "CH-2")])
    expected = {"P1": 3, "P2": 1}  # CH-3 twice is one change; CH-2 in both logs is one change
    assert audit._versions_of((read, written), "parcels", {"P1", "P2", "P9"}) == expected
    monkeypatch.setattr(audit, "FEW_EVENTS", 0)
    assert audit._versions_of((read, written), "parcels", {"P1", "P2", "P9"}) == expected


@pytest.mark.parametrize(("old", "new", "expected"), [
    (["P1", "地块二", "P3"], ["P3", "地块二"], [2, 1]),  # text ids: looked up in a dictionary
    (["P1", "P2"], ["P2", "P9"], None),  # one not there
    (["P1", None, "P3"], ["P3"], [2]),  # a missing id among them: the pandas way, same answer
    ([np.nan, "P2"], [np.nan], [0]),  # missing ids match each other, as pandas matches them
])
def test_records_are_found_in_the_records_read_as_pandas_finds_them(old, new, expected):
    old_ids, new_ids = pd.Series(old, dtype=object), pd.Series(new, dtype=object)
    found = audit._positions_in(old_ids, new_ids)
    assert (None if found is None else found.tolist()) == expected
    if expected is not None:
        assert pd.Index(old_ids).get_indexer(new_ids).tolist() == expected
