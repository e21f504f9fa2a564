"""The audit trail: complete (n edits → n events), replayable both ways, undoable, atomic, safely exported."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely

from layers import audit, edits
from layers import store as store_module
from layers.registry import get_layer

PARCELS = get_layer("parcels")
T0 = dt.datetime(2026, 6, 30, 1, 0, tzinfo=dt.timezone.utc)


def change(action, user="alice", minutes=0, **kwargs):
    return audit.new_change(action, user=user, now=T0 + dt.timedelta(minutes=minutes), **kwargs)


def set_field(record_id, field, value):
    def build(current, log):
        return {"parcels": edits.update_record(current["parcels"], PARCELS, record_id, {field: value})}
    return build


def by_id(frame):
    return frame.sort_values(frame.columns[0]).reset_index(drop=True)


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_value_text_is_canonical_and_reads_back():
    assert audit.value_text(0.1 + 0.2, "float") == "0.30000000000000004"
    assert float(audit.value_text(1e-7, "float")) == 1e-7
    assert audit.value_text(pd.Timestamp("2024-02-29"), "date") == "2024-02-29"
    assert audit.value_text(True, "bool") == "true" and audit.value_text(False, "bool") == "false"
    assert audit.value_text(pd.NA, "int") is None and audit.value_text(np.nan, "float") is None
    assert audit.value_text(pd.NaT, "date") is None and audit.value_text(None, "str") is None
    square = shapely.box(636000.123456789, 3171000.5, 636100.987654321, 3171100.25)
    assert shapely.from_wkt(audit.value_text(square, "geometry")).equals_exact(square, 0)


def test_n_single_field_edits_write_n_field_events_with_who_when_why(tiny_park):
    edited = [("P1", "name", "甲"), ("P2", "land_price_wan", "650.5"), ("P3", "area_name", "二期"),
              ("P1", "land_price_wan", "301")]
    for i, (record_id, field, value) in enumerate(edited):
        audit.commit(tiny_park, change("update", minutes=i, reason=f"edit {i}"), set_field(record_id, field, value),
                     layers=["parcels"])
    log = tiny_park.load("audit_events")
    fields = log[log["field"] != "last_updated"]
    assert len(fields) == len(edited)
    assert list(zip(fields["record_id"], fields["field"], fields["new_value"])) == [
        ("P1", "name", "甲"), ("P2", "land_price_wan", "650.5"), ("P3", "area_name", "二期"),
        ("P1", "land_price_wan", "301.0")]
    assert list(fields["old_value"]) == ["一号地块 <b>", "600.0", "拓展区", "300.0"]
    assert set(fields["user"]) == {"alice"} and list(fields["reason"]) == ["edit 0", "edit 1", "edit 2", "edit 3"]
    # last_updated changed once per record (all edits on one day): P1, P2, P3.
    stamps = log[log["field"] == "last_updated"]
    assert sorted(stamps["record_id"]) == ["P1", "P2", "P3"] and set(stamps["new_value"]) == {"2026-06-30"}
    assert list(log["seq"]) == list(range(1, len(log) + 1))
    assert log["at"].is_monotonic_increasing
    assert audit.record_versions(log, "parcels").to_dict() == {"P1": 2, "P2": 1, "P3": 1}


def test_an_edit_that_changes_nothing_writes_nothing(tiny_park):
    before = digest(tiny_park.path)
    events = audit.commit(tiny_park, change("update"), set_field("P1", "name", "一号地块 <b>"), layers=["parcels"])
    assert len(events) == 0 and digest(tiny_park.path) == before


def test_the_day_of_a_change_is_the_parks_day():
    # 2026-06-30 17:30 UTC is already 1 July in Beijing time.
    late = audit.new_change("update", user="x", now=dt.datetime(2026, 6, 30, 17, 30, tzinfo=dt.timezone.utc))
    assert late.date == pd.Timestamp("2026-07-01") and late.at == "2026-06-30T17:30:00.000000Z"
    early = audit.new_change("update", user="x", now=dt.datetime(2026, 6, 30, 15, 59, tzinfo=dt.timezone.utc))
    assert early.date == pd.Timestamp("2026-06-30")


def _history_of_changes(store):
    """A mixed history; returns the parcels after each change (index = log position)."""
    snapshots = {0: store.load("parcels")}
    steps = [
        ("update", set_field("P1", "name", "新名称")),
        ("geometry", lambda cur, log: {"parcels": edits.set_geometry(
            cur["parcels"], PARCELS, "P3", shapely.box(636000, 3171100, 636150, 3171200))}),
        ("split", lambda cur, log: {"parcels": edits.split_parcel(
            cur["parcels"], PARCELS, "P2", shapely.LineString([(636200, 3170990), (636200, 3171110)]),
            day=pd.Timestamp("2026-06-30"))[0]}),
        ("retire", lambda cur, log: {"parcels": edits.set_retired(cur["parcels"], PARCELS, "P1",
                                                                  pd.Timestamp("2026-06-30"))}),
        ("update", set_field("P2-1", "status", "under_construction")),
    ]
    for i, (action, build) in enumerate(steps, start=1):
        audit.commit(store, change(action, minutes=i), build, layers=["parcels"])
        snapshots[int(store.load("audit_events")["seq"].max())] = store.load("parcels")
    return snapshots


def test_replay_from_the_start_reproduces_the_current_state(tiny_park):
    _history_of_changes(tiny_park)
    log, current = tiny_park.load("audit_events"), tiny_park.load("parcels")
    start = audit.as_known_on(current, log, "parcels", seq=0)
    pd.testing.assert_frame_equal(by_id(start), by_id(audit.as_known_on(current, log, "parcels", seq=0)))
    replayed = audit.replay(start, log, "parcels")
    pd.testing.assert_frame_equal(by_id(replayed), by_id(current))


def test_as_of_every_log_position_equals_the_state_saved_then(tiny_park):
    snapshots = _history_of_changes(tiny_park)
    log, current = tiny_park.load("audit_events"), tiny_park.load("parcels")
    assert len(snapshots) == 6
    for seq, saved in snapshots.items():
        pd.testing.assert_frame_equal(by_id(audit.as_known_on(current, log, "parcels", seq=seq)), by_id(saved))


def test_seq_at_a_day_or_a_time(tiny_park):
    _history_of_changes(tiny_park)
    log = tiny_park.load("audit_events")
    assert audit.seq_at(log, dt.date(2026, 6, 29)) == 0
    assert audit.seq_at(log, dt.date(2026, 6, 30)) == int(log["seq"].max())
    first_change_end = int(log[log["at"] == log["at"].min()]["seq"].max())
    assert audit.seq_at(log, T0 + dt.timedelta(minutes=1, seconds=30)) == first_change_end


def test_split_is_logged_as_a_retired_parent_and_created_pieces(tiny_park):
    _history_of_changes(tiny_park)
    log = tiny_park.load("audit_events")
    split = log[log["action"] == "split"]
    assert set(split[split["op"] == "create"]["record_id"]) == {"P2-1", "P2-2"}
    retire = split[(split["record_id"] == "P2") & (split["field"] == "retired_on")]
    assert list(retire["new_value"]) == ["2026-06-30"]


def test_undo_restores_values_and_retires_what_the_change_created(tiny_park):
    audit.commit(tiny_park, change("update", minutes=1), set_field("P1", "name", "错误的名字"), layers=["parcels"])
    audit.commit(tiny_park, change("split", minutes=2), lambda cur, log: {"parcels": edits.split_parcel(
        cur["parcels"], PARCELS, "P2", shapely.LineString([(636200, 3170990), (636200, 3171110)]),
        day=pd.Timestamp("2026-06-30"))[0]}, layers=["parcels"])
    log = tiny_park.load("audit_events")
    rename, split = log["change_id"].drop_duplicates().tolist()
    undo = change("undo", user="bob", minutes=3, undoes=rename)
    audit.commit(tiny_park, undo, lambda cur, lg: audit.undo_frames(cur, lg, rename, day=undo.date),
                 layers=["parcels"])
    parcels = tiny_park.load("parcels").set_index("parcel_id")
    assert parcels.loc["P1", "name"] == "一号地块 <b>"
    undo_split = change("undo", user="bob", minutes=4, undoes=split)
    audit.commit(tiny_park, undo_split, lambda cur, lg: audit.undo_frames(cur, lg, split, day=undo_split.date),
                 layers=["parcels"])
    parcels = tiny_park.load("parcels").set_index("parcel_id")
    assert pd.isna(parcels.loc["P2", "retired_on"])  # the parent lives again
    assert parcels.loc[["P2-1", "P2-2"], "retired_on"].notna().all()  # the pieces are retired, not deleted
    log = tiny_park.load("audit_events")
    assert set(log[log["action"] == "undo"]["undoes"]) == {rename, split}
    with pytest.raises(audit.ChangeConflict, match="already undone"):
        audit.undo_frames({"parcels": tiny_park.load("parcels")}, log, rename, day=undo.date)


def test_undo_is_refused_when_the_value_changed_again(tiny_park):
    audit.commit(tiny_park, change("update", minutes=1), set_field("P1", "name", "甲"), layers=["parcels"])
    audit.commit(tiny_park, change("update", user="bob", minutes=2), set_field("P1", "name", "乙"),
                 layers=["parcels"])
    log = tiny_park.load("audit_events")
    first = log["change_id"].iloc[0]
    with pytest.raises(audit.ChangeConflict) as refused:
        audit.undo_frames({"parcels": tiny_park.load("parcels")}, log, first, day=pd.Timestamp("2026-06-30"))
    later = refused.value.events
    assert list(later[later["field"] == "name"]["user"]) == ["bob"]


def test_version_check_refuses_a_stale_edit_and_shows_the_other_change(tiny_park):
    audit.commit(tiny_park, change("update", user="bob"), set_field("P1", "name", "乙"), layers=["parcels"])
    log, parcels = tiny_park.load("audit_events"), tiny_park.load("parcels")
    edits.check_version(parcels, log, PARCELS, "P1", version=1, seen_fingerprint=None)  # current: fine
    with pytest.raises(audit.ChangeConflict) as stale:
        edits.check_version(parcels, log, PARCELS, "P1", version=0, seen_fingerprint=None)
    shown = stale.value.events
    assert set(shown["user"]) == {"bob"} and "乙" in set(shown["new_value"])
    fp = audit.fingerprint(parcels, PARCELS, "P1")
    edits.check_version(parcels, log, PARCELS, "P1", version=1, seen_fingerprint=fp)
    with pytest.raises(audit.ChangeConflict, match="outside the editor"):
        edits.check_version(parcels, log, PARCELS, "P1", version=1, seen_fingerprint="0" * 20)


def test_a_failed_save_writes_neither_the_change_nor_its_events(tiny_park, monkeypatch):
    before = digest(tiny_park.path)
    real = store_module._write_frame

    def fail_on_the_log(path, spec, frame, crs, **kwargs):
        if spec.name == "audit_events":
            raise OSError("disk full")
        return real(path, spec, frame, crs, **kwargs)

    monkeypatch.setattr(store_module, "_write_frame", fail_on_the_log)
    with pytest.raises(OSError, match="disk full"):
        audit.commit(tiny_park, change("update"), set_field("P1", "name", "甲"), layers=["parcels"])
    assert digest(tiny_park.path) == before


def test_an_invalid_edit_is_refused_by_the_import_validation(tiny_park):
    from layers.validate import LayerValidationError

    before = digest(tiny_park.path)
    with pytest.raises(LayerValidationError, match=r"land_price_wan: expected a number.*'abc'"):
        audit.commit(tiny_park, change("update"), set_field("P1", "land_price_wan", "abc"), layers=["parcels"])
    with pytest.raises(LayerValidationError, match="status: unknown value; allowed"):
        audit.commit(tiny_park, change("update"), set_field("P1", "status", "sold"), layers=["parcels"])
    assert digest(tiny_park.path) == before


def test_the_audited_store_logs_saves_by_other_modules(tiny_park):
    store = audit.AuditedStore(tiny_park)
    audit.set_actor("dora")
    try:
        roads = tiny_park.load("roads")
        roads.loc[roads["road_id"] == "R2", "status"] = "completed"
        store.save("roads", roads)
    finally:
        audit.set_actor(audit._DEFAULT_ACTOR)
    log = tiny_park.load("audit_events")
    row = log[log["field"] == "status"].iloc[0]
    assert (row["user"], row["action"], row["record_id"], row["old_value"], row["new_value"]) == (
        "dora", "save", "R2", "subgrade", "completed")
    with pytest.raises(ValueError, match="append-only"):
        audit.commit(tiny_park, change("update"), lambda cur, lg: {"audit_events": lg}, layers=[])


def test_a_record_removed_by_a_save_is_kept_in_its_delete_event(tiny_park):
    store = audit.AuditedStore(tiny_park)
    roads = tiny_park.load("roads")
    store.save("roads", roads[roads["road_id"] != "R2"])
    log = tiny_park.load("audit_events")
    deleted = log[log["op"] == "delete"]
    assert list(deleted["record_id"]) == ["R2"]
    restored = audit.as_known_on(tiny_park.load("roads"), log, "roads", seq=0)
    pd.testing.assert_frame_equal(by_id(restored), by_id(roads))


@pytest.mark.parametrize("text,safe", [
    ("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"), ("+1", "'+1"), ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("一号地块", "一号地块"), ("a=b", "a=b"),
])
def test_formulas_are_neutralised_in_text_cells(text, safe):
    frame = pd.DataFrame({"text": [text], "number": [-5.0]})
    out = audit.neutralise_formulas(frame)
    assert out["text"].iloc[0] == safe
    assert out["number"].iloc[0] == -5.0  # numbers stay numbers


def test_log_exports_keep_formulas_as_text(tiny_park):
    audit.commit(tiny_park, change("update", reason="=cmd|' /C calc'!A0"),
                 set_field("P1", "name", "=HYPERLINK(\"http://evil\",\"click\")"), layers=["parcels"])
    log = tiny_park.load("audit_events")
    csv_text = audit.log_csv_bytes(log).decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text and "'=cmd|" in csv_text
    assert ",=HYPERLINK" not in csv_text
    sheet = openpyxl.load_workbook(io.BytesIO(audit.log_xlsx_bytes(log))).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert any(cell.value == "'=HYPERLINK(\"http://evil\",\"click\")" for cell in cells)


@pytest.mark.parametrize("text", ["=1+1", "-3号地块", "'=already quoted", "''+x", "plain", "'plain", "@", "\tx"])
def test_neutralising_can_be_undone_exactly_by_an_importer(text):
    from layers.cells import neutralise_formulas, restore_formula_text

    out = neutralise_formulas(pd.DataFrame({"t": [text]}))
    assert restore_formula_text(out["t"]).iloc[0] == text
