"""Uploads that would cost minutes or gigabytes are refused before the costly part, on a real server.

Each case is the issue's attack at a size that still crosses the limit it
tests (the full sizes are replayed, timed and measured by
``bench/bench_hostile.py``), posted to ``/import`` on a loopback server with
sign-in required; the answer is a 400 naming the limit, and the park is
unchanged. Each limit is also shown from its other side: just under it imports.
"""

from __future__ import annotations

import hostile_samples as hostile
import pytest
from auth_helpers import auth_config
from browser_helpers import serve
from io_samples import file_digest
from live_helpers import live_session

from layers.io import ImportLimits, ImportOptions, import_layer

LIMITS = ImportLimits()


@pytest.fixture
def editor(tiny_park, tmp_path):
    from app import create_app

    app = create_app(auth_config(tiny_park.path, tmp_path / "accounts.sqlite", UPLOAD_DIR=str(tmp_path / "up")))
    with serve(app) as base_url, live_session(app, base_url, "editor") as session:
        yield session


CASES = [
    ("columns.csv", "enterprises", lambda p: hostile.csv_columns(p, LIMITS.max_columns + 1),
     f"2,001 columns; at most {LIMITS.max_columns:,} are read"),
    ("workbook.zip", "enterprises", lambda p: hostile.xlsx_bomb_in_zip(p, inflated_mb=64), "(zip bomb); refused"),
    ("recursive.gpkg", "parcels", lambda p: hostile.recursive_view_geopackage(p, rows=1_000_000),
     "view 'parcels' has more than 10,000 rows"),
    ("endless.gpkg", "parcels", lambda p: hostile.recursive_view_geopackage(p, rows=None),
     "view 'parcels' has more than 10,000 rows"),
    ("busy.gpkg", "parcels", hostile.busy_view_geopackage, "takes too long to count"),
    ("points.dxf", "facilities", lambda p: hostile.dxf_points(p, LIMITS.max_dxf_entities + 1),
     # 300 001 POINTs and the SECTION, ENDSEC and EOF records.
     f"about 300,004 DXF entities; at most {LIMITS.max_dxf_entities:,}"),
    ("members.zip", "enterprises", lambda p: hostile.zip_many_members(p, members=300, member_bytes=1024 * 1024 - 1),
     "expand"),
]


@pytest.mark.parametrize(("name", "layer", "build", "reason"), CASES, ids=[c[0] for c in CASES])
def test_costly_upload_is_refused_before_it_costs(editor, tiny_park, tmp_path, name, layer, build, reason):
    source = build(tmp_path / name)
    before = file_digest(tiny_park.path)
    reply = editor.post("/import?format=json", data={"layer": layer, "mode": "upsert"},
                        files={"file": (name, source.read_bytes())})
    assert reply.status_code == 400, reply.text[:300]
    problems = " ".join(p["message"] for p in reply.json()["problems"])
    assert reason in problems
    assert file_digest(tiny_park.path) == before


def test_many_small_members_without_a_bomb_list_the_datasets_instead(tmp_path, tiny_park):
    source = hostile.zip_many_members(tmp_path / "m.zip", members=3, member_bytes=10)
    with pytest.raises(Exception, match=r"several datasets \(part0000.csv, part0001.csv, part0002.csv\)"):
        import_layer(source, "enterprises", park=tiny_park, options=ImportOptions(dry_run=True))


def test_just_under_each_limit_is_read(tmp_path, tiny_park):
    columns = hostile.csv_columns(tmp_path / "c.csv", LIMITS.max_columns)
    plan = import_layer(columns, "enterprises", park=tiny_park, options=ImportOptions(dry_run=True, mode="append"))
    assert plan.report.records_read == 1
    view = hostile.recursive_view_geopackage(tmp_path / "v.gpkg", rows=LIMITS.view_rows_min)
    plan = import_layer(view, "enterprises", park=tiny_park,
                        options=ImportOptions(dry_run=True, mode="append", source_layer="parcels"))
    assert plan.report.records_read == LIMITS.view_rows_min


def test_view_row_allowance_grows_with_the_file():
    assert LIMITS.view_rows_for(98 * 1024) == 10_000
    assert LIMITS.view_rows_for(1024**2) == 20_000
    assert LIMITS.view_rows_for(100 * 1024**2) == 2_000_000
    assert LIMITS.view_rows_for(10 * 1024**3) == LIMITS.max_features
