"""Messy files through the web preview → choice → confirm flow (issue 13 §5), on a real server over HTTP, signed in
as an editor, with the park compared before and after. The same files through the CLI: test_layers_io_messy.py."""

import re
from html import unescape

import pandas as pd
import pytest
from browser_helpers import serve
from io_samples import file_digest, shapefile_files, zip_files
from live_helpers import live_session
from messy_samples import (
    ambiguous_big5_shapefile,
    collapsing_pipeline_shapefile,
    constant_id_geojson,
    cr_only_csv,
    far_geojson,
    mixed_geojson,
    utf16_csv,
)

from layers.io.report import web_wording
from layers.store import GeoPackageStore

_TOKEN = re.compile(r"/import/([0-9a-f]{32})/(?:confirm|choose)")
#: Flags of the command line, which a web page never advises.
_FLAGS = re.compile(r"--(?:crs|encoding|source-layer|accept-damaged|accept-far|id-field|include-retired|mode)\b")


@pytest.fixture
def editor(auth_app, tmp_path):
    auth_app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    with serve(auth_app) as base_url, live_session(auth_app, base_url, "editor") as session:
        yield session


def _upload(session, path, layer="parcels", mode="append", **fields):
    with open(path, "rb") as handle:
        return session.post("/import", data={"layer": layer, "mode": mode, **fields},
                            files={"file": (path.name, handle)})


def _token(html: str) -> str:
    return _TOKEN.search(html).group(1)


def _parcels(park) -> pd.DataFrame:
    return GeoPackageStore(park.path).load("parcels").set_index("parcel_id")


def _no_flags(html: str) -> None:
    assert not _FLAGS.search(html), _FLAGS.search(html).group(0)


def test_unsure_encoding_shows_both_readings_and_the_choice_previews_again(tmp_path, editor, tiny_park):
    archive = zip_files(shapefile_files(ambiguous_big5_shapefile(tmp_path / "src")), tmp_path / "地块.zip")
    before = _parcels(tiny_park)

    preview = _upload(editor, archive)

    assert preview.status_code == 200, preview.text[:2000]
    html = preview.text
    section = html[html.index('id="import-encoding"'):html.index("</section>", html.index('id="import-encoding"'))]
    assert "io-check warn" in html[html.index('id="import-encoding"') - 40:html.index('id="import-encoding"')]
    assert "50.0 %" in section and "场 | 材 | 程" in section and "部 | 第 | 最" in section
    assert 'name="encoding" value="cp950"' in section
    _no_flags(html)
    token = _token(html)

    chosen = editor.post(f"/import/{token}/choose", data={"encoding": "cp950"})

    assert chosen.status_code == 200, chosen.text[:2000]
    assert _token(chosen.text) == token
    assert "<td>部</td>" in chosen.text and "<td>场</td>" not in chosen.text  # the records table, read as Big5
    assert "Big5（在上传页面填写）" in unescape(chosen.text)  # the encoding line, in Chinese on the zh page
    _no_flags(chosen.text)
    assert _parcels(tiny_park).equals(before)  # nothing written by previews

    done = editor.post(f"/import/{token}/confirm")

    assert done.status_code == 200, done.text[:2000]
    after = _parcels(tiny_park)
    assert after.loc[["B5-1", "B5-2", "B5-3"], "name"].tolist() == ["部", "第", "最"]
    assert after.drop(index=["B5-1", "B5-2", "B5-3"])[["name", "status"]].equals(before[["name", "status"]])


def test_bad_choices_answer_400_and_keep_the_upload(tmp_path, editor, tiny_park):
    archive = zip_files(shapefile_files(ambiguous_big5_shapefile(tmp_path / "src")), tmp_path / "a.zip")
    token = _token(_upload(editor, archive).text)
    reply = editor.post(f"/import/{token}/choose", data={"encoding": "Martian"})
    assert reply.status_code == 400 and "未知字符编码 &#39;Martian&#39;" in reply.text
    reply = editor.post(f"/import/{token}/choose", data={"id_field": "x" * 201})
    assert reply.status_code == 400 and "编号字段名过长（201 个字符，上限 200）" in reply.text
    assert editor.post(f"/import/{token}/choose", data={}).status_code == 400
    assert editor.post(f"/import/{'0' * 32}/choose", data={"encoding": "GBK"}).status_code == 404
    assert editor.post(f"/import/{token}/confirm").status_code == 200  # still waiting, and imports


def test_constant_id_column_offers_generated_ids_or_another_field(tmp_path, editor, tiny_park):
    source = constant_id_geojson(tmp_path / "plots.geojson", with_parcel_numbers=False)
    before = file_digest(tiny_park.path)

    preview = _upload(editor, source)

    assert preview.status_code == 200, preview.text[:2000]
    html = preview.text
    assert 'id="import-ids"' in html and "每一行都是同一个值（&#39;100&#39;）" in html  # why ID is no id, in Chinese
    assert '<option value="AUTO">' in html and '<option value="名称">' in html and '<option value="备注">' in html
    assert "AUTO-parcels-1" in html  # generated, shown in the records table
    _no_flags(html)
    token = _token(html)

    chosen = editor.post(f"/import/{token}/choose", data={"id_field": "备注"})

    assert chosen.status_code == 200, chosen.text[:2000]
    assert "全部记录 · 地块编号：按所选取源字段“备注”作编号" in chosen.text
    assert file_digest(tiny_park.path) == before
    assert editor.post(f"/import/{token}/confirm").status_code == 200
    after = _parcels(tiny_park)
    assert after.loc[["a", "b", "c"], "name"].tolist() == ["东一", "东二", "东三"]
    assert {"P1", "P2", "P3"} <= set(after.index) and not any(i.startswith("AUTO-") for i in after.index)


def test_upsert_refused_for_a_constant_id_keeps_the_upload_for_the_choice(tmp_path, editor, tiny_park):
    source = constant_id_geojson(tmp_path / "plots.geojson", with_parcel_numbers=False)
    before = file_digest(tiny_park.path)
    refused = _upload(editor, source, mode="upsert")
    assert refused.status_code == 400
    assert "请改选“替换”或“追加”，或选择存放编号的字段" in refused.text and 'id="import-confirm"' not in refused.text
    token = _token(refused.text)
    chosen = editor.post(f"/import/{token}/choose", data={"id_field": "名称"})
    assert chosen.status_code == 200, chosen.text[:2000]
    assert file_digest(tiny_park.path) == before
    assert editor.post(f"/import/{token}/confirm").status_code == 200
    assert {"东一", "东二", "东三"} <= set(_parcels(tiny_park).index)


def test_data_far_from_the_park_needs_the_checkbox(tmp_path, editor, tiny_park):
    source = far_geojson(tmp_path / "far.geojson", km=430)
    before = file_digest(tiny_park.path)

    preview = _upload(editor, source)

    assert preview.status_code == 200, preview.text[:2000]
    html = preview.text
    section = html[html.index('id="import-far"'):html.index("</section>", html.index('id="import-far"'))]
    assert "2 条记录距" in section and "430.0 km" in section and "10 km" in section
    assert "<td>第 1 行</td><td>430.0</td>" in section
    assert ('<input type="checkbox" name="accept_far" value="1" form="import-confirm-form" required'
            in section)
    _no_flags(html)
    token = _token(html)

    refused = editor.post(f"/import/{token}/confirm")

    assert refused.status_code == 400 and "这些记录属于本园区" in refused.text
    _no_flags(refused.text)
    assert file_digest(tiny_park.path) == before

    done = editor.post(f"/import/{token}/confirm", data={"accept_far": "1"})

    assert done.status_code == 200, done.text[:2000]
    assert "已按确认导入" in done.text  # "accepted, as confirmed", on the Chinese page
    assert {"FAR-1", "FAR-2"} <= set(_parcels(tiny_park).index)


def test_mixed_geometry_imports_the_polygons(tmp_path, editor, tiny_park):
    preview = _upload(editor, mixed_geojson(tmp_path / "osm.geojson"))
    assert preview.status_code == 200, preview.text[:2000]
    assert "第 2 行 · 图形：点，不是面：未导入（地块图层存放面）；这些记录请导入：设施" in preview.text
    assert "第 3 行 · 图形：线，不是面：未导入（地块图层存放面）；这些记录请导入：道路、管线" in preview.text
    assert editor.post(f"/import/{_token(preview.text)}/confirm").status_code == 200
    assert set(_parcels(tiny_park).index) == {"P1", "P2", "P3", "MX-1", "MX-4"}


@pytest.mark.parametrize("make", [cr_only_csv, lambda p: utf16_csv(p, bom=False)], ids=["cr-only", "utf16"])
def test_cr_only_and_utf16_csv(tmp_path, editor, tiny_park, make):
    preview = _upload(editor, make(tmp_path / "gates.csv"), layer="facilities")
    assert preview.status_code == 200, preview.text[:2000]
    assert "北门" in preview.text and "西门" in preview.text
    _no_flags(preview.text)  # the lon/lat CRS line says where to give gcj02 or bd09: the form's CRS field
    assert "请在坐标系一栏填写 gcj02 或 bd09" in unescape(preview.text)
    assert editor.post(f"/import/{_token(preview.text)}/confirm").status_code == 200
    facilities = GeoPackageStore(tiny_park.path).load("facilities").set_index("facility_id")
    assert facilities.loc[["F1", "G-N", "G-W"], "name"].tolist() == ["东门", "北门", "西门"]


def test_collapsed_part_is_shown_in_the_files_coordinates(tmp_path, editor, tiny_park):
    shp, (x, y) = collapsing_pipeline_shapefile(tmp_path / "src")
    archive = zip_files(shapefile_files(shp), tmp_path / "lines.zip")
    preview = _upload(editor, archive, layer="pipelines")
    assert preview.status_code == 200, preview.text[:2000]
    assert (f"已舍去（第一个位于源数据坐标 ({x:.3f}, {y:.3f})，EPSG:3826 TWD97 / TM2 zone 121）"
            in preview.text)  # "… dropped (the first at (x, y) in the source's coordinates (…))" on the Chinese page
    # Kaohsiung is ~680 km from the tiny park: flagged too, and imported with the checkbox.
    assert 'id="import-far"' in preview.text
    done = editor.post(f"/import/{_token(preview.text)}/confirm", data={"accept_far": "1"})
    assert done.status_code == 200, done.text[:2000]
    assert len(GeoPackageStore(tiny_park.path).load("pipelines")) == 1 + 59


def test_exports_leave_retired_records_out_unless_asked(editor, tiny_park):
    parcels = tiny_park.load("parcels")
    parcels.loc[parcels["parcel_id"] == "P3", "retired_on"] = pd.Timestamp("2026-03-01")
    tiny_park.save("parcels", parcels)
    page = editor.get("/export")
    assert page.status_code == 200 and "/export?retired=1" in page.text
    in_force = editor.get("/export/parcels.csv")
    assert in_force.status_code == 200
    assert in_force.content.decode("utf-8-sig").count("\n") == 1 + 2
    everything = editor.get("/export/parcels.csv?retired=1")
    assert everything.content.decode("utf-8-sig").count("\n") == 1 + 3
    assert "/export/parcels.gpkg?retired=1" in editor.get("/export?retired=1").text
    bad = editor.get("/export/parcels.csv?retired=maybe")
    assert bad.status_code == 400 and "retired" in bad.text
    _no_flags(page.text)


def test_web_advice_never_names_a_flag():
    assert web_wording("choose one with --source-layer") == "choose one in the upload form's source layer / sheet field"
    assert web_wording("repeat with --accept-damaged") == "upload it again with 'skip damaged records' ticked"
    assert web_wording("use --mode upsert to update it") == "choose the mode 'upsert' on the upload form to update it"
    assert web_wording("refused; repeat with --accept-far") == \
        "refused; repeat with the preview's checkbox for records far from the park"
    assert web_wording("or give --id-field") == "or give the preview's choice of id field"
    assert web_wording("no flags here - none") == "no flags here - none"


def test_choices_are_an_editors_and_the_uploaders_own(tmp_path, auth_app, tiny_park):
    auth_app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    source = constant_id_geojson(tmp_path / "plots.geojson", with_parcel_numbers=False)
    with serve(auth_app) as base_url, live_session(auth_app, base_url, "editor") as editor, \
            live_session(auth_app, base_url, "viewer") as viewer, \
            live_session(auth_app, base_url, "editor", username="other-editor") as other:
        token = _token(_upload(editor, source).text)
        assert viewer.post(f"/import/{token}/choose", data={"id_field": "AUTO"}).status_code == 403
        assert other.post(f"/import/{token}/choose", data={"id_field": "AUTO"}).status_code == 404
        assert editor.post(f"/import/{token}/choose", data={"id_field": "AUTO"}).status_code == 200
