"""Editing through the web: forms, JSON, conflicts (409), geometry, split, merge, leases, cases, undo, history."""

from __future__ import annotations

import re

import shapely
from auth_helpers import signed_in

from tests.conftest import X0, Y0


def version_of(client, layer, record_id):
    page = client.get(f"/edit/{layer}/{record_id}").get_data(as_text=True)
    return (int(re.search(r'name="version" value="(\d+)"', page).group(1)),
            re.search(r'name="fingerprint" value="([0-9a-f]+)"', page).group(1))


def item(client, layer, record_id):
    return client.get(f"/api/collections/{layer}/items/{record_id}").get_json()["properties"]


def lonlat(points):
    """Working-CRS offsets from the tiny park's origin → lon/lat pairs for GeoJSON."""
    import geopandas as gpd

    line = gpd.GeoSeries([shapely.LineString([(X0 + x, Y0 + y) for x, y in points])], crs=4549).to_crs(4326)
    return [list(xy) for xy in line.iloc[0].coords]


def test_the_form_is_generated_from_the_registry_in_chinese(editor_client):
    page = editor_client.get("/edit/parcels/P1").get_data(as_text=True)
    assert "土地出让价款" in page or "出让价款" in page or "land_price_wan" in page
    assert '<select name="status">' in page and "运营" in page or "投产" in page
    assert 'name="previously_part_of"' in page and 'name="last_updated"' not in page
    assert "一号地块 &lt;b&gt;" in page and "一号地块 <b>" not in page


def test_the_layer_list_names_layers_by_their_names_in_chinese_and_adds_their_codes_in_english(editor_client):
    zh = editor_client.get("/edit/?lang=zh").get_data(as_text=True)
    en = editor_client.get("/edit/?lang=en").get_data(as_text=True)
    assert "企业年度数据</a>" in zh and "<code>enterprise_years</code>" not in zh
    assert "<code>enterprise_years</code>" in en


def test_an_edit_is_saved_with_its_audit_event(editor_client):
    version, fp = version_of(editor_client, "parcels", "P1")
    response = editor_client.post("/edit/parcels/P1", data={"name": "一号地块（更名）", "land_price_wan": "320",
                                                            "version": version, "fingerprint": fp,
                                                            "reason": "合同变更"})
    assert response.status_code == 303 and response.location == "/edit/parcels/P1"
    assert item(editor_client, "parcels", "P1")["name"] == "一号地块（更名）"
    events = editor_client.get("/history/?format=json&record_id=P1").get_json()["events"]
    named = [e for e in events if e["field"] == "name"][0]
    assert (named["user"], named["old_value"], named["new_value"], named["reason"]) == (
        "editor1", "一号地块 <b>", "一号地块（更名）", "合同变更")
    assert version_of(editor_client, "parcels", "P1")[0] == version + 1


def test_a_stale_edit_is_refused_with_the_other_users_change(auth_app):
    alice = signed_in(auth_app, "editor", username="alice")
    bob = signed_in(auth_app, "editor", username="bob")
    version, fp = version_of(alice, "parcels", "P2")  # both open the form
    assert version_of(bob, "parcels", "P2") == (version, fp)
    assert bob.post("/edit/parcels/P2", data={"land_price_wan": "700", "version": version,
                                              "fingerprint": fp}).status_code == 303
    stale = alice.post("/edit/parcels/P2", data={"name": "alice's name", "land_price_wan": "600",
                                                 "version": version, "fingerprint": fp})
    assert stale.status_code == 409
    page = stale.get_data(as_text=True)
    assert "bob" in page and "700.0" in page and "修改冲突" in page
    assert item(alice, "parcels", "P2")["land_price_wan"] == 700.0  # bob's change stands
    assert item(alice, "parcels", "P2")["name"] == "二号地块"  # nothing of alice's was written
    json_stale = alice.post("/edit/parcels/P2", json={"values": {"name": "x"}, "version": version})
    assert json_stale.status_code == 409
    changes = json_stale.get_json()["error"]["changes"]
    assert {c["user"] for c in changes} == {"bob"}


def test_json_edits_need_a_version(editor_client):
    response = editor_client.post("/edit/parcels/P1", json={"values": {"name": "x"}})
    assert response.status_code == 400 and "version" in response.get_json()["error"]["message"]


def test_invalid_values_are_shown_on_the_form_and_nothing_is_saved(editor_client):
    version, fp = version_of(editor_client, "parcels", "P1")
    response = editor_client.post("/edit/parcels/P1", data={"land_price_wan": "三百", "status": "sold",
                                                            "version": version, "fingerprint": fp})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "不是允许的代码；允许：planned" in page and "（收到 sold）" in page  # in the page's language
    assert '<li><span title="land_price_wan">土地价款</span>：应为数值 ≥ 0（收到 三百）</li>' in page
    english = editor_client.post("/edit/parcels/P1?lang=en", data={"land_price_wan": "三百", "version": version,
                                                                   "fingerprint": fp}).get_data(as_text=True)
    assert "expected a number" in english and "(三百)" in english
    assert item(editor_client, "parcels", "P1")["land_price_wan"] == 300.0
    as_json = editor_client.post("/edit/parcels/P1", json={"values": {"land_price_wan": "-1"}, "version": version})
    assert as_json.status_code == 400
    assert as_json.get_json()["error"]["problems"][0]["field"] == "land_price_wan"


def test_geometry_edit_split_merge_and_lineage(editor_client):
    version, fp = version_of(editor_client, "parcels", "P3")
    square = {"type": "Polygon", "coordinates": [lonlat([(0, 100), (150, 100), (150, 200), (0, 200), (0, 100)])]}
    moved = editor_client.post("/edit/parcels/P3/geometry", json={"geometry": square, "version": version,
                                                                   "fingerprint": fp})
    assert moved.status_code == 200, moved.get_data(as_text=True)
    split_line = {"type": "LineString", "coordinates": lonlat([(200, -10), (200, 110)])}
    version, fp = version_of(editor_client, "parcels", "P2")
    split = editor_client.post("/edit/parcels/P2/split", json={"geometry": split_line, "version": version,
                                                                "fingerprint": fp, "reason": "分宗"})
    assert split.status_code == 200, split.get_data(as_text=True)
    assert split.get_json()["parcels"] == ["P2-1", "P2-2"]
    assert item(editor_client, "parcels", "P2-1")["previously_part_of"] == "P2"
    assert item(editor_client, "parcels", "P2")["retired_on"] is not None
    merged = editor_client.post("/edit/parcels/merge", data={"ids": "P2-1,P2-2", "new_id": "P2-M"})
    assert merged.status_code == 303 and merged.location == "/edit/parcels/P2-M"
    assert item(editor_client, "parcels", "P2-M")["previously_part_of"] == "P2-1,P2-2"
    history = editor_client.get("/history/record/parcels/P2-M?format=json").get_json()
    assert history["previously_part_of"] == ["P2-1", "P2-2"]
    assert editor_client.get("/history/record/parcels/P2?format=json").get_json()["parts"] == ["P2-1", "P2-2"]


def test_create_retire_and_restore(editor_client):
    polygon = {"type": "Polygon", "coordinates": [lonlat([(300, 0), (400, 0), (400, 100), (300, 100), (300, 0)])]}
    import json

    created = editor_client.post("/edit/parcels/new", data={"parcel_id": "P4", "name": "四号地块", "status": "planned",
                                                            "geometry": json.dumps(polygon)})
    assert created.status_code == 303 and created.location == "/edit/parcels/P4"
    version, fp = version_of(editor_client, "parcels", "P4")
    assert editor_client.post("/edit/parcels/P4/retire", data={"version": version, "fingerprint": fp}).status_code == 303
    assert item(editor_client, "parcels", "P4")["retired_on"] is not None
    version, fp = version_of(editor_client, "parcels", "P4")
    assert editor_client.post("/edit/parcels/P4/restore", data={"version": version, "fingerprint": fp}).status_code == 303
    assert item(editor_client, "parcels", "P4")["retired_on"] is None


def test_leases_added_and_ended(editor_client):
    created = editor_client.post("/edit/leases/new", data={"lease_id": "L1", "unit_id": "U1", "enterprise_id": "E1",
                                                           "start": "2026-01-01", "end": "2028-12-31"})
    assert created.status_code == 303
    overlap = editor_client.post("/edit/leases/new", data={"lease_id": "L2", "unit_id": "U1", "start": "2027-01-01"})
    assert overlap.status_code == 400 and "L1" in overlap.get_data(as_text=True)
    version, fp = version_of(editor_client, "leases", "L1")
    ended = editor_client.post("/edit/leases/L1/end", data={"end": "2026-06-30", "version": version,
                                                            "fingerprint": fp})
    assert ended.status_code == 303
    assert item(editor_client, "leases", "L1")["end"] == "2026-06-30"


def test_cases_follow_the_ledger_and_are_audited_with_their_history(editor_client):
    opened = editor_client.post("/edit/cases/new", data={"problem": "idle_land", "parcel_id": "P2",
                                                         "notes": "约谈企业"})
    assert opened.status_code == 303
    case_id = opened.location.rsplit("/", 1)[1]
    assert re.fullmatch(r"C-\d{4}-0001", case_id)
    version, fp = version_of(editor_client, "cases", case_id)
    updated = editor_client.post(f"/edit/cases/{case_id}", data={"status": "in_progress", "version": version,
                                                                 "fingerprint": fp})
    assert updated.status_code == 303
    version, fp = version_of(editor_client, "cases", case_id)
    refused = editor_client.post(f"/edit/cases/{case_id}/close", data={"outcome": "done", "version": version,
                                                                       "fingerprint": fp})
    assert refused.status_code == 400 and "method" in refused.get_data(as_text=True)
    closed = editor_client.post(f"/edit/cases/{case_id}/close", data={"outcome": "done", "method": "re_perform",
                                                                      "version": version, "fingerprint": fp})
    assert closed.status_code == 303
    assert item(editor_client, "cases", case_id)["status"] == "done"
    ledger = editor_client.get("/api/collections/case_events/items").get_json()["features"]
    assert {f["properties"]["action"] for f in ledger} == {"create", "update", "close"}
    log = editor_client.get(f"/history/?format=json&record_id={case_id}").get_json()["events"]
    assert {e["action"] for e in log} == {"case_open", "case_update", "case_close"}


def test_the_land_pages_ledger_is_audited_with_its_own_actions(editor_client):
    # web/land.py changes the ledger through the audit trail, as the editor does.
    response = editor_client.post("/cases", data={"problem": "vacant_factory", "notes": "由台账页面创建"})
    assert response.status_code == 303
    case_id = response.headers["Location"].rsplit("#", 1)[1]
    assert editor_client.post(f"/cases/{case_id}", data={"notes": "已走访"}).status_code == 303
    assert editor_client.post(f"/cases/{case_id}/close", data={"outcome": "dropped"}).status_code == 303
    assert editor_client.post("/cases/C-1999-0001", data={"notes": "x"}).status_code == 404
    events = editor_client.get("/history/?format=json&layer=cases").get_json()["events"]
    assert {e["user"] for e in events} == {"editor1"} and {e["record_id"] for e in events} == {case_id}
    assert {e["action"] for e in events} == {"case_open", "case_update", "case_close"}


def test_undo_from_the_history_page(editor_client):
    version, fp = version_of(editor_client, "parcels", "P1")
    editor_client.post("/edit/parcels/P1", data={"name": "错名", "version": version, "fingerprint": fp})
    change_id = editor_client.get("/history/?format=json").get_json()["events"][0]["change_id"]
    page = editor_client.get("/history/").get_data(as_text=True)
    assert f'/history/undo/{change_id}' in page
    assert editor_client.post(f"/history/undo/{change_id}", data={"reason": "录错"}).status_code == 303
    assert item(editor_client, "parcels", "P1")["name"] == "一号地块 <b>"
    again = editor_client.post(f"/history/undo/{change_id}", json={})
    assert again.status_code == 409


def test_viewers_read_history_but_cannot_undo(auth_app):
    editor = signed_in(auth_app, "editor")
    version, fp = version_of(editor, "parcels", "P1")
    editor.post("/edit/parcels/P1", data={"name": "新", "version": version, "fingerprint": fp})
    viewer = signed_in(auth_app, "viewer")
    page = viewer.get("/history/").get_data(as_text=True)
    assert "editor1" in page and "/history/undo/" not in page
    change_id = viewer.get("/history/?format=json").get_json()["events"][0]["change_id"]
    assert viewer.post(f"/history/undo/{change_id}").status_code == 403
    assert viewer.get("/history/user/editor1").status_code == 200


def test_as_of_view_rebuilds_an_earlier_day(editor_client):
    version, fp = version_of(editor_client, "parcels", "P1")
    editor_client.post("/edit/parcels/P1", data={"name": "今日更名", "version": version, "fingerprint": fp})
    before = editor_client.get("/history/as-known-on/parcels?at=2000-01-01&format=json").get_json()
    names = {f["id"]: f["properties"]["name"] for f in before["features"]}
    assert names["P1"] == "一号地块 <b>"
    today = editor_client.get("/history/as-known-on/parcels?at=2999-01-01&format=json").get_json()
    assert {f["id"]: f["properties"]["name"] for f in today["features"]}["P1"] == "今日更名"
    assert editor_client.get("/history/as-known-on/parcels?at=yesterday").status_code == 400
    assert editor_client.get("/history/as-known-on/parcels?at=2000-01-01").status_code == 200


def test_log_export_neutralises_formulas(editor_client):
    version, fp = version_of(editor_client, "parcels", "P1")
    editor_client.post("/edit/parcels/P1", data={"name": "=HYPERLINK(\"http://evil\")", "version": version,
                                                 "fingerprint": fp})
    text = editor_client.get("/history/export.csv").get_data().decode("utf-8-sig")
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text


def test_read_only_layers_cannot_be_edited(editor_client):
    assert editor_client.get("/edit/audit_events/E000000000001").status_code == 404
    assert editor_client.post("/edit/audit_events/new", data={"event_id": "x"}).status_code == 404


def test_coded_fields_are_picked_by_name_with_the_code_on_hover(editor_client):
    """The status select names each stage (在建), its code only on hover; the selected one is P1's (operating)."""
    page = editor_client.get("/edit/parcels/P1?lang=zh").get_data(as_text=True)
    status = re.search(r'<select name="status">(.*?)</select>', page, flags=re.S).group(1)
    assert '<option value="under_construction" title="under_construction" >在建</option>' in status
    assert '<option value="operating" title="operating" selected>已投产</option>' in status
    assert "(under_construction)" not in page
    english = editor_client.get("/edit/parcels/P1?lang=en").get_data(as_text=True)
    assert '<option value="under_construction" title="under_construction" >Under construction</option>' in english


def test_the_layer_list_names_coded_values(editor_client):
    """/edit/facilities/: F1's kind reads 园区出入口 with park_gate on hover; the id links to the record."""
    page = editor_client.get("/edit/facilities/?lang=zh").get_data(as_text=True)
    assert '<a href="/edit/facilities/F1">F1</a>' in page
    assert '<span title="park_gate">园区出入口</span>' in page and ">park_gate<" not in page


def test_a_read_only_layer_is_named_in_the_refusal(editor_client):
    zh = editor_client.get("/edit/case_events/?lang=zh").get_data(as_text=True)
    assert "盘活台账变更记录由程序写入，不能编辑；可编辑：范围与管控、地块、" in zh
    en = editor_client.get("/edit/case_events/?lang=en").get_data(as_text=True)
    assert "case_events is written by the application only; layers: zones, parcels," in en
    unknown = editor_client.get("/edit/no_such/?lang=zh").get_data(as_text=True)
    assert "没有可编辑的图层 &#39;no_such&#39;；可编辑：范围与管控、地块" in unknown


def test_references_are_picked_among_the_records_they_name(editor_client):
    """A building's parcel is picked among the parcels in force by name (id after it); a retired parcel is
    no choice; a posted pick is saved as the id."""
    page = editor_client.get("/edit/buildings/B1?lang=zh").get_data(as_text=True)
    parcel = re.search(r'<select name="parcel_id">(.*?)</select>', page, flags=re.S).group(1)
    assert '<option value="P1" selected>一号地块 &lt;b&gt; (P1)</option>' in parcel
    assert '<option value="P2" >二号地块 (P2)</option>' in parcel and '<input name="parcel_id"' not in page
    version, fp = version_of(editor_client, "parcels", "P3")
    assert editor_client.post("/edit/parcels/P3/retire", data={"version": version, "fingerprint": fp}).status_code == 303
    parcel = re.search(r'<select name="parcel_id">(.*?)</select>',
                       editor_client.get("/edit/buildings/B1").get_data(as_text=True), flags=re.S).group(1)
    assert 'value="P3"' not in parcel
    version, fp = version_of(editor_client, "buildings", "B1")
    assert editor_client.post("/edit/buildings/B1", data={"parcel_id": "P2", "version": version,
                                                          "fingerprint": fp}).status_code == 303
    assert item(editor_client, "buildings", "B1")["parcel_id"] == "P2"


def test_a_park_written_before_a_field_was_declared_is_edited_through_the_web(tiny_park, tmp_path):
    # Parks saved before parcels.land_user lack its column: their edits answered 500 (no such column).
    import sqlite3
    from contextlib import closing

    from auth_helpers import auth_config

    from app import create_app

    with closing(sqlite3.connect(tiny_park.path)) as conn, conn:
        conn.execute('ALTER TABLE "parcels" DROP COLUMN "land_user"')
    client = signed_in(create_app(auth_config(tiny_park.path, tmp_path / "accounts.sqlite")), "editor")
    version, fp = version_of(client, "parcels", "P1")
    response = client.post("/edit/parcels/P1", data={"name": "一号地块（更名）", "land_user": "浙江恒丰精密机械有限公司",
                                                     "version": version, "fingerprint": fp, "reason": "登记"})
    assert response.status_code == 303
    p1 = item(client, "parcels", "P1")
    assert (p1["name"], p1["land_user"]) == ("一号地块（更名）", "浙江恒丰精密机械有限公司")
    assert item(client, "parcels", "P2")["land_user"] is None


def test_a_park_written_before_most_of_its_fields_reads_and_takes_edits(tiny_park, tmp_path):
    # Every optional parcel field dropped from the table (a park written by a much older ParkAtlas): the pages read
    # the fields as empty, and an edit adds their columns (text, real, boolean, date) with its own values in place.
    import sqlite3
    from contextlib import closing

    from auth_helpers import auth_config

    from app import create_app
    from layers.registry import get_layer

    kept = {"parcel_id", "name", "valid_from", "valid_to", "first_added", "last_updated", "retired_on"}
    dropped = [f.name for f in get_layer("parcels").fields if f.name not in kept]
    with closing(sqlite3.connect(tiny_park.path)) as conn, conn:
        for name in dropped:
            conn.execute(f'ALTER TABLE "parcels" DROP COLUMN "{name}"')
    assert len(dropped) > 30
    client = signed_in(create_app(auth_config(tiny_park.path, tmp_path / "accounts.sqlite")), "editor")
    for page in ("/", "/land", "/idle", "/report?year=2025", "/edit/parcels/P1", "/api/collections/parcels/items"):
        assert client.get(page).status_code == 200, page
    version, fp = version_of(client, "parcels", "P1")
    response = client.post("/edit/parcels/P1", data={
        "land_price_wan": "320.5", "site_levelled": "true", "contract_date": "2019-05-20", "status": "supplied",
        "version": version, "fingerprint": fp, "reason": "补录"})
    assert response.status_code == 303
    p1 = item(client, "parcels", "P1")
    assert (p1["land_price_wan"], p1["site_levelled"], p1["contract_date"], p1["status"]) == (
        320.5, True, "2019-05-20", "supplied")
    assert item(client, "parcels", "P2")["land_price_wan"] is None
    with closing(sqlite3.connect(tiny_park.path)) as conn:
        types = {row[1]: row[2] for row in conn.execute('PRAGMA table_info("parcels")')}
    assert (types["land_price_wan"], types["site_levelled"], types["contract_date"]) == ("REAL", "BOOLEAN", "DATE")
