"""The history pages as a planner reads them (issue 17 §7): one row per field changed with the undo on it,
times in the park's time zone, an empty history saying so, names instead of codes."""

from __future__ import annotations

import re

from tests.test_web_edit import item, version_of


def edit(client, record_id, values):
    version, fp = version_of(client, "parcels", record_id)
    response = client.post(f"/edit/parcels/{record_id}", data={**values, "version": version, "fingerprint": fp})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]


def rows(page):
    return re.findall(r'<tr data-change="([^"]+)" data-seq="(\d+)">(.*?)</tr>', page, flags=re.S)


def test_a_one_field_edit_is_one_row_with_its_undo_which_restores_the_value(editor_client):
    edit(editor_client, "P1", {"name": "错名"})
    logged = editor_client.get("/history/?format=json&bookkeeping=1").get_json()["events"]
    assert sorted(e["field"] for e in logged) == ["last_updated", "name"]  # bookkeeping stays recorded
    events = editor_client.get("/history/?format=json").get_json()["events"]
    assert [(e["field"], e["old_value"], e["new_value"]) for e in events] == [("name", "一号地块 <b>", "错名")]
    page = editor_client.get("/history/").get_data(as_text=True)
    shown = rows(page)
    assert len(shown) == 1 and "名称" in shown[0][2] and "最后更新" not in page
    change_id = shown[0][0]
    assert f"/history/undo/{change_id}" in shown[0][2]  # the button sits on the change itself
    assert editor_client.post(f"/history/undo/{change_id}", data={"reason": "录错"}).status_code == 303
    assert item(editor_client, "parcels", "P1")["name"] == "一号地块 <b>"
    after = rows(editor_client.get("/history/").get_data(as_text=True))
    assert len(after) == 2  # the undo, one row, and the change it undid


def test_a_two_field_edit_is_two_rows_one_undo(editor_client):
    edit(editor_client, "P2", {"name": "二号（新）", "land_price_wan": "650"})
    page = editor_client.get("/history/record/parcels/P2").get_data(as_text=True)
    shown = rows(page)
    assert len(shown) == 2 and len({c for c, _, _ in shown}) == 1
    assert page.count("/history/undo/") == 1


def test_moment_text_in_the_parks_zone():
    from geo import audit_log
    from geo.formats import format_moment

    # 06:10:29.182715 UTC is 14:10:29 in Shanghai (UTC+8, no summer time); 16:30 UTC is already the next day.
    assert format_moment("2026-12-06T06:10:29.182715Z", "Asia/Shanghai", "zh") == "2026年12月6日 14:10:29"
    assert format_moment("2026-12-06T06:10:29.182715Z", "Asia/Shanghai", "en") == \
        "2026-12-06 14:10:29 (UTC+8)"
    assert format_moment("2026-12-06T16:30:00.000000Z", "Asia/Shanghai", "zh") == "2026年12月7日 00:30:00"
    assert format_moment("2026-12-06T16:30:00.000000Z", "UTC", "en") == "2026-12-06 16:30:00 (UTC+0)"
    assert format_moment("2026-07-01T12:00:00Z", "Asia/Kolkata", "en") == "2026-07-01 17:30:00 (UTC+5:30)"
    assert audit_log.moment_iso("2026-12-06T06:10:29.182715Z", "Asia/Shanghai") == "2026-12-06T14:10:29.182715+08:00"


def test_history_pages_show_times_in_the_parks_zone_never_raw_iso(editor_client):
    edit(editor_client, "P1", {"name": "新名"})
    logged = editor_client.get("/history/?format=json").get_json()["events"][0]
    assert logged["at"].endswith("+08:00")  # the JSON twin: ISO with the zone's offset
    import datetime as dt

    local = dt.datetime.fromisoformat(logged["at"])
    expected = f"{local.year}年{local.month}月{local.day}日 {local:%H:%M:%S}"
    for path in ("/history/", "/history/record/parcels/P1", "/history/user/editor1"):
        page = editor_client.get(path).get_data(as_text=True)
        assert expected in page, path
        shown = re.sub(r'<time datetime="[^"]*">', "", page)
        assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z", shown), path
    english = editor_client.get("/history/?lang=en").get_data(as_text=True)
    assert f"{local:%Y-%m-%d %H:%M:%S} (UTC+8)" in english


def test_an_empty_history_says_so_in_both_languages(editor_client):
    page = editor_client.get("/history/").get_data(as_text=True)
    assert "暂无记录" in page and "<table class=\"table events\">" not in page
    assert "No records yet" in editor_client.get("/history/?lang=en").get_data(as_text=True)
    assert "暂无记录" in editor_client.get("/history/user/nobody?lang=zh").get_data(as_text=True)


def test_the_layer_filter_and_the_rows_name_layers_actions_fields_and_codes(editor_client):
    page = editor_client.get("/history/").get_data(as_text=True)
    assert '<option value="parcels" >地块</option>' in page and ">parcels<" not in page
    edit(editor_client, "P1", {"status": "under_construction"})
    page = editor_client.get("/history/").get_data(as_text=True)
    row = rows(page)[0][2]
    assert "修改属性" in row and "<td>状态</td>" in row
    assert '<td class="new"><span title="under_construction">在建</span></td>' in row  # the code on hover
    assert '<td class="old"><span title="operating">已投产</span></td>' in row and "(under_construction)" not in row


def test_the_editor_picks_land_use_and_enterprise_by_name(editor_client):
    page = editor_client.get("/edit/parcels/P1?lang=zh").get_data(as_text=True)
    land_use = re.search(r'<select name="land_use">(.*?)</select>', page, flags=re.S).group(1)
    assert '<option value="1001" ' in land_use and "工业用地 (1001)" in land_use
    assert "二类工业用地 (100102)" in land_use
    firm = re.search(r'<select name="enterprise_id">(.*?)</select>', page, flags=re.S).group(1)
    assert '<option value="E1" selected>甲公司 (E1)</option>' in firm and "乙公司 (E2)" in firm
    assert '<input name="enterprise_id"' not in page
    edit(editor_client, "P1", {"land_use": "100102"})
    assert item(editor_client, "parcels", "P1")["land_use"] == "100102"
    row = rows(editor_client.get("/history/").get_data(as_text=True))[0][2]
    assert '<span title="100102">二类工业用地</span>' in row and "<td>用地性质</td>" in row



def test_the_log_workbook_reads_in_the_ui_language_with_park_time_cells(editor_client):
    import datetime as dt
    import io

    import openpyxl

    edit(editor_client, "P1", {"status": "under_construction"})
    logged = editor_client.get("/history/?format=json").get_json()["events"][0]
    local = dt.datetime.fromisoformat(logged["at"]).replace(tzinfo=None, microsecond=0)
    book = openpyxl.load_workbook(io.BytesIO(editor_client.get("/history/export.xlsx?lang=zh").get_data()))
    assert book.sheetnames == ["说明", "变更记录"]
    sheet = book["变更记录"]
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["序号", "时间（Asia/Shanghai）", "用户", "操作"] and "last_updated" not in str(header)
    row = [c.value for c in sheet[2]]
    assert sheet.max_row == 2  # one row: the status; last_updated folded in
    assert row[1] == local and sheet.cell(2, 2).is_date
    assert row[3] == "修改属性" and row[4] == "地块" and row[6] == "状态"
    assert row[7] == "已投产 (operating)"
    assert row[8] == "在建 (under_construction)"
    english = openpyxl.load_workbook(io.BytesIO(editor_client.get("/history/export.xlsx?lang=en").get_data()))
    assert [c.value for c in english["Change history"][1]][:2] == ["No.", "Time (Asia/Shanghai)"]
    assert english["Change history"].cell(2, 9).value == "Under construction (under_construction)"


def test_a_current_land_use_sub_code_not_listed_stays_selectable(tiny_park, tmp_path):
    from auth_helpers import auth_config, signed_in

    from app import create_app

    parcels = tiny_park.load("parcels")
    parcels["land_use"] = parcels["land_use"].astype(object)
    parcels.loc[parcels["parcel_id"] == "P1", "land_use"] = "100199"
    tiny_park.save("parcels", parcels)
    client = signed_in(create_app(auth_config(tiny_park.path, tmp_path / "accounts.sqlite")), "editor")
    page = client.get("/edit/parcels/P1?lang=zh").get_data(as_text=True)
    land_use = re.search(r'<select name="land_use">(.*?)</select>', page, flags=re.S).group(1)
    assert '<option value="100199" selected>工业用地 (100199)</option>' in land_use and "工业用地 (1001)" in land_use


def test_as_known_on_names_its_time_and_its_codes(editor_client):
    page = editor_client.get("/history/as-known-on/parcels?at=2026-06-30T06:10:29Z&lang=zh").get_data(as_text=True)
    assert "2026年6月30日 14:10:29" in page and '<span title="operating">已投产</span>' in page
    assert '<span title="E1">甲公司</span>' in page and "(operating)" not in page
    day = editor_client.get("/history/as-known-on/parcels?at=2026-06-30&lang=zh").get_data(as_text=True)
    assert "2026年6月30日" in day
