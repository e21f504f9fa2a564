"""The upload page, preview, confirm and cancel; hostile uploads answer 400; export downloads."""

import html
import io
import json
import zipfile

import pytest
from io_samples import (
    PHONE_KML,
    file_digest,
    gbk_shapefile,
    mixed_geometry_geojson,
    points_geojson,
    shapefile_files,
    zip_bomb,
    zip_files,
    zip_slip,
)

from layers.io.archive import archive_folder_for
from layers.store import GeoPackageStore


@pytest.fixture
def upload_dir(tiny_app, tmp_path):
    folder = tmp_path / "uploads"
    tiny_app.config["UPLOAD_DIR"] = str(folder)
    return folder


def _post(client, path, layer="parcels", *, mode="upsert", fmt=None, **fields):
    data = {"layer": layer, "mode": mode, "file": (io.BytesIO(path.read_bytes()), path.name), **fields}
    url = "/import" + ("?format=json" if fmt == "json" else "")
    return client.post(url, data=data, content_type="multipart/form-data")


def _token(html: str) -> str:
    start = html.index("/import/") + len("/import/")
    return html[start:start + 32]


def test_upload_form_in_both_languages(tiny_client):
    page = tiny_client.get("/import")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for name in ('name="layer"', 'name="file"', 'name="crs"', 'name="encoding"', 'name="mapping"', 'name="mode"',
                 'name="source_layer"', "导入数据", 'value="upsert"'):
        assert name in text
    assert "Import data" in tiny_client.get("/import?lang=en").get_data(as_text=True)


def test_preview_then_confirm(tmp_path, tiny_client, tiny_park, upload_dir):
    archive = zip_files(shapefile_files(gbk_shapefile(tmp_path / "src")), tmp_path / "宗地.zip")
    before = file_digest(tiny_park.path)

    preview = _post(tiny_client, archive)

    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert "已检查（预览，尚未写入）" in html
    assert "GB18030" in html and "EPSG:4528" in html
    assert "一号地块（东区）" in html  # the records table
    assert '<div class="folium-map parkatlas-map"' in html and "cdn" not in html.lower()  # the local Leaflet map
    assert file_digest(tiny_park.path) == before
    token = _token(html[html.index('id="import-confirm"') - 400:])
    assert (upload_dir / token).is_dir()
    # The sample lies 126 km from the tiny park: flagged, and the confirmation needs the checkbox.
    assert 'id="import-far"' in html and "125.7–126.1 km" in html and 'name="accept_far"' in html
    refused = tiny_client.post(f"/import/{token}/confirm")
    assert refused.status_code == 400 and "这些记录属于本园区" in refused.get_data(as_text=True)
    assert (upload_dir / token).is_dir() and file_digest(tiny_park.path) == before  # still waiting, unchanged

    done = tiny_client.post(f"/import/{token}/confirm", data={"accept_far": "1"})

    assert done.status_code == 200
    assert "已导入" in done.get_data(as_text=True)
    assert {"ZD-001", "ZD-002", "ZD-003"} <= set(GeoPackageStore(tiny_park.path).load("parcels")["parcel_id"])
    assert (archive_folder_for(tiny_park.path) / "index.jsonl").is_file()
    assert not (upload_dir / token).exists()


def test_json_twin_and_cancel(tmp_path, tiny_client, tiny_park, upload_dir):
    reply = _post(tiny_client, gbk_shapefile(tmp_path / "src").with_suffix(".dbf"), "units", fmt="json")
    assert reply.status_code == 400  # a .dbf of parcels is no units table: rejected, as JSON
    body = reply.get_json()
    assert body["ok"] is False and body["problems"]

    archive = zip_files(shapefile_files(gbk_shapefile(tmp_path / "src2")), tmp_path / "p.zip")
    reply = _post(tiny_client, archive, fmt="json")
    assert reply.status_code == 200
    body = reply.get_json()
    assert body["ok"] and body["counts"] == {"added": 3} and len(body["token"]) == 32
    cancelled = tiny_client.post(f"/import/{body['token']}/cancel")
    assert cancelled.status_code == 302
    assert not (upload_dir / body["token"]).exists()
    again = tiny_client.post(f"/import/{body['token']}/confirm?format=json")
    assert again.status_code == 409 and "已取消" in again.get_json()["error"]["message"]  # spent: not imported


@pytest.mark.parametrize("make, message", [
    (lambda p: zip_slip(p / "slip.zip"), "会被解压到目标文件夹之外（zip-slip）；已拒绝"),
    (lambda p: zip_bomb(p / "bomb.zip", megabytes=4), "超过允许的 200 倍（压缩炸弹 zip bomb）；已拒绝"),
    (lambda p: points_geojson(p / "points.geojson"), "源数据中没有面（只有 2 个点）：地块图层存放面；这些记录适合导入：设施"),
    (lambda p: (p / "x.gpkg").write_bytes(b"GIF89a not a package") and p / "x.gpkg",
     "x.gpkg 不是 GeoPackage 文件：其内容是纯文本（开头字节 474946383961206e）"),
])
def test_hostile_uploads_answer_400_with_the_report(tmp_path, tiny_client, tiny_park, upload_dir, make, message):
    before = file_digest(tiny_park.path)
    reply = _post(tiny_client, make(tmp_path))
    assert reply.status_code == 400
    html = reply.get_data(as_text=True)
    assert message in html and "园区数据未作任何修改" in html
    assert file_digest(tiny_park.path) == before
    assert not archive_folder_for(tiny_park.path).exists()
    assert not upload_dir.exists() or not any(upload_dir.iterdir())


def test_bad_form_input_answers_400(tmp_path, tiny_client, upload_dir):
    source = mixed_geometry_geojson(tmp_path / "m.geojson")
    assert _post(tiny_client, source, "plots").status_code == 400
    assert _post(tiny_client, source, mode="merge").status_code == 400
    no_file = tiny_client.post("/import", data={"layer": "parcels"}, content_type="multipart/form-data")
    assert no_file.status_code == 400
    assert tiny_client.post("/import/../../etc/confirm").status_code in (400, 404, 405)
    assert tiny_client.post("/import/" + "0" * 32 + "/confirm").status_code == 404
    assert tiny_client.post("/import/not-a-token/cancel").status_code == 404


def test_upload_larger_than_the_limit_is_refused_without_500(tmp_path, tiny_app, upload_dir):
    tiny_app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    source = tmp_path / "big.geojson"
    source.write_bytes(b"{" + b" " * 200_000 + b"}")
    reply = _post(tiny_app.test_client(), source)
    assert reply.status_code in (400, 413)


def test_user_text_is_escaped_in_the_preview(tmp_path, tiny_client, upload_dir):
    kml = tmp_path / "x.kml"
    # In the KML the markup is escaped text, so the placemark's name *is* "<script>alert(1)</script>".
    kml.write_text(PHONE_KML.replace("东门地块", "&lt;script&gt;alert(1)&lt;/script&gt;"), encoding="utf-8")
    reply = _post(tiny_client, kml, mode="append")
    html = reply.get_data(as_text=True)
    assert reply.status_code == 200
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_mapping_file_upload(tmp_path, tiny_client, tiny_park, upload_dir):
    shp = gbk_shapefile(tmp_path / "src")
    archive = zip_files(shapefile_files(shp), tmp_path / "p.zip")
    mapping = "fields:\n  地块名称: null\ndefaults:\n  status: planned\n".encode()
    reply = tiny_client.post("/import?format=json", data={
        "layer": "parcels", "mode": "upsert", "file": (io.BytesIO(archive.read_bytes()), "p.zip"),
        "mapping": (io.BytesIO(mapping), "m.yaml")}, content_type="multipart/form-data")
    body = reply.get_json()
    assert reply.status_code == 200, body
    assert "地块名称" not in body["mapping"]
    assert any(n["field"] == "status" and "default 'planned'" in n["message"] for n in body["notices"])


def test_unexpected_failures_are_400_not_500(tmp_path, tiny_client, upload_dir, monkeypatch):
    import web.imports

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(web.imports, "import_layer", explode)
    reply = _post(tiny_client, mixed_geometry_geojson(tmp_path / "m.geojson"))
    assert reply.status_code == 400
    assert "无法处理上传的文件（RuntimeError）" in reply.get_data(as_text=True)  # the Chinese page says it in Chinese


# -- exports -------------------------------------------------------------------------------------------------


def test_export_page_lists_every_layer_with_its_formats(tiny_client):
    html = tiny_client.get("/export").get_data(as_text=True)
    assert "/export/parcels.shp" in html and "/export/parcels.geojson" in html
    assert "/export/units.csv" in html and "/export/units.kml" not in html


@pytest.mark.parametrize(("fmt", "media", "name"), [
    ("gpkg", "application/geopackage+sqlite3", "parcels.gpkg"),
    ("geojson", "application/geo+json", "parcels.geojson"),
    ("shp", "application/zip", "parcels.shp.zip"),
    ("kml", "application/vnd.google-earth.kml+xml", "parcels.kml"),
    ("csv", "text/csv; charset=utf-8", "parcels.csv"),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "parcels.xlsx"),
])
def test_downloads(tiny_client, fmt, media, name):
    reply = tiny_client.get(f"/export/parcels.{fmt}")
    assert reply.status_code == 200
    assert reply.headers["Content-Type"].split(";")[0] == media.split(";")[0]
    assert name in reply.headers["Content-Disposition"]
    data = reply.get_data()
    if fmt == "geojson":
        assert len(json.loads(data)["features"]) == 3
    if fmt == "shp":
        assert "parcels.fields.csv" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    if fmt == "csv":
        assert data.decode("utf-8-sig").startswith("地块编号,名称")


def test_bad_downloads(tiny_client):
    assert tiny_client.get("/export/parcels.dwg").status_code == 400
    assert tiny_client.get("/export/plots.gpkg").status_code == 404
    assert tiny_client.get("/export/units.kml").status_code == 400


def test_with_accounts_viewers_download_and_editors_import(tmp_path, auth_app, viewer_client, editor_client,
                                                           tiny_park):
    auth_app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    assert viewer_client.get("/import").status_code == 200
    assert viewer_client.get("/export/parcels.geojson").status_code == 200
    source = mixed_geometry_geojson(tmp_path / "m.geojson")
    assert _post(viewer_client, source).status_code == 403  # importing changes data: editors only
    form = editor_client.get("/import").get_data(as_text=True)
    assert 'name="csrf_token"' in form  # the form carries the token for browsers
    archive = zip_files(shapefile_files(gbk_shapefile(tmp_path / "src")), tmp_path / "p.zip")
    reply = _post(editor_client, archive)
    assert reply.status_code == 200
    html = reply.get_data(as_text=True)
    token = _token(html[html.index('id="import-confirm"') - 400:])
    assert editor_client.post(f"/import/{token}/confirm", data={"accept_far": "1"}).status_code == 200
    assert "ZD-001" in set(GeoPackageStore(tiny_park.path).load("parcels")["parcel_id"])
    log = GeoPackageStore(tiny_park.path).load("audit_events")  # saved through the audited store
    assert {"ZD-001", "ZD-002", "ZD-003"} <= set(log.loc[log["layer"] == "parcels", "record_id"])


def _bad_status_geojson(path):
    """One parcel (lon/lat) whose status is no status: the import is refused on that record and field."""
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"parcel_id": "X1", "status": "almost_done"},
        "geometry": {"type": "Polygon", "coordinates": [[[120.0, 30.0], [120.001, 30.0], [120.001, 30.001],
                                                         [120.0, 30.001], [120.0, 30.0]]]}}]}), encoding="utf-8")
    return path


@pytest.mark.parametrize(("lang", "line"), [
    ("zh", "第 1 行（地块编号 X1） · 状态：不是允许的代码；允许：planned, approved_unsupplied, supplied, "
           "under_construction, completed, operating, reclaimed（收到 'almost_done'）"),
    ("en", "row 1 (parcel_id=X1) · status: unknown value; allowed: planned, approved_unsupplied, supplied, "
           "under_construction, completed, operating, reclaimed (got 'almost_done')"),
])
def test_a_refused_import_says_file_record_field_and_value_in_the_ui_language(tmp_path, tiny_client, upload_dir,
                                                                              lang, line):
    source = _bad_status_geojson(tmp_path / "bad.geojson")
    data = {"layer": "parcels", "mode": "upsert", "file": (io.BytesIO(source.read_bytes()), source.name)}
    reply = tiny_client.post(f"/import?lang={lang}", data=data, content_type="multipart/form-data")
    assert reply.status_code == 400
    page = html.unescape(reply.get_data(as_text=True))
    assert f"<li>{line}</li>" in page and "<strong>bad.geojson</strong>" in page
    assert "--crs" not in page


def test_web_messages_never_advise_a_flag():
    """The web's wording of a CLI message: the form's field in both languages, the flag nowhere."""
    from layers.io.report import message_for_web

    cli = "the layer has no CRS; give the source CRS (for import: --crs EPSG:…)"
    assert message_for_web(cli, "zh") == "源数据没有坐标系：请在上传表单的“坐标系”一栏填写（如 EPSG:4528）"
    assert message_for_web(cli, "en") == "the layer has no CRS; give the source CRS (on the upload form's CRS field: EPSG:…)"


def test_the_chinese_catalogue_names_form_fields_never_flags():
    """Every Chinese text of the catalogue is in the page's terms: no command-line flag; unknown kinds stay None."""
    from layers.import_text import ZH_PATTERNS, chinese, record_in

    assert [zh for _, zh in ZH_PATTERNS if isinstance(zh, str) and "--" in zh] == []
    assert chinese("something the catalogue has never seen") is None
    assert chinese("expected a whole number ≥ 1900 and ≤ 2100") == "应为整数 ≥ 1900 且 ≤ 2100"
    assert record_in("row 7 (parcel_id=P-001)") == "第 7 行（地块编号 P-001）"
    assert record_in("row 7 (parcel_id=P-001)", "en") == "row 7 (parcel_id=P-001)"


@pytest.mark.parametrize(("extent", "zh"), [
    (None, "a.shp：没有可用的坐标，无法判断坐标系：请在上传表单的“坐标系”一栏填写"),
    ((500000, 3300000, 501000, 3301000, (), ()),
     "a.shp：文件没有坐标系，坐标（x 500,000 … 501,000, y 3.3e+06 … 3.301e+06）像是不带带号的高斯-克吕格或 UTM 坐标，"
     "看不出中央经线：请在上传表单的“坐标系”一栏填写，如 CGCS2000 3° 带中央经线 120°E 为 EPSG:4549"
     "（EPSG = 4534 + (中央经线 − 75) / 3）"),
    ((40500000, 3300000, 41500000, 3301000, (40, 41), ()),
     "a.shp：东坐标带有多个带号（40, 41），一个文件只能在一个投影带内：请拆分文件，或在上传表单的“坐标系”一栏填写"),
])
def test_crs_refusals_in_chinese_name_the_form_field(extent, zh):
    """The CLI's CRS refusals (which advise --crs) read, in Chinese, as the upload form's 坐标系 field."""
    from layers.import_text import chinese
    from layers.io import crs_detect

    with pytest.raises(crs_detect.CrsError) as refused:
        crs_detect.infer_crs(None if extent is None else crs_detect.Extent(*extent), source="a.shp")
    assert "--crs" in str(refused.value) and chinese(str(refused.value)) == zh


# -- a Shapefile's files chosen together in the file dialog ------------------------------------------------------


def _post_files(client, paths, layer="parcels", *, mode="upsert", **fields):
    files = [(io.BytesIO(p.read_bytes()), p.name) for p in paths]
    return client.post("/import", data={"layer": layer, "mode": mode, "file": files, **fields},
                       content_type="multipart/form-data")


def test_a_shapefiles_files_chosen_together_are_previewed_and_imported(tmp_path, tiny_client, tiny_park, upload_dir):
    parts = shapefile_files(gbk_shapefile(tmp_path / "src"))
    assert {p.suffix for p in parts} == {".shp", ".shx", ".dbf", ".prj"}
    preview = _post_files(tiny_client, parts)
    assert preview.status_code == 200, preview.get_data(as_text=True)[:500]
    page = preview.get_data(as_text=True)
    assert "一号地块（东区）" in page and "GB18030" in page and "EPSG:4528" in page
    # Named by the file read and said of the files chosen: the zip below is the server's, not the user's.
    assert "<strong>地块.shp</strong>" in page and "所选文件中读取了 地块.shp 的 4 个文件" in page
    assert "地块.zip" not in page and "已解压" not in page
    token = _token(page[page.index('id="import-confirm"') - 400:])
    # Kept as one stored zip of the four files, under their own names.
    with zipfile.ZipFile(upload_dir / token / "地块.zip") as bundle:
        assert sorted(bundle.namelist()) == sorted(p.name for p in parts)
        assert {info.compress_type for info in bundle.infolist()} == {zipfile.ZIP_STORED}
    done = tiny_client.post(f"/import/{token}/confirm", data={"accept_far": "1"})
    assert done.status_code == 200
    assert {"ZD-001", "ZD-002", "ZD-003"} <= set(GeoPackageStore(tiny_park.path).load("parcels")["parcel_id"])


def test_the_shp_chosen_alone_is_told_to_choose_its_other_files(tmp_path, tiny_client, upload_dir):
    shp = gbk_shapefile(tmp_path / "src")
    refused = _post_files(tiny_client, [shp])
    assert refused.status_code == 400
    assert "地块.dbf" in html.unescape(refused.get_data(as_text=True))
    english = tiny_client.post("/import?lang=en", data={"layer": "parcels", "mode": "upsert",
                                                       "file": [(io.BytesIO(shp.read_bytes()), shp.name)]},
                               content_type="multipart/form-data")
    assert "choose all of its files together in the upload form's file field (or a zip of them)" in \
        html.unescape(english.get_data(as_text=True))
    assert list(upload_dir.iterdir()) == [] if upload_dir.exists() else True


def test_two_shapefiles_chosen_together_read_the_one_named_like_the_layer_and_say_the_other(tmp_path, tiny_client,
                                                                                             upload_dir):
    parts = shapefile_files(gbk_shapefile(tmp_path / "a", name="宗地")) + \
        shapefile_files(gbk_shapefile(tmp_path / "b", name="parcels"))
    reply = _post_files(tiny_client, parts)
    text = html.unescape(reply.get_data(as_text=True))
    assert reply.status_code == 200
    # (the zip's choice: the dataset named like the layer), said of the files chosen, not of a zip the user never made
    assert "所选文件中读取了 parcels.shp 的 4 个文件" in text and "已解压" not in text and "宗地.zip" not in text
    assert "未读取（不属于所读取的数据集）：宗地.dbf、宗地.prj、宗地.shp、宗地.shx" in text  # left out, and said


def test_files_chosen_together_share_the_size_limit_and_their_number_is_bounded(tmp_path, tiny_app, upload_dir):
    from layers.io.uploads import MAX_UPLOAD_PARTS, SourceError, UploadStore

    store = UploadStore(upload_dir)
    half = [(io.BytesIO(b"x" * 600), "a.shp"), (io.BytesIO(b"y" * 600), "a.dbf")]
    with pytest.raises(SourceError, match="a.dbf: more than the 1,000 bytes accepted"):
        store.save_files(half, {}, limit_bytes=1000, uploader="u")
    assert not upload_dir.exists() or list(upload_dir.iterdir()) == []  # nothing half-written is left
    many = [(io.BytesIO(b"x"), f"p{i}.csv") for i in range(MAX_UPLOAD_PARTS + 1)]
    with pytest.raises(SourceError, match=f"{MAX_UPLOAD_PARTS + 1} files in one upload; at most {MAX_UPLOAD_PARTS}"):
        store.save_files(many, {}, limit_bytes=10**6, uploader="u")
    # The same name twice (two folders' 地块.dbf) is kept twice, the second renamed; a path is cut to its name.
    token = store.save_files([(io.BytesIO(b"1"), "地块.shp"), (io.BytesIO(b"2"), "x/../地块.shp")], {},
                             limit_bytes=10**6, uploader="u")
    with zipfile.ZipFile(upload_dir / token / "地块.zip") as bundle:
        assert bundle.namelist() == ["地块.shp", "地块-2.shp"]
