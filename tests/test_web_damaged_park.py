"""Damaged parks: refused at start with what is wrong and how to recover, 503 when damaged while served,
507 when the disk is full during a save, and crash leftovers cleared at start.

Damage is made as a person would: ``DROP TABLE`` and ``UPDATE`` through SQLite
(the GeoPackage's R-tree triggers call GDAL's ``ST_*`` functions, which plain
sqlite3 lacks for spatial layers, so those are given here as the SpatiaLite-enabled
sqlite3 or QGIS would have them). The full disk is a real tmpfs mounted for the test.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest
from conftest import TINY_META, tiny_frames

from layers.backup import check_park, clean_leftovers
from layers.store import GeoPackageStore

ROOT = Path(__file__).resolve().parents[1]


def sql(path: Path, statement: str, *args) -> None:
    """Run one statement on the park file as an outside tool would (no ParkAtlas code involved)."""
    with closing(sqlite3.connect(path)) as conn:
        for name in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
            conn.create_function(name, 1, lambda blob: 0)  # the R-tree triggers' helpers; geometry is unchanged
        conn.execute(statement, args)
        conn.commit()


def create(park: Path, **config):
    from app import create_app

    return create_app({"TESTING": True, "PARK_PATH": str(park), "SECRET_KEY": "test", "TILE_CACHE_PATH": "none",
                       **config})


def refusal(park: Path) -> str:
    from web.integrity import ParkIntegrityError

    with pytest.raises(ParkIntegrityError) as caught:
        create(park)
    return str(caught.value)


# -- refused at start ------------------------------------------------------------------------------------


def test_a_dropped_layer_is_refused_at_start_and_by_check_park(tiny_park):
    sql(tiny_park.path, "DROP TABLE units")
    message = refusal(tiny_park.path)
    assert f"{tiny_park.path}: layer 'units' is recorded in the park but its table is gone" in message
    assert f"flask --app app import units FILE --park {tiny_park.path}" in message
    assert "flask --app app restore BACKUP.gpkg" in message
    # The deep check said "sound" for this before: a dropped layer loaded as an empty one.
    assert any("'units' is recorded in the park but its table is gone" in p for p in check_park(tiny_park, deep=True))
    with pytest.raises(Exception, match="its table is gone"):
        tiny_park.load("units")


def test_a_layer_dropped_with_psql_is_refused_at_start(postgis_store, tmp_path):
    from web.integrity import ParkIntegrityError

    postgis_store.save_park(tiny_frames(), TINY_META)
    with postgis_store.connection() as conn:
        conn.execute(postgis_store._sql("DROP TABLE {}.{}", postgis_store.schema, "units"))
    assert postgis_store.missing_layers() == ["units"]
    assert postgis_store.load("leases").empty  # never in the park: absent, not missing
    with pytest.raises(Exception, match="'units' is recorded in the park but its table is gone"):
        postgis_store.load("units")
    url = f"{postgis_store.url}?schema={postgis_store.schema}"
    with pytest.raises(ParkIntegrityError, match=r"(?s)layer 'units' is recorded.*import units FILE'"):
        create(tmp_path / "unused.gpkg", DATABASE_URL=url)


def test_a_layer_the_park_never_had_is_not_missing(tiny_park):
    assert "leases" not in tiny_park.layer_names()
    assert check_park(tiny_park, deep=True) == []
    assert len(create(tiny_park.path).test_client().get("/api/collections/leases/items").get_json()["features"]) == 0


def test_an_invalid_land_use_code_written_with_sqlite_is_refused_with_record_field_value_and_allowed(tiny_park):
    sql(tiny_park.path, "UPDATE parcels SET land_use = 'XYZ' WHERE parcel_id = 'P1'")
    message = refusal(tiny_park.path)
    assert f"{tiny_park.path}: layer 'parcels' was changed outside ParkAtlas and no longer validates" in message
    assert ("record row 1 (parcel_id=P1), field land_use: not a land-use code of 用地用海2023; allowed: a class of "
            "用地用海2023 or a sub-code of one, first-level classes 01, 02, 03, 04, 05, 06, 07, 08, 09, 10, 11, 12, 13, "
            "14, 16, 17, 23 (got 'XYZ')") in message
    assert "correct it there, then run 'flask --app app check-park'" in message


def test_a_duplicate_id_written_with_sqlite_is_refused(tiny_park):
    sql(tiny_park.path, "UPDATE enterprises SET enterprise_id = 'E1' WHERE enterprise_id = 'E2'")
    message = refusal(tiny_park.path)
    assert "layer 'enterprises' was changed outside ParkAtlas and no longer validates (2 problem(s))" in message
    assert "record row 2, field enterprise_id: duplicate id; ids must be unique within the layer (got 'E1')" in message


def test_a_valid_outside_edit_starts_and_is_served_validated(tiny_park):
    sql(tiny_park.path, "UPDATE parcels SET name = '一号地块（外部改名）' WHERE parcel_id = 'P1'")
    assert not tiny_park.is_trusted("parcels")  # the trust stamp is gone: it was validated at start
    client = create(tiny_park.path).test_client()
    assert client.get("/api/collections/parcels/items/P1").get_json()["properties"]["name"] == "一号地块（外部改名）"


def test_check_park_without_deep_finds_outside_edits_and_says_how_to_recover(tiny_park, tmp_path):
    env = {**os.environ, "PARKATLAS_PARK": str(tiny_park.path), "PARKATLAS_ACCOUNTS": str(tmp_path / "a.sqlite"),
           "PARKATLAS_SECRET_KEY": "x" * 40}
    flask = [sys.executable, "-m", "flask", "--app", "app", "check-park"]
    assert subprocess.run(flask, cwd=ROOT, env=env, capture_output=True, text=True).returncode == 0
    sql(tiny_park.path, "UPDATE units SET status = 'bogus'")
    done = subprocess.run(flask, cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 2
    assert ("record row 1 (unit_id=U1), field status: unknown value; allowed: leasable, self_used, "
            "under_renovation, sold (got 'bogus')") in done.stderr
    assert "How to recover" in done.stderr and f"demo --park {tiny_park.path}" in done.stderr


# -- damaged while served --------------------------------------------------------------------------------


def test_a_park_damaged_while_served_answers_503_then_recovers(tiny_park):
    client = create(tiny_park.path).test_client()
    assert client.get("/vacancy").status_code == 200
    sql(tiny_park.path, "UPDATE units SET status = 'bogus'")  # written by an outside tool while served
    page = client.get("/vacancy")
    assert page.status_code == 503
    text = page.get_data(as_text=True)
    assert "园区数据（厂房单元图层）当前无法使用" in text and "检查命令 check-park" in text
    assert "--app" not in text  # the page's terms: what to ask the administrator, no command line
    assert str(tiny_park.path) not in text  # paths and values go to the log, not to the visitor
    api = client.get("/api/vacancy?lang=en")
    assert api.status_code == 503 and api.get_json()["error"]["code"] == "ParkUnavailable"
    assert "The park's data (layer 'units') cannot be served" in api.get_json()["error"]["message"]
    # Layers that still validate are served.
    assert client.get("/api/collections/parcels/items").status_code == 200
    sql(tiny_park.path, "UPDATE units SET status = 'leasable'")
    assert client.get("/vacancy").status_code == 200


def test_a_park_file_gone_while_served_answers_503(tiny_park):
    client = create(tiny_park.path).test_client()
    assert client.get("/api/summary").status_code == 200
    tiny_park.path.unlink()
    response = client.get("/api/summary")
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "ParkUnavailable"
    assert client.get("/land").status_code == 503
    assert client.get("/api/expansion/scenarios").status_code == 503  # read from the file, not the layer cache


# -- a full disk -----------------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MiB tmpfs (root may mount one here; elsewhere the test cannot make a real full disk)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True,
                          text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs to fill (needs root or CAP_SYS_ADMIN): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path, *, leave: int) -> None:
    """Fill the file system of ``folder`` until ``leave`` bytes are free."""
    stats = os.statvfs(folder)
    free = stats.f_bavail * stats.f_frsize
    with open(folder / "filler", "wb") as handle:
        handle.write(b"\0" * max(free - leave, 0))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("room_kib", [0, 40])  # no room for the copy; room for the copy but not the changes
def test_an_edit_on_a_full_disk_is_507_and_leaves_the_park_unchanged(small_disk, room_kib):
    store = GeoPackageStore(small_disk / "park.gpkg")
    store.save_park(tiny_frames(), TINY_META)
    client = create(store.path).test_client()
    page = client.get("/edit/parcels/P1").get_data(as_text=True)
    version = int(re.search(r'name="version" value="(\d+)"', page).group(1))
    room = store.path.stat().st_size + room_kib * 1024 if room_kib else 0
    fill(small_disk, leave=room)
    before = digest(store.path)
    response = client.post("/edit/parcels/P1", json={"values": {"name": "改名"}, "version": version})
    assert response.status_code == 507
    assert response.get_json()["error"]["code"] == "InsufficientStorage"
    assert "磁盘已满，未保存" in response.get_json()["error"]["message"]
    assert digest(store.path) == before
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "park.gpkg", "park.gpkg.lock"]
    # Space freed: the same edit is saved.
    (small_disk / "filler").unlink()
    assert client.post("/edit/parcels/P1", json={"values": {"name": "改名"}, "version": version}).status_code == 200
    assert client.get("/api/collections/parcels/items/P1").get_json()["properties"]["name"] == "改名"


def test_an_import_confirmed_on_a_full_disk_is_507_and_leaves_the_park_unchanged(small_disk, tmp_path):
    store = GeoPackageStore(small_disk / "park.gpkg")
    store.save_park(tiny_frames(), TINY_META)
    client = create(store.path, UPLOAD_DIR=str(tmp_path / "uploads"),
                    IMPORT_ARCHIVE_DIR=str(tmp_path / "archive")).test_client()
    source = b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"enterprise_id":"E9",' \
             b'"name":"\xe4\xb8\x99"},"geometry":null}]}'
    preview = client.post("/import?format=json", data={"layer": "enterprises", "mode": "upsert",
                                                       "file": (io.BytesIO(source), "e.geojson")},
                          content_type="multipart/form-data")
    assert preview.status_code == 200, preview.get_data(as_text=True)[:300]
    fill(small_disk, leave=0)
    before = digest(store.path)
    reply = client.post(f"/import/{preview.get_json()['token']}/confirm?format=json")
    assert reply.status_code == 507
    assert reply.get_json()["error"]["code"] == "InsufficientStorage"
    assert digest(store.path) == before


# -- crash leftovers -------------------------------------------------------------------------------------


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then), follow_symlinks=False)


def test_crash_leftovers_are_removed_at_start_and_nothing_else(tmp_path):
    folder = tmp_path / "parks"
    folder.mkdir()
    # A park whose own name looks like a leftover must never be removed.
    store = GeoPackageStore(folder / ".parkatlas-park.gpkg")
    store.save_park(tiny_frames(), TINY_META)
    old_copy = folder / ".parkatlas-k3j2h1"
    old_copy.mkdir()
    (old_copy / ".parkatlas-park.gpkg").write_bytes(b"half a park")
    old_file = folder / ".parkatlas-x8y9.geojson"
    old_file.write_text("{}")
    archive = folder / ".parkatlas-park.imports"
    archive.mkdir()
    old_partial = archive / "20260101T000000Z-parcels.zip.partial"
    old_partial.write_bytes(b"PK")
    kept_import = archive / "20260101T000000Z-parcels.zip"
    kept_import.write_bytes(b"PK")
    notes = folder / "notes.partial.txt"
    notes.write_text("not ours")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    link = folder / ".parkatlas-link"
    link.symlink_to(elsewhere)
    for path in (old_copy, old_file, old_partial, kept_import, notes, link, store.path):
        age(path, 3600)
    fresh = folder / ".parkatlas-fresh"  # newer than the server's start: a save of another process
    fresh.mkdir()
    age(fresh, -60)

    create(store.path)

    assert not old_copy.exists() and not old_file.exists() and not old_partial.exists()
    assert store.path.exists() and kept_import.exists() and notes.exists() and fresh.exists()
    assert link.is_symlink() and elsewhere.is_dir()
    assert check_park(store) == []


def test_clean_leftovers_waits_for_the_parks_writer_lock(tmp_path):
    leftover = tmp_path / ".parkatlas-abc"
    leftover.mkdir()
    store = GeoPackageStore(tmp_path / "park.gpkg")
    held = []

    class Lock:
        def __enter__(self):
            held.append(leftover.exists())

        def __exit__(self, *exc):
            held.append(leftover.exists())

    removed = clean_leftovers([tmp_path], older_than=time.time() + 60, keep=store.path, lock=Lock)
    assert removed == [leftover] and held == [True, False]
