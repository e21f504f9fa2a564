"""Single-record reads and writes of a PostGIS park (layers.contract.RowStore): an edit costs what it changes.

Every test runs against a real PostgreSQL + PostGIS (the ``postgis_store`` fixture), on the tiny park of
tests/conftest.py; expected frames are the loaded park with the hand-made records put in.
"""

from __future__ import annotations

import random
import threading
from pathlib import Path

import pandas as pd
import pytest
import shapely
from conftest import TINY_META, X0, Y0, tiny_frames
from conftest_postgis import psql
from crash_helpers import kill_during_saves

from layers.audit import number_events
from layers.contract import RowStore
from layers.postgis import ROW_STATEMENTS_MAX, PostGISStore, row_indexes
from layers.registry import REGISTRY
from layers.store import ParkStoreError, checked_frame, empty_frame

WRITER = Path(__file__).with_name("pg_rows_writer.py")


@pytest.fixture
def tiny_pg(postgis_store):
    postgis_store.save_park(tiny_frames(), TINY_META)
    return postgis_store


def typed(store, name: str, frame) -> pd.DataFrame:
    """``frame`` validated as layer ``name`` (the caller of save_rows validates)."""
    return checked_frame(name, frame, store.working_crs(), source="test")


def events(store, start: int, change_id: str, changes: list[tuple[str, str, str, str, str]],
           *, undoes: str | None = None) -> pd.DataFrame:
    """Numbered audit events of one change: (layer, record_id, field, old, new) each."""
    frame = pd.DataFrame({
        "change_id": change_id, "at": "2026-06-30T08:00:00.000000+00:00", "date": pd.Timestamp("2026-06-30"),
        "user": "planner", "action": "update", "op": "update",
        "layer": [c[0] for c in changes], "record_id": [c[1] for c in changes], "field": [c[2] for c in changes],
        "old_value": [c[3] for c in changes], "new_value": [c[4] for c in changes], "reason": "test",
        "undoes": undoes,
    })
    return typed(store, "audit_events", number_events(frame, start_seq=start))


def no_events(store) -> pd.DataFrame:
    return empty_frame(REGISTRY["audit_events"], store.working_crs())


def edited_p2(store) -> pd.DataFrame:
    """Parcel P2 with a new name (text), price (float), levelled flag (bool), contract date and shape."""
    p2 = store.load("parcels").iloc[[1]].copy()
    p2["name"] = "二号地块（改）"
    p2["land_price_wan"] = 612.5
    p2["site_levelled"] = True
    p2["contract_date"] = pd.Timestamp("2025-01-02")
    p2["geometry"] = [shapely.box(X0 + 100, Y0, X0 + 250, Y0 + 80)]
    return typed(store, "parcels", p2)


def test_the_store_advertises_single_record_writes(tiny_pg):
    assert tiny_pg.capabilities.rows is tiny_pg
    assert isinstance(tiny_pg, RowStore)


def test_an_update_writes_every_field_and_the_geometry_of_the_records_only(tiny_pg):
    before = {name: tiny_pg.load(name) for name in ("parcels", "buildings", "roads")}
    p2 = edited_p2(tiny_pg)
    b1 = before["buildings"].copy()
    b1["floors"] = pd.array([5], dtype="Int64")
    b1["gfa_m2"] = 8123.25
    b1 = typed(tiny_pg, "buildings", b1)
    tiny_pg.save_rows({"parcels": p2, "buildings": b1}, {}, no_events(tiny_pg))

    parcels = tiny_pg.load("parcels")
    assert list(parcels["parcel_id"]) == ["P1", "P2", "P3"]  # stored order kept
    row = parcels.iloc[1]
    assert (row["name"], row["land_price_wan"], row["site_levelled"]) == ("二号地块（改）", 612.5, True)
    assert row["contract_date"] == pd.Timestamp("2025-01-02")
    assert row.geometry.equals(shapely.box(X0 + 100, Y0, X0 + 250, Y0 + 80))
    expected = pd.concat([before["parcels"].iloc[[0]], p2, before["parcels"].iloc[[2]]], ignore_index=True)
    pd.testing.assert_frame_equal(parcels, expected, check_exact=True)
    buildings = tiny_pg.load("buildings")
    assert (buildings.loc[0, "floors"], buildings.loc[0, "gfa_m2"]) == (5, 8123.25)
    pd.testing.assert_frame_equal(buildings, b1.reset_index(drop=True), check_exact=True)
    pd.testing.assert_frame_equal(tiny_pg.load("roads"), before["roads"], check_exact=True)


def test_a_value_set_to_empty_is_stored_empty(tiny_pg):
    p1 = tiny_pg.load("parcels").iloc[[0]].copy()
    assert p1["land_price_wan"].iloc[0] == 300.0
    p1["land_price_wan"] = None
    p1["contract_date"] = pd.NaT
    tiny_pg.save_rows({"parcels": typed(tiny_pg, "parcels", p1)}, {}, no_events(tiny_pg))
    row = tiny_pg.load("parcels").iloc[0]
    assert pd.isna(row["land_price_wan"]) and pd.isna(row["contract_date"])


def test_created_records_are_inserted_after_the_stored_ones(tiny_pg):
    p4 = tiny_pg.load("parcels").iloc[[2]].copy()
    p4["parcel_id"] = "P4"
    p4["name"] = "四号地块"
    p4["geometry"] = [shapely.box(X0 + 100, Y0 + 100, X0 + 200, Y0 + 200)]
    before = tiny_pg.load("parcels")
    tiny_pg.save_rows({}, {"parcels": typed(tiny_pg, "parcels", p4)}, no_events(tiny_pg))
    parcels = tiny_pg.load("parcels")
    assert list(parcels["parcel_id"]) == ["P1", "P2", "P3", "P4"]
    assert parcels.loc[3, "name"] == "四号地块"
    pd.testing.assert_frame_equal(parcels, pd.concat([before, typed(tiny_pg, "parcels", p4)], ignore_index=True),
                                  check_exact=True)
    assert tiny_pg.ids_present("parcels", ["P4", "P5", "P1"]) == {"P4", "P1"}
    assert tiny_pg.ids_present("parcels", []) == set()


@pytest.mark.parametrize("count", [ROW_STATEMENTS_MAX, ROW_STATEMENTS_MAX + 1])  # INSERT statements, then COPY
def test_many_created_records_land_typed_whichever_way_they_are_written(tiny_pg, count):
    units = pd.DataFrame({"unit_id": [f"U{i:05d}" for i in range(2, count + 2)], "building_id": "B1",
                          "floor": pd.array([i % 7 for i in range(count)], dtype="Int64"),
                          "area_m2": [100.0 + i / 8 for i in range(count)], "status": "leasable"})
    units = typed(tiny_pg, "units", units)
    before = tiny_pg.load("units")
    tiny_pg.save_rows({}, {"units": units}, no_events(tiny_pg))
    loaded = tiny_pg.load("units")
    assert len(loaded) == count + 1
    pd.testing.assert_frame_equal(loaded, pd.concat([before, units], ignore_index=True), check_exact=True)
    assert tiny_pg.is_trusted("units")


def test_events_are_appended_and_read_back_by_record_change_and_undo(tiny_pg):
    assert tiny_pg.next_seq() == 1
    first = events(tiny_pg, 1, "C1", [("parcels", "P2", "name", "二号地块", "甲"),
                                       ("buildings", "B1", "floors", "2", "3")])
    tiny_pg.save_rows({}, {}, first)
    assert tiny_pg.next_seq() == 3
    undo = events(tiny_pg, 3, "C2", [("parcels", "P2", "name", "甲", "二号地块")], undoes="C1")
    other = events(tiny_pg, 4, "C3", [("roads", "P2", "name", "纬一路", "纬二路")])  # same id, other layer
    tiny_pg.save_rows({}, {}, pd.concat([undo, other], ignore_index=True))
    assert tiny_pg.next_seq() == 5

    p2_history = tiny_pg.read_events(records=[("parcels", "P2")])
    assert list(p2_history["seq"]) == [1, 3]
    assert list(p2_history["event_id"]) == ["E000000000001", "E000000000003"]
    assert list(tiny_pg.read_events(change_ids=["C1"])["record_id"]) == ["P2", "B1"]
    assert list(tiny_pg.read_events(undoes=["C1"])["change_id"]) == ["C2"]
    assert list(tiny_pg.read_events(undoes=["C2"])["seq"]) == []
    assert list(tiny_pg.read_events(records=[("roads", "P2"), ("buildings", "B1")], change_ids=["C2"])["seq"]) \
        == [2, 3, 4]
    assert tiny_pg.read_events().empty
    # Typed exactly as the whole log loads.
    log = tiny_pg.load("audit_events")
    pd.testing.assert_frame_equal(tiny_pg.read_events(change_ids=["C1", "C2", "C3"]), log, check_exact=True)
    pd.testing.assert_frame_equal(log, pd.concat([first, undo, other], ignore_index=True), check_exact=True)


def test_every_save_changes_the_version(tiny_pg):
    version = tiny_pg.version()
    tiny_pg.save_rows({"parcels": edited_p2(tiny_pg)}, {}, no_events(tiny_pg))
    after_edit = tiny_pg.version()
    assert after_edit != version
    tiny_pg.save_rows({}, {}, events(tiny_pg, 1, "C1", [("parcels", "P2", "name", "a", "b")]))
    after_event = tiny_pg.version()
    assert after_event != after_edit
    tiny_pg.save_rows({}, {}, no_events(tiny_pg))  # nothing to write: nothing changes
    assert tiny_pg.version() == after_event


def test_a_trusted_layer_stays_trusted_and_an_untrusted_one_untrusted(tiny_pg):
    psql(tiny_pg, "UPDATE {}.{} SET name = '  改名路  ' WHERE road_id = 'R2'", tiny_pg.schema, "roads")
    assert tiny_pg.is_trusted("parcels") and not tiny_pg.is_trusted("roads")
    r1 = tiny_pg.read_rows("roads", ["R1"])
    r1["width_m"] = 24.0
    tiny_pg.save_rows({"parcels": edited_p2(tiny_pg), "roads": typed(tiny_pg, "roads", r1)}, {},
                      events(tiny_pg, 1, "C1", [("parcels", "P2", "name", "a", "b")]))
    assert tiny_pg.is_trusted("parcels")
    assert tiny_pg.is_trusted("audit_events")  # created here, from validated events
    assert not tiny_pg.is_trusted("roads")
    assert list(tiny_pg.load("roads")["name"]) == ["纬一路", "改名路"]  # validated: stripped
    # The trigger still counts what others do after our own write.
    psql(tiny_pg, "UPDATE {}.{} SET name = 'x' WHERE parcel_id = 'P1'", tiny_pg.schema, "parcels")
    assert not tiny_pg.is_trusted("parcels")


def test_a_failing_save_leaves_layers_log_and_version_as_they_were(tiny_pg):
    tiny_pg.save_rows({}, {}, events(tiny_pg, 1, "C1", [("parcels", "P1", "name", "a", "b")]))
    before = {name: tiny_pg.load(name) for name in ("parcels", "audit_events")}
    version = tiny_pg.version()
    duplicate_seq = events(tiny_pg, 1, "C2", [("parcels", "P2", "name", "二号地块", "二号地块（改）")])
    with pytest.raises(ParkStoreError, match="E000000000001"):
        tiny_pg.save_rows({"parcels": edited_p2(tiny_pg)}, {}, duplicate_seq)
    taken = tiny_pg.load("parcels").iloc[[0]]  # P1 exists: cannot be created again
    with pytest.raises(ParkStoreError, match="P1"):
        tiny_pg.save_rows({"parcels": edited_p2(tiny_pg)}, {"parcels": taken},
                          events(tiny_pg, 2, "C2", [("parcels", "P2", "name", "a", "b")]))
    absent = edited_p2(tiny_pg).assign(parcel_id="P9")
    with pytest.raises(ParkStoreError, match="records not in the layer, nothing saved: P9"):
        tiny_pg.save_rows({"parcels": pd.concat([edited_p2(tiny_pg), absent])}, {},
                          events(tiny_pg, 2, "C2", [("parcels", "P2", "name", "a", "b")]))
    for name, frame in before.items():
        pd.testing.assert_frame_equal(tiny_pg.load(name), frame, check_exact=True)
    assert tiny_pg.version() == version
    assert tiny_pg.is_trusted("parcels") and tiny_pg.is_trusted("audit_events")


def test_ids_and_prefixes_read_the_matching_records_in_stored_order(tiny_pg):
    base = tiny_pg.load("parcels").iloc[[0]]
    ids = ["P2-1", "P2_1", "P20", "P2-2", "Q2-1"]
    children = pd.concat([base.assign(parcel_id=i) for i in ids], ignore_index=True)
    tiny_pg.save_rows({}, {"parcels": typed(tiny_pg, "parcels", children)}, no_events(tiny_pg))

    assert list(tiny_pg.read_rows("parcels", ["P3", "P1"], id_prefixes=["P2-"])["parcel_id"]) == \
        ["P1", "P3", "P2-1", "P2-2"]
    assert list(tiny_pg.read_rows("parcels", [], id_prefixes=["P2"])["parcel_id"]) == \
        ["P2", "P2-1", "P2_1", "P20", "P2-2"]
    # '_' and '%' are literal characters of a prefix, not LIKE wildcards.
    assert list(tiny_pg.read_rows("parcels", [], id_prefixes=["P2_"])["parcel_id"]) == ["P2_1"]
    assert list(tiny_pg.read_rows("parcels", [], id_prefixes=["%"])["parcel_id"]) == []
    assert list(tiny_pg.read_rows("parcels", ["P9"])["parcel_id"]) == []
    # Typed as load() types them.
    whole = tiny_pg.load("parcels")
    pd.testing.assert_frame_equal(tiny_pg.read_rows("parcels", ["P2", "P20"]),
                                  whole[whole["parcel_id"].isin(["P2", "P20"])].reset_index(drop=True),
                                  check_exact=True)


def test_rows_of_an_untrusted_layer_are_validated(tiny_pg):
    psql(tiny_pg, "UPDATE {}.{} SET name = '  三号  ' WHERE parcel_id = 'P3'", tiny_pg.schema, "parcels")
    assert list(tiny_pg.read_rows("parcels", ["P3"])["name"]) == ["三号"]


def test_an_absent_layer_reads_empty_and_is_created_by_its_first_records(tiny_pg):
    crs = tiny_pg.working_crs()
    leases = tiny_pg.read_rows("leases", ["L1"], id_prefixes=["L"])
    pd.testing.assert_frame_equal(leases, empty_frame(REGISTRY["leases"], crs))
    assert tiny_pg.ids_present("leases", ["L1"]) == set()
    pd.testing.assert_frame_equal(tiny_pg.read_events(change_ids=["C1"]),
                                  empty_frame(REGISTRY["audit_events"], crs))
    assert tiny_pg.next_seq() == 1
    with pytest.raises(ParkStoreError, match="leases: the layer is absent, records L1 cannot be updated"):
        lease = typed(tiny_pg, "leases", pd.DataFrame({"lease_id": ["L1"], "unit_id": ["U1"],
                                                      "enterprise_id": ["E1"], "start": [pd.Timestamp("2026-01-01")]}))
        tiny_pg.save_rows({"leases": lease}, {}, no_events(tiny_pg))
    tiny_pg.save_rows({}, {"leases": lease}, no_events(tiny_pg))
    assert list(tiny_pg.load("leases")["lease_id"]) == ["L1"]
    assert tiny_pg.is_trusted("leases")


def test_a_geometry_of_another_type_widens_the_column_and_keeps_each_type(tiny_pg):
    p2 = tiny_pg.load("parcels").iloc[[1]].copy()
    multi = shapely.MultiPolygon([shapely.box(X0 + 100, Y0, X0 + 150, Y0 + 50),
                                  shapely.box(X0 + 200, Y0, X0 + 250, Y0 + 50)])
    p2["geometry"] = [multi]
    tiny_pg.save_rows({"parcels": typed(tiny_pg, "parcels", p2)}, {}, no_events(tiny_pg))
    geoms = tiny_pg.load("parcels").geometry
    assert list(geoms.geom_type) == ["Polygon", "MultiPolygon", "Polygon"]
    assert geoms.iloc[1].equals(multi)


def test_row_indexes_are_made_with_the_tables_and_lazily_for_older_parks(tiny_pg):
    def indexes() -> set[str]:
        with tiny_pg.connection() as conn:
            return {row[0] for row in conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = %s",
                                                   (tiny_pg.schema,))}

    tiny_pg.save_rows({}, {}, events(tiny_pg, 1, "C1", [("parcels", "P1", "name", "a", "b")]))
    wanted = set(row_indexes(REGISTRY["parcels"])) | set(row_indexes(REGISTRY["audit_events"]))
    assert wanted == {"parcels_id_prefix", "audit_events_id_prefix", "audit_events_record", "audit_events_change",
                      "audit_events_undoes", "audit_events_seq"}
    tiny_pg.save_layers({"audit_events": tiny_pg.load("audit_events")})  # a whole-layer save through staging
    assert wanted <= indexes()
    for index in wanted:
        psql(tiny_pg, "DROP INDEX {}.{}", tiny_pg.schema, index)
    assert not wanted & indexes()
    older = PostGISStore(tiny_pg.url, schema=tiny_pg.schema)  # a new process meeting a park written before
    try:
        assert list(older.read_rows("parcels", ["P1"])["parcel_id"]) == ["P1"]
        assert list(older.read_events(change_ids=["C1"])["seq"]) == [1]
    finally:
        older.close()
    assert wanted <= indexes()
    for index in wanted:
        psql(tiny_pg, "DROP INDEX {}.{}", tiny_pg.schema, index)
    assert tiny_pg.migrate() is False  # indexes are not data: no new version
    assert wanted <= indexes()


def test_prefix_and_record_reads_use_the_indexes(tiny_pg):
    tiny_pg.save_rows({}, {}, events(tiny_pg, 1, "C1", [("parcels", "P1", "name", "a", "b")]))
    with tiny_pg.connection() as conn:
        conn.execute("SET LOCAL enable_seqscan = off")  # a tiny table: make the planner show what it can use
        plan = "\n".join(row[0] for row in conn.execute(tiny_pg._sql(
            "EXPLAIN SELECT * FROM {}.{} WHERE parcel_id LIKE 'P2-%'", tiny_pg.schema, "parcels")))
        assert "parcels_id_prefix" in plan
        plan = "\n".join(row[0] for row in conn.execute(tiny_pg._sql(
            "EXPLAIN SELECT * FROM {}.{} WHERE layer = 'parcels' AND record_id = ANY('{{P1}}'::text[])",
            tiny_pg.schema, "audit_events")))
        assert "audit_events_record" in plan


def test_two_writers_under_the_write_lock_both_land(tiny_pg):
    errors = []

    def edit(record: str, name: str) -> None:
        try:
            with tiny_pg.write_lock():
                row = tiny_pg.read_rows("parcels", [record])
                old = row["name"].iloc[0]
                row["name"] = name
                seq = tiny_pg.next_seq()
                tiny_pg.save_rows({"parcels": typed(tiny_pg, "parcels", row)}, {},
                                  events(tiny_pg, seq, f"C-{record}", [("parcels", record, "name", old, name)]))
        except Exception as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=edit, args=(record, f"{record} 改")) for record in ("P1", "P3")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert list(tiny_pg.load("parcels")["name"]) == ["P1 改", "二号地块", "P3 改"]
    log = tiny_pg.load("audit_events")
    assert list(log["seq"]) == [1, 2]
    assert sorted(log["record_id"]) == ["P1", "P3"]
    assert tiny_pg.is_trusted("parcels")


def test_an_outside_edit_committed_during_a_save_is_still_counted(tiny_pg, postgis_url):
    import psycopg

    outside = psycopg.connect(postgis_url)  # another client, mid-transaction: its trigger has counted the edit
    try:
        outside.execute(tiny_pg._sql("UPDATE {}.{} SET name = '  外改  ' WHERE parcel_id = 'P3'",
                                     tiny_pg.schema, "parcels"))
        saving = threading.Thread(target=tiny_pg.save_rows, args=({"parcels": edited_p2(tiny_pg)}, {},
                                                                   no_events(tiny_pg)))
        saving.start()
        saving.join(timeout=1.0)
        assert saving.is_alive()  # waits on the layer's trust row
        outside.commit()
        saving.join(timeout=30)
        assert not saving.is_alive()
    finally:
        outside.close()
    assert not tiny_pg.is_trusted("parcels")  # the outside edit was not absorbed by our re-stamp
    assert list(tiny_pg.load("parcels")["name"]) == ["一号地块 <b>", "二号地块（改）", "外改"]


def test_kill_9_during_row_saves_leaves_the_old_or_the_new_state(tiny_pg):
    rng = random.Random(20261206)
    for _ in range(4):
        done = kill_during_saves([str(WRITER), tiny_pg.url, tiny_pg.schema], rng)
        log = tiny_pg.load("audit_events")
        # Every save reported complete is there, plus at most the one being written when it died ...
        assert log["seq"].max() in (done, done + 1), (log["seq"].max(), done)
        assert list(log["seq"]) == list(range(1, len(log) + 1))
        # ... whole: the record and its event together, and the layer still trusted.
        assert tiny_pg.load("parcels").loc[0, "name"] == log["new_value"].iloc[-1] == f"名称 {len(log)}"
        assert tiny_pg.is_trusted("parcels") and tiny_pg.is_trusted("audit_events")


def test_a_field_the_table_lacks_gets_its_column_and_the_written_value(tiny_pg):
    psql(tiny_pg, "ALTER TABLE {}.{} DROP COLUMN far_max", tiny_pg.schema, "parcels")  # written before the field
    p2 = tiny_pg.read_rows("parcels", ["P2"])
    assert p2["far_max"].isna().all()
    p2["far_max"] = 2.5
    tiny_pg.save_rows({"parcels": typed(tiny_pg, "parcels", p2)}, {}, no_events(tiny_pg))
    assert tiny_pg.load("parcels")["far_max"].tolist()[1] == 2.5
    assert tiny_pg.load("parcels")["far_max"].isna().tolist() == [True, False, True]
