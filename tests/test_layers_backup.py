"""Durability: kill -9 during saves, integrity checks, the refusal to start on a damaged park, backup and restore."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from crash_helpers import kill_during_saves

from layers import audit
from layers.backup import BackupError, backup_park, check_park, manifest_path, restore_park, verify_backup
from layers.store import GeoPackageStore

WRITER = Path(__file__).with_name("crash_writer.py")


def changes_in(store) -> int:
    return int(store.load("audit_events")["change_id"].nunique())


def test_kill_9_during_saves_leaves_the_old_or_the_new_state(tiny_park):
    rng = random.Random(20261122)
    committed = 0
    for _ in range(6):
        done = kill_during_saves([str(WRITER), str(tiny_park.path), str(committed)], rng)
        # The park opens, every layer validates, and it holds every change reported complete,
        # plus at most the one that was being written when the process died.
        assert check_park(tiny_park, deep=True) == []
        found = changes_in(tiny_park)
        assert found in (done, done + 1), (found, done)
        committed = found
        log, parcels = tiny_park.load("audit_events"), tiny_park.load("parcels")
        start = audit.as_known_on(parcels, log, "parcels", seq=0)
        replayed = audit.replay(start, log, "parcels")
        pd.testing.assert_frame_equal(replayed.sort_values("parcel_id").reset_index(drop=True),
                                      parcels.sort_values("parcel_id").reset_index(drop=True))
        assert parcels.set_index("parcel_id").loc["P1", "land_price_wan"] == 1000 + found
    assert committed >= 6


def corrupt(path: Path, *, at_fraction: float = 0.5, length: int = 4096) -> None:
    with open(path, "r+b") as handle:
        size = path.stat().st_size
        handle.seek(int(size * at_fraction))
        handle.write(b"\xde\xad\xbe\xef" * (length // 4))


def test_check_park_finds_a_damaged_file(tiny_park):
    assert check_park(tiny_park) == []
    corrupt(tiny_park.path)
    problems = check_park(tiny_park)
    assert problems and ("restore it from a backup" in problems[0] or "cannot be read" in problems[0])


def test_check_park_finds_a_file_that_is_not_a_park(tmp_path):
    fake = tmp_path / "fake.gpkg"
    fake.write_bytes(b"not a geopackage at all" * 10)
    assert "header is not that of a GeoPackage" in check_park(GeoPackageStore(fake))[0]


def test_the_app_refuses_to_start_on_a_damaged_park(tiny_park):
    from app import create_app
    from web.integrity import ParkIntegrityError

    corrupt(tiny_park.path)
    with pytest.raises(ParkIntegrityError, match="(?s)will not start.*flask --app app restore"):
        create_app({"TESTING": True, "PARK_PATH": str(tiny_park.path), "SECRET_KEY": "test"})


def test_commands_still_load_on_a_damaged_park_and_check_park_says_so(tiny_park, tmp_path):
    env = {**os.environ, "PARKATLAS_PARK": str(tiny_park.path), "PARKATLAS_ACCOUNTS": str(tmp_path / "a.sqlite"),
           "PARKATLAS_SECRET_KEY": "x" * 40}
    root = Path(__file__).resolve().parents[1]
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    sound = subprocess.run([*flask, "check-park", "--deep"], cwd=root, env=env, capture_output=True, text=True)
    assert sound.returncode == 0 and "sound" in sound.stdout
    corrupt(tiny_park.path)
    damaged = subprocess.run([*flask, "check-park"], cwd=root, env=env, capture_output=True, text=True)
    assert damaged.returncode == 2 and "damaged" in damaged.stderr


def test_backup_and_restore_round_trip(tiny_park, tmp_path):
    store = audit.AuditedStore(tiny_park)
    dest = tmp_path / "backups" / "park-1.gpkg"
    manifest = backup_park(store, dest)
    assert manifest["layers"]["parcels"] == 3 and manifest["park_name"] == "测试园区"
    assert json.loads(manifest_path(dest).read_text(encoding="utf-8"))["sha256"] == manifest["sha256"]
    assert verify_backup(dest)["sha256"] == manifest["sha256"]
    with pytest.raises(BackupError, match="exists already"):
        backup_park(store, dest)
    roads = tiny_park.load("roads")
    store.save("roads", roads[roads["road_id"] == "R1"])
    assert len(tiny_park.load("roads")) == 1
    restored, kept = restore_park(dest, store)
    assert restored["sha256"] == manifest["sha256"]
    assert len(tiny_park.load("roads")) == 2  # the state of the backup
    assert len(GeoPackageStore(kept).load("roads")) == 1  # the state before the restore is kept
    assert kept.name.startswith("tiny.before-restore-")


def _rename_road(name: str):
    def build(current, log):
        roads = current["roads"].copy()
        roads.loc[roads["road_id"] == "R1", "name"] = name
        return {"roads": roads}
    return build


def test_a_restore_carries_the_trail_reverts_in_the_open_and_can_be_undone(tiny_park, tmp_path):
    store = audit.AuditedStore(tiny_park)
    dest = tmp_path / "b.gpkg"
    backup_park(store, dest)
    edit = audit.commit(tiny_park, audit.new_change("update", user="dora"), _rename_road("新纬一路"), layers=["roads"])

    manifest, kept = restore_park(dest, store)

    roads = tiny_park.load("roads").set_index("road_id")
    assert roads.loc["R1", "name"] == "纬一路"  # the backup's state
    assert GeoPackageStore(kept).load("roads").set_index("road_id").loc["R1", "name"] == "新纬一路"
    log = tiny_park.load("audit_events")
    assert set(edit["event_id"]) <= set(log["event_id"])  # dora's acknowledged edit is still in the trail
    restore = log[log["action"] == "restore_backup"]
    assert manifest["restore"] == {"change_id": restore["change_id"].iloc[0], "events": len(restore), "records": 1}
    name = restore[restore["field"] == "name"]
    assert list(zip(name["record_id"], name["old_value"], name["new_value"])) == [("R1", "新纬一路", "纬一路")]
    assert restore["seq"].min() > edit["seq"].max()
    assert restore["reason"].iloc[0].startswith("restored from backup b.gpkg (sha256 ")
    # As of just before the restore, the trail rebuilds the edited state; undoing the restore brings it back.
    before = audit.as_known_on(tiny_park.load("roads"), log, "roads", seq=int(edit["seq"].max()))
    assert before.set_index("road_id").loc["R1", "name"] == "新纬一路"
    restore_id = manifest["restore"]["change_id"]
    audit.commit(tiny_park, audit.new_change("undo", undoes=restore_id),
                 lambda current, trail: audit.undo_frames(current, trail, restore_id, day=pd.Timestamp("2026-07-01")),
                 layers=["roads"])
    assert tiny_park.load("roads").set_index("road_id").loc["R1", "name"] == "新纬一路"


def test_a_postgis_park_is_restored_with_its_trail_carried(postgis_store, tmp_path):
    from conftest import TINY_META, tiny_frames

    postgis_store.save_park(tiny_frames(), TINY_META)
    dest = tmp_path / "pg.gpkg"
    backup_park(postgis_store, dest)
    edit = audit.commit(postgis_store, audit.new_change("update", user="dora"), _rename_road("新纬一路"),
                        layers=["roads"])

    manifest, kept = restore_park(dest, postgis_store)

    assert kept is None and postgis_store.load("roads").set_index("road_id").loc["R1", "name"] == "纬一路"
    log = postgis_store.load("audit_events")
    assert set(edit["event_id"]) <= set(log["event_id"])
    name = log[(log["action"] == "restore_backup") & (log["field"] == "name")]
    assert list(zip(name["record_id"], name["old_value"], name["new_value"])) == [("R1", "新纬一路", "纬一路")]
    assert manifest["restore"]["records"] == 1


def test_restoring_an_unchanged_park_writes_no_events_and_a_damaged_one_is_replaced_whole(tiny_park, tmp_path):
    dest = tmp_path / "b.gpkg"
    backup_park(tiny_park, dest)
    manifest, _ = restore_park(dest, tiny_park)
    assert "restore" not in manifest and tiny_park.load("audit_events").empty
    corrupt(tiny_park.path)
    manifest, kept = restore_park(dest, tiny_park)
    assert "restore" not in manifest and check_park(tiny_park) == [] and check_park(GeoPackageStore(kept))
    assert tiny_park.path.read_bytes() == dest.read_bytes()  # nothing to carry from a damaged park


def test_a_tampered_backup_is_refused_and_the_park_left_alone(tiny_park, tmp_path):
    dest = tmp_path / "park.gpkg"
    backup_park(tiny_park, dest)
    corrupt(dest, at_fraction=0.9, length=16)
    before = tiny_park.path.read_bytes()
    with pytest.raises(BackupError, match="checksum mismatch"):
        restore_park(dest, tiny_park)
    assert tiny_park.path.read_bytes() == before
    shutil.copyfile(tiny_park.path, tmp_path / "nomanifest.gpkg")
    with pytest.raises(BackupError, match="manifest .* is missing"):
        verify_backup(tmp_path / "nomanifest.gpkg")


def test_a_damaged_park_is_not_backed_up(tiny_park, tmp_path):
    corrupt(tiny_park.path)
    with pytest.raises(BackupError, match="damaged; not backed up"):
        backup_park(tiny_park, tmp_path / "b.gpkg")


def test_backup_and_restore_commands(tiny_park, tmp_path):
    from app import create_app

    app = create_app({"TESTING": True, "PARK_PATH": str(tiny_park.path), "SECRET_KEY": "test"})
    runner = app.test_cli_runner()
    dest = tmp_path / "b.gpkg"
    result = runner.invoke(args=["backup", str(dest)])
    assert result.exit_code == 0 and "sha256" in result.output
    assert runner.invoke(args=["backup", str(dest)]).exit_code == 2
    audit.commit(tiny_park, audit.new_change("update", user="dora"), _rename_road("新纬一路"), layers=["roads"])
    result = runner.invoke(args=["restore", str(dest)])
    assert result.exit_code == 0 and "verified" in result.output
    assert "1 record(s) that differed from the backup were set back by change CH-" in result.output
    corrupt(dest, at_fraction=0.9, length=16)
    result = runner.invoke(args=["restore", str(dest)])
    assert result.exit_code == 2 and "checksum mismatch" in result.output
