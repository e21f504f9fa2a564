"""国土 TXT through the whole pipeline: import of hand-made files, and export → import round trips.

Round trips go through the real command line (``flask --app app export`` and
``import`` in a subprocess) and the real web flow (download from ``/export``,
upload to ``/import``, preview, confirm) on a loopback server, and compare the
park before and after: every field equal, every geometry identical — the
file holds millimetres, a surveyed park's vertices are millimetres, and the
reader drops the zone prefix from the digits rather than transforming. A
vertex finer than a millimetre moves by at most half of one.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import gtxt_samples as gs
import numpy as np
import pandas as pd
import pytest
import shapely
from auth_helpers import auth_config
from browser_helpers import serve
from conftest import TINY_META, X0, Y0, tiny_frames
from io_samples import file_digest
from live_helpers import live_session

from layers.io import ImportLimits, ImportOptions, ImportRejected, import_layer
from layers.registry import get_layer
from layers.store import GeoPackageStore
from layers.valid_time import fill_valid_time

ROOT = Path(__file__).resolve().parents[1]


def same_shape(a, b, tolerance: float = 1e-6) -> bool:
    """The same polygon, vertex by vertex within ``tolerance`` metres, whichever vertex the rings start at."""
    a, b = (shapely.normalize(shapely.set_precision(g, tolerance)) for g in (a, b))  # float noise cannot pick the start
    return bool(shapely.equals_exact(a, b, tolerance=tolerance))


# -- importing hand-made files ---------------------------------------------------------------------------

def test_an_approval_txt_imports_into_parcels_with_its_fields_mapped(tmp_path, tiny_park):
    source = gs.write(tmp_path, gs.gtxt([gs.one_hectare("DK-1", dn=1000), gs.holed_plot("DK-2")]))
    plan = import_layer(source, "parcels", park=tiny_park, options=ImportOptions(mode="append", dry_run=True))
    report = plan.report
    assert report.driver == "国土 TXT" and report.encoding.startswith("GB18030 (not UTF-8; reads as GB18030")
    assert report.source_crs == "EPSG:4549 CGCS2000 / 3-degree Gauss-Kruger CM 120E"
    assert report.mapping == {"地块编号": "parcel_id", "地块名称": "name", "地类编码": "land_use"}
    incoming = plan.incoming.set_index("parcel_id")
    assert incoming.loc["DK-1", "name"] == "一号地块" and incoming.loc["DK-2", "land_use"] == "1001"
    # In the park's CM 120°E form: the zone prefix is gone, nothing else moves.
    assert same_shape(incoming.loc["DK-1", "geometry"], shapely.box(gs.E0, gs.N0 + 1000, gs.E0 + 100, gs.N0 + 1100))
    assert incoming.loc["DK-2", "geometry"].area == pytest.approx(9_600, abs=1e-6)


def test_per_plot_notices_name_the_plot_and_point(tmp_path, tiny_park):
    plots = [gs.one_hectare("DK-1", dn=1000, area="1.2000", close=False, count="4"),
             gs.one_hectare("DK-2", dn=1200, swap=True)]
    source = gs.write(tmp_path, gs.gtxt(plots))
    report = import_layer(source, "parcels", park=tiny_park, options=ImportOptions(mode="append", dry_run=True)).report
    lines = [(n.record, n.message) for n in report.notices if n.field == "geometry"]
    assert ("row 1", "plot DK-1 (line 13): ring 圈号 1 is not closed (last point J4, line 17, is not the first point "
                     "J1); closed") in lines
    assert ("row 1", "plot DK-1 (line 13): 地块面积 1.2000 公顷 in the header, 1.0000 公顷 from the coordinates "
                     "(+20.00 %; tolerance 1 %)") in lines
    assert ("row 2", "plot DK-2 (line 18): X holds the eastings and Y the northings (X must be the northing); "
                     "exchanged") in lines
    assert not report.problems


def test_a_damaged_plot_rejects_the_import_unless_damaged_plots_are_accepted(tmp_path, tiny_park):
    source = gs.write(tmp_path, gs.gtxt([gs.one_hectare("DK-1", dn=1000),
                                         gs.one_hectare("DK-2", dn=1200, de=-1_000_000)]))
    before = file_digest(tiny_park.path)
    with pytest.raises(ImportRejected) as caught:
        import_layer(source, "parcels", park=tiny_park, options=ImportOptions(mode="append"))
    problems = [(p.record, p.message) for p in caught.value.report.problems]
    assert problems == [("row 2", "damaged: plot DK-2 (line 19): zone mismatch: the header's 带号 is 40, but the "
                                  "eastings carry zone prefix 39 (Y = 39,636,000.000 at point J1); correct the 带号 "
                                  "or the coordinates")]
    assert file_digest(tiny_park.path) == before
    plan = import_layer(source, "parcels", park=tiny_park, options=ImportOptions(mode="append", accept_damaged=True))
    assert plan.report.committed and plan.report.counts["added"] == 1
    assert set(tiny_park.load("parcels")["parcel_id"]) == {"P1", "P2", "P3", "DK-1"}


def test_the_crs_a_header_leaves_open_is_inferred_or_asked_for(tmp_path, tiny_park):
    no_datum = {k: v for k, v in gs.STANDARD_HEADER.items() if k != "坐标系"}
    source = gs.write(tmp_path, gs.gtxt([gs.one_hectare(dn=1000)], header=no_datum), name="a.txt")
    report = import_layer(source, "parcels", park=tiny_park, options=ImportOptions(mode="append", dry_run=True)).report
    assert report.source_crs == "EPSG:4528 CGCS2000 / 3-degree Gauss-Kruger zone 40"
    assert "8-digit eastings with zone prefix 40" in report.crs_how
    no_zone = {k: v for k, v in gs.STANDARD_HEADER.items() if k != "带号"}
    source = gs.write(tmp_path, gs.gtxt([gs.one_hectare(dn=1000, prefix=False)], header=no_zone), name="b.txt")
    with pytest.raises(ImportRejected, match="give it with --crs, e.g. EPSG:4549"):
        import_layer(source, "parcels", park=tiny_park, options=ImportOptions(mode="append", dry_run=True))
    plan = import_layer(source, "parcels", park=tiny_park,
                        options=ImportOptions(mode="append", dry_run=True, crs="EPSG:4549"))
    assert same_shape(plan.incoming.geometry[0], shapely.box(gs.E0, gs.N0 + 1000, gs.E0 + 100, gs.N0 + 1100))


def test_a_land_approval_becomes_zones(tmp_path, tiny_park):
    source = gs.write(tmp_path, gs.gtxt([gs.one_hectare("批复-2025-01", name="某项目用地", dn=1000)]))
    plan = import_layer(source, "zones", park=tiny_park, options=ImportOptions(mode="append"))
    assert plan.report.mapping == {"地块编号": "zone_id", "地块名称": "name"}
    zones = tiny_park.load("zones").set_index("zone_id")
    assert zones.loc["批复-2025-01", "name"] == "某项目用地"
    assert zones.loc["批复-2025-01", "geometry"].area == pytest.approx(10_000, abs=1e-6)


def test_the_line_limit_both_sides(tmp_path, tiny_park):
    text = gs.gtxt([gs.one_hectare(dn=1000)])  # 12 header lines + 6 plot lines, each ending in CRLF
    source = gs.write(tmp_path, text)
    assert text.count("\n") == 18
    plan = import_layer(source, "parcels", park=tiny_park,
                        options=ImportOptions(mode="append", dry_run=True, limits=ImportLimits(max_gtxt_lines=18)))
    assert plan.report.records_read == 1
    with pytest.raises(ImportRejected, match="18 lines; at most 17 are read from one 国土 TXT"):
        import_layer(source, "parcels", park=tiny_park,
                     options=ImportOptions(mode="append", dry_run=True, limits=ImportLimits(max_gtxt_lines=17)))


def test_the_checks_come_from_the_environment(tmp_path, tiny_park, monkeypatch):
    lines = gs.one_hectare(dn=1000)
    number, ring, x, y = lines[-1].split(",")
    lines[-1] = f"{number},{ring},{float(x) + 0.05:.3f},{y}"  # the closing J1 5 cm from the first
    source = gs.write(tmp_path, gs.gtxt([lines]))
    options = ImportOptions(mode="append", dry_run=True)
    with pytest.raises(ImportRejected, match="lies 0.050 m from the first point J1"):
        import_layer(source, "parcels", park=tiny_park, options=options)
    monkeypatch.setenv("PARKATLAS_GTXT_CLOSURE_M", "0.06")
    assert import_layer(source, "parcels", park=tiny_park, options=options).report.records_read == 1
    monkeypatch.setenv("PARKATLAS_GTXT_CLOSURE_M", "-1")
    with pytest.raises(ImportRejected, match=r"PARKATLAS_GTXT_CLOSURE_M='-1' is not a number ≥ 0 \(default 0.01\)"):
        import_layer(source, "parcels", park=tiny_park, options=options)


def test_a_line_layer_refuses_a_txt(tmp_path, tiny_park):
    source = gs.write(tmp_path, gs.gtxt([gs.one_hectare()]))
    with pytest.raises(ImportRejected, match="a 国土 TXT holds land plots"):
        import_layer(source, "roads", park=tiny_park, options=ImportOptions(mode="append", dry_run=True))


# -- round trips -----------------------------------------------------------------------------------------

def _box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


@pytest.fixture
def round_park(tmp_path) -> GeoPackageStore:
    """The tiny park with a surveyed (millimetre) holed parcel, a two-part parcel and a two-part zone."""
    frames = tiny_frames()
    surveyed = shapely.Polygon([(X0 + 400.123, Y0 + 0.001), (X0 + 480.556, Y0 + 1.2), (X0 + 470.0, Y0 + 91.0),
                                (X0 + 400.0, Y0 + 80.0)],
                               [[(X0 + 420.5, Y0 + 20.25), (X0 + 440, Y0 + 20), (X0 + 430, Y0 + 40.125)]])
    extra = gpd.GeoDataFrame(
        {"parcel_id": ["P4", "P5"], "name": ["四号带孔", "五号两块"], "land_use": ["0901", "1001"],
         "land_use_std": ["用地用海2023"] * 2, "status": ["planned", "planned"]},
        geometry=[surveyed, shapely.MultiPolygon([_box(0, 300, 50, 350), _box(100, 300, 150, 350)])], crs=4549)
    frames["parcels"] = pd.concat([frames["parcels"], extra], ignore_index=True)
    zones = frames["zones"]
    frames["zones"] = pd.concat([zones, gpd.GeoDataFrame(
        {"zone_id": ["Z2"], "kind": ["expansion_area"], "name": ["东拓展区"]},
        geometry=[shapely.MultiPolygon([_box(400, 300, 500, 400), _box(600, 300, 700, 400)])], crs=4549)],
        ignore_index=True)
    for name in ("parcels", "zones"):  # as a register imported earlier has them, valid dates derived
        frames[name]["first_added"] = pd.Timestamp("2024-03-01")
        frames[name]["last_updated"] = pd.Timestamp("2025-01-15")
        frames[name] = fill_valid_time(frames[name], get_layer(name), today=dt.date(2025, 1, 15))
    store = GeoPackageStore(tmp_path / "round.gpkg")
    store.save_park(frames, TINY_META)
    return store


def assert_same_layer(before: pd.DataFrame, after: pd.DataFrame, id_field: str) -> None:
    """Every field equal (missing equal to missing), every geometry identical, vertex for vertex."""
    before = before.set_index(id_field).sort_index()
    after = after.set_index(id_field).sort_index()
    assert list(after.index) == list(before.index)
    for column in before.columns:
        if column == "geometry":
            continue
        a, b = before[column].astype(object), after[column].astype(object)
        same = (a.isna() & b.isna()) | (a == b)
        assert same.all(), f"{column}: {a[~same].tolist()} became {b[~same].tolist()}"
    for key in before.index:
        assert shapely.equals_exact(before.geometry[key], after.geometry[key], tolerance=0.0), key


#: A 国土 TXT's 地类编码 does not say its classification: 1001 is 工业用地 in 用地用海 2023 but 铁路用地 in
#: GB/T 21010-2017, so an import flags it for review unless a mapping file names the classification.
CLASSIFICATION_MAPPING = "defaults:\n  land_use_std: 用地用海2023\n"


def mapping_file(folder: Path) -> Path:
    path = folder / "gtxt-mapping.yaml"
    path.write_text(CLASSIFICATION_MAPPING, encoding="utf-8")
    return path


def flask(*args, park: Path) -> subprocess.CompletedProcess:
    """The real command line, as an operator runs it."""
    env = {**os.environ, "PARKATLAS_PARK": str(park)}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("layer", ["parcels", "zones"])
def test_cli_export_then_import_leaves_the_park_as_it_was(round_park, tmp_path, layer):
    id_field = {"parcels": "parcel_id", "zones": "zone_id"}[layer]
    before = round_park.load(layer)
    dest = tmp_path / f"{layer}.txt"
    exported = flask("export", layer, dest, park=round_park.path)
    assert exported.returncode == 0, exported.stdout + exported.stderr
    text = dest.read_bytes().decode("gbk")
    assert text.startswith("[属性描述]\r\n") and "带号=40\r\n" in text
    mapping = ["--mapping", mapping_file(tmp_path)] if layer == "parcels" else []
    imported = flask("import", layer, dest, "--mode", "upsert", *mapping, park=round_park.path)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert f"(added 0, unchanged {len(before)})" in imported.stdout
    assert_same_layer(before, round_park.load(layer), id_field)


def test_a_vertex_finer_than_a_millimetre_survives_the_round_trip_unmoved(round_park, tmp_path):
    """The TXT holds millimetres (0.4 mm off here); imported back, the plot is unchanged and keeps its stored
    coordinates rather than the rounded ones."""
    parcels = round_park.load("parcels")
    odd = shapely.Polygon([(X0 + 600.1234, Y0 + 0.0006), (X0 + 680.5555, Y0 + 1.2), (X0 + 670.0004, Y0 + 90.9999)])
    extra = gpd.GeoDataFrame({"parcel_id": ["P6"], "land_use_std": ["用地用海2023"]}, geometry=[odd], crs=4549)
    round_park.save("parcels", pd.concat([parcels, extra], ignore_index=True))
    dest = tmp_path / "p.txt"
    assert flask("export", "parcels", dest, "--encoding", "utf-8", park=round_park.path).returncode == 0
    assert "J2,1,3171001.200,40636680.556\r\n" in dest.read_bytes().decode("utf-8")
    assert flask("import", "parcels", dest, "--mode", "upsert", "--mapping", mapping_file(tmp_path),
                 park=round_park.path).returncode == 0
    after = round_park.load("parcels").set_index("parcel_id")
    moved = np.abs(shapely.get_coordinates(after.geometry["P6"]) - shapely.get_coordinates(odd))
    assert moved.max() == 0.0
    before = parcels.set_index("parcel_id")
    for key in ("P1", "P2", "P3", "P4", "P5"):
        assert shapely.equals_exact(before.geometry[key], after.geometry[key], tolerance=0.0)


def test_cli_export_refuses_what_a_txt_cannot_hold(round_park, tmp_path):
    result = flask("export", "roads", tmp_path / "r.txt", park=round_park.path)
    assert result.returncode == 2 and "a 国土 TXT lists land plots (polygons)" in result.stdout
    result = flask("export", "parcels", tmp_path / "p.txt", "--encoding", "big5", park=round_park.path)
    assert result.returncode == 2 and "allowed: gbk, utf-8" in result.stdout
    result = flask("export", "parcels", tmp_path / "p.csv", "--encoding", "utf-8", park=round_park.path)
    assert result.returncode == 2 and "a text encoding is chosen for a 国土 TXT only" in result.stdout


@pytest.fixture
def live_editor(round_park, tmp_path):
    from app import create_app

    app = create_app(auth_config(round_park.path, tmp_path / "accounts.sqlite", UPLOAD_DIR=str(tmp_path / "up")))
    with serve(app) as base_url, live_session(app, base_url, "editor") as session:
        yield session


def test_web_download_preview_confirm_leaves_the_park_as_it_was(live_editor, round_park):
    before = round_park.load("parcels")
    download = live_editor.get("/export/parcels.gtxt")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].endswith("parcels.txt")
    assert download.content.decode("gbk").startswith("[属性描述]\r\n格式版本号=1.01\r\n")
    preview = live_editor.post("/import?format=json", data={"layer": "parcels", "mode": "upsert"},
                               files={"file": ("parcels.txt", download.content),
                                      "mapping": ("mapping.yaml", CLASSIFICATION_MAPPING.encode())})
    assert preview.status_code == 200, preview.text[:500]
    body = preview.json()
    assert body["facts"]["format"] == "国土 TXT" and body["counts"] == {"added": 0, "unchanged": 5}
    unchanged_digest = file_digest(round_park.path)
    confirmed = live_editor.post(f"/import/{body['token']}/confirm?format=json")
    assert confirmed.status_code == 200, confirmed.text[:500]
    assert confirmed.json()["committed"] is True, confirmed.json()
    assert confirmed.json()["counts"] == {"added": 0, "unchanged": 5}, confirmed.json()
    assert file_digest(round_park.path) == unchanged_digest  # nothing changed, so nothing was written
    assert_same_layer(before, round_park.load("parcels"), "parcel_id")


def test_web_a_name_changed_in_the_file_is_the_one_change(live_editor, round_park):
    before = round_park.load("parcels")
    text = live_editor.get("/export/parcels.gtxt").content.decode("gbk")
    edited = text.replace(",二号地块,", ",二号地块（西）,").encode("gbk")
    page = live_editor.post("/import", data={"layer": "parcels", "mode": "upsert"},
                            files={"file": ("报批.txt", edited)})
    assert page.status_code == 200 and "国土 TXT" in page.text and "二号地块（西）" in page.text
    preview = live_editor.post("/import?format=json", data={"layer": "parcels", "mode": "upsert"},
                               files={"file": ("parcels.txt", edited),
                                      "mapping": ("mapping.yaml", CLASSIFICATION_MAPPING.encode())})
    assert preview.json()["counts"] == {"added": 0, "updated": 1, "unchanged": 4}
    confirmed = live_editor.post(f"/import/{preview.json()['token']}/confirm?format=json")
    assert confirmed.status_code == 200 and confirmed.json()["committed"] is True
    after = round_park.load("parcels")
    assert after.set_index("parcel_id").loc["P2", "name"] == "二号地块（西）"
    assert after.set_index("parcel_id").loc["P2", "last_updated"] != before.set_index("parcel_id").loc["P2", "last_updated"]
    expected = before.set_index("parcel_id")
    expected.loc["P2", ["name", "last_updated"]] = after.set_index("parcel_id").loc["P2", ["name", "last_updated"]]
    assert_same_layer(expected.reset_index(), after, "parcel_id")
    events = round_park.load("audit_events")
    changed = events[events["field"] != "last_updated"]
    assert changed[["action", "record_id", "field", "new_value"]].values.tolist() == [
        ["import", "P2", "name", "二号地块（西）"]]


def test_web_export_page_and_refusals(live_editor, round_park, tmp_path):
    page = live_editor.get("/export").text
    assert "/export/parcels.gtxt" in page and "/export/zones.gtxt?encoding=utf-8" in page
    assert "/export/roads.gtxt" not in page and "/export/units.gtxt" not in page
    refused = live_editor.get("/export/roads.gtxt")
    assert refused.status_code == 400 and "国土 TXT 只能导出地块（面）" in refused.text
    refused = live_editor.get("/export/parcels.gtxt?encoding=latin-1")
    assert refused.status_code == 400 and "国土 TXT 不支持编码 &#39;latin-1&#39;；可选：gbk, utf-8" in refused.text
    utf8 = live_editor.get("/export/parcels.gtxt?encoding=utf-8")
    assert utf8.status_code == 200 and "五号两块" in utf8.content.decode("utf-8")


def test_web_export_refuses_a_park_whose_crs_a_txt_cannot_declare(tmp_path):
    from app import create_app

    frames = tiny_frames()
    utm = {name: (frame.to_crs(32651) if isinstance(frame, gpd.GeoDataFrame) else frame)
           for name, frame in frames.items()}
    store = GeoPackageStore(tmp_path / "utm.gpkg")
    store.save_park(utm, {**TINY_META, "working_epsg": 32651})
    app = create_app(auth_config(store.path, tmp_path / "accounts.sqlite"))
    with serve(app) as base_url, live_session(app, base_url, "viewer") as viewer:
        refused = viewer.get("/export/parcels.gtxt")
    assert refused.status_code == 400
    assert "园区工作坐标系（EPSG:32651）不是 2000国家大地坐标系、1980西安坐标系或1954北京坐标系的高斯-克吕格投影带" \
        in refused.text
