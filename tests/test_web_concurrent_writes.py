"""No acknowledged write is ever lost, on any write path: the real app on loopback, many editors at once.

Every test serves the tiny park (sign-in required, CSRF on) on a loopback port
and lets several signed-in editors write at the same moment from their own
threads: one-row imports (upload, then confirm), cases opened on the ledger
page, optimistic record edits, undo, scenarios. Each answer the server
acknowledged (200 or 303) is counted, and at the end every acknowledged write
must be in the park and in the audit trail, by the user who made it, under its
own action. Hand-counted expectations: 8 editors × 5 imports = 40 records, 10
cases, start value + acknowledged increments.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode

import pandas as pd
import pytest
from auth_helpers import auth_config, make_account
from browser_helpers import serve
from conftest import WORKING_EPSG, X0, Y0
from pyproj import Transformer

from bench.bench_edit_load import PASSWORD, Session
from layers.audit import AUDIT_LAYER, value_text
from layers.backup import backup_park, restore_park
from layers.store import GeoPackageStore

TO_LONLAT = Transformer.from_crs(WORKING_EPSG, 4326, always_xy=True)
ACKNOWLEDGED = (200, 303)
FIELD = "investment_done_wan"


# -- the served app and its users ---------------------------------------------------------------------------


class Editor(Session):
    """One signed-in editor on a keep-alive connection (the load benchmark's session), with the app's forms."""

    def __init__(self, port: int, username: str):
        self.stats = {"latency": defaultdict(list), "status": defaultdict(int)}
        super().__init__(port, self.stats, threading.Lock())
        self.username = username
        self.login(username)

    def send(self, method: str, path: str, body: bytes | None = None, content_type: str | None = None):
        headers = {"X-CSRF-Token": self.token, "Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        status, data = self.request(method, path, "write" if method == "POST" else "read", body, headers)
        return status, data

    def form(self, path: str, values: dict):
        return self.send("POST", path, urlencode(values).encode(), "application/x-www-form-urlencoded")

    def post_json(self, path: str, body: dict):
        return self.send("POST", path, json.dumps(body).encode(), "application/json")

    def upload(self, layer: str, filename: str, content: bytes, *, mode: str = "append"):
        """POST /import (the dry run); returns (status, JSON body)."""
        body, content_type = multipart({"layer": layer, "mode": mode}, {"file": (filename, content)})
        status, data = self.send("POST", "/import?format=json", body, content_type)
        return status, json.loads(data)

    def confirm(self, token: str):
        status, data = self.send("POST", f"/import/{token}/confirm?format=json")
        return status, json.loads(data)

    def edit(self, layer: str, record_id: str, values: dict, *, retries: int = 200):
        """An optimistic edit, read again and retried on 409; returns the JSON of the accepted change."""
        for _ in range(retries):
            status, data = self.send("GET", f"/edit/{layer}/{record_id}?format=json")
            assert status == 200, data[:300]
            current = json.loads(data)
            new = {name: make(current["values"]) for name, make in values.items()}
            status, data = self.post_json(f"/edit/{layer}/{record_id}", {
                "values": new, "version": current["version"], "fingerprint": current["fingerprint"],
                "reason": f"{self.username} edits"})
            if status == 200:
                return json.loads(data)
            assert status == 409, (status, data[:500])
        raise AssertionError(f"{self.username}: {layer} {record_id} still stale after {retries} tries")


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body, as a browser sends a form with a file."""
    boundary = secrets.token_hex(16)
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in fields.items()]
    for name, (filename, content) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def one_parcel_geojson(parcel_id: str, slot: int) -> bytes:
    """A GeoJSON file (lon/lat) of one 10 m × 10 m parcel north of the tiny park, at grid ``slot``."""
    x0, y0 = X0 + (slot % 20) * 15.0, Y0 + 300.0 + (slot // 20) * 15.0
    ring = [list(TO_LONLAT.transform(x, y)) for x, y in
            ((x0, y0), (x0 + 10, y0), (x0 + 10, y0 + 10), (x0, y0 + 10), (x0, y0))]
    feature = {"type": "Feature", "properties": {"parcel_id": parcel_id, "name": f"导入 {parcel_id}",
                                                 "status": "planned"},
               "geometry": {"type": "Polygon", "coordinates": [ring]}}
    return json.dumps({"type": "FeatureCollection", "features": [feature]}, ensure_ascii=False).encode()


@contextmanager
def serving(park_path: Path, tmp_path: Path):
    """``park_path`` served on loopback with accounts required; ``.user(name)`` signs a new editor in."""
    from app import create_app

    app = create_app(auth_config(park_path, tmp_path / "accounts.sqlite", UPLOAD_DIR=str(tmp_path / "uploads"),
                                 LOGIN_MAX_FAILURES=10_000))
    with serve(app) as base:
        port = int(base.rsplit(":", 1)[1])

        def user(name: str) -> Editor:
            make_account(app, name, "editor", password=PASSWORD)
            return Editor(port, name)

        yield SimpleNamespace(park=GeoPackageStore(park_path), uploads=tmp_path / "uploads", user=user)


@pytest.fixture
def served(tiny_park, tmp_path):
    """The tiny park served on loopback with sign-in required."""
    with serving(tiny_park.path, tmp_path) as server:
        yield server


def at_once(jobs):
    """Run the callables together (released by one barrier), each in its own thread; their results in order."""
    barrier = threading.Barrier(len(jobs))

    def run(job):
        barrier.wait(timeout=60)
        return job()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return [future.result() for future in [pool.submit(run, job) for job in jobs]]


def trail(park: GeoPackageStore):
    return park.load(AUDIT_LAYER)


def created_by(log, layer: str, record_id: str) -> list[tuple[str, str]]:
    """(user, action) of every change that created ``record_id`` in ``layer``."""
    rows = log[(log["layer"] == layer) & (log["record_id"] == record_id) & (log["op"] == "create")]
    return list(zip(rows["user"], rows["action"]))


# -- work one user does -----------------------------------------------------------------------------------


def import_parcels(editor: Editor, ids_slots: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Upload and confirm one one-row append import per (id, slot); (id, confirm status) of each."""
    out = []
    for parcel_id, slot in ids_slots:
        status, body = editor.upload("parcels", f"{parcel_id}.geojson", one_parcel_geojson(parcel_id, slot))
        assert status == 200, body
        status, body = editor.confirm(body["token"])
        assert status in ACKNOWLEDGED + (400,), body
        out.append((parcel_id, status))
    return out


def increment(editor: Editor, record_id: str, times: int) -> list[str]:
    """Add 1 to the parcel's FIELD ``times`` times (each an optimistic edit); the change ids acknowledged."""
    return [editor.edit("parcels", record_id, {FIELD: lambda values: str(float(values[FIELD] or 0) + 1)})["change_id"]
            for _ in range(times)]


def open_case(editor: Editor, note: str) -> int:
    """Open a case on the ledger page (a form post); the answer's status."""
    return editor.form("/cases", {"problem": "vacant_factory", "notes": note})[0]


def cases_opened(store: GeoPackageStore, log) -> dict[str, tuple[str, str]]:
    """case id → (who opened it, its notes), from the audit trail's create events and the cases layer."""
    created = log[(log["layer"] == "cases") & (log["op"] == "create")]
    notes = store.load("cases").set_index("case_id")["notes"]
    return {case_id: (user, notes.get(case_id)) for case_id, user in zip(created["record_id"], created["user"])}


# -- the tests ----------------------------------------------------------------------------------------------


def test_eight_editors_confirming_one_row_imports_at_once_lose_none(served, capsys):
    editors = [served.user(f"importer{i}") for i in range(8)]
    work = {e.username: [(f"IMP-{i}-{k}", i * 5 + k) for k in range(5)] for i, e in enumerate(editors)}

    started = time.perf_counter()
    results = at_once([lambda e=e: import_parcels(e, work[e.username]) for e in editors])
    seconds = time.perf_counter() - started

    acknowledged = {pid: editor.username for editor, done in zip(editors, results)
                    for pid, status in done if status in ACKNOWLEDGED}
    parcels = set(served.park.load("parcels")["parcel_id"])
    with capsys.disabled():
        print(f"\n  8 editors x 5 one-row imports in {seconds:.1f} s: {len(acknowledged)} confirmations acknowledged, "
              f"{len(set(acknowledged) & parcels)} kept")
    assert len(acknowledged) == 40  # distinct new ids appended: nothing to refuse
    assert set(acknowledged) <= parcels and {"P1", "P2", "P3"} <= parcels
    log = trail(served.park)
    for pid, user in acknowledged.items():
        assert created_by(log, "parcels", pid) == [(user, "import")]
    imports = log[log["action"] == "import"]
    assert imports.groupby("user")["change_id"].nunique().to_dict() == {e.username: 5 for e in editors}
    assert not (log["action"] == "save").any()  # nothing is logged as an anonymous "save"


def test_imports_racing_edits_of_other_records_revert_no_edit(served):
    start = served.park.load("parcels").set_index("parcel_id")[FIELD].fillna(0.0)
    importers = [served.user(f"importer{i}") for i in range(3)]
    editors = [served.user(f"editor{i}") for i in range(3)]
    jobs = [lambda e=e, i=i: import_parcels(e, [(f"RACE-{i}-{k}", i * 4 + k) for k in range(4)])
            for i, e in enumerate(importers)]
    jobs += [lambda e=e, pid=pid: increment(e, pid, 4) for e, pid in zip(editors, ("P1", "P2", "P3"))]

    results = at_once(jobs)

    parcels = served.park.load("parcels").set_index("parcel_id")
    for pid, done in zip(("P1", "P2", "P3"), results[3:]):
        assert len(done) == 4 and parcels.loc[pid, FIELD] == start.get(pid, 0.0) + 4
    imported = [pid for done in results[:3] for pid, status in done if status in ACKNOWLEDGED]
    assert len(imported) == 12 and set(imported) <= set(parcels.index)
    log = trail(served.park)
    edits = log[(log["action"] == "update") & (log["field"] == FIELD)]
    assert edits.groupby("record_id")["change_id"].nunique().to_dict() == {"P1": 4, "P2": 4, "P3": 4}
    assert set(edits["user"]) == {"editor0", "editor1", "editor2"}
    # No import touched an edited record: its events are its own new records only.
    assert set(log.loc[log["action"] == "import", "record_id"]) == set(imported)


def test_ten_editors_opening_cases_at_once_keep_ten_cases(served):
    editors = [served.user(f"clerk{i}") for i in range(10)]

    statuses = at_once([lambda e=e: open_case(e, f"由 {e.username} 立案") for e in editors])

    assert statuses == [303] * 10
    store = served.park
    log = trail(served.park)
    opened = cases_opened(store, log)
    assert sorted(opened.values()) == sorted((e.username, f"由 {e.username} 立案") for e in editors)
    assert set(opened) == set(store.load("cases")["case_id"])  # ten cases, ten distinct ids
    assert set(log.loc[log["layer"] == "cases", "action"]) == {"case_open"}
    history = store.load("case_events")
    assert set(history.loc[history["action"] == "create", "case_id"]) == set(opened)  # one history per case


def test_mixed_imports_cases_edits_and_undo_at_once(served):
    start = served.park.load("parcels").set_index("parcel_id")[FIELD].fillna(0.0)
    names = {"R1": "纬一路", "R2": "经一路"}
    importers = [served.user(f"importer{i}") for i in range(2)]
    clerks = [served.user(f"clerk{i}") for i in range(2)]
    editors = [served.user(f"editor{i}") for i in range(2)]
    undoers = [served.user(f"undoer{i}") for i in range(2)]

    def edit_then_undo(editor: Editor, road: str):
        change = editor.edit("roads", road, {"name": lambda values: f"{values['name']}（临时）"})
        status, data = editor.post_json(f"/history/undo/{change['change_id']}", {"reason": "改回"})
        return change["change_id"], status

    def cases(editor: Editor):
        return [open_case(editor, f"{editor.username} 第{k}件") for k in range(3)]

    jobs = [lambda e=e, i=i: import_parcels(e, [(f"MIX-{i}-{k}", i * 3 + k) for k in range(3)])
            for i, e in enumerate(importers)]
    jobs += [lambda e=e: cases(e) for e in clerks]
    jobs += [lambda e=e, pid=pid: increment(e, pid, 3) for e, pid in zip(editors, ("P1", "P2"))]
    jobs += [lambda e=e, road=road: edit_then_undo(e, road) for e, road in zip(undoers, names)]

    results = at_once(jobs)

    store = served.park
    log = trail(served.park)
    imported = {pid: importers[i].username for i, done in enumerate(results[:2]) for pid, status in done
                if status in ACKNOWLEDGED}
    assert len(imported) == 6
    parcels = store.load("parcels").set_index("parcel_id")
    for pid, user in imported.items():
        assert pid in parcels.index and created_by(log, "parcels", pid) == [(user, "import")]
    assert [status for done in results[2:4] for status in done] == [303] * 6
    opened = cases_opened(store, log)
    assert sorted(opened.values()) == sorted((c.username, f"{c.username} 第{k}件") for c in clerks for k in range(3))
    assert set(opened) == set(store.load("cases")["case_id"])
    for pid, done in zip(("P1", "P2"), results[4:6]):
        assert len(done) == 3 and parcels.loc[pid, FIELD] == start.get(pid, 0.0) + 3
    roads = store.load("roads").set_index("road_id")
    for (road, name), (change_id, status), undoer in zip(names.items(), results[6:], undoers):
        assert status == 200
        assert roads.loc[road, "name"] == name  # edited, then undone: back to its name
        undo = log[(log["undoes"] == change_id)]
        assert set(undo["user"]) == {undoer.username} and set(undo["action"]) == {"undo"}
        assert set(log.loc[log["change_id"] == change_id, "user"]) == {undoer.username}


def test_a_token_confirmed_twice_at_once_imports_once(served):
    editor = served.user("importer0")
    status, body = editor.upload("parcels", "once.geojson", one_parcel_geojson("ONCE-1", 0))
    assert status == 200
    token = body["token"]
    second = Editor(int(editor.conn.port), "importer0")  # the same user in a second tab

    results = at_once([lambda: editor.confirm(token), lambda: second.confirm(token)])

    statuses = sorted(status for status, _ in results)
    assert statuses == [200, 409]
    refused = next(body for status, body in results if status == 409)
    assert "已确认" in refused["error"]["message"]
    log = trail(served.park)
    assert log.loc[log["action"] == "import", "change_id"].nunique() == 1
    assert list(served.park.load("parcels")["parcel_id"]).count("ONCE-1") == 1
    status, data = editor.send("POST", f"/import/{token}/confirm?format=json&lang=en")  # later: still spent
    assert status == 409 and "already confirmed" in json.loads(data)["error"]["message"]


def test_another_users_token_is_not_found_and_stays_the_owners(served):
    owner, other = served.user("owner"), served.user("intruder")
    status, body = owner.upload("parcels", "mine.geojson", one_parcel_geojson("MINE-1", 0))
    assert status == 200
    token = body["token"]

    status, refused = other.confirm(token)
    assert status == 404
    unknown_status, unknown = other.confirm("0" * 32)
    assert (unknown_status, unknown["error"]["message"]) == (404, refused["error"]["message"])  # no hint it exists
    assert other.send("POST", f"/import/{token}/cancel")[0] == 404
    assert (served.uploads / token).is_dir()  # still parked for its owner

    status, body = owner.confirm(token)
    assert status == 200 and body["ok"]
    log = trail(served.park)
    assert created_by(log, "parcels", "MINE-1") == [("owner", "import")]


def incremented(value: float, times: int) -> float:
    """``value`` after ``times`` of :func:`increment`'s edits: a missing value counts as 0 once incremented, and
    stays missing when none landed (a restore gives the backup's value back as it was, missing included)."""
    return value if times == 0 else (0.0 if pd.isna(value) else value) + times


def as_text(value) -> str | None:
    """A field value as the log writes it (a missing one None): NaN compares equal to NaN this way."""
    return value_text(value, "float")


def assert_restored_in_the_open(park: GeoPackageStore, manifest: dict, kept: Path, at_backup: pd.Series,
                                acknowledged: dict[str, list[str]]) -> dict[str, tuple[int, int]]:
    """What a restore promises, whatever the interleaving: every acknowledged increment (``acknowledged``: parcel
    id → change ids) is logged; each parcel holds the backup's value with the increments logged after the restore,
    the copy kept beside it the backup's value with those logged before; the restore's events set back exactly
    the parcels incremented before it. Returns, per parcel, (increments before, increments after) the restore."""
    log = trail(park)
    restore = log[log["change_id"] == manifest["restore"]["change_id"]]
    assert set(restore["action"]) == {"restore_backup"} and len(restore) == manifest["restore"]["events"]
    restored_at = int(restore["seq"].min())
    seq_of = log.groupby("change_id")["seq"].min()
    parcels = park.load("parcels").set_index("parcel_id")
    before_restore = GeoPackageStore(kept).load("parcels").set_index("parcel_id")
    split = {}
    for pid, changes in acknowledged.items():
        assert set(changes) <= set(seq_of.index)  # every acknowledged edit is logged
        earlier = [c for c in changes if seq_of[c] < restored_at]
        later = [c for c in changes if seq_of[c] > restored_at]
        assert len(earlier) + len(later) == len(changes)
        split[pid] = (len(earlier), len(later))
        # The backup's value, then the later edits (a parcel whose every edit the restore undid is missing again).
        assert as_text(parcels.loc[pid, FIELD]) == as_text(incremented(at_backup[pid], len(later)))
        # Kept beside the restored park (missing for a parcel edited only after the restore).
        assert as_text(before_restore.loc[pid, FIELD]) == as_text(incremented(at_backup[pid], len(earlier)))
        set_back = restore[(restore["record_id"] == pid) & (restore["field"] == FIELD)]
        if earlier:  # the edits the restore undid are undone in the open, by a logged event
            texts = [(old, None if pd.isna(new) else new) for old, new in zip(set_back["old_value"],
                                                                             set_back["new_value"])]
            assert texts == [(as_text(incremented(at_backup[pid], len(earlier))), as_text(at_backup[pid]))]
        else:
            assert set_back.empty
    assert manifest["restore"]["records"] == sum(1 for earlier, _ in split.values() if earlier)
    return split


def test_a_restore_while_editors_write_reverts_in_the_open_and_loses_nothing(served, tmp_path):
    backup = tmp_path / "backup.gpkg"
    backup_park(served.park, backup)
    at_backup = served.park.load("parcels").set_index("parcel_id")[FIELD]
    editors = [served.user(f"editor{i}") for i in range(3)]

    def restore_when_edits_land():
        deadline = time.monotonic() + 120
        while trail(served.park)["change_id"].nunique() < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        return restore_park(backup, GeoPackageStore(served.park.path))  # as the CLI does, from outside the app

    results = at_once([lambda e=e, pid=pid: increment(e, pid, 6) for e, pid in zip(editors, ("P1", "P2", "P3"))]
                      + [restore_when_edits_land])

    (manifest, kept), acknowledged = results[-1], dict(zip(("P1", "P2", "P3"), results[:3]))
    assert [len(changes) for changes in acknowledged.values()] == [6, 6, 6]
    # Any split of each parcel's six edits around the restore is legitimate, 6/0 and 0/6 included (the restore
    # waits only for three edits of any parcels): the next test pins those ends down.
    split = assert_restored_in_the_open(served.park, manifest, kept, at_backup, acknowledged)
    assert any(earlier for earlier, _ in split.values())  # the restore came once edits had landed


def test_a_restore_after_one_parcels_last_edit_and_before_anothers_first_sets_back_only_what_it_undid(
        served, tmp_path):
    # The ends of the split that the test above meets only by chance, and where it used to expect a parcel's
    # missing value to read 0: every edit of P1 lands before the restore, every edit of P3 after it, P2's half
    # and half.
    backup = tmp_path / "backup.gpkg"
    backup_park(served.park, backup)
    at_backup = served.park.load("parcels").set_index("parcel_id")[FIELD]
    assert at_backup[["P1", "P2", "P3"]].isna().all()  # the tiny park's parcels have no investment yet
    editors = [served.user(f"editor{i}") for i in range(3)]

    before = at_once([lambda: increment(editors[0], "P1", 6), lambda: increment(editors[1], "P2", 3)])
    manifest, kept = restore_park(backup, GeoPackageStore(served.park.path))
    after = at_once([lambda: increment(editors[1], "P2", 3), lambda: increment(editors[2], "P3", 6)])

    acknowledged = {"P1": before[0], "P2": before[1] + after[0], "P3": after[1]}
    split = assert_restored_in_the_open(served.park, manifest, kept, at_backup, acknowledged)
    assert split == {"P1": (6, 0), "P2": (3, 3), "P3": (0, 6)}
    parcels = served.park.load("parcels").set_index("parcel_id")[FIELD]
    kept_values = GeoPackageStore(kept).load("parcels").set_index("parcel_id")[FIELD]
    assert pd.isna(parcels["P1"]) and parcels["P2"] == 3.0 and parcels["P3"] == 6.0
    assert kept_values["P1"] == 6.0 and kept_values["P2"] == 3.0 and pd.isna(kept_values["P3"])
    assert manifest["restore"]["records"] == 2  # P1 and P2 set back; P3 untouched by the restore


def test_scenarios_saved_at_once_are_all_kept_and_edits_around_them_too(tmp_path):
    from expansion_helpers import write_park

    park = write_park(tmp_path / "expansion.gpkg")
    start = park.load("parcels").set_index("parcel_id")[FIELD].fillna(0.0)
    with serving(park.path, tmp_path) as server:
        planners = [server.user(f"planner{i}") for i in range(4)]
        editors = [server.user(f"editor{i}") for i in range(2)]
        jobs = [lambda p=p, i=i: p.post_json("/api/expansion/scenarios", {"name": f"方案 {i}", "zone": "EXP1"})[0]
                for i, p in enumerate(planners)]
        jobs += [lambda e=e, pid=pid: increment(e, pid, 3) for e, pid in zip(editors, ("P1", "P2"))]

        results = at_once(jobs)

        assert results[:4] == [201] * 4
        status, data = planners[0].send("GET", "/api/expansion/scenarios")
    assert sorted(row["name"] for row in json.loads(data)["scenarios"]) == [f"方案 {i}" for i in range(4)]
    parcels = park.load("parcels").set_index("parcel_id")
    for pid, done in zip(("P1", "P2"), results[4:]):
        assert len(done) == 3 and parcels.loc[pid, FIELD] == start[pid] + 3
    log = park.load(AUDIT_LAYER)
    assert log.groupby("record_id")["change_id"].nunique().to_dict() == {"P1": 3, "P2": 3}


def test_no_view_saves_whole_frames_built_outside_the_write_lock():
    # A frame read before the lock and saved whole undoes whatever landed in between (the lost imports and
    # cases this file tests for): views change the park through commit_change / read_modify_write only.
    root = Path(__file__).resolve().parents[1] / "web"
    blind = re.compile(r"\.store\.(save|save_layers)\(|\bsave_layers\(")
    offenders = [f"{path.name}:{n}" for path in sorted(root.rglob("*.py"))
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if blind.search(line)]
    assert offenders == []


def test_command_line_imports_in_another_process_revert_no_edit_of_the_server(served, tmp_path):
    start = served.park.load("parcels").set_index("parcel_id")[FIELD].fillna(0.0)
    editors = [served.user(f"editor{i}") for i in range(2)]
    sources = []
    for k in range(3):
        sources.append(tmp_path / f"cli-{k}.geojson")
        sources[-1].write_bytes(one_parcel_geojson(f"CLI-{k}", 30 + k))
    env = {**os.environ, "PARKATLAS_PARK": str(served.park.path), "PARKATLAS_SECRET_KEY": "x" * 40,
           "PARKATLAS_ACCOUNTS": str(tmp_path / "cli-accounts.sqlite")}
    root = Path(__file__).resolve().parents[1]

    def cli_imports():
        return [subprocess.run([sys.executable, "-m", "flask", "--app", "app", "import", "parcels", str(source),
                                "--mode", "append"], cwd=root, env=env, capture_output=True, text=True).returncode
                for source in sources]

    results = at_once([cli_imports] + [lambda e=e, pid=pid: increment(e, pid, 5)
                                       for e, pid in zip(editors, ("P1", "P2"))])

    assert results[0] == [0, 0, 0]
    parcels = served.park.load("parcels").set_index("parcel_id")
    assert {"CLI-0", "CLI-1", "CLI-2"} <= set(parcels.index)
    for pid, done in zip(("P1", "P2"), results[1:]):
        assert len(done) == 5 and parcels.loc[pid, FIELD] == start[pid] + 5  # no edit reverted by the other process
    log = trail(served.park)
    assert log.groupby("record_id")["change_id"].nunique().to_dict() == {"P1": 5, "P2": 5}
