"""Uploads are data, never instructions: no uploaded file makes the server read another file or a URL.

Every attack is replayed against the real app on a loopback port, signed in
as an editor over HTTP. The server holds canary strings in files of its own (a
signing key, a CSV, a zip, the accounts database with the editor's password
hash) and a second loopback server counts every request made to it (SSRF).
Each upload must be refused with 400, name why, and show no canary; the URL
server must see no request.
"""

from __future__ import annotations

import http.server
import io
import json
import shutil
import sqlite3
import threading
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from auth_helpers import auth_config
from browser_helpers import serve
from conftest import WORKING_EPSG, X0, Y0
from live_helpers import live_session

from layers.io import ImportOptions, ImportRejected, import_layer

CANARY_KEY = "CANARY-SIGNING-KEY-7f3a9c"
CANARY_ROW = "CANARY-CSV-ROW-51b2e0"


@pytest.fixture
def url_server():
    """A loopback HTTP server that records every path asked of it; yields (base URL, hits)."""
    hits: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 — the http.server hook name
            hits.append(self.path)
            body = f"name,val\n{CANARY_ROW},1\n".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_HEAD = do_GET  # noqa: N815

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", hits
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def server_files(tmp_path) -> dict[str, Path]:
    """Files of the server's own, each holding a canary string."""
    folder = tmp_path / "server"
    folder.mkdir()
    key = folder / "secret_key"
    key.write_text(CANARY_KEY, encoding="utf-8")
    table = folder / "secret.csv"
    table.write_text(f"name,val\n{CANARY_ROW},1\n", encoding="utf-8")
    packed = folder / "secret.zip"
    with zipfile.ZipFile(packed, "w") as archive:
        archive.write(table, "secret.csv")
    return {"key": key, "csv": table, "zip": packed, "accounts": tmp_path / "accounts.sqlite"}


@pytest.fixture
def live(tiny_park, tmp_path, server_files):
    """The tiny park served with sign-in required; yields (app, base URL, signed-in editor session)."""
    from app import create_app

    app = create_app(auth_config(tiny_park.path, server_files["accounts"], UPLOAD_DIR=str(tmp_path / "uploads")))
    with serve(app) as base_url, live_session(app, base_url, "editor") as editor:
        yield app, base_url, editor


def _canaries(server_files) -> list[str]:
    with sqlite3.connect(server_files["accounts"]) as conn:
        hashes = [row[0] for row in conn.execute("SELECT password_hash FROM accounts")]
    assert hashes  # the editor's hash is there to be stolen
    return [CANARY_KEY, CANARY_ROW, *hashes]


def _vrt(source: str, layer: str = "secret") -> bytes:
    return (f'<OGRVRTDataSource><OGRVRTLayer name="enterprises"><SrcDataSource>{source}</SrcDataSource>'
            f"<SrcLayer>{layer}</SrcLayer></OGRVRTLayer></OGRVRTDataSource>").encode()


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _geojson(crs: str | None = None) -> bytes:
    feature = '{"type":"Feature","properties":{"enterprise_id":"E9","name":"x"},"geometry":null}'
    crs_member = f'"crs":{crs},' if crs else ""
    return f'{{"type":"FeatureCollection",{crs_member}"features":[{feature}]}}'.encode()


def _geopackage(tmp_path: Path, edit) -> bytes:
    """A real GeoPackage of one parcel, then changed by ``edit(conn)`` with sqlite3 (schema writes allowed)."""
    path = tmp_path / "base.gpkg"
    path.unlink(missing_ok=True)
    gpd.GeoDataFrame({"parcel_id": ["X1"]}, geometry=[shapely.box(X0, Y0, X0 + 50, Y0 + 50)],
                     crs=WORKING_EPSG).to_file(path, layer="parcels", engine="pyogrio")
    with sqlite3.connect(path) as conn:
        edit(conn)
    return path.read_bytes()


def _attached_view(accounts: Path):
    def edit(conn):
        conn.execute("CREATE VIEW leak AS SELECT parcel_id FROM parcels")
        conn.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier) VALUES ('leak', 'attributes', 'leak')")
        conn.execute("PRAGMA writable_schema = ON")
        conn.execute("UPDATE sqlite_master SET sql = ? WHERE name = 'leak'",
                     (f"CREATE VIEW leak AS SELECT username, password_hash FROM acc.accounts -- {accounts}",))
    return edit


def _virtual_table(accounts: Path):
    def edit(conn):
        conn.execute("PRAGMA writable_schema = ON")
        conn.execute("INSERT INTO sqlite_master (type, name, tbl_name, rootpage, sql) VALUES "
                     "('table', 'leak', 'leak', 0, ?)", (f"CREATE VIRTUAL TABLE leak USING VirtualOGR('{accounts}')",))
        conn.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier) VALUES ('leak', 'attributes', 'leak')")
    return edit


def _function_view(key: Path):
    def edit(conn):
        conn.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier) VALUES ('leak', 'attributes', 'leak')")
        conn.execute("PRAGMA writable_schema = ON")
        conn.execute("INSERT INTO sqlite_master (type, name, tbl_name, rootpage, sql) VALUES ('view', 'leak', 'leak', 0, ?)",
                     (f"CREATE VIEW leak AS SELECT gdal_get_layer_pixel_value('{key}', 1, 'pixel', 0, 0) AS v",))
    return edit


def _plain_sqlite(tmp_path: Path, key: Path) -> bytes:
    path = tmp_path / "plain.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE parcels (parcel_id TEXT, note TEXT)")
        conn.execute("INSERT INTO parcels VALUES ('X1', ?)", (str(key),))
    return path.read_bytes()


def _shapefile_with_grid(tmp_path: Path, key: Path) -> bytes:
    shp = tmp_path / "grid" / "parcels.shp"
    shp.parent.mkdir(exist_ok=True)
    gpd.GeoDataFrame({"parcel_id": ["X1"]}, geometry=[shapely.box(X0, Y0, X0 + 50, Y0 + 50)],
                     crs=WORKING_EPSG).to_file(shp, engine="pyogrio")
    shp.with_suffix(".prj").write_text(
        'GEOGCS["x",DATUM["D",SPHEROID["S",6378137,298.257223563]],PRIMEM["G",0],UNIT["degree",0.0174532925199433],'
        f'EXTENSION["PROJ4","+proj=longlat +ellps=WGS84 +nadgrids={key} +no_defs"]]', encoding="utf-8")
    return _zip({f.name: f.read_bytes() for f in shp.parent.iterdir()})


#: (upload name, layer, builder(tmp_path, server files, URL server) → bytes, words the refusal must hold).
ATTACKS = [
    ("evil.vrt", "enterprises", lambda t, f, u: _vrt(str(f["csv"])), "does not import this kind of file"),
    ("evil.csv", "enterprises", lambda t, f, u: _vrt(str(f["csv"])), "OGR virtual dataset (VRT)"),
    ("evil.geojson", "enterprises", lambda t, f, u: _vrt(str(f["csv"])), "OGR virtual dataset (VRT)"),
    ("evil.json", "enterprises", lambda t, f, u: _vrt(str(f["key"]), "secret_key"), "OGR virtual dataset (VRT)"),
    ("vrt-inside.zip", "enterprises", lambda t, f, u: _zip({"enterprises.vrt": _vrt(str(f["csv"]))}),
     "holds no dataset"),
    ("vrt-as-shapefile.zip", "parcels",
     lambda t, f, u: _zip({f"parcels{s}": _vrt(str(f["csv"])) for s in (".shp", ".shx", ".dbf")}),
     "is not a Shapefile"),
    ("vsicurl.vrt", "enterprises", lambda t, f, u: _vrt(f"/vsicurl/{u}/secret.csv"), "does not import this kind"),
    ("vsicurl.geojson", "enterprises", lambda t, f, u: _vrt(f"/vsicurl/{u}/secret.csv"), "OGR virtual dataset"),
    ("vsizip.csv", "enterprises", lambda t, f, u: _vrt(f"/vsizip/{f['zip']}/secret.csv"), "OGR virtual dataset"),
    ("nested.zip", "enterprises", lambda t, f, u: _zip({"inner.zip": f["zip"].read_bytes()}), "holds no dataset"),
    ("crs-link.geojson", "enterprises",
     lambda t, f, u: _geojson(f'{{"type":"link","properties":{{"href":"{u}/crs","type":"proj4"}}}}'),
     "of type 'link', which names a URL"),
    ("crs-url-escaped.geojson", "enterprises",
     lambda t, f, u: _geojson(f'{{"ty\\u0070e":"\\u0055RL","properties":{{"url":"{u}/crs"}}}}').replace(
         b'"crs"', b'"\\u0043rs"'),
     "of type 'URL', which names a URL"),
    ("attached-view.gpkg", "parcels", lambda t, f, u: _geopackage(t, _attached_view(f["accounts"])),
     "cannot reference objects in database acc"),
    ("virtual-table.gpkg", "parcels", lambda t, f, u: _geopackage(t, _virtual_table(f["accounts"])),
     "virtual table of module 'VirtualOGR'"),
    ("function-view.gpkg", "parcels", lambda t, f, u: _geopackage(t, _function_view(f["key"])),
     "no such function: gdal_get_layer_pixel_value"),
    ("plain-sqlite.gpkg", "parcels", lambda t, f, u: _plain_sqlite(t, f["key"]), "but not a GeoPackage"),
    ("grid-prj.zip", "parcels", lambda t, f, u: _shapefile_with_grid(t, f["key"]), "its CRS names the file"),
]


@pytest.mark.parametrize(("name", "layer", "build", "reason"), ATTACKS, ids=[a[0] for a in ATTACKS])
def test_upload_that_points_elsewhere_is_refused(live, tmp_path, server_files, url_server, name, layer, build,
                                                 reason):
    _app, _base, editor = live
    url, hits = url_server
    content = build(tmp_path, server_files, url)
    reply = editor.post("/import?format=json", data={"layer": layer, "mode": "upsert"},
                        files={"file": (name, content)})
    assert reply.status_code == 400, reply.text[:500]
    text = reply.text
    assert reason in json.dumps(reply.json(), ensure_ascii=False)
    for canary in _canaries(server_files):
        assert canary not in text
    assert hits == []
    page = editor.post("/import", data={"layer": layer, "mode": "upsert"}, files={"file": (name, content)})
    assert page.status_code == 400 and all(canary not in page.text for canary in _canaries(server_files))


def test_a_virtual_path_or_url_given_as_the_source_is_refused(tiny_park, url_server, server_files):
    url, hits = url_server
    for source in (f"/vsicurl/{url}/secret.csv", f"{url}/secret.csv", f"/vsizip/{server_files['zip']}/secret.csv"):
        with pytest.raises(ImportRejected) as caught:
            import_layer(source, "enterprises", park=tiny_park, options=ImportOptions(dry_run=True))
        assert "a GDAL virtual path or URL, not a file" in caught.value.report.text()
    assert hits == []


def test_gdal_has_only_the_drivers_parkatlas_uses():
    from layers.gdal_guard import ALLOWED_DRIVERS, registered_drivers

    assert registered_drivers() == sorted(ALLOWED_DRIVERS)


# -- what must still import ----------------------------------------------------------------------------------


def test_geopackage_view_over_its_own_table_imports(tmp_path, tiny_park):
    def edit(conn):
        conn.execute("CREATE VIEW big_parcels AS SELECT * FROM parcels WHERE ST_MinX(geom) IS NOT NULL OR 1")
        conn.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) "
                     "VALUES ('big_parcels', 'features', 'big_parcels', 4549)")
        conn.execute("INSERT INTO gpkg_geometry_columns VALUES ('big_parcels', 'geom', 'POLYGON', 4549, 0, 0)")

    source = tmp_path / "views.gpkg"
    source.write_bytes(_geopackage(tmp_path, edit))
    plan = import_layer(source, "parcels", park=tiny_park,
                        options=ImportOptions(dry_run=True, mode="upsert", source_layer="big_parcels"))
    assert plan.report.records_read == 1 and plan.report.source_layer == "big_parcels"


def test_geojson_crs_by_name_and_odd_file_names_import(tmp_path, tiny_park):
    source = tmp_path / "a;b!c?d.geojson"
    source.write_bytes(_geojson('{"type":"name","properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}}'))
    plan = import_layer(source, "enterprises", park=tiny_park, options=ImportOptions(dry_run=True, mode="upsert"))
    assert plan.report.records_read == 1 and plan.report.driver == "GeoJSON"


def test_a_zip_named_otherwise_is_still_read_as_a_zip(tmp_path, tiny_park):
    source = tmp_path / "enterprises.dat.zip"
    source.write_bytes(_zip({"enterprises.geojson": _geojson()}))
    renamed = shutil.copy(source, tmp_path / "企业.geojson")
    for path in (source, Path(renamed)):
        plan = import_layer(path, "enterprises", park=tiny_park, options=ImportOptions(dry_run=True, mode="upsert"))
        assert plan.report.records_read == 1
