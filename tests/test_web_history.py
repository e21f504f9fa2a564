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
