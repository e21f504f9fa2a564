"""Valid time (when a record was true in the world) beside system time (when the register learnt it):
derivation from own dates, the import option, edits and their audit trail, and the migration of older
parks in both stores."""

from __future__ import annotations

import datetime as dt
import logging

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from valid_time_samples import IMPORT_DAY, make_older_park, register_geojson

from layers import audit, edits
from layers.io import ImportOptions, ImportRejected, import_layer
from layers.registry import get_layer
from layers.store import SCHEMA_VERSION, GeoPackageStore
from layers.stores import open_park
from layers.valid_time import (
    ENV_VAR,
    DerivationRule,
    ValidTimeRulesError,
    derive_for_older_park,
    fill_valid_time,
    load_rules,
    parse_rules,
    valid_on,
)
from tests.conftest import TINY_META, WORKING_EPSG, X0, Y0, tiny_frames

PARCELS, BUILDINGS, LEASES = get_layer("parcels"), get_layer("buildings"), get_layer("leases")


def day(text: str | None) -> pd.Timestamp:
    return pd.NaT if text is None else pd.Timestamp(text)


def days(*texts) -> pd.Series:
    return pd.Series([day(t) for t in texts], dtype="datetime64[ms]")


# -- derivation from own dates ---------------------------------------------------------------------------


def test_own_dates_give_valid_from_a_date_its_day_a_year_its_first_of_january():
    parcels = pd.DataFrame({"parcel_id": ["P1", "P2"], "contract_date": days("2019-05-01", None)})
    out = fill_valid_time(parcels, PARCELS, today=dt.date(2026, 6, 30))
    assert out["valid_from"].tolist() == [day("2019-05-01"), pd.NaT]
    buildings = pd.DataFrame({"building_id": ["B1", "B2"], "completion_year": pd.array([2021, None], "Int64")})
    out = fill_valid_time(buildings, BUILDINGS, today=dt.date(2026, 6, 30))
    assert out["valid_from"].tolist() == [day("2021-01-01"), pd.NaT]


def test_an_own_date_after_the_day_of_entry_is_a_plan_and_gives_nothing():
    parcels = pd.DataFrame({"parcel_id": ["P1", "P2"], "contract_date": days("2026-06-30", "2026-07-01")})
    out = fill_valid_time(parcels, PARCELS, today=dt.date(2026, 6, 30))
    assert out["valid_from"].tolist() == [day("2026-06-30"), pd.NaT]  # the day itself is a fact


def test_the_whole_file_date_fills_only_where_own_dates_do_not_say_and_explicit_dates_stay():
    parcels = pd.DataFrame({"parcel_id": ["P1", "P2", "P3"], "contract_date": days("2019-05-01", None, None),
                            "valid_from": days(None, None, "2010-01-01"), "valid_to": days(None, None, None)})
    out = fill_valid_time(parcels, PARCELS, today=dt.date(2026, 6, 30), valid_from=dt.date(2015, 1, 1))
    assert out["valid_from"].tolist() == [day("2019-05-01"), day("2015-01-01"), day("2010-01-01")]


def test_a_valid_to_field_names_the_last_day_and_valid_to_is_the_day_after():
    rules = {"leases": DerivationRule("leases", ("start",), ("end",))}
    leases = pd.DataFrame({"lease_id": ["L1", "L2"], "start": days("2024-01-01", "2024-01-01"),
                           "end": days("2024-12-31", None)})
    out = fill_valid_time(leases, LEASES, today=dt.date(2026, 6, 30), rules=rules)
    assert out["valid_to"].tolist() == [day("2025-01-01"), pd.NaT]
    assert valid_on(out, dt.date(2024, 12, 31)).tolist() == [True, True]
    assert valid_on(out, dt.date(2025, 1, 1)).tolist() == [False, True]


def test_a_derived_date_that_would_end_a_record_before_it_starts_is_not_filled():
    parcels = pd.DataFrame({"parcel_id": ["P1", "P2"], "contract_date": days("2019-05-01", "2019-05-01"),
                            "valid_from": days(None, None), "valid_to": days("2019-05-01", "2019-05-02")})
    out = fill_valid_time(parcels, PARCELS, today=dt.date(2026, 6, 30))
    assert out["valid_from"].tolist() == [pd.NaT, day("2019-05-01")]


def test_a_file_that_states_valid_from_is_not_overruled_by_own_dates():
    parcels = pd.DataFrame({"parcel_id": ["P1"], "contract_date": days("2019-05-01"), "valid_from": days(None)})
    out = fill_valid_time(parcels, PARCELS, today=dt.date(2026, 6, 30), own_dates=("valid_to",))
    assert out["valid_from"].isna().all()


def test_the_rules_file_is_checked_against_the_registry():
    with pytest.raises(ValidTimeRulesError) as caught:
        parse_rules({"schema": "parkatlas-valid-time/1",
                     "layers": {"parcels": {"valid_from": ["name", "contract_day"]}, "audit_events": {},
                                "roads": {"valid_since": ["year"]}}}, path="bad.yaml")
    text = str(caught.value)
    assert "layers.parcels.valid_from: field 'name' is a str, not a date or a year" in text
    assert "'parcels' has no field 'contract_day'; date and year fields: contract_date" in text
    assert "layers.audit_events: not a layer with valid time" in text
    assert "layers.roads: expected a mapping with valid_from and/or valid_to" in text
    with pytest.raises(ValidTimeRulesError, match="schema must be 'parkatlas-valid-time/1'"):
        parse_rules({"layers": {}})


def test_another_rules_file_is_named_by_the_environment(tmp_path, monkeypatch):
    other = tmp_path / "valid_time.yaml"
    other.write_text("schema: parkatlas-valid-time/1\nlayers:\n  parcels:\n    valid_from: [actual_start_date]\n",
                     encoding="utf-8")
    monkeypatch.setenv(ENV_VAR, str(other))
    assert load_rules() == {"parcels": DerivationRule("parcels", ("actual_start_date",), ())}
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "absent.yaml"))
    with pytest.raises(ValidTimeRulesError, match="absent.yaml: cannot be read"):
        load_rules()


# -- import ----------------------------------------------------------------------------------------------


def test_an_import_derives_valid_time_and_keeps_system_time_apart(tmp_path):
    park = GeoPackageStore(tmp_path / "park.gpkg")
    plan = import_layer(register_geojson(tmp_path / "register.geojson"), "parcels", park=park,
                        options=ImportOptions(today=IMPORT_DAY))
    parcels = park.load("parcels").set_index("parcel_id")
    assert parcels["valid_from"].to_dict() == {"A": day("2022-03-01"), "B": day("2024-01-10"),
                                               "C": day("2024-06-01"), "D": day("2023-05-01"),
                                               "E": day("2026-03-01"), "F": pd.NaT}
    assert parcels["valid_to"].isna().all()
    assert (parcels["first_added"] == pd.Timestamp(IMPORT_DAY)).all()  # when the register learnt them
    assert "valid time: 5 of 6 record(s) have a valid_from (from contract_date)" in plan.report.text()


def test_the_whole_file_valid_from_option(tmp_path):
    park = GeoPackageStore(tmp_path / "park.gpkg")
    plan = import_layer(register_geojson(tmp_path / "register.geojson"), "parcels", park=park,
                        options=ImportOptions(today=IMPORT_DAY, valid_from=dt.date(2020, 1, 1)))
    parcels = park.load("parcels").set_index("parcel_id")
    assert parcels.loc["F", "valid_from"] == day("2020-01-01")  # no own date: the file's
    assert parcels.loc["A", "valid_from"] == day("2022-03-01")  # its own date says more
    assert "the valid-from given for the file, 2020-01-01" in plan.report.text()
    with pytest.raises(ValueError, match="valid_from must be a date"):
        ImportOptions(valid_from="2020-01-01")


def test_re_importing_with_a_whole_file_date_fills_the_records_that_had_none(tmp_path):
    park = GeoPackageStore(tmp_path / "park.gpkg")
    source = register_geojson(tmp_path / "register.geojson")
    import_layer(source, "parcels", park=park, options=ImportOptions(today=IMPORT_DAY))
    plan = import_layer(source, "parcels", park=park,
                        options=ImportOptions(today=IMPORT_DAY, mode="upsert", valid_from=dt.date(2021, 1, 1)))
    assert plan.report.counts == {"added": 0, "updated": 1, "unchanged": 5}  # F gains a valid_from
    assert park.load("parcels").set_index("parcel_id").loc["F", "valid_from"] == day("2021-01-01")


def test_records_a_replace_import_retires_are_no_longer_true_from_that_day(tmp_path):
    park = GeoPackageStore(tmp_path / "park.gpkg")
    import_layer(register_geojson(tmp_path / "register.geojson"), "parcels", park=park,
                 options=ImportOptions(today=IMPORT_DAY))
    fewer = gpd.read_file(tmp_path / "register.geojson")
    fewer[fewer["宗地号"] != "A"].to_file(tmp_path / "fewer.geojson", driver="GeoJSON")
    later = dt.date(2026, 9, 1)
    import_layer(tmp_path / "fewer.geojson", "parcels", park=park, options=ImportOptions(today=later))
    a = park.load("parcels").set_index("parcel_id").loc["A"]
    assert (a["retired_on"], a["valid_to"]) == (pd.Timestamp(later), pd.Timestamp(later))


def test_an_import_that_ends_a_record_before_it_starts_is_refused_naming_it(tmp_path):
    source = tmp_path / "bad.csv"
    source.write_text("宗地号,生效日期,失效日期,WKT\n"
                      f"Q1,2024-05-01,2024-04-30,\"POLYGON (({X0} {Y0}, {X0 + 10} {Y0}, {X0 + 10} {Y0 + 10}, "
                      f"{X0} {Y0}))\"\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        import_layer(source, "parcels", park=tmp_path / "p.gpkg",
                     options=ImportOptions(crs=f"EPSG:{WORKING_EPSG}", today=IMPORT_DAY))
    problems = [(p.field, p.message) for p in caught.value.report.problems]
    assert ("valid_to", "before valid_from 2024-05-01; allowed: valid_from or a later day (valid_to is the first "
                        "day the record is no longer true), or empty") in problems


# -- edits and the audit trail ---------------------------------------------------------------------------


def test_retiring_asks_since_when_the_record_is_no_longer_true(tiny_park):
    parcels = tiny_park.load("parcels")
    today = dt.date(2026, 6, 30)
    out = edits.set_retired(parcels, PARCELS, "P1", today).set_index("parcel_id")
    assert (out.loc["P1", "retired_on"], out.loc["P1", "valid_to"]) == (pd.Timestamp(today), pd.Timestamp(today))
    out = edits.set_retired(parcels, PARCELS, "P1", today, no_longer_true_from="2025-12-01").set_index("parcel_id")
    assert (out.loc["P1", "retired_on"], out.loc["P1", "valid_to"]) == (pd.Timestamp(today), day("2025-12-01"))
    with pytest.raises(edits.EditError, match="valid_to: got 'soon'; allowed: a date YYYY-MM-DD"):
        edits.set_retired(parcels, PARCELS, "P1", today, no_longer_true_from="soon")


def test_restoring_makes_a_record_true_again_but_keeps_a_later_end(tiny_park):
    parcels = tiny_park.load("parcels")
    retired = edits.set_retired(parcels, PARCELS, "P1", dt.date(2026, 6, 30))
    back = edits.set_retired(retired, PARCELS, "P1", None, restored_on=dt.date(2026, 7, 1)).set_index("parcel_id")
    assert pd.isna(back.loc["P1", "retired_on"]) and pd.isna(back.loc["P1", "valid_to"])
    retired = edits.set_retired(parcels, PARCELS, "P1", dt.date(2026, 6, 30), no_longer_true_from="2027-01-01")
    back = edits.set_retired(retired, PARCELS, "P1", None, restored_on=dt.date(2026, 7, 1)).set_index("parcel_id")
    assert back.loc["P1", "valid_to"] == day("2027-01-01")


def test_a_split_ends_the_parent_and_starts_the_pieces_on_the_split_day(tiny_park):
    split_day = dt.date(2026, 6, 30)
    line = shapely.LineString([(X0 + 200, Y0 - 10), (X0 + 200, Y0 + 110)])
    out, new_ids = edits.split_parcel(tiny_park.load("parcels"), PARCELS, "P2", line, day=split_day)
    out = out.set_index("parcel_id")
    assert out.loc["P2", "valid_to"] == pd.Timestamp(split_day)
    assert [out.loc[i, "valid_from"] for i in new_ids] == [pd.Timestamp(split_day)] * 2
    assert out.loc[new_ids, "valid_to"].isna().all()
    on_the_eve, on_the_day = (valid_on(out.reset_index(), d) for d in (dt.date(2026, 6, 29), split_day))
    ids = out.index.to_numpy()
    assert sorted(ids[on_the_eve]) == ["P1", "P2", "P3"]
    assert sorted(ids[on_the_day]) == ["P1", "P2-1", "P2-2", "P3"]


def test_a_merge_ends_the_parents_and_starts_the_new_parcel_on_the_merge_day(tiny_park):
    merge_day = dt.date(2026, 6, 30)
    out, new_id = edits.merge_parcels(tiny_park.load("parcels"), PARCELS, ["P1", "P2"], day=merge_day)
    out = out.set_index("parcel_id")
    assert out.loc[["P1", "P2"], "valid_to"].tolist() == [pd.Timestamp(merge_day)] * 2
    assert (out.loc[new_id, "valid_from"], out.loc[new_id, "previously_part_of"]) == (pd.Timestamp(merge_day),
                                                                                       "P1,P2")


def test_the_audit_trail_records_valid_time_and_system_time_changes(tiny_park):
    store = audit.AuditedStore(tiny_park)
    store.commit_change("retire", lambda current, log: {"parcels": edits.set_retired(
        current["parcels"], PARCELS, "P1", dt.date(2026, 6, 30), no_longer_true_from="2026-01-01")},
        layers=["parcels"])
    events = tiny_park.load("audit_events")
    changed = {e.field: (None if pd.isna(e.old_value) else e.old_value, e.new_value)
               for e in events.itertuples() if e.record_id == "P1"}
    assert changed["valid_to"] == (None, "2026-01-01")
    assert changed["retired_on"] == (None, "2026-06-30")


def test_a_record_created_without_valid_dates_gets_them_from_its_own(tiny_park):
    store = audit.AuditedStore(tiny_park)
    values = {"parcel_id": "P9", "contract_date": "2021-04-01", "status": "supplied"}
    store.commit_change("create", lambda current, log: {"parcels": edits.create_record(
        current["parcels"], PARCELS, values, geometry=shapely.box(X0 + 400, Y0, X0 + 500, Y0 + 100))},
        layers=["parcels"])
    parcels = tiny_park.load("parcels").set_index("parcel_id")
    assert parcels.loc["P9", "valid_from"] == day("2021-04-01")
    assert pd.isna(parcels.loc["P1", "valid_from"])  # records already there are not touched
    created = tiny_park.load("audit_events").query("record_id == 'P9'")["new_value"].iloc[0]
    assert '"valid_from": "2021-04-01"' in created


def test_undoing_a_creation_leaves_a_record_that_was_never_true(tiny_park):
    store = audit.AuditedStore(tiny_park)
    square = shapely.box(X0 + 400, Y0, X0 + 500, Y0 + 100)
    created = store.commit_change("create", lambda current, log: {"parcels": edits.create_record(
        current["parcels"], PARCELS, {"parcel_id": "P9", "status": "planned"}, geometry=square)},
        layers=["parcels"])
    undo_day = pd.Timestamp("2026-07-01")
    change = created["change_id"].iloc[0]
    store.commit_change("undo", lambda current, log: audit.undo_frames(current, log, change, day=undo_day),
                        layers=["parcels"], undoes=change)
    parcels = tiny_park.load("parcels")
    p9 = parcels.set_index("parcel_id").loc["P9"]
    assert (p9["retired_on"], p9["valid_from"], p9["valid_to"]) == (undo_day, undo_day, undo_day)
    for day_ in (dt.date(2020, 1, 1), dt.date(2026, 7, 1), dt.date(2030, 1, 1)):
        assert "P9" not in set(parcels["parcel_id"][valid_on(parcels, day_)])


# -- migration of parks written before valid time ---------------------------------------------------------


def _older_tiny_park(tmp_path) -> GeoPackageStore:
    frames = tiny_frames()
    roads = frames["roads"].copy()
    roads["retired_on"] = days("2025-03-01", None)  # R1 retired before valid time was kept
    frames["roads"] = roads
    store = GeoPackageStore(tmp_path / "older.gpkg")
    store.save_park(frames, TINY_META)
    make_older_park(store.path)
    return store


def test_opening_an_older_geopackage_park_derives_valid_time_once(tmp_path, caplog):
    store = _older_tiny_park(tmp_path)
    assert store.read_meta()["schema_version"] == 1
    assert store.load("parcels")["valid_from"].isna().all()  # loads before, every record always true
    caplog.set_level(logging.WARNING, logger="layers.store")
    opened = open_park(store.path)
    assert opened.read_meta()["schema_version"] == SCHEMA_VERSION == 2
    parcels = opened.load("parcels").set_index("parcel_id")
    assert parcels["valid_from"].to_dict() == {"P1": day("2019-05-01"), "P2": day("2024-03-01"), "P3": pd.NaT}
    roads = opened.load("roads").set_index("road_id")
    assert roads["valid_to"].to_dict() == {"R1": day("2025-03-01"), "R2": pd.NaT}  # ended when it was retired
    assert all(opened.is_trusted(name) for name in ("parcels", "roads", "zones", "units"))
    lines = [r.getMessage() for r in caplog.records if "migrated to schema 2" in r.getMessage()]
    assert len(lines) == 1 and "parcels 2/0 of 3" in lines[0] and "roads 0/1 of 2" in lines[0]
    version = opened.version()
    assert opened.migrate() is False and opened.version() == version  # once


def test_a_migration_that_cannot_finish_leaves_the_park_as_it_was(tmp_path, monkeypatch, caplog):
    import errno

    import layers.store as store_module

    store = _older_tiny_park(tmp_path)
    before = store.path.read_bytes()
    written = []

    def fail_on_the_second(path, spec, frame, crs, **kwargs):
        written.append(spec.name)
        if len(written) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(path, spec, frame, crs, **kwargs)

    original = store_module._write_frame
    monkeypatch.setattr(store_module, "_write_frame", fail_on_the_second)
    assert store.migrate() is False
    assert store.path.read_bytes() == before
    assert any("not migrated to schema 2" in r.getMessage() and "the disk is full" in r.getMessage()
               for r in caplog.records)
    monkeypatch.setattr(store_module, "_write_frame", original)
    assert store.migrate() is True  # tried again on the next opening


def test_a_layer_changed_outside_into_bad_values_is_left_for_later(tmp_path, caplog):
    import sqlite3
    from contextlib import closing

    store = _older_tiny_park(tmp_path)
    with closing(sqlite3.connect(store.path)) as conn:  # units: a table, no R-tree triggers to feed
        conn.execute("UPDATE units SET status = 'melted' WHERE unit_id = 'U1'")
        conn.commit()
    assert store.migrate() is True
    assert store.read_meta()["schema_version"] == 1  # not finished: units did not validate
    assert store.load("parcels").set_index("parcel_id").loc["P1", "valid_from"] == day("2019-05-01")
    assert any("left for later, does not validate: units (1 problem(s))" in r.getMessage() for r in caplog.records)
    with closing(sqlite3.connect(store.path)) as conn:
        conn.execute("UPDATE units SET status = 'leasable' WHERE unit_id = 'U1'")
        conn.commit()
    assert store.migrate() is True and store.read_meta()["schema_version"] == 2
    assert store.migrate() is False


def test_the_web_app_migrates_an_older_park_when_it_opens_it(tmp_path):
    from app import create_app

    store = _older_tiny_park(tmp_path)
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "PARK_PATH": str(store.path), "DATABASE_URL": None})
    body = app.test_client().get("/api/summary?as_of=2024-01-01").get_json()
    assert body["parcels"]["total"] == 2  # P2's contract (2024-03-01) was not signed yet
    assert GeoPackageStore(store.path).read_meta()["schema_version"] == 2


def test_opening_an_older_postgis_park_derives_valid_time_once(postgis_store, caplog):
    frames = tiny_frames()
    roads = frames["roads"].copy()
    roads["retired_on"] = days("2025-03-01", None)
    frames["roads"] = roads
    postgis_store.save_park(frames, TINY_META)
    with postgis_store.connection() as conn:
        for table in ("parcels", "roads", "zones", "units"):
            conn.execute(postgis_store._sql("ALTER TABLE {}.{} DROP COLUMN valid_from, DROP COLUMN valid_to",
                                            postgis_store.schema, table))
        conn.execute(postgis_store._sql("UPDATE {}.parkatlas_meta SET value = '1' WHERE key = 'schema_version'",
                                        postgis_store.schema))
    assert postgis_store.is_trusted("parcels")  # ALTER TABLE fires no trigger
    caplog.set_level(logging.WARNING, logger="layers.store")
    assert postgis_store.migrate() is True
    assert postgis_store.read_meta()["schema_version"] == SCHEMA_VERSION
    parcels = postgis_store.load("parcels").set_index("parcel_id")
    assert parcels["valid_from"].to_dict() == {"P1": day("2019-05-01"), "P2": day("2024-03-01"), "P3": pd.NaT}
    assert postgis_store.load("roads").set_index("road_id")["valid_to"].to_dict() == {"R1": day("2025-03-01"),
                                                                                     "R2": pd.NaT}
    assert postgis_store.is_trusted("parcels") and postgis_store.is_trusted("roads")  # our update, re-stamped
    lines = [r.getMessage() for r in caplog.records if "migrated to schema 2" in r.getMessage()]
    assert len(lines) == 1 and "parcels 2/0 of 3" in lines[0]
    assert postgis_store.migrate() is False  # once
    assert postgis_store.load("parcels").set_index("parcel_id").loc["P1", "valid_from"] == day("2019-05-01")


def test_derive_for_older_park_ends_retired_records_on_their_retirement_unless_that_precedes_their_start():
    roads = pd.DataFrame({"road_id": ["R1", "R2"], "year": pd.array([2020, 2026], "Int64"),
                          "retired_on": days("2025-03-01", "2025-03-01")})
    out = derive_for_older_park(roads, get_layer("roads"), today=dt.date(2026, 6, 30)).set_index("road_id")
    assert out["valid_from"].to_dict() == {"R1": day("2020-01-01"), "R2": day("2026-01-01")}
    assert out["valid_to"].to_dict() == {"R1": day("2025-03-01"), "R2": pd.NaT}
