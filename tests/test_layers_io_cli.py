"""``flask --app app import`` / ``export``: exit 0 on success, 2 on rejected input, the report printed."""

import json

import pytest
from io_samples import file_digest, gbk_shapefile, mixed_geometry_geojson

from layers.store import GeoPackageStore


@pytest.fixture
def run(tiny_app):
    runner = tiny_app.test_cli_runner()  # commands see tiny_app (and its PARK_PATH) as the current app

    def invoke(*args):
        return runner.invoke(args=[str(a) for a in args])

    return invoke


def test_import_into_a_new_park_prints_the_report(tmp_path, run):
    park = tmp_path / "new.gpkg"
    result = run("import", "parcels", gbk_shapefile(tmp_path / "src"), "--park", park, "--park-name", "新园区")
    assert result.exit_code == 0, result.output
    assert "地块.shp → layer 'parcels' (replace): imported; 3 record(s) read" in result.output
    assert ("encoding: GB18030 (no .cpg; the text reads as GB18030 (simplified Chinese) rather than Big5: "
            "confidence > 99.9 %)") in result.output
    assert GeoPackageStore(park).read_meta()["park_name"] == "新园区"


def test_dry_run_and_the_default_park(tmp_path, run, tiny_park):
    before = file_digest(tiny_park.path)
    # The sample lies 126 km from the tiny park: confirmed with --accept-far (without, see test_layers_io_messy).
    result = run("import", "parcels", gbk_shapefile(tmp_path / "src"), "--mode", "upsert", "--dry-run",
                 "--accept-far")
    assert result.exit_code == 0, result.output
    assert "checked (dry run, nothing written)" in result.output
    assert "accepted, as confirmed" in result.output
    assert "park working CRS: EPSG:4549\n" in result.output  # the tiny park's, not a new one
    assert file_digest(tiny_park.path) == before


def test_rejected_input_exits_2_with_record_and_field(tmp_path, run, tiny_park):
    before = file_digest(tiny_park.path)
    result = run("import", "parcels", mixed_geometry_geojson(tmp_path / "m.geojson"), "--mode", "append", "--json")
    assert result.exit_code == 2
    report = json.loads(result.output)
    assert report["ok"] is False and report["committed"] is False
    # The polygon lies 126 km from the tiny park (a problem without --accept-far); the point and the line
    # are of another kind than parcels hold: left out, with a notice each.
    assert {(p["record"], p["field"]) for p in report["problems"]} == {("row 1", "geometry")}
    assert report["confirmations"]["far"]["records"] == 1
    assert {("row 2", "geometry"), ("row 3", "geometry")} <= {(n["record"], n["field"]) for n in report["notices"]}
    assert file_digest(tiny_park.path) == before


def test_bad_options_exit_2(tmp_path, run):
    shp = gbk_shapefile(tmp_path / "src")
    assert run("import", "plots", shp).exit_code == 2  # unknown layer (click's usage error)
    assert run("import", "parcels", shp, "--mode", "merge").exit_code == 2
    result = run("import", "parcels", shp, "--park", tmp_path / "p.gpkg", "--mapping", tmp_path / "absent.yaml")
    assert result.exit_code == 2 and "cannot read the mapping file" in result.output


def test_export_every_format(tmp_path, run):
    for name in ("p.gpkg", "p.geojson", "p.zip", "p.kml", "p.csv", "p.xlsx"):
        result = run("export", "parcels", tmp_path / name)
        assert result.exit_code == 0, result.output
        assert f"3 record(s) of parcels written to {tmp_path / name}" in result.output
        assert (tmp_path / name).stat().st_size > 0


def test_export_rejects_what_it_cannot_do(tmp_path, run):
    result = run("export", "parcels", tmp_path / "p.shp")
    assert result.exit_code == 2 and "Shapefiles are exported zipped" in result.output
    result = run("export", "plots", tmp_path / "p.gpkg")
    assert result.exit_code == 2 and "unknown layer 'plots'" in result.output
    result = run("export", "units", tmp_path / "u.kml")
    assert result.exit_code == 2 and "is a table without geometry" in result.output
    result = run("export", "parcels", tmp_path / "p.gpkg", "--park", tmp_path / "missing.gpkg")
    assert result.exit_code == 2 and "no park file here" in result.output


def test_history_logs_cannot_be_imported(tmp_path, run, tiny_client):
    from layers.io import ImportOptions, ImportRejected, import_layer

    source = tmp_path / "log.csv"
    source.write_text("event_id\nE1\n", encoding="utf-8")
    assert run("import", "audit_events", source).exit_code == 2
    with pytest.raises(ImportRejected, match="'case_events' is a history log"):
        import_layer(source, "case_events", park=tmp_path / "p.gpkg", options=ImportOptions())
    import io

    reply = tiny_client.post("/import", data={"layer": "audit_events", "file": (io.BytesIO(b"event_id\nE1\n"),
                                                                               "log.csv")},
                             content_type="multipart/form-data")
    assert reply.status_code == 400
