"""A change of a few records compared once (``audit.FewRecordDiff``) gives what the three comparisons give.

Every case is a hand-made build of records read from the demo park as a change in place reads them
(``read_rows``); the one pass and the three comparisons (``unchanged``, ``changed_ids``, ``diff_events``, with
the validation and ``stamp`` between them, as ``audit._commit_rows`` runs them) must give the same unchanged
fields, the same touched ids and an equal events frame; where the one pass cannot be sure it declines
(``None``) and the three comparisons run, and each side of each such condition is here.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import shapely

from layers import audit
from layers.registry import get_layer
from layers.store import checked_frame

PARCELS = get_layer("parcels")
BUILDINGS = get_layer("buildings")
CHANGE = audit.new_change("update", user="alice", now=dt.datetime(2026, 6, 30, 1, 0, tzinfo=dt.timezone.utc))


@pytest.fixture(scope="module")
def read(demo_park):
    """``read(layer, n)``: the first ``n`` records of a demo layer as ``_commit_rows`` reads them (a fresh copy)."""
    ids = {name: demo_park.load(name)[get_layer(name).id_field].tolist() for name in ("parcels", "buildings")}

    def records(layer: str, n: int = 1) -> pd.DataFrame:
        return demo_park.read_rows(layer, ids[layer][:n]).copy()
    return records


def three(old, frame, spec, crs):
    """What ``_commit_rows`` computed before the one pass: (unchanged, touched, events)."""
    checked = audit.unchanged(old, frame, spec)
    typed = checked_frame(spec.name, frame, crs, source="test", checked=checked)
    touched = audit.changed_ids(old, typed, spec, ignore=audit.STAMPED)
    stamped = audit.stamp(old, typed, spec, CHANGE, touched)
    ids = spec.id_field
    events = audit.diff_events(old[old[ids].isin(touched)], stamped[stamped[ids].isin(touched)], spec, CHANGE)
    return checked, touched, events


def one_pass(old, frame, spec, crs):
    """The same through ``FewRecordDiff``; ``None`` where it declines (at ``compare`` or at ``judge``)."""
    few = audit.FewRecordDiff.compare(old, frame, spec)
    if few is None:
        return None
    typed = checked_frame(spec.name, frame, crs, source="test", checked=few.unchanged)
    judged = few.judge(old, typed, spec)
    if judged is None:
        return None
    touched = judged.changed()
    stamped = audit.stamp(old, typed, spec, CHANGE, touched)
    return few.unchanged, touched, judged.events(old, stamped, spec, CHANGE, touched)


def assert_same(old, frame, spec, crs):
    """The one pass runs and equals the three comparisons; returns them."""
    expected = three(old, frame, spec, crs)
    got = one_pass(old, frame, spec, crs)
    assert got is not None, "the one pass declined a change it can compare"
    assert got[0] == expected[0]
    assert got[1] == expected[1]
    pd.testing.assert_frame_equal(got[2], expected[2])
    return expected


def changed_fields(events) -> list[tuple[str, str, str | None, str | None]]:
    return list(zip(events["record_id"], events["field"], events["old_value"], events["new_value"]))


def with_value(frame, row, name, value):
    out = frame.copy()
    out.iat[row, out.columns.get_loc(name)] = value
    return out


TODAY = CHANGE.date.date().isoformat()


def test_a_text_edit_is_one_event_and_its_stamp(read, demo_park):
    old = read("parcels")
    frame = old.astype({"name": object})  # as edits.update_record leaves an edited column
    frame.iat[0, frame.columns.get_loc("name")] = "新名称"
    unchanged, touched, events = assert_same(old, frame, PARCELS, demo_park.working_crs())
    record_id = old["parcel_id"].iloc[0]
    assert touched == {record_id}
    assert "name" not in unchanged and "area_name" in unchanged
    assert changed_fields(events) == [(record_id, "name", old["name"].iloc[0], "新名称"),
                                      (record_id, "last_updated", old["last_updated"].iloc[0].date().isoformat(),
                                       TODAY)]


@pytest.mark.parametrize(("name", "value", "text"), [
    ("far_max", 2.75, "2.75"),
    ("contract_date", pd.Timestamp("2019-03-04"), "2019-03-04"),
    ("land_use_review", True, "true"),
    ("status", "reclaimed", "reclaimed"),
])
def test_a_float_date_bool_or_code_edit_in_its_declared_dtype(read, demo_park, name, value, text):
    old = read("parcels")
    if audit.value_text(old[name].iloc[0], PARCELS.field(name).kind) == text:
        pytest.fail(f"pick a value {name} does not hold already")
    frame = with_value(old, 0, name, value)
    unchanged, touched, events = assert_same(old, frame, PARCELS, demo_park.working_crs())
    assert name not in unchanged
    assert list(events["field"]) == [name, "last_updated"] and events["new_value"].iloc[0] == text


def test_an_int64_edit_of_a_building(read, demo_park):
    old = read("buildings")
    floors = old["floors"].iloc[0]
    frame = with_value(old, 0, "floors", 1 if pd.isna(floors) else int(floors) + 1)
    assert frame["floors"].dtype == "Int64"
    _, _, events = assert_same(old, frame, BUILDINGS, demo_park.working_crs())
    assert events["field"].tolist() == ["floors", "last_updated"]


@pytest.mark.parametrize("to_missing", [True, False])
def test_a_value_cleared_or_filled(read, demo_park, to_missing):
    old = read("parcels")
    name = "investment_done_wan"
    old.iat[0, old.columns.get_loc(name)] = np.nan if not to_missing else 120.5
    frame = with_value(old, 0, name, np.nan if to_missing else 99.0)
    _, _, events = assert_same(old, frame, PARCELS, demo_park.working_crs())
    assert changed_fields(events)[0][1:] == ((name, "120.5", None) if to_missing else (name, None, "99.0"))


def test_a_geometry_edit(read, demo_park):
    old = read("parcels")
    frame = old.copy()
    frame["geometry"] = shapely.affinity.translate(old.geometry.iloc[0], 1.0, 0.0)
    _, touched, events = assert_same(old, frame, PARCELS, demo_park.working_crs())
    assert touched == set(old["parcel_id"]) and events["field"].tolist() == ["last_updated", "geometry"]  # geometry last


@pytest.mark.parametrize("name", audit.STAMPED)
def test_a_stamped_field_alone_is_no_change(read, demo_park, name):
    old = read("parcels")
    frame = with_value(old, 0, name, pd.Timestamp("2001-02-03"))
    unchanged, touched, events = assert_same(old, frame, PARCELS, demo_park.working_crs())
    assert name not in unchanged and touched == set() and events.empty


def test_a_stamped_field_with_a_real_change_is_logged_too(read, demo_park):
    old = read("parcels")
    frame = with_value(with_value(old, 0, "first_added", pd.Timestamp("2001-02-03")), 0, "far_max", 3.5)
    _, _, events = assert_same(old, frame, PARCELS, demo_park.working_crs())
    assert events["field"].tolist() == ["far_max", "first_added", "last_updated"]


def test_no_change_at_all(read, demo_park):
    old = read("parcels", 2)
    unchanged, touched, events = assert_same(old, old.copy(), PARCELS, demo_park.working_crs())
    assert touched == set() and events.empty
    assert set(unchanged) == {f.name for f in PARCELS.fields} - {"parcel_id"}


def test_a_column_of_another_dtype_with_the_same_values_is_validated_and_no_change(read, demo_park):
    old = read("parcels")
    frame = old.astype({"area_name": object, "far_max": object})
    unchanged, touched, events = assert_same(old, frame, PARCELS, demo_park.working_crs())
    assert "area_name" not in unchanged and "far_max" not in unchanged
    assert touched == set() and events.empty


def test_two_records_in_record_then_field_order(read, demo_park):
    old = read("parcels", 3)
    frame = with_value(with_value(old, 2, "far_max", 4.25), 0, "name", "甲")
    frame = with_value(frame, 2, "name", "乙")
    _, touched, events = assert_same(old, frame, PARCELS, demo_park.working_crs())
    first, third = old["parcel_id"].iloc[0], old["parcel_id"].iloc[2]
    assert touched == {first, third}
    assert [(r, f) for r, f, _, _ in changed_fields(events)] == [
        (first, "name"), (first, "last_updated"), (third, "name"), (third, "far_max"), (third, "last_updated")]


def test_records_in_another_order_than_read(read, demo_park):
    old = read("parcels", 3)
    frame = with_value(old.iloc[[2, 0, 1]].reset_index(drop=True), 0, "name", "丙")
    _, _, events = assert_same(old, frame, PARCELS, demo_park.working_crs())
    assert events["record_id"].tolist() == [old["parcel_id"].iloc[2]] * 2


def test_a_value_the_validation_fills_is_a_change_in_both(read, demo_park):
    """A record stored with a land-use code but no standard (written by another tool): the build leaves both as
    they were (so they are not validated again), the validation still fills the standard — a change."""
    old = read("parcels")
    assert pd.notna(old["land_use"].iloc[0])
    old.iat[0, old.columns.get_loc("land_use_std")] = np.nan
    frame = with_value(old, 0, "name", "丁")
    unchanged, touched, events = assert_same(old, frame, PARCELS, demo_park.working_crs())
    assert "land_use_std" in unchanged
    assert "land_use_std" in events["field"].tolist()


def test_up_to_few_records_compared_once_and_more_declined(read, demo_park):
    crs = demo_park.working_crs()
    old = read("parcels", audit.FEW_RECORDS + 1)
    few = old.iloc[:audit.FEW_RECORDS].reset_index(drop=True)
    assert_same(few, with_value(few, audit.FEW_RECORDS - 1, "name", "戊"), PARCELS, crs)
    assert one_pass(old, with_value(old, 0, "name", "戊"), PARCELS, crs) is None


def test_a_new_record_is_declined(read, demo_park):
    old = read("parcels", 2)
    frame = with_value(old, 1, "parcel_id", "NEW-1")
    assert audit.FewRecordDiff.compare(old.iloc[:1].reset_index(drop=True), frame, PARCELS) is None
    assert audit.FewRecordDiff.compare(old, frame.iloc[:1].reset_index(drop=True), PARCELS) is not None


def test_a_record_left_out_is_declined_after_the_validation(read, demo_park):
    """The build returns one of two records read (the other would be retired: ``_commit_rows`` refuses it first):
    the fields compare, the judging of the validated records declines."""
    crs = demo_park.working_crs()
    old = read("parcels", 2)
    frame = with_value(old.iloc[:1].reset_index(drop=True), 0, "name", "己")
    few = audit.FewRecordDiff.compare(old, frame, PARCELS)
    typed = checked_frame("parcels", frame, crs, source="test", checked=few.unchanged)
    assert few.judge(old, typed, PARCELS) is None
    assert few.judge(old.iloc[:1].reset_index(drop=True), typed, PARCELS) is not None


def test_ids_the_validation_changed_are_declined(read, demo_park):
    """(A build cannot make the validation change an id it read; judged against other records the ids differ.)"""
    crs = demo_park.working_crs()
    old = read("parcels", 2)
    few = audit.FewRecordDiff.compare(old, old.copy(), PARCELS)
    swapped = checked_frame("parcels", old.iloc[[1, 0]].reset_index(drop=True), crs, source="test")
    assert few.judge(old, swapped, PARCELS) is None
    assert few.judge(old, checked_frame("parcels", old, crs, source="test"), PARCELS) is not None


def rename(record_id, values):
    def build(current, trail):
        frame = current["parcels"].astype({name: object for name in values})
        row = np.flatnonzero((frame["parcel_id"] == record_id).to_numpy())[0]
        for name, value in values.items():
            frame.iat[row, frame.columns.get_loc(name)] = value
        return {"parcels": frame}
    return build


@pytest.fixture
def logged_park(tiny_park):
    """The tiny park after one whole-layer change (a change in place appends to an audit trail)."""
    audit.commit(tiny_park, CHANGE, rename("P3", {"name": "三号"}), layers=["parcels"])
    return tiny_park


def test_an_id_change_is_refused_as_a_retirement_and_nothing_is_written(logged_park):
    before, log = logged_park.load("parcels"), logged_park.load("audit_events")
    with pytest.raises(ValueError, match=r"records are retired, never deleted \(P1\)"):
        audit.commit(logged_park, CHANGE, rename("P1", {"parcel_id": "RENAMED-1"}), layers=["parcels"],
                     scope=audit.Scope.of("parcels", "P1"))
    pd.testing.assert_frame_equal(logged_park.load("parcels"), before)
    assert len(logged_park.load("audit_events")) == len(log)


def test_an_edit_in_place_logs_each_changed_field_and_the_stamp(logged_park):
    events = audit.commit(logged_park, CHANGE, rename("P1", {"name": "庚", "far_max": "1.75"}), layers=["parcels"],
                          scope=audit.Scope.of("parcels", "P1"))
    assert [(r, f, n) for r, f, _, n in changed_fields(events)] == [
        ("P1", "name", "庚"), ("P1", "far_max", "1.75"), ("P1", "last_updated", TODAY)]
    assert events.attrs["saved"][("parcels", "P1")][1] == 1


def texts_column_by_column(frame, spec):
    """``record_texts`` as it was written for every size: each column's values as pandas lists them."""
    kinds = {f.name: f.kind for f in spec.fields} | {"geometry": "geometry"}
    columns = {name: [audit.value_text(v, kind) for v in frame[name].tolist()] for name, kind in kinds.items()}
    return [dict(zip(kinds, values)) for values in zip(*columns.values())]


@pytest.mark.parametrize("layer", ["parcels", "buildings"])
@pytest.mark.parametrize("n", [1, audit.FEW_RECORDS, audit.FEW_RECORDS + 1])
def test_record_texts_of_a_few_records_are_those_of_each_column(read, layer, n):
    frame = read(layer, n)
    spec = get_layer(layer)
    for name, missing in (("valid_to", pd.NaT), ("source_attributes", np.nan)):  # missing values among them
        frame.iat[0, frame.columns.get_loc(name)] = missing
    if layer == "buildings":
        frame.iat[-1, frame.columns.get_loc("floors")] = 7
        frame.iat[0, frame.columns.get_loc("floors")] = pd.NA
    texts = audit.record_texts(frame, spec)
    assert texts == texts_column_by_column(frame, spec)
    assert texts[0]["valid_to"] is None and texts[0]["source_attributes"] is None
    if layer == "buildings":
        assert texts[0]["floors"] is None and (n == 1 or texts[-1]["floors"] == "7")


def test_versions_of_a_few_records_count_their_changes():
    log = pd.DataFrame({
        "layer": ["parcels", "parcels", "parcels", "buildings", "parcels", None, "parcels"],
        "record_id": ["P1", "P1", "P2", "P2", "P3", "P1", "P2"],
        "change_id": ["C1", "C1", "C1", "C2", np.nan, "C3", "C4"],
    })
    expected = {"P1": 1, "P2": 2}  # P1: C1 twice; P2: C1, C4 (C2 is a building's); P3: no change id
    assert audit._versions_of(log, "parcels", {"P1", "P2", "P3", "P9"}) == expected
    versions = audit.record_versions(log, "parcels")
    assert {i: int(versions[i]) for i in ("P1", "P2")} == expected and versions["P3"] == 0
    many = {f"X{i}" for i in range(audit.FEW_RECORDS)} | {"P1", "P2"}
    assert audit._versions_of(log, "parcels", many) == expected  # (counted by record_versions)


def test_a_few_records_of_a_larger_frame_read_are_compared_as_they_are(read):
    """The old frame holds more than FEW_RECORDS records (their values are taken before they are converted)."""
    old = read("parcels", audit.FEW_RECORDS + 1)
    frame = with_value(old.iloc[[5, 1]].reset_index(drop=True), 0, "far_max", 9.5)
    expected = [f.name for f in PARCELS.fields if f.name not in ("parcel_id", "far_max")]
    assert audit.unchanged(old, frame, PARCELS) == expected
    assert audit.FewRecordDiff.compare(old, frame, PARCELS).unchanged == expected
    as_read = [f.name for f in PARCELS.fields if f.name != "parcel_id"]
    assert audit.unchanged(old, old.iloc[[5, 1]].reset_index(drop=True), PARCELS) == as_read
